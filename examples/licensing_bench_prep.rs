//! Data for `bench/licensing.sh`: people, entitlements and access tokens in a running
//! server's database, and the checks around the measurement.
//!
//!   licensing_bench_prep prep   --db sqlite://DIR/tessera.db --issuer http://127.0.0.1:PORT --out OUT
//!   licensing_bench_prep warm   --url http://127.0.0.1:PORT --pairs OUT/flex.tsv [--expect-charged]
//!   licensing_bench_prep ledger --db sqlite://DIR/tessera.db --team TEAM_ID
//!
//! `prep` runs after `tessera serve` has migrated and seeded the database and made its
//! signing keys (it prints "listening" after that). It adds two teams:
//! - "Bench Subscribers": a MODEL3D subscription with one seat per person, each person
//!   assigned a seat;
//! - "Bench Flex": every person an active Flex user (all products), and one large token
//!   purchase.
//!
//! For each person it signs a three-legged access token (1 hour) with the server's own
//! current key (`KeySet` reads `signing_keys`), and writes one line per person,
//! `<token>\t<JSON body>`, to OUT/subscription.tsv and OUT/flex.tsv; the Flex team's id goes
//! to OUT/flex-team. The JSON body names the product and the person's own device.
//!
//! `warm` sends each line once, one at a time, and fails unless every answer is 200; it
//! prints the number of answers per `tokens_charged` value. `ledger` prints the team's token
//! balance, its number of charge entries and of usage windows, to compare before and after.
use anyhow::{bail, Context};
use app::domain::oauth::{GrantKind, Scopes};
use app::domain::{Email, PersonName, TeamId, TeamName};
use app::store::teams::{MemberStatus, Role};
use app::store::Db;
use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use sqlx::Row;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the two populations and write their (token, body) lines.
    Prep {
        #[arg(long)]
        db: String,
        /// `iss` of the access tokens (the server's public URL).
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 200)]
        subscription_users: usize,
        #[arg(long, default_value_t = 200)]
        flex_users: usize,
        #[arg(long, default_value = "MODEL3D")]
        subscription_product: String,
        #[arg(long, default_value = "DRAFT2D")]
        flex_product: String,
        /// Tokens bought for the Flex team.
        #[arg(long, default_value_t = 1_000_000)]
        tokens: i64,
    },
    /// Send every line of a pairs file once; all must answer 200.
    Warm {
        #[arg(long)]
        url: String,
        #[arg(long)]
        pairs: PathBuf,
    },
    /// Print the team's balance, charge entries and usage windows.
    Ledger {
        #[arg(long)]
        db: String,
        #[arg(long)]
        team: String,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Prep {
            db,
            issuer,
            out,
            subscription_users,
            flex_users,
            subscription_product,
            flex_product,
            tokens,
        } => {
            let db = Db::connect(&db).await?;
            prep(
                &db,
                &issuer,
                &out,
                (subscription_users, &subscription_product),
                (flex_users, &flex_product),
                tokens,
            )
            .await
        }
        Cmd::Warm { url, pairs } => warm(&url, &pairs).await,
        Cmd::Ledger { db, team } => {
            let db = Db::connect(&db).await?;
            ledger(&db, &team).await
        }
    }
}

/// A new team with `n` active members; returns the team and the members' ids.
async fn team_with_people(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    name: &str,
    slug: &str,
    n: usize,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<(TeamId, Vec<app::domain::UserId>)> {
    let team = app::store::teams::create_team(&mut **tx, &TeamName::parse(name)?, now).await?;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let email = Email::parse(&format!("{slug}{i}@bench.example"))?;
        let person = PersonName::parse(&format!("Bench {slug} {i}"))?;
        let acc = app::store::accounts::create(&mut **tx, &email, &person, None, now).await?;
        app::store::teams::add_member(
            tx,
            &team,
            &acc,
            (Role::Member, false),
            MemberStatus::Active,
            None,
            now,
        )
        .await?;
        ids.push(acc);
    }
    Ok((team, ids))
}

async fn prep(
    db: &Db,
    issuer: &str,
    out: &std::path::Path,
    (sub_n, sub_code): (usize, &str),
    (flex_n, flex_code): (usize, &str),
    tokens: i64,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let product = |code: &str| {
        let code = code.to_string();
        async move {
            db.product_by_code(&code).await?.with_context(|| format!("no product {code} in the database"))
        }
    };
    let sub_product = product(sub_code).await?;
    let flex_product = product(flex_code).await?;
    if flex_product.flex_daily_rate.is_none() {
        bail!("{flex_code} is not available on Flex");
    }

    let mut tx = db.pool.begin().await?;
    // Subscribers: a team of their own, so each person has exactly one seat grant (a second
    // MODEL3D subscription row in Northwind would make every grant match twice).
    let (sub_team, subscribers) = team_with_people(&mut tx, "Bench Subscribers", "sub", sub_n, now).await?;
    app::store::catalogue::add_team_product(
        &mut *tx,
        &sub_team,
        &sub_product.id,
        "subscription",
        sub_n as i64,
        now - Duration::days(30),
        now + Duration::days(335),
    )
    .await?;
    for acc in &subscribers {
        app::store::assignments::assign(&mut tx, &sub_team, acc, &sub_product.id, None, now).await?;
    }
    let (flex_team, flexers) = team_with_people(&mut tx, "Bench Flex", "flex", flex_n, now).await?;
    for acc in &flexers {
        app::store::assignments::add_flex_user(&mut tx, &flex_team, acc, now).await?;
    }
    app::store::tokens::add_purchase(&mut tx, &flex_team, tokens, now - Duration::days(1)).await?;
    tx.commit().await?;

    // One OAuth client (the desktop product) and a token per person, signed with the
    // server's current key from `signing_keys`.
    let scopes = Scopes::parse("user:read").map_err(|e| anyhow::anyhow!("{e}"))?;
    let (client, _) =
        app::service::identity::create_client(db, &sub_team, "Licensing bench desktop", scopes, vec![], now)
            .await
            .map_err(|e| anyhow::anyhow!("create client: {e}"))?;
    let keys = app::service::keys::KeySet::new(db.clone());
    std::fs::create_dir_all(out)?;
    for (file, people, code, slug) in
        [("subscription.tsv", &subscribers, sub_code, "sub"), ("flex.tsv", &flexers, flex_code, "flex")]
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(out.join(file))?);
        for (i, acc) in people.iter().enumerate() {
            let issued = app::service::identity::issue_access_token(
                &keys,
                issuer,
                &client,
                acc.as_str(),
                "user:read".into(),
                GrantKind::User,
                now,
            )
            .await?;
            let body = serde_json::json!({
                "product": code,
                "device_id": format!("bench-{slug}-{i:04}-ws"),
                "device_name": format!("Bench {slug} workstation {i}"),
            });
            writeln!(w, "{}\t{}", issued.token, body)?;
        }
        w.flush()?;
    }
    std::fs::write(out.join("flex-team"), flex_team.as_str())?;
    eprintln!(
        "prep: {sub_n} subscribers of {sub_code} (team {}), {flex_n} Flex users of {flex_code} (team {}, {tokens} tokens)",
        sub_team.as_str(),
        flex_team.as_str()
    );
    Ok(())
}

async fn warm(url: &str, pairs: &std::path::Path) -> anyhow::Result<()> {
    let endpoint = format!("{}/licensing/v1/authorize", url.trim_end_matches('/'));
    let client = reqwest::Client::new();
    let mut charged: BTreeMap<String, usize> = BTreeMap::new();
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    let file = std::fs::File::open(pairs).with_context(|| format!("{}", pairs.display()))?;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        let Some((token, body)) = line.split_once('\t') else { continue };
        let res = client
            .post(&endpoint)
            .bearer_auth(token)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("line {}: {status}: {text}", n + 1);
        }
        let v: serde_json::Value = serde_json::from_str(&text)?;
        *charged.entry(v["tokens_charged"].to_string()).or_default() += 1;
        *types.entry(v["license_type"].as_str().unwrap_or("?").to_string()).or_default() += 1;
    }
    let show =
        |m: &BTreeMap<_, usize>| m.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ");
    let total: usize = types.values().sum();
    println!(
        "{total} authorizations, all 200; license_type {{{}}}; tokens_charged {{{}}}",
        show(&types),
        show(&charged)
    );
    Ok(())
}

async fn ledger(db: &Db, team: &str) -> anyhow::Result<()> {
    let team_id = app::domain::TeamId::parse(team)?;
    let lots = app::store::ledger::team_lots(&db.pool, &team_id).await?;
    let balance = app::domain::ledger::balance(&lots, Utc::now());
    let count = |sql: &'static str| async move {
        anyhow::Ok(sqlx::query(sql).bind(team).fetch_one(&db.pool).await?.try_get::<i64, _>("n")?)
    };
    let charges =
        count("SELECT COUNT(*) AS n FROM token_ledger WHERE team_id = $1 AND kind = 'charge'").await?;
    let windows = count("SELECT COUNT(*) AS n FROM usage_windows WHERE team_id = $1").await?;
    println!("balance={balance} charges={charges} windows={windows}");
    Ok(())
}
