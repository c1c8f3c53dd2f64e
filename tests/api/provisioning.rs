//! The provisioning API (R-VND1) as a vendor's order system uses it: an operator app's
//! client-credentials token, JSON in and out, RFC 9457 problems, and `Idempotency-Key` so a
//! retried order never adds seats or tokens twice. A product added here reaches every Flex
//! user with "all products" (R-FX1) and nobody through team defaults (R-FX2).
use crate::common::{self, spawn_app, Licensing, TestApp};
use app::domain::oauth::Scopes;
use app::domain::{TeamId, UserId};
use app::service::state::Clock as _;
use app::store::audit::Actor;
use app::store::teams::{MemberStatus, Role};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const V1: &str = "provisioning/v1";

/// An app of Northwind, an operator app or not, and a client-credentials token of it.
async fn app_token(app: &TestApp, operator: bool) -> String {
    app_credentials(app, operator).await.0
}

/// As `app_token`, with the app's client id and secret.
async fn app_credentials(app: &TestApp, operator: bool) -> (String, String, String) {
    let team = app.team_id("Northwind Studio").await;
    let actor = Actor { id: None, label: "test" };
    let (client, secret) = app::service::identity::add_app(
        &app.db,
        &actor,
        &team,
        app::service::identity::NewApp {
            name: if operator { "Order system" } else { "Ordinary app" },
            scopes: Scopes::all_api(),
            redirect_uris: vec![],
            operator,
        },
        app.clock.now(),
    )
    .await
    .expect("app");
    let res = reqwest::Client::new()
        .post(format!("{}/authentication/v2/token", app.url))
        .basic_auth(&client.id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    (body["access_token"].as_str().unwrap().to_string(), client.id, secret)
}

struct Call {
    status: StatusCode,
    content_type: String,
    replayed: bool,
    body: Value,
}

async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Call {
    let mut req = reqwest::Client::new().request(method, format!("{}/{V1}/{path}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let header = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (content_type, replayed) = (header("content-type"), header("idempotent-replayed") == "true");
    let status = res.status();
    Call { status, content_type, replayed, body: res.json().await.unwrap_or(Value::Null) }
}

fn problem(c: &Call, status: u16, code: &str) {
    assert_eq!(c.status.as_u16(), status, "{}", c.body);
    assert_eq!(c.content_type, "application/problem+json");
    assert_eq!(c.body["status"], status);
    assert_eq!(c.body["code"], code, "{}", c.body);
    assert!(c.body["title"].is_string() && c.body["detail"].is_string() && c.body["type"].is_string());
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql).fetch_one(&app.db.pool).await.unwrap().get::<i64, _>(0)
}

/// A member of `team`, active, a Flex user: with every product, or with the products in
/// `own` (then `all_products` is off).
async fn flex_member(app: &TestApp, team: &TeamId, email: &str, own: Option<&[&str]>) -> UserId {
    let id = common::new_account(app, email, "Flex Person", Some((team, Role::Member, MemberStatus::Active)))
        .await;
    let mut tx = app.db.pool.begin().await.unwrap();
    app::store::assignments::add_flex_user(&mut tx, team, &id, app.clock.now()).await.unwrap();
    if let Some(own) = own {
        let mut ids = BTreeSet::new();
        for code in own {
            ids.insert(app.db.product_by_code(code).await.unwrap().unwrap().id);
        }
        let individual = app::domain::access::Individual::Products(ids);
        app::store::flex::set_individual(&mut tx, team, &id, &individual, app.clock.now()).await.unwrap();
    }
    tx.commit().await.unwrap();
    id
}

async fn authorize(app: &TestApp, token: &str, product: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/licensing/v1/authorize", app.url))
        .bearer_auth(token)
        .json(&json!({"product": product, "device_id": "dev-1", "device_name": "Laptop"}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_order_system_provisions_a_team_and_retries_change_nothing_twice() {
    let app = spawn_app().await;
    let op = app_token(&app, true).await;
    let op = Some(op.as_str());

    // A Flex product: retried with the same key, it is added once and answered the same.
    let product = json!({"code": "cad-max", "name": "CAD Max", "flex_rate": 6});
    let first = call(&app, op, Method::POST, "products", Some("order-1"), Some(product.clone())).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        first.body,
        json!({"code": "CAD-MAX", "name": "CAD Max", "flex_rate": 6, "retired": false, "seat_tokens": null})
    );
    assert!(!first.replayed);
    let again = call(&app, op, Method::POST, "products", Some("order-1"), Some(product.clone())).await;
    assert_eq!((again.status.as_u16(), again.replayed, &again.body), (201, true, &first.body));
    // Without the key, the same request is a second product with that code: refused.
    let dup = call(&app, op, Method::POST, "products", None, Some(product)).await;
    problem(&dup, 409, "conflict");
    let list = call(&app, op, Method::GET, "products", None, None).await;
    let codes: Vec<&str> = list.body.as_array().unwrap().iter().filter_map(|p| p["code"].as_str()).collect();
    assert_eq!(codes.iter().filter(|c| **c == "CAD-MAX").count(), 1);
    // Its seat price (R-ADV2), for the licence advice; a retry answers the same.
    let price = json!({"seat_tokens": 900});
    let set = call(&app, op, Method::PATCH, "products/cad-max", Some("price-1"), Some(price.clone())).await;
    assert_eq!((set.status.as_u16(), &set.body["seat_tokens"]), (200, &json!(900)), "{}", set.body);
    let again = call(&app, op, Method::PATCH, "products/cad-max", Some("price-1"), Some(price)).await;
    assert_eq!((again.replayed, &again.body), (true, &set.body));
    let zero = call(&app, op, Method::PATCH, "products/CAD-MAX", None, Some(json!({"seat_tokens": 0}))).await;
    problem(&zero, 400, "invalid_request");
    let none = call(&app, op, Method::PATCH, "products/NOPE", None, Some(json!({"seat_tokens": 5}))).await;
    problem(&none, 404, "not_found");
    let price_of = |list: &serde_json::Value| {
        list.as_array().unwrap().iter().find(|p| p["code"] == "CAD-MAX").map(|p| p["seat_tokens"].clone())
    };
    let list = call(&app, op, Method::GET, "products", None, None).await;
    assert_eq!(price_of(&list.body), Some(json!(900)));

    // A team, its subscription and a trial, and a Flex purchase, each retried once.
    let team =
        call(&app, op, Method::POST, "teams", Some("order-2"), Some(json!({"name": "Acme Design"}))).await;
    assert_eq!(team.status, 201);
    let team_id = team.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        call(&app, op, Method::POST, "teams", Some("order-2"), Some(json!({"name": "Acme Design"})))
            .await
            .body,
        team.body
    );
    let teams = call(&app, op, Method::GET, "teams", None, None).await;
    assert!(teams.body.as_array().unwrap().contains(&json!({"id": team_id, "name": "Acme Design"})));

    let seats =
        json!({"product": "DRAFT2D", "seats": 25, "starts_at": "2026-01-01", "ends_at": "2099-01-01"});
    let path = format!("teams/{team_id}/subscriptions");
    let sub = call(&app, op, Method::POST, &path, Some("order-3"), Some(seats.clone())).await;
    assert_eq!(sub.status, 201, "{}", sub.body);
    assert_eq!(sub.body["seats"], 25);
    assert_eq!(sub.body["trial"], false);
    let retry = call(&app, op, Method::POST, &path, Some("order-3"), Some(seats)).await;
    assert_eq!((retry.status.as_u16(), retry.replayed, &retry.body), (201, true, &sub.body));
    // The same key for another order is refused, and changes nothing.
    let other = json!({"product": "MODEL3D", "seats": 5, "ends_at": "2099-01-01", "trial": true});
    problem(
        &call(&app, op, Method::POST, &path, Some("order-3"), Some(other.clone())).await,
        422,
        "idempotency_key_reused",
    );
    let trial = call(&app, op, Method::POST, &path, Some("order-4"), Some(other)).await;
    assert_eq!((trial.status.as_u16(), &trial.body["trial"]), (201, &json!(true)));
    let subs = call(&app, op, Method::GET, &path, None, None).await;
    assert_eq!(subs.body.as_array().unwrap().len(), 2, "{}", subs.body);

    let sub_id = sub.body["id"].as_str().unwrap();
    let renewed = call(
        &app,
        op,
        Method::PATCH,
        &format!("subscriptions/{sub_id}"),
        Some("order-5"),
        Some(json!({"seats": 30, "ends_at": "2100-01-01"})),
    )
    .await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    assert_eq!(
        (renewed.body["seats"].as_i64(), renewed.body["ends_at"].as_str()),
        (Some(30), Some("2100-01-01T00:00:00.000Z"))
    );

    let buy = json!({"amount": 1000});
    let purchases = format!("teams/{team_id}/purchases");
    let bought = call(&app, op, Method::POST, &purchases, Some("order-6"), Some(buy.clone())).await;
    assert_eq!(bought.status, 201, "{}", bought.body);
    assert_eq!(call(&app, op, Method::POST, &purchases, Some("order-6"), Some(buy)).await.body, bought.body);
    let team = TeamId::parse(&team_id).unwrap();
    let lots = app::store::ledger::team_lots(&app.db.pool, &team).await.unwrap();
    assert_eq!(
        app::domain::ledger::balance(&lots, app.clock.now()),
        1000,
        "the retried purchase added nothing"
    );

    // R-FX1 / R-FX2: "all products" reaches the new product; a selection and defaults do not.
    let all = flex_member(&app, &team, "all@acme.example", None).await;
    let own = flex_member(&app, &team, "own@acme.example", Some(&["MODEL3D"])).await;
    let northwind = app.team_id("Northwind Studio").await;
    let defaults_user = flex_member(&app, &northwind, "defaults@northwind.example", None).await;
    let mut tx = app.db.pool.begin().await.unwrap();
    let model = app.db.product_by_code("MODEL3D").await.unwrap().unwrap().id;
    app::store::flex::set_defaults(&mut tx, &northwind, &BTreeSet::from([model])).await.unwrap();
    tx.commit().await.unwrap();
    // (Northwind's demo purchases pay for Flex: only the defaults stand in the way.)

    let products = Licensing::new(&app, &team, "CAD Max desktop").await;
    let (status, granted) = authorize(&app, &products.token(&app, &all).await, "CAD-MAX").await;
    assert_eq!((status, granted["license_type"].as_str()), (200, Some("flex")), "{granted}");
    assert_eq!(granted["tokens_charged"], 6);
    let (status, refused) = authorize(&app, &products.token(&app, &own).await, "CAD-MAX").await;
    assert_eq!((status, refused["error"].as_str()), (403, Some("not_entitled")));
    let (status, refused) = authorize(&app, &products.token(&app, &defaults_user).await, "CAD-MAX").await;
    assert_eq!((status, refused["error"].as_str()), (403, Some("not_entitled")), "defaults never grow");

    // Retired, the product leaves Flex at once: "all products" shrinks with it.
    let retired = call(&app, op, Method::POST, "products/CAD-MAX/retire", Some("order-7"), None).await;
    assert_eq!((retired.status.as_u16(), &retired.body["retired"]), (200, &json!(true)));
    let (status, refused) = authorize(&app, &products.token(&app, &all).await, "CAD-MAX").await;
    assert_eq!((status, refused["error"].as_str()), (403, Some("not_entitled")), "{refused}");
    problem(
        &call(
            &app,
            op,
            Method::POST,
            &path,
            None,
            Some(json!({"product": "CAD-MAX", "seats": 1, "ends_at": "2099-01-01"})),
        )
        .await,
        409,
        "conflict",
    );

    // The audit log names the operator app for what it changed in the team.
    let audited = count(&app, &format!("SELECT COUNT(*) FROM audit_log WHERE team_id = '{team_id}' AND actor_label LIKE 'operator app Order system%'")).await;
    assert_eq!(audited, 4, "two subscriptions, a change and a purchase");
}

/// What an outsider, a person, an ordinary app and a careless order system try: each gets a
/// problem document with the right status, and nothing changes.
#[tokio::test]
async fn the_provisioning_api_refuses_everyone_but_operator_apps_and_bad_orders() {
    let app = spawn_app().await;
    let products_before = count(&app, "SELECT COUNT(*) FROM products").await;
    let teams_before = count(&app, "SELECT COUNT(*) FROM teams").await;
    let purchases_before = count(&app, "SELECT COUNT(*) FROM token_purchases").await;
    let new_product = Some(json!({"code": "EVIL", "name": "Evil"}));

    let outsider = call(&app, None, Method::POST, "products", None, new_product.clone()).await;
    problem(&outsider, 401, "invalid_token");
    let forged = call(&app, Some("not-a-token"), Method::POST, "products", None, new_product.clone()).await;
    problem(&forged, 401, "invalid_token");
    let ordinary = app_token(&app, false).await;
    problem(
        &call(&app, Some(&ordinary), Method::POST, "products", None, new_product.clone()).await,
        403,
        "insufficient_scope",
    );
    problem(&call(&app, Some(&ordinary), Method::GET, "teams", None, None).await, 403, "insufficient_scope");
    let cheap = Some(json!({"seat_tokens": 1}));
    problem(
        &call(&app, Some(&ordinary), Method::PATCH, "products/DRAFT2D", None, cheap.clone()).await,
        403,
        "insufficient_scope",
    );
    problem(&call(&app, None, Method::PATCH, "products/DRAFT2D", None, cheap).await, 401, "invalid_token");
    // A person's token (an admin of Northwind's, through a product sign-in) is not an operator's.
    let northwind = app.team_id("Northwind Studio").await;
    let admin =
        app.db.account_by_email(&app::domain::Email::parse(common::ADMIN).unwrap()).await.unwrap().unwrap();
    let person = Licensing::new(&app, &northwind, "Model 3D desktop").await.token(&app, &admin.id).await;
    problem(
        &call(&app, Some(&person), Method::POST, "products", None, new_product.clone()).await,
        401,
        "invalid_token",
    );
    // A plain member's and an invitee's tokens (through the same product sign-in) fare no
    // better, on reads and on every change.
    let desktop = Licensing::new(&app, &northwind, "Draft 2D desktop").await;
    let member = common::new_account(
        &app,
        "plain@northwind.example",
        "Plain Member",
        Some((&northwind, Role::Member, MemberStatus::Active)),
    )
    .await;
    let invitee = common::new_account(
        &app,
        "invitee@northwind.example",
        "In Vitee",
        Some((&northwind, Role::Member, MemberStatus::Invited)),
    )
    .await;
    let nw = format!("teams/{northwind}");
    for who in [member, invitee] {
        let token = desktop.token(&app, &who).await;
        for (method, path, body) in [
            (Method::GET, "teams".to_string(), None),
            (Method::POST, "teams".to_string(), Some(json!({"name": "Mine"}))),
            (Method::POST, format!("{nw}/purchases"), Some(json!({"amount": 100}))),
            (
                Method::POST,
                format!("{nw}/subscriptions"),
                Some(json!({"product": "DRAFT2D", "seats": 99, "ends_at": "2099-01-01"})),
            ),
            (Method::POST, "products/DRAFT2D/retire".to_string(), None),
            (Method::PATCH, "products/DRAFT2D".to_string(), Some(json!({"seat_tokens": 1}))),
        ] {
            problem(&call(&app, Some(&token), method, &path, None, body).await, 401, "invalid_token");
        }
    }
    // A signed-in console session (an admin's browser) carries no operator token.
    let session = app.signed_in(common::ADMIN).await;
    let res = session.get(format!("{}/{V1}/teams", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = session
        .post(format!("{}/{V1}/teams", app.url))
        .json(&json!({"name": "Via cookie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let operator = app_token(&app, true).await;
    let op = Some(operator.as_str());
    problem(
        &call(&app, op, Method::POST, "products", None, Some(json!({"code": "X Y", "name": "Bad"}))).await,
        400,
        "invalid_request",
    );
    problem(
        &call(
            &app,
            op,
            Method::POST,
            "products",
            None,
            Some(json!({"code": "OK", "name": "Ok", "price": 3})),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &call(
            &app,
            op,
            Method::POST,
            "products",
            None,
            Some(json!({"code": "OK", "name": "Ok", "flex_rate": -1})),
        )
        .await,
        400,
        "invalid_request",
    );
    problem(
        &call(&app, op, Method::POST, "teams", None, Some(json!({"name": ""}))).await,
        400,
        "invalid_request",
    );
    let text = reqwest::Client::new()
        .post(format!("{}/{V1}/teams", app.url))
        .bearer_auth(&operator)
        .body("name=Acme")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    problem(&call(&app, op, Method::POST, "products/NOPE/retire", None, None).await, 404, "not_found");
    let nobody = "teams/00000000-0000-7000-8000-000000000000/subscriptions";
    let order = json!({"product": "DRAFT2D", "seats": 2, "ends_at": "2099-01-01"});
    problem(&call(&app, op, Method::POST, nobody, None, Some(order.clone())).await, 404, "not_found");
    problem(
        &call(&app, op, Method::POST, "teams/not-an-id/subscriptions", None, Some(order)).await,
        404,
        "not_found",
    );
    problem(
        &call(&app, op, Method::POST, "teams/not-an-id/purchases", None, Some(json!({"amount": 5}))).await,
        404,
        "not_found",
    );
    problem(
        &call(&app, op, Method::PATCH, "subscriptions/nope", None, Some(json!({"seats": 3}))).await,
        404,
        "not_found",
    );
    problem(
        &call(&app, op, Method::PATCH, "subscriptions/nope", None, Some(json!({}))).await,
        400,
        "invalid_request",
    );
    // axum's own refusals are problem documents too.
    problem(&call(&app, op, Method::DELETE, "teams", None, None).await, 405, "method_not_allowed");
    problem(&call(&app, op, Method::POST, "teams", None, None).await, 415, "invalid_request");
    let nw = format!("teams/{northwind}/purchases");
    problem(
        &call(&app, op, Method::POST, &nw, None, Some(json!({"amount": 0}))).await,
        400,
        "invalid_request",
    );

    // Seats below the people assigned: refused, naming how many to unassign first.
    let subs = call(&app, op, Method::GET, &format!("teams/{northwind}/subscriptions"), None, None).await;
    let live = subs
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["product"] == "DRAFT2D")
        .expect("demo subscription")
        .clone();
    let draft = app.db.product_by_code("DRAFT2D").await.unwrap().unwrap().id;
    let assigned = count(
        &app,
        &format!("SELECT COUNT(*) FROM assignments WHERE team_id = '{northwind}' AND product_id = '{draft}'"),
    )
    .await;
    assert!(assigned >= 2, "the demo assigns Draft 2D");
    let fewer = call(
        &app,
        op,
        Method::PATCH,
        &format!("subscriptions/{}", live["id"].as_str().unwrap()),
        None,
        Some(json!({"seats": 1})),
    )
    .await;
    problem(&fewer, 400, "invalid");
    assert!(
        fewer.body["detail"].as_str().unwrap().contains(&format!("Unassign {} first", assigned - 1)),
        "{}",
        fewer.body
    );
    let after = call(&app, op, Method::GET, &format!("teams/{northwind}/subscriptions"), None, None).await;
    assert_eq!(after.body, subs.body, "nothing changed");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM products").await, products_before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM teams").await, teams_before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM token_purchases").await, purchases_before);
    // Nobody but the operator set a seat price: the demo's Draft 2D keeps its 1,000.
    assert_eq!(count(&app, "SELECT seat_tokens FROM products WHERE code = 'DRAFT2D'").await, 1000);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM products WHERE retired_at IS NOT NULL").await, 0);
}

/// An operator token stops working when it is revoked or its app is gone; dates outside
/// the years a stored time can hold are refused.
#[tokio::test]
async fn operator_tokens_end_with_revocation_or_the_app() {
    let app = spawn_app().await;
    let (token, client_id, secret) = app_credentials(&app, true).await;
    assert_eq!(call(&app, Some(&token), Method::GET, "teams", None, None).await.status, 200);
    let northwind = app.team_id("Northwind Studio").await;
    let far = json!({"product": "VIEWER3D", "seats": 1, "ends_at": "+10000-01-01"});
    let refused =
        call(&app, Some(&token), Method::POST, &format!("teams/{northwind}/subscriptions"), None, Some(far))
            .await;
    problem(&refused, 400, "invalid_request");
    assert!(refused.body["detail"].as_str().unwrap().contains("outside the years"), "{}", refused.body);

    let res = reqwest::Client::new()
        .post(format!("{}/authentication/v2/revoke", app.url))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    problem(&call(&app, Some(&token), Method::GET, "teams", None, None).await, 401, "invalid_token");

    let (token, client_id, _) = app_credentials(&app, true).await;
    sqlx::query("DELETE FROM oauth_clients WHERE id = $1")
        .bind(&client_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let gone = call(&app, Some(&token), Method::GET, "teams", None, None).await;
    problem(&gone, 401, "invalid_token");
    assert!(gone.body["detail"].as_str().unwrap().contains("no longer exists"));
}

/// The same order sent twice at once, and a change retried: each is carried out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_and_retried_orders_are_carried_out_once() {
    let app = spawn_app().await;
    let op = app_token(&app, true).await;
    let team = call(&app, Some(&op), Method::POST, "teams", None, Some(json!({"name": "Twice Ltd"}))).await;
    let team_id = team.body["id"].as_str().unwrap().to_string();
    let path = format!("teams/{team_id}/purchases");
    let buy = json!({"amount": 700});
    let (a, b) = tokio::join!(
        call(&app, Some(&op), Method::POST, &path, Some("same-order"), Some(buy.clone())),
        call(&app, Some(&op), Method::POST, &path, Some("same-order"), Some(buy.clone())),
    );
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201), "{} / {}", a.body, b.body);
    assert_eq!(a.body, b.body, "both answered with the one purchase");
    assert!(a.replayed != b.replayed, "one carried out, one answered again");
    let team = TeamId::parse(&team_id).unwrap();
    let lots = app::store::ledger::team_lots(&app.db.pool, &team).await.unwrap();
    assert_eq!(app::domain::ledger::balance(&lots, app.clock.now()), 700);

    let order = json!({"product": "DRAFT2D", "seats": 3, "ends_at": "2099-01-01"});
    let sub = call(
        &app,
        Some(&op),
        Method::POST,
        &format!("teams/{team_id}/subscriptions"),
        Some("sub-1"),
        Some(order),
    )
    .await;
    let patch = format!("subscriptions/{}", sub.body["id"].as_str().unwrap());
    let change = json!({"seats": 4});
    let first = call(&app, Some(&op), Method::PATCH, &patch, Some("grow-1"), Some(change.clone())).await;
    let again = call(&app, Some(&op), Method::PATCH, &patch, Some("grow-1"), Some(change)).await;
    assert_eq!((first.status.as_u16(), again.status.as_u16(), again.replayed), (200, 200, true));
    assert_eq!(again.body, first.body);
    let changes = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE team_id = '{team_id}' AND action = 'subscription_change'"
        ),
    )
    .await;
    assert_eq!(changes, 1, "the retried change is audited once");
}
