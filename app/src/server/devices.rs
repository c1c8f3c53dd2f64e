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

/// A member's devices: team admins see anyone's, others only their own (member pages are
/// for admins). The member must belong to the team.
#[server(endpoint = "member_devices")]
pub async fn member_devices(team: String, member: String) -> Result<MemberDevicesView, AppError> {
    use super::ssr::*;
    use crate::domain::licensing::session_lapsed;
    let st = state()?;
    let (acc, m) = require_member(&st, &team).await?;
    // Checked before the member lookup, so a plain member cannot probe who is in the team.
    if m.role != crate::store::teams::Role::Admin && acc.id.as_str() != member {
        return Err(AppError::AdminOnly);
    }
    st.db.member(&m.team_id, &member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    let now = st.now();
    let devices = st
        .db
        .member_devices(&member)
        .await?
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
    Ok(MemberDevicesView { devices, admin: m.role == crate::store::teams::Role::Admin })
}

/// Removes one of a member's devices (and the session it holds), freeing its place: team
/// admins only. `product` is the product's code.
#[server(endpoint = "remove_member_device")]
pub async fn remove_member_device(
    team: String,
    member: String,
    product: String,
    device: String,
) -> Result<RemovedDevice, AppError> {
    use super::ssr::*;
    use crate::store::audit::{record, Actor};
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    let row = st.db.member(&m.team_id, &member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    let found = st
        .db
        .member_devices(&member)
        .await?
        .into_iter()
        .find(|d| d.product_code.eq_ignore_ascii_case(&product) && d.device_id == device)
        .ok_or_else(|| AppError::not_found("This device"))?;
    if !st.db.remove_device(&member, &found.product_id, &found.device_id).await? {
        // Removed by someone else between the lookup and now.
        return Err(AppError::not_found("This device"));
    }
    let label = format!("{} <{}>", acc.name, acc.email);
    let target = format!("{} <{}> → device {} ({})", row.name, row.email, found.name, found.product_name);
    let before = serde_json::json!({
        "product": found.product_code,
        "device": found.name,
        "device_id": found.device_id,
        "registered_at": crate::store::ts(found.registered_at),
    });
    let mut tx = st.db.pool.begin().await?;
    record(
        &mut tx,
        &m.team_id,
        &Actor { id: Some(acc.id.as_str()), label: &label },
        "remove_device",
        &target,
        Some(&before),
        None,
        st.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(RemovedDevice { name: found.name, product_name: found.product_name })
}
