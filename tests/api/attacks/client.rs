//! Attacks: the product client (R-LIC4). Tried as a person who wants to run a product the
//! service would not (or no longer) allow, by keeping the identity and licensing services
//! out of reach: no access token, an expired one (edited or not), a refusal waited out
//! offline, a product never allowed on this device. Each case checks the refusal *and* that
//! nothing was granted or stored: no lease, no temporary licence, exit status 2. The only
//! way to a temporary licence is the one R-LIC4 means: a valid access token for a product
//! the last successful check allowed, while the licensing service is out.
//!
//! The client runs as its own process (`tessera client …`) against this test's server,
//! signed in through the real browser flow; a proxy in front of the server takes the
//! licensing service down while the identity service keeps answering.
use crate::client_harness as harness;

use crate::common::spawn_app;
use app::service::state::Clock;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use harness::{iso, signed_in_client, signed_in_client_behind_proxy, Client};
use serde_json::Value;

/// Nothing was granted or stored for `product`: no lease, no temporary licence.
fn nothing_held(client: &Client, product: &str) {
    assert_eq!(client.held(product), (false, None), "nothing is held for {product}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_access_token_and_no_identity_service_means_sign_in_required() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let client = signed_in_client(&app, dir.path()).await;
    let t0 = app.clock.now();
    // The token is gone (never kept, or wiped); the refresh token would need the service.
    let mut state = client.state_json();
    state["access_token"] = Value::Null;
    client.write_state(&state);
    app.stop().await;

    for (product, at) in [("MODEL3D", t0), ("MODEL3D", t0 + Duration::hours(5)), ("RENDER", t0)] {
        let (code, body) = client.start_product(at, product).await;
        assert_eq!((code, body["status"].as_str()), (2, Some("sign_in_required")), "{product}: {body}");
        nothing_held(&client, product);
        let (code, body) = client.run(at, &["check", "--product", product]).await;
        assert_eq!((code, body["status"].as_str()), (2, Some("sign_in_required")), "{product}: {body}");
        nothing_held(&client, product);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_access_token_gets_nothing_even_when_its_expiry_is_edited() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let client = signed_in_client(&app, dir.path()).await;
    let t0 = app.clock.now();
    app.stop().await;

    // An hour and a minute later the token has expired (R-LIC4: tokens last up to 1 hour).
    let later = t0 + Duration::minutes(61);
    let (code, body) = client.start(later).await;
    assert_eq!((code, body["status"].as_str()), (2, Some("sign_in_required")), "{body}");
    nothing_held(&client, "MODEL3D");

    // The person moves the token's `exp` a year ahead in the state file: its signature no
    // longer verifies, so it counts as no token at all.
    let mut state = client.state_json();
    let token = state["access_token"].as_str().expect("a token").to_string();
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    claims["exp"] = Value::from(claims["exp"].as_i64().expect("exp") + 365 * 24 * 3600);
    let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2]);
    state["access_token"] = Value::String(forged);
    client.write_state(&state);
    for at in [later, t0 + Duration::hours(5), t0 + Duration::days(3)] {
        let (code, body) = client.start(at).await;
        assert_eq!((code, body["status"].as_str()), (2, Some("sign_in_required")), "{}: {body}", iso(at));
        nothing_held(&client, "MODEL3D");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_person_gets_nothing_offline() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let (client, proxy) = signed_in_client_behind_proxy(&app, dir.path()).await;
    let t0 = app.clock.now();
    // RENDER is not theirs: refused online.
    let (code, body) = client.start_product(t0, "RENDER").await;
    assert_eq!((code, body["error"].as_str()), (2, Some("not_entitled")), "{body}");

    // Licensing out, identity answering, a valid token: still refused, from memory.
    proxy.licensing_down(true);
    for at in [t0, t0 + Duration::hours(5)] {
        for command in ["start", "check"] {
            let (code, body) = client.run(at, &[command, "--product", "RENDER"]).await;
            assert_eq!(
                (code, body["status"].as_str(), body["error"].as_str()),
                (2, Some("refused"), Some("not_entitled")),
                "{command} at {}: {body}",
                iso(at)
            );
            nothing_held(&client, "RENDER");
        }
    }
    // Everything out, days later: the same.
    app.stop().await;
    let (code, body) = client.start_product(t0 + Duration::days(3), "RENDER").await;
    assert_eq!((code, body["status"].as_str()), (2, Some("refused")), "{body}");
    nothing_held(&client, "RENDER");

    // Erasing the remembered refusal from the state file gains nothing either: the product
    // was never allowed here, and without the identity service there is no valid token.
    let mut state = client.state_json();
    state["products"]["RENDER"]["refusal"] = Value::Null;
    client.write_state(&state);
    let (code, body) = client.start_product(t0 + Duration::days(3), "RENDER").await;
    assert_eq!((code, body["status"].as_str()), (2, Some("sign_in_required")), "{body}");
    nothing_held(&client, "RENDER");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_never_allowed_here_gets_no_temporary_licence_by_blocking_licensing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let (client, proxy) = signed_in_client_behind_proxy(&app, dir.path()).await;
    let t0 = app.clock.now();
    // The person blocks the licensing service themself, keeping identity (a valid token).
    proxy.licensing_down(true);
    for (product, at) in [("RENDER", t0), ("RENDER", t0 + Duration::hours(4)), ("MODEL3D", t0)] {
        let (code, body) = client.start_product(at, product).await;
        assert_eq!((code, body["status"].as_str()), (2, Some("not_authorized")), "{product}: {body}");
        nothing_held(&client, product);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_token_and_an_allowed_product_get_a_four_hour_licence_in_a_licensing_outage() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let (client, proxy) = signed_in_client_behind_proxy(&app, dir.path()).await;
    let t0 = app.clock.now();
    assert_eq!(client.start(t0).await.1["status"], "licensed");
    proxy.licensing_down(true);

    // The open product's checks fail: 24 hours of grace, then a temporary licence of 4 hours
    // (the token is refreshed through the identity service, which still answers).
    let failed = t0 + Duration::hours(24);
    assert_eq!(client.check(failed).await.1["status"], "grace");
    let due = failed + Duration::hours(24);
    let (code, body) = client.check(due).await;
    assert_eq!((code, body["status"].as_str()), (0, Some("temporary")), "{body}");
    assert_eq!(body["until"], iso(due + Duration::hours(4)));
    assert_eq!(client.held("MODEL3D"), (true, Some(iso(due + Duration::hours(4)))));
}

/// The case: a person who was allowed MODEL3D here loses the seat; the next online
/// check is refused (`not_entitled`), and that refusal takes the lease with it. Keeping the
/// licensing service (or both services) out of reach afterwards gains nothing: the client
/// answers the remembered refusal, no temporary licence and no running on the old lease,
/// even when the person copies the old lease back into the state file.
#[tokio::test(flavor = "multi_thread")]
async fn a_person_whose_seat_was_taken_away_gets_nothing_offline() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let (client, proxy) = signed_in_client_behind_proxy(&app, dir.path()).await;
    let t0 = app.clock.now();
    let (code, body) = client.start(t0).await;
    assert_eq!((code, body["status"].as_str(), body["days_left"].as_i64()), (0, Some("licensed"), Some(30)));
    let old_lease = client.state_json()["products"]["MODEL3D"]["lease"].clone();
    assert!(old_lease.is_string(), "a 30-day lease is held");

    // The team's admin takes the seat away.
    let team = app.team_id("Northwind Studio").await;
    let person = app
        .db
        .account_by_email(&app::domain::Email::parse(harness::PERSON).unwrap())
        .await
        .unwrap()
        .expect("the person")
        .id;
    let product = app.db.product_by_code("MODEL3D").await.unwrap().expect("MODEL3D");
    let mut tx = app.db.pool.begin().await.unwrap();
    assert!(app::store::assignments::unassign(&mut tx, &team, &person, &product.id).await.unwrap());
    tx.commit().await.unwrap();

    // The next check is refused online: the product stops, the lease is dropped and the
    // refusal is remembered in its place.
    let (code, body) = client.check(t0 + Duration::minutes(30)).await;
    assert_eq!(
        (code, body["status"].as_str(), body["error"].as_str()),
        (2, Some("refused"), Some("not_entitled")),
        "{body}"
    );
    nothing_held(&client, "MODEL3D");
    assert_eq!(client.state_json()["products"]["MODEL3D"]["refusal"]["error"], "not_entitled");

    // Licensing out, identity answering (the token is refreshed, so it is valid): every
    // start and check, including those that would be a restart on the lease, the grace
    // period or a temporary licence had the lease been kept, gets the refusal again.
    let refused = |code: i32, body: &Value, what: &str| {
        assert_eq!(
            (code, body["status"].as_str(), body["error"].as_str()),
            (2, Some("refused"), Some("not_entitled")),
            "{what}: {body}"
        );
    };
    proxy.licensing_down(true);
    for at in [t0 + Duration::hours(1), t0 + Duration::hours(5), t0 + Duration::hours(49)] {
        for command in ["start", "check"] {
            let (code, body) =
                client.run(at, &[command, "--product", "MODEL3D", "--device-name", "Studio PC"]).await;
            refused(code, &body, &format!("{command} at {} (licensing out)", iso(at)));
            nothing_held(&client, "MODEL3D");
        }
    }

    // Both services out, days later (the token has expired): the same.
    app.stop().await;
    for at in [t0 + Duration::days(3), t0 + Duration::days(29)] {
        let (code, body) = client.start(at).await;
        refused(code, &body, &format!("start at {} (both out)", iso(at)));
        nothing_held(&client, "MODEL3D");
        let (code, body) = client.check(at).await;
        refused(code, &body, &format!("check at {} (both out)", iso(at)));
        nothing_held(&client, "MODEL3D");
    }

    // The person puts the old lease (still within its 30 days, and it verifies) back into
    // the state file: the remembered refusal still stands, and no temporary licence is given.
    let mut state = client.state_json();
    state["products"]["MODEL3D"]["lease"] = old_lease;
    client.write_state(&state);
    for at in [t0 + Duration::days(3), t0 + Duration::days(29)] {
        let (code, body) = client.start(at).await;
        refused(code, &body, &format!("start on the old lease at {}", iso(at)));
        let (code, body) = client.check(at).await;
        refused(code, &body, &format!("check on the old lease at {}", iso(at)));
        assert_eq!(client.held("MODEL3D").1, None, "no temporary licence");
    }
}
