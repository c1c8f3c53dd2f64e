//! An OpenID Connect provider run by the attacker: it asserts whatever subject, address and
//! `email_verified` the test tells it to, signed with its own published key, exactly as a
//! hostile team admin's own provider would. Discovery, authorize (answers at once, no
//! sign-in), token (PKCE ignored: it is the attacker's) and JWKS.
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the provider will say about the person signing in.
#[derive(Clone, Debug)]
pub struct Says {
    pub sub: String,
    pub email: String,
    pub email_verified: Value,
}

struct Inner {
    url: String,
    kid: String,
    key: jsonwebtoken::EncodingKey,
    n: String,
    e: String,
    says: Mutex<Says>,
    /// code → (nonce, client_id)
    codes: Mutex<HashMap<String, (String, String)>>,
}

#[derive(Clone)]
pub struct Idp {
    pub url: String,
    inner: Arc<Inner>,
}

impl Idp {
    pub async fn start(says: Says) -> Idp {
        let key = app::service::keys::generate_rsa_2048_blocking().await.expect("rsa key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let inner = Arc::new(Inner {
            url: url.clone(),
            kid: "evil-key".into(),
            key: jsonwebtoken::EncodingKey::from_rsa_pem(key.private_pem.as_bytes()).expect("pem"),
            n: key.n,
            e: key.e,
            says: Mutex::new(says),
            codes: Mutex::new(HashMap::new()),
        });
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/jwks", get(jwks))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Idp { url, inner }
    }

    /// From now on the provider asserts `says`.
    pub fn will_say(&self, says: Says) {
        *self.inner.says.lock().expect("lock") = says;
    }
}

pub fn says(sub: &str, email: &str, verified: bool) -> Says {
    Says { sub: sub.into(), email: email.into(), email_verified: Value::Bool(verified) }
}

async fn discovery(State(s): State<Arc<Inner>>) -> Json<Value> {
    Json(json!({
        "issuer": s.url,
        "authorization_endpoint": format!("{}/authorize", s.url),
        "token_endpoint": format!("{}/token", s.url),
        "jwks_uri": format!("{}/jwks", s.url),
    }))
}

async fn authorize(State(s): State<Arc<Inner>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let code = uuid::Uuid::new_v4().to_string();
    let nonce = q.get("nonce").cloned().unwrap_or_default();
    let client = q.get("client_id").cloned().unwrap_or_default();
    s.codes.lock().expect("lock").insert(code.clone(), (nonce, client));
    let to = format!(
        "{}?code={code}&state={}",
        q.get("redirect_uri").cloned().unwrap_or_default(),
        q.get("state").cloned().unwrap_or_default()
    );
    Redirect::to(&to).into_response()
}

async fn token(State(s): State<Arc<Inner>>, Form(f): Form<HashMap<String, String>>) -> Response {
    let Some((nonce, client)) = f.get("code").and_then(|c| s.codes.lock().expect("lock").remove(c)) else {
        return (axum::http::StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})))
            .into_response();
    };
    let says = s.says.lock().expect("lock").clone();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": s.url, "sub": says.sub, "aud": client, "iat": now, "exp": now + 300, "nonce": nonce,
        "email": says.email, "email_verified": says.email_verified,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(s.kid.clone());
    let id_token = jsonwebtoken::encode(&header, &claims, &s.key).expect("sign");
    Json(json!({"access_token": "opaque", "token_type": "Bearer", "expires_in": 3600, "id_token": id_token}))
        .into_response()
}

async fn jwks(State(s): State<Arc<Inner>>) -> Json<Value> {
    Json(json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid, "n": s.n, "e": s.e}]}))
}
