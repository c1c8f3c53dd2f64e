//! Harness for the browser tests: Debian's Chromium through playwright-rs, and the steps
//! every browser test shares. The server they drive is the real `tessera` binary, started by
//! `tessera_testkit::server::Server` on a free port with its own data folder.
use playwright_rs::{
    Browser, BrowserContextOptions, LaunchOptions, Page, Playwright, WaitForOptions, WaitForState,
};

pub use playwright_rs;

pub use tessera_testkit::personas::{ADMIN as DEMO_ADMIN, PASSWORD as DEMO_PASSWORD};
pub use tessera_testkit::server::{Options, Server};

pub use tessera_testkit::smtp::SmtpSink;
pub use tessera_testkit::workspace_root;

pub struct Chromium {
    pub pw: Playwright,
    pub browser: Browser,
}

/// Debian's Chromium, headless, with the flags this machine's closed network needs.
/// Playwright gives every launch a fresh profile directory.
pub async fn chromium() -> Chromium {
    let pw = Playwright::launch().await.expect("start the Playwright driver (npm install in end2end/)");
    let exe = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    .map(String::from)
    .to_vec();
    let opts = LaunchOptions::new().executable_path(exe).headless(true).args(args).chromium_sandbox(false);
    let browser = pw.chromium().launch_with_options(opts).await.expect("launch Chromium");
    Chromium { pw, browser }
}

impl Chromium {
    pub async fn page(&self) -> Page {
        let ctx = self.browser.new_context().await.expect("context");
        ctx.set_default_timeout(15_000.0).await;
        // Uncaught errors (a wasm panic ends in one) are kept where `hydrated` can see them:
        // a page whose hydration crashed still shows its server-rendered HTML.
        ctx.add_init_script(
            "window.__pageErrors = [];
             addEventListener('error', e => window.__pageErrors.push(String(e.message || e.error || e)));
             addEventListener('unhandledrejection', e => window.__pageErrors.push(String(e.reason)));",
        )
        .await
        .expect("error recorder");
        let page = ctx.new_page().await.expect("page");
        // Browser-side errors and warnings land in the test's output, shown when it fails.
        page.on_console(|m| async move {
            if matches!(m.type_(), "error" | "warning") {
                eprintln!("[browser {}] {}", m.type_(), m.text());
            }
            Ok(())
        })
        .await
        .expect("console handler");
        page.on_pageerror(|e| async move {
            eprintln!("[browser page error] {e}");
            Ok(())
        })
        .await
        .expect("page error handler");
        page
    }

    pub async fn page_without_js(&self) -> Page {
        let ctx = self
            .browser
            .new_context_with_options(BrowserContextOptions::builder().javascript_enabled(false).build())
            .await
            .expect("context");
        ctx.set_default_timeout(15_000.0).await;
        ctx.new_page().await.expect("page")
    }

    pub async fn close(self) {
        let _ = self.browser.close().await;
        let _ = self.pw.shutdown().await;
    }
}

/// Waits until the wasm bundle has hydrated the page (the App sets this attribute in an
/// Effect, which only runs in the browser).
pub async fn hydrated(page: &Page) {
    let opts = WaitForOptions::builder().state(WaitForState::Attached).timeout(20_000.0).build();
    page.locator("body[data-hydrated=true]").wait_for(opts).await.expect("page hydrated");
    let errors: Vec<String> =
        page.evaluate("() => window.__pageErrors || []", None::<&()>).await.expect("read page errors");
    assert!(errors.is_empty(), "{}: the page threw while hydrating: {errors:?}", page.url());
}

/// Waits until the page URL path starts with `prefix`.
pub async fn wait_for_path(page: &Page, prefix: &str) {
    let js = format!("() => location.pathname.startsWith({prefix:?})");
    page.wait_for_function(&js, None)
        .await
        .unwrap_or_else(|e| panic!("path never started with {prefix}: {e}; at {}", page.url()));
}

/// The first `/invite/...` link in a message, with quoted-printable soft breaks undone.
pub fn invite_link(message: &str) -> String {
    let unfolded = message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let start = unfolded.find("http://").and_then(|i| unfolded[i..].find("/invite/").map(|j| (i, i + j)));
    let (begin, at) = start.unwrap_or_else(|| panic!("no invitation link in:\n{message}"));
    let token: String = unfolded[at + 8..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("{}/invite/{token}", &unfolded[begin..at])
}

/// The message's To: header value.
pub fn recipient(message: &str) -> String {
    message.lines().find_map(|l| l.strip_prefix("To: ")).unwrap_or_default().trim().to_string()
}

/// With `TESSERA_SCREENSHOTS` set, saves the page under docs/screenshots/ for the README.
pub async fn screenshot(page: &Page, name: &str) {
    if std::env::var("TESSERA_SCREENSHOTS").is_ok() {
        let dir = workspace_root().join("docs/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        page.screenshot_to_file(&dir.join(name), None).await.expect("screenshot");
    }
}

/// Signs in as the demo admin and switches to Northwind Studio (the team most tests use).
/// A new page of `chromium`, signed in as the demo admin, in Northwind Studio.
pub async fn admin_page(chromium: &Chromium, server: &Server) -> Page {
    let page = chromium.page().await;
    admin_in_northwind(&page, server).await;
    page
}

/// A server that sends its mail to a new SMTP sink (the sink first: it must outlive it).
pub fn server_with_mail() -> (SmtpSink, Server) {
    let smtp = SmtpSink::start();
    let server =
        Server::start_with(Options { smtp_url: Some(smtp.url()), test_clock: false, ..Default::default() });
    (smtp, server)
}

pub async fn admin_in_northwind(page: &Page, server: &Server) {
    use playwright_rs::{expect, SelectOption};
    page.goto(&server.at("/sign-in"), None).await.expect("open sign-in");
    hydrated(page).await;
    page.locator("#email").fill(DEMO_ADMIN, None).await.expect("email");
    page.locator("#password").fill(DEMO_PASSWORD, None).await.expect("password");
    page.locator("button[type=submit]").click(None).await.expect("submit");
    wait_for_path(page, "/t/").await;
    page.locator("[data-testid=team-switcher]")
        .select_option(SelectOption::Label("Northwind Studio".into()), None)
        .await
        .expect("switch team");
    expect(page.locator("[data-testid=current-team]"))
        .to_have_text("Northwind Studio")
        .await
        .expect("team shown");
}

/// One accessibility rule a page breaks, as axe-core reports it.
#[derive(Debug, serde::Deserialize)]
pub struct AxeViolation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    /// The first few offending elements, each with axe's summary of what to fix.
    pub nodes: Vec<String>,
}

/// axe-core's source (end2end/node_modules, installed by the set-up script), read once.
fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = workspace_root().join("end2end/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh --browser)", path.display()))
    })
}

/// Runs axe-core in the page as it is now (dialogs open included) against WCAG 2.1 A and
/// AA, and fails the test with every violation named. The script is evaluated through the
/// DevTools protocol, which the console's Content-Security-Policy does not govern, so the
/// page is checked exactly as it is served.
pub async fn assert_accessible(page: &Page, what: &str) {
    let loaded: bool =
        page.evaluate("() => typeof window.axe === 'object'", None::<&()>).await.expect("probe axe");
    if !loaded {
        page.evaluate_expression(axe_source()).await.expect("load axe-core");
    }
    let script = "async () => {
        const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '')) }));
    }";
    let violations: Vec<AxeViolation> = page.evaluate(script, None::<&()>).await.expect("run axe-core");
    assert!(
        violations.is_empty(),
        "{what} ({}): {} WCAG 2.1 A/AA violation(s):\n{violations:#?}",
        page.url(),
        violations.len()
    );
}

/// A desktop product's loopback listener (RFC 8252): answers every request with a page
/// that says the sign-in is done. The port it listens on.
pub fn loopback_listener() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = "<h1>Signed in. You can close this window.</h1>";
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let verifier = URL_SAFE_NO_PAD.encode([42u8; 40]);
    (verifier.clone(), URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())))
}

/// A desktop product registered in `team` by the command line: (client id, secret).
pub fn desktop_app(server: &Server, team: &str, name: &str) -> (String, String) {
    let app = server.cli(&[
        "app",
        "create",
        "--team",
        team,
        "--name",
        name,
        "--scope",
        "data:read",
        "--redirect-uri",
        "http://127.0.0.1/callback",
    ]);
    let id = app["client_id"].as_str().expect("client_id").to_string();
    (id, app["client_secret"].as_str().expect("client_secret").to_string())
}

/// What a desktop product does to sign a person in: the authorization code flow with PKCE
/// and a loopback redirect in `page` (signed in there first, consent given), then the code
/// exchanged for tokens. The token response.
pub async fn desktop_sign_in(
    page: &Page,
    server: &Server,
    (client_id, secret): (&str, &str),
    email: &str,
    password: &str,
    consent_screenshot: Option<&str>,
) -> serde_json::Value {
    use playwright_rs::expect;
    let port = loopback_listener();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (verifier, challenge) = pkce();
    let authorize = format!(
        "{}?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20data:read&state=s-1&code_challenge={challenge}&code_challenge_method=S256",
        server.at("/authentication/v2/authorize"),
        redirect.replace(':', "%3A").replace('/', "%2F"),
    );
    page.goto(&authorize, None).await.expect("authorize");
    // Not signed in yet: the console's own sign-in page, then back to the request.
    wait_for_path(page, "/sign-in").await;
    hydrated(page).await;
    page.locator("#email").fill(email, None).await.expect("email");
    page.locator("#password").fill(password, None).await.expect("password");
    page.locator("button[type=submit]").click(None).await.expect("submit");
    expect(page.locator("h1")).to_contain_text("to use your account?").await.expect("consent asked");
    expect(page.locator(".consent-scopes")).to_contain_text("Read your data").await.expect("consent");
    if let Some(name) = consent_screenshot {
        screenshot(page, name).await;
    }
    page.get_by_text("Allow", true).click(None).await.expect("allow");
    expect(page.locator("h1")).to_have_text("Signed in. You can close this window.").await.expect("back");
    let back = page.url();
    assert!(back.starts_with(&redirect), "{back}");
    assert!(back.ends_with("&state=s-1"), "{back}");
    let code = back.split("code=").nth(1).and_then(|c| c.split('&').next()).expect("code").to_string();
    reqwest::Client::new()
        .post(server.at("/authentication/v2/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token response")
}

/// The licensing check a desktop product makes before it runs (R-LIC1): status and body.
pub async fn licensing_check(
    server: &Server,
    access: &str,
    product: &str,
    device: &str,
) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(server.at("/licensing/v1/authorize"))
        .bearer_auth(access)
        .json(&serde_json::json!({ "product": product, "device_id": device, "device_name": format!("{device} machine") }))
        .send()
        .await
        .expect("licensing check");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}
