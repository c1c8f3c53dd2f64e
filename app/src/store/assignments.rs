//! Who is assigned to which product the team holds (R-UM1, R-UM2).
use super::people::{like_pattern, member_from, MemberRow, MEMBER_COLS};
use super::{ts, Db, Result};
use crate::domain::licensing::LicenseType;
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{Any, AnyConnection, Row, Transaction};

/// A product as the By Product page shows it: a subscription or trial with seats, or Flex.
#[derive(Clone, Debug)]
pub struct TeamOffer {
    pub product_id: Option<String>,
    pub code: String,
    pub name: String,
    pub access: LicenseType,
    pub seats: Option<i64>,
    pub assigned: i64,
    pub ends_at: Option<DateTime<Utc>>,
}

pub const FLEX_CODE: &str = "FLEX";

/// Live subscriptions and trials, then Flex when the team has bought tokens, read through
/// `conn` (the transaction that goes on to assign, or a pooled connection).
pub async fn offers(conn: &mut AnyConnection, team: &TeamId, now: DateTime<Utc>) -> Result<Vec<TeamOffer>> {
    let now_s = ts(now);
    let rows = sqlx::query(
        "SELECT p.id, p.code, p.name, tp.access, tp.seats, tp.ends_at, \
           (SELECT COUNT(*) FROM assignments x WHERE x.team_id = tp.team_id AND x.product_id = p.id) AS assigned \
         FROM team_products tp JOIN products p ON p.id = tp.product_id \
         WHERE tp.team_id = $1 AND tp.starts_at <= $2 AND tp.ends_at > $2 ORDER BY p.name",
    )
    .bind(team.as_str())
    .bind(&now_s)
    .fetch_all(&mut *conn)
    .await?;
    let mut offers = rows
        .iter()
        .map(|r| {
            Ok(TeamOffer {
                product_id: Some(r.try_get("id")?),
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                access: super::get_license_type(r, "access")?,
                seats: Some(r.try_get("seats")?),
                assigned: r.try_get("assigned")?,
                ends_at: Some(super::get_ts(r, "ends_at")?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let flex = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM token_purchases WHERE team_id = $1) AS purchases, \
                (SELECT COUNT(*) FROM flex_users WHERE team_id = $1) AS users",
    )
    .bind(team.as_str())
    .fetch_one(&mut *conn)
    .await?;
    let purchases: i64 = flex.try_get("purchases")?;
    let users: i64 = flex.try_get("users")?;
    if purchases > 0 || users > 0 {
        offers.push(TeamOffer {
            product_id: None,
            code: FLEX_CODE.into(),
            name: "Flex".into(),
            access: LicenseType::Flex,
            seats: None,
            assigned: users,
            ends_at: None,
        });
    }
    Ok(offers)
}

impl Db {
    /// Live subscriptions and trials, then Flex when the team has bought tokens.
    pub async fn team_offers(&self, team: &TeamId, now: DateTime<Utc>) -> Result<Vec<TeamOffer>> {
        offers(&mut *self.pool.acquire().await?, team, now).await
    }

    /// Members assigned to `offer`, filtered by `search`, one page at a time.
    pub async fn offer_members(
        &self,
        team: &TeamId,
        offer: &TeamOffer,
        search: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<MemberRow>, i64)> {
        let (join, bind_product) = match &offer.product_id {
            Some(pid) => (
                "JOIN assignments x ON x.team_id = m.team_id AND x.account_id = m.account_id AND x.product_id = $3",
                pid.clone(),
            ),
            // $3 is bound for both shapes so parameter numbering stays the same.
            None => (
                "JOIN flex_users x ON x.team_id = m.team_id AND x.account_id = m.account_id AND $3 = $3",
                String::new(),
            ),
        };
        self.members_joined(team, join, &bind_product, search, offset, limit).await
    }

    async fn members_joined(
        &self,
        team: &TeamId,
        join: &str,
        third: &str,
        search: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<MemberRow>, i64)> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLS} FROM memberships m JOIN accounts a ON a.id = m.account_id {join} \
             WHERE m.team_id = $1 AND (LOWER(COALESCE(m.invited_name, a.name)) LIKE $2 ESCAPE '\\' OR a.email LIKE $2 ESCAPE '\\') \
             ORDER BY LOWER(COALESCE(m.invited_name, a.name)), a.id LIMIT $4 OFFSET $5"
        ))
        .bind(team.as_str())
        .bind(like_pattern(search))
        .bind(third)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM memberships m JOIN accounts a ON a.id = m.account_id {join} \
             WHERE m.team_id = $1 AND (LOWER(COALESCE(m.invited_name, a.name)) LIKE $2 ESCAPE '\\' OR a.email LIKE $2 ESCAPE '\\')"
        ))
        .bind(team.as_str())
        .bind(like_pattern(search))
        .bind(third)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        Ok((rows.iter().map(member_from).collect::<Result<_>>()?, total))
    }

    /// The products a member holds through explicit assignments: (code, name, access).
    pub async fn member_assignments(
        &self,
        team: &TeamId,
        account_id: &UserId,
    ) -> Result<Vec<(String, String, LicenseType)>> {
        let rows = sqlx::query(
            "SELECT p.code, p.name, COALESCE((SELECT tp.access FROM team_products tp WHERE tp.team_id = x.team_id \
                 AND tp.product_id = x.product_id ORDER BY tp.ends_at DESC LIMIT 1), 'subscription') AS access \
             FROM assignments x JOIN products p ON p.id = x.product_id \
             WHERE x.team_id = $1 AND x.account_id = $2 ORDER BY p.name",
        )
        .bind(team.as_str())
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("code")?, r.try_get("name")?, super::get_license_type(r, "access")?)))
            .collect()
    }
}

/// Returns whether the assignment is new (re-assigning is not an error).
pub async fn assign(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account_id: &UserId,
    product_id: &str,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    // A seat the person holds through a group becomes their own too (one row, one seat).
    let done = sqlx::query(
        "INSERT INTO assignments (team_id, account_id, product_id, assigned_at, assigned_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (team_id, account_id, product_id) \
         DO UPDATE SET own = 1 WHERE assignments.own = 0",
    )
    .bind(team.as_str())
    .bind(account_id.as_str())
    .bind(product_id)
    .bind(ts(now))
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes away the person's own assignment of the product; true when they had one. When a
/// group of theirs gives the product too, the seat stays, as the group's (R-GRP1).
pub async fn unassign(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account_id: &UserId,
    product_id: &str,
) -> Result<bool> {
    let kept = sqlx::query(
        "UPDATE assignments SET own = 0 WHERE team_id = $1 AND account_id = $2 AND product_id = $3 AND own = 1 \
         AND EXISTS (SELECT 1 FROM group_members gm JOIN group_seats gs ON gs.group_id = gm.group_id \
           WHERE gm.team_id = $1 AND gm.account_id = $2 AND gs.product_id = $3)",
    )
    .bind(team.as_str())
    .bind(account_id.as_str())
    .bind(product_id)
    .execute(&mut **tx)
    .await?;
    if kept.rows_affected() == 1 {
        return Ok(true);
    }
    let done = sqlx::query(
        "DELETE FROM assignments WHERE team_id = $1 AND account_id = $2 AND product_id = $3 AND own = 1",
    )
    .bind(team.as_str())
    .bind(account_id.as_str())
    .bind(product_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// New Flex users start with every Flex product (the checklist fully selected).
pub async fn add_flex_user(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account_id: &UserId,
    now: DateTime<Utc>,
) -> Result<bool> {
    add_flex_user_by(tx, team, account_id, None, now).await
}

/// Makes the member a Flex user themself with every product (R-FX1's starting point),
/// recording who did; false when they already were one themself. Someone a group made a
/// Flex user gets their own access beside it.
pub async fn add_flex_user_by(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account_id: &UserId,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO flex_users (team_id, account_id, all_products, assigned_at, assigned_by, own, own_all) \
         VALUES ($1, $2, 1, $3, $4, 1, 1) ON CONFLICT (team_id, account_id) DO NOTHING",
    )
    .bind(team.as_str())
    .bind(account_id.as_str())
    .bind(ts(now))
    .bind(by)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(true);
    }
    let own = sqlx::query(
        "UPDATE flex_users SET own = 1, own_all = 1, assigned_by = $3 WHERE team_id = $1 AND account_id = $2 AND own = 0",
    )
    .bind(team.as_str())
    .bind(account_id.as_str())
    .bind(by)
    .execute(&mut **tx)
    .await?;
    if own.rows_affected() == 1 {
        super::groups::refresh_flex(tx, team, account_id, by, now).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Takes the member's own Flex access away; what a group of theirs gives stays (R-GRP1).
/// False when they had none of their own.
pub async fn remove_flex_user(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account_id: &UserId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let own = sqlx::query(
        "UPDATE flex_users SET own = 0, own_all = 0 WHERE team_id = $1 AND account_id = $2 AND own = 1",
    )
    .bind(team.as_str())
    .bind(account_id.as_str())
    .execute(&mut **tx)
    .await?;
    if own.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM flex_own_products WHERE team_id = $1 AND account_id = $2")
        .bind(team.as_str())
        .bind(account_id.as_str())
        .execute(&mut **tx)
        .await?;
    super::groups::refresh_flex(tx, team, account_id, None, now).await?;
    Ok(true)
}

/// Assigned seats of a product, counted inside the transaction that is about to add more.
pub async fn assigned_count(tx: &mut Transaction<'_, Any>, team: &TeamId, product_id: &str) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM assignments WHERE team_id = $1 AND product_id = $2")
        .bind(team.as_str())
        .bind(product_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?)
}
