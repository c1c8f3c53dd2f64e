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

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::domain::{invitation, Email, PersonName, TeamId};
    use crate::state::AppState;
    use crate::store::accounts::Account;
    use crate::store::assignments::TeamOffer;
    use crate::store::audit::{self, Actor};
    use crate::store::teams::{add_member, MemberStatus, Role};
    use chrono::{DateTime, Utc};
    use sqlx::{Any, Transaction};

    pub async fn offer(st: &AppState, team: &TeamId, code: &str) -> Result<TeamOffer, AppError> {
        st.db
            .team_offers(team, st.now())
            .await?
            .into_iter()
            .find(|o| o.code.eq_ignore_ascii_case(code))
            .ok_or_else(|| AppError::not_found(format!("The product {code} in this team")))
    }

    pub fn actor(acc: &Account) -> (String, String) {
        (acc.id.to_string(), format!("{} <{}>", acc.name, acc.email))
    }

    /// Creates (or links) the account, an invited membership, the invitation, and queues
    /// its email, all inside `tx`. Returns the account id.
    #[allow(clippy::too_many_arguments)]
    pub async fn invite(
        st: &AppState,
        tx: &mut Transaction<'_, Any>,
        team: &TeamId,
        team_name: &str,
        inviter: &Account,
        name: &PersonName,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<(String, bool), AppError> {
        let account_id = match st.db.account_by_email(email).await? {
            Some(existing) => existing.id.to_string(),
            None => crate::store::accounts::create(&mut **tx, email, name, None, now).await?.to_string(),
        };
        let uid = crate::domain::UserId::parse(&account_id).map_err(|e| AppError::invalid("", e))?;
        if st.db.membership(team, &uid).await?.is_some() {
            // Already in the team: nothing to invite, the caller just assigns.
            return Ok((account_id, false));
        }
        add_member(&mut **tx, team, &uid, Role::Member, false, MemberStatus::Invited, now).await?;
        send_invitation(st, tx, team, team_name, inviter, &account_id, name.as_str(), email, now).await?;
        Ok((account_id, true))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn send_invitation(
        st: &AppState,
        tx: &mut Transaction<'_, Any>,
        team: &TeamId,
        team_name: &str,
        inviter: &Account,
        account_id: &str,
        name: &str,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let (token, hash) = crate::secrets::new_token();
        let expires = invitation::expires_at(now);
        crate::store::invitations::create(
            tx,
            team,
            account_id,
            &hash,
            now,
            expires,
            true,
            Some(inviter.id.as_str()),
        )
        .await?;
        let url = format!("{}/invite/{}", st.public_url, token);
        let mail = crate::mail::invitation(
            team_name,
            &inviter.name,
            name,
            &url,
            &expires.format("%Y-%m-%d %H:%M UTC").to_string(),
        );
        crate::store::outbox::enqueue(
            tx,
            &crate::store::outbox::NewMessage {
                kind: "invitation",
                to: email,
                subject: &mail.subject,
                text: &mail.text,
                html: &mail.html,
            },
            now,
        )
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn audit_change(
        tx: &mut Transaction<'_, Any>,
        team: &TeamId,
        acc: &Account,
        action: &str,
        target: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let (id, label) = actor(acc);
        audit::record(
            tx,
            team,
            &Actor { id: Some(&id), label: &label },
            action,
            target,
            before.as_ref(),
            after.as_ref(),
            now,
        )
        .await?;
        Ok(())
    }
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
    use self::ssr::*;
    use super::ssr::*;
    use crate::domain::invitee::parse_entries;
    use crate::store::assignments;
    use serde_json::json;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let offer = offer(&st, &m.team_id, &code).await?;

    let entries = parse_entries(&new_people);
    let problems: Vec<String> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.result.as_ref().err().map(|err| format!("Entry {}: {err}", i + 1)))
        .collect();
    if !problems.is_empty() {
        return Err(AppError::invalid("new_people", problems.join("\n")));
    }
    if member_ids.is_empty() && entries.is_empty() {
        return Err(AppError::invalid("new_people", "Pick at least one member or enter a new person."));
    }
    let now = st.now();
    let mut ids = Vec::new();
    for id in &member_ids {
        let Some(member) = st.db.member(&m.team_id, id).await? else {
            return Err(AppError::invalid(
                "members",
                "One of the picked people is no longer a member of this team.",
            ));
        };
        ids.push((member.account_id, format!("{} <{}>", member.name, member.email)));
    }

    let mut tx = st.db.pool.begin().await?;
    crate::store::teams::lock_team(&mut tx, &m.team_id).await?;
    let mut invited = 0;
    for e in entries.into_iter().filter_map(|e| e.result.ok()) {
        let (id, new) = invite(&st, &mut tx, &m.team_id, &m.team_name, &acc, &e.name, &e.email, now).await?;
        if new {
            invited += 1;
            audit_change(
                &mut tx,
                &m.team_id,
                &acc,
                "invite",
                &format!("{} <{}>", e.name, e.email),
                None,
                Some(json!({"status": "invited"})),
                now,
            )
            .await?;
        }
        ids.push((id, format!("{} <{}>", e.name, e.email)));
    }
    ids.sort();
    ids.dedup_by(|a, b| a.0 == b.0);

    let (mut assigned, mut already) = (0, 0);
    for (id, label) in &ids {
        let new = match &offer.product_id {
            Some(pid) => {
                assignments::assign(&mut tx, &m.team_id, id, pid, Some(acc.id.as_str()), now).await?
            }
            None => assignments::add_flex_user(&mut tx, &m.team_id, id, now).await?,
        };
        if new {
            assigned += 1;
            audit_change(
                &mut tx,
                &m.team_id,
                &acc,
                "assign",
                &format!("{label} → {}", offer.name),
                None,
                Some(json!({"product": offer.code})),
                now,
            )
            .await?;
        } else {
            already += 1;
        }
    }
    if let (Some(pid), Some(seats)) = (&offer.product_id, offer.seats) {
        let used = assignments::assigned_count(&mut tx, &m.team_id, pid).await?;
        if used > seats {
            return Err(AppError::Conflict {
                message: format!(
                    "{} has {seats} seats and this would assign {used}. Unassign someone first, or pick fewer people.",
                    offer.name
                ),
            });
        }
    }
    tx.commit().await?;
    crate::store::outbox::wake();
    Ok(AssignOutcome { assigned, already, invited })
}

#[server(endpoint = "unassign_users", input = Json)]
pub async fn unassign_users(team: String, code: String, member_ids: Vec<String>) -> Result<usize, AppError> {
    use self::ssr::*;
    use super::ssr::*;
    use crate::store::assignments;
    use serde_json::json;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let offer = offer(&st, &m.team_id, &code).await?;
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    let mut removed = 0;
    for id in &member_ids {
        let Some(member) = st.db.member(&m.team_id, id).await? else { continue };
        let gone = match &offer.product_id {
            Some(pid) => assignments::unassign(&mut tx, &m.team_id, id, pid).await?,
            None => assignments::remove_flex_user(&mut tx, &m.team_id, id).await?,
        };
        if gone {
            removed += 1;
            let target = format!("{} <{}> → {}", member.name, member.email, offer.name);
            audit_change(
                &mut tx,
                &m.team_id,
                &acc,
                "unassign",
                &target,
                Some(json!({"product": offer.code})),
                None,
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(removed)
}

/// A new link with a new 7 days; the previous link stops working.
#[server(endpoint = "resend_invitation")]
pub async fn resend_invitation(team: String, member: String) -> Result<(), AppError> {
    use self::ssr::*;
    use super::ssr::*;
    use crate::domain::Email;
    use serde_json::json;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let row = st.db.member(&m.team_id, &member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    if row.active {
        return Err(AppError::Conflict {
            message: format!("{} has already accepted; there is nothing to resend.", row.name),
        });
    }
    let email = Email::parse(&row.email).map_err(|e| AppError::invalid("email", e))?;
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    send_invitation(&st, &mut tx, &m.team_id, &m.team_name, &acc, &row.account_id, &row.name, &email, now)
        .await?;
    audit_change(
        &mut tx,
        &m.team_id,
        &acc,
        "resend",
        &format!("{} <{}>", row.name, row.email),
        None,
        Some(json!({"sent_at": crate::store::ts(now)})),
        now,
    )
    .await?;
    tx.commit().await?;
    crate::store::outbox::wake();
    Ok(())
}
