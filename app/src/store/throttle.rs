use super::{get_ts, ts, Db, Result};
use crate::domain::throttle::Failures;
use sqlx::Row;

impl Db {
    pub async fn sign_in_failures(&self, key: &str) -> Result<Option<Failures>> {
        let row = sqlx::query("SELECT count, window_start FROM sign_in_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let count: i64 = r.try_get("count")?;
            Ok(Failures {
                count: u32::try_from(count).unwrap_or(u32::MAX),
                window_start: get_ts(&r, "window_start")?,
            })
        })
        .transpose()
    }

    pub async fn put_sign_in_failures(&self, key: &str, f: Failures) -> Result<()> {
        sqlx::query(
            "INSERT INTO sign_in_failures (key, count, window_start) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET count = excluded.count, window_start = excluded.window_start",
        )
        .bind(key)
        .bind(i64::from(f.count))
        .bind(ts(f.window_start))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1").bind(key).execute(&self.pool).await?;
        Ok(())
    }
}
