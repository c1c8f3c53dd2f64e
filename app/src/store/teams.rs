use super::{changed_a_row, get_flag, get_ts, new_id, ts, Db, Result, StoreError};
use crate::domain::{TeamId, TeamName, UserId};
use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Row};

/// R-UM5: the roles are the domain's. How they are stored: `memberships.role` is `admin` for
/// the primary admin and admins, `member` otherwise; `memberships.sso_admin` marks SSO
/// admins; `teams.primary_admin` names the primary admin (migration 13 says why).
pub use crate::domain::membership::MemberRole as Role;

/// The stored `(role, sso_admin)` of a role.
fn role_columns(role: Role) -> (&'static str, i64) {
    match role {
        Role::PrimaryAdmin | Role::Admin => ("admin", 0),
        Role::SsoAdmin => ("member", 1),
        Role::Member => ("member", 0),
    }
}

/// The selected columns `role_from` reads; needs `memberships m` and `teams t` joined.
pub(crate) const ROLE_COLS: &str = "m.role, m.sso_admin, \
     CASE WHEN t.primary_admin = m.account_id THEN 1 ELSE 0 END AS is_primary";

/// The role a row of `ROLE_COLS` (or the same three columns from elsewhere) stores.
pub(crate) fn role_from(r: &sqlx::any::AnyRow) -> Result<Role> {
    let role: String = r.try_get("role")?;
    let sso = get_flag(r, "sso_admin")?;
    let primary: i64 = r.try_get("is_primary")?;
    match (role.as_str(), sso, primary != 0) {
        ("admin", _, true) => Ok(Role::PrimaryAdmin),
        ("admin", _, false) => Ok(Role::Admin),
        ("member", true, _) => Ok(Role::SsoAdmin),
        ("member", false, _) => Ok(Role::Member),
        (other, ..) => Err(StoreError::Corrupt(format!("role {other:?}"))),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberStatus {
    Active,
    Invited,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Invited => "invited",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Membership {
    pub team_id: TeamId,
    pub team_name: String,
    pub role: Role,
    pub guest: bool,
    pub active: bool,
}

fn team_id(s: String) -> Result<TeamId> {
    TeamId::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn create_team<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    name: &TeamName,
    now: DateTime<Utc>,
) -> Result<TeamId> {
    let id = new_id();
    sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(name.as_str())
        .bind(ts(now))
        .execute(ex)
        .await?;
    team_id(id)
}

pub async fn add_member(
    conn: &mut sqlx::AnyConnection,
    team: &TeamId,
    account: &UserId,
    (role, guest): (Role, bool),
    status: MemberStatus,
    invited_name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (stored, sso) = role_columns(role);
    sqlx::query(
        "INSERT INTO memberships (team_id, account_id, role, sso_admin, guest, status, invited_name, created_at) \
         VALUES ($1, $2, $3, $8, $4, $5, $7, $6)",
    )
    .bind(team.as_str())
    .bind(account.as_str())
    .bind(stored)
    .bind(i64::from(guest))
    .bind(status.as_str())
    .bind(ts(now))
    .bind(invited_name)
    .bind(sso)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).on_unique("this person is already a member of the team"))?;
    if role.runs_team() {
        // A team's first admin is its primary admin, whichever way the team was made
        // (the command line, provisioning, the demo data); `PrimaryAdmin` takes the role.
        sqlx::query(
            "UPDATE teams SET primary_admin = $2 WHERE id = $1 AND (primary_admin IS NULL OR $3 = 1)",
        )
        .bind(team.as_str())
        .bind(account.as_str())
        .bind(i64::from(role == Role::PrimaryAdmin))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberCounts {
    pub active: i64,
    pub invited: i64,
    pub guests: i64,
    pub admins: i64,
}

#[derive(Clone, Debug)]
pub struct TeamRow {
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl Db {
    pub async fn team(&self, id: &TeamId) -> Result<Option<TeamRow>> {
        let row = sqlx::query("SELECT id, name, created_at FROM teams WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(TeamRow {
                id: super::get_team_id(&r, "id")?,
                name: r.try_get("name")?,
                created_at: get_ts(&r, "created_at")?,
            })
        })
        .transpose()
    }

    pub async fn team_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM teams").fetch_one(&self.pool).await?.try_get("n")?)
    }

    /// Teams the account belongs to (active memberships only), by name.
    pub async fn memberships_of(&self, account: &UserId) -> Result<Vec<Membership>> {
        let rows = sqlx::query(&format!(
            "SELECT m.team_id, t.name, {ROLE_COLS}, m.guest, m.status FROM memberships m \
                 JOIN teams t ON t.id = m.team_id \
                 WHERE m.account_id = $1 AND m.status = 'active' ORDER BY t.name, t.id"
        ))
        .bind(account.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(Membership {
                    team_id: super::get_team_id(r, "team_id")?,
                    team_name: r.try_get("name")?,
                    role: role_from(r)?,
                    guest: get_flag(r, "guest")?,
                    active: status == "active",
                })
            })
            .collect()
    }

    pub async fn membership(&self, team: &TeamId, account: &UserId) -> Result<Option<Membership>> {
        membership(&self.pool, team, account).await
    }

    pub async fn member_counts(&self, team: &TeamId) -> Result<MemberCounts> {
        let r = sqlx::query(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0) AS BIGINT) AS active, \
               CAST(COALESCE(SUM(CASE WHEN status = 'invited' THEN 1 ELSE 0 END), 0) AS BIGINT) AS invited, \
               CAST(COALESCE(SUM(guest), 0) AS BIGINT) AS guests, \
               CAST(COALESCE(SUM(CASE WHEN role = 'admin' THEN 1 ELSE 0 END), 0) AS BIGINT) AS admins \
             FROM memberships WHERE team_id = $1",
        )
        .bind(team.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(MemberCounts {
            active: r.try_get("active")?,
            invited: r.try_get("invited")?,
            guests: r.try_get("guests")?,
            admins: r.try_get("admins")?,
        })
    }
}

/// A person's membership of a team (any status), read through `ex` (a transaction that goes
/// on to change it).
pub async fn membership<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    account: &UserId,
) -> Result<Option<Membership>> {
    let row = sqlx::query(&format!(
        "SELECT m.team_id, t.name, {ROLE_COLS}, m.guest, m.status FROM memberships m \
             JOIN teams t ON t.id = m.team_id WHERE m.team_id = $1 AND m.account_id = $2"
    ))
    .bind(team.as_str())
    .bind(account.as_str())
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        let status: String = r.try_get("status")?;
        Ok(Membership {
            team_id: super::get_team_id(&r, "team_id")?,
            team_name: r.try_get("name")?,
            role: role_from(&r)?,
            guest: get_flag(&r, "guest")?,
            active: status == "active",
        })
    })
    .transpose()
}

/// Makes `account` an active `role` of `team` (the command line's admin commands). A team
/// without a primary admin gets this admin as its primary admin.
pub async fn set_role(
    conn: &mut sqlx::AnyConnection,
    team: &TeamId,
    account: &UserId,
    role: Role,
) -> Result<()> {
    let (stored, sso) = role_columns(role);
    sqlx::query(
        "UPDATE memberships SET role = $1, sso_admin = $4, status = 'active' WHERE team_id = $2 AND account_id = $3",
    )
    .bind(stored)
    .bind(team.as_str())
    .bind(account.as_str())
    .bind(sso)
    .execute(&mut *conn)
    .await?;
    if role.runs_team() {
        sqlx::query("UPDATE teams SET primary_admin = $2 WHERE id = $1 AND primary_admin IS NULL")
            .bind(team.as_str())
            .bind(account.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Db {
    pub async fn teams_named(&self, name: &str) -> Result<Vec<TeamId>> {
        let rows =
            sqlx::query("SELECT id FROM teams WHERE name = $1").bind(name).fetch_all(&self.pool).await?;
        rows.iter().map(|r| super::get_team_id(r, "id")).collect()
    }
}

/// Serialises writers of one team's seats: a no-op write that takes SQLite's write lock at
/// once (instead of failing to upgrade a read snapshot later) and on PostgreSQL locks the
/// team row until the transaction ends, so two requests cannot count the same free seats.
pub async fn lock_team(tx: &mut sqlx::Transaction<'_, Any>, team: &TeamId) -> Result<()> {
    let done = sqlx::query("UPDATE teams SET name = name WHERE id = $1")
        .bind(team.as_str())
        .execute(&mut **tx)
        .await?;
    changed_a_row(&done)
}

/// How many active admins `team` has, read through `ex` (the transaction that is about to
/// remove or demote some).
pub async fn active_admins<'e, E: Executor<'e, Database = Any>>(ex: E, team: &TeamId) -> Result<usize> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM memberships WHERE team_id = $1 AND role = 'admin' AND status = 'active'",
    )
    .bind(team.as_str())
    .fetch_one(ex)
    .await?
    .try_get("n")?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Takes `account` out of `team` (R-UM4): the membership and everything that hangs on it
/// (seat assignments, Flex access and selection, invitations) goes; usage history, devices
/// and the account stay. The dependents are deleted by name rather than left to the
/// foreign keys' cascades, so both engines do the same whatever their settings. `false`
/// when the person was not in the team.
pub async fn remove_member(
    tx: &mut sqlx::Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
) -> Result<bool> {
    for table in [
        "flex_user_products",
        "flex_own_products",
        "flex_users",
        "assignments",
        "group_members",
        "invitations",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE team_id = $1 AND account_id = $2"))
            .bind(team.as_str())
            .bind(account.as_str())
            .execute(&mut **tx)
            .await?;
    }
    let done = sqlx::query("DELETE FROM memberships WHERE team_id = $1 AND account_id = $2")
        .bind(team.as_str())
        .bind(account.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a member's role and guest flag (R-UM5) without touching whether they have accepted.
pub async fn set_role_and_guest<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    account: &UserId,
    role: Role,
    guest: bool,
) -> Result<bool> {
    let (stored, sso) = role_columns(role);
    let done = sqlx::query(
        "UPDATE memberships SET role = $1, sso_admin = $5, guest = $2 WHERE team_id = $3 AND account_id = $4",
    )
    .bind(stored)
    .bind(i64::from(guest))
    .bind(team.as_str())
    .bind(account.as_str())
    .bind(sso)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The name the team shows for a person until they accept (an invitee) or, for a person
/// the directory syncs, the directory's name for them.
pub async fn set_invited_name<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    account: &UserId,
    name: &str,
) -> Result<()> {
    sqlx::query("UPDATE memberships SET invited_name = $3 WHERE team_id = $1 AND account_id = $2")
        .bind(team.as_str())
        .bind(account.as_str())
        .bind(name)
        .execute(ex)
        .await?;
    Ok(())
}

/// Hands the primary admin role of `team` to `account` (R-UM5), who becomes an admin; the
/// former primary admin stays an admin.
pub async fn hand_on_primary(
    tx: &mut sqlx::Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE memberships SET role = 'admin', sso_admin = 0 WHERE team_id = $1 AND account_id = $2",
    )
    .bind(team.as_str())
    .bind(account.as_str())
    .execute(&mut **tx)
    .await?;
    changed_a_row(&done)?;
    sqlx::query("UPDATE teams SET primary_admin = $2 WHERE id = $1")
        .bind(team.as_str())
        .bind(account.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn rename_team<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    name: &TeamName,
) -> Result<()> {
    let done = sqlx::query("UPDATE teams SET name = $1 WHERE id = $2")
        .bind(name.as_str())
        .bind(team.as_str())
        .execute(ex)
        .await?;
    changed_a_row(&done)
}
