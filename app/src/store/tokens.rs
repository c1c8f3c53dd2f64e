use super::{get_ts, new_id, ts, Db, Result, StoreError};
use crate::domain::tokens::{expiry_of, Purchase};
use crate::domain::TeamId;
use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

/// A purchase and its opening ledger entry, written together.
pub async fn add_purchase(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    amount: i64,
    purchased_at: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>)> {
    let id = new_id();
    let expires_at = expiry_of(purchased_at);
    sqlx::query("INSERT INTO token_purchases (id, team_id, amount, purchased_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(team.as_str())
        .bind(amount)
        .bind(ts(purchased_at))
        .bind(ts(expires_at))
        .execute(&mut **tx)
        .await?;
    ledger_entry(tx, team, &id, "purchase", amount, purchased_at, None).await?;
    Ok((id, expires_at))
}

pub async fn ledger_entry(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    purchase_id: &str,
    kind: &str,
    amount: i64,
    at: DateTime<Utc>,
    window: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
        .bind(new_id())
        .bind(team.as_str())
        .bind(purchase_id)
        .bind(kind)
        .bind(amount)
        .bind(ts(at))
        .bind(window)
        .execute(&mut **tx)
        .await?;
    // The running totals beside the ledger (migration 5), in the same transaction.
    let by_kind = |k: &str| if kind == k { amount.abs() } else { 0 };
    sqlx::query(
        "INSERT INTO lot_balances (purchase_id, team_id, purchased, charged, expired, moved_out, moved_in, remaining) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (purchase_id, team_id) DO UPDATE SET \
           purchased = lot_balances.purchased + excluded.purchased, \
           charged = lot_balances.charged + excluded.charged, \
           expired = lot_balances.expired + excluded.expired, \
           moved_out = lot_balances.moved_out + excluded.moved_out, \
           moved_in = lot_balances.moved_in + excluded.moved_in, \
           remaining = lot_balances.remaining + excluded.remaining",
    )
    .bind(purchase_id)
    .bind(team.as_str())
    .bind(by_kind("purchase"))
    .bind(by_kind("charge"))
    .bind(by_kind("expiry"))
    .bind(by_kind("move_out"))
    .bind(by_kind("move_in"))
    .bind(amount)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Db {
    /// The team's purchases with what has been charged against each (from the ledger).
    pub async fn purchases(&self, team: &TeamId) -> Result<Vec<Purchase>> {
        let rows = sqlx::query(
            "SELECT p.amount, p.purchased_at, \
               CAST(COALESCE((SELECT -SUM(l.amount) FROM token_ledger l \
                  WHERE l.purchase_id = p.id AND l.kind = 'charge'), 0) AS BIGINT) AS consumed \
             FROM token_purchases p WHERE p.team_id = $1 ORDER BY p.expires_at, p.amount",
        )
        .bind(team.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Purchase {
                    amount: r.try_get("amount")?,
                    purchased_at: get_ts(r, "purchased_at")?,
                    consumed: r.try_get("consumed")?,
                })
            })
            .collect()
    }
}

/// Moves a purchase's remaining tokens to another team (R-TOK1). The ledger records it as a
/// `move_out` in the old team and a `move_in` in the new one; the purchase then belongs to
/// the new team (so its expiry travels with it). Returns the number of tokens moved.
pub async fn move_purchase(db: &Db, purchase: &str, to: &TeamId, now: DateTime<Utc>) -> Result<i64> {
    let mut tx = db.pool.begin().await?;
    let from: String = sqlx::query("SELECT team_id FROM token_purchases WHERE id = $1")
        .bind(purchase)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("team_id"))
        .transpose()?
        .ok_or(StoreError::NotFound)?;
    if from == to.as_str() {
        return Err(StoreError::Duplicate("the purchase already belongs to that team".into()));
    }
    // The UPDATE is the claim: of two racing moves, only one still finds the old team.
    let claimed = sqlx::query("UPDATE token_purchases SET team_id = $1 WHERE id = $2 AND team_id = $3")
        .bind(to.as_str())
        .bind(purchase)
        .bind(&from)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let remaining: i64 = sqlx::query(
        "SELECT COALESCE((SELECT remaining FROM lot_balances WHERE purchase_id = $1 AND team_id = $2), 0) AS left_over",
    )
    .bind(purchase)
    .bind(&from)
    .fetch_one(&mut *tx)
    .await?
    .try_get("left_over")?;
    let from = TeamId::parse(&from).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    ledger_entry(&mut tx, &from, purchase, "move_out", -remaining, now, None).await?;
    ledger_entry(&mut tx, to, purchase, "move_in", remaining, now, None).await?;
    tx.commit().await?;
    Ok(remaining)
}

/// One purchase of a team with its ledger summed by kind, as the Flex tokens page shows it.
/// The sums count only the entries that belong to the team (a purchase moved in shows what
/// arrived, not what its first owner used); signed amounts are turned into positive figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseFigures {
    pub purchase_id: String,
    /// The purchase's size when it was bought (by whichever team bought it).
    pub amount: i64,
    pub purchased_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What this team's `purchase` entry added (0 when the purchase was moved in).
    pub purchased: i64,
    pub charged: i64,
    pub expired: i64,
    pub moved_out: i64,
    pub moved_in: i64,
    /// Everything this team's entries add up to (what `team_lots` calls remaining).
    pub remaining: i64,
}

/// Every purchase the team owns now, earliest expiry first, with its ledger summed by kind
/// (R-TOK1, the Flex tokens page).
pub async fn purchase_figures<'e, E: sqlx::Executor<'e, Database = Any>>(
    ex: E,
    team: &str,
) -> Result<Vec<PurchaseFigures>> {
    let rows = sqlx::query(
        "SELECT p.id, p.amount, p.purchased_at, p.expires_at, \
           COALESCE(b.purchased, 0) AS purchased, COALESCE(b.charged, 0) AS charged, \
           COALESCE(b.expired, 0) AS expired, COALESCE(b.moved_out, 0) AS moved_out, \
           COALESCE(b.moved_in, 0) AS moved_in, COALESCE(b.remaining, 0) AS remaining \
         FROM token_purchases p LEFT JOIN lot_balances b ON b.purchase_id = p.id AND b.team_id = p.team_id \
         WHERE p.team_id = $1 ORDER BY p.expires_at, p.id",
    )
    .bind(team)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PurchaseFigures {
                purchase_id: r.try_get("id")?,
                amount: r.try_get("amount")?,
                purchased_at: get_ts(r, "purchased_at")?,
                expires_at: get_ts(r, "expires_at")?,
                purchased: r.try_get("purchased")?,
                charged: r.try_get("charged")?,
                expired: r.try_get("expired")?,
                moved_out: r.try_get("moved_out")?,
                moved_in: r.try_get("moved_in")?,
                remaining: r.try_get("remaining")?,
            })
        })
        .collect()
}
