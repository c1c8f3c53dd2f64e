//! `POST /licensing/v1/authorize` and `/release` (contract): authenticate the person's
//! three-legged token, parse the body, call `app::service::licensing`, map the outcome.
use crate::api::error::ApiError;
use crate::api::extract::Person;
use app::domain::licensing::{
    parse_device_id, parse_product_code, AuthorizeRequest, RawAuthorize, RequestError,
};
use app::service::licensing::{self, LicensingError};
use app::service::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/licensing/v1/authorize", post(authorize))
        .route("/licensing/v1/release", post(release))
}

fn server_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal("licensing", e, "The licence could not be checked; try again")
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_request(format!("The body must be a JSON object: {e}")))
}

fn bad_request(e: RequestError) -> ApiError {
    ApiError::invalid_request(e.to_string())
}

#[utoipa::path(post, path = "/licensing/v1/authorize", tag = "licensing", security(("bearer" = [])),
    request_body = crate::api::openapi::AuthorizeBody,
    responses((status = 200, description = "Licensed: a lease to keep until the next check", body = app::service::licensing::Granted),
        (status = 400, description = "invalid_request, naming the field", body = crate::api::openapi::OAuthErrorDoc),
        (status = 401, description = "invalid_token", body = crate::api::openapi::OAuthErrorDoc),
        (status = 403, description = "not_entitled, insufficient_tokens, device_limit or session_active_elsewhere", body = crate::api::openapi::OAuthErrorDoc)))]
async fn authorize(
    State(st): State<AppState>,
    Person(claims): Person,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = AuthorizeRequest::parse(parse_body::<RawAuthorize>(&body)?).map_err(bad_request)?;
    let outcome = licensing::authorize(&st, &claims.sub, &req).await;
    let result = match &outcome {
        Ok(granted) => {
            metrics::counter!("flex_tokens_charged_total").increment(granted.tokens_charged.max(0) as u64);
            granted.license_type.as_str()
        }
        Err(LicensingError::Refused(r)) => r.code(),
        Err(_) => "error",
    };
    metrics::counter!("licensing_authorizations_total", "result" => result).increment(1);
    match outcome {
        Ok(granted) => Ok(Json(granted).into_response()),
        Err(LicensingError::Refused(r)) => {
            Err(ApiError::new(StatusCode::FORBIDDEN, r.code(), r.description()))
        }
        Err(e) => Err(server_error(e)),
    }
}

#[derive(serde::Deserialize)]
struct RawRelease {
    product: Option<String>,
    device_id: Option<String>,
}

#[utoipa::path(post, path = "/licensing/v1/release", tag = "licensing", security(("bearer" = [])),
    request_body = crate::api::openapi::ReleaseBody,
    responses((status = 200, description = "Whether a session was ended", body = crate::api::openapi::Released),
        (status = 400, description = "invalid_request", body = crate::api::openapi::OAuthErrorDoc),
        (status = 401, description = "invalid_token", body = crate::api::openapi::OAuthErrorDoc)))]
async fn release(
    State(st): State<AppState>,
    Person(claims): Person,
    body: Bytes,
) -> Result<Response, ApiError> {
    let raw: RawRelease = parse_body(&body)?;
    let missing = |field| RequestError { field, problem: "is missing".into() };
    let parsed = raw
        .product
        .ok_or_else(|| missing("product"))
        .and_then(|p| parse_product_code(&p))
        .and_then(|p| Ok((p, parse_device_id(&raw.device_id.ok_or_else(|| missing("device_id"))?)?)));
    let (product, device) = parsed.map_err(bad_request)?;
    match licensing::release(&st, &claims.sub, &product, &device).await {
        Ok(released) => Ok(Json(json!({ "released": released })).into_response()),
        Err(e) => Err(server_error(e)),
    }
}
