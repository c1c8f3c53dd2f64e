//! Server-side state shared by pages, server functions and REST handlers.
use crate::domain::throttle::Policy;
use crate::store::Db;
use chrono::{DateTime, Duration, Utc};
use leptos::config::LeptosOptions;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

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
/// normally) while a test jumps days ahead.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset_ms: AtomicI64,
}

impl ShiftedClock {
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
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
    pub keys: Arc<crate::keys::KeySet>,
    /// R-OIDC1's 500 calls per minute per subject.
    pub userinfo_limit: Arc<crate::ratelimit::RateLimiter>,
    /// The product catalogue as the licensing API reads it (cached).
    pub catalogue: Arc<crate::licensing::Catalogue>,
    /// Revoked access tokens (cached).
    pub revocations: Arc<crate::identity::Revocations>,
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
