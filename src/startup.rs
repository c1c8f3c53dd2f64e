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
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info,tower_sessions=warn"));
    use std::io::IsTerminal;
    // Colour only for a person at a terminal: a log file or a collector gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
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
    /// The console's wasm bundle, CSS and public files (`site::Site::locate`).
    pub site: crate::site::Site,
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
        .output_name(cfg.site.output_name())
        .site_root(cfg.site.root.to_string_lossy().as_ref())
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

/// server_fn answers every error with 500, so a wrong password or a missing session looked
/// like a server failure to clients, proxies and the logs. The console's errors are
/// `AppError`s (JSON, with their own status): answer with that status, and `Retry-After`
/// for a limit. Only a real failure stays a 500 (logged once where it was made).
/// (A layer, not the `/api/{*fn_name}` handler: leptos_axum also mounts each server
/// function at its own path; `serverfnerror` marks every server-function error answer.)
async fn honest_status(res: axum::response::Response) -> axum::response::Response {
    use axum::http::StatusCode;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR || !res.headers().contains_key("serverfnerror") {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // An error document is a few hundred bytes; anything larger is not one of ours.
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if let Ok(e) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let app::error::AppError::Throttled { retry_after_secs }
        | app::error::AppError::RateLimited { retry_after_secs } = e
        {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
        }
        crate::metrics::console_error(e.code(), parts.status.as_u16());
    }
    axum::response::Response::from_parts(parts, Body::from(bytes))
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
        .route("/metrics", get(crate::metrics::render))
        .merge(crate::api::oauth::routes(cfg.ip_limits.token_layer()))
        .merge(crate::api::consent::routes())
        .merge(crate::api::sso::routes())
        .merge(crate::api::licensing::routes())
        .merge(crate::api::provisioning::routes())
        .merge(crate::api::scim::routes())
        .merge(crate::api::openapi::routes())
        .merge(crate::api::usage::routes())
        .merge(crate::api::people::routes())
        .merge(site_routes(&cfg.site))
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
        .layer(axum::middleware::from_fn_with_state(PAGE_RENDER_WITHIN, page_watchdog))
        .layer(sessions);
    if let Some(limit) = cfg.ip_limits.sign_in_layer() {
        // Outside the session layer: a refused guess never touches a session.
        router = router.layer(axum::middleware::from_fn_with_state(
            Arc::new(limit),
            crate::ip_limits::limit_password_checks,
        ));
    }
    crate::metrics::handle();
    router
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, no_store_for_documents))
        .layer(axum::middleware::map_response(location_means_redirect))
        .layer(axum::middleware::map_response(honest_status))
        // Outside the session layer: a refused cross-site request never touches a session.
        .layer(axum::middleware::from_fn_with_state(security, crate::security::guard))
        // Per route (Router::layer runs after routing), so the route pattern is known; inside
        // the request's span, so its log line carries the request id.
        .layer(axum::middleware::from_fn(crate::metrics::track))
        // Outermost: every answer, a refusal by the layers above included, carries the id.
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::middleware::from_fn(drop_unfit_request_id))
                .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), NewRequestId))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        // The one line per request is `metrics::track`'s; failures (5xx) are
                        // still logged here at ERROR.
                        .on_request(())
                        .on_response(()),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone())),
        )
        .with_state(state)
}

static REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

/// A new request id when the request brings none (a UUIDv7: sortable by time).
#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&app::store::new_id()).ok().map(RequestId::new)
    }
}

/// A proxy's `x-request-id` is kept, so one id follows the request across services; one
/// that is long or not plain text is replaced rather than copied into every log line.
async fn drop_unfit_request_id(
    mut req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let fit = req.headers().get(&REQUEST_ID).is_some_and(|v| {
        v.len() <= 128 && v.as_bytes().iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(b))
    });
    if !fit {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

/// The span every log line of a request is written in: its id, method and path.
fn request_span<B>(req: &Request<B>) -> tracing::Span {
    let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
}

/// How long a console page may take to render before it is rendered again. Pages render in
/// milliseconds to a second (the largest usage views: bench/RESULTS.md).
pub const PAGE_RENDER_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// A watchdog around server-rendered pages. Now and then, with many requests at once, a
/// page's render never finishes: a Suspense's resource is never woken again (leptos-rs/
/// leptos#4647 and #4578 describe the same stall; leptos 0.8.23 still has it), and the
/// browser waited until its own timeout. A page is a GET that changes nothing, so a render
/// that overruns `PAGE_RENDER_WITHIN` is dropped and done once more; each retry is logged
/// and counted (`ssr_render_retries_total`), so how often it happens stays visible.
pub async fn page_watchdog(
    State(within): State<std::time::Duration>,
    req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::extract::MatchedPath;
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_default();
    let page = req.method() == axum::http::Method::GET
        && (route == "/" || route == "/sign-in" || route.starts_with("/invite/") || route.starts_with("/t/"))
        && !route.ends_with(".csv");
    if !page {
        return next.run(req).await;
    }
    let (parts, _) = req.into_parts();
    let first = Request::from_parts(parts.clone(), Body::empty());
    match tokio::time::timeout(within, next.clone().run(first)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(%route, "page render stalled; rendering it again");
            metrics::counter!("ssr_render_retries_total").increment(1);
            next.run(Request::from_parts(parts, Body::empty())).await
        }
    }
}

/// The bundle under `/pkg/` and each public file at the root, from memory (`site`).
fn site_routes<S: Clone + Send + Sync + 'static>(site: &crate::site::Site) -> Router<S> {
    let mut r = Router::new().route("/pkg/{*file}", get(crate::site::serve));
    for name in crate::site::top_level_files(site) {
        let path = format!("/{name}");
        r = r.route(
            &path,
            get(move |State(site): State<crate::site::Site>, headers: axum::http::HeaderMap| async move {
                crate::site::serve_file(&site, &name, &headers)
            }),
        );
    }
    r.with_state(site.clone())
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
            if let Err(e) = app::store::idempotency::forget_before(&store.db().pool, chrono::Utc::now()).await
            {
                tracing::warn!(error = %e, "idempotency key sweep failed");
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
