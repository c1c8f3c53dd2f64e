//! Console sessions (tower-sessions records): an id, the record's data as JSON and its
//! expiry in Unix seconds. The session layer itself lives with the server's start-up.
use super::Result;
use sqlx::{Any, Executor, Row};

/// Stores a new session; false when the id is taken (the caller draws another).
pub async fn insert_new<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    data: &str,
    expires_at: i64,
    account: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO sessions (id, data, expires_at, account_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(data)
    .bind(expires_at)
    .bind(account)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn save<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    data: &str,
    expires_at: i64,
    account: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, data, expires_at, account_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, \
         account_id = excluded.account_id",
    )
    .bind(id)
    .bind(data)
    .bind(expires_at)
    .bind(account)
    .execute(ex)
    .await?;
    Ok(())
}

/// The data and expiry of a session that has not expired at `now`.
pub async fn load<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: i64,
) -> Result<Option<(String, i64)>> {
    let row = sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
        .bind(id)
        .bind(now)
        .fetch_optional(ex)
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get("data")?, r.try_get("expires_at")?)),
        None => None,
    })
}

pub async fn delete<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(ex).await?;
    Ok(())
}

/// Removes the sessions that expired before `now`; how many.
pub async fn delete_expired<'e, E: Executor<'e, Database = Any>>(ex: E, now: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(ex).await?;
    Ok(done.rows_affected())
}

/// The live sessions of `account` at `now`: id, data and expiry, soonest to expire last.
pub async fn of_account<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    account: &str,
    now: i64,
) -> Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT id, data, expires_at FROM sessions WHERE account_id = $1 AND expires_at > $2 ORDER BY expires_at DESC",
    )
    .bind(account)
    .bind(now)
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("data")?, r.try_get("expires_at")?))).collect()
}
