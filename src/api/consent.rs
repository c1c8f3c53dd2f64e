//! `GET/POST /authentication/v2/authorize`: the three-legged flow's front door (RFC 6749
//! 4.1 with PKCE S256, RFC 8252 loopback redirects). Signing in is the console's own page
//! (throttling, SSO and all); this module checks the request and asks for consent.
//! Plain HTML forms: the flow works without JavaScript, as a browser opened by a desktop
//! product may have it off.
use crate::api::extract::Console;
use crate::api::html;
use app::domain::oauth::{check_challenge, scope_label, RedirectUri, Scopes};
use app::service::state::AppState;
use app::store::accounts::Account;
use app::store::identity::{ClientRow, NewCode};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use tower_sessions::Session;

const CSRF_KEY: &str = "oauth_csrf";
/// RFC 6749 4.1.2 recommends at most 10 minutes; a desktop product redeems at once.
const CODE_LIFETIME: chrono::Duration = chrono::Duration::seconds(60);

pub fn routes() -> Router<AppState> {
    Router::new().route("/authentication/v2/authorize", get(show).post(decide))
}

/// A checked authorization request.
struct AuthRequest {
    client: ClientRow,
    redirect_uri: String,
    scope: Scopes,
    state: Option<String>,
    challenge: String,
    nonce: Option<String>,
}

/// Where a bad request is answered: on our page when the client or redirect URI cannot be
/// trusted (never redirect to an unchecked URI), otherwise back at the client.
enum Refusal {
    Page(StatusCode, String),
    Redirect { uri: String, state: Option<String>, error: &'static str, description: String },
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Page(status, msg) => (status, Html(html::consent_refusal(&msg))).into_response(),
            Refusal::Redirect { uri, state, error, description } => {
                let mut q = form_urlencoded::Serializer::new(String::new());
                q.append_pair("error", error).append_pair("error_description", &description);
                if let Some(s) = state {
                    q.append_pair("state", &s);
                }
                Redirect::to(&with_query(&uri, &q.finish())).into_response()
            }
        }
    }
}

fn with_query(uri: &str, query: &str) -> String {
    format!("{uri}{}{query}", if uri.contains('?') { '&' } else { '?' })
}

fn params(raw: &[u8]) -> Result<HashMap<String, String>, Refusal> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(Refusal::Page(
                StatusCode::BAD_REQUEST,
                format!("The parameter '{k}' is given more than once."),
            ));
        }
    }
    Ok(out)
}

async fn check(st: &AppState, p: &HashMap<String, String>) -> Result<AuthRequest, Refusal> {
    let page = |m: &str| Refusal::Page(StatusCode::BAD_REQUEST, m.to_string());
    let client_id =
        p.get("client_id").ok_or_else(|| page("The request names no app (client_id is missing)."))?;
    let client = st
        .db
        .client(client_id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "authorize: client lookup");
            Refusal::Page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Try again.".into(),
            )
        })?
        .ok_or_else(|| page("The app is not known to Tessera (unknown client_id)."))?;
    let redirect_uri = p.get("redirect_uri").ok_or_else(|| page("The request has no redirect_uri."))?;
    let registered = client
        .redirect_uris
        .iter()
        .filter_map(|u| RedirectUri::parse(u).ok())
        .any(|u| u.accepts(redirect_uri));
    if !registered {
        return Err(page("The app asked to return to an address it has not registered (redirect_uri)."));
    }
    let state = p.get("state").cloned();
    let back = |error: &'static str, description: String| Refusal::Redirect {
        uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description,
    };
    if p.get("response_type").map(String::as_str) != Some("code") {
        return Err(back("unsupported_response_type", "response_type must be code".into()));
    }
    let challenge = p
        .get("code_challenge")
        .ok_or_else(|| back("invalid_request", "code_challenge is required (PKCE)".into()))?;
    if p.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return Err(back("invalid_request", "code_challenge_method must be S256".into()));
    }
    check_challenge(challenge).map_err(|e| back("invalid_request", e.to_string()))?;
    let scope = match p.get("scope") {
        Some(s) => Scopes::parse(s).map_err(|e| back("invalid_scope", e.to_string()))?,
        None => client.scopes.clone(),
    };
    scope.granted_by(&client.scopes).map_err(|e| back("invalid_scope", e.to_string()))?;
    if scope.is_empty() {
        return Err(back("invalid_scope", "no scope requested".into()));
    }
    Ok(AuthRequest {
        redirect_uri: redirect_uri.clone(),
        scope,
        state,
        challenge: challenge.clone(),
        nonce: p.get("nonce").cloned(),
        client,
    })
}

async fn csrf_token(session: &Session) -> Result<String, Refusal> {
    if let Ok(Some(t)) = session.get::<String>(CSRF_KEY).await {
        return Ok(t);
    }
    let (token, _) = app::service::secrets::new_token();
    session.insert(CSRF_KEY, &token).await.map_err(|_| {
        Refusal::Page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Try again.".into(),
        )
    })?;
    Ok(token)
}

async fn show(
    State(st): State<AppState>,
    session: Session,
    console: Option<Console>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let query = query.unwrap_or_default();
    let p = params(query.as_bytes())?;
    let req = check(&st, &p).await?;
    let Some(Console(account)) = console else {
        let next = format!("/authentication/v2/authorize?{query}");
        let to = form_urlencoded::Serializer::new(String::new()).append_pair("next", &next).finish();
        return Ok(Redirect::to(&format!("/sign-in?{to}")).into_response());
    };
    let csrf = csrf_token(&session).await?;
    const ECHOED: [&str; 8] = [
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "nonce",
        "response_type",
    ];
    let page = html::consent(&html::Consent {
        app: &req.client.name,
        name: &account.name,
        email: &account.email,
        abilities: req.scope.iter().map(scope_label).collect(),
        hidden: p
            .iter()
            .filter(|(k, _)| ECHOED.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        csrf: &csrf,
    });
    Ok(Html(page).into_response())
}

async fn decide(
    State(st): State<AppState>,
    session: Session,
    console: Option<Console>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(Refusal::Page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The form was not sent as a form.".into(),
        ));
    }
    let p = params(&body)?;
    let req = check(&st, &p).await?;
    let expected: Option<String> = session.get(CSRF_KEY).await.ok().flatten();
    if expected.is_none() || p.get("csrf") != expected.as_ref() {
        return Err(Refusal::Page(
            StatusCode::FORBIDDEN,
            "This form has expired. Go back to the app and sign in again.".into(),
        ));
    }
    let Some(Console(Account { id: account, .. })) = console else {
        return Err(Refusal::Page(
            StatusCode::FORBIDDEN,
            "You are signed out. Go back to the app and sign in again.".into(),
        ));
    };
    if p.get("decision").map(String::as_str) != Some("allow") {
        return Err(Refusal::Redirect {
            uri: req.redirect_uri,
            state: req.state,
            error: "access_denied",
            description: "The user denied the request".into(),
        });
    }
    let (code, code_hash) = app::service::secrets::new_token();
    let now = st.now();
    let scope = req.scope.to_string();
    let stored = st
        .db
        .insert_code(
            &NewCode {
                code_hash: &code_hash,
                client_id: &req.client.id,
                account_id: &account,
                redirect_uri: &req.redirect_uri,
                scope: &scope,
                code_challenge: &req.challenge,
                nonce: req.nonce.as_deref(),
                expires_at: now + CODE_LIFETIME,
            },
            now,
        )
        .await;
    if let Err(e) = stored {
        tracing::error!(error = %e, "authorize: storing the code");
        return Err(Refusal::Redirect {
            uri: req.redirect_uri,
            state: req.state,
            error: "server_error",
            description: "The authorization could not be stored; try again".into(),
        });
    }
    tracing::info!(client = %req.client.id, user = %account, "authorization code issued");
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("code", &code);
    if let Some(s) = &req.state {
        q.append_pair("state", s);
    }
    Ok(Redirect::to(&with_query(&req.redirect_uri, &q.finish())).into_response())
}
