//! R-IMP1 under a crash: `tessera import` of 100,000 rows killed with SIGKILL in the middle
//! of writing leaves a consistent database with either none or all of the file imported, and
//! running the same import again completes it.
//!
//! SQLite by default; PostgreSQL when `TESSERA_TEST_ENGINE=postgres` and
//! `TESSERA_TEST_POSTGRES_URL` names a server this test may create databases on (it makes a
//! fresh `tessera_t_<uuid>` and drops it at the end).
use app::store::Db;
use serde_json::Value;
use sqlx::Row;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TEAM: &str = "Northwind Studio";
const ROWS: i64 = 100_000;
/// Products cycle through these (Flex products Northwind does not hold, so no seat limit can
/// refuse a row): 3 rows in 4 get Flex access, and SURVEY / CIRCUIT;MOTION rows name 3
/// products in all per 4 rows.
const PRODUCTS: [&str; 4] = ["SURVEY", "*", "CIRCUIT;MOTION", ""];
const FLEX_USERS: i64 = ROWS / 4 * 3;
const FLEX_PRODUCTS: i64 = ROWS / 4 * 3;
/// How long the interrupted import may take to reach the middle of its writes, and the
/// re-run to finish: generous, a loaded CI machine runs the debug binary slowly.
const PATIENCE: Duration = Duration::from_secs(240);

/// The SQLite WAL size at which the import is surely inside its write transaction and well
/// before its commit. Nothing else writes to this database while the import runs, and the
/// import's validation, preloads and planning only read; its writes go to the WAL before the
/// commit because they overflow SQLite's 2 MiB page cache. Measured (debug build, loaded
/// 2-core machine): the WAL stays empty for the first ~7 s, then grows steadily to ~120 MiB
/// over ~10 s until the commit, so 24 MiB is reached about 2 s into the writes, some 8 s
/// before the commit.
const WAL_MID_IMPORT: u64 = 24 << 20;

/// On PostgreSQL runs: the test's database and a connection to the server it was made on,
/// to watch the import's session and drop the database afterwards.
struct Postgres {
    server: String,
    admin: Db,
    db: tessera_testkit::PgDatabase,
}

struct Target {
    dir: tempfile::TempDir,
    url: String,
    /// `None` on SQLite.
    postgres: Option<Postgres>,
}

impl Target {
    /// A fresh database with the demo data (the catalogue only exists there), closed again so
    /// the import is the only process touching it.
    async fn new() -> Target {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = match tessera_testkit::engine() {
            tessera_testkit::Engine::Postgres { server } => {
                let admin = Db::connect(&server).await.expect("connect to TESSERA_TEST_POSTGRES_URL");
                let db = tessera_testkit::create_postgres_database(&server).await;
                (db.url.clone(), Some(Postgres { server, admin, db }))
            }
            tessera_testkit::Engine::Sqlite => (tessera_testkit::fresh_database(dir.path()).await, None),
        };
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        tessera::seed::seed_demo(&db, "pw-123456789", chrono::Utc::now()).await.unwrap();
        db.pool.close().await;
        Target { dir, url, postgres }
    }

    fn import(&self, file: &Path, name: &str) -> Child {
        let out = |ext: &str| std::fs::File::create(self.dir.path().join(format!("{name}.{ext}"))).unwrap();
        // Output goes to files, not pipes: an unread pipe that fills up would stall the import.
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .arg("--database-url")
            .arg(&self.url)
            .args(["import", "--team", TEAM])
            .arg(file)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(out("stdout"))
            .stderr(out("stderr"))
            .spawn()
            .expect("start tessera import")
    }

    fn output(&self, name: &str) -> (String, String) {
        let read =
            |ext: &str| std::fs::read_to_string(self.dir.path().join(format!("{name}.{ext}"))).unwrap();
        (read("stdout"), read("stderr"))
    }

    /// Waits until the running import is demonstrably writing, inside its transaction.
    async fn wait_mid_import(&self, child: &mut Child) {
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let (out, err) = self.output("interrupted");
                panic!(
                    "the import ended ({status}) after {:?}, before it was seen writing\n\
                     stdout: {out}\nstderr: {err}",
                    started.elapsed()
                );
            }
            if started.elapsed() > PATIENCE {
                let _ = child.kill();
                panic!("the import was not seen writing within {PATIENCE:?}");
            }
            if self.writing().await {
                eprintln!("import seen mid-write after {:?}", started.elapsed());
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn writing(&self) -> bool {
        match &self.postgres {
            None => {
                let wal = self.dir.path().join("tessera.db-wal");
                std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0) >= WAL_MID_IMPORT
            }
            // The import's connection has an open write transaction (a transaction id) and is
            // inserting memberships or later rows: every account is written, nothing committed.
            Some(Postgres { admin, db, .. }) => {
                let n: i64 = sqlx::query(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity WHERE datname = $1 \
                     AND backend_xid IS NOT NULL \
                     AND (query LIKE 'INSERT INTO memberships%' OR query LIKE 'INSERT INTO invitations%' \
                          OR query LIKE 'INSERT INTO flex%')",
                )
                .bind(&db.name)
                .fetch_one(&admin.pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
                n > 0
            }
        }
    }
}

/// Drops the PostgreSQL test database, also when the test failed. `Drop` cannot await, and
/// the test's runtime is busy dropping us, so this runs on a thread with a runtime of its own.
impl Drop for Target {
    fn drop(&mut self) {
        if let Some(Postgres { server, db: tessera_testkit::PgDatabase { name, .. }, .. }) = &self.postgres {
            let (server, drop_sql) = (server.clone(), format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            let dropped = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
                    let admin = Db::connect(&server).await.unwrap();
                    sqlx::raw_sql(&drop_sql).execute(&admin.pool).await.unwrap();
                    admin.pool.close().await;
                })
            })
            .join();
            if dropped.is_err() && !std::thread::panicking() {
                panic!("could not drop the test database {name}");
            }
        }
    }
}

fn csv(path: &Path) -> PathBuf {
    let mut s = String::with_capacity(ROWS as usize * 48);
    s.push_str("name,email,products,guest\n");
    for i in 0..ROWS {
        let guest = if i % 10 == 0 { "true" } else { "false" };
        s.push_str(&format!("Person {i},person{i}@crash.example,{},{guest}\n", PRODUCTS[i as usize % 4]));
    }
    std::fs::write(path, s).unwrap();
    path.to_path_buf()
}

/// What the file adds, counted from the database: everything or nothing, never a part.
#[derive(Debug, PartialEq, Eq)]
struct Census {
    team_members: i64,
    accounts: i64,
    memberships: i64,
    invitations: i64,
    flex_users: i64,
    flex_products: i64,
    imports_audited: i64,
}

const IMPORTED: &str = "a.email LIKE '%@crash.example'";

/// `sql`'s single number; `$1`, when the query has it, is the team's name.
async fn count(db: &Db, sql: &str) -> i64 {
    let q = sqlx::query(sql);
    let q = if sql.contains("$1") { q.bind(TEAM) } else { q };
    q.fetch_one(&db.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}")).try_get(0).unwrap()
}

async fn census(db: &Db) -> Census {
    let of_team = |table: &str| {
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM {table} x JOIN accounts a ON a.id = x.account_id \
             JOIN teams t ON t.id = x.team_id WHERE t.name = $1 AND {IMPORTED}"
        )
    };
    Census {
        team_members: count(
            db,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships m JOIN teams t ON t.id = m.team_id \
             WHERE t.name = $1",
        )
        .await,
        accounts: count(db, &format!("SELECT CAST(COUNT(*) AS BIGINT) FROM accounts a WHERE {IMPORTED}"))
            .await,
        memberships: count(db, &of_team("memberships")).await,
        invitations: count(db, &of_team("invitations")).await,
        flex_users: count(db, &of_team("flex_users")).await,
        flex_products: count(db, &of_team("flex_user_products")).await,
        imports_audited: count(
            db,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log l JOIN teams t ON t.id = l.team_id \
             WHERE t.name = $1 AND l.action = 'import'",
        )
        .await,
    }
}

/// Rows that point at nothing or that an import leaves incomplete, on either engine.
async fn assert_no_orphans(db: &Db) {
    for (what, sql) in [
        (
            "memberships without an account",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships m \
             WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = m.account_id)",
        ),
        (
            "invitations without a membership",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM invitations i WHERE NOT EXISTS \
             (SELECT 1 FROM memberships m WHERE m.team_id = i.team_id AND m.account_id = i.account_id)",
        ),
        (
            "Flex access without a membership",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM flex_users f WHERE NOT EXISTS \
             (SELECT 1 FROM memberships m WHERE m.team_id = f.team_id AND m.account_id = f.account_id)",
        ),
        (
            "imported accounts without a membership",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM accounts a WHERE a.email LIKE '%@crash.example' \
             AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = a.id)",
        ),
        (
            "imported memberships without an invitation",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE a.email LIKE '%@crash.example' AND NOT EXISTS \
             (SELECT 1 FROM invitations i WHERE i.team_id = m.team_id AND i.account_id = m.account_id)",
        ),
    ] {
        assert_eq!(count(db, sql).await, 0, "{what}");
    }
}

/// SQLite's own checks of the file left behind by the crash.
async fn assert_sqlite_intact(db: &Db) {
    let integrity: String =
        sqlx::query("PRAGMA integrity_check").fetch_one(&db.pool).await.unwrap().try_get(0).unwrap();
    assert_eq!(integrity, "ok");
    let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(&db.pool).await.unwrap();
    assert!(broken.is_empty(), "{} rows break a foreign key", broken.len());
}

fn report(out: &str, err: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out}\nstderr: {err}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_killed_mid_write_leaves_all_or_nothing_and_a_rerun_completes() {
    let target = Target::new().await;
    let file = csv(&target.dir.path().join("people.csv"));
    let db = Db::connect(&target.url).await.unwrap();
    let before = census(&db).await;
    assert_eq!(
        (before.accounts, before.imports_audited),
        (0, 0),
        "the demo data has none of the file's people"
    );
    let everything = Census {
        team_members: before.team_members + ROWS,
        accounts: ROWS,
        memberships: ROWS,
        invitations: ROWS,
        flex_users: FLEX_USERS,
        flex_products: FLEX_PRODUCTS,
        imports_audited: 1,
    };
    db.pool.close().await;

    let t0 = Instant::now();
    let mut child = target.import(&file, "interrupted");
    target.wait_mid_import(&mut child).await;
    child.kill().unwrap(); // SIGKILL: no destructor, no rollback, no clean close
    let status = child.wait().unwrap();
    let killed_after = t0.elapsed();
    let (out, err) = target.output("interrupted");
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL, not ended on its own ({status}); stderr: {err}");
    assert!(out.is_empty(), "a killed import printed no report: {out}");

    // Opening the database recovers it (SQLite replays or drops the WAL's uncommitted tail;
    // PostgreSQL aborts the dead client's transaction).
    let db = Db::connect(&target.url).await.unwrap();
    if target.postgres.is_none() {
        assert_sqlite_intact(&db).await;
    }
    assert_no_orphans(&db).await;
    let after_crash = census(&db).await;
    assert!(
        after_crash == before || after_crash == everything,
        "half imported after the kill:\n{after_crash:?}\nexpected either\n{before:?}\nor\n{everything:?}"
    );
    eprintln!(
        "killed after {killed_after:?}: {}",
        if after_crash == before { "nothing imported" } else { "the commit came first: all imported" }
    );
    db.pool.close().await;

    let t1 = Instant::now();
    let mut rerun = target.import(&file, "rerun");
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = rerun.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            rerun.kill().unwrap();
            panic!("the re-run did not finish within {PATIENCE:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let rerun_took = t1.elapsed();
    let (out, err) = target.output("rerun");
    assert!(status.success(), "re-run failed ({status}): {err}");
    let r = report(&out, &err);
    let n = |k: &str| r[k].as_i64().unwrap_or_else(|| panic!("{k} in {r}"));
    assert_eq!(n("rows"), ROWS);
    assert_eq!(r["errors"].as_array().map(Vec::len), Some(0), "{r}");
    assert_eq!(n("created") + n("updated") + n("unchanged"), ROWS, "{r}");
    if after_crash == before {
        assert_eq!((n("created"), n("updated"), n("unchanged")), (ROWS, 0, 0), "{r}");
    } else {
        assert_eq!(n("unchanged"), ROWS, "{r}");
    }
    eprintln!("re-run took {rerun_took:?}");

    let db = Db::connect(&target.url).await.unwrap();
    if target.postgres.is_none() {
        assert_sqlite_intact(&db).await;
    }
    assert_no_orphans(&db).await;
    assert_eq!(census(&db).await, everything);
    db.pool.close().await;
}
