//! The REST edge's one error. Every JSON endpoint (OAuth, /userinfo, licensing) refuses with
//! the contract's body `{"error","error_description"}`: `error` is a stable code programs
//! match on (RFC 6749 5.2 and RFC 6750 3.1 names where one fits), `error_description` a
//! sentence for people. Built here only, so the headers that go with a code are never
//! forgotten: `no-store` on every refusal, the HTTP Basic challenge for a failed client
//! authentication, the Bearer challenge for any other 401, `Retry-After` when a limit says
//! when to come back.
//!
//! A failure on our side is logged once, here, with what the endpoint was doing; the answer
//! says only that it failed.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Clone, Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        ApiError { status, code, description: description.into(), retry_after: None }
    }

    /// 400 `invalid_request`: the request is malformed.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 400 `invalid_grant`: a code, refresh token or assertion that cannot be used.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// 400 `invalid_scope`.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// 401 `invalid_client`: the client's id or secret is wrong (one answer for both).
    pub fn invalid_client() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed (unknown client or wrong secret)",
        )
    }

    /// 401 `invalid_token`: the bearer token is missing, malformed, expired or revoked.
    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
    }

    /// 429 `rate_limited`, with the seconds until the limit lets the caller in again.
    pub fn rate_limited(retry_after: u64, description: impl Into<String>) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", description)
        }
    }

    /// 500 `server_error`. `doing` names the endpoint's task for the log; the cause is logged
    /// here and never shown; `description` tells the caller what did not happen.
    pub fn internal(doing: &'static str, cause: impl std::fmt::Display, description: &'static str) -> Self {
        tracing::error!(error = %cause, "{doing} failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", description)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

/// The console's refusals at the REST edge (the provisioning API calls the same services):
/// their status, stable code and sentence. An internal one was logged where it was made.
impl From<app::error::AppError> for ApiError {
    fn from(e: app::error::AppError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = match &e {
            app::error::AppError::Internal { .. } => "server_error",
            other => other.code(),
        };
        ApiError::new(status, code, e.to_string())
    }
}

/// An `ApiError` in the shape of RFC 9457 problem details (`application/problem+json`),
/// for the provisioning API: `type`, `title`, `status`, `detail`, and the stable `code`
/// as an extension member. The headers are those of the JSON shape.
pub struct Problem(pub ApiError);

impl<E: Into<ApiError>> From<E> for Problem {
    fn from(e: E) -> Self {
        Problem(e.into())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let e = self.0;
        let body = json!({
            "type": format!("https://tessera.invalid/problems/{}", e.code),
            "title": e.status.canonical_reason().unwrap_or("Error"),
            "status": e.status.as_u16(),
            "detail": e.description,
            "code": e.code,
        });
        let mut res = e.into_response();
        let status = res.status();
        let headers = std::mem::take(res.headers_mut());
        let mut res = (status, Json(body)).into_response();
        for (name, value) in headers.iter() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                res.headers_mut().insert(name.clone(), value.clone());
            }
        }
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        res
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError { status, code, description, retry_after } = self;
        let challenge = (status == StatusCode::UNAUTHORIZED).then(|| match code {
            "invalid_client" => "Basic realm=\"tessera\"".to_string(),
            _ => format!("Bearer error=\"{code}\", error_description=\"{}\"", description.replace('"', "'")),
        });
        let mut res =
            (status, Json(json!({ "error": code, "error_description": description }))).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            h.insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(seconds) = retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        res
    }
}
