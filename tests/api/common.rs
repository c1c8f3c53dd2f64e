//! Starts the real server in-process on a free port with its own temporary database and demo
//! data, so tests run in parallel without sharing anything: a SQLite file by default, a fresh
//! PostgreSQL database when `TESSERA_TEST_ENGINE=postgres` (see `tessera_testkit`).
#![allow(dead_code)]
use app::domain::TeamId;
use app::state::ShiftedClock;
use app::store::Db;
use std::sync::Arc;
use tessera::startup::{self, WebConfig};

pub const PASSWORD: &str = "demo-password-123";
pub const ADMIN: &str = "admin@northwind.example";

pub struct TestApp {
    pub url: String,
    pub db: Db,
    pub clock: Arc<ShiftedClock>,
    pub dir: tempfile::TempDir,
    addr: std::net::SocketAddr,
    router: axum::Router,
    running: std::sync::Mutex<Option<Running>>,
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// A new, empty database for one test: a file in `dir`, or a fresh PostgreSQL database.
pub async fn test_database_url(dir: &tempfile::TempDir) -> String {
    tessera_testkit::fresh_database(dir.path()).await
}

/// Calls the server function `func` of the server at `base` (form in, JSON out).
pub async fn call_at(
    c: &reqwest::Client,
    base: &str,
    func: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let res = c
        .post(format!("{base}/api/{func}"))
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

fn serve(listener: tokio::net::TcpListener, router: axum::Router) -> Running {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Peer addresses, as `tessera serve` gives them: the per-IP limits key on them.
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Running { stop, task }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on("127.0.0.1").await
}

/// As `spawn_app`, reached by another host name: browsers and cookie jars keep cookies per
/// host, not per port, so two instances on 127.0.0.1 would share (and clobber) a session.
pub async fn spawn_app_on(host: &str) -> TestApp {
    spawn_app_with(host, startup::IpLimits::default()).await
}

/// As `spawn_app_on`, with other per-IP limits than production's (tests of those limits).
pub async fn spawn_app_with(host: &str, ip_limits: startup::IpLimits) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::connect(&test_database_url(&dir).await).await.expect("db");
    db.migrate().await.expect("migrate");
    tessera::seed::seed_demo(&db, PASSWORD, chrono::Utc::now()).await.expect("seed");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let cfg = WebConfig {
        addr,
        site_root: "target/site".into(),
        secure_cookies: false,
        public_url: format!("http://{host}:{}", addr.port()),
        userinfo_limit_per_minute: 500,
        ip_limits,
    };
    let clock = Arc::new(ShiftedClock::default());
    let state = startup::app_state(db.clone(), clock.clone(), &cfg);
    let router = startup::router(state, &cfg);
    let running = serve(listener, router.clone());
    TestApp {
        url: format!("http://{host}:{}", addr.port()),
        db,
        clock,
        dir,
        addr,
        router,
        running: std::sync::Mutex::new(Some(running)),
    }
}

impl TestApp {
    /// Stops serving (an outage): new connections are refused until `start_again`.
    pub async fn stop(&self) {
        let running = self.running.lock().expect("lock").take();
        if let Some(r) = running {
            let _ = r.stop.send(());
            let _ = r.task.await;
        }
    }

    /// Serves again on the same port, with the same database and clock.
    pub async fn start_again(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.expect("rebind the same port");
        let running = serve(listener, self.router.clone());
        *self.running.lock().expect("lock") = Some(running);
    }

    /// A client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    pub async fn call(
        &self,
        c: &reqwest::Client,
        func: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        call_at(c, &self.url, func, form).await
    }

    pub async fn sign_in(
        &self,
        c: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> (u16, serde_json::Value) {
        self.call(c, "sign_in", &[("email", email), ("password", password)]).await
    }

    pub async fn team_id(&self, name: &str) -> TeamId {
        self.db.teams_named(name).await.expect("query").into_iter().next().expect("team exists")
    }
}

/// An account with the test password, optionally in `team` with a role and status.
pub async fn new_account(
    app: &TestApp,
    email: &str,
    name: &str,
    team: Option<(&TeamId, app::store::teams::Role, app::store::teams::MemberStatus)>,
) -> app::domain::UserId {
    use app::state::Clock as _;
    let hash = app::passwords::hash_blocking(PASSWORD.to_string()).await.expect("hash");
    let now = app.clock.now();
    let mut tx = app.db.pool.begin().await.expect("begin");
    let id = app::store::accounts::create(
        &mut *tx,
        &app::domain::Email::parse(email).expect("email"),
        &app::domain::PersonName::parse(name).expect("name"),
        Some(&hash),
        now,
    )
    .await
    .expect("account");
    if let Some((team, role, status)) = team {
        app::store::teams::add_member(&mut *tx, team, &id, role, false, status, now).await.expect("member");
    }
    tx.commit().await.expect("commit");
    id
}
