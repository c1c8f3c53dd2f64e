//! Directory sync (R-DIR1): SQL only. Tokens, the directory's users (`scim_users`) and the
//! membership of its groups (`scim_group_members`); the groups themselves are rows of
//! `groups` marked `synced`. What a change means for the team (memberships, seats) is the
//! service's; this module only reads and writes rows.
use super::{get_flag, get_opt_ts, get_team_id, get_ts, get_user_id, new_id, ts, Db, Result, StoreError};
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, Duration, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

/// A directory token as Team settings lists it (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub label: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn create_token(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    label: &str,
    token_hash: &str,
    created_by: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO scim_tokens (id, team_id, label, token_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(team.as_str())
    .bind(label)
    .bind(token_hash)
    .bind(created_by.map(UserId::as_str))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Revokes one live token of `team`; the label of the token revoked.
pub async fn revoke_token(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "UPDATE scim_tokens SET revoked_at = $3 WHERE team_id = $1 AND id = $2 AND revoked_at IS NULL \
         RETURNING label",
    )
    .bind(team.as_str())
    .bind(id)
    .bind(ts(now))
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| Ok(r.try_get("label")?)).transpose()
}

/// How stale "last used" may be: a directory pushing thousands of requests must not write
/// the token row on each of them.
const LAST_USED_GRAIN: i64 = 60;

impl Db {
    /// The live tokens of `team`, newest first.
    pub async fn scim_tokens(&self, team: &TeamId) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(
            "SELECT t.id, t.label, a.name AS created_by, t.created_at, t.last_used_at FROM scim_tokens t \
             LEFT JOIN accounts a ON a.id = t.created_by \
             WHERE t.team_id = $1 AND t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id",
        )
        .bind(team.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    id: r.try_get("id")?,
                    label: r.try_get("label")?,
                    created_by: r.try_get("created_by")?,
                    created_at: get_ts(r, "created_at")?,
                    last_used_at: get_opt_ts(r, "last_used_at")?,
                })
            })
            .collect()
    }

    /// The team a live token belongs to, by the token's hash; records its use (to the
    /// minute).
    pub async fn scim_token_team(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<TeamId>> {
        let row = sqlx::query(
            "SELECT id, team_id, last_used_at FROM scim_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let last = get_opt_ts(&row, "last_used_at")?;
        if last.is_none_or(|l| now - l >= Duration::seconds(LAST_USED_GRAIN)) {
            let id: String = row.try_get("id")?;
            sqlx::query("UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(ts(now))
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(get_team_id(&row, "team_id")?))
    }

    /// Whether people the directory adds get an invitation email (else they are active at
    /// once).
    pub async fn scim_invites(&self, team: &TeamId) -> Result<bool> {
        scim_invites(&mut *self.pool.acquire().await?, team).await
    }
}

pub async fn set_scim_invites(tx: &mut Transaction<'_, Any>, team: &TeamId, invites: bool) -> Result<()> {
    sqlx::query("UPDATE teams SET scim_invites = $2 WHERE id = $1")
        .bind(team.as_str())
        .bind(i64::from(invites))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn scim_invites(conn: &mut AnyConnection, team: &TeamId) -> Result<bool> {
    let r = sqlx::query("SELECT scim_invites FROM teams WHERE id = $1")
        .bind(team.as_str())
        .fetch_one(&mut *conn)
        .await?;
    get_flag(&r, "scim_invites")
}

/// One SCIM User resource of a team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimUserRow {
    pub id: String,
    pub account_id: UserId,
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub email: String,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The directory's attributes of a user, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimUserFields {
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub email: String,
    pub active: bool,
}

const USER_COLS: &str =
    "id, account_id, user_name, external_id, given_name, family_name, display_name, email, \
     active, version, created_at, updated_at";

fn user_from(r: &AnyRow) -> Result<ScimUserRow> {
    Ok(ScimUserRow {
        id: r.try_get("id")?,
        account_id: get_user_id(r, "account_id")?,
        user_name: r.try_get("user_name")?,
        external_id: r.try_get("external_id")?,
        given_name: r.try_get("given_name")?,
        family_name: r.try_get("family_name")?,
        display_name: r.try_get("display_name")?,
        email: r.try_get("email")?,
        active: get_flag(r, "active")?,
        version: r.try_get("version")?,
        created_at: get_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

pub async fn insert_user(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
    f: &ScimUserFields,
    now: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO scim_users (id, team_id, account_id, user_name, user_name_key, external_id, given_name, \
         family_name, display_name, email, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(&id)
    .bind(team.as_str())
    .bind(account.as_str())
    .bind(&f.user_name)
    .bind(f.user_name.to_lowercase())
    .bind(f.external_id.as_deref())
    .bind(f.given_name.as_deref())
    .bind(f.family_name.as_deref())
    .bind(f.display_name.as_deref())
    .bind(&f.email)
    .bind(i64::from(f.active))
    .bind(ts(now))
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from(e).on_unique("a directory user with this userName or address"))?;
    Ok(id)
}

/// Rewrites a user's attributes; the version moves on.
pub async fn update_user(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    id: &str,
    f: &ScimUserFields,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE scim_users SET user_name = $3, user_name_key = $4, external_id = $5, given_name = $6, \
         family_name = $7, display_name = $8, email = $9, active = $10, version = version + 1, updated_at = $11 \
         WHERE team_id = $1 AND id = $2",
    )
    .bind(team.as_str())
    .bind(id)
    .bind(&f.user_name)
    .bind(f.user_name.to_lowercase())
    .bind(f.external_id.as_deref())
    .bind(f.given_name.as_deref())
    .bind(f.family_name.as_deref())
    .bind(f.display_name.as_deref())
    .bind(&f.email)
    .bind(i64::from(f.active))
    .bind(ts(now))
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from(e).on_unique("a directory user with this userName"))?;
    Ok(())
}

pub async fn delete_user(tx: &mut Transaction<'_, Any>, team: &TeamId, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM scim_group_members WHERE scim_user_id = $1").bind(id).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM scim_users WHERE team_id = $1 AND id = $2")
        .bind(team.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn user(conn: &mut AnyConnection, team: &TeamId, id: &str) -> Result<Option<ScimUserRow>> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} FROM scim_users WHERE team_id = $1 AND id = $2"))
        .bind(team.as_str())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(user_from).transpose()
}

pub async fn user_by_account(
    conn: &mut AnyConnection,
    team: &TeamId,
    account: &UserId,
) -> Result<Option<ScimUserRow>> {
    let row =
        sqlx::query(&format!("SELECT {USER_COLS} FROM scim_users WHERE team_id = $1 AND account_id = $2"))
            .bind(team.as_str())
            .bind(account.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    row.as_ref().map(user_from).transpose()
}

/// Which column a simple `attr eq "value"` filter can be answered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserKey {
    UserName,
    ExternalId,
    Email,
}

/// One page of a team's users, and how many match: every user, or those whose `key`
/// equals `value` (userName and addresses in any case, externalId exactly).
pub async fn users(
    conn: &mut AnyConnection,
    team: &TeamId,
    by: Option<(UserKey, &str)>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ScimUserRow>, i64)> {
    let (cond, value) = match by {
        None => ("", String::new()),
        Some((UserKey::UserName, v)) => (" AND user_name_key = $2", v.to_lowercase()),
        Some((UserKey::ExternalId, v)) => (" AND external_id = $2", v.to_string()),
        Some((UserKey::Email, v)) => (" AND LOWER(email) = $2", v.to_lowercase()),
    };
    let total: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM scim_users WHERE team_id = $1{}",
        if cond.is_empty() { " AND $2 = $2" } else { cond }
    ))
    .bind(team.as_str())
    .bind(&value)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLS} FROM scim_users WHERE team_id = $1{} ORDER BY created_at, id LIMIT $3 OFFSET $4",
        if cond.is_empty() { " AND $2 = $2" } else { cond }
    ))
    .bind(team.as_str())
    .bind(&value)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows.iter().map(user_from).collect::<Result<_>>()?, total))
}

/// A synced group as SCIM shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimGroupRow {
    pub id: String,
    pub name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// (SCIM user id, the name shown) of each member.
    pub members: Vec<(String, String)>,
}

fn group_from(r: &AnyRow) -> Result<ScimGroupRow> {
    let created = get_ts(r, "created_at")?;
    Ok(ScimGroupRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        external_id: r.try_get("external_id")?,
        version: r.try_get("version")?,
        created_at: created,
        updated_at: get_opt_ts(r, "updated_at")?.unwrap_or(created),
        members: Vec::new(),
    })
}

const GROUP_COLS: &str = "id, name, external_id, version, created_at, updated_at";

async fn with_members(conn: &mut AnyConnection, mut g: ScimGroupRow) -> Result<ScimGroupRow> {
    let rows = sqlx::query(
        "SELECT u.id, COALESCE(u.display_name, u.user_name) AS shown FROM scim_group_members gm \
         JOIN scim_users u ON u.id = gm.scim_user_id WHERE gm.group_id = $1 ORDER BY u.created_at, u.id",
    )
    .bind(&g.id)
    .fetch_all(&mut *conn)
    .await?;
    g.members = rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("shown")?))).collect::<Result<_>>()?;
    Ok(g)
}

pub async fn group(conn: &mut AnyConnection, team: &TeamId, id: &str) -> Result<Option<ScimGroupRow>> {
    let row = sqlx::query(&format!(
        "SELECT {GROUP_COLS} FROM groups WHERE team_id = $1 AND id = $2 AND synced = 1"
    ))
    .bind(team.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => Ok(Some(with_members(conn, group_from(&r)?).await?)),
        None => Ok(None),
    }
}

/// One page of the team's synced groups (with members unless `bare`), and how many match:
/// all, or those of this display name (any case) or external id.
pub async fn groups(
    conn: &mut AnyConnection,
    team: &TeamId,
    by: Option<(bool, &str)>,
    (offset, limit): (i64, i64),
    bare: bool,
) -> Result<(Vec<ScimGroupRow>, i64)> {
    let (cond, value) = match by {
        None => (" AND $2 = $2", String::new()),
        Some((true, v)) => (" AND name_key = $2", v.to_lowercase()),
        Some((false, v)) => (" AND external_id = $2", v.to_string()),
    };
    let total: i64 =
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM groups WHERE team_id = $1 AND synced = 1{cond}"))
            .bind(team.as_str())
            .bind(&value)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    let rows = sqlx::query(&format!(
        "SELECT {GROUP_COLS} FROM groups WHERE team_id = $1 AND synced = 1{cond} \
         ORDER BY created_at, id LIMIT $3 OFFSET $4"
    ))
    .bind(team.as_str())
    .bind(&value)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let g = group_from(r)?;
        out.push(if bare { g } else { with_members(conn, g).await? });
    }
    Ok((out, total))
}

/// Marks a group the directory made (read-only in the console) with its external id.
pub async fn mark_synced(
    tx: &mut Transaction<'_, Any>,
    group: &str,
    external_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE groups SET synced = 1, external_id = $2, updated_at = $3 WHERE id = $1")
        .bind(group)
        .bind(external_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The group changed (name, external id or members): its version moves on.
pub async fn touch_group(
    tx: &mut Transaction<'_, Any>,
    group: &str,
    external_id: Option<Option<&str>>,
    now: DateTime<Utc>,
) -> Result<()> {
    match external_id {
        Some(ext) => sqlx::query(
            "UPDATE groups SET version = version + 1, updated_at = $2, external_id = $3 WHERE id = $1",
        )
        .bind(group)
        .bind(ts(now))
        .bind(ext),
        None => sqlx::query("UPDATE groups SET version = version + 1, updated_at = $2 WHERE id = $1")
            .bind(group)
            .bind(ts(now)),
    }
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether a group of the team is synced (and so read-only in the console).
pub async fn is_synced(conn: &mut AnyConnection, team: &TeamId, group: &str) -> Result<bool> {
    let row = sqlx::query("SELECT synced FROM groups WHERE team_id = $1 AND id = $2")
        .bind(team.as_str())
        .bind(group)
        .fetch_optional(&mut *conn)
        .await?;
    row.map_or(Ok(false), |r| get_flag(&r, "synced"))
}

pub async fn add_group_member(tx: &mut Transaction<'_, Any>, group: &str, user: &str) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO scim_group_members (group_id, scim_user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(group)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_group_member(tx: &mut Transaction<'_, Any>, group: &str, user: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM scim_group_members WHERE group_id = $1 AND scim_user_id = $2")
        .bind(group)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The synced groups a directory user is in (ids).
pub async fn groups_of_user(conn: &mut AnyConnection, user: &str) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT group_id FROM scim_group_members WHERE scim_user_id = $1")
        .bind(user)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("group_id")?)).collect()
}

/// Account ids of the team's synced people (active directory users), for the console's
/// "Synced" marks.
pub async fn synced_accounts(
    conn: &mut AnyConnection,
    team: &TeamId,
    accounts: &[UserId],
) -> Result<Vec<UserId>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..accounts.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT account_id FROM scim_users WHERE team_id = $1 AND active = 1 AND account_id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(team.as_str());
    for a in accounts {
        q = q.bind(a.as_str());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(|r| get_user_id(r, "account_id")).collect()
}
