//! `POST /licensing/v1/authorize` and `/release` (contract): authenticate the person's
//! three-legged token, parse the body, call `app::licensing`, map the outcome.
use app::domain::licensing::{
    parse_device_id, parse_product_code, AuthorizeRequest, RawAuthorize, RequestError,
};
use app::domain::oauth::AccessClaims;
use app::keys::VerifyError;
use app::licensing::{self, LicensingError};
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::SecondsFormat;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/licensing/v1/authorize", post(authorize))
        .route("/licensing/v1/release", post(release))
}

/// A refusal or failure as the contract's `{"error","error_description"}` JSON.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

fn error(status: StatusCode, code: &'static str, description: &str) -> ApiError {
    ApiError { status, code, description: description.to_string() }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, description) = (self.code, self.description);
        let mut res =
            (self.status, Json(json!({ "error": code, "error_description": description }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = format!("Bearer error=\"{code}\", error_description=\"{description}\"");
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        res
    }
}

fn server_error(e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "licensing failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "The licence could not be checked; try again")
}

/// The person behind a three-legged access token, or the 401/400 answer.
async fn person(st: &AppState, headers: &HeaderMap) -> Result<AccessClaims, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Send the person's access token: Authorization: Bearer <token>",
            )
        })?;
    let now = st.now();
    let claims = match st.keys.verify_access(token, now).await {
        Ok(c) => c,
        Err(VerifyError::Unavailable) => return Err(server_error(&"signing keys unavailable")),
        Err(e) => return Err(error(StatusCode::UNAUTHORIZED, "invalid_token", &e.to_string())),
    };
    if !claims.three_legged() {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Licences are for people: the token was issued to an app, not for a signed-in user",
        ));
    }
    match st.revocations.is_revoked(&claims.jti, now).await {
        Ok(false) => Ok(claims),
        Ok(true) => Err(error(StatusCode::UNAUTHORIZED, "invalid_token", "The token has been revoked")),
        Err(e) => Err(server_error(&e)),
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        error(StatusCode::BAD_REQUEST, "invalid_request", &format!("The body must be a JSON object: {e}"))
    })
}

fn bad_request(e: RequestError) -> ApiError {
    error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string())
}

async fn authorize(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let claims = person(&st, &headers).await?;
    let req = AuthorizeRequest::parse(parse_body::<RawAuthorize>(&body)?).map_err(bad_request)?;
    Ok(
        match licensing::authorize(
            &st.db,
            &st.catalogue,
            &st.keys,
            &st.public_url,
            &claims.sub,
            &req,
            st.now(),
        )
        .await
        {
            Ok(g) => Json(json!({
                "license_type": g.license_type.as_str(),
                "lease": g.lease,
                "offline_until": g.offline_until.to_rfc3339_opts(SecondsFormat::Secs, true),
                "next_check_at": g.next_check_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                "tokens_charged": g.tokens_charged,
            }))
            .into_response(),
            Err(LicensingError::Refused(r)) => {
                error(StatusCode::FORBIDDEN, r.code(), &r.description()).into_response()
            }
            Err(e) => server_error(&e).into_response(),
        },
    )
}

#[derive(serde::Deserialize)]
struct RawRelease {
    product: Option<String>,
    device_id: Option<String>,
}

async fn release(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let claims = person(&st, &headers).await?;
    let raw: RawRelease = parse_body(&body)?;
    let missing = |field| RequestError { field, problem: "is missing".into() };
    let parsed = raw
        .product
        .ok_or_else(|| missing("product"))
        .and_then(|p| parse_product_code(&p))
        .and_then(|p| Ok((p, parse_device_id(&raw.device_id.ok_or_else(|| missing("device_id"))?)?)));
    let (product, device) = parsed.map_err(bad_request)?;
    match licensing::release(&st.db, &st.catalogue, &claims.sub, &product, &device).await {
        Ok(released) => Ok(Json(json!({ "released": released })).into_response()),
        Err(e) => Err(server_error(&e)),
    }
}
