//! Flex access (R-FX1) and team default assignments (R-FX2).
use super::{Db, Result};
use crate::domain::access::{Individual, TeamFlexSettings};
use crate::domain::{TeamId, UserId};
use sqlx::{Any, AnyConnection, Executor, Row, Transaction};
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
pub struct FlexProduct {
    pub id: String,
    pub code: String,
    pub name: String,
    pub daily_rate: i64,
}

impl Db {
    /// Every product available with Flex, by name.
    pub async fn flex_catalogue(&self) -> Result<Vec<FlexProduct>> {
        catalogue(&self.pool).await
    }

    pub async fn team_flex_settings(&self, team: &TeamId) -> Result<TeamFlexSettings> {
        team_settings(&mut *self.pool.acquire().await?, team).await
    }

    /// The member's own Flex selection, or `None` when they are not a Flex user.
    pub async fn flex_individual(&self, team: &TeamId, account: &UserId) -> Result<Option<Individual>> {
        individual(&mut *self.pool.acquire().await?, team, account).await
    }
}

/// Every product available with Flex, by name, read through `ex`.
pub async fn catalogue<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<Vec<FlexProduct>> {
    let rows = sqlx::query(
        "SELECT id, code, name, flex_daily_rate FROM products \
         WHERE flex_daily_rate IS NOT NULL AND retired_at IS NULL ORDER BY name",
    )
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FlexProduct {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                daily_rate: r.try_get("flex_daily_rate")?,
            })
        })
        .collect()
}

/// The team's default set and guest switch, read through `conn` (a transaction that goes on
/// to change them, or a pooled connection).
pub async fn team_settings(conn: &mut AnyConnection, team: &TeamId) -> Result<TeamFlexSettings> {
    let defaults = sqlx::query("SELECT product_id FROM flex_defaults WHERE team_id = $1")
        .bind(team.as_str())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get("product_id"))
        .collect::<std::result::Result<BTreeSet<String>, _>>()?;
    let guest: i64 = sqlx::query("SELECT guest_defaults FROM teams WHERE id = $1")
        .bind(team.as_str())
        .fetch_one(&mut *conn)
        .await?
        .try_get("guest_defaults")?;
    Ok(TeamFlexSettings { defaults, guest_defaults: guest != 0 })
}

/// The Flex selection that applies to the member by every route (their own and their
/// groups', R-GRP1), or `None` when they are not a Flex user, read through `conn`. Their
/// own alone is `store::groups::own_flex`.
pub async fn individual(
    conn: &mut AnyConnection,
    team: &TeamId,
    account: &UserId,
) -> Result<Option<Individual>> {
    let row = sqlx::query("SELECT all_products FROM flex_users WHERE team_id = $1 AND account_id = $2")
        .bind(team.as_str())
        .bind(account.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let all: i64 = row.try_get("all_products")?;
    if all != 0 {
        return Ok(Some(Individual::All));
    }
    let products =
        sqlx::query("SELECT product_id FROM flex_user_products WHERE team_id = $1 AND account_id = $2")
            .bind(team.as_str())
            .bind(account.as_str())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("product_id"))
            .collect::<std::result::Result<BTreeSet<String>, _>>()?;
    Ok(Some(Individual::Products(products)))
}

/// Every Flex user of the team (invited ones too) as `(selection, guest)`: what a preview of
/// a defaults change needs, in two statements whatever the team's size.
pub async fn team_selections(conn: &mut AnyConnection, team: &TeamId) -> Result<Vec<(Individual, bool)>> {
    let users = sqlx::query(
        "SELECT f.account_id, f.all_products, m.guest FROM flex_users f \
         JOIN memberships m ON m.team_id = f.team_id AND m.account_id = f.account_id \
         WHERE f.team_id = $1",
    )
    .bind(team.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut chosen: std::collections::HashMap<String, BTreeSet<String>> = std::collections::HashMap::new();
    for r in sqlx::query("SELECT account_id, product_id FROM flex_user_products WHERE team_id = $1")
        .bind(team.as_str())
        .fetch_all(&mut *conn)
        .await?
    {
        chosen.entry(r.try_get("account_id")?).or_default().insert(r.try_get("product_id")?);
    }
    users
        .iter()
        .map(|r| {
            let account: String = r.try_get("account_id")?;
            let all: i64 = r.try_get("all_products")?;
            let guest: i64 = r.try_get("guest")?;
            let individual = if all != 0 {
                Individual::All
            } else {
                Individual::Products(chosen.remove(&account).unwrap_or_default())
            };
            Ok((individual, guest != 0))
        })
        .collect()
}

/// R-FX2's guest switch (support operators only), in the caller's transaction so its audit
/// entry commits with it.
pub async fn set_guest_defaults<'e, E: sqlx::Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    on: bool,
) -> Result<bool> {
    let done = sqlx::query("UPDATE teams SET guest_defaults = $1 WHERE id = $2")
        .bind(i64::from(on))
        .bind(team.as_str())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the person's *own* Flex selection (R-FX1; they become a Flex user themself if
/// only a group made them one) and recomputes what they may run with their groups'.
pub async fn set_individual(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
    individual: &Individual,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    write_selection(tx, (team, account), individual, Rows::Own).await?;
    super::groups::refresh_flex(tx, team, account, None, now).await?;
    Ok(())
}

/// Writes the *result* rows (what licensing reads) of a Flex user: all products, or
/// exactly `individual`'s.
pub(crate) async fn set_result(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
    individual: &Individual,
) -> Result<()> {
    write_selection(tx, (team, account), individual, Rows::Result).await
}

/// Which of a Flex user's two selections a write is for (see the group Flex migration).
#[derive(Clone, Copy)]
enum Rows {
    /// The person's own: `own_all` and `flex_own_products` (and `own` = 1).
    Own,
    /// By every route: `all_products` and `flex_user_products`.
    Result,
}

async fn write_selection(
    tx: &mut Transaction<'_, Any>,
    (team, account): (&TeamId, &UserId),
    individual: &Individual,
    rows: Rows,
) -> Result<()> {
    let (update, table) = match rows {
        Rows::Own => ("UPDATE flex_users SET own = 1, own_all = $1", "flex_own_products"),
        Rows::Result => ("UPDATE flex_users SET all_products = $1", "flex_user_products"),
    };
    sqlx::query(&format!("{update} WHERE team_id = $2 AND account_id = $3"))
        .bind(i64::from(individual.is_all()))
        .bind(team.as_str())
        .bind(account.as_str())
        .execute(&mut **tx)
        .await?;
    sqlx::query(&format!("DELETE FROM {table} WHERE team_id = $1 AND account_id = $2"))
        .bind(team.as_str())
        .bind(account.as_str())
        .execute(&mut **tx)
        .await?;
    if let Individual::Products(set) = individual {
        for pid in set {
            sqlx::query(&format!(
                "INSERT INTO {table} (team_id, account_id, product_id) VALUES ($1, $2, $3)"
            ))
            .bind(team.as_str())
            .bind(account.as_str())
            .bind(pid)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Replaces the team's default set; an empty set turns defaults off.
pub async fn set_defaults(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    products: &BTreeSet<String>,
) -> Result<()> {
    sqlx::query("DELETE FROM flex_defaults WHERE team_id = $1")
        .bind(team.as_str())
        .execute(&mut **tx)
        .await?;
    for pid in products {
        sqlx::query("INSERT INTO flex_defaults (team_id, product_id) VALUES ($1, $2)")
            .bind(team.as_str())
            .bind(pid)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
