//! Every page of the console, checked with axe-core (WCAG 2.1 A and AA) in Chromium after
//! it hydrated: the public pages, then every route under `/t/:team` read from
//! app/src/app.rs (so a new page is checked without editing this file), as the demo admin.
//! Dialogs are checked open by the tests that drive them (lifecycle.rs).
use playwright_rs::expect;
use tessera_e2e::*;

/// The paths of the team's routes in app/src/app.rs, with `:member`, `:code` and `:group`
/// filled in.
fn team_pages(team: &str, member: &str, group: &str) -> Vec<String> {
    let source = std::fs::read_to_string(workspace_root().join("app/src/app.rs")).expect("app.rs");
    let mut pages = vec![format!("/t/{team}")];
    let mut inside = false;
    for line in source.lines() {
        if line.contains("path!(\"/t/:team\")") {
            inside = true;
            continue;
        }
        if line.contains("</ParentRoute>") {
            inside = false;
        }
        let Some(rest) = line.split("path!(\"").nth(1).filter(|_| inside) else { continue };
        let sub = rest.split('"').next().unwrap_or_default();
        if sub.is_empty() {
            continue;
        }
        let path = sub.replace(":member", member).replace(":code", "DRAFT2D").replace(":group", group);
        assert!(!path.contains(':'), "no value for a parameter of {sub}: add one here");
        pages.push(format!("/t/{team}/{path}"));
    }
    assert!(pages.len() >= 15, "found only {pages:?}");
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_has_no_wcag_a_or_aa_violation() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = chromium.page().await;
    for path in [
        "/sign-in",
        "/forgot-password",
        "/reset/not-a-real-token",
        "/invite/not-a-real-token",
        "/no-such-page",
    ] {
        page.goto(&server.at(path), None).await.unwrap();
        hydrated(&page).await;
        assert_accessible(&page, path).await;
    }

    admin_in_northwind(&page, &server).await;
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    page.get_by_text("Farid Haddad", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Farid Haddad").await.unwrap();
    let url = page.url();
    let mut parts = url.split("/t/").nth(1).unwrap_or_default().split('/');
    let (team, member) =
        (parts.next().unwrap_or_default().to_string(), parts.nth(1).unwrap_or_default().to_string());
    // The demo's group, "Design team".
    page.goto(&server.at(&format!("/t/{team}/groups")), None).await.unwrap();
    let href = page
        .locator("[data-testid=groups] a")
        .first()
        .get_attribute("href")
        .await
        .unwrap()
        .unwrap_or_default();
    let group = href.rsplit('/').next().unwrap_or_default().to_string();
    assert!(!group.is_empty(), "the demo has a group");
    for path in team_pages(&team, &member, &group) {
        page.goto(&server.at(&path), None).await.unwrap();
        hydrated(&page).await;
        // Wait for the page's own data: no loading placeholder left.
        expect(page.locator("[role=status][aria-busy=true], .loading")).to_have_count(0).await.unwrap();
        assert_accessible(&page, &path).await;
    }
    // The person's own page, outside every team.
    page.goto(&server.at("/account"), None).await.unwrap();
    hydrated(&page).await;
    expect(page.locator("h1")).to_have_text("Your account").await.unwrap();
    assert_accessible(&page, "/account").await;
    chromium.close().await;
}
