//! Security headers on every answer and the Origin check on state-changing requests.
use crate::common;
use common::*;

const EVIL: &str = "https://evil.example";

/// The nonce named in a response's Content-Security-Policy.
fn csp_nonce(res: &reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    let start = csp.find("'nonce-").unwrap_or_else(|| panic!("no nonce in {csp}")) + 7;
    csp[start..].split('\'').next().unwrap().to_string()
}

fn assert_hardening_headers(res: &reqwest::Response) {
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(part), "{part} missing in {csp}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin");
    assert!(h.contains_key("permissions-policy"));
    // Served over plain http here: no HSTS (it would pin browsers to https).
    assert!(!h.contains_key("strict-transport-security"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_headers_and_their_scripts_the_policys_nonce() {
    let app = spawn_app().await;
    let c = app.client();
    let res = c.get(format!("{}/sign-in", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_hardening_headers(&res);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    let nonce = csp_nonce(&res);
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "the page hydrates with an inline script");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries the response's nonce:\n{html}"
    );
    let again = c.get(format!("{}/sign-in", app.url)).send().await.unwrap();
    assert_ne!(csp_nonce(&again), nonce, "a fresh nonce per response");

    // A page Leptos renders as not found uses the same nonce path.
    let missing = c.get(format!("{}/no-such-page", app.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let nonce = csp_nonce(&missing);
    assert!(missing.text().await.unwrap().contains(&format!("nonce=\"{nonce}\"")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_answers_carry_the_headers_too() {
    let app = spawn_app().await;
    let c = app.client();
    let res = c.get(format!("{}/.well-known/openid-configuration", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_hardening_headers(&res);
    assert!(res.json::<serde_json::Value>().await.unwrap()["issuer"].is_string());
    let (status, _) = app.sign_in(&c, ADMIN, PASSWORD).await;
    assert_eq!(status, 200);
    let res =
        c.post(format!("{}/api/whoami", app.url)).header("Accept", "application/json").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_hardening_headers(&res);
}

async fn post_from(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    origin: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = c.post(format!("{}{path}", app.url)).header("Accept", "application/json").form(form);
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_site_cannot_change_anything_with_the_session() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.client();
    let (status, _) = app.sign_in(&c, ADMIN, PASSWORD).await;
    assert_eq!(status, 200);

    let form = [("team", north.as_str()), ("name", "Planted by evil"), ("redirect_uris", "")];
    let res = post_from(&app, &c, "/api/create_app", Some(EVIL), &form).await;
    assert_eq!(res.status(), 403);
    assert_hardening_headers(&res);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "forbidden_origin", "{body}");
    assert!(body["message"].as_str().unwrap().contains(&app.url), "{body}");
    assert!(app.db.clients_of_team(&north).await.unwrap().is_empty(), "no app was created");

    // A page on another site that hides its Origin is still known by Sec-Fetch-Site.
    let res = c
        .post(format!("{}/api/create_app", app.url))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(app.db.clients_of_team(&north).await.unwrap().is_empty(), "no app was created");

    // Signing out from another site does not end the session either.
    let res = post_from(&app, &c, "/api/sign_out", Some("null"), &[]).await;
    assert_eq!(res.status(), 403);
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert_eq!(me["name"], "Avery Admin", "still signed in");

    // The console itself (same origin) and clients that send no Origin go through.
    let form = [("team", north.as_str()), ("name", "From the console"), ("redirect_uris", "")];
    let res = post_from(&app, &c, "/api/create_app", Some(&app.url), &form).await;
    assert_eq!(res.status(), 200);
    let form = [("team", north.as_str()), ("name", "From a script"), ("redirect_uris", "")];
    let res = post_from(&app, &c, "/api/create_app", None, &form).await;
    assert_eq!(res.status(), 200);
    let mut names: Vec<String> =
        app.db.clients_of_team(&north).await.unwrap().into_iter().map(|c| c.name).collect();
    names.sort();
    assert_eq!(names, ["From a script", "From the console"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_site_cannot_sign_a_browser_in() {
    let app = spawn_app().await;
    let c = app.client();
    let form = [("email", ADMIN), ("password", PASSWORD)];
    let res = post_from(&app, &c, "/api/sign_in", Some(EVIL), &form).await;
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("set-cookie").is_none(), "no session started");
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert_eq!(me, serde_json::Value::Null, "not signed in");

    let res = post_from(&app, &c, "/api/sign_in", Some(&app.url), &form).await;
    assert_eq!(res.status(), 200);
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert_eq!(me["name"], "Avery Admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_forms_from_another_site_get_a_short_refusal() {
    let app = spawn_app().await;
    let c = app.client();
    for path in ["/authentication/v2/authorize", "/sso"] {
        let res = post_from(&app, &c, path, Some(EVIL), &[("decision", "allow")]).await;
        assert_eq!(res.status(), 403, "{path}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"), "{path}");
        assert!(res.text().await.unwrap().contains("another site"), "{path}");
    }
}

/// Token, revocation and licensing endpoints take no cookie: apps and other sites' servers
/// call them, whatever Origin they send, and get their usual protocol answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_endpoints_ignore_the_origin() {
    let app = spawn_app().await;
    let c = app.client();
    let res =
        post_from(&app, &c, "/authentication/v2/token", Some(EVIL), &[("grant_type", "client_credentials")])
            .await;
    assert_ne!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].is_string(), "an OAuth error, not an origin refusal: {body}");
    let res = c
        .post(format!("{}/licensing/v1/authorize", app.url))
        .header("Origin", EVIL)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "asks for a bearer token, not an origin");
}
