//! The member lifecycle (R-UM4, R-UM5, R-INV2): removing people, leaving a team,
//! withdrawing and sending invitations, inviting without a product, roles and the guest
//! flag, and the team's name. Each change is one transaction under the team's lock that
//! reads what it changes through itself and writes its audit entries inside it.
use crate::domain::access::{flex_products, Individual};
use crate::domain::membership::{admins_remain, removal_summary, LastAdmin, MemberRole, Removal};
use crate::domain::{Email, TeamName, UserId};
use crate::error::AppError;
use crate::service::assignments::{invite_all, send_invitation, typed_people};
use crate::service::state::AppState;
use crate::service::Admin;
use crate::store::people::{self, RemovalFacts};
use crate::store::teams::{self, lock_team, Role};
use crate::store::ts;
use serde_json::json;
use sqlx::{Any, Transaction};
use std::collections::BTreeSet;

/// A transaction holding the team's lock, in which the caller's admin rights were read
/// again: an admin demoted or removed while this request waited for the lock must not
/// finish it.
pub(crate) async fn locked_as_admin(
    st: &AppState,
    admin: Admin<'_>,
) -> Result<Transaction<'static, Any>, AppError> {
    Ok(locked_with_role(st, admin).await?.0)
}

/// As `locked_as_admin`, with the caller's role as read under the lock (R-UM5: what only
/// the primary admin may do is decided on this, not on the role the request started with).
pub(crate) async fn locked_with_role(
    st: &AppState,
    admin: Admin<'_>,
) -> Result<(Transaction<'static, Any>, Role), AppError> {
    let mut tx = st.db.pool.begin().await?;
    lock_team(&mut tx, admin.team_id()).await?;
    let role = super::role_under_lock(&mut tx, (admin.team_id(), &admin.account.id), Role::runs_team).await?;
    Ok((tx, role))
}

/// R-UM5: taking someone out of the team takes their role too. The primary admin stays
/// until they hand the role on; admins and SSO admins go only at the primary admin's hand.
fn may_take_out(actor: Role, target: &people::MemberRow) -> Result<(), AppError> {
    if target.synced {
        // R-DIR1: the directory adds and removes synced people; a removal here would be
        // undone by its next push, or worse, leave the two disagreeing.
        return Err(AppError::Conflict {
            message: format!(
                "{} is synced from your company's directory: remove or deactivate them there.",
                target.name
            ),
        });
    }
    match target.role {
        Role::PrimaryAdmin => Err(AppError::Conflict {
            message: format!(
                "{} is the team's primary admin: they must hand the role to another member first.",
                target.name
            ),
        }),
        Role::Admin | Role::SsoAdmin if !actor.gives_roles() => Err(AppError::PrimaryAdminOnly),
        _ => Ok(()),
    }
}

/// The distinct account ids among `ids`; one that is no id at all names nobody.
pub(crate) fn parse_ids(ids: &[String]) -> Vec<UserId> {
    let mut out: Vec<UserId> = ids.iter().filter_map(|id| UserId::parse(id).ok()).collect();
    out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    out.dedup();
    out
}

fn removal(f: &RemovalFacts) -> Removal {
    Removal {
        name: if f.member.name.is_empty() { f.member.email.clone() } else { f.member.name.clone() },
        seats: f.seats.clone(),
        flex: f.member.flex,
        invited: !f.member.active,
        running: f.running,
    }
}

/// What removing `ids` would do, for the confirmation (R-UM4): one sentence per person and
/// a summary, or the refusal the removal itself would give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovalPreview {
    pub summary: String,
    pub people: Vec<String>,
    pub refusal: Option<String>,
}

/// Reads inside a transaction that is rolled back, so the preview sees exactly what
/// `remove` would (the same queries, one snapshot) and changes nothing.
pub async fn removal_preview(
    st: &AppState,
    admin: Admin<'_>,
    ids: &[String],
) -> Result<RemovalPreview, AppError> {
    let mut tx = st.db.pool.begin().await?;
    let found = facts_of(&mut tx, admin, &parse_ids(ids), st.now()).await?;
    let refusal = may_remove(&mut tx, (admin, admin.team.role), &found).await.err().map(|e| e.to_string());
    tx.rollback().await?;
    let removals: Vec<Removal> = found.iter().map(removal).collect();
    Ok(RemovalPreview {
        summary: removal_summary(&removals),
        people: removals.iter().map(Removal::sentence).collect(),
        refusal,
    })
}

async fn facts_of(
    tx: &mut Transaction<'_, Any>,
    admin: Admin<'_>,
    ids: &[UserId],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<RemovalFacts>, AppError> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(f) = people::removal_facts(tx, admin.team_id(), id, now).await? {
            found.push(f);
        }
    }
    Ok(found)
}

async fn may_remove(
    tx: &mut Transaction<'_, Any>,
    (admin, actor): (Admin<'_>, Role),
    found: &[RemovalFacts],
) -> Result<(), AppError> {
    if found.is_empty() {
        return Err(AppError::invalid("members", "Pick at least one member of this team."));
    }
    if found.iter().any(|f| f.member.account_id == admin.account.id) {
        return Err(AppError::Conflict {
            message: "You cannot remove yourself: use Leave team in your account instead.".into(),
        });
    }
    for f in found {
        may_take_out(actor, &f.member)?;
    }
    let admins = found.iter().filter(|f| f.member.admin && f.member.active).count();
    let active = teams::active_admins(&mut **tx, admin.team_id()).await?;
    admins_remain(active, admins, LastAdmin::Remove)
        .map_err(|e| AppError::Conflict { message: e.to_string() })
}

/// Removes `ids` from the team (R-UM4): their seats are freed, Flex access and defaults stop,
/// a pending invitation dies, the next licensing check is refused; usage history stays.
/// Ids that name nobody in the team are passed over (a selection of nobody is refused). How
/// many were removed.
pub async fn remove(st: &AppState, admin: Admin<'_>, ids: &[String]) -> Result<usize, AppError> {
    let now = st.now();
    let (mut tx, actor) = locked_with_role(st, admin).await?;
    let found = facts_of(&mut tx, admin, &parse_ids(ids), now).await?;
    may_remove(&mut tx, (admin, actor), &found).await?;
    for f in &found {
        teams::remove_member(&mut tx, admin.team_id(), &f.member.account_id).await?;
        let before = json!({
            "role": f.member.role.as_str(),
            "status": if f.member.active { "active" } else { "invited" },
            "seats": f.seats,
            "flex": f.member.flex,
        });
        let target = format!("{} <{}>", f.member.name, f.member.email);
        admin.audit(&mut tx, "remove", &target, (Some(before), None), now).await?;
    }
    tx.commit().await?;
    Ok(found.len())
}

/// The signed-in person leaves `member.team` (R-UM4), unless they are its last admin.
pub async fn leave(st: &AppState, me: Admin<'_>) -> Result<(), AppError> {
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    lock_team(&mut tx, me.team_id()).await?;
    let Some(f) = people::removal_facts(&mut tx, me.team_id(), &me.account.id, now).await? else {
        return Err(AppError::NotAMember);
    };
    if f.member.role == Role::PrimaryAdmin {
        return Err(AppError::Conflict {
            message: "You are this team's primary admin: hand the role to another member before you leave."
                .into(),
        });
    }
    let leaving = usize::from(f.member.admin && f.member.active);
    let active = teams::active_admins(&mut *tx, me.team_id()).await?;
    admins_remain(active, leaving, LastAdmin::Remove).map_err(|_| AppError::Conflict {
        message: "You are this team's last admin: make someone else an admin before you leave.".into(),
    })?;
    teams::remove_member(&mut tx, me.team_id(), &me.account.id).await?;
    let target = format!("{} <{}>", f.member.name, f.member.email);
    let before = json!({"seats": f.seats, "flex": f.member.flex});
    me.audit(&mut tx, "leave", &target, (Some(before), None), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws the invitation of someone who has not accepted (R-INV2): the link stops
/// working and the person leaves the team with whatever was assigned to them meanwhile.
pub async fn withdraw(st: &AppState, admin: Admin<'_>, member: &UserId) -> Result<String, AppError> {
    let now = st.now();
    let (mut tx, actor) = locked_with_role(st, admin).await?;
    let row = people::member(&mut *tx, admin.team_id(), member)
        .await?
        .ok_or_else(|| AppError::not_found("This invitation"))?;
    if row.active {
        return Err(AppError::Conflict {
            message: format!("{} has already accepted: remove them from the team instead.", row.name),
        });
    }
    may_take_out(actor, &row)?;
    teams::remove_member(&mut tx, admin.team_id(), member).await?;
    let target = format!("{} <{}>", row.name, row.email);
    admin.audit(&mut tx, "withdraw", &target, (Some(json!({"status": "invited"})), None), now).await?;
    tx.commit().await?;
    Ok(row.name)
}

/// What sending invitations did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub sent: usize,
    /// Already accepted: nothing to send.
    pub active: usize,
}

/// Emails a new invitation (new link, new 7 days) to each of `ids` who has not accepted:
/// people an import added, who were never written to, and people whose invitation is
/// pending or expired (R-INV1, R-INV2). The admin's explicit choice, so it may send many.
pub async fn send_invitations(st: &AppState, admin: Admin<'_>, ids: &[String]) -> Result<Sent, AppError> {
    let now = st.now();
    let ids = parse_ids(ids);
    if ids.is_empty() {
        return Err(AppError::invalid("members", "Pick at least one person to invite."));
    }
    let mut tx = locked_as_admin(st, admin).await?;
    let mut out = Sent::default();
    for id in &ids {
        let Some(row) = people::member(&mut *tx, admin.team_id(), id).await? else { continue };
        if row.active {
            out.active += 1;
            continue;
        }
        let email = Email::parse(&row.email).map_err(|e| AppError::invalid("email", e))?;
        send_invitation(st, &mut tx, admin, &row.account_id, &row.name, &email, now).await?;
        let action = if row.invite_emailed == Some(false) { "send_invitation" } else { "resend" };
        let target = format!("{} <{}>", row.name, row.email);
        admin.audit(&mut tx, action, &target, (None, Some(json!({"sent_at": ts(now)}))), now).await?;
        out.sent += 1;
    }
    tx.commit().await?;
    if out.sent > 0 {
        st.db.wake_outbox();
    }
    Ok(out)
}

/// Invites the people typed as `Full Name <email>` entries (R-UM3) without assigning them
/// anything, with the role and guest flag chosen in the dialog (R-UM5). People already in
/// the team are counted, not changed. Nothing is saved unless every entry is valid.
pub async fn invite_people(
    st: &AppState,
    admin: Admin<'_>,
    entries: &str,
    role: MemberRole,
    guest: bool,
) -> Result<(usize, usize), AppError> {
    let now = st.now();
    let people = typed_people(entries, "people")?;
    if people.is_empty() {
        return Err(AppError::invalid(
            "people",
            "Enter at least one person as Full Name <email@example.com>.",
        ));
    }
    let (mut tx, actor) = locked_with_role(st, admin).await?;
    crate::domain::membership::role_change(actor, Role::Member, role).map_err(super::role_refused)?;
    let (ids, invited) = invite_all(st, &mut tx, admin, &people, (role, guest), now).await?;
    let already = ids.len() - invited;
    tx.commit().await?;
    if invited > 0 {
        st.db.wake_outbox();
    }
    Ok((invited, already))
}

/// What turning a member's guest flag to `guest` does to their Flex products (R-FX2:
/// defaults are off for guests), in words; `None` when it changes nothing.
pub async fn guest_effect(
    st: &AppState,
    admin: Admin<'_>,
    member: &UserId,
    guest: bool,
) -> Result<Option<String>, AppError> {
    let row =
        st.db.member(admin.team_id(), member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    let Some(individual) = st.db.flex_individual(admin.team_id(), member).await? else { return Ok(None) };
    let catalogue = st.db.flex_catalogue().await?;
    let settings = st.db.team_flex_settings(admin.team_id()).await?;
    let ids: BTreeSet<String> = catalogue.iter().map(|p| p.id.clone()).collect();
    let names = |set: &BTreeSet<String>| {
        let list: Vec<String> =
            catalogue.iter().filter(|p| set.contains(&p.id)).map(|p| p.name.clone()).collect();
        if list.is_empty() {
            "no Flex products".to_string()
        } else {
            list.join(", ")
        }
    };
    let before = flex_products(&individual, row.guest, &settings, &ids);
    let after = flex_products(&individual, guest, &settings, &ids);
    if before == after {
        return Ok(None);
    }
    let source = |g: bool| {
        if crate::domain::access::defaults_apply(g, &settings) {
            "the team's default assignments"
        } else if matches!(individual, Individual::All) {
            "their own selection (all products)"
        } else {
            "their own selection"
        }
    };
    Ok(Some(format!(
        "{} can use {} now, through {}; after this change, {}, through {}.",
        row.name,
        names(&before),
        source(row.guest),
        names(&after),
        source(guest)
    )))
}

/// Changes a member's role and guest flag (R-UM5). Roles are the primary admin's to give
/// and take (any admin may change a member's guest flag); the primary admin's own role
/// changes only by handing it on; the last active admin cannot be made a member.
pub async fn set_role(
    st: &AppState,
    admin: Admin<'_>,
    member: &UserId,
    role: MemberRole,
    guest: bool,
) -> Result<(), AppError> {
    let now = st.now();
    let (mut tx, actor) = locked_with_role(st, admin).await?;
    let row = people::member(&mut *tx, admin.team_id(), member)
        .await?
        .ok_or_else(|| AppError::not_found("This member"))?;
    let was = row.role;
    // The form sends "admin" for the primary admin, whose role it shows as such.
    let role = if was == Role::PrimaryAdmin && role == Role::Admin { was } else { role };
    if was == role && row.guest == guest {
        return Ok(());
    }
    if row.account_id == admin.account.id && was != role {
        return Err(AppError::Conflict {
            message: "You cannot change your own role: ask another admin of the team.".into(),
        });
    }
    crate::domain::membership::role_change(actor, was, role).map_err(super::role_refused)?;
    if was.runs_team() && !role.runs_team() && row.active {
        let active = teams::active_admins(&mut *tx, admin.team_id()).await?;
        admins_remain(active, 1, LastAdmin::Demote)
            .map_err(|e| AppError::Conflict { message: e.to_string() })?;
    }
    teams::set_role_and_guest(&mut *tx, admin.team_id(), member, role, guest).await?;
    let target = format!("{} <{}>", row.name, row.email);
    let change = (
        Some(json!({"role": was.as_str(), "guest": row.guest})),
        Some(json!({"role": role.as_str(), "guest": guest})),
    );
    admin.audit(&mut tx, "role", &target, change, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Hands the team's primary admin role to `member` (R-UM5): they become the primary admin
/// (an admin, whatever their role was), the caller stays an admin. Only the primary admin,
/// and only to an active member.
pub async fn hand_on_primary(st: &AppState, admin: Admin<'_>, member: &UserId) -> Result<String, AppError> {
    let now = st.now();
    let (mut tx, actor) = locked_with_role(st, admin).await?;
    let row = people::member(&mut *tx, admin.team_id(), member)
        .await?
        .ok_or_else(|| AppError::not_found("This member"))?;
    crate::domain::membership::hand_on_primary(actor, row.role, row.active).map_err(super::role_refused)?;
    teams::hand_on_primary(&mut tx, admin.team_id(), member).await?;
    let target = format!("{} <{}>", row.name, row.email);
    let change = (Some(json!({"role": row.role.as_str()})), Some(json!({"role": "primary_admin"})));
    admin.audit(&mut tx, "role", &target, change, now).await?;
    tx.commit().await?;
    Ok(row.name)
}

/// Renames the team (Team settings).
pub async fn rename_team(st: &AppState, admin: Admin<'_>, name: &str) -> Result<String, AppError> {
    let name = TeamName::parse(name).map_err(|e| AppError::invalid("name", e))?;
    let now = st.now();
    let mut tx = locked_as_admin(st, admin).await?;
    let before = teams::membership(&mut *tx, admin.team_id(), &admin.account.id)
        .await?
        .map(|m| m.team_name)
        .unwrap_or_else(|| admin.team.team_name.clone());
    if before != name.as_str() {
        teams::rename_team(&mut *tx, admin.team_id(), &name).await?;
        let change = (Some(json!({"name": before})), Some(json!({"name": name.as_str()})));
        admin.audit(&mut tx, "rename_team", name.as_str(), change, now).await?;
    }
    tx.commit().await?;
    Ok(name.as_str().to_string())
}

/// The team's people as a CSV file in the import's own format (R-IMP1), written so that
/// importing it into the same team changes nothing: a code goes in only where the import
/// would read it back as the same thing (a seat of a product the team holds now; Flex for
/// a product it holds no seats of), only the person's own seats (a group's come back with
/// the group, R-GRP1), and `*` stands alone as the import requires. Names a
/// spreadsheet would run as formulas are defused; addresses are not (a formula cannot be a
/// valid address, and a changed address would name somebody else).
pub async fn export_people(st: &AppState, admin: Admin<'_>) -> Result<String, AppError> {
    use crate::domain::csv_import::export_cell;
    let live: BTreeSet<String> = st
        .db
        .team_offers(admin.team_id(), st.now())
        .await?
        .into_iter()
        .filter(|o| o.product_id.is_some())
        .map(|o| o.code)
        .collect();
    let rows = st.db.people_for_export(admin.team_id()).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::internal(e);
    w.write_record(["name", "email", "products", "guest", "groups"]).map_err(fail)?;
    for r in rows {
        let products = if r.all_flex {
            "*".to_string()
        } else {
            let seats = r.seats.intersection(&live).cloned();
            let flex = r.flex.difference(&live).cloned();
            seats.chain(flex).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(";")
        };
        w.write_record([
            export_cell(&r.name).as_ref(),
            r.email.as_str(),
            products.as_str(),
            if r.guest { "true" } else { "false" },
            export_cell(&r.groups.iter().cloned().collect::<Vec<_>>().join(";")).as_ref(),
        ])
        .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}
