//! Invitations (R-INV1): only the token's SHA-256 is stored; a resend supersedes the
//! previous invitation; acceptance is a conditional update, so a link works once.
use super::{get_ts, new_id, ts, Db, Result};
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

#[derive(Clone, Debug)]
pub struct InvitationRow {
    pub id: String,
    pub team_id: TeamId,
    pub team_name: String,
    pub account_id: UserId,
    pub name: String,
    pub email: String,
    pub has_password: bool,
    pub sent_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub superseded_at: Option<DateTime<Utc>>,
}

#[allow(clippy::too_many_arguments)]
pub async fn create(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account_id: &UserId,
    token_hash: &str,
    sent_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    emailed: bool,
    by: Option<&str>,
) -> Result<String> {
    sqlx::query(
        "UPDATE invitations SET superseded_at = $1 WHERE team_id = $2 AND account_id = $3 \
         AND accepted_at IS NULL AND superseded_at IS NULL",
    )
    .bind(ts(sent_at))
    .bind(team.as_str())
    .bind(account_id.as_str())
    .execute(&mut **tx)
    .await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO invitations (id, team_id, account_id, token_hash, sent_at, expires_at, emailed, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(team.as_str())
    .bind(account_id.as_str())
    .bind(token_hash)
    .bind(ts(sent_at))
    .bind(ts(expires_at))
    .bind(i64::from(emailed))
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Marks the invitation used and activates the membership. `false` when another request
/// used or superseded it first.
pub async fn accept(tx: &mut Transaction<'_, Any>, inv: &InvitationRow, now: DateTime<Utc>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL AND superseded_at IS NULL",
    )
    .bind(ts(now))
    .bind(&inv.id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE memberships SET status = 'active', invited_name = NULL WHERE team_id = $1 AND account_id = $2")
        .bind(inv.team_id.as_str())
        .bind(inv.account_id.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

impl Db {
    pub async fn invitation_by_token_hash(&self, hash: &str) -> Result<Option<InvitationRow>> {
        let row = sqlx::query(
            "SELECT i.id, i.team_id, t.name AS team_name, i.account_id, a.name, a.email, a.password_hash, \
                    i.sent_at, i.accepted_at, i.superseded_at \
             FROM invitations i JOIN teams t ON t.id = i.team_id JOIN accounts a ON a.id = i.account_id \
             WHERE i.token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let pw: Option<String> = r.try_get("password_hash")?;
            Ok(InvitationRow {
                id: r.try_get("id")?,
                team_id: super::get_team_id(&r, "team_id")?,
                team_name: r.try_get("team_name")?,
                account_id: super::get_user_id(&r, "account_id")?,
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                has_password: pw.is_some(),
                sent_at: get_ts(&r, "sent_at")?,
                accepted_at: super::get_opt_ts(&r, "accepted_at")?,
                superseded_at: super::get_opt_ts(&r, "superseded_at")?,
            })
        })
        .transpose()
    }
}
