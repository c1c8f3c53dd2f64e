use super::{get_ts, ts, Db, Result};
use crate::domain::throttle::Failures;
use sqlx::Row;

impl Db {
    /// Counts one more attempt for `key`, atomically, and returns the record after it: a
    /// window older than `window` starts again at 1. One statement, so parallel attempts
    /// cannot all read the same count (each sees its own increment).
    pub async fn count_sign_in_attempt(
        &self,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
        window: chrono::Duration,
    ) -> Result<Failures> {
        let now_s = ts(now);
        let cutoff = ts(now - window);
        let r = sqlx::query(
            "INSERT INTO sign_in_failures (key, count, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN sign_in_failures.window_start <= $3 THEN 1 ELSE sign_in_failures.count + 1 END, \
               window_start = CASE WHEN sign_in_failures.window_start <= $3 THEN excluded.window_start \
                              ELSE sign_in_failures.window_start END \
             RETURNING count, window_start",
        )
        .bind(key)
        .bind(&now_s)
        .bind(&cutoff)
        .fetch_one(&self.pool)
        .await?;
        let count: i64 = r.try_get("count")?;
        Ok(Failures {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            window_start: get_ts(&r, "window_start")?,
        })
    }

    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1").bind(key).execute(&self.pool).await?;
        Ok(())
    }
}

impl Db {
    /// Counts one call for `key` in its fixed window and returns (count, window start) after
    /// it; a window that began `window` or more ago starts again at 1. One statement, so
    /// calls arriving at several instances at once each see their own increment.
    pub async fn count_rate(
        &self,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
        window: chrono::Duration,
    ) -> Result<(i64, chrono::DateTime<chrono::Utc>)> {
        let r = sqlx::query(
            "INSERT INTO rate_windows (key, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN rate_windows.window_start <= $3 THEN 1 ELSE rate_windows.count + 1 END, \
               window_start = CASE WHEN rate_windows.window_start <= $3 THEN excluded.window_start \
                              ELSE rate_windows.window_start END \
             RETURNING count, window_start",
        )
        .bind(key)
        .bind(ts(now))
        .bind(ts(now - window))
        .fetch_one(&self.pool)
        .await?;
        Ok((r.try_get("count")?, get_ts(&r, "window_start")?))
    }

    /// Forgets windows that ended before `before` (the table keeps one row per subject).
    pub async fn forget_rate_windows(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM rate_windows WHERE window_start < $1")
            .bind(ts(before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
