//! Importing people from a CSV file (R-IMP1), for the console's upload and `tessera import`
//! alike: the file is validated against the catalogue (domain, off the async threads: a
//! large file is real work), then applied in one transaction by the store, or only
//! reported on a dry run.
use crate::domain::TeamId;
use crate::error::AppError;
use crate::store::audit::Actor;
use crate::store::import::{import, ImportOptions, ImportReport};
use crate::store::Db;
use chrono::{DateTime, Utc};

pub async fn run(
    db: &Db,
    team: &TeamId,
    file: Vec<u8>,
    opts: ImportOptions,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<ImportReport, AppError> {
    let codes = db.product_codes().await?;
    let validated = tokio::task::spawn_blocking(move || crate::domain::csv_import::validate(&file, &codes))
        .await
        .map_err(AppError::internal)?;
    Ok(import(db, team, &validated, opts, actor, now).await?)
}
