//! What the cost preview (R-ADV1) and the licence advice (R-ADV2) read: people's Flex
//! routes, their seats and their recent use, in a few set-wise statements however many
//! people a change touches, so a change to a group of 1,000 costs a handful of round trips,
//! not thousands. The rules that turn these into figures are `domain::advice`.
use super::{get_flag, get_opt_ts, get_ts, ts, Result};
use crate::domain::access::Individual;
use crate::domain::usage::{day_key, DateRange};
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};

/// Whose figures to read.
#[derive(Clone, Debug)]
pub enum Scope<'a> {
    /// These people (ids already parsed).
    People(&'a [UserId]),
    /// The members of a group of the team.
    Group(&'a str),
    /// Every Flex user of the team.
    FlexUsers,
}

/// The most people a preview reads by id: far beyond a dialog's picks, well inside both
/// engines' limits on bound values.
pub const MAX_PEOPLE: usize = 10_000;

impl Scope<'_> {
    /// `col IN (…)` for this scope, its values bound from `$first` on; the team is `$1`.
    fn filter(&self, col: &str, first: usize) -> String {
        match self {
            Scope::People([]) => "1 = 0".to_string(),
            Scope::People(ids) => {
                let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", first + i)).collect();
                format!("{col} IN ({})", marks.join(", "))
            }
            Scope::Group(_) => {
                format!("{col} IN (SELECT account_id FROM group_members WHERE group_id = ${first})")
            }
            Scope::FlexUsers => format!("{col} IN (SELECT account_id FROM flex_users WHERE team_id = $1)"),
        }
    }

    fn bind<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        match self {
            Scope::People(ids) => {
                for id in ids.iter() {
                    q = q.bind(id.as_str());
                }
                // Not prepared once and kept: after a few runs PostgreSQL reuses a generic
                // plan for a statement of a thousand bound ids, which compares every row
                // with each id (seconds, where a plan for the values takes milliseconds).
                q.persistent(false)
            }
            Scope::Group(g) => q.bind(*g),
            Scope::FlexUsers => q,
        }
    }
}

/// One person's Flex routes in a team, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlexRoutes {
    pub guest: bool,
    /// What they may run by every route (the rows licensing reads); `None`: no Flex user.
    pub result: Option<Individual>,
    /// Their own access and selection.
    pub own: Option<Individual>,
    /// What each of their groups gives, by group id.
    pub groups: Vec<(String, Individual)>,
    /// Products they hold a live subscription or trial seat of in the team.
    pub seats: BTreeSet<String>,
}

fn add_product(slot: &mut Option<Individual>, product: String) {
    if let Some(Individual::Products(set)) = slot {
        set.insert(product);
    }
}

fn selection(all: bool) -> Individual {
    if all {
        Individual::All
    } else {
        Individual::Products(BTreeSet::new())
    }
}

/// The members of the team in `scope` and their Flex routes, by account id.
pub async fn flex_routes(
    conn: &mut AnyConnection,
    team: &TeamId,
    scope: &Scope<'_>,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, FlexRoutes>> {
    let mut out: BTreeMap<String, FlexRoutes> = BTreeMap::new();
    let sql = format!(
        "SELECT m.account_id, m.guest, f.account_id AS flex, f.all_products, f.own, f.own_all \
         FROM memberships m LEFT JOIN flex_users f ON f.team_id = m.team_id AND f.account_id = m.account_id \
         WHERE m.team_id = $1 AND {}",
        scope.filter("m.account_id", 2)
    );
    for r in scope.bind(sqlx::query(&sql).bind(team.as_str())).fetch_all(&mut *conn).await? {
        let flex: Option<String> = r.try_get("flex")?;
        let person = FlexRoutes {
            guest: get_flag(&r, "guest")?,
            result: flex.is_some().then(|| get_flag(&r, "all_products")).transpose()?.map(selection),
            own: match flex {
                Some(_) if get_flag(&r, "own")? => Some(selection(get_flag(&r, "own_all")?)),
                _ => None,
            },
            ..Default::default()
        };
        out.insert(r.try_get("account_id")?, person);
    }
    for (table, own) in [("flex_user_products", false), ("flex_own_products", true)] {
        let sql = format!(
            "SELECT account_id, product_id FROM {table} WHERE team_id = $1 AND {}",
            scope.filter("account_id", 2)
        );
        for r in scope.bind(sqlx::query(&sql).bind(team.as_str())).fetch_all(&mut *conn).await? {
            let account: String = r.try_get("account_id")?;
            if let Some(p) = out.get_mut(&account) {
                add_product(if own { &mut p.own } else { &mut p.result }, r.try_get("product_id")?);
            }
        }
    }
    let sql = format!(
        "SELECT gm.account_id, gm.group_id, gf.all_products, gp.product_id FROM group_members gm \
         JOIN group_flex gf ON gf.group_id = gm.group_id \
         LEFT JOIN group_flex_products gp ON gp.group_id = gm.group_id \
         WHERE gm.team_id = $1 AND {} ORDER BY gm.account_id, gm.group_id",
        scope.filter("gm.account_id", 2)
    );
    for r in scope.bind(sqlx::query(&sql).bind(team.as_str())).fetch_all(&mut *conn).await? {
        let account: String = r.try_get("account_id")?;
        let Some(p) = out.get_mut(&account) else { continue };
        let group: String = r.try_get("group_id")?;
        if p.groups.last().is_none_or(|(g, _)| *g != group) {
            p.groups.push((group, selection(get_flag(&r, "all_products")?)));
        }
        if let (Some((_, Individual::Products(set))), Some(product)) =
            (p.groups.last_mut(), r.try_get::<Option<String>, _>("product_id")?)
        {
            set.insert(product);
        }
    }
    let sql = format!(
        "SELECT DISTINCT a.account_id, a.product_id FROM assignments a \
         JOIN team_products tp ON tp.team_id = a.team_id AND tp.product_id = a.product_id \
         WHERE a.team_id = $1 AND tp.starts_at <= $2 AND tp.ends_at > $2 AND {}",
        scope.filter("a.account_id", 3)
    );
    for r in scope.bind(sqlx::query(&sql).bind(team.as_str()).bind(ts(now))).fetch_all(&mut *conn).await? {
        let account: String = r.try_get("account_id")?;
        if let Some(p) = out.get_mut(&account) {
            p.seats.insert(r.try_get("product_id")?);
        }
    }
    Ok(out)
}

/// Flex tokens per (account, product) over `range` for the people in `scope`.
pub async fn flex_use_of(
    conn: &mut AnyConnection,
    team: &TeamId,
    scope: &Scope<'_>,
    range: DateRange,
) -> Result<BTreeMap<(String, String), i64>> {
    let sql = format!(
        "SELECT account_id, product_id, CAST(SUM(tokens) AS BIGINT) AS tokens FROM usage_user_days \
         WHERE team_id = $1 AND day >= $2 AND day <= $3 AND license_type = 'flex' AND {} \
         GROUP BY account_id, product_id",
        scope.filter("account_id", 4)
    );
    let q = sqlx::query(&sql).bind(team.as_str()).bind(day_key(range.from)).bind(day_key(range.to));
    scope
        .bind(q)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(((r.try_get("account_id")?, r.try_get("product_id")?), r.try_get("tokens")?)))
        .collect()
}

/// The team's Flex tokens per product over `range`.
pub async fn flex_use_by_product(
    conn: &mut AnyConnection,
    team: &TeamId,
    range: DateRange,
) -> Result<BTreeMap<String, i64>> {
    sqlx::query(
        "SELECT product_id, CAST(SUM(tokens) AS BIGINT) AS tokens FROM usage_product_days \
         WHERE team_id = $1 AND day >= $2 AND day <= $3 AND license_type = 'flex' GROUP BY product_id",
    )
    .bind(team.as_str())
    .bind(day_key(range.from))
    .bind(day_key(range.to))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("product_id")?, r.try_get("tokens")?)))
    .collect()
}

/// How many of the team's Flex users hold each selection, counted without reading them one
/// by one: with "all products", and per product of an explicit list (`flex_user_products`
/// holds rows only for those), in all and among guests. The caller applies the defaults
/// rule (R-FX2) to these counts. Guests are few, so they are counted from `memberships`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectionCounts {
    /// Flex users, and those with "all products" (in all, and guests).
    pub users: (usize, usize),
    pub all: (usize, usize),
    /// Per product: Flex users whose explicit list names it (in all, and guests).
    pub listed: BTreeMap<String, (usize, usize)>,
}

pub async fn selection_counts(conn: &mut AnyConnection, team: &TeamId) -> Result<SelectionCounts> {
    let mut counts = SelectionCounts::default();
    let n = |r: &sqlx::any::AnyRow| -> Result<usize> { Ok(r.try_get::<i64, _>("n")?.max(0) as usize) };
    for (guests, sql) in [
        (false, "SELECT f.all_products, CAST(COUNT(*) AS BIGINT) AS n FROM flex_users f WHERE f.team_id = $1 GROUP BY f.all_products"),
        (
            true,
            "SELECT f.all_products, CAST(COUNT(*) AS BIGINT) AS n FROM memberships m \
             JOIN flex_users f ON f.team_id = m.team_id AND f.account_id = m.account_id \
             WHERE m.team_id = $1 AND m.guest = 1 GROUP BY f.all_products",
        ),
    ] {
        for r in sqlx::query(sql).bind(team.as_str()).fetch_all(&mut *conn).await? {
            let (k, all) = (n(&r)?, get_flag(&r, "all_products")?);
            let (users, with_all) = if guests { (&mut counts.users.1, &mut counts.all.1) } else { (&mut counts.users.0, &mut counts.all.0) };
            *users += k;
            if all {
                *with_all += k;
            }
        }
    }
    for (guests, sql) in [
        (false, "SELECT product_id, CAST(COUNT(*) AS BIGINT) AS n FROM flex_user_products WHERE team_id = $1 GROUP BY product_id"),
        (
            true,
            "SELECT p.product_id, CAST(COUNT(*) AS BIGINT) AS n FROM memberships m \
             JOIN flex_user_products p ON p.team_id = m.team_id AND p.account_id = m.account_id \
             WHERE m.team_id = $1 AND m.guest = 1 GROUP BY p.product_id",
        ),
    ] {
        for r in sqlx::query(sql).bind(team.as_str()).fetch_all(&mut *conn).await? {
            let slot = counts.listed.entry(r.try_get("product_id")?).or_default();
            if guests {
                slot.1 += n(&r)?;
            } else {
                slot.0 += n(&r)?;
            }
        }
    }
    Ok(counts)
}

/// A live seat the team assigned, with when it was given and last used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatRow {
    pub account_id: String,
    pub product_id: String,
    pub subscription: bool,
    /// A group of theirs gives the product too: unassigning their own would not free it.
    pub via_group: bool,
    pub assigned_at: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    /// Days with use on a seat since `since` or since the seat was given, whichever is later.
    pub days_used: i64,
}

/// Every seat of a live subscription or trial of the team (a product held both ways counts
/// as the subscription, which takes priority, R-PRI1), of members and invitees alike: an
/// invitee's seat nobody uses is as idle as anyone's. Days of use are counted per seat from
/// `since` or its assignment, so an earlier holder's use never counts for the seat.
pub async fn live_seats(
    conn: &mut AnyConnection,
    team: &TeamId,
    now: DateTime<Utc>,
    since: chrono::NaiveDate,
) -> Result<Vec<SeatRow>> {
    let rows = sqlx::query(
        "SELECT a.account_id, a.product_id, a.assigned_at, a.last_accessed_at, \
           MAX(CASE WHEN tp.access = 'subscription' THEN 1 ELSE 0 END) AS subscription, \
           CASE WHEN EXISTS (SELECT 1 FROM group_members gm \
               JOIN group_seats gs ON gs.group_id = gm.group_id AND gs.product_id = a.product_id \
             WHERE gm.team_id = a.team_id AND gm.account_id = a.account_id) THEN 1 ELSE 0 END AS via_group, \
           (SELECT CAST(COUNT(DISTINCT u.day) AS BIGINT) FROM usage_user_days u \
             WHERE u.team_id = a.team_id AND u.account_id = a.account_id AND u.product_id = a.product_id \
               AND u.license_type IN ('subscription', 'trial') AND u.day >= $3 \
               AND u.day >= SUBSTR(a.assigned_at, 1, 10)) AS days_used \
         FROM assignments a \
         JOIN team_products tp ON tp.team_id = a.team_id AND tp.product_id = a.product_id \
         WHERE a.team_id = $1 AND tp.starts_at <= $2 AND tp.ends_at > $2 \
         GROUP BY a.team_id, a.account_id, a.product_id, a.assigned_at, a.last_accessed_at",
    )
    .bind(team.as_str())
    .bind(ts(now))
    .bind(day_key(since))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SeatRow {
                account_id: r.try_get("account_id")?,
                product_id: r.try_get("product_id")?,
                subscription: get_flag(r, "subscription")?,
                via_group: get_flag(r, "via_group")?,
                assigned_at: get_ts(r, "assigned_at")?,
                last_used: get_opt_ts(r, "last_accessed_at")?,
                days_used: r.try_get("days_used")?,
            })
        })
        .collect()
}

/// The team's members among `emails` (lower-case), by email: who in the assign dialog's typed
/// entries is already in the team. Nobody outside the team is looked up.
pub async fn members_by_email(
    conn: &mut AnyConnection,
    team: &TeamId,
    emails: &[String],
) -> Result<BTreeMap<String, String>> {
    if emails.is_empty() {
        return Ok(BTreeMap::new());
    }
    let marks: Vec<String> = (0..emails.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT a.id, a.email FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.team_id = $1 AND a.email IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(team.as_str());
    for e in emails {
        q = q.bind(e.as_str());
    }
    q.persistent(false)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>("email")?.to_lowercase(), r.try_get("id")?)))
        .collect()
}

/// Per (account, product) over `range`: Flex tokens and days of Flex use.
pub async fn flex_use_per_person(
    conn: &mut AnyConnection,
    team: &TeamId,
    range: DateRange,
) -> Result<BTreeMap<(String, String), (i64, i64)>> {
    sqlx::query(
        "SELECT account_id, product_id, CAST(SUM(tokens) AS BIGINT) AS tokens, \
           CAST(COUNT(DISTINCT day) AS BIGINT) AS days FROM usage_user_days \
         WHERE team_id = $1 AND day >= $2 AND day <= $3 AND license_type = 'flex' GROUP BY account_id, product_id",
    )
    .bind(team.as_str())
    .bind(day_key(range.from))
    .bind(day_key(range.to))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(((r.try_get("account_id")?, r.try_get("product_id")?), (r.try_get("tokens")?, r.try_get("days")?)))
    })
    .collect()
}

/// The seat price and Flex rate of every product that has either.
pub async fn prices(conn: &mut AnyConnection) -> Result<Vec<(String, Option<i64>, Option<i64>)>> {
    sqlx::query(
        "SELECT id, CASE WHEN retired_at IS NULL THEN flex_daily_rate ELSE NULL END AS flex_rate, seat_tokens \
         FROM products WHERE flex_daily_rate IS NOT NULL OR seat_tokens IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("flex_rate")?, r.try_get("seat_tokens")?)))
    .collect()
}

/// Names and emails of the team's members, for the advice's lines.
pub async fn member_names(
    conn: &mut AnyConnection,
    team: &TeamId,
) -> Result<BTreeMap<String, (String, String)>> {
    sqlx::query(
        "SELECT a.id, a.name, a.email FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.team_id = $1",
    )
    .bind(team.as_str())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, (r.try_get("name")?, r.try_get("email")?))))
    .collect()
}

/// Names of the team's members among `people`, by account id.
pub async fn names_of(
    conn: &mut AnyConnection,
    team: &TeamId,
    people: &[UserId],
) -> Result<BTreeMap<String, String>> {
    let scope = Scope::People(people);
    let sql = format!(
        "SELECT a.id, a.name FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.team_id = $1 AND {}",
        scope.filter("m.account_id", 2)
    );
    scope
        .bind(sqlx::query(&sql).bind(team.as_str()))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}
