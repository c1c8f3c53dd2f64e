//! Email templates: each renders a subject, a plain-text body and an HTML body. Every
//! value interpolated into the HTML is escaped; the plain-text body puts each link on a
//! line of its own so mail clients make it clickable and nothing wraps it.
//! Write the result with `store::outbox::enqueue` in the transaction that causes it.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A subject is one header line: control characters (line breaks above all) become spaces.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// The shared HTML frame: a plain, readable single column that renders the same in
/// clients that ignore styles. `body` is already-escaped HTML.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n</head>\n\
         <body style=\"margin:0;padding:24px;background:#f6f7f9;font-family:system-ui,-apple-system,\
         'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;line-height:1.5\">\n\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d8dde3;\
         border-radius:8px;padding:24px\">\n{body}</div>\n</body>\n</html>\n",
        title = escape_html(title),
    )
}

/// A prominent link plus the bare address beneath it for clients that hide buttons.
fn button(url: &str, label: &str) -> String {
    let url = escape_html(url);
    format!(
        "<p style=\"margin:24px 0\"><a href=\"{url}\" style=\"display:inline-block;background:#2556c4;\
         color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px;font-weight:600\">{label}</a></p>\n\
         <p style=\"font-size:13px;color:#57606a\">If the button does not work, copy this address into \
         your browser:<br><a href=\"{url}\" style=\"color:#2556c4;word-break:break-all\">{url}</a></p>\n",
        label = escape_html(label),
    )
}

/// An invitation to join a team. `expires_on` is a human-readable date.
pub fn invitation(
    team: &str,
    inviter: &str,
    invitee_name: &str,
    accept_url: &str,
    expires_on: &str,
) -> Rendered {
    let subject = one_line(&format!("{inviter} invited you to join {team}"));
    let text = format!(
        "Hello {invitee_name},\n\n\
         {inviter} has invited you to join the team \"{team}\".\n\n\
         To accept the invitation and set up your account, open this link:\n\n\
         {accept_url}\n\n\
         The link can be used once and expires on {expires_on}.\n\n\
         If you were not expecting this invitation, you can ignore this message. \
         Nothing changes until you accept.\n"
    );
    let body = format!(
        "<p>Hello {name},</p>\n\
         <p>{inviter} has invited you to join the team <strong>{team}</strong>.</p>\n\
         <p>To accept the invitation and set up your account, open the link below.</p>\n\
         {button}\
         <p>The link can be used once and expires on {expires}.</p>\n\
         <p style=\"color:#57606a\">If you were not expecting this invitation, you can ignore this \
         message. Nothing changes until you accept.</p>\n",
        name = escape_html(invitee_name),
        inviter = escape_html(inviter),
        team = escape_html(team),
        button = button(accept_url, "Accept the invitation"),
        expires = escape_html(expires_on),
    );
    let html = page(&subject, &body);
    Rendered { subject, text, html }
}

/// What a Flex user of a team can run now (R-FX1, R-FX2), as their email tells it: the
/// products are always listed, whichever way they come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlexGrant<'a> {
    /// Every Flex product, later ones included; the names are today's.
    All(&'a [String]),
    /// Exactly the products an admin chose for them.
    Chosen(&'a [String]),
    /// The team's default products, which replace their own choice while defaults are on.
    Defaults(&'a [String]),
}

/// A Flex user's products in a team, after an admin gave them Flex or changed their
/// selection.
pub fn flex_access(team: &str, name: &str, grant: FlexGrant<'_>, console_url: &str) -> Rendered {
    let subject = one_line(&format!("Your Flex products in {team}"));
    let (lead, products) = match grant {
        FlexGrant::All(p) => (
            "has given you access to all of the team's Flex products, including ones added later. Today these are:",
            p,
        ),
        FlexGrant::Chosen(p) => ("has given you access to these Flex products:", p),
        FlexGrant::Defaults(p) => (
            "has made you a Flex user. The team's default products apply to you, whatever is chosen for you individually:",
            p,
        ),
    };
    let (text_list, html_list) = if products.is_empty() {
        let none = match grant {
            FlexGrant::All(_) => {
                "The team has no Flex product at the moment; new ones will be available to you."
            }
            _ => "No Flex product is available to you for now.",
        };
        (
            format!("You are a Flex user of \"{team}\". {none}\n"),
            format!("<p>You are a Flex user of <strong>{}</strong>. {none}</p>\n", escape_html(team)),
        )
    } else {
        let lines: String = products.iter().map(|p| format!("  - {p}\n")).collect();
        let items: String = products.iter().map(|p| format!("<li>{}</li>\n", escape_html(p))).collect();
        (
            format!("An administrator of \"{team}\" {lead}\n\n{lines}"),
            format!(
                "<p>An administrator of <strong>{}</strong> {}</p>\n<ul>\n{items}</ul>\n",
                escape_html(team),
                escape_html(lead)
            ),
        )
    };
    let text = format!(
        "Hello {name},\n\n\
         {text_list}\n\
         You can see your products and how to start using them in the console:\n\n\
         {console_url}\n\n\
         If you have questions about this change, please contact an administrator of your team.\n"
    );
    let body = format!(
        "<p>Hello {name},</p>\n\
         {html_list}\
         <p>You can see your products and how to start using them in the console.</p>\n\
         {button}\
         <p style=\"color:#57606a\">If you have questions about this change, please contact an \
         administrator of your team.</p>\n",
        name = escape_html(name),
        button = button(console_url, "Open the console"),
    );
    let html = page(&subject, &body);
    Rendered { subject, text, html }
}

/// The owner of an account is asked to connect it to their company's sign-in service
/// (R-SSO1). Sent only when somebody signed in at that provider with this address; the link
/// completes only in the browser that started that sign-in, so a stranger who triggers the
/// mail gains nothing from the owner clicking it.
pub fn sso_link(name: &str, team: &str, provider: &str, confirm_url: &str, minutes: i64) -> Rendered {
    let subject = one_line(&format!("Connect your Tessera account to {team}'s sign-in"));
    let text = format!(
        "Hello {name},\n\n\
         Somebody signed in at {provider}, the sign-in service of the team \"{team}\", with this \
         email address and asked to use it for your Tessera account from now on.\n\n\
         If that was you, open this link in the same browser within {minutes} minutes:\n\n\
         {confirm_url}\n\n\
         If it was not you, ignore this message: nothing changes, and tell an administrator of \
         your team.\n"
    );
    let body = format!(
        "<p>Hello {name},</p>\n\
         <p>Somebody signed in at <strong>{provider}</strong>, the sign-in service of the team \
         <strong>{team}</strong>, with this email address and asked to use it for your Tessera \
         account from now on.</p>\n\
         <p>If that was you, open the link below in the same browser within {minutes} minutes.</p>\n\
         {button}\
         <p style=\"color:#57606a\">If it was not you, ignore this message: nothing changes, and \
         tell an administrator of your team.</p>\n",
        name = escape_html(name),
        provider = escape_html(provider),
        team = escape_html(team),
        button = button(confirm_url, "Connect my account"),
    );
    let html = page(&subject, &body);
    Rendered { subject, text, html }
}

/// A forgotten-password link (R-ACC1): single use, valid for `minutes`.
pub fn password_reset(name: &str, reset_url: &str, minutes: i64) -> Rendered {
    let subject = "Reset your Tessera password".to_string();
    let text = format!(
        "Hello {name},\n\n\
         Somebody asked to reset the password of your Tessera account. If that was you, open \
         this link within {minutes} minutes and choose a new password:\n\n\
         {reset_url}\n\n\
         The link works once. Setting a new password signs you out everywhere else.\n\n\
         If it was not you, ignore this message: your password stays as it is.\n"
    );
    let body = format!(
        "<p>Hello {name},</p>\n\
         <p>Somebody asked to reset the password of your Tessera account. If that was you, open \
         the link below within {minutes} minutes and choose a new password.</p>\n\
         {button}\
         <p>The link works once. Setting a new password signs you out everywhere else.</p>\n\
         <p style=\"color:#57606a\">If it was not you, ignore this message: your password stays as it is.</p>\n",
        name = escape_html(name),
        button = button(reset_url, "Choose a new password"),
    );
    let html = page(&subject, &body);
    Rendered { subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_special_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape_html("plain text, ünïcode"), "plain text, ünïcode");
        assert_eq!(escape_html(""), "");
        // Already-escaped text is escaped again, not passed through.
        assert_eq!(escape_html("&amp;"), "&amp;amp;");
    }

    const EVIL: &str = "<script>alert('x')</script> & \"q\"";

    #[test]
    fn invitation_escapes_every_value_in_html() {
        let r = invitation(EVIL, EVIL, EVIL, "https://t.example/accept?a=1&b=\"2\"", EVIL);
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(!r.html.contains("\"q\""), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"));
        assert!(r.html.contains("href=\"https://t.example/accept?a=1&amp;b=&quot;2&quot;\""));
    }

    #[test]
    fn invitation_text_has_the_link_on_its_own_line() {
        let url = "https://tessera.example/invitations/abc123";
        let r = invitation("Northwind", "Ada Admin", "Bo Member", url, "2 December 2026");
        assert!(r.text.lines().any(|l| l == url), "{}", r.text);
        assert!(r.text.contains("Hello Bo Member,"));
        assert!(r.text.contains("Ada Admin has invited you to join the team \"Northwind\""));
        assert!(r.text.contains("expires on 2 December 2026"));
        assert_eq!(r.subject, "Ada Admin invited you to join Northwind");
        assert!(r.html.contains(&format!("href=\"{url}\"")));
        assert!(r.html.starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn subjects_stay_on_one_line() {
        let r = invitation("Team\r\nBcc: someone@else.example", "Ann", "Bo", "https://x.example", "soon");
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'), "{:?}", r.subject);
    }

    #[test]
    fn flex_access_always_lists_the_products_whichever_way_they_come() {
        let url = "https://tessera.example/";
        let products = vec!["Editor <Pro>".to_string(), "Profiler".to_string()];
        let r = flex_access("Northwind", "Bo", FlexGrant::Chosen(&products), url);
        assert!(r.text.contains("  - Editor <Pro>\n  - Profiler\n"), "{}", r.text);
        assert!(r.text.lines().any(|l| l == url));
        assert!(r.html.contains("<li>Editor &lt;Pro&gt;</li>"));
        assert_eq!(r.subject, "Your Flex products in Northwind");

        let none = flex_access("Northwind", "Bo", FlexGrant::Chosen(&[]), url);
        assert!(none.text.contains("No Flex product is available to you for now."), "{}", none.text);
        assert!(!none.html.contains("<ul>"));

        let all = flex_access("A & B", "Bo", FlexGrant::All(&products), url);
        assert!(
            all.text.contains("all of the team's Flex products, including ones added later"),
            "{}",
            all.text
        );
        assert!(all.text.contains("  - Profiler\n"), "an 'all products' email names them: {}", all.text);
        assert!(all.html.contains("<strong>A &amp; B</strong>") && all.html.contains("<li>Profiler</li>"));

        let defaults = flex_access("Northwind", "Bo", FlexGrant::Defaults(&products[1..]), url);
        assert!(defaults.text.contains("default products apply to you"), "{}", defaults.text);
        assert!(
            defaults.text.contains("  - Profiler\n") && !defaults.text.contains("Editor"),
            "{}",
            defaults.text
        );
    }

    #[test]
    fn sso_link_names_the_team_and_provider_and_escapes_them() {
        let url = "https://tessera.example/sso/link/confirm?token=abc";
        let r = sso_link("Bo", EVIL, "idp.example", url, 30);
        assert!(r.text.lines().any(|l| l == url), "{}", r.text);
        assert!(r.text.contains("idp.example") && r.text.contains("within 30 minutes"));
        assert!(!r.html.contains("<script>"));
        assert!(!r.subject.contains('\n'));
    }
}
