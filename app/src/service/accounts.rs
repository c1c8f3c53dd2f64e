//! Signing in and accepting an invitation (R-INV1): every password check goes through one
//! per-account throttle, so guesses at the sign-in form, an invitation link and the single
//! sign-on account link all count towards the same lock-out.
use crate::domain::display::sentence;
use crate::domain::invitation::{check_accept, AcceptRefusal, InvitationState};
use crate::domain::{Email, NewPassword};
use crate::error::AppError;
use crate::service::passwords;
use crate::service::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::audit::{record, Actor};
use crate::store::invitations::{self, InvitationRow};

/// Checks a password for the account keyed by `email` (its normalised address, as stored)
/// under the per-account throttle that every password check shares (sign-in, accepting an
/// invitation as an existing account, proving an account for single sign-on): the
/// attempt is counted before the password is checked, so a burst of parallel guesses each
/// gets its own count and everything past the limit is refused without being checked, and
/// failures in one place count towards a lock-out in the other. `Ok(false)` for a wrong
/// password, `Err(Throttled)` while locked out (even for the right password); a right one
/// clears the record.
pub async fn check_password(
    st: &AppState,
    email: &str,
    password: String,
    stored_hash: Option<String>,
    what: &'static str,
) -> Result<bool, AppError> {
    let now = st.now();
    let counted = st.db.count_sign_in_attempt(email, now, st.throttle.window).await?;
    if let Err(wait) = st.throttle.admit(counted, now) {
        tracing::info!(email, attempts = counted.count, what, "password check refused: locked out");
        metrics::counter!("sign_in_lockouts_total").increment(1);
        return Err(AppError::Throttled { retry_after_secs: wait.num_seconds() });
    }
    let ok = passwords::verify_blocking(password, stored_hash).await;
    if ok {
        st.db.clear_sign_in_failures(email).await?;
    } else {
        tracing::info!(email, attempts = counted.count, what, "password refused");
    }
    Ok(ok)
}

/// The account `email` and `password` prove. Unknown addresses are counted too (keyed by
/// the address) and answer as a wrong password does, so the answer does not tell whether
/// an account exists.
pub async fn sign_in(st: &AppState, email: &str, password: String) -> Result<Account, AppError> {
    let email = Email::parse(email).map_err(|e| AppError::invalid("email", sentence(&e.to_string())))?;
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    let acc = st.db.account_by_email(&email).await?;
    let stored = acc.as_ref().and_then(|a| a.password_hash.clone());
    let ok = check_password(st, email.as_str(), password, stored, "sign-in").await?;
    acc.filter(|_| ok).ok_or(AppError::BadCredentials)
}

/// The invitation behind `token` if it can still be accepted, or why not (410 Gone).
pub async fn usable_invitation(st: &AppState, token: &str) -> Result<InvitationRow, AppError> {
    let hash = crate::service::secrets::hash_token(token.trim());
    let unknown = || AppError::Gone { message: AcceptRefusal::Unknown.to_string() };
    let Some(inv) = st.db.invitation_by_token_hash(&hash).await? else { return Err(unknown()) };
    let state = InvitationState {
        sent_at: inv.sent_at,
        accepted_at: inv.accepted_at,
        superseded_at: inv.superseded_at,
    };
    check_accept(&state, st.now()).map_err(|r| AppError::Gone { message: r.to_string() })?;
    Ok(inv)
}

/// Whether the team of an invitation signs in through its company's provider (R-SSO1).
pub async fn team_uses_sso(st: &AppState, inv: &InvitationRow) -> Result<bool, AppError> {
    Ok(st.db.sso_config(&inv.team_id).await?.is_some_and(|c| c.enabled))
}

/// Accepts the invitation behind `token`: an account without a password sets one (typed
/// twice), an existing account proves its password (under the sign-in throttle: a valid
/// link is no way around it). The membership becomes active with the assignments made
/// while invited, audited in the same transaction. Returns the invitation accepted; the
/// caller signs its account in.
pub async fn accept_invitation(
    st: &AppState,
    token: &str,
    password: String,
    confirm: Option<String>,
) -> Result<InvitationRow, AppError> {
    let inv = usable_invitation(st, token).await?;
    let new_hash = if inv.has_password {
        let acc = st
            .db
            .account(&inv.account_id)
            .await?
            .ok_or_else(|| AppError::internal("invited account missing"))?;
        // Keyed by the account's stored (normalised) address, as sign-in keys it.
        if !check_password(st, &acc.email, password, acc.password_hash, "invitation").await? {
            return Err(AppError::invalid(
                "password",
                "That is not the password of this account. Try again.",
            ));
        }
        None
    } else {
        let pw = NewPassword::parse(&password)
            .map_err(|e| AppError::invalid("password", sentence(&e.to_string())))?;
        if confirm.as_deref() != Some(password.as_str()) {
            return Err(AppError::invalid(
                "confirm",
                "The two passwords are different. Type the same password twice.",
            ));
        }
        Some(passwords::hash_blocking(pw.expose().to_string()).await.map_err(AppError::internal)?)
    };
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    if !invitations::accept(&mut tx, &inv, now).await? {
        return Err(AppError::Gone { message: AcceptRefusal::AlreadyUsed.to_string() });
    }
    if let Some(hash) = &new_hash {
        accounts::set_first_password(&mut *tx, &inv.account_id, hash).await?;
    }
    let label = format!("{} <{}>", inv.name, inv.email);
    let actor = Actor { id: Some(inv.account_id.as_str()), label: &label };
    let change = serde_json::json!({"status": "active"});
    record(&mut tx, &inv.team_id, &actor, "accept", &label, None, Some(&change), now).await?;
    tx.commit().await?;
    Ok(inv)
}
