//! Services: what the server functions and the REST handlers call. Each one combines the
//! store (SQL) with the domain's rules (no I/O) and the outside world (mail, keys, clock);
//! nothing here renders or parses HTTP. Server-only.

pub mod accounts;
pub mod advice;
pub mod apps;
pub mod assignments;
pub mod devices;
pub mod directory;
pub mod flex;
pub mod groups;
pub mod identity;
pub mod import;
pub mod keys;
pub mod licensing;
pub mod mail;
pub mod members;
pub mod own_account;
pub mod passwords;
pub mod products;
pub mod ratelimit;
pub mod secrets;
pub mod state;
pub mod tokens;
pub mod usage;
pub mod vendor;

use crate::domain::{TeamId, UserId};
use crate::error::AppError;
use crate::store::accounts::Account;
use crate::store::audit::{self, Actor};
use crate::store::teams::{Membership, Role};
use crate::store::Db;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Any, Transaction};

/// The admin acting and the team they act in (as `require_admin` found them).
#[derive(Clone, Copy)]
pub struct Admin<'a> {
    pub account: &'a Account,
    pub team: &'a Membership,
}

impl Admin<'_> {
    pub fn team_id(&self) -> &TeamId {
        &self.team.team_id
    }

    /// Writes an audit entry with this admin as the actor, inside `tx`.
    pub async fn audit(
        &self,
        tx: &mut Transaction<'_, Any>,
        action: &str,
        target: &str,
        change: (Option<Value>, Option<Value>),
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let actor = Actor { id: Some(self.account.id.as_str()), label: &self.account.label() };
        audit::record(tx, self.team_id(), &actor, action, target, change.0.as_ref(), change.1.as_ref(), now)
            .await?;
        Ok(())
    }
}

/// `account`'s membership of `team` if it is active: `NotAMember` for a team never joined,
/// left, or only invited to. The one rule every console entry point and the REST edge use.
pub async fn active_membership(db: &Db, team: &TeamId, account: &UserId) -> Result<Membership, AppError> {
    match db.membership(team, account).await? {
        Some(m) if m.active => Ok(m),
        _ => Err(AppError::NotAMember),
    }
}

/// As `active_membership`, and one that runs the team (the primary admin or an admin, R-UM5):
/// `AdminOnly` for a member or an SSO admin.
pub async fn admin_membership(db: &Db, team: &TeamId, account: &UserId) -> Result<Membership, AppError> {
    membership_that(db, (team, account), Role::runs_team).await
}

/// As `active_membership`, and one that runs the team's sign-in (single sign-on, directory
/// sync): an admin, the primary admin or an SSO admin (R-UM5).
pub async fn sign_in_admin_membership(
    db: &Db,
    team: &TeamId,
    account: &UserId,
) -> Result<Membership, AppError> {
    membership_that(db, (team, account), Role::runs_sign_in).await
}

async fn membership_that(
    db: &Db,
    (team, account): (&TeamId, &UserId),
    may: fn(Role) -> bool,
) -> Result<Membership, AppError> {
    let m = active_membership(db, team, account).await?;
    if !may(m.role) {
        return Err(AppError::AdminOnly);
    }
    Ok(m)
}

/// The caller's role as read through `tx`, which holds the team's lock: a request may
/// finish only if the role it needs (`may`) is still the caller's, not merely the one it
/// started with (someone demoted or removed meanwhile is refused).
pub(crate) async fn role_under_lock(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    (team, account): (&TeamId, &UserId),
    may: fn(Role) -> bool,
) -> Result<Role, AppError> {
    match crate::store::teams::membership(&mut **tx, team, account).await? {
        Some(m) if m.active && may(m.role) => Ok(m.role),
        Some(m) if m.active => Err(AppError::AdminOnly),
        _ => Err(AppError::NotAMember),
    }
}

/// The refusal of a role change (R-UM5) as the console's error.
pub fn role_refused(e: crate::domain::membership::RoleRefusal) -> AppError {
    use crate::domain::membership::RoleRefusal;
    match e {
        RoleRefusal::NotPrimary => AppError::PrimaryAdminOnly,
        other => AppError::Conflict { message: other.to_string() },
    }
}
