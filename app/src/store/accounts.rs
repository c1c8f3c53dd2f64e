use super::{changed_a_row, get_ts, new_id, ts, Db, Result, StoreError};
use crate::domain::{Email, PersonName, UserId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

#[derive(Clone, Debug)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The session generation a console session must carry to be valid (R-ACC1).
    pub session_epoch: Option<String>,
}

fn from_row(r: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: super::get_user_id(r, "id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        created_at: get_ts(r, "created_at")?,
        session_epoch: r.try_get("session_epoch")?,
    })
}

impl Account {
    /// "Name <email>": how the account is named in audit entries.
    pub fn label(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }
}

const COLS: &str = "id, email, name, password_hash, created_at, session_epoch";

/// The account with this address, read through `ex` (a transaction that goes on to change it).
pub async fn by_email<'e, E: Executor<'e, Database = Any>>(ex: E, email: &Email) -> Result<Option<Account>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM accounts WHERE email = $1"))
        .bind(email.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn create<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    email: &Email,
    name: &PersonName,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<UserId> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO accounts (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(name.as_str())
    .bind(password_hash)
    .bind(ts(now))
    .execute(ex)
    .await
    .map_err(|e| StoreError::from(e).on_unique("an account with this email address"))?;
    UserId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Gives an account that has no password its first one (an invitee accepting); an account
/// that has one keeps it.
pub async fn set_first_password<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &UserId,
    hash: &str,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2 AND password_hash IS NULL")
        .bind(hash)
        .bind(id.as_str())
        .execute(ex)
        .await?;
    Ok(())
}

/// Sets a new password (with `hash`; `None` only signs out elsewhere) and ends every console
/// session of the account but `keep` (the one the person is using, which the caller gives
/// the returned generation), R-ACC1. A new password also revokes the account's refresh
/// tokens and uses up its open reset links.
pub async fn set_password_ending_sessions(
    tx: &mut sqlx::Transaction<'_, Any>,
    id: &UserId,
    hash: Option<&str>,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    let epoch = new_id();
    let done = sqlx::query(
        "UPDATE accounts SET password_hash = COALESCE($1, password_hash), session_epoch = $2 WHERE id = $3",
    )
    .bind(hash)
    .bind(&epoch)
    .bind(id.as_str())
    .execute(&mut **tx)
    .await?;
    changed_a_row(&done)?;
    // The rows go too (the generation alone would void them): sessions stored before they
    // named their account are caught by the generation.
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
        .bind(id.as_str())
        .bind(keep.unwrap_or(""))
        .execute(&mut **tx)
        .await?;
    if hash.is_some() {
        // A new password also ends what the old one started elsewhere: the products' and
        // apps' sign-ins (their refresh tokens; access tokens lapse within the hour), and
        // any reset link still open.
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(id.as_str())
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL")
            .bind(ts(now))
            .bind(id.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(epoch)
}

/// One account by id, read through `ex` (a transaction that goes on to use it).
pub async fn by_id<'e, E: Executor<'e, Database = Any>>(ex: E, id: &UserId) -> Result<Option<Account>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM accounts WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

impl Db {
    pub async fn account_by_email(&self, email: &Email) -> Result<Option<Account>> {
        by_email(&self.pool, email).await
    }

    pub async fn account(&self, id: &UserId) -> Result<Option<Account>> {
        by_id(&self.pool, id).await
    }

    pub async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<()> {
        let done = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        changed_a_row(&done)
    }
}

/// A password-reset link's row (R-ACC1).
#[derive(Clone, Debug)]
pub struct ResetRow {
    pub id: String,
    pub account_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// Takes the write lock on the account with `email` (if there is one) for the rest of the
/// caller's transaction, before it reads anything: requests for one address then count and
/// insert one after the other, so a burst cannot slip past a per-address limit. On SQLite
/// this is the database's write lock (a read snapshot cannot be upgraded later); on
/// PostgreSQL the row's.
pub async fn lock_by_email<'e, E: Executor<'e, Database = Any>>(ex: E, email: &Email) -> Result<()> {
    sqlx::query("UPDATE accounts SET email = email WHERE email = $1")
        .bind(email.as_str())
        .execute(ex)
        .await?;
    Ok(())
}

/// How many reset links `account` was sent since `since` (the per-address throttle).
pub async fn resets_since<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    account: &UserId,
    since: DateTime<Utc>,
) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM password_resets WHERE account_id = $1 AND requested_at >= $2")
        .bind(account.as_str())
        .bind(ts(since))
        .fetch_one(ex)
        .await?
        .try_get("n")?)
}

pub async fn insert_reset<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    account: &UserId,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (id, account_id, token_hash, requested_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(new_id())
    .bind(account.as_str())
    .bind(token_hash)
    .bind(ts(now))
    .bind(ts(expires_at))
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn reset_by_hash<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> Result<Option<ResetRow>> {
    let row =
        sqlx::query("SELECT id, account_id, expires_at, used_at FROM password_resets WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(ex)
            .await?;
    row.map(|r| {
        Ok(ResetRow {
            id: r.try_get("id")?,
            account_id: super::get_user_id(&r, "account_id")?,
            expires_at: get_ts(&r, "expires_at")?,
            used: r.try_get::<Option<String>, _>("used_at")?.is_some(),
        })
    })
    .transpose()
}

/// Uses up every open reset link of the account; `false` when `id` was already used (a
/// second request with the same link lost the race).
pub async fn use_resets(
    tx: &mut sqlx::Transaction<'_, Any>,
    id: &str,
    account: &UserId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query("UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(ts(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL")
        .bind(ts(now))
        .bind(account.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(true)
}
