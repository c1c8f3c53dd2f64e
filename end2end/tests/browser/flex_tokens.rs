//! R-TOK1 and R-LIC3 in Chromium: an admin of both demo teams moves what is left of a Flex
//! purchase to the other team through the dialog, and removes a member's device after
//! confirming.
use playwright_rs::{expect, SelectOption};
use tessera_e2e::*;

/// The server's own database, for data the console cannot create.
async fn database(server: &Server) -> app::store::Db {
    app::store::Db::connect(&server.database_url).await.expect("open the server's database")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_moves_a_purchase_to_another_team_they_run() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;

    page.get_by_text("Flex tokens", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Flex tokens").await.unwrap();
    expect(page.locator("[data-testid=balance-figure]")).to_have_text("1,320").await.unwrap();
    // Spending order: the purchase that expires first comes first.
    let rows = page.locator("[data-testid=purchase]");
    expect(rows.clone()).to_have_count(2).await.unwrap();
    let first = rows.nth(0);
    expect(first.locator("td").nth(1)).to_have_text("500").await.unwrap();
    expect(first.locator("td").nth(2)).to_have_text("180").await.unwrap();
    expect(first.locator("[data-testid=left]")).to_have_text("320").await.unwrap();
    expect(first.locator(".badge")).to_have_text("Valid").await.unwrap();
    expect(rows.nth(1).locator("[data-testid=left]")).to_have_text("1,000").await.unwrap();
    let expires = first.locator("td").nth(5).text_content().await.unwrap().unwrap_or_default();
    assert!(expires.len() == 10 && expires.starts_with("20"), "an expiry date: {expires:?}");
    screenshot(&page, "flex-tokens.png").await;

    hydrated(&page).await;
    first.locator("[data-testid=move]").click(None).await.unwrap();
    expect(page.locator("#move-title")).to_have_text("Move 320 tokens to another team?").await.unwrap();
    expect(page.locator("#move-to")).to_be_focused().await.unwrap();
    page.locator("#move-to")
        .select_option(SelectOption::Label("Harbor Engineering".into()), None)
        .await
        .unwrap();
    expect(page.locator("[data-testid=move-summary]"))
        .to_have_text(&format!(
            "320 tokens move to Harbor Engineering. Their expiry date travels with them: they still expire on {expires}."
        ))
        .await
        .unwrap();
    page.locator("[data-testid=confirm-move]").click(None).await.unwrap();

    expect(page.locator("[data-testid=toast]"))
        .to_have_text("Moved 320 tokens to Harbor Engineering")
        .await
        .unwrap();
    expect(page.locator("[role=dialog]")).to_have_count(0).await.unwrap();
    expect(page.locator("[data-testid=balance-figure]")).to_have_text("1,000").await.unwrap();
    expect(rows.clone()).to_have_count(1).await.unwrap();

    // Harbor Engineering now holds it, with the same expiry date.
    page.locator("[data-testid=team-switcher]")
        .select_option(SelectOption::Label("Harbor Engineering".into()), None)
        .await
        .unwrap();
    expect(page.locator("[data-testid=current-team]")).to_have_text("Harbor Engineering").await.unwrap();
    page.get_by_text("Flex tokens", true).click(None).await.unwrap();
    expect(page.locator("[data-testid=balance-figure]")).to_have_text("620").await.unwrap();
    let moved = page.locator("[data-testid=purchase]").nth(0);
    expect(moved.locator("td").nth(3)).to_have_text("320 in").await.unwrap();
    expect(moved.locator("td").nth(5)).to_have_text(expires.as_str()).await.unwrap();
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_removes_a_members_device_after_confirming() {
    let server = Server::start();
    let db = database(&server).await;
    let bruno = db
        .account_by_email(&app::domain::Email::parse("bruno.schmidt1@northwind.example").unwrap())
        .await
        .unwrap()
        .expect("demo member")
        .id;
    let north = db.teams_named("Northwind Studio").await.unwrap().remove(0);
    let draft = db.product_by_code("DRAFT2D").await.unwrap().expect("demo product");
    let now = chrono::Utc::now();
    // Admins see only devices of products the person holds through their team: a seat here.
    let mut tx = db.pool.begin().await.unwrap();
    app::store::assignments::assign(&mut tx, &north, &bruno, &draft.id, None, now).await.unwrap();
    tx.commit().await.unwrap();
    db.register_device(&bruno, &draft.id, "e2e-laptop", "Bruno's laptop", now).await.unwrap();
    db.register_device(&bruno, &draft.id, "e2e-desk", "Studio workstation", now).await.unwrap();

    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.goto(&server.at(&format!("/t/{}/users/{bruno}", north.as_str())), None).await.unwrap();
    let devices = page.locator("[data-testid=device]");
    expect(devices.clone()).to_have_count(2).await.unwrap();
    expect(page.locator("[data-testid=member-devices]")).to_contain_text("Draft 2D").await.unwrap();

    hydrated(&page).await;
    page.get_by_label("Remove Studio workstation for Draft 2D", true).click(None).await.unwrap();
    expect(page.locator("#remove-device-title"))
        .to_have_text("Remove Studio workstation for Draft 2D?")
        .await
        .unwrap();
    expect(page.locator("[role=alertdialog]"))
        .to_contain_text("The person can register another device in its place")
        .await
        .unwrap();
    page.locator("[data-testid=confirm-remove-device]").click(None).await.unwrap();

    expect(page.locator("[data-testid=device-toast]"))
        .to_have_text("Removed Studio workstation for Draft 2D.")
        .await
        .unwrap();
    expect(devices.clone()).to_have_count(1).await.unwrap();
    expect(page.locator("[data-testid=member-devices]")).to_contain_text("Bruno's laptop").await.unwrap();
    assert_eq!(db.member_devices(&bruno).await.unwrap().len(), 1);
    chromium.close().await;
}
