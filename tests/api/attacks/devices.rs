//! Attacks: devices (R-LIC3). A team admin sees and removes only the devices of products the
//! person holds through that team; the person sees all their own. Tried as a hostile admin
//! of another team the person also belongs to, a plain member, an admin who merely invited
//! the person, and an outsider: each refusal is checked together with "nothing changed"
//! (devices, live sessions and both teams' audit logs as they were).
//!
//! The scene, built fresh in each test's own app: Vera is an active member of Quarry Works
//! (whose admin, Mallory, is the attacker) and of Harbor Victims. Through Quarry she holds a
//! Model 3D seat; through Harbor a Draft 2D seat and Flex access to Render Studio. Her devices
//! are registered, and her sessions taken, by real licensing authorizations. Ivan is active
//! in Harbor only (Draft 2D seat, one device) and merely invited to Quarry, where Mallory gave
//! him a Draft 2D seat while he was invited.
use crate::common::{spawn_app, Licensing, TestApp};
use app::domain::{Email, TeamId, TeamName, UserId};
use app::service::state::Clock;
use app::store::teams::{MemberStatus, Role};
use chrono::Duration;
use serde_json::{json, Value};

/// `POST /licensing/v1/authorize` for `product` on `device`, to the server at `base`.
pub(crate) async fn authorize(base: &str, token: &str, product: &str, device: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{base}/licensing/v1/authorize"))
        .bearer_auth(token)
        .json(&json!({ "product": product, "device_id": device, "device_name": format!("{device} machine") }))
        .send()
        .await
        .expect("authorize");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn new_team(app: &TestApp, name: &str) -> TeamId {
    let name = TeamName::parse(name).expect("team name");
    app::store::teams::create_team(&app.db.pool, &name, app.clock.now()).await.expect("team")
}

/// A new account with the demo password, so it can sign in; in no team yet.
pub(crate) async fn person(app: &TestApp, email: &str, name: &str) -> UserId {
    crate::common::new_account(app, email, name, None).await
}

pub(crate) async fn join(app: &TestApp, team: &TeamId, account: &UserId, role: Role, status: MemberStatus) {
    app.join(team, account, role, status).await;
}

pub(crate) async fn product_id(app: &TestApp, code: &str) -> String {
    app.db.product_by_code(code).await.expect("query").expect("demo product").id
}

/// A live subscription of `code` for the team (a year, five seats).
async fn subscribe(app: &TestApp, team: &TeamId, code: &str) {
    let now = app.clock.now();
    let pid = product_id(app, code).await;
    app::store::catalogue::add_team_product(
        &app.db.pool,
        team,
        &pid,
        "subscription",
        5,
        now - Duration::days(1),
        now + Duration::days(365),
    )
    .await
    .expect("subscription");
}

async fn seat(app: &TestApp, team: &TeamId, account: &UserId, code: &str) {
    let pid = product_id(app, code).await;
    let mut tx = app.db.pool.begin().await.expect("tx");
    app::store::assignments::assign(&mut tx, team, account, &pid, None, app.clock.now()).await.expect("seat");
    tx.commit().await.expect("commit");
}

const MALLORY: &str = "mallory@quarry.example";
const VERA: &str = "vera@harbor.example";
const PAT: &str = "pat@quarry.example";
const IVAN: &str = "ivan@harbor.example";
const OLGA: &str = "olga@nowhere.example";

struct Scene {
    app: TestApp,
    quarry: TeamId,
    harbor: TeamId,
    vera: UserId,
    ivan: UserId,
    mallory: reqwest::Client,
}

async fn scene() -> Scene {
    let app = spawn_app().await;
    let quarry = new_team(&app, "Quarry Works").await;
    let harbor = new_team(&app, "Harbor Victims").await;
    let mallory = person(&app, MALLORY, "Mallory Quarry").await;
    let vera = person(&app, VERA, "Vera Victim").await;
    let pat = person(&app, PAT, "Pat Plain").await;
    let ivan = person(&app, IVAN, "Ivan Invitee").await;
    person(&app, OLGA, "Olga Outsider").await;
    let harbor_admin = person(&app, "hana@harbor.example", "Hana Harbor").await;
    join(&app, &quarry, &mallory, Role::Admin, MemberStatus::Active).await;
    join(&app, &quarry, &pat, Role::Member, MemberStatus::Active).await;
    join(&app, &quarry, &vera, Role::Member, MemberStatus::Active).await;
    join(&app, &quarry, &ivan, Role::Member, MemberStatus::Invited).await;
    join(&app, &harbor, &harbor_admin, Role::Admin, MemberStatus::Active).await;
    join(&app, &harbor, &vera, Role::Member, MemberStatus::Active).await;
    join(&app, &harbor, &ivan, Role::Member, MemberStatus::Active).await;

    subscribe(&app, &quarry, "MODEL3D").await;
    subscribe(&app, &quarry, "DRAFT2D").await;
    subscribe(&app, &harbor, "DRAFT2D").await;
    seat(&app, &quarry, &vera, "MODEL3D").await;
    seat(&app, &harbor, &vera, "DRAFT2D").await;
    seat(&app, &harbor, &ivan, "DRAFT2D").await;
    // Assignments made while invited wait for the acceptance; they give nothing before it.
    seat(&app, &quarry, &ivan, "DRAFT2D").await;
    let render = std::collections::BTreeSet::from([product_id(&app, "RENDER").await]);
    let mut tx = app.db.pool.begin().await.expect("tx");
    app::store::assignments::add_flex_user(&mut tx, &harbor, &vera, app.clock.now()).await.expect("flex");
    // Harbor's Flex gives her Render Studio only (not every product, which would include
    // the Model 3D she holds through Quarry).
    let only_render = app::domain::access::Individual::Products(render);
    app::store::flex::set_individual(&mut tx, &harbor, &vera, &only_render, app.clock.now())
        .await
        .expect("flex products");
    app::store::tokens::add_purchase(&mut tx, &harbor, 500, app.clock.now() - Duration::days(1))
        .await
        .expect("tokens");
    tx.commit().await.expect("commit");

    let lic = Licensing::new(&app, &harbor, "Desktop product").await;
    let vera_token = lic.token(&app, &vera).await;
    for (product, device, licence) in [
        ("DRAFT2D", "vera-desk", "subscription"),
        ("MODEL3D", "vera-laptop", "subscription"),
        ("RENDER", "vera-render", "flex"),
    ] {
        let (status, body) = authorize(&app.url, &vera_token, product, device).await;
        assert_eq!(status, 200, "{product}: {body}");
        assert_eq!(body["license_type"], licence, "{product}: {body}");
    }
    let (status, body) = authorize(&app.url, &lic.token(&app, &ivan).await, "DRAFT2D", "ivan-desk").await;
    assert_eq!(status, 200, "{body}");
    let mallory = app.signed_in(MALLORY).await;
    Scene { app, quarry, harbor, vera, ivan, mallory }
}

/// Everything an attack could change: each device with whether it still holds its session,
/// and both teams' audit logs.
#[derive(Debug, PartialEq)]
struct World {
    devices: Vec<(String, String, String, bool)>,
    audit: Vec<(String, i64)>,
}

async fn world(s: &Scene) -> World {
    let mut devices = vec![];
    for account in [&s.vera, &s.ivan] {
        for d in s.app.db.member_devices(account).await.expect("devices") {
            let session = s.app.db.license_session(account, &d.product_id).await.expect("session");
            let holds = session.is_some_and(|h| h.device_id == d.device_id);
            devices.push((account.to_string(), d.product_code, d.device_id, holds));
        }
    }
    let mut audit = vec![];
    for team in [&s.quarry, &s.harbor] {
        let (_, total) = s.app.db.audit_entries(team, None, 0, 1).await.expect("audit");
        audit.push((team.to_string(), total));
    }
    World { devices, audit }
}

async fn list(s: &Scene, c: &reqwest::Client, team: &TeamId, member: &UserId) -> (u16, Value) {
    s.app.call(c, "member_devices", &[("team", team.as_str()), ("member", member.as_str())]).await
}

async fn remove(
    s: &Scene,
    c: &reqwest::Client,
    team: &TeamId,
    member: &UserId,
    product: &str,
    device: &str,
) -> (u16, Value) {
    let form =
        [("team", team.as_str()), ("member", member.as_str()), ("product", product), ("device", device)];
    s.app.call(c, "remove_member_device", &form).await
}

fn listed(view: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = view["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| {
            (d["product_code"].as_str().unwrap_or("").into(), d["device_id"].as_str().unwrap_or("").into())
        })
        .collect();
    v.sort();
    v
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(p, d)| (p.to_string(), d.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_admin_neither_sees_nor_removes_devices_held_through_the_other_team() {
    let s = scene().await;
    let before = world(&s).await;
    assert_eq!(before.devices.len(), 4, "{before:?}");
    assert!(before.devices.iter().all(|d| d.3), "every device holds its live session: {before:?}");

    // Vera is in Mallory's team, but only Model 3D is hers through it.
    let (status, view) = list(&s, &s.mallory, &s.quarry, &s.vera).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(listed(&view), pairs(&[("MODEL3D", "vera-laptop")]), "{view}");

    // Removing what is Harbor's answers exactly as a device that does not exist.
    let (missing_status, missing) =
        remove(&s, &s.mallory, &s.quarry, &s.vera, "DRAFT2D", "no-such-device").await;
    assert!(missing_status >= 400, "{missing_status} {missing}");
    assert_eq!(missing["code"], "not_found", "{missing}");
    for (product, device) in [("DRAFT2D", "vera-desk"), ("RENDER", "vera-render"), ("draft2d", "vera-desk")] {
        let (status, body) = remove(&s, &s.mallory, &s.quarry, &s.vera, product, device).await;
        assert_eq!((status, &body), (missing_status, &missing), "{product} {device}");
    }
    // Naming Harbor instead: Mallory is not in it.
    let (_, body) = list(&s, &s.mallory, &s.harbor, &s.vera).await;
    assert_eq!(body["code"], "not_a_member");
    let (_, body) = remove(&s, &s.mallory, &s.harbor, &s.vera, "DRAFT2D", "vera-desk").await;
    assert_eq!(body["code"], "not_a_member");

    assert_eq!(world(&s).await, before, "devices, sessions and audit logs unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_removes_a_device_held_through_their_team_and_the_audit_log_says_so() {
    let s = scene().await;
    let before = world(&s).await;
    let (status, body) = remove(&s, &s.mallory, &s.quarry, &s.vera, "MODEL3D", "vera-laptop").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"name": "vera-laptop machine", "product_name": "Model 3D"}));

    let after = world(&s).await;
    let mut expected = before.devices.clone();
    expected.retain(|d| d.2 != "vera-laptop");
    assert_eq!(after.devices, expected, "only that device (and its session) went");
    let model = product_id(&s.app, "MODEL3D").await;
    assert!(s.app.db.license_session(&s.vera, &model).await.expect("session").is_none());

    let (rows, total) = s.app.db.audit_entries(&s.quarry, Some("remove_device"), 0, 10).await.expect("audit");
    assert_eq!(total, 1, "{rows:?}");
    assert_eq!(rows[0].target, format!("Vera Victim <{VERA}> → device vera-laptop machine (Model 3D)"));
    assert!(rows[0].actor.contains(MALLORY), "{}", rows[0].actor);
    assert_eq!(after.audit[1], before.audit[1], "nothing in Harbor's log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_sees_all_their_own_devices_from_either_team() {
    let s = scene().await;
    let vera = s.app.signed_in(VERA).await;
    let all = pairs(&[("DRAFT2D", "vera-desk"), ("MODEL3D", "vera-laptop"), ("RENDER", "vera-render")]);
    for team in [&s.quarry, &s.harbor] {
        let (status, view) = list(&s, &vera, team, &s.vera).await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(listed(&view), all);
        assert_eq!(view["admin"], false);
        assert!(view["devices"].as_array().expect("devices").iter().all(|d| d["in_use"] == true), "{view}");
    }
    // Harbor's admin sees what Vera holds through Harbor: the Draft 2D seat and Flex.
    let hana = s.app.signed_in("hana@harbor.example").await;
    let (_, view) = list(&s, &hana, &s.harbor, &s.vera).await;
    assert_eq!(listed(&view), pairs(&[("DRAFT2D", "vera-desk"), ("RENDER", "vera-render")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inviting_someone_and_assigning_them_a_seat_shows_none_of_their_devices() {
    let s = scene().await;
    let before = world(&s).await;
    // Ivan never accepted Quarry's invitation: it holds nothing of his, seat or not.
    let (status, view) = list(&s, &s.mallory, &s.quarry, &s.ivan).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(listed(&view), vec![]);
    let (status, body) = remove(&s, &s.mallory, &s.quarry, &s.ivan, "DRAFT2D", "ivan-desk").await;
    assert!(status >= 400, "{status} {body}");
    assert_eq!(body["code"], "not_found", "{body}");
    // Nor can Mallory reach someone who is not in Quarry at all.
    let hana = s.app.db.account_by_email(&Email::parse("hana@harbor.example").expect("email")).await;
    let hana = hana.expect("query").expect("account").id;
    let (_, body) = list(&s, &s.mallory, &s.quarry, &hana).await;
    assert_eq!(body["code"], "not_found");
    assert_eq!(world(&s).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_member_and_an_outsider_get_nothing() {
    let s = scene().await;
    let before = world(&s).await;
    let pat = s.app.signed_in(PAT).await;
    let (_, body) = list(&s, &pat, &s.quarry, &s.vera).await;
    assert_eq!(body["code"], "admin_only");
    let (_, body) = remove(&s, &pat, &s.quarry, &s.vera, "MODEL3D", "vera-laptop").await;
    assert_eq!(body["code"], "admin_only");

    let olga = s.app.signed_in(OLGA).await;
    let anonymous = s.app.client();
    for (c, code) in [(&olga, "not_a_member"), (&anonymous, "unauthenticated")] {
        for team in [&s.quarry, &s.harbor] {
            let (_, body) = list(&s, c, team, &s.vera).await;
            assert_eq!(body["code"], code, "{body}");
            let (_, body) = remove(&s, c, team, &s.vera, "MODEL3D", "vera-laptop").await;
            assert_eq!(body["code"], code, "{body}");
        }
    }
    // Even Vera herself may not remove devices (admins only), not even her own.
    let vera = s.app.signed_in(VERA).await;
    let (_, body) = remove(&s, &vera, &s.quarry, &s.vera, "MODEL3D", "vera-laptop").await;
    assert_eq!(body["code"], "admin_only");
    assert_eq!(world(&s).await, before);
}
