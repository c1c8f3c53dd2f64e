//! Browser hardening for every response: a Content Security Policy whose per-response nonce
//! is the one Leptos puts on its hydration and streaming scripts, the usual security headers,
//! and an Origin check that stops other sites from submitting state-changing requests with
//! the console's session cookie (CSRF, including login CSRF).
//!
//! The session cookie is `SameSite=Lax`, which already keeps it off cross-site POSTs in
//! current browsers; the Origin check is the second line (older browsers, same-site
//! subdomains, and sign-in forms, which need no cookie to be abused).
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rand::RngCore as _;
use std::sync::Arc;

/// State-changing endpoints that authenticate with client credentials or bearer tokens,
/// never the session cookie: a forged browser request gains nothing there, and desktop
/// products and other sites' back ends call them by design.
const NO_COOKIE_PATHS: &[&str] = &["/authentication/v2/token", "/authentication/v2/revoke"];
const NO_COOKIE_PREFIXES: &[&str] = &["/licensing/", "/provisioning/", "/scim/"];

/// Pages whose form hands the browser over to another site by redirect (the consent page
/// back to the app's redirect URI, any port or scheme; the SSO form to the company's
/// provider). Chromium applies `form-action` to the redirect, so these pages go without it.
const HANDOVER_FORM_PAGES: &[&str] = &["/authentication/v2/authorize", "/sso"];

#[derive(Clone, Debug)]
pub struct SecurityConfig {
    /// `scheme://host[:port]` of `WebConfig::public_url`, as browsers write `Origin`.
    public_origin: String,
    public_scheme: String,
    hsts: bool,
}

impl SecurityConfig {
    pub fn new(public_url: &str, secure_cookies: bool) -> Self {
        let (public_origin, public_scheme) = match parse_origin(public_url) {
            Some(o) => (o.serialized(), o.scheme),
            // Unparseable public URL: nothing matches it, the Host fallback still works.
            None => (String::new(), "http".to_string()),
        };
        SecurityConfig { public_origin, public_scheme, hsts: secure_cookies }
    }
}

/// The nonce of one response, handed from the middleware to the Leptos renderer through the
/// request's extensions (see `provide_request_nonce`).
#[derive(Clone, Debug)]
pub struct CspNonce(pub Arc<str>);

impl CspNonce {
    /// A fresh random nonce (16 bytes, base64url). Public for the tests (tests/api/edge).
    #[doc(hidden)]
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        CspNonce(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes).into())
    }
}

/// Makes Leptos use this request's nonce instead of the random one `leptos_axum` provides,
/// so the scripts it renders match the policy the middleware sends. Call it in the render's
/// additional context (it runs after `leptos_axum` has provided the request parts).
pub fn provide_request_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce =
        use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned());
    if let Some(n) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
}

pub fn content_security_policy(nonce: &str, with_form_action: bool) -> String {
    // style-src-attr: a few bars and the chart tooltip size themselves with `style=`.
    let mut csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    );
    if with_form_action {
        csp.push_str("; form-action 'self'");
    }
    csp
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Another site (or an opaque `null` origin) sent it.
    Refuse,
}

/// Only methods that change something, and only where the session cookie counts.
pub fn needs_origin_check(method: &Method, path: &str) -> bool {
    let changes = matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    changes && !NO_COOKIE_PATHS.contains(&path) && !NO_COOKIE_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Decides a state-changing request by where the browser says it comes from. No `Origin`
/// and no cross-site `Sec-Fetch-Site` means a non-browser client (CLI, desktop product,
/// server-to-server): those carry no ambient cookie of a victim, so they pass.
/// An `Origin` passes when it is the public origin, or the scheme matches and the host is
/// the one the browser addressed (`Host`): that is same-origin too, e.g. `localhost` when
/// the public URL says `127.0.0.1`; a cross-site request always names the target in `Host`
/// and its own site in `Origin`.
pub fn origin_verdict(
    cfg: &SecurityConfig,
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    host: Option<&str>,
) -> Verdict {
    let Some(origin) = origin else {
        return match sec_fetch_site {
            Some(s) if s.trim().eq_ignore_ascii_case("cross-site") => Verdict::Refuse,
            _ => Verdict::Allow,
        };
    };
    let Some(o) = parse_origin(origin.trim()) else {
        return Verdict::Refuse;
    };
    if !cfg.public_origin.is_empty() && o.serialized() == cfg.public_origin {
        return Verdict::Allow;
    }
    let addressed = host.and_then(|h| parse_origin(&format!("{}://{}", o.scheme, h.trim())));
    match addressed {
        Some(h) if o.scheme == cfg.public_scheme && h == o => Verdict::Allow,
        _ => Verdict::Refuse,
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    /// None for the scheme's default port, as in a serialized origin.
    port: Option<u16>,
}

impl Origin {
    fn serialized(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }
}

fn parse_origin(s: &str) -> Option<Origin> {
    let uri: Uri = s.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let port = authority.port_u16().filter(|p| *p != default);
    Some(Origin { scheme, host: authority.host().to_ascii_lowercase(), port })
}

fn refusal(cfg: &SecurityConfig, path: &str) -> Response {
    let message = format!(
        "This request was sent from another site, so Tessera refused it. Open Tessera at {} and try again.",
        if cfg.public_origin.is_empty() { "its own address" } else { &cfg.public_origin }
    );
    if path.starts_with("/api/") {
        let body = serde_json::json!({ "code": "forbidden_origin", "message": message });
        (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
    } else {
        (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message)
            .into_response()
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The middleware: refuses cross-site state changes, then adds the headers to whatever the
/// inner service answered (pages, APIs, static files, errors).
pub async fn guard(State(cfg): State<Arc<SecurityConfig>>, mut req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let refused = needs_origin_check(req.method(), &path)
        && {
            let headers = req.headers();
            let host = header_str(headers, "host")
                .map(str::to_string)
                .or_else(|| req.uri().authority().map(|a| a.to_string()));
            let origin = header_str(headers, "origin");
            let verdict =
                origin_verdict(&cfg, origin, header_str(headers, "sec-fetch-site"), host.as_deref());
            if verdict == Verdict::Refuse {
                tracing::warn!(method = %req.method(), path = %path, origin = origin.unwrap_or("-"), "cross-site request refused");
            }
            verdict == Verdict::Refuse
        };
    let nonce = CspNonce::generate();
    let mut res = if refused {
        refusal(&cfg, &path)
    } else {
        req.extensions_mut().insert(nonce.clone());
        next.run(req).await
    };
    let with_form_action = !HANDOVER_FORM_PAGES.contains(&path.as_str());
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(&nonce.0, with_form_action)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if cfg.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    res
}
