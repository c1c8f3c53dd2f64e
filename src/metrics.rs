//! `GET /metrics` (R-OPS1) in the Prometheus text format, and the one log line per request.
//!
//! Counters and histograms go through the `metrics` facade (the services record theirs:
//! authorizations by result, Flex tokens charged, /userinfo limits, sign-in lockouts); the
//! recorder is process-wide and installed once, so several routers in one process (the
//! tests) share it and each serves it. Labels are bounded: the matched route pattern (never
//! the raw path), the method among the standard ones, the status code.
//! Figures that live in the database (the outbox, the signing keys) are read when scraped.
use app::service::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets, in seconds: from a cached authorization to a slow page.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS) {
            Ok(b) => b,
            // Only an empty bucket list is refused; ours is not. Summaries then.
            Err(_) => PrometheusBuilder::new(),
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed before ours; /metrics will be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!("http_requests_total", "HTTP requests answered, by method, matched route and status");
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer, by method, matched route and status"
    );
    describe_counter!(
        "console_errors_total",
        "Console (server function) refusals and failures, by code and status"
    );
    describe_counter!(
        "licensing_authorizations_total",
        "Licensing checks, by result (a licence type or a refusal code)"
    );
    describe_counter!("flex_tokens_charged_total", "Flex tokens charged by licensing checks");
    describe_counter!("userinfo_rate_limited_total", "/userinfo calls refused by the per-subject limit");
    describe_counter!(
        "sign_in_lockouts_total",
        "Sign-ins refused because the address is locked after failures"
    );
    describe_counter!(
        "ssr_render_retries_total",
        "Console pages rendered again after a stalled render (startup::page_watchdog)"
    );
    describe_gauge!("outbox_backlog", "Email messages waiting to be delivered (due or retrying)");
    describe_gauge!("outbox_retrying", "Email messages waiting after at least one failed attempt");
    describe_gauge!("outbox_undeliverable", "Email messages given up as undeliverable");
    describe_gauge!("signing_key_age_seconds", Unit::Seconds, "Age of the newest token signing key");
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts and times every request by its matched route, and writes the request's one INFO
/// line (inside the request's span, so it carries the request id).
pub async fn track(req: Request, next: Next) -> Response {
    let method = method_label(req.method());
    // Static files and unknown paths have no route pattern: one label for all of them.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(fallback)".to_string(), |p| p.as_str().to_string());
    let start = Instant::now();
    let res = next.run(req).await;
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let labels = [("method", method.to_string()), ("route", route.clone()), ("status", status.to_string())];
    counter!("http_requests_total", &labels).increment(1);
    histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    tracing::info!(method, route, status, latency_ms = elapsed.as_secs_f64() * 1000.0, "request");
    res
}

/// A console error answered with its own status (see `startup::honest_status`).
pub fn console_error(code: &'static str, status: u16) {
    counter!("console_errors_total", "code" => code, "status" => status.to_string()).increment(1);
}

/// `GET /metrics`: the counters, and the database's figures read now.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn render(State(st): State<AppState>) -> Response {
    let handle = handle();
    match st.db.outbox_figures().await {
        Ok((waiting, failed, retrying)) => {
            gauge!("outbox_backlog").set(waiting as f64);
            gauge!("outbox_undeliverable").set(failed as f64);
            gauge!("outbox_retrying").set(retrying as f64);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: outbox figures unavailable"),
    }
    match st.db.newest_signing_key_at().await {
        Ok(Some(at)) => {
            gauge!("signing_key_age_seconds").set((st.now() - at).num_milliseconds() as f64 / 1000.0)
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "metrics: signing key age unavailable"),
    }
    handle.run_upkeep();
    let mut res = (StatusCode::OK, handle.render()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    res
}
