//! R-USE1 in Chromium on the seeded usage (six weeks of Northwind use, 180 Flex tokens):
//! the summary's figures are the ledger's, the chart has a bar per day of the range, a
//! product drills down to its people and back, and both exports arrive as files.
use playwright_rs::expect;
use tessera_e2e::*;

async fn database(server: &Server) -> app::store::Db {
    app::store::Db::connect(&server.database_url).await.expect("open the server's database")
}

async fn count(db: &app::store::Db, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql).fetch_one(&db.pool).await.expect("query").try_get::<i64, _>(0).expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reads_the_summary_drills_into_a_product_and_exports() {
    let server = Server::start();
    let db = database(&server).await;
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;

    page.locator("nav.sidebar").get_by_text("Usage", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Usage").await.unwrap();
    // The ledger: 1,500 bought, 180 charged, nothing expired, 1,320 left.
    expect(page.locator("[data-testid=stat-available]")).to_contain_text("1,320").await.unwrap();
    expect(page.locator("[data-testid=stat-purchased]")).to_contain_text("1,500").await.unwrap();
    expect(page.locator("[data-testid=stat-used]")).to_contain_text("180").await.unwrap();
    expect(page.locator("[data-testid=stat-expired]")).to_contain_text("0").await.unwrap();
    // The default range is 30 days: 30 bars.
    let bars = page.locator("[data-testid=usage-chart] rect.bar");
    expect(bars.clone()).to_have_count(30).await.unwrap();
    expect(page.locator("[data-testid=forecast]")).to_contain_text("last 30 days").await.unwrap();
    screenshot(&page, "usage-summary.png").await;

    // A wider range through the preset: 90 bars, and all 180 tokens fall inside it.
    hydrated(&page).await;
    page.get_by_text("Last 90 days", true).click(None).await.unwrap();
    expect(bars.clone()).to_have_count(90).await.unwrap();
    expect(page.locator("[data-testid=stat-used-in-range]")).to_contain_text("180").await.unwrap();

    // By product → Survey Pro → its two people → back.
    page.locator("nav[aria-label='Usage views']").get_by_text("By product", true).click(None).await.unwrap();
    let products = page.locator("[data-testid=usage-products]");
    expect(products.clone()).to_contain_text("Motion Forge").await.unwrap();
    screenshot(&page, "usage-by-product.png").await;
    products.get_by_text("Survey Pro", true).click(None).await.unwrap();
    let people = page.locator("[data-testid=usage-users] tbody tr");
    expect(people.clone()).to_have_count(2).await.unwrap();
    let survey_users = db
        .person_use(
            &db.teams_named("Northwind Studio").await.unwrap()[0],
            app::domain::usage::DateRange::last(90, chrono::Utc::now().date_naive()),
            Some(&db.product_by_code("SURVEY").await.unwrap().unwrap().id),
        )
        .await
        .unwrap();
    for p in &survey_users {
        expect(page.locator("[data-testid=usage-users]")).to_contain_text(&p.name).await.unwrap();
    }
    page.get_by_text("All products", false).first().click(None).await.unwrap();
    expect(products.clone()).to_contain_text("Plant Designer").await.unwrap();

    // The export, as the browser downloads it: every usage row of the 90 days.
    page.locator("nav[aria-label='Usage views']").get_by_text("Summary", true).click(None).await.unwrap();
    let waiter = page.expect_download(None).await.unwrap();
    page.locator("[data-testid=export-csv]").click(None).await.unwrap();
    let download = waiter.wait().await.unwrap();
    assert!(download.suggested_filename().ends_with(".csv"), "{}", download.suggested_filename());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usage.csv");
    download.save_as(&file).await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["Team", "Product", "Access option", "Day used", "Tokens used", "Name", "Email"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let expected = count(&db, "SELECT COUNT(*) FROM usage_user_days").await;
    assert_eq!(rows.len() as i64, expected, "every seeded usage row is within 90 days");
    assert_eq!(rows.iter().map(|r| r[4].parse::<i64>().unwrap()).sum::<i64>(), 180);
    assert!(rows.iter().all(|r| r[6].ends_with("@northwind.example")));

    let waiter = page.expect_download(None).await.unwrap();
    page.locator("[data-testid=export-anonymous]").click(None).await.unwrap();
    let download = waiter.wait().await.unwrap();
    let file = dir.path().join("anonymous.csv");
    download.save_as(&file).await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains('@'), "no email address: {text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().next_back(), Some("User ID"));
    assert_eq!(reader.records().count() as i64, expected);
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_pages_render_without_javascript() {
    let server = Server::start();
    let db = database(&server).await;
    let north = db.teams_named("Northwind Studio").await.unwrap()[0].to_string();
    let chromium = chromium().await;
    let page = chromium.page_without_js().await;
    page.goto(&server.at("/sign-in"), None).await.unwrap();
    page.locator("#email").fill(DEMO_ADMIN, None).await.unwrap();
    page.locator("#password").fill(DEMO_PASSWORD, None).await.unwrap();
    page.locator("button[type=submit]").click(None).await.unwrap();
    wait_for_path(&page, "/t/").await;

    page.goto(&server.at(&format!("/t/{north}/usage")), None).await.unwrap();
    expect(page.locator("[data-testid=stat-available]")).to_contain_text("1,320").await.unwrap();
    expect(page.locator("[data-testid=usage-chart] rect.bar")).to_have_count(30).await.unwrap();
    // The range form works as a plain GET.
    page.locator("[data-testid=range-from]")
        .fill(&(chrono::Utc::now().date_naive() - chrono::Duration::days(6)).to_string(), None)
        .await
        .unwrap();
    page.locator("[data-testid=range-apply]").click(None).await.unwrap();
    expect(page.locator("[data-testid=usage-chart] rect.bar")).to_have_count(7).await.unwrap();

    page.goto(&server.at(&format!("/t/{north}/usage/seats")), None).await.unwrap();
    expect(page.locator("[data-testid=seat-usage]")).to_contain_text("Draft 2D").await.unwrap();
    // The licence advice reads without JavaScript too (R-ADV2), its CSV link a plain download.
    page.goto(&server.at(&format!("/t/{north}/usage/advice")), None).await.unwrap();
    expect(page.locator("[data-testid=advice-idle_seat]")).to_contain_text("Jonas Tanaka").await.unwrap();
    expect(page.locator("[data-testid=advice-csv]"))
        .to_have_attribute("href", &format!("/t/{north}/usage/advice.csv"))
        .await
        .unwrap();
    expect(page.locator("body[data-hydrated]")).to_have_count(0).await.unwrap();
    chromium.close().await;
}
