//! R-GRP1 in Chromium: an admin creates a group, fills it through the people dialog (an
//! existing member picked by typing, a new person typed in), gives it a product, sees on a
//! member's page where the seat comes from, deletes the group after a confirmation, and
//! adds a selection from Users by user to a group.
use playwright_rs::{expect, FilterOptions, SelectOption};
use tessera_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_gives_a_product_to_a_group_and_its_members_hold_it_through_the_group() {
    let (smtp, server) = server_with_mail();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Users by group", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Users by group").await.unwrap();
    hydrated(&page).await;
    // The demo's own group is listed.
    expect(page.locator("[data-testid=groups]")).to_contain_text("Design team").await.unwrap();

    page.locator("[data-testid=group-name]").fill("Modelling", None).await.unwrap();
    page.locator("[data-testid=create-group]").click(None).await.unwrap();
    expect(page.locator("[data-testid=group-created]")).to_have_text("Group created.").await.unwrap();
    // A second group of the same name, in another case, is refused by name.
    page.locator("[data-testid=group-name]").fill("modelling", None).await.unwrap();
    page.locator("[data-testid=create-group]").click(None).await.unwrap();
    expect(page.locator("[role=alert]"))
        .to_contain_text("already has a group called modelling")
        .await
        .unwrap();
    page.get_by_text("Modelling", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Modelling").await.unwrap();
    hydrated(&page).await;
    expect(page.locator("[data-testid=no-members]")).to_be_visible().await.unwrap();

    // People: Bruno Costa picked by typing, a new person invited by email.
    page.locator("[data-testid=add-to-group]").click(None).await.unwrap();
    page.locator("#member-search").fill("bruno.costa", None).await.unwrap();
    page.locator("#member-options .option").first().click(None).await.unwrap();
    page.locator("#new-people").fill("Mia Modeller <mia@example.com>", None).await.unwrap();
    assert_accessible(&page, "the Add people to a group dialog").await;
    page.locator("[data-testid=save-assign]").click(None).await.unwrap();
    expect(page.locator("[data-testid=group-result]"))
        .to_have_text("Added 2, 1 invited by email.")
        .await
        .unwrap();
    expect(page.locator("[data-testid=group-members] tbody tr")).to_have_count(2).await.unwrap();
    let mails = smtp.wait_for(1).await;
    assert!(recipient(&mails[0]).contains("mia@example.com"), "{}", mails[0]);

    // The group gives Model 3D.
    page.locator("[data-testid=group-products]").get_by_label("Model 3D", false).check(None).await.unwrap();
    page.locator("[data-testid=save-group-products]").click(None).await.unwrap();
    expect(page.locator("[data-testid=group-result]"))
        .to_have_text("Saved the group's products.")
        .await
        .unwrap();
    // The group also gives Flex access to Motion Forge.
    let flex = page.locator("[data-testid=group-flex]");
    flex.get_by_label("These products:", true).check(None).await.unwrap();
    flex.get_by_label("Motion Forge", false).check(None).await.unwrap();
    page.locator("[data-testid=save-group-flex]").click(None).await.unwrap();
    expect(page.locator("[data-testid=group-flex-saved]")).to_be_visible().await.unwrap();
    assert_accessible(&page, "a group's page").await;
    screenshot(&page, "group.png").await;

    // Bruno's page says where his seat and his Flex access come from, and offers no
    // unassign of the seat.
    expect(page.locator("[data-testid=group-members]")).to_contain_text("Bruno Costa").await.unwrap();
    page.locator("[data-testid=group-members] a")
        .filter(FilterOptions::default().has_text("Bruno Costa"))
        .click(None)
        .await
        .unwrap();
    expect(page.locator("h1")).to_have_text("Bruno Costa").await.unwrap();
    let model = page
        .locator("[data-testid=member-products] tr")
        .filter(FilterOptions::default().has_text("Model 3D"));
    expect(model.locator("[data-testid=holds]")).to_have_text("Through Modelling.").await.unwrap();
    expect(page.locator("[data-testid=flex-through-groups]"))
        .to_contain_text("Modelling: Motion Forge")
        .await
        .unwrap();
    expect(model.clone()).to_contain_text("Remove from the group to take it away").await.unwrap();

    // On the product's page he is marked, and cannot be picked for unassigning.
    page.get_by_text("Users by product", true).click(None).await.unwrap();
    page.locator("a[href$=\"/products/MODEL3D\"]").click(None).await.unwrap();
    let bruno =
        page.locator("[data-testid=assigned] tr").filter(FilterOptions::default().has_text("Bruno Costa"));
    expect(bruno.locator("[data-testid=through-group]")).to_have_text("Through a group").await.unwrap();
    expect(bruno.locator("input[type=checkbox]")).to_be_disabled().await.unwrap();
    page.go_back(None).await.unwrap();
    page.go_back(None).await.unwrap();

    // Deleting the group asks first, then frees the seats it alone gave.
    page.go_back(None).await.unwrap();
    hydrated(&page).await;
    page.locator("[data-testid=delete-group]").click(None).await.unwrap();
    expect(page.locator("#delete-group-title")).to_have_text("Delete the group Modelling?").await.unwrap();
    expect(page.locator("[data-testid=cancel-delete-group]")).to_be_focused().await.unwrap();
    page.keyboard().press("Tab", None).await.unwrap();
    page.keyboard().press("Enter", None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Users by group").await.unwrap();
    expect(page.locator("[data-testid=groups]")).not().to_contain_text("Modelling").await.unwrap();
    page.get_by_text("Users by product", true).click(None).await.unwrap();
    let row = page.locator("[data-testid=offers] tr").filter(FilterOptions::default().has_text("Model 3D"));
    expect(row).to_contain_text("0 of").await.unwrap();

    // From a selection on Users by user: into the demo's Design team.
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    hydrated(&page).await;
    page.locator("[data-testid=search]").fill("bruno.costa", None).await.unwrap();
    expect(page.locator("[data-testid=members] tbody tr")).to_have_count(1).await.unwrap();
    page.locator("[data-testid=select-page]").check(None).await.unwrap();
    page.locator("#bulk-group").select_option(SelectOption::Label("Design team".into()), None).await.unwrap();
    page.locator("[data-testid=bulk-group]").click(None).await.unwrap();
    expect(page.locator("[data-testid=bulk-result]"))
        .to_have_text("Added 1 to the group (already in it: 0).")
        .await
        .unwrap();
    page.get_by_text("Users by group", true).click(None).await.unwrap();
    page.get_by_text("Design team", true).click(None).await.unwrap();
    expect(page.locator("[data-testid=group-members]")).to_contain_text("Bruno Costa").await.unwrap();

    // Taking him out again asks first.
    hydrated(&page).await;
    page.get_by_label("Select Bruno Costa", true).check(None).await.unwrap();
    page.locator("[data-testid=remove-from-group]").click(None).await.unwrap();
    expect(page.locator("#take-out-title")).to_have_text("Take 1 person out of Design team?").await.unwrap();
    assert_accessible(&page, "the take-out confirmation").await;
    page.locator("[data-testid=confirm-take-out]").click(None).await.unwrap();
    expect(page.locator("[data-testid=group-result]"))
        .to_have_text("Took 1 out of the group.")
        .await
        .unwrap();
    expect(page.locator("[data-testid=group-members]")).not().to_contain_text("Bruno Costa").await.unwrap();
    chromium.close().await;
}
