//! A member's registered devices (R-LIC3) as their page shows them, and removing one to free
//! its place. The person sees all their own; a team admin sees only the devices of products
//! the person holds through this team (`access::device_scope`), so an admin who adds someone
//! of another team to theirs learns nothing of that team's use.
use crate::domain::access::{device_scope, DeviceScope};
use crate::domain::UserId;
use crate::error::AppError;
use crate::service::Admin;
use crate::store::accounts::Account;
use crate::store::licensing::{member_devices, remove_device, team_member_devices, MemberDevice};
use crate::store::teams::{lock_team, Membership};
use crate::store::{ts, Db};
use chrono::{DateTime, Utc};
use serde_json::json;

/// The devices of `member` that `viewer` (a member of `team`) may see. The scope is checked
/// before the member is looked up, so a plain member cannot probe who is in the team.
pub async fn visible(
    db: &Db,
    viewer: &Account,
    team: &Membership,
    member: &str,
    now: DateTime<Utc>,
) -> Result<Vec<MemberDevice>, AppError> {
    let scope =
        device_scope(viewer.id.as_str() == member, team.role.runs_team()).ok_or(AppError::AdminOnly)?;
    let member = UserId::parse(member).map_err(|_| AppError::not_found("This member"))?;
    let member = &member;
    db.member(&team.team_id, member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    Ok(match scope {
        DeviceScope::Own => member_devices(&db.pool, member).await?,
        DeviceScope::HeldThroughTeam => team_member_devices(&db.pool, &team.team_id, member, now).await?,
    })
}

/// Removes one of `member`'s devices for the product `code` (and the session it holds),
/// freeing its place: only a device the admin may see; any other answers as one that does
/// not exist. The removal and its audit entry commit together. Returns the device removed.
pub async fn remove(
    db: &Db,
    admin: Admin<'_>,
    member: &UserId,
    code: &str,
    device: &str,
    now: DateTime<Utc>,
) -> Result<MemberDevice, AppError> {
    let team = admin.team_id();
    let row = db.member(team, member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    let mut tx = db.pool.begin().await?;
    // The team's lock first: on SQLite it takes the write lock before the reads below (a read
    // snapshot cannot be upgraded to a write later); on PostgreSQL it serialises the team's
    // removals and holds off assignments (which take it) until the device is gone.
    lock_team(&mut tx, team).await?;
    let scope = device_scope(admin.account.id == *member, true).ok_or(AppError::AdminOnly)?;
    let visible = match scope {
        DeviceScope::Own => member_devices(&mut *tx, member).await?,
        DeviceScope::HeldThroughTeam => team_member_devices(&mut *tx, team, member, now).await?,
    };
    let found = visible
        .into_iter()
        .find(|d| d.product_code.eq_ignore_ascii_case(code) && d.device_id == device)
        .ok_or_else(|| AppError::not_found("This device"))?;
    if !remove_device(&mut tx, member, &found.product_id, &found.device_id).await? {
        // Removed by someone else between the lookup and now.
        return Err(AppError::not_found("This device"));
    }
    let target = format!("{} <{}> → device {} ({})", row.name, row.email, found.name, found.product_name);
    let before = json!({
        "product": found.product_code,
        "device": found.name,
        "device_id": found.device_id,
        "registered_at": ts(found.registered_at),
    });
    admin.audit(&mut tx, "remove_device", &target, (Some(before), None), now).await?;
    tx.commit().await?;
    Ok(found)
}
