//! R-ACC1: the signed-in person's own account page: profile, password, sessions, teams.
//! Everything here acts on the caller's own account only.
// `save_profile` takes the form's twelve fields one by one, as an HTML form posts them (the
// page works without JavaScript); the server macro copies the allow to both builds only
// at module level.
#![allow(clippy::too_many_arguments)]
use crate::domain::profile::ProfileForm;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamOfMine {
    pub id: String,
    pub name: String,
    pub admin: bool,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// "2026-12-04 16:03 UTC", or "before 2026-12-04" for sessions older than the record.
    pub signed_in: String,
    pub expires: String,
    pub current: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub profile: ProfileForm,
    pub has_password: bool,
    pub teams: Vec<TeamOfMine>,
    pub sessions: Vec<SessionView>,
}

#[cfg(feature = "ssr")]
async fn current_session_id() -> Result<(tower_sessions::Session, Option<String>), AppError> {
    let session = super::ssr::session().await?;
    let id = session.id().map(|i| i.to_string());
    Ok((session, id))
}

/// Gives the session in use the account's new generation, so it stays when the others end.
#[cfg(feature = "ssr")]
async fn restamp(session: &tower_sessions::Session, epoch: String) -> Result<(), AppError> {
    session.insert(super::ssr::SESSION_EPOCH, epoch).await.map_err(AppError::internal)
}

#[server(endpoint = "my_account")]
pub async fn my_account() -> Result<AccountView, AppError> {
    use super::ssr::*;
    let st = state()?;
    let me = current_account(&st).await?;
    let (_, current) = current_session_id().await?;
    let p = st.db.profile(&me.id).await?.ok_or(AppError::Unauthenticated)?;
    let teams = st
        .db
        .memberships_of(&me.id)
        .await?
        .into_iter()
        .map(|m| TeamOfMine {
            id: m.team_id.to_string(),
            name: m.team_name,
            admin: m.role.runs_team(),
            active: m.active,
        })
        .collect();
    let sessions = crate::service::own_account::sessions_of(&st, &me, current.as_deref())
        .await?
        .into_iter()
        .map(|s| SessionView {
            signed_in: s
                .signed_in_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "before this list began".into()),
            expires: s.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            current: s.current,
        })
        .collect();
    Ok(AccountView {
        email: me.email.clone(),
        has_password: me.password_hash.is_some(),
        profile: ProfileForm {
            name: p.name,
            given_name: p.given_name,
            family_name: p.family_name,
            locale: p.locale,
            job_title: p.job_title,
            company: p.company,
            phone_number: p.phone_number,
            street_address: p.street_address,
            locality: p.locality,
            region: p.region,
            postal_code: p.postal_code,
            country_code: p.country_code,
        },
        teams,
        sessions,
    })
}

#[server(endpoint = "save_profile")]
pub async fn save_profile(
    name: String,
    given_name: String,
    family_name: String,
    locale: String,
    job_title: String,
    company: String,
    phone_number: String,
    street_address: String,
    locality: String,
    region: String,
    postal_code: String,
    country_code: String,
) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    let me = current_account(&st).await?;
    let form = ProfileForm {
        name,
        given_name,
        family_name,
        locale,
        job_title,
        company,
        phone_number,
        street_address,
        locality,
        region,
        postal_code,
        country_code,
    };
    crate::service::own_account::save_profile(&st, &me, &form).await
}

/// Changes the password; every other console session of the account ends.
#[server(endpoint = "change_password")]
pub async fn change_password(current: String, password: String, confirm: String) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    let me = current_account(&st).await?;
    let (session, id) = current_session_id().await?;
    let epoch =
        crate::service::own_account::change_password(&st, &me, current, password, confirm, id.as_deref())
            .await?;
    restamp(&session, epoch).await
}

/// Ends every console session of the account except this one.
#[server(endpoint = "sign_out_elsewhere")]
pub async fn sign_out_elsewhere() -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    let me = current_account(&st).await?;
    let (session, id) = current_session_id().await?;
    let epoch = crate::service::own_account::sign_out_elsewhere(&st, &me, id.as_deref()).await?;
    restamp(&session, epoch).await
}

/// R-ACC1: asks for a password-reset link. Answers the same whether or not an account has
/// the address.
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    crate::service::own_account::request_reset(&st, &email).await
}

/// The address a reset link is for, or why it no longer works (410).
#[server(endpoint = "reset_info")]
pub async fn reset_info(token: String) -> Result<String, AppError> {
    use super::ssr::*;
    let st = state()?;
    let reset = crate::service::own_account::usable_reset(&st, &token).await?;
    let acc = st
        .db
        .account(&reset.account_id)
        .await?
        .ok_or(AppError::Gone { message: "This link is not valid. Ask for a new one.".into() })?;
    Ok(acc.email)
}

/// Sets the new password from a reset link; every session of the account ends and this
/// browser is signed in.
#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String, confirm: String) -> Result<(), AppError> {
    use super::ssr::*;
    let st = state()?;
    let acc = crate::service::own_account::reset_password(&st, &token, password, confirm).await?;
    start_session(&st, &acc).await?;
    leptos_axum::redirect("/");
    Ok(())
}
