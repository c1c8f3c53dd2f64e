//! The member lifecycle in Chromium (R-UM4, R-UM5, R-INV2): removing a person after a
//! confirmation that names the consequences, inviting without a product and sending
//! invitations to a selection with the emails arriving at a real SMTP server, withdrawing
//! from Pending invitations, and role and guest on the member's page. Each new dialog is
//! driven by the keyboard and checked with axe-core while open.
use playwright_rs::{expect, FilterOptions, SelectOption};
use tessera_e2e::*;

const FARID: &str = "farid.haddad5@northwind.example";

async fn open_member(page: &playwright_rs::Page, name: &str) {
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    page.get_by_text(name, true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text(name).await.unwrap();
    hydrated(page).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_removes_a_member_after_a_confirmation_that_names_the_consequences() {
    let server = Server::start();
    let chromium = chromium().await;
    // Farid runs Draft 2D on his desk: his desktop product signed him in and its check passes.
    let desktop = desktop_app(&server, "Northwind Studio", "Draft 2D desktop");
    let farid_page = chromium.page().await;
    let token =
        desktop_sign_in(&farid_page, &server, (&desktop.0, &desktop.1), FARID, DEMO_PASSWORD, None).await;
    let access = token["access_token"].as_str().unwrap_or_else(|| panic!("{token}")).to_string();
    let (status, body) = licensing_check(&server, &access, "DRAFT2D", "demo-desk").await;
    assert_eq!(status, 200, "before removal: {body}");

    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Users by product", true).click(None).await.unwrap();
    let draft = page.locator("[data-testid=offers] tr").filter(FilterOptions::default().has_text("Draft 2D"));
    // The six who use Draft 2D and Jonas, who never has (the demo's idle seat).
    expect(draft.clone()).to_contain_text("7 of").await.unwrap();

    open_member(&page, "Farid Haddad").await;
    page.locator("[data-testid=remove-member]").click(None).await.unwrap();
    let summary = page.locator("[data-testid=removal-summary]");
    expect(summary.clone()).to_contain_text("Farid Haddad loses").await.unwrap();
    expect(summary.clone()).to_contain_text("Draft 2D").await.unwrap();
    expect(summary.clone()).to_contain_text("1 seat is freed").await.unwrap();
    expect(summary).to_contain_text("their open session ends at its next check").await.unwrap();
    assert_accessible(&page, "the removal confirmation").await;
    screenshot(&page, "remove-member.png").await;
    // Keyboard only: the safe answer has focus, Tab stays inside, Escape cancels.
    expect(page.locator("[data-testid=cancel-remove]")).to_be_focused().await.unwrap();
    page.keyboard().press("Tab", None).await.unwrap();
    expect(page.locator("[data-testid=confirm-remove]")).to_be_focused().await.unwrap();
    page.keyboard().press("Tab", None).await.unwrap();
    expect(page.locator("[data-testid=cancel-remove]")).to_be_focused().await.unwrap();
    page.keyboard().press("Escape", None).await.unwrap();
    expect(page.locator("[role=alertdialog]")).to_have_count(0).await.unwrap();

    page.locator("[data-testid=remove-member]").click(None).await.unwrap();
    expect(page.locator("[data-testid=confirm-remove]")).to_be_visible().await.unwrap();
    page.keyboard().press("Tab", None).await.unwrap();
    page.keyboard().press("Enter", None).await.unwrap();
    wait_for_path(&page, &format!("/t/{}/users", team_in_url(&page))).await;
    expect(page.locator("[data-testid=members]")).not().to_contain_text("Farid Haddad").await.unwrap();
    page.get_by_text("Users by product", true).click(None).await.unwrap();
    expect(draft).to_contain_text("6 of").await.unwrap();
    // His next check is refused, with the same token his product already holds.
    let (status, body) = licensing_check(&server, &access, "DRAFT2D", "demo-desk").await;
    assert_eq!((status, body["error"].as_str()), (403, Some("not_entitled")), "after removal: {body}");
    chromium.close().await;
}

/// The team id in the page's current `/t/{team}/…` URL.
fn team_in_url(page: &playwright_rs::Page) -> String {
    page.url().split("/t/").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_invites_without_a_product_sends_again_to_a_selection_and_withdraws_one() {
    let (smtp, server) = server_with_mail();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    hydrated(&page).await;

    page.locator("[data-testid=invite-users]").click(None).await.unwrap();
    expect(page.locator("#invite-people")).to_be_focused().await.unwrap();
    page.keyboard()
        .type_text("Ada Lovelace <ada@example.com>, Grace Hopper <grace@example.com>", None)
        .await
        .unwrap();
    // Keyboard only: Tab to the role, arrow to Admin, Tab past the guest box and Cancel to
    // the send button, Enter.
    page.keyboard().press("Tab", None).await.unwrap();
    expect(page.locator("#invite-role")).to_be_focused().await.unwrap();
    page.keyboard().press("ArrowDown", None).await.unwrap();
    expect(page.locator("#invite-role")).to_have_value("admin").await.unwrap();
    assert_accessible(&page, "the Invite users dialog").await;
    screenshot(&page, "invite-users.png").await;
    for _ in 0..3 {
        page.keyboard().press("Tab", None).await.unwrap();
    }
    expect(page.locator("[data-testid=send-invites]")).to_be_focused().await.unwrap();
    page.keyboard().press("Enter", None).await.unwrap();
    expect(page.locator("[data-testid=bulk-result]")).to_contain_text("Invited 2").await.unwrap();
    let first = smtp.wait_for(2).await;
    let to: Vec<String> = first.iter().map(|m| recipient(m)).collect();
    assert!(
        to.iter().any(|t| t.contains("ada@example.com"))
            && to.iter().any(|t| t.contains("grace@example.com")),
        "{to:?}"
    );

    // Select both from the list and send their invitations again.
    page.locator("[data-testid=search]").fill("example.com", None).await.unwrap();
    expect(page.locator("[data-testid=members] tbody tr")).to_have_count(2).await.unwrap();
    page.locator("[data-testid=select-page]").check(None).await.unwrap();
    expect(page.locator("[data-testid=selected-count]")).to_have_text("2 selected").await.unwrap();
    assert_accessible(&page, "Users by user with a selection").await;
    screenshot(&page, "bulk-selection.png").await;
    page.locator("[data-testid=bulk-send]").click(None).await.unwrap();
    expect(page.locator("[data-testid=bulk-result]")).to_have_text("Sent 2 invitations.").await.unwrap();
    let all = smtp.wait_for(4).await;
    assert_eq!(all.len(), 4, "two first invitations and two sent again");

    // Pending invitations: Grace's is withdrawn; her newest link stops working.
    page.get_by_text("Pending invitations", true).first().click(None).await.unwrap();
    hydrated(&page).await;
    let rows = page.locator("[data-testid=pending-row]");
    // The demo's three (two pending, one expired) and the two new ones.
    expect(rows.clone()).to_have_count(5).await.unwrap();
    assert_accessible(&page, "Pending invitations").await;
    screenshot(&page, "pending-invitations.png").await;
    // Keyboard only: Enter on the row's Withdraw, the safe answer has focus, Tab, Enter.
    page.get_by_label("Withdraw the invitation to Grace Hopper", true).focus().await.unwrap();
    page.keyboard().press("Enter", None).await.unwrap();
    expect(page.locator("#withdraw-title"))
        .to_have_text("Withdraw the invitation to Grace Hopper?")
        .await
        .unwrap();
    expect(page.locator("[data-testid=cancel-withdraw]")).to_be_focused().await.unwrap();
    page.keyboard().press("Tab", None).await.unwrap();
    expect(page.locator("[data-testid=confirm-withdraw]")).to_be_focused().await.unwrap();
    page.keyboard().press("Enter", None).await.unwrap();
    expect(page.locator("[data-testid=pending-result]"))
        .to_have_text("Withdrew the invitation to Grace Hopper.")
        .await
        .unwrap();
    expect(rows.clone()).to_have_count(4).await.unwrap();
    expect(page.locator("[data-testid=pending]")).not().to_contain_text("Grace Hopper").await.unwrap();
    let grace_link = all
        .iter()
        .rev()
        .find(|m| recipient(m).contains("grace@example.com"))
        .map(|m| invite_link(m))
        .unwrap();
    let grace = chromium.page().await;
    grace.goto(&grace_link, None).await.unwrap();
    expect(grace.locator("[data-testid=invite-refused]")).to_be_visible().await.unwrap();
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_a_members_role_and_guest_flag_on_their_page() {
    let server = Server::start();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    open_member(&page, "Bruno Schmidt").await;
    expect(page.locator(".page-header")).not().to_contain_text("Admin").await.unwrap();
    page.locator("[data-testid=role-select]")
        .select_option(SelectOption::Value("admin".into()), None)
        .await
        .unwrap();
    page.locator("[data-testid=guest-check]").check(None).await.unwrap();
    assert_accessible(&page, "the member page").await;
    page.locator("[data-testid=save-role]").click(None).await.unwrap();
    expect(page.locator("[data-testid=role-guest] .toast")).to_have_text("Saved.").await.unwrap();
    expect(page.locator(".page-header")).to_contain_text("Admin").await.unwrap();
    expect(page.locator(".page-header")).to_contain_text("Guest").await.unwrap();
    // It holds after a reload (and renders without a round trip of its own).
    page.reload(None).await.unwrap();
    expect(page.locator(".page-header")).to_contain_text("Guest").await.unwrap();
    expect(page.locator("[data-testid=role-select]")).to_have_value("admin").await.unwrap();
    chromium.close().await;
}
