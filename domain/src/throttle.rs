//! Sign-in throttling: after `max_failures` failed attempts for one key (an email address)
//! inside `window`, further attempts are refused until the window that began with the first
//! of those failures has passed. A success clears the record.
use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub window_start: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub max_failures: u32,
    pub window: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { max_failures: 5, window: Duration::minutes(15) }
    }
}

impl Policy {
    /// Whether an attempt may be checked, given the record that already counts it (attempts
    /// are counted before the password is checked, so parallel guesses cannot slip past).
    /// `Err(retry_after)` from the `max_failures + 1`-th attempt of a window on.
    pub fn admit(&self, counted: Failures, now: DateTime<Utc>) -> Result<(), Duration> {
        let until = counted.window_start + self.window;
        if counted.count > self.max_failures && now < until {
            Err(until - now)
        } else {
            Ok(())
        }
    }

    /// The record after one more failure at `now` (the rule the store's atomic counter
    /// implements in SQL).
    pub fn after_failure(&self, record: Option<Failures>, now: DateTime<Utc>) -> Failures {
        match record {
            Some(f) if now < f.window_start + self.window => Failures { count: f.count + 1, ..f },
            _ => Failures { count: 1, window_start: now },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
    }

    #[test]
    fn sixth_attempt_in_a_window_waits_until_it_ends() {
        let p = Policy::default();
        let mut rec = None;
        for i in 0..5 {
            let counted = p.after_failure(rec, t0() + Duration::seconds(i));
            assert!(p.admit(counted, t0() + Duration::seconds(i)).is_ok(), "attempt {i} allowed");
            rec = Some(counted);
        }
        let sixth = p.after_failure(rec, t0() + Duration::minutes(1));
        assert_eq!(p.admit(sixth, t0() + Duration::minutes(1)), Err(Duration::minutes(14)));
        assert_eq!(
            p.admit(sixth, t0() + Duration::minutes(15) - Duration::seconds(1)),
            Err(Duration::seconds(1))
        );
        assert!(p.admit(sixth, t0() + Duration::minutes(15)).is_ok());
    }

    #[test]
    fn counted_attempts_beyond_the_limit_wait_for_the_window() {
        let p = Policy::default();
        let rec = |count| Failures { count, window_start: t0() };
        assert!(p.admit(rec(5), t0() + Duration::minutes(1)).is_ok());
        assert_eq!(p.admit(rec(6), t0() + Duration::minutes(1)), Err(Duration::minutes(14)));
        assert!(p.admit(rec(6), t0() + Duration::minutes(15)).is_ok());
    }

    #[test]
    fn old_failures_start_a_new_window() {
        let p = Policy::default();
        let rec = Some(Failures { count: 4, window_start: t0() });
        let later = t0() + Duration::minutes(20);
        assert_eq!(p.after_failure(rec, later), Failures { count: 1, window_start: later });
        assert_eq!(p.after_failure(rec, t0() + Duration::minutes(1)).count, 5);
    }
}
