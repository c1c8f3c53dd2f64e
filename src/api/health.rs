use app::service::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process answers", body = crate::api::openapi::Status)))]
pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// How long readiness waits for the database: well under a load balancer's probe timeout
/// (the pool's own wait for a connection is ten seconds, made for requests, not probes).
pub const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(500);

/// Readiness: the database answers too, within `READY_WITHIN`.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "The database answers", body = crate::api::openapi::Status),
        (status = 503, description = "The database did not answer within half a second", body = crate::api::openapi::Status)))]
pub async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    let ping = tokio::time::timeout(READY_WITHIN, st.db.ping()).await;
    match ping.map_err(|_| "no answer in time".to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "reason": "database"})))
        }
    }
}
