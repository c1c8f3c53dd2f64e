//! Usage views (R-USE1): the Flex summary with its forecast, usage by product and by user
//! over a date range (with drill-down from a product to its people), and seat usage of
//! subscriptions and trials. Admins only: the figures name people.
//! The figures come from `service::usage`; these functions authenticate, authorize and
//! shape them for the pages.
// `#[server]` copies each function for the browser build, where an item-level allow does
// not reach: `usage_by_user` mirrors the URL's query parameters one to one.
#![allow(clippy::too_many_arguments)]
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

// DTO names end in `View`: `#[server]` takes the CamelCase of each function's name
// (`usage_summary` → `UsageSummary`) for its own argument struct.

/// Rows per page on the by-user and drill-down tables.
pub const PAGE_SIZE: usize = 50;

/// The date range a view covers, inclusive, in UTC days ("YYYY-MM-DD").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeView {
    pub from: String,
    pub to: String,
    /// Number of days in the range (from and to included).
    pub days: i64,
    /// Today (UTC), the default end of a range and the latest allowed.
    pub today: String,
}

/// One day of a daily series: what the chart draws as one bar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPoint {
    pub day: String,
    pub tokens: i64,
    /// 24-hour usage windows opened that day (every licence type).
    pub windows: i64,
}

/// A token event of the last 90 days. Charges are summed per day ("usage").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEvent {
    pub day: String,
    /// "purchase", "usage", "expiry", "move_in" or "move_out".
    pub kind: String,
    /// What happened, in words ("Purchase of 1,000 tokens", "Used by 12 windows").
    pub label: String,
    /// Signed change to the balance.
    pub tokens: i64,
}

/// What is left of one purchase and when it lapses (future expiries only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryRow {
    pub purchased_on: String,
    pub expires_on: String,
    pub amount: i64,
    pub left: i64,
}

/// The forecast and the assumption it rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastView {
    /// Average tokens per day over the trailing window ("12.5").
    pub rate_per_day: String,
    pub trailing_days: i64,
    /// The day the balance is expected to run out, if it does before the tokens expire.
    pub runs_out_on: Option<String>,
    /// Tokens expected to lapse unused at that rate.
    pub expiring_unused: i64,
    /// Each lapse the forecast expects: (expiry day, tokens lapsing).
    pub lapses: Vec<(String, i64)>,
    /// The assumption in words, shown beside the figures.
    pub assumption: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryView {
    pub team_name: String,
    pub range: RangeView,
    /// Tokens usable now.
    pub available: i64,
    /// All-time figures from the ledger (this team's entries).
    pub purchased: i64,
    pub used: i64,
    pub expired: i64,
    pub moved_in: i64,
    pub moved_out: i64,
    /// Tokens charged within the range (from the roll-ups).
    pub used_in_range: i64,
    /// One point per day of the range, oldest first, days without use included.
    pub daily: Vec<DayPoint>,
    /// Last 90 days, newest first.
    pub events: Vec<TokenEvent>,
    /// Purchases with tokens left, earliest expiry first.
    pub expiries: Vec<ExpiryRow>,
    pub forecast: ForecastView,
}

/// One product's use over the range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductUsageRow {
    pub code: String,
    pub name: String,
    pub tokens: i64,
    /// Usage windows (one per person per 24 hours) over the range, every licence type.
    pub days_used: i64,
    pub subscription_days: i64,
    pub trial_days: i64,
    pub flex_days: i64,
    /// Distinct people who used it in the range.
    pub people: i64,
}

/// One person's use over the range (of every product, or of one in a drill-down).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUsageRow {
    /// Account id: the member page is `/t/{team}/users/{member}`.
    pub member: String,
    pub name: String,
    pub email: String,
    pub tokens: i64,
    pub days_used: i64,
    /// Products used in the range.
    pub products: i64,
    /// Last day with use within the range.
    pub last_used: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ByProductView {
    pub team_name: String,
    pub range: RangeView,
    pub rows: Vec<ProductUsageRow>,
    /// Sort applied: "name", "tokens", "days" or "people"; and "asc" or "desc".
    pub sort: String,
    pub dir: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ByUserView {
    pub team_name: String,
    pub range: RangeView,
    /// Set in a drill-down from a product: the product's code and name.
    pub product: Option<(String, String)>,
    /// One page of rows.
    pub rows: Vec<UserUsageRow>,
    /// All rows matching (before paging).
    pub total: i64,
    /// 1-based page shown.
    pub page: i64,
    pub page_size: i64,
    /// "name", "tokens", "days", "products" or "last_used"; "asc" or "desc".
    pub sort: String,
    pub dir: String,
    /// The search applied (name or email contains it, case-insensitive).
    pub q: String,
    /// Totals over all matching rows.
    pub tokens: i64,
    pub days_used: i64,
}

/// A person holding a seat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatHolder {
    pub member: String,
    pub name: String,
    pub email: String,
    /// Last time the product authorized for them ("YYYY-MM-DD HH:MM UTC"), if ever.
    pub last_accessed: Option<String>,
    /// A live licence session right now.
    pub in_use: bool,
}

/// A subscription or trial and how its seats are used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatProductView {
    pub code: String,
    pub name: String,
    /// A subscription or a trial (serialised as "subscription" or "trial").
    pub access: crate::domain::licensing::LicenseType,
    pub seats: i64,
    pub assigned: i64,
    pub in_use: i64,
    pub ends_on: String,
    /// Assigned people, most recently accessed first, never-accessed last.
    pub holders: Vec<SeatHolder>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeatsView {
    pub team_name: String,
    pub products: Vec<SeatProductView>,
}

#[cfg(feature = "ssr")]
mod ssr_impl {
    use super::*;
    use crate::domain::usage::{day_key, DateRange};
    use crate::service::usage::Sort;
    use chrono::{DateTime, NaiveDate, Utc};

    pub fn range(from: Option<String>, to: Option<String>, today: NaiveDate) -> Result<DateRange, AppError> {
        DateRange::parse(from.as_deref(), to.as_deref(), today).map_err(|e| AppError::invalid(e.field(), e))
    }

    pub fn range_view(r: DateRange, today: NaiveDate) -> RangeView {
        RangeView { from: day_key(r.from), to: day_key(r.to), days: r.days(), today: day_key(today) }
    }

    pub fn day(t: DateTime<Utc>) -> String {
        day_key(t.date_naive())
    }

    /// The sort the query asks for among `keys` (column name → key). Unknown values fall
    /// back to the default rather than failing a page over a stale link; names sort
    /// ascending by default, figures descending. Also the names the page echoes back.
    pub fn sort_of<K: Copy>(
        sort: Option<String>,
        dir: Option<String>,
        keys: &[(&'static str, K)],
        default: (&'static str, K),
    ) -> (Sort<K>, String, String) {
        let (name, key) = keys.iter().find(|(n, _)| Some(*n) == sort.as_deref()).copied().unwrap_or(default);
        let natural = if name == "name" { "asc" } else { "desc" };
        let dir = dir.filter(|d| d == "asc" || d == "desc").unwrap_or_else(|| natural.to_string());
        (Sort { key, desc: dir == "desc" }, name.to_string(), dir)
    }
}

/// The Flex summary over `from`..=`to` (default: the last 30 days).
#[server(endpoint = "usage_summary")]
pub async fn usage_summary(
    team: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<SummaryView, AppError> {
    use super::ssr::*;
    use crate::domain::usage::{daily_rate, day_key, forecast_assumption, TRAILING_DAYS};
    use ssr_impl::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let now = st.now();
    let today = now.date_naive();
    let range = range(from, to, today)?;
    let s = crate::service::usage::summary(&st.db, &m.team_id, range, now).await?;
    Ok(SummaryView {
        team_name: m.team_name,
        range: range_view(range, today),
        available: s.available,
        purchased: s.totals.purchased,
        used: s.totals.charged,
        expired: s.totals.expired,
        moved_in: s.totals.moved_in,
        moved_out: s.totals.moved_out,
        used_in_range: s.daily.iter().map(|d| d.tokens).sum(),
        daily: s
            .daily
            .into_iter()
            .map(|d| DayPoint { day: day_key(d.day), tokens: d.tokens, windows: d.windows })
            .collect(),
        events: s
            .events
            .into_iter()
            .map(|l| TokenEvent { day: day(l.at), kind: l.kind, label: l.label, tokens: l.tokens })
            .collect(),
        expiries: s
            .expiries
            .into_iter()
            .map(|e| ExpiryRow {
                purchased_on: day(e.purchased_at),
                expires_on: day(e.expires_at),
                amount: e.amount,
                left: e.left,
            })
            .collect(),
        forecast: ForecastView {
            rate_per_day: format!("{:.1}", daily_rate(s.trailing_used, TRAILING_DAYS)),
            trailing_days: TRAILING_DAYS,
            runs_out_on: s.forecast.runs_out_on.map(day_key),
            expiring_unused: s.forecast.expiring_unused(),
            lapses: s.forecast.lapses.iter().map(|(d, n)| (day_key(*d), *n)).collect(),
            assumption: forecast_assumption(s.trailing_used, TRAILING_DAYS),
        },
    })
}

/// Use per product over the range, sorted.
#[server(endpoint = "usage_by_product")]
pub async fn usage_by_product(
    team: String,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
) -> Result<ByProductView, AppError> {
    use super::ssr::*;
    use crate::service::usage::ProductKey;
    use ssr_impl::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let today = st.now().date_naive();
    let range = range(from, to, today)?;
    let keys = [
        ("name", ProductKey::Name),
        ("tokens", ProductKey::Tokens),
        ("days", ProductKey::Days),
        ("people", ProductKey::People),
    ];
    let (order, sort, dir) = sort_of(sort, dir, &keys, ("tokens", ProductKey::Tokens));
    let rows = crate::service::usage::by_product(&st.db, &m.team_id, range, order)
        .await?
        .into_iter()
        .map(|p| ProductUsageRow {
            days_used: p.windows(),
            code: p.code,
            name: p.name,
            tokens: p.tokens,
            subscription_days: p.subscription,
            trial_days: p.trial,
            flex_days: p.flex,
            people: p.people,
        })
        .collect();
    Ok(ByProductView { team_name: m.team_name, range: range_view(range, today), rows, sort, dir })
}

/// Use per person over the range; with `product` (a code), only that product's users.
#[server(endpoint = "usage_by_user")]
pub async fn usage_by_user(
    team: String,
    from: Option<String>,
    to: Option<String>,
    product: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<i64>,
) -> Result<ByUserView, AppError> {
    use super::ssr::*;
    use crate::service::usage::PersonKey;
    use ssr_impl::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let today = st.now().date_naive();
    let range = range(from, to, today)?;
    let code = product.map(|p| p.trim().to_uppercase()).filter(|p| !p.is_empty());
    let keys = [
        ("name", PersonKey::Name),
        ("tokens", PersonKey::Tokens),
        ("days", PersonKey::Days),
        ("products", PersonKey::Products),
        ("last_used", PersonKey::LastUsed),
    ];
    let (order, sort, dir) = sort_of(sort, dir, &keys, ("tokens", PersonKey::Tokens));
    let q = q.unwrap_or_default().trim().to_string();
    let p = crate::service::usage::by_person(
        &st.db,
        &m.team_id,
        range,
        code.as_deref(),
        &q,
        order,
        page.unwrap_or(1),
        PAGE_SIZE as i64,
    )
    .await?;
    Ok(ByUserView {
        team_name: m.team_name,
        range: range_view(range, today),
        product: p.product.map(|p| (p.code, p.name)),
        rows: p
            .rows
            .into_iter()
            .map(|p| UserUsageRow {
                member: p.account_id,
                name: p.name,
                email: p.email,
                tokens: p.tokens,
                days_used: p.windows,
                products: p.products,
                last_used: p.last_used,
            })
            .collect(),
        total: p.total,
        page: p.page,
        page_size: PAGE_SIZE as i64,
        sort,
        dir,
        q,
        tokens: p.tokens,
        days_used: p.windows,
    })
}

/// Seats of each subscription and trial: assigned, in use, last accessed per person.
#[server(endpoint = "seat_usage")]
pub async fn seat_usage(team: String) -> Result<SeatsView, AppError> {
    use super::ssr::*;
    use ssr_impl::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let products = crate::service::usage::seats(&st.db, &m.team_id, st.now())
        .await?
        .into_iter()
        .map(|p| SeatProductView {
            code: p.code,
            name: p.name,
            access: p.access,
            seats: p.seats,
            assigned: p.holders.len() as i64,
            in_use: p.holders.iter().filter(|h| h.in_use).count() as i64,
            ends_on: day(p.ends_at),
            holders: p
                .holders
                .into_iter()
                .map(|h| SeatHolder {
                    member: h.holder.account_id,
                    name: h.holder.name,
                    email: h.holder.email,
                    last_accessed: h
                        .holder
                        .last_accessed_at
                        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                    in_use: h.in_use,
                })
                .collect(),
        })
        .collect();
    Ok(SeatsView { team_name: m.team_name, products })
}
