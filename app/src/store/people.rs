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
    /// Imported and never emailed (R-IMP1, R-INV2).
    NotInvited,
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
    /// R-UM5: primary admin, admin, SSO admin or member.
    pub role: super::teams::Role,
    /// Runs the team (the primary admin or an admin).
    pub admin: bool,
    pub guest: bool,
    pub active: bool,
    /// Expiry of the live (not accepted, not superseded) invitation, if any.
    pub invite_expires_at: Option<DateTime<Utc>>,
    /// Whether the live invitation was emailed: `Some(false)` for people an import added,
    /// whom nobody has written to yet.
    pub invite_emailed: Option<bool>,
    pub joined_at: DateTime<Utc>,
    pub assignments: i64,
    pub flex: bool,
    /// R-DIR1: the team's directory syncs this person (read-only in the console).
    pub synced: bool,
}

pub(crate) const MEMBER_COLS: &str = "a.id, COALESCE(m.invited_name, a.name) AS name, a.email, m.role, m.sso_admin, m.guest, m.status, m.created_at, \
     (SELECT COUNT(*) FROM teams t WHERE t.id = m.team_id AND t.primary_admin = m.account_id) AS is_primary, \
     (SELECT MAX(i.expires_at) FROM invitations i WHERE i.team_id = m.team_id AND i.account_id = m.account_id \
        AND i.accepted_at IS NULL AND i.superseded_at IS NULL) AS invite_expires_at, \
     (SELECT MIN(i.emailed) FROM invitations i WHERE i.team_id = m.team_id AND i.account_id = m.account_id \
        AND i.accepted_at IS NULL AND i.superseded_at IS NULL) AS invite_emailed, \
     (SELECT COUNT(*) FROM assignments x WHERE x.team_id = m.team_id AND x.account_id = m.account_id) AS assigned, \
     (SELECT COUNT(*) FROM flex_users f WHERE f.team_id = m.team_id AND f.account_id = m.account_id) AS flex, \
     (SELECT COUNT(*) FROM scim_users s WHERE s.team_id = m.team_id AND s.account_id = m.account_id AND s.active = 1) AS synced";

pub(crate) fn member_from(r: &AnyRow) -> Result<MemberRow> {
    let role = super::teams::role_from(r)?;
    let status: String = r.try_get("status")?;
    let flex: i64 = r.try_get("flex")?;
    Ok(MemberRow {
        account_id: super::get_user_id(r, "id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role,
        admin: role.runs_team(),
        guest: get_flag(r, "guest")?,
        active: status == "active",
        invite_expires_at: super::get_opt_ts(r, "invite_expires_at")?,
        invite_emailed: r.try_get::<Option<i64>, _>("invite_emailed")?.map(|e| e != 0),
        joined_at: get_ts(r, "created_at")?,
        assignments: r.try_get("assigned")?,
        flex: flex > 0,
        synced: r.try_get::<i64, _>("synced")? > 0,
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
                 AND i.account_id = m.account_id AND i.accepted_at IS NULL AND i.superseded_at IS NULL \
                 AND (i.expires_at <= $3 OR i.emailed = 0))"
            }
            StatusFilter::Expired => {
                " AND m.status = 'invited' AND EXISTS (SELECT 1 FROM invitations i WHERE i.team_id = m.team_id \
                 AND i.account_id = m.account_id AND i.accepted_at IS NULL AND i.superseded_at IS NULL \
                 AND i.expires_at <= $3 AND i.emailed = 1)"
            }
            StatusFilter::NotInvited => {
                " AND m.status = 'invited' AND EXISTS (SELECT 1 FROM invitations i WHERE i.team_id = m.team_id \
                 AND i.account_id = m.account_id AND i.accepted_at IS NULL AND i.superseded_at IS NULL AND i.emailed = 0)"
            }
            StatusFilter::Guests => " AND m.guest = 1",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = match q.sort {
            MemberSort::Name => format!("LOWER(COALESCE(m.invited_name, a.name)) {dir}, a.email"),
            MemberSort::Email => format!("a.email {dir}"),
            MemberSort::Joined => format!("m.created_at {dir}, LOWER(COALESCE(m.invited_name, a.name))"),
            MemberSort::Status => {
                format!("m.status {dir}, m.guest {dir}, LOWER(COALESCE(m.invited_name, a.name))")
            }
        };
        // `$3` (now) is referenced in every variant, even where the status filter does not
        // need it: both engines refuse a bound parameter the statement never uses.
        let filter = format!(
            "FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.team_id = $1 AND $3 IS NOT NULL \
             AND (LOWER(COALESCE(m.invited_name, a.name)) LIKE $2 ESCAPE '\\' OR a.email LIKE $2 ESCAPE '\\'){status_sql}"
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
             WHERE m.team_id = $1 AND (LOWER(COALESCE(m.invited_name, a.name)) LIKE $2 ESCAPE '\\' OR a.email LIKE $2 ESCAPE '\\') \
             ORDER BY LOWER(COALESCE(m.invited_name, a.name)), a.id LIMIT $3"
        ))
        .bind(team.as_str())
        .bind(like_pattern(search))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member_from).collect()
    }
}

/// What removing one member takes away (R-UM4), read through the removing transaction.
#[derive(Clone, Debug)]
pub struct RemovalFacts {
    pub member: MemberRow,
    /// Names of the products whose seats the person holds in this team.
    pub seats: Vec<String>,
    /// A product the person holds through this team is running for them now.
    pub running: bool,
}

pub async fn removal_facts(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    team: &TeamId,
    account_id: &UserId,
    now: DateTime<Utc>,
) -> Result<Option<RemovalFacts>> {
    let Some(member) = member(&mut **tx, team, account_id).await? else { return Ok(None) };
    let seats = sqlx::query(
        "SELECT p.name FROM assignments x JOIN products p ON p.id = x.product_id \
         WHERE x.team_id = $1 AND x.account_id = $2 ORDER BY LOWER(p.name)",
    )
    .bind(team.as_str())
    .bind(account_id.as_str())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get("name"))
    .collect::<std::result::Result<Vec<String>, _>>()?;
    // A session lapses after 24 hours without a heartbeat (R-LIC3). Only sessions of
    // products this team gives the person count: a live seat here, or Flex access here that
    // covers the product by the rule licensing applies (the devices an admin of this team
    // sees on the person's page). A product another team gives them too is still counted:
    // which team granted a session is not recorded.
    let live_after = now - chrono::Duration::hours(24);
    let running = super::licensing::team_member_devices(&mut **tx, team, account_id, now)
        .await?
        .iter()
        .any(|d| d.session_heartbeat.is_some_and(|beat| beat > live_after));
    Ok(Some(RemovalFacts { member, seats, running }))
}

/// A pending invitation as the *Pending invitations* view lists it (R-INV2).
#[derive(Clone, Debug)]
pub struct PendingRow {
    pub member: MemberRow,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub emailed: bool,
    /// Who invited (or imported) the person; `None` for the command line or a deleted admin.
    pub invited_by: Option<String>,
    /// What was assigned to them while invited, by product name ("Flex" for Flex access),
    /// with who assigned it when that is known.
    pub assigned: Vec<(String, Option<String>)>,
}

impl Db {
    /// People of `team` who have not accepted, with their live invitation, newest first.
    pub async fn pending_invitations(
        &self,
        team: &TeamId,
        search: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<PendingRow>, i64)> {
        let filter = "FROM memberships m JOIN accounts a ON a.id = m.account_id \
             JOIN invitations i ON i.team_id = m.team_id AND i.account_id = m.account_id \
               AND i.accepted_at IS NULL AND i.superseded_at IS NULL \
             LEFT JOIN accounts b ON b.id = i.created_by \
             WHERE m.team_id = $1 AND m.status = 'invited' \
             AND (LOWER(COALESCE(m.invited_name, a.name)) LIKE $2 ESCAPE '\\' OR a.email LIKE $2 ESCAPE '\\')";
        let pattern = like_pattern(search);
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLS}, i.sent_at, i.expires_at, i.emailed, b.name AS invited_by {filter} \
             ORDER BY i.sent_at DESC, a.id LIMIT $3 OFFSET $4"
        ))
        .bind(team.as_str())
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n {filter}"))
            .bind(team.as_str())
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let rows = rows
            .iter()
            .map(|r| {
                Ok(PendingRow {
                    member: member_from(r)?,
                    sent_at: get_ts(r, "sent_at")?,
                    expires_at: get_ts(r, "expires_at")?,
                    emailed: get_flag(r, "emailed")?,
                    invited_by: r.try_get("invited_by")?,
                    assigned: Vec::new(),
                })
            })
            .collect::<Result<Vec<PendingRow>>>()?;
        let rows = self.with_assignments(team, rows).await?;
        Ok((rows, total))
    }

    /// Fills in what each pending person of one page was assigned, and by whom: one
    /// statement for the page.
    async fn with_assignments(&self, team: &TeamId, mut rows: Vec<PendingRow>) -> Result<Vec<PendingRow>> {
        if rows.is_empty() {
            return Ok(rows);
        }
        let list = (0..rows.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT x.account_id, p.name AS product, b.name AS assigned_by FROM assignments x \
             JOIN products p ON p.id = x.product_id LEFT JOIN accounts b ON b.id = x.assigned_by \
             WHERE x.team_id = $1 AND x.account_id IN ({list}) \
             UNION ALL \
             SELECT f.account_id, 'Flex' AS product, b.name AS assigned_by FROM flex_users f \
             LEFT JOIN accounts b ON b.id = f.assigned_by \
             WHERE f.team_id = $1 AND f.account_id IN ({list}) \
             ORDER BY product"
        );
        let mut q = sqlx::query(&sql).bind(team.as_str());
        for r in &rows {
            q = q.bind(r.member.account_id.as_str());
        }
        let mut by_account: std::collections::HashMap<String, Vec<(String, Option<String>)>> =
            std::collections::HashMap::new();
        for r in q.fetch_all(&self.pool).await? {
            by_account
                .entry(r.try_get("account_id")?)
                .or_default()
                .push((r.try_get("product")?, r.try_get("assigned_by")?));
        }
        for row in &mut rows {
            row.assigned = by_account.remove(row.member.account_id.as_str()).unwrap_or_default();
        }
        Ok(rows)
    }

    /// Every member of `team` in the CSV import's terms (R-IMP1): name, email, guest, the
    /// codes of their seat assignments and Flex selection, and whether that selection is
    /// "all". Ordered by email so two exports of one team are the same file.
    pub async fn people_for_export(&self, team: &TeamId) -> Result<Vec<ExportRow>> {
        let members = sqlx::query(
            "SELECT a.id, COALESCE(m.invited_name, a.name) AS name, a.email, m.guest, f.own_all AS all_products \
             FROM memberships m JOIN accounts a ON a.id = m.account_id \
             LEFT JOIN flex_users f ON f.team_id = m.team_id AND f.account_id = m.account_id AND f.own = 1 \
             WHERE m.team_id = $1 ORDER BY a.email",
        )
        .bind(team.as_str())
        .fetch_all(&self.pool)
        .await?;
        let seats = sqlx::query(
            "SELECT x.account_id, p.code FROM assignments x JOIN products p ON p.id = x.product_id WHERE x.team_id = $1 AND x.own = 1",
        )
        .bind(team.as_str())
        .fetch_all(&self.pool)
        .await?;
        // Only the person's own Flex selection and seats: a group's come back with the group.
        let flex = sqlx::query(
            "SELECT u.account_id, p.code FROM flex_own_products u JOIN products p ON p.id = u.product_id \
             WHERE u.team_id = $1 AND p.retired_at IS NULL",
        )
        .bind(team.as_str())
        .fetch_all(&self.pool)
        .await?;
        // The groups the console fills (a synced group is the directory's, and the import
        // refuses it).
        let groups = sqlx::query(
            "SELECT gm.account_id, g.name AS code FROM group_members gm JOIN groups g ON g.id = gm.group_id \
             WHERE gm.team_id = $1 AND g.synced = 0",
        )
        .bind(team.as_str())
        .fetch_all(&self.pool)
        .await?;
        type Codes = std::collections::HashMap<String, std::collections::BTreeSet<String>>;
        let group = |rows: &[AnyRow]| -> Result<Codes> {
            let mut by: Codes = Codes::new();
            for r in rows {
                by.entry(r.try_get("account_id")?).or_default().insert(r.try_get("code")?);
            }
            Ok(by)
        };
        let (mut seats, mut flex, mut groups) = (group(&seats)?, group(&flex)?, group(&groups)?);
        members
            .iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let all: Option<i64> = r.try_get("all_products")?;
                Ok(ExportRow {
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    guest: get_flag(r, "guest")?,
                    all_flex: all.unwrap_or(0) != 0,
                    seats: seats.remove(&id).unwrap_or_default(),
                    flex: flex.remove(&id).unwrap_or_default(),
                    groups: groups.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    pub name: String,
    pub email: String,
    pub guest: bool,
    pub all_flex: bool,
    /// Codes of the products whose seats the person holds (live or not).
    pub seats: std::collections::BTreeSet<String>,
    /// Codes of the person's own Flex selection.
    pub flex: std::collections::BTreeSet<String>,
    /// Names of the (unsynced) groups they are in.
    pub groups: std::collections::BTreeSet<String>,
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
