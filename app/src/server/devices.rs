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
    use crate::domain::licensing::session_lapsed;
    let st = state()?;
    let (acc, m) = require_member(&st, &team).await?;
    let now = st.now();
    let devices = crate::service::devices::visible(&st.db, &acc, &m, &member, now).await?;
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
    Ok(MemberDevicesView { devices, admin: m.role.runs_team() })
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
    use crate::service::{devices, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let admin = Admin { account: &account, team: &team };
    let found = devices::remove(&st.db, admin, &member_id(&member)?, &product, &device, st.now()).await?;
    Ok(RemovedDevice { name: found.name, product_name: found.product_name })
}
