//! Groups (R-GRP1): SQL only. Which seats a person ends up with is decided by
//! `domain::groups`; [`sync_seats`] writes that result into `assignments`, where the
//! licensing check and the seat counts read it (see the groups migration).
use super::people::like_pattern;
use super::{get_flag, get_ts, new_id, ts, Result, StoreError};
use crate::domain::access::Individual;
use crate::domain::groups::GroupGrant;
use crate::domain::{GroupName, TeamId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{Any, AnyConnection, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};

/// A group as the *Users by group* list shows it.
#[derive(Clone, Debug)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub members: i64,
    /// Names of the seat products it gives, by name.
    pub products: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// R-DIR1: made by the company's directory (its name and members are the directory's).
    pub synced: bool,
}

/// One group of `team` by id: (id, name).
pub async fn find(conn: &mut AnyConnection, team: &TeamId, group: &str) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT id, name FROM groups WHERE team_id = $1 AND id = $2")
        .bind(team.as_str())
        .bind(group)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).transpose()
}

pub async fn create(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    name: &GroupName,
    now: DateTime<Utc>,
) -> Result<String> {
    let id = new_id();
    sqlx::query("INSERT INTO groups (id, team_id, name, name_key, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(team.as_str())
        .bind(name.as_str())
        .bind(name.key())
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            StoreError::from(e).on_unique(&format!("The team already has a group called {name}."))
        })?;
    Ok(id)
}

pub async fn rename(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    group: &str,
    name: &GroupName,
) -> Result<bool> {
    let done = sqlx::query("UPDATE groups SET name = $1, name_key = $2 WHERE team_id = $3 AND id = $4")
        .bind(name.as_str())
        .bind(name.key())
        .bind(team.as_str())
        .bind(group)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            StoreError::from(e).on_unique(&format!("The team already has a group called {name}."))
        })?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the group, its memberships and grants (by name, not by cascade, so both engines
/// behave alike). The caller recomputes its former members' seats.
pub async fn delete(tx: &mut Transaction<'_, Any>, team: &TeamId, group: &str) -> Result<bool> {
    for sql in
        ["DELETE FROM group_members WHERE group_id = $1", "DELETE FROM group_seats WHERE group_id = $1"]
    {
        sqlx::query(sql).bind(group).execute(&mut **tx).await?;
    }
    let done = sqlx::query("DELETE FROM groups WHERE team_id = $1 AND id = $2")
        .bind(team.as_str())
        .bind(group)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The team's groups whose name contains `search`, by name, one page, and how many match.
pub async fn list(
    conn: &mut AnyConnection,
    team: &TeamId,
    search: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<GroupRow>, i64)> {
    let pattern = like_pattern(search);
    let rows = sqlx::query(
        "SELECT g.id, g.name, g.created_at, g.synced, \
           (SELECT COUNT(*) FROM group_members gm WHERE gm.group_id = g.id) AS members \
         FROM groups g WHERE g.team_id = $1 AND g.name_key LIKE $2 ESCAPE '\\' \
         ORDER BY g.name_key, g.id LIMIT $3 OFFSET $4",
    )
    .bind(team.as_str())
    .bind(&pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM groups WHERE team_id = $1 AND name_key LIKE $2 ESCAPE '\\'")
            .bind(team.as_str())
            .bind(&pattern)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    let mut products: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT gs.group_id, p.name FROM group_seats gs JOIN groups g ON g.id = gs.group_id \
         JOIN products p ON p.id = gs.product_id WHERE g.team_id = $1 ORDER BY LOWER(p.name)",
    )
    .bind(team.as_str())
    .fetch_all(&mut *conn)
    .await?
    {
        products.entry(r.try_get("group_id")?).or_default().push(r.try_get("name")?);
    }
    let rows = rows
        .iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            Ok(GroupRow {
                products: products.remove(&id).unwrap_or_default(),
                id,
                name: r.try_get("name")?,
                members: r.try_get("members")?,
                created_at: get_ts(r, "created_at")?,
                synced: super::get_flag(r, "synced")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok((rows, total))
}

/// The account ids in the group.
pub async fn members(conn: &mut AnyConnection, group: &str) -> Result<BTreeSet<String>> {
    sqlx::query("SELECT account_id FROM group_members WHERE group_id = $1")
        .bind(group)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("account_id")?))
        .collect()
}

/// Puts a member of the team in the group; false when they already were in it.
pub async fn add_member(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    group: &str,
    account: &UserId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO group_members (group_id, team_id, account_id, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (group_id, account_id) DO NOTHING",
    )
    .bind(group)
    .bind(team.as_str())
    .bind(account.as_str())
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_member(tx: &mut Transaction<'_, Any>, group: &str, account: &UserId) -> Result<bool> {
    let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND account_id = $2")
        .bind(group)
        .bind(account.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The product ids of the seats the group gives.
pub async fn seats(conn: &mut AnyConnection, group: &str) -> Result<BTreeSet<String>> {
    sqlx::query("SELECT product_id FROM group_seats WHERE group_id = $1")
        .bind(group)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("product_id")?))
        .collect()
}

pub async fn set_seats(
    tx: &mut Transaction<'_, Any>,
    group: &str,
    products: &BTreeSet<String>,
) -> Result<()> {
    sqlx::query("DELETE FROM group_seats WHERE group_id = $1").bind(group).execute(&mut **tx).await?;
    for p in products {
        sqlx::query("INSERT INTO group_seats (group_id, product_id) VALUES ($1, $2)")
            .bind(group)
            .bind(p)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What each group the person is in gives them, by group name.
pub async fn grants_of(conn: &mut AnyConnection, team: &TeamId, account: &UserId) -> Result<Vec<GroupGrant>> {
    let rows = sqlx::query(
        "SELECT g.name, gs.product_id FROM group_members gm JOIN groups g ON g.id = gm.group_id \
         LEFT JOIN group_seats gs ON gs.group_id = g.id \
         WHERE gm.team_id = $1 AND gm.account_id = $2 ORDER BY g.name_key",
    )
    .bind(team.as_str())
    .bind(account.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut grants: Vec<GroupGrant> = Vec::new();
    for r in &rows {
        let name: String = r.try_get("name")?;
        let product: Option<String> = r.try_get("product_id")?;
        if grants.last().is_none_or(|g| g.name != name) {
            grants.push(GroupGrant { name, ..Default::default() });
        }
        if let (Some(p), Some(g)) = (product, grants.last_mut()) {
            g.seats.insert(p);
        }
    }
    // The Flex access each group gives (R-GRP1 with R-FX1).
    let flex = sqlx::query(
        "SELECT g.name, gf.all_products, p.product_id FROM group_members gm JOIN groups g ON g.id = gm.group_id \
         JOIN group_flex gf ON gf.group_id = g.id LEFT JOIN group_flex_products p ON p.group_id = g.id \
         WHERE gm.team_id = $1 AND gm.account_id = $2",
    )
    .bind(team.as_str())
    .bind(account.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for r in &flex {
        let name: String = r.try_get("name")?;
        let Some(g) = grants.iter_mut().find(|g| g.name == name) else { continue };
        let access = g.flex.get_or_insert(if get_flag(r, "all_products")? {
            Individual::All
        } else {
            Individual::Products(BTreeSet::new())
        });
        if let (Individual::Products(set), Some(p)) = (access, r.try_get::<Option<String>, _>("product_id")?)
        {
            set.insert(p);
        }
    }
    Ok(grants)
}

/// The Flex access a group gives, if any.
pub async fn flex_of(conn: &mut AnyConnection, group: &str) -> Result<Option<Individual>> {
    let Some(row) = sqlx::query("SELECT all_products FROM group_flex WHERE group_id = $1")
        .bind(group)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    if get_flag(&row, "all_products")? {
        return Ok(Some(Individual::All));
    }
    let products = sqlx::query("SELECT product_id FROM group_flex_products WHERE group_id = $1")
        .bind(group)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("product_id")?))
        .collect::<Result<BTreeSet<String>>>()?;
    Ok(Some(Individual::Products(products)))
}

/// Sets the Flex access a group gives (`None`: none).
pub async fn set_flex(tx: &mut Transaction<'_, Any>, group: &str, flex: Option<&Individual>) -> Result<()> {
    sqlx::query("DELETE FROM group_flex_products WHERE group_id = $1").bind(group).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM group_flex WHERE group_id = $1").bind(group).execute(&mut **tx).await?;
    let Some(flex) = flex else { return Ok(()) };
    sqlx::query("INSERT INTO group_flex (group_id, all_products) VALUES ($1, $2)")
        .bind(group)
        .bind(i64::from(flex.is_all()))
        .execute(&mut **tx)
        .await?;
    if let Individual::Products(set) = flex {
        for p in set {
            sqlx::query("INSERT INTO group_flex_products (group_id, product_id) VALUES ($1, $2)")
                .bind(group)
                .bind(p)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// The person's own Flex access and selection (not a group's), if they have one.
pub async fn own_flex(
    conn: &mut AnyConnection,
    team: &TeamId,
    account: &UserId,
) -> Result<Option<Individual>> {
    let Some(row) = sqlx::query("SELECT own, own_all FROM flex_users WHERE team_id = $1 AND account_id = $2")
        .bind(team.as_str())
        .bind(account.as_str())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    if !get_flag(&row, "own")? {
        return Ok(None);
    }
    if get_flag(&row, "own_all")? {
        return Ok(Some(Individual::All));
    }
    let products =
        sqlx::query("SELECT product_id FROM flex_own_products WHERE team_id = $1 AND account_id = $2")
            .bind(team.as_str())
            .bind(account.as_str())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok(r.try_get("product_id")?))
            .collect::<Result<BTreeSet<String>>>()?;
    Ok(Some(Individual::Products(products)))
}

/// Recomputes the person's Flex access (the rows licensing reads) from their own and their
/// groups' (`domain::groups::combined_flex`): a Flex user by some route, with the union of
/// the selections, or no Flex user at all. Whether anything changed.
pub async fn refresh_flex(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let grants = grants_of(tx, team, account).await?;
    refresh_flex_with(tx, (team, account), &grants, by, now).await
}

/// As `refresh_flex`, with the person's group grants already read (a caller recomputing
/// their seats from the same grants need not read them twice).
pub async fn refresh_flex_with(
    tx: &mut Transaction<'_, Any>,
    (team, account): (&TeamId, &UserId),
    grants: &[GroupGrant],
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let own = own_flex(tx, team, account).await?;
    let wanted = crate::domain::groups::combined_flex(own.as_ref(), grants);
    let current = super::flex::individual(tx, team, account).await?;
    if current == wanted {
        return Ok(false);
    }
    let Some(wanted) = wanted else {
        sqlx::query("DELETE FROM flex_user_products WHERE team_id = $1 AND account_id = $2")
            .bind(team.as_str())
            .bind(account.as_str())
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM flex_users WHERE team_id = $1 AND account_id = $2")
            .bind(team.as_str())
            .bind(account.as_str())
            .execute(&mut **tx)
            .await?;
        return Ok(true);
    };
    if current.is_none() {
        // Only a group makes them a Flex user: no own access, no own selection.
        sqlx::query(
            "INSERT INTO flex_users (team_id, account_id, all_products, assigned_at, assigned_by, own, own_all) \
             VALUES ($1, $2, 0, $3, $4, 0, 0)",
        )
        .bind(team.as_str())
        .bind(account.as_str())
        .bind(super::ts(now))
        .bind(by)
        .execute(&mut **tx)
        .await?;
    }
    super::flex::set_result(tx, team, account, &wanted).await?;
    Ok(true)
}

/// The seat products assigned to the person themself (not only through a group).
pub async fn own_seats(
    conn: &mut AnyConnection,
    team: &TeamId,
    account: &UserId,
) -> Result<BTreeSet<String>> {
    sqlx::query("SELECT product_id FROM assignments WHERE team_id = $1 AND account_id = $2 AND own = 1")
        .bind(team.as_str())
        .bind(account.as_str())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("product_id")?))
        .collect()
}

/// Makes the person's `assignments` rows hold exactly `wanted`: a row for a product only a
/// group gives is added (`own = 0`), one that neither they nor a group give any more goes.
/// Their own rows are never touched here. The products added and taken away.
pub async fn sync_seats(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    account: &UserId,
    wanted: &BTreeSet<String>,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, Vec<String>)> {
    let current: Vec<(String, i64)> =
        sqlx::query("SELECT product_id, own FROM assignments WHERE team_id = $1 AND account_id = $2")
            .bind(team.as_str())
            .bind(account.as_str())
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("product_id")?, r.try_get("own")?)))
            .collect::<Result<_>>()?;
    let held: BTreeSet<&String> = current.iter().map(|(p, _)| p).collect();
    let mut added = Vec::new();
    for p in wanted.iter().filter(|p| !held.contains(p)) {
        sqlx::query(
            "INSERT INTO assignments (team_id, account_id, product_id, assigned_at, assigned_by, own) \
             VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(team.as_str())
        .bind(account.as_str())
        .bind(p)
        .bind(ts(now))
        .bind(by)
        .execute(&mut **tx)
        .await?;
        added.push(p.clone());
    }
    let mut removed = Vec::new();
    for (p, _) in current.iter().filter(|(p, own)| *own == 0 && !wanted.contains(p)) {
        sqlx::query("DELETE FROM assignments WHERE team_id = $1 AND account_id = $2 AND product_id = $3")
            .bind(team.as_str())
            .bind(account.as_str())
            .bind(p)
            .execute(&mut **tx)
            .await?;
        removed.push(p.clone());
    }
    Ok((added, removed))
}

/// The groups the person is in, by name: (id, name).
pub async fn groups_of(
    conn: &mut AnyConnection,
    team: &TeamId,
    account: &UserId,
) -> Result<Vec<(String, String)>> {
    sqlx::query(
        "SELECT g.id, g.name FROM group_members gm JOIN groups g ON g.id = gm.group_id \
         WHERE gm.team_id = $1 AND gm.account_id = $2 ORDER BY g.name_key",
    )
    .bind(team.as_str())
    .bind(account.as_str())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
    .collect()
}

/// The group's members as the people lists show them, by name, one page, and how many.
pub async fn member_rows(
    conn: &mut AnyConnection,
    team: &TeamId,
    group: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<super::people::MemberRow>, i64)> {
    use super::people::{member_from, MEMBER_COLS};
    let rows = sqlx::query(&format!(
        "SELECT {MEMBER_COLS} FROM group_members gm \
         JOIN memberships m ON m.team_id = gm.team_id AND m.account_id = gm.account_id \
         JOIN accounts a ON a.id = m.account_id \
         WHERE gm.group_id = $1 AND gm.team_id = $2 \
         ORDER BY LOWER(COALESCE(m.invited_name, a.name)), a.id LIMIT $3 OFFSET $4"
    ))
    .bind(group)
    .bind(team.as_str())
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM group_members WHERE group_id = $1 AND team_id = $2")
            .bind(group)
            .bind(team.as_str())
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    Ok((rows.iter().map(member_from).collect::<Result<_>>()?, total))
}

/// Of `accounts`, those who hold `product` only through a group (their `assignments` row
/// is not their own): what the product page cannot unassign.
pub async fn group_only_holders(
    conn: &mut AnyConnection,
    team: &TeamId,
    product: &str,
    accounts: &[String],
) -> Result<BTreeSet<String>> {
    if accounts.is_empty() {
        return Ok(BTreeSet::new());
    }
    let list = (0..accounts.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT account_id FROM assignments WHERE team_id = $1 AND product_id = $2 AND own = 0 \
         AND account_id IN ({list})"
    );
    let mut q = sqlx::query(&sql).bind(team.as_str()).bind(product);
    for a in accounts {
        q = q.bind(a.as_str());
    }
    q.fetch_all(&mut *conn).await?.iter().map(|r| Ok(r.try_get("account_id")?)).collect()
}
