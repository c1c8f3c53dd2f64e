use crate::domain::licensing::LicenseType;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldProductView {
    pub code: String,
    pub name: String,
    pub access: LicenseType,
    pub seats: i64,
    pub ends_on: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamOverview {
    pub team_id: String,
    pub team_name: String,
    pub admin: bool,
    pub active_members: i64,
    pub invited_members: i64,
    pub guests: i64,
    pub admins: i64,
    pub products: Vec<HeldProductView>,
    pub subscriptions: i64,
    pub trials: i64,
    pub flex_products: i64,
    pub tokens_available: i64,
    /// The soonest expiry among purchases with tokens left: (date, tokens).
    pub next_expiry: Option<(String, i64)>,
    /// What the signed-in person may use in this team: (name, access).
    pub my_products: Vec<(String, LicenseType)>,
}

#[server(endpoint = "team_home")]
pub async fn team_home(team: String) -> Result<TeamOverview, AppError> {
    use super::ssr::*;
    use crate::domain::ledger::balance;
    let st = state()?;
    let (acc, m) = require_member(&st, &team).await?;
    let now = st.now();
    let counts = st.db.member_counts(&m.team_id).await?;
    let held = st.db.held_products(&m.team_id, now).await?;
    let lots = crate::store::ledger::team_lots(&st.db.pool, &m.team_id).await?;
    let next_expiry = lots
        .iter()
        .filter(|l| l.usable_at(now))
        .min_by_key(|l| l.expires_at)
        .map(|l| (l.expires_at.format("%Y-%m-%d").to_string(), l.remaining));
    Ok(TeamOverview {
        team_id: m.team_id.to_string(),
        team_name: m.team_name,
        admin: m.role.runs_team(),
        active_members: counts.active,
        invited_members: counts.invited,
        guests: counts.guests,
        admins: counts.admins,
        subscriptions: held.iter().filter(|h| h.access == LicenseType::Subscription).count() as i64,
        trials: held.iter().filter(|h| h.access == LicenseType::Trial).count() as i64,
        products: held
            .into_iter()
            .map(|h| HeldProductView {
                code: h.code,
                name: h.name,
                access: h.access,
                seats: h.seats,
                ends_on: h.ends_at.format("%Y-%m-%d").to_string(),
            })
            .collect(),
        flex_products: st.db.flex_product_count().await?,
        tokens_available: balance(&lots, now),
        next_expiry,
        my_products: my_products(&st, &m.team_id, &acc.id).await?,
    })
}

#[cfg(feature = "ssr")]
async fn my_products(
    st: &crate::service::state::AppState,
    team: &crate::domain::TeamId,
    account: &crate::domain::UserId,
) -> Result<Vec<(String, LicenseType)>, AppError> {
    let mut out: Vec<(String, LicenseType)> = st
        .db
        .member_assignments(team, account)
        .await?
        .into_iter()
        .map(|(_, name, access)| (name, access))
        .collect();
    if st.db.member(team, account).await?.is_some_and(|m| m.flex) {
        out.push(("Flex".to_string(), LicenseType::Flex));
    }
    Ok(out)
}
