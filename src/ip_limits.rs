//! Per-client-IP limits (tower_governor) in front of the password checks and the token
//! endpoint, and how a client's address is found behind trusted proxies.
use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tower_governor::governor::{GovernorConfigBuilder, SharedRateLimiter};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};
type NoOpMiddleware = governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>;

// Why these defaults:
// - Password checks (sign-in, accepting an invitation as an existing account): a person who
//   mistypes a few times, or a handful of colleagues behind one office NAT signing in at
//   once (sessions last a week, so sign-ins are rare), stays within a burst of 10; after that
//   6 a minute. The per-account throttle (5 failures per 15 minutes) stops guessing one
//   account; this stops one address spraying a common password over many accounts, which
//   that throttle never sees: at most ~360 guesses an hour instead of thousands a second.
// - The token endpoint is machine traffic (product clients refreshing, service accounts'
//   jwt-bearer exchanges), possibly a whole office behind one address starting its products
//   at 9:00: a burst of 300, then 1200 a minute (20 a second). Generous for real clients,
//   but it caps what one address can make us spend on signature and secret checks and
//   makes guessing client secrets pointless.
pub const SIGN_IN_BURST: u32 = 10;
pub const SIGN_IN_PER_MINUTE: u32 = 6;
pub const TOKEN_BURST: u32 = 300;
pub const TOKEN_PER_MINUTE: u32 = 1200;

/// Per-client-IP limits (tower_governor, one token bucket per address, in memory per
/// instance) in front of the password checks (the `sign_in` and `accept_invitation` server
/// functions, one bucket for both: `limit_password_checks`) and `POST /authentication/v2/token`. A rate of 0 turns
/// that limit off (benchmarks). The OAuth authorize page's POST only records consent (the
/// password is checked by the console's sign-in), so it needs no limit of its own.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct IpLimits {
    /// Password checks (sign-in, accepting an invitation) one client address may make at once.
    #[arg(long, env = "TESSERA_SIGN_IN_BURST", default_value_t = SIGN_IN_BURST)]
    pub sign_in_burst: u32,
    /// Password checks per client address per minute after the burst; 0 turns the limit off.
    #[arg(long, env = "TESSERA_SIGN_IN_LIMIT_PER_MINUTE", default_value_t = SIGN_IN_PER_MINUTE)]
    pub sign_in_limit_per_minute: u32,
    /// Token-endpoint calls one client address may make at once.
    #[arg(long, env = "TESSERA_TOKEN_BURST", default_value_t = TOKEN_BURST)]
    pub token_burst: u32,
    /// Token-endpoint calls per client address per minute after the burst; 0 turns it off.
    #[arg(long, env = "TESSERA_TOKEN_LIMIT_PER_MINUTE", default_value_t = TOKEN_PER_MINUTE)]
    pub token_limit_per_minute: u32,
    /// Reverse proxies in front of this server that each append the address they were
    /// reached from to X-Forwarded-For. 0 (the default): the client is the TCP peer and
    /// X-Forwarded-For is ignored (anyone can write it). N: the client is the N-th entry from
    /// the right, the one our outermost trusted proxy wrote.
    #[arg(long, env = "TESSERA_TRUSTED_PROXIES", default_value_t = 0)]
    pub trusted_proxies: u8,
}

impl Default for IpLimits {
    fn default() -> Self {
        IpLimits {
            sign_in_burst: SIGN_IN_BURST,
            sign_in_limit_per_minute: SIGN_IN_PER_MINUTE,
            token_burst: TOKEN_BURST,
            token_limit_per_minute: TOKEN_PER_MINUTE,
            trusted_proxies: 0,
        }
    }
}

/// The layer that limits one group of requests; everything it is applied to (and its clones)
/// shares one bucket per client address.
pub type IpLimitLayer = GovernorLayer<ClientIp, NoOpMiddleware, Body>;

impl IpLimits {
    /// The password-check limit, answering as the server functions answer errors.
    pub fn sign_in_layer(&self) -> Option<IpLimitLayer> {
        self.layer(self.sign_in_burst, self.sign_in_limit_per_minute, password_checks_limited)
    }

    /// The token-endpoint limit, answering in RFC 6749 form.
    pub fn token_layer(&self) -> Option<IpLimitLayer> {
        self.layer(self.token_burst, self.token_limit_per_minute, token_calls_limited)
    }

    fn layer(
        &self,
        burst: u32,
        per_minute: u32,
        refused: fn(GovernorError) -> axum::response::Response,
    ) -> Option<IpLimitLayer> {
        if per_minute == 0 {
            return None;
        }
        // One token back every 60/per_minute seconds (nanosecond resolution keeps odd rates).
        let period = std::time::Duration::from_nanos(60_000_000_000 / u64::from(per_minute));
        let config = GovernorConfigBuilder::default()
            .period(period)
            .burst_size(burst.max(1))
            .key_extractor(ClientIp { trusted_proxies: self.trusted_proxies })
            .finish()?;
        forget_idle_addresses(config.limiter());
        Some(GovernorLayer::new(config).error_handler(refused))
    }
}

/// The buckets are kept per address: drop the full ones now and then so a flood of addresses
/// cannot grow memory for ever. The task ends with the router (tests make many).
fn forget_idle_addresses(limiter: &SharedRateLimiter<IpAddr, NoOpMiddleware>) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
    let limiter = Arc::downgrade(limiter);
    rt.spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(limiter) = limiter.upgrade() else { return };
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    });
}

/// The limit key: the client's address as `trusted_proxies` says to find it; IPv6 clients by
/// their /64 (one subscriber usually gets a whole /64, so per-address keys would be free).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp {
    pub trusted_proxies: u8,
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        // Without the peer address (a server started without connect info) nothing can be
        // limited: refuse loudly rather than lump every client into one bucket.
        let peer = req
            .extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or(GovernorError::UnableToExtractKey)?;
        Ok(limit_key(client_ip(peer, req.headers(), self.trusted_proxies)))
    }
}

/// The client's address: the peer, or with `trusted_proxies` N the N-th X-Forwarded-For entry
/// from the right (entries to its left were written by the client and prove nothing). A
/// request that did not pass through every proxy (too few entries, or an entry that is not an
/// address) counts as coming from its peer.
pub fn client_ip(peer: IpAddr, headers: &axum::http::HeaderMap, trusted_proxies: u8) -> IpAddr {
    if trusted_proxies == 0 {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let n = usize::from(trusted_proxies);
    entries
        .len()
        .checked_sub(n)
        .and_then(|i| entries.get(i))
        .and_then(|e| e.parse::<IpAddr>().ok().or_else(|| e.parse::<SocketAddr>().ok().map(|a| a.ip())))
        .unwrap_or(peer)
}

/// IPv4 (and IPv4-mapped IPv6) addresses as they are; other IPv6 addresses by their /64.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

fn retry_after_secs(e: &GovernorError) -> Option<u64> {
    match e {
        // governor rounds the wait down; never tell a client to retry after 0 seconds.
        GovernorError::TooManyRequests { wait_time, .. } => Some((*wait_time).max(1)),
        _ => None,
    }
}

/// 429 in the form every server function answers errors (`AppError` as JSON), with
/// Retry-After; the console shows its message like the per-account lock-out's.
fn password_checks_limited(e: GovernorError) -> axum::response::Response {
    use axum::http::StatusCode;
    let (status, err) = match retry_after_secs(&e) {
        Some(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            app::error::AppError::RateLimited { retry_after_secs: i64::try_from(secs).unwrap_or(i64::MAX) },
        ),
        None => {
            let reference = app::store::new_id()[24..].to_string();
            tracing::error!(%reference, error = %e, "per-IP limit: no client address");
            (StatusCode::INTERNAL_SERVER_ERROR, app::error::AppError::Internal { reference })
        }
    };
    let mut res = (status, axum::Json(err)).into_response();
    if let Some(secs) = retry_after_secs(&e) {
        tracing::info!(retry_after = secs, "password checks refused: per-IP limit");
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// 429 in RFC 6749 5.2 form (`{"error","error_description"}`), with Retry-After.
fn token_calls_limited(e: GovernorError) -> axum::response::Response {
    use crate::api::error::ApiError;
    let Some(secs) = retry_after_secs(&e) else {
        return ApiError::internal(
            "the token endpoint's limit",
            e,
            "The server could not complete the request; try again",
        )
        .into_response();
    };
    tracing::info!(retry_after = secs, "token calls refused: per-IP limit");
    ApiError::rate_limited(
        secs,
        format!("Too many token requests from this address; retry after {secs} seconds"),
    )
    .into_response()
}

/// The requests that check a password: two server functions and the single sign-on link
/// proof. (leptos_axum registers every server function's route itself, so the limit cannot
/// be a layer on these routes alone.) Public for the tests (tests/api/edge).
#[doc(hidden)]
pub fn checks_a_password(method: &axum::http::Method, path: &str) -> bool {
    use leptos::server_fn::ServerFn as _;
    path == app::server::auth::SignIn::PATH
        || path == app::server::invitations::AcceptInvitation::PATH
        // R-ACC1: a password change checks the current one; a reset request writes email
        // and a reset spends a link: each is something to rate per client address.
        || path == app::server::account::ChangePassword::PATH
        || path == app::server::account::RequestPasswordReset::PATH
        || path == app::server::account::ResetPassword::PATH
        || (method == axum::http::Method::POST && path == "/sso/link")
}

/// Puts the password-check requests through the per-IP limit (one bucket per client address
/// for all of them); everything else passes untouched.
pub async fn limit_password_checks(
    State(limit): State<Arc<IpLimitLayer>>,
    req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tower::{Layer as _, ServiceExt as _};
    if !checks_a_password(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let rest = tower::service_fn(move |req: Request<Body>| {
        let next = next.clone();
        async move { Ok::<_, std::convert::Infallible>(next.run(req).await) }
    });
    match limit.layer(rest).oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}
