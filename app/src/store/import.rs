//! R-IMP1: applying a validated CSV import file to a team, in one transaction.
//!
//! What a row means:
//! - its email names the person: a new email makes a new account (no password, the row's
//!   name or an empty name) and an *invited* membership with an invitation that is **not**
//!   emailed (`emailed = 0`); no outbox message is ever written by an import;
//! - an account that exists but is not in the team gets the same invited membership;
//! - each product code becomes an explicit assignment when the team holds a live
//!   subscription or trial for it (seat limits apply, counting existing assignments and
//!   earlier rows of the file), otherwise Flex access when the catalogue has it with Flex;
//!   `*` is Flex access to all Flex products (R-FX1 "all", later additions included);
//! - `guest` sets the membership's guest flag, only when the file has a `guest` column.
//!
//! Import only **adds**: assignments and Flex access not listed in the file are kept, and
//! the names of existing accounts are kept (an empty name is filled in from the file).
//! So importing the same file again changes nothing: every row is then `unchanged`.
//!
//! All-or-nothing: with any error (from validation or found here) nothing is written unless
//! the caller asked for the valid rows only. A dry run does the whole import inside the
//! transaction and rolls it back, so its report is exactly what the real run would say.
//! The work is a fixed number of set-wise queries (preloads, multi-row INSERTs of up to
//! [`BATCH`] rows), not a query per row, so 100,000 rows take seconds.
use super::audit::{self, Actor};
use super::{get_flag, new_id, ts, Db, Result, StoreError};
use crate::domain::csv_import::{Column, ProductSpec, RowError, Validated};
use crate::domain::{invitation, TeamId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Rows per multi-row statement. Not more: sqlx's SQLite driver asks SQLite for every
/// parameter's name, which takes time linear in the statement's parameter count, so binding
/// costs grow with its square. Measured on 100,000 rows: 500 rows a statement 4.2 s, 200 3.1 s,
/// 100 2.6 s, 50 2.9 s. Values common to all rows (team, instant) are bound once, so a
/// statement has at most 3 × 100 + 4 parameters, far below any database's limit.
pub const BATCH: usize = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Compute the report, write nothing.
    pub dry_run: bool,
    /// Import the valid rows of a file that has errors (the errors are still reported).
    pub valid_rows_only: bool,
    /// What was imported, for the audit log (usually the file name).
    pub source: String,
}

pub use crate::domain::csv_import::ImportReport;

impl Db {
    /// Every product code in the catalogue (what an import file is validated against).
    pub async fn product_codes(&self) -> Result<BTreeSet<String>> {
        let rows = sqlx::query("SELECT code FROM products").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get("code")?)).collect()
    }
}

struct Product {
    id: String,
    name: String,
    flex: bool,
}

struct Person {
    account_id: String,
    name: String,
    /// `None` when the account is not a member of the team.
    guest: Option<bool>,
}

#[derive(Default)]
struct FlexState {
    all: bool,
    products: HashSet<String>,
    /// A Flex user only through a group: no own access yet.
    group_only: bool,
}

/// What the import writes, gathered before any write.
#[derive(Default)]
struct Plan {
    /// (id, email, name)
    accounts: Vec<(String, String, String)>,
    /// (account id, guest, the file's name for an account that exists outside the team:
    /// the team sees it until the person accepts)
    members: Vec<(String, bool, Option<String>)>,
    /// (account id, name)
    name_fills: Vec<(String, String)>,
    /// (account id, guest)
    guest_changes: Vec<(String, bool)>,
    /// (account id, product id)
    assignments: Vec<(String, String)>,
    /// (account id, all products)
    flex_users: Vec<(String, bool)>,
    flex_all: Vec<String>,
    /// (account id, product id)
    flex_products: Vec<(String, String)>,
    /// (account id, all products): people a group made Flex users, now given their own.
    flex_owns: Vec<(String, bool)>,
    /// Accounts whose Flex access comes partly through a group: their result rows are
    /// recomputed after the own rows are written.
    flex_refresh: HashSet<String>,
    /// R-GRP1: (group id, account id) of people the file puts in a group.
    group_adds: Vec<(String, String)>,
    /// (account id, product id): seats the new group routes give, held by no route yet.
    group_seats: Vec<(String, String)>,
    /// (account id, product id): seats held only through a group that the file assigns
    /// to the person themself (one seat still; now also their own).
    own_marks: Vec<(String, String)>,
}

/// A group of the team as the import resolves names: id, name, synced.
struct TeamGroup {
    id: String,
    name: String,
    synced: bool,
    /// Its seat products (ids).
    seats: Vec<String>,
}

/// The team's groups by name key, and who is in which: three queries.
async fn load_groups(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
) -> Result<(HashMap<String, TeamGroup>, HashSet<(String, String)>)> {
    let mut groups = HashMap::new();
    for r in sqlx::query("SELECT id, name, name_key, synced FROM groups WHERE team_id = $1")
        .bind(team.as_str())
        .fetch_all(&mut **tx)
        .await?
    {
        let g = TeamGroup {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            synced: get_flag(&r, "synced")?,
            seats: vec![],
        };
        groups.insert(r.try_get::<String, _>("name_key")?, g);
    }
    let mut seats: HashMap<String, Vec<String>> = HashMap::new();
    for r in sqlx::query(
        "SELECT gs.group_id, gs.product_id FROM group_seats gs JOIN groups g ON g.id = gs.group_id WHERE g.team_id = $1",
    )
    .bind(team.as_str())
    .fetch_all(&mut **tx)
    .await?
    {
        seats.entry(r.try_get("group_id")?).or_default().push(r.try_get("product_id")?);
    }
    for g in groups.values_mut() {
        g.seats = seats.remove(&g.id).unwrap_or_default();
    }
    let members = sqlx::query("SELECT group_id, account_id FROM group_members WHERE team_id = $1")
        .bind(team.as_str())
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("group_id")?, r.try_get("account_id")?)))
        .collect::<Result<HashSet<(String, String)>>>()?;
    Ok((groups, members))
}

/// Imports `validated` into `team`. See the module documentation for the rules.
pub async fn import(
    db: &Db,
    team: &TeamId,
    validated: &Validated,
    opts: ImportOptions,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    let mut tx = db.pool.begin().await?;
    // A no-op write first: it takes SQLite's write lock now (instead of failing to upgrade a
    // read snapshot later) and on PostgreSQL locks the team row, so two imports into one
    // team cannot both count the same free seats.
    let locked = sqlx::query("UPDATE teams SET name = name WHERE id = $1")
        .bind(team.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if locked == 0 {
        return Err(StoreError::NotFound);
    }

    let catalogue = load_catalogue(&mut tx).await?;
    let seats = load_seats(&mut tx, team, now).await?;
    let (mut people, mut assigned, mut flex) = load_team(&mut tx, team).await?;
    let group_only = group_only_seats(&mut tx, team).await?;
    let (groups, mut in_groups) = load_groups(&mut tx, team).await?;
    let (flex_groups, flex_grouped) = load_flex_groups(&mut tx, team).await?;
    let outsiders: Vec<&str> =
        validated.rows.iter().map(|r| r.email.as_str()).filter(|e| !people.contains_key(*e)).collect();
    load_accounts(&mut tx, &outsiders, &mut people).await?;
    let mut used: HashMap<String, i64> = HashMap::new();
    for (_, pid) in &assigned {
        *used.entry(pid.clone()).or_default() += 1;
    }

    let has_guest = validated.columns.contains(&Column::Guest);
    let mut errors = validated.errors.clone();
    let mut plan = Plan::default();
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    for row in &validated.rows {
        // Which products the row asks for, and how the team can give them.
        let mut to_assign: Vec<&Product> = Vec::new();
        let mut flex_codes: Vec<&Product> = Vec::new();
        let flex_all = row.products == ProductSpec::All;
        let mut reasons = Vec::new();
        if let ProductSpec::Codes(codes) = &row.products {
            for code in codes {
                match catalogue.get(code) {
                    Some(p) if seats.contains_key(&p.id) => to_assign.push(p),
                    Some(p) if p.flex => flex_codes.push(p),
                    _ => reasons.push(ImportReport::unusable_code(code)),
                }
            }
        }
        // R-GRP1: the groups the row names, each an unsynced group of the team.
        let mut row_groups: Vec<&TeamGroup> = Vec::new();
        for name in &row.groups {
            match groups.get(&name.key()) {
                None => reasons.push(format!(
                    "this team has no group called \"{name}\"; create it on Users by group first"
                )),
                Some(g) if g.synced => reasons.push(format!(
                    "\"{}\" is synced from your company's directory; its members change there",
                    g.name
                )),
                Some(g) => row_groups.push(g),
            }
        }
        let person = people.get(row.email.as_str());
        let member = person.filter(|p| p.guest.is_some());
        // Seats: only assignments the member does not already have take one.
        let new_seats: Vec<&Product> = to_assign
            .iter()
            .copied()
            .filter(|p| !member.is_some_and(|m| assigned.contains(&(m.account_id.clone(), p.id.clone()))))
            .collect();
        // Groups the person is not in yet, and the seats they give that nothing gives yet.
        let account_of = member.map(|m| m.account_id.clone());
        let joins: Vec<&TeamGroup> = row_groups
            .iter()
            .copied()
            .filter(|g| !account_of.as_ref().is_some_and(|a| in_groups.contains(&(g.id.clone(), a.clone()))))
            .collect();
        let mut through_groups: Vec<(String, &str)> = Vec::new();
        for g in &joins {
            for pid in &g.seats {
                let held = account_of.as_ref().is_some_and(|a| assigned.contains(&(a.clone(), pid.clone())))
                    || new_seats.iter().any(|p| &p.id == pid)
                    || through_groups.iter().any(|(q, _)| q == pid);
                // A product the team no longer holds gives nothing through the group.
                if !held && seats.contains_key(pid) {
                    through_groups.push((pid.clone(), g.name.as_str()));
                }
            }
        }
        if reasons.is_empty() {
            for (pid, group) in &through_groups {
                let limit = seats.get(pid).copied().unwrap_or(0);
                if used.get(pid).copied().unwrap_or(0) + 1 > limit {
                    reasons.push(format!(
                        "the group \"{group}\" gives {} and all of its {limit} seat{} are assigned, counting \
                         earlier rows of this file; unassign someone first or remove the group from this row",
                        code_of(&catalogue, pid),
                        if limit == 1 { "" } else { "s" },
                    ));
                }
            }
            for p in &new_seats {
                let limit = seats.get(&p.id).copied().unwrap_or(0);
                if used.get(&p.id).copied().unwrap_or(0) + 1 > limit {
                    reasons.push(format!(
                        "\"{}\" has {limit} seat{} and all of them are assigned, counting earlier rows \
                         of this file; unassign someone first or remove {} from this row",
                        p.name,
                        if limit == 1 { "" } else { "s" },
                        code_of(&catalogue, &p.id)
                    ));
                }
            }
        }
        if !reasons.is_empty() {
            errors.push(RowError { line: row.line, reason: reasons.join("; ") });
            continue;
        }
        for p in &new_seats {
            *used.entry(p.id.clone()).or_default() += 1;
        }
        for (pid, _) in &through_groups {
            *used.entry(pid.clone()).or_default() += 1;
        }

        let row_name = row.name.as_ref().map(|n| n.as_str().to_string()).unwrap_or_default();
        let fill_name = person.is_some_and(|p| p.name.is_empty() && !row_name.is_empty());
        let (account_id, is_new_member) = match person {
            Some(p) => {
                if fill_name {
                    plan.name_fills.push((p.account_id.clone(), row_name.clone()));
                }
                match p.guest {
                    Some(_) => (p.account_id.clone(), false),
                    None => {
                        let typed = (!row_name.is_empty()).then(|| row_name.clone());
                        plan.members.push((p.account_id.clone(), row.guest, typed));
                        (p.account_id.clone(), true)
                    }
                }
            }
            None => {
                let id = new_id();
                plan.accounts.push((id.clone(), row.email.as_str().to_string(), row_name.clone()));
                plan.members.push((id.clone(), row.guest, None));
                (id, true)
            }
        };
        let mut changed = is_new_member || fill_name;
        if let Some(Some(guest)) = member.map(|m| m.guest) {
            if has_guest && guest != row.guest {
                plan.guest_changes.push((account_id.clone(), row.guest));
                changed = true;
            }
        }
        for p in &new_seats {
            plan.assignments.push((account_id.clone(), p.id.clone()));
            assigned.insert((account_id.clone(), p.id.clone()));
            changed = true;
        }
        // A seat named in the row that only a group gives becomes the person's own too.
        for p in &to_assign {
            if group_only.contains(&(account_id.clone(), p.id.clone())) {
                plan.own_marks.push((account_id.clone(), p.id.clone()));
                changed = true;
            }
        }
        if joins.iter().any(|g| flex_groups.contains(&g.id)) {
            plan.flex_refresh.insert(account_id.clone());
        }
        for g in &joins {
            plan.group_adds.push((g.id.clone(), account_id.clone()));
            in_groups.insert((g.id.clone(), account_id.clone()));
            changed = true;
        }
        for (pid, _) in &through_groups {
            plan.group_seats.push((account_id.clone(), pid.clone()));
            assigned.insert((account_id.clone(), pid.clone()));
        }
        if flex_all || !flex_codes.is_empty() {
            if flex_grouped.contains(&account_id) || joins.iter().any(|g| flex_groups.contains(&g.id)) {
                plan.flex_refresh.insert(account_id.clone());
            }
            match flex.get(&account_id) {
                Some(state) if state.group_only => {
                    plan.flex_owns.push((account_id.clone(), flex_all));
                    plan.flex_refresh.insert(account_id.clone());
                    if !flex_all {
                        for p in &flex_codes {
                            plan.flex_products.push((account_id.clone(), p.id.clone()));
                        }
                    }
                    changed = true;
                }
                None => {
                    plan.flex_users.push((account_id.clone(), flex_all));
                    if !flex_all {
                        for p in &flex_codes {
                            plan.flex_products.push((account_id.clone(), p.id.clone()));
                        }
                    }
                    changed = true;
                }
                Some(state) if state.all => {}
                Some(_) if flex_all => {
                    plan.flex_all.push(account_id.clone());
                    changed = true;
                }
                Some(state) => {
                    for p in flex_codes.iter().filter(|p| !state.products.contains(&p.id)) {
                        plan.flex_products.push((account_id.clone(), p.id.clone()));
                        changed = true;
                    }
                }
            }
            // Later rows never name the same person (validation refuses duplicate emails),
            // but keep the in-memory state truthful anyway.
            let state = flex.entry(account_id.clone()).or_default();
            state.group_only = false;
            state.all |= flex_all;
            state.products.extend(flex_codes.iter().map(|p| p.id.clone()));
        }
        if is_new_member {
            created += 1;
            people.insert(
                row.email.as_str().to_string(),
                Person { account_id, name: row_name, guest: Some(row.guest) },
            );
        } else if changed {
            updated += 1;
        } else {
            unchanged += 1;
        }
    }
    errors.sort_by_key(|e| e.line);

    let go = errors.is_empty() || (opts.valid_rows_only && created + updated + unchanged > 0);
    let mut report = ImportReport {
        rows: validated.total_rows,
        created,
        updated,
        unchanged,
        errors,
        imported: go,
        dry_run: opts.dry_run,
    };
    if !go {
        report.created = 0;
        report.updated = 0;
        report.unchanged = 0;
        tx.rollback().await?;
        return Ok(report);
    }
    write(&mut tx, team, &plan, actor.id, now).await?;
    if created + updated > 0 {
        let target = format!(
            "{}: {} row{}",
            if opts.source.is_empty() { "CSV import" } else { opts.source.as_str() },
            report.rows,
            if report.rows == 1 { "" } else { "s" }
        );
        let after = serde_json::json!({
            "rows": report.rows,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
            "errors": report.errors.len(),
            "valid_rows_only": opts.valid_rows_only,
        });
        audit::record(&mut tx, team, actor, "import", &target, None, Some(&after), now).await?;
    }
    if opts.dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
}

fn code_of<'a>(catalogue: &'a HashMap<String, Product>, id: &str) -> &'a str {
    catalogue.iter().find(|(_, p)| p.id == id).map_or("", |(code, _)| code.as_str())
}

async fn load_catalogue(tx: &mut Transaction<'_, Any>) -> Result<HashMap<String, Product>> {
    let rows = sqlx::query(
        "SELECT id, code, name, CASE WHEN flex_daily_rate IS NULL OR retired_at IS NOT NULL THEN 0 ELSE 1 END AS flex FROM products",
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("code")?,
                Product { id: r.try_get("id")?, name: r.try_get("name")?, flex: get_flag(r, "flex")? },
            ))
        })
        .collect()
}

/// Seats per product the team holds live now (several live rows for a product add up).
async fn load_seats(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    now: DateTime<Utc>,
) -> Result<HashMap<String, i64>> {
    let rows = sqlx::query(
        "SELECT product_id, CAST(SUM(seats) AS BIGINT) AS seats FROM team_products \
         WHERE team_id = $1 AND starts_at <= $2 AND ends_at > $2 GROUP BY product_id",
    )
    .bind(team.as_str())
    .bind(ts(now))
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("product_id")?, r.try_get("seats")?))).collect()
}

type TeamState = (HashMap<String, Person>, HashSet<(String, String)>, HashMap<String, FlexState>);

/// Members by email, their assignments and their Flex access: three queries.
async fn load_team(tx: &mut Transaction<'_, Any>, team: &TeamId) -> Result<TeamState> {
    let rows = sqlx::query(
        "SELECT a.id, a.email, COALESCE(m.invited_name, a.name) AS name, m.guest FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.team_id = $1",
    )
    .bind(team.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let mut people = HashMap::with_capacity(rows.len());
    for r in &rows {
        people.insert(
            r.try_get("email")?,
            Person {
                account_id: r.try_get("id")?,
                name: r.try_get("name")?,
                guest: Some(get_flag(r, "guest")?),
            },
        );
    }
    let rows = sqlx::query("SELECT account_id, product_id FROM assignments WHERE team_id = $1")
        .bind(team.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let assigned = rows
        .iter()
        .map(|r| Ok((r.try_get("account_id")?, r.try_get("product_id")?)))
        .collect::<Result<HashSet<(String, String)>>>()?;
    // The people's own Flex access (R-GRP1: a group's is not theirs to extend); someone a
    // group alone made a Flex user is marked `group_only`.
    let mut flex: HashMap<String, FlexState> = HashMap::new();
    for r in sqlx::query("SELECT account_id, own, own_all FROM flex_users WHERE team_id = $1")
        .bind(team.as_str())
        .fetch_all(&mut **tx)
        .await?
    {
        let state = flex.entry(r.try_get("account_id")?).or_default();
        state.all = get_flag(&r, "own_all")?;
        state.group_only = !get_flag(&r, "own")?;
    }
    for r in sqlx::query("SELECT account_id, product_id FROM flex_own_products WHERE team_id = $1")
        .bind(team.as_str())
        .fetch_all(&mut **tx)
        .await?
    {
        flex.entry(r.try_get("account_id")?).or_default().products.insert(r.try_get("product_id")?);
    }
    Ok((people, assigned, flex))
}

/// Groups of the team that give Flex access, and the people in them.
async fn load_flex_groups(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
) -> Result<(HashSet<String>, HashSet<String>)> {
    let groups = sqlx::query(
        "SELECT gf.group_id FROM group_flex gf JOIN groups g ON g.id = gf.group_id WHERE g.team_id = $1",
    )
    .bind(team.as_str())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| Ok(r.try_get("group_id")?))
    .collect::<Result<HashSet<String>>>()?;
    let people = sqlx::query(
        "SELECT DISTINCT gm.account_id FROM group_members gm JOIN group_flex gf ON gf.group_id = gm.group_id \
         WHERE gm.team_id = $1",
    )
    .bind(team.as_str())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| Ok(r.try_get("account_id")?))
    .collect::<Result<HashSet<String>>>()?;
    Ok((groups, people))
}

/// (account, product) of seats held only through a group (no own route).
async fn group_only_seats(tx: &mut Transaction<'_, Any>, team: &TeamId) -> Result<HashSet<(String, String)>> {
    sqlx::query("SELECT account_id, product_id FROM assignments WHERE team_id = $1 AND own = 0")
        .bind(team.as_str())
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("account_id")?, r.try_get("product_id")?)))
        .collect()
}

/// Accounts outside the team that the file names, looked up [`BATCH`] emails at a time.
async fn load_accounts(
    tx: &mut Transaction<'_, Any>,
    emails: &[&str],
    people: &mut HashMap<String, Person>,
) -> Result<()> {
    for chunk in emails.chunks(BATCH) {
        let sql = format!("SELECT id, email, name FROM accounts WHERE email IN ({})", params(1, chunk.len()));
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q.bind(*e);
        }
        for r in q.fetch_all(&mut **tx).await? {
            people.insert(
                r.try_get("email")?,
                Person { account_id: r.try_get("id")?, name: r.try_get("name")?, guest: None },
            );
        }
    }
    Ok(())
}

/// `$from, $from+1, …` (`n` placeholders).
fn params(from: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 6);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('$');
        s.push_str(&(from + i).to_string());
    }
    s
}

/// `template` once per row, each `?` in it replaced by the next placeholder from `$from` on.
fn rows_sql(template: &str, from: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(rows * (template.len() + 16));
    let mut next = from;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        for ch in template.chars() {
            if ch == '?' {
                sql.push('$');
                sql.push_str(&next.to_string());
                next += 1;
            } else {
                sql.push(ch);
            }
        }
    }
    sql
}

#[derive(Clone, Copy)]
enum Arg<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
}

fn bind<'q>(q: Query<'q, Any, AnyArguments<'q>>, a: Arg<'q>) -> Query<'q, Any, AnyArguments<'q>> {
    match a {
        Arg::Text(s) => q.bind(s),
        Arg::OptText(s) => q.bind(s),
        Arg::Int(i) => q.bind(i),
    }
}

/// Multi-row `INSERT INTO {into} VALUES {row}, {row}, …`, [`BATCH`] rows per statement.
/// `shared` are bound once as `$1…$k` (team, instant: the same for every row); each `?` of
/// `row` takes the next value of `args` (row-major, `per_row` values a row).
async fn insert<'a>(
    tx: &mut Transaction<'_, Any>,
    into: &str,
    row: &str,
    shared: &[Arg<'a>],
    per_row: usize,
    args: &[Arg<'a>],
) -> Result<()> {
    for chunk in args.chunks(BATCH * per_row) {
        let sql =
            format!("INSERT INTO {into} VALUES {}", rows_sql(row, shared.len() + 1, chunk.len() / per_row));
        let mut q = sqlx::query(&sql);
        for a in shared.iter().chain(chunk) {
            q = bind(q, *a);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `UPDATE … WHERE team_id = $1 AND account_id IN (…)` over `ids`, [`BATCH`] at a time.
/// `head` is the statement up to the IN list; `$1` is the team, `$2` an optional value.
async fn update_members(
    tx: &mut Transaction<'_, Any>,
    head: &str,
    team: &TeamId,
    value: Option<i64>,
    ids: &[&str],
) -> Result<()> {
    let first = if value.is_some() { 3 } else { 2 };
    for chunk in ids.chunks(BATCH) {
        let sql = format!("{head} ({})", params(first, chunk.len()));
        let mut q = sqlx::query(&sql).bind(team.as_str());
        if let Some(v) = value {
            q = q.bind(v);
        }
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn write(
    tx: &mut Transaction<'_, Any>,
    team: &TeamId,
    plan: &Plan,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let now_s = ts(now);
    let t = team.as_str();

    let mut args = Vec::with_capacity(plan.accounts.len() * 3);
    for (id, email, name) in &plan.accounts {
        args.extend([Arg::Text(id), Arg::Text(email), Arg::Text(name)]);
    }
    let now_arg = [Arg::Text(&now_s)];
    insert(
        tx,
        "accounts (id, email, name, password_hash, created_at)",
        "(?, ?, ?, NULL, $1)",
        &now_arg,
        3,
        &args,
    )
    .await?;

    let mut args = Vec::with_capacity(plan.members.len() * 3);
    for (id, guest, typed) in &plan.members {
        args.extend([Arg::Text(id), Arg::Int(i64::from(*guest)), Arg::OptText(typed.as_deref())]);
    }
    let team_now = [Arg::Text(t), Arg::Text(&now_s)];
    insert(
        tx,
        "memberships (team_id, account_id, role, guest, status, created_at, invited_name)",
        "($1, ?, 'member', ?, 'invited', $2, ?)",
        &team_now,
        3,
        &args,
    )
    .await?;

    // One invitation per new membership, never emailed, so no token exists for it: the
    // stored "hash" is 256 random bits that no token hashes to. The admin sends a working
    // link later with "Resend".
    let expires_s = ts(invitation::expires_at(now));
    let invitations: Vec<(String, String)> =
        plan.members.iter().map(|_| (new_id(), unusable_token_hash())).collect();
    let mut args = Vec::with_capacity(plan.members.len() * 3);
    for ((account, _, _), (id, hash)) in plan.members.iter().zip(&invitations) {
        args.extend([Arg::Text(id), Arg::Text(account), Arg::Text(hash)]);
    }
    insert(
        tx,
        "invitations (id, team_id, account_id, token_hash, sent_at, expires_at, emailed, created_by)",
        "(?, $1, ?, ?, $2, $3, 0, $4)",
        &[Arg::Text(t), Arg::Text(&now_s), Arg::Text(&expires_s), Arg::OptText(by)],
        3,
        &args,
    )
    .await?;

    for chunk in plan.name_fills.chunks(BATCH) {
        // UPDATE accounts SET name = CASE id WHEN $1 THEN $2 … END WHERE id IN (…) AND name = ''
        let cases: String =
            (0..chunk.len()).map(|i| format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2)).collect();
        let sql = format!(
            "UPDATE accounts SET name = CASE id{cases} ELSE name END WHERE name = '' AND id IN ({})",
            params(2 * chunk.len() + 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for (id, name) in chunk {
            q = q.bind(id.as_str()).bind(name.as_str());
        }
        for (id, _) in chunk {
            q = q.bind(id.as_str());
        }
        q.execute(&mut **tx).await?;
    }

    for guest in [false, true] {
        let ids: Vec<&str> =
            plan.guest_changes.iter().filter(|(_, g)| *g == guest).map(|(id, _)| id.as_str()).collect();
        update_members(
            tx,
            "UPDATE memberships SET guest = $2 WHERE team_id = $1 AND account_id IN",
            team,
            Some(i64::from(guest)),
            &ids,
        )
        .await?;
    }

    let mut args = Vec::with_capacity(plan.assignments.len() * 2);
    for (account, product) in &plan.assignments {
        args.extend([Arg::Text(account), Arg::Text(product)]);
    }
    insert(
        tx,
        "assignments (team_id, account_id, product_id, assigned_at, assigned_by)",
        "($1, ?, ?, $2, $3)",
        &[Arg::Text(t), Arg::Text(&now_s), Arg::OptText(by)],
        2,
        &args,
    )
    .await?;

    let mut args = Vec::with_capacity(plan.group_seats.len() * 2);
    for (account, product) in &plan.group_seats {
        args.extend([Arg::Text(account), Arg::Text(product)]);
    }
    insert(
        tx,
        "assignments (team_id, account_id, product_id, assigned_at, assigned_by, own)",
        "($1, ?, ?, $2, $3, 0)",
        &[Arg::Text(t), Arg::Text(&now_s), Arg::OptText(by)],
        2,
        &args,
    )
    .await?;
    for (account, product) in &plan.own_marks {
        sqlx::query(
            "UPDATE assignments SET own = 1 WHERE team_id = $1 AND account_id = $2 AND product_id = $3",
        )
        .bind(t)
        .bind(account.as_str())
        .bind(product.as_str())
        .execute(&mut **tx)
        .await?;
    }
    let mut args = Vec::with_capacity(plan.group_adds.len() * 2);
    for (group, account) in &plan.group_adds {
        args.extend([Arg::Text(group), Arg::Text(account)]);
    }
    insert(
        tx,
        "group_members (team_id, group_id, account_id, added_at)",
        "($1, ?, ?, $2)",
        &[Arg::Text(t), Arg::Text(&now_s)],
        2,
        &args,
    )
    .await?;

    // Flex: the person's own access and selection, and (for everyone whom no group gives
    // Flex) the same as the result licensing reads; the others are recomputed at the end.
    let mut args = Vec::with_capacity(plan.flex_users.len() * 3);
    for (account, all) in &plan.flex_users {
        args.extend([Arg::Text(account), Arg::Int(i64::from(*all)), Arg::Int(i64::from(*all))]);
    }
    insert(
        tx,
        "flex_users (team_id, account_id, all_products, own_all, assigned_at, assigned_by)",
        "($1, ?, ?, ?, $2, $3)",
        &[Arg::Text(t), Arg::Text(&now_s), Arg::OptText(by)],
        3,
        &args,
    )
    .await?;
    for (account, all) in &plan.flex_owns {
        sqlx::query("UPDATE flex_users SET own = 1, own_all = $3 WHERE team_id = $1 AND account_id = $2")
            .bind(t)
            .bind(account.as_str())
            .bind(i64::from(*all))
            .execute(&mut **tx)
            .await?;
    }

    // "All" replaces an explicit list, as the console stores it (store::flex::set_individual).
    let ids: Vec<&str> = plan.flex_all.iter().map(String::as_str).collect();
    update_members(
        tx,
        "UPDATE flex_users SET all_products = 1, own_all = 1 WHERE team_id = $1 AND account_id IN",
        team,
        None,
        &ids,
    )
    .await?;
    for table in ["flex_user_products", "flex_own_products"] {
        update_members(
            tx,
            &format!("DELETE FROM {table} WHERE team_id = $1 AND account_id IN"),
            team,
            None,
            &ids,
        )
        .await?;
    }

    let mut own = Vec::with_capacity(plan.flex_products.len() * 2);
    let mut result = Vec::with_capacity(plan.flex_products.len() * 2);
    for (account, product) in &plan.flex_products {
        own.extend([Arg::Text(account), Arg::Text(product)]);
        if !plan.flex_refresh.contains(account) {
            result.extend([Arg::Text(account), Arg::Text(product)]);
        }
    }
    insert(tx, "flex_own_products (team_id, account_id, product_id)", "($1, ?, ?)", &[Arg::Text(t)], 2, &own)
        .await?;
    insert(
        tx,
        "flex_user_products (team_id, account_id, product_id)",
        "($1, ?, ?)",
        &[Arg::Text(t)],
        2,
        &result,
    )
    .await?;
    for account in &plan.flex_refresh {
        let id = crate::domain::UserId::parse(account).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        super::groups::refresh_flex(tx, team, &id, by, now).await?;
    }
    Ok(())
}

/// A token hash with no token: 32 random bytes in the hex form of a SHA-256 hash.
fn unusable_token_hash() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert_eq!(params(3, 2), "$3, $4");
        assert_eq!(rows_sql("(?, $1, ?)", 2, 2), "($2, $1, $3), ($4, $1, $5)");
    }

    #[test]
    fn report_keys_follow_the_contract() {
        let r = ImportReport {
            rows: 3,
            created: 1,
            updated: 1,
            unchanged: 0,
            errors: vec![RowError { line: 4, reason: "x".into() }],
            imported: true,
            dry_run: false,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"rows":3,"created":1,"updated":1,"unchanged":0,"errors":[{"line":4,"reason":"x"}],"imported":true,"dry_run":false}"#
        );
    }
}
