//! Apps (OAuth clients), Secure Service Accounts and their keys (R-SSA1), and the team's
//! single sign-on provider (R-SSO1). Admins only; every id is checked to belong to the team.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyView {
    pub kid: String,
    pub created: String,
    pub last_used: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SsaView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub created: String,
    pub disabled: bool,
    pub keys: Vec<KeyView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientView {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub created: String,
    pub ssas: Vec<SsaView>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SsoView {
    pub issuer: String,
    pub client_id: String,
    pub has_secret: bool,
    pub enabled: bool,
    /// Where the provider must send people back (to register there).
    pub callback_url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppsView {
    pub clients: Vec<ClientView>,
    pub sso: SsoView,
}

/// A secret shown once: a new key's private half, or a new app's client secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShownOnce {
    pub id: String,
    pub secret: String,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::domain::TeamId;
    use crate::store::identity::{ClientRow, SsaRow};
    use crate::store::Db;

    /// The identity layer refuses only names; anything else is ours.
    pub fn name_error(e: crate::service::identity::IdentityError) -> AppError {
        match e {
            crate::service::identity::IdentityError::Invalid(msg) => AppError::invalid("name", msg),
            other => crate::server::ssr::internal(other),
        }
    }

    pub fn day(t: chrono::DateTime<chrono::Utc>) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    pub async fn team_client(db: &Db, team: &TeamId, client: &str) -> Result<ClientRow, AppError> {
        match db.client(client).await? {
            Some(c) if &c.team_id == team => Ok(c),
            _ => Err(AppError::not_found("The app")),
        }
    }

    pub async fn team_ssa(db: &Db, team: &TeamId, ssa: &str) -> Result<SsaRow, AppError> {
        let row = db.ssa(ssa).await?.ok_or_else(|| AppError::not_found("The service account"))?;
        team_client(db, team, &row.client_id)
            .await
            .map_err(|_| AppError::not_found("The service account"))?;
        Ok(row)
    }
}

#[server(endpoint = "team_apps")]
pub async fn team_apps(team: String) -> Result<AppsView, AppError> {
    use self::ssr::day;
    use crate::server::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let mut clients = vec![];
    for c in st.db.clients_of_team(&m.team_id).await? {
        let mut ssas = vec![];
        for s in st.db.ssas_of_client(&c.id).await? {
            let keys = st
                .db
                .keys_of_ssa(&s.id)
                .await?
                .into_iter()
                .map(|k| KeyView {
                    kid: k.kid,
                    created: day(k.created_at),
                    last_used: k.last_used_at.map(day),
                })
                .collect();
            ssas.push(SsaView {
                id: s.id,
                name: s.name,
                email: s.email,
                created: day(s.created_at),
                disabled: s.disabled_at.is_some(),
                keys,
            });
        }
        clients.push(ClientView {
            id: c.id,
            name: c.name,
            scopes: c.scopes.iter().map(str::to_string).collect(),
            redirect_uris: c.redirect_uris,
            created: day(c.created_at),
            ssas,
        });
    }
    let sso = st.db.sso_config(&m.team_id).await?;
    let sso = SsoView {
        issuer: sso.as_ref().map(|s| s.issuer.clone()).unwrap_or_default(),
        client_id: sso.as_ref().map(|s| s.client_id.clone()).unwrap_or_default(),
        has_secret: sso.as_ref().is_some_and(|s| !s.client_secret.is_empty()),
        enabled: sso.as_ref().is_some_and(|s| s.enabled),
        callback_url: format!("{}/sso/callback", st.public_url),
    };
    Ok(AppsView { clients, sso })
}

/// A new app of the team; its secret is returned this once.
#[server(endpoint = "create_app")]
pub async fn create_app(team: String, name: String, redirect_uris: String) -> Result<ShownOnce, AppError> {
    use crate::domain::oauth::{RedirectUri, Scopes};
    use crate::server::ssr::*;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "Give the app a name."));
    }
    let uris: Vec<String> =
        redirect_uris.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    for (i, u) in uris.iter().enumerate() {
        RedirectUri::parse(u)
            .map_err(|e| AppError::invalid("redirect_uris", format!("Line {}: {e}.", i + 1)))?;
    }
    let now = st.now();
    let actor = crate::store::audit::Actor { id: Some(acc.id.as_str()), label: &acc.label() };
    let (client, secret) =
        crate::service::identity::add_app(&st.db, &actor, &m.team_id, &name, Scopes::all_api(), uris, now)
            .await
            .map_err(self::ssr::name_error)?;
    Ok(ShownOnce { id: client.id, secret })
}

#[server(endpoint = "create_ssa")]
pub async fn create_ssa(team: String, client: String, name: String) -> Result<String, AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let client = self::ssr::team_client(&st.db, &m.team_id, &client).await?;
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "Give the service account a name."));
    }
    let now = st.now();
    let actor = crate::store::audit::Actor { id: Some(acc.id.as_str()), label: &acc.label() };
    let ssa = crate::service::identity::add_ssa(&st.db, &actor, &client, &name, now)
        .await
        .map_err(self::ssr::name_error)?;
    Ok(ssa.id)
}

/// A new RSA key: the private key PEM is returned this once and never stored.
#[server(endpoint = "create_ssa_key")]
pub async fn create_ssa_key(team: String, ssa: String) -> Result<ShownOnce, AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let ssa = self::ssr::team_ssa(&st.db, &m.team_id, &ssa).await?;
    if ssa.disabled_at.is_some() {
        return Err(AppError::Conflict {
            message: "The service account is disabled. Enable it before creating keys.".into(),
        });
    }
    let now = st.now();
    let actor = crate::store::audit::Actor { id: Some(acc.id.as_str()), label: &acc.label() };
    let (key, pem) = crate::service::identity::add_ssa_key(&st.db, &actor, &m.team_id, &ssa, now)
        .await
        .map_err(internal)?;
    Ok(ShownOnce { id: key.kid, secret: pem })
}

#[server(endpoint = "delete_ssa_key")]
pub async fn delete_ssa_key(team: String, ssa: String, kid: String) -> Result<(), AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let ssa = self::ssr::team_ssa(&st.db, &m.team_id, &ssa).await?;
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    crate::store::identity::delete_ssa_key(&mut *tx, &ssa.id, &kid, now).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => AppError::not_found("The key"),
        other => other.into(),
    })?;
    crate::service::Admin { account: &acc, team: &m }
        .audit(
            &mut tx,
            "ssa",
            &format!("Key {kid} of {}", ssa.name),
            (None, Some(serde_json::json!({"key_deleted": kid}))),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

#[server(endpoint = "set_ssa_enabled")]
pub async fn set_ssa_enabled(team: String, ssa: String, enabled: bool) -> Result<(), AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let ssa = self::ssr::team_ssa(&st.db, &m.team_id, &ssa).await?;
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    crate::store::identity::set_ssa_disabled(&mut *tx, &ssa.id, (!enabled).then_some(now)).await?;
    crate::service::Admin { account: &acc, team: &m }
        .audit(
            &mut tx,
            "ssa",
            &format!("Service account {} ({})", ssa.name, ssa.id),
            (None, Some(serde_json::json!({"enabled": enabled}))),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// R-SSO1: the team's OpenID Connect provider. An empty secret keeps the stored one.
#[server(endpoint = "save_sso")]
pub async fn save_sso(
    team: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    enabled: Option<String>,
) -> Result<(), AppError> {
    use crate::server::ssr::*;
    use crate::store::identity::SsoConfig;
    // An unticked checkbox sends nothing.
    let enabled = enabled.as_deref() == Some("true");
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let issuer = issuer.trim().trim_end_matches('/').to_string();
    let local = issuer.starts_with("http://127.0.0.1") || issuer.starts_with("http://localhost");
    if !(issuer.starts_with("https://") || local) || issuer.contains(char::is_whitespace) {
        return Err(AppError::invalid(
            "issuer",
            "The issuer must be an https URL (for example https://login.example.com).",
        ));
    }
    if client_id.trim().is_empty() {
        return Err(AppError::invalid("client_id", "Enter the client id the provider gave you."));
    }
    let now = st.now();
    // The kept secret is read under the team's lock, so two admins saving at once cannot
    // pair one's issuer with a secret the other has just replaced.
    let mut tx = st.db.pool.begin().await?;
    crate::store::teams::lock_team(&mut tx, &m.team_id).await?;
    let existing = crate::store::identity::sso_config(&mut *tx, &m.team_id).await?;
    let secret = if client_secret.is_empty() {
        existing.map(|e| e.client_secret).unwrap_or_default()
    } else {
        client_secret
    };
    if secret.is_empty() {
        return Err(AppError::invalid("client_secret", "Enter the client secret the provider gave you."));
    }
    let cfg = SsoConfig {
        team_id: m.team_id.clone(),
        issuer: issuer.clone(),
        client_id: client_id.trim().to_string(),
        client_secret: secret,
        enabled,
    };
    crate::store::identity::save_sso_config(&mut *tx, &cfg, now).await?;
    crate::service::Admin { account: &acc, team: &m }
        .audit(
            &mut tx,
            "sso",
            "Single sign-on",
            (None, Some(serde_json::json!({"issuer": issuer, "enabled": enabled}))),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}
