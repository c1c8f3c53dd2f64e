//! `tessera import` (R-IMP1) as an admin's script runs it: the real binary on a demo database.
use app::store::Db;
use serde_json::Value;
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TEAM: &str = "Northwind Studio";
/// Rows of people the files name, not the demo's own Northwind people (some are Flex users).
const IMPORTED: &str = "account_id NOT IN (SELECT id FROM accounts WHERE email LIKE '%@northwind.example')";

struct Env {
    dir: tempfile::TempDir,
    db: Db,
    url: String,
    /// Invitations the demo data marks as emailed (the import must add none).
    demo_emailed: i64,
}

/// A temp data dir holding a migrated database with the demo data (Northwind holds DRAFT2D
/// 25 seats, MODEL3D 10 seats, a RENDER trial with 5 seats; SURVEY, CIRCUIT, MOTION, PLANT
/// are Flex products it does not hold; TERRAIN is neither held nor Flex).
async fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = tessera_testkit::fresh_database(dir.path()).await;
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    tessera::seed::seed_demo(&db, "pw-123456789", chrono::Utc::now()).await.unwrap();
    // The counts below start from no assignments: drop the demo's six Draft 2D seats.
    sqlx::query("DELETE FROM assignments").execute(&db.pool).await.unwrap();
    let demo_emailed = sqlx::query("SELECT COUNT(*) FROM invitations WHERE emailed <> 0")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    Env { dir, db, url, demo_emailed }
}

impl Env {
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn import(&self, file: &Path, flags: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .arg("--database-url")
            .arg(&self.url)
            .args(["import", "--team", TEAM])
            .arg(file)
            .args(flags)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query(sql).fetch_one(&self.db.pool).await.unwrap().try_get(0).unwrap()
    }

    async fn text(&self, sql: &str, bind: &str) -> String {
        sqlx::query(sql).bind(bind).fetch_one(&self.db.pool).await.unwrap().try_get(0).unwrap()
    }

    async fn assert_no_email(&self) {
        assert_eq!(self.count("SELECT COUNT(*) FROM outbox").await, 0, "import must send no email");
        // The demo's own invitations are marked as emailed; the import adds none.
        assert_eq!(
            self.count("SELECT COUNT(*) FROM invitations WHERE emailed <> 0").await,
            self.demo_emailed
        );
    }
}

fn report(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// Invitations made by imports (the demo data has unsent invitations of its own).
const IMPORTED_INVITATIONS: &str =
    "SELECT COUNT(*) FROM invitations i JOIN accounts a ON a.id = i.account_id \
     WHERE i.emailed = 0 AND a.email LIKE '%@import.example'";

fn counts(r: &Value) -> (u64, u64, u64, u64, usize) {
    let n = |k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{k} in {r}"));
    (n("rows"), n("created"), n("updated"), n("unchanged"), r["errors"].as_array().unwrap().len())
}

fn errors(r: &Value) -> Vec<(u64, String)> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["reason"].as_str().unwrap().to_string()))
        .collect()
}

/// 500 people; with `bad`, three of them are broken: a bad email (line 12), an unknown
/// product code (line 202) and a bad guest value (line 452).
fn people_csv(bad: bool) -> String {
    let mut s = String::from("name,email,products,guest\n");
    for i in 0..500 {
        let mut email = format!("p{i}@import.example");
        let mut products = match i % 5 {
            _ if i % 100 == 7 => "DRAFT2D;SURVEY",
            0 => "SURVEY;MOTION",
            1 => "*",
            2 => "",
            3 => "PLANT",
            _ => "circuit",
        }
        .to_string();
        let mut guest = if i % 10 == 0 { "true" } else { "false" }.to_string();
        if bad {
            match i {
                10 => email = "not-an-email".into(),
                200 => products = "NOPE".into(),
                450 => guest = "maybe".into(),
                _ => {}
            }
        }
        s.push_str(&format!("Person {i},{email},{products},{guest}\n"));
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_file_imports_nothing_fixed_file_imports_all_and_reimport_changes_nothing() {
    let env = setup().await;
    let accounts = env.count("SELECT COUNT(*) FROM accounts").await;

    let bad = env.import(&env.file("bad.csv", people_csv(true).as_bytes()), &[]);
    assert_eq!(bad.status.code(), Some(1), "{}", String::from_utf8_lossy(&bad.stderr));
    let r = report(&bad);
    assert_eq!(counts(&r), (500, 0, 0, 0, 3));
    assert_eq!(r["imported"], false);
    assert_eq!(
        errors(&r),
        [
            (12, "email address \"not-an-email\" has no @".to_string()),
            (202, "unknown product code \"NOPE\"".to_string()),
            (452, "guest must be true or false, not \"maybe\"".to_string()),
        ]
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nothing was imported"));
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, accounts, "no new accounts");
    assert_eq!(env.count("SELECT COUNT(*) FROM audit_log").await, 0);

    let good = env.file("people.csv", people_csv(false).as_bytes());
    let first = env.import(&good, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let r = report(&first);
    assert_eq!(counts(&r), (500, 500, 0, 0, 0));
    assert_eq!(r["imported"], true);
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, accounts + 500);
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE a.email LIKE '%@import.example' AND m.status = 'invited' AND m.role = 'member'"
        )
        .await,
        500
    );
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM accounts WHERE email LIKE '%@import.example' AND password_hash IS NULL"
        )
        .await,
        500
    );
    assert_eq!(env.count(IMPORTED_INVITATIONS).await, 500);
    // Guests: every 10th person.
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE a.email LIKE '%@import.example' AND m.guest = 1"
        )
        .await,
        50
    );
    // DRAFT2D (held, 25 seats) for the 5 people on i % 100 == 7: explicit assignments.
    assert_eq!(env.count("SELECT COUNT(*) FROM assignments").await, 5);
    // Flex: 400 people with Flex codes or *, plus the 5 DRAFT2D;SURVEY rows (i % 5 == 2).
    // Only the imported team's: the demo's Northwind has Flex users of its own.
    assert_eq!(env.count(&format!("SELECT COUNT(*) FROM flex_users WHERE {IMPORTED}")).await, 405);
    assert_eq!(
        env.count(&format!("SELECT COUNT(*) FROM flex_users WHERE all_products = 1 AND {IMPORTED}")).await,
        100
    );
    let circuit = env
        .text(
            "SELECT CAST(COUNT(*) AS TEXT) FROM flex_user_products f JOIN products p ON p.id = f.product_id \
             WHERE p.code = $1",
            "CIRCUIT",
        )
        .await;
    assert_eq!(circuit, "100", "code matched ignoring case");
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND target = 'people.csv: 500 rows'"
        )
        .await,
        1
    );

    let again = env.import(&good, &[]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(counts(&report(&again)), (500, 0, 0, 500, 0));
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, accounts + 500);
    assert_eq!(env.count(IMPORTED_INVITATIONS).await, 500);
    assert_eq!(env.count("SELECT COUNT(*) FROM audit_log").await, 1, "an import that changes nothing");
    env.assert_no_email().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_reports_and_writes_nothing() {
    let env = setup().await;
    let accounts = env.count("SELECT COUNT(*) FROM accounts").await;
    let mut before = std::collections::BTreeMap::new();
    for table in ["assignments", "flex_users", "flex_user_products", "audit_log"] {
        before.insert(table, env.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    // The demo data has a few (unsent) invitations of its own.
    let demo_invitations = env.count("SELECT COUNT(*) FROM invitations").await;
    let file = env.file("people.csv", people_csv(false).as_bytes());
    let out = env.import(&file, &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r = report(&out);
    assert_eq!(counts(&r), (500, 500, 0, 0, 0));
    assert_eq!(r["dry_run"], true);
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, accounts);
    assert_eq!(env.count("SELECT COUNT(*) FROM invitations").await, demo_invitations);
    for table in ["assignments", "flex_users", "flex_user_products", "audit_log"] {
        assert_eq!(env.count(&format!("SELECT COUNT(*) FROM {table}")).await, before[table], "{table}");
    }

    let bad = env.import(&env.file("bad.csv", people_csv(true).as_bytes()), &["--dry-run"]);
    assert_eq!(bad.status.code(), Some(1), "a dry run fails where the real run would");
    assert_eq!(counts(&report(&bad)), (500, 0, 0, 0, 3));
    env.assert_no_email().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn valid_rows_only_imports_the_rest_and_still_reports_errors() {
    let env = setup().await;
    let accounts = env.count("SELECT COUNT(*) FROM accounts").await;
    let out = env.import(&env.file("bad.csv", people_csv(true).as_bytes()), &["--valid-rows-only"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r = report(&out);
    assert_eq!(counts(&r), (500, 497, 0, 0, 3));
    assert_eq!(errors(&r).iter().map(|e| e.0).collect::<Vec<_>>(), [12, 202, 452]);
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, accounts + 497);
    env.assert_no_email().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bom_formula_text_and_star() {
    let env = setup().await;
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        b"email,name,products\r\nh@x.example,\"=HYPERLINK(\"\"http://x\"\")\",*\r\nplain@x.example,Plain,\r\n",
    );
    let out = env.import(&env.file("bom.csv", &bytes), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&report(&out)), (2, 2, 0, 0, 0));
    let name = env.text("SELECT name FROM accounts WHERE email = $1", "h@x.example").await;
    assert_eq!(name, "=HYPERLINK(\"http://x\")", "stored exactly as text");
    let all = env
        .text(
            "SELECT CAST(f.all_products AS TEXT) FROM flex_users f JOIN accounts a ON a.id = f.account_id \
             WHERE a.email = $1",
            "h@x.example",
        )
        .await;
    assert_eq!(all, "1", "* is Flex with all products");
    assert_eq!(env.count(&format!("SELECT COUNT(*) FROM flex_user_products WHERE {IMPORTED}")).await, 0);
    env.assert_no_email().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn seat_overflow_is_reported_on_the_row_that_exceeds() {
    let env = setup().await;
    // RENDER: a 5-seat trial. Rows 6 and 7 (lines 7 and 8) would need seats 6 and 7.
    let mut csv = String::from("email,products\n");
    for i in 0..7 {
        csv.push_str(&format!("r{i}@seats.example,RENDER\n"));
    }
    let file = env.file("render.csv", csv.as_bytes());
    let out = env.import(&file, &[]);
    assert_eq!(out.status.code(), Some(1));
    let r = report(&out);
    assert_eq!(counts(&r), (7, 0, 0, 0, 2));
    let errs = errors(&r);
    assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), [7, 8]);
    assert!(
        errs[0].1.starts_with("\"Render Studio\" has 5 seats and all of them are assigned"),
        "{}",
        errs[0].1
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM assignments").await, 0);

    let out = env.import(&file, &["--valid-rows-only"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(counts(&report(&out)), (7, 5, 0, 0, 2));
    assert_eq!(env.count("SELECT COUNT(*) FROM assignments").await, 5);
    // Existing assignments count: the full trial accepts nobody new, but re-listing is fine.
    let again = env.import(&file, &["--valid-rows-only"]);
    assert_eq!(counts(&report(&again)), (7, 0, 0, 5, 2));
    env.assert_no_email().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn existing_people_are_updated_and_unusable_codes_refused() {
    let env = setup().await;
    // bruno.schmidt1: a Northwind member (not a guest); kavya.lindqvist30: in Harbor only.
    let csv = "name,email,products,guest\n\
               Someone Else,bruno.schmidt1@northwind.example,MODEL3D;SURVEY,true\n\
               Other Name,kavya.lindqvist30@northwind.example,,false\n";
    let file = env.file("existing.csv", csv.as_bytes());
    let out = env.import(&file, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&report(&out)), (2, 1, 1, 0, 0));
    assert_eq!(
        env.text("SELECT name FROM accounts WHERE email = $1", "bruno.schmidt1@northwind.example").await,
        "Bruno Schmidt"
    );
    assert_eq!(
        env.text("SELECT name FROM accounts WHERE email = $1", "kavya.lindqvist30@northwind.example").await,
        "Kavya Lindqvist"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM memberships WHERE guest = 1 AND role = 'member' AND account_id = (SELECT id FROM accounts WHERE email = 'bruno.schmidt1@northwind.example')").await, 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM assignments").await, 1);
    let again = env.import(&file, &[]);
    assert_eq!(counts(&report(&again)), (2, 0, 0, 2, 0));

    // Without a guest column the flag is left alone; a new product is an update.
    let file = env.file("more.csv", b"email,products\nbruno.schmidt1@northwind.example,PLANT\n");
    assert_eq!(counts(&report(&env.import(&file, &[]))), (1, 0, 1, 0, 0));
    assert_eq!(env.count("SELECT COUNT(*) FROM memberships WHERE guest = 1 AND account_id = (SELECT id FROM accounts WHERE email = 'bruno.schmidt1@northwind.example')").await, 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM assignments").await, 1, "import never removes");

    let file = env.file("terrain.csv", b"email,products\nt@x.example,TERRAIN\n");
    let out = env.import(&file, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        errors(&report(&out)),
        [(
            2,
            "the team holds no subscription or trial for \"TERRAIN\" and it is not available with Flex"
                .to_string()
        )]
    );
    env.assert_no_email().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_file_is_a_user_error() {
    let env = setup().await;
    let out = env.import(&env.dir.path().join("missing.csv"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
