//! Accepting an invitation (R-INV1): the link's page and the accept action.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationSummary {
    pub team_name: String,
    pub name: String,
    pub email: String,
    /// The account has no password yet: accepting sets one. Otherwise the person signs in.
    pub needs_password: bool,
    /// The team signs in through its company's provider: the invitation can be accepted
    /// there instead (R-SSO1; the mailed token proves the address).
    pub sso: bool,
}

#[server(endpoint = "invitation_info")]
pub async fn invitation_info(token: String) -> Result<InvitationSummary, AppError> {
    use super::ssr::*;
    use crate::service::accounts;
    let st = state()?;
    let inv = accounts::usable_invitation(&st, &token).await?;
    let sso_enabled = accounts::team_uses_sso(&st, &inv).await?;
    Ok(InvitationSummary {
        team_name: inv.team_name,
        name: inv.name,
        email: inv.email,
        needs_password: !inv.has_password,
        sso: sso_enabled,
    })
}

/// Sets the new password (or checks the existing one), activates the membership with the
/// assignments made while invited, and signs the person in.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    password: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    let inv = crate::service::accounts::accept_invitation(&st, &token, password, confirm).await?;
    let acc = st.db.account(&inv.account_id).await?.ok_or(AppError::Unauthenticated)?;
    start_session(&st, &acc).await?;
    leptos_axum::redirect(&format!("/t/{}", inv.team_id));
    Ok(())
}
