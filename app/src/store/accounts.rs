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
}

fn from_row(r: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: super::get_user_id(r, "id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        created_at: get_ts(r, "created_at")?,
    })
}

impl Account {
    /// "Name <email>": how the account is named in audit entries.
    pub fn label(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }
}

const COLS: &str = "id, email, name, password_hash, created_at";

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

impl Db {
    pub async fn account_by_email(&self, email: &Email) -> Result<Option<Account>> {
        by_email(&self.pool, email).await
    }

    pub async fn account(&self, id: &UserId) -> Result<Option<Account>> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM accounts WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
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
