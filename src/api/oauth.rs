//! The OAuth 2.0 token, revocation, key-set and discovery endpoints, and /userinfo.
//! Thin: parse the request, authenticate the client, call `app::service::identity`, map errors to
//! RFC 6749 JSON (`{"error","error_description"}`) with a stable code.
use crate::api::error::ApiError;
use crate::api::extract::{Bearer, Person};
use app::domain::oauth::{check_pkce, AccessClaims, GrantKind, Scopes, ACCESS_TOKEN_SECONDS};
use app::domain::UserId;
use app::service::identity::{self, ExchangeError};
use app::service::state::AppState;
use app::store::identity::{ClientRow, RefreshUse};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// `token_limit`: the per-client-IP limit in front of the token endpoint
/// (`ip_limits::IpLimits`), none when turned off.
pub fn routes(token_limit: Option<crate::ip_limits::IpLimitLayer>) -> Router<AppState> {
    let token_route = match token_limit {
        Some(limit) => post(token).layer(limit),
        None => post(token),
    };
    Router::new()
        .route("/authentication/v2/token", token_route)
        .route("/authentication/v2/revoke", post(revoke))
        .route("/authentication/v2/keys", get(jwks))
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/userinfo", get(userinfo))
        .route("/avatars/{sub}/{file}", get(avatar))
}

/// The thumbnails /userinfo points at: a neutral silhouette at the asked size, so the URLs
/// a client receives always resolve (we hold no profile pictures).
#[utoipa::path(get, path = "/avatars/{sub}/{file}", tag = "identity",
    params(("sub" = String, Path, description = "The subject /userinfo named"), ("file" = String, Path, description = "x<size>.svg, size 1 to 1024")),
    responses((status = 200, description = "A neutral silhouette at that size", content_type = "image/svg+xml", body = String), (status = 404, description = "Not a size we draw")))]
async fn avatar(axum::extract::Path((_sub, file)): axum::extract::Path<(String, String)>) -> Response {
    let size: u32 =
        file.strip_prefix('x').and_then(|f| f.strip_suffix(".svg")).and_then(|n| n.parse().ok()).unwrap_or(0);
    if !(1..=1024).contains(&size) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 40 40\">\
         <rect width=\"40\" height=\"40\" fill=\"#d9dee7\"/><circle cx=\"20\" cy=\"15\" r=\"7\" fill=\"#8a94a6\"/>\
         <path d=\"M6 38c2-9 8-13 14-13s12 4 14 13z\" fill=\"#8a94a6\"/></svg>"
    );
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], svg)
        .into_response()
}

/// A failure on our side at an identity endpoint (logged once, by `ApiError::internal`).
fn server(cause: impl std::fmt::Display) -> ApiError {
    ApiError::internal("identity endpoint", cause, "The server could not complete the request; try again")
}

/// Form parameters; RFC 6749 3.2: a parameter sent twice is an error.
pub fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, ApiError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(ApiError::invalid_request("The body must be application/x-www-form-urlencoded"));
    }
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(ApiError::invalid_request(format!("The parameter '{k}' is given more than once")));
        }
    }
    Ok(out)
}

fn form_decode(s: &str) -> String {
    form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// HTTP Basic (the contract), or `client_id`/`client_secret` in the body (RFC 6749 2.3.1).
pub async fn authenticate_client(
    st: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<ClientRow, ApiError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let (id, secret) = match (basic, form.get("client_id"), form.get("client_secret")) {
        (Some(b), _, None) => {
            let raw = STANDARD.decode(b.trim()).map_err(|_| ApiError::invalid_client())?;
            let raw = String::from_utf8(raw).map_err(|_| ApiError::invalid_client())?;
            let (id, secret) = raw.split_once(':').ok_or_else(ApiError::invalid_client)?;
            let id = form_decode(id);
            if form.get("client_id").is_some_and(|f| *f != id) {
                return Err(ApiError::invalid_request("client_id differs from the authenticated client"));
            }
            (id, form_decode(secret))
        }
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        (Some(_), _, Some(_)) => {
            return Err(ApiError::invalid_request("Use one client authentication method, not two"))
        }
        _ => return Err(ApiError::invalid_client()),
    };
    identity::authenticate_client(&st.db, &id, &secret)
        .await
        .map_err(server)?
        .ok_or_else(ApiError::invalid_client)
}

fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid_request(format!("The parameter '{name}' is required")))
}

fn no_store(v: Value) -> Response {
    let mut res = Json(v).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

#[utoipa::path(post, path = "/authentication/v2/token", tag = "identity", security(("client" = [])),
    request_body(content = crate::api::openapi::TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "An access token (and for people a refresh and id token)", body = crate::api::openapi::TokenAnswer),
        (status = 400, description = "RFC 6749 error: invalid_request, invalid_grant, invalid_scope, unsupported_grant_type", body = crate::api::openapi::OAuthErrorDoc),
        (status = 401, description = "invalid_client", body = crate::api::openapi::OAuthErrorDoc),
        (status = 429, description = "Too many requests from this address", body = crate::api::openapi::OAuthErrorDoc)))]
async fn token(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let form = parse_form(&headers, &body)?;
    let client = authenticate_client(&st, &headers, &form).await?;
    let now = st.now();
    match required(&form, "grant_type")? {
        JWT_BEARER => {
            // R-SSA2: every failure of the exchange, a missing assertion included, answers
            // invalid_grant "The 'assertion' is invalid: ..." (the seed's wording).
            let jwt = form
                .get("assertion")
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| ApiError::invalid_grant(app::domain::assertion::AssertionError::NotGiven.description()))?;
            let (ssa, grant) = match identity::check_assertion(&st.db, &client, jwt, &st.token_endpoint(), now).await {
                Ok(ok) => ok,
                Err(ExchangeError::Assertion(e)) => return Err(ApiError::invalid_grant(e.description())),
                Err(ExchangeError::Store(e)) => return Err(server(e)),
            };
            let scope = grant.scopes.join(" ");
            let issued = identity::issue_access_token(&st.keys, &st.public_url, &client, &ssa.id, scope, GrantKind::ServiceAccount, now)
                .await
                .map_err(server)?;
            Ok(access_answer(&issued.token, &issued.claims.scope, None, None))
        }
        "client_credentials" => {
            let scopes = match form.get("scope") {
                Some(s) => Scopes::parse(s).map_err(|e| ApiError::invalid_scope(e.to_string()))?,
                None => client.scopes.clone(),
            };
            scopes
                .granted_by(&client.scopes)
                .map_err(|e| ApiError::invalid_scope(e.to_string()))?;
            let issued =
                identity::issue_access_token(&st.keys, &st.public_url, &client, &client.id, scopes.to_string(), GrantKind::Client, now)
                    .await
                    .map_err(server)?;
            Ok(access_answer(&issued.token, &issued.claims.scope, None, None))
        }
        "authorization_code" => authorization_code(&st, &client, &form).await,
        "refresh_token" => refresh(&st, &client, &form).await,
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type '{other}' is not supported (use authorization_code, refresh_token, client_credentials or {JWT_BEARER})"),
        )),
    }
}

fn access_answer(access: &str, scope: &str, refresh: Option<&str>, id_token: Option<&str>) -> Response {
    let mut v = json!({ "access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS, "scope": scope });
    if let Some(r) = refresh {
        v["refresh_token"] = json!(r);
    }
    if let Some(t) = id_token {
        v["id_token"] = json!(t);
    }
    no_store(v)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

async fn authorization_code(
    st: &AppState,
    client: &ClientRow,
    form: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let code = required(form, "code")?;
    let redirect_uri = required(form, "redirect_uri")?;
    let verifier = required(form, "code_verifier")?;
    let now = st.now();
    let grant =
        st.db.take_code(&app::service::secrets::hash_token(code), now).await.map_err(server)?.ok_or_else(
            || ApiError::invalid_grant("The authorization code is unknown, expired or already used"),
        )?;
    if grant.client_id != client.id {
        return Err(ApiError::invalid_grant("The authorization code was issued to another client"));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(ApiError::invalid_grant(
            "redirect_uri differs from the one used in the authorization request",
        ));
    }
    check_pkce(verifier, &grant.code_challenge, sha256)
        .map_err(|e| ApiError::invalid_grant(e.to_string()))?;
    let family = identity::new_refresh_family(client, &grant.account_id, &grant.scope);
    let refresh = identity::issue_refresh_token(&st.db, &family, now).await.map_err(server)?;
    let issued = user_token(st, client, &grant.account_id, &grant.scope).await?;
    let id_token = if grant.scope.split(' ').any(|s| s == "openid") {
        Some(id_token(st, client, &grant.account_id, &grant.scope, grant.nonce.as_deref()).await?)
    } else {
        None
    };
    st.db.touch_last_login(&grant.account_id, now).await.map_err(server)?;
    Ok(access_answer(&issued.token, &issued.claims.scope, Some(&refresh), id_token.as_deref()))
}

async fn user_token(
    st: &AppState,
    client: &ClientRow,
    account: &UserId,
    scope: &str,
) -> Result<identity::Issued, ApiError> {
    identity::issue_access_token(
        &st.keys,
        &st.public_url,
        client,
        account.as_str(),
        scope.to_string(),
        GrantKind::User,
        st.now(),
    )
    .await
    .map_err(server)
}

/// OpenID Connect Core 2: who signed in, for the client (`aud`), bound to its `nonce`.
async fn id_token(
    st: &AppState,
    client: &ClientRow,
    account: &UserId,
    scope: &str,
    nonce: Option<&str>,
) -> Result<String, ApiError> {
    let now = st.now();
    let profile = st
        .db
        .profile(account)
        .await
        .map_err(server)?
        .ok_or_else(|| ApiError::invalid_grant("The account no longer exists"))?;
    let mut claims = json!({
        "iss": st.public_url, "sub": account.as_str(), "aud": client.id,
        "iat": now.timestamp(), "exp": now.timestamp() + ACCESS_TOKEN_SECONDS, "auth_time": now.timestamp(),
    });
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    let scopes: Vec<&str> = scope.split(' ').collect();
    if scopes.contains(&"email") {
        claims["email"] = json!(profile.email);
        claims["email_verified"] = json!(true);
    }
    if scopes.contains(&"profile") {
        claims["name"] = json!(profile.name);
        claims["locale"] = json!(profile.locale);
    }
    st.keys.sign_id_token(&claims, now).await.map_err(server)
}

async fn refresh(
    st: &AppState,
    client: &ClientRow,
    form: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let presented = required(form, "refresh_token")?;
    let now = st.now();
    let grant =
        match st.db.use_refresh(&app::service::secrets::hash_token(presented), now).await.map_err(server)? {
            RefreshUse::Rotated(g) => g,
            RefreshUse::Replayed => return Err(ApiError::invalid_grant(
                "The refresh token was already used or revoked; every token of this sign-in is now revoked",
            )),
            RefreshUse::Unknown => {
                return Err(ApiError::invalid_grant("The refresh token is unknown or expired"))
            }
        };
    if grant.client_id != client.id {
        st.db.revoke_refresh_family(&grant.family_id, now).await.map_err(server)?;
        return Err(ApiError::invalid_grant("The refresh token was issued to another client"));
    }
    // RFC 6749 6: a narrower scope may be asked for, never a wider one.
    let scope = match form.get("scope") {
        Some(s) => {
            let asked = Scopes::parse(s).map_err(|e| ApiError::invalid_scope(e.to_string()))?;
            let held = Scopes::parse(&grant.scope).map_err(server)?;
            if let Some(extra) = asked.iter().find(|s| !held.contains(s)) {
                return Err(ApiError::invalid_scope(format!("scope \"{extra}\" was not granted")));
            }
            asked.to_string()
        }
        None => grant.scope.clone(),
    };
    // The new refresh token keeps the family and the full granted scope, even when this
    // access token was narrowed.
    let next = identity::issue_refresh_token(&st.db, &grant, now).await.map_err(server)?;
    let issued = user_token(st, client, &grant.account_id, &scope).await?;
    Ok(access_answer(&issued.token, &issued.claims.scope, Some(&next), None))
}

/// RFC 7009: revokes a refresh token (its whole family) or an access token. Answers 200
/// whether or not the token was known, so the endpoint reveals nothing.
#[utoipa::path(post, path = "/authentication/v2/revoke", tag = "identity", security(("client" = [])),
    request_body(content = crate::api::openapi::RevokeForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Revoked, or it was not a token of this client (RFC 7009)"),
        (status = 400, description = "invalid_request", body = crate::api::openapi::OAuthErrorDoc),
        (status = 401, description = "invalid_client", body = crate::api::openapi::OAuthErrorDoc)))]
async fn revoke(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let form = parse_form(&headers, &body)?;
    let client = authenticate_client(&st, &headers, &form).await?;
    let token = required(&form, "token")?;
    let now = st.now();
    let was_refresh = st
        .db
        .revoke_refresh(&app::service::secrets::hash_token(token), &client.id, now)
        .await
        .map_err(server)?;
    if !was_refresh {
        if let Ok(claims) = st.keys.verify::<AccessClaims>(token, now).await {
            if claims.client_id == client.id {
                let exp = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
                st.db.revoke_access_token(&claims.jti, exp).await.map_err(server)?;
                st.revocations.add(&claims.jti);
            }
        }
    }
    Ok(no_store(json!({})))
}

#[utoipa::path(get, path = "/authentication/v2/keys", tag = "identity",
    responses((status = 200, description = "JWKS: the keys of access tokens, id tokens and leases", body = Object)))]
async fn jwks(State(st): State<AppState>) -> Result<Response, ApiError> {
    let set = st.keys.jwks(st.now()).await.map_err(server)?;
    let mut res = Json(set).into_response();
    // Verifiers may cache the set briefly; a rotation adds the next key long before use.
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(res)
}

#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "identity",
    responses((status = 200, description = "OpenID Connect discovery", body = Object)))]
async fn discovery(State(st): State<AppState>) -> Response {
    let base = &st.public_url;
    let mut scopes: Vec<&str> = app::domain::oauth::OIDC_SCOPES.to_vec();
    scopes.extend(app::domain::oauth::API_SCOPES);
    let mut res = Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authentication/v2/authorize"),
        "token_endpoint": st.token_endpoint(),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/authentication/v2/keys"),
        "revocation_endpoint": format!("{base}/authentication/v2/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", JWT_BEARER],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
        "claims_supported": ["sub", "name", "given_name", "family_name", "email", "email_verified", "locale", "nonce"],
    }))
    .into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    res
}

/// R-OIDC1: the profile of the token's subject (a person, or an SSA's own profile). A
/// missing or non-Bearer Authorization header is a 400, as the seed's service answers.
#[utoipa::path(get, path = "/userinfo", tag = "identity", security(("bearer" = [])),
    responses((status = 200, description = "The person's profile (R-OIDC1)", body = Object),
        (status = 401, description = "invalid_token", body = crate::api::openapi::OAuthErrorDoc),
        (status = 403, description = "A disabled service account", body = crate::api::openapi::OAuthErrorDoc),
        (status = 429, description = "More than 500 calls a minute for this person", body = crate::api::openapi::OAuthErrorDoc)))]
async fn userinfo(State(st): State<AppState>, bearer: Option<Bearer>) -> Result<Response, ApiError> {
    let Some(Bearer(token)) = bearer else {
        return Err(ApiError::invalid_request("The Authorization header must be: Bearer <token>"));
    };
    let Person(claims) = Person::verify(&st, &token).await?;
    let now = st.now();
    let (count, started) = st
        .db
        .count_rate(&format!("userinfo:{}", claims.sub), now, st.userinfo_limit.window())
        .await
        .map_err(|e| {
            ApiError::internal("counting /userinfo calls", e, "The request could not be counted; try again")
        })?;
    if let Err(retry) = st.userinfo_limit.verdict(count, started, now) {
        metrics::counter!("userinfo_rate_limited_total").increment(1);
        return Err(ApiError::rate_limited(
            u64::try_from(retry).unwrap_or(1),
            "More than 500 calls in a minute for this user; wait before retrying",
        ));
    }
    userinfo_body(&st, &claims)
        .await
        .map_err(|e| ApiError::internal("userinfo", e, "The profile could not be read; try again"))?
        .map(no_store)
}

/// The seed's date form: "2017-12-11T20:54:18Z".
fn iso_seconds(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The profile, or the refusal when the token's subject is gone or disabled.
async fn userinfo_body(
    st: &AppState,
    claims: &AccessClaims,
) -> Result<Result<Value, ApiError>, app::store::StoreError> {
    let thumbs = |sub: &str| -> Value {
        let sizes = [20, 40, 50, 58, 80, 120, 160, 176, 240, 360];
        let map: serde_json::Map<String, Value> = sizes
            .iter()
            .map(|s| (format!("sizeX{s}"), json!(format!("{}/avatars/{sub}/x{s}.svg", st.public_url))))
            .collect();
        Value::Object(map)
    };
    if claims.grant == GrantKind::ServiceAccount {
        let Some(ssa) = st.db.ssa(&claims.sub).await? else {
            return Ok(Err(ApiError::invalid_token("The service account no longer exists")));
        };
        if ssa.disabled_at.is_some() {
            return Ok(Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                "The service account is disabled",
            )));
        }
        let t = thumbs(&ssa.id);
        return Ok(Ok(json!({
            "sub": ssa.id, "name": ssa.name, "given_name": ssa.name, "family_name": "",
            "preferred_username": ssa.email, "email": ssa.email, "email_verified": true,
            "profile": format!("{}/", st.public_url), "picture": t["sizeX120"], "locale": "en-US",
            "updated_at": ssa.created_at.timestamp(), "is_2fa_enabled": false, "is_backup_code_present": false,
            "country_code": "", "address": {"street_address": "", "locality": "", "region": "", "postal_code": "", "country": ""},
            "phone_number": "", "phone_number_verified": false, "ldap_enabled": false, "ldap_domain": null,
            "job_title": "Secure Service Account", "industry": "", "industry_code": "", "about_me": "", "language": "en",
            "company": "", "created_date": iso_seconds(ssa.created_at), "last_login_date": null, "eidm_guid": ssa.id,
            "opt_in": false, "social_userinfo_list": [], "user_thumbnails": t.clone(), "thumbnails": t,
        })));
    }
    let Ok(account) = UserId::parse(&claims.sub) else {
        return Ok(Err(ApiError::invalid_token("The account no longer exists")));
    };
    let Some(p) = st.db.profile(&account).await? else {
        return Ok(Err(ApiError::invalid_token("The account no longer exists")));
    };
    let (given, family) = if !p.given_name.is_empty() || !p.family_name.is_empty() {
        (p.given_name.clone(), p.family_name.clone())
    } else {
        match p.name.rsplit_once(' ') {
            Some((g, f)) => (g.to_string(), f.to_string()),
            None => (p.name.clone(), String::new()),
        }
    };
    let unix = |s: &str| app::store::parse_ts(s).map(|t| t.timestamp()).ok();
    let created = unix(&p.created_at).unwrap_or_default();
    let t = thumbs(&p.id);
    let language = p.locale.split('-').next().unwrap_or("en").to_string();
    Ok(Ok(json!({
        "sub": p.id, "name": p.name, "given_name": given, "family_name": family,
        "preferred_username": p.email, "email": p.email, "email_verified": true,
        "profile": format!("{}/account", st.public_url), "picture": t["sizeX120"], "locale": p.locale,
        "updated_at": p.updated_at.as_deref().and_then(unix).unwrap_or(created),
        "is_2fa_enabled": false, "is_backup_code_present": false, "country_code": p.country_code,
        "address": {
            "street_address": p.street_address, "locality": p.locality, "region": p.region,
            "postal_code": p.postal_code, "country": p.country_code,
        },
        "phone_number": p.phone_number, "phone_number_verified": false,
        "ldap_enabled": p.sso_domain.is_some(), "ldap_domain": p.sso_domain,
        "job_title": p.job_title, "industry": p.industry, "industry_code": p.industry_code, "about_me": p.about_me,
        "language": language, "company": p.company,
        "created_date": app::store::parse_ts(&p.created_at).ok().map(iso_seconds),
        "last_login_date": p.last_login_at.as_deref().and_then(|s| app::store::parse_ts(s).ok()).map(iso_seconds), "eidm_guid": p.id, "opt_in": p.opt_in,
        "social_userinfo_list": [], "user_thumbnails": t.clone(), "thumbnails": t,
    })))
}
