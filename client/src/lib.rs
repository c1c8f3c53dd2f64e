//! `tessera client …`: a reference product client (R-LIC1..4). It signs the person in with
//! the three-legged flow on a loopback redirect (RFC 8252), keeps tokens and leases in a
//! state file, authorizes at start and at every 24-hour check, verifies leases offline with
//! the published keys, and applies the outage rules of `domain::licensing::during_outage`:
//! a temporary licence only with a valid access token for a product the last successful
//! check allowed; a refusal is remembered, so a refused person gets nothing offline.
//!
//! The state file holds a refresh token and the client secret: it is written with mode
//! 0600 (owner only).
//!
//! Every command prints one JSON object on stdout (for scripts and tests) and a sentence on
//! stderr (for people). Exit status 0: the product may run; 2: it must stop.
use anyhow::{bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Subcommand};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration as StdDuration;
use tessera_domain::licensing::{
    days_left, during_outage, final_days, Held, LastAnswer, LeaseClaims, Moment, Outage, Standing,
    Unreachable,
};

#[derive(Args, Debug)]
pub struct ClientArgs {
    /// The client's state file (tokens, device id, leases).
    #[arg(long, env = "TESSERA_CLIENT_STATE", default_value = "tessera-client.json", global = true)]
    pub state: PathBuf,
    /// The client's idea of now (RFC 3339), so tests can jump days; default: the system clock.
    #[arg(long, env = "TESSERA_CLIENT_NOW", global = true)]
    pub now: Option<String>,
    #[command(subcommand)]
    pub command: ClientCommand,
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Signs the person in through the browser (authorization code + PKCE, loopback redirect).
    SignIn {
        #[arg(long)]
        server: String,
        #[arg(long)]
        client_id: String,
        // A secret: `--help` names the variable but never prints its value. Secrets are
        // base64url, so one in 64 starts with '-': still a value, never an option.
        #[arg(long, env = "TESSERA_CLIENT_SECRET", hide_env_values = true, allow_hyphen_values = true)]
        client_secret: String,
        /// Loopback port for the redirect (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// How long to wait for the browser, in seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// The product starts: authorize (or run offline / on a temporary licence).
    Start {
        #[arg(long)]
        product: String,
        /// The name the console shows for this device (default: the host name).
        #[arg(long)]
        device_name: Option<String>,
    },
    /// The open product's 24-hour check.
    Check {
        #[arg(long)]
        product: String,
        #[arg(long)]
        device_name: Option<String>,
    },
    /// The product closes: ends the session so another device may start it.
    Stop {
        #[arg(long)]
        product: String,
    },
    /// What the stored lease allows now, without contacting the service.
    Status {
        #[arg(long)]
        product: String,
    },
    /// Runs a product session: start, a check whenever one is due, stop on Ctrl-C.
    Run {
        #[arg(long)]
        product: String,
        #[arg(long)]
        device_name: Option<String>,
    },
}

/// What is kept between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    server: String,
    client_id: String,
    client_secret: String,
    access_token: Option<String>,
    refresh_token: Option<String>,
    subject: Option<String>,
    device_id: String,
    /// The published keys as last fetched, for verifying leases offline.
    jwks: Option<Value>,
    #[serde(default)]
    products: BTreeMap<String, ProductState>,
    /// Set in this run once a refresh found the identity service unreachable, so it is not
    /// tried (and waited for) twice.
    #[serde(skip)]
    identity_unreachable: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProductState {
    lease: Option<String>,
    license_type: Option<String>,
    next_check_at: Option<DateTime<Utc>>,
    #[serde(default)]
    held: Held,
    /// The licensing service's last answer, when it was a refusal: remembered so that the
    /// person gets nothing offline (no lease is kept, no temporary licence is given).
    #[serde(default)]
    refusal: Option<Refusal>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Refusal {
    error: String,
    description: String,
}

fn load(path: &PathBuf) -> anyhow::Result<State> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("no client state at {} (run `tessera client sign-in` first)", path.display())
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a client state file", path.display()))
}

/// Writes the state whole (a temporary file renamed over it), readable by its owner only:
/// it holds the refresh token and the client secret.
fn save(path: &PathBuf, state: &State) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let cannot = || format!("cannot write {}", tmp.display());
    // A leftover from a crashed run goes first: `create_new` then makes a fresh file with
    // our mode (an existing file would keep its own) and never follows a planted symlink.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e).with_context(cannot),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).with_context(cannot)?;
    file.write_all(&serde_json::to_vec_pretty(state)?).with_context(cannot)?;
    file.sync_all().with_context(cannot)?;
    drop(file);
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

fn now_of(args: &ClientArgs) -> anyhow::Result<DateTime<Utc>> {
    match &args.now {
        Some(s) => {
            Ok(DateTime::parse_from_rfc3339(s).context("--now: not an RFC 3339 instant")?.with_timezone(&Utc))
        }
        None => Ok(Utc::now()),
    }
}

fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The verdict printed for a command; `runs` decides the exit status.
struct Report {
    body: Value,
    message: String,
    runs: bool,
}

impl Report {
    fn print(self) -> anyhow::Result<bool> {
        println!("{}", self.body);
        eprintln!("{}", self.message);
        Ok(self.runs)
    }
}

fn http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(StdDuration::from_secs(10)).build()?)
}

/// Runs a client command; `Ok(false)` means the product must stop (exit status 2).
pub async fn run(args: &ClientArgs) -> anyhow::Result<bool> {
    let now = now_of(args)?;
    match &args.command {
        ClientCommand::SignIn { server, client_id, client_secret, port, timeout } => {
            sign_in(args, server, client_id, client_secret, *port, *timeout).await?.print()
        }
        ClientCommand::Start { product, device_name } => {
            authorize(args, product, device_name.as_deref(), Moment::Start, now).await?.print()
        }
        ClientCommand::Check { product, device_name } => {
            authorize(args, product, device_name.as_deref(), Moment::Check, now).await?.print()
        }
        ClientCommand::Stop { product } => stop(args, product).await?.print(),
        ClientCommand::Status { product } => status(args, product, now)?.print(),
        ClientCommand::Run { product, device_name } => {
            run_session(args, product, device_name.as_deref()).await
        }
    }
}

async fn run_session(args: &ClientArgs, product: &str, device_name: Option<&str>) -> anyhow::Result<bool> {
    let mut moment = Moment::Start;
    loop {
        let report = authorize(args, product, device_name, moment, Utc::now()).await?;
        if !report.print()? {
            return Ok(false);
        }
        moment = Moment::Check;
        let state = load(&args.state)?;
        let next = state
            .products
            .get(&product.to_ascii_uppercase())
            .and_then(|p| p.held.temporary_until.into_iter().chain(p.next_check_at).min());
        let wait =
            next.map_or(StdDuration::from_secs(3600), |t| (t - Utc::now()).to_std().unwrap_or_default());
        tokio::select! {
            _ = tokio::time::sleep(wait.max(StdDuration::from_secs(60))) => {}
            _ = tokio::signal::ctrl_c() => {
                return stop(args, product).await?.print().map(|_| true);
            }
        }
    }
}

fn pkce() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

async fn sign_in(
    args: &ClientArgs,
    server: &str,
    client_id: &str,
    client_secret: &str,
    port: u16,
    timeout: u64,
) -> anyhow::Result<Report> {
    let server = server.trim_end_matches('/').to_string();
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", port)).await.context("cannot listen on loopback")?;
    let redirect_uri = format!("http://127.0.0.1:{}/callback", listener.local_addr()?.port());
    let (verifier, challenge) = pkce();
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let expected_state = URL_SAFE_NO_PAD.encode(nonce);
    let url = format!(
        "{server}/authentication/v2/authorize?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", "user:read user-profile:read")
            .append_pair("state", &expected_state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish()
    );
    eprintln!("Open this address in a browser to sign in:\n{url}");

    let (tx, rx) = tokio::sync::oneshot::channel::<std::collections::HashMap<String, String>>();
    let tx = std::sync::Arc::new(std::sync::Mutex::new(Some(tx)));
    let callback = axum::Router::new().route(
        "/callback",
        axum::routing::get(
            move |axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>| {
                let tx = tx.clone();
                async move {
                    let ok = !q.contains_key("error");
                    if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                        let _ = tx.send(q);
                    }
                    axum::response::Html(if ok {
                        "<!doctype html><title>Signed in</title><p>You are signed in. You can close this tab and return to the product.</p>"
                    } else {
                        "<!doctype html><title>Not signed in</title><p>Sign-in was cancelled. Return to the product to try again.</p>"
                    })
                }
            },
        ),
    );
    let serving = tokio::spawn(async move { axum::serve(listener, callback).await });
    let answer = tokio::time::timeout(StdDuration::from_secs(timeout), rx).await;
    // Let the browser receive its page before the listener goes away.
    tokio::time::sleep(StdDuration::from_millis(50)).await;
    serving.abort();
    let q = answer.context("nobody signed in in time")?.context("the sign-in listener stopped")?;
    if let Some(e) = q.get("error") {
        bail!("sign-in refused: {e} {}", q.get("error_description").map(String::as_str).unwrap_or(""));
    }
    if q.get("state") != Some(&expected_state) {
        bail!("the sign-in answer does not belong to this sign-in (state differs)");
    }
    let code = q.get("code").context("the sign-in answer has no code")?;
    let res = http()?
        .post(format!("{server}/authentication/v2/token"))
        .basic_auth(client_id, Some(client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .context("the identity service cannot be reached")?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("the code exchange failed ({status}): {body}");
    }
    let mut state = load(&args.state).unwrap_or_default();
    if state.device_id.is_empty() {
        state.device_id = uuid::Uuid::new_v4().to_string();
    }
    state.server = server.clone();
    state.client_id = client_id.to_string();
    state.client_secret = client_secret.to_string();
    state.access_token = body["access_token"].as_str().map(str::to_string);
    state.refresh_token = body["refresh_token"].as_str().map(str::to_string);
    let who: Value = match &state.access_token {
        Some(t) => http()?.get(format!("{server}/userinfo")).bearer_auth(t).send().await?.json().await?,
        None => bail!("the token answer has no access token"),
    };
    state.subject = who["sub"].as_str().map(str::to_string);
    state.jwks = Some(fetch_jwks(&server).await?);
    save(&args.state, &state)?;
    let email = who["email"].as_str().unwrap_or("?").to_string();
    Ok(Report {
        body: json!({ "status": "signed_in", "email": email, "device_id": state.device_id }),
        message: format!("Signed in as {email}."),
        runs: true,
    })
}

async fn fetch_jwks(server: &str) -> anyhow::Result<Value> {
    Ok(http()?
        .get(format!("{server}/authentication/v2/keys"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Verifies a lease with the stored keys: signature, and that it is this person's, for this
/// product and this device. Returns its claims (expiry is judged by the caller's clock).
fn verify_lease(state: &State, product: &str, lease: &str) -> Option<LeaseClaims> {
    let header = jsonwebtoken::decode_header(lease).ok()?;
    let jwk = state.jwks.as_ref()?["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref() && k["alg"] == "ES256")?;
    let key = jsonwebtoken::DecodingKey::from_ec_components(jwk["x"].as_str()?, jwk["y"].as_str()?).ok()?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.validate_exp = false;
    v.validate_aud = false;
    let claims = jsonwebtoken::decode::<LeaseClaims>(lease, &key, &v).ok()?.claims;
    (claims.product == product
        && claims.device_id == state.device_id
        && Some(&claims.sub) == state.subject.as_ref()
        && claims.typ == tessera_domain::licensing::LEASE_TYPE)
        .then_some(claims)
}

/// Whether the stored access token is still valid at `now`: it verifies with the published
/// keys (so its expiry cannot be edited), names the signed-in person and has not expired.
fn access_token_valid(state: &State, now: DateTime<Utc>) -> bool {
    #[derive(Deserialize)]
    struct Claims {
        sub: String,
        exp: i64,
    }
    let check = || -> Option<bool> {
        let token = state.access_token.as_deref()?;
        let header = jsonwebtoken::decode_header(token).ok()?;
        let jwk = state.jwks.as_ref()?["keys"]
            .as_array()?
            .iter()
            .find(|k| k["kid"].as_str() == header.kid.as_deref() && k["alg"] == "ES256")?;
        let key =
            jsonwebtoken::DecodingKey::from_ec_components(jwk["x"].as_str()?, jwk["y"].as_str()?).ok()?;
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        // Expiry is judged below on the client's clock (`--now`), like the lease's.
        v.validate_exp = false;
        v.validate_aud = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &v).ok()?.claims;
        Some(Some(&claims.sub) == state.subject.as_ref() && claims.exp > now.timestamp())
    };
    check().unwrap_or(false)
}

/// What the stored lease says: its end if it verifies, the epoch if it does not (a lease
/// that fails verification allows nothing), `None` if there is none.
fn lease_end(state: &State, product: &str) -> Option<DateTime<Utc>> {
    let lease = state.products.get(product)?.lease.as_ref()?;
    Some(match verify_lease(state, product, lease) {
        Some(c) => DateTime::from_timestamp(c.exp, 0).unwrap_or_default(),
        None => DateTime::<Utc>::UNIX_EPOCH,
    })
}

enum Outcome {
    Granted(Value),
    Refused(String, String),
    /// The service did not answer (or answered with a server error): an outage.
    Unreachable(String),
    SignInRequired(String),
}

async fn call_authorize(state: &mut State, product: &str, device_name: &str) -> anyhow::Result<Outcome> {
    let body = json!({ "product": product, "device_id": state.device_id, "device_name": device_name });
    for attempt in 0..2 {
        let Some(token) = state.access_token.clone() else {
            return Ok(Outcome::SignInRequired("not signed in".into()));
        };
        let sent = http()?
            .post(format!("{}/licensing/v1/authorize", state.server))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await;
        let res = match sent {
            Ok(r) => r,
            Err(e) => return Ok(Outcome::Unreachable(e.without_url().to_string())),
        };
        let status = res.status();
        if status.is_server_error() {
            return Ok(Outcome::Unreachable(format!("the licensing service answered {status}")));
        }
        let answer: Value = res.json().await.unwrap_or(Value::Null);
        match status.as_u16() {
            200 => return Ok(Outcome::Granted(answer)),
            401 if attempt == 0 => match refresh(state).await? {
                None => continue,
                Some(outcome) => return Ok(outcome),
            },
            401 => return Ok(Outcome::SignInRequired("the access token was refused".into())),
            _ => {
                let code = answer["error"].as_str().unwrap_or("refused").to_string();
                let text = answer["error_description"].as_str().unwrap_or("").to_string();
                return Ok(Outcome::Refused(code, text));
            }
        }
    }
    Ok(Outcome::SignInRequired("the access token was refused".into()))
}

/// Swaps the refresh token for new tokens. `Some(outcome)` when that is not possible.
async fn refresh(state: &mut State) -> anyhow::Result<Option<Outcome>> {
    let Some(rt) = state.refresh_token.clone() else {
        return Ok(Some(Outcome::SignInRequired("no refresh token".into())));
    };
    let sent = http()?
        .post(format!("{}/authentication/v2/token", state.server))
        .basic_auth(&state.client_id, Some(&state.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt.as_str())])
        .send()
        .await;
    let res = match sent {
        // R-LIC4: without the identity service there is no new access token; the outage
        // rules decide what the product may still do (`during_outage`).
        Err(e) => {
            state.identity_unreachable = true;
            return Ok(Some(Outcome::Unreachable(e.without_url().to_string())));
        }
        Ok(r) => r,
    };
    if res.status().is_server_error() {
        state.identity_unreachable = true;
        return Ok(Some(Outcome::Unreachable(format!("the identity service answered {}", res.status()))));
    }
    let ok = res.status().is_success();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !ok {
        state.access_token = None;
        state.refresh_token = None;
        return Ok(Some(Outcome::SignInRequired(format!(
            "the session ended ({})",
            body["error_description"].as_str().unwrap_or("refresh refused")
        ))));
    }
    state.access_token = body["access_token"].as_str().map(str::to_string);
    state.refresh_token = body["refresh_token"].as_str().map(str::to_string).or(Some(rt));
    Ok(None)
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "this computer".into())
}

async fn authorize(
    args: &ClientArgs,
    product: &str,
    device_name: Option<&str>,
    moment: Moment,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let product =
        tessera_domain::licensing::parse_product_code(product).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let mut state = load(&args.state)?;
    let device_name = device_name.map(str::to_string).unwrap_or_else(host_name);
    let outcome = call_authorize(&mut state, &product, &device_name).await?;
    let report = match outcome {
        Outcome::Granted(answer) => {
            let lease = answer["lease"].as_str().unwrap_or_default().to_string();
            if verify_lease(&state, &product, &lease).is_none() {
                // A key we have not seen yet (rotation): fetch the set once more.
                state.jwks = Some(fetch_jwks(&state.server).await?);
            }
            let Some(claims) = verify_lease(&state, &product, &lease) else {
                bail!("the service sent a lease that does not verify with its published keys");
            };
            let until = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
            let entry = state.products.entry(product.clone()).or_default();
            entry.lease = Some(lease);
            entry.license_type = answer["license_type"].as_str().map(str::to_string);
            entry.next_check_at = DateTime::from_timestamp(claims.next_check_at, 0);
            entry.held = Held { offline_until: Some(until), ..Held::default() };
            entry.refusal = None;
            let days = days_left(until, now);
            let kind = answer["license_type"].as_str().unwrap_or("?").to_string();
            let charged = answer["tokens_charged"].as_i64().unwrap_or(0);
            Report {
                body: json!({
                    "status": "licensed", "license_type": kind, "tokens_charged": charged,
                    "offline_until": secs(until), "days_left": days, "final_days": false,
                    "next_check_at": entry.next_check_at.map(secs),
                }),
                message: format!(
                    "{product}: licensed ({kind}{}). Works offline for up to {days} days.",
                    if charged > 0 {
                        format!(", {charged} Flex tokens for the next 24 hours")
                    } else {
                        String::new()
                    }
                ),
                runs: true,
            }
        }
        Outcome::Refused(code, text) => {
            // Nothing of the earlier grant survives a refusal; the refusal itself is kept, so
            // an outage later gives this person nothing either.
            let refusal = Refusal { error: code.clone(), description: text.clone() };
            state
                .products
                .insert(product.clone(), ProductState { refusal: Some(refusal), ..ProductState::default() });
            Report {
                body: json!({ "status": "refused", "error": code, "error_description": text }),
                message: format!("{product} cannot start: {text}"),
                runs: false,
            }
        }
        Outcome::SignInRequired(why) => Report {
            body: json!({ "status": "sign_in_required", "reason": why }),
            message: format!("{product} cannot start: sign in again ({why})."),
            runs: false,
        },
        Outcome::Unreachable(why) => {
            // Is the person still signed in? An expired token is refreshed first if the
            // identity service answers (the outage may be the licensing service's alone).
            if !access_token_valid(&state, now)
                && !state.identity_unreachable
                && state.refresh_token.is_some()
            {
                refresh(&mut state).await?;
            }
            if state.access_token.is_some() && !state.identity_unreachable && !access_token_valid(&state, now)
            {
                // Perhaps signed with a key we have not seen yet (rotation): fetch the set once.
                if let Ok(jwks) = fetch_jwks(&state.server).await {
                    state.jwks = Some(jwks);
                }
            }
            let signed_in = access_token_valid(&state, now);
            let offline_until = lease_end(&state, &product);
            let entry = state.products.entry(product.clone()).or_default();
            let last_answer = if entry.refusal.is_some() {
                LastAnswer::Refused
            } else if offline_until.is_some_and(|t| t > DateTime::<Utc>::UNIX_EPOCH) {
                // Only a granted lease that verifies proves the product was allowed.
                LastAnswer::Allowed
            } else {
                LastAnswer::Never
            };
            let held = Held { offline_until, ..entry.held.clone() };
            let (verdict, next) = during_outage(Standing { signed_in, last_answer }, moment, &held, now);
            entry.held = next;
            match verdict {
                Outage::Verdict(v) => unreachable_report(&product, v, &why),
                Outage::Refused => {
                    let r = entry.refusal.clone().unwrap_or(Refusal {
                        error: "refused".into(),
                        description: String::new(),
                    });
                    Report {
                        body: json!({ "status": "refused", "error": r.error, "error_description": r.description,
                                      "reason": why }),
                        message: format!(
                            "{product} cannot start: {} (the last answer of the licensing service, which cannot be reached now).",
                            r.description
                        ),
                        runs: false,
                    }
                }
                Outage::SignInRequired => Report {
                    body: json!({ "status": "sign_in_required",
                                  "reason": format!("no valid access token and the identity service cannot be reached ({why})") }),
                    message: format!(
                        "{product} cannot start: sign in again when the identity service can be reached ({why})."
                    ),
                    runs: false,
                },
                Outage::NeverAuthorized => Report {
                    body: json!({ "status": "not_authorized", "reason": why }),
                    message: format!(
                        "{product} cannot start: it has not been authorized on this device yet, and the licensing service cannot be reached ({why}). Try again when it is back."
                    ),
                    runs: false,
                },
            }
        }
    };
    save(&args.state, &state)?;
    Ok(report)
}

fn unreachable_report(product: &str, verdict: Unreachable, why: &str) -> Report {
    let warn = |days: i64| {
        if final_days(days) {
            format!(
                " WARNING: {days} day{} of offline use left. Connect to the internet or {product} will stop working.",
                if days == 1 { "" } else { "s" }
            )
        } else {
            format!(" {days} days of offline use left.")
        }
    };
    match verdict {
        Unreachable::Offline { days_left } => Report {
            body: json!({ "status": "offline", "days_left": days_left, "final_days": final_days(days_left), "reason": why }),
            message: format!("{product}: working offline.{}", warn(days_left)),
            runs: true,
        },
        Unreachable::Grace { until, days_left } => Report {
            body: json!({
                "status": "grace", "until": secs(until), "days_left": days_left,
                "final_days": final_days(days_left), "reason": why,
            }),
            message: format!(
                "{product}: the licensing service cannot be reached; the product keeps running until {}.{}",
                secs(until),
                warn(days_left)
            ),
            runs: true,
        },
        Unreachable::Temporary { until, renewed, days_left } => Report {
            body: json!({
                "status": "temporary", "until": secs(until), "renewed": renewed, "days_left": days_left,
                "final_days": days_left.is_some_and(final_days), "reason": why,
            }),
            message: format!(
                "{product}: temporary licence until {} while the licensing service is unavailable.{}",
                secs(until),
                days_left.map(warn).unwrap_or_default()
            ),
            runs: true,
        },
        Unreachable::Stopped => Report {
            body: json!({ "status": "stopped", "days_left": 0, "final_days": true, "reason": why }),
            message: format!(
                "{product} has stopped: it has not been authorized for 30 days. Connect to the internet to continue."
            ),
            runs: false,
        },
    }
}

async fn stop(args: &ClientArgs, product: &str) -> anyhow::Result<Report> {
    let product =
        tessera_domain::licensing::parse_product_code(product).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let mut state = load(&args.state)?;
    let body = json!({ "product": product, "device_id": state.device_id });
    let mut released = None;
    for attempt in 0..2 {
        let Some(token) = state.access_token.clone() else { break };
        let res = http()?
            .post(format!("{}/licensing/v1/release", state.server))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await;
        match res {
            Ok(r) if r.status() == 401 && attempt == 0 => {
                if refresh(&mut state).await?.is_some() {
                    break;
                }
            }
            Ok(r) if r.status().is_success() => {
                released = r.json::<Value>().await.ok().and_then(|v| v["released"].as_bool());
                break;
            }
            _ => break,
        }
    }
    save(&args.state, &state)?;
    Ok(Report {
        body: json!({ "status": "stopped_by_user", "released": released }),
        message: match released {
            Some(_) => format!("{product} closed; another device may start it now."),
            None => {
                format!("{product} closed (the service could not be told; the session lapses in 24 hours).")
            }
        },
        runs: true,
    })
}

fn status(args: &ClientArgs, product: &str, now: DateTime<Utc>) -> anyhow::Result<Report> {
    let product =
        tessera_domain::licensing::parse_product_code(product).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let state = load(&args.state)?;
    let Some(until) = lease_end(&state, &product) else {
        return Ok(Report {
            body: json!({ "status": "no_lease" }),
            message: format!("{product} has not been authorized on this device yet."),
            runs: false,
        });
    };
    let days = days_left(until, now);
    Ok(Report {
        body: json!({ "status": if days > 0 { "leased" } else { "expired" }, "offline_until": secs(until),
                      "days_left": days, "final_days": final_days(days) }),
        message: format!("{product}: lease valid until {} ({days} days).", secs(until)),
        runs: days > 0,
    })
}
