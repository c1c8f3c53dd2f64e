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

#[cfg(feature = "ssr")]
impl SsoView {
    /// The form's view of a team's provider (the secret never leaves the server).
    pub fn of(sso: Option<&crate::store::identity::SsoConfig>, public_url: &str) -> SsoView {
        SsoView {
            issuer: sso.map(|s| s.issuer.clone()).unwrap_or_default(),
            client_id: sso.map(|s| s.client_id.clone()).unwrap_or_default(),
            has_secret: sso.is_some_and(|s| !s.client_secret.is_empty()),
            enabled: sso.is_some_and(|s| s.enabled),
            callback_url: format!("{public_url}/sso/callback"),
        }
    }
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
fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[server(endpoint = "team_apps")]
pub async fn team_apps(team: String) -> Result<AppsView, AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let (apps, sso) = crate::service::apps::team_apps(&st.db, &m.team_id).await?;
    let clients = apps
        .into_iter()
        .map(|a| ClientView {
            ssas: a
                .ssas
                .into_iter()
                .map(|(s, keys)| SsaView {
                    keys: keys
                        .into_iter()
                        .map(|k| KeyView {
                            kid: k.kid,
                            created: day(k.created_at),
                            last_used: k.last_used_at.map(day),
                        })
                        .collect(),
                    id: s.id,
                    name: s.name,
                    email: s.email,
                    created: day(s.created_at),
                    disabled: s.disabled_at.is_some(),
                })
                .collect(),
            id: a.client.id,
            name: a.client.name,
            scopes: a.client.scopes.iter().map(str::to_string).collect(),
            redirect_uris: a.client.redirect_uris,
            created: day(a.client.created_at),
        })
        .collect();
    let sso = SsoView::of(sso.as_ref(), &st.public_url);
    Ok(AppsView { clients, sso })
}

/// A new app of the team; its secret is returned this once.
#[server(endpoint = "create_app")]
pub async fn create_app(team: String, name: String, redirect_uris: String) -> Result<ShownOnce, AppError> {
    use crate::server::ssr::*;
    use crate::service::{apps, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let admin = Admin { account: &account, team: &team };
    let (client, secret) = apps::create_app(&st.db, admin, &name, &redirect_uris, st.now()).await?;
    Ok(ShownOnce { id: client.id, secret })
}

#[server(endpoint = "create_ssa")]
pub async fn create_ssa(team: String, client: String, name: String) -> Result<String, AppError> {
    use crate::server::ssr::*;
    use crate::service::{apps, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let admin = Admin { account: &account, team: &team };
    Ok(apps::create_ssa(&st.db, admin, &client, &name, st.now()).await?.id)
}

/// A new RSA key: the private key PEM is returned this once and never stored.
#[server(endpoint = "create_ssa_key")]
pub async fn create_ssa_key(team: String, ssa: String) -> Result<ShownOnce, AppError> {
    use crate::server::ssr::*;
    use crate::service::{apps, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let admin = Admin { account: &account, team: &team };
    let (key, pem) = apps::create_ssa_key(&st.db, admin, &ssa, st.now()).await?;
    Ok(ShownOnce { id: key.kid, secret: pem })
}

#[server(endpoint = "delete_ssa_key")]
pub async fn delete_ssa_key(team: String, ssa: String, kid: String) -> Result<(), AppError> {
    use crate::server::ssr::*;
    use crate::service::{apps, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    apps::delete_ssa_key(&st.db, Admin { account: &account, team: &team }, &ssa, &kid, st.now()).await
}

#[server(endpoint = "set_ssa_enabled")]
pub async fn set_ssa_enabled(team: String, ssa: String, enabled: bool) -> Result<(), AppError> {
    use crate::server::ssr::*;
    use crate::service::{apps, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    apps::set_ssa_enabled(&st.db, Admin { account: &account, team: &team }, &ssa, enabled, st.now()).await
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
    use crate::service::apps::{self, SsoForm};
    use crate::service::Admin;
    let st = state()?;
    // R-UM5: SSO admins run single sign-on too.
    let (account, team) = require_sign_in_admin(&st, &team).await?;
    // An unticked checkbox sends nothing.
    let form = SsoForm { issuer, client_id, client_secret, enabled: enabled.as_deref() == Some("true") };
    apps::save_sso(&st.db, Admin { account: &account, team: &team }, form, st.now()).await
}
