//! Idempotency keys of the provisioning API (R-VND1): claimed inside the transaction of the
//! change they guard, answered again on a retry.
use super::{ts, Result};
use chrono::{DateTime, Duration, Utc};
use sqlx::{Any, Row, Transaction};

/// How long an answer is kept for retries (the draft's suggestion is at least a day).
pub const KEPT_FOR: Duration = Duration::hours(24);

/// A key as a request carries it.
#[derive(Clone, Debug)]
pub struct Once<'a> {
    pub client_id: &'a str,
    pub key: &'a str,
    /// Hash of what the request asked (method, path, body).
    pub fingerprint: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// First use: go on, and `answer` inside the same transaction.
    New,
    /// Used before for the same request: this was the answer.
    Answered { status: u16, body: String },
    /// Used before for another request.
    Mismatch,
}

/// Claims `once` for this transaction. A concurrent request with the same key waits for
/// the first one's transaction (PostgreSQL: on the key's unique index; SQLite: for the
/// write lock, up to its busy timeout) and then reads the answer it committed.
pub async fn claim(tx: &mut Transaction<'_, Any>, once: &Once<'_>, now: DateTime<Utc>) -> Result<Claim> {
    // This key's own answer, once older than KEPT_FOR, no longer counts (the sweeper
    // removes the others: `forget_before`).
    sqlx::query("DELETE FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2 AND created_at < $3")
        .bind(once.client_id)
        .bind(once.key)
        .bind(ts(now - KEPT_FOR))
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query(
        "INSERT INTO idempotency_keys (client_id, idem_key, fingerprint, status, body, created_at) \
         VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (client_id, idem_key) DO NOTHING",
    )
    .bind(once.client_id)
    .bind(once.key)
    .bind(once.fingerprint)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Claim::New);
    }
    let row = sqlx::query(
        "SELECT fingerprint, status, body FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2",
    )
    .bind(once.client_id)
    .bind(once.key)
    .fetch_one(&mut **tx)
    .await?;
    let fingerprint: String = row.try_get("fingerprint")?;
    if fingerprint != once.fingerprint {
        return Ok(Claim::Mismatch);
    }
    let status: i64 = row.try_get("status")?;
    Ok(Claim::Answered { status: u16::try_from(status).unwrap_or(500), body: row.try_get("body")? })
}

/// Records the answer to a claimed key, in the transaction that made the change.
pub async fn answer(tx: &mut Transaction<'_, Any>, once: &Once<'_>, status: u16, body: &str) -> Result<()> {
    let done = sqlx::query(
        "UPDATE idempotency_keys SET status = $3, body = $4 WHERE client_id = $1 AND idem_key = $2",
    )
    .bind(once.client_id)
    .bind(once.key)
    .bind(i64::from(status))
    .bind(body)
    .execute(&mut **tx)
    .await?;
    super::changed_a_row(&done)
}

/// Removes answers kept longer than `KEPT_FOR` (the hourly sweeper).
pub async fn forget_before<'e, E: sqlx::Executor<'e, Database = Any>>(
    ex: E,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(ts(now - KEPT_FOR))
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
