// Unit tests of src/security.rs, moved out of its #[cfg(test)] module (see mod.rs).
use axum::http::Method;
use tessera::security::{
    content_security_policy, needs_origin_check, origin_verdict, CspNonce, SecurityConfig, Verdict,
};

fn cfg() -> SecurityConfig {
    SecurityConfig::new("http://127.0.0.1:3000/", false)
}

const HOST: Option<&str> = Some("127.0.0.1:3000");

#[test]
fn the_public_origin_passes() {
    assert_eq!(
        origin_verdict(&cfg(), Some("http://127.0.0.1:3000"), Some("same-origin"), HOST),
        Verdict::Allow
    );
    let https = SecurityConfig::new("https://Console.Example.com", true);
    // Behind a proxy the Host may be an internal name: the public origin alone decides.
    assert_eq!(
        origin_verdict(&https, Some("https://console.example.com"), None, Some("10.0.0.5:3000")),
        Verdict::Allow
    );
    assert_eq!(
        origin_verdict(&https, Some("https://console.example.com:443"), None, None),
        Verdict::Allow,
        "default port is the same origin"
    );
}

#[test]
fn other_sites_are_refused() {
    for origin in [
        "https://evil.example",
        "http://127.0.0.1:3001",
        "https://127.0.0.1:3000",
        "null",
        "",
        "http://127.0.0.1:3000@evil.example",
    ] {
        assert_eq!(origin_verdict(&cfg(), Some(origin), None, HOST), Verdict::Refuse, "{origin}");
    }
    let https = SecurityConfig::new("https://console.example.com", true);
    assert_eq!(
        origin_verdict(
            &https,
            Some("https://console.example.com.evil.example"),
            None,
            Some("console.example.com")
        ),
        Verdict::Refuse
    );
}

#[test]
fn the_addressed_host_counts_as_same_origin() {
    assert_eq!(
        origin_verdict(&cfg(), Some("http://localhost:3000"), None, Some("localhost:3000")),
        Verdict::Allow
    );
    // Another port on the addressed host is another origin.
    assert_eq!(
        origin_verdict(&cfg(), Some("http://localhost:3001"), None, Some("localhost:3000")),
        Verdict::Refuse
    );
    // A plain-http page must not post to the https console.
    let https = SecurityConfig::new("https://console.example.com", true);
    assert_eq!(
        origin_verdict(&https, Some("http://console.example.com"), None, Some("console.example.com")),
        Verdict::Refuse
    );
}

#[test]
fn clients_without_origin_pass_unless_the_browser_says_cross_site() {
    assert_eq!(origin_verdict(&cfg(), None, None, HOST), Verdict::Allow);
    assert_eq!(origin_verdict(&cfg(), None, Some("same-origin"), HOST), Verdict::Allow);
    assert_eq!(origin_verdict(&cfg(), None, Some("none"), HOST), Verdict::Allow);
    assert_eq!(origin_verdict(&cfg(), None, Some("cross-site"), HOST), Verdict::Refuse);
}

#[test]
fn only_cookie_routes_that_change_state_are_checked() {
    assert!(needs_origin_check(&Method::POST, "/api/sign_in"));
    assert!(needs_origin_check(&Method::POST, "/authentication/v2/authorize"));
    assert!(needs_origin_check(&Method::POST, "/sso"));
    assert!(needs_origin_check(&Method::DELETE, "/anything"));
    assert!(!needs_origin_check(&Method::GET, "/api/sign_in"));
    assert!(!needs_origin_check(&Method::POST, "/authentication/v2/token"));
    assert!(!needs_origin_check(&Method::POST, "/authentication/v2/revoke"));
    assert!(!needs_origin_check(&Method::POST, "/licensing/v1/authorize"));
}

#[test]
fn the_policy_carries_the_nonce_and_drops_form_action_only_for_handover_pages() {
    let csp = content_security_policy("abc", true);
    assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!content_security_policy("abc", false).contains("form-action"));
    let a = CspNonce::generate();
    let b = CspNonce::generate();
    assert_ne!(a.0, b.0);
    assert!(a.0.len() >= 22 && a.0.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
}
