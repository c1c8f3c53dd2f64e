//! The member lifecycle (R-UM4, R-UM5, R-INV2): remove, leave, withdraw and send
//! invitations, invite without a product, role and guest, the team's name, and the
//! *Pending invitations* list. Each function: session, authorization, one service call.
use crate::error::AppError;
use crate::server::people::MemberView;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemovalPreviewView {
    pub summary: String,
    pub people: Vec<String>,
    /// The removal would be refused (the last admin, or the admin themself): why.
    pub refusal: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentView {
    pub sent: usize,
    pub active: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitedView {
    pub invited: usize,
    pub already: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingView {
    pub member: MemberView,
    pub sent_on: String,
    pub expires_on: String,
    /// Imported and never emailed: "not sent".
    pub emailed: bool,
    pub invited_by: Option<String>,
    /// What was assigned while they were invited: "Draft 2D (Avery Admin)", "Flex".
    pub assigned: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingPage {
    pub rows: Vec<PendingView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// What removing `member_ids` would do, for the confirmation dialog.
#[server(endpoint = "removal_preview", input = Json)]
pub async fn removal_preview(team: String, member_ids: Vec<String>) -> Result<RemovalPreviewView, AppError> {
    use super::ssr::*;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let p = members::removal_preview(&st, Admin { account: &account, team: &team }, &member_ids).await?;
    Ok(RemovalPreviewView { summary: p.summary, people: p.people, refusal: p.refusal })
}

/// Removes people from the team (R-UM4); how many.
#[server(endpoint = "remove_members", input = Json)]
pub async fn remove_members(team: String, member_ids: Vec<String>) -> Result<usize, AppError> {
    use super::ssr::*;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    members::remove(&st, Admin { account: &account, team: &team }, &member_ids).await
}

/// The signed-in person leaves the team (R-UM4).
#[server(endpoint = "leave_team")]
pub async fn leave_team(team: String) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_member(&st, &team).await?;
    members::leave(&st, Admin { account: &account, team: &team }).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Withdraws a pending invitation (R-INV2); the person's name, for the message.
#[server(endpoint = "withdraw_invitation")]
pub async fn withdraw_invitation(team: String, member: String) -> Result<String, AppError> {
    use super::ssr::*;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    members::withdraw(&st, Admin { account: &account, team: &team }, &member_id(&member)?).await
}

/// Sends (or sends again) invitations to people who have not accepted (R-INV2).
#[server(endpoint = "send_invitations", input = Json)]
pub async fn send_invitations(team: String, member_ids: Vec<String>) -> Result<SentView, AppError> {
    use super::ssr::*;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let s = members::send_invitations(&st, Admin { account: &account, team: &team }, &member_ids).await?;
    Ok(SentView { sent: s.sent, active: s.active })
}

/// Invites people without assigning a product, as admins or members, guests or not.
#[server(endpoint = "invite_people")]
pub async fn invite_people(
    team: String,
    people: String,
    role: String,
    guest: Option<String>,
) -> Result<InvitedView, AppError> {
    use super::ssr::*;
    use crate::domain::membership::MemberRole;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let role = MemberRole::parse(&role).map_err(|e| AppError::invalid("role", e))?;
    let guest = guest.is_some_and(|g| g == "on" || g == "true");
    let (invited, already) =
        members::invite_people(&st, Admin { account: &account, team: &team }, &people, role, guest).await?;
    Ok(InvitedView { invited, already })
}

/// What a change of the guest flag would do to the person's Flex products (R-FX2), before
/// it is saved; `None` when nothing.
#[server(endpoint = "guest_effect")]
pub async fn guest_effect(team: String, member: String, guest: bool) -> Result<Option<String>, AppError> {
    use super::ssr::*;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    members::guest_effect(&st, Admin { account: &account, team: &team }, &member_id(&member)?, guest).await
}

/// Sets a member's role and guest flag (R-UM5).
#[server(endpoint = "set_member_role")]
pub async fn set_member_role(
    team: String,
    member: String,
    role: String,
    guest: Option<String>,
) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::domain::membership::MemberRole;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let role = MemberRole::parse(&role).map_err(|e| AppError::invalid("role", e))?;
    let guest = guest.is_some_and(|g| g == "on" || g == "true");
    members::set_role(&st, Admin { account: &account, team: &team }, &member_id(&member)?, role, guest).await
}

/// Hands the team's primary admin role to a member (R-UM5); the new primary admin's name.
#[server(endpoint = "hand_on_primary")]
pub async fn hand_on_primary(team: String, member: String) -> Result<String, AppError> {
    use super::ssr::*;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    members::hand_on_primary(&st, Admin { account: &account, team: &team }, &member_id(&member)?).await
}

/// Renames the team; the new name.
#[server(endpoint = "rename_team")]
pub async fn rename_team(team: String, name: String) -> Result<String, AppError> {
    use super::ssr::*;
    use crate::service::{members, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    members::rename_team(&st, Admin { account: &account, team: &team }, &name).await
}

/// R-INV2: people who have not accepted, with their invitation, newest first.
#[server(endpoint = "pending_invitations")]
pub async fn pending_invitations(
    team: String,
    q: Option<String>,
    page: Option<i64>,
) -> Result<PendingPage, AppError> {
    use super::people::{page_offset, PAGE_SIZE};
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let now = st.now();
    let offset = page_offset(page);
    let (rows, total) =
        st.db.pending_invitations(&m.team_id, q.as_deref().unwrap_or(""), offset, PAGE_SIZE).await?;
    let rows = rows
        .into_iter()
        .map(|r| PendingView {
            sent_on: r.sent_at.format("%Y-%m-%d").to_string(),
            expires_on: r.expires_at.format("%Y-%m-%d").to_string(),
            emailed: r.emailed,
            invited_by: r.invited_by,
            assigned: r
                .assigned
                .into_iter()
                .map(|(product, by)| match by {
                    Some(by) => format!("{product} ({by})"),
                    None => product,
                })
                .collect(),
            member: super::people::ssr::member_view(r.member, now),
        })
        .collect();
    Ok(PendingPage { rows, total, offset, limit: PAGE_SIZE })
}
