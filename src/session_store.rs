//! tower-sessions store over the application's own database (`app::store::sessions`), so
//! sessions work on SQLite and PostgreSQL alike, survive restarts and span several instances.
use app::store::{sessions, Db};
use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn delete_expired(&self) -> Result<u64> {
        sessions::delete_expired(&self.db.pool, OffsetDateTime::now_utc().unix_timestamp())
            .await
            .map_err(backend)
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn encode(record: &Record) -> Result<String> {
    serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))
}

/// The account a session is signed in as, kept in its own column so a person's sessions
/// can be listed and ended (R-ACC1).
fn account_of(record: &Record) -> Option<&str> {
    record.data.get(app::server::ssr::SESSION_USER).and_then(|v| v.as_str())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Ids are 128 random bits; on the off chance of a collision, draw again.
        loop {
            let (id, data) = (record.id.to_string(), encode(record)?);
            let expires = record.expiry_date.unix_timestamp();
            if sessions::insert_new(&self.db.pool, &id, &data, expires, account_of(record))
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let expires = record.expiry_date.unix_timestamp();
        sessions::save(&self.db.pool, &record.id.to_string(), &encode(record)?, expires, account_of(record))
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let Some((data, expires)) =
            sessions::load(&self.db.pool, &id.to_string(), now).await.map_err(backend)?
        else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires)
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sessions::delete(&self.db.pool, &id.to_string()).await.map_err(backend)
    }
}
