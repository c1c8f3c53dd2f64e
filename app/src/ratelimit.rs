//! Per-subject request limits (R-OIDC1: 500 /userinfo calls per minute per subject).
//! Fixed one-minute windows that start at a subject's first call; the answer to a refused
//! call says how many seconds remain until its window ends (the `Retry-After` value).
//! In-process state: issue 8 moves it where several instances share it.
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    buckets: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> RateLimiter {
        RateLimiter { limit, window: Duration::minutes(1), buckets: Mutex::new(HashMap::new()) }
    }

    /// Counts one call; `Err(seconds)` when over the limit.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), i64> {
        let Ok(mut map) = self.buckets.lock() else { return Ok(()) };
        if map.len() > 100_000 {
            // Forget finished windows so the map does not grow with every subject ever seen.
            let window = self.window;
            map.retain(|_, (start, _)| now - *start < window);
        }
        let entry = map.entry(key.to_string()).or_insert((now, 0));
        if now - entry.0 >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = (entry.0 + self.window - now).num_milliseconds();
            return Err((left + 999) / 1000);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_501st_call_in_a_minute_is_refused_until_the_window_ends() {
        let l = RateLimiter::per_minute(500);
        let t0 = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z").unwrap().with_timezone(&Utc);
        for i in 0..500 {
            assert_eq!(l.check("u1", t0 + Duration::milliseconds(i)), Ok(()));
        }
        assert_eq!(l.check("u1", t0 + Duration::seconds(20)), Err(40));
        assert_eq!(l.check("u2", t0 + Duration::seconds(20)), Ok(()), "subjects are counted apart");
        assert_eq!(l.check("u1", t0 + Duration::seconds(59) + Duration::milliseconds(500)), Err(1));
        assert_eq!(l.check("u1", t0 + Duration::seconds(60)), Ok(()));
    }
}
