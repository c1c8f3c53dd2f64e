//! Usage roll-ups (R-USE1): written with every usage window, read by every usage view.
//! See migration 5 for the tables and why there are three.
use super::{get_ts, ts, Db, Result};
use crate::domain::licensing::LicenseType;
use crate::domain::usage::{day_key, month_key, DateRange, Split};
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Any, Executor, Row, Transaction};

/// Adds one usage window to the roll-ups, in the transaction that writes the window.
pub async fn record(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
    product_id: &str,
    license: &str,
    opened_at: DateTime<Utc>,
    tokens: i64,
) -> Result<()> {
    let day = day_key(opened_at.date_naive());
    let month = month_key(opened_at.date_naive());
    sqlx::query(
        "INSERT INTO usage_product_days (team_id, day, product_id, license_type, windows, tokens) \
         VALUES ($1, $2, $3, $4, 1, $5) \
         ON CONFLICT (team_id, day, product_id, license_type) DO UPDATE SET \
           windows = usage_product_days.windows + 1, tokens = usage_product_days.tokens + excluded.tokens",
    )
    .bind(team.as_str())
    .bind(&day)
    .bind(product_id)
    .bind(license)
    .bind(tokens)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO usage_user_days (team_id, day, account_id, product_id, license_type, windows, tokens) \
         VALUES ($1, $2, $3, $4, $5, 1, $6) \
         ON CONFLICT (team_id, day, account_id, product_id, license_type) DO UPDATE SET \
           windows = usage_user_days.windows + 1, tokens = usage_user_days.tokens + excluded.tokens",
    )
    .bind(team.as_str())
    .bind(&day)
    .bind(account.as_str())
    .bind(product_id)
    .bind(license)
    .bind(tokens)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO usage_user_months (team_id, month, account_id, product_id, license_type, windows, tokens, last_day) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7) \
         ON CONFLICT (team_id, month, account_id, product_id, license_type) DO UPDATE SET \
           windows = usage_user_months.windows + 1, tokens = usage_user_months.tokens + excluded.tokens, \
           last_day = CASE WHEN excluded.last_day > usage_user_months.last_day \
             THEN excluded.last_day ELSE usage_user_months.last_day END",
    )
    .bind(team.as_str())
    .bind(&month)
    .bind(account.as_str())
    .bind(product_id)
    .bind(license)
    .bind(tokens)
    .bind(&day)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The team's ledger summed over all its purchases (positive figures).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerTotals {
    pub purchased: i64,
    pub charged: i64,
    pub expired: i64,
    pub moved_out: i64,
    pub moved_in: i64,
}

/// A day's use: tokens and windows, every licence type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayUse {
    pub day: String,
    pub tokens: i64,
    pub windows: i64,
}

/// A ledger entry other than a charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEvent {
    pub kind: String,
    pub amount: i64,
    pub at: DateTime<Utc>,
}

/// One product's use over a range, per licence type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductUse {
    pub product_id: String,
    pub code: String,
    pub name: String,
    pub tokens: i64,
    pub subscription: i64,
    pub trial: i64,
    pub flex: i64,
    pub people: i64,
}

impl ProductUse {
    /// Usage windows of every licence type.
    pub fn windows(&self) -> i64 {
        self.subscription + self.trial + self.flex
    }
}

/// One person's use over a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonUse {
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub tokens: i64,
    pub windows: i64,
    pub products: i64,
    pub last_used: String,
}

/// A subscription or trial running now, with its seat holders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatProduct {
    pub product_id: String,
    pub code: String,
    pub name: String,
    pub access: LicenseType,
    pub seats: i64,
    pub ends_at: DateTime<Utc>,
    pub holders: Vec<Holder>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub last_accessed_at: Option<DateTime<Utc>>,
    pub heartbeat_at: Option<DateTime<Utc>>,
}

/// One usage row of an export: a person's use of a product on one day under one licence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    pub day: String,
    pub account_id: String,
    pub product_id: String,
    pub license_type: String,
    pub tokens: i64,
    pub name: String,
    pub email: String,
    pub product_name: String,
}

/// Where the next page of an export starts (the previous page's last key).
pub type ExportCursor = (String, String, String, String);

/// The UNION ALL of per-person roll-up rows covering `split`, as
/// `(account_id, product_id, tokens, windows, last_day)`, and its bind values in order.
/// With `product`, only that product's rows. (Placeholders are never reused: SQLite and
/// PostgreSQL number them differently.)
fn person_rows(team: &str, split: &Split, product: Option<&str>) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut n = 0;
    let mut next = |binds: &mut Vec<String>, v: String| {
        n += 1;
        binds.push(v);
        format!("${n}")
    };
    for days in [split.head, split.tail].into_iter().flatten() {
        let (team, from, to) = (
            next(&mut binds, team.to_string()),
            next(&mut binds, day_key(days.from)),
            next(&mut binds, day_key(days.to)),
        );
        let mut sql = format!(
            "SELECT account_id, product_id, tokens, windows, day AS last_day FROM usage_user_days \
             WHERE team_id = {team} AND day >= {from} AND day <= {to}"
        );
        if let Some(p) = product {
            sql += &format!(" AND product_id = {}", next(&mut binds, p.to_string()));
        }
        parts.push(sql);
    }
    if let Some((first, last)) = &split.months {
        let (team, from, to) = (
            next(&mut binds, team.to_string()),
            next(&mut binds, first.clone()),
            next(&mut binds, last.clone()),
        );
        let mut sql = format!(
            "SELECT account_id, product_id, tokens, windows, last_day FROM usage_user_months \
             WHERE team_id = {team} AND month >= {from} AND month <= {to}"
        );
        if let Some(p) = product {
            sql += &format!(" AND product_id = {}", next(&mut binds, p.to_string()));
        }
        parts.push(sql);
    }
    (parts.join(" UNION ALL "), binds)
}

/// The team's ledger summed over all its purchases.
pub async fn ledger_totals<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
) -> Result<LedgerTotals> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(purchased), 0) AS BIGINT) AS purchased, \
           CAST(COALESCE(SUM(charged), 0) AS BIGINT) AS charged, \
           CAST(COALESCE(SUM(expired), 0) AS BIGINT) AS expired, \
           CAST(COALESCE(SUM(moved_out), 0) AS BIGINT) AS moved_out, \
           CAST(COALESCE(SUM(moved_in), 0) AS BIGINT) AS moved_in \
         FROM lot_balances WHERE team_id = $1",
    )
    .bind(team.as_str())
    .fetch_one(ex)
    .await?;
    Ok(LedgerTotals {
        purchased: r.try_get("purchased")?,
        charged: r.try_get("charged")?,
        expired: r.try_get("expired")?,
        moved_out: r.try_get("moved_out")?,
        moved_in: r.try_get("moved_in")?,
    })
}

/// Use per day over the range (days without use are absent). With `flex_only`, only
/// Flex windows (what the ledger charged).
pub async fn daily_use<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    range: DateRange,
    flex_only: bool,
) -> Result<Vec<DayUse>> {
    let sql = format!(
        "SELECT day, CAST(SUM(tokens) AS BIGINT) AS tokens, CAST(SUM(windows) AS BIGINT) AS windows \
         FROM usage_product_days WHERE team_id = $1 AND day >= $2 AND day <= $3{} \
         GROUP BY day ORDER BY day",
        if flex_only { " AND license_type = 'flex'" } else { "" }
    );
    let rows = sqlx::query(&sql)
        .bind(team.as_str())
        .bind(day_key(range.from))
        .bind(day_key(range.to))
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DayUse {
                day: r.try_get("day")?,
                tokens: r.try_get("tokens")?,
                windows: r.try_get("windows")?,
            })
        })
        .collect()
}

/// Purchases, expiries and moves since `since`, newest first (charges are read per day
/// from the roll-ups instead).
pub async fn ledger_events<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    since: DateTime<Utc>,
) -> Result<Vec<LedgerEvent>> {
    let rows = sqlx::query(
        "SELECT kind, amount, at FROM token_ledger \
         WHERE team_id = $1 AND kind IN ('purchase', 'expiry', 'move_in', 'move_out') AND at >= $2 \
         ORDER BY at DESC",
    )
    .bind(team.as_str())
    .bind(ts(since))
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LedgerEvent { kind: r.try_get("kind")?, amount: r.try_get("amount")?, at: get_ts(r, "at")? })
        })
        .collect()
}

impl Db {
    /// Use per product over the range: windows per licence type, tokens, distinct people.
    /// Products never used in the range are absent.
    pub async fn product_use(&self, team: &TeamId, range: DateRange) -> Result<Vec<ProductUse>> {
        let rows = sqlx::query(
            "SELECT u.product_id, p.code, p.name, u.license_type, \
               CAST(SUM(u.tokens) AS BIGINT) AS tokens, CAST(SUM(u.windows) AS BIGINT) AS windows \
             FROM usage_product_days u JOIN products p ON p.id = u.product_id \
             WHERE u.team_id = $1 AND u.day >= $2 AND u.day <= $3 \
             GROUP BY u.product_id, p.code, p.name, u.license_type",
        )
        .bind(team.as_str())
        .bind(day_key(range.from))
        .bind(day_key(range.to))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<ProductUse> = Vec::new();
        for r in &rows {
            let id: String = r.try_get("product_id")?;
            let i = match out.iter().position(|p| p.product_id == id) {
                Some(i) => i,
                None => {
                    out.push(ProductUse {
                        product_id: id,
                        code: r.try_get("code")?,
                        name: r.try_get("name")?,
                        ..Default::default()
                    });
                    out.len() - 1
                }
            };
            let (tokens, windows): (i64, i64) = (r.try_get("tokens")?, r.try_get("windows")?);
            let p = &mut out[i];
            p.tokens += tokens;
            match r.try_get::<String, _>("license_type")?.as_str() {
                "subscription" => p.subscription += windows,
                "trial" => p.trial += windows,
                _ => p.flex += windows,
            }
        }
        let (union, binds) = person_rows(team.as_str(), &range.split(), None);
        let sql = format!(
            "SELECT product_id, CAST(COUNT(DISTINCT account_id) AS BIGINT) AS people FROM ({union}) u GROUP BY product_id"
        );
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b.as_str());
        }
        for r in q.fetch_all(&self.pool).await? {
            let id: String = r.try_get("product_id")?;
            if let Some(p) = out.iter_mut().find(|p| p.product_id == id) {
                p.people = r.try_get("people")?;
            }
        }
        Ok(out)
    }

    /// Use per person over the range (of one product with `product_id`). Unsorted.
    pub async fn person_use(
        &self,
        team: &TeamId,
        range: DateRange,
        product_id: Option<&str>,
    ) -> Result<Vec<PersonUse>> {
        let (union, binds) = person_rows(team.as_str(), &range.split(), product_id);
        let sql = format!(
            "SELECT u.account_id, a.name, a.email, CAST(SUM(u.tokens) AS BIGINT) AS tokens, \
               CAST(SUM(u.windows) AS BIGINT) AS windows, \
               CAST(COUNT(DISTINCT u.product_id) AS BIGINT) AS products, MAX(u.last_day) AS last_used \
             FROM ({union}) u LEFT JOIN accounts a ON a.id = u.account_id \
             GROUP BY u.account_id, a.name, a.email"
        );
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b.as_str());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(PersonUse {
                    account_id: r.try_get("account_id")?,
                    name: r
                        .try_get::<Option<String>, _>("name")?
                        .unwrap_or_else(|| "(deleted account)".into()),
                    email: r.try_get::<Option<String>, _>("email")?.unwrap_or_default(),
                    tokens: r.try_get("tokens")?,
                    windows: r.try_get("windows")?,
                    products: r.try_get("products")?,
                    last_used: r.try_get("last_used")?,
                })
            })
            .collect()
    }

    /// Subscriptions and trials running at `now`, each with the people assigned to it.
    pub async fn seat_products(&self, team: &TeamId, now: DateTime<Utc>) -> Result<Vec<SeatProduct>> {
        let rows = sqlx::query(
            "SELECT tp.product_id, p.code, p.name, tp.access, tp.seats, tp.ends_at \
             FROM team_products tp JOIN products p ON p.id = tp.product_id \
             WHERE tp.team_id = $1 AND tp.starts_at <= $2 AND tp.ends_at > $2 ORDER BY p.name, tp.access",
        )
        .bind(team.as_str())
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(SeatProduct {
                    product_id: r.try_get("product_id")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    access: super::get_license_type(r, "access")?,
                    seats: r.try_get("seats")?,
                    ends_at: get_ts(r, "ends_at")?,
                    holders: vec![],
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let holders = sqlx::query(
            "SELECT a.product_id, a.account_id, ac.name, ac.email, a.last_accessed_at, s.heartbeat_at \
             FROM assignments a JOIN accounts ac ON ac.id = a.account_id \
             LEFT JOIN license_sessions s ON s.account_id = a.account_id AND s.product_id = a.product_id \
             WHERE a.team_id = $1",
        )
        .bind(team.as_str())
        .fetch_all(&self.pool)
        .await?;
        for r in &holders {
            let product: String = r.try_get("product_id")?;
            let opt_ts = |col: &str| -> Result<Option<DateTime<Utc>>> {
                match r.try_get::<Option<String>, _>(col)? {
                    Some(_) => get_ts(r, col).map(Some),
                    None => Ok(None),
                }
            };
            let h = Holder {
                account_id: r.try_get("account_id")?,
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                last_accessed_at: opt_ts("last_accessed_at")?,
                heartbeat_at: opt_ts("heartbeat_at")?,
            };
            // A product held both as a subscription and as a trial lists its people once,
            // under the first (the subscription: it takes priority, R-PRI1).
            if let Some(p) = out.iter_mut().find(|p| p.product_id == product) {
                p.holders.push(h);
            }
        }
        Ok(out)
    }

    /// One page of export rows after `cursor`, in (day, person, product, licence) order.
    pub async fn export_page(
        &self,
        team: &TeamId,
        range: DateRange,
        cursor: Option<&ExportCursor>,
        limit: i64,
    ) -> Result<Vec<ExportRow>> {
        let after = if cursor.is_some() {
            " AND (d.day > $5 OR (d.day = $5 AND (d.account_id > $6 OR (d.account_id = $6 AND \
               (d.product_id > $7 OR (d.product_id = $7 AND d.license_type > $8))))))"
        } else {
            ""
        };
        let sql = format!(
            "SELECT d.day, d.account_id, d.product_id, d.license_type, d.tokens, a.name, a.email, p.name AS product_name \
             FROM usage_user_days d JOIN products p ON p.id = d.product_id \
             LEFT JOIN accounts a ON a.id = d.account_id \
             WHERE d.team_id = $1 AND d.day >= $2 AND d.day <= $3{after} \
             ORDER BY d.day, d.account_id, d.product_id, d.license_type LIMIT $4"
        );
        let mut q = sqlx::query(&sql)
            .bind(team.as_str())
            .bind(day_key(range.from))
            .bind(day_key(range.to))
            .bind(limit);
        if let Some((day, account, product, license)) = cursor {
            q = q.bind(day.as_str()).bind(account.as_str()).bind(product.as_str()).bind(license.as_str());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(ExportRow {
                    day: r.try_get("day")?,
                    account_id: r.try_get("account_id")?,
                    product_id: r.try_get("product_id")?,
                    license_type: r.try_get("license_type")?,
                    tokens: r.try_get("tokens")?,
                    name: r.try_get::<Option<String>, _>("name")?.unwrap_or_default(),
                    email: r.try_get::<Option<String>, _>("email")?.unwrap_or_default(),
                    product_name: r.try_get("product_name")?,
                })
            })
            .collect()
    }

    /// A value this installation makes once (`make`) and then keeps.
    pub async fn installation_value(&self, key: &str, make: impl FnOnce() -> String) -> Result<String> {
        sqlx::query(
            "INSERT INTO installation_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(make())
        .execute(&self.pool)
        .await?;
        let r = sqlx::query("SELECT value FROM installation_settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("value")?)
    }

    /// Rebuilds every roll-up from `usage_windows` (after a bulk load; the same SQL as
    /// migration 5's backfill).
    pub async fn rebuild_usage_rollups(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DELETE FROM usage_product_days",
            "DELETE FROM usage_user_days",
            "DELETE FROM usage_user_months",
            "INSERT INTO usage_product_days (team_id, day, product_id, license_type, windows, tokens) \
             SELECT team_id, SUBSTR(opened_at, 1, 10), product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT) \
             FROM usage_windows WHERE team_id IS NOT NULL \
             GROUP BY team_id, SUBSTR(opened_at, 1, 10), product_id, license_type",
            "INSERT INTO usage_user_days (team_id, day, account_id, product_id, license_type, windows, tokens) \
             SELECT team_id, SUBSTR(opened_at, 1, 10), account_id, product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT) \
             FROM usage_windows WHERE team_id IS NOT NULL \
             GROUP BY team_id, SUBSTR(opened_at, 1, 10), account_id, product_id, license_type",
            "INSERT INTO usage_user_months (team_id, month, account_id, product_id, license_type, windows, tokens, last_day) \
             SELECT team_id, SUBSTR(opened_at, 1, 7), account_id, product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT), MAX(SUBSTR(opened_at, 1, 10)) \
             FROM usage_windows WHERE team_id IS NOT NULL \
             GROUP BY team_id, SUBSTR(opened_at, 1, 7), account_id, product_id, license_type",
        ] {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// `YYYY-MM-DD` of a stored day key, for callers that need a date back.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
