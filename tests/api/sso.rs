//! R-SSO1 end to end over HTTP: instance A's team signs in through instance B acting as
//! the company's OpenID Connect provider (discovery, PKCE, state, nonce, id_token).
use crate::common;

use app::store::identity::SsoConfig;
use common::{spawn_app, spawn_app_on, TestApp, PASSWORD};

const BRUNO: &str = "bruno.schmidt1@northwind.example";

async fn link(a: &TestApp, b: &TestApp) {
    let b_team = b.team_id("Northwind Studio").await;
    let (client, secret) = app::service::identity::create_client(
        &b.db,
        &b_team,
        "Tessera (Northwind console)",
        app::domain::oauth::Scopes::parse("user:read").unwrap(),
        vec![format!("{}/sso/callback", a.url)],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let a_team = a.team_id("Northwind Studio").await;
    let cfg = SsoConfig {
        team_id: a_team,
        issuer: b.url.clone(),
        client_id: client.id,
        client_secret: secret,
        enabled: true,
    };
    a.db.save_sso_config(&cfg, chrono::Utc::now()).await.unwrap();
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_in_through_the_company_provider() {
    let a = spawn_app().await;
    let b = spawn_app_on("localhost").await;
    link(&a, &b).await;
    let c = a.client();

    let res = c.post(format!("{}/sso", a.url)).form(&[("email", BRUNO), ("next", "/")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let to_provider = location(&res);
    assert!(to_provider.starts_with(&format!("{}/authentication/v2/authorize?", b.url)), "{to_provider}");
    assert!(to_provider.contains("code_challenge_method=S256") && to_provider.contains("nonce="));

    // At the provider: sign in there, then consent.
    let res = c.get(&to_provider).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(b.sign_in(&c, BRUNO, PASSWORD).await.0, 200);
    let html = c.get(&to_provider).send().await.unwrap().text().await.unwrap();
    let csrf = {
        let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
        html[at..at + html[at..].find('"').unwrap()].to_string()
    };
    let query = to_provider.split_once('?').unwrap().1;
    let mut form: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    form.push(("csrf".into(), csrf));
    form.push(("decision".into(), "allow".into()));
    let res = c.post(format!("{}/authentication/v2/authorize", b.url)).form(&form).send().await.unwrap();
    let back = location(&res);
    assert!(back.starts_with(&format!("{}/sso/callback?code=", a.url)), "{back}");

    // The first time, the provider's word alone signs nobody in (R-SSO1): Bruno proves the
    // account is his with his Tessera password, which links the identity to it.
    let res = c.get(&back).send().await.unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    assert_eq!(location(&res), "/sso/link");
    let (status, me) = a.call(&c, "whoami", &[]).await;
    assert_eq!((status, &me), (200, &serde_json::Value::Null), "not signed in before the proof");
    let res = c.post(format!("{}/sso/link", a.url)).form(&[("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    let (status, me) = a.call(&c, "whoami", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], BRUNO);

    // The callback works once: replaying it is refused (the state was used up).
    let res = c.get(&back).send().await.unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_without_sso_and_forged_callbacks_are_refused() {
    let a = spawn_app().await;
    let b = spawn_app_on("localhost").await;
    link(&a, &b).await;
    let c = a.client();
    // Harbor Engineering has no SSO: its members are told to use their password.
    let res =
        c.post(format!("{}/sso", a.url)).form(&[("email", "nobody@elsewhere.example")]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Single sign-on is not set up for this address"));
    // A callback that this browser did not start.
    let res = c.get(format!("{}/sso/callback?code=abc&state=xyz", a.url)).send().await.unwrap();
    assert_eq!(res.status(), 400);
    // Started, but the state does not match.
    let res = c.post(format!("{}/sso", a.url)).form(&[("email", BRUNO)]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let res = c.get(format!("{}/sso/callback?code=abc&state=forged", a.url)).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("does not match this sign-in"));
}
