//! The Flex tokens page (R-TOK1): a team's purchases, what is left of each and when it
//! expires, and moving what is left of a purchase to another team the admin also runs.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Below this many days left a purchase is flagged "Expires in N days".
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// One purchase as the page lists it. Figures are this team's: a purchase moved in from
/// another team shows what arrived (`moved_in`), not what its first owner used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PurchaseRow {
    pub id: String,
    pub purchased_on: String,
    /// The purchase's size when it was bought.
    pub amount: i64,
    /// Tokens charged for product use.
    pub used: i64,
    pub moved_out: i64,
    pub moved_in: i64,
    /// Tokens that lapsed at the expiry date.
    pub lapsed: i64,
    /// Tokens usable now (0 once expired).
    pub left: i64,
    pub expires_on: String,
    /// "valid", "expiring", "expired" or "used_up".
    pub status: String,
    pub status_label: String,
    /// Whether the viewer may move what is left to another team.
    pub movable: bool,
}

/// A team the viewer may move tokens to (they are an admin there).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoveTarget {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlexTokensView {
    pub team_name: String,
    /// Tokens usable now.
    pub balance: i64,
    /// Earliest expiry first: the order tokens are spent in.
    pub purchases: Vec<PurchaseRow>,
    pub admin: bool,
    /// Other teams the viewer is an admin of (empty unless they are an admin here too).
    pub move_targets: Vec<MoveTarget>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MovedView {
    pub tokens: i64,
    pub team_id: String,
    pub team_name: String,
    pub expires_on: String,
}

/// A plain date, as the other pages show dates.
#[cfg(feature = "ssr")]
fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// Status of a purchase at `now`: (code, label).
pub fn purchase_status(
    expires_at: chrono::DateTime<chrono::Utc>,
    left: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> (&'static str, String) {
    if now >= expires_at {
        return ("expired", "Expired".into());
    }
    if left <= 0 {
        return ("used_up", "Used up".into());
    }
    let secs = (expires_at - now).num_seconds();
    if secs < EXPIRY_WARNING_DAYS * 86_400 {
        // Whole days, rounded up: a purchase expiring in 3 hours expires "in 1 day".
        let days = (secs + 86_399) / 86_400;
        let label =
            if days == 1 { "Expires in 1 day".to_string() } else { format!("Expires in {days} days") };
        ("expiring", label)
    } else {
        ("valid", "Valid".into())
    }
}

/// The team's balance and purchases, for any member of the team.
#[server(endpoint = "flex_tokens")]
pub async fn flex_tokens(team: String) -> Result<FlexTokensView, AppError> {
    use super::ssr::*;
    use crate::service::tokens;
    let st = state()?;
    let (acc, m) = require_member(&st, &team).await?;
    let now = st.now();
    let admin = m.role.runs_team();
    let move_targets: Vec<MoveTarget> = if admin {
        tokens::move_targets(&st.db, &acc.id, &m.team_id)
            .await?
            .into_iter()
            .map(|t| MoveTarget { id: t.team_id.to_string(), name: t.team_name })
            .collect()
    } else {
        vec![]
    };
    let (balance, purchases) = tokens::purchases(&st.db, &m.team_id, now).await?;
    let purchases = purchases
        .into_iter()
        .map(|p| {
            let f = p.figures;
            let (status, status_label) = purchase_status(f.expires_at, p.left, now);
            PurchaseRow {
                id: f.purchase_id,
                purchased_on: day(f.purchased_at),
                amount: f.amount,
                used: f.charged,
                moved_out: f.moved_out,
                moved_in: f.moved_in,
                lapsed: p.lapsed,
                left: p.left,
                expires_on: day(f.expires_at),
                status: status.into(),
                status_label,
                movable: !move_targets.is_empty() && p.left > 0 && !p.expired,
            }
        })
        .collect();
    Ok(FlexTokensView { team_name: m.team_name, balance, purchases, admin, move_targets })
}

/// Moves what is left of one purchase to another team; its expiry date travels with it.
/// The viewer must be an admin of both teams (`service::tokens::move_to_team`).
#[server(endpoint = "move_flex_purchase")]
pub async fn move_flex_purchase(
    team: String,
    purchase: String,
    to_team: String,
) -> Result<MovedView, AppError> {
    use super::ssr::*;
    use crate::service::{tokens, Admin};
    let st = state()?;
    let (account, team) = require_admin(&st, &team).await?;
    let moved =
        tokens::move_to_team(&st, Admin { account: &account, team: &team }, &purchase, &to_team).await?;
    Ok(MovedView {
        tokens: moved.tokens,
        team_id: moved.to.team_id.to_string(),
        team_name: moved.to.team_name,
        expires_on: day(moved.expires_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn status_names_the_days_left_under_thirty() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(purchase_status(now + Duration::days(200), 10, now).1, "Valid");
        assert_eq!(purchase_status(now + Duration::days(30), 10, now).1, "Valid");
        assert_eq!(purchase_status(now + Duration::days(29), 10, now).1, "Expires in 29 days");
        assert_eq!(purchase_status(now + Duration::hours(3), 10, now).1, "Expires in 1 day");
        assert_eq!(purchase_status(now, 10, now).0, "expired");
        assert_eq!(purchase_status(now - Duration::days(3), 0, now).1, "Expired");
        assert_eq!(purchase_status(now + Duration::days(3), 0, now).1, "Used up");
    }
}
