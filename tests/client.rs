//! The product client (`tessera client …`) against the real server, which the tests stop
//! and start again: sign-in through the browser flow on a loopback redirect, a start
//! online, 29 and 30 days offline with the last-3-days warning, a first start during an
//! outage (temporary licence, renewed), an outage while open (24 hours, then temporary)
//! and recovery. The client's clock is moved with `--now`.
mod common;

use app::state::Clock;
use chrono::{DateTime, Duration, Utc};
use common::{spawn_app, TestApp, PASSWORD};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tokio::io::AsyncBufReadExt;

const PERSON: &str = "bruno.schmidt1@northwind.example";

struct Client {
    state: PathBuf,
    /// The server's clock, kept in step with the client's `--now` (when the server is up it
    /// sees the same days pass; access tokens expire and get refreshed on the way).
    server_clock: std::sync::Arc<app::state::ShiftedClock>,
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Client {
    /// Runs `tessera client <args>` at the client's time `now`; returns (exit code, JSON).
    async fn run(&self, now: DateTime<Utc>, args: &[&str]) -> (i32, Value) {
        let behind = now - self.server_clock.now();
        if behind > Duration::zero() {
            self.server_clock.advance(behind);
        }
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
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let json = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|_| panic!("no JSON from client {args:?}: {stdout} / {stderr}"));
        (out.status.code().unwrap_or(-1), json)
    }

    async fn start(&self, now: DateTime<Utc>) -> (i32, Value) {
        self.run(now, &["start", "--product", "MODEL3D", "--device-name", "Studio PC"]).await
    }

    async fn check(&self, now: DateTime<Utc>) -> (i32, Value) {
        self.run(now, &["check", "--product", "MODEL3D", "--device-name", "Studio PC"]).await
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

/// A person with a MODEL3D seat signs in with the client, the way they would in a browser.
async fn signed_in_client(app: &TestApp, dir: &Path) -> Client {
    let team = app.team_id("Northwind Studio").await;
    let now = chrono::Utc::now();
    let person =
        app.db.account_by_email(&app::domain::Email::parse(PERSON).unwrap()).await.unwrap().unwrap().id;
    let product = app.db.product_by_code("MODEL3D").await.unwrap().unwrap();
    let mut tx = app.db.pool.begin().await.unwrap();
    app::store::assignments::assign(&mut tx, &team, person.as_str(), &product.id, None, now).await.unwrap();
    tx.commit().await.unwrap();
    let scopes = app::domain::oauth::Scopes::parse("user:read user-profile:read").unwrap();
    let (oauth, secret) = app::identity::create_client(
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
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("the client prints the sign-in address");
        if line.starts_with("http") {
            break line;
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

#[tokio::test(flavor = "multi_thread")]
async fn offline_for_29_days_warns_and_for_30_days_stops() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let client = signed_in_client(&app, dir.path()).await;
    let t0 = app.clock.now();
    let (code, body) = client.start(t0).await;
    assert_eq!(code, 0, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["license_type"].as_str()),
        (Some("licensed"), Some("subscription"))
    );
    assert_eq!(body["days_left"], 30);
    assert_eq!(client.run(t0, &["stop", "--product", "MODEL3D"]).await.1["released"], true);

    app.stop().await;
    let (code, body) = client.start(t0 + Duration::days(26)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("offline")), "{body}");
    assert_eq!((body["days_left"].as_i64(), body["final_days"].as_bool()), (Some(4), Some(false)));
    let (_, body) = client.start(t0 + Duration::days(27) + Duration::minutes(1)).await;
    assert_eq!((body["days_left"].as_i64(), body["final_days"].as_bool()), (Some(3), Some(true)), "{body}");
    let (code, body) = client.start(t0 + Duration::days(29)).await;
    assert_eq!((code, body["status"].as_str(), body["days_left"].as_i64()), (0, Some("offline"), Some(1)));
    assert_eq!(body["final_days"], true);
    let (code, body) = client.start(t0 + Duration::days(30)).await;
    assert_eq!((code, body["status"].as_str()), (2, Some("stopped")), "{body}");

    // Back online: the next start authorizes again and the 30 days begin anew.
    app.start_again().await;
    let (code, body) = client.start(t0 + Duration::days(30)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("licensed")), "{body}");
    let (_, body) = client.run(t0 + Duration::days(30), &["status", "--product", "MODEL3D"]).await;
    assert_eq!(body["status"], "leased");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_start_during_an_outage_runs_on_renewed_four_hour_licences() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let client = signed_in_client(&app, dir.path()).await;
    let t0 = app.clock.now();
    app.stop().await;

    let (code, body) = client.start(t0).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("temporary")), "{body}");
    assert_eq!(body["until"], iso(t0 + Duration::hours(4)));
    let (_, body) = client.check(t0 + Duration::hours(3)).await;
    assert_eq!(
        (body["until"].as_str(), body["renewed"].as_bool()),
        (Some(iso(t0 + Duration::hours(4)).as_str()), Some(false))
    );
    let (code, body) = client.check(t0 + Duration::hours(4)).await;
    assert_eq!(
        (code, body["status"].as_str(), body["renewed"].as_bool()),
        (0, Some("temporary"), Some(true))
    );
    assert_eq!(body["until"], iso(t0 + Duration::hours(8)));

    // The service returns: the real licence, automatically at the next check.
    app.start_again().await;
    let (code, body) = client.check(t0 + Duration::hours(5)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("licensed")), "{body}");
    assert_eq!(body["license_type"], "subscription");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_while_open_gives_24_hours_then_temporary_licences_then_recovery() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let client = signed_in_client(&app, dir.path()).await;
    let t0 = app.clock.now();
    assert_eq!(client.start(t0).await.1["status"], "licensed");
    app.stop().await;

    let failed = t0 + Duration::hours(24);
    let (code, body) = client.check(failed).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("grace")), "{body}");
    assert_eq!(body["until"], iso(failed + Duration::hours(24)));
    assert_eq!(client.check(failed + Duration::hours(23)).await.1["status"], "grace");
    let (code, body) = client.check(failed + Duration::hours(24)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("temporary")), "{body}");
    assert_eq!(body["until"], iso(failed + Duration::hours(28)));
    let (_, body) = client.check(failed + Duration::hours(28)).await;
    assert_eq!((body["status"].as_str(), body["renewed"].as_bool()), (Some("temporary"), Some(true)));

    app.start_again().await;
    let (code, body) = client.check(failed + Duration::hours(29)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("licensed")), "{body}");
    assert_eq!(body["days_left"], 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_stops_the_product_and_says_why() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let client = signed_in_client(&app, dir.path()).await;
    let (code, body) =
        client.run(Utc::now(), &["start", "--product", "RENDER", "--device-name", "Studio PC"]).await;
    assert_eq!(
        (code, body["status"].as_str(), body["error"].as_str()),
        (2, Some("refused"), Some("not_entitled"))
    );
    // A lease edited by hand verifies no more: the product does not run on it offline.
    assert_eq!(client.start(Utc::now()).await.0, 0);
    let mut state: Value = serde_json::from_slice(&std::fs::read(&client.state).unwrap()).unwrap();
    let lease = state["products"]["MODEL3D"]["lease"].as_str().unwrap().to_string();
    let mut parts: Vec<String> = lease.split('.').map(str::to_string).collect();
    parts[2] = parts[2].chars().rev().collect();
    state["products"]["MODEL3D"]["lease"] = Value::String(parts.join("."));
    std::fs::write(&client.state, serde_json::to_vec(&state).unwrap()).unwrap();
    app.stop().await;
    let (code, body) = client.start(Utc::now()).await;
    assert_eq!((code, body["status"].as_str()), (2, Some("stopped")), "{body}");
}
