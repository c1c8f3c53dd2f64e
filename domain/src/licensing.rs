//! R-LIC1..5 as plain rules: what an authorization request may say, why one is refused,
//! devices and the one active session, the lease's times, and what a product client does
//! when it cannot reach the licensing service.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// R-LIC3: devices per person and product.
pub const MAX_DEVICES: usize = 3;
/// R-LIC1: a running product authorizes again after this long.
pub const CHECK_EVERY: Duration = Duration::hours(24);
/// R-LIC2: how long a lease lets a product run without reaching us.
pub const OFFLINE_FOR: Duration = Duration::days(30);
/// R-LIC3: a session nobody has checked in for this long no longer blocks other devices.
pub const SESSION_LAPSE: Duration = Duration::hours(24);
/// R-LIC4: a temporary licence during a licensing outage.
pub const TEMPORARY_LICENSE: Duration = Duration::hours(4);
/// R-LIC4: a running product keeps going this long after a check fails.
pub const OUTAGE_GRACE: Duration = Duration::hours(24);
/// R-LIC2: the stronger warning in the final days.
pub const WARN_DAYS: i64 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseType {
    Subscription,
    Trial,
    Flex,
}

impl LicenseType {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseType::Subscription => "subscription",
            LicenseType::Trial => "trial",
            LicenseType::Flex => "flex",
        }
    }

    /// The kind as people read it ("Subscription", "Trial", "Flex").
    pub fn label(self) -> &'static str {
        match self {
            LicenseType::Subscription => "Subscription",
            LicenseType::Trial => "Trial",
            LicenseType::Flex => "Flex",
        }
    }

    pub fn parse(s: &str) -> Option<LicenseType> {
        match s {
            "subscription" => Some(LicenseType::Subscription),
            "trial" => Some(LicenseType::Trial),
            "flex" => Some(LicenseType::Flex),
            _ => None,
        }
    }
}

/// R-PRI1: how a user is entitled to a product, in order of precedence. A subscription
/// seat or an active trial never costs tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entitlement {
    Subscription,
    Trial,
    Flex { daily_rate: i64 },
    Refused,
}

impl Entitlement {
    /// What a lease for this entitlement says it is; `None` when refused.
    pub fn license_type(self) -> Option<LicenseType> {
        match self {
            Entitlement::Subscription => Some(LicenseType::Subscription),
            Entitlement::Trial => Some(LicenseType::Trial),
            Entitlement::Flex { .. } => Some(LicenseType::Flex),
            Entitlement::Refused => None,
        }
    }
}

pub fn resolve(subscription_seat: bool, active_trial_seat: bool, flex_rate: Option<i64>) -> Entitlement {
    if subscription_seat {
        Entitlement::Subscription
    } else if active_trial_seat {
        Entitlement::Trial
    } else if let Some(rate) = flex_rate {
        Entitlement::Flex { daily_rate: rate }
    } else {
        Entitlement::Refused
    }
}

/// A request field that is missing or malformed, named so a developer sees what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct RequestError {
    pub field: &'static str,
    pub problem: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> RequestError {
    RequestError { field, problem: problem.into() }
}

/// The authorization body as sent; every field optional so a missing one gets a named error.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RawAuthorize {
    pub product: Option<String>,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
}

/// A parsed authorization request: product code (upper case), device id and a display name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub product: String,
    pub device_id: String,
    pub device_name: String,
}

pub fn parse_product_code(s: &str) -> Result<String, RequestError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(bad("product", "is empty (expected a product code such as MODEL3D)"));
    }
    if s.len() > 40 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(bad("product", format!("{s:?} is not a product code (letters, digits, - and _)")));
    }
    Ok(s.to_ascii_uppercase())
}

pub fn parse_device_id(s: &str) -> Result<String, RequestError> {
    if s.is_empty() {
        return Err(bad("device_id", "is empty"));
    }
    if s.len() > 128 || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad("device_id", "must be 1 to 128 visible ASCII characters without spaces"));
    }
    Ok(s.to_string())
}

pub fn parse_device_name(s: &str) -> Result<String, RequestError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(bad("device_name", "is empty (a name people recognise, such as a host name)"));
    }
    if s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err(bad("device_name", "must be at most 100 characters without control characters"));
    }
    Ok(s.to_string())
}

impl AuthorizeRequest {
    pub fn parse(raw: RawAuthorize) -> Result<Self, RequestError> {
        let product = parse_product_code(&raw.product.ok_or_else(|| bad("product", "is missing"))?)?;
        let device_id = parse_device_id(&raw.device_id.ok_or_else(|| bad("device_id", "is missing"))?)?;
        let device_name =
            parse_device_name(&raw.device_name.ok_or_else(|| bad("device_name", "is missing"))?)?;
        Ok(AuthorizeRequest { product, device_id, device_name })
    }
}

/// Why an authorization is refused (403, contract codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotEntitled { product: String, reason: String },
    InsufficientTokens { product: String, needed: i64, available: i64 },
    DeviceLimit { product: String, devices: Vec<String> },
    SessionActiveElsewhere { product: String, device_name: String },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotEntitled { .. } => "not_entitled",
            Refusal::InsufficientTokens { .. } => "insufficient_tokens",
            Refusal::DeviceLimit { .. } => "device_limit",
            Refusal::SessionActiveElsewhere { .. } => "session_active_elsewhere",
        }
    }

    pub fn description(&self) -> String {
        match self {
            Refusal::NotEntitled { product, reason } => {
                format!("You are not entitled to {product}: {reason}.")
            }
            Refusal::InsufficientTokens { product, needed, available } => format!(
                "{product} costs {needed} Flex tokens a day and your team has {available} left; \
                 ask your admin to buy tokens."
            ),
            Refusal::DeviceLimit { product, devices } => format!(
                "{product} is already installed on {MAX_DEVICES} devices ({}); ask your admin to \
                 remove one of them on the console's By User page.",
                devices.join(", ")
            ),
            Refusal::SessionActiveElsewhere { product, device_name } => format!(
                "{product} is open on another device ({device_name}); close it there (or wait 24 hours \
                 after its last check) and try again."
            ),
        }
    }
}

/// What a device's first (or next) authorization means for the device list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceCheck {
    Known,
    Register,
    Limit,
}

/// `known`: the device is already registered; `registered`: how many the person has.
pub fn check_device(known: bool, registered: i64) -> DeviceCheck {
    if known {
        DeviceCheck::Known
    } else if registered < MAX_DEVICES as i64 {
        DeviceCheck::Register
    } else {
        DeviceCheck::Limit
    }
}

/// Whether a session last heard from at `heartbeat_at` has lapsed.
pub fn session_lapsed(heartbeat_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= heartbeat_at + SESSION_LAPSE
}

/// Whether `device` may hold the session: none open, its own, or the holder lapsed.
pub fn may_hold_session(holder: Option<(&str, DateTime<Utc>)>, device: &str, now: DateTime<Utc>) -> bool {
    match holder {
        None => true,
        Some((d, heartbeat)) => d == device || session_lapsed(heartbeat, now),
    }
}

/// The lease's claims (R-LIC2): signed with a key from the JWKS; `exp` = `offline_until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseClaims {
    pub iss: String,
    /// The person (account id).
    pub sub: String,
    /// Tells a lease from an access token signed by the same keys.
    pub typ: String,
    pub product: String,
    pub device_id: String,
    pub license_type: LicenseType,
    pub iat: i64,
    pub next_check_at: i64,
    pub exp: i64,
    pub jti: String,
}

pub const LEASE_TYPE: &str = "tessera-lease";

/// `(next_check_at, offline_until)` of a lease issued at `now`.
pub fn lease_times(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (now + CHECK_EVERY, now + OFFLINE_FOR)
}

/// Whole days of offline use left, rounded up (a lease with 2 h left still has "1 day").
pub fn days_left(offline_until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let ms = (offline_until - now).num_milliseconds();
    if ms <= 0 {
        0
    } else {
        (ms + Duration::days(1).num_milliseconds() - 1) / Duration::days(1).num_milliseconds()
    }
}

pub fn final_days(days_left: i64) -> bool {
    days_left <= WARN_DAYS
}

/// What a product client holds between runs when it cannot reach the service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// The verified lease's end (`None`: the device never got one for this product).
    pub offline_until: Option<DateTime<Utc>>,
    /// When the current run of failed checks began.
    pub unreachable_since: Option<DateTime<Utc>>,
    /// The end of the temporary licence in force, if any.
    pub temporary_until: Option<DateTime<Utc>>,
}

/// Whether the product is starting or, already open, making its 24-hour check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    Start,
    Check,
}

/// The client's verdict when the licensing service does not answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreachable {
    /// R-LIC2: running on the lease.
    Offline { days_left: i64 },
    /// R-LIC4: an open product keeps going up to 24 hours after a failed check.
    Grace { until: DateTime<Utc>, days_left: i64 },
    /// R-LIC4: a temporary licence (4 hours, renewed while the outage lasts).
    Temporary { until: DateTime<Utc>, renewed: bool, days_left: Option<i64> },
    /// R-LIC2: 30 days without an authorization; the product stops.
    Stopped,
}

/// R-LIC2 and R-LIC4 together. Without a lease (a first authorization) the client gets a
/// temporary licence, renewed while the outage lasts. With one, a restart runs on it; an
/// open product first has 24 hours of grace, then temporary licences. Nothing outlives the
/// lease: after 30 days without an authorization the product stops.
pub fn when_unreachable(moment: Moment, held: &Held, now: DateTime<Utc>) -> (Unreachable, Held) {
    let since = held.unreachable_since.unwrap_or(now);
    let mut next = Held { unreachable_since: Some(since), ..held.clone() };
    let temporary = |next: &mut Held, cap: Option<DateTime<Utc>>| {
        let live = held.temporary_until.filter(|t| *t > now);
        let (until, renewed) = match live {
            Some(t) => (t, false),
            None => {
                let t = now + TEMPORARY_LICENSE;
                (cap.map_or(t, |c| t.min(c)), held.temporary_until.is_some())
            }
        };
        next.temporary_until = Some(until);
        let days = cap.map(|c| days_left(c, now));
        Unreachable::Temporary { until, renewed, days_left: days }
    };
    match held.offline_until {
        None => {
            let verdict = temporary(&mut next, None);
            (verdict, next)
        }
        Some(until) if until <= now => (Unreachable::Stopped, next),
        Some(until) => match moment {
            Moment::Start => (Unreachable::Offline { days_left: days_left(until, now) }, next),
            Moment::Check if now < since + OUTAGE_GRACE => {
                let grace_end = (since + OUTAGE_GRACE).min(until);
                (Unreachable::Grace { until: grace_end, days_left: days_left(until, now) }, next)
            }
            Moment::Check => {
                let verdict = temporary(&mut next, Some(until));
                (verdict, next)
            }
        },
    }
}

/// What the client knows of itself when the licensing service does not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// It holds an access token that verifies and has not expired (tokens last up to an
    /// hour), refreshed first if the identity service still answers.
    pub signed_in: bool,
    /// The licensing service's last answer for this product on this device.
    pub last_answer: LastAnswer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastAnswer {
    /// No answer yet: the product was never authorized here.
    Never,
    /// The last answer granted a lease.
    Allowed,
    /// The last answer refused the person (`not_entitled`, a removed member, ...).
    Refused,
}

/// The client's verdict during an outage, once its standing is taken into account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outage {
    /// The verdict of [`when_unreachable`]: runs on the lease, in its grace period or on a
    /// temporary licence, or stops when the lease has ended.
    Verdict(Unreachable),
    /// Nothing to run on and no valid access token: the identity service is needed.
    SignInRequired,
    /// The service refused this person last time: nothing offline.
    Refused,
    /// Signed in, but this product was never authorized here: the first authorization
    /// needs the licensing service (R-LIC1: online required).
    NeverAuthorized,
}

/// R-LIC4 with the trust rules of issue 15, on top of [`when_unreachable`]. A temporary
/// licence needs both a valid access token and a product the last successful check
/// allowed; without them there is no temporary licence, so nothing can be stretched
/// indefinitely: a refused person gets nothing offline, a device that was never allowed
/// the product gets nothing, and with no valid token (no identity service) sign-in is
/// required. A verified lease is an offline credential of its own (R-LIC2) and needs no
/// token: where a temporary licence is withheld from an open product, it runs on its lease
/// exactly as a restart would, and stops when the lease ends.
pub fn during_outage(standing: Standing, moment: Moment, held: &Held, now: DateTime<Utc>) -> (Outage, Held) {
    if standing.last_answer == LastAnswer::Refused {
        return (Outage::Refused, Held::default());
    }
    let (verdict, next) = when_unreachable(moment, held, now);
    if !matches!(verdict, Unreachable::Temporary { .. }) {
        return (Outage::Verdict(verdict), next);
    }
    if standing.signed_in && standing.last_answer == LastAnswer::Allowed {
        return (Outage::Verdict(verdict), next);
    }
    // Withheld: the failed run is still recorded, no temporary licence is.
    let next = Held { temporary_until: held.temporary_until, ..next };
    match held.offline_until {
        Some(until) if until > now => {
            (Outage::Verdict(Unreachable::Offline { days_left: days_left(until, now) }), next)
        }
        _ if !standing.signed_in => (Outage::SignInRequired, next),
        _ => (Outage::NeverAuthorized, next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn precedence_subscription_then_trial_then_flex() {
        assert_eq!(resolve(true, true, Some(5)), Entitlement::Subscription);
        assert_eq!(resolve(false, true, Some(5)), Entitlement::Trial);
        assert_eq!(resolve(false, false, Some(5)), Entitlement::Flex { daily_rate: 5 });
        assert_eq!(resolve(false, false, None), Entitlement::Refused);
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    fn raw(p: &str, d: &str, n: &str) -> RawAuthorize {
        RawAuthorize { product: Some(p.into()), device_id: Some(d.into()), device_name: Some(n.into()) }
    }

    #[test]
    fn requests_parse_and_name_the_bad_field() {
        let ok = AuthorizeRequest::parse(raw(" model3d ", "dev-1", " Laptop ")).unwrap();
        assert_eq!(
            ok,
            AuthorizeRequest {
                product: "MODEL3D".into(),
                device_id: "dev-1".into(),
                device_name: "Laptop".into()
            }
        );
        assert_eq!(AuthorizeRequest::parse(RawAuthorize::default()).unwrap_err().field, "product");
        assert_eq!(AuthorizeRequest::parse(raw("A B", "d", "n")).unwrap_err().field, "product");
        assert_eq!(AuthorizeRequest::parse(raw("A", "has space", "n")).unwrap_err().field, "device_id");
        assert_eq!(AuthorizeRequest::parse(raw("A", "d", "  ")).unwrap_err().field, "device_name");
        assert_eq!(AuthorizeRequest::parse(raw("A", &"x".repeat(129), "n")).unwrap_err().field, "device_id");
    }

    #[test]
    fn a_fourth_device_is_refused_a_known_one_is_not() {
        assert_eq!(check_device(false, 0), DeviceCheck::Register);
        assert_eq!(check_device(false, 2), DeviceCheck::Register);
        assert_eq!(check_device(false, 3), DeviceCheck::Limit);
        assert_eq!(check_device(true, 3), DeviceCheck::Known);
    }

    #[test]
    fn a_session_blocks_other_devices_until_its_heartbeat_lapses() {
        let beat = t0();
        assert!(may_hold_session(None, "b", beat));
        assert!(may_hold_session(Some(("a", beat)), "a", beat + Duration::hours(30)));
        assert!(!may_hold_session(
            Some(("a", beat)),
            "b",
            beat + Duration::hours(23) + Duration::minutes(59)
        ));
        assert!(may_hold_session(Some(("a", beat)), "b", beat + Duration::hours(24)));
    }

    #[test]
    fn refusals_carry_contract_codes_and_say_what_to_do() {
        let r = Refusal::DeviceLimit {
            product: "MODEL3D".into(),
            devices: vec!["a".into(), "b".into(), "c".into()],
        };
        assert_eq!(r.code(), "device_limit");
        assert!(r.description().contains("By User"), "{}", r.description());
        let r = Refusal::InsufficientTokens { product: "MODEL3D".into(), needed: 10, available: 4 };
        assert_eq!(r.code(), "insufficient_tokens");
        assert!(r.description().contains("10") && r.description().contains('4'));
    }

    #[test]
    fn days_left_round_up_and_the_last_three_days_warn() {
        let (check, until) = lease_times(t0());
        assert_eq!(check, t0() + Duration::hours(24));
        assert_eq!(days_left(until, t0()), 30);
        assert_eq!(days_left(until, t0() + Duration::days(26) + Duration::hours(12)), 4);
        assert!(!final_days(4));
        assert_eq!(days_left(until, t0() + Duration::days(27)), 3);
        assert!(final_days(3));
        assert_eq!(days_left(until, t0() + Duration::days(29)), 1);
        assert_eq!(days_left(until, t0() + Duration::days(30)), 0);
    }

    #[test]
    fn restart_offline_runs_on_the_lease_for_30_days_then_stops() {
        let held = Held { offline_until: Some(t0() + OFFLINE_FOR), ..Held::default() };
        let (v, _) = when_unreachable(Moment::Start, &held, t0() + Duration::days(29));
        assert_eq!(v, Unreachable::Offline { days_left: 1 });
        let (v, _) = when_unreachable(Moment::Start, &held, t0() + Duration::days(30));
        assert_eq!(v, Unreachable::Stopped);
    }

    #[test]
    fn first_start_in_an_outage_gets_four_hours_renewed_while_it_lasts() {
        let (v, held) = when_unreachable(Moment::Start, &Held::default(), t0());
        assert_eq!(
            v,
            Unreachable::Temporary { until: t0() + Duration::hours(4), renewed: false, days_left: None }
        );
        let (v, held) = when_unreachable(Moment::Check, &held, t0() + Duration::hours(3));
        assert_eq!(
            v,
            Unreachable::Temporary { until: t0() + Duration::hours(4), renewed: false, days_left: None }
        );
        let (v, _) = when_unreachable(Moment::Check, &held, t0() + Duration::hours(4));
        assert_eq!(
            v,
            Unreachable::Temporary { until: t0() + Duration::hours(8), renewed: true, days_left: None }
        );
    }

    #[test]
    fn an_open_product_has_24_hours_then_temporary_licences_never_past_the_lease() {
        let lease = t0() + OFFLINE_FOR;
        let held = Held { offline_until: Some(lease), ..Held::default() };
        let first_fail = t0() + Duration::hours(24);
        let (v, held) = when_unreachable(Moment::Check, &held, first_fail);
        assert_eq!(v, Unreachable::Grace { until: first_fail + Duration::hours(24), days_left: 29 });
        let (v, held) = when_unreachable(Moment::Check, &held, first_fail + Duration::hours(24));
        assert!(matches!(v, Unreachable::Temporary { renewed: false, .. }), "{v:?}");
        let (v, held) = when_unreachable(Moment::Check, &held, lease - Duration::hours(1));
        assert_eq!(v, Unreachable::Temporary { until: lease, renewed: true, days_left: Some(1) });
        let (v, _) = when_unreachable(Moment::Check, &held, lease);
        assert_eq!(v, Unreachable::Stopped);
    }

    const SIGNED_IN_ALLOWED: Standing = Standing { signed_in: true, last_answer: LastAnswer::Allowed };

    #[test]
    fn a_temporary_licence_needs_a_valid_token_and_a_product_allowed_last_time() {
        let lease = t0() + OFFLINE_FOR;
        let held = Held { offline_until: Some(lease), unreachable_since: Some(t0()), ..Held::default() };
        let after_grace = t0() + OUTAGE_GRACE;
        let (v, next) = during_outage(SIGNED_IN_ALLOWED, Moment::Check, &held, after_grace);
        let until = after_grace + TEMPORARY_LICENSE;
        assert_eq!(v, Outage::Verdict(Unreachable::Temporary { until, renewed: false, days_left: Some(29) }));
        assert_eq!(next.temporary_until, Some(until));

        // No valid token (the identity service is down too): no temporary licence; the open
        // product runs on its lease as a restart would, and nothing new is recorded.
        let offline = Standing { signed_in: false, last_answer: LastAnswer::Allowed };
        let (v, next) = during_outage(offline, Moment::Check, &held, after_grace);
        assert_eq!(v, Outage::Verdict(Unreachable::Offline { days_left: 29 }));
        assert_eq!(next.temporary_until, None);
        // ... and stops with it.
        let (v, _) = during_outage(offline, Moment::Check, &held, lease);
        assert_eq!(v, Outage::Verdict(Unreachable::Stopped));
    }

    #[test]
    fn without_a_lease_nothing_is_granted_offline() {
        for (standing, want) in [
            (Standing { signed_in: false, last_answer: LastAnswer::Never }, Outage::SignInRequired),
            (Standing { signed_in: false, last_answer: LastAnswer::Allowed }, Outage::SignInRequired),
            (Standing { signed_in: true, last_answer: LastAnswer::Never }, Outage::NeverAuthorized),
            (Standing { signed_in: true, last_answer: LastAnswer::Refused }, Outage::Refused),
            (Standing { signed_in: false, last_answer: LastAnswer::Refused }, Outage::Refused),
        ] {
            for moment in [Moment::Start, Moment::Check] {
                let (v, next) = during_outage(standing, moment, &Held::default(), t0());
                assert_eq!(v, want, "{standing:?} {moment:?}");
                assert_eq!(next.temporary_until, None, "{standing:?} {moment:?}: nothing granted");
            }
        }
    }

    #[test]
    fn a_refusal_is_final_offline_whatever_was_held() {
        let held = Held {
            offline_until: Some(t0() + OFFLINE_FOR),
            unreachable_since: Some(t0()),
            temporary_until: Some(t0() + Duration::hours(2)),
        };
        let refused = Standing { signed_in: true, last_answer: LastAnswer::Refused };
        for moment in [Moment::Start, Moment::Check] {
            assert_eq!(
                during_outage(refused, moment, &held, t0() + Duration::hours(1)),
                (Outage::Refused, Held::default())
            );
        }
    }

    #[test]
    fn the_lease_and_the_grace_need_no_token() {
        let lease = t0() + OFFLINE_FOR;
        let held = Held { offline_until: Some(lease), ..Held::default() };
        let offline = Standing { signed_in: false, last_answer: LastAnswer::Allowed };
        let (v, _) = during_outage(offline, Moment::Start, &held, t0() + Duration::days(10));
        assert_eq!(v, Outage::Verdict(Unreachable::Offline { days_left: 20 }));
        let (v, _) = during_outage(offline, Moment::Check, &held, t0() + Duration::days(1));
        assert!(matches!(v, Outage::Verdict(Unreachable::Grace { .. })), "{v:?}");
    }
}
