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
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM products WHERE flex_daily_rate IS NOT NULL")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}
