//! By User and By Product: listing members and assignments (R-UM1, R-UM2).
use crate::domain::licensing::LicenseType;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub email: String,
    /// "active", "invited", "expired", or "not_invited" (imported, never emailed).
    pub status: String,
    pub guest: bool,
    /// Runs the team (the primary admin or an admin).
    pub admin: bool,
    /// R-UM5: `primary_admin`, `admin`, `sso_admin` or `member`.
    #[serde(default)]
    pub role: String,
    /// R-DIR1: synced from the company's directory, read-only here.
    #[serde(default)]
    pub synced: bool,
    pub assignments: i64,
    pub flex: bool,
    pub joined_on: String,
    /// Set when mail to this address could not be delivered (the address was refused): the
    /// mailer's reason. Cleared by the next message that is delivered to it.
    #[serde(default)]
    pub undeliverable: Option<String>,
}

impl MemberView {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "active" => "Active",
            "expired" => "Invitation expired",
            "not_invited" => "Not invited yet",
            _ => "Invited",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberPage {
    pub rows: Vec<MemberView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
    pub admin: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferView {
    pub code: String,
    pub name: String,
    /// A subscription, a trial or Flex (serialised as "subscription", "trial", "flex").
    pub access: LicenseType,
    pub seats: Option<i64>,
    pub assigned: i64,
    pub ends_on: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferPage {
    pub offer: OfferView,
    pub members: MemberPage,
    /// Ids of the people on this page who hold the product only through a group (R-GRP1):
    /// it goes with the group, not by unassigning.
    #[serde(default)]
    pub through_group: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberProfile {
    pub member: MemberView,
    /// (code, name, access) of explicit assignments.
    pub products: Vec<(String, String, LicenseType)>,
    /// Everything the team holds, to assign from the member's page (R-UM2).
    pub offers: Vec<OfferView>,
    pub admin: bool,
    /// R-UM5: the viewer is the team's primary admin, who gives and takes roles.
    #[serde(default)]
    pub gives_roles: bool,
    /// For each seat product the person holds, where it comes from (R-GRP1): "assigned
    /// directly", "through Design team" (by product code).
    #[serde(default)]
    pub routes: Vec<(String, Vec<String>)>,
    /// The groups the person is in: (id, name).
    #[serde(default)]
    pub groups: Vec<(String, String)>,
}

/// Offset of a 1-based page number from the URL; absurd numbers saturate instead of
/// overflowing.
pub fn page_offset(page: Option<i64>) -> i64 {
    (page.unwrap_or(1).max(1) - 1).saturating_mul(PAGE_SIZE)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use crate::store::assignments::TeamOffer;
    use crate::store::people::MemberRow;
    use chrono::{DateTime, Utc};

    pub fn member_view(m: MemberRow, now: DateTime<Utc>) -> MemberView {
        let status = if m.active {
            "active"
        } else if m.invite_emailed == Some(false) {
            // R-IMP1: an import writes to nobody, so there is no invitation to expire yet.
            "not_invited"
        } else if m.invite_expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "invited"
        };
        MemberView {
            id: m.account_id.to_string(),
            name: m.name,
            email: m.email,
            status: status.into(),
            guest: m.guest,
            admin: m.admin,
            role: m.role.as_str().into(),
            synced: m.synced,
            assignments: m.assignments,
            flex: m.flex,
            joined_on: m.joined_at.format("%Y-%m-%d").to_string(),
            undeliverable: None,
        }
    }

    /// Fills in `undeliverable` for a page of members with one query.
    pub async fn with_delivery_state(
        db: &crate::store::Db,
        mut rows: Vec<MemberView>,
    ) -> Result<Vec<MemberView>, crate::store::StoreError> {
        let addresses: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
        let failed = db.undeliverable_addresses(&addresses).await?;
        for r in &mut rows {
            r.undeliverable = failed.get(&r.email).cloned();
        }
        Ok(rows)
    }

    pub fn status_filter(status: Option<&str>) -> crate::store::people::StatusFilter {
        use crate::store::people::StatusFilter;
        match status {
            Some("active") => StatusFilter::Active,
            Some("invited") => StatusFilter::Invited,
            Some("expired") => StatusFilter::Expired,
            Some("not_invited") => StatusFilter::NotInvited,
            Some("guest") => StatusFilter::Guests,
            _ => StatusFilter::Any,
        }
    }

    /// Where each of the person's seats comes from, by product code, and their groups.
    #[allow(clippy::type_complexity)]
    pub async fn routes_of(
        st: &crate::service::state::AppState,
        team: &crate::domain::TeamId,
        account: &crate::domain::UserId,
    ) -> Result<(Vec<(String, Vec<String>)>, Vec<(String, String)>), AppError> {
        use crate::store::groups;
        let mut conn = st.db.pool.acquire().await?;
        let own = groups::own_seats(&mut conn, team, account).await?;
        let grants = groups::grants_of(&mut conn, team, account).await?;
        let of_person = groups::groups_of(&mut conn, team, account).await?;
        drop(conn);
        let products = st.db.products().await?;
        let routes = crate::domain::groups::seat_routes(&own, &grants)
            .into_iter()
            .filter_map(|(id, routes)| {
                let code = products.iter().find(|p| p.id == id)?.code.clone();
                Some((code, routes.iter().map(|r| r.describe()).collect()))
            })
            .collect();
        Ok((routes, of_person))
    }

    pub fn offer_view(o: &TeamOffer) -> OfferView {
        OfferView {
            code: o.code.clone(),
            name: o.name.clone(),
            access: o.access,
            seats: o.seats,
            assigned: o.assigned,
            ends_on: o.ends_at.map(|e| e.format("%Y-%m-%d").to_string()),
        }
    }
}

#[server(endpoint = "list_members")]
pub async fn list_members(
    team: String,
    q: Option<String>,
    sort: Option<String>,
    desc: Option<bool>,
    status: Option<String>,
    page: Option<i64>,
) -> Result<MemberPage, AppError> {
    use super::ssr::*;
    use crate::store::people::{MemberQuery, MemberSort};
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let now = st.now();
    let query = MemberQuery {
        search: q.unwrap_or_default(),
        sort: match sort.as_deref() {
            Some("email") => MemberSort::Email,
            Some("joined") => MemberSort::Joined,
            Some("status") => MemberSort::Status,
            _ => MemberSort::Name,
        },
        descending: desc.unwrap_or(false),
        status: self::ssr::status_filter(status.as_deref()),
        offset: page_offset(page),
        limit: PAGE_SIZE,
    };
    let (rows, total) = st.db.list_members(&m.team_id, &query, now).await?;
    let rows = rows.into_iter().map(|r| self::ssr::member_view(r, now)).collect();
    Ok(MemberPage {
        rows: self::ssr::with_delivery_state(&st.db, rows).await?,
        total,
        offset: query.offset,
        limit: query.limit,
        admin: m.role.runs_team(),
    })
}

#[server(endpoint = "member_detail")]
pub async fn member_detail(team: String, member: String) -> Result<MemberProfile, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let now = st.now();
    let member = member_id(&member)?;
    let row = st.db.member(&m.team_id, &member).await?.ok_or_else(|| AppError::not_found("This member"))?;
    let products = st.db.member_assignments(&m.team_id, &member).await?;
    let offers = st.db.team_offers(&m.team_id, now).await?.iter().map(self::ssr::offer_view).collect();
    let member = self::ssr::with_delivery_state(&st.db, vec![self::ssr::member_view(row, now)])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("This member"))?;
    let (routes, groups) = self::ssr::routes_of(&st, &m.team_id, &member_id(&member.id)?).await?;
    Ok(MemberProfile {
        member,
        products,
        offers,
        admin: m.role.runs_team(),
        gives_roles: m.role.gives_roles(),
        routes,
        groups,
    })
}

#[server(endpoint = "team_offers")]
pub async fn team_offers(team: String) -> Result<Vec<OfferView>, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let offers = st.db.team_offers(&m.team_id, st.now()).await?;
    Ok(offers.iter().map(self::ssr::offer_view).collect())
}

#[server(endpoint = "offer_members")]
pub async fn offer_members(
    team: String,
    code: String,
    q: Option<String>,
    page: Option<i64>,
) -> Result<OfferPage, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let now = st.now();
    let offers = st.db.team_offers(&m.team_id, now).await?;
    let offer = offers
        .iter()
        .find(|o| o.code.eq_ignore_ascii_case(&code))
        .ok_or_else(|| AppError::not_found(format!("The product {code} in this team")))?;
    let offset = page_offset(page);
    let (rows, total) =
        st.db.offer_members(&m.team_id, offer, q.as_deref().unwrap_or(""), offset, PAGE_SIZE).await?;
    let through_group = match &offer.product_id {
        Some(pid) => {
            let ids: Vec<String> = rows.iter().map(|r| r.account_id.to_string()).collect();
            let mut conn = st.db.pool.acquire().await?;
            crate::store::groups::group_only_holders(&mut conn, &m.team_id, pid, &ids)
                .await?
                .into_iter()
                .collect()
        }
        None => vec![],
    };
    Ok(OfferPage {
        offer: self::ssr::offer_view(offer),
        through_group,
        members: MemberPage {
            rows: rows.into_iter().map(|r| self::ssr::member_view(r, now)).collect(),
            total,
            offset,
            limit: PAGE_SIZE,
            admin: m.role.runs_team(),
        },
    })
}

/// Up to 8 members matching what the admin typed, for the assign dialog's picker.
#[server(endpoint = "find_members")]
pub async fn find_members(team: String, q: String) -> Result<Vec<MemberView>, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    if q.trim().is_empty() {
        return Ok(vec![]);
    }
    let now = st.now();
    let rows = st.db.find_members(&m.team_id, &q, 8).await?;
    Ok(rows.into_iter().map(|r| self::ssr::member_view(r, now)).collect())
}

/// The most ids "select all matching" takes at once: a bulk action over more is better
/// done with an import file.
pub const SELECT_ALL_LIMIT: i64 = 10_000;

/// The ids of every member matching the search and status filter (up to
/// [`SELECT_ALL_LIMIT`]), for "select all matching" on Users by user.
#[server(endpoint = "matching_member_ids")]
pub async fn matching_member_ids(
    team: String,
    q: Option<String>,
    status: Option<String>,
) -> Result<Vec<String>, AppError> {
    use super::ssr::*;
    use crate::store::people::{MemberQuery, MemberSort};
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let query = MemberQuery {
        search: q.unwrap_or_default(),
        sort: MemberSort::Name,
        descending: false,
        status: self::ssr::status_filter(status.as_deref()),
        offset: 0,
        limit: SELECT_ALL_LIMIT,
    };
    let (rows, _) = st.db.list_members(&m.team_id, &query, st.now()).await?;
    Ok(rows.into_iter().map(|r| r.account_id.to_string()).collect())
}
