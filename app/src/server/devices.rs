//! A member's registered devices (R-LIC3) on their page, and removing one to free its place.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    pub product_code: String,
    pub product_name: String,
    pub device_id: String,
    pub name: String,
    pub registered_on: String,
    pub last_seen: String,
    /// The device holds the person's live session for the product (heard from within 24 h).
    pub in_use: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberDevicesView {
    /// Ordered by product name, then registration.
    pub devices: Vec<DeviceView>,
    /// The viewer is an admin of the team (and may remove devices).
    pub admin: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemovedDevice {
    pub name: String,
    pub product_name: String,
}

/// A member's devices (R-LIC3). The person sees all their own; a team admin sees only the
/// devices of products the person holds through this team (`access::device_scope`), so an
/// admin who adds someone of another team to theirs learns nothing of that team's use.
/// The member must belong to the team.
#[server(endpoint = "member_devices")]
pub async fn member_devices(team: String, member: String) -> Result<MemberDevicesView, AppError> {
    use super::ssr::*;
    use crate::domain::access::{device_scope, DeviceScope};
    use crate::domain::licensing::session_lapsed;
    use crate::store::licensing::{member_devices, team_member_devices};
    let st = state()?;
    let (acc, m) = require_member(&st, &team).await?;
    let admin = m.role == crate::store::teams::Role::Admin;
    // Checked before the member lookup, so a plain member cannot probe who is in the team.
    let scope = device_scope(acc.id.as_str() == member, admin).ok_or(AppError::AdminOnly)?;
    st.db.member(&m.team_id, &member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    let now = st.now();
    let devices = match scope {
        DeviceScope::Own => member_devices(&st.db.pool, &member).await?,
        DeviceScope::HeldThroughTeam => team_member_devices(&st.db.pool, &m.team_id, &member, now).await?,
    };
    let devices = devices
        .into_iter()
        .map(|d| DeviceView {
            product_code: d.product_code,
            product_name: d.product_name,
            device_id: d.device_id,
            name: d.name,
            registered_on: d.registered_at.format("%Y-%m-%d").to_string(),
            last_seen: d.last_seen_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            in_use: d.session_heartbeat.is_some_and(|hb| hb <= now && !session_lapsed(hb, now)),
        })
        .collect();
    Ok(MemberDevicesView { devices, admin })
}

/// Removes one of a member's devices (and the session it holds), freeing its place: team
/// admins only, and only a device they may see (`member_devices`); any other device answers
/// as one that does not exist. `product` is the product's code. The removal and its audit
/// entry commit together.
#[server(endpoint = "remove_member_device")]
pub async fn remove_member_device(
    team: String,
    member: String,
    product: String,
    device: String,
) -> Result<RemovedDevice, AppError> {
    use super::ssr::*;
    use crate::domain::access::{device_scope, DeviceScope};
    use crate::store::audit::{record, Actor};
    use crate::store::licensing::{member_devices, remove_device, team_member_devices};
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let row = st.db.member(&m.team_id, &member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    // The team's lock first: on SQLite it takes the write lock before the reads below (a read
    // snapshot cannot be upgraded to a write later); on PostgreSQL it serialises the team's
    // removals and holds off assignments (which take it) until the device is gone.
    crate::store::teams::lock_team(&mut tx, &m.team_id).await?;
    let scope = device_scope(acc.id.as_str() == member, true).ok_or(AppError::AdminOnly)?;
    let visible = match scope {
        DeviceScope::Own => member_devices(&mut *tx, &member).await?,
        DeviceScope::HeldThroughTeam => team_member_devices(&mut *tx, &m.team_id, &member, now).await?,
    };
    let found = visible
        .into_iter()
        .find(|d| d.product_code.eq_ignore_ascii_case(&product) && d.device_id == device)
        .ok_or_else(|| AppError::not_found("This device"))?;
    if !remove_device(&mut tx, &member, &found.product_id, &found.device_id).await? {
        // Removed by someone else between the lookup and now.
        return Err(AppError::not_found("This device"));
    }
    let label = acc.label();
    let target = format!("{} <{}> → device {} ({})", row.name, row.email, found.name, found.product_name);
    let before = serde_json::json!({
        "product": found.product_code,
        "device": found.name,
        "device_id": found.device_id,
        "registered_at": crate::store::ts(found.registered_at),
    });
    record(
        &mut tx,
        &m.team_id,
        &Actor { id: Some(acc.id.as_str()), label: &label },
        "remove_device",
        &target,
        Some(&before),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(RemovedDevice { name: found.name, product_name: found.product_name })
}
