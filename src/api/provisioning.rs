//! The provisioning API (R-VND1): the vendor's order system adds products, teams,
//! subscriptions and trials and Flex purchases. Operator apps only (`Operator`), JSON in
//! and out, RFC 9457 problem details on every refusal, and `Idempotency-Key` on every
//! change: the key is claimed in the change's own transaction (`service::vendor::run`), so
//! a retried order is answered again (`Idempotent-Replayed: true`) and never adds seats or
//! tokens twice.
use crate::api::error::{ApiError, Problem};
use crate::api::extract::Operator;
use app::domain::vendor::{self, ProductCode};
use app::domain::{TeamId, TeamName};
use app::service::state::AppState;
use app::service::vendor::{
    self as service, Done, NewSubscription, ProductView, SubscriptionChange, SubscriptionView,
};
use app::store::audit::Actor;
use app::store::idempotency::Once;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/provisioning/v1/products", get(list_products).post(add_product))
        .route("/provisioning/v1/products/{code}", patch(set_product_price))
        .route("/provisioning/v1/products/{code}/retire", post(retire_product))
        .route("/provisioning/v1/teams", get(list_teams).post(add_team))
        .route("/provisioning/v1/teams/{team}/subscriptions", get(list_subscriptions).post(add_subscription))
        .route("/provisioning/v1/subscriptions/{id}", patch(change_subscription))
        .route("/provisioning/v1/teams/{team}/purchases", post(add_purchase))
        .layer(axum::middleware::map_response(every_refusal_a_problem))
}

/// axum's own refusals (a method the route does not take, a body over the limit, a path
/// it cannot read) come as plain text; the contract says every provisioning error is a
/// problem document, so those are rewritten as one, with their status kept.
async fn every_refusal_a_problem(res: Response) -> Response {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/problem+json"));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::NOT_FOUND => "not_found",
        s if s.is_server_error() => "server_error",
        _ => "invalid_request",
    };
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).trim().to_string());
    let detail = match text {
        Ok(t) if !t.is_empty() => t,
        _ => status.canonical_reason().unwrap_or("Refused").to_string(),
    };
    let mut problem = Problem(ApiError::new(status, code, detail)).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        problem.headers_mut().insert(header::ALLOW, allow.clone());
    }
    problem
}

type Answer = Result<Response, Problem>;

fn bad(field: &str, detail: impl std::fmt::Display) -> Problem {
    Problem(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("{field}: {detail}")))
}

fn field(e: vendor::FieldError) -> Problem {
    bad(e.field, e.problem)
}

/// The JSON body, or a 400 naming what is wrong with it (serde's message names the field
/// and the line and column).
fn body<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, Problem> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(Problem(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "The body must be JSON (Content-Type: application/json)",
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| bad("body", e))
}

/// The request's `Idempotency-Key`, tied to what it asked: a key reused for another
/// method, path or body is refused rather than answered with the other request's result.
struct Key {
    key: String,
    fingerprint: String,
}

impl Key {
    fn from(method: &Method, uri: &Uri, headers: &HeaderMap, bytes: &[u8]) -> Result<Option<Key>, Problem> {
        let Some(raw) = headers.get("idempotency-key") else { return Ok(None) };
        let key = raw
            .to_str()
            .ok()
            .map(|k| k.trim().trim_matches('"').to_string())
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .ok_or_else(|| bad("Idempotency-Key", "must be 1 to 255 visible ASCII characters"))?;
        let mut h = Sha256::new();
        h.update(method.as_str());
        h.update(b" ");
        h.update(uri.path());
        h.update(b"\n");
        h.update(bytes);
        let fingerprint = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Some(Key { key, fingerprint }))
    }

    fn once<'a>(key: &'a Option<Key>, op: &'a Operator) -> Option<Once<'a>> {
        key.as_ref().map(|k| Once { client_id: &op.client_id, key: &k.key, fingerprint: &k.fingerprint })
    }
}

/// A change's answer: done now (`status`), or the answer given to the same request before.
fn answered<T: Serialize>(done: Done<T>, status: StatusCode) -> Answer {
    match done {
        Done::Now(out) => Ok((status, Json(out)).into_response()),
        Done::Before { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut res = (status, body).into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            h.insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(res)
        }
        Done::KeyReused => Err(Problem(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request; use a new key for a new order",
        ))),
    }
}

/// How the teams' audit logs name the operator app (`Operator::label`).
fn actor(label: &str) -> Actor<'_> {
    Actor { id: None, label }
}

/// A team named in the path: a malformed id is no team.
fn team_path(team: &str) -> Result<TeamId, Problem> {
    TeamId::parse(team).map_err(|_| Problem(app::error::AppError::not_found("The team").into()))
}

#[utoipa::path(get, path = "/provisioning/v1/products", tag = "provisioning", security(("operator" = [])),
    responses((status = 200, description = "Every product, retired ones too", body = Vec<ProductView>),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),))]
async fn list_products(State(st): State<AppState>, op: Result<Operator, ApiError>) -> Answer {
    op?;
    let all = service::products(&st.db).await?;
    Ok(Json(all.iter().map(ProductView::from).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProductBody {
    code: String,
    name: String,
    flex_rate: Option<i64>,
}

#[utoipa::path(post, path = "/provisioning/v1/products", tag = "provisioning", security(("operator" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key are answered once more, never carried out twice")),
    request_body = NewProductBody,
    responses((status = 201, description = "Added; with a Flex rate it is on Flex at once", body = ProductView),
        (status = 400, description = "A malformed body or field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "A product with this code exists", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn add_product(
    State(st): State<AppState>,
    op: Result<Operator, ApiError>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let op = op?;
    let key = Key::from(&method, &uri, &headers, &bytes)?;
    let b: NewProductBody = body(&headers, &bytes)?;
    let code = ProductCode::parse(&b.code).map_err(field)?;
    let name = vendor::product_name(&b.name).map_err(field)?;
    let rate = b.flex_rate.map(vendor::flex_rate).transpose().map_err(field)?;
    let now = st.now();
    let done = service::run(&st.db, Key::once(&key, &op).as_ref(), 201, now, |tx| {
        Box::pin(async move {
            service::add_product(tx, &code, &name, rate, now).await.map(|e| ProductView::from(&e))
        })
    })
    .await?;
    // Known to this instance's licensing checks at once (to others within a second).
    st.catalogue.forget();
    answered(done, StatusCode::CREATED)
}

#[utoipa::path(post, path = "/provisioning/v1/products/{code}/retire", tag = "provisioning", security(("operator" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key are answered once more, never carried out twice"), ("code" = String, Path, description = "Product code")),
    responses((status = 200, description = "Retired: off Flex for good", body = ProductView),
        (status = 400, description = "A malformed body or field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn retire_product(
    State(st): State<AppState>,
    op: Result<Operator, ApiError>,
    Path(code): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Answer {
    let op = op?;
    let key = Key::from(&method, &uri, &headers, b"")?;
    let code = ProductCode::parse(&code).map_err(field)?;
    let now = st.now();
    let label = op.label.clone();
    let done = service::run(&st.db, Key::once(&key, &op).as_ref(), 200, now, |tx| {
        Box::pin(async move {
            service::retire_product(tx, &actor(&label), &code, now).await.map(|e| ProductView::from(&e))
        })
    })
    .await?;
    // This instance stops authorizing it on Flex at once; others within their cache's
    // freshness (`ProductCache`: ten seconds).
    st.catalogue.forget();
    answered(done, StatusCode::OK)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductPriceBody {
    /// What a seat of the product costs in Flex tokens per year (R-ADV2).
    seat_tokens: i64,
}

#[utoipa::path(patch, path = "/provisioning/v1/products/{code}", tag = "provisioning", security(("operator" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key are answered once more, never carried out twice"), ("code" = String, Path, description = "Product code")),
    request_body = ProductPriceBody,
    responses((status = 200, description = "The seat price is set; the licence advice compares Flex use with it", body = ProductView),
        (status = 400, description = "A malformed body or field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No product with this code", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn set_product_price(
    State(st): State<AppState>,
    op: Result<Operator, ApiError>,
    Path(code): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let op = op?;
    let key = Key::from(&method, &uri, &headers, &bytes)?;
    let b: ProductPriceBody = body(&headers, &bytes)?;
    let code = ProductCode::parse(&code).map_err(field)?;
    let seat_tokens = vendor::seat_tokens(b.seat_tokens).map_err(field)?;
    let now = st.now();
    let done = service::run(&st.db, Key::once(&key, &op).as_ref(), 200, now, |tx| {
        Box::pin(async move {
            service::set_seat_tokens(tx, &code, seat_tokens).await.map(|e| ProductView::from(&e))
        })
    })
    .await?;
    answered(done, StatusCode::OK)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TeamView {
    id: String,
    name: String,
}

#[utoipa::path(get, path = "/provisioning/v1/teams", tag = "provisioning", security(("operator" = [])),
    responses((status = 200, description = "Every team, by name", body = Vec<TeamView>),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),))]
async fn list_teams(State(st): State<AppState>, op: Result<Operator, ApiError>) -> Answer {
    op?;
    let teams = service::teams(&st.db).await?;
    let out: Vec<TeamView> =
        teams.into_iter().map(|(id, name)| TeamView { id: id.to_string(), name }).collect();
    Ok(Json(out).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTeamBody {
    name: String,
}

#[utoipa::path(post, path = "/provisioning/v1/teams", tag = "provisioning", security(("operator" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key are answered once more, never carried out twice")),
    request_body = NewTeamBody,
    responses((status = 201, description = "The new team", body = TeamView),
        (status = 400, description = "A malformed body or field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn add_team(
    State(st): State<AppState>,
    op: Result<Operator, ApiError>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let op = op?;
    let key = Key::from(&method, &uri, &headers, &bytes)?;
    let b: NewTeamBody = body(&headers, &bytes)?;
    let name = TeamName::parse(&b.name).map_err(|e| bad("name", e))?;
    let now = st.now();
    let done = service::run(&st.db, Key::once(&key, &op).as_ref(), 201, now, |tx| {
        Box::pin(async move {
            let id = service::create_team(tx, &name, now).await?;
            Ok(TeamView { id: id.to_string(), name: name.as_str().to_string() })
        })
    })
    .await?;
    answered(done, StatusCode::CREATED)
}

#[utoipa::path(get, path = "/provisioning/v1/teams/{team}/subscriptions", tag = "provisioning", security(("operator" = [])),
    params(("team" = String, Path, description = "Team id")),
    responses((status = 200, description = "The team's subscriptions and trials, past, live and future", body = Vec<SubscriptionView>),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such team", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn list_subscriptions(
    State(st): State<AppState>,
    op: Result<Operator, ApiError>,
    Path(team): Path<String>,
) -> Answer {
    op?;
    let team = team_path(&team)?;
    let all = service::subscriptions(&st.db, &team).await?;
    Ok(Json(all.iter().map(SubscriptionView::from).collect::<Vec<_>>()).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSubscriptionBody {
    product: String,
    seats: i64,
    ends_at: String,
    starts_at: Option<String>,
    #[serde(default)]
    trial: bool,
}

#[utoipa::path(post, path = "/provisioning/v1/teams/{team}/subscriptions", tag = "provisioning", security(("operator" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key are answered once more, never carried out twice"), ("team" = String, Path, description = "Team id")),
    request_body = NewSubscriptionBody,
    responses((status = 201, description = "The subscription or trial", body = SubscriptionView),
        (status = 400, description = "A malformed body or field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such team or product", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "The team holds the product for an overlapping term, or it is retired", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn add_subscription(
    State(st): State<AppState>,
    op: Result<Operator, ApiError>,
    Path(team): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let op = op?;
    let key = Key::from(&method, &uri, &headers, &bytes)?;
    let team = team_path(&team)?;
    let b: NewSubscriptionBody = body(&headers, &bytes)?;
    let new = NewSubscription {
        team,
        product: ProductCode::parse(&b.product).map_err(|e| bad("product", e.problem))?,
        seats: vendor::seats(b.seats).map_err(field)?,
        starts_at: b
            .starts_at
            .as_deref()
            .map(|s| vendor::instant("starts_at", s))
            .transpose()
            .map_err(field)?,
        ends_at: vendor::instant("ends_at", &b.ends_at).map_err(field)?,
        trial: b.trial,
    };
    let now = st.now();
    let label = op.label.clone();
    let done = service::run(&st.db, Key::once(&key, &op).as_ref(), 201, now, |tx| {
        Box::pin(async move {
            service::add_subscription(tx, &actor(&label), &new, now).await.map(|s| SubscriptionView::from(&s))
        })
    })
    .await?;
    answered(done, StatusCode::CREATED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeBody {
    seats: Option<i64>,
    ends_at: Option<String>,
}

#[utoipa::path(patch, path = "/provisioning/v1/subscriptions/{id}", tag = "provisioning", security(("operator" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key are answered once more, never carried out twice"), ("id" = String, Path, description = "Subscription id")),
    request_body = ChangeBody,
    responses((status = 200, description = "The subscription as changed", body = SubscriptionView),
        (status = 400, description = "A malformed body or field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "The new end overlaps another term", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn change_subscription(
    State(st): State<AppState>,
    op: Result<Operator, ApiError>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let op = op?;
    let key = Key::from(&method, &uri, &headers, &bytes)?;
    let b: ChangeBody = body(&headers, &bytes)?;
    if b.seats.is_none() && b.ends_at.is_none() {
        return Err(bad("body", "give seats, ends_at or both"));
    }
    let change = SubscriptionChange {
        seats: b.seats.map(vendor::seats).transpose().map_err(field)?,
        ends_at: b.ends_at.as_deref().map(|s| vendor::instant("ends_at", s)).transpose().map_err(field)?,
    };
    let now = st.now();
    let label = op.label.clone();
    let done = service::run(&st.db, Key::once(&key, &op).as_ref(), 200, now, |tx| {
        Box::pin(async move {
            service::change_subscription(tx, &actor(&label), &id, &change, now)
                .await
                .map(|s| SubscriptionView::from(&s))
        })
    })
    .await?;
    answered(done, StatusCode::OK)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PurchaseBody {
    amount: i64,
    purchased_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PurchaseView {
    purchase_id: String,
    team: String,
    amount: i64,
    purchased_at: String,
    expires_at: String,
}

#[utoipa::path(post, path = "/provisioning/v1/teams/{team}/purchases", tag = "provisioning", security(("operator" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key are answered once more, never carried out twice"), ("team" = String, Path, description = "Team id")),
    request_body = PurchaseBody,
    responses((status = 201, description = "The purchase; valid one year", body = PurchaseView),
        (status = 400, description = "A malformed body or field", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No valid operator token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The app is not an operator app", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such team", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
async fn add_purchase(
    State(st): State<AppState>,
    op: Result<Operator, ApiError>,
    Path(team): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer {
    let op = op?;
    let key = Key::from(&method, &uri, &headers, &bytes)?;
    let team = team_path(&team)?;
    let b: PurchaseBody = body(&headers, &bytes)?;
    let amount = vendor::token_amount(b.amount).map_err(field)?;
    let now = st.now();
    let at =
        b.purchased_at.as_deref().map(|s| vendor::instant("purchased_at", s)).transpose().map_err(field)?;
    let at = at.unwrap_or(now);
    let label = op.label.clone();
    let done = service::run(&st.db, Key::once(&key, &op).as_ref(), 201, now, |tx| {
        Box::pin(async move {
            let (id, expires_at) = service::add_purchase(tx, &actor(&label), &team, amount, at, now).await?;
            Ok(PurchaseView {
                purchase_id: id,
                team: team.to_string(),
                amount,
                purchased_at: app::store::ts(at),
                expires_at: app::store::ts(expires_at),
            })
        })
    })
    .await?;
    answered(done, StatusCode::CREATED)
}
