//! The transactional email outbox. A change that causes a message calls [`enqueue`] inside
//! its own transaction, so the message exists exactly when the change does; after the
//! commit it calls [`Db::wake_outbox`]. The delivery worker claims due rows with a lease
//! (`claimed_until`) through a conditional UPDATE, so when several server instances share
//! one database each message has one sender at a time, and a sender that dies mid-way
//! only delays the message until its lease runs out.
use super::{get_opt_ts, get_ts, new_id, ts, Db, Result};
use crate::domain::Email;
use chrono::{DateTime, Duration, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

/// A message to write to the outbox. `kind` names the template ("invitation", ...) for logs
/// and tests; the bodies are already rendered.
#[derive(Clone, Copy, Debug)]
pub struct NewMessage<'a> {
    pub kind: &'a str,
    pub to: &'a Email,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: String,
    pub to_addr: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: DateTime<Utc>,
    /// Failed delivery attempts so far.
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// When the message was given up as undeliverable (see [`Db::mark_undeliverable`]).
    pub failed_at: Option<DateTime<Utc>>,
}

const COLS: &str = "id, kind, to_addr, subject, text_body, html_body, created_at, attempts, \
                    next_attempt_at, claimed_until, sent_at, last_error, failed_at";

fn from_row(r: &AnyRow) -> Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        to_addr: r.try_get("to_addr")?,
        subject: r.try_get("subject")?,
        text_body: r.try_get("text_body")?,
        html_body: r.try_get("html_body")?,
        created_at: get_ts(r, "created_at")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: get_ts(r, "next_attempt_at")?,
        claimed_until: get_opt_ts(r, "claimed_until")?,
        sent_at: get_opt_ts(r, "sent_at")?,
        last_error: r.try_get("last_error")?,
        failed_at: get_opt_ts(r, "failed_at")?,
    })
}

/// Writes a message in the caller's transaction; it is due at once. Returns its id.
/// Call [`wake`] after the transaction commits (not before: the worker would not see it).
pub async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    msg: &NewMessage<'_>,
    now: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO outbox (id, kind, to_addr, subject, text_body, html_body, created_at, attempts, \
           next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)",
    )
    .bind(&id)
    .bind(msg.kind)
    .bind(msg.to.as_str())
    .bind(msg.subject)
    .bind(msg.text)
    .bind(msg.html)
    .bind(ts(now))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

impl Db {
    /// The signal this database's delivery worker waits on (besides its one-second tick).
    /// One per `Db` and its clones, so servers sharing a process do not wake each other.
    pub fn outbox_notifier(&self) -> Arc<Notify> {
        self.outbox_wake.clone()
    }

    /// Tells the delivery worker to look for due messages now. Cheap; call it after
    /// committing a transaction that enqueued messages.
    pub fn wake_outbox(&self) {
        self.outbox_wake.notify_waiters();
    }
}

/// What a failed delivery attempt leads to.
enum FailedAttempt {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Never again: the address is refused for good.
    GivenUpAt(DateTime<Utc>),
}

/// How long to wait after the `attempts`-th failed attempt: 30 s, doubling each time,
/// at most one hour.
pub fn backoff(attempts: i64) -> Duration {
    const FIRST_SECS: i64 = 30;
    const MAX_SECS: i64 = 3600;
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    Duration::seconds(FIRST_SECS.saturating_mul(1i64 << doublings).min(MAX_SECS))
}

impl Db {
    /// Claims up to `limit` due messages for `lease`, returning only the ones this caller
    /// won. A message is due when it is unsent and not given up as undeliverable, its next
    /// attempt time has come and no live lease holds it (an expired lease means its sender
    /// died: the message is offered again).
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let now_s = ts(now);
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
               AND (claimed_until IS NULL OR claimed_until < $1) \
             ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(&now_s)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let until = now + lease;
        let mut won = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut msg = from_row(row)?;
            // The same conditions again, atomically: another sender may have claimed,
            // sent or failed (and so rescheduled) the row since the SELECT.
            let res = sqlx::query(
                "UPDATE outbox SET claimed_until = $2 WHERE id = $1 AND sent_at IS NULL \
                   AND failed_at IS NULL AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)",
            )
            .bind(&msg.id)
            .bind(ts(until))
            .bind(&now_s)
            .execute(&self.pool)
            .await?;
            if res.rows_affected() == 1 {
                msg.claimed_until = Some(until);
                won.push(msg);
            }
        }
        Ok(won)
    }

    /// Records a delivery and releases the claim.
    pub async fn mark_sent(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE outbox SET sent_at = $2, claimed_until = NULL WHERE id = $1 AND sent_at IS NULL")
            .bind(id)
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a failed attempt: one more attempt, the error, when to try again; the
    /// claim is released. A message that was sent meanwhile is left alone.
    pub async fn mark_failed(&self, id: &str, error: &str, next_attempt_at: DateTime<Utc>) -> Result<()> {
        self.failed_attempt(id, error, FailedAttempt::RetryAt(next_attempt_at)).await
    }

    /// Records that a message can never be delivered (the address is refused): one more
    /// attempt, the error, `failed_at`; the claim is released and the row is never claimed
    /// again. A message that was sent meanwhile is left alone.
    pub async fn mark_undeliverable(&self, id: &str, error: &str, now: DateTime<Utc>) -> Result<()> {
        self.failed_attempt(id, error, FailedAttempt::GivenUpAt(now)).await
    }

    async fn failed_attempt(&self, id: &str, error: &str, outcome: FailedAttempt) -> Result<()> {
        let (column, at) = match outcome {
            FailedAttempt::RetryAt(t) => ("next_attempt_at", t),
            FailedAttempt::GivenUpAt(t) => ("failed_at", t),
        };
        sqlx::query(&format!(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, {column} = $3, \
               claimed_until = NULL WHERE id = $1 AND sent_at IS NULL"
        ))
        .bind(id)
        .bind(error)
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Of `addresses`, those whose mail could not be delivered: a message to it was given up
    /// and no message to it has been sent since. Each maps to the latest failure's error.
    pub async fn undeliverable_addresses(&self, addresses: &[&str]) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        if addresses.is_empty() {
            return Ok(out);
        }
        let marks: Vec<String> = (1..=addresses.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT f.to_addr, f.last_error, f.failed_at FROM outbox f \
             WHERE f.to_addr IN ({}) AND f.failed_at IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM outbox s WHERE s.to_addr = f.to_addr \
                               AND s.sent_at IS NOT NULL AND s.sent_at > f.failed_at) \
             ORDER BY f.failed_at, f.id",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for a in addresses {
            q = q.bind(*a);
        }
        // Oldest first, so the latest failure of each address is the one kept.
        for row in q.fetch_all(&self.pool).await? {
            let error: Option<String> = row.try_get("last_error")?;
            out.insert(row.try_get("to_addr")?, error.unwrap_or_default());
        }
        Ok(out)
    }

    /// Messages not yet sent and not given up (due or waiting for a retry).
    pub async fn outbox_pending_count(&self) -> Result<i64> {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// What `/metrics` shows of the outbox: messages waiting (due or retrying), messages
    /// given up as undeliverable, and messages that failed at least once and wait to retry.
    pub async fn outbox_figures(&self) -> Result<(i64, i64, i64)> {
        let row = sqlx::query(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS waiting, \
               CAST(COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed, \
               CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS retrying \
             FROM outbox",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("waiting")?, row.try_get("failed")?, row.try_get("retrying")?))
    }

    /// Every message, oldest first (for tests and diagnostics).
    pub async fn outbox_messages(&self) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(&format!("SELECT {COLS} FROM outbox ORDER BY created_at, id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(7), Duration::seconds(1920));
    }

    #[test]
    fn backoff_is_capped_at_an_hour() {
        assert_eq!(backoff(8), Duration::hours(1));
        assert_eq!(backoff(50), Duration::hours(1));
        assert_eq!(backoff(i64::MAX), Duration::hours(1));
    }

    #[test]
    fn backoff_never_shrinks_below_the_first_step() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(-5), Duration::seconds(30));
        let mut last = Duration::zero();
        for n in 0..30 {
            assert!(backoff(n) >= last, "backoff({n}) shrank");
            last = backoff(n);
        }
    }
}
