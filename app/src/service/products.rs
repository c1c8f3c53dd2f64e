//! The product catalogue as the licensing API reads it, cached per process.
use crate::store::licensing::ProductRow;
use crate::store::{Db, StoreError};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration as StdDuration, Instant};

/// The product catalogue, cached per process: every authorization names a product, and the
/// catalogue changes a few times a year. Entries live `FRESH_FOR`; an unknown code reloads
/// at most every `RELOAD_MISS_EVERY` (a new product is known within a second; invented codes
/// cannot turn into a query each).
pub struct ProductCache {
    db: Db,
    cache: RwLock<(Option<Instant>, HashMap<String, ProductRow>)>,
}

const FRESH_FOR: StdDuration = StdDuration::from_secs(10);
const RELOAD_MISS_EVERY: StdDuration = StdDuration::from_secs(1);

impl ProductCache {
    pub fn new(db: Db) -> ProductCache {
        ProductCache { db, cache: RwLock::new((None, HashMap::new())) }
    }

    /// Drops what is cached, so the next lookup reads the catalogue (after this process
    /// changed it).
    pub fn forget(&self) {
        if let Ok(mut c) = self.cache.write() {
            *c = (None, HashMap::new());
        }
    }

    pub async fn product(&self, code: &str) -> Result<Option<ProductRow>, StoreError> {
        let (age, hit) = match self.cache.read() {
            Ok(c) => (c.0.map(|t| t.elapsed()), c.1.get(code).cloned()),
            Err(_) => (None, None),
        };
        let stale = age.is_none_or(|a| a > FRESH_FOR);
        let may_reload = age.is_none_or(|a| a > RELOAD_MISS_EVERY);
        if hit.is_some() && !stale || hit.is_none() && !may_reload {
            return Ok(hit);
        }
        let fresh: HashMap<String, ProductRow> =
            self.db.products().await?.into_iter().map(|p| (p.code.clone(), p)).collect();
        let found = fresh.get(code).cloned();
        if let Ok(mut c) = self.cache.write() {
            *c = (Some(Instant::now()), fresh);
        }
        Ok(found)
    }
}
