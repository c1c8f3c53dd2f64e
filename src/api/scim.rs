//! Directory sync (R-DIR1): the SCIM 2.0 service provider (RFC 7643, RFC 7644) each team's
//! directory talks to, under `/scim/v2`. Authenticated by the team's bearer token
//! (`tessera scim token create`, or Team settings); every resource it reaches is that
//! team's. Thin: parse the request, one call to `service::directory`, render with
//! `application/scim+json`, every refusal in the SCIM error schema.
use app::domain::scim::{self, ScimError};
use app::service::directory::{self, Directory};
use app::service::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/ServiceProviderConfig", get(service_provider_config))
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Users", get(list_users).post(create_user))
        .route("/scim/v2/Users/{id}", get(get_user).put(replace_user).patch(patch_user).delete(delete_user))
        .route("/scim/v2/Groups", get(list_groups).post(create_group))
        .route(
            "/scim/v2/Groups/{id}",
            get(get_group).put(replace_group).patch(patch_group).delete(delete_group),
        )
        // Any other path under the base is a SCIM 404, not the console's page.
        .route("/scim/v2/{*rest}", axum::routing::any(no_such_endpoint))
        .layer(axum::middleware::map_response(every_refusal_in_scim))
}

/// A SCIM answer: a status and a resource (or none, for 204).
struct Scim(StatusCode, Option<Value>);

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let ct = [(header::CONTENT_TYPE, HeaderValue::from_static(scim::MEDIA_TYPE))];
        match self.1 {
            None => (self.0, ct).into_response(),
            Some(body) => {
                let mut res = (self.0, ct, body.to_string()).into_response();
                // The resource's own version and address, as RFC 7644 §3.1 and §3.14 ask.
                if let Some(meta) = body.get("meta") {
                    if let Some(v) = meta
                        .get("version")
                        .and_then(Value::as_str)
                        .and_then(|v| HeaderValue::from_str(v).ok())
                    {
                        res.headers_mut().insert(header::ETAG, v);
                    }
                    if self.0 == StatusCode::CREATED {
                        if let Some(l) = meta
                            .get("location")
                            .and_then(Value::as_str)
                            .and_then(|l| HeaderValue::from_str(l).ok())
                        {
                            res.headers_mut().insert(header::LOCATION, l);
                        }
                    }
                }
                res
            }
        }
    }
}

/// A refusal in the SCIM error schema (RFC 7644 §3.12).
struct Refusal(ScimError);

impl From<ScimError> for Refusal {
    fn from(e: ScimError) -> Self {
        Refusal(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(scim::MEDIA_TYPE))],
            self.0.to_json().to_string(),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scim\""));
        }
        res
    }
}

type Answer = Result<Scim, Refusal>;

/// axum's own refusals (an unknown path, a method a route does not take, a body over the
/// limit) come as plain text: a directory expects the SCIM error schema for those too.
async fn every_refusal_in_scim(res: Response) -> Response {
    let status = res.status();
    let is_scim = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(scim::MEDIA_TYPE));
    if is_scim || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "This resource does not take that method.",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.",
        StatusCode::NOT_FOUND => "There is no such SCIM endpoint.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send application/scim+json or application/json.",
        _ => "The request could not be read.",
    };
    Refusal(ScimError::new(status.as_u16(), None, detail)).into_response()
}

/// The directory of the team the bearer token belongs to.
async fn directory<'a>(st: &'a AppState, headers: &HeaderMap) -> Result<Directory<'a>, Refusal> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let team = directory::team_of(st, bearer).await?;
    Ok(Directory { st, team, base: base(st) })
}

fn base(st: &AppState) -> String {
    format!("{}/scim/v2", st.public_url.trim_end_matches('/'))
}

fn json_body(body: &Bytes) -> Result<Value, Refusal> {
    serde_json::from_slice(body)
        .map_err(|e| Refusal(ScimError::invalid_syntax(format!("The body is not JSON: {e}"))))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct OneQuery {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

/// `attributes` / `excludedAttributes` on each resource of a list.
fn project_list(mut list: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    if attributes.is_none() && excluded.is_none() {
        return list;
    }
    if let Some(items) = list.get_mut("Resources").and_then(Value::as_array_mut) {
        let projected: Vec<Value> = items.drain(..).map(|r| scim::project(r, attributes, excluded)).collect();
        *items = projected;
    }
    list
}

/// Whether `members` is asked for (left out by `excludedAttributes=members`, or by an
/// `attributes` list without it), so a group list need not read them.
fn wants_members(attributes: Option<&str>, excluded: Option<&str>) -> bool {
    let names = |s: Option<&str>| -> Vec<String> {
        s.unwrap_or_default().split(',').map(|a| a.trim().to_ascii_lowercase()).collect()
    };
    let mentions = |list: &[String]| list.iter().any(|a| a == "members" || a.ends_with(":members"));
    if excluded.is_some() && mentions(&names(excluded)) {
        return false;
    }
    attributes.is_none() || mentions(&names(attributes))
}

async fn no_such_endpoint() -> Refusal {
    Refusal(ScimError::not_found("There is no such SCIM endpoint."))
}

async fn service_provider_config(State(st): State<AppState>, headers: HeaderMap) -> Answer {
    directory(&st, &headers).await?;
    Ok(Scim(StatusCode::OK, Some(scim::service_provider_config(&base(&st)))))
}

async fn resource_types(State(st): State<AppState>, headers: HeaderMap) -> Answer {
    directory(&st, &headers).await?;
    Ok(Scim(StatusCode::OK, Some(scim::resource_types(&base(&st)))))
}

async fn schemas(State(st): State<AppState>, headers: HeaderMap) -> Answer {
    directory(&st, &headers).await?;
    Ok(Scim(StatusCode::OK, Some(scim::schemas())))
}

async fn list_users(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Answer {
    let dir = directory(&st, &headers).await?;
    let paging = scim::paging(q.start_index.as_deref(), q.count.as_deref())?;
    let list = dir.list_users(q.filter.as_deref(), paging).await?;
    Ok(Scim(
        StatusCode::OK,
        Some(project_list(list, q.attributes.as_deref(), q.excluded_attributes.as_deref())),
    ))
}

async fn create_user(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Answer {
    let dir = directory(&st, &headers).await?;
    Ok(Scim(StatusCode::CREATED, Some(dir.create_user(&json_body(&body)?).await?)))
}

async fn get_user(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<OneQuery>,
) -> Answer {
    let dir = directory(&st, &headers).await?;
    let user = dir.get_user(&id).await?;
    Ok(Scim(
        StatusCode::OK,
        Some(scim::project(user, q.attributes.as_deref(), q.excluded_attributes.as_deref())),
    ))
}

async fn replace_user(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let dir = directory(&st, &headers).await?;
    Ok(Scim(StatusCode::OK, Some(dir.replace_user(&id, &json_body(&body)?).await?)))
}

async fn patch_user(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let dir = directory(&st, &headers).await?;
    Ok(Scim(StatusCode::OK, Some(dir.patch_user(&id, &json_body(&body)?).await?)))
}

async fn delete_user(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let dir = directory(&st, &headers).await?;
    dir.delete_user(&id).await?;
    Ok(Scim(StatusCode::NO_CONTENT, None))
}

async fn list_groups(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Answer {
    let dir = directory(&st, &headers).await?;
    let paging = scim::paging(q.start_index.as_deref(), q.count.as_deref())?;
    let (attrs, excluded) = (q.attributes.as_deref(), q.excluded_attributes.as_deref());
    let list = dir.list_groups(q.filter.as_deref(), paging, wants_members(attrs, excluded)).await?;
    Ok(Scim(StatusCode::OK, Some(project_list(list, attrs, excluded))))
}

async fn create_group(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Answer {
    let dir = directory(&st, &headers).await?;
    Ok(Scim(StatusCode::CREATED, Some(dir.create_group(&json_body(&body)?).await?)))
}

async fn get_group(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<OneQuery>,
) -> Answer {
    let dir = directory(&st, &headers).await?;
    let (attrs, excluded) = (q.attributes.as_deref(), q.excluded_attributes.as_deref());
    let group = dir.get_group(&id, wants_members(attrs, excluded)).await?;
    Ok(Scim(StatusCode::OK, Some(scim::project(group, attrs, excluded))))
}

async fn replace_group(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let dir = directory(&st, &headers).await?;
    Ok(Scim(StatusCode::OK, Some(dir.replace_group(&id, &json_body(&body)?).await?)))
}

async fn patch_group(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let dir = directory(&st, &headers).await?;
    Ok(Scim(StatusCode::OK, Some(dir.patch_group(&id, &json_body(&body)?).await?)))
}

async fn delete_group(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let dir = directory(&st, &headers).await?;
    dir.delete_group(&id).await?;
    Ok(Scim(StatusCode::NO_CONTENT, None))
}
