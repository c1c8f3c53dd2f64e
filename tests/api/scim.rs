//! Directory sync over SCIM 2.0 (R-DIR1), played as the directories play it: discovery,
//! users and groups created, membership patches, a rename, a deactivation (access ends at
//! once: seat freed, licensing refused), a re-activation, a delete; then Entra ID's and
//! Okta's own request shapes, filters and paging, every error shape, and what another
//! team's token, a revoked token and the console may not do.
use crate::attacks::devices::authorize;
use crate::common::*;
use app::domain::{TeamId, UserId};
use app::service::state::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const NORTHWIND: &str = "Northwind Studio";
const SCIM_TYPE: &str = "application/scim+json";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A directory of one team: its token and the server.
struct Dir {
    base: String,
    token: String,
    http: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    content_type: String,
    location: Option<String>,
    etag: Option<String>,
    body: Value,
}

impl Dir {
    async fn new(app: &TestApp, team: &TeamId) -> Dir {
        let (_, token) =
            app::service::directory::create_token(&app.db, team, "Test directory", None, app.clock.now())
                .await
                .expect("token");
        Dir { base: format!("{}/scim/v2", app.url), token, http: reqwest::Client::new() }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send_as(Some(&self.token), method, path, body).await
    }

    async fn send_as(&self, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", SCIM_TYPE).body(b.to_string());
        }
        let res = req.send().await.expect("request");
        let header = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (status, content_type) = (res.status(), header("content-type").unwrap_or_default());
        let (location, etag) = (header("location"), header("etag"));
        let text = res.text().await.expect("body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON") };
        Answer { status, content_type, location, etag, body }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, ops: Value) -> Answer {
        self.send(Method::PATCH, path, Some(json!({"schemas": [PATCH], "Operations": ops}))).await
    }

    async fn create_user(&self, user_name: &str, given: &str, family: &str) -> String {
        let a = self
            .post(
                "/Users",
                json!({"schemas": [USER], "userName": user_name, "externalId": format!("ext-{user_name}"),
                       "name": {"givenName": given, "familyName": family},
                       "emails": [{"value": user_name, "type": "work", "primary": true}], "active": true}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body["id"].as_str().unwrap().to_string()
    }
}

fn assert_error(a: &Answer, status: u16, scim_type: Option<&str>) {
    assert_eq!(a.status.as_u16(), status, "{}", a.body);
    assert!(a.content_type.starts_with(SCIM_TYPE), "{}", a.content_type);
    assert_eq!(a.body["schemas"], json!([ERROR]), "{}", a.body);
    assert_eq!(a.body["status"], json!(status.to_string()), "status is a string (RFC 7644 §3.12)");
    assert_eq!(a.body["scimType"].as_str(), scim_type, "{}", a.body);
    assert!(a.body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{}", a.body);
}

async fn account(app: &TestApp, email: &str) -> UserId {
    app.id_of(email).await
}

async fn seat_codes(app: &TestApp, team: &TeamId, who: &UserId) -> Vec<String> {
    app.db.member_assignments(team, who).await.unwrap().into_iter().map(|(code, ..)| code).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_syncs_people_and_groups_and_deprovisioning_ends_access_at_once() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let dir = Dir::new(&app, &north).await;

    // Discovery.
    let spc = dir.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, 200);
    assert!(spc.content_type.starts_with(SCIM_TYPE));
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(spc.body["bulk"]["supported"], false);
    let types = dir.get("/ResourceTypes").await;
    let names: Vec<&str> =
        types.body["Resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["User", "Group"]);
    let schemas = dir.get("/Schemas").await;
    assert!(schemas.body["Resources"].as_array().unwrap().iter().any(|s| s["id"] == USER));

    // Users: created, found by filter, read back with meta.
    let ada = dir.create_user("ada.sync@acme.example", "Ada", "Sync").await;
    let ben = dir.create_user("ben.sync@acme.example", "Ben", "Sync").await;
    let one = dir.get(&format!("/Users/{ada}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["userName"], "ada.sync@acme.example");
    assert_eq!(one.body["active"], true);
    assert_eq!(one.body["meta"]["resourceType"], "User");
    assert_eq!(one.body["meta"]["location"], format!("{}/Users/{ada}", dir.base));
    assert_eq!(one.etag.as_deref(), one.body["meta"]["version"].as_str());
    let found = dir.get("/Users?filter=userName%20eq%20%22ADA.sync%40acme.example%22").await;
    assert_eq!(
        (found.body["totalResults"].as_i64(), found.body["Resources"][0]["id"].as_str()),
        (Some(1), Some(ada.as_str()))
    );

    // They are members of Northwind now, active at once (the default), marked synced.
    let ada_acc = account(&app, "ada.sync@acme.example").await;
    let ben_acc = account(&app, "ben.sync@acme.example").await;
    let m = app.db.member(&north, &ada_acc).await.unwrap().expect("Ada is in the team");
    assert!(m.active && m.synced, "{m:?}");
    assert_eq!(m.name, "Ada Sync");

    // A group with Ada in it; the console gives the group Draft 2D seats.
    let g = dir
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Acme Drafting", "members": [{"value": ada}]}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    assert!(g.location.is_some());
    let group = g.body["id"].as_str().unwrap().to_string();
    assert_eq!(g.body["members"][0]["value"], ada.as_str());
    let admin = app.signed_in(ADMIN).await;
    let (status, body) = app
        .call_json(&admin, "set_group_products", json!({"team": north, "group": group, "codes": ["DRAFT2D"]}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(seat_codes(&app, &north, &ada_acc).await, ["DRAFT2D"]);

    // Ben joins by PATCH, and the group is renamed.
    let p = dir
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "add", "path": "members", "value": [{"value": ben}]}]),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(seat_codes(&app, &north, &ben_acc).await, ["DRAFT2D"]);
    let p = dir
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "replace", "path": "displayName", "value": "Acme Draughting"}]),
        )
        .await;
    assert_eq!(p.body["displayName"], "Acme Draughting");
    assert_eq!(p.body["members"].as_array().unwrap().len(), 2);

    // Ada's desktop product runs.
    let lic = Licensing::new(&app, &north, "Draft 2D desktop").await;
    let token = lic.token(&app, &ada_acc).await;
    assert_eq!(authorize(&app.url, &token, "DRAFT2D", "ada-desk").await.0, 200);

    // Deactivation: access ends at once.
    let off = dir
        .patch(&format!("/Users/{ada}"), json!([{"op": "replace", "path": "active", "value": false}]))
        .await;
    assert_eq!((off.status.as_u16(), off.body["active"].clone()), (200, json!(false)), "{}", off.body);
    assert!(app.db.member(&north, &ada_acc).await.unwrap().is_none(), "no longer in the team");
    let (status, body) = authorize(&app.url, &token, "DRAFT2D", "ada-desk").await;
    assert_eq!(status, 403, "the next licensing check is refused: {body}");
    let g = dir.get(&format!("/Groups/{group}")).await;
    assert_eq!(g.body["members"].as_array().unwrap().len(), 2, "the directory's group keeps her");

    // Re-activation: back in the team and the group, with the group's seat.
    let on = dir.patch(&format!("/Users/{ada}"), json!([{"op": "replace", "value": {"active": true}}])).await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(seat_codes(&app, &north, &ada_acc).await, ["DRAFT2D"]);
    assert_eq!(authorize(&app.url, &token, "DRAFT2D", "ada-desk").await.0, 200);

    // Taken out of the group: the seat goes, the membership stays.
    let p = dir
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{ada}\"]")}]),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(seat_codes(&app, &north, &ada_acc).await.is_empty());
    assert!(app.db.member(&north, &ada_acc).await.unwrap().is_some());

    // Delete: Ben leaves the team and the directory's lists.
    let d = dir.send(Method::DELETE, &format!("/Users/{ben}"), None).await;
    assert_eq!(d.status, 204);
    assert_error(&dir.get(&format!("/Users/{ben}")).await, 404, None);
    assert!(app.db.member(&north, &ben_acc).await.unwrap().is_none());
    let g = dir.get(&format!("/Groups/{group}")).await;
    assert_eq!(g.body["members"], json!([]), "{}", g.body);

    // Everything is audited with the directory as the actor.
    let (rows, _) = app.db.audit_entries(&north, Some("directory"), 0, 100).await.unwrap();
    let by_directory: Vec<_> = rows.iter().filter(|e| !e.target.starts_with("Token ")).collect();
    assert!(by_directory.len() >= 8, "{rows:?}");
    assert!(by_directory.iter().all(|e| e.actor == "Directory sync (SCIM)"), "{rows:?}");
    assert!(rows.iter().any(|e| e.after.as_deref() == Some(r#"{"active":false}"#)), "the deactivation");

    // The group can be deleted by the directory, not by the console.
    let (status, body) =
        app.call(&admin, "delete_group", &[("team", north.as_str()), ("group", group.as_str())]).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    let d = dir.send(Method::DELETE, &format!("/Groups/{group}"), None).await;
    assert_eq!(d.status, 204);
    assert_error(&dir.get(&format!("/Groups/{group}")).await, 404, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_id_and_okta_request_shapes_are_understood() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let dir = Dir::new(&app, &north).await;

    // Entra ID: the enterprise extension, a UPN as userName, capitalised operations and
    // "False" as a string.
    let entra = dir
        .post(
            "/Users",
            json!({"schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                   "externalId": "0a1b2c", "userName": "erin.entra@acme.example", "active": true,
                   "displayName": "Erin Entra",
                   "emails": [{"primary": true, "type": "work", "value": "erin.entra@acme.example"}],
                   "name": {"formatted": "Erin Entra", "familyName": "Entra", "givenName": "Erin"},
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Design"}}),
        )
        .await;
    assert_eq!(entra.status, 201, "{}", entra.body);
    let erin = entra.body["id"].as_str().unwrap().to_string();
    let by_ext = dir.get("/Users?filter=externalId%20eq%20%220a1b2c%22").await;
    assert_eq!(by_ext.body["totalResults"], 1);
    let renamed = dir
        .patch(&format!("/Users/{erin}"), json!([{"op": "Replace", "path": "name.givenName", "value": "Eryn"},
                                                  {"op": "Replace", "path": "displayName", "value": "Eryn Entra"}]))
        .await;
    assert_eq!(renamed.body["displayName"], "Eryn Entra", "{}", renamed.body);
    let erin_acc = account(&app, "erin.entra@acme.example").await;
    assert_eq!(app.db.member(&north, &erin_acc).await.unwrap().unwrap().name, "Eryn Entra");
    let g = dir
        .post("/Groups", json!({"schemas": [GROUP], "displayName": "Entra Designers", "externalId": "g-1"}))
        .await;
    let group = g.body["id"].as_str().unwrap().to_string();
    let add = dir
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": erin}]}]),
        )
        .await;
    assert_eq!(add.status, 200, "{}", add.body);
    let remove = dir
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "Remove", "path": "members", "value": [{"value": erin}]}]),
        )
        .await;
    assert_eq!(remove.body["members"], json!([]), "{}", remove.body);
    let off = dir
        .patch(&format!("/Users/{erin}"), json!([{"op": "Replace", "path": "active", "value": "False"}]))
        .await;
    assert_eq!(off.body["active"], false, "{}", off.body);
    assert!(app.db.member(&north, &erin_acc).await.unwrap().is_none());

    // Okta: lookup by userName, PUT of the whole user, active toggled by PUT, group renamed
    // with its id in the value.
    let none =
        dir.get("/Users?filter=userName%20eq%20%22olga.okta%40acme.example%22&startIndex=1&count=100").await;
    assert_eq!(
        (none.body["totalResults"].as_i64(), none.body["Resources"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
    let olga = dir.create_user("olga.okta@acme.example", "Olga", "Okta").await;
    let whole = |active: bool| {
        json!({"schemas": [USER], "id": olga, "userName": "olga.okta@acme.example",
               "name": {"givenName": "Olga", "familyName": "Okta-Berg"},
               "emails": [{"primary": true, "value": "olga.okta@acme.example", "type": "work"}], "active": active})
    };
    let put = dir.send(Method::PUT, &format!("/Users/{olga}"), Some(whole(false))).await;
    assert_eq!((put.status.as_u16(), put.body["active"].clone()), (200, json!(false)), "{}", put.body);
    let olga_acc = account(&app, "olga.okta@acme.example").await;
    assert!(app.db.member(&north, &olga_acc).await.unwrap().is_none());
    let put = dir.send(Method::PUT, &format!("/Users/{olga}"), Some(whole(true))).await;
    assert_eq!(put.body["name"]["familyName"], "Okta-Berg");
    assert!(app.db.member(&north, &olga_acc).await.unwrap().is_some());
    let okta = dir
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "replace", "value": {"id": group, "displayName": "Okta Designers"}}]),
        )
        .await;
    assert_eq!(okta.body["displayName"], "Okta Designers", "{}", okta.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_paging_and_projection_follow_rfc_7644() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let dir = Dir::new(&app, &north).await;
    for i in 0..5 {
        dir.create_user(&format!("page{i}@acme.example"), &format!("Page{i}"), "Person").await;
    }
    let page = dir.get("/Users?startIndex=2&count=2").await;
    assert_eq!(page.body["totalResults"], 5);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(page.body["itemsPerPage"], 2);
    let names: Vec<&str> =
        page.body["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap()).collect();
    assert_eq!(names, ["page1@acme.example", "page2@acme.example"]);
    // A filter the database cannot answer alone, with or.
    let or =
        dir.get("/Users?filter=name.givenName%20eq%20%22Page1%22%20or%20userName%20sw%20%22page3%22").await;
    assert_eq!(or.body["totalResults"], 2, "{}", or.body);
    let by_mail = dir.get("/Users?filter=emails.value%20eq%20%22page4%40acme.example%22").await;
    assert_eq!(by_mail.body["totalResults"], 1);
    let slim = dir.get("/Users?count=1&attributes=userName").await;
    let first = &slim.body["Resources"][0];
    assert!(first.get("userName").is_some() && first.get("id").is_some());
    assert!(first.get("name").is_none() && first.get("emails").is_none(), "{first}");
    let g = dir.post("/Groups", json!({"schemas": [GROUP], "displayName": "Paged"})).await;
    assert_eq!(g.status, 201);
    let groups = dir.get("/Groups?excludedAttributes=members").await;
    assert!(groups.body["Resources"][0].get("members").is_none(), "{}", groups.body);
    let by_name = dir.get("/Groups?filter=displayName%20eq%20%22paged%22").await;
    assert_eq!(by_name.body["totalResults"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_the_scim_shape() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let dir = Dir::new(&app, &north).await;
    assert_error(&dir.send_as(None, Method::GET, "/Users", None).await, 401, None);
    assert_error(&dir.send_as(Some("scim_not-a-token"), Method::GET, "/Users", None).await, 401, None);
    assert_error(&dir.get("/Users?filter=userName%20eq").await, 400, Some("invalidFilter"));
    assert_error(&dir.get("/Users?count=many").await, 400, Some("invalidValue"));
    assert_error(&dir.get("/Users/no-such-user").await, 404, None);
    assert_error(&dir.get("/Groups/no-such-group").await, 404, None);
    assert_error(&dir.get("/Nothing").await, 404, None);
    assert_error(&dir.send(Method::DELETE, "/Users", None).await, 405, None);
    let bad_json = dir
        .http
        .post(format!("{}/Users", dir.base))
        .bearer_auth(&dir.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let body: Value = bad_json.json().await.unwrap();
    assert_eq!(body["scimType"], "invalidSyntax");
    assert_error(
        &dir.post("/Users", json!({"schemas": [USER], "name": {"givenName": "No"}})).await,
        400,
        Some("invalidValue"),
    );
    dir.create_user("dup@acme.example", "Dup", "Licate").await;
    assert_error(
        &dir.post("/Users", json!({"schemas": [USER], "userName": "DUP@acme.example"})).await,
        409,
        Some("uniqueness"),
    );
    let g = dir.post("/Groups", json!({"schemas": [GROUP], "displayName": "Twice"})).await;
    let group = g.body["id"].as_str().unwrap().to_string();
    assert_error(
        &dir.post("/Groups", json!({"schemas": [GROUP], "displayName": "twice"})).await,
        409,
        Some("uniqueness"),
    );
    assert_error(
        &dir.patch(
            &format!("/Groups/{group}"),
            json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]),
        )
        .await,
        400,
        Some("invalidValue"),
    );
    assert_error(&dir.patch(&format!("/Groups/{group}"), json!([])).await, 400, Some("invalidSyntax"));
    assert_error(
        &dir.patch(&format!("/Groups/{group}"), json!([{"op": "remove"}])).await,
        400,
        Some("noTarget"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reaches_its_own_team_only_and_the_console_cannot_undo_the_directory() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let harbor = app.team_id("Harbor Engineering").await;
    let dir = Dir::new(&app, &north).await;
    let other = Dir::new(&app, &harbor).await;
    let ada = dir.create_user("ada.only@acme.example", "Ada", "Only").await;
    let g = dir
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "North only", "members": [{"value": ada}]}),
        )
        .await;
    let group = g.body["id"].as_str().unwrap().to_string();
    let before = app.db.audit_entries(&north, None, 0, 1000).await.unwrap().1;

    // Harbor's token sees none of it and changes none of it.
    assert_eq!(other.get("/Users").await.body["totalResults"], 0);
    assert_eq!(other.get("/Groups").await.body["totalResults"], 0);
    assert_error(&other.get(&format!("/Users/{ada}")).await, 404, None);
    assert_error(&other.get(&format!("/Groups/{group}")).await, 404, None);
    assert_error(
        &other
            .patch(&format!("/Users/{ada}"), json!([{"op": "replace", "path": "active", "value": false}]))
            .await,
        404,
        None,
    );
    assert_error(&other.send(Method::DELETE, &format!("/Users/{ada}"), None).await, 404, None);
    assert_error(&other.send(Method::DELETE, &format!("/Groups/{group}"), None).await, 404, None);
    // Nor can it put Northwind's user in a Harbor group.
    let hg = other.post("/Groups", json!({"schemas": [GROUP], "displayName": "Harbor"})).await;
    let hg = hg.body["id"].as_str().unwrap().to_string();
    assert_error(
        &other
            .patch(
                &format!("/Groups/{hg}"),
                json!([{"op": "add", "path": "members", "value": [{"value": ada}]}]),
            )
            .await,
        400,
        Some("invalidValue"),
    );
    let ada_acc = account(&app, "ada.only@acme.example").await;
    assert!(app.db.member(&north, &ada_acc).await.unwrap().is_some());
    assert!(app.db.member(&harbor, &ada_acc).await.unwrap().is_none());
    assert_eq!(
        app.db.audit_entries(&north, None, 0, 1000).await.unwrap().1,
        before,
        "nothing of Northwind changed"
    );

    // A revoked token is refused at once.
    let admin = app.signed_in(ADMIN).await;
    let (status, page) = app.call(&admin, "team_directory", &[("team", north.as_str())]).await;
    assert_eq!(status, 200, "{page}");
    let id = page["tokens"][0]["id"].as_str().unwrap().to_string();
    assert_ne!(page["tokens"][0]["last_used"], "Never used");
    let (status, _) =
        app.call(&admin, "revoke_directory_token", &[("team", north.as_str()), ("token", id.as_str())]).await;
    assert_eq!(status, 200);
    assert_error(&dir.get("/Users").await, 401, None);

    // The console cannot take a synced person out or change a synced group's members.
    let (status, body) =
        app.call_json(&admin, "remove_members", json!({"team": north, "member_ids": [ada_acc]})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("directory"), "{body}");
    let (status, body) = app
        .call_json(
            &admin,
            "remove_from_group",
            json!({"team": north, "group": group, "member_ids": [ada_acc]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = app
        .call(
            &admin,
            "rename_group",
            &[("team", north.as_str()), ("group", group.as_str()), ("name", "Renamed")],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(app.db.member(&north, &ada_acc).await.unwrap().is_some());

    // Members and SSO-less admins of other teams cannot reach the directory settings.
    let bruno = app.signed_in("bruno.schmidt1@northwind.example").await;
    let (status, body) =
        app.call(&bruno, "create_directory_token", &[("team", north.as_str()), ("label", "x")]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("admin_only")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_the_directory_adds_can_be_invited_by_email_instead() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let dir = Dir::new(&app, &north).await;
    let admin = app.signed_in(ADMIN).await;
    let (status, body) =
        app.call(&admin, "save_directory_settings", &[("team", north.as_str()), ("invites", "true")]).await;
    assert_eq!(status, 200, "{body}");
    dir.create_user("ivy.invited@acme.example", "Ivy", "Invited").await;
    let ivy = account(&app, "ivy.invited@acme.example").await;
    let m = app.db.member(&north, &ivy).await.unwrap().unwrap();
    assert!(!m.active && m.invite_emailed == Some(true), "{m:?}");
    let queued: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE to_addr = $1")
        .bind("ivy.invited@acme.example")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(queued, 1, "the invitation is queued");
}

/// What a directory (whose token an SSO admin may make) must not be able to do: send an
/// account's invitation (which sets its first password) to an address of its choosing,
/// remove an admin, or end a membership the console made after it let the person go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_cannot_take_over_accounts_or_remove_admins() {
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let harbor = app.team_id("Harbor Engineering").await;
    let dir = Dir::new(&app, &harbor).await;
    let admin = app.signed_in(ADMIN).await;
    let (status, _) =
        app.call(&admin, "save_directory_settings", &[("team", harbor.as_str()), ("invites", "true")]).await;
    assert_eq!(status, 200);

    // A Northwind member: Harbor's directory points the record at another address and
    // re-activates it, so that an invitation (which would set a first password of an
    // account that has none) goes out.
    let victim = new_account(
        &app,
        "vic.sso@northwind.example",
        "Vic Sso",
        Some((&north, app::store::teams::Role::Member, app::store::teams::MemberStatus::Active)),
    )
    .await;
    let made = dir
        .post("/Users", json!({"schemas": [USER], "userName": "vic.sso@northwind.example", "active": false}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["id"].as_str().unwrap().to_string();
    let moved = dir
        .patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "mallory@evil.example"}]))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let on =
        dir.patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "active", "value": true}])).await;
    assert_eq!(on.status, 200, "{}", on.body);
    let to: Vec<String> =
        sqlx::query_scalar::<_, String>("SELECT to_addr FROM outbox WHERE kind = 'invitation'")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(!to.iter().any(|a| a.contains("evil.example")), "{to:?}");
    assert!(to.iter().any(|a| a == "vic.sso@northwind.example"), "the owner is invited: {to:?}");
    assert_eq!(app.db.account(&victim).await.unwrap().unwrap().email, "vic.sso@northwind.example");

    // Harbor's admin (the demo admin runs both teams; Olga is made an admin here) cannot be
    // removed by the directory: the primary admin makes them a member first.
    let olga = new_account(
        &app,
        "olga.admin@harbor.example",
        "Olga Admin",
        Some((&harbor, app::store::teams::Role::Admin, app::store::teams::MemberStatus::Active)),
    )
    .await;
    let adopted = dir.create_user("olga.admin@harbor.example", "Olga", "Admin").await;
    let off = dir
        .patch(&format!("/Users/{adopted}"), json!([{"op": "replace", "path": "active", "value": false}]))
        .await;
    assert_error(&off, 409, None);
    assert_error(&dir.send(Method::DELETE, &format!("/Users/{adopted}"), None).await, 409, None);
    let m = app.db.membership(&harbor, &olga).await.unwrap().unwrap();
    assert_eq!((m.role, m.active), (app::store::teams::Role::Admin, true));

    // Deactivated by the directory, added again by an admin, then deleted in the directory:
    // the console's membership stays.
    let dee = dir.create_user("dee.later@harbor.example", "Dee", "Later").await;
    dir.patch(&format!("/Users/{dee}"), json!([{"op": "replace", "path": "active", "value": false}])).await;
    let (status, body) = app
        .call(
            &admin,
            "invite_people",
            &[
                ("team", harbor.as_str()),
                ("people", "Dee Later <dee.later@harbor.example>"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(dir.send(Method::DELETE, &format!("/Users/{dee}"), None).await.status, 204);
    let dee_acc = account(&app, "dee.later@harbor.example").await;
    assert!(app.db.membership(&harbor, &dee_acc).await.unwrap().is_some(), "the console's invitation stands");
}

/// The console's sessions are not directory tokens: Northwind's admin, a member, an
/// invitee, another team's admin and an outsider, each signed in, reach no SCIM resource
/// of Northwind, read or write, and nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_sessions_reach_no_scim_resource() {
    use app::store::teams::{MemberStatus, Role};
    let app = spawn_app().await;
    let north = app.team_id(NORTHWIND).await;
    let harbor = app.team_id("Harbor Engineering").await;
    let dir = Dir::new(&app, &north).await;
    let ada = dir.create_user("ada.session@acme.example", "Ada", "Session").await;
    new_account(
        &app,
        "ivy.invitee@elsewhere.example",
        "Ivy Invitee",
        Some((&north, Role::Member, MemberStatus::Invited)),
    )
    .await;
    new_account(
        &app,
        "olga.other@harbor.example",
        "Olga Other",
        Some((&harbor, Role::Admin, MemberStatus::Active)),
    )
    .await;
    new_account(&app, "otto.out@elsewhere.example", "Otto Out", None).await;
    let before = app.db.audit_entries(&north, None, 0, 1000).await.unwrap().1;
    for who in [
        ADMIN,
        "bruno.schmidt1@northwind.example",
        "ivy.invitee@elsewhere.example",
        "olga.other@harbor.example",
        "otto.out@elsewhere.example",
    ] {
        let c = app.signed_in(who).await;
        let base = format!("{}/scim/v2", app.url);
        for (method, path, body) in [
            (Method::GET, "/Users".to_string(), None),
            (Method::GET, format!("/Users/{ada}"), None),
            (
                Method::POST,
                "/Users".to_string(),
                Some(json!({"schemas": [USER], "userName": "x@acme.example"})),
            ),
            (
                Method::PATCH,
                format!("/Users/{ada}"),
                Some(
                    json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": false}]}),
                ),
            ),
            (Method::DELETE, format!("/Users/{ada}"), None),
            (
                Method::POST,
                "/Groups".to_string(),
                Some(json!({"schemas": [GROUP], "displayName": "Sessions"})),
            ),
        ] {
            let mut req = c.request(method.clone(), format!("{base}{path}"));
            if let Some(b) = body {
                req = req.header("Content-Type", SCIM_TYPE).body(b.to_string());
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{who}: {method} {path}");
        }
    }
    assert_eq!(app.db.audit_entries(&north, None, 0, 1000).await.unwrap().1, before, "nothing changed");
    let ada_acc = account(&app, "ada.session@acme.example").await;
    assert!(app.db.member(&north, &ada_acc).await.unwrap().is_some());
}
