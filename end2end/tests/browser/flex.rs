//! R-FX1 / R-FX2 in Chromium: team default assignments reach a new Flex member but not a
//! guest, change nothing by email, and an individual selection is emailed to the person.
use playwright_rs::expect;
use tessera_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_apply_to_a_new_member_and_not_to_a_guest() {
    let (smtp, server) = server_with_mail();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;

    // Defaults: Draft 2D and Model 3D.
    page.get_by_text("Team settings", true).click(None).await.unwrap();
    page.get_by_label("Draft 2D", false).check(None).await.unwrap();
    page.get_by_label("Model 3D", false).check(None).await.unwrap();
    page.locator("[data-testid=save-defaults]").click(None).await.unwrap();
    expect(page.locator("[data-testid=defaults-result]"))
        .to_have_text("Saved: every Flex user now gets these 2 products (guests only if support turned that on). No email was sent.")
        .await
        .unwrap();
    expect(page.locator("[data-testid=audit]")).to_contain_text("defaults").await.unwrap();
    screenshot(&page, "team-settings.png").await;

    // Flex for a new person and for an existing guest.
    page.get_by_text("Users by product", true).click(None).await.unwrap();
    page.locator("a[href$=\"/products/FLEX\"]").click(None).await.unwrap();
    page.locator("[data-testid=open-assign]").click(None).await.unwrap();
    page.locator("#member-search").fill("kavya", None).await.unwrap();
    page.locator("#member-options .option").first().click(None).await.unwrap();
    page.locator("#new-people").fill("Nora Newman <nora@example.com>", None).await.unwrap();
    page.locator("[data-testid=save-assign]").click(None).await.unwrap();
    expect(page.locator("[data-testid=toast]"))
        .to_have_text("2 assigned, 1 invited by email.")
        .await
        .unwrap();

    page.get_by_text("Nora Newman", true).click(None).await.unwrap();
    expect(page.locator("[data-testid=flex-effective]"))
        .to_have_text("Can use now: Draft 2D, Model 3D")
        .await
        .unwrap();
    page.go_back(None).await.unwrap();
    page.get_by_text("Kavya Okafor", true).click(None).await.unwrap();
    let guest = page.locator("[data-testid=flex-effective]");
    expect(guest.clone()).to_contain_text("Survey Pro").await.unwrap();
    expect(guest.clone()).to_contain_text("Render Studio").await.unwrap();

    // An individual selection for the guest is saved and emailed to them.
    hydrated(&page).await;
    page.get_by_label("All products (including ones added to Flex later)", true).uncheck(None).await.unwrap();
    page.get_by_label("Circuit Lab", false).check(None).await.unwrap();
    page.locator("[data-testid=save-flex]").click(None).await.unwrap();
    expect(guest.clone()).to_have_text("Can use now: Circuit Lab").await.unwrap();
    let mails = smtp.wait_for(2).await;
    assert!(recipient(&mails[0]).contains("nora@example.com"));
    assert!(recipient(&mails[1]).contains("kavya.okafor10@northwind.example"), "{}", mails[1]);
    assert!(mails[1].contains("Circuit Lab"));
    assert_eq!(smtp.messages().len(), 2, "defaults changes send no email");
    chromium.close().await;
}
