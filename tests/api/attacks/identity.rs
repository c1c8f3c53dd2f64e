//! Attacks: the identity API's JWT-bearer exchange (R-SSA2). Tried as a service account's
//! owner (or someone holding a captured assertion) stretching the rules: `exp` a little in
//! the past or a little too far ahead (once tolerated as clock skew), exactly now, and no
//! assertion at all. Each is refused with `invalid_grant` and "The 'assertion' is invalid",
//! and no token is issued.
use crate::common::{spawn_app, TestApp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

struct Ssa {
    client_id: String,
    client_secret: String,
    ssa_id: String,
    kid: String,
    pem: String,
}

async fn make_ssa(app: &TestApp) -> Ssa {
    let team = app.team_id("Northwind Studio").await;
    let now = chrono::Utc::now();
    let scopes = app::domain::oauth::Scopes::parse("data:read").expect("scopes");
    let (client, secret) =
        app::service::identity::create_client(&app.db, &team, "Report sync", scopes, vec![], now)
            .await
            .expect("client");
    let ssa = app::service::identity::create_ssa(&app.db, &client, "Nightly export", now).await.expect("ssa");
    let (kid, pem) = app::service::identity::create_ssa_key(&app.db, &ssa, now).await.expect("key");
    Ssa { client_id: client.id, client_secret: secret, ssa_id: ssa.id, kid, pem }
}

impl Ssa {
    /// A correctly signed assertion expiring `exp_in` seconds from now (the server's clock,
    /// which is the system clock in these tests).
    fn assertion(&self, app: &TestApp, exp_in: i64) -> String {
        let claims = json!({
            "iss": self.client_id, "sub": self.ssa_id,
            "aud": format!("{}/authentication/v2/token", app.url),
            "exp": chrono::Utc::now().timestamp() + exp_in, "scope": ["data:read"],
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        let key = EncodingKey::from_rsa_pem(self.pem.as_bytes()).expect("pem");
        jsonwebtoken::encode(&header, &claims, &key).expect("sign")
    }
}

async fn exchange(app: &TestApp, ssa: &Ssa, form: &[(&str, &str)]) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/authentication/v2/token", app.url))
        .basic_auth(&ssa.client_id, Some(&ssa.client_secret))
        .form(form)
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.json().await.expect("json"))
}

const GRANT: (&str, &str) = ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");

fn refused(status: u16, body: &Value, reason: &str, case: &str) {
    assert_eq!(status, 400, "{case}: {body}");
    assert_eq!(body["error"], "invalid_grant", "{case}: {body}");
    let d = body["error_description"].as_str().unwrap_or_default();
    assert!(d.starts_with("The 'assertion' is invalid"), "{case}: {d}");
    assert!(d.contains(reason), "{case}: expected {reason:?} in {d:?}");
    assert!(body.get("access_token").is_none(), "{case}: a token was issued: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exp_outside_zero_to_five_minutes_is_refused_without_skew() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app).await;
    let cases = [
        ("30 s in the past (once tolerated)", -30, "exp is not in the future"),
        ("1 s in the past", -1, "exp is not in the future"),
        ("exactly now", 0, "exp is not in the future"),
        ("5 min 30 s ahead (once tolerated)", 330, "exp more than 5 minutes in the future"),
        ("6 minutes ahead", 360, "exp more than 5 minutes in the future"),
    ];
    for (case, exp_in, reason) in cases {
        let assertion = ssa.assertion(&app, exp_in);
        let (status, body) = exchange(&app, &ssa, &[GRANT, ("assertion", &assertion)]).await;
        refused(status, &body, reason, case);
    }
    // The edges of the window that stay open: 5 minutes exactly, and a minute.
    for exp_in in [300, 60] {
        let assertion = ssa.assertion(&app, exp_in);
        let (status, body) = exchange(&app, &ssa, &[GRANT, ("assertion", &assertion)]).await;
        assert_eq!(status, 200, "exp now + {exp_in} s: {body}");
        assert!(body["access_token"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_empty_assertion_is_an_invalid_assertion() {
    let app = spawn_app().await;
    let ssa = make_ssa(&app).await;
    let (status, body) = exchange(&app, &ssa, &[GRANT]).await;
    refused(status, &body, "no assertion was sent", "missing");
    let (status, body) = exchange(&app, &ssa, &[GRANT, ("assertion", "")]).await;
    refused(status, &body, "no assertion was sent", "empty");
}
