//! `GET /t/{team}/usage/export.csv` (R-USE1): the team's usage rows over a date range as a
//! CSV file the browser downloads. A plain GET with the console's session cookie, so the
//! export link works without JavaScript. Admins only.
//!
//! Rows are streamed a page at a time (keyset order), so a year of a large team's usage
//! never sits in memory. `personal=0` replaces name and email with a pseudonymous id: a
//! keyed hash of the account id, the same in every export of this installation, that
//! cannot be turned back into the person without the installation's key.
use crate::api::extract::{ConsoleRefusal, TeamAdmin};
use app::domain::licensing::LicenseType;
use app::domain::usage::{formula_safe, DateRange};
use app::domain::TeamId;
use app::service::state::AppState;
use app::store::usage::{ExportCursor, ExportRow};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

/// Rows per database round trip while streaming.
const PAGE: i64 = 5_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{team}/usage/export.csv", get(export))
        .route("/t/{team}/usage/advice.csv", get(advice))
}

/// `GET /t/{team}/usage/advice.csv` (R-ADV2): the licence advice as the advice tab lists it,
/// each line with its figures and assumption in words. Admins only, like the tab.
async fn advice(
    State(st): State<AppState>,
    TeamAdmin { membership: m, .. }: TeamAdmin,
) -> Result<Response, ConsoleRefusal> {
    let lines = app::service::advice::advice(&st, &m.team_id)
        .await
        .map_err(|e| ConsoleRefusal::internal("licence advice", e))?;
    let mut out = csv_line(["Advice", "Person", "Email", "Product", "Tokens saved", "Figures", "Assumption"]);
    for l in &lines {
        let (person, email) = l.person.as_ref().map_or(("", ""), |p| (p.1.as_str(), p.2.as_str()));
        let product = l.product.as_ref().map_or("", |p| p.1.as_str());
        let kind = match l.advice.kind() {
            "idle_seat" => "Idle seat",
            "cheaper_on_seat" => "Cheaper on a seat",
            "cheaper_on_flex" => "Cheaper on Flex",
            _ => "Tokens lapsing unused",
        };
        let saving = l.advice.saving().to_string();
        out += &csv_line([kind, person, email, product, &saving, &l.figures, &l.assumption]);
    }
    let name = format!("tessera-advice-{}-{}.csv", slug(&m.team_name), st.now().date_naive());
    Ok(csv_download(Response::new(Body::from(out)), &name))
}

#[derive(serde::Deserialize)]
struct ExportQuery {
    from: Option<String>,
    to: Option<String>,
    /// "0" (or "false", "no") leaves out names and emails.
    personal: Option<String>,
}

async fn export(
    State(st): State<AppState>,
    TeamAdmin { membership: m, .. }: TeamAdmin,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ConsoleRefusal> {
    let today = st.now().date_naive();
    let range = DateRange::parse(q.from.as_deref(), q.to.as_deref(), today)
        .map_err(|e| ConsoleRefusal(StatusCode::BAD_REQUEST, e.to_string()))?;
    let personal = !matches!(q.personal.as_deref().map(str::trim), Some("0" | "false" | "no"));
    let key = if personal {
        String::new()
    } else {
        st.db
            .installation_value("pseudonym_key", || app::service::secrets::new_token().0)
            .await
            .map_err(|e| ConsoleRefusal::internal("usage export", e))?
    };
    let name = format!(
        "tessera-usage-{}-{}-{}{}.csv",
        slug(&m.team_name),
        range.from,
        range.to,
        if personal { "" } else { "-pseudonymous" }
    );
    let header_row = if personal {
        csv_line(["Team", "Product", "Access option", "Day used", "Tokens used", "Name", "Email"])
    } else {
        csv_line(["Team", "Product", "Access option", "Day used", "Tokens used", "User ID"])
    };
    let state =
        Export { st, team: m.team_id.clone(), team_name: m.team_name, range, personal, key, cursor: None };
    let body = futures_util::stream::unfold(Some((state, Some(header_row))), |s| async move {
        let (mut ex, first) = s?;
        if let Some(h) = first {
            return Some((Ok::<Bytes, std::io::Error>(Bytes::from(h)), Some((ex, None))));
        }
        match ex.st.db.export_page(&ex.team, ex.range, ex.cursor.as_ref(), PAGE).await {
            Ok(rows) if rows.is_empty() => None,
            Ok(rows) => {
                let chunk = ex.chunk(&rows);
                if let Some(last) = rows.last() {
                    ex.cursor = Some((
                        last.day.clone(),
                        last.account_id.clone(),
                        last.product_id.clone(),
                        last.license_type.clone(),
                    ));
                }
                let more = rows.len() as i64 == PAGE;
                Some((Ok(Bytes::from(chunk)), more.then_some((ex, None))))
            }
            // Headers are gone by now: breaking the stream makes the download fail
            // visibly rather than end short and look complete.
            Err(e) => {
                tracing::error!(error = %e, "usage export failed mid-stream");
                Some((Err(std::io::Error::other("usage export failed")), None))
            }
        }
    });
    Ok(csv_download(Response::new(Body::from_stream(body)), &name))
}

/// Makes `res` a CSV file the browser saves as `name`, never cached: the console's exports.
pub(crate) fn csv_download(mut res: Response, name: &str) -> Response {
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

struct Export {
    st: AppState,
    team: TeamId,
    team_name: String,
    range: DateRange,
    personal: bool,
    key: String,
    cursor: Option<ExportCursor>,
}

impl Export {
    fn chunk(&self, rows: &[ExportRow]) -> String {
        let mut out = String::with_capacity(rows.len() * 96);
        for r in rows {
            let access = LicenseType::parse(&r.license_type).unwrap_or(LicenseType::Flex).label();
            let tokens = r.tokens.to_string();
            if self.personal {
                out +=
                    &csv_line([&self.team_name, &r.product_name, access, &r.day, &tokens, &r.name, &r.email]);
            } else {
                let id = pseudonym(&self.key, &r.account_id);
                out += &csv_line([&self.team_name, &r.product_name, access, &r.day, &tokens, &id]);
            }
        }
        out
    }
}

/// A stable id for a person that does not reveal them: the installation's key and the
/// account id through SHA-256, 16 bytes in hex. Public for the tests (tests/api/edge).
#[doc(hidden)]
pub fn pseudonym(key: &str, account_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0u8]);
    h.update(account_id.as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("user-{hex}")
}

/// One CSV record (RFC 4180 quoting, CRLF), every cell formula-safe. Public for the tests.
#[doc(hidden)]
pub fn csv_line<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let cells: Vec<String> = cells.into_iter().map(|c| formula_safe(c).into_owned()).collect();
    // Writing to a Vec cannot fail, and the record is never empty.
    let _ = w.write_record(&cells);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A team name as a file-name part: lower-case ASCII letters and digits joined by single
/// `-`s (anything else separates). Public for the people export and the tests.
#[doc(hidden)]
pub fn slug(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}
