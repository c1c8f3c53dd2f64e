//! Groups over real HTTP (R-GRP1): a group's products reach its members; a seat counts once
//! per person whatever the number of routes; the member page says where each seat comes
//! from; leaving a group, or its deletion, takes only what came through it alone; seat
//! limits hold; and what other teams' admins, members and outsiders try is refused, with
//! nothing changed.
use crate::attacks::devices::authorize;
use crate::common::*;
use app::domain::{TeamId, UserId};
use app::service::state::Clock as _;
use serde_json::json;

const FARID: &str = "farid.haddad5@northwind.example"; // holds a Draft 2D seat of his own
const BRUNO: &str = "bruno.schmidt1@northwind.example"; // plain member, no seat
const NORTHWIND: &str = "Northwind Studio";

async fn seats_used(app: &TestApp, c: &reqwest::Client, team: &TeamId, code: &str) -> i64 {
    let (_, offers) = app.call(c, "team_offers", &[("team", team.as_str())]).await;
    offers.as_array().unwrap().iter().find(|o| o["code"] == code).unwrap()["assigned"].as_i64().unwrap()
}

async fn routes(
    app: &TestApp,
    c: &reqwest::Client,
    team: &TeamId,
    member: &UserId,
    code: &str,
) -> Vec<String> {
    let (status, detail) =
        app.call(c, "member_detail", &[("team", team.as_str()), ("member", member.as_str())]).await;
    assert_eq!(status, 200, "{detail}");
    detail["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == code)
        .map(|r| r[1].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

async fn new_group(app: &TestApp, c: &reqwest::Client, team: &TeamId, name: &str) -> String {
    let (status, id) = app.call(c, "create_group", &[("team", team.as_str()), ("name", name)]).await;
    assert_eq!(status, 200, "{id}");
    id.as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_seats_reach_its_members_once_each_and_leave_with_it() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let (farid, bruno) = (app.id_of(FARID).await, app.id_of(BRUNO).await);
    let used = seats_used(&app, &c, &north, "DRAFT2D").await;
    let lic = Licensing::new(&app, &north, "Draft 2D desktop").await;
    let bruno_token = lic.token(&app, &bruno).await;
    let (status, _) = authorize(&app.url, &bruno_token, "DRAFT2D", "bruno-desk").await;
    assert_eq!(status, 403, "Bruno holds no seat yet");

    let group = new_group(&app, &c, &north, "Drafting").await;
    let (status, added) = app
        .call_json(
            &c,
            "add_to_group",
            json!({"team": north, "group": group, "member_ids": [farid, bruno], "new_people": ""}),
        )
        .await;
    assert_eq!((status, added["added"].as_u64()), (200, Some(2)), "{added}");
    let (status, body) = app
        .call_json(&c, "set_group_products", json!({"team": north, "group": group, "codes": ["draft2d"]}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        seats_used(&app, &c, &north, "DRAFT2D").await,
        used + 1,
        "Farid's seat is one seat, Bruno's is new"
    );
    assert_eq!(routes(&app, &c, &north, &farid, "DRAFT2D").await, ["assigned directly", "through Drafting"]);
    assert_eq!(routes(&app, &c, &north, &bruno, "DRAFT2D").await, ["through Drafting"]);
    // The product page marks who holds it only through a group (nothing to unassign there).
    let (_, page) =
        app.call(&c, "offer_members", &[("team", north.as_str()), ("code", "DRAFT2D"), ("q", "")]).await;
    assert_eq!(page["through_group"], json!([bruno.as_str()]), "Farid's seat is also his own: {page}");
    let (status, body) = authorize(&app.url, &bruno_token, "DRAFT2D", "bruno-desk").await;
    assert_eq!(status, 200, "the group's seat licenses Bruno: {body}");
    // The people export carries only a person's own seats: a group's come back with the group.
    let csv = c
        .get(format!("{}/t/{}/people/export.csv", app.url, north))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let bruno_line = csv.lines().find(|l| l.contains(BRUNO)).unwrap_or_default();
    assert!(!bruno_line.contains("DRAFT2D"), "{bruno_line}");
    assert!(csv.lines().find(|l| l.contains(FARID)).unwrap_or_default().contains("DRAFT2D"));
    let (_, list) = app.call(&c, "team_groups", &[("team", north.as_str()), ("q", "draft")]).await;
    assert_eq!(list["rows"][0]["members"], 2, "{list}");
    assert_eq!(list["rows"][0]["products"], json!(["Draft 2D"]), "{list}");

    // Farid's own assignment taken back: he keeps the seat through the group.
    let (status, _) = app
        .call_json(&c, "unassign_users", json!({"team": north, "code": "DRAFT2D", "member_ids": [farid]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(routes(&app, &c, &north, &farid, "DRAFT2D").await, ["through Drafting"]);
    assert_eq!(seats_used(&app, &c, &north, "DRAFT2D").await, used + 1);

    // Bruno leaves the group: his seat goes, and his next check is refused.
    let (status, n) = app
        .call_json(&c, "remove_from_group", json!({"team": north, "group": group, "member_ids": [bruno]}))
        .await;
    assert_eq!((status, n), (200, json!(1)));
    assert!(routes(&app, &c, &north, &bruno, "DRAFT2D").await.is_empty());
    assert_eq!(seats_used(&app, &c, &north, "DRAFT2D").await, used);
    let (status, body) = authorize(&app.url, &bruno_token, "DRAFT2D", "bruno-desk").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("not_entitled")), "{body}");

    // The group deleted: Farid, whose own assignment is gone, loses the seat too.
    let (status, lost) = app.call(&c, "delete_group", &[("team", north.as_str()), ("group", &group)]).await;
    assert_eq!((status, lost), (200, json!(1)));
    assert_eq!(seats_used(&app, &c, &north, "DRAFT2D").await, used - 1);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT target FROM audit_log WHERE team_id = $1 AND action = 'group'")
            .bind(north.as_str())
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(actions.len(), 6, "create, two joins, products, a leave, the deletion: {actions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_may_not_take_more_seats_than_the_subscription_has() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    // The Render Studio trial has 5 seats, none taken; a group of six asks for six.
    let group = new_group(&app, &c, &north, "Everyone").await;
    let (_, page) = app.call(&c, "list_members", &[("team", north.as_str()), ("status", "active")]).await;
    let six: Vec<String> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .take(6)
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(six.len(), 6);
    let (status, _) = app
        .call_json(
            &c,
            "add_to_group",
            json!({"team": north, "group": group, "member_ids": six, "new_people": ""}),
        )
        .await;
    assert_eq!(status, 200);
    let before = seats_used(&app, &c, &north, "RENDER").await;
    let (status, body) = app
        .call_json(&c, "set_group_products", json!({"team": north, "group": group, "codes": ["RENDER"]}))
        .await;
    assert_eq!(status, 409, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("Render Studio has 5 seats and this would assign 6"), "{body}");
    assert_eq!(seats_used(&app, &c, &north, "RENDER").await, before, "nothing was assigned");
    let (_, detail) = app.call(&c, "group_detail", &[("team", north.as_str()), ("group", &group)]).await;
    assert!(
        detail["products"].as_array().unwrap().iter().all(|p| p[1] == false),
        "nothing was saved: {detail}"
    );

    // Flex is not a group's to give (yet), and a product the team does not hold is named.
    let (status, body) = app
        .call_json(&c, "set_group_products", json!({"team": north, "group": group, "codes": ["FLEX"]}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app
        .call_json(&c, "set_group_products", json!({"team": north, "group": group, "codes": ["PLANT"]}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("no subscription or trial of PLANT"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_names_are_checked_and_unique_in_a_team() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    new_group(&app, &c, &north, "Render farm").await;
    let (status, body) =
        app.call(&c, "create_group", &[("team", north.as_str()), ("name", "render FARM")]).await;
    assert_eq!(status, 409, "one group per name, whatever the case: {body}");
    let (status, body) = app.call(&c, "create_group", &[("team", north.as_str()), ("name", "   ")]).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("name")), "{body}");
    let long = "x".repeat(81);
    let (status, _) = app.call(&c, "create_group", &[("team", north.as_str()), ("name", &long)]).await;
    assert_eq!(status, 400);
    // The same name in another team is another group.
    let harbor = app.team_id("Harbor Engineering").await;
    new_group(&app, &c, &harbor, "Render farm").await;
}

/// A group belongs to its team: an admin of another team reaches it through neither
/// team; members and outsiders reach nothing; nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_outside_a_teams_admins_reaches_its_groups() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let group = new_group(&app, &c, &north, "Secret project").await;
    let bruno = app.id_of(BRUNO).await;

    // An admin of another team only: Avery is admin of both demo teams, so a new one.
    let other = crate::attacks::devices::new_team(&app, "Other Studio").await;
    let mallory = crate::attacks::devices::person(&app, "mallory@other.example", "Mallory Admin").await;
    crate::attacks::devices::join(
        &app,
        &other,
        &mallory,
        app::store::teams::Role::Admin,
        app::store::teams::MemberStatus::Active,
    )
    .await;
    let m = app.signed_in("mallory@other.example").await;
    for (team, label) in [(&north, "Northwind itself"), (&other, "through her own team")] {
        let (status, body) =
            app.call(&m, "group_detail", &[("team", team.as_str()), ("group", &group)]).await;
        assert!(status == 403 || status == 404, "{label}: {status} {body}");
        let (status, body) = app
            .call_json(
                &m,
                "add_to_group",
                json!({"team": team, "group": group, "member_ids": [bruno], "new_people": ""}),
            )
            .await;
        assert!(status == 403 || status == 404, "{label}: {status} {body}");
        let (status, _) = app.call(&m, "delete_group", &[("team", team.as_str()), ("group", &group)]).await;
        assert!(status == 403 || status == 404, "{label}");
    }
    // A plain member of Northwind, and nobody signed in.
    let b = app.signed_in(BRUNO).await;
    let (status, body) = app.call(&b, "team_groups", &[("team", north.as_str())]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("admin_only")), "{body}");
    let (status, _) = app
        .call(&app.client(), "rename_group", &[("team", north.as_str()), ("group", &group), ("name", "Mine")])
        .await;
    assert_eq!(status, 401);
    let (_, detail) = app.call(&c, "group_detail", &[("team", north.as_str()), ("group", &group)]).await;
    assert_eq!(
        (detail["name"].as_str(), detail["total"].as_i64()),
        (Some("Secret project"), Some(0)),
        "{detail}"
    );
}

/// Removing a person from the team takes them out of its groups; adding them again later
/// starts clean (R-UM4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_leaves_every_group_of_the_team() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let bruno = app.id_of(BRUNO).await;
    let group = new_group(&app, &c, &north, "Reviewers").await;
    let (status, _) = app
        .call_json(
            &c,
            "add_to_group",
            json!({"team": north, "group": group, "member_ids": [bruno], "new_people": ""}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call_json(&c, "set_group_products", json!({"team": north, "group": group, "codes": ["RENDER"]}))
        .await;
    assert_eq!(status, 200);
    let (status, body) =
        app.call_json(&c, "remove_members", json!({"team": north, "member_ids": [bruno]})).await;
    assert_eq!(status, 200, "{body}");
    let (_, detail) = app.call(&c, "group_detail", &[("team", north.as_str()), ("group", &group)]).await;
    assert_eq!(detail["total"], 0, "{detail}");
    let seats: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE team_id = $1 AND account_id = $2")
            .bind(north.as_str())
            .bind(bruno.as_str())
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(seats, 0);
}

/// The import's `groups` column (R-GRP1, R-IMP1): people are put in the team's groups and
/// get their seats within the limits; an unknown or synced group is refused on its row; a
/// seat the file names that only a group gave becomes the person's own; importing the same
/// file again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_puts_people_in_groups_within_the_seat_limits() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let bruno = app.id_of(BRUNO).await;
    let rendering = new_group(&app, &c, &north, "Rendering").await;
    let (status, body) = app
        .call_json(&c, "set_group_products", json!({"team": north, "group": rendering, "codes": ["RENDER"]}))
        .await;
    assert_eq!(status, 200, "{body}");
    // A synced group: the directory's, not the file's.
    let (_, token) =
        app::service::directory::create_token(&app.db, &north, "Import test", None, app.clock.now())
            .await
            .unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/scim/v2/Groups", app.url))
        .bearer_auth(&token)
        .header("Content-Type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "From Okta"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let import = |content: String, dry_run: bool| {
        let (app, c, north) = (&app, &c, &north);
        async move {
            let (status, report) = app
                .call_json(
                    c,
                    "import_csv",
                    json!({"team": north, "file_name": "groups.csv", "content": content,
                           "dry_run": dry_run, "valid_rows_only": false}),
                )
                .await;
            assert_eq!(status, 200, "{report}");
            report
        }
    };
    let bad = "name,email,groups\nGil Group,gil.group@example.com,rendering;Design team\n\
               Nia Nogroup,nia@example.com,Nowhere\nOla Okta,ola@example.com,From Okta\n";
    let report = import(bad.to_string(), false).await;
    let reasons: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reasons.len(), 2, "{report}");
    assert!(reasons[0].contains("no group called \"Nowhere\""), "{reasons:?}");
    assert!(reasons[1].contains("synced from your company's directory"), "{reasons:?}");
    assert_eq!(report["imported"], false, "nothing from a file with errors");

    // Render Studio has 5 seats: the demo uses some; fill the rest through the group, and
    // the row that would need one more is refused, naming the group.
    let (_, offers) = app.call(&c, "team_offers", &[("team", north.as_str())]).await;
    let render = offers.as_array().unwrap().iter().find(|o| o["code"] == "RENDER").unwrap().clone();
    let free = render["seats"].as_i64().unwrap() - render["assigned"].as_i64().unwrap();
    let mut file = String::from("name,email,products,groups\n");
    file.push_str(&format!("Bruno,{BRUNO},DRAFT2D,Rendering;design team\n"));
    for i in 1..free {
        file.push_str(&format!("Person {i},person{i}@groups.example,,Rendering\n"));
    }
    file.push_str("One Too Many,one.too.many@groups.example,,Rendering\n");
    let report = import(file.clone(), true).await;
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(errors[0]["line"].as_u64(), Some(free as u64 + 2));
    assert!(
        errors[0]["reason"].as_str().unwrap().contains("the group \"Rendering\" gives RENDER"),
        "{report}"
    );

    let file = file.replace("One Too Many,one.too.many@groups.example,,Rendering\n", "");
    let report = import(file.clone(), false).await;
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!(report["imported"], true);
    assert_eq!(seats_used(&app, &c, &north, "RENDER").await, render["seats"].as_i64().unwrap());
    assert_eq!(routes(&app, &c, &north, &bruno, "RENDER").await, ["through Rendering"]);
    let (_, detail) =
        app.call(&c, "member_detail", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
    let groups: Vec<&str> =
        detail["groups"].as_array().unwrap().iter().map(|g| g[1].as_str().unwrap()).collect();
    assert!(groups.contains(&"Rendering") && groups.contains(&"Design team"), "{detail}");
    // Again: nothing changes.
    let report = import(file, false).await;
    assert_eq!((report["created"].as_u64(), report["updated"].as_u64()), (Some(0), Some(0)), "{report}");

    // Bruno's Render seat came only through the group; the file now names it for him: it
    // becomes his own, still one seat, and stays when he leaves the group.
    let used = seats_used(&app, &c, &north, "RENDER").await;
    let report = import(format!("email,products\n{BRUNO},RENDER\n"), false).await;
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(seats_used(&app, &c, &north, "RENDER").await, used);
    let (status, body) = app
        .call_json(&c, "remove_from_group", json!({"team": north, "group": rendering, "member_ids": [bruno]}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(routes(&app, &c, &north, &bruno, "RENDER").await, ["assigned directly"]);
}

/// R-GRP1 with R-FX1: a group gives Flex access (a list, or all products) beside a person's
/// own; the licensing check follows every route; taking the person's own access away
/// leaves the group's, and leaving the group takes what only it gave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_gives_flex_access_beside_the_persons_own() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let bruno = app.id_of(BRUNO).await;
    // Defaults off, so each person's selection decides (R-FX2).
    let (status, body) = app.call_json(&c, "save_flex_defaults", json!({"team": north, "codes": []})).await;
    assert_eq!(status, 200, "{body}");
    let lic = Licensing::new(&app, &north, "Motion desktop").await;
    let token = lic.token(&app, &bruno).await;
    assert_eq!(authorize(&app.url, &token, "MOTION", "bruno-desk").await.0, 403, "no Flex yet");

    let group = new_group(&app, &c, &north, "Motion crew").await;
    let (status, body) = app
        .call_json(
            &c,
            "add_to_group",
            json!({"team": north, "group": group, "member_ids": [bruno], "new_people": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call_json(
            &c,
            "set_group_flex",
            json!({"team": north, "group": group, "gives": true, "all": false, "codes": ["MOTION"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let flex_of = || {
        let (app, c, north, bruno) = (&app, &c, &north, &bruno);
        async move {
            let (status, view) =
                app.call(c, "flex_access", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
            assert_eq!(status, 200, "{view}");
            view
        }
    };
    let view = flex_of().await;
    assert_eq!(view["group_only"], true, "{view}");
    assert_eq!(view["through_groups"], json!(["Motion crew: Motion Forge"]), "{view}");
    assert_eq!(authorize(&app.url, &token, "MOTION", "bruno-desk").await.0, 200);
    let (status, body) = authorize(&app.url, &token, "SURVEY", "bruno-desk").await;
    assert_eq!(status, 403, "the group gives Motion only: {body}");

    // His own Flex access (every product) beside the group's; taken back, the group's stays.
    let (status, body) = app
        .call_json(
            &c,
            "assign_users",
            json!({"team": north, "code": "FLEX", "member_ids": [bruno], "new_people": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(flex_of().await["group_only"], false);
    assert_eq!(authorize(&app.url, &token, "SURVEY", "bruno-desk-2").await.0, 200, "his own: all products");
    let (status, body) = app
        .call_json(&c, "unassign_users", json!({"team": north, "code": "FLEX", "member_ids": [bruno]}))
        .await;
    assert_eq!(status, 200, "{body}");
    let view = flex_of().await;
    assert_eq!(view["group_only"], true, "still a Flex user through the group: {view}");
    let (status, body) = authorize(&app.url, &token, "SURVEY", "bruno-desk-2").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("not_entitled")), "{body}");

    // The group now gives all products; then he leaves it: no Flex access is left.
    let (status, _) = app
        .call_json(
            &c,
            "set_group_flex",
            json!({"team": north, "group": group, "gives": true, "all": true, "codes": []}),
        )
        .await;
    assert_eq!(status, 200);
    // The same device as before: one session per product at a time.
    assert_eq!(authorize(&app.url, &token, "SURVEY", "bruno-desk-2").await.0, 200);
    let (status, _) = app
        .call_json(&c, "remove_from_group", json!({"team": north, "group": group, "member_ids": [bruno]}))
        .await;
    assert_eq!(status, 200);
    let (status, view) =
        app.call(&c, "flex_access", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
    assert_eq!((status, view), (200, serde_json::Value::Null), "not a Flex user any more");
    let (status, body) = authorize(&app.url, &token, "MOTION", "bruno-desk").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("not_entitled")), "{body}");
    // Every change is audited.
    let (rows, _) = app.db.audit_entries(&north, Some("group"), 0, 50).await.unwrap();
    assert!(rows.iter().any(|e| e.target == "Group Motion crew → Flex"), "{rows:?}");
}
