//! The console in real Chromium, driven the way an admin uses it.
use playwright_rs::{expect, expect_page, SelectOption};
use tessera_e2e::*;

async fn sign_in(page: &playwright_rs::Page, server: &Server, email: &str, password: &str) {
    page.goto(&server.at("/sign-in"), None).await.expect("open sign-in");
    hydrated(page).await;
    page.locator("#email").fill(email, None).await.unwrap();
    page.locator("#password").fill(password, None).await.unwrap();
    page.locator("button[type=submit]").click(None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_sees_figures_switches_team_and_signs_out() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = chromium.page().await;

    // The root sends an anonymous visitor to sign in.
    page.goto(&server.at("/"), None).await.unwrap();
    wait_for_path(&page, "/sign-in").await;

    sign_in(&page, &server, DEMO_ADMIN, DEMO_PASSWORD).await;
    wait_for_path(&page, "/t/").await;

    // Teams are listed by name, so the admin lands on Harbor Engineering.
    expect(page.locator("[data-testid=current-team]")).to_have_text("Harbor Engineering").await.unwrap();
    expect(page.locator("[data-testid=figure-members] .figure")).to_have_text("12").await.unwrap();
    expect(page.locator("[data-testid=figure-tokens] .figure")).to_have_text("300").await.unwrap();
    expect(page.locator("h1")).to_have_text("Harbor Engineering").await.unwrap();

    // Switching team is a client-side navigation that only works once hydrated.
    hydrated(&page).await;
    page.locator("[data-testid=team-switcher]")
        .select_option(SelectOption::Label("Northwind Studio".into()), None)
        .await
        .unwrap();
    expect(page.locator("[data-testid=current-team]")).to_have_text("Northwind Studio").await.unwrap();
    expect(page.locator("[data-testid=figure-members] .figure")).to_have_text("26").await.unwrap();
    expect(page.locator("[data-testid=figure-tokens] .figure")).to_have_text("1,320").await.unwrap();
    expect(page.locator("[data-testid=figure-tokens] .detail"))
        .to_contain_text("320 expire on")
        .await
        .unwrap();
    expect(page.locator("[data-testid=held-products]")).to_contain_text("Model 3D").await.unwrap();
    let northwind_url = page.url();

    // The account menu opens on click (a hydration-only control) and signs out.
    let menu = page.locator("#account-menu-items");
    expect(menu.clone()).to_be_hidden().await.unwrap();
    page.locator("[data-testid=account-menu]").click(None).await.unwrap();
    expect(menu.clone()).to_be_visible().await.unwrap();
    expect(menu.clone()).to_contain_text(DEMO_ADMIN).await.unwrap();
    page.keyboard().press("Escape", None).await.unwrap();
    expect(menu.clone()).to_be_hidden().await.unwrap();
    page.locator("[data-testid=account-menu]").click(None).await.unwrap();
    page.get_by_text("Sign out", true).click(None).await.unwrap();
    wait_for_path(&page, "/sign-in").await;

    // The session is gone: the console sends the visitor back to sign in.
    page.goto(&northwind_url, None).await.unwrap();
    wait_for_path(&page, "/sign-in").await;
    expect(page.locator("h1")).to_have_text("Sign in").await.unwrap();

    if std::env::var("TESSERA_SCREENSHOTS").is_ok() {
        screenshot(&page, "sign-in.png").await;
        sign_in(&page, &server, DEMO_ADMIN, DEMO_PASSWORD).await;
        wait_for_path(&page, "/t/").await;
        page.goto(&northwind_url, None).await.unwrap();
        expect(page.locator("[data-testid=figure-tokens] .figure")).to_have_text("1,320").await.unwrap();
        screenshot(&page, "home.png").await;
    }
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_shows_a_clear_error_and_starts_no_session() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = chromium.page().await;

    sign_in(&page, &server, DEMO_ADMIN, "not-the-password").await;
    expect(page.locator("[data-testid=sign-in-error]"))
        .to_have_text("The email address or password is not right. Check both and try again.")
        .await
        .unwrap();
    // Nothing typed is lost.
    expect(page.locator("#email")).to_have_value(DEMO_ADMIN).await.unwrap();

    // No session was started: the console still asks to sign in.
    page.goto(&server.at("/"), None).await.unwrap();
    wait_for_path(&page, "/sign-in").await;

    // A malformed address is flagged next to its field.
    sign_in(&page, &server, "admin.northwind.example", "whatever").await;
    expect(page.locator("#email-error")).to_contain_text("has no @").await.unwrap();
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true").await.unwrap();
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_reads_fully_without_javascript() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = chromium.page_without_js().await;

    // The sign-in form posts as a plain HTML form; the server redirects into the console.
    page.goto(&server.at("/sign-in"), None).await.unwrap();
    page.locator("#email").fill(DEMO_ADMIN, None).await.unwrap();
    page.locator("#password").fill(DEMO_PASSWORD, None).await.unwrap();
    page.locator("button[type=submit]").click(None).await.unwrap();
    wait_for_path(&page, "/t/").await;
    expect(page.locator("[data-testid=figure-members] .figure")).to_have_text("12").await.unwrap();
    expect(page.locator("[data-testid=current-team]")).to_have_text("Harbor Engineering").await.unwrap();
    expect(page.locator("[data-testid=held-products]")).to_contain_text("Survey Pro").await.unwrap();
    expect(page.locator("body[data-hydrated]")).to_have_count(0).await.unwrap();
    expect_page(&page).to_have_title("Harbor Engineering · Tessera").await.unwrap();
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_member_cannot_open_another_team() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = chromium.page().await;
    // Bruno is a plain member of Northwind Studio only; demo members share the demo password.
    sign_in(&page, &server, "bruno.schmidt1@northwind.example", DEMO_PASSWORD).await;
    wait_for_path(&page, "/t/").await;
    expect(page.locator("[data-testid=current-team]")).to_have_text("Northwind Studio").await.unwrap();
    expect(page.locator("[data-testid=team-switcher] option")).to_have_count(1).await.unwrap();
    // People pages are for admins: a member's navigation does not offer them (the team's
    // Flex tokens are for every member to see).
    let links = page.locator("nav.sidebar a");
    expect(links.clone()).to_have_count(2).await.unwrap();
    expect(links.nth(0)).to_have_text("Home").await.unwrap();
    expect(links.nth(1)).to_have_text("Flex tokens").await.unwrap();

    // A made-up team id in the address bar shows a refusal, not data.
    page.goto(&server.at("/t/01900000-0000-7000-8000-000000000000"), None).await.unwrap();
    expect(page.locator(".error-panel h1")).to_have_text("No access").await.unwrap();
    chromium.close().await;
}
