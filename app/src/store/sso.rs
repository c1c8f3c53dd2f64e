//! Links between an identity at a team's OpenID provider and a Tessera account (R-SSO1),
//! and the mailed link requests that prove an account's owner agrees to one.
//! The rule deciding when a link may be made is `domain::sso::decide`.
use super::{get_flag, get_ts, new_id, ts, Db, Result, StoreError};
use crate::domain::sso::Candidate;
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkProof {
    Password,
    Email,
    Invitation,
}

impl LinkProof {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkProof::Password => "password",
            LinkProof::Email => "email",
            LinkProof::Invitation => "invitation",
        }
    }
}

/// A request waiting for the owner to follow the mailed link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRequest {
    pub id: String,
    pub issuer: String,
    pub subject: String,
    pub account_id: UserId,
    pub team_id: TeamId,
    pub expires_at: DateTime<Utc>,
}

/// Makes the link in the caller's transaction (with its audit entry beside it). A link that
/// already exists for this identity, or for this account at this issuer, is a `Duplicate`.
pub async fn link(
    tx: &mut Transaction<'_, Any>,
    issuer: &str,
    subject: &str,
    account: &UserId,
    team: &TeamId,
    proof: LinkProof,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sso_links (issuer, subject, account_id, team_id, proof, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(issuer)
    .bind(subject)
    .bind(account.as_str())
    .bind(team.as_str())
    .bind(proof.as_str())
    .bind(ts(now))
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from(e).on_unique("a single sign-on link for this identity or account"))?;
    Ok(())
}

/// Writes a link request; the caller mails the token whose hash is `token_hash`.
#[allow(clippy::too_many_arguments)]
pub async fn create_request(
    tx: &mut Transaction<'_, Any>,
    token_hash: &str,
    issuer: &str,
    subject: &str,
    account: &UserId,
    team: &TeamId,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO sso_link_requests (id, token_hash, issuer, subject, account_id, team_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(token_hash)
    .bind(issuer)
    .bind(subject)
    .bind(account.as_str())
    .bind(team.as_str())
    .bind(ts(now))
    .bind(ts(expires_at))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Uses up the request behind `token_hash` if it is unused and unexpired: a conditional
/// update, so two clicks race to one winner. `None` when unknown, used or expired.
pub async fn take_request(
    tx: &mut Transaction<'_, Any>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<LinkRequest>> {
    let done = sqlx::query(
        "UPDATE sso_link_requests SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(ts(now))
    .bind(token_hash)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let r = sqlx::query(
        "SELECT id, issuer, subject, account_id, team_id, expires_at FROM sso_link_requests WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(LinkRequest {
        id: r.try_get("id")?,
        issuer: r.try_get("issuer")?,
        subject: r.try_get("subject")?,
        account_id: super::get_user_id(&r, "account_id")?,
        team_id: super::get_team_id(&r, "team_id")?,
        expires_at: get_ts(&r, "expires_at")?,
    }))
}

impl Db {
    /// The account linked to this identity, if any.
    pub async fn sso_linked_account(&self, issuer: &str, subject: &str) -> Result<Option<UserId>> {
        let row = sqlx::query("SELECT account_id FROM sso_links WHERE issuer = $1 AND subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| super::get_user_id(&r, "account_id")).transpose()
    }

    /// What linking needs to know of `account` for `team`'s provider at `issuer`, about a
    /// sign-in as `subject`. `None` when the account does not exist.
    pub async fn sso_candidate(
        &self,
        account: &UserId,
        team: &TeamId,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<Candidate>> {
        let row = sqlx::query(
            "SELECT CAST(CASE WHEN a.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password,
                    (SELECT COUNT(*) FROM memberships m
                      WHERE m.account_id = a.id AND m.team_id = $2 AND m.status = 'active') AS active,
                    (SELECT COUNT(*) FROM sso_links l
                      WHERE l.account_id = a.id AND l.issuer = $3 AND l.subject <> $4) AS other,
                    (SELECT COUNT(*) FROM memberships m
                      WHERE m.account_id = a.id AND m.status = 'active') AS active_anywhere,
                    (SELECT COUNT(*) FROM sso_links l WHERE l.account_id = a.id) AS links
             FROM accounts a WHERE a.id = $1",
        )
        .bind(account.as_str())
        .bind(team.as_str())
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let active: i64 = r.try_get("active")?;
        let other: i64 = r.try_get("other")?;
        let active_anywhere: i64 = r.try_get("active_anywhere")?;
        let links: i64 = r.try_get("links")?;
        let has_password = get_flag(&r, "has_password")?;
        Ok(Some(Candidate {
            account: account.clone(),
            active_in_team: active > 0,
            has_password,
            linked_to_other_subject: other > 0,
            fresh: !has_password && active_anywhere == 0 && links == 0,
        }))
    }

    /// Forgets link requests that expired before `before` (used or not): they can never
    /// complete, and each names an account.
    pub async fn forget_sso_link_requests(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sso_link_requests WHERE expires_at < $1")
            .bind(ts(before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// The identities (issuer, subject) linked to `account`.
    pub async fn sso_links_of(&self, account: &UserId) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT issuer, subject FROM sso_links WHERE account_id = $1 ORDER BY issuer")
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("issuer")?, r.try_get("subject")?))).collect()
    }
}
