//! Identity operations shared by the CLI, the console and the OAuth endpoints: creating
//! clients, service accounts and their keys; issuing tokens; the JWT-bearer exchange.
use crate::domain::assertion::{self, AssertionError, Grant};
use crate::domain::oauth::{id_from_random, AccessClaims, GrantKind, Scopes, ACCESS_TOKEN_SECONDS};
use crate::domain::{TeamId, UserId};
use crate::service::keys::{KeyError, KeySet};
use crate::service::secrets;
use crate::store::audit::{self, Actor};
use crate::store::identity::{ClientRow, RefreshGrant, SsaKeyRow, SsaRow};
use crate::store::{Db, StoreError};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde_json::json;
use std::collections::BTreeSet;

/// Refresh tokens are single use; each use gives a new one valid this long.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::days(60);
/// Key last-used times are written at most this often (a busy SSA is not a write per call).
const TOUCH_KEY_EVERY: Duration = Duration::minutes(1);

fn random_id(len: usize, upper_only: bool) -> String {
    loop {
        let mut bytes = [0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        if let Some(id) = id_from_random(&bytes, len, upper_only) {
            return id;
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{0}")]
    Invalid(String),
}

/// A new OAuth client and its secret (shown once; only the hash is kept), not stored yet
/// (`add_app` stores it with its audit entry, `create_client` without).
fn new_client(
    team: &TeamId,
    name: &str,
    scopes: Scopes,
    redirect_uris: Vec<String>,
    now: DateTime<Utc>,
) -> Result<(ClientRow, String), IdentityError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(IdentityError::Invalid("the app name must be 1 to 100 characters".into()));
    }
    for uri in &redirect_uris {
        crate::domain::oauth::RedirectUri::parse(uri).map_err(|e| IdentityError::Invalid(e.to_string()))?;
    }
    let (secret, secret_hash) = secrets::new_token();
    let client = ClientRow {
        id: random_id(32, false),
        team_id: team.clone(),
        name: name.to_string(),
        secret_hash,
        scopes,
        redirect_uris,
        created_at: now,
    };
    Ok((client, secret))
}

/// `new_client`, stored on its own with no audit entry: for tests and tools.
pub async fn create_client(
    db: &Db,
    team: &TeamId,
    name: &str,
    scopes: Scopes,
    redirect_uris: Vec<String>,
    now: DateTime<Utc>,
) -> Result<(ClientRow, String), IdentityError> {
    let (client, secret) = new_client(team, name, scopes, redirect_uris, now)?;
    crate::store::identity::create_client(&db.pool, &client).await?;
    Ok((client, secret))
}

/// A new Secure Service Account under a client (R-SSA1), not stored yet (see `new_client`).
fn new_ssa(client: &ClientRow, name: &str, now: DateTime<Utc>) -> Result<SsaRow, IdentityError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(IdentityError::Invalid("the service account name must be 1 to 100 characters".into()));
    }
    let id = random_id(16, true);
    Ok(SsaRow {
        email: format!("{}@ssa.tessera.invalid", id.to_ascii_lowercase()),
        id,
        client_id: client.id.clone(),
        name: name.to_string(),
        created_at: now,
        disabled_at: None,
    })
}

/// `new_ssa`, stored on its own with no audit entry: for tests and tools.
pub async fn create_ssa(
    db: &Db,
    client: &ClientRow,
    name: &str,
    now: DateTime<Utc>,
) -> Result<SsaRow, IdentityError> {
    let ssa = new_ssa(client, name, now)?;
    crate::store::identity::create_ssa(&db.pool, &ssa).await?;
    Ok(ssa)
}

/// A new RSA key for an SSA, not stored yet: the row and the private key PEM (the private
/// half is never kept). Generating takes a while, so it happens before the transaction that
/// stores the key opens.
async fn new_ssa_key(ssa: &SsaRow, now: DateTime<Utc>) -> Result<(SsaKeyRow, String), IdentityError> {
    let generated = crate::service::keys::generate_rsa_2048_blocking().await?;
    let key = SsaKeyRow {
        kid: uuid::Uuid::new_v4().to_string(),
        ssa_id: ssa.id.clone(),
        public_n: generated.n,
        public_e: generated.e,
        created_at: now,
        last_used_at: None,
        deleted_at: None,
    };
    Ok((key, generated.private_pem))
}

/// `new_ssa_key`, stored on its own with no audit entry: for tests and tools. Returns
/// (kid, private key PEM).
pub async fn create_ssa_key(
    db: &Db,
    ssa: &SsaRow,
    now: DateTime<Utc>,
) -> Result<(String, String), IdentityError> {
    let (key, pem) = new_ssa_key(ssa, now).await?;
    crate::store::identity::create_ssa_key(&db.pool, &key).await?;
    Ok((key.kid, pem))
}

/// Writes the audit entry of a creation into `tx` and commits both: every console and
/// command-line creation of an app, service account or key ends here.
async fn commit_audited(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    actor: &Actor<'_>,
    team: &TeamId,
    (action, target, after): (&str, &str, serde_json::Value),
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    audit::record(&mut tx, team, actor, action, target, None, Some(&after), now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// What an app is made with.
pub struct NewApp<'a> {
    pub name: &'a str,
    pub scopes: Scopes,
    pub redirect_uris: Vec<String>,
    /// Its own tokens may call the provisioning API (`app create --operator`).
    pub operator: bool,
}

/// A new app of `team`, stored with its audit entry; its secret is returned this once.
pub async fn add_app(
    db: &Db,
    actor: &Actor<'_>,
    team: &TeamId,
    app: NewApp<'_>,
    now: DateTime<Utc>,
) -> Result<(ClientRow, String), IdentityError> {
    let NewApp { name, scopes, redirect_uris, operator } = app;
    let (client, secret) = new_client(team, name, scopes, redirect_uris, now)?;
    let mut tx = db.pool.begin().await.map_err(StoreError::from)?;
    crate::store::identity::create_client(&mut *tx, &client).await?;
    let mut after = json!({"created": true});
    if operator {
        crate::store::identity::make_operator(&mut *tx, &client.id, now).await?;
        after["operator"] = json!(true);
    }
    let target = format!("App {} ({})", client.name, client.id);
    commit_audited(tx, actor, team, ("app", &target, after), now).await?;
    Ok((client, secret))
}

/// A new service account of `client`, stored with its audit entry in the app's team.
pub async fn add_ssa(
    db: &Db,
    actor: &Actor<'_>,
    client: &ClientRow,
    name: &str,
    now: DateTime<Utc>,
) -> Result<SsaRow, IdentityError> {
    let ssa = new_ssa(client, name, now)?;
    let mut tx = db.pool.begin().await.map_err(StoreError::from)?;
    crate::store::identity::create_ssa(&mut *tx, &ssa).await?;
    let target = format!("Service account {} ({})", ssa.name, ssa.id);
    commit_audited(tx, actor, &client.team_id, ("ssa", &target, json!({"created": true})), now).await?;
    Ok(ssa)
}

/// A new key of `ssa` (of an app of `team`), stored with its audit entry; the private key
/// PEM is returned this once and never kept. The key is generated before the transaction.
pub async fn add_ssa_key(
    db: &Db,
    actor: &Actor<'_>,
    team: &TeamId,
    ssa: &SsaRow,
    now: DateTime<Utc>,
) -> Result<(SsaKeyRow, String), IdentityError> {
    let (key, pem) = new_ssa_key(ssa, now).await?;
    let mut tx = db.pool.begin().await.map_err(StoreError::from)?;
    crate::store::identity::create_ssa_key(&mut *tx, &key).await?;
    let target = format!("Key {} of {}", key.kid, ssa.name);
    commit_audited(tx, actor, team, ("ssa", &target, json!({"key_created": key.kid})), now).await?;
    Ok((key, pem))
}

/// Checks a client's credentials; `None` when the id is unknown or the secret wrong.
pub async fn authenticate_client(db: &Db, id: &str, secret: &str) -> Result<Option<ClientRow>, StoreError> {
    let Some(client) = db.client(id).await? else { return Ok(None) };
    Ok((secrets::hash_token(secret) == client.secret_hash).then_some(client))
}

/// A signed access token and its claims.
pub struct Issued {
    pub token: String,
    pub claims: AccessClaims,
}

pub async fn issue_access_token(
    keys: &KeySet,
    issuer: &str,
    client: &ClientRow,
    sub: &str,
    scope: String,
    grant: GrantKind,
    now: DateTime<Utc>,
) -> Result<Issued, KeyError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let claims = AccessClaims {
        iss: issuer.to_string(),
        sub: sub.to_string(),
        client_id: client.id.clone(),
        scope,
        iat: now.timestamp(),
        exp: now.timestamp() + ACCESS_TOKEN_SECONDS,
        // The seed: tokens from the service-account flow are recognisable by `SA-`.
        jti: if grant == GrantKind::ServiceAccount { format!("SA-{id}") } else { id },
        grant,
    };
    let token = keys.sign(&claims, now).await?;
    Ok(Issued { token, claims })
}

/// A new refresh token in `family` (a new family at sign-in); returns the token.
pub async fn issue_refresh_token(
    db: &Db,
    grant: &RefreshGrant,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let (token, hash) = secrets::new_token();
    db.insert_refresh(&hash, grant, now, now + REFRESH_TOKEN_LIFETIME).await?;
    Ok(token)
}

pub fn new_refresh_family(client: &ClientRow, account: &UserId, scope: &str) -> RefreshGrant {
    RefreshGrant {
        family_id: uuid::Uuid::now_v7().to_string(),
        client_id: client.id.clone(),
        account_id: account.clone(),
        scope: scope.to_string(),
    }
}

/// Why a JWT-bearer exchange failed: the assertion (an `invalid_grant` naming the reason)
/// or our side.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error(transparent)]
    Assertion(#[from] AssertionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// R-SSA2: every check of the seed, in an order where each refusal names its real cause.
/// Returns the SSA and the scopes to grant.
pub async fn check_assertion(
    db: &Db,
    client: &ClientRow,
    jwt: &str,
    token_endpoint: &str,
    now: DateTime<Utc>,
) -> Result<(SsaRow, Grant), ExchangeError> {
    let unverified = assertion::parse(jwt)?;
    let key = db.ssa_key(&unverified.kid).await?.ok_or(AssertionError::UnknownKid)?;
    if key.deleted_at.is_some() {
        return Err(AssertionError::DeletedKey(key.kid).into());
    }
    if !crate::service::keys::verify_rs256(
        &unverified.signing_input,
        &unverified.signature,
        &key.public_n,
        &key.public_e,
    ) {
        return Err(AssertionError::BadSignature(key.kid).into());
    }
    let allowed: BTreeSet<String> = client.scopes.as_set().clone();
    let grant = assertion::check_claims(&unverified.claims, &client.id, token_endpoint, &allowed, now)?;
    if grant.sub != key.ssa_id {
        return Err(AssertionError::KeyOfAnotherAccount(key.kid, grant.sub).into());
    }
    let ssa =
        db.ssa(&grant.sub).await?.ok_or_else(|| AssertionError::NotClientsAccount(grant.sub.clone()))?;
    if ssa.client_id != client.id {
        return Err(AssertionError::NotClientsAccount(ssa.id).into());
    }
    if ssa.disabled_at.is_some() {
        return Err(AssertionError::Disabled(ssa.id).into());
    }
    if key.last_used_at.is_none_or(|t| now - t > TOUCH_KEY_EVERY) {
        db.touch_ssa_key(&key.kid, now).await?;
    }
    Ok((ssa, grant))
}

/// Revoked access tokens that are still unexpired, cached per process and reloaded at most
/// every `REVOCATIONS_FRESH_FOR`: checking a token costs a set lookup instead of a query on
/// every API call. A revocation on this instance counts at once (`add`); one made on
/// another instance sharing the database counts within that interval.
pub struct Revocations {
    db: Db,
    cache: std::sync::RwLock<(Option<std::time::Instant>, std::collections::HashSet<String>)>,
    reloading: tokio::sync::Mutex<()>,
}

pub const REVOCATIONS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(1);

impl Revocations {
    pub fn new(db: Db) -> Revocations {
        Revocations {
            db,
            cache: std::sync::RwLock::new((None, Default::default())),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self, jti: &str) -> Option<bool> {
        let c = self.cache.read().ok()?;
        let fresh = c.0.is_some_and(|t| t.elapsed() < REVOCATIONS_FRESH_FOR);
        fresh.then(|| c.1.contains(jti))
    }

    pub async fn is_revoked(&self, jti: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        if let Some(hit) = self.cached(jti) {
            return Ok(hit);
        }
        // One reload at a time; the others find it fresh once they get the lock.
        let _one = self.reloading.lock().await;
        if let Some(hit) = self.cached(jti) {
            return Ok(hit);
        }
        let set: std::collections::HashSet<String> =
            self.db.live_revocations(now).await?.into_iter().collect();
        let hit = set.contains(jti);
        if let Ok(mut c) = self.cache.write() {
            *c = (Some(std::time::Instant::now()), set);
        }
        Ok(hit)
    }

    pub fn add(&self, jti: &str) {
        if let Ok(mut c) = self.cache.write() {
            c.1.insert(jti.to_string());
        }
    }
}
