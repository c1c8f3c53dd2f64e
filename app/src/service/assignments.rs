//! Assigning and unassigning products, inviting new people and resending invitations
//! (R-UM1..3, R-INV1). Each call is one transaction that takes the team's lock first, reads
//! what it changes (the product's seats included) through the same transaction, and writes
//! its audit entries and emails inside it: all of it happens or none of it.
use crate::domain::access::Individual;
use crate::domain::invitee::{all_valid, parse_entries, Invitee};
use crate::domain::seats::within_seats;
use crate::domain::{invitation, Email, PersonName, TeamId, UserId};
use crate::error::AppError;
use crate::service::flex::FlexMailer;
use crate::service::state::AppState;
use crate::service::Admin;
use crate::store::accounts;
use crate::store::assignments::{self, TeamOffer};
use crate::store::teams::{self, add_member, MemberStatus, Role};
use crate::store::{outbox, people};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{Any, Transaction};

/// What an assignment did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Assigned {
    pub assigned: usize,
    pub already: usize,
    pub invited: usize,
}

/// The product `code` as this team holds it at `now`, read through `conn`.
pub async fn offer(
    conn: &mut sqlx::AnyConnection,
    team: &TeamId,
    code: &str,
    now: DateTime<Utc>,
) -> Result<TeamOffer, AppError> {
    assignments::offers(conn, team, now)
        .await?
        .into_iter()
        .find(|o| o.code.eq_ignore_ascii_case(code))
        .ok_or_else(|| AppError::not_found(format!("The product {code} in this team")))
}

/// Assigns `code` to the members `member_ids` and to the people typed in `new_people`
/// (`Full Name <email>`, separated by commas or new lines), inviting those not yet in the
/// team. Nothing is saved unless every entry is valid and the seats suffice.
pub async fn assign(
    st: &AppState,
    admin: Admin<'_>,
    code: &str,
    member_ids: &[String],
    new_people: &str,
) -> Result<Assigned, AppError> {
    let (team, now) = (admin.team_id(), st.now());
    let mut tx = st.db.pool.begin().await?;
    teams::lock_team(&mut tx, team).await?;
    let offer = offer(&mut tx, team, code, now).await?;
    let invitees = typed_people(new_people, "new_people")?;
    if member_ids.is_empty() && invitees.is_empty() {
        return Err(AppError::invalid("new_people", "Pick at least one member or enter a new person."));
    }
    let mut people = Vec::new();
    for id in member_ids {
        // An id the page sends that is no account id names nobody in the team either.
        let found = match UserId::parse(id) {
            Ok(id) => people::member(&mut *tx, team, &id).await?,
            Err(_) => None,
        };
        let Some(member) = found else {
            return Err(AppError::invalid(
                "members",
                "One of the picked people is no longer a member of this team.",
            ));
        };
        people.push((member.account_id, format!("{} <{}>", member.name, member.email)));
    }
    let mut outcome = Assigned::default();
    let (invited, new) = invite_all(st, &mut tx, admin, &invitees, (Role::Member, false), now).await?;
    outcome.invited = new;
    people.extend(invited);
    people.sort();
    people.dedup_by(|a, b| a.0 == b.0);

    let mut given = Vec::new();
    for (id, label) in &people {
        let new = match &offer.product_id {
            Some(pid) => {
                assignments::assign(&mut tx, team, id, pid, Some(admin.account.id.as_str()), now).await?
            }
            None => {
                assignments::add_flex_user_by(&mut tx, team, id, Some(admin.account.id.as_str()), now).await?
            }
        };
        if new {
            outcome.assigned += 1;
            given.push(id);
            let target = format!("{label} → {}", offer.name);
            admin
                .audit(&mut tx, "assign", &target, (None, Some(json!({"product": offer.code}))), now)
                .await?;
        } else {
            outcome.already += 1;
        }
    }
    if let Some(pid) = &offer.product_id {
        let used = assignments::assigned_count(&mut tx, team, pid).await?;
        within_seats(&offer.name, offer.seats, used)
            .map_err(|e| AppError::Conflict { message: e.to_string() })?;
    } else if !given.is_empty() {
        // Members given Flex here learn what they can run now, as with a change of their
        // selection (R-FX1); people still invited hear about the team from their invitation.
        let mailer = FlexMailer::load(st, &mut tx, team, &admin.team.team_name).await?;
        for id in given {
            match people::member(&mut *tx, team, id).await? {
                Some(row) if row.active => mailer.send(&mut tx, &row, &Individual::All, now).await?,
                _ => {}
            }
        }
    }
    tx.commit().await?;
    st.db.wake_outbox();
    Ok(outcome)
}

/// Takes `code` away from the members `member_ids`; how many lost it.
pub async fn unassign(
    st: &AppState,
    admin: Admin<'_>,
    code: &str,
    member_ids: &[String],
) -> Result<usize, AppError> {
    let (team, now) = (admin.team_id(), st.now());
    let mut tx = st.db.pool.begin().await?;
    teams::lock_team(&mut tx, team).await?;
    let offer = offer(&mut tx, team, code, now).await?;
    let mut removed = 0;
    // Ids that name nobody in the team (gone since the page loaded, or no account id at
    // all) are passed over: there is nothing of theirs to take away.
    for id in member_ids.iter().filter_map(|id| UserId::parse(id).ok()) {
        let Some(member) = people::member(&mut *tx, team, &id).await? else { continue };
        let gone = match &offer.product_id {
            Some(pid) => assignments::unassign(&mut tx, team, &id, pid).await?,
            None => assignments::remove_flex_user(&mut tx, team, &id, now).await?,
        };
        if gone {
            removed += 1;
            let target = format!("{} <{}> → {}", member.name, member.email, offer.name);
            admin
                .audit(&mut tx, "unassign", &target, (Some(json!({"product": offer.code})), None), now)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(removed)
}

/// A new invitation link with a new 7 days for a member who has not accepted; the
/// previous link stops working.
pub async fn resend_invitation(st: &AppState, admin: Admin<'_>, member: &UserId) -> Result<(), AppError> {
    let (team, now) = (admin.team_id(), st.now());
    let mut tx = st.db.pool.begin().await?;
    // Under the team's lock, like a withdrawal: a link is never mailed for a membership
    // that a concurrent withdrawal is taking away.
    teams::lock_team(&mut tx, team).await?;
    let row =
        people::member(&mut *tx, team, member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    if row.active {
        return Err(AppError::Conflict {
            message: format!("{} has already accepted; there is nothing to resend.", row.name),
        });
    }
    let email = Email::parse(&row.email).map_err(|e| AppError::invalid("email", e))?;
    send_invitation(st, &mut tx, admin, &row.account_id, &row.name, &email, now).await?;
    // People an import added were never written to: this is their first invitation.
    let action = if row.invite_emailed == Some(false) { "send_invitation" } else { "resend" };
    let target = format!("{} <{}>", row.name, row.email);
    admin
        .audit(&mut tx, action, &target, (None, Some(json!({"sent_at": crate::store::ts(now)}))), now)
        .await?;
    tx.commit().await?;
    st.db.wake_outbox();
    Ok(())
}

/// The people typed as `Full Name <email>` entries (separated by commas or new lines), all
/// of them valid, or every bad entry named under `field`; nothing is invited unless all are.
pub(crate) fn typed_people(text: &str, field: &str) -> Result<Vec<Invitee>, AppError> {
    all_valid(&parse_entries(text)).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|(n, err)| format!("Entry {n}: {err}")).collect();
        AppError::invalid(field, lines.join("\n"))
    })
}

/// Invites each of `people` who is not in the team yet, with `role_guest`, and audits each
/// invitation: every one's account id and label, and how many were invited (the others
/// were already in the team).
pub(crate) async fn invite_all(
    st: &AppState,
    tx: &mut Transaction<'_, Any>,
    admin: Admin<'_>,
    people: &[Invitee],
    role_guest: (Role, bool),
    now: DateTime<Utc>,
) -> Result<(Vec<(UserId, String)>, usize), AppError> {
    let (mut ids, mut invited) = (Vec::with_capacity(people.len()), 0);
    for p in people {
        let label = format!("{} <{}>", p.name, p.email);
        let (id, new) = invite(st, tx, admin, &p.name, &p.email, role_guest, now).await?;
        if new {
            invited += 1;
            let after = json!({"status": "invited", "role": role_guest.0.as_str(), "guest": role_guest.1});
            admin.audit(tx, "invite", &label, (None, Some(after)), now).await?;
        }
        ids.push((id, label));
    }
    Ok((ids, invited))
}

/// Creates (or finds) the account, an invited membership and the invitation, and queues its
/// email, all inside `tx`. The account id, and whether anyone was invited (false: already
/// in the team, so there is only something to assign). `role_guest` is what the new
/// membership starts with.
pub(crate) async fn invite(
    st: &AppState,
    tx: &mut Transaction<'_, Any>,
    admin: Admin<'_>,
    name: &PersonName,
    email: &Email,
    role_guest: (Role, bool),
    now: DateTime<Utc>,
) -> Result<(UserId, bool), AppError> {
    let uid = match accounts::by_email(&mut **tx, email).await? {
        Some(existing) => existing.id,
        None => accounts::create(&mut **tx, email, name, None, now).await?,
    };
    if teams::membership(&mut **tx, admin.team_id(), &uid).await?.is_some() {
        return Ok((uid, false));
    }
    // The team sees the name its admin typed until the person accepts, not a name the
    // account carries from elsewhere.
    let typed = Some(name.as_str());
    add_member(tx, admin.team_id(), &uid, (role_guest.0, role_guest.1), MemberStatus::Invited, typed, now)
        .await?;
    send_invitation(st, tx, admin, &uid, name.as_str(), email, now).await?;
    Ok((uid, true))
}

pub(crate) async fn send_invitation(
    st: &AppState,
    tx: &mut Transaction<'_, Any>,
    admin: Admin<'_>,
    account_id: &UserId,
    name: &str,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (token, hash) = crate::service::secrets::new_token();
    let expires = invitation::expires_at(now);
    let inviter = admin.account;
    crate::store::invitations::create(
        tx,
        admin.team_id(),
        account_id,
        &hash,
        now,
        expires,
        true,
        Some(inviter.id.as_str()),
    )
    .await?;
    let url = format!("{}/invite/{}", st.public_url, token);
    let expiry = expires.format("%Y-%m-%d %H:%M UTC").to_string();
    let mail = crate::service::mail::invitation(&admin.team.team_name, &inviter.name, name, &url, &expiry);
    let message = outbox::NewMessage {
        kind: "invitation",
        to: email,
        subject: &mail.subject,
        text: &mail.text,
        html: &mail.html,
    };
    outbox::enqueue(tx, &message, now).await?;
    Ok(())
}
