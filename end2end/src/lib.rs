//! Harness for the browser tests: starts the real `tessera` binary (built by
//! `cargo leptos build`) on a free port with its own data folder, and Debian's Chromium
//! through playwright-rs.
use playwright_rs::{
    Browser, BrowserContextOptions, LaunchOptions, Page, Playwright, WaitForOptions, WaitForState,
};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub use playwright_rs;

pub const DEMO_ADMIN: &str = "admin@northwind.example";
pub const DEMO_PASSWORD: &str = "e2e-demo-password";

pub use tessera_testkit::smtp::SmtpSink;
pub use tessera_testkit::workspace_root;

pub struct Server {
    pub url: String,
    /// The server's own database: a SQLite file in `dir`, or a fresh PostgreSQL database
    /// when `TESSERA_TEST_ENGINE=postgres`.
    pub database_url: String,
    child: Child,
    pub dir: tempfile::TempDir,
}

/// A new, empty database for one server (see `tessera_testkit`).
fn new_database_url(dir: &std::path::Path) -> String {
    tessera_testkit::fresh_database_blocking(dir)
}

#[derive(Default)]
pub struct Options {
    pub smtp_url: Option<String>,
    pub test_clock: bool,
    /// Serve as http://<host>:<port> (e.g. "localhost"): browsers keep cookies per host, so a
    /// second instance on another host name keeps its own session.
    pub public_host: Option<&'static str>,
}

impl Server {
    /// Starts `tessera serve` on port 0 with demo data and returns once it listens.
    pub fn start() -> Server {
        Self::start_with(Options::default())
    }

    pub fn start_with(opts: Options) -> Server {
        let root = workspace_root();
        let bin =
            std::env::var("TESSERA_BIN").map(PathBuf::from).unwrap_or(root.join("target/debug/tessera"));
        let site = std::env::var("TESSERA_SITE_ROOT").map(PathBuf::from).unwrap_or(root.join("target/site"));
        assert!(
            site.join("pkg/tessera.wasm").exists(),
            "no built console at {}: run `cargo leptos build` first (scripts/test.sh does)",
            site.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let database_url = new_database_url(dir.path());
        let (addr, public_url) = match opts.public_host {
            // The port must be known before start to name it in the public URL.
            Some(host) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .expect("free port")
                    .local_addr()
                    .expect("addr")
                    .port();
                (format!("127.0.0.1:{port}"), Some(format!("http://{host}:{port}")))
            }
            None => ("127.0.0.1:0".to_string(), None),
        };
        let mut child = Command::new(&bin)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--database-url", &database_url])
            .args(["serve", "--addr", &addr, "--demo-password", DEMO_PASSWORD, "--site-root"])
            .arg(&site)
            .args(public_url.iter().flat_map(|u| ["--public-url".to_string(), u.clone()]))
            .args(opts.smtp_url.iter().flat_map(|u| ["--smtp-url".to_string(), u.clone()]))
            .args(opts.test_clock.then_some("--test-clock"))
            .env_remove("DATABASE_URL")
            .env_remove("SMTP_URL")
            .env("RUST_LOG", "info,tower_http=warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("Tessera is listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => {
                    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                    panic!("server exited before listening:\n{log}");
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { url, database_url, child, dir }
    }

    /// Runs a `tessera` command against this server's database and returns its JSON.
    pub fn cli(&self, args: &[&str]) -> serde_json::Value {
        let bin = std::env::var("TESSERA_BIN")
            .map(PathBuf::from)
            .unwrap_or(workspace_root().join("target/debug/tessera"));
        let out = Command::new(bin)
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(["--database-url", &self.database_url])
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .expect("run tessera");
        assert!(out.status.success(), "tessera {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// Moves the server's clock forward (needs `Options::test_clock`).
    pub fn advance_clock(&self, seconds: i64) {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let body = format!("advance_seconds={seconds}");
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            s,
            "POST /testing/clock HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        assert!(answer.starts_with("HTTP/1.1 200"), "clock not moved: {answer}");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
