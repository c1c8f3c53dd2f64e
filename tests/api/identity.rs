//! The identity API over HTTP: JWT-bearer exchange (R-SSA2) with every refusal of the
//! seed, /userinfo (R-OIDC1) with its status codes and rate limit, JWKS, discovery,
//! revocation, and an outside client written with PyJWT.
use crate::common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{spawn_app, TestApp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub(crate) struct Ssa {
    client_id: String,
    client_secret: String,
    ssa_id: String,
    kid: String,
    pem: String,
}

pub(crate) async fn make_ssa(app: &TestApp, scopes: &str) -> Ssa {
    let team = app.team_id("Northwind Studio").await;
    let now = chrono::Utc::now();
    let scopes = app::domain::oauth::Scopes::parse(scopes).unwrap();
    let (client, secret) =
        app::service::identity::create_client(&app.db, &team, "Report sync", scopes, vec![], now)
            .await
            .unwrap();
    let ssa = app::service::identity::create_ssa(&app.db, &client, "Nightly export", now).await.unwrap();
    let (kid, pem) = app::service::identity::create_ssa_key(&app.db, &ssa, now).await.unwrap();
    Ssa { client_id: client.id, client_secret: secret, ssa_id: ssa.id, kid, pem }
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign(pem: &str, header: Header, claims: &Value) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn rs256(kid: &str) -> Header {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.to_string());
    h
}

impl Ssa {
    fn claims(&self, app: &TestApp) -> Value {
        json!({
            "iss": self.client_id, "sub": self.ssa_id,
            "aud": format!("{}/authentication/v2/token", app.url),
            "exp": now_s() + 300, "scope": ["data:read"],
        })
    }
    pub(crate) fn assertion(&self, app: &TestApp) -> String {
        sign(&self.pem, rs256(&self.kid), &self.claims(app))
    }
}

pub(crate) async fn exchange(app: &TestApp, ssa: &Ssa, assertion: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/authentication/v2/token", app.url))
        .basic_auth(&ssa.client_id, Some(&ssa.client_secret))
        .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn userinfo(app: &TestApp, auth: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}/userinfo", app.url));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssa_exchanges_an_assertion_for_an_sa_token_and_reads_its_profile() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app, "data:read data:write").await;
    let (status, body) = exchange(&app, &ssa, &ssa.assertion(&app)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "data:read");
    let token = body["access_token"].as_str().unwrap();
    let claims = payload(token);
    assert!(claims["jti"].as_str().unwrap().starts_with("SA-"), "{claims}");
    assert_eq!(claims["sub"], ssa.ssa_id.as_str());

    // The token verifies with a key of the published set.
    let jwks: Value =
        reqwest::get(format!("{}/authentication/v2/keys", app.url)).await.unwrap().json().await.unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let jwk =
        jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).expect("kid published");
    assert_eq!(jwk["alg"], "ES256");
    assert_eq!(jwk["crv"], "P-256");
    let key = jsonwebtoken::DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(Algorithm::ES256);
    v.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &key, &v).expect("signature verifies with the JWKS");

    let res = userinfo(&app, Some(&format!("Bearer {token}"))).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["sub"], ssa.ssa_id.as_str());
    assert_eq!(me["name"], "Nightly export");
    assert!(me["email"].as_str().unwrap().contains('@'));

    // The key records when it was last used (the console lists it).
    let key = app.db.ssa_key(&ssa.kid).await.unwrap().unwrap();
    assert!(key.last_used_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_assertion_is_refused_with_its_reason() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app, "data:read").await;
    let other = make_ssa(&app, "data:read").await;
    // A second key of the same SSA that gets deleted.
    let ssa_row = app.db.ssa(&ssa.ssa_id).await.unwrap().unwrap();
    let (deleted_kid, deleted_pem) =
        app::service::identity::create_ssa_key(&app.db, &ssa_row, chrono::Utc::now()).await.unwrap();
    app.db.delete_ssa_key(&ssa.ssa_id, &deleted_kid, chrono::Utc::now()).await.unwrap();

    let good = ssa.claims(&app);
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let without = |k: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(k);
        c
    };
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!("{}.{}.", b64(&json!({"alg": "none", "kid": ssa.kid})), b64(&good));
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(ssa.kid.clone());
    let key_row = app.db.ssa_key(&ssa.kid).await.unwrap().unwrap();
    let hs_key = EncodingKey::from_secret(key_row.public_n.as_bytes()).unwrap();
    let hs256 = jsonwebtoken::encode(&hs, &good, &hs_key).unwrap();
    let mut no_kid = Header::new(Algorithm::RS256);
    no_kid.kid = None;
    let oversized = sign(&ssa.pem, rs256(&ssa.kid), &with("pad", json!("x".repeat(9000))));

    let other_key_reason = format!("kid {} is not a key of service account {}", other.kid, ssa.ssa_id);
    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none", unsigned, "alg must be RS256, not none"),
        ("HS256 with the public key", hs256, "alg must be RS256, not HS256"),
        ("unknown kid", sign(&ssa.pem, rs256("no-such-kid"), &good), "unknown kid"),
        ("missing kid", sign(&ssa.pem, no_kid, &good), "the header has no kid"),
        ("a key of another SSA", sign(&other.pem, rs256(&other.kid), &good), &other_key_reason),
        ("deleted key", sign(&deleted_pem, rs256(&deleted_kid), &good), "has been deleted"),
        (
            "signed with another key",
            sign(&other.pem, rs256(&ssa.kid), &good),
            "the signature does not verify",
        ),
        (
            "iss not the client",
            sign(&ssa.pem, rs256(&ssa.kid), &with("iss", json!(other.client_id))),
            "iss must be the client id",
        ),
        (
            "wrong aud",
            sign(&ssa.pem, rs256(&ssa.kid), &with("aud", json!("https://elsewhere.example/token"))),
            "aud must be",
        ),
        ("missing exp", sign(&ssa.pem, rs256(&ssa.kid), &without("exp")), "claim exp is missing"),
        (
            "exp in the past",
            sign(&ssa.pem, rs256(&ssa.kid), &with("exp", json!(now_s() - 120))),
            "exp is not in the future",
        ),
        (
            "exp 6 minutes ahead",
            sign(&ssa.pem, rs256(&ssa.kid), &with("exp", json!(now_s() + 360))),
            "exp more than 5 minutes in the future",
        ),
        (
            "scope as a string",
            sign(&ssa.pem, rs256(&ssa.kid), &with("scope", json!("data:read"))),
            "scope must be an array of strings",
        ),
        (
            "a scope the client may not have",
            sign(&ssa.pem, rs256(&ssa.kid), &with("scope", json!(["data:write"]))),
            "scope \"data:write\" is not allowed for this client",
        ),
        ("malformed", "not.a.jwt".to_string(), "is not base64url-encoded JSON"),
        ("two parts", "abc.def".to_string(), "it is not a JWT"),
        ("oversized", oversized, "it is longer than 8 KB"),
    ];
    for (name, assertion, reason) in cases {
        let (status, body) = exchange(&app, &ssa, &assertion).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["error"], "invalid_grant", "{name}: {body}");
        let d = body["error_description"].as_str().unwrap();
        assert!(d.starts_with("The 'assertion' is invalid: "), "{name}: {d}");
        assert!(d.contains(reason), "{name}: expected {reason:?} in {d:?}");
    }

    // A disabled SSA: the same good assertion that worked a moment ago is refused.
    assert_eq!(exchange(&app, &ssa, &ssa.assertion(&app)).await.0, 200);
    app.db.set_ssa_disabled(&ssa.ssa_id, Some(chrono::Utc::now())).await.unwrap();
    let (status, body) = exchange(&app, &ssa, &ssa.assertion(&app)).await;
    assert_eq!(status, 400);
    assert!(body["error_description"].as_str().unwrap().ends_with("is disabled"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_authentication_and_request_shape_errors() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app, "data:read").await;
    let url = format!("{}/authentication/v2/token", app.url);
    let c = reqwest::Client::new();
    let res = c
        .post(&url)
        .basic_auth(&ssa.client_id, Some("wrong"))
        .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_some());
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_client");

    let res = c
        .post(&url)
        .basic_auth(&ssa.client_id, Some(&ssa.client_secret))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");

    let res = c
        .post(&url)
        .basic_auth(&ssa.client_id, Some(&ssa.client_secret))
        .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")])
        .send()
        .await
        .unwrap();
    // R-SSA2: a missing assertion is an invalid assertion, in the seed's words.
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"].as_str().is_some_and(|d| d.starts_with("The 'assertion' is invalid")),
        "{body}"
    );

    let res = c
        .post(&url)
        .basic_auth(&ssa.client_id, Some(&ssa.client_secret))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_answers_400_401_403_and_429_as_the_seed_says() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app, "data:read").await;
    assert_eq!(userinfo(&app, None).await.status(), 400);
    assert_eq!(userinfo(&app, Some("Basic abc")).await.status(), 400);
    let res = userinfo(&app, Some("Bearer not-a-token")).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer error=\"invalid_token\""));

    // A two-legged token (the app's own) is not accepted.
    let res = reqwest::Client::new()
        .post(format!("{}/authentication/v2/token", app.url))
        .basic_auth(&ssa.client_id, Some(&ssa.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let two_legged: Value = res.json().await.unwrap();
    let res = userinfo(&app, Some(&format!("Bearer {}", two_legged["access_token"].as_str().unwrap()))).await;
    assert_eq!(res.status(), 401);
    assert!(res.json::<Value>().await.unwrap()["error_description"]
        .as_str()
        .unwrap()
        .contains("not a three-legged"));

    let (_, body) = exchange(&app, &ssa, &ssa.assertion(&app)).await;
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());

    // Algorithm confusion: our claims and kid, re-signed with HMAC over the public key.
    let real = body["access_token"].as_str().unwrap();
    let mut forged = Header::new(Algorithm::HS256);
    forged.kid = jsonwebtoken::decode_header(real).unwrap().kid;
    let hs_key = EncodingKey::from_secret(b"public key bytes").unwrap();
    let forged = jsonwebtoken::encode(&forged, &payload(real), &hs_key).unwrap();
    let res = userinfo(&app, Some(&format!("Bearer {forged}"))).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["error_description"], "the token's signature is not valid");
    for _ in 0..500 {
        assert_eq!(userinfo(&app, Some(&bearer)).await.status(), 200);
    }
    let res = userinfo(&app, Some(&bearer)).await;
    assert_eq!(res.status(), 429, "the 501st call in a minute");
    let retry: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "rate_limited");

    // A minute later the limit has reset; a disabled SSA is then refused with 403.
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(userinfo(&app, Some(&bearer)).await.status(), 200);
    app.db.set_ssa_disabled(&ssa.ssa_id, Some(chrono::Utc::now())).await.unwrap();
    assert_eq!(userinfo(&app, Some(&bearer)).await.status(), 403);

    // An hour on, the token has expired.
    app.clock.advance(chrono::Duration::minutes(60));
    let res = userinfo(&app, Some(&bearer)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["error_description"], "the token has expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_access_token_is_refused() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app, "data:read").await;
    let (_, body) = exchange(&app, &ssa, &ssa.assertion(&app)).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, Some(&format!("Bearer {token}"))).await.status(), 200);
    let res = reqwest::Client::new()
        .post(format!("{}/authentication/v2/revoke", app.url))
        .basic_auth(&ssa.client_id, Some(&ssa.client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = userinfo(&app, Some(&format!("Bearer {token}"))).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["error_description"], "The token has been revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_names_the_endpoints() {
    let app = spawn_app().await;
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], app.url.as_str());
    assert_eq!(d["token_endpoint"], format!("{}/authentication/v2/token", app.url));
    assert_eq!(d["jwks_uri"], format!("{}/authentication/v2/keys", app.url));
    assert_eq!(d["userinfo_endpoint"], format!("{}/userinfo", app.url));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
}

/// The seed's Python snippet, run for real: PyJWT signs the assertion, urllib exchanges it
/// and calls /userinfo. Uses the system Python (Debian's python3-jwt).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outside_client_written_with_pyjwt_gets_a_token_and_a_profile() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app, "data:read user-profile:read").await;
    let python = std::env::var("TESSERA_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let key_file = app.dir.path().join("ssa.pem");
    std::fs::write(&key_file, &ssa.pem).unwrap();
    let out = tokio::process::Command::new(python)
        .arg("tests/support/ssa_client.py")
        .env("TOKEN_URL", format!("{}/authentication/v2/token", app.url))
        .env("USERINFO_URL", format!("{}/userinfo", app.url))
        .env("CLIENT_ID", &ssa.client_id)
        .env("CLIENT_SECRET", &ssa.client_secret)
        .env("SSA_ID", &ssa.ssa_id)
        .env("KID", &ssa.kid)
        .env("KEY_FILE", &key_file)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(got["jti"].as_str().unwrap().starts_with("SA-"), "{got}");
    assert_eq!(got["scope"], "data:read user-profile:read");
    assert_eq!(got["userinfo"]["sub"], ssa.ssa_id.as_str());
}

struct UserFlow {
    client_id: String,
    client_secret: String,
}

async fn make_app_client(app: &TestApp) -> UserFlow {
    let team = app.team_id("Northwind Studio").await;
    let (client, secret) = app::service::identity::create_client(
        &app.db,
        &team,
        "Draft 2D desktop",
        app::domain::oauth::Scopes::parse("data:read user:read").unwrap(),
        vec!["http://127.0.0.1/callback".into()],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    UserFlow { client_id: client.id, client_secret: secret }
}

fn pkce() -> (String, String) {
    use sha2::{Digest, Sha256};
    let verifier = format!("v{}", "x1-._~".repeat(8));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Signs in, consents, and returns the redirect URL with the code.
async fn consent(app: &TestApp, flow: &UserFlow, challenge: &str, port: u16) -> String {
    let c = app.client();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let query = [
        ("response_type", "code"),
        ("client_id", flow.client_id.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("scope", "openid email profile data:read"),
        ("state", "st-42"),
        ("nonce", "n-7"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    let url = format!("{}/authentication/v2/authorize", app.url);
    let res = c.get(&url).query(&query).send().await.unwrap();
    assert_eq!(res.status(), 303, "signed out: sent to sign in");
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/sign-in?next=%2Fauthentication%2Fv2%2Fauthorize%3F"), "{to}");
    let signed = app.sign_in(&c, "bruno.schmidt1@northwind.example", common::PASSWORD).await;
    assert_eq!(signed.0, 200, "{signed:?}");
    let html = c.get(&url).query(&query).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Allow Draft 2D desktop to use your account?"), "{html}");
    assert!(html.contains("Read your data"));
    let mut form: Vec<(&str, String)> = query.iter().map(|(k, v)| (*k, v.to_string())).collect();
    form.push(("csrf", hidden(&html, "csrf")));
    form.push(("decision", "allow".into()));
    let res = c.post(&url).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_string()
}

async fn token_call(app: &TestApp, flow: &UserFlow, form: &[(&str, &str)]) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/authentication/v2/token", app.url))
        .basic_auth(&flow.client_id, Some(&flow.client_secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_with_pkce_then_refresh_rotation() {
    let app = spawn_app().await;
    let flow = make_app_client(&app).await;
    let (verifier, challenge) = pkce();
    let back = consent(&app, &flow, &challenge, 53682).await;
    assert!(back.starts_with("http://127.0.0.1:53682/callback?code="), "{back}");
    assert!(back.ends_with("&state=st-42"));
    let code = back.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let redirect = "http://127.0.0.1:53682/callback";

    let (status, body) = token_call(
        &app,
        &flow,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", "x".repeat(43).as_str()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("code_verifier does not match the code_challenge"))
    );
    // The failed attempt used the code up: a stolen code cannot be tried twice.
    let (status, body) = token_call(
        &app,
        &flow,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let back = consent(&app, &flow, &challenge, 53682).await;
    let code = back.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let (status, body) = token_call(
        &app,
        &flow,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "data:read email openid profile");
    let id_header = jsonwebtoken::decode_header(body["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(id_header.alg, Algorithm::RS256, "id tokens use the algorithm every OpenID client accepts");
    let id_token = payload(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["nonce"], "n-7");
    assert_eq!(id_token["aud"], flow.client_id.as_str());
    assert_eq!(id_token["email"], "bruno.schmidt1@northwind.example");
    let access = body["access_token"].as_str().unwrap();
    let me: Value = userinfo(&app, Some(&format!("Bearer {access}"))).await.json().await.unwrap();
    assert_eq!(me["email"], "bruno.schmidt1@northwind.example");
    assert_eq!(me["name"], "Bruno Schmidt");
    assert_eq!(me["given_name"], "Bruno");
    assert_eq!(me["family_name"], "Schmidt");
    assert_eq!(me["company"], "Northwind Studio");
    assert_eq!(me["locale"], "de-DE");
    assert_eq!(me["language"], "de");
    assert_eq!(me["address"]["locality"], "Berlin");
    assert!(me["last_login_date"].as_str().unwrap().ends_with('Z'));
    assert!(me["user_thumbnails"]["sizeX120"].as_str().unwrap().ends_with("/x120.svg"));

    let first = body["refresh_token"].as_str().unwrap().to_string();
    let (status, rotated) =
        token_call(&app, &flow, &[("grant_type", "refresh_token"), ("refresh_token", &first)]).await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    // Replaying the used token revokes the family, including the newer token.
    let (status, body) =
        token_call(&app, &flow, &[("grant_type", "refresh_token"), ("refresh_token", &first)]).await;
    assert_eq!(status, 400);
    assert!(body["error_description"].as_str().unwrap().contains("now revoked"));
    let (status, _) =
        token_call(&app, &flow, &[("grant_type", "refresh_token"), ("refresh_token", &second)]).await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_refuses_unknown_apps_and_unregistered_redirects_on_its_own_page() {
    let app = spawn_app().await;
    let flow = make_app_client(&app).await;
    let (_, challenge) = pkce();
    let c = app.client();
    let url = format!("{}/authentication/v2/authorize", app.url);
    let res = c
        .get(&url)
        .query(&[("client_id", "nope"), ("redirect_uri", "http://127.0.0.1/callback")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("unknown client_id"));
    let res = c
        .get(&url)
        .query(&[
            ("client_id", flow.client_id.as_str()),
            ("redirect_uri", "https://evil.example/callback"),
            ("response_type", "code"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "never redirects to an unregistered URI");
    // A registered redirect: errors go back to the app with the state.
    let res = c
        .get(&url)
        .query(&[
            ("client_id", flow.client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:9999/callback"),
            ("response_type", "code"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "plain"),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(to.starts_with("http://127.0.0.1:9999/callback?error=invalid_request&error_description=code_challenge_method+must+be+S256&state=s1"), "{to}");
    let res = c
        .get(&url)
        .query(&[
            ("client_id", flow.client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:9999/callback"),
            ("response_type", "code"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("scope", "data:write"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.headers()["location"].to_str().unwrap().contains("error=invalid_scope"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_keys_rotate_after_30_days_and_stay_published_for_90() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app, "data:read").await;
    let kid_of = |body: &Value| {
        jsonwebtoken::decode_header(body["access_token"].as_str().unwrap()).unwrap().kid.unwrap()
    };
    let jwks = || async {
        let v: Value =
            reqwest::get(format!("{}/authentication/v2/keys", app.url)).await.unwrap().json().await.unwrap();
        // The access-token keys (id tokens have RS256 keys of their own).
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["alg"] == "ES256")
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let (_, first) = exchange(&app, &ssa, &ssa.assertion(&app)).await;
    let first_kid = kid_of(&first);
    assert_eq!(jwks().await, vec![first_kid.clone()]);

    // 31 days on a new key signs and the old one is still published. (The assertion's exp
    // is checked against the server's moved clock, so it is timed by that clock.)
    app.clock.advance(chrono::Duration::days(31));
    let shifted_assertion = |app: &TestApp| {
        let mut c = ssa.claims(app);
        c["exp"] = json!(app::service::state::Clock::now(&*app.clock).timestamp() + 300);
        sign(&ssa.pem, rs256(&ssa.kid), &c)
    };
    let (status, second) = exchange(&app, &ssa, &shifted_assertion(&app)).await;
    assert_eq!(status, 200, "{second}");
    let second_kid = kid_of(&second);
    assert_ne!(first_kid, second_kid);
    let published = jwks().await;
    assert_eq!(published, vec![second_kid.clone(), first_kid.clone()], "newest first, old still there");

    // 91 days after the first key was made, it is no longer published.
    app.clock.advance(chrono::Duration::days(60));
    let published = jwks().await;
    assert!(!published.contains(&first_kid), "{published:?}");
    assert!(published.contains(&second_kid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_functions_for_apps_are_for_the_teams_own_admins_only() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let harbor = app.team_id("Harbor Engineering").await;
    let now = chrono::Utc::now();
    let all = app::domain::oauth::Scopes::all_api();
    let (harbor_client, _) =
        app::service::identity::create_client(&app.db, &harbor, "Harbor sync", all, vec![], now)
            .await
            .unwrap();
    let harbor_ssa =
        app::service::identity::create_ssa(&app.db, &harbor_client, "Harbor export", now).await.unwrap();

    // Amara administers Northwind only.
    let amara = app.client();
    assert_eq!(app.sign_in(&amara, "amara.okafor0@northwind.example", common::PASSWORD).await.0, 200);
    let (_, body) =
        app.call(&amara, "create_ssa_key", &[("team", north.as_str()), ("ssa", &harbor_ssa.id)]).await;
    assert_eq!(body["code"], "not_found", "another team's SSA, named through her own team: {body}");
    let (_, body) =
        app.call(&amara, "create_ssa_key", &[("team", harbor.as_str()), ("ssa", &harbor_ssa.id)]).await;
    assert_eq!(body["code"], "not_a_member", "a team she is not in: {body}");
    let (_, body) = app
        .call(&amara, "create_ssa", &[("team", north.as_str()), ("client", &harbor_client.id), ("name", "x")])
        .await;
    assert_eq!(body["code"], "not_found", "{body}");
    let (status, body) = app.call(&amara, "team_apps", &[("team", north.as_str())]).await;
    assert_eq!(status, 200);
    assert_eq!(body["clients"], json!([]), "Harbor's app is not listed for Northwind");

    // A plain member of Northwind.
    let bruno = app.client();
    app.sign_in(&bruno, "bruno.schmidt1@northwind.example", common::PASSWORD).await;
    let (_, body) = app.call(&bruno, "team_apps", &[("team", north.as_str())]).await;
    assert_eq!(body["code"], "admin_only", "{body}");
    let (_, body) = app
        .call(
            &bruno,
            "save_sso",
            &[
                ("team", north.as_str()),
                ("issuer", "https://idp.example"),
                ("client_id", "c"),
                ("client_secret", "s"),
            ],
        )
        .await;
    assert_eq!(body["code"], "admin_only", "{body}");
    assert_eq!(app.db.sso_config(&north).await.unwrap(), None, "nothing saved");

    // Amara's own app: a bad redirect URI is refused with its line, a good app is created.
    let (_, body) = app
        .call(
            &amara,
            "create_app",
            &[
                ("team", north.as_str()),
                ("name", "Farm"),
                ("redirect_uris", "https://ok.example/cb\nhttp://bad.example/cb"),
            ],
        )
        .await;
    assert_eq!(body["code"], "invalid", "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("Line 2: "), "{body}");
    assert!(app.db.clients_of_team(&north).await.unwrap().is_empty(), "nothing saved");
    let (status, created) = app
        .call(&amara, "create_app", &[("team", north.as_str()), ("name", "Farm"), ("redirect_uris", "")])
        .await;
    assert_eq!(status, 200, "{created}");
    assert!(app.db.client(created["id"].as_str().unwrap()).await.unwrap().is_some());
}

/// A browser without JavaScript: the sign-in form posts, comes back to the sign-in page,
/// and that page (now signed in) redirects to the authorization request it came from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_sign_in_returns_to_the_authorization_request() {
    let app = spawn_app().await;
    let c = app.client();
    let next = "/authentication/v2/authorize?client_id=abc&scope=openid%20data%3Aread";
    let sign_in_page = format!(
        "{}/sign-in?next={}",
        app.url,
        form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let res = c
        .post(format!("{}/api/sign_in", app.url))
        .header("Accept", "text/html")
        .header("Referer", &sign_in_page)
        .form(&[("email", common::ADMIN), ("password", common::PASSWORD), ("next", next)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"].to_str().unwrap(), sign_in_page);
    let res = c.get(&sign_in_page).send().await.unwrap();
    assert_eq!(res.status(), 302, "a page naming a location is a redirect");
    assert_eq!(res.headers()["location"].to_str().unwrap(), next);
    // The console's own root redirect works without JavaScript too.
    let res = c.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/t/"));
}

/// The team's audit entries for `action`, oldest first.
async fn audit_of(
    app: &TestApp,
    team: &app::domain::TeamId,
    action: &str,
) -> Vec<app::store::audit::AuditEntry> {
    let (mut rows, _) = app.db.audit_entries(team, Some(action), 0, 1000).await.unwrap();
    rows.reverse();
    rows
}

/// Makes every insert into the audit log fail, as a crash between the change and its entry
/// would leave it: whatever a console function changes must then not be there either.
async fn refuse_audit_entries(app: &TestApp) {
    let statements: &[&str] = match app.db.engine {
        app::store::Engine::Sqlite => &["CREATE TRIGGER audit_refused BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit refused'); END"],
        app::store::Engine::Postgres => &[
            "CREATE FUNCTION audit_refused() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$",
            "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_refused()",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(&app.db.pool).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_to_apps_and_sso_is_audited_in_its_own_transaction() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let amara = app.client();
    assert_eq!(app.sign_in(&amara, "amara.okafor0@northwind.example", common::PASSWORD).await.0, 200);
    let t = north.as_str();
    let by_amara = |e: &app::store::audit::AuditEntry| e.actor.contains("amara.okafor0@northwind.example");

    // Refused changes leave no entry.
    let (_, body) =
        app.call(&amara, "create_app", &[("team", t), ("name", " "), ("redirect_uris", "")]).await;
    assert_eq!(body["code"], "invalid", "{body}");
    assert!(audit_of(&app, &north, "app").await.is_empty());

    let (status, created) =
        app.call(&amara, "create_app", &[("team", t), ("name", "Farm"), ("redirect_uris", "")]).await;
    assert_eq!(status, 200, "{created}");
    let client = created["id"].as_str().unwrap();
    let apps = audit_of(&app, &north, "app").await;
    assert_eq!(apps.len(), 1, "{apps:?}");
    assert_eq!(apps[0].target, format!("App Farm ({client})"));
    assert!(by_amara(&apps[0]), "{:?}", apps[0]);

    let (status, ssa) =
        app.call(&amara, "create_ssa", &[("team", t), ("client", client), ("name", "Export")]).await;
    assert_eq!(status, 200, "{ssa}");
    let ssa = ssa.as_str().unwrap().to_string();
    let (status, key) = app.call(&amara, "create_ssa_key", &[("team", t), ("ssa", &ssa)]).await;
    assert_eq!(status, 200, "{key}");
    let kid = key["id"].as_str().unwrap().to_string();
    let (_, body) =
        app.call(&amara, "delete_ssa_key", &[("team", t), ("ssa", &ssa), ("kid", "no-such-key")]).await;
    assert_eq!(body["code"], "not_found", "{body}");
    let (status, body) =
        app.call(&amara, "delete_ssa_key", &[("team", t), ("ssa", &ssa), ("kid", &kid)]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        app.call(&amara, "set_ssa_enabled", &[("team", t), ("ssa", &ssa), ("enabled", "false")]).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = app.call(&amara, "create_ssa_key", &[("team", t), ("ssa", &ssa)]).await;
    assert_eq!(body["code"], "conflict", "a disabled account gets no key: {body}");

    let entries = audit_of(&app, &north, "ssa").await;
    let summary: Vec<(String, Option<String>)> =
        entries.iter().map(|e| (e.target.clone(), e.after.clone())).collect();
    assert_eq!(
        summary,
        [
            (format!("Service account Export ({ssa})"), Some(r#"{"created":true}"#.to_string())),
            (format!("Key {kid} of Export"), Some(format!(r#"{{"key_created":"{kid}"}}"#))),
            (format!("Key {kid} of Export"), Some(format!(r#"{{"key_deleted":"{kid}"}}"#))),
            (format!("Service account Export ({ssa})"), Some(r#"{"enabled":false}"#.to_string())),
        ]
    );
    assert!(entries.iter().all(by_amara), "{entries:?}");

    let sso = |issuer: &'static str| {
        [
            ("team", t),
            ("issuer", issuer),
            ("client_id", "tessera"),
            ("client_secret", "s3cret"),
            ("enabled", "true"),
        ]
    };
    let (_, body) = app.call(&amara, "save_sso", &sso("ftp://idp.example")).await;
    assert_eq!(body["code"], "invalid", "{body}");
    assert!(audit_of(&app, &north, "sso").await.is_empty());
    let (status, body) = app.call(&amara, "save_sso", &sso("https://idp.example")).await;
    assert_eq!(status, 200, "{body}");
    let entries = audit_of(&app, &north, "sso").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].after.as_deref(), Some(r#"{"enabled":true,"issuer":"https://idp.example"}"#));
    // A blank secret keeps the stored one (the form never shows it back).
    let mut keep = sso("https://idp.example");
    keep[3].1 = "";
    let (status, body) = app.call(&amara, "save_sso", &keep).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.db.sso_config(&north).await.unwrap().unwrap().client_secret, "s3cret");

    // When the entry cannot be written, the change is not made either.
    let (_, spare) =
        app.call(&amara, "create_ssa", &[("team", t), ("client", client), ("name", "Spare")]).await;
    let spare = spare.as_str().unwrap().to_string();
    let (_, spare_key) = app.call(&amara, "create_ssa_key", &[("team", t), ("ssa", &spare)]).await;
    let spare_kid = spare_key["id"].as_str().unwrap().to_string();
    refuse_audit_entries(&app).await;
    let (status, _) = app.call(&amara, "create_ssa_key", &[("team", t), ("ssa", &spare)]).await;
    assert_eq!(status, 500);
    let (status, _) =
        app.call(&amara, "delete_ssa_key", &[("team", t), ("ssa", &spare), ("kid", &spare_kid)]).await;
    assert_eq!(status, 500);
    let kids: Vec<String> = app.db.keys_of_ssa(&spare).await.unwrap().into_iter().map(|k| k.kid).collect();
    assert_eq!(kids, [spare_kid], "no key added, none deleted");
    let (status, _) =
        app.call(&amara, "create_app", &[("team", t), ("name", "Lost"), ("redirect_uris", "")]).await;
    assert_eq!(status, 500);
    let names: Vec<String> =
        app.db.clients_of_team(&north).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Farm"]);
    let (status, _) =
        app.call(&amara, "create_ssa", &[("team", t), ("client", client), ("name", "Lost")]).await;
    assert_eq!(status, 500);
    assert_eq!(app.db.ssas_of_client(client).await.unwrap().len(), 2, "Export and Spare");
    let (status, _) =
        app.call(&amara, "set_ssa_enabled", &[("team", t), ("ssa", &ssa), ("enabled", "true")]).await;
    assert_eq!(status, 500);
    assert!(app.db.ssa(&ssa).await.unwrap().unwrap().disabled_at.is_some(), "still disabled");
    let (status, _) = app.call(&amara, "save_sso", &sso("https://other.example")).await;
    assert_eq!(status, 500);
    assert_eq!(app.db.sso_config(&north).await.unwrap().unwrap().issuer, "https://idp.example");
}
