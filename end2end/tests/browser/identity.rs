//! Identity in Chromium: a desktop product's sign-in (authorization code + PKCE with a
//! loopback redirect), an admin managing a Secure Service Account's keys, and single
//! sign-on through a second Tessera instance acting as the company's provider.
use playwright_rs::expect;
use serde_json::{json, Value};
use tessera_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_product_signs_a_user_in_with_pkce() {
    let server = Server::start();
    let (client_id, secret) = desktop_app(&server, "Northwind Studio", "Draft 2D desktop");
    let chromium = chromium().await;
    let page = chromium.page().await;
    let token = desktop_sign_in(
        &page,
        &server,
        (&client_id, &secret),
        DEMO_ADMIN,
        DEMO_PASSWORD,
        Some("consent.png"),
    )
    .await;
    expect(page.locator("h1")).to_have_text("Signed in. You can close this window.").await.unwrap();
    let access = token["access_token"].as_str().unwrap_or_else(|| panic!("{token}"));
    assert!(token["refresh_token"].is_string() && token["id_token"].is_string(), "{token}");
    let me: Value = reqwest::Client::new()
        .get(server.at("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], DEMO_ADMIN);
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_an_ssa_key_that_works_once_and_deletes_it() {
    let server = Server::start();
    let app = server.cli(&[
        "app",
        "create",
        "--team",
        "Northwind Studio",
        "--name",
        "Report sync",
        "--scope",
        "data:read",
    ]);
    let (client_id, secret) =
        (app["client_id"].as_str().unwrap().to_string(), app["client_secret"].as_str().unwrap().to_string());
    let chromium = chromium().await;
    let page = admin_page(&chromium, &server).await;
    page.get_by_text("Apps", true).click(None).await.unwrap();
    expect(page.locator("h1")).to_have_text("Apps").await.unwrap();
    expect(page.locator("[data-testid=app]")).to_contain_text("Report sync").await.unwrap();
    expect(page.locator("[data-testid=app]"))
        .to_contain_text("No service accounts for this app yet.")
        .await
        .unwrap();

    page.get_by_label("New service account", true).fill("Nightly export", None).await.unwrap();
    page.get_by_text("Add service account", true).click(None).await.unwrap();
    expect(page.locator("[data-testid=ssa]")).to_contain_text("Nightly export").await.unwrap();
    expect(page.locator("[data-testid=ssa]")).to_contain_text("No keys").await.unwrap();

    page.get_by_text("Create key", true).click(None).await.unwrap();
    let kid_el = page.locator("[data-testid=new-kid]");
    expect(kid_el.clone()).to_be_visible().await.unwrap();
    let kid = kid_el.text_content().await.unwrap().unwrap_or_default();
    let pem = page.locator("[data-testid=new-pem]").input_value(None).await.unwrap();
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{pem}");
    let download = page.locator("a[download]");
    assert_eq!(
        download.get_attribute("download").await.unwrap().as_deref(),
        Some(format!("{kid}.pem").as_str())
    );
    screenshot(&page, "ssa-key.png").await;
    page.get_by_text("I have saved it", true).click(None).await.unwrap();
    expect(page.locator("[data-testid=key]")).to_contain_text(kid.as_str()).await.unwrap();
    expect(page.locator("[data-testid=key]")).to_contain_text("never used").await.unwrap();
    page.locator("[data-testid=app]").scroll_into_view_if_needed().await.unwrap();
    screenshot(&page, "apps.png").await;

    // The key shown once works for the JWT-bearer exchange.
    let ssa_id =
        page.locator("[data-testid=ssa] code").first().text_content().await.unwrap().unwrap_or_default();
    let exchange = |pem: String, kid: String| {
        let (client_id, secret, url) =
            (client_id.clone(), secret.clone(), server.at("/authentication/v2/token"));
        let ssa_id = ssa_id.clone();
        async move {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            h.kid = Some(kid);
            let exp =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 300;
            let claims =
                json!({"iss": client_id, "sub": ssa_id, "aud": url, "exp": exp, "scope": ["data:read"]});
            let jwt = jsonwebtoken::encode(
                &h,
                &claims,
                &jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
            )
            .unwrap();
            let res = reqwest::Client::new()
                .post(url)
                .basic_auth(client_id, Some(secret))
                .form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", jwt.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = exchange(pem.clone(), kid.clone()).await;
    assert_eq!(status, 200, "{body}");
    page.reload(None).await.unwrap();
    hydrated(&page).await;
    expect(page.locator("[data-testid=key]")).not().to_contain_text("never used").await.unwrap();

    // Deleting asks first, then the key is refused.
    page.locator(format!("button[aria-label='Delete key {kid}']")).click(None).await.unwrap();
    expect(page.locator("#confirm-title")).to_have_text(format!("Delete key {kid}?").as_str()).await.unwrap();
    page.locator("[data-testid=confirm]").click(None).await.unwrap();
    expect(page.locator("[data-testid=ssa]")).to_contain_text("No keys").await.unwrap();
    let (status, body) = exchange(pem, kid.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error_description"],
        format!("The 'assertion' is invalid: the key {kid} has been deleted")
    );

    page.locator("[data-testid=ssa] button.danger").click(None).await.unwrap();
    page.locator("[data-testid=confirm]").click(None).await.unwrap();
    expect(page.locator("[data-testid=ssa]")).to_contain_text("Disabled").await.unwrap();
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_in_through_the_company_provider() {
    let console = Server::start();
    // The company's provider: another Tessera, reached as localhost so each keeps its cookies.
    let provider = Server::start_with(Options { public_host: Some("localhost"), ..Default::default() });
    let callback = console.at("/sso/callback");
    let app = provider.cli(&[
        "app",
        "create",
        "--team",
        "Northwind Studio",
        "--name",
        "Northwind console",
        "--redirect-uri",
        &callback,
    ]);

    let chromium = chromium().await;
    let admin = chromium.page().await;
    admin_in_northwind(&admin, &console).await;
    admin.get_by_text("Sign-in and directory", true).click(None).await.unwrap();
    expect(admin.locator("h1")).to_have_text("Sign-in and directory").await.unwrap();
    admin.locator("#sso-issuer").fill(&provider.url, None).await.unwrap();
    admin.locator("#sso-client").fill(app["client_id"].as_str().unwrap(), None).await.unwrap();
    admin.locator("#sso-secret").fill(app["client_secret"].as_str().unwrap(), None).await.unwrap();
    admin.locator("input[name=enabled]").check(None).await.unwrap();
    admin.get_by_text("Save single sign-on", true).click(None).await.unwrap();
    expect(admin.locator("[data-testid=sso-saved]")).to_be_visible().await.unwrap();

    let member = chromium.page().await;
    member.goto(&console.at("/sign-in"), None).await.unwrap();
    hydrated(&member).await;
    member.get_by_text("Sign in with single sign-on", true).click(None).await.unwrap();
    member.locator("#email").fill("bruno.schmidt1@northwind.example", None).await.unwrap();
    member.get_by_text("Continue", true).click(None).await.unwrap();
    // At the provider's own sign-in page.
    wait_for_path(&member, "/sign-in").await;
    assert!(member.url().starts_with(&provider.url), "{}", member.url());
    hydrated(&member).await;
    member.locator("#email").fill("bruno.schmidt1@northwind.example", None).await.unwrap();
    member.locator("#password").fill(DEMO_PASSWORD, None).await.unwrap();
    member.locator("button[type=submit]").click(None).await.unwrap();
    expect(member.locator("h1")).to_have_text("Allow Northwind console to use your account?").await.unwrap();
    member.get_by_text("Allow", true).click(None).await.unwrap();
    // First time through this provider: Bruno proves the Tessera account is his (R-SSO1).
    wait_for_path(&member, "/sso/link").await;
    expect(member.locator("h1")).to_have_text("Connect your Tessera account").await.unwrap();
    member.locator("#password").fill(DEMO_PASSWORD, None).await.unwrap();
    member.get_by_text("Connect and sign in", true).click(None).await.unwrap();
    wait_for_path(&member, "/t/").await;
    assert!(member.url().starts_with(&console.url), "{}", member.url());
    expect(member.locator("body")).to_contain_text("Bruno Schmidt").await.unwrap();
    chromium.close().await;
}
