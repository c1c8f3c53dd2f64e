//! `GET /t/{team}/people/export.csv`: the team's people as a CSV file in the import's own
//! format (R-IMP1: `name,email,products,guest`), so importing the download into the same
//! team changes nothing. A plain GET with the console's session cookie, so the link works
//! without JavaScript. Admins only.
use crate::api::extract::{ConsoleRefusal, TeamAdmin};
use app::service::state::AppState;
use app::service::{members, Admin};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new().route("/t/{team}/people/export.csv", get(export))
}

async fn export(
    State(st): State<AppState>,
    TeamAdmin { account, membership, .. }: TeamAdmin,
) -> Result<Response, ConsoleRefusal> {
    let body = members::export_people(&st, Admin { account: &account, team: &membership }).await?;
    let name = format!("tessera-people-{}.csv", crate::api::usage::slug(&membership.team_name));
    Ok(crate::api::usage::csv_download(body.into_response(), &name))
}
