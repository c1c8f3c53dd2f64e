//! R-IMP1 in Chromium: a 500-row file with 3 bad rows shows exactly those errors and
//! imports nothing; the fixed file imports; no email reaches the SMTP server.
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
    // The mail worker polls every second; give it a few rounds to prove it sends nothing.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert!(smtp.messages().is_empty(), "an import must not send email");
    chromium.close().await;
}
