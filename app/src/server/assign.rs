//! Assigning and unassigning products, inviting new people, resending invitations
//! (R-UM1..3, R-INV1). Each call is one transaction: all of it happens or none of it.
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignOutcome {
    pub assigned: usize,
    pub already: usize,
    pub invited: usize,
}

/// Assigns `code` to existing members and to new people typed as `Full Name <email>`
/// (separated by commas or new lines). Nothing is saved unless every entry is valid.
#[server(endpoint = "assign_users", input = Json)]
pub async fn assign_users(
    team: String,
    code: String,
    member_ids: Vec<String>,
    new_people: String,
) -> Result<AssignOutcome, AppError> {
    use super::ssr::*;
    use crate::service::assignments::{assign, Assigned};
    use crate::service::Admin;
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let Assigned { assigned, already, invited } =
        assign(&st, Admin { account: &account, team: &team }, &code, &member_ids, &new_people).await?;
    Ok(AssignOutcome { assigned, already, invited })
}

#[server(endpoint = "unassign_users", input = Json)]
pub async fn unassign_users(team: String, code: String, member_ids: Vec<String>) -> Result<usize, AppError> {
    use super::ssr::*;
    use crate::service::assignments::unassign;
    use crate::service::Admin;
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    unassign(&st, Admin { account: &account, team: &team }, &code, &member_ids).await
}

/// A new link with a new 7 days; the previous link stops working.
#[server(endpoint = "resend_invitation")]
pub async fn resend_invitation(team: String, member: String) -> Result<(), AppError> {
    use super::ssr::*;
    use crate::service::{assignments, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    assignments::resend_invitation(&st, Admin { account: &account, team: &team }, &member_id(&member)?).await
}
