//! Two `tessera serve` processes on one database, as behind a load balancer: a session made
//! on one is good on the other, the 500/min /userinfo limit counts calls to both, each
//! outbox message is sent by exactly one of them, and a signing key one makes after a
//! rotation verifies on the other. Runs on SQLite (one file) and, in the PostgreSQL half of
//! the suite, on one PostgreSQL database.
use crate::common;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

const DEMO_PASSWORD: &str = "scale-out-password";

struct Instance {
    /// Where this instance listens (the load balancer's view of it).
    url: String,
    data: tempfile::TempDir,
    _child: tokio::process::Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port()
}

/// Starts `tessera serve` on `port`, with the shared public URL, and returns once it listens.
async fn start(database_url: &str, port: u16, public_url: &str) -> Instance {
    let data = tempfile::tempdir().expect("data dir");
    let log = std::fs::File::create(data.path().join("server.log")).expect("log");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["--database-url", database_url, "serve", "--test-clock", "--demo-password", DEMO_PASSWORD])
        .args(["--addr", &format!("127.0.0.1:{port}"), "--public-url", public_url, "--site-root"])
        .arg(data.path().join("no-site"))
        .env_remove("SMTP_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start tessera");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let deadline = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.starts_with("Tessera is listening on ") {
                return true;
            }
        }
        false
    });
    let listening = deadline.await.unwrap_or(false);
    let log = std::fs::read_to_string(data.path().join("server.log")).unwrap_or_default();
    assert!(listening, "instance on port {port} did not start:\n{log}");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Instance { url: format!("http://127.0.0.1:{port}"), data, _child: child }
}

/// Two instances on one new database; the first applies migrations and seeds the demo.
async fn pair() -> (Instance, Instance, app::store::Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = common::test_database_url(&dir).await;
    let (pa, pb) = (free_port(), free_port());
    let public = format!("http://127.0.0.1:{pa}");
    let a = start(&url, pa, &public).await;
    let b = start(&url, pb, &public).await;
    let db = app::store::Db::connect(&url).await.expect("db");
    (a, b, db, dir)
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_made_on_one_instance_holds_on_the_other() {
    let (a, b, _db, _dir) = pair().await;
    // One cookie jar: the jar keys cookies by host, not port, as a browser behind one
    // address would send them to whichever instance answers.
    let c = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let (status, body) =
        common::call_at(&c, &a.url, "sign_in", &[("email", common::ADMIN), ("password", DEMO_PASSWORD)])
            .await;
    assert_eq!(status, 200, "{body}");
    let (_, me) = common::call_at(&c, &b.url, "whoami", &[]).await;
    assert_eq!(me["email"], common::ADMIN, "{me}");

    let (status, _) = common::call_at(&c, &b.url, "sign_out", &[]).await;
    assert_eq!(status, 200);
    let (_, me) = common::call_at(&c, &a.url, "whoami", &[]).await;
    assert_eq!(me, Value::Null, "signed out on B means signed out on A");
}

struct Ssa {
    client_id: String,
    client_secret: String,
    ssa_id: String,
    kid: String,
    pem: String,
}

async fn make_ssa(db: &app::store::Db) -> Ssa {
    let team = db.teams_named("Northwind Studio").await.expect("query").into_iter().next().expect("team");
    let now = chrono::Utc::now();
    let scopes = app::domain::oauth::Scopes::parse("data:read").expect("scopes");
    let (client, secret) =
        app::service::identity::create_client(db, &team, "Report sync", scopes, vec![], now)
            .await
            .expect("client");
    let ssa = app::service::identity::create_ssa(db, &client, "Nightly export", now).await.expect("ssa");
    let (kid, pem) = app::service::identity::create_ssa_key(db, &ssa, now).await.expect("key");
    Ssa { client_id: client.id, client_secret: secret, ssa_id: ssa.id, kid, pem }
}

impl Ssa {
    /// An assertion for the shared public URL, valid for five minutes from `now_s`.
    fn assertion(&self, public: &str, now_s: i64) -> String {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(self.kid.clone());
        let claims = json!({
            "iss": self.client_id, "sub": self.ssa_id,
            "aud": format!("{public}/authentication/v2/token"),
            "exp": now_s + 300, "scope": ["data:read"],
        });
        jsonwebtoken::encode(&h, &claims, &EncodingKey::from_rsa_pem(self.pem.as_bytes()).expect("pem"))
            .expect("sign")
    }

    async fn exchange(&self, base: &str, public: &str, now_s: i64) -> String {
        let res = reqwest::Client::new()
            .post(format!("{base}/authentication/v2/token"))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &self.assertion(public, now_s)),
            ])
            .send()
            .await
            .expect("token call");
        let status = res.status();
        let body: Value = res.json().await.expect("json");
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().expect("access token").to_string()
    }
}

async fn userinfo(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .expect("userinfo")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_userinfo_limit_counts_calls_to_both_instances() {
    let (a, b, db, _dir) = pair().await;
    let ssa = make_ssa(&db).await;
    let token = ssa.exchange(&a.url, &a.url, chrono::Utc::now().timestamp()).await;

    // 520 calls, 8 at a time, alternating between the instances: exactly 500 answered.
    let mut tasks = tokio::task::JoinSet::new();
    let urls = [a.url.clone(), b.url.clone()];
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..8 {
        let (urls, token, next) = (urls.clone(), token.clone(), next.clone());
        tasks.spawn(async move {
            let mut seen = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= 520 {
                    return seen;
                }
                seen.push(userinfo(&urls[i % 2], &token).await);
            }
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        statuses.extend(done.expect("task"));
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((ok, limited), (500, 20), "{statuses:?}");
    assert_eq!(userinfo(&b.url, &token).await, 429);
    assert_eq!(userinfo(&a.url, &token).await, 429);
}

fn eml_message_ids(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("outbox")) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|eml| {
            eml.lines().find_map(|l| l.strip_prefix("Message-ID: ").map(|v| v.trim().to_string()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_outbox_message_is_sent_by_exactly_one_instance() {
    let (a, b, db, _dir) = pair().await;
    let before = db.outbox_messages().await.expect("outbox").len();
    // Both workers were idle: these arrive as another instance's commits would, seen only
    // by each worker's own polling.
    let mut tx = db.pool.begin().await.expect("begin");
    for i in 0..40 {
        let to = app::domain::Email::parse(&format!("guest{i}@example.org")).expect("email");
        let r = app::service::mail::invitation(
            "Northwind Studio",
            "Ada Admin",
            "Bo",
            "https://t.example/a",
            "2 Dec",
        );
        let msg = app::store::outbox::NewMessage {
            kind: "invitation",
            to: &to,
            subject: &r.subject,
            text: &r.text,
            html: &r.html,
        };
        app::store::outbox::enqueue(&mut tx, &msg, chrono::Utc::now()).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let total = before + 40;
    eventually("every message sent", || async {
        db.outbox_messages().await.expect("outbox").iter().filter(|m| m.sent_at.is_some()).count() == total
    })
    .await;
    let (from_a, from_b) = (eml_message_ids(a.data.path()), eml_message_ids(b.data.path()));
    let all: Vec<&String> = from_a.iter().chain(&from_b).collect();
    let distinct: BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), total, "one file per message: A sent {}, B sent {}", from_a.len(), from_b.len());
    assert_eq!(distinct.len(), total, "no message sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_made_by_one_instance_after_rotation_verifies_on_the_other() {
    let (a, b, db, _dir) = pair().await;
    let ssa = make_ssa(&db).await;
    let now = chrono::Utc::now().timestamp();
    let first = ssa.exchange(&a.url, &a.url, now).await;
    assert_eq!(userinfo(&b.url, &first).await, 200);

    // 31 days on, for both instances: A rotates to a new key when it next signs.
    let later = now + 31 * 86_400;
    for base in [&a.url, &b.url] {
        let res = reqwest::Client::new()
            .post(format!("{base}/testing/clock"))
            .form(&[("advance_seconds", (31 * 86_400).to_string())])
            .send()
            .await
            .expect("clock");
        assert_eq!(res.status(), 200);
    }
    let second = ssa.exchange(&a.url, &a.url, later).await;
    let kid = |t: &str| jsonwebtoken::decode_header(t).expect("header").kid.expect("kid");
    assert_ne!(kid(&first), kid(&second), "a new key signs after 30 days");
    assert_eq!(userinfo(&b.url, &second).await, 200, "B verifies A's new key");
    let jwks: Value = reqwest::get(format!("{}/authentication/v2/keys", b.url))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let published: Vec<&str> =
        jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str()).collect();
    assert!(published.contains(&kid(&second).as_str()), "B publishes A's new key: {published:?}");
    assert!(published.contains(&kid(&first).as_str()), "and still the old one");

    // B signs with a current key too (its own or A's), and A verifies it.
    let third = ssa.exchange(&b.url, &a.url, later).await;
    assert_ne!(kid(&third), kid(&first));
    assert_eq!(userinfo(&a.url, &third).await, 200);
}
