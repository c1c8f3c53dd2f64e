//! Data access: the only place that speaks SQL. One `Db` over sqlx's `Any` driver so the
//! same runtime-checked queries serve SQLite (the embedded default) and PostgreSQL.
//! Queries stay in portable SQL: `$n` placeholders, TEXT/BIGINT columns, explicit CASTs on
//! aggregates (PostgreSQL's SUM(bigint) is NUMERIC, which `Any` cannot decode).
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::time::Duration;

pub mod accounts;
pub mod advice;
pub mod assignments;
pub mod audit;
pub mod catalogue;
pub mod directory;
pub mod flex;
pub mod groups;
pub mod idempotency;
pub mod identity;
pub mod import;
pub mod invitations;
pub mod ledger;
pub mod licensing;
pub mod outbox;
pub mod people;
pub mod sessions;
pub mod sso;
pub mod teams;
pub mod throttle;
pub mod tokens;
pub mod usage;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// For a statement meant to change one existing row: `NotFound` when it changed none.
fn changed_a_row(done: &sqlx::any::AnyQueryResult) -> Result<()> {
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

impl StoreError {
    /// Maps a unique-constraint violation to `Duplicate(what)`; leaves other errors alone.
    pub fn on_unique(self, what: &str) -> Self {
        match &self {
            StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StoreError::Duplicate(what.to_string())
            }
            _ => self,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
    /// Wakes the outbox's delivery worker after a commit that enqueued mail.
    outbox_wake: std::sync::Arc<tokio::sync::Notify>,
}

/// One file of `migrations/`, embedded in the binary: (file name, SQL).
macro_rules! migration {
    ($file:literal) => {
        ($file, include_str!(concat!("../../../migrations/", $file)))
    };
}

/// Every migration, in order. Listed by hand rather than read by `sqlx::migrate!`: that
/// macro's crate compiles a second copy of sqlx, both database drivers, tokio and rustls for
/// the compiler, minutes of every cold build. A test checks this list against the folder.
const MIGRATIONS: &[(&str, &str)] = &[
    migration!("20261125000001_foundation.sql"),
    migration!("20261125000002_people.sql"),
    migration!("20261125000003_identity.sql"),
    migration!("20261125000004_licensing.sql"),
    migration!("20261125000005_usage.sql"),
    migration!("20261125000006_scale_out.sql"),
    migration!("20261202000007_sso_links.sql"),
    migration!("20261202000008_outbox_failed.sql"),
    migration!("20261203000009_vendor.sql"),
    migration!("20261204000010_accounts.sql"),
    migration!("20261204000011_invitees.sql"),
    migration!("20261204000012_groups.sql"),
    migration!("20261205000013_roles.sql"),
    migration!("20261205000014_directory.sql"),
    migration!("20261205000015_group_flex.sql"),
    migration!("20261205000016_seat_price.sql"),
];

/// The migrator `sqlx::migrate!` would build from the same files: version and description
/// from the file name, the checksum sqlx computes from the SQL (so databases migrated
/// before keep validating).
fn migrator() -> Result<sqlx::migrate::Migrator> {
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    let mut migrations = Vec::with_capacity(MIGRATIONS.len());
    for (file, sql) in MIGRATIONS {
        let (version, rest) = file
            .split_once('_')
            .ok_or_else(|| StoreError::Corrupt(format!("migration {file}: no version")))?;
        let version: i64 =
            version.parse().map_err(|_| StoreError::Corrupt(format!("migration {file}: bad version")))?;
        let kind = MigrationType::from_filename(rest);
        let description = rest.trim_end_matches(kind.suffix()).replace('_', " ");
        let no_tx = sql.starts_with("-- no-transaction");
        migrations.push(Migration::new(
            version,
            description.into(),
            kind,
            std::borrow::Cow::Borrowed(*sql),
            no_tx,
        ));
    }
    Ok(Migrator { migrations: migrations.into(), ..Migrator::DEFAULT })
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        };
        let url = match engine {
            Engine::Sqlite => sqlite_url_creating(url)?,
            Engine::Postgres => url.to_string(),
        };
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if engine == Engine::Sqlite {
            opts = opts.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers proceed during a write; busy_timeout makes writers
                    // queue instead of failing with SQLITE_BUSY.
                    sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA busy_timeout = 5000").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                    Ok(())
                })
            });
        }
        let pool = opts.connect(&url).await?;
        Ok(Db { pool, engine, outbox_wake: Default::default() })
    }

    pub async fn migrate(&self) -> Result<()> {
        migrator()?.run(&self.pool).await?;
        Ok(())
    }

    /// A consistent copy of the SQLite database in a new file, taken while it serves
    /// (`VACUUM INTO` reads one snapshot: every transaction committed before it started,
    /// none after; writers carry on meanwhile under WAL). PostgreSQL has its own tools.
    pub async fn backup_to(&self, file: &std::path::Path) -> Result<u64> {
        if self.engine != Engine::Sqlite {
            return Err(StoreError::Corrupt(
                "backup copies the embedded SQLite database; back PostgreSQL up with pg_dump or pg_basebackup".into(),
            ));
        }
        if file.exists() {
            return Err(StoreError::Duplicate(format!("a file at {}", file.display())));
        }
        let path = file.to_str().ok_or_else(|| StoreError::Corrupt("the backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(path).execute(&self.pool).await?;
        let bytes =
            std::fs::metadata(file).map_err(|e| StoreError::Corrupt(format!("the backup file: {e}")))?.len();
        Ok(bytes)
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// `sqlite://path` → `sqlite://path?mode=rwc` and the parent folder created, so a fresh
/// checkout needs no manual step.
fn sqlite_url_creating(url: &str) -> Result<String> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let file = path.split('?').next().unwrap_or(path);
    if !file.is_empty() && file != ":memory:" {
        if let Some(parent) = std::path::Path::new(file).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", parent.display())))?;
            }
        }
    }
    Ok(if path.contains("mode=") {
        format!("sqlite://{path}")
    } else if path.contains('?') {
        format!("sqlite://{path}&mode=rwc")
    } else {
        format!("sqlite://{path}?mode=rwc")
    })
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The one text form of an instant in the database.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp {s:?}: {e}")))
}

pub(crate) fn get_ts(row: &AnyRow, col: &str) -> Result<DateTime<Utc>> {
    let s: String = row.try_get(col)?;
    parse_ts(&s)
}

/// A nullable timestamp column.
pub(crate) fn get_opt_ts(row: &AnyRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.try_get(col)?;
    s.as_deref().map(parse_ts).transpose()
}

/// A team id column: a row that does not hold one is corrupt.
pub(crate) fn get_team_id(row: &AnyRow, col: &str) -> Result<crate::domain::TeamId> {
    let s: String = row.try_get(col)?;
    crate::domain::TeamId::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// An account id column.
pub(crate) fn get_user_id(row: &AnyRow, col: &str) -> Result<crate::domain::UserId> {
    let s: String = row.try_get(col)?;
    crate::domain::UserId::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A licence kind column ("subscription", "trial" or "flex").
pub(crate) fn get_license_type(row: &AnyRow, col: &str) -> Result<crate::domain::licensing::LicenseType> {
    let s: String = row.try_get(col)?;
    crate::domain::licensing::LicenseType::parse(&s)
        .ok_or_else(|| StoreError::Corrupt(format!("licence kind {s:?}")))
}

/// A nullable team id column.
pub(crate) fn get_opt_team_id(row: &AnyRow, col: &str) -> Result<Option<crate::domain::TeamId>> {
    let s: Option<String> = row.try_get(col)?;
    s.as_deref()
        .map(|s| crate::domain::TeamId::parse(s).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

pub(crate) fn get_flag(row: &AnyRow, col: &str) -> Result<bool> {
    let v: i64 = row.try_get(col)?;
    Ok(v != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_migrations_folder_is_embedded_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("migrations folder")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| f.ends_with(".sql"))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = MIGRATIONS.iter().map(|(f, _)| *f).collect();
        assert_eq!(embedded, on_disk);
        let versions: Vec<i64> = migrator().expect("migrator").migrations.iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        assert_eq!(migrator().expect("migrator").migrations[0].description, "foundation");
    }

    #[test]
    fn sqlite_urls_gain_create_mode() {
        let dir = std::env::temp_dir().join(format!("tessera-url-{}", new_id()));
        let url = format!("sqlite://{}/sub/t.db", dir.display());
        let got = sqlite_url_creating(&url).unwrap();
        assert!(got.ends_with("/sub/t.db?mode=rwc"), "{got}");
        assert!(dir.join("sub").is_dir());
        assert_eq!(sqlite_url_creating("sqlite::memory:").unwrap(), "sqlite://:memory:?mode=rwc");
    }

    #[test]
    fn timestamps_are_fixed_width_utc() {
        let t = parse_ts("2026-11-25T10:08:52.123+01:00").unwrap();
        assert_eq!(ts(t), "2026-11-25T09:08:52.123Z");
    }
}
