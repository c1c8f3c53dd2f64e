//! The licensing API over HTTP (R-LIC1..5, R-PRI1, R-TOK1): leases that verify against
//! the published keys, Flex charging once per 24-hour window and never past the balance
//! (also under 1,000 concurrent authorizations), devices, the one active session, release,
//! heartbeat lapse, and bad requests.
use crate::common;

use app::domain::licensing::LeaseClaims;
use app::domain::oauth::GrantKind;
use app::domain::{Email, PersonName, TeamId, TeamName, UserId};
use app::service::state::Clock;
use app::store::teams::{MemberStatus, Role};
use chrono::{DateTime, Duration, Utc};
use common::{spawn_app, Licensing, TestApp};
use serde_json::{json, Value};

/// The Northwind app the licensing tests' products sign in with.
async fn licensing(app: &TestApp) -> Licensing {
    Licensing::new(app, &app.team_id("Northwind Studio").await, "Model 3D desktop").await
}

async fn call(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/licensing/v1/{path}", app.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn authorize(app: &TestApp, token: &str, product: &str, device: &str) -> (u16, Value) {
    let name = format!("{device} laptop");
    call(app, "authorize", token, json!({ "product": product, "device_id": device, "device_name": name }))
        .await
}

async fn release(app: &TestApp, token: &str, product: &str, device: &str) -> (u16, Value) {
    call(app, "release", token, json!({ "product": product, "device_id": device })).await
}

async fn product_id(app: &TestApp, code: &str) -> String {
    app.db.product_by_code(code).await.unwrap().unwrap().id
}

async fn account_id(app: &TestApp, email: &str) -> UserId {
    app.db.account_by_email(&Email::parse(email).unwrap()).await.unwrap().unwrap().id
}

/// A new team with `users` active Flex users (every product) and one purchase per amount.
async fn flex_team(app: &TestApp, name: &str, users: usize, purchases: &[i64]) -> (TeamId, Vec<UserId>) {
    let now = app.clock.now();
    let mut tx = app.db.pool.begin().await.unwrap();
    let team = app::store::teams::create_team(&mut *tx, &TeamName::parse(name).unwrap(), now).await.unwrap();
    let mut ids = vec![];
    for i in 0..users {
        let email =
            Email::parse(&format!("flex{i}@{}.example", name.to_lowercase().replace(' ', "-"))).unwrap();
        let acc = app::store::accounts::create(
            &mut *tx,
            &email,
            &PersonName::parse(&format!("Flex User {i}")).unwrap(),
            None,
            now,
        )
        .await
        .unwrap();
        app::store::teams::add_member(
            &mut tx,
            &team,
            &acc,
            (Role::Member, false),
            MemberStatus::Active,
            None,
            now,
        )
        .await
        .unwrap();
        app::store::assignments::add_flex_user(&mut tx, &team, &acc, now).await.unwrap();
        ids.push(acc);
    }
    for (i, amount) in purchases.iter().enumerate() {
        // Older purchases first, so "earliest expiry" and "first bought" differ from id order.
        app::store::tokens::add_purchase(&mut tx, &team, *amount, now - Duration::days(100 - i as i64))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    (team, ids)
}

async fn balance(app: &TestApp, team: &TeamId) -> i64 {
    let lots = app::store::ledger::team_lots(&app.db.pool, team).await.unwrap();
    app::domain::ledger::balance(&lots, app.clock.now())
}

async fn assign(app: &TestApp, team: &str, account: &UserId, product: &str) {
    let team = app.team_id(team).await;
    let pid = product_id(app, product).await;
    let mut tx = app.db.pool.begin().await.unwrap();
    app::store::assignments::assign(&mut tx, &team, account, &pid, None, app.clock.now()).await.unwrap();
    tx.commit().await.unwrap();
}

fn at(v: &Value, key: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v[key].as_str().unwrap()).unwrap().with_timezone(&Utc)
}

/// Verifies the lease with the published JWKS only, as a product would.
async fn verify_lease(app: &TestApp, lease: &str) -> LeaseClaims {
    let jwks: Value =
        reqwest::get(format!("{}/authentication/v2/keys", app.url)).await.unwrap().json().await.unwrap();
    let header = jsonwebtoken::decode_header(lease).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref())
        .expect("the lease's key is published");
    let key =
        jsonwebtoken::DecodingKey::from_ec_components(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap())
            .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.validate_aud = false;
    jsonwebtoken::decode::<LeaseClaims>(lease, &key, &v).unwrap().claims
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscription_seat_gets_a_signed_30_day_lease_and_costs_no_tokens() {
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    let person = account_id(&app, "bruno.schmidt1@northwind.example").await;
    assign(&app, "Northwind Studio", &person, "MODEL3D").await;
    let north = app.team_id("Northwind Studio").await;
    let before = balance(&app, &north).await;

    let token = lic.token(&app, &person).await;
    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["license_type"], "subscription");
    assert_eq!(body["tokens_charged"], 0);
    let now = app.clock.now();
    assert!((at(&body, "offline_until") - (now + Duration::days(30))).num_seconds().abs() < 5);
    assert!((at(&body, "next_check_at") - (now + Duration::hours(24))).num_seconds().abs() < 5);
    let lease = verify_lease(&app, body["lease"].as_str().unwrap()).await;
    assert_eq!(
        (lease.sub.as_str(), lease.product.as_str(), lease.device_id.as_str()),
        (person.as_str(), "MODEL3D", "dev-a")
    );
    assert_eq!(lease.exp, at(&body, "offline_until").timestamp());
    assert_eq!(balance(&app, &north).await, before, "a subscription never charges tokens");

    // The seat's last use is recorded for seat usage (R-USE1).
    let used: Option<String> =
        sqlx::query_scalar("SELECT last_accessed_at FROM assignments WHERE account_id = $1")
            .bind(person.as_str())
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(used.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trial_wins_over_flex_and_costs_nothing() {
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    let person = account_id(&app, "bruno.schmidt1@northwind.example").await;
    let north = app.team_id("Northwind Studio").await;
    let mut tx = app.db.pool.begin().await.unwrap();
    app::store::assignments::add_flex_user(&mut tx, &north, &person, app.clock.now()).await.unwrap();
    tx.commit().await.unwrap();
    // Northwind's trial is RENDER (seeded); the person is also a Flex user of every product.
    assign(&app, "Northwind Studio", &person, "RENDER").await;
    let before = balance(&app, &north).await;
    let token = lic.token(&app, &person).await;
    let (status, body) = authorize(&app, &token, "RENDER", "dev-a").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["license_type"].as_str(), body["tokens_charged"].as_i64()), (Some("trial"), Some(0)));
    // Without a seat the same person pays with Flex.
    let (status, body) = authorize(&app, &token, "SURVEY", "dev-a").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["license_type"].as_str(), body["tokens_charged"].as_i64()), (Some("flex"), Some(5)));
    assert_eq!(balance(&app, &north).await, before - 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn flex_charges_once_per_24_hour_window_oldest_tokens_first() {
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    let (team, users) = flex_team(&app, "Window Team", 1, &[15, 100]).await;
    let token = lic.token(&app, &users[0]).await;

    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["license_type"].as_str(), body["tokens_charged"].as_i64()), (Some("flex"), Some(10)));
    let (_, again) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!(again["tokens_charged"], 0, "inside the window: {again}");
    assert_eq!(balance(&app, &team).await, 105);

    app.clock.advance(Duration::hours(23) + Duration::minutes(59));
    let token = lic.token(&app, &users[0]).await;
    let (_, body) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!(body["tokens_charged"], 0, "{body}");
    app.clock.advance(Duration::minutes(1));
    let token = lic.token(&app, &users[0]).await;
    let (_, body) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!(body["tokens_charged"], 10, "a new window: {body}");

    // 10 + 10 from the older purchase (15): 5 left there, the second charge took 5 + 5.
    let lots = app::store::ledger::team_lots(&app.db.pool, &team).await.unwrap();
    let mut left: Vec<i64> = lots.iter().map(|l| l.remaining).collect();
    left.sort();
    assert_eq!(left, vec![0, 95]);
}

/// R-LIC5 when one person's requests get the person's lock out of arrival order (each takes
/// its time on arrival): the one that arrived first but is charged second finds the window
/// the later arrival opened "in its future" and pays nothing. This is the interleaving
/// `concurrent_flex_authorizations_never_overdraw` hit at random ("user N charged twice").
/// Windows written newest first a day apart, as the demo history is, are still each charged.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_charged_after_a_later_arrival_is_covered_by_its_window() {
    use app::store::licensing::Charge;
    let app = spawn_app().await;
    let (team, users) = flex_team(&app, "Queue Team", 1, &[100]).await;
    let product = product_id(&app, "MODEL3D").await;
    let teams = [team.clone()];
    let arrived = app.clock.now();
    let later = arrived + Duration::milliseconds(5);

    let first = app.db.charge_flex(&users[0], &product, "dev-q", &teams, 10, later).await.unwrap();
    let opened = match first {
        Charge::Charged { window, .. } => window,
        _ => panic!("the first request to get the lock pays"),
    };
    let second = app.db.charge_flex(&users[0], &product, "dev-q", &teams, 10, arrived).await.unwrap();
    match second {
        Charge::Covered(w) => assert_eq!(w.id, opened.id),
        Charge::Charged { window, .. } => {
            panic!("charged twice: windows at {} and {}", opened.opened_at, window.opened_at)
        }
        Charge::Insufficient { .. } => panic!("100 tokens cover a second window"),
    }
    assert_eq!(balance(&app, &team).await, 90);

    // The day before, written afterwards: its own window, charged.
    let day_before = later - Duration::hours(24);
    let back = app.db.charge_flex(&users[0], &product, "dev-q", &teams, 10, day_before).await.unwrap();
    assert!(matches!(back, Charge::Charged { .. }), "a day earlier is another window");
    assert_eq!(balance(&app, &team).await, 80);
}

#[tokio::test(flavor = "multi_thread")]
async fn too_few_tokens_is_refused_and_nothing_is_charged_or_held() {
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    let (team, users) = flex_team(&app, "Poor Team", 1, &[9]).await;
    let token = lic.token(&app, &users[0]).await;
    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "insufficient_tokens");
    assert!(body["error_description"].as_str().unwrap().contains("10"), "{body}");
    assert_eq!(balance(&app, &team).await, 9);
    // Cheaper product still works; the refused product left no session behind.
    let (status, body) = authorize(&app, &token, "DRAFT2D", "dev-b").await;
    assert_eq!((status, body["tokens_charged"].as_i64()), (200, Some(7)));
    let pid = product_id(&app, "MODEL3D").await;
    assert!(app.db.license_session(&users[0], &pid).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn people_without_a_seat_or_flex_access_are_not_entitled() {
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    let person = account_id(&app, "bruno.schmidt1@northwind.example").await;
    let token = lic.token(&app, &person).await;
    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("not_entitled")), "{body}");
    let (status, body) = authorize(&app, &token, "NOSUCH", "dev-a").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("not_entitled")));
    assert!(body["error_description"].as_str().unwrap().contains("no product"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fourth_device_is_refused_until_the_admin_removes_one() {
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    let (_, users) = flex_team(&app, "Device Team", 1, &[1000]).await;
    let token = lic.token(&app, &users[0]).await;
    for d in ["dev-a", "dev-b", "dev-c"] {
        let (status, body) = authorize(&app, &token, "MODEL3D", d).await;
        assert_eq!(status, 200, "{d}: {body}");
        assert_eq!(release(&app, &token, "MODEL3D", d).await.1["released"], true);
    }
    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-d").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("device_limit")), "{body}");
    let text = body["error_description"].as_str().unwrap();
    assert!(text.contains("dev-a laptop") && text.contains("dev-c laptop"), "{text}");
    // Another product has its own three places.
    assert_eq!(authorize(&app, &token, "DRAFT2D", "dev-d").await.0, 200);

    let pid = product_id(&app, "MODEL3D").await;
    assert!(app.db.remove_device(&users[0], &pid, "dev-b").await.unwrap());
    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-d").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_active_session_until_release_or_a_lapsed_heartbeat() {
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    let (team, users) = flex_team(&app, "Session Team", 1, &[1000]).await;
    let token = lic.token(&app, &users[0]).await;
    assert_eq!(authorize(&app, &token, "MODEL3D", "dev-a").await.0, 200);
    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-b").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("session_active_elsewhere")));
    assert!(body["error_description"].as_str().unwrap().contains("dev-a laptop"), "{body}");

    // Releasing from the other device does nothing; from the holder it frees the session.
    assert_eq!(release(&app, &token, "MODEL3D", "dev-b").await.1["released"], false);
    assert_eq!(release(&app, &token, "MODEL3D", "dev-a").await.1["released"], true);
    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-b").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tokens_charged"], 0, "still the same 24-hour window");
    assert_eq!(authorize(&app, &token, "MODEL3D", "dev-a").await.1["error"], "session_active_elsewhere");

    // dev-b never checks in again: 24 hours after its last heartbeat dev-a may take over.
    app.clock.advance(Duration::hours(23));
    let token = lic.token(&app, &users[0]).await;
    assert_eq!(authorize(&app, &token, "MODEL3D", "dev-a").await.1["error"], "session_active_elsewhere");
    app.clock.advance(Duration::hours(1));
    let token = lic.token(&app, &users[0]).await;
    let (status, body) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(balance(&app, &team).await, 980, "two windows charged in all");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_named_errors() {
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    let person = account_id(&app, "bruno.schmidt1@northwind.example").await;
    let token = lic.token(&app, &person).await;
    let url = format!("{}/licensing/v1/authorize", app.url);
    let c = reqwest::Client::new();

    let res = c.post(&url).json(&json!({"product": "MODEL3D"})).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    let res = c.post(&url).bearer_auth("not-a-jwt").json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 401);

    let res = c.post(&url).bearer_auth(&token).body("{not json").send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");
    let (status, body) =
        call(&app, "authorize", &token, json!({"product": "MODEL3D", "device_name": "x"})).await;
    assert_eq!(status, 400);
    assert!(body["error_description"].as_str().unwrap().starts_with("device_id"), "{body}");
    let (status, body) =
        call(&app, "authorize", &token, json!({"product": "MODEL 3D", "device_id": "d", "device_name": "x"}))
            .await;
    assert_eq!(status, 400);
    assert!(body["error_description"].as_str().unwrap().starts_with("product"), "{body}");

    // A token issued to an app (two-legged) is not a person.
    let app_token = app::service::identity::issue_access_token(
        &lic.keys,
        &app.url,
        &lic.client,
        &lic.client.id,
        "user:read".into(),
        GrantKind::Client,
        app.clock.now(),
    )
    .await
    .unwrap()
    .token;
    let (status, body) = authorize(&app, &app_token, "MODEL3D", "dev-a").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_token")));

    // A revoked token stops working at once.
    let other = lic.token(&app, &person).await;
    assert_eq!(authorize(&app, &other, "MODEL3D", "dev-a").await.1["error"], "not_entitled");
    let res = c
        .post(format!("{}/authentication/v2/revoke", app.url))
        .basic_auth(&lic.client.id, Some(&lic.secret))
        .form(&[("token", other.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, body) = authorize(&app, &other, "MODEL3D", "dev-a").await;
    assert_eq!((status, body["error_description"].as_str()), (401, Some("The token has been revoked")));

    // An hour later the person's token has expired.
    app.clock.advance(Duration::minutes(61));
    let (status, _) = authorize(&app, &token, "MODEL3D", "dev-a").await;
    assert_eq!(status, 401);
}

/// R-LIC5 under load: 1,000 authorizations at once from 200 Flex users (5 each, same
/// device) against a balance that covers exactly 37 windows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_flex_authorizations_never_overdraw() {
    const WINDOWS: i64 = 37;
    let app = spawn_app().await;
    let lic = licensing(&app).await;
    // MODEL3D costs 10 a day: 370 tokens in three purchases of odd sizes.
    let (team, users) = flex_team(&app, "Busy Team", 200, &[123, 200, 47]).await;
    let mut tokens = vec![];
    for u in &users {
        tokens.push(lic.token(&app, u).await);
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let url = format!("{}/licensing/v1/authorize", app.url);
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..5 {
        for (i, token) in tokens.iter().enumerate() {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tasks.spawn(async move {
                let res = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"product": "MODEL3D", "device_id": format!("dev-{i}"), "device_name": "Desk"}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                (i, round, status, res.json::<Value>().await.unwrap())
            });
        }
    }
    let mut charged_users = std::collections::BTreeSet::new();
    let mut charged_total = 0;
    let mut granted_users = std::collections::BTreeSet::new();
    while let Some(r) = tasks.join_next().await {
        let (user, _, status, body) = r.unwrap();
        match status {
            200 => {
                granted_users.insert(user);
                let t = body["tokens_charged"].as_i64().unwrap();
                if t > 0 {
                    assert!(charged_users.insert(user), "user {user} charged twice");
                    charged_total += t;
                }
            }
            403 => assert_eq!(body["error"], "insufficient_tokens", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(charged_users.len() as i64, WINDOWS);
    assert_eq!(granted_users, charged_users, "everyone granted paid for their window");
    assert_eq!(charged_total, WINDOWS * 10);
    assert_eq!(balance(&app, &team).await, 0);
    let lots = app::store::ledger::team_lots(&app.db.pool, &team).await.unwrap();
    assert!(lots.iter().all(|l| l.remaining == 0), "no purchase overdrawn: {lots:?}");
    let windows: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM usage_windows WHERE team_id = $1")
            .bind(team.as_str())
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(windows, WINDOWS);
}

/// A Secure Service Account's token is three-legged but names no person: it holds no
/// licence and no session, even in a team with seats and Flex tokens to spare.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_accounts_token_licenses_nothing() {
    use crate::identity::{exchange, make_ssa};
    let app = spawn_app().await;
    let ssa = make_ssa(&app, "data:read").await;
    let (status, body) = exchange(&app, &ssa, &ssa.assertion(&app)).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    for product in ["DRAFT2D", "MOTION"] {
        let (status, body) = authorize(&app, token, product, "ssa-box").await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"], "not_entitled", "{body}");
        let (status, body) = release(&app, token, product, "ssa-box").await;
        assert_eq!((status, &body["released"]), (200, &json!(false)), "{body}");
    }
    let windows: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM usage_windows WHERE device_id = 'ssa-box'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(windows, 0, "nothing was opened or charged");
}
