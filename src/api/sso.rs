//! R-SSO1: members of a team with single sign-on sign in through the company's OpenID
//! Connect provider. Tessera is the relying party: discovery, authorization code with PKCE
//! (the oauth2 crate), `state` and `nonce` checked, the id_token's signature verified
//! against the provider's published keys, then `iss`, `aud`, `exp` and `nonce`.
use crate::api::authorize::{esc, page};
use app::domain::Email;
use app::server::ssr::SESSION_USER;
use app::state::AppState;
use app::store::identity::SsoConfig;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tower_sessions::Session;

const PENDING_KEY: &str = "sso_pending";

pub fn routes() -> Router<AppState> {
    Router::new().route("/sso", get(ask_email).post(start)).route("/sso/callback", get(callback))
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct IdTokenField {
    id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenField {}

type OidcClient = oauth2::Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenField, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// What the callback needs to finish the sign-in started in this browser session.
#[derive(Debug, Deserialize, Serialize)]
struct Pending {
    team_id: String,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
}

fn fail(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>Single sign-on did not work</h1><p class=\"form-error\" role=\"alert\">{}</p>\
         <p><a href=\"/sign-in\">Back to sign-in</a></p>",
        esc(message)
    );
    (status, Html(page("Single sign-on", &body))).into_response()
}

/// A refusal before anything was done: status and message, rendered by `fail`.
struct Failure(StatusCode, &'static str);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        fail(self.0, self.1)
    }
}

fn http() -> Result<reqwest::Client, Failure> {
    reqwest::Client::builder()
        // OAuth 2.0 Security BCP: the token request must not follow redirects.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|_| Failure(StatusCode::INTERNAL_SERVER_ERROR, "Tessera could not prepare the request."))
}

async fn discover(http: &reqwest::Client, cfg: &SsoConfig) -> Result<Discovery, Failure> {
    let unreachable = || {
        Failure(StatusCode::BAD_GATEWAY, "Your company's sign-in service could not be reached. Try again in a moment, or sign in with your password.")
    };
    let url = format!("{}/.well-known/openid-configuration", cfg.issuer);
    let d: Discovery =
        http.get(&url).send().await.map_err(|_| unreachable())?.json().await.map_err(|_| unreachable())?;
    if d.issuer.trim_end_matches('/') != cfg.issuer {
        return Err(Failure(StatusCode::BAD_GATEWAY, "The sign-in service names a different issuer than the one configured; ask your admin to check the setting."));
    }
    Ok(d)
}

fn client(cfg: &SsoConfig, d: &Discovery, callback: &str) -> Result<OidcClient, Failure> {
    let bad =
        |_| Failure(StatusCode::BAD_GATEWAY, "The sign-in service published an address Tessera cannot use.");
    Ok(oauth2::Client::new(ClientId::new(cfg.client_id.clone()))
        .set_client_secret(ClientSecret::new(cfg.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(d.authorization_endpoint.clone()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(d.token_endpoint.clone()).map_err(bad)?)
        .set_redirect_uri(RedirectUrl::new(callback.to_string()).map_err(bad)?))
}

/// The team's provider, discovered afresh (its endpoints may move), and a client for it.
async fn provider(
    st: &AppState,
    cfg: &SsoConfig,
) -> Result<(reqwest::Client, Discovery, OidcClient), Failure> {
    let http = http()?;
    let d = discover(&http, cfg).await?;
    let oidc = client(cfg, &d, &format!("{}/sso/callback", st.public_url))?;
    Ok((http, d, oidc))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn email_form(next: &str, error: Option<&str>) -> String {
    let err =
        error.map(|e| format!("<p class=\"form-error\" role=\"alert\">{}</p>", esc(e))).unwrap_or_default();
    format!(
        "<h1>Sign in with single sign-on</h1><p class=\"lede\">Enter your work email; Tessera sends you to your company's sign-in page.</p>\
         <form method=\"post\" action=\"/sso\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
         <div class=\"field\"><label for=\"email\">Work email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required autofocus></div>{err}\
         <button type=\"submit\" class=\"button primary wide\">Continue</button></form>\
         <p><a href=\"/sign-in\">Sign in with a password instead</a></p>",
        esc(next)
    )
}

async fn ask_email(Query(q): Query<NextQuery>) -> Response {
    Html(page("Single sign-on", &email_form(q.next.as_deref().unwrap_or("/"), None))).into_response()
}

async fn start(State(st): State<AppState>, session: Session, body: Bytes) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let next = app::server::auth::safe_next(form.get("next").map(String::as_str));
    let again = |msg: &str| {
        (StatusCode::BAD_REQUEST, Html(page("Single sign-on", &email_form(&next, Some(msg))))).into_response()
    };
    let Ok(email) = Email::parse(form.get("email").map(String::as_str).unwrap_or_default()) else {
        return again("Enter a valid email address, like name@company.com.");
    };
    let configs = match st.db.account_by_email(&email).await {
        Ok(Some(acc)) => st.db.sso_configs_of(&acc.id).await.unwrap_or_default(),
        Ok(None) => vec![],
        Err(e) => {
            tracing::error!(error = %e, "sso start");
            return fail(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Try again.");
        }
    };
    let Some(cfg) = configs.into_iter().next() else {
        return again("Single sign-on is not set up for this address. Sign in with your password instead.");
    };
    let (_, _, oidc) = match provider(&st, &cfg).await {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let (url, state) = oidc
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_extra_param("nonce", nonce.secret())
        .add_extra_param("login_hint", email.as_str())
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        team_id: cfg.team_id.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        next,
    };
    if session.insert(PENDING_KEY, &pending).await.is_err() {
        return fail(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Try again.");
    }
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct IdClaims {
    iss: String,
    aud: serde_json::Value,
    exp: i64,
    nonce: Option<String>,
    email: Option<String>,
}

async fn callback(State(st): State<AppState>, session: Session, Query(q): Query<CallbackQuery>) -> Response {
    // Taken out of the session whatever happens next: a state value works once.
    let pending: Option<Pending> = session.remove(PENDING_KEY).await.ok().flatten();
    let Some(pending) = pending else {
        return fail(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started here, or it was already finished. Start again.",
        );
    };
    if q.state.as_deref() != Some(pending.state.as_str()) {
        return fail(
            StatusCode::BAD_REQUEST,
            "The answer from the sign-in service does not match this sign-in (state). Start again.",
        );
    }
    if let Some(e) = q.error {
        let msg = format!("Your company's sign-in service said: {}", q.error_description.unwrap_or(e));
        return fail(StatusCode::FORBIDDEN, &msg);
    }
    let Some(code) = q.code else {
        return fail(StatusCode::BAD_REQUEST, "The sign-in service sent no code.");
    };
    let team = match app::domain::TeamId::parse(&pending.team_id) {
        Ok(t) => t,
        Err(_) => return fail(StatusCode::BAD_REQUEST, "Start again."),
    };
    let cfg = match st.db.sso_config(&team).await {
        Ok(Some(c)) if c.enabled => c,
        _ => return fail(StatusCode::FORBIDDEN, "Single sign-on is no longer enabled for your team."),
    };
    let (http, d, oidc) = match provider(&st, &cfg).await {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let token = match oidc
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&http)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "sso code exchange failed");
            return fail(
                StatusCode::BAD_GATEWAY,
                "Your company's sign-in service refused to finish the sign-in. Start again.",
            );
        }
    };
    use oauth2::TokenResponse as _;
    let _ = token.access_token();
    let Some(id_token) = token.extra_fields().id_token.clone() else {
        return fail(StatusCode::BAD_GATEWAY, "The sign-in service sent no id_token.");
    };
    let claims = match verify_id_token(&http, &d, &cfg, &id_token, &pending.nonce, st.now().timestamp()).await
    {
        Ok(c) => c,
        Err(msg) => {
            tracing::warn!(reason = msg, "sso id_token refused");
            return fail(StatusCode::FORBIDDEN, &format!("The sign-in could not be trusted: {msg}."));
        }
    };
    let Some(email) = claims.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        return fail(
            StatusCode::FORBIDDEN,
            "The sign-in service did not say which email address you signed in with.",
        );
    };
    let account = match st.db.account_by_email(&email).await {
        Ok(Some(a)) => a,
        _ => {
            return fail(
                StatusCode::FORBIDDEN,
                "There is no Tessera account for the address you signed in with.",
            )
        }
    };
    match st.db.membership(&team, &account.id).await {
        Ok(Some(_)) => {}
        _ => {
            return fail(
                StatusCode::FORBIDDEN,
                "The account you signed in with is not a member of this team.",
            )
        }
    }
    if session.cycle_id().await.is_err() || session.insert(SESSION_USER, account.id.as_str()).await.is_err() {
        return fail(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Try again.");
    }
    let _ = st.db.touch_last_login(&account.id, st.now()).await;
    tracing::info!(user = %account.id, team = %team, "signed in through single sign-on");
    Redirect::to(&pending.next).into_response()
}

async fn verify_id_token(
    http: &reqwest::Client,
    d: &Discovery,
    cfg: &SsoConfig,
    token: &str,
    nonce: &str,
    now: i64,
) -> Result<IdClaims, &'static str> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let header = jsonwebtoken::decode_header(token).map_err(|_| "the id_token is not a JWT")?;
    if header.alg != Algorithm::RS256 {
        return Err("the id_token is not signed with RS256");
    }
    let jwks: jsonwebtoken::jwk::JwkSet = http
        .get(&d.jwks_uri)
        .send()
        .await
        .map_err(|_| "the provider's keys could not be fetched")?
        .json()
        .await
        .map_err(|_| "the provider's keys could not be read")?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None => jwks.keys.first(),
    }
    .ok_or("the id_token was signed with a key the provider does not publish")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| "the provider's key cannot be used")?;
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &v)
        .map_err(|_| "the id_token's signature is not valid")?
        .claims;
    if claims.iss.trim_end_matches('/') != cfg.issuer {
        return Err("the id_token comes from another issuer");
    }
    let aud_ok = match &claims.aud {
        serde_json::Value::String(a) => *a == cfg.client_id,
        serde_json::Value::Array(a) => a.iter().any(|x| x.as_str() == Some(cfg.client_id.as_str())),
        _ => false,
    };
    if !aud_ok {
        return Err("the id_token was issued to another app");
    }
    if claims.exp <= now {
        return Err("the id_token has expired");
    }
    if claims.nonce.as_deref() != Some(nonce) {
        return Err("the id_token does not belong to this sign-in (nonce)");
    }
    Ok(claims)
}
