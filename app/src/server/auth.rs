use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamChoice {
    pub id: String,
    pub name: String,
    /// Runs the team (the primary admin or an admin).
    pub admin: bool,
    /// Runs the team's single sign-on and directory sync (admins and SSO admins, R-UM5).
    #[serde(default)]
    pub sign_in_admin: bool,
    /// R-UM5: `primary_admin`, `admin`, `sso_admin` or `member`.
    #[serde(default)]
    pub role: String,
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
            admin: m.role.runs_team(),
            sign_in_admin: m.role.runs_sign_in(),
            role: m.role.as_str().into(),
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
    let st = state()?;
    let acc = crate::service::accounts::sign_in(&st, &email, password).await?;
    start_session(&st, &acc).await?;
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

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::ssr::*;
    let session = session().await?;
    session.flush().await.map_err(AppError::internal)?;
    leptos_axum::redirect("/sign-in");
    Ok(())
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
}
