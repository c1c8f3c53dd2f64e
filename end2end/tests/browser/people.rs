//! People and assignments in Chromium: By Product, By User, the assign dialog.
use playwright_rs::expect;
use tessera_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_assigns_a_product_to_an_existing_member_by_typing_and_removes_it() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;

    page.get_by_text("Users by product", true).click(None).await.unwrap();
    expect(page.locator("[data-testid=offers]")).to_contain_text("Model 3D").await.unwrap();
    expect(page.locator("[data-testid=offers]")).to_contain_text("0 of 10").await.unwrap();
    page.get_by_text("Model 3D", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_contain_text("Model 3D").await.unwrap();
    expect(page.locator(".empty-state")).to_contain_text("Nobody is assigned here yet").await.unwrap();

    page.locator("[data-testid=open-assign]").click(None).await.unwrap();
    // Focus starts in the dialog; the keyboard alone picks a member.
    expect(page.locator("#member-search")).to_be_focused().await.unwrap();
    page.locator("#member-search").fill("amara okafor", None).await.unwrap();
    expect(page.locator("#member-options .option")).to_have_count(1).await.unwrap();
    page.keyboard().press("ArrowDown", None).await.unwrap();
    page.keyboard().press("Enter", None).await.unwrap();
    expect(page.locator(".picked")).to_contain_text("Amara Okafor").await.unwrap();
    screenshot(&page, "assign-dialog.png").await;
    page.locator("[data-testid=save-assign]").click(None).await.unwrap();

    expect(page.locator("[data-testid=toast]")).to_have_text("1 assigned.").await.unwrap();
    expect(page.locator("[data-testid=assigned]")).to_contain_text("Amara Okafor").await.unwrap();
    expect(page.locator("h1 + .lede, .lede")).to_contain_text("1 of 10 seats assigned").await.unwrap();

    // Unassigning asks first, naming who loses what.
    page.get_by_label("Select Amara Okafor", true).check(None).await.unwrap();
    page.locator("[data-testid=bulk-unassign]").click(None).await.unwrap();
    expect(page.locator("#confirm-title"))
        .to_have_text("Remove Amara Okafor's access to Model 3D?")
        .await
        .unwrap();
    // The safe answer has focus, and Tab cannot leave the question.
    expect(page.locator("[data-testid=cancel-unassign]")).to_be_focused().await.unwrap();
    page.keyboard().press("Tab", None).await.unwrap();
    expect(page.locator("[data-testid=confirm-unassign]")).to_be_focused().await.unwrap();
    page.keyboard().press("Tab", None).await.unwrap();
    expect(page.locator("[data-testid=cancel-unassign]")).to_be_focused().await.unwrap();
    page.locator("[data-testid=confirm-unassign]").click(None).await.unwrap();
    expect(page.locator("[data-testid=toast]")).to_have_text("Access removed for 1.").await.unwrap();
    expect(page.locator(".empty-state")).to_contain_text("Nobody is assigned here yet").await.unwrap();
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_new_people_are_flagged_inline_and_nothing_is_saved() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Users by product", true).click(None).await.unwrap();
    page.get_by_text("Draft 2D", true).click(None).await.unwrap();
    page.locator("[data-testid=open-assign]").click(None).await.unwrap();

    page.locator("#new-people")
        .fill(
            "Ada Lovelace <ada@example.com>\nGrace Hopper grace@example.com\nAlan Turing <alan@localhost>",
            None,
        )
        .await
        .unwrap();
    let errors = page.locator("[data-testid=entry-errors] li");
    expect(errors.clone()).to_have_count(2).await.unwrap();
    expect(errors.nth(0)).to_contain_text("Entry 2").await.unwrap();
    expect(errors.nth(0)).to_contain_text("angle brackets").await.unwrap();
    expect(errors.nth(1)).to_contain_text("Entry 3").await.unwrap();
    expect(errors.nth(1)).to_contain_text("needs a dot").await.unwrap();
    expect(page.locator("[data-testid=save-assign]")).to_be_disabled().await.unwrap();

    // Fixing the entries enables saving; what was typed is still there.
    page.locator("#new-people")
        .fill("Ada Lovelace <ada@example.com>\nGrace Hopper <grace@example.com>", None)
        .await
        .unwrap();
    expect(errors).to_have_count(0).await.unwrap();
    expect(page.locator("[data-testid=save-assign]")).to_be_enabled().await.unwrap();
    page.keyboard().press("Escape", None).await.unwrap();
    expect(page.locator("[role=dialog]")).to_have_count(0).await.unwrap();
    // Nothing was saved: the demo's seven Draft 2D seat holders and no one else.
    let assigned = page.locator("[data-testid=assigned]");
    expect(assigned.locator("tbody tr")).to_have_count(7).await.unwrap();
    expect(assigned).not().to_contain_text("Lovelace").await.unwrap();
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_user_searches_sorts_and_filters_on_the_server() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    expect(page.locator("[data-testid=row-count]")).to_have_text("1–29 of 29").await.unwrap();
    screenshot(&page, "users-by-user.png").await;

    page.locator("[data-testid=search]").fill("okafor", None).await.unwrap();
    expect(page.locator("[data-testid=row-count]")).to_have_text("1–3 of 3").await.unwrap();
    expect(page.locator("[data-testid=members] tbody tr")).to_have_count(3).await.unwrap();

    page.locator("[data-testid=search]").fill("", None).await.unwrap();
    page.get_by_text("Invited", true).first().click(None).await.unwrap();
    expect(page.locator("[data-testid=row-count]")).to_have_text("1–2 of 2").await.unwrap();
    expect(page.locator("[data-testid=members] tbody")).to_contain_text("Invited").await.unwrap();

    page.get_by_text("Invitation expired", true).first().click(None).await.unwrap();
    expect(page.locator("[data-testid=row-count]")).to_have_text("1–1 of 1").await.unwrap();
    expect(page.locator("[data-testid=members] tbody")).to_contain_text("Chiara Haddad").await.unwrap();

    page.get_by_text("Guests", true).click(None).await.unwrap();
    expect(page.locator("[data-testid=row-count]")).to_have_text("1–4 of 4").await.unwrap();
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_products_change_from_their_own_page() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    page.get_by_text("Bruno Schmidt", true).click(None).await.unwrap();
    hydrated(&page).await;
    let row = page
        .locator("[data-testid=member-products] tr")
        .filter(playwright_rs::FilterOptions::default().has_text("Model 3D"));
    expect(row.clone()).to_contain_text("—").await.unwrap();
    page.get_by_label("Assign Model 3D", true).click(None).await.unwrap();
    expect(row.clone()).to_contain_text("Assigned").await.unwrap();
    expect(row.clone()).to_contain_text("1 of 10").await.unwrap();

    page.get_by_label("Unassign Model 3D", true).click(None).await.unwrap();
    expect(page.locator("#confirm-title"))
        .to_have_text("Remove Bruno Schmidt's access to Model 3D?")
        .await
        .unwrap();
    page.locator("[data-testid=confirm-unassign]").click(None).await.unwrap();
    expect(row.clone()).to_contain_text("0 of 10").await.unwrap();
    chromium.close().await;
}
