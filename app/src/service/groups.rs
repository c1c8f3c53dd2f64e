//! Groups (R-GRP1): create, rename and delete a team's groups, put people in them and take
//! them out, and give a group seat products. Every change is one transaction under the
//! team's lock, with the admin's rights read again inside it, that recomputes the seats of
//! each person it touches (`domain::groups` decides, `store::groups::sync_seats` writes),
//! checks every seat limit it could break, and writes its audit entries.
use crate::domain::groups::seat_routes;
use crate::domain::seats::within_seats;
use crate::domain::{GroupName, TeamId, UserId};
use crate::error::AppError;
use crate::service::assignments::{invite_all, typed_people};
use crate::service::members::{locked_as_admin, parse_ids};
use crate::service::state::AppState;
use crate::service::Admin;
use crate::store::assignments::{self as seats_store, TeamOffer};
use crate::store::groups as store;
use crate::store::people;
use crate::store::teams::Role;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{Any, Transaction};
use std::collections::BTreeSet;

fn group_name(raw: &str) -> Result<GroupName, AppError> {
    GroupName::parse(raw)
        .map_err(|e| AppError::invalid("name", crate::domain::display::sentence(&e.to_string())))
}

async fn group_in(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    group: &str,
) -> Result<(String, String), AppError> {
    store::find(tx, team, group).await?.ok_or_else(|| AppError::not_found("This group"))
}

/// As `group_in`, for a change only the directory may make to a synced group (R-DIR1: its
/// name and members are the directory's; its products are still given here).
async fn console_group_in(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    group: &str,
) -> Result<(String, String), AppError> {
    let (id, name) = group_in(tx, team, group).await?;
    if crate::store::directory::is_synced(tx, team, &id).await? {
        return Err(AppError::Conflict {
            message: format!(
                "{name} is synced from your company's directory: change its name and members there."
            ),
        });
    }
    Ok((id, name))
}

/// Recomputes one person's seats and Flex access from their own and their groups'. The
/// seat products added and taken away (ids).
pub(crate) async fn refresh_person(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, Vec<String>), AppError> {
    let own = store::own_seats(tx, team, account).await?;
    let grants = store::grants_of(tx, team, account).await?;
    let wanted: BTreeSet<String> = seat_routes(&own, &grants).into_keys().collect();
    let seats = store::sync_seats(tx, team, account, &wanted, by, now).await?;
    store::refresh_flex_with(tx, (team, account), &grants, by, now).await?;
    Ok(seats)
}

/// Every seat limit of the team still holds (R-UM1) for the products in `touched`: a group
/// change may not assign more seats than a subscription has. The refusal names the product
/// and the shortfall.
pub(crate) async fn seats_hold(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    touched: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if touched.is_empty() {
        return Ok(());
    }
    // Read after the change in the same transaction, each offer's count is the new one.
    for o in seats_store::offers(tx, team, now).await? {
        if o.product_id.as_ref().is_some_and(|pid| touched.contains(pid)) {
            within_seats(&o.name, o.seats, o.assigned)
                .map_err(|e| AppError::Conflict { message: e.to_string() })?;
        }
    }
    Ok(())
}

pub async fn create(st: &AppState, admin: Admin<'_>, name: &str) -> Result<String, AppError> {
    let (name, now) = (group_name(name)?, st.now());
    let mut tx = locked_as_admin(st, admin).await?;
    let id = store::create(&mut tx, admin.team_id(), &name, now).await?;
    admin
        .audit(
            &mut tx,
            "group",
            &format!("Group {name}"),
            (None, Some(json!({"created": name.as_str()}))),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn rename(st: &AppState, admin: Admin<'_>, group: &str, name: &str) -> Result<String, AppError> {
    let (name, now) = (group_name(name)?, st.now());
    let mut tx = locked_as_admin(st, admin).await?;
    let (id, before) = console_group_in(&mut tx, admin.team_id(), group).await?;
    store::rename(&mut tx, admin.team_id(), &id, &name).await?;
    let change = (Some(json!({"name": before})), Some(json!({"name": name.as_str()})));
    admin.audit(&mut tx, "group", &format!("Group {before}"), change, now).await?;
    tx.commit().await?;
    Ok(name.as_str().to_string())
}

/// Deletes the group; its members keep only what their own assignments and other groups
/// give. How many people lost a seat.
pub async fn delete(st: &AppState, admin: Admin<'_>, group: &str) -> Result<usize, AppError> {
    let now = st.now();
    let mut tx = locked_as_admin(st, admin).await?;
    let team = admin.team_id();
    let (id, name) = console_group_in(&mut tx, team, group).await?;
    let members = store::members(&mut tx, &id).await?;
    store::delete(&mut tx, team, &id).await?;
    let mut lost = 0;
    for m in members.iter().filter_map(|m| UserId::parse(m).ok()) {
        let (_, removed) = refresh_person(&mut tx, team, &m, Some(admin.account.id.as_str()), now).await?;
        lost += usize::from(!removed.is_empty());
    }
    let before = json!({"name": name, "members": members.len()});
    admin.audit(&mut tx, "group", &format!("Group {name}"), (Some(before), None), now).await?;
    tx.commit().await?;
    Ok(lost)
}

/// What putting people in a group did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Added {
    pub added: usize,
    pub already: usize,
    pub invited: usize,
}

/// Puts the members `member_ids` and the people typed in `new_people` (`Full Name <email>`,
/// invited as in the assign dialog) in the group; each gets the group's seats, within the
/// seat limits, or nothing is saved.
pub async fn add_members(
    st: &AppState,
    admin: Admin<'_>,
    group: &str,
    member_ids: &[String],
    new_people: &str,
) -> Result<Added, AppError> {
    let now = st.now();
    let invitees = typed_people(new_people, "new_people")?;
    let ids = parse_ids(member_ids);
    if ids.is_empty() && invitees.is_empty() {
        return Err(AppError::invalid("new_people", "Pick at least one member or enter a new person."));
    }
    let mut tx = locked_as_admin(st, admin).await?;
    let team = admin.team_id();
    let (gid, gname) = console_group_in(&mut tx, team, group).await?;
    let mut people = Vec::new();
    for id in ids {
        let Some(m) = people::member(&mut *tx, team, &id).await? else {
            return Err(AppError::invalid(
                "members",
                "One of the picked people is no longer a member of this team.",
            ));
        };
        people.push((m.account_id, format!("{} <{}>", m.name, m.email)));
    }
    let (invited_people, invited) =
        invite_all(st, &mut tx, admin, &invitees, (Role::Member, false), now).await?;
    people.extend(invited_people);
    let mut outcome = Added { invited, ..Added::default() };
    let mut touched = BTreeSet::new();
    let by = Some(admin.account.id.as_str());
    for (id, label) in &people {
        if store::add_member(&mut tx, team, &gid, id, now).await? {
            outcome.added += 1;
            let (added, _) = refresh_person(&mut tx, team, id, by, now).await?;
            touched.extend(added);
            let target = format!("{label} → group {gname}");
            admin.audit(&mut tx, "group", &target, (None, Some(json!({"member_of": gname}))), now).await?;
        } else {
            outcome.already += 1;
        }
    }
    seats_hold(&mut tx, team, &touched, now).await?;
    tx.commit().await?;
    if invited > 0 {
        st.db.wake_outbox();
    }
    Ok(outcome)
}

/// Takes people out of the group; each loses only what came through it alone. How many
/// were taken out.
pub async fn remove_members(
    st: &AppState,
    admin: Admin<'_>,
    group: &str,
    member_ids: &[String],
) -> Result<usize, AppError> {
    let now = st.now();
    let mut tx = locked_as_admin(st, admin).await?;
    let team = admin.team_id();
    let (gid, gname) = console_group_in(&mut tx, team, group).await?;
    let mut removed = 0;
    for id in parse_ids(member_ids) {
        let Some(m) = people::member(&mut *tx, team, &id).await? else { continue };
        if store::remove_member(&mut tx, &gid, &id).await? {
            removed += 1;
            refresh_person(&mut tx, team, &id, Some(admin.account.id.as_str()), now).await?;
            let target = format!("{} <{}> → group {gname}", m.name, m.email);
            admin.audit(&mut tx, "group", &target, (Some(json!({"member_of": gname})), None), now).await?;
        }
    }
    tx.commit().await?;
    Ok(removed)
}

/// The seat products a group may give: the team's live subscriptions and trials, by code.
fn seat_ids(offers: &[TeamOffer], codes: &[String]) -> Result<BTreeSet<String>, AppError> {
    codes
        .iter()
        .map(|c| {
            let o = offers.iter().find(|o| o.code.eq_ignore_ascii_case(c));
            match o {
                Some(TeamOffer { product_id: Some(pid), .. }) => Ok(pid.clone()),
                Some(_) => Err(AppError::invalid(
                    "products",
                    "Flex access is given to people one by one or by default assignments; a group gives seats of subscriptions and trials.",
                )),
                None => Err(AppError::invalid("products", format!("This team has no subscription or trial of {c}."))),
            }
        })
        .collect()
}

/// Replaces the seat products the group gives (codes of the team's subscriptions and
/// trials); every member's seats follow, within the seat limits, or nothing is saved.
pub async fn set_products(
    st: &AppState,
    admin: Admin<'_>,
    group: &str,
    codes: &[String],
) -> Result<(), AppError> {
    let now = st.now();
    let mut tx = locked_as_admin(st, admin).await?;
    let team = admin.team_id();
    let (gid, gname) = group_in(&mut tx, team, group).await?;
    let offers = seats_store::offers(&mut tx, team, now).await?;
    let wanted = seat_ids(&offers, codes)?;
    let before = store::seats(&mut tx, &gid).await?;
    store::set_seats(&mut tx, &gid, &wanted).await?;
    let mut touched = BTreeSet::new();
    let by = Some(admin.account.id.as_str());
    for m in store::members(&mut tx, &gid).await?.iter().filter_map(|m| UserId::parse(m).ok()) {
        let (added, _) = refresh_person(&mut tx, team, &m, by, now).await?;
        touched.extend(added);
    }
    seats_hold(&mut tx, team, &touched, now).await?;
    let codes_of = |ids: &BTreeSet<String>| -> Vec<String> {
        offers
            .iter()
            .filter(|o| o.product_id.as_ref().is_some_and(|p| ids.contains(p)))
            .map(|o| o.code.clone())
            .collect()
    };
    let change = (Some(json!({"products": codes_of(&before)})), Some(json!({"products": codes_of(&wanted)})));
    admin.audit(&mut tx, "group", &format!("Group {gname} → products"), change, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the Flex access the group gives (R-GRP1 with R-FX1): none, all products (including
/// ones added later), or the products of `codes`. Every member's Flex access follows: their
/// own and their groups' together. Flex costs tokens per day of use, not seats, so no seat
/// limit is involved.
pub async fn set_flex(
    st: &AppState,
    admin: Admin<'_>,
    group: &str,
    gives: bool,
    all: bool,
    codes: &[String],
) -> Result<(), AppError> {
    use crate::domain::access::Individual;
    let now = st.now();
    let mut tx = locked_as_admin(st, admin).await?;
    let team = admin.team_id();
    let (gid, gname) = group_in(&mut tx, team, group).await?;
    let catalogue = crate::store::flex::catalogue(&mut *tx).await?;
    let wanted = match (gives, all) {
        (false, _) => None,
        (true, true) => Some(Individual::All),
        (true, false) => Some(Individual::Products(crate::service::flex::ids_for_codes(&catalogue, codes)?)),
    };
    let before = store::flex_of(&mut tx, &gid).await?;
    if before == wanted {
        return Ok(());
    }
    store::set_flex(&mut tx, &gid, wanted.as_ref()).await?;
    let by = Some(admin.account.id.as_str());
    for m in store::members(&mut tx, &gid).await?.iter().filter_map(|m| UserId::parse(m).ok()) {
        store::refresh_flex(&mut tx, team, &m, by, now).await?;
    }
    let describe = |f: &Option<Individual>| match f {
        None => json!({"flex": false}),
        Some(Individual::All) => json!({"flex": "all"}),
        Some(Individual::Products(ids)) => json!({"flex": catalogue
            .iter()
            .filter(|p| ids.contains(&p.id))
            .map(|p| p.code.clone())
            .collect::<Vec<_>>()}),
    };
    let change = (Some(describe(&before)), Some(describe(&wanted)));
    admin.audit(&mut tx, "group", &format!("Group {gname} → Flex"), change, now).await?;
    tx.commit().await?;
    Ok(())
}
