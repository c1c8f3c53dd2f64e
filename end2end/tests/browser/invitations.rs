//! R-INV1 end to end: the invitation email arrives at a real SMTP server, its link is
//! opened in a fresh browser context, and the link's single use and 7-day expiry hold.
use playwright_rs::expect;
use tessera_e2e::*;

async fn admin_on_product(page: &playwright_rs::Page, server: &Server, product: &str) {
    admin_in_northwind(page, server).await;
    page.get_by_text("Users by product", true).click(None).await.unwrap();
    page.get_by_text(product, true).click(None).await.unwrap();
    expect(page.locator("h1")).to_contain_text(product).await.unwrap();
}

async fn invite(page: &playwright_rs::Page, who: &str) {
    page.locator("[data-testid=open-assign]").click(None).await.unwrap();
    page.locator("#new-people").fill(who, None).await.unwrap();
    page.locator("[data-testid=save-assign]").click(None).await.unwrap();
    expect(page.locator("[data-testid=toast]"))
        .to_have_text("1 assigned, 1 invited by email.")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitee_accepts_from_the_email_link_once() {
    let (smtp, server) = server_with_mail();
    let chromium = chromium().await;
    let admin = chromium.page().await;
    admin_on_product(&admin, &server, "Model 3D").await;
    invite(&admin, "Ada Lovelace <ada@example.com>").await;
    expect(admin.locator("[data-testid=assigned]")).to_contain_text("Ada Lovelace").await.unwrap();
    expect(admin.locator("[data-testid=assigned]")).to_contain_text("Invited").await.unwrap();

    let mail = smtp.wait_for(1).await.remove(0);
    assert!(recipient(&mail).contains("ada@example.com"), "{mail}");
    let link = invite_link(&mail);
    assert!(link.starts_with(&server.url), "{link}");

    // The invitee opens the link in a browser of their own.
    let ada = chromium.page().await;
    ada.goto(&link, None).await.unwrap();
    hydrated(&ada).await;
    expect(ada.locator("h1")).to_have_text("Join Northwind Studio").await.unwrap();
    ada.locator("#password").fill("ada-chooses-a-password", None).await.unwrap();
    ada.locator("#confirm").fill("ada-chooses-a-password", None).await.unwrap();
    ada.get_by_text("Accept invitation", true).click(None).await.unwrap();
    wait_for_path(&ada, "/t/").await;
    expect(ada.locator("[data-testid=my-products]")).to_contain_text("Model 3D").await.unwrap();

    // The same link a second time is refused with what to do instead.
    let again = chromium.page().await;
    again.goto(&link, None).await.unwrap();
    expect(again.locator("[data-testid=invite-refused]"))
        .to_have_text("This invitation link has already been used. Sign in to reach your team.")
        .await
        .unwrap();

    // The admin now sees Ada as active.
    admin.reload(None).await.unwrap();
    expect(admin.locator("[data-testid=assigned]")).to_contain_text("Active").await.unwrap();
    assert_eq!(smtp.messages().len(), 1, "exactly one email");
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_says_so_and_a_resend_works() {
    let smtp = SmtpSink::start();
    let server =
        Server::start_with(Options { smtp_url: Some(smtp.url()), test_clock: true, ..Default::default() });
    let chromium = chromium().await;
    let admin = chromium.page().await;
    admin_on_product(&admin, &server, "Draft 2D").await;
    invite(&admin, "Grace Hopper <grace@example.com>").await;
    let first = invite_link(&smtp.wait_for(1).await[0]);

    server.advance_clock(7 * 24 * 3600);
    let grace = chromium.page().await;
    grace.goto(&first, None).await.unwrap();
    expect(grace.locator("[data-testid=invite-refused]"))
        .to_contain_text("This invitation expired on")
        .await
        .unwrap();
    expect(grace.locator("[data-testid=invite-refused]"))
        .to_contain_text("Ask your team admin to resend it.")
        .await
        .unwrap();

    // The admin sees the expiry and resends from the member's page.
    admin.reload(None).await.unwrap();
    expect(admin.locator("[data-testid=assigned]")).to_contain_text("Invitation expired").await.unwrap();
    admin.get_by_text("Grace Hopper", true).click(None).await.unwrap();
    hydrated(&admin).await;
    admin.get_by_text("Resend invitation", true).click(None).await.unwrap();
    expect(admin.locator(".toast")).to_contain_text("Invitation sent again").await.unwrap();

    let second = invite_link(&smtp.wait_for(2).await[1]);
    assert_ne!(first, second);
    // Same tab as before: pages are never served from cache (Cache-Control: no-store).
    grace.goto(&first, None).await.unwrap();
    expect(grace.locator("[data-testid=invite-refused]")).to_contain_text("newer invitation").await.unwrap();
    grace.goto(&second, None).await.unwrap();
    hydrated(&grace).await;
    grace.locator("#password").fill("grace-picks-one-too", None).await.unwrap();
    grace.locator("#confirm").fill("grace-picks-one-too", None).await.unwrap();
    grace.get_by_text("Accept invitation", true).click(None).await.unwrap();
    wait_for_path(&grace, "/t/").await;
    expect(grace.locator("[data-testid=my-products]")).to_contain_text("Draft 2D").await.unwrap();
    chromium.close().await;
}
