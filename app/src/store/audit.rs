//! The audit log: every change an admin makes, written in the change's own transaction.
use super::{get_ts, new_id, ts, Db, Result};
use crate::domain::TeamId;
use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

pub struct Actor<'a> {
    /// `None` for the command line and other operators outside the console.
    pub id: Option<&'a str>,
    pub label: &'a str,
}

#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    actor: &Actor<'_>,
    action: &str,
    target: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, team_id, actor_id, actor_label, at, action, target, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(team.as_str())
    .bind(actor.id)
    .bind(actor.label)
    .bind(ts(now))
    .bind(action)
    .bind(target)
    .bind(before.map(|v| v.to_string()))
    .bind(after.map(|v| v.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Db {
    /// Newest first; `action` filters by exact action name when given.
    pub async fn audit_entries(
        &self,
        team: &TeamId,
        action: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditEntry>, i64)> {
        let action = action.unwrap_or("");
        let rows = sqlx::query(
            "SELECT at, actor_label, action, target, before_json, after_json FROM audit_log \
             WHERE team_id = $1 AND ($2 = '' OR action = $2) ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4",
        )
        .bind(team.as_str())
        .bind(action)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE team_id = $1 AND ($2 = '' OR action = $2)",
        )
        .bind(team.as_str())
        .bind(action)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let entries = rows
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: get_ts(r, "at")?,
                    actor: r.try_get("actor_label")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    before: r.try_get("before_json")?,
                    after: r.try_get("after_json")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((entries, total))
    }
}
