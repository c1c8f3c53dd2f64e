//! R-SSO1: which Tessera account, if any, an identity asserted by a team's OpenID provider
//! may sign in. The provider is run by the team's company, and a team admin chooses it, so
//! what it says about an email address proves nothing about who owns the Tessera account
//! with that address. An identity (issuer + subject) signs in only the account it is
//! *linked* to, and a link is made only with proof from the account's owner: their
//! password, a single-use link mailed to the address, or the invitation mailed to it.
//! This is Keycloak's first-broker-login flow ("review profile, then verify existing account
//! by re-authentication or email") without its "trust email" shortcut.

use super::UserId;

/// What the provider asserted, after its signature, issuer, audience, expiry and nonce were
/// checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asserted {
    /// `email_verified` was present and `true`.
    pub email_verified: bool,
    /// The provider named an email address Tessera can parse.
    pub has_email: bool,
}

/// An account as far as linking cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub account: UserId,
    /// An active (not merely invited) member of the team whose provider answered.
    pub active_in_team: bool,
    /// The account can prove itself with a password.
    pub has_password: bool,
    /// The account is already linked to another subject at the same issuer: the provider
    /// would be re-pointing the account at a different person.
    pub linked_to_other_subject: bool,
    /// Nobody has used the account yet: no password, no active membership in any team, no
    /// link. Only such an account may be linked by accepting an invitation; an account
    /// with anything to lose needs its owner's own proof.
    pub fresh: bool,
}

/// The facts a decision needs, gathered by the caller from the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub asserted: Asserted,
    /// The account already linked to this issuer + subject, if any.
    pub linked: Option<Candidate>,
    /// The account with the asserted address, when nothing is linked yet.
    pub by_email: Option<Candidate>,
    /// The browser carries a valid invitation to this team for the asserted address (its
    /// single-use token was mailed to that address, so following it proves the mailbox).
    pub invitation_for: Option<UserId>,
}

/// How the owner of an account may prove a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// Their Tessera password, or a link mailed to the address.
    PasswordOrEmail,
    /// Only a link mailed to the address: the account has no password yet.
    EmailOnly,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The identity is linked to this account, an active member: sign it in.
    SignIn(UserId),
    /// The invitation mailed to the address proves the mailbox: accept it, link, sign in.
    AcceptInvitationAndLink(UserId),
    /// Nothing is linked yet: the account's owner must prove it before the link is made.
    ProveOwnership(UserId, Proof),
    Refuse(Refusal),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NoEmail,
    EmailNotVerified,
    /// No account has this address (and no invitation is being accepted).
    NoAccount,
    /// The account is not an active member of the team whose provider answered.
    NotActiveMember,
    /// The account is linked to someone else at this provider.
    LinkedToAnotherIdentity,
    /// An invitation was accepted through the provider for an account that is already in
    /// use: that owner accepts with their password, then links.
    ExistingAccountAcceptsWithPassword,
}

impl Refusal {
    /// A stable code for logs and tests.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NoEmail => "no_email",
            Refusal::EmailNotVerified => "email_not_verified",
            Refusal::NoAccount => "no_account",
            Refusal::NotActiveMember => "not_active_member",
            Refusal::LinkedToAnotherIdentity => "linked_to_another_identity",
            Refusal::ExistingAccountAcceptsWithPassword => "existing_account",
        }
    }

    /// What the person is told. Deliberately the same for "no account" and "not a member",
    /// so the page does not reveal which addresses have Tessera accounts.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NoEmail => "The sign-in service did not say which email address you signed in with.",
            Refusal::EmailNotVerified => {
                "Your company's sign-in service has not verified your email address, so Tessera cannot \
                 trust it. Ask your company's IT to verify it, or sign in with your password."
            }
            Refusal::NoAccount | Refusal::NotActiveMember => {
                "The account you signed in with is not an active member of this team. If you were \
                 invited, accept the invitation from its email first."
            }
            Refusal::LinkedToAnotherIdentity => {
                "This Tessera account is already connected to a different person at your company's \
                 sign-in service. Sign in with your password, or ask your admin."
            }
            Refusal::ExistingAccountAcceptsWithPassword => {
                "You already have a Tessera account. Accept the invitation with your Tessera password; \
                 after that you can sign in with single sign-on."
            }
        }
    }
}

/// The linking rule. Order matters: an unverified or missing address is refused before
/// anything is looked at, a link wins over the address (the address at the provider may
/// change, the link does not), and nothing is ever linked without the owner's proof.
pub fn decide(f: &Facts) -> Decision {
    if !f.asserted.has_email {
        return Decision::Refuse(Refusal::NoEmail);
    }
    if !f.asserted.email_verified {
        return Decision::Refuse(Refusal::EmailNotVerified);
    }
    if let Some(linked) = &f.linked {
        return if linked.active_in_team {
            Decision::SignIn(linked.account.clone())
        } else {
            Decision::Refuse(Refusal::NotActiveMember)
        };
    }
    let Some(acc) = &f.by_email else {
        return Decision::Refuse(Refusal::NoAccount);
    };
    if acc.linked_to_other_subject {
        return Decision::Refuse(Refusal::LinkedToAnotherIdentity);
    }
    if f.invitation_for.as_ref() == Some(&acc.account) {
        // The invitation proves the mailbox, not consent to let this team's provider act
        // for an account that already holds other rights (any admin can invite anyone).
        return if acc.fresh {
            Decision::AcceptInvitationAndLink(acc.account.clone())
        } else {
            Decision::Refuse(Refusal::ExistingAccountAcceptsWithPassword)
        };
    }
    if !acc.active_in_team {
        return Decision::Refuse(Refusal::NotActiveMember);
    }
    let proof = if acc.has_password { Proof::PasswordOrEmail } else { Proof::EmailOnly };
    Decision::ProveOwnership(acc.account.clone(), proof)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uid(n: u8) -> UserId {
        UserId::parse(&format!("0190a0b0-0000-7000-8000-0000000000{n:02}")).unwrap()
    }
    fn verified() -> Asserted {
        Asserted { email_verified: true, has_email: true }
    }
    fn cand(n: u8, active: bool) -> Candidate {
        Candidate {
            account: uid(n),
            active_in_team: active,
            has_password: true,
            linked_to_other_subject: false,
            fresh: false,
        }
    }
    fn facts() -> Facts {
        Facts { asserted: verified(), linked: None, by_email: None, invitation_for: None }
    }

    #[test]
    fn a_linked_active_member_signs_in() {
        let f = Facts { linked: Some(cand(1, true)), ..facts() };
        assert_eq!(decide(&f), Decision::SignIn(uid(1)));
    }

    #[test]
    fn the_link_wins_over_the_address() {
        // The provider now says another person's address: the linked account signs in, not
        // the one with that address.
        let f = Facts { linked: Some(cand(1, true)), by_email: Some(cand(2, true)), ..facts() };
        assert_eq!(decide(&f), Decision::SignIn(uid(1)));
    }

    #[test]
    fn a_linked_account_that_is_no_longer_active_is_refused() {
        let f = Facts { linked: Some(cand(1, false)), ..facts() };
        assert_eq!(decide(&f), Decision::Refuse(Refusal::NotActiveMember));
    }

    #[test]
    fn unverified_or_missing_addresses_are_refused_even_when_linked() {
        let f = Facts {
            asserted: Asserted { email_verified: false, has_email: true },
            linked: Some(cand(1, true)),
            ..facts()
        };
        assert_eq!(decide(&f), Decision::Refuse(Refusal::EmailNotVerified));
        let f = Facts { asserted: Asserted { email_verified: true, has_email: false }, ..facts() };
        assert_eq!(decide(&f), Decision::Refuse(Refusal::NoEmail));
    }

    #[test]
    fn an_unlinked_active_member_must_prove_ownership_never_signs_in_directly() {
        let f = Facts { by_email: Some(cand(2, true)), ..facts() };
        assert_eq!(decide(&f), Decision::ProveOwnership(uid(2), Proof::PasswordOrEmail));
        let mut c = cand(2, true);
        c.has_password = false;
        let f = Facts { by_email: Some(c), ..facts() };
        assert_eq!(decide(&f), Decision::ProveOwnership(uid(2), Proof::EmailOnly));
    }

    #[test]
    fn the_hostile_admins_victim_is_refused_whatever_their_state() {
        // Invited to the attacker's team (no consent needed), or in no team at all.
        let f = Facts { by_email: Some(cand(3, false)), ..facts() };
        assert_eq!(decide(&f), Decision::Refuse(Refusal::NotActiveMember));
        assert_eq!(decide(&facts()), Decision::Refuse(Refusal::NoAccount));
    }

    fn fresh(n: u8) -> Candidate {
        Candidate { has_password: false, fresh: true, ..cand(n, false) }
    }

    #[test]
    fn an_invitation_mailed_to_the_address_links_an_account_nobody_uses_yet() {
        let f = Facts { by_email: Some(fresh(4)), invitation_for: Some(uid(4)), ..facts() };
        assert_eq!(decide(&f), Decision::AcceptInvitationAndLink(uid(4)));
        // An invitation for someone else proves nothing about this address.
        let f = Facts { by_email: Some(fresh(4)), invitation_for: Some(uid(5)), ..facts() };
        assert_eq!(decide(&f), Decision::Refuse(Refusal::NotActiveMember));
    }

    #[test]
    fn an_invitation_never_links_an_account_already_in_use() {
        // A hostile admin invites another team's admin and hopes they click "Accept with
        // single sign-on": the provider is the admin's, so the owner must use their password.
        let f = Facts { by_email: Some(cand(4, false)), invitation_for: Some(uid(4)), ..facts() };
        assert_eq!(decide(&f), Decision::Refuse(Refusal::ExistingAccountAcceptsWithPassword));
    }

    #[test]
    fn an_account_linked_to_another_subject_is_not_re_pointed() {
        let mut c = cand(2, true);
        c.linked_to_other_subject = true;
        let f = Facts { by_email: Some(c.clone()), invitation_for: Some(uid(2)), ..facts() };
        assert_eq!(decide(&f), Decision::Refuse(Refusal::LinkedToAnotherIdentity));
    }

    #[test]
    fn refusals_do_not_tell_which_addresses_have_accounts() {
        assert_eq!(Refusal::NoAccount.message(), Refusal::NotActiveMember.message());
    }
}
