use super::audit::{record, Actor};
use super::ledger::{ledger_entry, lock_teams, team_lots};
use super::{get_ts, new_id, ts, Db, Result};
use crate::domain::ledger::{check_move, Lot, MoveRefusal};
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

/// A purchase moved to another team: what went where, for the caller's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    pub tokens: i64,
    pub from_name: String,
    pub to_name: String,
    pub purchased_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Why a move did not happen. Nothing was written; the caller drops its transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoveRefused {
    /// No such purchase, or it does not belong (any more) to the team it is moved from: one
    /// answer for both, so a team's admin learns nothing about other teams' purchases.
    NotInTeam,
    Rule(MoveRefusal),
}

/// The team a purchase belongs to now, read without a lock: a starting point for callers
/// that know only the purchase (the command line); `move_purchase` checks it again.
pub async fn purchase_team<'e, E: sqlx::Executor<'e, Database = Any>>(
    ex: E,
    purchase: &str,
) -> Result<Option<TeamId>> {
    let row = sqlx::query("SELECT team_id FROM token_purchases WHERE id = $1")
        .bind(purchase)
        .fetch_optional(ex)
        .await?;
    row.map(|r| super::get_team_id(&r, "team_id")).transpose()
}

/// Moves what is left of a purchase from `from` to `to` (R-TOK1), in the caller's
/// transaction, with both teams' audit entries beside it. The ledger records a `move_out`
/// in the old team and a `move_in` in the new one; the purchase then belongs to the new
/// team (so its expiry travels with it).
///
/// The transaction must not hold locks yet: this takes both teams' locks in the order Flex
/// charges take them (`ledger::lock_teams`) and only then reads the purchase's team and
/// what is left of it, so a charge racing the move either spends its tokens first (and the
/// move takes the rest) or waits and finds them gone; nothing is spent twice.
pub async fn move_purchase(
    tx: &mut Transaction<'_, Any>,
    purchase: &str,
    from: &TeamId,
    to: &TeamId,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Moved, MoveRefused>> {
    lock_teams(tx, &[from.clone(), to.clone()]).await?;
    let Some(lot) = team_lots(&mut **tx, from).await?.into_iter().find(|l| l.purchase_id == purchase) else {
        return Ok(Err(MoveRefused::NotInTeam));
    };
    if let Err(why) = check_move(&lot, from == to, now) {
        return Ok(Err(MoveRefused::Rule(why)));
    }
    // Under both locks nobody else moves it; the team in the WHERE clause says so again.
    let claimed = sqlx::query("UPDATE token_purchases SET team_id = $1 WHERE id = $2 AND team_id = $3")
        .bind(to.as_str())
        .bind(purchase)
        .bind(from.as_str())
        .execute(&mut **tx)
        .await?;
    if claimed.rows_affected() == 0 {
        return Ok(Err(MoveRefused::NotInTeam));
    }
    let tokens = lot.remaining;
    ledger_entry(tx, from, purchase, "move_out", -tokens, now, None).await?;
    ledger_entry(tx, to, purchase, "move_in", tokens, now, None).await?;
    let name =
        |team: &TeamId| sqlx::query("SELECT name FROM teams WHERE id = $1").bind(team.as_str().to_string());
    let from_name: String = name(from).fetch_one(&mut **tx).await?.try_get("name")?;
    let to_name: String = name(to).fetch_one(&mut **tx).await?.try_get("name")?;
    let moved =
        Moved { tokens, from_name, to_name, purchased_at: lot.purchased_at, expires_at: lot.expires_at };
    let what = format!("{tokens} tokens of the Flex purchase of {}", moved.purchased_at.format("%Y-%m-%d"));
    let before = serde_json::json!({ "team": moved.from_name, "tokens": tokens });
    let after = serde_json::json!({
        "team": moved.to_name,
        "tokens": tokens,
        "purchase": purchase,
        "expires_on": moved.expires_at.format("%Y-%m-%d").to_string(),
    });
    for (team, target) in
        [(from, format!("{what} → {}", moved.to_name)), (to, format!("{what} ← {}", moved.from_name))]
    {
        record(tx, team, actor, "move_tokens", &target, Some(&before), Some(&after), now).await?;
    }
    Ok(Ok(moved))
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

impl PurchaseFigures {
    /// The purchase as a lot of the ledger's rules: what `team_lots` reads for it, from the
    /// same row, so a page that needs both figures and lots reads once.
    pub fn lot(&self) -> Lot {
        Lot {
            purchase_id: self.purchase_id.clone(),
            purchased_at: self.purchased_at,
            expires_at: expiry_of(self.purchased_at),
            remaining: self.remaining,
        }
    }
}

/// Every purchase the team owns now, earliest expiry first, with its ledger summed by kind
/// (R-TOK1, the Flex tokens page).
pub async fn purchase_figures<'e, E: sqlx::Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
) -> Result<Vec<PurchaseFigures>> {
    let rows = sqlx::query(
        "SELECT p.id, p.amount, p.purchased_at, p.expires_at, \
           COALESCE(b.purchased, 0) AS purchased, COALESCE(b.charged, 0) AS charged, \
           COALESCE(b.expired, 0) AS expired, COALESCE(b.moved_out, 0) AS moved_out, \
           COALESCE(b.moved_in, 0) AS moved_in, COALESCE(b.remaining, 0) AS remaining \
         FROM token_purchases p LEFT JOIN lot_balances b ON b.purchase_id = p.id AND b.team_id = p.team_id \
         WHERE p.team_id = $1 ORDER BY p.expires_at, p.id",
    )
    .bind(team.as_str())
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
