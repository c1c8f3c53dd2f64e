//! Usage views (R-USE1) over real HTTP on the demo data: six weeks of Northwind use written
//! the way the licensing service writes it (seed::usage_history): Draft 2D seats for six
//! people, a Render Studio trial, and Flex windows costing 180 tokens in all (Motion Forge
//! 10 × 9, Plant Designer 5 × 8, Survey Pro 2 × 5 × 5).
use crate::common;
use app::domain::Email;
use app::service::state::Clock;
use chrono::Duration;
use common::*;
use serde_json::Value;
use sqlx::Row;

const AMARA: &str = "amara.okafor0@northwind.example"; // admin of Northwind only
const BRUNO: &str = "bruno.schmidt1@northwind.example"; // member of Northwind

async fn view(app: &TestApp, c: &reqwest::Client, func: &str, form: &[(&str, &str)]) -> Value {
    let (status, body) = app.call(c, func, form).await;
    assert_eq!(status, 200, "{func}: {body}");
    body
}

fn day(app: &TestApp, days_ago: i64) -> String {
    (app.clock.now().date_naive() - Duration::days(days_ago)).format("%Y-%m-%d").to_string()
}

/// From the raw usage windows (not the roll-ups): what a view should add up to.
async fn raw(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(&app.db.pool).await.unwrap().try_get::<i64, _>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_figures_equal_the_ledger_and_the_chart_has_a_bar_per_day() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(ADMIN).await;
    let s = view(&app, &c, "usage_summary", &[("team", north.as_str())]).await;
    assert_eq!(s["team_name"], "Northwind Studio");
    assert_eq!((s["purchased"].as_i64(), s["used"].as_i64()), (Some(1500), Some(180)));
    assert_eq!((s["available"].as_i64(), s["expired"].as_i64()), (Some(1320), Some(0)));
    // The default range: the last 30 days, one point per day, oldest first.
    assert_eq!(s["range"]["days"], 30);
    assert_eq!(s["range"]["to"], day(&app, 0));
    let daily = s["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[0]["day"], day(&app, 29));
    assert_eq!(daily[29]["day"], day(&app, 0));
    let in_range: i64 = daily.iter().map(|d| d["tokens"].as_i64().unwrap()).sum();
    assert_eq!(s["used_in_range"].as_i64(), Some(in_range));
    let from = day(&app, 29);
    let expect = raw(
        &app,
        &format!(
            "SELECT CAST(COALESCE(SUM(tokens), 0) AS BIGINT) FROM usage_windows WHERE team_id = '{}' \
             AND SUBSTR(opened_at, 1, 10) >= '{from}'",
            north.as_str()
        ),
    )
    .await;
    assert!(expect > 0 && expect < 180, "seeded use straddles the range: {expect}");
    assert_eq!(in_range, expect);

    // Events: the 1,000-token purchase (60 days ago) and each day of Flex use; the
    // 500-token purchase is older than 90 days.
    let events = s["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["kind"] == "purchase" && e["tokens"] == 1000), "{events:?}");
    assert!(!events.iter().any(|e| e["tokens"] == 500));
    let usage: i64 =
        events.iter().filter(|e| e["kind"] == "usage").map(|e| -e["tokens"].as_i64().unwrap()).sum();
    assert_eq!(usage, 180, "every charge of the last 90 days, per day");
    let days: Vec<&str> = events.iter().map(|e| e["day"].as_str().unwrap()).collect();
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "newest first: {days:?}");

    // What is left, and when it lapses: 320 of the older purchase, then 1,000.
    let exp = s["expiries"].as_array().unwrap();
    assert_eq!(exp.iter().map(|e| e["left"].as_i64().unwrap()).collect::<Vec<_>>(), vec![320, 1000]);

    // The forecast names its assumption and its figures agree with the balance.
    let f = &s["forecast"];
    assert_eq!(f["trailing_days"], 30);
    assert!(f["assumption"].as_str().unwrap().contains("last 30 days"), "{f}");
    let lapsing: i64 = f["lapses"].as_array().unwrap().iter().map(|l| l[1].as_i64().unwrap()).sum();
    assert_eq!(f["expiring_unused"].as_i64(), Some(lapsing));
    assert!(lapsing <= 1320);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_product_adds_up_the_windows_and_sorts_on_request() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(AMARA).await;
    let from = day(&app, 45);
    let v = view(&app, &c, "usage_by_product", &[("team", north.as_str()), ("from", &from)]).await;
    let rows = v["rows"].as_array().unwrap();
    let get =
        |code: &str| rows.iter().find(|r| r["code"] == code).unwrap_or_else(|| panic!("{code}: {v}")).clone();
    // Default sort: tokens, most first.
    assert_eq!((v["sort"].as_str(), v["dir"].as_str()), (Some("tokens"), Some("desc")));
    assert_eq!(rows[0]["code"], "MOTION");
    let motion = get("MOTION");
    assert_eq!(
        (motion["tokens"].as_i64(), motion["flex_days"].as_i64(), motion["people"].as_i64()),
        (Some(90), Some(10), Some(1))
    );
    let survey = get("SURVEY");
    assert_eq!(
        (survey["tokens"].as_i64(), survey["days_used"].as_i64(), survey["people"].as_i64()),
        (Some(50), Some(10), Some(2))
    );
    assert_eq!(get("PLANT")["tokens"], 40);
    let render = get("RENDER");
    assert_eq!((render["trial_days"].as_i64(), render["tokens"].as_i64()), (Some(8), Some(0)));
    let draft = get("DRAFT2D");
    let draft_id = app.db.product_by_code("DRAFT2D").await.unwrap().unwrap().id;
    let windows =
        raw(&app, &format!("SELECT COUNT(*) FROM usage_windows WHERE product_id = '{draft_id}'")).await;
    assert_eq!(draft["subscription_days"].as_i64(), Some(windows));
    assert_eq!(draft["people"], 6);
    assert!(rows.iter().all(|r| r["code"] != "MODEL3D"), "unused products are not listed");

    let v = view(
        &app,
        &c,
        "usage_by_product",
        &[("team", north.as_str()), ("from", &from), ("sort", "name"), ("dir", "asc")],
    )
    .await;
    let names: Vec<&str> =
        v["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Draft 2D", "Motion Forge", "Plant Designer", "Render Studio", "Survey Pro"]);
    // A stale link's unknown sort falls back to the default rather than failing.
    let v = view(&app, &c, "usage_by_product", &[("team", north.as_str()), ("sort", "bogus")]).await;
    assert_eq!(v["sort"], "tokens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drilling_into_a_product_lists_its_people_and_by_user_pages() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(ADMIN).await;
    let from = day(&app, 45);
    let v =
        view(&app, &c, "usage_by_user", &[("team", north.as_str()), ("from", &from), ("product", "survey")])
            .await;
    assert_eq!(v["product"], serde_json::json!(["SURVEY", "Survey Pro"]));
    assert_eq!(v["total"], 2);
    for r in v["rows"].as_array().unwrap() {
        assert_eq!(
            (r["tokens"].as_i64(), r["days_used"].as_i64(), r["products"].as_i64()),
            (Some(25), Some(5), Some(1))
        );
        assert!(r["email"].as_str().unwrap().ends_with("@northwind.example"));
    }

    // Everyone: six seat holders, one trial user, four Flex users.
    let all = view(&app, &c, "usage_by_user", &[("team", north.as_str()), ("from", &from)]).await;
    assert_eq!(all["total"], 11);
    assert_eq!(all["tokens"], 180);
    let rows = all["rows"].as_array().unwrap();
    assert_eq!(rows[0]["tokens"], 90, "most tokens first");
    let one = rows[3]["name"].as_str().unwrap().split(' ').next_back().unwrap().to_lowercase();
    let found =
        view(&app, &c, "usage_by_user", &[("team", north.as_str()), ("from", &from), ("q", &one)]).await;
    assert!(found["total"].as_i64().unwrap() >= 1);
    assert!(found["rows"].as_array().unwrap().iter().all(|r| {
        r["name"].as_str().unwrap().to_lowercase().contains(&one)
            || r["email"].as_str().unwrap().contains(&one)
    }));
    let by_days = view(
        &app,
        &c,
        "usage_by_user",
        &[("team", north.as_str()), ("from", &from), ("sort", "days"), ("dir", "asc")],
    )
    .await;
    let days: Vec<i64> =
        by_days["rows"].as_array().unwrap().iter().map(|r| r["days_used"].as_i64().unwrap()).collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
    // A page past the end shows the last page.
    let last = view(&app, &c, "usage_by_user", &[("team", north.as_str()), ("page", "9")]).await;
    assert_eq!(last["page"], 1);

    let (_, body) = app.call(&c, "usage_by_user", &[("team", north.as_str()), ("product", "NOPE")]).await;
    assert_eq!(body["code"], "not_found", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_range_is_named_and_nothing_else_breaks() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(ADMIN).await;
    for (from, to, field, words) in [
        ("25/11/2026", "", "from", "YYYY-MM-DD"),
        ("", "2026-02-30", "to", "YYYY-MM-DD"),
        ("2100-01-01", "", "from", "in the future"),
        (&day(&app, 1)[..], &day(&app, 5)[..], "from", "after the end date"),
        (&day(&app, 800)[..], "", "from", "at most 731 days"),
    ] {
        let (_, body) =
            app.call(&c, "usage_summary", &[("team", north.as_str()), ("from", from), ("to", to)]).await;
        assert_eq!((body["code"].as_str(), body["field"].as_str()), (Some("invalid"), Some(field)), "{body}");
        assert!(body["message"].as_str().unwrap().contains(words), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seat_usage_shows_assigned_in_use_and_last_access() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(ADMIN).await;
    let v = view(&app, &c, "seat_usage", &[("team", north.as_str())]).await;
    let products = v["products"].as_array().unwrap();
    let draft = products.iter().find(|p| p["code"] == "DRAFT2D").unwrap();
    assert_eq!(
        (draft["seats"].as_i64(), draft["assigned"].as_i64(), draft["in_use"].as_i64()),
        (Some(25), Some(7), Some(1)),
        "six who use it and Jonas, who never has (the licence advice's idle seat)"
    );
    let holders = draft["holders"].as_array().unwrap();
    assert_eq!(holders[0]["in_use"], true, "the live session, accessed most recently, first");
    assert!(holders[..6].iter().all(|h| h["last_accessed"].as_str().is_some_and(|s| s.ends_with("UTC"))));
    // Jonas has never used his: never-accessed seats come last.
    assert!(holders[6]["last_accessed"].is_null(), "{}", holders[6]);
    let model = products.iter().find(|p| p["code"] == "MODEL3D").unwrap();
    assert_eq!((model["assigned"].as_i64(), model["access"].as_str()), (Some(0), Some("subscription")));
    let render = products.iter().find(|p| p["code"] == "RENDER").unwrap();
    assert_eq!(render["access"], "trial");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_is_for_the_teams_admins_only() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let harbor = app.team_id("Harbor Engineering").await;
    let member = app.signed_in(BRUNO).await;
    let other = app.signed_in(AMARA).await;
    let anon = app.client();
    for func in ["usage_summary", "usage_by_product", "usage_by_user", "seat_usage"] {
        let (_, body) = app.call(&member, func, &[("team", north.as_str())]).await;
        assert_eq!(body["code"], "admin_only", "{func}");
        let (_, body) = app.call(&other, func, &[("team", harbor.as_str())]).await;
        assert_eq!(body["code"], "not_a_member", "{func}");
        let (_, body) = app.call(&anon, func, &[("team", north.as_str())]).await;
        assert_eq!(body["code"], "unauthenticated", "{func}");
    }
    let url = format!("{}/t/{}/usage/export.csv", app.url, north.as_str());
    assert_eq!(member.get(&url).send().await.unwrap().status(), 403);
    assert_eq!(anon.get(&url).send().await.unwrap().status(), 401);
    let harbor_url = format!("{}/t/{}/usage/export.csv", app.url, harbor.as_str());
    assert_eq!(other.get(&harbor_url).send().await.unwrap().status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_has_every_usage_row_and_the_pseudonymous_one_no_personal_data() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(ADMIN).await;
    // A name a spreadsheet would run as a formula.
    let amara = app.db.account_by_email(&Email::parse(AMARA).unwrap()).await.unwrap().unwrap();
    let draft = app.db.product_by_code("DRAFT2D").await.unwrap().unwrap();
    app.db
        .open_seat_window(
            &north,
            &amara.id,
            &draft.id,
            "d",
            app::domain::licensing::LicenseType::Subscription,
            app.clock.now(),
        )
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET name = '=HYPERLINK(\"http://x\")' WHERE id = $1")
        .bind(amara.id.as_str())
        .execute(&app.db.pool)
        .await
        .unwrap();

    let from = day(&app, 45);
    let url = format!("{}/t/{}/usage/export.csv?from={from}", app.url, north.as_str());
    let res = c.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"tessera-usage-northwind-studio-"),
        "{disposition}"
    );
    let body = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["Team", "Product", "Access option", "Day used", "Tokens used", "Name", "Email"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let expected = raw(&app, "SELECT COUNT(*) FROM usage_user_days").await;
    assert_eq!(rows.len() as i64, expected);
    let tokens: i64 = rows.iter().map(|r| r[4].parse::<i64>().unwrap()).sum();
    assert_eq!(tokens, 180);
    assert!(rows.iter().all(|r| r[0] == *"Northwind Studio"));
    assert!(rows.iter().any(|r| &r[2] == "Flex") && rows.iter().any(|r| &r[2] == "Trial"));
    let evil = rows.iter().find(|r| &r[6] == AMARA).expect("Amara's row");
    assert!(evil[5].starts_with("'="), "formula defused: {:?}", &evil[5]);

    let anon_url = format!("{url}&personal=0");
    let first = c.get(&anon_url).send().await.unwrap().text().await.unwrap();
    let second = c.get(&anon_url).send().await.unwrap().text().await.unwrap();
    assert_eq!(first, second, "the same pseudonyms every time");
    assert!(!first.contains('@'), "no email address in the pseudonymous export");
    assert!(!first.contains("HYPERLINK") && !first.contains("Okafor"));
    let mut reader = csv::Reader::from_reader(first.as_bytes());
    assert_eq!(reader.headers().unwrap().len(), 6);
    let ids: std::collections::BTreeSet<String> =
        reader.records().map(|r| r.unwrap()[5].to_string()).collect();
    assert_eq!(ids.len(), 12, "one id per person (11 seeded + Amara)");
    assert!(ids.iter().all(|i| i.starts_with("user-")));

    let res = c.get(format!("{url}&to=nonsense")).send().await.unwrap();
    assert_eq!(res.status(), 400, "a bad field is a bad request");
    assert!(res.text().await.unwrap().contains("YYYY-MM-DD"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roll_ups_kept_as_windows_open_match_a_rebuild_from_the_windows() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(ADMIN).await;
    let from = day(&app, 200);
    let form = [("team", north.as_str()), ("from", from.as_str())];
    let before = (
        view(&app, &c, "usage_by_product", &form).await,
        view(&app, &c, "usage_by_user", &form).await,
        view(&app, &c, "usage_summary", &form).await,
    );
    app.db.rebuild_usage_rollups().await.unwrap();
    let after = (
        view(&app, &c, "usage_by_product", &form).await,
        view(&app, &c, "usage_by_user", &form).await,
        view(&app, &c, "usage_summary", &form).await,
    );
    assert_eq!(before, after);
    // The 200-day range reads whole months from the monthly roll-up: it must agree with
    // the same range read day by day (a range inside one month has no whole month).
    let users = before.1["rows"].as_array().unwrap().len();
    assert_eq!(users, 11);
    let totals: i64 = before.1["days_used"].as_i64().unwrap();
    let windows =
        raw(&app, &format!("SELECT COUNT(*) FROM usage_windows WHERE team_id = '{}'", north.as_str())).await;
    assert_eq!(totals, windows);
}
