//! The usage views (R-USE1) as figures: the Flex summary with its forecast, use per product
//! and per person over a range, and the seats of subscriptions and trials. The server
//! functions only turn these into what the pages show.
//!
//! Every view reads the daily and monthly roll-ups (`store::usage`), never the raw usage
//! windows, so it costs the same for a team with a million usage records as for a new one.
use crate::domain::ledger::balance;
use crate::domain::licensing::{LicenseType, SESSION_LAPSE};
use crate::domain::usage::{
    forecast, lapsed, token_history, DateRange, FlexDay, Forecast, HistoryLine, LedgerLine, TRAILING_DAYS,
};
use crate::domain::TeamId;
use crate::error::AppError;
use crate::store::licensing::ProductRow;
use crate::store::usage::{self as rollups, Holder, LedgerTotals, PersonUse, ProductUse};
use crate::store::{tokens, Db};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::cmp::Ordering;

/// One day of a range: tokens charged and usage windows opened (every licence type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    pub day: NaiveDate,
    pub tokens: i64,
    pub windows: i64,
}

/// What is left of one purchase and when it lapses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiry {
    pub purchased_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub amount: i64,
    pub left: i64,
}

/// The Flex summary of a team over a range.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Tokens usable now.
    pub available: i64,
    /// The ledger's all-time totals; `expired` counts lots that have lapsed but are not yet
    /// written off (the ledger writes that at the team's next charge), so figures add up.
    pub totals: LedgerTotals,
    /// Every day of the range, oldest first, days without use at zero.
    pub daily: Vec<Day>,
    /// The last 90 days of the token history, newest first.
    pub events: Vec<HistoryLine>,
    /// Purchases with tokens left that have not lapsed, earliest expiry first.
    pub expiries: Vec<Expiry>,
    /// Flex tokens charged over the last `TRAILING_DAYS`: the forecast's rate.
    pub trailing_used: i64,
    pub forecast: Forecast,
}

/// How far back the token history goes.
const HISTORY_DAYS: i64 = 90;

pub async fn summary(
    db: &Db,
    team: &TeamId,
    range: DateRange,
    now: DateTime<Utc>,
) -> Result<Summary, AppError> {
    let pool = &db.pool;
    let today = now.date_naive();
    let figures = tokens::purchase_figures(pool, team).await?;
    let lots: Vec<_> = figures.iter().map(tokens::PurchaseFigures::lot).collect();
    let mut totals = rollups::ledger_totals(pool, team).await?;
    let lapsed = lapsed(&lots, now);
    totals.expired += lapsed.iter().map(|l| l.remaining).sum::<i64>();

    let daily = every_day(range, rollups::daily_use(pool, team, range, false).await?);

    let since = now - Duration::days(HISTORY_DAYS);
    let entries = rollups::ledger_events(pool, team, since).await?;
    let entries: Vec<LedgerLine> =
        entries.iter().map(|e| LedgerLine { kind: &e.kind, amount: e.amount, at: e.at }).collect();
    let flex_days: Vec<FlexDay> =
        rollups::daily_use(pool, team, DateRange { from: since.date_naive(), to: today }, true)
            .await?
            .into_iter()
            .filter_map(|u| {
                Some(FlexDay { day: rollups::parse_day(&u.day)?, tokens: u.tokens, windows: u.windows })
            })
            .collect();
    let events = token_history(&entries, &lapsed, &flex_days, since);

    let expiries = figures
        .iter()
        .filter(|f| f.remaining > 0 && f.expires_at > now && f.purchased_at <= now)
        .map(|f| Expiry {
            purchased_at: f.purchased_at,
            expires_at: f.expires_at,
            amount: f.amount,
            left: f.remaining,
        })
        .collect();

    let trailing = DateRange::last(TRAILING_DAYS, today);
    let trailing_used: i64 =
        rollups::daily_use(pool, team, trailing, true).await?.iter().map(|u| u.tokens).sum();
    Ok(Summary {
        available: balance(&lots, now),
        totals,
        daily,
        events,
        expiries,
        trailing_used,
        forecast: forecast(&lots, now, trailing_used, TRAILING_DAYS),
    })
}

/// One `Day` per day of `range` from the days with use (in date order), zero where none.
fn every_day(range: DateRange, used: Vec<rollups::DayUse>) -> Vec<Day> {
    let mut used = used.into_iter().filter_map(|u| Some((rollups::parse_day(&u.day)?, u))).peekable();
    range
        .each_day()
        .map(|day| match used.next_if(|(d, _)| *d == day) {
            Some((_, u)) => Day { day, tokens: u.tokens, windows: u.windows },
            None => Day { day, tokens: 0, windows: 0 },
        })
        .collect()
}

/// A sort the usage tables offer: a column and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort<K> {
    pub key: K,
    pub desc: bool,
}

impl<K> Sort<K> {
    fn apply(&self, o: Ordering) -> Ordering {
        if self.desc {
            o.reverse()
        } else {
            o
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductKey {
    Name,
    Tokens,
    Days,
    People,
}

/// Use per product over the range, sorted (ties by name).
pub async fn by_product(
    db: &Db,
    team: &TeamId,
    range: DateRange,
    sort: Sort<ProductKey>,
) -> Result<Vec<ProductUse>, AppError> {
    let mut rows = db.product_use(team, range).await?;
    rows.sort_by(|a, b| {
        let o = match sort.key {
            ProductKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            ProductKey::Days => a.windows().cmp(&b.windows()),
            ProductKey::People => a.people.cmp(&b.people),
            ProductKey::Tokens => a.tokens.cmp(&b.tokens),
        };
        sort.apply(o).then_with(|| a.name.cmp(&b.name))
    });
    Ok(rows)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonKey {
    Name,
    Tokens,
    Days,
    Products,
    LastUsed,
}

/// One page of the people who used the team's products over a range.
#[derive(Clone, Debug)]
pub struct PeoplePage {
    /// The product of a drill-down.
    pub product: Option<ProductRow>,
    pub rows: Vec<PersonUse>,
    /// Rows matching, before paging.
    pub total: i64,
    /// The page shown (1-based, within the pages there are).
    pub page: i64,
    /// Totals over every matching row.
    pub tokens: i64,
    pub windows: i64,
}

/// The people who used the team's products over the range (of the product `code` only, in
/// a drill-down), whose name or email contains `q` (case-insensitive), sorted (ties by
/// email), page `page` of `page_size` rows. A page past the end shows the last.
#[allow(clippy::too_many_arguments)]
pub async fn by_person(
    db: &Db,
    team: &TeamId,
    range: DateRange,
    code: Option<&str>,
    q: &str,
    sort: Sort<PersonKey>,
    page: i64,
    page_size: i64,
) -> Result<PeoplePage, AppError> {
    let product = match code {
        None => None,
        Some(code) => Some(
            db.product_by_code(code)
                .await?
                .ok_or_else(|| AppError::not_found(format!("The product {code}")))?,
        ),
    };
    let needle = q.to_lowercase();
    let mut rows: Vec<PersonUse> = db
        .person_use(team, range, product.as_ref().map(|p| p.id.as_str()))
        .await?
        .into_iter()
        .filter(|p| {
            needle.is_empty()
                || p.name.to_lowercase().contains(&needle)
                || p.email.to_lowercase().contains(&needle)
        })
        .collect();
    rows.sort_by(|a, b| {
        let o = match sort.key {
            PersonKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            PersonKey::Days => a.windows.cmp(&b.windows),
            PersonKey::Products => a.products.cmp(&b.products),
            PersonKey::LastUsed => a.last_used.cmp(&b.last_used),
            PersonKey::Tokens => a.tokens.cmp(&b.tokens),
        };
        sort.apply(o).then_with(|| a.email.cmp(&b.email))
    });
    let total = rows.len() as i64;
    let (tokens, windows) = rows.iter().fold((0, 0), |(t, w), r| (t + r.tokens, w + r.windows));
    let pages = ((total + page_size - 1) / page_size).max(1);
    let page = page.clamp(1, pages);
    let rows = rows.into_iter().skip(((page - 1) * page_size) as usize).take(page_size as usize).collect();
    Ok(PeoplePage { product, rows, total, page, tokens, windows })
}

/// A person holding a seat, and whether they are using it now.
#[derive(Clone, Debug)]
pub struct SeatHolder {
    pub holder: Holder,
    /// A live licence session right now (a heartbeat within `SESSION_LAPSE`).
    pub in_use: bool,
}

/// A subscription or trial running now and who holds its seats.
#[derive(Clone, Debug)]
pub struct Seats {
    pub code: String,
    pub name: String,
    /// A subscription or a trial.
    pub access: LicenseType,
    pub seats: i64,
    pub ends_at: DateTime<Utc>,
    /// Most recently accessed first, never accessed last, ties by name.
    pub holders: Vec<SeatHolder>,
}

pub async fn seats(db: &Db, team: &TeamId, now: DateTime<Utc>) -> Result<Vec<Seats>, AppError> {
    Ok(db
        .seat_products(team, now)
        .await?
        .into_iter()
        .map(|p| {
            let mut holders: Vec<SeatHolder> = p
                .holders
                .into_iter()
                .map(|h| SeatHolder {
                    in_use: h.heartbeat_at.is_some_and(|at| now - at < SESSION_LAPSE),
                    holder: h,
                })
                .collect();
            // None sorts first, hence the reverse: never-accessed people go last.
            holders.sort_by(|a, b| {
                b.holder
                    .last_accessed_at
                    .cmp(&a.holder.last_accessed_at)
                    .then_with(|| a.holder.name.cmp(&b.holder.name))
            });
            Seats {
                code: p.code,
                name: p.name,
                access: p.access,
                seats: p.seats,
                ends_at: p.ends_at,
                holders,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn used(day: &str, tokens: i64, windows: i64) -> rollups::DayUse {
        rollups::DayUse { day: day.into(), tokens, windows }
    }

    #[test]
    fn every_day_of_the_range_shows_with_zero_where_nothing_was_used() {
        let range = DateRange { from: d("2026-03-30"), to: d("2026-04-02") };
        let days = every_day(range, vec![used("2026-03-31", 9, 1), used("2026-04-02", 14, 2)]);
        let got: Vec<(String, i64, i64)> =
            days.iter().map(|x| (x.day.to_string(), x.tokens, x.windows)).collect();
        assert_eq!(
            got,
            vec![
                ("2026-03-30".into(), 0, 0),
                ("2026-03-31".into(), 9, 1),
                ("2026-04-01".into(), 0, 0),
                ("2026-04-02".into(), 14, 2),
            ]
        );
    }

    #[test]
    fn a_day_outside_the_range_or_unreadable_is_not_counted() {
        let range = DateRange { from: d("2026-04-01"), to: d("2026-04-01") };
        let days = every_day(
            range,
            vec![used("not a day", 5, 1), used("2026-04-01", 3, 1), used("2026-04-02", 7, 1)],
        );
        assert_eq!(days, vec![Day { day: d("2026-04-01"), tokens: 3, windows: 1 }]);
    }
}
