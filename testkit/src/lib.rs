//! What Tessera's test suites share about where a test's data lives, so that the choice is
//! made in one place: the engine a run tests on (`TESSERA_TEST_ENGINE=postgres` with
//! `TESSERA_TEST_POSTGRES_URL`, otherwise the embedded SQLite) and a fresh, empty database
//! for each test, so tests run in parallel without sharing rows. The test command drops
//! the `tessera_t_…` databases of the last run before a new one.
//!
//! Also what both kinds of test need around that: the servers (`server`: the real binary,
//! or a router served in-process), the people they act as (`personas`), calling server
//! functions and signing in over HTTP (`console`), and the real SMTP server the mail tests
//! send to (`smtp`).
//!
//! Test code only: the server never reads these variables.
use sqlx::Connection;
use std::path::{Path, PathBuf};

pub mod console;
pub mod personas;
pub mod server;
pub mod smtp;

/// The repository's root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("testkit/ sits in the repository").to_path_buf()
}

/// The database engine of this test run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    /// `server` reaches a PostgreSQL server on which tests may create databases.
    Postgres {
        server: String,
    },
}

impl Engine {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Engine::Postgres { .. })
    }
}

/// The engine `TESSERA_TEST_ENGINE` names. Asking for PostgreSQL without saying where it is
/// fails loudly rather than quietly testing SQLite twice.
pub fn engine() -> Engine {
    match std::env::var("TESSERA_TEST_ENGINE").as_deref() {
        Ok("postgres") => Engine::Postgres {
            server: std::env::var("TESSERA_TEST_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .expect("TESSERA_TEST_ENGINE=postgres needs TESSERA_TEST_POSTGRES_URL"),
        },
        _ => Engine::Sqlite,
    }
}

/// A PostgreSQL database made for one test.
#[derive(Clone, Debug)]
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

/// Creates an empty database `tessera_t_<random>` on the server `server` reaches.
pub async fn create_postgres_database(server: &str) -> PgDatabase {
    let name = format!("tessera_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::postgres::PgConnection::connect(server)
        .await
        .unwrap_or_else(|e| panic!("connect to the test PostgreSQL server: {e}"));
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("create the test database {name}: {e}"));
    let _ = conn.close().await;
    PgDatabase { url: with_database(server, &name), name }
}

/// The URL of a new, empty database for one test: a SQLite file in `dir`, or a fresh
/// PostgreSQL database on PostgreSQL runs.
pub async fn fresh_database(dir: &Path) -> String {
    match engine() {
        Engine::Sqlite => sqlite_url(dir),
        Engine::Postgres { server } => create_postgres_database(&server).await.url,
    }
}

/// `fresh_database` for callers that are not async, or are inside a runtime already. Only a
/// PostgreSQL database needs a connection, made on a thread with a runtime of its own.
pub fn fresh_database_blocking(dir: &Path) -> String {
    let server = match engine() {
        Engine::Sqlite => return sqlite_url(dir),
        Engine::Postgres { server } => server,
    };
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(create_postgres_database(&server))
            .url
    })
    .join()
    .expect("the database thread")
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/tessera.db", dir.display())
}

/// `postgres://u@h:5432/db?x=1` with its database replaced by `name` (query kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    match query {
        Some(q) => format!("{}/{name}?{q}", &base[..path_start]),
        None => format!("{}/{name}", &base[..path_start]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_get_another_database() {
        assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(with_database("postgres://u:p@h:5432/postgres", "x"), "postgres://u:p@h:5432/x");
        assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
        assert_eq!(
            with_database("postgres:///postgres?host=/var/run/postgresql", "x"),
            "postgres:///x?host=/var/run/postgresql"
        );
    }
}
