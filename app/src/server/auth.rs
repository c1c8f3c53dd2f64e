use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamChoice {
    pub id: String,
    pub name: String,
    pub admin: bool,
}

/// Who is signed in, and the teams they can switch between.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub email: String,
    pub teams: Vec<TeamChoice>,
}

/// `None` when nobody is signed in (not an error: the sign-in page asks this too).
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    use super::ssr::*;
    let st = state()?;
    let acc = match current_account(&st).await {
        Ok(a) => a,
        Err(AppError::Unauthenticated) => return Ok(None),
        Err(e) => return Err(e),
    };
    let teams = st
        .db
        .memberships_of(&acc.id)
        .await?
        .into_iter()
        .map(|m| TeamChoice {
            id: m.team_id.to_string(),
            name: m.team_name,
            admin: m.role == crate::store::teams::Role::Admin,
        })
        .collect();
    Ok(Some(Me { name: acc.name, email: acc.email, teams }))
}

/// Only same-site relative paths are followed after sign-in (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines and read "\\" as "/", so "/\t/evil.example" would
        // leave the site: only a plain same-site path is followed.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
                && !n.to_ascii_lowercase().contains("%09")
                && !n.to_ascii_lowercase().contains("%0a")
                && !n.to_ascii_lowercase().contains("%0d") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Pages the server renders outside the console's router (the OAuth consent page, SSO):
/// the browser must load them, not route to them client-side.
pub fn is_server_page(path: &str) -> bool {
    path.starts_with("/authentication/")
        || path == "/sso"
        || path.starts_with("/sso?")
        || path.starts_with("/sso/")
}

/// Signs in. Returns the address to load when it is a server page (see `is_server_page`);
/// console pages are reached through the usual redirect.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<Option<String>, AppError> {
    use super::ssr::*;
    use crate::domain::Email;
    let st = state()?;
    let email = Email::parse(&email).map_err(|e| AppError::invalid("email", capitalise(&e.to_string())))?;
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    let acc = st.db.account_by_email(&email).await?;
    let stored = acc.as_ref().and_then(|a| a.password_hash.clone());
    // Unknown addresses are counted too (keyed by the address), so the answer does not tell
    // whether an account exists.
    let ok = check_password_throttled(&st, email.as_str(), password, stored, "sign-in").await?;
    let Some(acc) = acc.filter(|_| ok) else {
        return Err(AppError::BadCredentials);
    };
    let session = session().await?;
    // A new id at privilege change defeats session fixation.
    session.cycle_id().await.map_err(internal)?;
    session.insert(SESSION_USER, acc.id.as_str()).await.map_err(internal)?;
    tracing::info!(user = %acc.id, "signed in");
    let target = safe_next(next.as_deref());
    if is_server_page(&target) {
        // Without JavaScript the form post returns to the sign-in page, which (now signed
        // in) redirects there on the server.
        return Ok(Some(target));
    }
    leptos_axum::redirect(&target);
    Ok(None)
}

/// Checks a password for the account keyed by `email` (its normalised address, as stored)
/// under the per-account throttle that every password check shares (sign-in, accepting an
/// invitation as an existing account, proving an account for single sign-on): the
/// attempt is counted before the password is checked, so a burst of parallel guesses each
/// gets its own count and everything past the limit is refused without being checked, and
/// failures in one place count towards a lock-out in the other. `Ok(false)` for a wrong
/// password, `Err(Throttled)` while locked out (even for the right password); a right one
/// clears the record.
#[cfg(feature = "ssr")]
pub async fn check_password_throttled(
    st: &crate::service::state::AppState,
    email: &str,
    password: String,
    stored_hash: Option<String>,
    what: &'static str,
) -> Result<bool, AppError> {
    let key = email;
    let now = st.now();
    let counted = st.db.count_sign_in_attempt(key, now, st.throttle.window).await?;
    if let Err(wait) = st.throttle.admit(counted, now) {
        tracing::info!(email = %key, attempts = counted.count, what, "password check refused: locked out");
        return Err(AppError::Throttled { retry_after_secs: wait.num_seconds() });
    }
    let ok = crate::service::passwords::verify_blocking(password, stored_hash).await;
    if ok {
        st.db.clear_sign_in_failures(key).await?;
    } else {
        tracing::info!(email = %key, attempts = counted.count, what, "password refused");
    }
    Ok(ok)
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::ssr::*;
    let session = session().await?;
    session.flush().await.map_err(internal)?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => {
            f.to_uppercase().collect::<String>() + c.as_str() + if s.ends_with('.') { "" } else { "." }
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_same_site_only() {
        assert_eq!(safe_next(Some("/t/abc")), "/t/abc");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example/x")), "/");
        assert_eq!(safe_next(Some("/%09/evil.example/x")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(capitalise("email address is empty"), "Email address is empty.");
    }
}
