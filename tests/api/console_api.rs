//! The console's server functions and pages over real HTTP.
use crate::common;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let c = app.client();
    let h = c.get(format!("{}/healthz", app.url)).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let r = c.get(format!("{}/readyz", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_refused_and_leaves_no_session() {
    let app = spawn_app().await;
    let c = app.client();
    let (status, body) = app.sign_in(&c, ADMIN, "not-the-password").await;
    assert!(status >= 400, "status {status}");
    assert_eq!(body["code"], "bad_credentials");
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert_eq!(me, serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_email_gets_the_same_answer_as_a_wrong_password() {
    let app = spawn_app().await;
    let (_, body) = app.sign_in(&app.client(), "nobody@example.com", "whatever-it-is").await;
    assert_eq!(body["code"], "bad_credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_email_names_the_problem() {
    let app = spawn_app().await;
    let (_, body) = app.sign_in(&app.client(), "admin.example.com", "x").await;
    assert_eq!(body["code"], "invalid");
    assert_eq!(body["field"], "email");
    assert_eq!(body["message"], "Email address \"admin.example.com\" has no @.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_shows_who_and_which_teams() {
    let app = spawn_app().await;
    let c = app.client();
    let (status, _) = app.sign_in(&c, "Admin@Northwind.example", PASSWORD).await;
    assert!(status < 400, "status {status}");
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert_eq!(me["name"], "Avery Admin");
    let teams: Vec<&str> =
        me["teams"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(teams, ["Harbor Engineering", "Northwind Studio"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_are_throttled_even_for_the_right_password() {
    let app = spawn_app().await;
    let c = app.client();
    for _ in 0..5 {
        let (_, body) = app.sign_in(&c, ADMIN, "wrong-password").await;
        assert_eq!(body["code"], "bad_credentials");
    }
    let (_, body) = app.sign_in(&c, ADMIN, PASSWORD).await;
    assert_eq!(body["code"], "throttled");
    let wait = body["retry_after_secs"].as_i64().unwrap();
    assert!((890..=900).contains(&wait), "retry after {wait}s");
    // Another address is not affected.
    let (status, _) = app.sign_in(&app.client(), "amara.okafor0@northwind.example", PASSWORD).await;
    assert!(status < 400);
    // After the window the right password works again.
    app.clock.advance(chrono::Duration::minutes(15));
    let (status, _) = app.sign_in(&c, ADMIN, PASSWORD).await;
    assert!(status < 400);
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tessera_session="))
        .map(|v| v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_hardened_and_rotated_at_sign_in() {
    let app = spawn_app().await;
    let c = app.client();
    let post = |c: &reqwest::Client| {
        c.post(format!("{}/api/sign_in", app.url))
            .header("Accept", "application/json")
            .form(&[("email", ADMIN), ("password", PASSWORD)])
            .send()
    };
    let first = session_cookie(&post(&c).await.unwrap()).expect("cookie set");
    assert!(first.contains("HttpOnly"), "{first}");
    assert!(first.contains("SameSite=Lax"), "{first}");
    assert!(!first.contains("Secure"), "plain http must not set Secure: {first}");
    let second = session_cookie(&post(&c).await.unwrap()).expect("cookie set again");
    let id = |s: &str| s.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second), "session id must change at sign-in");

    // The first id no longer signs anyone in.
    let stale = reqwest::Client::new();
    let res = stale
        .post(format!("{}/api/whoami", app.url))
        .header("Accept", "application/json")
        .header("Cookie", id(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "null");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_overview_has_the_real_figures() {
    let app = spawn_app().await;
    let c = app.client();
    app.sign_in(&c, ADMIN, PASSWORD).await;
    let north = app.team_id("Northwind Studio").await;
    let (_, home) = app.call(&c, "team_home", &[("team", north.as_str())]).await;
    assert_eq!(home["team_name"], "Northwind Studio");
    assert_eq!(home["active_members"], 26);
    assert_eq!(home["invited_members"], 3);
    assert_eq!(home["guests"], 4);
    assert_eq!(home["subscriptions"], 2);
    assert_eq!(home["trials"], 1);
    assert_eq!(home["tokens_available"], 1320);
    assert_eq!(home["next_expiry"][1], 320);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_teams_and_anonymous_callers_are_refused() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let harbor = app.team_id("Harbor Engineering").await;

    let (_, anon) = app.call(&app.client(), "team_home", &[("team", north.as_str())]).await;
    assert_eq!(anon["code"], "unauthenticated");

    // Amara is a member of Northwind only.
    let c = app.client();
    app.sign_in(&c, "amara.okafor0@northwind.example", PASSWORD).await;
    let (_, own) = app.call(&c, "team_home", &[("team", north.as_str())]).await;
    assert_eq!(own["team_name"], "Northwind Studio");
    let (_, other) = app.call(&c, "team_home", &[("team", harbor.as_str())]).await;
    assert_eq!(other["code"], "not_a_member");
    let (_, junk) = app.call(&c, "team_home", &[("team", "'; DROP TABLE teams; --")]).await;
    assert_eq!(junk["code"], "not_a_member");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invited_member_without_password_cannot_sign_in() {
    let app = spawn_app().await;
    // Index 4 in the demo data is an invitee who has not chosen a password.
    let (_, body) = app.sign_in(&app.client(), "elif.novak4@northwind.example", PASSWORD).await;
    assert_eq!(body["code"], "bad_credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_on_the_server_and_guard_access() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let anon = app.client();
    // Browsers ask for HTML; leptos answers a page-level redirect with 302 only then.
    let res =
        anon.get(format!("{}/t/{}", app.url, north)).header("Accept", "text/html").send().await.unwrap();
    let status = res.status();
    if !status.is_redirection() {
        panic!("status {status}: {:?} {}", res.headers().clone(), res.text().await.unwrap());
    }
    let to = res.headers()["location"].to_str().unwrap();
    assert_eq!(to, format!("/sign-in?next=/t/{north}"));

    let c = app.client();
    app.sign_in(&c, ADMIN, PASSWORD).await;
    let res = c.get(format!("{}/t/{}", app.url, north)).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Northwind Studio"));
    assert!(html.contains("1,320"), "token balance rendered on the server");
    assert!(html.contains("Model 3D"));

    let res = c.get(format!("{}/nowhere", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session() {
    let app = spawn_app().await;
    let c = app.client();
    app.sign_in(&c, ADMIN, PASSWORD).await;
    let (status, _) = app.call(&c, "sign_out", &[]).await;
    assert!(status < 400);
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert_eq!(me, serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_pages_are_not_cached() {
    let app = spawn_app().await;
    let c = app.client();
    app.sign_in(&c, ADMIN, PASSWORD).await;
    let north = app.team_id("Northwind Studio").await;
    let page = c.get(format!("{}/t/{}", app.url, north)).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let api =
        c.post(format!("{}/api/whoami", app.url)).header("Accept", "application/json").send().await.unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_cannot_outrun_the_throttle() {
    // The per-IP limit (tests/api/attacks/throttle.rs) would refuse most of these before the
    // per-account throttle sees them: off here, so all 40 race for the account's count.
    let no_ip_limit = tessera::ip_limits::IpLimits { sign_in_limit_per_minute: 0, ..Default::default() };
    let app = common::spawn_app_with("127.0.0.1", no_ip_limit).await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let c = app.client();
        let url = app.url.clone();
        tasks.push(tokio::spawn(async move {
            let res = c
                .post(format!("{url}/api/sign_in"))
                .header("Accept", "application/json")
                .form(&[("email", ADMIN), ("password", "wrong-guess")])
                .send()
                .await
                .unwrap();
            res.json::<serde_json::Value>().await.unwrap()["code"].as_str().unwrap().to_string()
        }));
    }
    let mut checked = 0;
    for t in tasks {
        match t.await.unwrap().as_str() {
            "bad_credentials" => checked += 1,
            "throttled" => {}
            other => panic!("unexpected answer {other}"),
        }
    }
    assert_eq!(checked, 5, "only the first five guesses of a window are checked");
}

#[test]
fn next_after_sign_in_stays_on_this_site() {
    for evil in ["//evil.example", "/\t/evil.example/x", "/\\evil.example", "https://evil.example"] {
        assert_eq!(app::server::auth::safe_next(Some(evil)), "/", "{evil:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_pages_are_for_admins_only() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.client();
    // Bruno Schmidt is a plain member of Northwind.
    app.sign_in(&c, "bruno.schmidt1@northwind.example", PASSWORD).await;
    for (func, form) in [
        ("list_members", vec![("team", north.as_str())]),
        ("team_offers", vec![("team", north.as_str())]),
        ("offer_members", vec![("team", north.as_str()), ("code", "MODEL3D")]),
        ("flex_defaults", vec![("team", north.as_str())]),
        ("audit_log", vec![("team", north.as_str())]),
    ] {
        let (_, body) = app.call(&c, func, &form).await;
        assert_eq!(body["code"], "admin_only", "{func}: {body}");
    }
    let (_, home) = app.call(&c, "team_home", &[("team", north.as_str())]).await;
    assert_eq!(home["team_name"], "Northwind Studio");
}

/// Ids a page sends that name nobody (not an account id, or no member of the team) are
/// passed over by an unassign and refuse an assignment: nothing changes either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picked_ids_that_name_nobody_change_nothing() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let c = app.signed_in(ADMIN).await;
    let post = |func: &'static str, body: serde_json::Value| {
        let c = c.clone();
        let url = format!("{}/api/{func}", app.url);
        async move {
            let res = c.post(url).header("Accept", "application/json").json(&body).send().await.unwrap();
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    let seats = |v: &serde_json::Value| v["products"].as_array().map(|p| p.len());
    let before = app.call(&c, "seat_usage", &[("team", north.as_str())]).await.1;
    let nobody = ["not-an-id", "00000000-0000-7000-8000-000000000000"];
    let removed =
        post("unassign_users", serde_json::json!({"team": north, "code": "DRAFT2D", "member_ids": nobody}))
            .await;
    assert_eq!(removed, 0, "{removed}");
    for id in nobody {
        let body = post(
            "assign_users",
            serde_json::json!({"team": north, "code": "DRAFT2D", "member_ids": [id], "new_people": ""}),
        )
        .await;
        assert_eq!(body["code"], "invalid", "{id}: {body}");
        assert_eq!(body["field"], "members", "{id}: {body}");
    }
    let after = app.call(&c, "seat_usage", &[("team", north.as_str())]).await.1;
    assert_eq!(before, after);
    assert!(seats(&after).is_some_and(|n| n > 0), "{after}");
}
