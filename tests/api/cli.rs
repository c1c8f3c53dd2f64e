//! The `tessera` command line as scripts use it (docs/CONTRACT.md).
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The database of a data dir: its SQLite file, or on PostgreSQL runs a fresh database made
/// for the dir on first use (its URL kept in the dir).
fn database_url(dir: &std::path::Path) -> String {
    if !tessera_testkit::engine().is_postgres() {
        return tessera_testkit::fresh_database_blocking(dir);
    }
    let file = dir.join("database_url");
    if let Ok(url) = std::fs::read_to_string(&file) {
        return url;
    }
    let url = tessera_testkit::fresh_database_blocking(dir);
    std::fs::write(&file, &url).unwrap();
    url
}

fn tessera(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(database_url(dir))
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tessera");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn team_and_admin_create_print_json() {
    let dir = tempfile::tempdir().unwrap();
    let team = tessera(dir.path(), &["team", "create", "--name", "Acme Design"], None);
    assert!(team.status.success(), "{}", String::from_utf8_lossy(&team.stderr));
    let team = json(&team);
    assert_eq!(team["name"], "Acme Design");
    let id = team["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);

    let admin = tessera(
        dir.path(),
        &[
            "admin",
            "create",
            "--team",
            id,
            "--email",
            "Grace@Acme.example",
            "--name",
            "Grace Hopper",
            "--password-stdin",
        ],
        Some("a long secret password\n"),
    );
    assert!(admin.status.success(), "{}", String::from_utf8_lossy(&admin.stderr));
    let grace = json(&admin)["user_id"].as_str().unwrap().to_string();
    assert_eq!(grace.len(), 36);
    if !tessera_testkit::engine().is_postgres() {
        assert!(dir.path().join("tessera.db").exists());
    }

    // A second team; Grace's existing account is made its admin too (added, not created),
    // then once more (already its admin: the role is set again, and that is recorded too).
    let other = json(&tessera(dir.path(), &["team", "create", "--name", "Acme Print"], None));
    let other = other["id"].as_str().unwrap();
    for _ in 0..2 {
        let again = tessera(
            dir.path(),
            &[
                "admin",
                "create",
                "--team",
                other,
                "--email",
                "grace@acme.example",
                "--name",
                "G",
                "--password-stdin",
            ],
            Some("another long password\n"),
        );
        assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
        assert_eq!(json(&again)["user_id"], grace.as_str(), "the same account");
    }

    // Each team's audit log has the changes, oldest first, under the support operator.
    let parse = |s: Option<&str>| s.map(|s| serde_json::from_str::<serde_json::Value>(s).unwrap());
    // A new team's first admin is its primary admin (R-UM5), and stays so when made admin again.
    let admin = serde_json::json!({"role": "primary_admin", "status": "active"});
    let created = serde_json::json!({"role": "primary_admin", "status": "active", "account_created": true});
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = app::store::Db::connect(&database_url(dir.path())).await.unwrap();
        for (team, expected) in [
            (id, vec![(None, created.clone())]),
            (other, vec![(None, admin.clone()), (Some(admin.clone()), admin.clone())]),
        ] {
            let team = app::domain::TeamId::parse(team).unwrap();
            let (rows, total) = db.audit_entries(&team, None, 0, 10).await.unwrap();
            assert_eq!(total as usize, expected.len(), "{rows:?}");
            for (e, (before, after)) in rows.iter().rev().zip(expected) {
                assert_eq!(
                    (e.actor.as_str(), e.action.as_str(), e.target.as_str()),
                    ("support (command line)", "role", "Grace Hopper <grace@acme.example>"),
                );
                assert_eq!(
                    (parse(e.before.as_deref()), parse(e.after.as_deref())),
                    (before, Some(after)),
                    "{e:?}"
                );
            }
            let (_, roles) = db.audit_entries(&team, Some("role"), 0, 10).await.unwrap();
            assert_eq!(roles, total, "the audit log's Roles filter finds them");
        }
    });
}

#[test]
fn bad_input_is_a_user_error_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let create =
        |email| ["admin", "create", "--team", "Nope", "--email", email, "--name", "G", "--password-stdin"];
    let out = tessera(dir.path(), &create("grace.example"), Some("a long secret password\n"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--email: email address \"grace.example\" has no @"), "{err}");
    assert!(out.stdout.is_empty());

    let short = tessera(dir.path(), &create("g@acme.example"), Some("short\n"));
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("password must be at least 10 characters"));

    let no_team = tessera(dir.path(), &create("g@acme.example"), Some("a long secret password\n"));
    assert_eq!(no_team.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_team.stderr).contains("no team with id or name \"Nope\""));
}

#[test]
fn bad_usage_exits_2_and_help_explains() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(dir.path(), &["team", "create"], None);
    assert_eq!(out.status.code(), Some(2));
    let help = tessera(dir.path(), &["--help"], None);
    let text = String::from_utf8_lossy(&help.stdout);
    for cmd in ["serve", "migrate", "team", "admin"] {
        assert!(text.contains(cmd), "help lists {cmd}: {text}");
    }
}

#[test]
fn migrate_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    assert!(tessera(dir.path(), &["migrate"], None).status.success());
    assert!(tessera(dir.path(), &["migrate"], None).status.success());
}

#[test]
fn support_switches_guest_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let team = json(&tessera(dir.path(), &["team", "create", "--name", "Acme"], None));
    let id = team["id"].as_str().unwrap();
    let on = tessera(dir.path(), &["support", "guest-defaults", "--team", id, "on"], None);
    assert!(on.status.success(), "{}", String::from_utf8_lossy(&on.stderr));
    assert_eq!(json(&on), serde_json::json!({"team": id, "guest_defaults": true}));
    let off = tessera(dir.path(), &["support", "guest-defaults", "--team", "Acme", "off"], None);
    assert_eq!(json(&off)["guest_defaults"], false);
    let bad = tessera(dir.path(), &["support", "guest-defaults", "--team", id, "maybe"], None);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn app_ssa_and_key_create_print_the_contract_json() {
    let dir = tempfile::tempdir().unwrap();
    let team = json(&tessera(dir.path(), &["team", "create", "--name", "Acme Design"], None));
    let team = team["id"].as_str().unwrap();
    let bad = tessera(
        dir.path(),
        &["app", "create", "--team", team, "--name", "Sync", "--scope", "data:delete"],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scope \"data:delete\""));
    let bad = tessera(
        dir.path(),
        &["app", "create", "--team", team, "--name", "Sync", "--redirect-uri", "http://app.example/cb"],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("loopback"));

    let created = tessera(
        dir.path(),
        &[
            "app",
            "create",
            "--team",
            team,
            "--name",
            "Sync",
            "--scope",
            "data:read",
            "--redirect-uri",
            "http://127.0.0.1/cb",
        ],
        None,
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let app = json(&created);
    let client_id = app["client_id"].as_str().unwrap();
    assert_eq!(client_id.len(), 32);
    assert!(app["client_secret"].as_str().unwrap().len() >= 32);

    let ssa = json(&tessera(
        dir.path(),
        &["ssa", "create", "--client", client_id, "--name", "Nightly export"],
        None,
    ));
    let ssa_id = ssa["ssa_id"].as_str().unwrap();
    assert_eq!(ssa_id.len(), 16);
    assert!(ssa["email"].as_str().unwrap().contains('@'));

    let key = json(&tessera(dir.path(), &["ssa", "key", "create", "--ssa", ssa_id], None));
    assert_eq!(key["kid"].as_str().unwrap().len(), 36);
    assert!(key["private_key_pem"].as_str().unwrap().starts_with("-----BEGIN RSA PRIVATE KEY-----"));

    let missing = tessera(dir.path(), &["ssa", "key", "create", "--ssa", "NOPE"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no service account"));

    // Each creation, and only those that happened, is in the team's audit log under the
    // support operator, as the console records an admin's.
    let kid = key["kid"].as_str().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = app::store::Db::connect(&database_url(dir.path())).await.unwrap();
        let team = app::domain::TeamId::parse(team).unwrap();
        let (rows, _) = db.audit_entries(&team, None, 0, 10).await.unwrap();
        let rows: Vec<_> = rows
            .iter()
            .rev()
            .map(|e| {
                (e.actor.as_str(), e.action.as_str(), e.target.clone(), e.after.clone().unwrap_or_default())
            })
            .collect();
        let support = "support (command line)";
        assert_eq!(
            rows,
            [
                (support, "app", format!("App Sync ({client_id})"), r#"{"created":true}"#.to_string()),
                (
                    support,
                    "ssa",
                    format!("Service account Nightly export ({ssa_id})"),
                    r#"{"created":true}"#.to_string()
                ),
                (
                    support,
                    "ssa",
                    format!("Key {kid} of Nightly export"),
                    format!(r#"{{"key_created":"{kid}"}}"#)
                ),
            ]
        );
    });
}

#[test]
fn tokens_add_and_move_follow_the_contract_and_the_balances() {
    let dir = tempfile::tempdir().unwrap();
    let a = json(&tessera(dir.path(), &["team", "create", "--name", "Studio A"], None));
    let b = json(&tessera(dir.path(), &["team", "create", "--name", "Studio B"], None));
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    let zero = tessera(dir.path(), &["tokens", "add", "--team", a, "--amount", "0"], None);
    assert_eq!(zero.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("at least 1 token"));
    let added = json(&tessera(
        dir.path(),
        &["tokens", "add", "--team", "Studio A", "--amount", "100", "--purchased-at", "2026-03-01T09:30:00Z"],
        None,
    ));
    assert_eq!(added["expires_at"], "2027-03-01T09:30:00.000Z", "exactly one year later");

    // The purchase moved is one bought now, so the test does not depend on today's date.
    let fresh = json(&tessera(dir.path(), &["tokens", "add", "--team", a, "--amount", "100"], None));
    let purchase = fresh["purchase_id"].as_str().unwrap();
    let moved = json(&tessera(dir.path(), &["tokens", "move", "--purchase", purchase, "--to-team", b], None));
    assert_eq!(moved, serde_json::json!({"purchase_id": purchase, "team": b}));
    let again =
        tessera(dir.path(), &["tokens", "move", "--purchase", purchase, "--to-team", "Studio B"], None);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already belongs to that team"));
    let unknown = tessera(dir.path(), &["tokens", "move", "--purchase", "nope", "--to-team", b], None);
    assert_eq!(unknown.status.code(), Some(1));
    // Expired tokens stay where they lapsed.
    let old = json(&tessera(
        dir.path(),
        &["tokens", "add", "--team", a, "--amount", "40", "--purchased-at", "2020-01-01T00:00:00Z"],
        None,
    ));
    let old = old["purchase_id"].as_str().unwrap();
    let expired = tessera(dir.path(), &["tokens", "move", "--purchase", old, "--to-team", b], None);
    assert_eq!(expired.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&expired.stderr).contains("expired"), "{expired:?}");

    // Each purchase added, and only those, is in A's audit log under the support operator.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = app::store::Db::connect(&database_url(dir.path())).await.unwrap();
        let team = app::domain::TeamId::parse(a).unwrap();
        let (rows, total) = db.audit_entries(&team, Some("add_tokens"), 0, 10).await.unwrap();
        assert_eq!(total, 3, "{rows:?}");
        assert!(rows.iter().all(|e| e.actor == "support (command line)"), "{rows:?}");
        let first =
            rows.iter().find(|e| e.target == "100 tokens bought 2026-03-01").expect("the 2026 purchase");
        let after: serde_json::Value = serde_json::from_str(first.after.as_deref().unwrap()).unwrap();
        assert_eq!(after["purchase"], added["purchase_id"]);
        assert_eq!((after["tokens"].as_i64(), after["expires_on"].as_str()), (Some(100), Some("2027-03-01")));
        assert!(rows.iter().any(|e| e.target == "40 tokens bought 2020-01-01"), "{rows:?}");
        let (_, in_b) = db
            .audit_entries(&app::domain::TeamId::parse(b).unwrap(), Some("add_tokens"), 0, 10)
            .await
            .unwrap();
        assert_eq!(in_b, 0, "B bought nothing");
    });

    // The ledger: B now holds the 100 tokens, A none of them; both moves are entries, and
    // both teams' audit logs name the support operator.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = app::store::Db::connect(&database_url(dir.path())).await.unwrap();
        let now = chrono::Utc::now();
        let team = |id: &str| app::domain::TeamId::parse(id).unwrap();
        assert_eq!(app::domain::tokens::available(&db.purchases(&team(b)).await.unwrap(), now), 100);
        assert_eq!(db.purchases(&team(a)).await.unwrap().len(), 2, "the 2026 and the expired purchase");
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM token_ledger WHERE purchase_id = $1 ORDER BY kind")
                .bind(purchase)
                .fetch_all(&db.pool)
                .await
                .unwrap();
        assert_eq!(kinds, ["move_in", "move_out", "purchase"]);
        for (t, arrow) in [(a, "→ Studio B"), (b, "← Studio A")] {
            let (rows, total) = db.audit_entries(&team(t), Some("move_tokens"), 0, 10).await.unwrap();
            assert_eq!(total, 1, "{rows:?}");
            assert_eq!(rows[0].actor, "support (command line)");
            assert!(rows[0].target.starts_with("100 tokens of the Flex purchase of "), "{}", rows[0].target);
            assert!(rows[0].target.ends_with(arrow), "{}", rows[0].target);
        }
    });
}

/// Runs `tessera <args> --help` with the secrets in the environment, as a shell that exports
/// them would; returns the help text.
fn help_with_secrets(args: &[&str], secrets: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.args(args).arg("--help");
    for (k, v) in secrets {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run tessera --help");
    assert!(out.status.success(), "{args:?} --help: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The subcommand names listed under "Commands:" in a help text (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn help_never_prints_the_values_of_secret_variables() {
    let db_password = "db-pass-7f3a9c";
    let client_secret = "client-secret-41d8e2";
    let smtp_password = "smtp-pass-93b1aa";
    let demo_password = "demo-pass-5c2e70";
    let secrets = [
        ("DATABASE_URL", format!("postgres://tessera:{db_password}@db.example/tessera")),
        ("TESSERA_CLIENT_SECRET", client_secret.to_string()),
        ("SMTP_URL", format!("smtps://mailer:{smtp_password}@smtp.example")),
        ("TESSERA_DEMO_PASSWORD", demo_password.to_string()),
    ];
    let secrets: Vec<(&str, &str)> = secrets.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // Every command and subcommand, walked from the top-level help.
    let mut pending: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help_with_secrets(&args, &secrets);
        seen += 1;
        for value in [db_password, client_secret, smtp_password, demo_password] {
            assert!(!text.contains(value), "`tessera {} --help` prints a secret:\n{text}", args.join(" "));
        }
        for sub in subcommands(&text) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
    }
    // The walk reached the commands that take the secrets.
    assert!(seen > 10, "only {seen} help texts were read");
    let sign_in = help_with_secrets(&["client", "sign-in"], &secrets);
    assert!(sign_in.contains("TESSERA_CLIENT_SECRET"), "the variable is still named: {sign_in}");
    let top = help_with_secrets(&[], &secrets);
    assert!(top.contains("DATABASE_URL"), "the variable is still named: {top}");
}

fn fails_with(out: &Output, message: &str) {
    assert_eq!(out.status.code(), Some(1), "stdout: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(message), "expected {message:?} in: {err}");
    assert!(out.stdout.is_empty());
}

/// R-VND1 on the command line: a vendor with an empty installation adds products, sells a
/// team seats and a trial, changes and ends them, and retires a product; every refusal
/// names what to fix and changes nothing.
#[test]
fn the_vendor_sets_up_products_and_subscriptions_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| tessera(dir.path(), args, None);
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        json(&out)
    };
    let team = ok(&["team", "create", "--name", "Acme Design"]);
    let team = team["id"].as_str().unwrap().to_string();
    ok(&["team", "create", "--name", "Borealis"]);
    let teams = ok(&["team", "list"]);
    assert_eq!(
        teams,
        serde_json::json!([{"id": team, "name": "Acme Design"}, {"id": teams[1]["id"], "name": "Borealis"}])
    );

    let cad = ok(&["product", "add", "--code", "cad-pro", "--name", "CAD  Pro", "--flex-rate", "7"]);
    assert_eq!(cad["code"], "CAD-PRO");
    assert_eq!(cad["id"].as_str().unwrap().len(), 36);
    ok(&["product", "add", "--code", "VIEWER", "--name", "Viewer"]);
    fails_with(&run(&["product", "add", "--code", "CAD-PRO", "--name", "Again"]), "already");
    fails_with(&run(&["product", "add", "--code", "CAD PRO", "--name", "X"]), "--code: ");
    fails_with(
        &run(&["product", "add", "--code", "ZERO", "--name", "X", "--flex-rate", "0"]),
        "--flex-rate: must be 1",
    );
    // R-ADV2: a seat's price in tokens per year, for the licence advice.
    assert_eq!(
        ok(&["product", "set", "--code", "cad-pro", "--seat-tokens", "1200"]),
        serde_json::json!({"code": "CAD-PRO", "seat_tokens": 1200})
    );
    fails_with(
        &run(&["product", "set", "--code", "CAD-PRO", "--seat-tokens", "0"]),
        "--seat-tokens: must be 1",
    );
    fails_with(
        &run(&["product", "set", "--code", "NOPE", "--seat-tokens", "5"]),
        "The product NOPE was not found",
    );
    assert_eq!(
        ok(&["product", "list"]),
        serde_json::json!([
            {"code": "CAD-PRO", "name": "CAD Pro", "flex_rate": 7, "retired": false, "seat_tokens": 1200},
            {"code": "VIEWER", "name": "Viewer", "flex_rate": null, "retired": false, "seat_tokens": null},
        ])
    );

    let sub = ok(&[
        "subscription",
        "add",
        "--team",
        "Acme Design",
        "--product",
        "cad-pro",
        "--seats",
        "2",
        "--starts",
        "2026-01-01",
        "--ends",
        "2099-12-31",
    ]);
    let id = sub["id"].as_str().unwrap().to_string();
    assert_eq!(
        sub,
        serde_json::json!({
            "id": id, "team": team, "product": "CAD-PRO", "seats": 2,
            "starts_at": "2026-01-01T00:00:00.000Z", "ends_at": "2099-12-31T00:00:00.000Z", "trial": false,
        })
    );
    fails_with(
        &run(&[
            "subscription",
            "add",
            "--team",
            &team,
            "--product",
            "CAD-PRO",
            "--seats",
            "5",
            "--ends",
            "2100-06-01",
        ]),
        "The team already holds CAD Pro from 2026-01-01 to 2099-12-31",
    );
    fails_with(
        &run(&[
            "subscription",
            "add",
            "--team",
            &team,
            "--product",
            "NOPE",
            "--seats",
            "1",
            "--ends",
            "2099-01-01",
        ]),
        "The product NOPE was not found",
    );
    fails_with(
        &run(&[
            "subscription",
            "add",
            "--team",
            &team,
            "--product",
            "VIEWER",
            "--seats",
            "0",
            "--ends",
            "2099-01-01",
        ]),
        "--seats: must be 1",
    );
    fails_with(
        &run(&[
            "subscription",
            "add",
            "--team",
            &team,
            "--product",
            "VIEWER",
            "--seats",
            "1",
            "--ends",
            "soon",
        ]),
        "--ends: \"soon\" is neither a date",
    );
    fails_with(
        &run(&[
            "subscription",
            "add",
            "--team",
            &team,
            "--product",
            "VIEWER",
            "--seats",
            "1",
            "--starts",
            "2030-01-01",
            "--ends",
            "2029-01-01",
        ]),
        "is not after the start",
    );
    let trial = ok(&[
        "subscription",
        "add",
        "--team",
        &team,
        "--product",
        "VIEWER",
        "--seats",
        "3",
        "--ends",
        "2099-01-01",
        "--trial",
    ]);
    assert_eq!((trial["trial"].as_bool(), trial["seats"].as_i64()), (Some(true), Some(3)));

    // Two people take both CAD Pro seats (through the import, as a vendor's customer would).
    let csv = dir.path().join("people.csv");
    std::fs::write(
        &csv,
        "name,email,products\nAda Lovelace,ada@acme.example,CAD-PRO\nAlan Turing,alan@acme.example,CAD-PRO\n",
    )
    .unwrap();
    ok(&["import", "--team", &team, csv.to_str().unwrap()]);
    fails_with(
        &run(&["subscription", "change", "--id", &id, "--seats", "1"]),
        "2 people are assigned to CAD Pro, so it cannot have 1 seats. Unassign 1 first.",
    );
    let changed = ok(&["subscription", "change", "--id", &id, "--seats", "25", "--ends", "2100-01-01"]);
    assert_eq!(
        (changed["seats"].as_i64(), changed["ends_at"].as_str()),
        (Some(25), Some("2100-01-01T00:00:00.000Z"))
    );
    fails_with(&run(&["subscription", "change", "--id", &id]), "give --seats, --ends or both");
    fails_with(
        &run(&["subscription", "change", "--id", "nope", "--seats", "3"]),
        "The subscription nope was not found",
    );
    let list = ok(&["subscription", "list", "--team", "Acme Design"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0], changed);
    assert_eq!(ok(&["subscription", "list", "--team", "Borealis"]), serde_json::json!([]));

    assert_eq!(
        ok(&["product", "retire", "--code", "cad-pro"]),
        serde_json::json!({"code": "CAD-PRO", "retired": true})
    );
    assert_eq!(
        ok(&["product", "retire", "--code", "CAD-PRO"]),
        serde_json::json!({"code": "CAD-PRO", "retired": true})
    );
    fails_with(&run(&["product", "retire", "--code", "GONE"]), "The product GONE was not found");
    assert_eq!(ok(&["product", "list"])[0]["retired"], true);
    fails_with(
        &run(&[
            "subscription",
            "add",
            "--team",
            "Borealis",
            "--product",
            "CAD-PRO",
            "--seats",
            "1",
            "--ends",
            "2099-01-01",
        ]),
        "CAD Pro is retired",
    );
    // Its subscription runs on: seats and people are untouched.
    assert_eq!(ok(&["subscription", "list", "--team", &team])[0]["seats"], 25);

    // Each change is in the team's audit log under the support operator.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = app::store::Db::connect(&database_url(dir.path())).await.unwrap();
        let rows = sqlx::query("SELECT action, actor_label FROM audit_log WHERE team_id = $1 AND action LIKE 'subscription%' ORDER BY at, id")
            .bind(&team)
            .fetch_all(&db.pool)
            .await
            .unwrap();
        use sqlx::Row;
        let seen: Vec<(String, String)> =
            rows.iter().map(|r| (r.get("action"), r.get("actor_label"))).collect();
        let support = "support (command line)".to_string();
        assert_eq!(
            seen,
            vec![
                ("subscription_add".into(), support.clone()),
                ("subscription_add".into(), support.clone()),
                ("subscription_change".into(), support),
            ]
        );
    });
}

/// R-OPS1: `tessera backup` while another process keeps writing gives a database that
/// passes `integrity_check` and holds every row committed before it started.
#[test]
fn backup_copies_the_database_while_it_is_written() {
    if tessera_testkit::engine().is_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let out = tessera(dir.path(), &["backup", "--to", dir.path().join("b.db").to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let team = json(&tessera(dir.path(), &["team", "create", "--name", "Acme"], None));
    let team = app::domain::TeamId::parse(team["id"].as_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(app::store::Db::connect(&database_url(dir.path()))).unwrap();
    let add = |db: &app::store::Db, n: i64| {
        let (db, team) = (db.clone(), team.clone());
        async move {
            let mut tx = db.pool.begin().await.unwrap();
            app::store::tokens::add_purchase(&mut tx, &team, n, chrono::Utc::now()).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    rt.block_on(async {
        for n in 1..=200 {
            add(&db, n).await;
        }
    });
    // A writer keeps committing while the backup runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, stop, team) = (db.clone(), stop.clone(), team.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            let mut written: i64 = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                rt.block_on(async {
                    let mut tx = db.pool.begin().await.unwrap();
                    app::store::tokens::add_purchase(&mut tx, &team, 1000 + written, chrono::Utc::now())
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                });
                written += 1;
            }
            written
        })
    };
    let file = dir.path().join("backup.db");
    let out = tessera(dir.path(), &["backup", "--to", file.to_str().unwrap()], None);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(written > 0, "the writer committed while the backup ran");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    assert_eq!(report["bytes"].as_u64(), Some(std::fs::metadata(&file).unwrap().len()));
    assert!(report["path"].as_str().unwrap().ends_with("backup.db"));

    rt.block_on(async {
        let copy = app::store::Db::connect(&format!("sqlite://{}", file.display())).await.unwrap();
        use sqlx::Row;
        let check: String = sqlx::query("PRAGMA integrity_check").fetch_one(&copy.pool).await.unwrap().get(0);
        assert_eq!(check, "ok");
        let amounts: Vec<i64> = sqlx::query("SELECT amount FROM token_purchases ORDER BY amount")
            .fetch_all(&copy.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(&amounts[..200], &(1..=200).collect::<Vec<_>>()[..], "every row committed before");
        assert!(amounts.len() <= 200 + written as usize);
        // Each purchase came with its ledger entry: the copy is one snapshot, never half a change.
        let unmatched: i64 = sqlx::query(
            "SELECT COUNT(*) FROM token_purchases p WHERE NOT EXISTS (SELECT 1 FROM token_ledger l WHERE l.purchase_id = p.id)",
        )
        .fetch_one(&copy.pool)
        .await
        .unwrap()
        .get(0);
        assert_eq!(unmatched, 0);
    });
    let again = tessera(dir.path(), &["backup", "--to", file.to_str().unwrap()], None);
    fails_with(&again, "--to: there is already a file at");
}
