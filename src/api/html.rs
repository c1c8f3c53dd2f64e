//! The few pages the server renders outside the Leptos console: the OAuth consent page and
//! the single sign-on pages. They are plain HTML forms so that they work without
//! JavaScript (a browser a desktop product opens may have it off) and without the wasm
//! bundle. All of their markup is here, and every interpolated value goes through `esc`;
//! the handlers in `consent.rs` and `sso.rs` only choose a page and fill it.

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page in the console's look (its stylesheet and sign-in layout), without the app shell.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Tessera</title><link rel=\"stylesheet\" href=\"/pkg/tessera.css\"></head>\
         <body><main class=\"sign-in\"><section class=\"panel sign-in-panel\">\
         <div class=\"brand brand-large\" aria-hidden=\"true\"><span class=\"brand-mark\"></span><span>Tessera</span></div>\
         {body}</section></main></body></html>",
        esc(title)
    )
}

fn form_error(error: Option<&str>) -> String {
    error.map(|e| format!("<p class=\"form-error\" role=\"alert\">{}</p>", esc(e))).unwrap_or_default()
}

/// A refusal: what went wrong (`message`, announced as an alert) and what to do next
/// (`after`, markup of this module's own).
fn refusal(heading: &str, message: &str, after: &str) -> String {
    format!("<h1>{}</h1><p class=\"form-error\" role=\"alert\">{}</p>{after}", esc(heading), esc(message))
}

/// A sign-in request from an app that cannot be honoured here.
pub fn consent_refusal(message: &str) -> String {
    page(
        "Cannot continue",
        &refusal(
            "This sign-in link cannot be used",
            message,
            "<p>Go back to the app and start again. If it keeps happening, tell the app's developer.</p>",
        ),
    )
}

/// What an app asks to do, for the person to allow or deny. `hidden` are the request's
/// parameters, sent back with the decision.
pub struct Consent<'a> {
    pub app: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub abilities: Vec<&'a str>,
    pub hidden: Vec<(&'a str, &'a str)>,
    pub csrf: &'a str,
}

pub fn consent(c: &Consent) -> String {
    let hidden: String = c
        .hidden
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", esc(k), esc(v)))
        .collect();
    let items: String = c.abilities.iter().map(|s| format!("<li>{}</li>", esc(s))).collect();
    let body = format!(
        "<h1>Allow {app} to use your account?</h1>\
         <p class=\"lede\">Signed in as <strong>{name}</strong> ({email}).</p>\
         <p>{app} will be able to:</p><ul class=\"consent-scopes\">{items}</ul>\
         <form method=\"post\" action=\"/authentication/v2/authorize\">{hidden}\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"deny\" class=\"button\">Deny</button>\
         <button type=\"submit\" name=\"decision\" value=\"allow\" class=\"button primary\" autofocus>Allow</button></div>\
         </form><p class=\"muted\">Only allow apps you trust. Deny sends you back to {app} without signing in.</p>",
        app = esc(c.app),
        name = esc(c.name),
        email = esc(c.email),
        csrf = esc(c.csrf),
    );
    page(&format!("Allow {}", c.app), &body)
}

/// Single sign-on did not work: why, and the way back to the sign-in page.
pub fn sso_refusal(message: &str) -> String {
    page(
        "Single sign-on",
        &refusal("Single sign-on did not work", message, "<p><a href=\"/sign-in\">Back to sign-in</a></p>"),
    )
}

/// Asks for the work email that names the team (and so its provider).
pub fn sso_email_form(next: &str, error: Option<&str>) -> String {
    let body = format!(
        "<h1>Sign in with single sign-on</h1><p class=\"lede\">Enter your work email; Tessera sends you to your company's sign-in page.</p>\
         <form method=\"post\" action=\"/sso\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
         <div class=\"field\"><label for=\"email\">Work email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required autofocus></div>{}\
         <button type=\"submit\" class=\"button primary wide\">Continue</button></form>\
         <p><a href=\"/sign-in\">Sign in with a password instead</a></p>",
        esc(next),
        form_error(error)
    );
    page("Single sign-on", &body)
}

/// Asks before going to the provider with an invitation: a GET only shows this page, so a
/// mail scanner that follows the invitation page's links starts nothing.
pub fn sso_invitation_form(team: &str, name: &str, email: &str, token: &str) -> String {
    let body = format!(
        "<h1>Join {team} with single sign-on</h1>\
         <p class=\"lede\">You were invited as {name} ({email}). Continue to sign in at your company's sign-in \
         service; from then on it signs you in to Tessera.</p>\
         <form method=\"post\" action=\"/sso\"><input type=\"hidden\" name=\"invitation\" value=\"{token}\">\
         <button type=\"submit\" class=\"button primary wide\">Continue to single sign-on</button></form>\
         <p><a href=\"/invite/{token}\">Accept with a password instead</a></p>",
        team = esc(team),
        name = esc(name),
        email = esc(email),
        token = esc(token),
    );
    page("Single sign-on", &body)
}

/// A first sign-in through a provider, waiting for the account owner's proof.
pub struct LinkView<'a> {
    /// The provider's host, as the person knows it.
    pub provider: &'a str,
    pub email: &'a str,
    /// The account has a password to prove itself with.
    pub password: bool,
    /// The link was mailed (the page says so instead of offering to mail it).
    pub sent: bool,
    /// How long a mailed link works.
    pub minutes: i64,
}

pub fn sso_link(v: &LinkView, error: Option<&str>) -> String {
    let err = form_error(error);
    let password = if v.password {
        format!(
            "<form method=\"post\" action=\"/sso/link\">\
             <div class=\"field\"><label for=\"password\">Your Tessera password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required autofocus></div>{err}\
             <button type=\"submit\" class=\"button primary wide\">Connect and sign in</button></form>\
             <p>Or, without your password:</p>"
        )
    } else {
        err
    };
    let mail = if v.sent {
        format!(
            "<p role=\"status\" data-testid=\"sso-link-sent\">We sent a link to <strong>{}</strong>. Open it in this \
             browser within {} minutes.</p>",
            esc(v.email),
            v.minutes
        )
    } else {
        format!(
            "<form method=\"post\" action=\"/sso/link/email\"><button type=\"submit\" class=\"button wide\">\
             Email a link to {}</button></form>",
            esc(v.email)
        )
    };
    let body = format!(
        "<h1>Connect your Tessera account</h1>\
         <p class=\"lede\">You signed in at <strong>{}</strong> as <strong>{}</strong>. This is the first time that \
         sign-in is used for your Tessera account: prove once that the account is yours, and it will sign you \
         in from now on.</p>{password}{mail}<p><a href=\"/sign-in\">Cancel</a></p>",
        esc(v.provider),
        esc(v.email)
    );
    page("Connect your account", &body)
}
