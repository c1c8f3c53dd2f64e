//! R-INV1: an invitation is valid for 7 days from the instant it was sent. Resending makes a
//! new invitation (new link, new 7 days) and supersedes the old one. The current instant is
//! always passed in.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long an accept link works after the invitation was sent.
pub const VALIDITY: Duration = Duration::days(7);

/// The first instant at which the invitation no longer works: exactly `sent_at + 7 days`.
pub fn expires_at(sent_at: DateTime<Utc>) -> DateTime<Utc> {
    sent_at + VALIDITY
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationState {
    pub sent_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// Set when a resend replaced this invitation with a newer one.
    pub superseded_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Expired,
    Accepted,
    Superseded,
}

impl InvitationState {
    /// A fresh invitation sent at `sent_at`.
    pub fn new(sent_at: DateTime<Utc>) -> Self {
        InvitationState { sent_at, accepted_at: None, superseded_at: None }
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        expires_at(self.sent_at)
    }

    /// Accepted wins over everything, then superseded; otherwise expired iff
    /// `now >= sent_at + 7 days`.
    pub fn status(&self, now: DateTime<Utc>) -> InvitationStatus {
        if self.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if self.superseded_at.is_some() {
            InvitationStatus::Superseded
        } else if now >= self.expires_at() {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }

    /// An admin may resend a pending or expired invitation (not a used or replaced one).
    pub fn can_resend(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status(now), InvitationStatus::Pending | InvitationStatus::Expired)
    }
}

/// Why an accept link was refused; each message says what to do next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AcceptRefusal {
    /// `expired_on` is the UTC date of the expiry instant, `YYYY-MM-DD`.
    #[error("This invitation expired on {expired_on}. Ask your team admin to resend it.")]
    Expired { expired_on: String },
    #[error("This invitation link has already been used. Sign in to reach your team.")]
    AlreadyUsed,
    #[error("A newer invitation was sent to you; use the link in the latest email.")]
    Superseded,
    /// No invitation matches the link (the caller decides this; never returned by
    /// [`check_accept`]).
    #[error("This invitation link is not valid. Check that you copied the whole link from the email.")]
    Unknown,
}

/// Whether the invitation can be accepted at `now`.
pub fn check_accept(state: &InvitationState, now: DateTime<Utc>) -> Result<(), AcceptRefusal> {
    match state.status(now) {
        InvitationStatus::Pending => Ok(()),
        InvitationStatus::Accepted => Err(AcceptRefusal::AlreadyUsed),
        InvitationStatus::Superseded => Err(AcceptRefusal::Superseded),
        InvitationStatus::Expired => {
            Err(AcceptRefusal::Expired { expired_on: state.expires_at().format("%Y-%m-%d").to_string() })
        }
    }
}

/// A member's status in the console (R-UM2). Whether the member is a guest is a separate flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Invited,
    InvitationExpired,
}

impl MemberStatus {
    /// - an active membership is `Active`, whatever its invitations say;
    /// - otherwise the latest invitation decides: pending → `Invited`; accepted → `Active`
    ///   (accepting is what activates the membership); expired, superseded (should not
    ///   happen for the latest) or no invitation at all → `InvitationExpired`, since the
    ///   admin's next step is the same: resend.
    pub fn of(active: bool, latest_invitation: Option<&InvitationState>, now: DateTime<Utc>) -> Self {
        if active {
            return MemberStatus::Active;
        }
        match latest_invitation.map(|inv| inv.status(now)) {
            Some(InvitationStatus::Pending) => MemberStatus::Invited,
            Some(InvitationStatus::Accepted) => MemberStatus::Active,
            Some(InvitationStatus::Expired | InvitationStatus::Superseded) | None => {
                MemberStatus::InvitationExpired
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberStatus::Active => "Active",
            MemberStatus::Invited => "Invited",
            MemberStatus::InvitationExpired => "Invitation expired",
        }
    }
}

impl std::fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sent() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
    }

    fn secs(n: i64) -> Duration {
        Duration::seconds(n)
    }

    #[test]
    fn expires_exactly_seven_days_after_sending() {
        assert_eq!(VALIDITY, Duration::days(7));
        assert_eq!(expires_at(sent()), Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap());
        assert_eq!(InvitationState::new(sent()).expires_at(), expires_at(sent()));
    }

    #[test]
    fn boundary_of_expiry() {
        let inv = InvitationState::new(sent());
        assert_eq!(inv.status(sent()), InvitationStatus::Pending);
        assert_eq!(inv.status(sent() + VALIDITY - secs(1)), InvitationStatus::Pending);
        assert_eq!(inv.status(sent() + VALIDITY), InvitationStatus::Expired);
        assert_eq!(inv.status(sent() + VALIDITY + secs(1)), InvitationStatus::Expired);
        assert_eq!(check_accept(&inv, sent() + VALIDITY - secs(1)), Ok(()));
        assert_eq!(
            check_accept(&inv, sent() + VALIDITY),
            Err(AcceptRefusal::Expired { expired_on: "2026-12-02".into() })
        );
        assert!(check_accept(&inv, sent() + VALIDITY + secs(1)).is_err());
    }

    #[test]
    fn accepted_wins_over_everything() {
        let inv = InvitationState {
            sent_at: sent(),
            accepted_at: Some(sent() + secs(60)),
            superseded_at: Some(sent() + secs(120)),
        };
        assert_eq!(inv.status(sent() + Duration::days(30)), InvitationStatus::Accepted);
        assert_eq!(check_accept(&inv, sent() + secs(61)), Err(AcceptRefusal::AlreadyUsed));
        assert!(!inv.can_resend(sent() + secs(61)));
    }

    #[test]
    fn superseded_beats_pending_and_expired() {
        let inv = InvitationState { superseded_at: Some(sent() + secs(5)), ..InvitationState::new(sent()) };
        assert_eq!(inv.status(sent() + secs(10)), InvitationStatus::Superseded);
        assert_eq!(inv.status(sent() + Duration::days(8)), InvitationStatus::Superseded);
        assert_eq!(check_accept(&inv, sent() + secs(10)), Err(AcceptRefusal::Superseded));
        assert!(!inv.can_resend(sent() + secs(10)));
    }

    #[test]
    fn resend_allowed_while_pending_or_expired() {
        let inv = InvitationState::new(sent());
        assert!(inv.can_resend(sent() + secs(1)));
        assert!(inv.can_resend(sent() + Duration::days(9)));
    }

    #[test]
    fn refusal_messages_say_what_to_do() {
        let expired = AcceptRefusal::Expired { expired_on: "2026-12-02".into() };
        assert_eq!(
            expired.to_string(),
            "This invitation expired on 2026-12-02. Ask your team admin to resend it."
        );
        assert_eq!(
            AcceptRefusal::AlreadyUsed.to_string(),
            "This invitation link has already been used. Sign in to reach your team."
        );
        assert_eq!(
            AcceptRefusal::Superseded.to_string(),
            "A newer invitation was sent to you; use the link in the latest email."
        );
        assert_eq!(
            AcceptRefusal::Unknown.to_string(),
            "This invitation link is not valid. Check that you copied the whole link from the email."
        );
    }

    #[test]
    fn expired_on_is_the_utc_date_of_the_expiry_instant() {
        // Sent late in the UTC day: expiry falls on the 7th day after, same clock time.
        let late = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        let inv = InvitationState::new(late);
        assert_eq!(
            check_accept(&inv, late + VALIDITY),
            Err(AcceptRefusal::Expired { expired_on: "2027-01-07".into() })
        );
    }

    #[test]
    fn member_status() {
        let inv = InvitationState::new(sent());
        let now = sent() + Duration::days(1);
        let later = sent() + Duration::days(7);
        assert_eq!(MemberStatus::of(true, Some(&inv), later), MemberStatus::Active);
        assert_eq!(MemberStatus::of(true, None, now), MemberStatus::Active);
        assert_eq!(MemberStatus::of(false, Some(&inv), now), MemberStatus::Invited);
        assert_eq!(MemberStatus::of(false, Some(&inv), later), MemberStatus::InvitationExpired);
        assert_eq!(MemberStatus::of(false, None, now), MemberStatus::InvitationExpired);
        let accepted = InvitationState { accepted_at: Some(now), ..inv };
        assert_eq!(MemberStatus::of(false, Some(&accepted), later), MemberStatus::Active);
        let superseded = InvitationState { superseded_at: Some(now), ..inv };
        assert_eq!(MemberStatus::of(false, Some(&superseded), now), MemberStatus::InvitationExpired);
    }

    #[test]
    fn member_status_labels() {
        assert_eq!(MemberStatus::Active.label(), "Active");
        assert_eq!(MemberStatus::Invited.label(), "Invited");
        assert_eq!(MemberStatus::InvitationExpired.label(), "Invitation expired");
        assert_eq!(MemberStatus::InvitationExpired.to_string(), "Invitation expired");
        assert_eq!(
            serde_json::to_string(&MemberStatus::InvitationExpired).unwrap(),
            r#""invitation_expired""#
        );
    }
}
