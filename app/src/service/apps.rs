//! The team's apps (OAuth clients), their Secure Service Accounts and keys (R-SSA1), and the
//! team's single sign-on provider (R-SSO1), as the console's Apps page manages them. Every
//! id an admin sends is checked to belong to the admin's team; a foreign one answers as a
//! missing one. Every change is audited in its own transaction.
use crate::domain::oauth::{RedirectUri, Scopes};
use crate::domain::TeamId;
use crate::error::AppError;
use crate::service::identity::{self, IdentityError};
use crate::service::Admin;
use crate::store::audit::Actor;
use crate::store::identity::{self as store, ClientRow, SsaKeyRow, SsaRow, SsoConfig};
use crate::store::teams::lock_team;
use crate::store::{Db, StoreError};
use chrono::{DateTime, Utc};
use serde_json::json;

/// An app with its service accounts, each with its keys.
pub struct AppTree {
    pub client: ClientRow,
    pub ssas: Vec<(SsaRow, Vec<SsaKeyRow>)>,
}

/// The team's apps, and its single sign-on settings if any.
pub async fn team_apps(db: &Db, team: &TeamId) -> Result<(Vec<AppTree>, Option<SsoConfig>), AppError> {
    let mut apps = vec![];
    for client in db.clients_of_team(team).await? {
        let mut ssas = vec![];
        for ssa in db.ssas_of_client(&client.id).await? {
            let keys = db.keys_of_ssa(&ssa.id).await?;
            ssas.push((ssa, keys));
        }
        apps.push(AppTree { client, ssas });
    }
    Ok((apps, db.sso_config(team).await?))
}

/// The identity layer refuses only names; anything else is ours.
fn name_error(e: IdentityError) -> AppError {
    match e {
        IdentityError::Invalid(msg) => AppError::invalid("name", msg),
        other => AppError::internal(other),
    }
}

fn actor<'a>(admin: &Admin<'a>, label: &'a str) -> Actor<'a> {
    Actor { id: Some(admin.account.id.as_str()), label }
}

/// A new app of the team with every API scope; `redirect_uris` one per line. Returns the
/// app and its client secret, shown this once.
pub async fn create_app(
    db: &Db,
    admin: Admin<'_>,
    name: &str,
    redirect_uris: &str,
    now: DateTime<Utc>,
) -> Result<(ClientRow, String), AppError> {
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "Give the app a name."));
    }
    let uris: Vec<String> =
        redirect_uris.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    for (i, u) in uris.iter().enumerate() {
        RedirectUri::parse(u)
            .map_err(|e| AppError::invalid("redirect_uris", format!("Line {}: {e}.", i + 1)))?;
    }
    let label = admin.account.label();
    let app = identity::NewApp { name, scopes: Scopes::all_api(), redirect_uris: uris, operator: false };
    identity::add_app(db, &actor(&admin, &label), admin.team_id(), app, now).await.map_err(name_error)
}

async fn team_client(db: &Db, team: &TeamId, client: &str) -> Result<ClientRow, AppError> {
    match db.client(client).await? {
        Some(c) if &c.team_id == team => Ok(c),
        _ => Err(AppError::not_found("The app")),
    }
}

async fn team_ssa(db: &Db, team: &TeamId, ssa: &str) -> Result<SsaRow, AppError> {
    let row = db.ssa(ssa).await?.ok_or_else(|| AppError::not_found("The service account"))?;
    team_client(db, team, &row.client_id).await.map_err(|_| AppError::not_found("The service account"))?;
    Ok(row)
}

/// A new service account of one of the team's apps.
pub async fn create_ssa(
    db: &Db,
    admin: Admin<'_>,
    client: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<SsaRow, AppError> {
    let client = team_client(db, admin.team_id(), client).await?;
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "Give the service account a name."));
    }
    let label = admin.account.label();
    identity::add_ssa(db, &actor(&admin, &label), &client, name, now).await.map_err(name_error)
}

/// A new RSA key of an enabled service account: the private key PEM is returned this once
/// and never stored.
pub async fn create_ssa_key(
    db: &Db,
    admin: Admin<'_>,
    ssa: &str,
    now: DateTime<Utc>,
) -> Result<(SsaKeyRow, String), AppError> {
    let ssa = team_ssa(db, admin.team_id(), ssa).await?;
    if ssa.disabled_at.is_some() {
        return Err(AppError::Conflict {
            message: "The service account is disabled. Enable it before creating keys.".into(),
        });
    }
    let label = admin.account.label();
    identity::add_ssa_key(db, &actor(&admin, &label), admin.team_id(), &ssa, now)
        .await
        .map_err(AppError::internal)
}

pub async fn delete_ssa_key(
    db: &Db,
    admin: Admin<'_>,
    ssa: &str,
    kid: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let ssa = team_ssa(db, admin.team_id(), ssa).await?;
    let mut tx = db.pool.begin().await?;
    store::delete_ssa_key(&mut *tx, &ssa.id, kid, now).await.map_err(|e| match e {
        StoreError::NotFound => AppError::not_found("The key"),
        other => other.into(),
    })?;
    let target = format!("Key {kid} of {}", ssa.name);
    admin.audit(&mut tx, "ssa", &target, (None, Some(json!({"key_deleted": kid}))), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables a service account (its keys stop signing in) or enables it again.
pub async fn set_ssa_enabled(
    db: &Db,
    admin: Admin<'_>,
    ssa: &str,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let ssa = team_ssa(db, admin.team_id(), ssa).await?;
    let mut tx = db.pool.begin().await?;
    store::set_ssa_disabled(&mut *tx, &ssa.id, (!enabled).then_some(now)).await?;
    let target = format!("Service account {} ({})", ssa.name, ssa.id);
    admin.audit(&mut tx, "ssa", &target, (None, Some(json!({"enabled": enabled}))), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The single sign-on settings an admin typed.
pub struct SsoForm {
    pub issuer: String,
    pub client_id: String,
    /// Empty keeps the stored secret.
    pub client_secret: String,
    pub enabled: bool,
}

/// Saves the team's OpenID Connect provider (R-SSO1).
pub async fn save_sso(db: &Db, admin: Admin<'_>, form: SsoForm, now: DateTime<Utc>) -> Result<(), AppError> {
    let issuer = form.issuer.trim().trim_end_matches('/').to_string();
    let local = issuer.starts_with("http://127.0.0.1") || issuer.starts_with("http://localhost");
    if !(issuer.starts_with("https://") || local) || issuer.contains(char::is_whitespace) {
        return Err(AppError::invalid(
            "issuer",
            "The issuer must be an https URL (for example https://login.example.com).",
        ));
    }
    if form.client_id.trim().is_empty() {
        return Err(AppError::invalid("client_id", "Enter the client id the provider gave you."));
    }
    // The kept secret is read under the team's lock, so two admins saving at once cannot
    // pair one's issuer with a secret the other has just replaced.
    let mut tx = db.pool.begin().await?;
    lock_team(&mut tx, admin.team_id()).await?;
    let existing = store::sso_config(&mut *tx, admin.team_id()).await?;
    let secret = if form.client_secret.is_empty() {
        existing.map(|e| e.client_secret).unwrap_or_default()
    } else {
        form.client_secret
    };
    if secret.is_empty() {
        return Err(AppError::invalid("client_secret", "Enter the client secret the provider gave you."));
    }
    let cfg = SsoConfig {
        team_id: admin.team_id().clone(),
        issuer: issuer.clone(),
        client_id: form.client_id.trim().to_string(),
        client_secret: secret,
        enabled: form.enabled,
    };
    store::save_sso_config(&mut *tx, &cfg, now).await?;
    let change = json!({"issuer": issuer, "enabled": form.enabled});
    admin.audit(&mut tx, "sso", "Single sign-on", (None, Some(change)), now).await?;
    tx.commit().await?;
    Ok(())
}
