//! The token ledger's shared primitives: the order teams are locked in, the entry every
//! change to a team's tokens writes, and the lots (purchases with what is left of them)
//! that charges, moves and the usage views read. Purchases and moves (`tokens`) and Flex
//! charges (`licensing`) build on these.
use super::{get_ts, new_id, ts, Result};
use crate::domain::ledger::Lot;
use crate::domain::tokens::expiry_of;
use crate::domain::TeamId;
use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

/// Takes the locks of several teams (`teams::lock_team`) in ascending id order: the one
/// order every transaction that locks more than one team uses, so two of them never wait
/// on each other. Flex charges and purchase moves both lock this way.
pub async fn lock_teams(tx: &mut Transaction<'_, Any>, teams: &[TeamId]) -> Result<()> {
    let mut ordered: Vec<&TeamId> = teams.iter().collect();
    ordered.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    ordered.dedup();
    for team in ordered {
        super::teams::lock_team(tx, team).await?;
    }
    Ok(())
}

/// One entry of the ledger: `amount` tokens in (positive) or out (negative) of a purchase's
/// lot in `team`, with the Flex window it paid for, if any.
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

/// The team's purchases as lots: what each has left in this team (moves net out).
pub async fn team_lots<'e, E: sqlx::Executor<'e, Database = Any>>(ex: E, team: &TeamId) -> Result<Vec<Lot>> {
    let rows = sqlx::query(
        "SELECT p.id, p.purchased_at, COALESCE(b.remaining, 0) AS remaining \
         FROM token_purchases p LEFT JOIN lot_balances b ON b.purchase_id = p.id AND b.team_id = p.team_id \
         WHERE p.team_id = $1",
    )
    .bind(team.as_str())
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            let purchased_at = get_ts(r, "purchased_at")?;
            Ok(Lot {
                purchase_id: r.try_get("id")?,
                purchased_at,
                expires_at: expiry_of(purchased_at),
                remaining: r.try_get("remaining")?,
            })
        })
        .collect()
}
