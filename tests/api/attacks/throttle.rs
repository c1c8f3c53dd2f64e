//! Attacks: password guessing. An invitee (or whoever holds an invitation link) guessing the
//! password of the existing account it was sent to; an outsider spraying one password over
//! many addresses from one IP; one IP flooding the token endpoint. Each asserts the refusal
//! and that nothing changed.
use crate::common::*;
use app::domain::{Email, PersonName, TeamId, UserId};
use app::service::state::Clock;
use app::store::teams::{MemberStatus, Role};
use serde_json::Value;
use sqlx::Row;
use tessera::ip_limits::IpLimits;

const VICTIM: &str = "ivy.existing@elsewhere.example";
const WRONG: &str = "not-her-password-1";

/// An existing account with a password, invited to Northwind Studio: its invitation link
/// asks for that password. Returns the account, the team and the link's token.
async fn invited_existing_account(app: &TestApp) -> (UserId, TeamId, String) {
    let team = app.team_id("Northwind Studio").await;
    let hash = app::service::passwords::hash_blocking(PASSWORD.to_string()).await.expect("hash");
    let now = app.clock.now();
    let token = format!("attack-invitation-{}", app::store::new_id());
    let mut tx = app.db.pool.begin().await.expect("tx");
    let id = app::store::accounts::create(
        &mut *tx,
        &Email::parse(VICTIM).expect("email"),
        &PersonName::parse("Ivy Existing").expect("name"),
        Some(&hash),
        now,
    )
    .await
    .expect("account");
    app::store::teams::add_member(
        &mut tx,
        &team,
        &id,
        (Role::Member, false),
        MemberStatus::Invited,
        None,
        now,
    )
    .await
    .expect("membership");
    app::store::invitations::create(
        &mut tx,
        &team,
        &id,
        &app::service::secrets::hash_token(&token),
        now,
        now + chrono::Duration::days(7),
        true,
        None,
    )
    .await
    .expect("invitation");
    tx.commit().await.expect("commit");
    (id, team, token)
}

/// What accepting would have changed: (invitation accepted?, membership active?, audit
/// entries for acceptance).
async fn invitation_state(app: &TestApp, id: &UserId, team: &TeamId) -> (bool, bool, i64) {
    let accepted: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM invitations WHERE account_id = $1 AND accepted_at IS NOT NULL",
    )
    .bind(id.as_str())
    .fetch_one(&app.db.pool)
    .await
    .expect("query")
    .try_get("n")
    .expect("n");
    let active = app.db.membership(team, id).await.expect("query").expect("membership").active;
    let audited: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE team_id = $1 AND action = 'accept'")
            .bind(team.as_str())
            .fetch_one(&app.db.pool)
            .await
            .expect("query")
            .try_get("n")
            .expect("n");
    (accepted > 0, active, audited)
}

async fn accept(app: &TestApp, c: &reqwest::Client, token: &str, password: &str) -> (u16, Value) {
    app.call(c, "accept_invitation", &[("token", token), ("password", password)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_through_an_invitation_link_is_locked_out_like_sign_in() {
    let app = spawn_app().await;
    let (id, team, token) = invited_existing_account(&app).await;
    let c = app.client();
    let (_, info) = app.call(&c, "invitation_info", &[("token", &token)]).await;
    assert_eq!(info["needs_password"], false, "{info}");

    // Failures count per account wherever the password is checked: two at sign-in and three
    // through the link make the five the account is allowed.
    for _ in 0..2 {
        let (_, body) = app.sign_in(&app.client(), VICTIM, WRONG).await;
        assert_eq!(body["code"], "bad_credentials", "{body}");
    }
    for _ in 0..3 {
        let (_, body) = accept(&app, &c, &token, WRONG).await;
        assert_eq!(
            (body["code"].as_str(), body["field"].as_str()),
            (Some("invalid"), Some("password")),
            "{body}"
        );
    }

    // Locked: even the right password is refused, without being checked, with the sign-in
    // lock-out's answer.
    let (_, body) = accept(&app, &c, &token, PASSWORD).await;
    assert_eq!(body["code"], "throttled", "{body}");
    let wait = body["retry_after_secs"].as_i64().expect("retry_after_secs");
    assert!((890..=900).contains(&wait), "retry after {wait}s");
    let (_, body) = app.sign_in(&app.client(), VICTIM, PASSWORD).await;
    assert_eq!(body["code"], "throttled", "the lock-out holds at sign-in too: {body}");

    // Nothing changed: the invitation is pending, the membership invited, nothing audited,
    // and the guesser's browser is not signed in.
    assert_eq!(invitation_state(&app, &id, &team).await, (false, false, 0));
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert_eq!(me, Value::Null);

    // Once the window has passed, the owner's right password works through the link.
    app.clock.advance(chrono::Duration::minutes(15));
    let (status, body) = accept(&app, &c, &token, PASSWORD).await;
    assert!(status < 400, "{status} {body}");
    assert_eq!(invitation_state(&app, &id, &team).await, (true, true, 1));
}

/// A low limit so the test needs few requests: 3 at once, then one a minute.
fn low_limits() -> IpLimits {
    IpLimits {
        sign_in_burst: 3,
        sign_in_limit_per_minute: 1,
        token_burst: 3,
        token_limit_per_minute: 1,
        ..IpLimits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spraying_one_password_over_many_addresses_from_one_ip_gets_429() {
    let app = spawn_app_with("127.0.0.1", low_limits()).await;
    let c = app.client();
    let failures = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM sign_in_failures")
                .fetch_one(&pool)
                .await
                .expect("query")
                .try_get("n")
                .expect("n");
            n
        }
    };
    let before = failures(&app).await;

    // One guess per address (the per-account throttle never trips), each claiming another
    // client address in X-Forwarded-For, which is not trusted by default.
    let mut answers = Vec::new();
    for i in 0..8 {
        let res = c
            .post(format!("{}/api/sign_in", app.url))
            .header("Accept", "application/json")
            .header("X-Forwarded-For", format!("203.0.113.{i}"))
            .form(&[("email", format!("person{i}@northwind.example").as_str()), ("password", "Winter2026!")])
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body: Value = res.json().await.expect("json");
        answers.push((status, body["code"].as_str().unwrap_or_default().to_string(), retry_after, body));
    }
    for (status, code, _, body) in &answers[..3] {
        assert_eq!((code.as_str(), *status < 429 || *status >= 500), ("bad_credentials", true), "{body}");
    }
    for (status, code, retry_after, body) in &answers[3..] {
        assert_eq!((*status, code.as_str()), (429, "rate_limited"), "{body}");
        let secs: i64 = retry_after.as_deref().and_then(|s| s.parse().ok()).expect("Retry-After");
        assert!((1..=60).contains(&secs), "Retry-After {secs}");
        assert_eq!(body["retry_after_secs"].as_i64(), Some(secs), "{body}");
    }

    // Refused before any check: only the first three were counted against accounts, and the
    // right password of a real account is refused too without signing in.
    assert_eq!(failures(&app).await - before, 3);
    let (status, body) = app.sign_in(&c, ADMIN, PASSWORD).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    // Accepting an invitation checks passwords too and shares the address's allowance.
    let (status, body) = accept(&app, &c, "any-token", PASSWORD).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    let (_, me) = app.call(&c, "whoami", &[]).await;
    assert_eq!(me, Value::Null, "nobody was signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flooding_the_token_endpoint_from_one_ip_gets_429_in_oauth_form() {
    let app = spawn_app_with("127.0.0.1", low_limits()).await;
    let c = app.client();
    let mut answers = Vec::new();
    for _ in 0..5 {
        let res = c
            .post(format!("{}/authentication/v2/token", app.url))
            .basic_auth("guessed-client", Some("guessed-secret"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body: Value = res.json().await.expect("json");
        answers.push((status, retry_after, body));
    }
    for (status, _, body) in &answers[..3] {
        assert_eq!((*status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    }
    for (status, retry_after, body) in &answers[3..] {
        assert_eq!((*status, body["error"].as_str()), (429, Some("rate_limited")), "{body}");
        assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
        let secs: u64 = retry_after.as_deref().and_then(|s| s.parse().ok()).expect("Retry-After");
        assert!((1..=60).contains(&secs), "Retry-After {secs}");
    }
    // The limit is per route group: the console's sign-in from the same address still works.
    let (status, body) = app.sign_in(&c, ADMIN, PASSWORD).await;
    assert!(status < 400, "{status} {body}");
}
