//! CSV import from the console (R-IMP1): preview (a dry run) then import. No email is sent.
use crate::domain::csv_import::ImportReport;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Larger files go through `tessera import`; the console keeps requests bounded.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

#[server(endpoint = "import_csv", input = Json)]
pub async fn import_csv(
    team: String,
    file_name: String,
    content: String,
    dry_run: bool,
    valid_rows_only: bool,
) -> Result<ImportReport, AppError> {
    use super::ssr::*;
    use crate::store::audit::Actor;
    use crate::store::import::ImportOptions;
    let st = state()?;
    let (acc, m) = require_admin(&st, &team).await?;
    if content.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::invalid(
            "file",
            format!(
                "The file is larger than {} MB. Use `tessera import` for files this big.",
                MAX_UPLOAD_BYTES / 1024 / 1024
            ),
        ));
    }
    let label = acc.label();
    let actor = Actor { id: Some(acc.id.as_str()), label: &label };
    let opts = ImportOptions { dry_run, valid_rows_only, source: file_name };
    crate::service::import::run(&st.db, &m.team_id, content.into_bytes(), opts, &actor, st.now()).await
}
