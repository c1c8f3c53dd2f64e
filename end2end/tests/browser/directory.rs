//! R-UM5 and R-DIR1 in Chromium: the primary admin makes a member an SSO admin, who then
//! sees only what an SSO admin runs (sign-in and directory) and makes and revokes a
//! directory token; a person and a group the directory syncs show as *Synced* and
//! read-only, while the group is still given products here.
use playwright_rs::{expect, FilterOptions, SelectOption};
use serde_json::{json, Value};
use tessera_e2e::*;

const BRUNO: &str = "bruno.schmidt1@northwind.example";

/// What a directory sends: one user and a group holding them, with a token from the
/// command line.
async fn directory_pushes(server: &Server) -> String {
    let made = server.cli(&[
        "scim",
        "token",
        "create",
        "--team",
        "Northwind Studio",
        "--label",
        "Okta",
        "--public-url",
        &server.url,
    ]);
    let base = made["base_url"].as_str().expect("base_url").to_string();
    assert_eq!(base, server.at("/scim/v2"));
    let token = made["token"].as_str().expect("token").to_string();
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&token)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
    };
    let user = post(
        "/Users",
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "sy.synced@acme.example",
               "name": {"givenName": "Sy", "familyName": "Synced"},
               "emails": [{"value": "sy.synced@acme.example", "primary": true}], "active": true}),
    )
    .await
    .expect("create user");
    assert_eq!(user.status(), 201);
    let user: Value = user.json().await.expect("user");
    let group = post(
        "/Groups",
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Acme Sync",
               "members": [{"value": user["id"]}]}),
    )
    .await
    .expect("create group");
    assert_eq!(group.status(), 201);
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synced_people_and_groups_are_read_only_and_an_sso_admin_runs_only_sign_in() {
    let server = Server::start();
    directory_pushes(&server).await;
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;

    // The synced person: marked, no removal, a note saying where they are changed.
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    hydrated(&page).await;
    let sy = page.locator("tbody tr").filter(FilterOptions::default().has_text("Sy Synced"));
    expect(sy.locator("[data-testid=synced-badge]")).to_have_text("Synced").await.unwrap();
    sy.locator("a").first().click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Sy Synced").await.unwrap();
    hydrated(&page).await;
    expect(page.locator("[data-testid=synced-note]")).to_be_visible().await.unwrap();
    expect(page.locator("[data-testid=remove-member]")).to_have_count(0).await.unwrap();
    expect(page.locator("[data-testid=member-groups]")).to_contain_text("Acme Sync").await.unwrap();

    // The synced group: no rename, delete or member changes; its products are given here.
    page.locator("[data-testid=member-groups] a").click(None).await.unwrap();
    expect(page.locator("h1")).to_contain_text("Acme Sync").await.unwrap();
    hydrated(&page).await;
    expect(page.locator("[data-testid=synced-note]")).to_be_visible().await.unwrap();
    for control in ["delete-group", "add-to-group", "remove-from-group"] {
        expect(page.locator(format!("[data-testid={control}]"))).to_have_count(0).await.unwrap();
    }
    page.locator("[data-testid=group-products]")
        .get_by_label("Render Studio", false)
        .check(None)
        .await
        .unwrap();
    page.locator("[data-testid=save-group-products]").click(None).await.unwrap();
    expect(page.locator("[data-testid=group-result]"))
        .to_have_text("Saved the group's products.")
        .await
        .unwrap();
    assert_accessible(&page, "a synced group's page").await;

    // The primary admin makes Bruno an SSO admin.
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    page.locator("input[type=search]").fill("bruno.schmidt", None).await.unwrap();
    // The search has run (the list holds him alone) before his page is opened.
    expect(page.locator("tbody tr")).to_have_count(1).await.unwrap();
    let bruno_row = page.locator("tbody tr").filter(FilterOptions::default().has_text(BRUNO));
    bruno_row.locator("a").first().click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Bruno Schmidt").await.unwrap();
    hydrated(&page).await;
    page.locator("[data-testid=role-select]")
        .select_option(SelectOption::Value("sso_admin".into()), None)
        .await
        .unwrap();
    page.locator("[data-testid=save-role]").click(None).await.unwrap();
    expect(page.locator("[data-testid=role-guest] [role=status]")).to_have_text("Saved.").await.unwrap();
    expect(page.locator("[data-testid=role-badge]")).to_have_text("SSO admin").await.unwrap();
    assert_accessible(&page, "a member's page with role controls").await;

    // Bruno, signed in, sees the sign-in page and what a member sees, nothing more.
    let bruno = chromium.page().await;
    bruno.goto(&server.at("/sign-in"), None).await.unwrap();
    hydrated(&bruno).await;
    bruno.locator("#email").fill(BRUNO, None).await.unwrap();
    bruno.locator("#password").fill(DEMO_PASSWORD, None).await.unwrap();
    bruno.locator("button[type=submit]").click(None).await.unwrap();
    wait_for_path(&bruno, "/t/").await;
    bruno
        .locator("[data-testid=team-switcher]")
        .select_option(SelectOption::Label("Northwind Studio (SSO admin)".into()), None)
        .await
        .unwrap();
    let nav = bruno.locator("nav.sidebar");
    expect(nav.clone()).to_contain_text("Sign-in and directory").await.unwrap();
    for hidden in ["Users by user", "Users by group", "Usage", "Team settings", "Apps"] {
        expect(nav.get_by_text(hidden, true)).to_have_count(0).await.unwrap();
    }
    nav.get_by_text("Sign-in and directory", true).click(None).await.unwrap();
    expect(bruno.locator("h1")).to_have_text("Sign-in and directory").await.unwrap();
    hydrated(&bruno).await;
    // The command line's token is listed, with when it was last used.
    let tokens = bruno.locator("[data-testid=directory-tokens]");
    expect(tokens.clone()).to_contain_text("Okta").await.unwrap();
    expect(tokens.clone()).to_contain_text("the command line").await.unwrap();
    bruno.locator("#token-label").fill("Entra", None).await.unwrap();
    bruno.locator("[data-testid=create-token]").click(None).await.unwrap();
    expect(bruno.locator("[data-testid=directory-token-value]")).to_contain_text("scim_").await.unwrap();
    expect(tokens.clone()).to_contain_text("Entra").await.unwrap();
    assert_accessible(&bruno, "the sign-in and directory page").await;
    screenshot(&bruno, "directory.png").await;
    // Revoking asks first.
    bruno.get_by_label("Revoke token Okta", true).click(None).await.unwrap();
    assert_accessible(&bruno, "the revoke confirmation").await;
    bruno.locator("[data-testid=confirm-revoke]").click(None).await.unwrap();
    expect(bruno.locator("[data-testid=token-revoked]")).to_contain_text("Okta").await.unwrap();
    expect(tokens.clone()).not().to_contain_text("Okta").await.unwrap();
    // The people pages are not his: the server refuses them too.
    bruno.goto(&format!("{}/users", bruno.url().trim_end_matches("/directory")), None).await.unwrap();
    expect(bruno.locator("[role=alert]")).to_contain_text("Only an admin").await.unwrap();
}
