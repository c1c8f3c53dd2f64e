//! R-FX1 / R-FX2 in Chromium: a change of the team's defaults is previewed before it is
//! saved; defaults reach a new Flex member but not a guest and change nothing by email; Flex
//! given from the assign dialog and an individual selection are emailed with the products.
use playwright_rs::{expect, FilterOptions};
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
    // Before saving, who will hold what (R-FX2): the demo's four Flex users, each of whom
    // runs one other product now.
    expect(page.locator("[data-testid=defaults-summary]"))
        .to_have_text("4 Flex users will get the default products. 4 people's products change.")
        .await
        .unwrap();
    // And what it may cost (R-ADV1), as `domain::advice`'s demo case works it out.
    expect(page.locator("[data-testid=cost-summary]"))
        .to_contain_text("About 9.9 tokens a day more and 5.0 fewer: +5.0 a day on balance.")
        .await
        .unwrap();
    expect(page.locator("[data-testid=cost-lines]")).to_contain_text("Priya Haddad").await.unwrap();
    expect(page.locator("[data-testid=cost-assumption]")).to_contain_text("last 30 days").await.unwrap();
    assert_accessible(&page, "the defaults dialog with its cost preview").await;
    screenshot(&page, "cost-preview.png").await;
    expect(page.locator("[data-testid=defaults-preview] tbody tr")).to_have_count(7).await.unwrap();
    page.locator("[data-testid=confirm-defaults]").click(None).await.unwrap();
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
    // Kavya is a guest, so the defaults do not decide for her: every Flex product, the five
    // nobody may run at the team's 149 tokens over 8 products held (18.6 each), Draft 2D and
    // Model 3D at their average of 0. Nora gets the defaults, nobody used them: 0.
    expect(page.locator("[data-testid=cost-summary]"))
        .to_contain_text("About 3.1 tokens a day more.")
        .await
        .unwrap();
    assert_accessible(&page, "the assign dialog with its cost preview").await;
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
    let mails = smtp.wait_for(3).await;
    assert!(recipient(&mails[0]).contains("nora@example.com"));
    // Kavya hears of Flex from the assign dialog, with the products "all" means today,
    // then of the admin's own choice for her.
    assert!(recipient(&mails[1]).contains("kavya.okafor10@northwind.example"), "{}", mails[1]);
    assert!(
        mails[1].contains("including ones added later") && mails[1].contains("Survey Pro"),
        "{}",
        mails[1]
    );
    assert!(recipient(&mails[2]).contains("kavya.okafor10@northwind.example"), "{}", mails[2]);
    assert!(mails[2].contains("Circuit Lab") && !mails[2].contains("Survey Pro"), "{}", mails[2]);

    // Turning the defaults off is previewed too: Nora goes back to her own selection (every
    // product), Kavya is a guest and keeps hers. Escape leaves everything as it was.
    page.get_by_text("Team settings", true).click(None).await.unwrap();
    hydrated(&page).await;
    page.get_by_label("Draft 2D", false).uncheck(None).await.unwrap();
    page.get_by_label("Model 3D", false).uncheck(None).await.unwrap();
    page.locator("[data-testid=save-defaults]").click(None).await.unwrap();
    expect(page.locator("#defaults-title")).to_have_text("Turn default assignments off?").await.unwrap();
    expect(page.locator("[data-testid=defaults-summary]"))
        .to_have_text(
            "Defaults will be off: 6 Flex users will hold the products of their own selection. 5 people's products change.",
        )
        .await
        .unwrap();
    let survey = page
        .locator("[data-testid=defaults-preview] tr")
        .filter(FilterOptions::default().has_text("Survey Pro"));
    // Nobody runs Survey Pro now; Nora will, through her own selection ("all products"), and
    // the demo's Sven and Tomasz through theirs.
    for (cell, figure) in ["0", "3", "3"].into_iter().enumerate() {
        expect(survey.locator("td").nth(cell as i32)).to_have_text(figure).await.unwrap();
    }
    assert_accessible(&page, "the defaults preview").await;
    screenshot(&page, "defaults-preview.png").await;
    expect(page.locator("[data-testid=cancel-defaults]")).to_be_focused().await.unwrap();
    page.keyboard().press("Escape", None).await.unwrap();
    expect(page.locator("[role=alertdialog]")).to_have_count(0).await.unwrap();
    assert_eq!(smtp.messages().len(), 3, "defaults changes send no email");
    page.reload(None).await.unwrap();
    expect(page.get_by_label("Draft 2D", false)).to_be_checked().await.unwrap();
    chromium.close().await;
}
