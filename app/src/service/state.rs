//! Server-side state shared by pages, server functions and REST handlers.
use crate::domain::throttle::Policy;
use crate::store::Db;
use chrono::{DateTime, Duration, Utc};
use leptos::config::LeptosOptions;
use std::sync::{Arc, Mutex};

/// Every rule with a duration reads time from here, so tests can move it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time shifted by an adjustable offset: time keeps flowing (sessions, timeouts behave
/// normally) while a test jumps days ahead. A test can also hold it still at one instant,
/// so that what the server stamps (a lease's end, to the second) is exactly what a
/// separate process told that instant computes from it.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    state: Mutex<Shift>,
}

#[derive(Debug, Default)]
struct Shift {
    offset: Duration,
    held: Option<DateTime<Utc>>,
}

impl ShiftedClock {
    fn shift(&self) -> std::sync::MutexGuard<'_, Shift> {
        // Two plain fields: a panic elsewhere cannot leave them half-written.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn advance(&self, by: Duration) {
        let mut s = self.shift();
        match &mut s.held {
            Some(at) => *at += by,
            None => s.offset += by,
        }
    }

    /// Stops time at `at` until `resume`.
    pub fn hold_at(&self, at: DateTime<Utc>) {
        self.shift().held = Some(at);
    }

    /// Time flows again, on from where it was held.
    pub fn resume(&self) {
        let mut s = self.shift();
        if let Some(at) = s.held.take() {
            s.offset = at - Utc::now();
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        let s = self.shift();
        s.held.unwrap_or_else(|| Utc::now() + s.offset)
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub leptos_options: LeptosOptions,
    pub throttle: Policy,
    /// The URL people reach the console at; links in emails start with it.
    pub public_url: String,
    /// Signs access tokens, id tokens and licence leases; published as the JWKS.
    pub keys: Arc<crate::service::keys::KeySet>,
    /// R-OIDC1's 500 calls per minute per subject.
    pub userinfo_limit: Arc<crate::service::ratelimit::RateLimiter>,
    /// The product catalogue as the licensing API reads it (cached).
    pub catalogue: Arc<crate::service::products::ProductCache>,
    /// Revoked access tokens (cached).
    pub revocations: Arc<crate::service::identity::Revocations>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The token endpoint's public URL: what JWT-bearer assertions must name in `aud`.
    pub fn token_endpoint(&self) -> String {
        format!("{}/authentication/v2/token", self.public_url)
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_clock_stands_still_moves_only_when_advanced_and_flows_on_from_there() {
        let clock = ShiftedClock::default();
        let at = Utc::now() + Duration::days(3);
        clock.hold_at(at);
        assert_eq!(clock.now(), at);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), at, "held: no time passes");
        clock.advance(Duration::hours(1));
        assert_eq!(clock.now(), at + Duration::hours(1));
        clock.resume();
        let flowing = clock.now();
        assert!(
            flowing >= at + Duration::hours(1) && flowing < at + Duration::hours(1) + Duration::seconds(5)
        );
    }
}
