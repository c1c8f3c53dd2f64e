//! Per-subject request limits (R-OIDC1: 500 /userinfo calls per minute per subject).
//! Fixed one-minute windows that start at a subject's first call; the answer to a refused
//! call says how many seconds remain until its window ends (the `Retry-After` value).
//! The count lives in the database (one atomic upsert per call, `Db::count_rate`), so the
//! limit holds across every instance that shares it.
use chrono::{DateTime, Duration, Utc};

pub struct RateLimiter {
    limit: u32,
    window: Duration,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> RateLimiter {
        RateLimiter { limit, window: Duration::minutes(1) }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// The decision for a call that made the window's count `count` (this call included):
    /// `Err(seconds)` until the window ends when it is over the limit.
    pub fn verdict(&self, count: i64, window_start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), i64> {
        if count <= i64::from(self.limit) {
            return Ok(());
        }
        let left = (window_start + self.window - now).num_milliseconds().max(0);
        Err((left + 999) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_501st_call_in_a_minute_is_refused_until_the_window_ends() {
        let l = RateLimiter::per_minute(500);
        let t0 = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(l.verdict(1, t0, t0), Ok(()));
        assert_eq!(l.verdict(500, t0, t0 + Duration::seconds(10)), Ok(()));
        assert_eq!(l.verdict(501, t0, t0 + Duration::seconds(20)), Err(40));
        assert_eq!(l.verdict(9000, t0, t0 + Duration::seconds(59) + Duration::milliseconds(500)), Err(1));
    }
}
