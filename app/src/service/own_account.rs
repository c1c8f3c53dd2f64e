//! R-ACC1: what a signed-in person does with their own account: edit the profile that
//! `/userinfo` returns, change the password (the current one is checked under the shared
//! throttle, and every other session ends), list their console sessions and end the others.
use crate::domain::display::sentence;
use crate::domain::profile::ProfileForm;
use crate::domain::NewPassword;
use crate::error::AppError;
use crate::service::accounts::check_password;
use crate::service::passwords;
use crate::service::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::{identity, sessions};

pub async fn save_profile(st: &AppState, me: &Account, form: &ProfileForm) -> Result<(), AppError> {
    let profile = form.parse().map_err(|e| AppError::invalid(e.field, e.message))?;
    let mut tx = st.db.pool.begin().await?;
    identity::save_profile(&mut tx, &me.id, &profile, st.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password after checking the current one. Every console session of the
/// account but `keep` (the one in use) ends; the caller stamps `keep` with the same `now`.
pub async fn change_password(
    st: &AppState,
    me: &Account,
    current: String,
    new: String,
    confirm: String,
    keep: Option<&str>,
) -> Result<String, AppError> {
    if me.password_hash.is_none() {
        return Err(AppError::Conflict {
            message: "This account signs in through single sign-on and has no password to change.".into(),
        });
    }
    if current.is_empty() {
        return Err(AppError::invalid("current", "Enter your current password."));
    }
    let pw = NewPassword::parse(&new).map_err(|e| AppError::invalid("password", sentence(&e.to_string())))?;
    if confirm != new {
        return Err(AppError::invalid(
            "confirm",
            "The two new passwords are different. Type the same password twice.",
        ));
    }
    if !check_password(st, &me.email, current, me.password_hash.clone(), "password change").await? {
        return Err(AppError::invalid("current", "That is not your current password."));
    }
    let hash = passwords::hash_blocking(pw.expose().to_string()).await.map_err(AppError::internal)?;
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    let epoch = accounts::set_password_ending_sessions(&mut tx, &me.id, Some(&hash), keep, now).await?;
    tx.commit().await?;
    tracing::info!(user = %me.id, "password changed; other sessions ended");
    Ok(epoch)
}

/// Ends every console session of the account but `keep`.
pub async fn sign_out_elsewhere(st: &AppState, me: &Account, keep: Option<&str>) -> Result<String, AppError> {
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    let epoch = accounts::set_password_ending_sessions(&mut tx, &me.id, None, keep, now).await?;
    tx.commit().await?;
    Ok(epoch)
}

/// One console session of the person's, as their account page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub signed_in_at: Option<chrono::DateTime<chrono::Utc>>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub current: bool,
}

/// The person's live console sessions (of the account's current generation), newest first.
pub async fn sessions_of(
    st: &AppState,
    me: &Account,
    current: Option<&str>,
) -> Result<Vec<SessionInfo>, AppError> {
    let now = st.now();
    let rows = sessions::of_account(&st.db.pool, me.id.as_str(), chrono::Utc::now().timestamp()).await?;
    let mut out: Vec<SessionInfo> = rows
        .into_iter()
        .filter_map(|(id, data, expires)| {
            let data: serde_json::Value = serde_json::from_str(&data).ok()?;
            let since = data
                .get(crate::server::ssr::SESSION_SINCE)
                .and_then(|v| v.as_str())
                .and_then(|s| crate::store::parse_ts(s).ok());
            let epoch = data.get(crate::server::ssr::SESSION_EPOCH).and_then(|v| v.as_str());
            let live = me.session_epoch.as_deref().is_none_or(|e| epoch == Some(e));
            live.then(|| SessionInfo {
                signed_in_at: since,
                expires_at: chrono::DateTime::from_timestamp(expires, 0).unwrap_or(now),
                current: current == Some(id.as_str()),
            })
        })
        .collect();
    out.sort_by(|a, b| b.current.cmp(&a.current).then(b.signed_in_at.cmp(&a.signed_in_at)));
    Ok(out)
}

/// How long a forgotten-password link works.
pub const RESET_VALID_MINUTES: i64 = 60;
/// Links sent to one address per hour; more requests get the same answer and no email.
pub const RESETS_PER_HOUR: i64 = 3;

/// R-ACC1: a forgotten password. The answer is the same whether or not an account has this
/// address (only a malformed address is refused); an account with a password gets a
/// single-use link valid one hour, at most [`RESETS_PER_HOUR`] an hour. Per client IP the
/// request sits behind the password-check limit.
pub async fn request_reset(st: &AppState, email: &str) -> Result<(), AppError> {
    use crate::store::outbox;
    let email = crate::domain::Email::parse(email)
        .map_err(|e| AppError::invalid("email", sentence(&e.to_string())))?;
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    accounts::lock_by_email(&mut *tx, &email).await?;
    let Some(acc) = accounts::by_email(&mut *tx, &email).await? else { return Ok(()) };
    if acc.password_hash.is_none() {
        // An invitee, or an account that signs in only through single sign-on: nothing to reset.
        return Ok(());
    }
    if accounts::resets_since(&mut *tx, &acc.id, now - chrono::Duration::hours(1)).await? >= RESETS_PER_HOUR {
        tracing::info!(user = %acc.id, "password reset refused: too many this hour");
        return Ok(());
    }
    let (token, hash) = crate::service::secrets::new_token();
    let expires = now + chrono::Duration::minutes(RESET_VALID_MINUTES);
    accounts::insert_reset(&mut *tx, &acc.id, &hash, now, expires).await?;
    let url = format!("{}/reset/{token}", st.public_url);
    let mail = crate::service::mail::password_reset(&acc.name, &url, RESET_VALID_MINUTES);
    let message = outbox::NewMessage {
        kind: "password_reset",
        to: &email,
        subject: &mail.subject,
        text: &mail.text,
        html: &mail.html,
    };
    outbox::enqueue(&mut tx, &message, now).await?;
    tx.commit().await?;
    st.db.wake_outbox();
    Ok(())
}

/// Whether a reset link can still be used (for its page): the account's email, or why not.
pub async fn usable_reset(st: &AppState, token: &str) -> Result<crate::store::accounts::ResetRow, AppError> {
    let hash = crate::service::secrets::hash_token(token);
    let row = accounts::reset_by_hash(&st.db.pool, &hash).await?;
    match row {
        Some(r) if r.used => Err(AppError::Gone {
            message: "This link has already been used. Ask for a new one if you still need it.".into(),
        }),
        Some(r) if r.expires_at <= st.now() => Err(AppError::Gone {
            message: "This link has expired (links work for one hour). Ask for a new one.".into(),
        }),
        Some(r) => Ok(r),
        None => Err(AppError::Gone { message: "This link is not valid. Ask for a new one.".into() }),
    }
}

/// Sets the new password from a reset link; the link and every other one of the account is
/// used up, and every session of the account ends. The account, for signing in.
pub async fn reset_password(
    st: &AppState,
    token: &str,
    password: String,
    confirm: String,
) -> Result<Account, AppError> {
    let reset = usable_reset(st, token).await?;
    let pw =
        NewPassword::parse(&password).map_err(|e| AppError::invalid("password", sentence(&e.to_string())))?;
    if confirm != password {
        return Err(AppError::invalid(
            "confirm",
            "The two passwords are different. Type the same password twice.",
        ));
    }
    let hash = passwords::hash_blocking(pw.expose().to_string()).await.map_err(AppError::internal)?;
    let now = st.now();
    let mut tx = st.db.pool.begin().await?;
    if !accounts::use_resets(&mut tx, &reset.id, &reset.account_id, now).await? {
        return Err(AppError::Gone {
            message: "This link has already been used. Ask for a new one if you still need it.".into(),
        });
    }
    accounts::set_password_ending_sessions(&mut tx, &reset.account_id, Some(&hash), None, now).await?;
    tx.commit().await?;
    // A reset proves the mailbox, not a guess: failed sign-ins of the address are forgotten.
    let acc = st.db.account(&reset.account_id).await?.ok_or(AppError::Unauthenticated)?;
    st.db.clear_sign_in_failures(&acc.email).await?;
    tracing::info!(user = %acc.id, "password reset; every session ended");
    Ok(acc)
}
