//! The product client (`tessera client …`) against the real server, which the tests stop
//! and start again: sign-in through the browser flow on a loopback redirect, a start
//! online, 29 and 30 days offline with the last-3-days warning, a first start during an
//! outage (nothing until the service has answered once), an outage while open (24 hours,
//! then temporary licences while the identity service still answers, the lease when it
//! does not) and recovery, a remembered refusal, and the state file's permissions. The
//! client's clock is moved with `--now`.
use crate::client_harness as harness;
use crate::common;

use app::service::state::Clock;
use chrono::{Duration, Utc};
use common::spawn_app;
use harness::{iso, signed_in_client, signed_in_client_behind_proxy};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn offline_for_29_days_warns_and_for_30_days_stops() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let client = signed_in_client(&app, dir.path()).await;
    let t0 = app.clock.now();
    let (code, body) = client.start(t0).await;
    assert_eq!(code, 0, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["license_type"].as_str()),
        (Some("licensed"), Some("subscription"))
    );
    assert_eq!(body["days_left"], 30);
    assert_eq!(client.run(t0, &["stop", "--product", "MODEL3D"]).await.1["released"], true);

    app.stop().await;
    let (code, body) = client.start(t0 + Duration::days(26)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("offline")), "{body}");
    assert_eq!((body["days_left"].as_i64(), body["final_days"].as_bool()), (Some(4), Some(false)));
    let (_, body) = client.start(t0 + Duration::days(27) + Duration::minutes(1)).await;
    assert_eq!((body["days_left"].as_i64(), body["final_days"].as_bool()), (Some(3), Some(true)), "{body}");
    let (code, body) = client.start(t0 + Duration::days(29)).await;
    assert_eq!((code, body["status"].as_str(), body["days_left"].as_i64()), (0, Some("offline"), Some(1)));
    assert_eq!(body["final_days"], true);
    let (code, body) = client.start(t0 + Duration::days(30)).await;
    assert_eq!((code, body["status"].as_str()), (2, Some("stopped")), "{body}");

    // Back online: the next start authorizes again and the 30 days begin anew.
    app.start_again().await;
    let (code, body) = client.start(t0 + Duration::days(30)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("licensed")), "{body}");
    let (_, body) = client.run(t0 + Duration::days(30), &["status", "--product", "MODEL3D"]).await;
    assert_eq!(body["status"], "leased");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_start_during_an_outage_gets_nothing_until_the_service_has_answered_once() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (client, proxy) = signed_in_client_behind_proxy(&app, dir.path()).await;
    let t0 = app.clock.now();

    // Signed in, the licensing service out: the product was never allowed on this device,
    // so there is no temporary licence to give (R-LIC1: the first authorization is online).
    proxy.licensing_down(true);
    let (code, body) = client.start(t0).await;
    assert_eq!((code, body["status"].as_str()), (2, Some("not_authorized")), "{body}");
    assert_eq!(client.held("MODEL3D"), (false, None), "nothing granted");

    // Both services out and the access token expired: sign-in is required (R-LIC4).
    app.stop().await;
    let (code, body) = client.start(t0 + Duration::hours(2)).await;
    assert_eq!((code, body["status"].as_str()), (2, Some("sign_in_required")), "{body}");
    assert_eq!(client.held("MODEL3D"), (false, None), "nothing granted");

    // Everything back: the real licence at once, the token refreshed on the way.
    app.start_again().await;
    proxy.licensing_down(false);
    let (code, body) = client.start(t0 + Duration::hours(2)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("licensed")), "{body}");
    assert_eq!(body["license_type"], "subscription");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_while_open_gives_24_hours_then_temporary_licences_then_recovery() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (client, proxy) = signed_in_client_behind_proxy(&app, dir.path()).await;
    let t0 = app.clock.now();
    assert_eq!(client.start(t0).await.1["status"], "licensed");
    // Only the licensing service is out: the identity service renews the access token, so
    // the person is still signed in when the temporary licences are due.
    proxy.licensing_down(true);

    let failed = t0 + Duration::hours(24);
    let (code, body) = client.check(failed).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("grace")), "{body}");
    assert_eq!(body["until"], iso(failed + Duration::hours(24)));
    assert_eq!(client.check(failed + Duration::hours(23)).await.1["status"], "grace");
    let (code, body) = client.check(failed + Duration::hours(24)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("temporary")), "{body}");
    assert_eq!(body["until"], iso(failed + Duration::hours(28)));
    let (_, body) = client.check(failed + Duration::hours(28)).await;
    assert_eq!((body["status"].as_str(), body["renewed"].as_bool()), (Some("temporary"), Some(true)));
    assert_eq!(body["until"], iso(failed + Duration::hours(32)));

    proxy.licensing_down(false);
    let (code, body) = client.check(failed + Duration::hours(29)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("licensed")), "{body}");
    assert_eq!(body["days_left"], 30);
    assert_eq!(client.held("MODEL3D").1, None, "the temporary licence is over");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_identity_service_out_too_an_open_product_runs_on_its_lease() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let client = signed_in_client(&app, dir.path()).await;
    let t0 = app.clock.now();
    assert_eq!(client.start(t0).await.1["status"], "licensed");
    app.stop().await;

    let failed = t0 + Duration::hours(24);
    assert_eq!(client.check(failed).await.1["status"], "grace");
    // No valid access token and no identity service: no temporary licence, but the lease
    // (R-LIC2) still lets the product run, as a restart would, until its 30 days end.
    let (code, body) = client.check(failed + Duration::hours(24)).await;
    assert_eq!((code, body["status"].as_str(), body["days_left"].as_i64()), (0, Some("offline"), Some(28)));
    assert_eq!(client.held("MODEL3D"), (true, None), "no temporary licence recorded");
    let (code, body) = client.check(t0 + Duration::days(30)).await;
    assert_eq!((code, body["status"].as_str()), (2, Some("stopped")), "{body}");

    app.start_again().await;
    let (code, body) = client.check(t0 + Duration::days(30)).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("licensed")), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_stops_the_product_says_why_and_is_remembered_offline() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let client = signed_in_client(&app, dir.path()).await;
    let (code, body) = client.start_product(Utc::now(), "RENDER").await;
    assert_eq!(
        (code, body["status"].as_str(), body["error"].as_str()),
        (2, Some("refused"), Some("not_entitled"))
    );
    let state = client.state_json();
    assert_eq!(state["products"]["RENDER"]["refusal"]["error"], "not_entitled", "{state}");
    // A lease edited by hand verifies no more: the product does not run on it offline.
    assert_eq!(client.start(Utc::now()).await.0, 0);
    let mut state = client.state_json();
    let lease = state["products"]["MODEL3D"]["lease"].as_str().unwrap().to_string();
    let mut parts: Vec<String> = lease.split('.').map(str::to_string).collect();
    parts[2] = parts[2].chars().rev().collect();
    state["products"]["MODEL3D"]["lease"] = Value::String(parts.join("."));
    client.write_state(&state);
    app.stop().await;
    let (code, body) = client.start(Utc::now()).await;
    assert_eq!((code, body["status"].as_str()), (2, Some("stopped")), "{body}");
    // Offline, the refusal still stands, with its reason.
    let (code, body) = client.start_product(Utc::now(), "RENDER").await;
    assert_eq!(
        (code, body["status"].as_str(), body["error"].as_str()),
        (2, Some("refused"), Some("not_entitled")),
        "{body}"
    );
    assert_eq!(client.held("RENDER"), (false, None));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_state_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let client = signed_in_client(&app, dir.path()).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // It holds the refresh token and the client secret.
    let state = client.state_json();
    assert!(state["refresh_token"].is_string() && state["client_secret"].is_string(), "{state}");
    assert_eq!(mode(&client.state), 0o600, "after sign-in");

    // A file left readable by an older version, and a stale temporary file from a crash:
    // the next write replaces both with an owner-only file.
    std::fs::set_permissions(&client.state, std::fs::Permissions::from_mode(0o644)).unwrap();
    let tmp = client.state.with_extension("tmp");
    std::fs::write(&tmp, "left over").unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert_eq!(client.start(app.clock.now()).await.1["status"], "licensed");
    assert_eq!(mode(&client.state), 0o600, "after a start");
    assert!(!tmp.exists(), "the temporary file was renamed into place");
    assert!(client.state_json()["products"]["MODEL3D"]["lease"].is_string());
}
