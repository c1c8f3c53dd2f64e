//! The team's sign-in and directory settings (R-SSO1, R-DIR1): single sign-on, directory
//! tokens and how synced people join. For those who run the team's sign-in: admins, the
//! primary admin and SSO admins (R-UM5).
use crate::error::AppError;
use crate::server::apps::SsoView;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectoryTokenView {
    pub id: String,
    pub label: String,
    pub created: String,
    /// Who made it; "the command line" when nobody in the console did.
    pub created_by: String,
    /// "Never used", or when to the minute.
    pub last_used: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectoryView {
    pub sso: SsoView,
    /// The SCIM base URL the directory is given.
    pub base_url: String,
    pub tokens: Vec<DirectoryTokenView>,
    /// People the directory adds get an invitation email (else they are active at once).
    pub invites: bool,
}

/// A token, shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewDirectoryToken {
    pub base_url: String,
    pub token: String,
}

#[cfg(feature = "ssr")]
fn minute(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[server(endpoint = "team_directory")]
pub async fn team_directory(team: String) -> Result<DirectoryView, AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (_, m) = require_sign_in_admin(&st, &team).await?;
    let sso = st.db.sso_config(&m.team_id).await?;
    let sso = SsoView::of(sso.as_ref(), &st.public_url);
    let tokens = st
        .db
        .scim_tokens(&m.team_id)
        .await?
        .into_iter()
        .map(|t| DirectoryTokenView {
            id: t.id,
            label: t.label,
            created: minute(t.created_at),
            created_by: t.created_by.unwrap_or_else(|| "the command line".into()),
            last_used: t.last_used_at.map_or_else(|| "Never used".into(), minute),
        })
        .collect();
    Ok(DirectoryView {
        sso,
        base_url: format!("{}/scim/v2", st.public_url.trim_end_matches('/')),
        tokens,
        invites: st.db.scim_invites(&m.team_id).await?,
    })
}

/// A new directory token of the team, shown this once (stored hashed).
#[server(endpoint = "create_directory_token")]
pub async fn create_directory_token(team: String, label: String) -> Result<NewDirectoryToken, AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (account, m) = require_sign_in_admin(&st, &team).await?;
    let by = (&account.id, account.label());
    let (_, token) =
        crate::service::directory::create_token(&st.db, &m.team_id, &label, Some((by.0, &by.1)), st.now())
            .await?;
    Ok(NewDirectoryToken { base_url: format!("{}/scim/v2", st.public_url.trim_end_matches('/')), token })
}

/// Revokes a directory token: its next request is refused. The token's label.
#[server(endpoint = "revoke_directory_token")]
pub async fn revoke_directory_token(team: String, token: String) -> Result<String, AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (account, m) = require_sign_in_admin(&st, &team).await?;
    crate::service::directory::revoke_token(&st, &m.team_id, &token, (&account.id, &account.label())).await
}

/// Whether people the directory adds get an invitation email, or are active at once.
#[server(endpoint = "save_directory_settings")]
pub async fn save_directory_settings(team: String, invites: Option<String>) -> Result<(), AppError> {
    use crate::server::ssr::*;
    let st = state()?;
    let (account, m) = require_sign_in_admin(&st, &team).await?;
    let invites = invites.as_deref() == Some("true");
    crate::service::directory::set_invites(&st, &m.team_id, invites, (&account.id, &account.label())).await
}
