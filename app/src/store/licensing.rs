//! Licensing data (R-LIC1..5): products by code, what a person holds, devices, the one
//! active session, usage windows and Flex charges.
use super::ledger::{ledger_entry, lock_teams, team_lots};
use super::{changed_a_row, get_opt_team_id, get_opt_ts, get_team_id, get_ts, new_id, ts, Db, Result};
use crate::domain::access::{held_through_team, FlexFacts, TeamHolding};
use crate::domain::ledger;
use crate::domain::licensing::{LicenseType, MAX_DEVICES};
use crate::domain::{TeamId, UserId};
use chrono::{DateTime, Duration, Utc};
use sqlx::{Any, Row, Transaction};

/// Last-seen and heartbeat columns are rewritten at most this often: a product checking in
/// every few seconds costs reads, not writes. (A session then lapses up to this much later.)
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

#[derive(Clone, Debug)]
pub struct ProductRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub flex_daily_rate: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct DeviceRow {
    pub device_id: String,
    pub name: String,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct SessionRow {
    pub device_id: String,
    pub device_name: Option<String>,
    pub heartbeat_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct WindowRow {
    pub id: String,
    pub team_id: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub tokens: i64,
}

/// A device of a person as the By User page lists it.
#[derive(Clone, Debug)]
pub struct MemberDevice {
    pub product_id: String,
    pub product_code: String,
    pub product_name: String,
    pub device_id: String,
    pub name: String,
    pub registered_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub session_heartbeat: Option<DateTime<Utc>>,
}

/// Everything an authorization reads about a person, a product and a device, as one row.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The first team (by id) giving a subscription seat, and when that seat was last used.
    pub subscription: Option<(TeamId, Option<DateTime<Utc>>)>,
    pub trial: Option<(TeamId, Option<DateTime<Utc>>)>,
    pub device_count: i64,
    /// This device, if registered.
    pub device: Option<DeviceRow>,
    /// The session's holder (its name is not read here).
    pub session: Option<SessionRow>,
    pub open_subscription: bool,
    pub open_trial: bool,
    pub open_flex: bool,
}

pub enum Registration {
    Registered,
    Limit(Vec<String>),
}

pub enum Charge {
    /// Another authorization opened the window first; nothing charged.
    Covered(WindowRow),
    Charged {
        window: WindowRow,
        team_id: TeamId,
    },
    Insufficient {
        needed: i64,
        available: i64,
    },
}

fn window_from(r: &sqlx::any::AnyRow) -> Result<WindowRow> {
    Ok(WindowRow {
        id: r.try_get("id")?,
        team_id: r.try_get("team_id")?,
        opened_at: get_ts(r, "opened_at")?,
        closes_at: get_ts(r, "closes_at")?,
        tokens: r.try_get("tokens")?,
    })
}

/// Serialises a person's licensing writes (device registration, window opening, charges):
/// the SQLite write lock at once, or the account row's lock on PostgreSQL. Taken before any
/// team lock, always, so two transactions never wait on each other in opposite order.
async fn lock_account(tx: &mut Transaction<'_, Any>, account: &UserId) -> Result<()> {
    let done = sqlx::query("UPDATE accounts SET email = email WHERE id = $1")
        .bind(account.as_str())
        .execute(&mut **tx)
        .await?;
    changed_a_row(&done)
}

/// `ledger::window_covers` in SQL, with `$4` the request's time and `$5` that time plus
/// `FLEX_WINDOW` (bind them with `covers_binds`). Every window lasts `FLEX_WINDOW`, so
/// `closes_at > $4` is "opened less than 24 hours before" and uses the index on `closes_at`;
/// `opened_at < $5` also counts a window a concurrent request opened after this one arrived.
const COVERS: &str = "closes_at > $4 AND opened_at < $5";

fn covers_binds(now: DateTime<Utc>) -> (String, String) {
    (ts(now), ts(now + ledger::FLEX_WINDOW))
}

/// The person's window for the product and licence that covers `now`. Read under the
/// person's lock it decides whether to open one: it sees every window committed before the
/// lock was granted, including one opened by a request that arrived after this one.
async fn open_window_in<'e, E: sqlx::Executor<'e, Database = Any>>(
    ex: E,
    account: &UserId,
    product_id: &str,
    license: LicenseType,
    now: DateTime<Utc>,
) -> Result<Option<WindowRow>> {
    let (from, until) = covers_binds(now);
    let row = sqlx::query(&format!(
        "SELECT id, team_id, opened_at, closes_at, tokens FROM usage_windows \
         WHERE account_id = $1 AND product_id = $2 AND license_type = $3 AND {COVERS} \
         ORDER BY closes_at DESC LIMIT 1"
    ))
    .bind(account.as_str())
    .bind(product_id)
    .bind(license.as_str())
    .bind(from)
    .bind(until)
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(window_from).transpose()
}

/// Who used what where: the person, the product and the device of a usage window.
pub struct Usage<'a> {
    pub account: &'a UserId,
    pub product_id: &'a str,
    pub device: &'a str,
}

async fn insert_window(
    tx: &mut Transaction<'_, Any>,
    team: Option<&TeamId>,
    u: &Usage<'_>,
    license: LicenseType,
    tokens: i64,
    now: DateTime<Utc>,
) -> Result<WindowRow> {
    let w = WindowRow {
        id: new_id(),
        team_id: team.map(TeamId::to_string),
        opened_at: now,
        closes_at: now + ledger::FLEX_WINDOW,
        tokens,
    };
    sqlx::query(
        "INSERT INTO usage_windows (id, team_id, account_id, product_id, device_id, license_type, opened_at, closes_at, tokens) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&w.id)
    .bind(team.map(TeamId::as_str))
    .bind(u.account.as_str())
    .bind(u.product_id)
    .bind(u.device)
    .bind(license.as_str())
    .bind(ts(w.opened_at))
    .bind(ts(w.closes_at))
    .bind(tokens)
    .execute(&mut **tx)
    .await?;
    if let Some(team) = team {
        super::usage::record(tx, team, u.account, u.product_id, license.as_str(), now, tokens).await?;
    }
    Ok(w)
}

impl Db {
    /// The whole catalogue (a few dozen rows), for the licensing service's cache.
    pub async fn products(&self) -> Result<Vec<ProductRow>> {
        let rows =
            sqlx::query("SELECT id, code, name, CASE WHEN retired_at IS NULL THEN flex_daily_rate END AS flex_daily_rate FROM products").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(ProductRow {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    flex_daily_rate: r.try_get("flex_daily_rate")?,
                })
            })
            .collect()
    }

    pub async fn product_by_code(&self, code: &str) -> Result<Option<ProductRow>> {
        let row = sqlx::query("SELECT id, code, name, CASE WHEN retired_at IS NULL THEN flex_daily_rate END AS flex_daily_rate \
             FROM products WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(ProductRow {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                flex_daily_rate: r.try_get("flex_daily_rate")?,
            })
        })
        .transpose()
    }

    /// For each team where the person is an active Flex user: the facts that decide whether
    /// they may run the product (the rule itself is `access::allows`).
    pub async fn flex_facts(&self, account: &UserId, product_id: &str) -> Result<Vec<(TeamId, FlexFacts)>> {
        let rows = sqlx::query(
            "SELECT fu.team_id, m.guest, t.guest_defaults, fu.all_products, \
               CASE WHEN EXISTS (SELECT 1 FROM flex_defaults d WHERE d.team_id = fu.team_id) THEN 1 ELSE 0 END AS has_defaults, \
               CASE WHEN EXISTS (SELECT 1 FROM flex_defaults d WHERE d.team_id = fu.team_id AND d.product_id = $2) THEN 1 ELSE 0 END AS in_defaults, \
               CASE WHEN EXISTS (SELECT 1 FROM flex_user_products p WHERE p.team_id = fu.team_id AND p.account_id = fu.account_id AND p.product_id = $2) THEN 1 ELSE 0 END AS in_individual \
             FROM flex_users fu \
             JOIN memberships m ON m.team_id = fu.team_id AND m.account_id = fu.account_id \
             JOIN teams t ON t.id = fu.team_id \
             WHERE fu.account_id = $1 AND m.status = 'active' ORDER BY t.name, fu.team_id",
        )
        .bind(account.as_str())
        .bind(product_id)
        .fetch_all(&self.pool)
        .await?;
        let flag = |r: &sqlx::any::AnyRow, c: &str| -> Result<bool> { Ok(r.try_get::<i64, _>(c)? != 0) };
        rows.iter()
            .map(|r| {
                Ok((
                    get_team_id(r, "team_id")?,
                    FlexFacts {
                        guest: flag(r, "guest")?,
                        guest_defaults: flag(r, "guest_defaults")?,
                        has_defaults: flag(r, "has_defaults")?,
                        in_defaults: flag(r, "in_defaults")?,
                        all_products: flag(r, "all_products")?,
                        in_individual: flag(r, "in_individual")?,
                    },
                ))
            })
            .collect()
    }

    /// The authorization's reads as one single-row query: one round trip, one row (with
    /// SQLite every row is a hand-over between threads; this endpoint is the hottest path).
    pub async fn licensing_snapshot(
        &self,
        account: &UserId,
        product_id: &str,
        device: &str,
        now: DateTime<Utc>,
    ) -> Result<Snapshot> {
        const SEAT: &str = "FROM assignments a \
              JOIN memberships m ON m.team_id = a.team_id AND m.account_id = a.account_id \
              JOIN team_products tp ON tp.team_id = a.team_id AND tp.product_id = a.product_id \
             WHERE a.account_id = $1 AND a.product_id = $2 AND m.status = 'active' \
               AND tp.starts_at <= $4 AND tp.ends_at > $4";
        let (from, until) = covers_binds(now);
        let open = format!("FROM usage_windows WHERE account_id = $1 AND product_id = $2 AND {COVERS}");
        let sql = format!(
            "SELECT \
               (SELECT a.team_id {SEAT} AND tp.access = 'subscription' ORDER BY a.team_id LIMIT 1) AS sub_team, \
               (SELECT a.last_accessed_at {SEAT} AND tp.access = 'subscription' ORDER BY a.team_id LIMIT 1) AS sub_used, \
               (SELECT a.team_id {SEAT} AND tp.access = 'trial' ORDER BY a.team_id LIMIT 1) AS trial_team, \
               (SELECT a.last_accessed_at {SEAT} AND tp.access = 'trial' ORDER BY a.team_id LIMIT 1) AS trial_used, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM devices WHERE account_id = $1 AND product_id = $2) AS devices, \
               (SELECT name FROM devices WHERE account_id = $1 AND product_id = $2 AND device_id = $3) AS device_name, \
               (SELECT last_seen_at FROM devices WHERE account_id = $1 AND product_id = $2 AND device_id = $3) AS device_seen, \
               (SELECT device_id FROM license_sessions WHERE account_id = $1 AND product_id = $2) AS session_device, \
               (SELECT heartbeat_at FROM license_sessions WHERE account_id = $1 AND product_id = $2) AS session_beat, \
               (SELECT CAST(COUNT(*) AS BIGINT) {open} AND license_type = 'subscription') AS open_sub, \
               (SELECT CAST(COUNT(*) AS BIGINT) {open} AND license_type = 'trial') AS open_trial, \
               (SELECT CAST(COUNT(*) AS BIGINT) {open} AND license_type = 'flex') AS open_flex"
        );
        let r = sqlx::query(&sql)
            .bind(account.as_str())
            .bind(product_id)
            .bind(device)
            .bind(from)
            .bind(until)
            .fetch_one(&self.pool)
            .await?;
        let seat = |team: &str, used: &str| -> Result<Option<(TeamId, Option<DateTime<Utc>>)>> {
            Ok(match get_opt_team_id(&r, team)? {
                Some(t) => Some((t, get_opt_ts(&r, used)?)),
                None => None,
            })
        };
        let name: Option<String> = r.try_get("device_name")?;
        let this_device = match (name, get_opt_ts(&r, "device_seen")?) {
            (Some(name), Some(last_seen_at)) => {
                Some(DeviceRow { device_id: device.to_string(), name, last_seen_at })
            }
            _ => None,
        };
        let holder: Option<String> = r.try_get("session_device")?;
        let session = match (holder, get_opt_ts(&r, "session_beat")?) {
            (Some(device_id), Some(heartbeat_at)) => {
                Some(SessionRow { device_id, device_name: None, heartbeat_at })
            }
            _ => None,
        };
        let count = |c: &str| -> Result<i64> { Ok(r.try_get::<i64, _>(c)?) };
        Ok(Snapshot {
            subscription: seat("sub_team", "sub_used")?,
            trial: seat("trial_team", "trial_used")?,
            device_count: count("devices")?,
            device: this_device,
            session,
            open_subscription: count("open_sub")? > 0,
            open_trial: count("open_trial")? > 0,
            open_flex: count("open_flex")? > 0,
        })
    }

    /// The names of the person's devices for a product (for a `device_limit` refusal).
    pub async fn device_names(&self, account: &UserId, product_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT name FROM devices WHERE account_id = $1 AND product_id = $2 ORDER BY registered_at",
        )
        .bind(account.as_str())
        .bind(product_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("name")?)).collect()
    }

    /// Registers a device unless the person already has the maximum (checked again under
    /// the person's lock, so two new devices at once cannot both take the last place).
    pub async fn register_device(
        &self,
        account: &UserId,
        product_id: &str,
        device: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Registration> {
        let mut tx = self.pool.begin().await?;
        lock_account(&mut tx, account).await?;
        let names: Vec<(String, String)> = sqlx::query(
            "SELECT device_id, name FROM devices WHERE account_id = $1 AND product_id = $2 ORDER BY registered_at",
        )
        .bind(account.as_str())
        .bind(product_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("device_id")?, r.try_get("name")?)))
        .collect::<Result<_>>()?;
        if names.iter().any(|(d, _)| d == device) {
            return Ok(Registration::Registered);
        }
        if names.len() >= MAX_DEVICES {
            return Ok(Registration::Limit(names.into_iter().map(|(_, n)| n).collect()));
        }
        sqlx::query(
            "INSERT INTO devices (account_id, product_id, device_id, name, registered_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(account.as_str())
        .bind(product_id)
        .bind(device)
        .bind(name)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Registration::Registered)
    }

    /// Records that the device was seen (at most every `TOUCH_EVERY`); renames it if its
    /// name changed.
    pub async fn touch_device(
        &self,
        account: &UserId,
        product_id: &str,
        device: &DeviceRow,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if device.name == name && now - device.last_seen_at < TOUCH_EVERY {
            return Ok(());
        }
        sqlx::query(
            "UPDATE devices SET last_seen_at = $1, name = $2 WHERE account_id = $3 AND product_id = $4 AND device_id = $5",
        )
        .bind(ts(now))
        .bind(name)
        .bind(account.as_str())
        .bind(product_id)
        .bind(&device.device_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn license_session(&self, account: &UserId, product_id: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT s.device_id, s.heartbeat_at, d.name FROM license_sessions s \
             LEFT JOIN devices d ON d.account_id = s.account_id AND d.product_id = s.product_id AND d.device_id = s.device_id \
             WHERE s.account_id = $1 AND s.product_id = $2",
        )
        .bind(account.as_str())
        .bind(product_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                device_id: r.try_get("device_id")?,
                device_name: r.try_get("name")?,
                heartbeat_at: get_ts(&r, "heartbeat_at")?,
            })
        })
        .transpose()
    }

    /// Takes (or keeps) the session for `device` in one statement: it succeeds when there is
    /// no session, the device already holds it, or the holder's heartbeat is older than
    /// `lapsed_before`. Two devices racing for a free session: exactly one wins.
    pub async fn claim_session(
        &self,
        account: &UserId,
        product_id: &str,
        device: &str,
        lapsed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO license_sessions (account_id, product_id, device_id, started_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (account_id, product_id) DO UPDATE SET \
               started_at = CASE WHEN license_sessions.device_id = excluded.device_id \
                 THEN license_sessions.started_at ELSE excluded.started_at END, \
               device_id = excluded.device_id, heartbeat_at = excluded.heartbeat_at \
             WHERE license_sessions.device_id = excluded.device_id OR license_sessions.heartbeat_at <= $5",
        )
        .bind(account.as_str())
        .bind(product_id)
        .bind(device)
        .bind(ts(now))
        .bind(ts(lapsed_before))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends the device's session; false when it held none.
    pub async fn release_session(&self, account: &UserId, product_id: &str, device: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM license_sessions WHERE account_id = $1 AND product_id = $2 AND device_id = $3",
        )
        .bind(account.as_str())
        .bind(product_id)
        .bind(device)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Opens a (free) usage window for a subscription or trial seat unless one is open.
    pub async fn open_seat_window(
        &self,
        team: &TeamId,
        account: &UserId,
        product_id: &str,
        device: &str,
        license: LicenseType,
        now: DateTime<Utc>,
    ) -> Result<WindowRow> {
        let mut tx = self.pool.begin().await?;
        lock_account(&mut tx, account).await?;
        if let Some(w) = open_window_in(&mut *tx, account, product_id, license, now).await? {
            return Ok(w);
        }
        let w = insert_window(&mut tx, Some(team), &Usage { account, product_id, device }, license, 0, now)
            .await?;
        tx.commit().await?;
        Ok(w)
    }

    /// R-LIC5's charge, in one transaction: under the person's lock, a window another
    /// request opened meanwhile covers this one (`ledger::window_covers`: also one opened
    /// after `now`, by a request that arrived later but got the lock first); otherwise the
    /// first team (in `teams` order) whose balance covers `rate` pays it, its oldest tokens
    /// first, under the teams' locks so no two charges (and no move of a purchase) spend the
    /// same tokens.
    ///
    /// Lock order, shared with `tokens::move_purchase`: the person first, then every team
    /// in ascending id order, all before any team's lots are read. A charge that tried its
    /// teams one by one in `teams` order could hold one team and wait for another while a
    /// move held them the other way round.
    pub async fn charge_flex(
        &self,
        account: &UserId,
        product_id: &str,
        device: &str,
        teams: &[TeamId],
        rate: i64,
        now: DateTime<Utc>,
    ) -> Result<Charge> {
        let mut tx = self.pool.begin().await?;
        lock_account(&mut tx, account).await?;
        if let Some(w) = open_window_in(&mut *tx, account, product_id, LicenseType::Flex, now).await? {
            return Ok(Charge::Covered(w));
        }
        let mut best_available = 0;
        lock_teams(&mut tx, teams).await?;
        for team_id in teams {
            let lots = team_lots(&mut *tx, team_id).await?;
            for e in ledger::expiries_due(&lots, now) {
                ledger_entry(&mut tx, team_id, &e.purchase_id, "expiry", e.amount, e.at, None).await?;
            }
            match ledger::plan_charge(&lots, rate, now) {
                Ok(plan) => {
                    let usage = Usage { account, product_id, device };
                    let w =
                        insert_window(&mut tx, Some(team_id), &usage, LicenseType::Flex, rate, now).await?;
                    for (purchase, amount) in plan {
                        ledger_entry(&mut tx, team_id, &purchase, "charge", -amount, now, Some(&w.id))
                            .await?;
                    }
                    tx.commit().await?;
                    return Ok(Charge::Charged { window: w, team_id: team_id.clone() });
                }
                Err(e) => best_available = best_available.max(e.available),
            }
        }
        tx.commit().await?;
        Ok(Charge::Insufficient { needed: rate, available: best_available })
    }

    /// Seat usage (R-USE1): when the seat was last used, written at most every `TOUCH_EVERY`.
    pub async fn touch_seat(
        &self,
        team: &TeamId,
        account: &UserId,
        product_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE assignments SET last_accessed_at = $1 WHERE team_id = $2 AND account_id = $3 AND product_id = $4 \
             AND (last_accessed_at IS NULL OR last_accessed_at <= $5)",
        )
        .bind(ts(now))
        .bind(team.as_str())
        .bind(account.as_str())
        .bind(product_id)
        .bind(ts(now - TOUCH_EVERY))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every device of a person, across products, with whether it holds a live session.
    pub async fn member_devices(&self, account: &UserId) -> Result<Vec<MemberDevice>> {
        member_devices(&self.pool, account).await
    }

    /// Removes a device (and the session it holds), freeing its place (R-LIC3).
    pub async fn remove_device(&self, account: &UserId, product_id: &str, device: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = remove_device(&mut tx, account, product_id, device).await?;
        tx.commit().await?;
        Ok(done)
    }
}

const DEVICE_COLS: &str =
    "d.product_id, p.code, p.name AS product_name, d.device_id, d.name, d.registered_at, \
     d.last_seen_at, s.heartbeat_at";
const DEVICE_FROM: &str = "FROM devices d JOIN products p ON p.id = d.product_id \
     LEFT JOIN license_sessions s ON s.account_id = d.account_id AND s.product_id = d.product_id AND s.device_id = d.device_id";

fn member_device_from(r: &sqlx::any::AnyRow) -> Result<MemberDevice> {
    Ok(MemberDevice {
        product_id: r.try_get("product_id")?,
        product_code: r.try_get("code")?,
        product_name: r.try_get("product_name")?,
        device_id: r.try_get("device_id")?,
        name: r.try_get("name")?,
        registered_at: get_ts(r, "registered_at")?,
        last_seen_at: get_ts(r, "last_seen_at")?,
        session_heartbeat: get_opt_ts(r, "heartbeat_at")?,
    })
}

/// Every device of a person, across products (what the person sees of their own).
pub async fn member_devices<'e, E: sqlx::Executor<'e, Database = Any>>(
    ex: E,
    account: &UserId,
) -> Result<Vec<MemberDevice>> {
    let rows = sqlx::query(&format!(
        "SELECT {DEVICE_COLS} {DEVICE_FROM} WHERE d.account_id = $1 ORDER BY p.name, d.registered_at"
    ))
    .bind(account.as_str())
    .fetch_all(ex)
    .await?;
    rows.iter().map(member_device_from).collect()
}

/// The person's devices of products they hold through `team` at `now` (a live seat there,
/// or that team's Flex access to the product), what the team's admins may see and remove.
/// Devices belong to the person and product, not to a team: a product held through two
/// teams shows to both teams' admins, one held only elsewhere to neither.
pub async fn team_member_devices<'e, E: sqlx::Executor<'e, Database = Any>>(
    ex: E,
    team: &TeamId,
    account: &UserId,
    now: DateTime<Utc>,
) -> Result<Vec<MemberDevice>> {
    // The seat and Flex facts for this one team, per device; the rule itself is
    // `access::held_through_team` (the same facts `licensing_snapshot` and `flex_facts` read).
    let sql = format!(
        "SELECT {DEVICE_COLS}, \
           CASE WHEN EXISTS (SELECT 1 FROM assignments a \
               JOIN memberships am ON am.team_id = a.team_id AND am.account_id = a.account_id \
               JOIN team_products tp ON tp.team_id = a.team_id AND tp.product_id = a.product_id \
             WHERE a.team_id = $2 AND a.account_id = d.account_id AND a.product_id = d.product_id \
               AND am.status = 'active' AND tp.starts_at <= $3 AND tp.ends_at > $3) THEN 1 ELSE 0 END AS live_seat, \
           CASE WHEN p.flex_daily_rate IS NOT NULL AND p.retired_at IS NULL AND m.status = 'active' AND fu.account_id IS NOT NULL \
             THEN 1 ELSE 0 END AS flex_user, \
           COALESCE(m.guest, 0) AS guest, t.guest_defaults, COALESCE(fu.all_products, 0) AS all_products, \
           CASE WHEN EXISTS (SELECT 1 FROM flex_defaults fd WHERE fd.team_id = $2) THEN 1 ELSE 0 END AS has_defaults, \
           CASE WHEN EXISTS (SELECT 1 FROM flex_defaults fd WHERE fd.team_id = $2 AND fd.product_id = d.product_id) \
             THEN 1 ELSE 0 END AS in_defaults, \
           CASE WHEN EXISTS (SELECT 1 FROM flex_user_products fp WHERE fp.team_id = $2 \
               AND fp.account_id = d.account_id AND fp.product_id = d.product_id) THEN 1 ELSE 0 END AS in_individual \
         {DEVICE_FROM} \
         JOIN teams t ON t.id = $2 \
         LEFT JOIN memberships m ON m.team_id = $2 AND m.account_id = d.account_id \
         LEFT JOIN flex_users fu ON fu.team_id = $2 AND fu.account_id = d.account_id \
         WHERE d.account_id = $1 ORDER BY p.name, d.registered_at"
    );
    let rows =
        sqlx::query(&sql).bind(account.as_str()).bind(team.as_str()).bind(ts(now)).fetch_all(ex).await?;
    let mut held = Vec::new();
    for r in &rows {
        let flag = |c: &str| super::get_flag(r, c);
        let holding = TeamHolding {
            live_seat: flag("live_seat")?,
            flex: if flag("flex_user")? {
                Some(FlexFacts {
                    guest: flag("guest")?,
                    guest_defaults: flag("guest_defaults")?,
                    has_defaults: flag("has_defaults")?,
                    in_defaults: flag("in_defaults")?,
                    all_products: flag("all_products")?,
                    in_individual: flag("in_individual")?,
                })
            } else {
                None
            },
        };
        if held_through_team(&holding) {
            held.push(member_device_from(r)?);
        }
    }
    Ok(held)
}

/// Removes a device (and the session it holds) in the caller's transaction, so the caller's
/// audit entry commits with it. False when there was no such device.
pub async fn remove_device(
    tx: &mut Transaction<'_, Any>,
    account: &UserId,
    product_id: &str,
    device: &str,
) -> Result<bool> {
    sqlx::query("DELETE FROM license_sessions WHERE account_id = $1 AND product_id = $2 AND device_id = $3")
        .bind(account.as_str())
        .bind(product_id)
        .bind(device)
        .execute(&mut **tx)
        .await?;
    let done =
        sqlx::query("DELETE FROM devices WHERE account_id = $1 AND product_id = $2 AND device_id = $3")
            .bind(account.as_str())
            .bind(product_id)
            .bind(device)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}
