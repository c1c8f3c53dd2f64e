//! Who is calling, as axum extractors, so a handler names the identity it needs in its
//! signature and never reads a header or the session itself:
//! - [`Bearer`]: the `Authorization: Bearer` token (as `Option<Bearer>` where a missing one
//!   has its own answer);
//! - [`Person`]: a person's (or a service account's) three-legged access token, verified,
//!   not revoked;
//! - [`Console`]: the account signed in to the console (session cookie), as
//!   `Option<Console>` where being signed out leads somewhere else;
//! - [`TeamAdmin`]: a signed-in active admin of the `{team}` in the path.
use crate::api::error::ApiError;
use app::domain::oauth::AccessClaims;
use app::domain::TeamId;
use app::error::AppError;
use app::service::keys::VerifyError;
use app::service::state::AppState;
use app::store::accounts::Account;
use app::store::teams::Membership;
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use tower_sessions::Session;

/// The token of an `Authorization: Bearer <token>` header.
pub struct Bearer(pub String);

impl Bearer {
    fn from_parts(parts: &Parts) -> Option<Bearer> {
        let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let token = value.strip_prefix("Bearer ")?.trim();
        (!token.is_empty()).then(|| Bearer(token.to_string()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Bearer::from_parts(parts).ok_or_else(|| {
            ApiError::invalid_token("Send the person's access token: Authorization: Bearer <token>")
        })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Bearer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(Bearer::from_parts(parts))
    }
}

/// The claims of a three-legged access token: signed by one of our keys, unexpired, issued
/// for a person or a service account (not to an app for itself), and not revoked.
pub struct Person(pub AccessClaims);

impl Person {
    pub async fn verify(st: &AppState, token: &str) -> Result<Person, ApiError> {
        let now = st.now();
        let claims = match st.keys.verify_access(token, now).await {
            Ok(c) => c,
            Err(VerifyError::Unavailable) => {
                return Err(ApiError::internal(
                    "checking a token",
                    "signing keys unavailable",
                    "The token could not be checked; try again",
                ))
            }
            Err(e) => return Err(ApiError::invalid_token(e.to_string())),
        };
        if !claims.three_legged() {
            return Err(ApiError::invalid_token(
                "The token is not a three-legged token: it was issued to an app, not for a signed-in user",
            ));
        }
        match st.revocations.is_revoked(&claims.jti, now).await {
            Ok(false) => Ok(Person(claims)),
            Ok(true) => Err(ApiError::invalid_token("The token has been revoked")),
            Err(e) => {
                Err(ApiError::internal("checking a token", e, "The token could not be checked; try again"))
            }
        }
    }
}

impl FromRequestParts<AppState> for Person {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let Bearer(token) = <Bearer as FromRequestParts<AppState>>::from_request_parts(parts, st).await?;
        Person::verify(st, &token).await
    }
}

/// A refusal on a console address outside the Leptos app (a download link): a sentence
/// for the person, as plain text.
pub struct ConsoleRefusal(pub StatusCode, pub String);

impl ConsoleRefusal {
    pub fn internal(doing: &'static str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{doing} failed");
        ConsoleRefusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Try again.".into(),
        )
    }
}

/// The console's refusals (not a member, admins only, …) with their status and sentence;
/// an internal one has been logged already, with the reference its sentence shows.
impl From<AppError> for ConsoleRefusal {
    fn from(e: AppError) -> Self {
        ConsoleRefusal(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.to_string(),
        )
    }
}

impl IntoResponse for ConsoleRefusal {
    fn into_response(self) -> Response {
        (self.0, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{}\n", self.1))
            .into_response()
    }
}

/// The account signed in to the console.
pub struct Console(pub Account);

impl OptionalFromRequestParts<AppState> for Console {
    type Rejection = ConsoleRefusal;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Option<Self>, ConsoleRefusal> {
        let session = <Session as FromRequestParts<AppState>>::from_request_parts(parts, st)
            .await
            .map_err(|(_, e)| ConsoleRefusal::internal("reading the session", e))?;
        let account = app::server::ssr::session_account(st, &session).await?;
        Ok(account.map(Console))
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = ConsoleRefusal;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ConsoleRefusal> {
        <Console as OptionalFromRequestParts<AppState>>::from_request_parts(parts, st).await?.ok_or_else(
            || {
                ConsoleRefusal(
                    StatusCode::UNAUTHORIZED,
                    "Please sign in to the console, then try again.".into(),
                )
            },
        )
    }
}

/// A signed-in, active admin of the team the path's `{team}` names.
pub struct TeamAdmin {
    pub account: Account,
    pub team: TeamId,
    pub membership: Membership,
}

impl FromRequestParts<AppState> for TeamAdmin {
    type Rejection = ConsoleRefusal;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ConsoleRefusal> {
        let Console(account) = <Console as FromRequestParts<AppState>>::from_request_parts(parts, st).await?;
        let Path(params) =
            <Path<HashMap<String, String>> as FromRequestParts<AppState>>::from_request_parts(parts, st)
                .await
                .map_err(|e| ConsoleRefusal::internal("reading the path", e))?;
        // A malformed id cannot name a team the caller belongs to: the same answer as another team's.
        let team = params.get("team").and_then(|t| TeamId::parse(t).ok()).ok_or(AppError::NotAMember)?;
        let membership = app::service::admin_membership(&st.db, &team, &account.id).await?;
        Ok(TeamAdmin { account, team, membership })
    }
}

/// An operator app calling the provisioning API (R-VND1): the bearer token is an access
/// token issued to the app itself (client credentials), unexpired, not revoked, and the
/// app is still an operator app (`app create --operator`); a deleted app's tokens stop
/// working at once.
pub struct Operator {
    pub client_id: String,
    /// How the teams' audit logs name it.
    pub label: String,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let Bearer(token) = Bearer::from_parts(parts).ok_or_else(|| {
            ApiError::invalid_token(
                "Send an operator app's access token (client credentials): Authorization: Bearer <token>",
            )
        })?;
        let now = st.now();
        let failed = |e: &dyn std::fmt::Display| {
            ApiError::internal("checking a token", e, "The token could not be checked; try again")
        };
        let claims = match st.keys.verify_access(&token, now).await {
            Ok(c) => c,
            Err(VerifyError::Unavailable) => return Err(failed(&"signing keys unavailable")),
            Err(e) => return Err(ApiError::invalid_token(e.to_string())),
        };
        if claims.three_legged() {
            return Err(ApiError::invalid_token(
                "The token was issued for a person; the provisioning API takes an operator app's own token (grant_type=client_credentials)",
            ));
        }
        if st.revocations.is_revoked(&claims.jti, now).await.map_err(|e| failed(&e))? {
            return Err(ApiError::invalid_token("The token has been revoked"));
        }
        let app = st.db.client(&claims.client_id).await.map_err(|e| failed(&e))?;
        let operator = app::store::identity::is_operator(&st.db.pool, &claims.client_id)
            .await
            .map_err(|e| failed(&e))?;
        match app {
            Some(app) if operator => {
                Ok(Operator { label: format!("operator app {} ({})", app.name, app.id), client_id: app.id })
            }
            Some(_) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "This app is not an operator app; only apps created with `tessera app create --operator` may provision",
            )),
            None => Err(ApiError::invalid_token("The app this token was issued to no longer exists")),
        }
    }
}
