//! R-ADV2 in Chromium: the advice tab lists the demo's idle seat (Jonas's Draft 2D, never
//! used) and its heavy Flex user (Priya, whose Motion Forge use costs more than a seat),
//! each with figures and assumption; unassigning the idle seat from the tab, after a
//! confirmation, frees it.
use playwright_rs::{expect, FilterOptions};
use tessera_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_advice_tab_shows_an_idle_seat_and_a_heavy_flex_user_and_frees_the_seat() {
    let (_smtp, server) = server_with_mail();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.locator("nav.sidebar").get_by_text("Usage", true).click(None).await.unwrap();
    page.locator("[data-testid=usage-tabs]").get_by_text("Advice", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Licence advice").await.unwrap();
    hydrated(&page).await;

    let idle = page.locator("[data-testid=advice-idle_seat]");
    expect(idle.clone()).to_contain_text("Jonas Tanaka").await.unwrap();
    expect(idle.clone()).to_contain_text("Draft 2D").await.unwrap();
    expect(idle.clone()).to_contain_text("never used").await.unwrap();
    let heavy = page.locator("[data-testid=advice-cheaper_on_seat]");
    expect(heavy.clone()).to_contain_text("Priya Haddad").await.unwrap();
    expect(heavy.clone()).to_contain_text("365 tokens a year").await.unwrap();
    expect(heavy.clone()).to_contain_text("300 tokens a year").await.unwrap();
    assert_accessible(&page, "the licence advice").await;
    screenshot(&page, "advice.png").await;

    // One step, after a confirmation that Cancel backs out of.
    idle.locator("[data-testid=advice-unassign]").click(None).await.unwrap();
    expect(page.locator("#confirm-title"))
        .to_have_text("Remove Jonas Tanaka's access to Draft 2D?")
        .await
        .unwrap();
    assert_accessible(&page, "the unassign confirmation").await;
    page.locator("[data-testid=confirm-unassign]").click(None).await.unwrap();
    expect(page.locator("[data-testid=advice-unassigned]"))
        .to_have_text("Unassigned: the seat is free.")
        .await
        .unwrap();
    expect(idle.clone()).to_contain_text("Every seat was used").await.unwrap();

    // The seat is free where the products are listed.
    page.get_by_text("Users by product", true).click(None).await.unwrap();
    let draft = page.locator("[data-testid=offers] tr").filter(FilterOptions::default().has_text("Draft 2D"));
    expect(draft).to_contain_text("6 of 25").await.unwrap();
    chromium.close().await;
}
