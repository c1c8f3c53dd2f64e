//! The cost preview (R-ADV1) and the licence advice (R-ADV2) over real HTTP on the demo
//! data. The demo's Flex users each run the one product they use: Priya Motion Forge
//! (9 tokens a day), Quentin Plant Designer (8), Sven and Tomasz Survey Pro (5). Over the
//! last 30 days (today included) they used 72, 32, 25 and 20 tokens: 149 in all.
//! Jonas holds a Draft 2D seat he was given 35 days ago and never used.
//! Seat prices: Draft 2D 1,000, Model 3D 1,200 and Motion Forge 300 tokens a year.
use crate::common;
use app::service::state::Clock;
use common::*;
use serde_json::{json, Value};
use sqlx::Row;

const NORTHWIND: &str = "Northwind Studio";
const PRIYA: &str = "priya.haddad15@northwind.example";
const JONAS: &str = "jonas.tanaka9@northwind.example";
const CHIARA: &str = "chiara.novak2@northwind.example";
const BRUNO: &str = "bruno.schmidt1@northwind.example";

async fn preview(app: &TestApp, c: &reqwest::Client, team: &str, change: Value) -> Value {
    let (status, body) = app.call_json(c, "preview_flex_cost", json!({"team": team, "change": change})).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Every row of the tables a preview could touch, to prove it changed nothing.
async fn flex_state(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for t in
        ["flex_users", "flex_user_products", "flex_own_products", "flex_defaults", "group_flex", "audit_log"]
    {
        let n: i64 = sqlx::query(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {t}"))
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        out.push(format!("{t}: {n}"));
    }
    out
}

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-6)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cost_preview_of_each_change_follows_the_rule_and_saves_nothing() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let before = flex_state(&app).await;

    // Defaults of Survey Pro only: Priya loses Motion Forge (her own 72 tokens: 2.4 a day) and
    // gains Survey Pro at its average (45 tokens over its 2 Flex users: 22.5, 0.75 a day);
    // Quentin loses Plant Designer (32: 1.07 a day) and gains Survey Pro (0.75). Sven and
    // Tomasz keep what they have.
    let p = preview(&app, &c, north.as_str(), json!({"kind": "defaults", "codes": ["SURVEY"]})).await;
    assert_eq!(p["applies"], true);
    assert_eq!(p["people"], 2);
    assert!(close(&p["added_per_day"], 45.0 / 30.0), "{p}");
    assert!(close(&p["removed_per_day"], 104.0 / 30.0), "{p}");
    let summary = p["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("About 1.5 tokens a day more and 3.5 fewer: -2.0 a day on balance."),
        "{summary}"
    );
    assert!(p["assumption"].as_str().unwrap().contains("own Flex use over the last 30 days"), "{p}");
    let first = &p["lines"][0];
    assert_eq!(
        (&first["person"], &first["product"], &first["gained"], &first["per_day"], &first["basis"]),
        (&json!("Priya Haddad"), &json!("Motion Forge"), &json!(false), &json!("2.4"), &json!("own use"))
    );
    // Using less moves the run-out date later (or keeps the tokens until they lapse).
    match (p["runs_out_before"].as_str(), p["runs_out_after"].as_str()) {
        (Some(b), Some(a)) => assert!(a >= b, "{p}"),
        (_, None) => {}
        (None, Some(_)) => panic!("less use cannot make the tokens run out: {p}"),
    }

    // Flex from the assign dialog to Bruno, who used nothing: every Flex product at the
    // team's average. Motion Forge 72/1, Plant Designer 32/1, Survey Pro 45/2; the four
    // products nobody may run at 149 tokens over the 4 products Flex users may run: 37.25
    // each. 72 + 32 + 22.5 + 4 × 37.25 = 275.5 over 30 days.
    let bruno = app.id_of(BRUNO).await;
    let p = preview(
        &app,
        &c,
        north.as_str(),
        json!({"kind": "assign", "code": "FLEX", "member_ids": [bruno.as_str()], "new_people": ""}),
    )
    .await;
    assert!(close(&p["added_per_day"], 275.5 / 30.0), "{p}");
    assert_eq!((p["people"].as_i64(), p["removed_per_day"].as_f64()), (Some(1), Some(0.0)));
    assert!(p["lines"].as_array().unwrap().iter().all(|l| l["basis"] == "team average"), "{p}");
    assert!(p["assumption"].as_str().unwrap().contains("1 person had not used a product they gain"), "{p}");
    // A typed new person counts the same; a half-typed entry does not count, nor a repeat,
    // nor a member typed by address who is picked already (the save treats them as picked).
    let p2 = preview(
        &app,
        &c,
        north.as_str(),
        json!({"kind": "assign", "code": "FLEX", "member_ids": [bruno.as_str()],
               "new_people": "Nia New <nia.new@example.com>\nhalf <typed\nNia Again <NIA.NEW@example.com>\n\
                              Bruno <bruno.schmidt1@northwind.example>"}),
    )
    .await;
    assert!(close(&p2["added_per_day"], 2.0 * 275.5 / 30.0), "{p2}");
    // A seat costs no tokens: nothing to preview.
    let seat = preview(
        &app,
        &c,
        north.as_str(),
        json!({"kind": "assign", "code": "MODEL3D", "member_ids": [bruno.as_str()], "new_people": ""}),
    )
    .await;
    assert_eq!((seat["applies"].as_bool(), seat["lines"].as_array().map(Vec::len)), (Some(false), Some(0)));
    assert!(seat["summary"].as_str().unwrap().contains("costs no Flex tokens"));

    // Priya's own checklist emptied: she loses Motion Forge, 2.4 a day saved.
    let priya = app.id_of(PRIYA).await;
    let p = preview(
        &app,
        &c,
        north.as_str(),
        json!({"kind": "own", "member": priya.as_str(), "all": false, "codes": []}),
    )
    .await;
    assert!(close(&p["removed_per_day"], 2.4), "{p}");
    assert!(close(&p["added_per_day"], 0.0), "{p}");

    // The Design team (three Draft 2D seat holders) giving all products: Draft 2D is left out
    // for each of them, a seat covers it (R-PRI1).
    let design: String = sqlx::query("SELECT id FROM groups WHERE name = 'Design team'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let p = preview(
        &app,
        &c,
        north.as_str(),
        json!({"kind": "group", "group": design, "gives": true, "all": true, "codes": []}),
    )
    .await;
    assert_eq!(p["people"], 3, "{p}");
    assert!(
        p["assumption"].as_str().unwrap().contains("3 products people hold a seat of are left out"),
        "{p}"
    );
    assert!(p["lines"].as_array().unwrap().iter().all(|l| l["product"] != "Draft 2D"), "{p}");
    assert_eq!(p["more_lines"], 3 * 6 - 5, "six products each, five listed");

    // A product code that is not on Flex is the caller's mistake, named.
    let (status, body) = app
        .call_json(
            &c,
            "preview_flex_cost",
            json!({"team": north.as_str(), "change": {"kind": "defaults", "codes": ["TERRAIN"]}}),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("products")), "{body}");

    assert_eq!(flex_state(&app).await, before, "a preview saves nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_reaches_no_other_teams_people_or_groups() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    // Harbor's own admin (not Avery, who runs both teams).
    let harbor = app.team_id("Harbor Engineering").await;
    let hana = new_account(
        &app,
        "hana.harbor@example.com",
        "Hana Harbor",
        Some((&harbor, app::store::teams::Role::Admin, app::store::teams::MemberStatus::Active)),
    )
    .await;
    let _ = hana;
    let c = app.signed_in("hana.harbor@example.com").await;
    let design: String = sqlx::query("SELECT id FROM groups WHERE name = 'Design team'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let priya = app.id_of(PRIYA).await;
    // Named through her own team, Northwind's group and people are nobody there.
    let (status, body) = app
        .call_json(
            &c,
            "preview_flex_cost",
            json!({"team": harbor.as_str(), "change": {"kind": "group", "group": design, "gives": true, "all": true, "codes": []}}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = app
        .call_json(
            &c,
            "preview_flex_cost",
            json!({"team": harbor.as_str(), "change": {"kind": "own", "member": priya.as_str(), "all": true, "codes": []}}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(!body.to_string().contains("Motion"), "{body}");
    // Picked by id, Northwind's Priya is simply not in Harbor: nothing about her use shows.
    let p = preview(
        &app,
        &c,
        harbor.as_str(),
        json!({"kind": "assign", "code": "FLEX", "member_ids": [priya.as_str()], "new_people": ""}),
    )
    .await;
    assert_eq!(p["people"], 0, "{p}");
    assert!(!p.to_string().contains("Priya"), "{p}");
    // And Northwind's own functions refuse her.
    let (status, _) = app
        .call_json(
            &c,
            "preview_flex_cost",
            json!({"team": north.as_str(), "change": {"kind": "defaults", "codes": []}}),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn licence_advice_lists_idle_seats_heavy_users_light_seats_and_lapsing_tokens() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    // A purchase bought 360 days ago lapses in 5 days, almost all of it unused.
    {
        let mut tx = app.db.pool.begin().await.unwrap();
        app::store::tokens::add_purchase(&mut tx, &north, 400, app.clock.now() - chrono::Duration::days(360))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    // Amara (Lindqvist) got a Model 3D seat 40 days ago: 5 days of use since, and 10 days
    // on an earlier seat before it. At 5 days over 40, 45 days a year, 450 tokens on Flex:
    // cheaper than the 1,200 seat. Counting the earlier 10 would make it 136 days, 1,360.
    let amara = app.id_of("amara.lindqvist20@northwind.example").await;
    let model3d = app.db.product_by_code("MODEL3D").await.unwrap().unwrap().id;
    {
        let now = app.clock.now();
        let kind = app::domain::licensing::LicenseType::Subscription;
        for d in (45..55).chain(5..10) {
            app.db
                .open_seat_window(&north, &amara, &model3d, "desk", kind, now - chrono::Duration::days(d))
                .await
                .unwrap();
        }
        let mut tx = app.db.pool.begin().await.unwrap();
        app::store::assignments::assign(
            &mut tx,
            &north,
            &amara,
            &model3d,
            None,
            now - chrono::Duration::days(40),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        app.db.touch_seat(&north, &amara, &model3d, now - chrono::Duration::days(5)).await.unwrap();
    }
    // Chiara got a Model 3D seat 100 days ago and used it on 3 days since.
    let chiara = app.id_of(CHIARA).await;
    {
        let now = app.clock.now();
        let mut tx = app.db.pool.begin().await.unwrap();
        app::store::assignments::assign(
            &mut tx,
            &north,
            &chiara,
            &model3d,
            None,
            now - chrono::Duration::days(100),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        for d in [12, 47, 80] {
            let at = now - chrono::Duration::days(d);
            let kind = app::domain::licensing::LicenseType::Subscription;
            app.db.open_seat_window(&north, &chiara, &model3d, "desk", kind, at).await.unwrap();
            app.db.touch_seat(&north, &chiara, &model3d, at).await.unwrap();
        }
    }
    let c = app.signed_in(ADMIN).await;
    let (status, a) = app.call(&c, "licence_advice", &[("team", north.as_str())]).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["priced"], 3);
    let lines = a["lines"].as_array().unwrap();
    let of = |kind: &str| lines.iter().filter(|l| l["kind"] == kind).collect::<Vec<_>>();

    let idle = of("idle_seat");
    assert_eq!(idle.len(), 1, "{lines:?}");
    assert_eq!((idle[0]["email"].as_str(), idle[0]["product_code"].as_str()), (Some(JONAS), Some("DRAFT2D")));
    assert_eq!((idle[0]["can_unassign"].as_bool(), idle[0]["saving"].as_i64()), (Some(true), Some(1000)));
    assert!(idle[0]["figures"].as_str().unwrap().contains("never used"), "{}", idle[0]);

    // Priya: 10 days of Motion Forge in 90 days, 90 tokens; a year at that pace is 365 > 300.
    let heavy = of("cheaper_on_seat");
    assert_eq!(heavy.len(), 1, "{lines:?}");
    assert_eq!((heavy[0]["email"].as_str(), heavy[0]["saving"].as_i64()), (Some(PRIYA), Some(65)));
    assert!(heavy[0]["figures"].as_str().unwrap().contains("365 tokens a year"), "{}", heavy[0]);

    // Chiara: 3 days in 90 is 12 days a year, 120 tokens at 10 a day, against 1,200.
    let light = of("cheaper_on_flex");
    assert_eq!(light.len(), 2, "{lines:?}");
    assert_eq!((light[0]["email"].as_str(), light[0]["saving"].as_i64()), (Some(CHIARA), Some(1080)));
    assert_eq!(
        (light[1]["email"].as_str(), light[1]["saving"].as_i64()),
        (Some("amara.lindqvist20@northwind.example"), Some(750))
    );
    assert!(light[1]["figures"].as_str().unwrap().contains("on 5 of the last 40 days"), "{}", light[1]);

    // The 400-token purchase lapses within 5 days at ~5 tokens a day: at least 370 lapse.
    let lapsing = of("lapsing");
    assert!(lapsing.iter().any(|l| l["saving"].as_i64().unwrap() >= 370), "{lines:?}");
    assert!(
        lapsing.iter().all(|l| l["assumption"].as_str().unwrap().contains("last 30 days")),
        "{lapsing:?}"
    );

    // The CSV says the same, line for line.
    let res = c.get(format!("{}/t/{}/usage/advice.csv", app.url, north)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), lines.len(), "{csv}");
    assert!(records.iter().any(|r| &r[0] == "Idle seat" && &r[2] == JONAS && &r[3] == "Draft 2D"), "{csv}");

    // Unassigning from the advice frees the seat: the advice no longer lists it.
    let jonas = app.id_of(JONAS).await;
    let (status, n) = app
        .call_json(
            &c,
            "unassign_users",
            json!({"team": north.as_str(), "code": "DRAFT2D", "member_ids": [jonas.as_str()]}),
        )
        .await;
    assert_eq!((status, n.as_i64()), (200, Some(1)));
    let (_, a) = app.call(&c, "licence_advice", &[("team", north.as_str())]).await;
    assert!(!a["lines"].as_array().unwrap().iter().any(|l| l["kind"] == "idle_seat"), "{a}");
    let (_, seats) = app.call(&c, "seat_usage", &[("team", north.as_str())]).await;
    let draft =
        seats["products"].as_array().unwrap().iter().find(|p| p["code"] == "DRAFT2D").unwrap().clone();
    assert_eq!(draft["assigned"], 6, "the six who use it: {draft}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_seat_price_there_is_no_seat_or_flex_advice() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    sqlx::query("UPDATE products SET seat_tokens = NULL").execute(&app.db.pool).await.unwrap();
    let c = app.signed_in(ADMIN).await;
    let (_, a) = app.call(&c, "licence_advice", &[("team", north.as_str())]).await;
    assert_eq!(a["priced"], 0);
    let kinds: Vec<&str> =
        a["lines"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"idle_seat"), "{kinds:?}");
    assert!(!kinds.iter().any(|k| *k == "cheaper_on_seat" || *k == "cheaper_on_flex"), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_seat_a_group_gives_too_is_not_offered_for_unassigning() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let jonas = app.id_of(JONAS).await;
    let draft = app.db.product_by_code("DRAFT2D").await.unwrap().unwrap().id;
    {
        let now = app.clock.now();
        let mut tx = app.db.pool.begin().await.unwrap();
        let name = app::domain::GroupName::parse("Drafting").unwrap();
        let group = app::store::groups::create(&mut tx, &north, &name, now).await.unwrap();
        app::store::groups::add_member(&mut tx, &north, &group, &jonas, now).await.unwrap();
        app::store::groups::set_seats(&mut tx, &group, &[draft].into()).await.unwrap();
        tx.commit().await.unwrap();
    }
    let c = app.signed_in(ADMIN).await;
    let (_, a) = app.call(&c, "licence_advice", &[("team", north.as_str())]).await;
    let idle: Vec<&Value> =
        a["lines"].as_array().unwrap().iter().filter(|l| l["kind"] == "idle_seat").collect();
    assert_eq!(idle.len(), 1, "{a}");
    // Unassigning his own would leave the group's: the seat would not be freed.
    assert_eq!(
        (idle[0]["can_unassign"].as_bool(), idle[0]["through_group"].as_bool()),
        (Some(false), Some(true))
    );
}
