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

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::domain::invitation::{check_accept, InvitationState};
    use crate::service::state::AppState;
    use crate::store::invitations::InvitationRow;

    /// The invitation behind `token` if it can still be accepted, or why not.
    pub async fn usable(st: &AppState, token: &str) -> Result<InvitationRow, AppError> {
        let hash = crate::service::secrets::hash_token(token.trim());
        let unknown =
            || AppError::Gone { message: crate::domain::invitation::AcceptRefusal::Unknown.to_string() };
        let Some(inv) = st.db.invitation_by_token_hash(&hash).await? else { return Err(unknown()) };
        let state = InvitationState {
            sent_at: inv.sent_at,
            accepted_at: inv.accepted_at,
            superseded_at: inv.superseded_at,
        };
        check_accept(&state, st.now()).map_err(|r| AppError::Gone { message: r.to_string() })?;
        Ok(inv)
    }
}

#[server(endpoint = "invitation_info")]
pub async fn invitation_info(token: String) -> Result<InvitationSummary, AppError> {
    use super::ssr::*;
    let st = state()?;
    let inv = self::ssr::usable(&st, &token).await?;
    let team = crate::domain::TeamId::parse(&inv.team_id).map_err(internal)?;
    let sso_enabled = st.db.sso_config(&team).await?.is_some_and(|c| c.enabled);
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
    use crate::domain::{NewPassword, UserId};
    use crate::store::audit::{record, Actor};
    let st = state()?;
    let inv = self::ssr::usable(&st, &token).await?;
    let uid = UserId::parse(&inv.account_id).map_err(internal)?;
    let new_hash = if inv.has_password {
        let acc = st.db.account(&uid).await?.ok_or_else(|| internal("invited account missing"))?;
        // The same per-account throttle as sign-in (a valid invitation link must not be a way
        // around it), keyed by the account's stored (normalised) address as sign-in keys it.
        if !super::auth::check_password_throttled(&st, &acc.email, password, acc.password_hash, "invitation")
            .await?
        {
            return Err(AppError::invalid(
                "password",
                "That is not the password of this account. Try again.",
            ));
        }
        None
    } else {
        let pw = NewPassword::parse(&password)
            .map_err(|e| AppError::invalid("password", super::auth::capitalise(&e.to_string())))?;
        if confirm.as_deref() != Some(password.as_str()) {
            return Err(AppError::invalid(
                "confirm",
                "The two passwords are different. Type the same password twice.",
            ));
        }
        Some(crate::service::passwords::hash_blocking(pw.expose().to_string()).await.map_err(internal)?)
    };
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    if !crate::store::invitations::accept(&mut tx, &inv, now).await? {
        return Err(AppError::Gone {
            message: crate::domain::invitation::AcceptRefusal::AlreadyUsed.to_string(),
        });
    }
    if let Some(hash) = &new_hash {
        crate::store::accounts::set_first_password(&mut *tx, &uid, hash).await?;
    }
    let team = crate::domain::TeamId::parse(&inv.team_id).map_err(internal)?;
    let label = format!("{} <{}>", inv.name, inv.email);
    record(
        &mut tx,
        &team,
        &Actor { id: Some(&inv.account_id), label: &label },
        "accept",
        &label,
        None,
        Some(&serde_json::json!({"status": "active"})),
        now,
    )
    .await?;
    tx.commit().await?;

    let session = session().await?;
    session.cycle_id().await.map_err(internal)?;
    session.insert(SESSION_USER, inv.account_id.as_str()).await.map_err(internal)?;
    leptos_axum::redirect(&format!("/t/{}", inv.team_id));
    Ok(())
}
