//! R-IMP1 in Chromium: a 500-row file with 3 bad rows shows exactly those errors and
//! imports nothing; the fixed file imports; no email reaches the SMTP server; the file
//! Export CSV downloads imports back changing nothing.
use playwright_rs::expect;
use playwright_rs::protocol::FilePayload;
use tessera_e2e::*;

fn people_csv(bad: bool) -> Vec<u8> {
    let mut s = String::from("name,email,products,guest\n");
    for i in 0..500 {
        let line = match (bad, i) {
            (true, 99) => format!("Bad Email {i},person{i}.example.com,DRAFT2D,false\n"),
            (true, 249) => format!("Bad Code {i},person{i}@example.com,NOPE,false\n"),
            (true, 399) => format!("Bad Guest {i},person{i}@example.com,*,perhaps\n"),
            _ => format!(
                "Person {i},person{i}@example.com,{},false\n",
                if i % 2 == 0 { "*" } else { "MOTION" }
            ),
        };
        s.push_str(&line);
    }
    s.into_bytes()
}

async fn choose(page: &playwright_rs::Page, bytes: Vec<u8>) {
    let file = FilePayload::new("people.csv", "text/csv", bytes);
    page.locator("[data-testid=csv-file]").set_input_files_payload(file, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_bad_rows_imports_nothing_and_the_fixed_file_imports_without_email() {
    let (smtp, server) = server_with_mail();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    page.get_by_text("Import users", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Import users").await.unwrap();
    hydrated(&page).await;

    choose(&page, people_csv(true)).await;
    expect(page.locator("[data-testid=import-errors-summary]"))
        .to_contain_text("3 of 500 rows have errors")
        .await
        .unwrap();
    let rows = page.locator("[data-testid=import-errors] tbody tr");
    expect(rows.clone()).to_have_count(3).await.unwrap();
    // Header is line 1, so the 100th record is on line 101.
    expect(rows.nth(0)).to_contain_text("101").await.unwrap();
    expect(rows.nth(0)).to_contain_text("has no @").await.unwrap();
    expect(rows.nth(1)).to_contain_text("251").await.unwrap();
    expect(rows.nth(1)).to_contain_text("NOPE").await.unwrap();
    expect(rows.nth(2)).to_contain_text("401").await.unwrap();
    expect(page.locator("[data-testid=start-import]")).to_have_count(0).await.unwrap();
    screenshot(&page, "import-preview.png").await;

    // Nothing was imported by the preview.
    page.goto(&format!("{}?q=example.com", page.url().replace("/import", "")), None).await.unwrap();
    expect(page.locator(".empty-state")).to_contain_text("No member matches").await.unwrap();

    page.go_back(None).await.unwrap();
    hydrated(&page).await;
    choose(&page, people_csv(false)).await;
    expect(page.locator("[data-testid=import-preview]"))
        .to_contain_text("500 rows are ready: 500 new")
        .await
        .unwrap();
    page.locator("[data-testid=start-import]").click(None).await.unwrap();
    expect(page.locator("[data-testid=import-result]"))
        .to_have_text("Imported 500 rows: 500 created, 0 updated, 0 unchanged. No email was sent.")
        .await
        .unwrap();

    page.goto(&format!("{}?q=example.com", page.url().replace("/import", "")), None).await.unwrap();
    expect(page.locator("[data-testid=row-count]")).to_have_text("1–50 of 500").await.unwrap();

    // Nothing was mailed: the admin now sends one imported person their invitation, and
    // that is the first and only message to arrive (the outbox delivers in order, so any
    // mail the import had queued would have come first).
    page.goto(&format!("{}?q=person0@example.com", page.url().split('?').next().unwrap_or_default()), None)
        .await
        .unwrap();
    hydrated(&page).await;
    expect(page.locator("[data-testid=members] tbody tr")).to_have_count(1).await.unwrap();
    page.locator("[data-testid=select-page]").check(None).await.unwrap();
    page.locator("[data-testid=bulk-send]").click(None).await.unwrap();
    expect(page.locator("[data-testid=bulk-result]")).to_have_text("Sent 1 invitation.").await.unwrap();
    let first = smtp.wait_for(1).await;
    assert!(
        recipient(&first[0]).contains("person0@example.com"),
        "an import must not send email: {}",
        first[0]
    );
    assert_eq!(smtp.messages().len(), 1, "an import must not send email");
    chromium.close().await;
}

/// R-IMP1's idempotence as an admin meets it: the file Export CSV downloads, imported
/// again, changes nothing and mails nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_people_file_imports_back_changing_nothing() {
    let (smtp, server) = server_with_mail();
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Users by user", true).click(None).await.unwrap();
    hydrated(&page).await;
    let total = page.locator("[data-testid=row-count]").text_content().await.unwrap().unwrap_or_default();
    let download = page.expect_download(None).await.unwrap();
    page.locator("[data-testid=export-people]").click(None).await.unwrap();
    let download = download.wait().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(download.suggested_filename());
    download.save_as(&path).await.unwrap();
    let exported = std::fs::read(&path).unwrap();
    let lines = String::from_utf8_lossy(&exported).lines().count() - 1;
    assert!(total.ends_with(&format!("of {lines}")), "one row per person: {total} vs {lines} rows");

    page.get_by_text("Import users", true).click(None).await.unwrap();
    hydrated(&page).await;
    choose(&page, exported).await;
    expect(page.locator("[data-testid=import-preview]"))
        .to_contain_text(&format!("{lines} rows are ready: 0 new, 0 updated, {lines} unchanged."))
        .await
        .unwrap();
    page.locator("[data-testid=start-import]").click(None).await.unwrap();
    expect(page.locator("[data-testid=import-result]"))
        .to_have_text(&format!(
            "Imported {lines} rows: 0 created, 0 updated, {lines} unchanged. No email was sent."
        ))
        .await
        .unwrap();
    assert!(smtp.messages().is_empty(), "an import must not send email");
    chromium.close().await;
}
