//! R-SSO1: members of a team with single sign-on sign in through the company's OpenID
//! Connect provider. Tessera is the relying party: discovery, authorization code with PKCE
//! (the oauth2 crate), `state` and `nonce` checked, the id_token's signature verified
//! against the provider's published keys, then `iss`, `aud`, `exp` and `nonce`.
use crate::api::html::{self, LinkView};
use app::domain::sso::{self as sso_rule, Asserted, Decision, Facts, Proof, Refusal};
use app::domain::{Email, TeamId, UserId};
use app::server::ssr::sign_in_session;
use app::service::state::AppState;
use app::store::audit::{self, Actor};
use app::store::identity::SsoConfig;
use app::store::invitations::InvitationRow;
use app::store::outbox::NewMessage;
use app::store::sso::{self as store_sso, LinkProof};
use app::store::StoreError;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
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
    Router::new()
        .route("/sso", get(ask_email).post(start))
        .route("/sso/callback", get(callback))
        .route("/sso/link", get(link_form).post(link_with_password))
        .route("/sso/link/email", post(link_by_email))
        .route("/sso/link/confirm", get(link_confirm))
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
    /// The invitation being accepted through single sign-on, if any (its mailed token).
    #[serde(default)]
    invitation: Option<String>,
}

fn fail(status: StatusCode, message: &str) -> Response {
    (status, Html(html::sso_refusal(message))).into_response()
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
    /// The token of an invitation mail, to accept it through single sign-on.
    invitation: Option<String>,
}

async fn ask_email(State(st): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    if let Some(token) = q.invitation {
        return match usable_invitation(&st, &token).await {
            Ok(inv) => Html(html::sso_invitation_form(&inv.team_name, &inv.name, &inv.email, token.trim()))
                .into_response(),
            Err(r) => r.into_response(),
        };
    }
    Html(html::sso_email_form(q.next.as_deref().unwrap_or("/"), None)).into_response()
}

async fn start(State(st): State<AppState>, session: Session, body: Bytes) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    if let Some(token) = form.get("invitation").filter(|t| !t.is_empty()) {
        return start_invitation(&st, &session, token).await;
    }
    let next = app::server::auth::safe_next(form.get("next").map(String::as_str));
    let again =
        |msg: &str| (StatusCode::BAD_REQUEST, Html(html::sso_email_form(&next, Some(msg)))).into_response();
    let Ok(email) = Email::parse(form.get("email").map(String::as_str).unwrap_or_default()) else {
        return again("Enter a valid email address, like name@company.com.");
    };
    let configs = match st.db.account_by_email(&email).await {
        Ok(Some(acc)) => st.db.sso_configs_of(&acc.id).await.unwrap_or_default(),
        Ok(None) => vec![],
        Err(e) => return oops(e),
    };
    let Some(cfg) = configs.into_iter().next() else {
        return again("Single sign-on is not set up for this address. Sign in with your password instead.");
    };
    to_provider(&st, &session, &cfg, &email, next, None).await
}

/// Accepting an invitation through the team's provider: the invitation's mailed token
/// proves the address, so the identity is linked as the invitation is accepted.
async fn start_invitation(st: &AppState, session: &Session, token: &str) -> Response {
    let inv = match usable_invitation(st, token).await {
        Ok(inv) => inv,
        Err(r) => return r.into_response(),
    };
    let cfg = match st.db.sso_config(&inv.team_id).await {
        Ok(Some(c)) if c.enabled => c,
        Ok(_) => {
            return fail(
                StatusCode::NOT_FOUND,
                "This team does not use single sign-on. Accept with a password.",
            )
        }
        Err(e) => return oops(e),
    };
    let Ok(email) = Email::parse(&inv.email) else { return fail(StatusCode::BAD_REQUEST, "Start again.") };
    to_provider(st, session, &cfg, &email, format!("/t/{}", inv.team_id), Some(token.trim().to_string()))
        .await
}

/// Sends the browser to the provider, remembering state, nonce and PKCE verifier.
async fn to_provider(
    st: &AppState,
    session: &Session,
    cfg: &SsoConfig,
    email: &Email,
    next: String,
    invitation: Option<String>,
) -> Response {
    let (_, _, oidc) = match provider(st, cfg).await {
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
        invitation,
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
    sub: String,
    aud: serde_json::Value,
    exp: i64,
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<serde_json::Value>,
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
    let email = claims.email.as_deref().and_then(|e| Email::parse(e).ok());
    let invitation = match &pending.invitation {
        Some(t) => match usable_invitation(&st, t).await {
            Ok(inv) => Some(inv),
            Err(r) => return r.into_response(),
        },
        None => None,
    };
    let facts = match gather(&st, &cfg, &claims, email.as_ref(), invitation.as_ref()).await {
        Ok(f) => f,
        Err(e) => return oops(e),
    };
    let who = Identity { issuer: cfg.issuer.clone(), subject: claims.sub.clone(), team: team.clone() };
    match sso_rule::decide(&facts) {
        Decision::SignIn(account) => {
            tracing::info!(user = %account, team = %team, "signed in through single sign-on");
            sign_in_as(&st, &session, &account, &pending.next).await
        }
        Decision::AcceptInvitationAndLink(account) => {
            let Some(inv) = invitation else { return fail(StatusCode::BAD_REQUEST, "Start again.") };
            match accept_and_link(&st, &who, &account, &inv).await {
                Ok(true) => sign_in_as(&st, &session, &account, &format!("/t/{team}")).await,
                Ok(false) => fail(StatusCode::GONE, "This invitation was already used. Sign in instead."),
                Err(e) => oops(e),
            }
        }
        Decision::ProveOwnership(account, proof) => {
            let Some(email) = email else { return fail(StatusCode::FORBIDDEN, Refusal::NoEmail.message()) };
            let link = LinkPending {
                team_id: team.to_string(),
                issuer: who.issuer,
                subject: who.subject,
                account_id: account.to_string(),
                email: email.as_str().to_string(),
                password: proof == Proof::PasswordOrEmail,
                next: pending.next,
                request_id: None,
            };
            if session.insert(LINK_KEY, &link).await.is_err() {
                return fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Try again.",
                );
            }
            Redirect::to("/sso/link").into_response()
        }
        Decision::Refuse(r) => {
            tracing::info!(reason = r.code(), team = %team, "sso sign-in refused");
            fail(StatusCode::FORBIDDEN, r.message())
        }
    }
}

fn oops(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sso");
    fail(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Try again.")
}

/// The identity a provider asserted, through one team's configuration.
struct Identity {
    issuer: String,
    subject: String,
    team: TeamId,
}

/// What `domain::sso::decide` needs, read from the store.
async fn gather(
    st: &AppState,
    cfg: &SsoConfig,
    claims: &IdClaims,
    email: Option<&Email>,
    invitation: Option<&InvitationRow>,
) -> Result<Facts, StoreError> {
    let asserted = Asserted {
        // Only a JSON `true` counts: a missing claim or the string "true" is not an assertion
        // this provider verified the address.
        email_verified: claims.email_verified == Some(serde_json::Value::Bool(true)),
        has_email: email.is_some(),
    };
    let linked = match st.db.sso_linked_account(&cfg.issuer, &claims.sub).await? {
        Some(uid) => st.db.sso_candidate(&uid, &cfg.team_id, &cfg.issuer, &claims.sub).await?,
        None => None,
    };
    let by_email = match (email, &linked) {
        (Some(e), None) => match st.db.account_by_email(e).await? {
            Some(acc) => st.db.sso_candidate(&acc.id, &cfg.team_id, &cfg.issuer, &claims.sub).await?,
            None => None,
        },
        _ => None,
    };
    let invitation_for =
        invitation.filter(|inv| inv.team_id == cfg.team_id).map(|inv| inv.account_id.clone());
    Ok(Facts { asserted, linked, by_email, invitation_for })
}

async fn sign_in_as(st: &AppState, session: &Session, account: &UserId, next: &str) -> Response {
    let signed_in = match st.db.account(account).await {
        Ok(Some(acc)) => sign_in_session(session, &acc, st.now()).await.is_ok(),
        _ => false,
    };
    if !signed_in {
        return fail(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Try again.");
    }
    let _ = session.remove::<LinkPending>(LINK_KEY).await;
    let _ = st.db.touch_last_login(account, st.now()).await;
    Redirect::to(next).into_response()
}

/// Writes the link and its audit entry in the caller's transaction. `label` names the
/// account ("Name <email>"), read before the transaction so it holds one connection only.
async fn complete_link(
    st: &AppState,
    who: &Identity,
    account: &UserId,
    label: &str,
    proof: LinkProof,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
) -> Result<(), StoreError> {
    let now = st.now();
    store_sso::link(tx, &who.issuer, &who.subject, account, &who.team, proof, now).await?;
    audit::record(
        tx,
        &who.team,
        &Actor { id: Some(account.as_str()), label },
        "sso_link",
        label,
        None,
        Some(&serde_json::json!({"issuer": who.issuer, "subject": who.subject, "proof": proof.as_str()})),
        now,
    )
    .await
}

/// The mailed invitation proved the address: accept it and link, in one transaction.
/// `false` when the invitation was used or replaced meanwhile.
async fn accept_and_link(
    st: &AppState,
    who: &Identity,
    account: &UserId,
    inv: &InvitationRow,
) -> Result<bool, StoreError> {
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    if !app::store::invitations::accept(&mut tx, inv, now).await? {
        return Ok(false);
    }
    let label = format!("{} <{}>", inv.name, inv.email);
    audit::record(
        &mut tx,
        &who.team,
        &Actor { id: Some(account.as_str()), label: &label },
        "accept",
        &label,
        None,
        Some(&serde_json::json!({"status": "active", "through": "single sign-on"})),
        now,
    )
    .await?;
    complete_link(st, who, account, &label, LinkProof::Invitation, &mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// The invitation behind a token from the invitation mail, if it can still be accepted.
async fn usable_invitation(st: &AppState, token: &str) -> Result<InvitationRow, Failure> {
    // The console's check (`service::accounts`); this flow names no reason for a dead link.
    match app::service::accounts::usable_invitation(st, token).await {
        Ok(inv) => Ok(inv),
        Err(app::error::AppError::Gone { .. }) => Err(Failure(
            StatusCode::GONE,
            "This invitation link is not valid any more. Ask your admin to resend it.",
        )),
        Err(_) => {
            Err(Failure(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Try again."))
        }
    }
}

/// A first sign-in waiting for the account owner's proof, kept in this browser's session
/// only: the mailed link completes nowhere else.
#[derive(Debug, Deserialize, Serialize)]
struct LinkPending {
    team_id: String,
    issuer: String,
    subject: String,
    account_id: String,
    email: String,
    /// The account has a password to prove itself with.
    password: bool,
    next: String,
    /// The mailed link request, once one was sent.
    request_id: Option<String>,
}

impl LinkPending {
    fn parts(&self) -> Option<(Identity, UserId)> {
        let team = TeamId::parse(&self.team_id).ok()?;
        let account = UserId::parse(&self.account_id).ok()?;
        Some((Identity { issuer: self.issuer.clone(), subject: self.subject.clone(), team }, account))
    }
}

const LINK_KEY: &str = "sso_link";
/// How long a mailed link works.
const LINK_MINUTES: i64 = 30;
/// Mailed links per account and hour: whoever can make a provider assert an address can
/// make Tessera write to it, so the owner is not flooded.
const LINK_MAILS_PER_HOUR: i64 = 3;

fn link_page(p: &LinkPending, error: Option<&str>, sent: bool) -> String {
    let provider = provider_host(&p.issuer);
    html::sso_link(
        &LinkView { provider: &provider, email: &p.email, password: p.password, sent, minutes: LINK_MINUTES },
        error,
    )
}

fn provider_host(issuer: &str) -> String {
    let after = issuer.split_once("://").map(|(_, a)| a).unwrap_or(issuer);
    after.split('/').next().unwrap_or(after).to_string()
}

async fn link_pending(session: &Session) -> Result<LinkPending, Response> {
    match session.get::<LinkPending>(LINK_KEY).await {
        Ok(Some(p)) => Ok(p),
        _ => Err(fail(
            StatusCode::BAD_REQUEST,
            "There is no single sign-on waiting in this browser. Open the link in the browser where you \
             started signing in, or start again.",
        )),
    }
}

async fn link_form(session: Session) -> Response {
    match link_pending(&session).await {
        Ok(p) => Html(link_page(&p, None, p.request_id.is_some())).into_response(),
        Err(r) => r,
    }
}

/// The owner proves the account with its password (throttled like sign-in, same counter).
async fn link_with_password(State(st): State<AppState>, session: Session, body: Bytes) -> Response {
    let p = match link_pending(&session).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some((who, account)) = p.parts() else { return fail(StatusCode::BAD_REQUEST, "Start again.") };
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let password = form.get("password").cloned().unwrap_or_default();
    let again = |status: StatusCode, msg: &str| {
        (status, Html(link_page(&p, Some(msg), p.request_id.is_some()))).into_response()
    };
    if password.is_empty() {
        return again(StatusCode::BAD_REQUEST, "Enter your password.");
    }
    let stored = match st.db.account(&account).await {
        Ok(a) => a.and_then(|a| a.password_hash),
        Err(e) => return oops(e),
    };
    match app::service::accounts::check_password(&st, &p.email, password, stored, "sso link").await {
        Ok(true) => {}
        Ok(false) => {
            return again(StatusCode::UNAUTHORIZED, "That is not the password of this account. Try again.")
        }
        Err(e @ app::error::AppError::Throttled { .. }) => {
            return again(StatusCode::TOO_MANY_REQUESTS, &format!("{e} Or use the emailed link."))
        }
        Err(e) => return oops(e),
    }
    finish_link(&st, &session, &p, &who, &account, LinkProof::Password, None).await
}

/// Mails the owner a single-use link that completes the link in this browser.
async fn link_by_email(State(st): State<AppState>, session: Session) -> Response {
    let mut p = match link_pending(&session).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some((who, account)) = p.parts() else { return fail(StatusCode::BAD_REQUEST, "Start again.") };
    let now = st.now();
    match st.db.count_rate(&format!("sso-link-mail:{account}"), now, chrono::Duration::hours(1)).await {
        Ok((n, _)) if n > LINK_MAILS_PER_HOUR => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                Html(link_page(
                    &p,
                    Some("Several links were sent in the last hour. Use the newest one, or try again later."),
                    false,
                )),
            )
                .into_response()
        }
        Ok(_) => {}
        Err(e) => return oops(e),
    }
    let Ok(to) = Email::parse(&p.email) else { return fail(StatusCode::BAD_REQUEST, "Start again.") };
    let (name, team_name) = match (st.db.account(&account).await, st.db.team(&who.team).await) {
        (Ok(Some(a)), Ok(Some(t))) => (a.name, t.name),
        (Err(e), _) | (_, Err(e)) => return oops(e),
        _ => return fail(StatusCode::BAD_REQUEST, "Start again."),
    };
    let (token, hash) = app::service::secrets::new_token();
    let url = format!("{}/sso/link/confirm?token={token}", st.public_url);
    let mail =
        app::service::mail::sso_link(&name, &team_name, &provider_host(&who.issuer), &url, LINK_MINUTES);
    let sent: Result<String, StoreError> = async {
        let mut tx = st.db.pool.begin().await?;
        let id = store_sso::create_request(
            &mut tx,
            &hash,
            &who.issuer,
            &who.subject,
            &account,
            &who.team,
            now,
            now + chrono::Duration::minutes(LINK_MINUTES),
        )
        .await?;
        let msg = NewMessage {
            kind: "sso_link",
            to: &to,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        };
        app::store::outbox::enqueue(&mut tx, &msg, now).await?;
        tx.commit().await?;
        Ok(id)
    }
    .await;
    let id = match sent {
        Ok(id) => id,
        Err(e) => return oops(e),
    };
    st.db.wake_outbox();
    p.request_id = Some(id);
    if session.insert(LINK_KEY, &p).await.is_err() {
        return fail(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Try again.");
    }
    Html(link_page(&p, None, true)).into_response()
}

#[derive(Deserialize)]
struct ConfirmQuery {
    token: Option<String>,
}

/// The mailed link: completes only in the browser whose session asked for it, so the owner
/// clicking a link somebody else triggered links nothing.
async fn link_confirm(
    State(st): State<AppState>,
    session: Session,
    Query(q): Query<ConfirmQuery>,
) -> Response {
    let p = match link_pending(&session).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some((who, account)) = p.parts() else { return fail(StatusCode::BAD_REQUEST, "Start again.") };
    let Some(token) = q.token else { return fail(StatusCode::BAD_REQUEST, "The link is incomplete.") };
    let hash = app::service::secrets::hash_token(token.trim());
    finish_link(&st, &session, &p, &who, &account, LinkProof::Email, Some(&hash)).await
}

/// Makes the link (after using up the mailed request, when that is the proof) and signs in.
/// The account must still be an active member of the team.
async fn finish_link(
    st: &AppState,
    session: &Session,
    p: &LinkPending,
    who: &Identity,
    account: &UserId,
    proof: LinkProof,
    request_hash: Option<&str>,
) -> Response {
    let now = st.now();
    let still = st.db.sso_candidate(account, &who.team, &who.issuer, &who.subject).await;
    match still {
        Ok(Some(c)) if c.active_in_team && !c.linked_to_other_subject => {}
        Ok(_) => return fail(StatusCode::FORBIDDEN, Refusal::NotActiveMember.message()),
        Err(e) => return oops(e),
    }
    let label = match st.db.account(account).await {
        Ok(Some(a)) => format!("{} <{}>", a.name, a.email),
        Ok(None) => return fail(StatusCode::FORBIDDEN, Refusal::NotActiveMember.message()),
        Err(e) => return oops(e),
    };
    let done: Result<bool, StoreError> = async {
        let mut tx = st.db.pool.begin().await?;
        if let Some(hash) = request_hash {
            let Some(req) = store_sso::take_request(&mut tx, hash, now).await? else { return Ok(false) };
            let same = p.request_id.as_deref() == Some(req.id.as_str())
                && req.account_id == *account
                && req.team_id == who.team
                && req.issuer == who.issuer
                && req.subject == who.subject;
            if !same {
                // Rolled back: somebody else's request stays usable by its own browser.
                return Ok(false);
            }
        }
        complete_link(st, who, account, &label, proof, &mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match done {
        Ok(true) => {
            tracing::info!(user = %account, proof = proof.as_str(), "single sign-on linked");
            sign_in_as(st, session, account, &p.next).await
        }
        Ok(false) => fail(
            StatusCode::GONE,
            "This link is not valid: it expired, was used already, or belongs to another sign-in. Start again.",
        ),
        Err(StoreError::Duplicate(_)) => fail(
            StatusCode::CONFLICT,
            "This sign-in or this account is already connected. Start again.",
        ),
        Err(e) => oops(e),
    }
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
