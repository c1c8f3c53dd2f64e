//! The Flex tokens page's server functions (R-TOK1) and a member's devices (R-LIC3) over
//! real HTTP. Demo data: Northwind Studio holds 500 tokens bought 300 days ago (180 used)
//! and 1,000 bought 60 days ago; Harbor Engineering 300 bought 10 days ago.
use crate::common;
use app::domain::{Email, UserId};
use app::service::state::Clock;
use chrono::Duration;
use common::*;
use serde_json::Value;

const AMARA: &str = "amara.okafor0@northwind.example"; // admin of Northwind only
const BRUNO: &str = "bruno.schmidt1@northwind.example"; // member of Northwind

async fn account_id(app: &TestApp, email: &str) -> UserId {
    app.db.account_by_email(&Email::parse(email).unwrap()).await.unwrap().unwrap().id
}

async fn tokens(app: &TestApp, c: &reqwest::Client, team: &str) -> Value {
    let (status, body) = app.call(c, "flex_tokens", &[("team", team)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn purchases(view: &Value) -> &Vec<Value> {
    view["purchases"].as_array().expect("purchases")
}

async fn remove_device(
    app: &TestApp,
    c: &reqwest::Client,
    team: &str,
    member: &str,
    product: &str,
    device: &str,
) -> (u16, Value) {
    let form = [("team", team), ("member", member), ("product", product), ("device", device)];
    app.call(c, "remove_member_device", &form).await
}

/// `move_flex_purchase` of `purchase` from `team` to `to_team`, as the user of `c`.
async fn move_purchase(
    app: &TestApp,
    c: &reqwest::Client,
    team: &str,
    purchase: &str,
    to_team: &str,
) -> (u16, Value) {
    app.call(c, "move_flex_purchase", &[("team", team), ("purchase", purchase), ("to_team", to_team)]).await
}

async fn audit(app: &TestApp, c: &reqwest::Client, team: &str, action: &str) -> Vec<Value> {
    let (status, body) = app.call(c, "audit_log", &[("team", team), ("action", action)]).await;
    assert_eq!(status, 200, "{body}");
    body["rows"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_member_sees_the_balance_and_purchases_in_spending_order() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(BRUNO).await;
    let view = tokens(&app, &c, north.as_str()).await;
    assert_eq!(view["team_name"], "Northwind Studio");
    assert_eq!(view["balance"], 1320);
    assert_eq!(view["admin"], false);
    assert_eq!(view["move_targets"], serde_json::json!([]));
    let rows = purchases(&view);
    assert_eq!(rows.len(), 2);
    // Earliest expiry first: the older purchase is spent first.
    let (older, newer) = (&rows[0], &rows[1]);
    assert_eq!(older["amount"], 500);
    assert_eq!(older["used"], 180);
    assert_eq!(older["left"], 320);
    assert_eq!(older["moved_out"], 0);
    assert_eq!(older["status"], "valid");
    assert_eq!(older["status_label"], "Valid");
    assert_eq!(older["movable"], false);
    assert_eq!(newer["amount"], 1000);
    assert_eq!(newer["left"], 1000);
    assert!(older["expires_on"].as_str().unwrap() < newer["expires_on"].as_str().unwrap());
    let today = app.clock.now().date_naive();
    let bought =
        chrono::NaiveDate::parse_from_str(older["purchased_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!((today - bought).num_days(), 300, "{older}");

    // Not a member of Harbor Engineering.
    let harbor = app.team_id("Harbor Engineering").await;
    let (status, body) = app.call(&c, "flex_tokens", &[("team", harbor.as_str())]).await;
    assert!(status >= 400, "{status} {body}");
    assert_eq!(body["code"], "not_a_member");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchases_near_expiry_say_so_and_expired_ones_leave_the_balance() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(ADMIN).await;
    // The older purchase expires a year after it was bought: about 65 days from now.
    app.clock.advance(Duration::days(45));
    let view = tokens(&app, &c, north.as_str()).await;
    let older = &purchases(&view)[0];
    assert_eq!(older["status"], "expiring", "{older}");
    let label = older["status_label"].as_str().unwrap();
    assert!(label.starts_with("Expires in ") && label.ends_with(" days"), "{label}");
    let days: i64 = label.trim_start_matches("Expires in ").trim_end_matches(" days").parse().unwrap();
    assert!((19..=21).contains(&days), "{label}");
    assert_eq!(view["balance"], 1320);

    app.clock.advance(Duration::days(30));
    let view = tokens(&app, &c, north.as_str()).await;
    let older = &purchases(&view)[0];
    assert_eq!(older["status_label"], "Expired");
    assert_eq!(older["left"], 0);
    assert_eq!(older["lapsed"], 320);
    assert_eq!(older["movable"], false);
    assert_eq!(purchases(&view)[1]["movable"], true);
    assert_eq!(view["balance"], 1000);

    // Expired tokens cannot be moved.
    let harbor = app.team_id("Harbor Engineering").await;
    let id = older["id"].as_str().unwrap();
    let (status, body) = move_purchase(&app, &c, north.as_str(), id, harbor.as_str()).await;
    assert!(status >= 400, "{status} {body}");
    assert_eq!(body["code"], "conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_is_not_an_admin_cannot_move_tokens() {
    let app = spawn_app().await;
    let (north, harbor) = (app.team_id("Northwind Studio").await, app.team_id("Harbor Engineering").await);
    let c = app.signed_in(BRUNO).await;
    let id = purchases(&tokens(&app, &c, north.as_str()).await)[0]["id"].as_str().unwrap().to_string();
    let (status, body) = move_purchase(&app, &c, north.as_str(), &id, harbor.as_str()).await;
    assert!(status >= 400, "{status} {body}");
    assert_eq!(body["code"], "admin_only");
    assert_eq!(tokens(&app, &c, north.as_str()).await["balance"], 1320);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_move_tokens_to_a_team_they_do_not_administer() {
    let app = spawn_app().await;
    let (north, harbor) = (app.team_id("Northwind Studio").await, app.team_id("Harbor Engineering").await);
    let c = app.signed_in(AMARA).await;
    let view = tokens(&app, &c, north.as_str()).await;
    assert_eq!(view["admin"], true);
    assert_eq!(view["move_targets"], serde_json::json!([]), "no other team to move to");
    assert!(purchases(&view).iter().all(|p| p["movable"] == false));
    let id = purchases(&view)[0]["id"].as_str().unwrap().to_string();
    let (status, body) = move_purchase(&app, &c, north.as_str(), &id, harbor.as_str()).await;
    assert!(status >= 400, "{status} {body}");
    assert_eq!(body["code"], "not_a_member");
    // A purchase of another team cannot be moved from this one.
    let admin = app.signed_in(ADMIN).await;
    let harbor_purchase =
        purchases(&tokens(&app, &admin, harbor.as_str()).await)[0]["id"].as_str().unwrap().to_string();
    let (_, body) = move_purchase(&app, &admin, north.as_str(), &harbor_purchase, harbor.as_str()).await;
    assert_eq!(body["code"], "not_found", "{body}");
    // Nor to the team it is in.
    let (status, body) = move_purchase(&app, &admin, north.as_str(), &id, north.as_str()).await;
    assert!(status >= 400, "{status} {body}");
    assert_eq!(body["field"], "to_team");
    assert_eq!(tokens(&app, &admin, north.as_str()).await["balance"], 1320);
    assert_eq!(tokens(&app, &admin, harbor.as_str()).await["balance"], 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_of_both_teams_moves_a_purchase_with_its_expiry_and_both_teams_audit_it() {
    let app = spawn_app().await;
    let (north, harbor) = (app.team_id("Northwind Studio").await, app.team_id("Harbor Engineering").await);
    let c = app.signed_in(ADMIN).await;
    let view = tokens(&app, &c, north.as_str()).await;
    assert_eq!(
        view["move_targets"],
        serde_json::json!([{"id": harbor.as_str(), "name": "Harbor Engineering"}])
    );
    let older = purchases(&view)[0].clone();
    assert_eq!(older["movable"], true);
    let id = older["id"].as_str().unwrap();
    let (status, moved) = move_purchase(&app, &c, north.as_str(), id, harbor.as_str()).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["tokens"], 320);
    assert_eq!(moved["team_name"], "Harbor Engineering");
    assert_eq!(moved["expires_on"], older["expires_on"]);

    let north_view = tokens(&app, &c, north.as_str()).await;
    assert_eq!(north_view["balance"], 1000);
    assert_eq!(purchases(&north_view).len(), 1);
    let harbor_view = tokens(&app, &c, harbor.as_str()).await;
    assert_eq!(harbor_view["balance"], 620);
    let arrived = purchases(&harbor_view).iter().find(|p| p["id"] == older["id"]).expect("moved in").clone();
    assert_eq!(arrived["moved_in"], 320);
    assert_eq!(arrived["left"], 320);
    assert_eq!(arrived["used"], 0, "Northwind's use stays with Northwind");
    assert_eq!(arrived["expires_on"], older["expires_on"], "the expiry travels with the tokens");
    assert_eq!(purchases(&harbor_view)[0]["id"], older["id"], "it expires first, so it is spent first");

    for (team, arrow) in [(&north, "→ Harbor Engineering"), (&harbor, "← Northwind Studio")] {
        let rows = audit(&app, &c, team.as_str(), "move_tokens").await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        let target = rows[0]["target"].as_str().unwrap();
        assert!(
            target.starts_with("320 tokens of the Flex purchase of ") && target.ends_with(arrow),
            "{target}"
        );
        assert!(rows[0]["actor"].as_str().unwrap().contains(ADMIN));
    }

    // It is no longer Northwind's to move; moving it back from Harbor works.
    let (_, body) = move_purchase(&app, &c, north.as_str(), id, harbor.as_str()).await;
    assert_eq!(body["code"], "not_found");
    let (_, back) = move_purchase(&app, &c, harbor.as_str(), id, north.as_str()).await;
    assert_eq!(back["tokens"], 320, "{back}");
    let north_view = tokens(&app, &c, north.as_str()).await;
    assert_eq!(north_view["balance"], 1320);
    let home = purchases(&north_view).iter().find(|p| p["id"] == older["id"]).unwrap().clone();
    assert_eq!(
        (home["used"].clone(), home["moved_out"].clone(), home["moved_in"].clone()),
        (180.into(), 320.into(), 320.into())
    );
    assert_eq!(tokens(&app, &c, harbor.as_str()).await["balance"], 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_without_purchases_has_an_empty_list() {
    let app = spawn_app().await;
    let (north, harbor) = (app.team_id("Northwind Studio").await, app.team_id("Harbor Engineering").await);
    let c = app.signed_in(ADMIN).await;
    let id = purchases(&tokens(&app, &c, harbor.as_str()).await)[0]["id"].as_str().unwrap().to_string();
    let (_, moved) = move_purchase(&app, &c, harbor.as_str(), &id, north.as_str()).await;
    assert_eq!(moved["tokens"], 300);
    let view = tokens(&app, &c, harbor.as_str()).await;
    assert_eq!(view["balance"], 0);
    assert_eq!(purchases(&view).len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_are_listed_by_product_and_removed_only_by_an_admin() {
    let app = spawn_app().await;
    let (north, harbor) = (app.team_id("Northwind Studio").await, app.team_id("Harbor Engineering").await);
    let bruno = account_id(&app, BRUNO).await;
    let now = app.clock.now();
    let draft = app.db.product_by_code("DRAFT2D").await.unwrap().unwrap();
    let model = app.db.product_by_code("MODEL3D").await.unwrap().unwrap();
    // Bruno holds both through Northwind (its subscriptions): its admins manage those devices.
    let mut tx = app.db.pool.begin().await.unwrap();
    for p in [&draft.id, &model.id] {
        app::store::assignments::assign(&mut tx, &north, &bruno, p, None, now).await.unwrap();
    }
    tx.commit().await.unwrap();
    app.db
        .register_device(&bruno, &model.id, "dev-laptop", "Bruno's laptop", now - Duration::days(3))
        .await
        .unwrap();
    app.db
        .register_device(&bruno, &draft.id, "dev-laptop", "Bruno's laptop", now - Duration::days(2))
        .await
        .unwrap();
    app.db
        .register_device(&bruno, &draft.id, "dev-desk", "Studio workstation", now - Duration::days(1))
        .await
        .unwrap();
    // The workstation holds a live Draft 2D session.
    assert!(app
        .db
        .claim_session(&bruno, &draft.id, "dev-desk", now - Duration::hours(24), now)
        .await
        .unwrap());

    let admin = app.signed_in(ADMIN).await;
    let (status, view) =
        app.call(&admin, "member_devices", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["admin"], true);
    let devices = view["devices"].as_array().unwrap();
    let listed: Vec<(&str, &str, bool)> = devices
        .iter()
        .map(|d| {
            (d["product_name"].as_str().unwrap(), d["name"].as_str().unwrap(), d["in_use"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("Draft 2D", "Bruno's laptop", false),
            ("Draft 2D", "Studio workstation", true),
            ("Model 3D", "Bruno's laptop", false)
        ]
    );
    assert_eq!(devices[0]["registered_on"], (now - Duration::days(2)).format("%Y-%m-%d").to_string());

    // A day later the session has lapsed: no longer in use.
    app.clock.advance(Duration::hours(25));
    let (_, later) =
        app.call(&admin, "member_devices", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
    assert!(later["devices"].as_array().unwrap().iter().all(|d| d["in_use"] == false), "{later}");

    // A member of the team may look; the person must be in the team asked about.
    let member = app.signed_in(BRUNO).await;
    let (status, own) =
        app.call(&member, "member_devices", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["admin"], false);
    let (_, body) =
        app.call(&member, "member_devices", &[("team", harbor.as_str()), ("member", bruno.as_str())]).await;
    assert_eq!(body["code"], "not_a_member");
    let (_, body) =
        app.call(&admin, "member_devices", &[("team", harbor.as_str()), ("member", bruno.as_str())]).await;
    assert_eq!(body["code"], "not_found", "Bruno is not in Harbor Engineering: {body}");
    // Someone else's devices are refused to a plain member before anything is looked up,
    // whether or not the id could name anyone; an admin learns only that nobody has it.
    for probe in ["not-an-id", "00000000-0000-7000-8000-000000000000"] {
        let (_, body) =
            app.call(&member, "member_devices", &[("team", north.as_str()), ("member", probe)]).await;
        assert_eq!(body["code"], "admin_only", "{probe}: {body}");
        let (_, body) =
            app.call(&admin, "member_devices", &[("team", north.as_str()), ("member", probe)]).await;
        assert_eq!(body["code"], "not_found", "{probe}: {body}");
    }

    // A plain member cannot remove a device, not even their own.
    let (status, body) =
        remove_device(&app, &member, north.as_str(), bruno.as_str(), "DRAFT2D", "dev-desk").await;
    assert!(status >= 400, "{status} {body}");
    assert_eq!(body["code"], "admin_only");

    let (status, body) =
        remove_device(&app, &admin, north.as_str(), bruno.as_str(), "DRAFT2D", "dev-desk").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, serde_json::json!({"name": "Studio workstation", "product_name": "Draft 2D"}));
    let (_, after) =
        app.call(&admin, "member_devices", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
    assert_eq!(after["devices"].as_array().unwrap().len(), 2);
    assert!(app.db.license_session(&bruno, &draft.id).await.unwrap().is_none(), "its session ended too");
    let (_, body) = remove_device(&app, &admin, north.as_str(), bruno.as_str(), "DRAFT2D", "dev-desk").await;
    assert_eq!(body["code"], "not_found");

    let rows = audit(&app, &admin, north.as_str(), "remove_device").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["target"], format!("Bruno Schmidt <{BRUNO}> → device Studio workstation (Draft 2D)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_without_devices_has_none() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let bruno = account_id(&app, BRUNO).await;
    let c = app.signed_in(ADMIN).await;
    let (_, view) =
        app.call(&c, "member_devices", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
    assert_eq!(view["devices"], serde_json::json!([]));
}
