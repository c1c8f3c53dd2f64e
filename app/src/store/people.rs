//! Team members as the console lists them: search, sort and pagination happen in SQL so a
//! 10,000-member team costs one indexed page query and one count.
use super::{get_flag, get_ts, ts, Db, Result};
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberSort {
    Name,
    Email,
    Joined,
    Status,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Any,
    Active,
    Invited,
    Expired,
    Guests,
}

#[derive(Clone, Debug)]
pub struct MemberQuery {
    pub search: String,
    pub sort: MemberSort,
    pub descending: bool,
    pub status: StatusFilter,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Clone, Debug)]
pub struct MemberRow {
    pub account_id: UserId,
    pub name: String,
    pub email: String,
    pub admin: bool,
    pub guest: bool,
    pub active: bool,
    /// Expiry of the live (not accepted, not superseded) invitation, if any.
    pub invite_expires_at: Option<DateTime<Utc>>,
    pub joined_at: DateTime<Utc>,
    pub assignments: i64,
    pub flex: bool,
}

pub(crate) const MEMBER_COLS: &str = "a.id, a.name, a.email, m.role, m.guest, m.status, m.created_at, \
     (SELECT MAX(i.expires_at) FROM invitations i WHERE i.team_id = m.team_id AND i.account_id = m.account_id \
        AND i.accepted_at IS NULL AND i.superseded_at IS NULL) AS invite_expires_at, \
     (SELECT COUNT(*) FROM assignments x WHERE x.team_id = m.team_id AND x.account_id = m.account_id) AS assigned, \
     (SELECT COUNT(*) FROM flex_users f WHERE f.team_id = m.team_id AND f.account_id = m.account_id) AS flex";

pub(crate) fn member_from(r: &AnyRow) -> Result<MemberRow> {
    let role: String = r.try_get("role")?;
    let status: String = r.try_get("status")?;
    let flex: i64 = r.try_get("flex")?;
    Ok(MemberRow {
        account_id: super::get_user_id(r, "id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        admin: role == "admin",
        guest: get_flag(r, "guest")?,
        active: status == "active",
        invite_expires_at: super::get_opt_ts(r, "invite_expires_at")?,
        joined_at: get_ts(r, "created_at")?,
        assignments: r.try_get("assigned")?,
        flex: flex > 0,
    })
}

/// `%`, `_` and `\` typed into the search box are matched literally.
pub fn like_pattern(search: &str) -> String {
    let mut p = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Db {
    /// One page of members and the total matching the filters.
    pub async fn list_members(
        &self,
        team: &TeamId,
        q: &MemberQuery,
        now: DateTime<Utc>,
    ) -> Result<(Vec<MemberRow>, i64)> {
        let status_sql = match q.status {
            StatusFilter::Any => "",
            StatusFilter::Active => " AND m.status = 'active'",
            StatusFilter::Invited => {
                " AND m.status = 'invited' AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.team_id = m.team_id \
                 AND i.account_id = m.account_id AND i.accepted_at IS NULL AND i.superseded_at IS NULL AND i.expires_at <= $3)"
            }
            StatusFilter::Expired => {
                " AND m.status = 'invited' AND EXISTS (SELECT 1 FROM invitations i WHERE i.team_id = m.team_id \
                 AND i.account_id = m.account_id AND i.accepted_at IS NULL AND i.superseded_at IS NULL AND i.expires_at <= $3)"
            }
            StatusFilter::Guests => " AND m.guest = 1",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = match q.sort {
            MemberSort::Name => format!("LOWER(a.name) {dir}, a.email"),
            MemberSort::Email => format!("a.email {dir}"),
            MemberSort::Joined => format!("m.created_at {dir}, LOWER(a.name)"),
            MemberSort::Status => format!("m.status {dir}, m.guest {dir}, LOWER(a.name)"),
        };
        // `$3` (now) is referenced in every variant, even where the status filter does not
        // need it: both engines refuse a bound parameter the statement never uses.
        let filter = format!(
            "FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.team_id = $1 AND $3 IS NOT NULL \
             AND (LOWER(a.name) LIKE $2 ESCAPE '\\' OR a.email LIKE $2 ESCAPE '\\'){status_sql}"
        );
        let pattern = like_pattern(&q.search);
        let now = ts(now);
        let rows =
            sqlx::query(&format!("SELECT {MEMBER_COLS} {filter} ORDER BY {order}, a.id LIMIT $4 OFFSET $5"))
                .bind(team.as_str())
                .bind(&pattern)
                .bind(&now)
                .bind(q.limit)
                .bind(q.offset)
                .fetch_all(&self.pool)
                .await?;
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n {filter}"))
            .bind(team.as_str())
            .bind(&pattern)
            .bind(&now)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok((rows.iter().map(member_from).collect::<Result<_>>()?, total))
    }

    pub async fn member(&self, team: &TeamId, account_id: &UserId) -> Result<Option<MemberRow>> {
        member(&self.pool, team, account_id).await
    }

    /// Members whose name or email contains `search`, for the assign dialog's picker.
    pub async fn find_members(&self, team: &TeamId, search: &str, limit: i64) -> Result<Vec<MemberRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLS} FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.team_id = $1 AND (LOWER(a.name) LIKE $2 ESCAPE '\\' OR a.email LIKE $2 ESCAPE '\\') \
             ORDER BY LOWER(a.name), a.id LIMIT $3"
        ))
        .bind(team.as_str())
        .bind(like_pattern(search))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member_from).collect()
    }
}

/// One member of `team`, read through `ex` (a transaction that goes on to change them).
pub async fn member<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    team: &TeamId,
    account_id: &UserId,
) -> Result<Option<MemberRow>> {
    let row = sqlx::query(&format!(
        "SELECT {MEMBER_COLS} FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.team_id = $1 AND m.account_id = $2"
    ))
    .bind(team.as_str())
    .bind(account_id.as_str())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(member_from).transpose()
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_text_is_literal() {
        assert_eq!(super::like_pattern(" Ada_100% "), "%ada\\_100\\%%");
    }
}
