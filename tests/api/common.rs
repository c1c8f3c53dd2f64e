//! Starts the real server in-process on a free port with its own temporary database and demo
//! data, so tests run in parallel without sharing anything: a SQLite file by default, a fresh
//! PostgreSQL database when `TESSERA_TEST_ENGINE=postgres` (see `tessera_testkit`).
#![allow(dead_code)]
use app::domain::TeamId;
use app::service::state::ShiftedClock;
use app::store::Db;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tessera::ip_limits;
use tessera::startup::{self, WebConfig};
use tessera_testkit::console;
use tessera_testkit::server::Serving;

pub use tessera_testkit::personas::{ADMIN, PASSWORD};

pub struct TestApp {
    pub url: String,
    pub db: Db,
    pub clock: Arc<ShiftedClock>,
    pub dir: tempfile::TempDir,
    serving: Serving,
}

/// A new, empty database for one test: a file in `dir`, or a fresh PostgreSQL database.
pub async fn test_database_url(dir: &tempfile::TempDir) -> String {
    tessera_testkit::fresh_database(dir.path()).await
}

/// Calls the server function `func` of the server at `base` (form in, JSON out).
pub use tessera_testkit::console::call as call_at;

pub async fn spawn_app() -> TestApp {
    spawn_app_on("127.0.0.1").await
}

/// As `spawn_app`, reached by another host name: browsers and cookie jars keep cookies per
/// host, not per port, so two instances on 127.0.0.1 would share (and clobber) a session.
pub async fn spawn_app_on(host: &str) -> TestApp {
    spawn_app_with(host, ip_limits::IpLimits::default()).await
}

/// As `spawn_app_on`, with other per-IP limits than production's (tests of those limits).
pub async fn spawn_app_with(host: &str, ip_limits: ip_limits::IpLimits) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::connect(&test_database_url(&dir).await).await.expect("db");
    db.migrate().await.expect("migrate");
    tessera::seed::seed_demo(&db, PASSWORD, chrono::Utc::now()).await.expect("seed");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let cfg = WebConfig {
        addr,
        site: site().clone(),
        secure_cookies: false,
        public_url: format!("http://{host}:{}", addr.port()),
        userinfo_limit_per_minute: 500,
        ip_limits,
    };
    let clock = Arc::new(ShiftedClock::default());
    let state = startup::app_state(db.clone(), clock.clone(), &cfg);
    let serving = Serving::start(listener, startup::router(state, &cfg));
    TestApp { url: format!("http://{host}:{}", addr.port()), db, clock, dir, serving }
}

/// The built console, read once per test process (the servers here answer with pages, not
/// its files, but pages link the bundle by its hashed name).
fn site() -> &'static tessera::site::Site {
    static SITE: std::sync::OnceLock<tessera::site::Site> = std::sync::OnceLock::new();
    SITE.get_or_init(|| tessera::site::Site::from_folder(&root().join("target/site")))
}

impl TestApp {
    /// Stops serving (an outage): new connections are refused until `start_again`.
    pub async fn stop(&self) {
        self.serving.stop().await
    }

    /// Serves again on the same port, with the same database and clock.
    pub async fn start_again(&self) {
        self.serving.start_again().await
    }

    /// A client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        console::client()
    }

    pub async fn call(
        &self,
        c: &reqwest::Client,
        func: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        console::call(c, &self.url, func, form).await
    }

    pub async fn sign_in(
        &self,
        c: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> (u16, serde_json::Value) {
        console::sign_in(c, &self.url, email, password).await
    }

    /// A client signed in as `email` (with the test password); the sign-in must succeed.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        console::signed_in(&self.url, email).await
    }

    /// Makes an existing account a member of `team` (not a guest).
    pub async fn join(
        &self,
        team: &TeamId,
        account: &app::domain::UserId,
        role: app::store::teams::Role,
        status: app::store::teams::MemberStatus,
    ) {
        use app::service::state::Clock as _;
        let mut conn = self.db.pool.acquire().await.expect("connection");
        app::store::teams::add_member(
            &mut conn,
            team,
            account,
            (role, false),
            status,
            None,
            self.clock.now(),
        )
        .await
        .expect("member");
    }

    pub async fn team_id(&self, name: &str) -> TeamId {
        self.db.teams_named(name).await.expect("query").into_iter().next().expect("team exists")
    }

    /// The account id of an existing address.
    pub async fn id_of(&self, email: &str) -> app::domain::UserId {
        let email = app::domain::Email::parse(email).expect("address");
        self.db.account_by_email(&email).await.expect("query").expect("account exists").id
    }

    /// Calls a server function that takes JSON (lists), as the console does.
    pub async fn call_json(
        &self,
        c: &reqwest::Client,
        func: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        console::call_json(c, &self.url, func, &body).await
    }
}

/// An account with the test password, optionally in `team` with a role and status.
pub async fn new_account(
    app: &TestApp,
    email: &str,
    name: &str,
    team: Option<(&TeamId, app::store::teams::Role, app::store::teams::MemberStatus)>,
) -> app::domain::UserId {
    use app::service::state::Clock as _;
    let hash = app::service::passwords::hash_blocking(PASSWORD.to_string()).await.expect("hash");
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
        app::store::teams::add_member(&mut tx, team, &id, (role, false), status, None, now)
            .await
            .expect("member");
    }
    tx.commit().await.expect("commit");
    id
}

/// The repository's root (the `tessera` package's folder).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Files under `dir` whose extension is one of `extensions`, skipping build output,
/// installed packages and dotfiles. A missing `dir` has none.
pub fn files_under(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            out.extend(files_under(&path, extensions));
        } else if path.extension().is_some_and(|e| extensions.contains(&&*e.to_string_lossy())) {
            out.push(path);
        }
    }
    out
}

/// Issues access tokens for the licensing API as a product's sign-in would get them: an app
/// of a team (its secret kept for client-authenticated calls) and the server's signing keys.
pub struct Licensing {
    pub keys: Arc<app::service::keys::KeySet>,
    pub client: app::store::identity::ClientRow,
    pub secret: String,
}

impl Licensing {
    /// A new app named `name` of `team` with the `user:read` scope.
    pub async fn new(app: &TestApp, team: &TeamId, name: &str) -> Licensing {
        use app::service::state::Clock as _;
        let scopes = app::domain::oauth::Scopes::parse("user:read").expect("scope");
        let (client, secret) =
            app::service::identity::create_client(&app.db, team, name, scopes, vec![], app.clock.now())
                .await
                .expect("client");
        Licensing { keys: Arc::new(app::service::keys::KeySet::new(app.db.clone())), client, secret }
    }

    /// A three-legged access token for `account`, valid at the server's (moved) time.
    pub async fn token(&self, app: &TestApp, account: &app::domain::UserId) -> String {
        use app::service::state::Clock as _;
        app::service::identity::issue_access_token(
            &self.keys,
            &app.url,
            &self.client,
            account.as_str(),
            "user:read".into(),
            app::domain::oauth::GrantKind::User,
            app.clock.now(),
        )
        .await
        .expect("access token")
        .token
    }
}

/// Every path given to `.route(` in the server's sources (`startup.rs` and `src/api`): what
/// the access matrix and the OpenAPI document must each account for.
pub fn mounted_routes() -> std::collections::BTreeSet<String> {
    let root = root();
    let mut files = vec![root.join("src/startup.rs")];
    files.extend(files_under(&root.join("src/api"), &["rs"]));
    let mut routes = std::collections::BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for piece in text.split(".route(").skip(1) {
            let Some(rest) = piece.trim_start().strip_prefix('"') else { continue };
            routes.insert(rest.split('"').next().unwrap_or_default().to_string());
        }
    }
    routes
}
