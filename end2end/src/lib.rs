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
