//! R-ACC1 in Chromium: the person's own account page, and a forgotten password reset through
//! the link that arrives at a real SMTP server, which ends the person's other sessions.
use playwright_rs::expect;
use tessera_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_edits_their_profile_and_resets_a_forgotten_password_by_email() {
    let (smtp, server) = server_with_mail();
    let chromium = chromium().await;
    // Signed in elsewhere first: this session must end with the reset.
    let elsewhere = admin_page(&chromium, &server).await;

    elsewhere.locator("[data-testid=account-menu]").click(None).await.unwrap();
    elsewhere.locator("[data-testid=my-account]").click(None).await.unwrap();
    wait_for_path(&elsewhere, "/account").await;
    hydrated(&elsewhere).await;
    elsewhere.locator("#profile-job_title").fill("Head of design", None).await.unwrap();
    elsewhere.locator("#profile-phone_number").fill("call me maybe", None).await.unwrap();
    elsewhere.locator("[data-testid=save-profile]").click(None).await.unwrap();
    expect(elsewhere.locator("[data-testid=profile-result]"))
        .to_contain_text("A phone number has 4 to 20 digits")
        .await
        .unwrap();
    elsewhere.locator("#profile-phone_number").fill("+49 30 1234567", None).await.unwrap();
    elsewhere.locator("[data-testid=save-profile]").click(None).await.unwrap();
    expect(elsewhere.locator("[data-testid=profile-result]")).to_contain_text("Saved.").await.unwrap();
    elsewhere.reload(None).await.unwrap();
    expect(elsewhere.locator("#profile-job_title")).to_have_value("Head of design").await.unwrap();
    screenshot(&elsewhere, "account.png").await;

    // Another browser: forgot the password.
    let page = chromium.page().await;
    page.goto(&server.at("/sign-in"), None).await.unwrap();
    hydrated(&page).await;
    page.locator("[data-testid=forgot-password]").click(None).await.unwrap();
    wait_for_path(&page, "/forgot-password").await;
    hydrated(&page).await;
    page.locator("#reset-email").fill(DEMO_ADMIN, None).await.unwrap();
    page.locator("[data-testid=request-reset]").click(None).await.unwrap();
    expect(page.locator("[data-testid=reset-requested]")).to_be_visible().await.unwrap();
    let mail = smtp.wait_for(1).await.remove(0);
    assert!(recipient(&mail).contains(DEMO_ADMIN), "{mail}");
    let unfolded = mail.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let at = unfolded.find("/reset/").expect("a reset link");
    let start = unfolded[..at].rfind("http").expect("absolute link");
    let token: String = unfolded[at + 7..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let link = format!("{}/reset/{token}", &unfolded[start..at]);

    page.goto(&link, None).await.unwrap();
    hydrated(&page).await;
    expect(page.locator(".lede")).to_contain_text(DEMO_ADMIN).await.unwrap();
    page.locator("#reset-password").fill("a-new-password-42", None).await.unwrap();
    page.locator("#reset-confirm").fill("a-new-password-42", None).await.unwrap();
    page.locator("[data-testid=set-password]").click(None).await.unwrap();
    wait_for_path(&page, "/t/").await;

    // The session signed in before the reset is over: its next page asks to sign in.
    elsewhere.goto(&server.at("/account"), None).await.unwrap();
    expect(elsewhere.locator("main")).to_contain_text("Please sign in").await.unwrap();
    // The link worked once.
    let again = chromium.page().await;
    again.goto(&link, None).await.unwrap();
    expect(again.locator("[data-testid=reset-refused]")).to_contain_text("already been used").await.unwrap();
    chromium.close().await;
}
