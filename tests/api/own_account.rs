//! R-ACC1 over real HTTP: the person's own profile reaches `/userinfo`, a password change
//! needs the current password and ends every other session (not the one in use), and
//! "sign out everywhere else" does the same without a new password. Nobody signed out
//! reaches any of it.
use crate::common::*;
use app::domain::Email;
use serde_json::Value;

const BRUNO: &str = "bruno.schmidt1@northwind.example";
const ELIF: &str = "elif.costa4@northwind.example"; // invited to Northwind, no password yet

async fn whoami(app: &TestApp, c: &reqwest::Client) -> Value {
    app.call(c, "whoami", &[]).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_a_person_saves_is_what_userinfo_returns() {
    let app = spawn_app().await;
    let c = app.signed_in(BRUNO).await;
    let profile = [
        ("name", "Bruno Schmidt-Weber"),
        ("given_name", "Bruno"),
        ("family_name", "Schmidt-Weber"),
        ("locale", "de_at"),
        ("job_title", "Lead architect"),
        ("company", "Northwind Studio"),
        ("phone_number", "+43 1 234 5678"),
        ("street_address", "Ringstraße 1"),
        ("locality", "Wien"),
        ("region", "Wien"),
        ("postal_code", "1010"),
        ("country_code", "at"),
    ];
    let bad: Vec<(&str, &str)> =
        profile.iter().map(|&(k, v)| if k == "phone_number" { (k, "call me") } else { (k, v) }).collect();
    let (status, body) = app.call(&c, "save_profile", &bad).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("phone_number")), "{body}");
    let (status, body) = app.call(&c, "save_profile", &profile).await;
    assert_eq!(status, 200, "{body}");

    let (_, acc) = app.call(&c, "my_account", &[]).await;
    assert_eq!(acc["profile"]["locale"], "de-AT");
    assert_eq!(acc["profile"]["country_code"], "AT");
    assert_eq!(acc["email"], BRUNO);

    let north = app.team_id("Northwind Studio").await;
    let bruno = app.db.account_by_email(&Email::parse(BRUNO).unwrap()).await.unwrap().unwrap().id;
    let token = Licensing::new(&app, &north, "Profile reader").await.token(&app, &bruno).await;
    let me: Value = reqwest::Client::new()
        .get(format!("{}/userinfo", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Bruno Schmidt-Weber");
    assert_eq!(
        (me["given_name"].as_str(), me["family_name"].as_str()),
        (Some("Bruno"), Some("Schmidt-Weber"))
    );
    assert_eq!((me["locale"].as_str(), me["language"].as_str()), (Some("de-AT"), Some("de")));
    assert_eq!(me["job_title"], "Lead architect");
    assert_eq!(me["phone_number"], "+43 1 234 5678");
    assert_eq!(me["address"]["locality"], "Wien");
    assert_eq!(me["address"]["country"], "AT");
    assert_eq!(me["profile"], format!("{}/account", app.url), "the profile link is the account page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_needs_the_current_one_and_ends_every_other_session() {
    let app = spawn_app().await;
    let here = app.signed_in(BRUNO).await;
    let elsewhere = app.signed_in(BRUNO).await;
    assert_eq!(whoami(&app, &elsewhere).await["email"], BRUNO);
    let (_, acc) = app.call(&here, "my_account", &[]).await;
    assert_eq!(acc["sessions"].as_array().unwrap().len(), 2, "{acc}");
    assert_eq!(acc["sessions"].as_array().unwrap().iter().filter(|s| s["current"] == true).count(), 1);

    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        let (app, c) = (&app, here.clone());
        async move {
            app.call(&c, "change_password", &[("current", current), ("password", new), ("confirm", confirm)])
                .await
        }
    };
    let (status, body) = change("not-my-password", "a-brand-new-password", "a-brand-new-password").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("current")), "{body}");
    let (status, body) = change(PASSWORD, "short", "short").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("password")), "{body}");
    let (status, body) = change(PASSWORD, "a-brand-new-password", "a-different-password").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("confirm")), "{body}");
    // Nothing changed so far: both sessions live, the old password works.
    assert_eq!(whoami(&app, &elsewhere).await["email"], BRUNO);

    // Keep a copy of the other session's row: put back after the change without its account
    // (as a session stored before sessions named their account), its old generation alone
    // must end it.
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, data, expires_at FROM sessions WHERE account_id IS NOT NULL")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let (status, body) = change(PASSWORD, "a-brand-new-password", "a-brand-new-password").await;
    assert_eq!(status, 200, "{body}");
    for (id, data, expires) in rows {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(data)
        .bind(expires)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    assert_eq!(whoami(&app, &here).await["email"], BRUNO, "the session in use stays");
    assert_eq!(whoami(&app, &elsewhere).await, Value::Null, "the other session ended");
    let (status, _) = app.sign_in(&app.client(), BRUNO, PASSWORD).await;
    assert!(status >= 400, "the old password no longer works");
    let (status, _) = app.sign_in(&app.client(), BRUNO, "a-brand-new-password").await;
    assert!(status < 400, "the new one does");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_else_keeps_only_this_session() {
    let app = spawn_app().await;
    let here = app.signed_in(BRUNO).await;
    let phone = app.signed_in(BRUNO).await;
    let laptop = app.signed_in(BRUNO).await;
    let other_person = app.signed_in(ADMIN).await;
    let (status, _) = app.call(&here, "sign_out_elsewhere", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(whoami(&app, &here).await["email"], BRUNO);
    assert_eq!(whoami(&app, &phone).await, Value::Null);
    assert_eq!(whoami(&app, &laptop).await, Value::Null);
    assert_eq!(whoami(&app, &other_person).await["email"], ADMIN, "nobody else is signed out");
    let (_, acc) = app.call(&here, "my_account", &[]).await;
    assert_eq!(acc["sessions"].as_array().unwrap().len(), 1, "{acc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_signed_out_reaches_an_account() {
    let app = spawn_app().await;
    let c = app.client();
    let profile: Vec<(&str, &str)> = [
        "given_name",
        "family_name",
        "locale",
        "job_title",
        "company",
        "phone_number",
        "street_address",
        "locality",
        "region",
        "postal_code",
        "country_code",
    ]
    .into_iter()
    .map(|k| (k, ""))
    .chain([("name", "Mallory")])
    .collect();
    for (func, args) in [
        ("my_account", vec![]),
        ("save_profile", profile),
        (
            "change_password",
            vec![("current", "x"), ("password", "long-enough-pw"), ("confirm", "long-enough-pw")],
        ),
        ("sign_out_elsewhere", vec![]),
    ] {
        let (status, body) = app.call(&c, func, &args).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")), "{func}: {body}");
    }
}

async fn reset_mails(app: &TestApp, to: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT text_body FROM outbox WHERE kind = 'password_reset' AND to_addr = $1 ORDER BY created_at",
    )
    .bind(to)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

fn reset_token(mail: &str) -> String {
    mail.split("/reset/").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_once_by_the_emailed_link_and_every_session_ends() {
    let app = spawn_app().await;
    let c = app.client();
    let signed_in = app.signed_in(BRUNO).await;
    // Known and unknown addresses get the same answer; only the known one gets a message.
    let (s1, known) = app.call(&c, "request_password_reset", &[("email", BRUNO)]).await;
    let (s2, unknown) =
        app.call(&c, "request_password_reset", &[("email", "nobody@northwind.example")]).await;
    assert_eq!((s1, &known), (s2, &unknown), "the same answer either way");
    assert_eq!(s1, 200);
    let mails = reset_mails(&app, BRUNO).await;
    assert_eq!(mails.len(), 1);
    assert!(reset_mails(&app, "nobody@northwind.example").await.is_empty());
    // An invitee has no password yet: a reset link would let whoever asks set the first
    // one and skip the invitation. Same answer, no message.
    let (s3, invitee) = app.call(&c, "request_password_reset", &[("email", ELIF)]).await;
    assert_eq!((s3, &invitee), (s1, &known), "the same answer for an invitee");
    assert!(reset_mails(&app, ELIF).await.is_empty(), "nothing is sent to an invitee");
    let token = reset_token(&mails[0]);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_resets WHERE token_hash = $1")
        .bind(&token)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "only the token's hash is stored");

    let (status, email) = app.call(&c, "reset_info", &[("token", &token)]).await;
    assert_eq!((status, email), (200, Value::String(BRUNO.into())));
    let set = |token: String, pw: &'static str| {
        let (app, c) = (&app, c.clone());
        async move {
            app.call(&c, "reset_password", &[("token", &token), ("password", pw), ("confirm", pw)]).await
        }
    };
    let (status, body) = set(token.clone(), "short").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("password")), "{body}");
    let (status, body) = set(token.clone(), "reset-by-the-link").await;
    assert!(status < 400, "{status} {body}");
    assert_eq!(whoami(&app, &c).await["email"], BRUNO, "the browser that reset is signed in");
    assert_eq!(whoami(&app, &signed_in).await, Value::Null, "every other session ended");
    let (status, _) = app.sign_in(&app.client(), BRUNO, "reset-by-the-link").await;
    assert!(status < 400);
    // Single use.
    let (status, body) = set(token.clone(), "and-once-more-please").await;
    assert_eq!((status, body["code"].as_str()), (410, Some("gone")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_lasts_an_hour_and_an_address_gets_three_an_hour() {
    let app = spawn_app().await;
    let c = app.client();
    for _ in 0..5 {
        let (status, _) = app.call(&c, "request_password_reset", &[("email", BRUNO)]).await;
        assert_eq!(status, 200, "always the same answer");
    }
    let mails = reset_mails(&app, BRUNO).await;
    assert_eq!(mails.len(), 3, "three links an hour, then nothing more is sent");
    app.clock.advance(chrono::Duration::minutes(61));
    let token = reset_token(&mails[2]);
    let (status, body) = app.call(&c, "reset_info", &[("token", &token)]).await;
    assert_eq!((status, body["code"].as_str()), (410, Some("gone")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("expired"), "{body}");
    let (status, _) = app
        .call(
            &c,
            "reset_password",
            &[("token", &token), ("password", "too-late-now-1"), ("confirm", "too-late-now-1")],
        )
        .await;
    assert_eq!(status, 410);
    let (status, _) = app.sign_in(&app.client(), BRUNO, PASSWORD).await;
    assert!(status < 400, "the password is unchanged");
    // A new hour, a new link.
    app.call(&c, "request_password_reset", &[("email", BRUNO)]).await;
    assert_eq!(reset_mails(&app, BRUNO).await.len(), 4);
    let (status, body) = app.call(&c, "request_password_reset", &[("email", "not-an-address")]).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("email")), "a malformed address is named");
}

/// Requests for one address that arrive together are counted one after the other: a burst
/// gets no more links than the hour allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_reset_requests_for_one_address_still_gets_three_links() {
    let app = spawn_app().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (c, url) = (app.client(), app.url.clone());
        tasks.spawn(async move {
            tessera_testkit::console::call(&c, &url, "request_password_reset", &[("email", BRUNO)]).await.0
        });
    }
    let statuses: Vec<u16> = tasks.join_all().await;
    assert!(statuses.iter().all(|s| *s == 200), "always the same answer: {statuses:?}");
    assert_eq!(
        reset_mails(&app, BRUNO).await.len(),
        3,
        "three links an hour, however fast they are asked for"
    );
}
