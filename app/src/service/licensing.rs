//! The licensing service (R-LIC1..5, R-PRI1): resolves what a person holds, keeps devices
//! and the one active session, charges Flex windows and signs the lease. The rules are in
//! `domain::licensing` and `domain::ledger`; this module orders the reads and writes.
use crate::domain::access;
use crate::domain::licensing::{
    check_device, lease_times, may_hold_session, resolve, AuthorizeRequest, DeviceCheck, Entitlement,
    LeaseClaims, LicenseType, Refusal, LEASE_TYPE, SESSION_LAPSE,
};
use crate::domain::{TeamId, UserId};
use crate::service::keys::KeyError;
use crate::service::state::AppState;
use crate::store::licensing::{Charge, ProductRow, Registration, Snapshot, TOUCH_EVERY};
use crate::store::{Db, StoreError};
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum LicensingError {
    #[error("refused: {}", .0.code())]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keys(#[from] KeyError),
}

impl From<Refusal> for LicensingError {
    fn from(r: Refusal) -> Self {
        LicensingError::Refused(r)
    }
}

/// A granted authorization: the contract's 200 body, as it is serialised.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Granted {
    /// `subscription`, `trial` or `flex`.
    #[schema(value_type = String, example = "flex")]
    pub license_type: LicenseType,
    /// A JWT (`typ` `tessera-lease`) signed with a key of the JWKS.
    pub lease: String,
    #[serde(serialize_with = "rfc3339_seconds")]
    #[schema(value_type = String, format = DateTime)]
    pub offline_until: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339_seconds")]
    #[schema(value_type = String, format = DateTime)]
    pub next_check_at: DateTime<Utc>,
    pub tokens_charged: i64,
}

/// The contract's timestamps: RFC 3339 in UTC to the second ("2026-12-03T10:00:00Z").
fn rfc3339_seconds<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The person's entitlement to a product and the teams it comes from (R-PRI1 order).
/// With a seat, also when it was last used.
async fn entitlement(
    db: &Db,
    account: &UserId,
    product: &ProductRow,
    snap: &Snapshot,
) -> Result<(Entitlement, Vec<TeamId>, Option<DateTime<Utc>>), LicensingError> {
    let (sub, trial) = (snap.subscription.clone().map(|s| s.0), snap.trial.clone().map(|s| s.0));
    let last_used = snap.subscription.as_ref().or(snap.trial.as_ref()).and_then(|s| s.1);
    let flex_teams: Vec<TeamId> = match (&sub, &trial, product.flex_daily_rate) {
        (None, None, Some(_)) => db
            .flex_facts(account, &product.id)
            .await?
            .into_iter()
            .filter(|(_, f)| access::allows(f))
            .map(|(t, _)| t)
            .collect(),
        _ => vec![],
    };
    let flex_rate = product.flex_daily_rate.filter(|_| !flex_teams.is_empty());
    let ent = resolve(sub.is_some(), trial.is_some(), flex_rate);
    let teams = match ent {
        Entitlement::Subscription => sub.into_iter().collect(),
        Entitlement::Trial => trial.into_iter().collect(),
        Entitlement::Flex { .. } => flex_teams,
        Entitlement::Refused => vec![],
    };
    Ok((ent, teams, last_used))
}

/// Authorizes the token's `subject` to run `req.product` on `req.device_id` now (R-LIC1..5).
/// A service account (its subject is no account id) holds no licences: it is refused as an
/// account with nothing assigned is.
///
/// Order matters: refusals that cost nothing (entitlement, device limit, a session held
/// elsewhere) come first; the device is registered and the session taken before tokens are
/// charged, and a session taken for a charge that then fails is given back.
#[tracing::instrument(name = "licensing.authorize", skip_all, fields(product = %req.product))]
pub async fn authorize(
    st: &AppState,
    subject: &str,
    req: &AuthorizeRequest,
) -> Result<Granted, LicensingError> {
    let (db, now) = (&st.db, st.now());
    let Some(product) = st.catalogue.product(&req.product).await? else {
        return Err(Refusal::NotEntitled {
            product: req.product.clone(),
            reason: "there is no product with this code".into(),
        }
        .into());
    };
    let not_entitled = || Refusal::NotEntitled {
        product: product.name.clone(),
        reason: "none of your teams has assigned you a subscription seat, a trial or Flex access to it"
            .into(),
    };
    let Ok(account) = UserId::parse(subject) else { return Err(not_entitled().into()) };
    let account = &account;
    let snap = db.licensing_snapshot(account, &product.id, &req.device_id, now).await?;
    let (ent, teams, seat_last_used) = entitlement(db, account, &product, &snap).await?;
    let Some(license_type) = ent.license_type() else { return Err(not_entitled().into()) };

    let limit = |names: Vec<String>| Refusal::DeviceLimit { product: product.name.clone(), devices: names };
    match check_device(snap.device.is_some(), snap.device_count) {
        DeviceCheck::Known => {
            if let Some(d) = &snap.device {
                db.touch_device(account, &product.id, d, &req.device_name, now).await?;
            }
        }
        DeviceCheck::Limit => return Err(limit(db.device_names(account, &product.id).await?).into()),
        DeviceCheck::Register => {
            if let Registration::Limit(names) =
                db.register_device(account, &product.id, &req.device_id, &req.device_name, now).await?
            {
                return Err(limit(names).into());
            }
        }
    }

    let holder = snap.session;
    let elsewhere = |name: Option<String>| Refusal::SessionActiveElsewhere {
        product: product.name.clone(),
        device_name: name.unwrap_or_else(|| "a removed device".into()),
    };
    if !may_hold_session(holder.as_ref().map(|h| (h.device_id.as_str(), h.heartbeat_at)), &req.device_id, now)
    {
        let h = db.license_session(account, &product.id).await?;
        return Err(elsewhere(h.and_then(|h| h.device_name)).into());
    }
    let ours = holder.as_ref().is_some_and(|h| h.device_id == req.device_id);
    let fresh = ours && holder.as_ref().is_some_and(|h| now - h.heartbeat_at < TOUCH_EVERY);
    if !fresh && !db.claim_session(account, &product.id, &req.device_id, now - SESSION_LAPSE, now).await? {
        let h = db.license_session(account, &product.id).await?;
        return Err(elsewhere(h.and_then(|h| h.device_name)).into());
    }

    let tokens_charged = match ent {
        Entitlement::Flex { daily_rate } => {
            if snap.open_flex {
                0
            } else {
                match db.charge_flex(account, &product.id, &req.device_id, &teams, daily_rate, now).await? {
                    Charge::Covered(_) => 0,
                    Charge::Charged { window, .. } => window.tokens,
                    Charge::Insufficient { needed, available } => {
                        if !ours {
                            db.release_session(account, &product.id, &req.device_id).await?;
                        }
                        return Err(Refusal::InsufficientTokens {
                            product: product.name.clone(),
                            needed,
                            available,
                        }
                        .into());
                    }
                }
            }
        }
        _ => {
            // A seat is always held through a team (the snapshot read its row).
            let team = teams.first().ok_or_else(|| StoreError::Corrupt("a seat without its team".into()))?;
            let open = match license_type {
                LicenseType::Trial => snap.open_trial,
                _ => snap.open_subscription,
            };
            if !open {
                db.open_seat_window(team, account, &product.id, &req.device_id, license_type, now).await?;
            }
            if seat_last_used.is_none_or(|t| now - t >= TOUCH_EVERY) {
                db.touch_seat(team, account, &product.id, now).await?;
            }
            0
        }
    };

    let (next_check_at, offline_until) = lease_times(now);
    let claims = LeaseClaims {
        iss: st.public_url.clone(),
        sub: account.to_string(),
        typ: LEASE_TYPE.to_string(),
        product: product.code.clone(),
        device_id: req.device_id.clone(),
        license_type,
        iat: now.timestamp(),
        next_check_at: next_check_at.timestamp(),
        exp: offline_until.timestamp(),
        jti: uuid::Uuid::new_v4().simple().to_string(),
    };
    let lease = st.keys.sign(&claims, now).await?;
    Ok(Granted { license_type, lease, offline_until, next_check_at, tokens_charged })
}

/// Ends the session `device` holds for the product (R-LIC3); false when it held none.
pub async fn release(
    st: &AppState,
    subject: &str,
    product_code: &str,
    device: &str,
) -> Result<bool, StoreError> {
    let Some(product) = st.catalogue.product(product_code).await? else { return Ok(false) };
    // A service account holds no sessions.
    let Ok(account) = UserId::parse(subject) else { return Ok(false) };
    st.db.release_session(&account, &product.id, device).await
}
