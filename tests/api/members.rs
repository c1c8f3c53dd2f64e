//! The member lifecycle over real HTTP (R-UM4, R-UM5, R-INV2, R-IMP1): removing people and
//! what that frees and ends, leaving, withdrawing and sending invitations, inviting without
//! a product, roles and the guest flag, the team's name, and the people export's round trip
//! through the import. Each refusal is checked to change nothing.
use crate::attacks::devices::{authorize, join, new_team, person};
use crate::common::*;
use app::domain::{Email, TeamId, UserId};
use app::store::teams::{MemberStatus, Role};
use serde_json::{json, Value};

const FARID: &str = "farid.haddad5@northwind.example"; // holds a Draft 2D seat; runs it on demo-desk
const BRUNO: &str = "bruno.schmidt1@northwind.example"; // plain member
const NORTHWIND: &str = "Northwind Studio";

/// Gives `member` Flex from the assign dialog, then their own selection of Motion Forge only.
async fn on_flex_with_motion(app: &TestApp, c: &reqwest::Client, team: &TeamId, member: &UserId) {
    let body = json!({"team": team, "code": "FLEX", "member_ids": [member], "new_people": ""});
    let (status, body) = app.call_json(c, "assign_users", body).await;
    assert_eq!(status, 200, "{body}");
    let body = json!({"team": team, "member": member, "all": false, "codes": ["MOTION"]});
    let (status, body) = app.call_json(c, "save_flex_access", body).await;
    assert_eq!(status, 200, "{body}");
}

async fn count(app: &TestApp, sql: &str, id: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_one(&app.db.pool).await.unwrap()
}

async fn audit_actions(app: &TestApp, team: &TeamId) -> Vec<String> {
    sqlx::query_scalar::<_, String>("SELECT action FROM audit_log WHERE team_id = $1 ORDER BY at, id")
        .bind(team.as_str())
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

async fn draft_seats_used(app: &TestApp, c: &reqwest::Client, team: &TeamId) -> i64 {
    let (_, offers) = app.call(c, "team_offers", &[("team", team.as_str())]).await;
    offers.as_array().unwrap().iter().find(|o| o["code"] == "DRAFT2D").unwrap()["assigned"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_member_frees_the_seat_ends_licensing_and_keeps_usage() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let farid = app.id_of(FARID).await;
    let c = app.signed_in(ADMIN).await;
    let lic = Licensing::new(&app, &north, "Draft 2D desktop").await;
    let token = lic.token(&app, &farid).await;
    let (status, body) = authorize(&app.url, &token, "DRAFT2D", "demo-desk").await;
    assert_eq!(status, 200, "Farid runs Draft 2D before: {body}");
    let usage_before =
        count(&app, "SELECT COUNT(*) FROM usage_windows WHERE account_id = $1", farid.as_str()).await;
    assert!(usage_before > 0, "the demo has usage for Farid");
    let seats_before = draft_seats_used(&app, &c, &north).await;

    // The confirmation names what goes.
    let (status, preview) =
        app.call_json(&c, "removal_preview", json!({"team": north, "member_ids": [farid]})).await;
    assert_eq!(status, 200, "{preview}");
    let summary = preview["summary"].as_str().unwrap();
    assert!(summary.starts_with("Farid Haddad loses "), "{summary}");
    assert!(summary.contains("Draft 2D") && summary.contains("seat"), "{summary}");
    assert!(summary.contains("their open session ends at its next check"), "{summary}");
    assert_eq!(preview["refusal"], Value::Null);
    // The preview changed nothing.
    assert_eq!(draft_seats_used(&app, &c, &north).await, seats_before);

    let (status, removed) =
        app.call_json(&c, "remove_members", json!({"team": north, "member_ids": [farid]})).await;
    assert_eq!((status, removed), (200, json!(1)));
    assert!(app.db.membership(&north, &farid).await.unwrap().is_none());
    assert_eq!(draft_seats_used(&app, &c, &north).await, seats_before - 1, "the seat is freed");
    let (status, body) = authorize(&app.url, &token, "DRAFT2D", "demo-desk").await;
    assert!(status >= 400 && body["error"] == "not_entitled", "the next check is refused: {status} {body}");
    let usage_after =
        count(&app, "SELECT COUNT(*) FROM usage_windows WHERE account_id = $1", farid.as_str()).await;
    assert_eq!(usage_after, usage_before, "usage history stays");
    assert_eq!(audit_actions(&app, &north).await.last().map(String::as_str), Some("remove"));
    let (_, member) =
        app.call(&c, "member_detail", &[("team", north.as_str()), ("member", farid.as_str())]).await;
    assert_eq!(member["code"], "not_found");

    // Adding the person again starts clean: invited, with nothing assigned.
    let (status, body) = app
        .call(
            &c,
            "invite_people",
            &[("team", north.as_str()), ("people", &format!("Farid Haddad <{FARID}>")), ("role", "member")],
        )
        .await;
    assert_eq!((status, body["invited"].as_i64()), (200, Some(1)), "{body}");
    let back = app.db.member(&north, &farid).await.unwrap().unwrap();
    assert!(!back.active && back.assignments == 0 && !back.flex, "{back:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_removes_themselves_or_the_last_admin() {
    let app = spawn_app().await;
    let team = new_team(&app, "Solo Studio").await;
    let solo = person(&app, "solo.admin@example.com", "Solo Admin").await;
    join(&app, &team, &solo, Role::Admin, MemberStatus::Active).await;
    let pat = person(&app, "pat.member@example.com", "Pat Member").await;
    join(&app, &team, &pat, Role::Member, MemberStatus::Active).await;
    let c = app.signed_in("solo.admin@example.com").await;

    let (status, body) =
        app.call_json(&c, "remove_members", json!({"team": team, "member_ids": [solo]})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("Leave team"), "{body}");
    let (_, preview) =
        app.call_json(&c, "removal_preview", json!({"team": team, "member_ids": [solo]})).await;
    assert!(preview["refusal"].as_str().is_some_and(|r| r.contains("yourself")), "{preview}");

    // The only admin (the team's first, so its primary admin, R-UM5) can neither demote
    // themself nor leave.
    let (status, body) = app
        .call(
            &c,
            "set_member_role",
            &[("team", team.as_str()), ("member", solo.as_str()), ("role", "member")],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = app.call(&c, "leave_team", &[("team", team.as_str())]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("primary admin"), "{body}");
    let m = app.db.membership(&team, &solo).await.unwrap().unwrap();
    assert_eq!((m.role, m.active), (Role::PrimaryAdmin, true));

    // A second admin is not enough: the primary admin hands the role on first, then may
    // leave; the member may leave at any time.
    let (status, _) = app
        .call(&c, "set_member_role", &[("team", team.as_str()), ("member", pat.as_str()), ("role", "admin")])
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.call(&c, "leave_team", &[("team", team.as_str())]).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) =
        app.call(&c, "hand_on_primary", &[("team", team.as_str()), ("member", pat.as_str())]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.db.membership(&team, &pat).await.unwrap().unwrap().role, Role::PrimaryAdmin);
    assert_eq!(app.db.membership(&team, &solo).await.unwrap().unwrap().role, Role::Admin);
    let (status, body) = app.call(&c, "leave_team", &[("team", team.as_str())]).await;
    assert!(status < 400, "{status} {body}");
    assert!(app.db.membership(&team, &solo).await.unwrap().is_none());
    assert_eq!(audit_actions(&app, &team).await, ["role", "role", "leave"]);
    // The account that left is a stranger to the team now.
    let (status, body) = app.call(&c, "list_members", &[("team", team.as_str())]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_a_member")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_guests_and_strangers_cannot_leave_for_others_or_remove_anyone() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let farid = app.id_of(FARID).await;
    let bruno = app.signed_in(BRUNO).await;
    let before = app.db.member(&north, &farid).await.unwrap().unwrap();
    let (status, body) =
        app.call_json(&bruno, "remove_members", json!({"team": north, "member_ids": [farid]})).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("admin_only")));
    // Leaving needs a membership: an outsider and nobody are refused, nothing changes.
    new_account(&app, "otto.outsider@elsewhere.example", "Otto Outsider", None).await;
    let otto = app.signed_in("otto.outsider@elsewhere.example").await;
    let (status, body) = app.call(&otto, "leave_team", &[("team", north.as_str())]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_a_member")));
    let (status, body) = app.call(&app.client(), "leave_team", &[("team", north.as_str())]).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")));
    let after = app.db.member(&north, &farid).await.unwrap().unwrap();
    assert_eq!((before.active, before.assignments), (after.active, after.assignments));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_invitation_stops_working_and_an_accepted_one_cannot_be_withdrawn() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let (status, body) = app
        .call(
            &c,
            "invite_people",
            &[("team", north.as_str()), ("people", "Wren Withdrawn <wren@example.com>"), ("role", "member")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mail: String = sqlx::query_scalar("SELECT text_body FROM outbox WHERE to_addr = 'wren@example.com'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let token = mail.split("/invite/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let (status, _) = app.call(&app.client(), "invitation_info", &[("token", &token)]).await;
    assert_eq!(status, 200, "the link works before");

    let wren = app.id_of("wren@example.com").await;
    let (_, pending) = app.call(&c, "pending_invitations", &[("team", north.as_str()), ("q", "wren")]).await;
    assert_eq!(pending["total"], 1, "{pending}");
    assert_eq!(pending["rows"][0]["emailed"], true);
    assert_eq!(pending["rows"][0]["invited_by"], "Avery Admin");
    assert_eq!(pending["rows"][0]["assigned"], json!([]), "invited without a product");
    // What is assigned while invited shows, with who assigned it.
    let (status, body) = app
        .call_json(
            &c,
            "assign_users",
            json!({"team": north, "code": "FLEX", "member_ids": [wren], "new_people": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call_json(
            &c,
            "assign_users",
            json!({"team": north, "code": "DRAFT2D", "member_ids": [wren], "new_people": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, pending) = app.call(&c, "pending_invitations", &[("team", north.as_str()), ("q", "wren")]).await;
    assert_eq!(
        pending["rows"][0]["assigned"],
        json!(["Draft 2D (Avery Admin)", "Flex (Avery Admin)"]),
        "{pending}"
    );

    let (status, name) =
        app.call(&c, "withdraw_invitation", &[("team", north.as_str()), ("member", wren.as_str())]).await;
    assert_eq!((status, name), (200, json!("Wren Withdrawn")));
    let (status, body) = app.call(&app.client(), "invitation_info", &[("token", &token)]).await;
    assert!(status >= 400, "the link stops working: {body}");
    assert!(app.db.membership(&north, &wren).await.unwrap().is_none());
    assert_eq!(audit_actions(&app, &north).await.last().map(String::as_str), Some("withdraw"));

    let farid = app.id_of(FARID).await;
    let (status, body) =
        app.call(&c, "withdraw_invitation", &[("team", north.as_str()), ("member", farid.as_str())]).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(app.db.membership(&north, &farid).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_people_are_not_invited_until_the_admin_sends_them_an_invitation() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let csv =
        "name,email,products,guest\nIma Ported,ima@example.com,,false\nIan Ported,ian@example.com,,true\n";
    let (status, report) = app.call_json(&c, "import_csv",
        json!({"team": north, "file_name": "p.csv", "content": csv, "dry_run": false, "valid_rows_only": false}),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let outbox = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox").fetch_one(&app.db.pool).await.unwrap()
    };
    let mails = outbox().await;
    let (_, list) = app
        .call(&c, "list_members", &[("team", north.as_str()), ("status", "not_invited"), ("q", "ported")])
        .await;
    assert_eq!(list["total"], 2, "{list}");
    assert!(list["rows"].as_array().unwrap().iter().all(|r| r["status"] == "not_invited"), "{list}");
    // Long after the import they are still "not invited", not "expired".
    app.clock.advance(chrono::Duration::days(30));
    let (_, list) = app.call(&c, "list_members", &[("team", north.as_str()), ("q", "ported")]).await;
    assert!(list["rows"].as_array().unwrap().iter().all(|r| r["status"] == "not_invited"), "{list}");
    let (_, pending) =
        app.call(&c, "pending_invitations", &[("team", north.as_str()), ("q", "ported")]).await;
    assert!(pending["rows"].as_array().unwrap().iter().all(|r| r["emailed"] == false), "{pending}");

    let ids: Vec<String> =
        list["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    let farid = app.id_of(FARID).await.to_string();
    let mut with_active = ids.clone();
    with_active.push(farid);
    let (status, sent) =
        app.call_json(&c, "send_invitations", json!({"team": north, "member_ids": with_active})).await;
    assert_eq!((status, sent), (200, json!({"sent": 2, "active": 1})));
    assert_eq!(outbox().await, mails + 2, "one email per person, none for the active member");
    let (_, list) = app.call(&c, "list_members", &[("team", north.as_str()), ("q", "ported")]).await;
    assert!(list["rows"].as_array().unwrap().iter().all(|r| r["status"] == "invited"), "{list}");
    let actions = audit_actions(&app, &north).await;
    assert_eq!(actions.iter().filter(|a| *a == "send_invitation").count(), 2, "{actions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_without_a_product_take_a_role_and_refuse_bad_entries_whole() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let (status, body) = app
        .call(
            &c,
            "invite_people",
            &[
                ("team", north.as_str()),
                ("people", "Gale Guest <gale@example.com>\nnot an entry"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str(), body["field"].as_str()),
        (400, Some("invalid"), Some("people"))
    );
    assert!(body["message"].as_str().unwrap().starts_with("Entry 2:"), "{body}");
    assert!(app.db.account_by_email(&Email::parse("gale@example.com").unwrap()).await.unwrap().is_none());
    let (status, body) = app
        .call(
            &c,
            "invite_people",
            &[("team", north.as_str()), ("people", "Gale Guest <gale@example.com>"), ("role", "owner")],
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("role")), "{body}");

    let (status, body) = app
        .call(
            &c,
            "invite_people",
            &[
                ("team", north.as_str()),
                ("people", "Gale Guest <gale@example.com>, Ada Admin <ada.admin@example.com>"),
                ("role", "admin"),
                ("guest", "on"),
            ],
        )
        .await;
    assert_eq!((status, body), (200, json!({"invited": 2, "already": 0})));
    let gale = app.db.membership(&north, &app.id_of("gale@example.com").await).await.unwrap().unwrap();
    assert_eq!((gale.role, gale.guest, gale.active), (Role::Admin, true, false));
    let mails: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'invitation' AND to_addr IN ('gale@example.com', 'ada.admin@example.com')")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(mails, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_flag_shows_its_flex_consequence_before_it_is_saved() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let bruno = app.id_of(BRUNO).await;
    // Bruno on Flex with his own selection; the team's defaults on with another product.
    on_flex_with_motion(&app, &c, &north, &bruno).await;
    let (s2, b2) = app.call_json(&c, "save_flex_defaults", json!({"team": north, "codes": ["SURVEY"]})).await;
    assert_eq!(s2, 200, "{b2}");

    let (status, effect) = app
        .call(&c, "guest_effect", &[("team", north.as_str()), ("member", bruno.as_str()), ("guest", "true")])
        .await;
    assert_eq!(status, 200, "{effect}");
    let text = effect.as_str().unwrap();
    assert!(text.contains("through the team's default assignments"), "{text}");
    assert!(text.contains("after this change") && text.contains("through their own selection"), "{text}");
    let (_, same) = app
        .call(&c, "guest_effect", &[("team", north.as_str()), ("member", bruno.as_str()), ("guest", "false")])
        .await;
    assert_eq!(same, Value::Null, "no change, nothing to say");

    let (status, _) = app
        .call(
            &c,
            "set_member_role",
            &[("team", north.as_str()), ("member", bruno.as_str()), ("role", "member"), ("guest", "on")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(app.db.membership(&north, &bruno).await.unwrap().unwrap().guest);
    let (_, detail) =
        app.call(&c, "flex_access", &[("team", north.as_str()), ("member", bruno.as_str())]).await;
    assert_eq!(detail["defaults_apply"], false, "{detail}");
    let (status, body) = app
        .call(
            &c,
            "set_member_role",
            &[("team", north.as_str()), ("member", bruno.as_str()), ("role", "chief")],
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("role")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_people_export_imports_back_with_nothing_changed() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    // Cells a spreadsheet would take for formulas: a name is defused, an address (which a
    // formula can never be) is kept as it is, or the import would read another person.
    let (status, _) = app
        .call(
            &c,
            "invite_people",
            &[("team", north.as_str()), ("people", "=Ops Desk <+ops@example.com>"), ("role", "member")],
        )
        .await;
    assert_eq!(status, 200);
    let res = c.get(format!("{}/t/{}/people/export.csv", app.url, north)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("tessera-people-northwind-studio.csv")));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("name,email,products,guest,groups\n"), "{}", &csv[..80.min(csv.len())]);
    let rows = csv.lines().count() - 1;
    let (_, members) = app.call(&c, "list_members", &[("team", north.as_str())]).await;
    assert_eq!(rows as i64, members["total"].as_i64().unwrap(), "one row per member");
    assert!(csv.contains(&format!("{FARID},")), "Farid is exported");
    assert!(csv.contains("'=Ops Desk,+ops@example.com,"), "{csv}");

    let (status, report) = app.call_json(&c, "import_csv",
        json!({"team": north, "file_name": "export.csv", "content": csv, "dry_run": false, "valid_rows_only": false}),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!((report["created"].as_i64(), report["updated"].as_i64()), (Some(0), Some(0)), "{report}");
    assert_eq!(report["unchanged"].as_i64(), Some(rows as i64), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_rename_their_team_and_nobody_else_does() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let (status, body) = app.call(&c, "rename_team", &[("team", north.as_str()), ("name", "   ")]).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("name")), "{body}");
    let bruno = app.signed_in(BRUNO).await;
    let (status, _) = app.call(&bruno, "rename_team", &[("team", north.as_str()), ("name", "Bruno's")]).await;
    assert_eq!(status, 403);
    let (status, body) =
        app.call(&c, "rename_team", &[("team", north.as_str()), ("name", " Northwind Design ")]).await;
    assert_eq!((status, body), (200, json!("Northwind Design")));
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert!(me["teams"].as_array().unwrap().iter().any(|t| t["name"] == "Northwind Design"), "{me}");
    assert_eq!(audit_actions(&app, &north).await.last().map(String::as_str), Some("rename_team"));
}

/// R-FX2: before defaults are changed or turned off, the admin is told who will then hold
/// which product, and through what; asking changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_defaults_change_is_previewed_before_it_is_saved() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let bruno = app.id_of(BRUNO).await;
    on_flex_with_motion(&app, &c, &north, &bruno).await;
    let line = |p: &Value, name: &str| -> (u64, u64, u64) {
        let l = p["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {p}"));
        (l["before"].as_u64().unwrap(), l["after"].as_u64().unwrap(), l["own_after"].as_u64().unwrap())
    };
    let before = audit_actions(&app, &north).await.len();

    // Defaults on with Survey: every Flex user who is not a guest runs Survey, Bruno
    // loses Motion.
    let (status, on) =
        app.call_json(&c, "preview_flex_defaults", json!({"team": north, "codes": ["survey"]})).await;
    assert_eq!(status, 200, "{on}");
    let (by_defaults, own) = (on["by_defaults"].as_u64().unwrap(), on["by_own_selection"].as_u64().unwrap());
    assert!(by_defaults >= 1, "{on}");
    let survey = line(&on, "Survey Pro");
    assert_eq!((survey.1, survey.2), (by_defaults + survey.2, survey.2), "{on}");
    assert!(line(&on, "Motion Forge").0 > line(&on, "Motion Forge").1, "Bruno's Motion goes: {on}");
    assert!(on["changed"].as_u64().unwrap() >= 1, "{on}");
    assert!(on["summary"].as_str().unwrap().contains("will get the default products"), "{on}");
    let (_, defaults) = app.call(&c, "flex_defaults", &[("team", north.as_str())]).await;
    assert!(
        defaults["choices"].as_array().unwrap().iter().all(|c| c["selected"] == false),
        "preview saved nothing: {defaults}"
    );
    assert_eq!(audit_actions(&app, &north).await.len(), before, "a preview is not audited as a change");

    // Saved, then a preview of turning them off: everyone back to their own selection.
    let (status, _) =
        app.call_json(&c, "save_flex_defaults", json!({"team": north, "codes": ["SURVEY"]})).await;
    assert_eq!(status, 200);
    let (_, off) = app.call_json(&c, "preview_flex_defaults", json!({"team": north, "codes": []})).await;
    assert_eq!(off["by_defaults"], 0, "{off}");
    assert_eq!(off["by_own_selection"].as_u64().unwrap(), by_defaults + own, "{off}");
    let motion = line(&off, "Motion Forge");
    assert!(motion.1 >= 1 && motion.1 == motion.2, "Bruno's own Motion comes back: {off}");
    assert!(off["summary"].as_str().unwrap().starts_with("Defaults will be off"), "{off}");

    // A code that is not a Flex product is named, not ignored.
    let (status, bad) =
        app.call_json(&c, "preview_flex_defaults", json!({"team": north, "codes": ["NOPE"]})).await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad.to_string().contains("NOPE is not available with Flex"), "{bad}");
}

/// An invitee appears in the inviting team under the name its admin typed, not under a name
/// the account carries from another team, until they accept; then their own name shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitee_keeps_the_name_the_admin_typed_until_they_accept() {
    let app = spawn_app().await;
    let harbor = app.team_id("Harbor Engineering").await;
    let c = app.signed_in(ADMIN).await;
    let (status, body) = app
        .call(
            &c,
            "invite_people",
            &[
                ("team", harbor.as_str()),
                ("people", &format!("F. Haddad (contractor) <{FARID}>")),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let names = |page: &Value| -> Vec<String> {
        page["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
    };
    let (_, by_typed) = app.call(&c, "list_members", &[("team", harbor.as_str()), ("q", "contractor")]).await;
    assert_eq!(names(&by_typed), ["F. Haddad (contractor)"], "{by_typed}");
    let (_, by_other) =
        app.call(&c, "list_members", &[("team", harbor.as_str()), ("q", "Farid Haddad")]).await;
    assert_eq!(by_other["total"], 0, "Northwind's name for him is not Harbor's to search by: {by_other}");
    let (_, pending) =
        app.call(&c, "pending_invitations", &[("team", harbor.as_str()), ("q", "haddad")]).await;
    assert_eq!(pending["rows"][0]["member"]["name"], "F. Haddad (contractor)", "{pending}");
    let mail: String = sqlx::query_scalar(
        "SELECT text_body FROM outbox WHERE to_addr = $1 AND kind = 'invitation' ORDER BY id DESC LIMIT 1",
    )
    .bind(FARID)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(mail.starts_with("Hello F. Haddad (contractor),"), "{mail}");
    // Northwind, where he is a member, still calls him by his own name.
    let north = app.team_id(NORTHWIND).await;
    let (_, north_page) =
        app.call(&c, "list_members", &[("team", north.as_str()), ("q", "farid.haddad")]).await;
    assert_eq!(names(&north_page), ["Farid Haddad"], "{north_page}");

    let token = mail.split("/invite/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let (status, body) = app
        .call(&app.client(), "accept_invitation", &[("token", token.as_str()), ("password", PASSWORD)])
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, after) = app.call(&c, "list_members", &[("team", harbor.as_str()), ("q", "farid.haddad")]).await;
    assert_eq!(names(&after), ["Farid Haddad"], "once he has joined, his own name: {after}");
}

/// The Flex email tells the truth (R-FX1, R-FX2): sent when Flex is given from the assign
/// dialog too, naming the products of "all products", and the defaults when they decide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flex_emails_list_what_the_person_can_actually_run() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let c = app.signed_in(ADMIN).await;
    let bruno = app.id_of(BRUNO).await;
    let flex_mails = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT text_body FROM outbox WHERE to_addr = $1 AND kind = 'flex_access' ORDER BY id",
        )
        .bind(BRUNO)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
    };
    let (status, body) = app.call_json(&c, "assign_users",
        json!({"team": north, "code": "FLEX", "member_ids": [bruno], "new_people": "Nell Newcomer <nell@example.com>"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mails = flex_mails().await;
    assert_eq!(mails.len(), 1, "Flex from the assign dialog is emailed: {mails:?}");
    assert!(mails[0].contains("all of the team's Flex products, including ones added later"), "{}", mails[0]);
    for product in ["Circuit Lab", "Draft 2D", "Survey Pro"] {
        assert!(mails[0].contains(&format!("  - {product}\n")), "{product} named: {}", mails[0]);
    }
    let nell: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE to_addr = 'nell@example.com' AND kind = 'flex_access'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(nell, 0, "an invitee hears from the invitation, not from a Flex email first");

    // With defaults on, a change of his own selection is emailed with what he can run:
    // the defaults, not the selection they override.
    let (status, _) =
        app.call_json(&c, "save_flex_defaults", json!({"team": north, "codes": ["SURVEY"]})).await;
    assert_eq!(status, 200);
    assert_eq!(flex_mails().await.len(), 1, "a defaults change sends nothing (R-FX2)");
    let (status, body) = app
        .call_json(
            &c,
            "save_flex_access",
            json!({"team": north, "member": bruno, "all": false, "codes": ["MOTION"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mails = flex_mails().await;
    let last = mails.last().unwrap();
    assert!(last.contains("default products apply to you") && last.contains("  - Survey Pro\n"), "{last}");
    assert!(!last.contains("Motion Forge"), "the overridden selection is not promised: {last}");
}
