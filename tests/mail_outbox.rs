//! The email outbox end to end: written in the caller's transaction, delivered by the
//! background worker to files or to a real SMTP server (aiosmtpd, tests/support/smtp_sink.py),
//! exactly once even with two workers on one database, and retried later when SMTP fails.
use app::domain::Email;
use app::state::{Clock, SystemClock};
use app::store::outbox::{self, NewMessage};
use app::store::Db;
use chrono::{Duration as ChronoDuration, Utc};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera::mail_worker::{self, Transport};
use tokio::io::{AsyncBufReadExt, BufReader};

const FROM: &str = "Tessera <no-reply@tessera.localhost>";

async fn temp_db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match app::store::test_postgres_url() {
        Some(admin) => app::store::create_postgres_database(&admin).await.expect("PostgreSQL database"),
        None => format!("sqlite://{}/t.db", dir.path().display()),
    };
    let db = Db::connect(&url).await.expect("db");
    db.migrate().await.expect("migrate");
    (dir, db)
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Renders an invitation to `to` and enqueues it in its own committed transaction.
async fn enqueue(db: &Db, to: &str, team: &str) -> String {
    let mut tx = db.pool.begin().await.expect("begin");
    let id = enqueue_in(&mut tx, to, team).await;
    tx.commit().await.expect("commit");
    outbox::wake();
    id
}

async fn enqueue_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, to: &str, team: &str) -> String {
    let to = Email::parse(to).expect("email");
    let r = app::mail::invitation(
        team,
        "Ada Admin",
        "Bo Member",
        "https://t.example/accept/xyz",
        "2 December 2026",
    );
    let msg = NewMessage { kind: "invitation", to: &to, subject: &r.subject, text: &r.text, html: &r.html };
    outbox::enqueue(tx, &msg, Utc::now()).await.expect("enqueue")
}

/// Polls `check` until it holds; fails the test after 20 seconds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The messages in a folder, by file name, skipping temporary files.
fn eml_files(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("read eml"))
        })
        .collect()
}

fn message_id_of(eml: &str) -> Option<String> {
    eml.lines().find_map(|l| l.strip_prefix("Message-ID: ").map(|v| v.trim().to_string()))
}

/// A real SMTP server (aiosmtpd) on a free local port, storing what it receives.
struct SmtpSink {
    port: u16,
    dir: PathBuf,
    _child: tokio::process::Child,
}

impl SmtpSink {
    async fn start(dir: PathBuf) -> SmtpSink {
        // Debian's python3 carries python3-aiosmtpd; another python3 may come first in PATH.
        let python = std::env::var("TESSERA_TEST_PYTHON").unwrap_or_else(|_| {
            if Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" }.to_string()
        });
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = tokio::process::Command::new(&python)
            .arg(&script)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} {}: {e}", script.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(20), BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("SMTP sink did not start in time (is python3-aiosmtpd installed?)")
            .expect("read the SMTP sink's port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the SMTP sink: {line:?}"));
        SmtpSink { port, dir, _child: child }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn received(&self) -> BTreeMap<String, String> {
        eml_files(&self.dir)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_committed_messages_are_delivered_as_files() {
    let (dir, db) = temp_db().await;
    let out = dir.path().join("outbox");

    let mut rolled_back = db.pool.begin().await.expect("begin");
    enqueue_in(&mut rolled_back, "gone@example.com", "Rolled Back").await;
    rolled_back.rollback().await.expect("rollback");
    let mut committed = db.pool.begin().await.expect("begin");
    let id = enqueue_in(&mut committed, "bo@example.com", "Northwind").await;
    committed.commit().await.expect("commit");
    assert_eq!(db.outbox_messages().await.expect("messages").len(), 1);

    let worker = mail_worker::spawn(db.clone(), Transport::files_in(dir.path()), clock(), FROM.into());
    outbox::wake();
    eventually("the message to be marked sent", || async { db.outbox_pending_count().await.ok() == Some(0) })
        .await;

    let files = eml_files(&out);
    assert_eq!(files.len(), 1, "{:?}", files.keys());
    let (name, eml) = files.iter().next().expect("one file");
    assert!(name.ends_with(&format!("-{id}.eml")), "{name}");
    assert!(eml.contains("To: bo@example.com"), "{eml}");
    assert!(eml.contains("Northwind"));
    assert!(!eml.contains("Rolled Back"));
    let msgs = db.outbox_messages().await.expect("messages");
    assert!(msgs[0].sent_at.is_some() && msgs[0].claimed_until.is_none() && msgs[0].attempts == 0);
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eml_file_has_text_and_html_parts() {
    let (dir, db) = temp_db().await;
    let id = enqueue(&db, "bo@example.com", "Tom & Jerry <Ltd>").await;
    let worker = mail_worker::spawn(db.clone(), Transport::files_in(dir.path()), clock(), FROM.into());
    eventually("the .eml file", || async { eml_files(&dir.path().join("outbox")).len() == 1 }).await;

    let files = eml_files(&dir.path().join("outbox"));
    let eml = files.values().next().expect("one file");
    assert_eq!(message_id_of(eml).as_deref(), Some(format!("<{id}@tessera.localhost>").as_str()));
    assert!(eml.contains("From: Tessera <no-reply@tessera.localhost>"), "{eml}");
    assert!(eml.contains("Content-Type: multipart/alternative"), "{eml}");
    assert!(eml.contains("Content-Type: text/plain; charset=utf-8"), "{eml}");
    assert!(eml.contains("Content-Type: text/html; charset=utf-8"), "{eml}");
    // Stored as written, so the link can be copied straight out of the file.
    assert!(!eml.contains("quoted-printable"), "{eml}");
    assert!(eml.contains("\r\nhttps://t.example/accept/xyz\r\n"), "{eml}");
    assert!(eml.contains("the team <strong>Tom &amp; Jerry &lt;Ltd&gt;</strong>."), "{eml}");
    assert!(eml.contains("<a href=\"https://t.example/accept/xyz\" style="), "{eml}");
    // Nothing but the finished file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .expect("outbox dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_delivery_arrives_exactly_once() {
    let (dir, db) = temp_db().await;
    let sink = SmtpSink::start(dir.path().join("smtp")).await;
    let id = enqueue(&db, "bo@example.com", "Northwind").await;
    let transport = Transport::from_config(Some(&sink.url()), dir.path()).expect("transport");
    let worker = mail_worker::spawn(db.clone(), transport, clock(), FROM.into());

    eventually("the message to be marked sent", || async { db.outbox_pending_count().await.ok() == Some(0) })
        .await;
    let got = sink.received();
    assert_eq!(got.len(), 1, "{:?}", got.keys());
    let eml = got.values().next().expect("one message");
    assert_eq!(message_id_of(eml).as_deref(), Some(format!("<{id}@tessera.localhost>").as_str()));
    assert!(eml.contains("To: bo@example.com"), "{eml}");
    assert!(eml.contains("Subject: Ada Admin invited you to join Northwind"), "{eml}");
    assert!(eml.contains("multipart/alternative"), "{eml}");

    // Nothing is left to claim, so another round sends nothing more.
    let from = FROM.parse().expect("from");
    let again = Transport::smtp(&sink.url()).expect("transport");
    assert_eq!(mail_worker::deliver_due(&db, &again, &SystemClock, &from).await, 0);
    assert_eq!(sink.received().len(), 1);
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_deliver_each_message_once() {
    let (dir, db) = temp_db().await;
    let sink = SmtpSink::start(dir.path().join("smtp")).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(enqueue(&db, &format!("person{i}@example.com"), "Northwind").await);
    }
    // Both see the same 20 due messages at once and race for each of them.
    let a = mail_worker::spawn(db.clone(), Transport::smtp(&sink.url()).expect("a"), clock(), FROM.into());
    let b = mail_worker::spawn(db.clone(), Transport::smtp(&sink.url()).expect("b"), clock(), FROM.into());

    eventually("all messages to be marked sent", || async {
        db.outbox_pending_count().await.ok() == Some(0)
    })
    .await;
    let got = sink.received();
    let mut seen: Vec<String> = got.values().filter_map(|e| message_id_of(e)).collect();
    seen.sort();
    let mut want: Vec<String> = ids.iter().map(|id| format!("<{id}@tessera.localhost>")).collect();
    want.sort();
    assert_eq!(got.len(), 20, "arrivals");
    assert_eq!(seen, want);
    a.abort();
    b.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_smtp_leaves_the_message_for_a_later_retry() {
    let (dir, db) = temp_db().await;
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    enqueue(&db, "bo@example.com", "Northwind").await;
    let transport = Transport::from_config(Some(&format!("smtp://127.0.0.1:{port}")), dir.path()).expect("t");
    let worker = mail_worker::spawn(db.clone(), transport, clock(), FROM.into());

    eventually("the failed attempt to be recorded", || async {
        db.outbox_messages().await.ok().is_some_and(|m| m[0].attempts == 1)
    })
    .await;
    let m = &db.outbox_messages().await.expect("messages")[0];
    assert!(m.sent_at.is_none());
    assert!(m.claimed_until.is_none());
    assert!(m.next_attempt_at > Utc::now() + ChronoDuration::seconds(20), "{}", m.next_attempt_at);
    assert!(m.last_error.as_deref().is_some_and(|e| e.starts_with("SMTP")), "{:?}", m.last_error);
    assert_eq!(db.outbox_pending_count().await.expect("count"), 1);
    assert!(!dir.path().join("outbox").exists(), "no fallback to files");
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_expire_so_a_crashed_sender_loses_nothing() {
    let (_dir, db) = temp_db().await;
    let id = enqueue(&db, "bo@example.com", "Northwind").await;
    let now = Utc::now();
    let lease = ChronoDuration::minutes(2);

    let first = db.claim_due(now, lease, 10).await.expect("claim");
    assert_eq!(first.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    assert!(db.claim_due(now, lease, 10).await.expect("claim").is_empty(), "leased");
    // The first sender never reports back; after its lease the message is offered again.
    let later = now + ChronoDuration::minutes(3);
    assert_eq!(db.claim_due(later, lease, 10).await.expect("claim").len(), 1);

    db.mark_failed(&id, "boom", later + outbox::backoff(1)).await.expect("failed");
    assert!(db.claim_due(later, lease, 10).await.expect("claim").is_empty(), "backing off");
    let retry_at = later + outbox::backoff(1);
    let again = db.claim_due(retry_at, lease, 10).await.expect("claim");
    assert_eq!((again.len(), again[0].attempts), (1, 1));

    db.mark_sent(&id, retry_at).await.expect("sent");
    assert!(db.claim_due(retry_at + ChronoDuration::hours(1), lease, 10).await.expect("claim").is_empty());
    assert_eq!(db.outbox_pending_count().await.expect("count"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_never_overlap() {
    let (_dir, db) = temp_db().await;
    for i in 0..30 {
        enqueue(&db, &format!("p{i}@example.com"), "Northwind").await;
    }
    let now = Utc::now();
    let lease = ChronoDuration::minutes(2);
    let (a, b) = tokio::join!(db.claim_due(now, lease, 50), db.claim_due(now, lease, 50));
    let (a, b) = (a.expect("a"), b.expect("b"));
    let mut all: Vec<String> = a.into_iter().chain(b).map(|m| m.id).collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!((n, all.len()), (30, 30));
}
