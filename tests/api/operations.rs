//! Running Tessera (R-OPS1): honest status codes for the console's refusals with no ERROR
//! logged for them, one INFO line per request carrying its request id, `x-request-id` on
//! every answer, `/metrics` counters that move with the requests that cause them (with
//! several routers in one process), and `/readyz` answering 503 fast when the database
//! does not answer.
use crate::common::{self, spawn_app, Licensing};
use app::domain::Email;
use std::time::{Duration, Instant};
use tessera_testkit::server::{Options, Server};

/// The value of one sample of `/metrics` (0 when the series has not appeared yet).
fn sample(text: &str, series: &str) -> f64 {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0.0)
}

async fn metrics(url: &str) -> String {
    let res = reqwest::get(format!("{url}/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    res.text().await.unwrap()
}

#[test]
fn refusals_answer_with_their_own_status_and_log_no_error() {
    let server = Server::start_with(Options { api_only: true, ..Default::default() });
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = tessera_testkit::console::client();
        let wrong =
            tessera_testkit::console::sign_in(&c, &server.url, common::ADMIN, "not the password").await;
        assert_eq!((wrong.0, wrong.1["code"].as_str()), (401, Some("bad_credentials")), "{}", wrong.1);
        let bad =
            tessera_testkit::console::sign_in(&c, &server.url, "not-an-address", "whatever it is").await;
        assert_eq!(
            (bad.0, bad.1["code"].as_str(), bad.1["field"].as_str()),
            (400, Some("invalid"), Some("email"))
        );
        let team = "00000000-0000-7000-8000-000000000000";
        let signed_out =
            tessera_testkit::console::call(&c, &server.url, "team_home", &[("team", team)]).await;
        assert_eq!((signed_out.0, signed_out.1["code"].as_str()), (401, Some("unauthenticated")));

        // The id a proxy sent is echoed and carried by the request's log line.
        let res = reqwest::Client::new()
            .post(format!("{}/api/sign_in", server.url))
            .header("x-request-id", "lb-7f3a-0001")
            .form(&[("email", common::ADMIN), ("password", "still wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["x-request-id"], "lb-7f3a-0001");
    });
    let log = server.log();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert!(errors.is_empty(), "refusals are not server failures: {errors:#?}");
    let line = log
        .lines()
        .find(|l| l.contains("lb-7f3a-0001") && l.contains(" INFO ") && l.contains("status=401"))
        .unwrap_or_else(|| panic!("no request line with the id in:\n{log}"));
    assert!(
        line.contains("route=\"/api/sign_in\"")
            && line.contains("method=\"POST\"")
            && line.contains("latency_ms="),
        "{line}"
    );
}

#[tokio::test]
async fn every_rest_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let c = reqwest::Client::new();
    let answers = [
        c.get(format!("{}/healthz", app.url)).send().await.unwrap(),
        c.get(format!("{}/readyz", app.url)).send().await.unwrap(),
        c.get(format!("{}/userinfo", app.url)).send().await.unwrap(),
        c.post(format!("{}/licensing/v1/authorize", app.url)).send().await.unwrap(),
        c.post(format!("{}/authentication/v2/token", app.url)).send().await.unwrap(),
        c.get(format!("{}/authentication/v2/keys", app.url)).send().await.unwrap(),
        c.get(format!("{}/provisioning/v1/teams", app.url)).send().await.unwrap(),
        c.get(format!("{}/no/such/page", app.url)).send().await.unwrap(),
    ];
    let mut ids = std::collections::BTreeSet::new();
    for res in &answers {
        let id =
            res.headers().get("x-request-id").unwrap_or_else(|| panic!("{} has no request id", res.url()));
        ids.insert(id.to_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), answers.len(), "a new id per request: {ids:?}");
    // One that is not plain text, or too long, is replaced rather than logged.
    for unfit in ["a b", &"x".repeat(200)] {
        let res = c.get(format!("{}/healthz", app.url)).header("x-request-id", unfit).send().await.unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, unfit);
        assert_eq!(id.len(), 36);
    }
}

#[tokio::test]
async fn metrics_move_with_the_requests_that_cause_them() {
    let app = spawn_app().await;
    // A second router in the same process serves the same recorder.
    let other = spawn_app().await;
    let healthz = "http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}";
    let refused = "licensing_authorizations_total{result=\"not_entitled\"}";
    let before = metrics(&app.url).await;
    for _ in 0..3 {
        assert_eq!(reqwest::get(format!("{}/healthz", app.url)).await.unwrap().status(), 200);
    }
    // A person with nothing for a product is refused.
    let northwind = app.team_id("Northwind Studio").await;
    let admin = app.db.account_by_email(&Email::parse(common::ADMIN).unwrap()).await.unwrap().unwrap();
    let token = Licensing::new(&app, &northwind, "Model 3D desktop").await.token(&app, &admin.id).await;
    let res = reqwest::Client::new()
        .post(format!("{}/licensing/v1/authorize", app.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"product": "NO-SUCH-PRODUCT", "device_id": "d1", "device_name": "Laptop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A console refusal is counted apart from failures.
    let c = app.client();
    assert_eq!(app.sign_in(&c, common::ADMIN, "wrong password!").await.0, 401);

    // The second router serves the same counters; the database's figures are each
    // router's own (the first one has signed a token, so it has a signing key).
    let from_other = metrics(&other.url).await;
    assert!(sample(&from_other, healthz) >= sample(&before, healthz) + 3.0, "{from_other}");
    let after = metrics(&app.url).await;
    assert!(sample(&after, healthz) >= sample(&before, healthz) + 3.0, "{after}");
    assert!(sample(&after, refused) >= sample(&before, refused) + 1.0, "{after}");
    let bad = "console_errors_total{code=\"bad_credentials\",status=\"401\"}";
    assert!(sample(&after, bad) >= sample(&before, bad) + 1.0, "{after}");
    assert!(after.contains(
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",status=\"200\",le=\"0.005\"}"
    ));
    for gauge in ["outbox_backlog ", "outbox_undeliverable ", "signing_key_age_seconds "] {
        assert!(after.lines().any(|l| l.starts_with(gauge)), "{gauge} in {after}");
    }
    // Raw paths never become labels: a request naming a team is counted under the pattern.
    let path = format!("{}/provisioning/v1/teams/{northwind}/subscriptions", app.url);
    assert_eq!(reqwest::get(&path).await.unwrap().status(), 401);
    let after = metrics(&app.url).await;
    assert!(
        after.contains("route=\"/provisioning/v1/teams/{team}/subscriptions\",status=\"401\""),
        "{after}"
    );
    assert!(!after.contains(&northwind.to_string()), "no ids in labels");
}

#[tokio::test]
async fn readyz_answers_503_within_a_second_when_the_database_does_not_answer() {
    let app = spawn_app().await;
    assert_eq!(reqwest::get(format!("{}/readyz", app.url)).await.unwrap().status(), 200);
    // Every connection of the pool taken: the database is not answering this server.
    let mut held = vec![];
    for _ in 0..app.db.pool.options().get_max_connections() {
        held.push(app.db.pool.acquire().await.unwrap());
    }
    let start = Instant::now();
    let res = reqwest::Client::new()
        .get(format!("{}/readyz", app.url))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    let took = start.elapsed();
    assert_eq!(res.status(), 503);
    assert!(took < Duration::from_secs(1), "a load balancer's probe waits about a second: took {took:?}");
    assert_eq!(reqwest::get(format!("{}/healthz", app.url)).await.unwrap().status(), 200, "still alive");
    drop(held);
    assert_eq!(reqwest::get(format!("{}/readyz", app.url)).await.unwrap().status(), 200);
}

/// The watchdog around server-rendered pages: a render that never finishes (the upstream
/// stall `startup::page_watchdog` describes) is dropped and done again; other routes and
/// other methods are left alone.
#[tokio::test]
async fn a_stalled_page_render_is_done_again_and_nothing_else_is_retried() {
    use axum::body::Body;
    use axum::http::Request;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tower::ServiceExt;
    let calls = Arc::new(AtomicUsize::new(0));
    let stall_first = |calls: Arc<AtomicUsize>| {
        move || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    std::future::pending::<()>().await;
                }
                "rendered"
            }
        }
    };
    let router = axum::Router::new()
        .route("/t/{team}/users", axum::routing::get(stall_first(calls.clone())))
        .route("/api/{*fn_name}", axum::routing::get(stall_first(calls.clone())))
        .layer(axum::middleware::from_fn_with_state(
            Duration::from_millis(200),
            tessera::startup::page_watchdog,
        ));

    let res =
        router.clone().oneshot(Request::get("/t/abc/users").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
    assert_eq!(&body[..], b"rendered");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "rendered a second time");

    // A server function (not a page) is never run twice: it stays stalled.
    calls.store(0, Ordering::SeqCst);
    let api = router.oneshot(Request::get("/api/whoami").body(Body::empty()).unwrap());
    assert!(tokio::time::timeout(Duration::from_millis(600), api).await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
