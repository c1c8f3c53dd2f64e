//! Attacks on single sign-on (R-SSO1). A team admin chooses the team's OpenID provider, so
//! what that provider says about an address proves nothing about the Tessera account with
//! that address: the takeover below worked before issue 15. Each attack asserts the
//! refusal and that nothing changed (no session, no link); the positive paths prove the
//! refusals are not a blanket "no".
use super::idp::{says, Idp};
use crate::common::{new_account, spawn_app, TestApp, PASSWORD};
use app::domain::{Email, TeamId, UserId};
use app::service::state::Clock;
use app::store::identity::SsoConfig;
use app::store::teams::{MemberStatus, Role};

const AMARA: &str = "amara.okafor0@northwind.example"; // admin of Northwind: the victim
const BRUNO: &str = "bruno.schmidt1@northwind.example"; // plain member of Northwind
const ELIF: &str = "elif.costa4@northwind.example"; // invited to Northwind, no password
const MALLORY: &str = "mallory@harbor.example"; // admin of Harbor: the attacker
const OTTO: &str = "otto.outsider@elsewhere.example"; // in no team

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

async fn account(app: &TestApp, email: &str) -> UserId {
    app.db.account_by_email(&Email::parse(email).unwrap()).await.unwrap().unwrap().id
}

/// Who this browser is signed in as (`None` for nobody).
async fn whoami(app: &TestApp, c: &reqwest::Client) -> Option<String> {
    let (status, me) = app.call(c, "whoami", &[]).await;
    assert_eq!(status, 200, "{me}");
    me["email"].as_str().map(str::to_string)
}

async fn links(app: &TestApp, email: &str) -> Vec<(String, String)> {
    app.db.sso_links_of(&account(app, email).await).await.unwrap()
}

async fn use_provider(app: &TestApp, team: &TeamId, idp: &Idp) {
    let cfg = SsoConfig {
        team_id: team.clone(),
        issuer: idp.url.clone(),
        client_id: "tessera".into(),
        client_secret: "secret".into(),
        enabled: true,
    };
    app.db.save_sso_config(&cfg, chrono::Utc::now()).await.unwrap();
}

/// Drives a browser through `/sso` for `email` and the provider, and returns Tessera's
/// answer to the provider's callback.
async fn through_provider(app: &TestApp, c: &reqwest::Client, start: reqwest::Response) -> reqwest::Response {
    assert_eq!(start.status(), 303, "{}", start.text().await.unwrap_or_default());
    let at_idp = c.get(location(&start)).send().await.unwrap();
    assert_eq!(at_idp.status(), 303);
    let back = location(&at_idp);
    assert!(back.starts_with(&format!("{}/sso/callback?", app.url)), "{back}");
    c.get(back).send().await.unwrap()
}

async fn sso(app: &TestApp, c: &reqwest::Client, email: &str) -> reqwest::Response {
    let start =
        c.post(format!("{}/sso", app.url)).form(&[("email", email), ("next", "/")]).send().await.unwrap();
    through_provider(app, c, start).await
}

/// The invitation's way to the provider: a GET shows a page (a mail scanner following
/// links starts nothing); its button posts.
async fn sso_with_invitation(app: &TestApp, c: &reqwest::Client, token: &str) -> reqwest::Response {
    let res = c.get(format!("{}/sso?invitation={token}", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Continue to single sign-on"));
    let start = c.post(format!("{}/sso", app.url)).form(&[("invitation", token)]).send().await.unwrap();
    through_provider(app, c, start).await
}

/// An invitation of `account` to `team` whose token the test knows (the mail's link).
async fn invitation(app: &TestApp, team: &TeamId, account: &UserId) -> String {
    let (token, hash) = app::service::secrets::new_token();
    let now = app.clock.now();
    let mut tx = app.db.pool.begin().await.unwrap();
    let expires = now + chrono::Duration::days(7);
    app::store::invitations::create(&mut tx, team, account, &hash, now, expires, true, None).await.unwrap();
    tx.commit().await.unwrap();
    token
}

async fn outbox_to(app: &TestApp, to: &str, kind: &str) -> Vec<String> {
    app.db
        .outbox_messages()
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to_addr == to && m.kind == kind)
        .map(|m| m.text_body)
        .collect()
}

/// A first sign-in as `email` through the provider, waiting for proof, and the mailed link
/// this browser asked for (the only one sent to `email`).
async fn mailed_link(app: &TestApp, c: &reqwest::Client, email: &str) -> String {
    assert_eq!(location(&sso(app, c, email).await), "/sso/link");
    let res = c.post(format!("{}/sso/link/email", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("We sent a link to"));
    let mails = outbox_to(app, email, "sso_link").await;
    assert_eq!(mails.len(), 1);
    link_in(&mails[0])
}

/// The address on its own line in a mail's text (the confirm link).
fn link_in(text: &str) -> String {
    text.lines().find(|l| l.contains("/sso/link/confirm?token=")).expect("a link").trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_admin_cannot_sign_in_as_another_teams_admin_through_their_own_provider() {
    let app = spawn_app().await;
    let harbor = app.team_id("Harbor Engineering").await;
    let north = app.team_id("Northwind Studio").await;
    new_account(&app, MALLORY, "Mallory Harbor", Some((&harbor, Role::Admin, MemberStatus::Active))).await;
    new_account(&app, OTTO, "Otto Outsider", None).await;
    let idp = Idp::start(says("victim", AMARA, true)).await;

    // As the attacker would: through the console, add the victim to their own team (an
    // import needs nobody's consent) and point the team's sign-on at their own provider.
    let mallory = app.signed_in(MALLORY).await;
    let csv = format!("name,email\nAmara Okafor,{AMARA}\n");
    let res = mallory
        .post(format!("{}/api/import_csv", app.url))
        .json(&serde_json::json!({"team": harbor.as_str(), "file_name": "people.csv", "content": csv,
                                   "dry_run": false, "valid_rows_only": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let (status, body) = app
        .call(
            &mallory,
            "save_sso",
            &[
                ("team", harbor.as_str()),
                ("issuer", &idp.url),
                ("client_id", "evil"),
                ("client_secret", "s"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let amara = account(&app, AMARA).await;
    assert!(!app.db.membership(&harbor, &amara).await.unwrap().unwrap().active, "invited, not active");

    // 1. Starting with the victim's address: the invitation does not route them to Harbor's
    //    provider.
    let c = app.client();
    let res = c.post(format!("{}/sso", app.url)).form(&[("email", AMARA)]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Single sign-on is not set up for this address"));

    // 2. Starting as themselves, then asserting the victim's address, verified or not.
    for verified in [true, false] {
        idp.will_say(says("victim", AMARA, verified));
        let c = app.client();
        let res = sso(&app, &c, MALLORY).await;
        assert_eq!(res.status(), 403, "verified={verified}");
        let page = res.text().await.unwrap();
        let why = if verified { "not an active member of this team" } else { "has not verified your email" };
        assert!(page.contains(why), "{page}");
        assert_eq!(whoami(&app, &c).await, None);
        let (status, body) = app.call(&c, "team_home", &[("team", north.as_str())]).await;
        assert!(status >= 400 && body["code"] == "unauthenticated", "{status} {body}");
    }

    // 3. The victim in no team at all, and the victim nobody has an account for.
    for email in [OTTO, "nobody@elsewhere.example"] {
        idp.will_say(says("someone", email, true));
        let c = app.client();
        let res = sso(&app, &c, MALLORY).await;
        assert_eq!(res.status(), 403, "{email}");
        assert_eq!(whoami(&app, &c).await, None);
    }

    // 4. A forged invitation token gets nowhere near the provider.
    let res = c.get(format!("{}/sso?invitation=forged-token", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 410);
    let res =
        c.post(format!("{}/sso", app.url)).form(&[("invitation", "forged-token")]).send().await.unwrap();
    assert_eq!(res.status(), 410);

    // 5. The victim really is an active member of the attacker's team too: the provider's
    //    word still signs nobody in; the owner must prove the account.
    sqlx::query("UPDATE memberships SET status = 'active' WHERE team_id = $1 AND account_id = $2")
        .bind(harbor.as_str())
        .bind(amara.as_str())
        .execute(&app.db.pool)
        .await
        .unwrap();
    idp.will_say(says("victim", AMARA, true));
    let attacker = app.client();
    let res = sso(&app, &attacker, MALLORY).await;
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/sso/link"));
    assert_eq!(whoami(&app, &attacker).await, None, "not signed in before the owner's proof");
    for guess in ["wrong-password", "demo-password-12", "Password1!"] {
        let res =
            attacker.post(format!("{}/sso/link", app.url)).form(&[("password", guess)]).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
    // The mailed link goes to the victim, and completes only in the attacker's browser,
    // which never sees it; the victim following it in their own browser links nothing.
    let res = attacker.post(format!("{}/sso/link/email", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mails = outbox_to(&app, AMARA, "sso_link").await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Harbor Engineering") && mails[0].contains("If it was not you"));
    let victim = app.signed_in(AMARA).await;
    let res = victim.get(link_in(&mails[0])).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let res = attacker.get(format!("{}/sso/link/confirm?token=guessed", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 410);
    assert_eq!(whoami(&app, &attacker).await, None);
    let (status, body) = app.call(&attacker, "team_home", &[("team", north.as_str())]).await;
    assert!(status >= 400 && body["code"] == "unauthenticated", "{status} {body}");
    assert!(links(&app, AMARA).await.is_empty(), "nothing linked");
    assert_eq!(whoami(&app, &victim).await.as_deref(), Some(AMARA), "the victim's own session is untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_links_once_with_their_password_then_the_link_signs_them_in() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let idp = Idp::start(says("bruno-at-idp", BRUNO, true)).await;
    use_provider(&app, &north, &idp).await;

    let c = app.client();
    let res = sso(&app, &c, BRUNO).await;
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/sso/link"));
    let page = c.get(format!("{}/sso/link", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Connect your Tessera account") && page.contains("Your Tessera password"),
        "{page}"
    );
    let res = c.post(format!("{}/sso/link", app.url)).form(&[("password", "not-it")]).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(links(&app, BRUNO).await.is_empty());
    let res = c.post(format!("{}/sso/link", app.url)).form(&[("password", PASSWORD)]).send().await.unwrap();
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/"));
    assert_eq!(whoami(&app, &c).await.as_deref(), Some(BRUNO));
    assert_eq!(links(&app, BRUNO).await, vec![(idp.url.clone(), "bruno-at-idp".to_string())]);
    let (entries, _) = app.db.audit_entries(&north, Some("sso_link"), 0, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].after.as_deref().unwrap_or_default().contains("\"proof\":\"password\""));

    // From now on the provider's identity signs in directly, in a new browser.
    let c = app.client();
    let res = sso(&app, &c, BRUNO).await;
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/"));
    assert_eq!(whoami(&app, &c).await.as_deref(), Some(BRUNO));

    // The provider changes the address it asserts for that identity: the link decides, not
    // the address, so this is still Bruno and never Amara.
    idp.will_say(says("bruno-at-idp", AMARA, true));
    let c = app.client();
    let res = sso(&app, &c, BRUNO).await;
    assert_eq!(res.status(), 303);
    assert_eq!(whoami(&app, &c).await.as_deref(), Some(BRUNO));

    // A different identity at the same provider asserting Bruno's address cannot re-point
    // his account.
    idp.will_say(says("someone-else", BRUNO, true));
    let c = app.client();
    let res = sso(&app, &c, BRUNO).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("already connected to a different person"));
    assert_eq!(whoami(&app, &c).await, None);
    assert_eq!(links(&app, BRUNO).await.len(), 1);

    // Unverified addresses are refused even for a linked identity.
    idp.will_say(says("bruno-at-idp", BRUNO, false));
    let c = app.client();
    assert_eq!(sso(&app, &c, BRUNO).await.status(), 403);
    assert_eq!(whoami(&app, &c).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailed_link_works_once_and_only_in_the_browser_that_asked() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let idp = Idp::start(says("bruno-at-idp", BRUNO, true)).await;
    use_provider(&app, &north, &idp).await;

    let c = app.client();
    let url = mailed_link(&app, &c, BRUNO).await;

    // Another browser: refused, and the link is not used up by it.
    let other = app.client();
    assert_eq!(other.get(&url).send().await.unwrap().status(), 400);
    assert_eq!(whoami(&app, &other).await, None);
    assert!(links(&app, BRUNO).await.is_empty());

    let res = c.get(&url).send().await.unwrap();
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/"));
    assert_eq!(whoami(&app, &c).await.as_deref(), Some(BRUNO));
    assert_eq!(links(&app, BRUNO).await.len(), 1);
    // Done: this browser has nothing waiting any more, so the link completes nothing again.
    assert!(c.get(&url).send().await.unwrap().status().is_client_error());

    // Nobody can make Tessera flood the owner's mailbox.
    let c = app.client();
    idp.will_say(says("bruno-elsewhere", "farid.haddad5@northwind.example", true));
    assert_eq!(location(&sso(&app, &c, BRUNO).await), "/sso/link");
    let mut statuses = vec![];
    for _ in 0..5 {
        statuses.push(c.post(format!("{}/sso/link/email", app.url)).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    assert_eq!(outbox_to(&app, "farid.haddad5@northwind.example", "sso_link").await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitee_accepts_through_single_sign_on_and_only_for_their_own_address() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let idp = Idp::start(says("elif-at-idp", ELIF, true)).await;
    use_provider(&app, &north, &idp).await;
    let elif = account(&app, ELIF).await;
    let token = invitation(&app, &north, &elif).await;

    // The invitation page offers the team's provider (rendered on the server, no script).
    let page =
        app.client().get(format!("{}/invite/{token}", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Accept with single sign-on"), "{page}");
    assert!(page.contains(&format!("href=\"/sso?invitation={token}\"")), "{page}");

    // The provider asserts somebody else's address with Elif's invitation: the invitation
    // proves only Elif's mailbox, so Amara's account asks for Amara's own proof.
    idp.will_say(says("elif-at-idp", AMARA, true));
    let c = app.client();
    let res = sso_with_invitation(&app, &c, &token).await;
    assert_eq!(location(&res), "/sso/link");
    assert_eq!(whoami(&app, &c).await, None);
    assert!(!app.db.membership(&north, &elif).await.unwrap().unwrap().active);

    idp.will_say(says("elif-at-idp", ELIF, true));
    let c = app.client();
    let res = sso_with_invitation(&app, &c, &token).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, format!("/t/{north}")));
    assert_eq!(whoami(&app, &c).await.as_deref(), Some(ELIF));
    assert!(app.db.membership(&north, &elif).await.unwrap().unwrap().active);
    assert_eq!(links(&app, ELIF).await, vec![(idp.url.clone(), "elif-at-idp".to_string())]);
    let (entries, _) = app.db.audit_entries(&north, Some("sso_link"), 0, 10).await.unwrap();
    assert!(entries[0].after.as_deref().unwrap_or_default().contains("\"proof\":\"invitation\""));

    // The invitation is used up.
    let res = app.client().get(format!("{}/sso?invitation={token}", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_from_a_hostile_team_never_links_an_account_in_use() {
    // Mallory invites Amara (another team's admin) to Harbor and hopes she clicks "Accept
    // with single sign-on": Harbor's provider is Mallory's, so that would hand Mallory the
    // account. Amara's account is in use, so only her password accepts.
    let app = spawn_app().await;
    let harbor = app.team_id("Harbor Engineering").await;
    let north = app.team_id("Northwind Studio").await;
    let idp = Idp::start(says("whoever-mallory-likes", AMARA, true)).await;
    use_provider(&app, &harbor, &idp).await;
    let amara = account(&app, AMARA).await;
    app.join(&harbor, &amara, Role::Member, MemberStatus::Invited).await;
    let token = invitation(&app, &harbor, &amara).await;

    let c = app.client();
    let res = sso_with_invitation(&app, &c, &token).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Accept the invitation with your Tessera password"));
    assert_eq!(whoami(&app, &c).await, None);
    assert!(links(&app, AMARA).await.is_empty());
    assert!(!app.db.membership(&harbor, &amara).await.unwrap().unwrap().active, "still only invited");
    assert!(app.db.membership(&north, &amara).await.unwrap().unwrap().active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailed_link_expires_after_thirty_minutes() {
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let idp = Idp::start(says("bruno-at-idp", BRUNO, true)).await;
    use_provider(&app, &north, &idp).await;
    let c = app.client();
    let url = mailed_link(&app, &c, BRUNO).await;
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(c.get(&url).send().await.unwrap().status(), 410);
    assert_eq!(whoami(&app, &c).await, None);
    assert!(links(&app, BRUNO).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_else_can_use_or_complete_a_pending_link() {
    // Bruno has a link waiting for his proof (a mail sent). Another team's admin, a plain
    // member, an invitee, an outsider and an anonymous browser each try every /sso/link
    // route, with his mailed link and his password: each is refused, and his request is
    // untouched, so it still completes in his own browser afterwards.
    let app = spawn_app().await;
    let north = app.team_id("Northwind Studio").await;
    let harbor = app.team_id("Harbor Engineering").await;
    let idp = Idp::start(says("bruno-at-idp", BRUNO, true)).await;
    use_provider(&app, &north, &idp).await;
    new_account(&app, MALLORY, "Mallory Harbor", Some((&harbor, Role::Admin, MemberStatus::Active))).await;
    new_account(
        &app,
        "ivan.invitee@elsewhere.example",
        "Ivan Invitee",
        Some((&north, Role::Member, MemberStatus::Invited)),
    )
    .await;
    new_account(&app, OTTO, "Otto Outsider", None).await;

    let bruno = app.client();
    let url = mailed_link(&app, &bruno, BRUNO).await;

    let mut callers = vec![("anonymous", app.client(), None)];
    for who in [MALLORY, "farid.haddad5@northwind.example", "ivan.invitee@elsewhere.example", OTTO] {
        callers.push((who, app.signed_in(who).await, Some(who.to_string())));
    }
    for (who, c, me) in &callers {
        let answers = [
            c.get(format!("{}/sso/link", app.url)).send().await.unwrap(),
            c.post(format!("{}/sso/link", app.url)).form(&[("password", PASSWORD)]).send().await.unwrap(),
            c.post(format!("{}/sso/link/email", app.url)).send().await.unwrap(),
            c.get(&url).send().await.unwrap(),
        ];
        for res in answers {
            let status = res.status();
            let page = res.text().await.unwrap();
            assert_eq!(status, 400, "{who}: {page}");
            assert!(page.contains("no single sign-on waiting in this browser"), "{who}: {page}");
        }
        assert_eq!(whoami(&app, c).await, *me, "{who} is still who they were");
    }
    assert!(links(&app, BRUNO).await.is_empty());
    assert_eq!(outbox_to(&app, BRUNO, "sso_link").await.len(), 1, "no further mail to Bruno");

    let res = bruno.get(&url).send().await.unwrap();
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/"));
    assert_eq!(whoami(&app, &bruno).await.as_deref(), Some(BRUNO));
}
