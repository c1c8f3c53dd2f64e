use super::{get_ts, new_id, ts, Db, Result};
use crate::domain::licensing::LicenseType;
use crate::domain::TeamId;
use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Row};

#[derive(Clone, Debug)]
pub struct NewProduct<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub flex_daily_rate: Option<i64>,
}

pub async fn add_product<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    p: &NewProduct<'_>,
    now: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    sqlx::query("INSERT INTO products (id, code, name, kind, flex_daily_rate, added_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(p.code)
        .bind(p.name)
        .bind(p.kind)
        .bind(p.flex_daily_rate)
        .bind(ts(now))
        .execute(ex)
        .await
        .map_err(|e| super::StoreError::from(e).on_unique("a product with this code"))?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
pub async fn add_team_product<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    product_id: &str,
    access: &str,
    seats: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO team_products (id, team_id, product_id, access, seats, starts_at, ends_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(team.as_str())
    .bind(product_id)
    .bind(access)
    .bind(seats)
    .bind(ts(starts_at))
    .bind(ts(ends_at))
    .execute(ex)
    .await?;
    Ok(())
}

/// A subscription or trial the team holds that is live at the queried instant.
#[derive(Clone, Debug)]
pub struct HeldProduct {
    pub code: String,
    pub name: String,
    pub access: LicenseType,
    pub seats: i64,
    pub ends_at: DateTime<Utc>,
}

impl Db {
    pub async fn held_products(&self, team: &TeamId, now: DateTime<Utc>) -> Result<Vec<HeldProduct>> {
        let now = ts(now);
        let rows = sqlx::query(
            "SELECT p.code, p.name, tp.access, tp.seats, tp.ends_at FROM team_products tp \
             JOIN products p ON p.id = tp.product_id \
             WHERE tp.team_id = $1 AND tp.starts_at <= $2 AND tp.ends_at > $2 \
             ORDER BY p.name, tp.access",
        )
        .bind(team.as_str())
        .bind(&now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HeldProduct {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    access: super::get_license_type(r, "access")?,
                    seats: r.try_get("seats")?,
                    ends_at: get_ts(r, "ends_at")?,
                })
            })
            .collect()
    }

    pub async fn flex_product_count(&self) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM products WHERE flex_daily_rate IS NOT NULL AND retired_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }
}

/// A catalogue entry as the vendor's back office lists it (R-VND1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub id: String,
    pub code: String,
    pub name: String,
    pub flex_rate: Option<i64>,
    /// What a seat costs in Flex tokens per year (R-ADV2), when the vendor said.
    pub seat_tokens: Option<i64>,
    pub retired: bool,
}

const ENTRY_COLS: &str = "id, code, name, flex_daily_rate, seat_tokens, retired_at";

fn entry(r: &sqlx::any::AnyRow) -> Result<CatalogueEntry> {
    Ok(CatalogueEntry {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        flex_rate: r.try_get("flex_daily_rate")?,
        seat_tokens: r.try_get("seat_tokens")?,
        retired: r.try_get::<Option<String>, _>("retired_at")?.is_some(),
    })
}

/// Every product, retired ones included, by code.
pub async fn entries<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<CatalogueEntry>> {
    let rows = sqlx::query(&format!("SELECT {ENTRY_COLS} FROM products ORDER BY code")).fetch_all(ex).await?;
    rows.iter().map(entry).collect()
}

pub async fn entry_by_code<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    code: &str,
) -> Result<Option<CatalogueEntry>> {
    let row = sqlx::query(&format!("SELECT {ENTRY_COLS} FROM products WHERE code = $1"))
        .bind(code)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(entry).transpose()
}

/// Sets what a seat of the product costs in tokens per year; whether the product exists.
pub async fn set_seat_tokens<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    product_id: &str,
    seat_tokens: i64,
) -> Result<bool> {
    let done = sqlx::query("UPDATE products SET seat_tokens = $1 WHERE id = $2")
        .bind(seat_tokens)
        .bind(product_id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Every team's lock, in the one order (`ledger::lock_teams`), before anything is read: an
/// admin saving Flex defaults or a selection holds their team's lock while reading the
/// catalogue, so once a retirement holds them all no save can still add the product after
/// its deletes. Retiring is a rare vendor step; the pause is one statement per team.
pub async fn lock_every_team(tx: &mut sqlx::Transaction<'_, Any>) -> Result<()> {
    // On SQLite a transaction that reads first may be refused its first write if another
    // writer committed meanwhile; a no-op write takes the write lock before the ids are read.
    sqlx::query("UPDATE products SET code = code WHERE 1 = 0").execute(&mut **tx).await?;
    let all: Vec<TeamId> = teams(&mut **tx).await?.into_iter().map(|(id, _)| id).collect();
    super::ledger::lock_teams(tx, &all).await
}

/// Marks the product retired (once: a second retirement changes nothing) and takes it out
/// of every team's Flex defaults and every person's own Flex selection, so that no query
/// meaning "on Flex" can still find it. Returns the teams whose Flex settings changed,
/// with how many people's selections named it, for their audit logs.
pub async fn retire(
    tx: &mut sqlx::Transaction<'_, Any>,
    product_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(TeamId, bool, i64)>> {
    let rows = sqlx::query(
        "SELECT t.id, \
           CASE WHEN EXISTS (SELECT 1 FROM flex_defaults d WHERE d.team_id = t.id AND d.product_id = $1) \
             THEN 1 ELSE 0 END AS in_defaults, \
           (SELECT COUNT(*) FROM flex_user_products f WHERE f.team_id = t.id AND f.product_id = $1) AS selections \
         FROM teams t ORDER BY t.id",
    )
    .bind(product_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut touched = Vec::new();
    for r in &rows {
        let in_defaults = super::get_flag(r, "in_defaults")?;
        let selections: i64 = r.try_get("selections")?;
        if in_defaults || selections > 0 {
            touched.push((super::get_team_id(r, "id")?, in_defaults, selections));
        }
    }
    sqlx::query("UPDATE products SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL")
        .bind(product_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM flex_defaults WHERE product_id = $1")
        .bind(product_id)
        .execute(&mut **tx)
        .await?;
    // Off Flex for good: out of every selection, own, group and result alike.
    for table in ["flex_user_products", "flex_own_products", "group_flex_products"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE product_id = $1"))
            .bind(product_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(touched)
}

/// A subscription or trial (a row of `team_products`), as the back office shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub team: TeamId,
    pub product_id: String,
    pub product: String,
    pub product_name: String,
    pub seats: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub trial: bool,
}

const SUBSCRIPTION_SELECT: &str =
    "SELECT tp.id, tp.team_id, tp.product_id, p.code, p.name, tp.access, tp.seats, \
     tp.starts_at, tp.ends_at FROM team_products tp JOIN products p ON p.id = tp.product_id";

fn subscription(r: &sqlx::any::AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        id: r.try_get("id")?,
        team: super::get_team_id(r, "team_id")?,
        product_id: r.try_get("product_id")?,
        product: r.try_get("code")?,
        product_name: r.try_get("name")?,
        seats: r.try_get("seats")?,
        starts_at: get_ts(r, "starts_at")?,
        ends_at: get_ts(r, "ends_at")?,
        trial: super::get_license_type(r, "access")? == LicenseType::Trial,
    })
}

/// The team's subscriptions and trials, past, live and future, by product then start.
pub async fn subscriptions<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
) -> Result<Vec<Subscription>> {
    let rows = sqlx::query(&format!(
        "{SUBSCRIPTION_SELECT} WHERE tp.team_id = $1 ORDER BY p.code, tp.starts_at, tp.id"
    ))
    .bind(team.as_str())
    .fetch_all(ex)
    .await?;
    rows.iter().map(subscription).collect()
}

pub async fn subscription_by_id<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<Subscription>> {
    let row =
        sqlx::query(&format!("{SUBSCRIPTION_SELECT} WHERE tp.id = $1")).bind(id).fetch_optional(ex).await?;
    row.as_ref().map(subscription).transpose()
}

/// Locks the team that holds subscription `id` (as `teams::lock_team`, and before any read,
/// so SQLite's write lock is taken first) and returns it; `None` when there is no such
/// subscription.
pub async fn lock_subscription_team(tx: &mut sqlx::Transaction<'_, Any>, id: &str) -> Result<Option<TeamId>> {
    let row = sqlx::query(
        "UPDATE teams SET name = name WHERE id = (SELECT team_id FROM team_products WHERE id = $1) RETURNING id",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(|r| super::get_team_id(r, "id")).transpose()
}

/// Inserts a subscription or trial and returns its id.
pub async fn insert_subscription<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    product_id: &str,
    trial: bool,
    seats: i64,
    term: &crate::domain::vendor::Term,
) -> Result<String> {
    let access = if trial { LicenseType::Trial } else { LicenseType::Subscription };
    let id = new_id();
    sqlx::query(
        "INSERT INTO team_products (id, team_id, product_id, access, seats, starts_at, ends_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(team.as_str())
    .bind(product_id)
    .bind(access.as_str())
    .bind(seats)
    .bind(ts(term.starts_at))
    .bind(ts(term.ends_at))
    .execute(ex)
    .await?;
    Ok(id)
}

pub async fn update_subscription<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    seats: i64,
    ends_at: DateTime<Utc>,
) -> Result<()> {
    let done = sqlx::query("UPDATE team_products SET seats = $2, ends_at = $3 WHERE id = $1")
        .bind(id)
        .bind(seats)
        .bind(ts(ends_at))
        .execute(ex)
        .await?;
    super::changed_a_row(&done)
}

/// Every team, by name then id.
pub async fn teams<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<(TeamId, String)>> {
    let rows = sqlx::query("SELECT id, name FROM teams ORDER BY name, id").fetch_all(ex).await?;
    rows.iter().map(|r| Ok((super::get_team_id(r, "id")?, r.try_get("name")?))).collect()
}
