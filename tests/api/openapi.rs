//! `GET /openapi.json` (R-OPS1): an OpenAPI 3.1 document that an independent validator
//! accepts and that lists every REST route the server mounts (a new route missing from it
//! fails here).
use crate::common::{self, spawn_app};
use std::collections::BTreeSet;

/// Routes of `src/` that are not REST (console pages and downloads, the HTML sign-in
/// flows, the test clock), with why.
const NOT_REST: &[(&str, &str)] = &[
    ("/api/{*fn_name}", "the console's server functions"),
    ("/pkg/{*file}", "the console's site files"),
    ("/t/{team}/usage/export.csv", "a console download behind the session cookie"),
    ("/t/{team}/people/export.csv", "a console download behind the session cookie"),
    ("/t/{team}/usage/advice.csv", "a console download behind the session cookie"),
    ("/authentication/v2/authorize", "an HTML sign-in and consent page"),
    ("/sso", "HTML: single sign-on through the team's provider"),
    ("/sso/callback", "HTML: the provider's answer"),
    ("/sso/link", "HTML: linking a first single sign-on"),
    ("/sso/link/email", "HTML: linking by a mailed link"),
    ("/sso/link/confirm", "HTML: the mailed link"),
    ("/testing/clock", "mounted only with `serve --test-clock`"),
    ("/scim/v2/ServiceProviderConfig", "SCIM 2.0: described by itself (RFC 7643 §5)"),
    ("/scim/v2/ResourceTypes", "SCIM 2.0: its own discovery (RFC 7643 §6)"),
    ("/scim/v2/Schemas", "SCIM 2.0: its own schema document (RFC 7643 §7)"),
    ("/scim/v2/Users", "SCIM 2.0 Users, described by /scim/v2/Schemas (tests/api/scim.rs)"),
    ("/scim/v2/Users/{id}", "SCIM 2.0 Users, described by /scim/v2/Schemas (tests/api/scim.rs)"),
    ("/scim/v2/Groups", "SCIM 2.0 Groups, described by /scim/v2/Schemas (tests/api/scim.rs)"),
    ("/scim/v2/Groups/{id}", "SCIM 2.0 Groups, described by /scim/v2/Schemas (tests/api/scim.rs)"),
    ("/scim/v2/{*rest}", "SCIM 2.0: any other path is a SCIM 404"),
];

#[tokio::test]
async fn the_openapi_document_validates_and_lists_every_rest_route() {
    let app = spawn_app().await;
    let res = reqwest::get(format!("{}/openapi.json", app.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."), "{}", doc["openapi"]);

    let paths: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let not_rest: BTreeSet<String> = NOT_REST.iter().map(|(p, _)| p.to_string()).collect();
    let mounted = common::mounted_routes();
    let missing: Vec<&String> =
        mounted.iter().filter(|r| !not_rest.contains(*r) && !paths.contains(*r)).collect();
    assert!(missing.is_empty(), "REST routes missing from /openapi.json: {missing:?}");
    let stale: Vec<&String> = paths.iter().filter(|p| !mounted.contains(*p)).collect();
    assert!(stale.is_empty(), "documented but not mounted: {stale:?}");
    // The contract's answers are described, not just the paths.
    let authorize = &doc["paths"]["/licensing/v1/authorize"]["post"]["responses"];
    for status in ["200", "400", "401", "403"] {
        assert!(authorize[status].is_object(), "authorize documents {status}");
    }
    let granted = &doc["components"]["schemas"]["Granted"]["properties"];
    for key in ["license_type", "lease", "offline_until", "next_check_at", "tokens_charged"] {
        assert!(granted[key].is_object(), "Granted has {key}");
    }
    assert!(doc["components"]["securitySchemes"]["operator"].is_object());

    // An independent validator (the OpenAPI project's JSON schemas, through
    // @seriousme/openapi-schema-validator) accepts it.
    let file = app.dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let root = common::root();
    let out = std::process::Command::new("node")
        .arg(root.join("tools/validate-openapi.mjs"))
        .arg(&file)
        .current_dir(root.join("tools"))
        .output()
        .expect("node (scripts/setup.sh installs the validator into tools/)");
    assert!(
        out.status.success(),
        "the validator refused the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid OpenAPI 3.1"));
}
