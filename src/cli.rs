//! The `tessera` command line (names fixed by docs/CONTRACT.md: add, never rename).
use crate::startup::{self, WebConfig};
use anyhow::{anyhow, bail, Context};
use app::domain::vendor;
use app::domain::{Email, NewPassword, PersonName, TeamId, TeamName};
use app::service::state::{Clock, ShiftedClock, SystemClock};
use app::store::teams::{MemberStatus, Role};
use app::store::Db;
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(name = "tessera", version, about = "Tessera: account console and licensing service")]
pub struct Cli {
    /// Folder for the embedded database, mail outbox and other local state.
    #[arg(long, global = true, default_value = "./data", env = "TESSERA_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Database to use: sqlite://FILE or postgres://... [default: sqlite://<data-dir>/tessera.db]
    // The URL may carry a password: `--help` names the variable but never prints its value.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply migrations, seed demo data into an empty database, and serve the console and APIs.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Import people and their products from a CSV file into a team (R-IMP1); sends no email.
    /// Prints {"rows","created","updated","unchanged","errors":[{"line","reason"}]}.
    Import(ImportArgs),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Manage team admins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Flex token purchases (support operations, R-TOK1).
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// OAuth clients ("apps") of a team.
    #[command(subcommand)]
    App(AppCommand),
    /// Secure Service Accounts (R-SSA1).
    #[command(subcommand)]
    Ssa(SsaCommand),
    /// Operations reserved for support staff (not available to team admins in the console).
    #[command(subcommand)]
    Support(SupportCommand),
    /// The product catalogue (R-VND1, the vendor's back office).
    #[command(subcommand)]
    Product(ProductCommand),
    /// Teams' subscriptions and trials (R-VND1).
    #[command(subcommand)]
    Subscription(SubscriptionCommand),
    /// Directory sync over SCIM 2.0 (R-DIR1).
    #[command(subcommand)]
    Scim(ScimCommand),
    /// A consistent copy of the SQLite database while it serves (R-OPS1).
    /// Prints {"path","bytes"}. PostgreSQL: use pg_dump.
    Backup {
        /// The new file (it must not exist yet).
        #[arg(long)]
        to: PathBuf,
    },
    /// A reference product client: sign in, start, check, stop (R-LIC1..4).
    Client(crate::client::ClientArgs),
}

#[derive(Subcommand, Debug)]
pub enum ScimCommand {
    /// Directory tokens.
    #[command(subcommand)]
    Token(ScimTokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum ScimTokenCommand {
    /// Create a directory-sync token for a team, shown this once only.
    /// Prints {"base_url","token"}.
    Create {
        /// The team's id or name.
        #[arg(long)]
        team: String,
        /// What the token is for, as Team settings lists it.
        #[arg(long, default_value = "Directory")]
        label: String,
        /// The URL the server is reached at, for `base_url`.
        #[arg(long, env = "TESSERA_PUBLIC_URL", default_value = "http://127.0.0.1:3000")]
        public_url: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokensCommand {
    /// Record a Flex purchase; it expires one year after it was bought.
    /// Prints {"purchase_id","expires_at"}.
    Add {
        /// Team id (or exact team name).
        #[arg(long)]
        team: String,
        #[arg(long)]
        amount: i64,
        /// When it was bought (RFC 3339); default now.
        #[arg(long)]
        purchased_at: Option<String>,
    },
    /// Move what is left of a purchase to another team. Prints {"purchase_id","team"}.
    Move {
        #[arg(long)]
        purchase: String,
        /// Team id (or exact team name).
        #[arg(long)]
        to_team: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Create an OAuth client. Prints {"client_id","client_secret"} (the secret only now).
    Create {
        /// Team id (or exact team name).
        #[arg(long)]
        team: String,
        #[arg(long)]
        name: String,
        /// A scope the app may request (repeat); default: every API scope.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// A redirect URI for the three-legged flow (repeat): https, or http on a loopback
        /// address (any port is then accepted, RFC 8252).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// The app's own tokens (grant_type=client_credentials) may call the provisioning
        /// API (R-VND1): for the vendor's order system, never a customer's app.
        #[arg(long)]
        operator: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SsaCommand {
    /// Create a Secure Service Account owned by a client. Prints {"ssa_id","email"}.
    Create {
        #[arg(long)]
        client: String,
        #[arg(long)]
        name: String,
    },
    /// SSA keys.
    #[command(subcommand)]
    Key(SsaKeyCommand),
}

#[derive(Subcommand, Debug)]
pub enum SsaKeyCommand {
    /// Create an RSA key for an SSA. Prints {"kid","private_key_pem"}: the private key is
    /// shown this once and never stored.
    Create {
        #[arg(long)]
        ssa: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SupportCommand {
    /// Turn default Flex assignments on or off for the team's guest users (R-FX2).
    /// Prints {"team","guest_defaults"}.
    GuestDefaults {
        /// Team id (or exact team name).
        #[arg(long)]
        team: String,
        #[arg(value_enum)]
        state: OnOff,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Team id (or exact team name).
    #[arg(long)]
    pub team: String,
    /// The CSV file: header row, then columns name, email, products, guest in any order.
    pub file: PathBuf,
    /// Check the file against the team and print the report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid rows even when other rows have errors (the errors are still listed).
    #[arg(long)]
    pub valid_rows_only: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen URL is printed).
    #[arg(long, default_value = "127.0.0.1:3000", env = "TESSERA_ADDR")]
    pub addr: SocketAddr,
    /// Do not seed demo data, even into an empty database.
    #[arg(long)]
    pub no_demo: bool,
    /// Folder with the built console (wasm, CSS, public files) from `cargo leptos build`.
    /// Without it: a `site/` folder beside the binary, else the files built into the
    /// binary, else `target/site`.
    #[arg(long, env = "LEPTOS_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// The URL people reach this server at; https here marks session cookies Secure.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Tests only: time can be moved forward with POST /testing/clock. Never in production.
    #[arg(long, hide = true)]
    pub test_clock: bool,
    /// Password for the demo admin (random when not given; printed either way).
    #[arg(long, env = "TESSERA_DEMO_PASSWORD", hide_env_values = true)]
    pub demo_password: Option<String>,
    /// Send email through this SMTP server: smtp://host:port (plain), smtp://user:pass@host?tls=required
    /// (STARTTLS) or smtps://user:pass@host. Without it, each message is written as an .eml file
    /// under <data-dir>/outbox/.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Calls to /userinfo allowed per subject per minute (R-OIDC1: 500). Benchmarks lift it.
    #[arg(long, env = "TESSERA_USERINFO_LIMIT_PER_MINUTE", default_value_t = 500, hide = true)]
    pub userinfo_limit_per_minute: u32,
    /// Per-client-IP limits on password checks and the token endpoint.
    #[command(flatten)]
    pub ip_limits: crate::ip_limits::IpLimits,
    /// Sender address of outgoing email.
    #[arg(long, env = "TESSERA_MAIL_FROM", default_value = crate::mail_worker::DEFAULT_FROM)]
    pub mail_from: String,
}

#[derive(Subcommand, Debug)]
pub enum TeamCommand {
    /// Create a team. Prints {"id","name"}.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Every team, by name. Prints [{"id","name"}].
    List,
}

#[derive(Subcommand, Debug)]
pub enum ProductCommand {
    /// Add a product to the catalogue; with --flex-rate it is on Flex at once (people with
    /// "all products" may run it, team defaults do not grow). Prints {"id","code"}.
    Add {
        /// Letters, digits, - and _ (kept in upper case).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Flex tokens charged per day of use.
        #[arg(long)]
        flex_rate: Option<i64>,
    },
    /// Set what a seat of the product costs in Flex tokens per year, which the licence
    /// advice compares Flex use with (R-ADV2). Prints {"code","seat_tokens"}.
    Set {
        #[arg(long)]
        code: String,
        /// Flex tokens a seat is worth per year.
        #[arg(long)]
        seat_tokens: i64,
    },
    /// Every product, retired ones too. Prints [{"code","name","flex_rate","retired","seat_tokens"}].
    List,
    /// Take a product off Flex for good (subscriptions of it run to their end).
    /// Prints {"code","retired":true}.
    Retire {
        #[arg(long)]
        code: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SubscriptionCommand {
    /// Give a team seats of a product until a date, as a subscription or a trial.
    /// Prints {"id","team","product","seats","starts_at","ends_at","trial"}.
    Add {
        /// Team id (or exact team name).
        #[arg(long)]
        team: String,
        /// Product code.
        #[arg(long)]
        product: String,
        #[arg(long)]
        seats: i64,
        /// When it ends: a date (over as that day begins, UTC) or an RFC 3339 time.
        #[arg(long)]
        ends: String,
        /// When it starts (same forms); default now.
        #[arg(long)]
        starts: Option<String>,
        /// A trial rather than a paid subscription.
        #[arg(long)]
        trial: bool,
    },
    /// Change the seats or the end (renew, or end it now) of a subscription or trial.
    /// Prints the subscription.
    Change {
        #[arg(long)]
        id: String,
        #[arg(long)]
        seats: Option<i64>,
        #[arg(long)]
        ends: Option<String>,
    },
    /// The team's subscriptions and trials, past, live and future. Prints a list of them.
    List {
        /// Team id (or exact team name).
        #[arg(long)]
        team: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account (or reuse the one with this email) and make it an admin of the team.
    /// Prints {"user_id"}.
    Create {
        /// Team id (or exact team name).
        #[arg(long)]
        team: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the new account's password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

impl Cli {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/tessera.db", self.data_dir.display()))
    }
}

pub async fn open_db(cli: &Cli) -> anyhow::Result<Db> {
    let url = cli.database_url();
    let db = Db::connect(&url).await.with_context(|| format!("cannot open database {}", redact(&url)))?;
    db.migrate().await.context("cannot apply migrations")?;
    Ok(db)
}

/// The URL with the password of its user part replaced by `***`, fit for messages. Public
/// for the tests (tests/api/edge).
#[doc(hidden)]
pub fn redact(url: &str) -> String {
    // postgres://user:secret@host → postgres://user:***@host
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Who the audit log names for changes made here.
const SUPPORT: app::store::audit::Actor<'static> =
    app::store::audit::Actor { id: None, label: "support (command line)" };

fn print_json(v: serde_json::Value) {
    println!("{v}");
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve(args) => serve(&cli, args).await,
        Command::Client(args) => {
            if !crate::client::run(args).await? {
                // The product must stop: a distinct status for scripts (1 is an error).
                std::process::exit(2);
            }
            Ok(())
        }
        Command::Import(args) => import(&cli, args).await,
        Command::Migrate => {
            open_db(&cli).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Team(TeamCommand::Create { name }) => {
            let name = TeamName::parse(name).map_err(|e| anyhow!("--name: {e}"))?;
            let db = open_db(&cli).await?;
            let id = app::store::teams::create_team(&db.pool, &name, chrono::Utc::now()).await?;
            print_json(json!({"id": id.as_str(), "name": name.as_str()}));
            Ok(())
        }
        Command::Team(TeamCommand::List) => {
            let db = open_db(&cli).await?;
            let teams = app::service::vendor::teams(&db).await.map_err(user_error)?;
            print_json(json!(teams
                .iter()
                .map(|(id, name)| json!({"id": id.as_str(), "name": name}))
                .collect::<Vec<_>>()));
            Ok(())
        }
        Command::Product(cmd) => product(&cli, cmd).await,
        Command::Backup { to } => {
            let db = open_db(&cli).await?;
            let bytes = db.backup_to(to).await.map_err(|e| match e {
                app::store::StoreError::Duplicate(what) => {
                    anyhow!("--to: there is already {what}; pick a new file")
                }
                app::store::StoreError::Corrupt(why) => anyhow!("{why}"),
                other => anyhow!("the backup failed: {other}"),
            })?;
            let path = std::fs::canonicalize(to).unwrap_or_else(|_| to.clone());
            print_json(json!({"path": path.display().to_string(), "bytes": bytes}));
            Ok(())
        }
        Command::Subscription(cmd) => subscription(&cli, cmd).await,
        Command::Tokens(TokensCommand::Add { team, amount, purchased_at }) => {
            let amount = vendor::token_amount(*amount).map_err(opt)?;
            let at = match purchased_at {
                Some(s) => vendor::instant("purchased_at", s).map_err(opt)?,
                None => chrono::Utc::now(),
            };
            let db = open_db(&cli).await?;
            let team = resolve_team(&db, team).await?;
            let now = chrono::Utc::now();
            let (id, expires_at) = app::service::vendor::once(&db, now, |tx| {
                Box::pin(async move {
                    app::service::vendor::add_purchase(tx, &SUPPORT, &team, amount, at, now).await
                })
            })
            .await
            .map_err(user_error)?;
            print_json(json!({"purchase_id": id, "expires_at": app::store::ts(expires_at)}));
            Ok(())
        }
        Command::Tokens(TokensCommand::Move { purchase, to_team }) => {
            use app::domain::ledger::MoveRefusal;
            use app::store::tokens::{move_purchase, purchase_team, MoveRefused};
            let db = open_db(&cli).await?;
            let to = resolve_team(&db, to_team).await?;
            // Where the purchase is now is only a starting point: the move checks it again
            // under both teams' locks, and one that lost a race to another move starts over
            // from where the purchase went.
            let mut attempts = 0;
            loop {
                let from = purchase_team(&db.pool, purchase)
                    .await?
                    .ok_or_else(|| anyhow!("--purchase: no purchase with id {purchase:?}"))?;
                let mut tx = db.pool.begin().await?;
                match move_purchase(&mut tx, purchase, &from, &to, &SUPPORT, chrono::Utc::now()).await? {
                    Ok(_) => {
                        tx.commit().await?;
                        break;
                    }
                    Err(MoveRefused::NotInTeam) if attempts < 3 => attempts += 1,
                    Err(MoveRefused::NotInTeam) => {
                        bail!("--purchase: {purchase:?} is being moved by someone else; try again")
                    }
                    Err(MoveRefused::Rule(MoveRefusal::SameTeam)) => {
                        bail!("--to-team: the purchase already belongs to that team")
                    }
                    Err(MoveRefused::Rule(MoveRefusal::Expired { expires_at })) => bail!(
                        "--purchase: the purchase expired at {}; expired tokens cannot be moved",
                        app::store::ts(expires_at)
                    ),
                    Err(MoveRefused::Rule(MoveRefusal::NothingLeft)) => {
                        bail!("--purchase: nothing is left of this purchase to move")
                    }
                }
            }
            print_json(json!({"purchase_id": purchase, "team": to.as_str()}));
            Ok(())
        }
        Command::App(AppCommand::Create { team, name, scopes, redirect_uris, operator }) => {
            let scopes = if scopes.is_empty() {
                app::domain::oauth::Scopes::all_api()
            } else {
                let parsed = app::domain::oauth::Scopes::parse(&scopes.join(" "))
                    .map_err(|e| anyhow!("--scope: {e}"))?;
                parsed
                    .granted_by(&app::domain::oauth::Scopes::all_api())
                    .map_err(|e| anyhow!("--scope: {e}"))?;
                parsed
            };
            let db = open_db(&cli).await?;
            let team = resolve_team(&db, team).await?;
            let now = chrono::Utc::now();
            let (client, secret) = app::service::identity::add_app(
                &db,
                &SUPPORT,
                &team,
                app::service::identity::NewApp {
                    name,
                    scopes,
                    redirect_uris: redirect_uris.clone(),
                    operator: *operator,
                },
                now,
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
            print_json(json!({"client_id": client.id, "client_secret": secret}));
            Ok(())
        }
        Command::Scim(ScimCommand::Token(ScimTokenCommand::Create { team, label, public_url })) => {
            let db = open_db(&cli).await?;
            let team = resolve_team(&db, team).await?;
            let (_, token) =
                app::service::directory::create_token(&db, &team, label, None, chrono::Utc::now())
                    .await
                    .map_err(user_error)?;
            let base_url = format!("{}/scim/v2", public_url.trim_end_matches('/'));
            print_json(json!({"base_url": base_url, "token": token}));
            Ok(())
        }
        Command::Ssa(SsaCommand::Create { client, name }) => {
            let db = open_db(&cli).await?;
            let client = db
                .client(client)
                .await?
                .ok_or_else(|| anyhow!("--client: no app with client id {client:?}"))?;
            let now = chrono::Utc::now();
            let ssa = app::service::identity::add_ssa(&db, &SUPPORT, &client, name, now)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            print_json(json!({"ssa_id": ssa.id, "email": ssa.email}));
            Ok(())
        }
        Command::Ssa(SsaCommand::Key(SsaKeyCommand::Create { ssa })) => {
            let db = open_db(&cli).await?;
            let ssa =
                db.ssa(ssa).await?.ok_or_else(|| anyhow!("--ssa: no service account with id {ssa:?}"))?;
            if ssa.disabled_at.is_some() {
                bail!("--ssa: the service account {} is disabled", ssa.id);
            }
            // The app's team is where the audit entry goes; the foreign key means it is there.
            let team = db
                .client(&ssa.client_id)
                .await?
                .map(|c| c.team_id)
                .ok_or_else(|| anyhow!("the service account {} has no app", ssa.id))?;
            let now = chrono::Utc::now();
            let (key, pem) = app::service::identity::add_ssa_key(&db, &SUPPORT, &team, &ssa, now)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            print_json(json!({"kid": key.kid, "private_key_pem": pem}));
            Ok(())
        }
        Command::Support(SupportCommand::GuestDefaults { team, state }) => {
            let db = open_db(&cli).await?;
            let team = resolve_team(&db, team).await?;
            let on = *state == OnOff::On;
            // The switch and its audit entry commit together.
            let mut tx = db.pool.begin().await?;
            app::store::flex::set_guest_defaults(&mut *tx, &team, on).await?;
            app::store::audit::record(
                &mut tx,
                &team,
                &SUPPORT,
                "guest_defaults",
                "Default assignments for guest users",
                None,
                Some(&json!({"guest_defaults": on})),
                chrono::Utc::now(),
            )
            .await?;
            tx.commit().await?;
            print_json(json!({"team": team.as_str(), "guest_defaults": on}));
            Ok(())
        }
        Command::Admin(AdminCommand::Create { team, email, name, password_stdin: _ }) => {
            let email = Email::parse(email).map_err(|e| anyhow!("--email: {e}"))?;
            let name = PersonName::parse(name).map_err(|e| anyhow!("--name: {e}"))?;
            let mut line = String::new();
            std::io::stdin().read_to_string(&mut line).context("cannot read the password from stdin")?;
            let line = line.lines().next().unwrap_or_default();
            let password = NewPassword::parse(line).map_err(|e| anyhow!("password: {e}"))?;
            let db = open_db(&cli).await?;
            let team = resolve_team(&db, team).await?;
            let user_id = create_admin(&db, &team, &email, &name, &password).await?;
            print_json(json!({"user_id": user_id}));
            Ok(())
        }
    }
}

/// A malformed value, named by its option.
fn opt(e: vendor::FieldError) -> anyhow::Error {
    anyhow!("--{}: {}", e.field.replace('_', "-"), e.problem)
}

/// A service's refusal as the command line reports it: the field it names as the option.
fn user_error(e: app::error::AppError) -> anyhow::Error {
    match e.field() {
        Some(field) if !field.is_empty() => anyhow!("--{}: {e}", field.replace('_', "-")),
        _ => anyhow!("{e}"),
    }
}

async fn product(cli: &Cli, cmd: &ProductCommand) -> anyhow::Result<()> {
    use app::service::vendor::{self as service, ProductView};
    let now = chrono::Utc::now();
    match cmd {
        ProductCommand::Add { code, name, flex_rate } => {
            let code = vendor::ProductCode::parse(code).map_err(opt)?;
            let name = vendor::product_name(name).map_err(opt)?;
            let rate = flex_rate.map(vendor::flex_rate).transpose().map_err(opt)?;
            let db = open_db(cli).await?;
            let (id, code) = service::once(&db, now, |tx| {
                Box::pin(async move {
                    service::add_product(tx, &code, &name, rate, now).await.map(|e| (e.id, e.code))
                })
            })
            .await
            .map_err(user_error)?;
            print_json(json!({"id": id, "code": code}));
        }
        ProductCommand::Set { code, seat_tokens } => {
            let code = vendor::ProductCode::parse(code).map_err(opt)?;
            let seat_tokens = vendor::seat_tokens(*seat_tokens).map_err(opt)?;
            let db = open_db(cli).await?;
            let code = service::once(&db, now, |tx| {
                Box::pin(
                    async move { service::set_seat_tokens(tx, &code, seat_tokens).await.map(|e| e.code) },
                )
            })
            .await
            .map_err(user_error)?;
            print_json(json!({"code": code, "seat_tokens": seat_tokens}));
        }
        ProductCommand::List => {
            let db = open_db(cli).await?;
            let all = service::products(&db).await.map_err(user_error)?;
            print_json(serde_json::to_value(all.iter().map(ProductView::from).collect::<Vec<_>>())?);
        }
        ProductCommand::Retire { code } => {
            let code = vendor::ProductCode::parse(code).map_err(opt)?;
            let db = open_db(cli).await?;
            let code = service::once(&db, now, |tx| {
                Box::pin(
                    async move { service::retire_product(tx, &SUPPORT, &code, now).await.map(|e| e.code) },
                )
            })
            .await
            .map_err(user_error)?;
            print_json(json!({"code": code, "retired": true}));
        }
    }
    Ok(())
}

async fn subscription(cli: &Cli, cmd: &SubscriptionCommand) -> anyhow::Result<()> {
    use app::service::vendor::{self as service, NewSubscription, SubscriptionChange, SubscriptionView};
    let now = chrono::Utc::now();
    let when = |field: &'static str, raw: &str| vendor::instant(field, raw).map_err(opt);
    match cmd {
        SubscriptionCommand::Add { team, product, seats, ends, starts, trial } => {
            let product =
                vendor::ProductCode::parse(product).map_err(|e| anyhow!("--product: {}", e.problem))?;
            let seats = vendor::seats(*seats).map_err(opt)?;
            let ends_at = when("ends", ends)?;
            let starts_at = starts.as_deref().map(|s| when("starts", s)).transpose()?;
            let db = open_db(cli).await?;
            let team = resolve_team(&db, team).await?;
            let new = NewSubscription { team, product, seats, starts_at, ends_at, trial: *trial };
            let added = service::once(&db, now, |tx| {
                Box::pin(async move {
                    service::add_subscription(tx, &SUPPORT, &new, now)
                        .await
                        .map(|s| SubscriptionView::from(&s))
                })
            })
            .await
            .map_err(user_error)?;
            print_json(serde_json::to_value(added)?);
        }
        SubscriptionCommand::Change { id, seats, ends } => {
            if seats.is_none() && ends.is_none() {
                bail!("give --seats, --ends or both");
            }
            let change = SubscriptionChange {
                seats: seats.map(vendor::seats).transpose().map_err(opt)?,
                ends_at: ends.as_deref().map(|s| when("ends", s)).transpose()?,
            };
            let db = open_db(cli).await?;
            let id = id.clone();
            let changed = service::once(&db, now, |tx| {
                Box::pin(async move {
                    service::change_subscription(tx, &SUPPORT, &id, &change, now)
                        .await
                        .map(|s| SubscriptionView::from(&s))
                })
            })
            .await
            .map_err(user_error)?;
            print_json(serde_json::to_value(changed)?);
        }
        SubscriptionCommand::List { team } => {
            let db = open_db(cli).await?;
            let team = resolve_team(&db, team).await?;
            let all = service::subscriptions(&db, &team).await.map_err(user_error)?;
            print_json(serde_json::to_value(all.iter().map(SubscriptionView::from).collect::<Vec<_>>())?);
        }
    }
    Ok(())
}

/// `tessera import`: the report is printed in every case the file could be read; exit 1
/// (through the error) when errors stopped the import.
async fn import(cli: &Cli, args: &ImportArgs) -> anyhow::Result<()> {
    use app::store::import::ImportOptions;
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let db = open_db(cli).await?;
    let team = resolve_team(&db, &args.team).await?;
    let source = args
        .file
        .file_name()
        .map_or_else(|| args.file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let opts = ImportOptions { dry_run: args.dry_run, valid_rows_only: args.valid_rows_only, source };
    let actor = app::store::audit::Actor { id: None, label: "import (command line)" };
    let report = app::service::import::run(&db, &team, bytes, opts, &actor, chrono::Utc::now()).await?;
    print_json(serde_json::to_value(&report)?);
    if !report.imported {
        let n = report.errors.len();
        bail!("the file has {n} error{}; nothing was imported", if n == 1 { "" } else { "s" });
    }
    Ok(())
}

async fn resolve_team(db: &Db, team: &str) -> anyhow::Result<TeamId> {
    if let Ok(id) = TeamId::parse(team) {
        if db.team(&id).await?.is_some() {
            return Ok(id);
        }
        bail!("--team: no team with id {id}");
    }
    let matches = db.teams_named(team).await?;
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("--team: no team with id or name {team:?}"),
        _ => bail!("--team: several teams are named {team:?}; give the id instead"),
    }
}

pub async fn create_admin(
    db: &Db,
    team: &TeamId,
    email: &Email,
    name: &PersonName,
    password: &NewPassword,
) -> anyhow::Result<String> {
    let now = chrono::Utc::now();
    let hash = app::service::passwords::hash_blocking(password.expose().to_string())
        .await
        .map_err(|e| anyhow!(e))?;
    // The account and membership are read, changed and audited in one transaction, under
    // the team's lock (the order every change to a team's members takes).
    let mut tx = db.pool.begin().await?;
    app::store::teams::lock_team(&mut tx, team).await?;
    let (user, label, created) = match app::store::accounts::by_email(&mut *tx, email).await? {
        Some(existing) => {
            eprintln!("note: {email} already has an account; its password is left unchanged");
            let label = format!("{} <{}>", existing.name, existing.email);
            (existing.id, label, false)
        }
        None => {
            let id = app::store::accounts::create(&mut *tx, email, name, Some(&hash), now).await?;
            (id, format!("{} <{email}>", name.as_str()), true)
        }
    };
    let before = match app::store::teams::membership(&mut *tx, team, &user).await? {
        Some(m) => {
            app::store::teams::set_role(&mut tx, team, &user, Role::Admin).await?;
            let status = if m.active { "active" } else { "invited" };
            Some(json!({"role": m.role.as_str(), "status": status}))
        }
        None => {
            app::store::teams::add_member(
                &mut tx,
                team,
                &user,
                (Role::Admin, false),
                MemberStatus::Active,
                None,
                now,
            )
            .await?;
            None
        }
    };
    // A team's first admin is its primary admin (R-UM5), and a primary admin stays one.
    let role_after =
        app::store::teams::membership(&mut *tx, team, &user).await?.map_or(Role::Admin, |m| m.role);
    let mut after = json!({"role": role_after.as_str(), "status": "active"});
    if created {
        after["account_created"] = json!(true);
    }
    app::store::audit::record(&mut tx, team, &SUPPORT, "role", &label, before.as_ref(), Some(&after), now)
        .await?;
    tx.commit().await?;
    Ok(user.to_string())
}

async fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let db = open_db(cli).await?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let cfg = WebConfig {
        addr,
        site: crate::site::Site::locate(args.site_root.as_deref()),
        secure_cookies: public_url.starts_with("https://"),
        public_url: public_url.clone(),
        userinfo_limit_per_minute: args.userinfo_limit_per_minute,
        ip_limits: args.ip_limits.clone(),
    };
    match &cfg.site.origin {
        crate::site::Origin::Folder(dir) => {
            tracing::info!(site = %dir.display(), version = %cfg.site.version, "console files from a folder")
        }
        crate::site::Origin::Embedded => {
            tracing::info!(version = %cfg.site.version, "console files built into the binary")
        }
        crate::site::Origin::Missing => {
            tracing::warn!("no built console: run `cargo leptos build` (pages will not hydrate)")
        }
    }
    let seeded = if args.no_demo || db.team_count().await? > 0 {
        None
    } else {
        let password = args.demo_password.clone().unwrap_or_else(crate::seed::random_password);
        Some(
            crate::seed::seed_demo(&db, &password, chrono::Utc::now())
                .await
                .map(|admin| (admin, password))?,
        )
    };
    let shifted = args.test_clock.then(|| Arc::new(ShiftedClock::default()));
    let clock: Arc<dyn Clock> = match &shifted {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let state = startup::app_state(db.clone(), clock, &cfg);
    let transport = crate::mail_worker::Transport::from_config(args.smtp_url.as_deref(), &cli.data_dir)
        .context("--smtp-url")?;
    args.mail_from.parse::<lettre::message::Mailbox>().map_err(|e| anyhow!("--mail-from: {e}"))?;
    crate::mail_worker::spawn(db.clone(), transport, state.clock.clone(), args.mail_from.clone());
    // The first signing key is made now, not by the first token request.
    state.keys.ensure_current(state.now()).await.map_err(|e| anyhow!("signing keys: {e}"))?;
    let mut app = startup::router(state, &cfg);
    if let Some(clock) = shifted {
        tracing::warn!("test clock enabled: POST /testing/clock moves time forward");
        app = app.merge(startup::test_clock_routes(clock));
    }
    startup::spawn_session_sweeper(db);
    println!("Tessera is listening on {public_url}");
    if let Some((admin, password)) = seeded {
        println!("Demo data seeded. Sign in as {admin} with password: {password}");
    }
    tracing::info!(%addr, "listening");
    // The peer address is what the per-IP limits key on (ip_limits::ClientIp).
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
