//! Usage views (R-USE1): the Flex summary with its forecast, usage by product and by user
//! over a date range (with drill-down from a product to its people), and seat usage of
//! subscriptions and trials. Admins only: the figures name people.
//!
//! Every view reads the daily and monthly roll-ups (`store::usage`), never the raw usage
//! windows, so it costs the same for a team with a million usage records as for a new one.
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
    /// "subscription" or "trial".
    pub access: String,
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

    /// `(sort, dir)` from the query: unknown values fall back to the default rather than
    /// failing a page over a stale link.
    pub fn sort_of(
        sort: Option<String>,
        dir: Option<String>,
        allowed: &[&str],
        default: &str,
    ) -> (String, String) {
        let sort = sort.filter(|s| allowed.contains(&s.as_str())).unwrap_or_else(|| default.to_string());
        let natural = if sort == "name" { "asc" } else { "desc" };
        let dir = dir.filter(|d| d == "asc" || d == "desc").unwrap_or_else(|| natural.to_string());
        (sort, dir)
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
    use crate::domain::ledger::balance;
    use crate::domain::usage::{
        daily_rate, day_key, forecast, forecast_assumption, lapsed, token_history, DateRange, FlexDay,
        LedgerLine, TRAILING_DAYS,
    };
    use ssr_impl::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let now = st.now();
    let today = now.date_naive();
    let range = range(from, to, today)?;
    let team_id = m.team_id.as_str();
    let lots = crate::store::ledger::team_lots(&st.db.pool, team_id).await?;
    let figures = crate::store::tokens::purchase_figures(&st.db.pool, team_id).await?;
    let totals = st.db.ledger_totals(team_id).await?;
    let used_days = st.db.daily_use(team_id, range, false).await?;
    let mut used = used_days.iter().peekable();
    let daily: Vec<DayPoint> = range
        .each_day()
        .map(|d| {
            let key = crate::domain::usage::day_key(d);
            match used.next_if(|u| u.day == key) {
                Some(u) => DayPoint { day: key, tokens: u.tokens, windows: u.windows },
                None => DayPoint { day: key, tokens: 0, windows: 0 },
            }
        })
        .collect();
    let lapsed = lapsed(&lots, now);
    let since = now - chrono::Duration::days(90);
    let ledger = st.db.ledger_events(team_id, since).await?;
    let ledger: Vec<LedgerLine> =
        ledger.iter().map(|e| LedgerLine { kind: &e.kind, amount: e.amount, at: e.at }).collect();
    let flex_days: Vec<FlexDay> = st
        .db
        .daily_use(team_id, DateRange { from: since.date_naive(), to: today }, true)
        .await?
        .into_iter()
        .filter_map(|u| {
            let day = crate::store::usage::parse_day(&u.day)?;
            Some(FlexDay { day, tokens: u.tokens, windows: u.windows })
        })
        .collect();
    let events = token_history(&ledger, &lapsed, &flex_days, since)
        .into_iter()
        .map(|l| TokenEvent { day: day(l.at), kind: l.kind, label: l.label, tokens: l.tokens })
        .collect();
    let expiries = figures
        .iter()
        .filter_map(|f| {
            let left =
                lots.iter().find(|l| l.purchase_id == f.purchase_id).map_or(f.remaining, |l| l.remaining);
            (left > 0 && f.expires_at > now && f.purchased_at <= now).then(|| ExpiryRow {
                purchased_on: day(f.purchased_at),
                expires_on: day(f.expires_at),
                amount: f.amount,
                left,
            })
        })
        .collect();
    let trailing = DateRange::last(TRAILING_DAYS, today);
    let trailing_used: i64 = st.db.daily_use(team_id, trailing, true).await?.iter().map(|u| u.tokens).sum();
    let f = forecast(&lots, now, trailing_used, TRAILING_DAYS);
    Ok(SummaryView {
        team_name: m.team_name,
        range: range_view(range, today),
        available: balance(&lots, now),
        purchased: totals.purchased,
        used: totals.charged,
        expired: totals.expired + lapsed.iter().map(|l| l.remaining).sum::<i64>(),
        moved_in: totals.moved_in,
        moved_out: totals.moved_out,
        used_in_range: daily.iter().map(|d| d.tokens).sum(),
        daily,
        events,
        expiries,
        forecast: ForecastView {
            rate_per_day: format!("{:.1}", daily_rate(trailing_used, TRAILING_DAYS)),
            trailing_days: TRAILING_DAYS,
            runs_out_on: f.runs_out_on.map(day_key),
            expiring_unused: f.expiring_unused(),
            lapses: f.lapses.iter().map(|(d, n)| (day_key(*d), *n)).collect(),
            assumption: forecast_assumption(trailing_used, TRAILING_DAYS),
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
    use ssr_impl::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let today = st.now().date_naive();
    let range = range(from, to, today)?;
    let (sort, dir) = sort_of(sort, dir, &["name", "tokens", "days", "people"], "tokens");
    let mut rows: Vec<ProductUsageRow> = st
        .db
        .product_use(m.team_id.as_str(), range)
        .await?
        .into_iter()
        .map(|p| ProductUsageRow {
            code: p.code,
            name: p.name,
            tokens: p.tokens,
            days_used: p.subscription + p.trial + p.flex,
            subscription_days: p.subscription,
            trial_days: p.trial,
            flex_days: p.flex,
            people: p.people,
        })
        .collect();
    rows.sort_by(|a, b| {
        let o = match sort.as_str() {
            "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "days" => a.days_used.cmp(&b.days_used),
            "people" => a.people.cmp(&b.people),
            _ => a.tokens.cmp(&b.tokens),
        };
        let o = if dir == "desc" { o.reverse() } else { o };
        o.then_with(|| a.name.cmp(&b.name))
    });
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
    use ssr_impl::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let today = st.now().date_naive();
    let range = range(from, to, today)?;
    let product = match product.map(|p| p.trim().to_uppercase()).filter(|p| !p.is_empty()) {
        None => None,
        Some(code) => Some(
            st.db
                .product_by_code(&code)
                .await?
                .ok_or_else(|| AppError::not_found(format!("The product {code}")))?,
        ),
    };
    let (sort, dir) = sort_of(sort, dir, &["name", "tokens", "days", "products", "last_used"], "tokens");
    let q = q.unwrap_or_default().trim().to_string();
    let needle = q.to_lowercase();
    let mut rows: Vec<UserUsageRow> = st
        .db
        .person_use(m.team_id.as_str(), range, product.as_ref().map(|p| p.id.as_str()))
        .await?
        .into_iter()
        .filter(|p| {
            needle.is_empty()
                || p.name.to_lowercase().contains(&needle)
                || p.email.to_lowercase().contains(&needle)
        })
        .map(|p| UserUsageRow {
            member: p.account_id,
            name: p.name,
            email: p.email,
            tokens: p.tokens,
            days_used: p.windows,
            products: p.products,
            last_used: p.last_used,
        })
        .collect();
    rows.sort_by(|a, b| {
        let o = match sort.as_str() {
            "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "days" => a.days_used.cmp(&b.days_used),
            "products" => a.products.cmp(&b.products),
            "last_used" => a.last_used.cmp(&b.last_used),
            _ => a.tokens.cmp(&b.tokens),
        };
        let o = if dir == "desc" { o.reverse() } else { o };
        o.then_with(|| a.email.cmp(&b.email))
    });
    let total = rows.len() as i64;
    let (tokens, days_used) = rows.iter().fold((0, 0), |(t, d), r| (t + r.tokens, d + r.days_used));
    let pages = ((total + PAGE_SIZE as i64 - 1) / PAGE_SIZE as i64).max(1);
    let page = page.unwrap_or(1).clamp(1, pages);
    let rows = rows.into_iter().skip((page - 1) as usize * PAGE_SIZE).take(PAGE_SIZE).collect();
    Ok(ByUserView {
        team_name: m.team_name,
        range: range_view(range, today),
        product: product.map(|p| (p.code, p.name)),
        rows,
        total,
        page,
        page_size: PAGE_SIZE as i64,
        sort,
        dir,
        q,
        tokens,
        days_used,
    })
}

/// Seats of each subscription and trial: assigned, in use, last accessed per person.
#[server(endpoint = "seat_usage")]
pub async fn seat_usage(team: String) -> Result<SeatsView, AppError> {
    use super::ssr::*;
    use crate::domain::licensing::SESSION_LAPSE;
    use chrono::{DateTime, Utc};
    use ssr_impl::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let now = st.now();
    let products = st
        .db
        .seat_products(m.team_id.as_str(), now)
        .await?
        .into_iter()
        .map(|p| {
            let mut holders: Vec<(Option<DateTime<Utc>>, SeatHolder)> = p
                .holders
                .into_iter()
                .map(|h| {
                    let in_use = h.heartbeat_at.is_some_and(|at| now - at < SESSION_LAPSE);
                    let seen = h.last_accessed_at;
                    (
                        seen,
                        SeatHolder {
                            member: h.account_id,
                            name: h.name,
                            email: h.email,
                            last_accessed: seen.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                            in_use,
                        },
                    )
                })
                .collect();
            // Most recent first, never-used last (None sorts first, hence the reverse).
            holders.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
            SeatProductView {
                code: p.code,
                name: p.name,
                access: p.access,
                seats: p.seats,
                assigned: holders.len() as i64,
                in_use: holders.iter().filter(|h| h.1.in_use).count() as i64,
                ends_on: day(p.ends_at),
                holders: holders.into_iter().map(|(_, h)| h).collect(),
            }
        })
        .collect();
    Ok(SeatsView { team_name: m.team_name, products })
}
