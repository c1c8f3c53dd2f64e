//! Shared by `tests/api/client.rs` and the attack suite: the product client (`tessera client …`)
//! run as a separate process against a test server, a person signed in through the real
//! browser flow, and a proxy in front of the server that can take the licensing service
//! down while the identity service keeps answering (R-LIC4 tells the two outages apart).
#![allow(dead_code)]
use crate::common::{TestApp, PASSWORD};
use app::service::state::Clock;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::AsyncBufReadExt;

pub const PERSON: &str = "bruno.schmidt1@northwind.example";

pub struct Client {
    pub state: PathBuf,
    /// The server's clock, kept in step with the client's `--now` (when the server is up it
    /// sees the same days pass; access tokens expire and get refreshed on the way).
    pub server_clock: Arc<app::service::state::ShiftedClock>,
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What `iso` keeps of an instant: the client's `--now` is given to the second.
fn to_the_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

impl Client {
    /// Runs `tessera client <args>` at the client's time `now`; returns (exit code, JSON).
    /// The server's clock holds still at that same second while the client runs, then flows
    /// on from there: a lease's end is stamped to the second, so a server a moment ahead (a
    /// second boundary crossed between the test reading the time and the server issuing)
    /// would grant "31 days".
    pub async fn run(&self, now: DateTime<Utc>, args: &[&str]) -> (i32, Value) {
        let now = to_the_second(now);
        let server_now = self.server_clock.now();
        // A server only the moments ahead that the test took since reading the time is put
        // back to the client's second; one a test deliberately moved further stays there.
        self.server_clock.hold_at(if server_now - now < Duration::seconds(5) { now } else { server_now });
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("client")
            .arg("--state")
            .arg(&self.state)
            .arg("--now")
            .arg(iso(now))
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .await
            .expect("run the client");
        self.server_clock.resume();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let json = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|_| panic!("no JSON from client {args:?}: {stdout} / {stderr}"));
        (out.status.code().unwrap_or(-1), json)
    }

    pub async fn start_product(&self, now: DateTime<Utc>, product: &str) -> (i32, Value) {
        self.run(now, &["start", "--product", product, "--device-name", "Studio PC"]).await
    }

    pub async fn start(&self, now: DateTime<Utc>) -> (i32, Value) {
        self.start_product(now, "MODEL3D").await
    }

    pub async fn check(&self, now: DateTime<Utc>) -> (i32, Value) {
        self.run(now, &["check", "--product", "MODEL3D", "--device-name", "Studio PC"]).await
    }

    /// The state file as JSON.
    pub fn state_json(&self) -> Value {
        serde_json::from_slice(&std::fs::read(&self.state).expect("read the state")).expect("state JSON")
    }

    pub fn write_state(&self, state: &Value) {
        std::fs::write(&self.state, serde_json::to_vec(state).expect("JSON")).expect("write the state");
    }

    /// What the state file holds for `product`: (lease present, temporary licence end).
    pub fn held(&self, product: &str) -> (bool, Option<String>) {
        let s = self.state_json();
        let p = &s["products"][product];
        (p["lease"].is_string(), p["held"]["temporary_until"].as_str().map(str::to_string))
    }

    /// From now on the client talks to `server` (a proxy in front of the real one).
    pub fn use_server(&self, server: &str) {
        let mut s = self.state_json();
        s["server"] = Value::String(server.to_string());
        self.write_state(&s);
    }
}

fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let unescape =
        |s: &str| s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|rest| {
            let name = rest.split("name=\"").nth(1)?.split('"').next()?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((unescape(name), unescape(value)))
        })
        .collect()
}

/// A person with a MODEL3D seat (and nothing else) signs in with the client, the way they
/// would in a browser.
pub async fn signed_in_client(app: &TestApp, dir: &Path) -> Client {
    let team = app.team_id("Northwind Studio").await;
    let now = chrono::Utc::now();
    let person =
        app.db.account_by_email(&app::domain::Email::parse(PERSON).unwrap()).await.unwrap().unwrap().id;
    let product = app.db.product_by_code("MODEL3D").await.unwrap().unwrap();
    let mut tx = app.db.pool.begin().await.unwrap();
    app::store::assignments::assign(&mut tx, &team, &person, &product.id, None, now).await.unwrap();
    tx.commit().await.unwrap();
    let scopes = app::domain::oauth::Scopes::parse("user:read user-profile:read").unwrap();
    let (oauth, secret) = app::service::identity::create_client(
        &app.db,
        &team,
        "Model 3D desktop",
        scopes,
        vec!["http://127.0.0.1/callback".into()],
        now,
    )
    .await
    .unwrap();

    let state = dir.join("client.json");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["client", "--state"])
        .arg(&state)
        .args(["sign-in", "--server", &app.url, "--client-id", &oauth.id, "--client-secret", &secret])
        .args(["--timeout", "60"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start sign-in");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    let url = loop {
        match lines.next_line().await.unwrap() {
            Some(line) if line.starts_with("http") => break line,
            Some(line) => said.push(line),
            None => {
                // Say why: what the client printed before it ended, and how it ended.
                let out = child.wait_with_output().await.unwrap();
                panic!(
                    "the client ended ({}) without printing the sign-in address; stderr: {said:?}; stdout: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout)
                );
            }
        }
    };

    // The browser: sign in on the console, allow the app, follow the redirect to loopback.
    let browser = app.client();
    assert_eq!(browser.get(&url).send().await.unwrap().status(), 303);
    let (status, body) = app.sign_in(&browser, PERSON, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let consent = browser.get(&url).send().await.unwrap().text().await.unwrap();
    let mut form = hidden_inputs(&consent);
    assert!(form.iter().any(|(k, _)| k == "csrf"), "a consent page: {consent}");
    form.push(("decision".into(), "allow".into()));
    let res =
        browser.post(format!("{}/authentication/v2/authorize", app.url)).form(&form).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let back = res.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    let page = reqwest::get(&back).await.unwrap().text().await.unwrap();
    assert!(page.contains("You are signed in"), "{page}");

    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "signed_in");
    assert_eq!(json["email"], PERSON);
    Client { state, server_clock: app.clock.clone() }
}

/// A signed-in client whose server is a proxy in front of `app`, so the test can take the
/// licensing service out of reach.
pub async fn signed_in_client_behind_proxy(app: &TestApp, dir: &Path) -> (Client, Proxy) {
    let client = signed_in_client(app, dir).await;
    let proxy = Proxy::start(&app.url).await;
    client.use_server(&proxy.url);
    (client, proxy)
}

/// A reverse proxy in front of a test server. While `licensing_down`, every
/// `/licensing/...` request answers 503 (the licensing service is out) and the rest, the
/// identity service included, is passed through. A server that is stopped answers 502.
pub struct Proxy {
    pub url: String,
    licensing_down: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let licensing_down = Arc::new(AtomicBool::new(false));
        let down = licensing_down.clone();
        let upstream = upstream.trim_end_matches('/').to_string();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("proxy client");
        let router = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let (http, upstream, down) = (http.clone(), upstream.clone(), down.clone());
            async move { forward(&http, &upstream, down.load(Ordering::SeqCst), req).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Proxy { url, licensing_down, task }
    }

    pub fn licensing_down(&self, down: bool) {
        self.licensing_down.store(down, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    http: &reqwest::Client,
    upstream: &str,
    licensing_down: bool,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let path = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    if licensing_down && path.starts_with("/licensing/") {
        return (StatusCode::SERVICE_UNAVAILABLE, "the licensing service is down").into_response();
    }
    let method = req.method().clone();
    let headers = req.headers().clone();
    let Ok(body) = axum::body::to_bytes(req.into_body(), 1 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut out = http.request(method, format!("{upstream}{path}")).body(body);
    for (name, value) in headers.iter().filter(|(n, _)| *n != axum::http::header::HOST) {
        out = out.header(name, value);
    }
    let Ok(res) = out.send().await else {
        return (StatusCode::BAD_GATEWAY, "the server cannot be reached").into_response();
    };
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.bytes().await.unwrap_or_default();
    let mut answer = (status, body).into_response();
    use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
    // Hop-by-hop and framing headers belong to each connection, not to the message.
    let hop = |n: &axum::http::HeaderName| [CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION].contains(n);
    for (name, value) in headers.iter().filter(|(n, _)| !hop(n)) {
        answer.headers_mut().append(name, value.clone());
    }
    answer
}
