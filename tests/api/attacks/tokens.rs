//! Attacks: Flex tokens (R-TOK1). Moving a purchase to another team takes the teams' locks
//! in the order Flex charges take them and checks the purchase's team and what is left of it
//! under those locks, so a charge racing a move can never spend tokens twice (an overdraw
//! showed on PostgreSQL before). The races run on both engines; on SQLite writers are
//! serialised anyway, so they prove something only on PostgreSQL. Hostile moves (another
//! team's admin, an admin merely invited to the target, a plain member, an outsider) are
//! refused with nothing changed.
use super::devices::{authorize, join, new_team, person};
use crate::common::{call_at, spawn_app, Licensing, TestApp};
use app::domain::{TeamId, UserId};
use app::service::state::Clock;
use app::store::audit::Actor;
use app::store::teams::{MemberStatus, Role};
use chrono::Duration;
use serde_json::Value;

/// The whole token state: every lot's running total beside the sum of its ledger entries,
/// which team owns each purchase, and the number of ledger and audit rows.
#[derive(Debug, PartialEq)]
struct Tokens {
    lots: Vec<(String, String, i64, i64)>,
    owners: Vec<(String, String)>,
    ledger_rows: i64,
    audit_rows: i64,
}

async fn tokens(app: &TestApp) -> Tokens {
    let lots = sqlx::query_as::<_, (String, String, i64, i64)>(
        "SELECT b.purchase_id, b.team_id, b.remaining, \
           CAST((SELECT COALESCE(SUM(l.amount), 0) FROM token_ledger l \
                 WHERE l.purchase_id = b.purchase_id AND l.team_id = b.team_id) AS BIGINT) AS ledger \
         FROM lot_balances b ORDER BY b.purchase_id, b.team_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("lots");
    let owners = sqlx::query_as::<_, (String, String)>("SELECT id, team_id FROM token_purchases ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .expect("owners");
    let count = |table: &str| format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}");
    let ledger_rows =
        sqlx::query_scalar(&count("token_ledger")).fetch_one(&app.db.pool).await.expect("ledger");
    let audit_rows = sqlx::query_scalar(&count("audit_log")).fetch_one(&app.db.pool).await.expect("audit");
    Tokens { lots, owners, ledger_rows, audit_rows }
}

/// The ledger's invariants: no lot below zero, and every running total equal to its entries.
fn consistent(t: &Tokens) {
    for (purchase, team, remaining, ledger) in &t.lots {
        assert!(*remaining >= 0, "purchase {purchase} overdrawn in team {team}: {remaining}");
        assert_eq!(remaining, ledger, "purchase {purchase} in team {team}: running total vs ledger");
    }
}

async fn remaining(app: &TestApp, purchase: &str, team: &TeamId) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT COALESCE((SELECT remaining FROM lot_balances WHERE purchase_id = $1 AND team_id = $2), 0)",
    )
    .bind(purchase)
    .bind(team.as_str())
    .fetch_one(&app.db.pool)
    .await
    .expect("remaining")
}

async fn buy(app: &TestApp, team: &TeamId, amount: i64) -> String {
    let mut tx = app.db.pool.begin().await.expect("tx");
    let (id, _) =
        app::store::tokens::add_purchase(&mut tx, team, amount, app.clock.now() - Duration::hours(1))
            .await
            .expect("purchase");
    tx.commit().await.expect("commit");
    id
}

/// `n` active Flex users (every product) of the team, accounts without passwords.
async fn flex_users(app: &TestApp, team: &TeamId, tag: &str, n: usize) -> Vec<UserId> {
    let mut ids = vec![];
    for i in 0..n {
        let id = person(app, &format!("{tag}{i}@flex.example"), &format!("Flex {tag} {i}")).await;
        join(app, team, &id, Role::Member, MemberStatus::Active).await;
        let mut tx = app.db.pool.begin().await.expect("tx");
        app::store::assignments::add_flex_user(&mut tx, team, &id, app.clock.now()).await.expect("flex user");
        tx.commit().await.expect("commit");
        ids.push(id);
    }
    ids
}

const ALEX: &str = "alex@both.example";
const DRAFT2D_RATE: i64 = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_console_move_racing_flex_charges_never_spends_a_token_twice() {
    let app = spawn_app().await;
    let quarry = new_team(&app, "Quarry Tokens").await;
    let harbor = new_team(&app, "Harbor Tokens").await;
    let alex = person(&app, ALEX, "Alex Both").await;
    join(&app, &quarry, &alex, Role::Admin, MemberStatus::Active).await;
    join(&app, &harbor, &alex, Role::Admin, MemberStatus::Active).await;
    let users = flex_users(&app, &quarry, "racer", 10).await;
    let lic = Licensing::new(&app, &quarry, "Desktop product").await;
    let console = app.signed_in(ALEX).await;

    for round in 0..4 {
        if round > 0 {
            // A new 24-hour window: every user is charged again.
            app.clock.advance(Duration::hours(25));
        }
        // Less than the ten users need (70), so charges compete for the tokens with the move.
        let purchase = buy(&app, &quarry, 50).await;
        // Everyone at once: the ten authorizations and the move, each on its own task.
        let mut signed = vec![];
        for user in &users {
            signed.push(lic.token(&app, user).await);
        }
        let mut grants = vec![];
        for (i, token) in signed.into_iter().enumerate() {
            let url = app.url.clone();
            grants.push(tokio::spawn(async move {
                authorize(&url, &token, "DRAFT2D", &format!("racer-{i}")).await
            }));
        }
        let (url, c, form) =
            (app.url.clone(), console.clone(), [quarry.to_string(), purchase.clone(), harbor.to_string()]);
        let mover = tokio::spawn(async move {
            let form =
                [("team", form[0].as_str()), ("purchase", form[1].as_str()), ("to_team", form[2].as_str())];
            call_at(&c, &url, "move_flex_purchase", &form).await
        });
        let (status, moved) = mover.await.expect("move task");
        let mut finished = vec![];
        for g in grants {
            finished.push(g.await.expect("authorize task"));
        }
        let grants = finished;
        let charged: i64 = grants
            .iter()
            .filter(|(status, _)| *status == 200)
            .map(|(_, body)| body["tokens_charged"].as_i64().expect("tokens_charged"))
            .sum();
        assert_eq!(charged % DRAFT2D_RATE, 0, "round {round}: {grants:?}");
        let after = tokens(&app).await;
        consistent(&after);
        // The move took exactly what the charges had not: nothing more, nothing twice.
        let moved_tokens = if status == 200 {
            moved["tokens"].as_i64().expect("tokens")
        } else {
            assert_eq!(moved["code"], "conflict", "round {round}: only 'nothing left' may refuse: {moved}");
            0
        };
        assert_eq!(charged + moved_tokens, 50 - remaining(&app, &purchase, &quarry).await, "round {round}");
        if status == 200 {
            assert_eq!(remaining(&app, &purchase, &quarry).await, 0, "round {round}");
            assert_eq!(remaining(&app, &purchase, &harbor).await, moved_tokens, "round {round}");
        }
        let windows: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(tokens), 0) AS BIGINT) FROM usage_windows WHERE team_id = $1 AND opened_at >= $2",
        )
        .bind(quarry.as_str())
        .bind(app::store::ts(app.clock.now() - Duration::hours(1)))
        .fetch_one(&app.db.pool)
        .await
        .expect("windows");
        assert_eq!(windows, charged, "round {round}: every granted charge is a window Quarry paid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moves_both_ways_racing_charges_across_both_teams_neither_deadlock_nor_overdraw() {
    // Store level, as the command line moves: people who are Flex users of both teams are
    // charged (trying the teams in the opposite order to their ids) while purchases move
    // A → B and B → A. With one lock order everywhere, every operation completes.
    let app = spawn_app().await;
    let a = new_team(&app, "Alpha Tokens").await;
    let b = new_team(&app, "Beta Tokens").await;
    let people = flex_users(&app, &a, "both", 8).await;
    for p in &people {
        join(&app, &b, p, Role::Member, MemberStatus::Active).await;
    }
    let mut teams = vec![a.clone(), b.clone()];
    teams.sort();
    teams.reverse();
    let product = super::devices::product_id(&app, "DRAFT2D").await;

    for round in 0..4i64 {
        let from_a = buy(&app, &a, 30).await;
        let from_b = buy(&app, &b, 30).await;
        let now = app.clock.now() + Duration::hours(25 * round);
        let mut tasks = tokio::task::JoinSet::new();
        for p in &people {
            let (db, teams, product, p) = (app.db.clone(), teams.clone(), product.clone(), p.clone());
            tasks.spawn(async move {
                db.charge_flex(&p, &product, "racer", &teams, DRAFT2D_RATE, now)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("a charge: {e}"))
            });
        }
        for (purchase, from, to) in
            [(from_a.clone(), a.clone(), b.clone()), (from_b.clone(), b.clone(), a.clone())]
        {
            let db = app.db.clone();
            tasks.spawn(async move {
                let actor = Actor { id: None, label: "support (command line)" };
                let moved = async {
                    let mut tx = db.pool.begin().await?;
                    let done = app::store::tokens::move_purchase(&mut tx, &purchase, &from, &to, &actor, now)
                        .await?;
                    if done.is_ok() {
                        tx.commit().await?;
                    }
                    Ok::<_, app::store::StoreError>(())
                };
                moved.await.map_err(|e| format!("the move {from} → {to}: {e}"))
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("task").unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
        consistent(&tokens(&app).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_moves_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let quarry = new_team(&app, "Quarry Hostile").await;
    let harbor = new_team(&app, "Harbor Target").await;
    let mallory = person(&app, "mallory@quarry.example", "Mallory Quarry").await;
    let pat = person(&app, "pat@quarry.example", "Pat Plain").await;
    person(&app, "olga@nowhere.example", "Olga Outsider").await;
    join(&app, &quarry, &mallory, Role::Admin, MemberStatus::Active).await;
    join(&app, &quarry, &pat, Role::Member, MemberStatus::Active).await;
    let spare = new_team(&app, "Quarry Spare").await;
    join(&app, &spare, &mallory, Role::Admin, MemberStatus::Active).await;
    // An admin invitation to Harbor that Mallory has not (or could not have) accepted.
    join(&app, &harbor, &mallory, Role::Admin, MemberStatus::Invited).await;
    let ours = buy(&app, &quarry, 100).await;
    let theirs = buy(&app, &harbor, 100).await;
    let before = tokens(&app).await;

    let call = |c: reqwest::Client, team: TeamId, purchase: String, to: TeamId| {
        let app = &app;
        async move {
            let form = [("team", team.as_str()), ("purchase", purchase.as_str()), ("to_team", to.as_str())];
            let (_, body): (u16, Value) = app.call(&c, "move_flex_purchase", &form).await;
            body
        }
    };
    let m = app.signed_in("mallory@quarry.example").await;
    // Harbor's purchase, named as if it were Quarry's, moved to Mallory's other team (to
    // pull it in): the answer is exactly that of an id that does not exist.
    let pull = call(m.clone(), quarry.clone(), theirs.clone(), spare.clone()).await;
    assert_eq!(pull["code"], "not_found", "{pull}");
    let unknown = call(m.clone(), quarry.clone(), "no-such-purchase".into(), spare.clone()).await;
    assert_eq!(pull, unknown, "no hint that the id exists in another team");
    // Harbor's purchase, naming Harbor: Mallory is only invited there.
    let body = call(m.clone(), harbor.clone(), theirs.clone(), quarry.clone()).await;
    assert_eq!(body["code"], "not_a_member", "{body}");
    // Quarry's own tokens pushed into a team where Mallory is only invited as admin.
    let body = call(m.clone(), quarry.clone(), ours.clone(), harbor.clone()).await;
    assert_eq!(body["code"], "not_a_member", "{body}");

    let p = app.signed_in("pat@quarry.example").await;
    let body = call(p, quarry.clone(), ours.clone(), harbor.clone()).await;
    assert_eq!(body["code"], "admin_only", "{body}");
    let o = app.signed_in("olga@nowhere.example").await;
    let body = call(o, quarry.clone(), ours.clone(), harbor.clone()).await;
    assert_eq!(body["code"], "not_a_member", "{body}");
    let body = call(app.client(), quarry.clone(), ours.clone(), harbor.clone()).await;
    assert_eq!(body["code"], "unauthenticated", "{body}");

    assert_eq!(tokens(&app).await, before, "purchases, lots, ledger and audit log unchanged");
}
