//! Building the HTTP application: state, sessions, console routes, server functions, APIs.
use crate::api::health::{healthz, readyz};
use crate::session_store::DbSessionStore;
use app::service::state::{AppState, Clock};
use app::store::Db;
use app::{shell, App};
use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // Logs go to stderr so JSON-printing commands keep stdout clean.
    let _ = if std::env::var("TESSERA_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[derive(Clone, Debug)]
pub struct WebConfig {
    pub addr: SocketAddr,
    /// Where `cargo leptos build` wrote the wasm bundle, CSS and public files.
    pub site_root: String,
    /// Cookies get the Secure flag when the console is served over https.
    pub secure_cookies: bool,
    /// The URL people reach the console at (links in emails).
    pub public_url: String,
    /// R-OIDC1 says 500; benchmarks lift it (TESSERA_USERINFO_LIMIT_PER_MINUTE).
    pub userinfo_limit_per_minute: u32,
    /// Per-client-IP limits on password checks and the token endpoint.
    pub ip_limits: crate::ip_limits::IpLimits,
}

pub fn leptos_options(cfg: &WebConfig) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("tessera")
        .site_root(cfg.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(cfg.addr)
        .build()
}

pub fn app_state(db: Db, clock: Arc<dyn Clock>, cfg: &WebConfig) -> AppState {
    AppState {
        db: db.clone(),
        clock,
        leptos_options: leptos_options(cfg),
        throttle: Default::default(),
        public_url: cfg.public_url.trim_end_matches('/').to_string(),
        keys: Arc::new(app::service::keys::KeySet::new(db.clone())),
        userinfo_limit: Arc::new(app::service::ratelimit::RateLimiter::per_minute(
            cfg.userinfo_limit_per_minute,
        )),
        catalogue: Arc::new(app::service::products::ProductCache::new(db.clone())),
        revocations: Arc::new(app::service::identity::Revocations::new(db.clone())),
    }
}

async fn server_fn_handler(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.clone()), req).await
}

pub fn router(state: AppState, cfg: &WebConfig) -> Router {
    let routes = generate_route_list(App);
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name("tessera_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(cfg.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(7)));
    let ctx_state = state.clone();
    let options = state.leptos_options.clone();
    let security = Arc::new(crate::security::SecurityConfig::new(&cfg.public_url, cfg.secure_cookies));
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::api::oauth::routes(cfg.ip_limits.token_layer()))
        .merge(crate::api::consent::routes())
        .merge(crate::api::sso::routes())
        .merge(crate::api::licensing::routes())
        .merge(crate::api::usage::routes())
        .route(
            "/api/{*fn_name}",
            get(server_fn_handler)
                .post(server_fn_handler)
                // The console's CSV import sends the file in one request (axum's default is 2 MB).
                .layer(axum::extract::DefaultBodyLimit::max(
                    app::server::import::MAX_UPLOAD_BYTES + 1024 * 1024,
                )),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(ctx_state.clone());
                crate::security::provide_request_nonce();
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            crate::security::provide_request_nonce,
            shell,
        ))
        .layer(sessions);
    if let Some(limit) = cfg.ip_limits.sign_in_layer() {
        // Outside the session layer: a refused guess never touches a session.
        router = router.layer(axum::middleware::from_fn_with_state(
            Arc::new(limit),
            crate::ip_limits::limit_password_checks,
        ));
    }
    router
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, no_store_for_documents))
        .layer(axum::middleware::map_response(location_means_redirect))
        // Outside the session layer: a refused cross-site request never touches a session.
        .layer(axum::middleware::from_fn_with_state(security, crate::security::guard))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Pages and server-function answers carry one person's data (and 404/410 answers are
/// heuristically cacheable): browsers must not keep them. Static assets stay cacheable.
fn no_store_for_documents(res: &axum::response::Response) -> Option<HeaderValue> {
    let ct = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    (ct.starts_with("text/html") || ct.starts_with("application/json"))
        .then(|| HeaderValue::from_static("no-store"))
}

/// Leptos' `<Redirect/>` in a server render sets `Location` but leaves the status at 200, so
/// a browser without JavaScript stayed on an empty page. A page that names a location is a
/// redirect. (Server-function answers keep their 200: the browser build follows those.)
async fn location_means_redirect(mut res: axum::response::Response) -> axum::response::Response {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if html && res.status() == axum::http::StatusCode::OK && res.headers().contains_key(header::LOCATION) {
        *res.status_mut() = axum::http::StatusCode::FOUND;
    }
    res
}

/// Removes expired sessions and finished rate windows now and then; both are ignored on
/// load anyway.
pub fn spawn_session_sweeper(db: Db) {
    tokio::spawn(async move {
        let store = DbSessionStore::new(db);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match store.delete_expired().await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session sweep failed"),
            }
            // Rate windows are per subject and end after a minute; an hour's margin keeps the
            // sweep away from windows still counting on a server whose clock runs behind.
            let before = chrono::Utc::now() - chrono::Duration::hours(1);
            if let Err(e) = store.db().forget_rate_windows(before).await {
                tracing::warn!(error = %e, "rate window sweep failed");
            }
            // Mailed single sign-on link requests live 30 minutes; the same margin.
            if let Err(e) = store.db().forget_sso_link_requests(before).await {
                tracing::warn!(error = %e, "sso link request sweep failed");
            }
        }
    });
}

#[derive(serde::Deserialize)]
struct Advance {
    advance_seconds: i64,
}

/// Only mounted with `serve --test-clock`: lets browser tests jump days ahead.
pub fn test_clock_routes(clock: Arc<app::service::state::ShiftedClock>) -> Router {
    use app::service::state::Clock as _;
    Router::new()
        .route(
            "/testing/clock",
            axum::routing::post(
                |State(clock): State<Arc<app::service::state::ShiftedClock>>,
                 axum::Form(a): axum::Form<Advance>| async move {
                    clock.advance(chrono::Duration::seconds(a.advance_seconds));
                    axum::Json(serde_json::json!({ "now": app::store::ts(clock.now()) }))
                },
            ),
        )
        .with_state(clock)
}
