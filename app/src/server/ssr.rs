//! Helpers only the server build needs: state lookup, the signed-in account, team checks,
//! and the mapping from store errors to what people see.
use crate::domain::{TeamId, UserId};
use crate::error::AppError;
use crate::service::state::AppState;
use crate::store::accounts::Account;
use crate::store::teams::Membership;
use leptos::prelude::*;
use tower_sessions::Session;

pub const SESSION_USER: &str = "uid";
/// When the session was signed in (RFC 3339), for the person's list of sessions.
pub const SESSION_SINCE: &str = "since";
/// The account's session generation when the session was signed in (R-ACC1).
pub const SESSION_EPOCH: &str = "epoch";

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("application state missing from context"))
}

/// A member's id as a page sends it: one that is not an account id names nobody in the team.
pub fn member_id(id: &str) -> Result<UserId, AppError> {
    UserId::parse(id).map_err(|_| AppError::not_found("This member"))
}

/// Signs `account` in on `session`: a new session id at the change of privilege (no
/// session fixation), then the account. The console's sign-in, accepting an invitation and
/// single sign-on all sign in through this.
pub async fn sign_in_session(
    session: &Session,
    account: &Account,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(SESSION_USER, account.id.as_str()).await?;
    session.insert(SESSION_SINCE, crate::store::ts(now)).await?;
    match &account.session_epoch {
        Some(epoch) => session.insert(SESSION_EPOCH, epoch).await,
        None => Ok(()),
    }
}

/// `sign_in_session` on this server function's session.
pub async fn start_session(st: &AppState, account: &Account) -> Result<(), AppError> {
    sign_in_session(&session().await?, account, st.now()).await.map_err(AppError::internal)
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| AppError::internal(format!("session layer: {e:?}")))
}

/// The signed-in account, or `Unauthenticated`.
pub async fn current_account(st: &AppState) -> Result<Account, AppError> {
    session_account(st, &session().await?).await?.ok_or(AppError::Unauthenticated)
}

/// Whether the session carries the account's current session generation (any session
/// does while the account has none yet).
async fn current_generation(session: &Session, acc: &Account) -> Result<bool, AppError> {
    let Some(epoch) = &acc.session_epoch else { return Ok(true) };
    let mine: Option<String> = session.get(SESSION_EPOCH).await.map_err(AppError::internal)?;
    Ok(mine.as_ref() == Some(epoch))
}

/// The account `session` is signed in as, if any: the one place a session becomes an
/// account (server functions here, the REST edge's `Console` extractor).
pub async fn session_account(st: &AppState, session: &Session) -> Result<Option<Account>, AppError> {
    let uid: Option<String> = session.get(SESSION_USER).await.map_err(AppError::internal)?;
    let Some(uid) = uid.and_then(|u| UserId::parse(&u).ok()) else { return Ok(None) };
    match st.db.account(&uid).await? {
        Some(acc) if current_generation(session, &acc).await? => Ok(Some(acc)),
        Some(_) => {
            // Signed in before the password changed (or "sign out everywhere else"): over.
            session.flush().await.map_err(AppError::internal)?;
            Ok(None)
        }
        None => {
            // The account is gone: the session must not keep pointing at it.
            session.flush().await.map_err(AppError::internal)?;
            Ok(None)
        }
    }
}

pub fn parse_team(raw: &str) -> Result<TeamId, AppError> {
    // A malformed id cannot name a team the caller belongs to; answer as for any other team.
    TeamId::parse(raw).map_err(|_| AppError::NotAMember)
}

/// The caller must be an active member of `team`.
pub async fn require_member(st: &AppState, team: &str) -> Result<(Account, Membership), AppError> {
    let acc = current_account(st).await?;
    let m = crate::service::active_membership(&st.db, &parse_team(team)?, &acc.id).await?;
    Ok((acc, m))
}

/// The caller must run `team`'s sign-in: an active admin, primary admin or SSO admin (R-UM5).
pub async fn require_sign_in_admin(st: &AppState, team: &str) -> Result<(Account, Membership), AppError> {
    let acc = current_account(st).await?;
    let m = crate::service::sign_in_admin_membership(&st.db, &parse_team(team)?, &acc.id).await?;
    Ok((acc, m))
}

/// The caller must be an active admin of `team`.
pub async fn require_admin(st: &AppState, team: &str) -> Result<(Account, Membership), AppError> {
    let acc = current_account(st).await?;
    let m = crate::service::admin_membership(&st.db, &parse_team(team)?, &acc.id).await?;
    Ok((acc, m))
}
