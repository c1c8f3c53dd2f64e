//! R-UM4 and R-UM5: removing people from a team, leaving it, and changing a member's role
//! and guest flag. The rules are about what remains afterwards: a team never ends up
//! without an active admin, and an admin is told what a removal does before it happens.
use serde::{Deserialize, Serialize};
use std::fmt;

/// R-UM5: what a person may run in a team. Exactly one active or invited admin of each team
/// is its *primary admin* (the one who gives and takes admin roles and may hand the role
/// on); ordinary *admins* run people, products, Flex and apps; *SSO admins* run single
/// sign-on and directory sync only; *members* use what they are given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    PrimaryAdmin,
    Admin,
    SsoAdmin,
    Member,
}

impl MemberRole {
    /// A role as forms and the CSV send it (any case, trimmed): `admin`, `sso_admin` (or
    /// "SSO admin"), `member`. The primary admin is not chosen this way: it is handed on.
    pub fn parse(raw: &str) -> Result<Self, RoleError> {
        let key: String = raw
            .trim()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c.to_ascii_lowercase() })
            .collect();
        match key.as_str() {
            "admin" => Ok(MemberRole::Admin),
            "sso_admin" => Ok(MemberRole::SsoAdmin),
            "member" => Ok(MemberRole::Member),
            _ => Err(RoleError(raw.trim().chars().take(40).collect())),
        }
    }

    /// The role `as_str` names (the primary admin included), as DTOs carry it.
    pub fn from_code(code: &str) -> Option<Self> {
        [MemberRole::PrimaryAdmin, MemberRole::Admin, MemberRole::SsoAdmin, MemberRole::Member]
            .into_iter()
            .find(|r| r.as_str() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::PrimaryAdmin => "primary_admin",
            MemberRole::Admin => "admin",
            MemberRole::SsoAdmin => "sso_admin",
            MemberRole::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberRole::PrimaryAdmin => "Primary admin",
            MemberRole::Admin => "Admin",
            MemberRole::SsoAdmin => "SSO admin",
            MemberRole::Member => "Member",
        }
    }

    /// Runs the team's people, products, Flex, groups, apps and usage.
    pub fn runs_team(self) -> bool {
        matches!(self, MemberRole::PrimaryAdmin | MemberRole::Admin)
    }

    /// Runs the team's single sign-on and directory sync settings.
    pub fn runs_sign_in(self) -> bool {
        matches!(self, MemberRole::PrimaryAdmin | MemberRole::Admin | MemberRole::SsoAdmin)
    }

    /// Gives and takes the admin and SSO admin roles, and hands the primary role on.
    pub fn gives_roles(self) -> bool {
        self == MemberRole::PrimaryAdmin
    }
}

/// Why a role cannot be given or changed as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleRefusal {
    /// Only the primary admin gives admin and SSO admin roles or takes them away.
    NotPrimary,
    /// The primary admin's own role changes only by handing it to someone else.
    PrimaryStays,
    /// The primary role is handed on, never given with the role field.
    HandOnInstead,
    /// The new primary admin must be an active member of the team.
    NotActive,
}

impl fmt::Display for RoleRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RoleRefusal::NotPrimary => {
                "Only the team's primary admin gives or takes the admin and SSO admin roles."
            }
            RoleRefusal::PrimaryStays => {
                "This is the team's primary admin: hand the primary role to another member first."
            }
            RoleRefusal::HandOnInstead => {
                "The primary admin role is handed on, not given: use \"Make primary admin\"."
            }
            RoleRefusal::NotActive => {
                "Only an active member can become the primary admin: they must accept their invitation first."
            }
        })
    }
}

impl std::error::Error for RoleRefusal {}

/// R-UM5: may `actor` change a person's role from `was` to `to`? Ordinary admins may still
/// change a member's guest flag (the caller checks that separately); any change of role,
/// and any invitation with an admin role (`was` = `Member` for a newcomer), is the primary
/// admin's.
pub fn role_change(actor: MemberRole, was: MemberRole, to: MemberRole) -> Result<(), RoleRefusal> {
    if was == to {
        return Ok(());
    }
    if to == MemberRole::PrimaryAdmin {
        return Err(RoleRefusal::HandOnInstead);
    }
    if !actor.gives_roles() {
        return Err(RoleRefusal::NotPrimary);
    }
    if was == MemberRole::PrimaryAdmin {
        return Err(RoleRefusal::PrimaryStays);
    }
    Ok(())
}

/// R-UM5: may `actor` hand the primary role to a person of role `to_role` (`to_active`:
/// they have accepted)? The new primary admin is an admin afterwards, the old one stays
/// an admin.
pub fn hand_on_primary(actor: MemberRole, to_role: MemberRole, to_active: bool) -> Result<(), RoleRefusal> {
    if !actor.gives_roles() {
        return Err(RoleRefusal::NotPrimary);
    }
    if to_role == MemberRole::PrimaryAdmin {
        return Err(RoleRefusal::PrimaryStays);
    }
    if !to_active {
        return Err(RoleRefusal::NotActive);
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleError(String);

impl fmt::Display for RoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\" is not a role: choose Admin, SSO admin or Member.", self.0)
    }
}

impl std::error::Error for RoleError {}

/// Why a change would leave the team without anyone to run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LastAdmin {
    /// Removing (or the leaving of) these people takes every active admin away.
    Remove,
    /// Making this person a member leaves no active admin.
    Demote,
}

impl fmt::Display for LastAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LastAdmin::Remove => f.write_str(
                "A team needs at least one admin: make someone else an admin before removing the last one.",
            ),
            LastAdmin::Demote => f.write_str(
                "A team needs at least one admin: make someone else an admin before changing this one's role.",
            ),
        }
    }
}

impl std::error::Error for LastAdmin {}

/// R-UM4: `active_admins` is how many active admins the team has now, `leaving` how many of
/// them the change takes away (removed, leaving, or demoted). Invited admins do not count:
/// nobody has accepted for them yet, so they cannot run the team.
pub fn admins_remain(active_admins: usize, leaving: usize, why: LastAdmin) -> Result<(), LastAdmin> {
    if leaving > 0 && active_admins <= leaving {
        Err(why)
    } else {
        Ok(())
    }
}

/// What removing one person from a team takes away, as the confirmation states it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    pub name: String,
    /// Names of the subscription and trial products whose seats the person holds.
    pub seats: Vec<String>,
    pub flex: bool,
    /// The person has not accepted: a pending invitation dies with the membership.
    pub invited: bool,
    /// A product is running for them right now (a live licence session).
    pub running: bool,
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Removal {
    /// One sentence: "Ada Lovelace loses Draft 2D and Flex access; 1 seat is freed; her
    /// open session ends at its next check." (with "their", as the person's pronoun is
    /// not known).
    pub fn sentence(&self) -> String {
        let mut losses = self.seats.clone();
        if self.flex {
            losses.push("Flex access".into());
        }
        let mut parts = Vec::new();
        parts.push(if losses.is_empty() {
            format!("{} leaves the team with no products", self.name)
        } else {
            format!("{} loses {}", self.name, and_list(&losses))
        });
        if !self.seats.is_empty() {
            let n = self.seats.len();
            parts.push(format!("{} {} freed", plural(n, "seat", "seats"), if n == 1 { "is" } else { "are" }));
        }
        if self.invited {
            parts.push("the invitation link stops working".into());
        }
        if self.running {
            parts.push("their open session ends at its next check".into());
        }
        format!("{}.", parts.join("; "))
    }
}

/// A removal of several people, summed up for the confirmation of a bulk action.
pub fn removal_summary(people: &[Removal]) -> String {
    match people {
        [] => "Nobody is selected.".into(),
        [one] => one.sentence(),
        many => {
            let seats: usize = many.iter().map(|r| r.seats.len()).sum();
            let flex = many.iter().filter(|r| r.flex).count();
            let invited = many.iter().filter(|r| r.invited).count();
            let running = many.iter().filter(|r| r.running).count();
            let mut parts = vec![format!("{} leave the team", plural(many.len(), "person", "people"))];
            if seats > 0 {
                parts.push(format!(
                    "{} {} freed",
                    plural(seats, "seat", "seats"),
                    if seats == 1 { "is" } else { "are" }
                ));
            }
            if flex > 0 {
                parts.push(plural(flex, "person loses Flex access", "people lose Flex access"));
            }
            if invited > 0 {
                parts.push(plural(invited, "invitation link stops working", "invitation links stop working"));
            }
            if running > 0 {
                parts.push(plural(
                    running,
                    "open session ends at its next check",
                    "open sessions end at their next check",
                ));
            }
            format!("{}.", parts.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_in_any_case_and_refuse_the_rest() {
        assert_eq!(MemberRole::parse(" Admin "), Ok(MemberRole::Admin));
        assert_eq!(MemberRole::parse("member"), Ok(MemberRole::Member));
        assert_eq!(MemberRole::parse("SSO admin"), Ok(MemberRole::SsoAdmin));
        assert_eq!(MemberRole::parse("sso_admin"), Ok(MemberRole::SsoAdmin));
        let err = MemberRole::parse("owner").unwrap_err();
        assert_eq!(err.to_string(), "\"owner\" is not a role: choose Admin, SSO admin or Member.");
        // The primary role is handed on, never typed.
        assert!(MemberRole::parse("primary_admin").is_err());
    }

    #[test]
    fn what_each_role_runs() {
        use MemberRole::*;
        let runs: Vec<_> = [PrimaryAdmin, Admin, SsoAdmin, Member]
            .iter()
            .map(|r| (r.runs_team(), r.runs_sign_in(), r.gives_roles()))
            .collect();
        assert_eq!(
            runs,
            [(true, true, true), (true, true, false), (false, true, false), (false, false, false)]
        );
    }

    #[test]
    fn only_the_primary_admin_gives_roles_and_keeps_their_own() {
        use MemberRole::*;
        assert_eq!(role_change(PrimaryAdmin, Member, Admin), Ok(()));
        assert_eq!(role_change(PrimaryAdmin, Admin, SsoAdmin), Ok(()));
        assert_eq!(role_change(PrimaryAdmin, SsoAdmin, Member), Ok(()));
        // Nothing changes: anyone who may edit the person may save it (the guest flag).
        assert_eq!(role_change(Admin, Member, Member), Ok(()));
        assert_eq!(role_change(Admin, Member, Admin), Err(RoleRefusal::NotPrimary));
        assert_eq!(role_change(Admin, Admin, Member), Err(RoleRefusal::NotPrimary));
        assert_eq!(role_change(SsoAdmin, Member, SsoAdmin), Err(RoleRefusal::NotPrimary));
        assert_eq!(role_change(PrimaryAdmin, PrimaryAdmin, Admin), Err(RoleRefusal::PrimaryStays));
        assert_eq!(role_change(PrimaryAdmin, Admin, PrimaryAdmin), Err(RoleRefusal::HandOnInstead));
    }

    #[test]
    fn the_primary_role_is_handed_to_an_active_member() {
        use MemberRole::*;
        assert_eq!(hand_on_primary(PrimaryAdmin, Member, true), Ok(()));
        assert_eq!(hand_on_primary(PrimaryAdmin, SsoAdmin, true), Ok(()));
        assert_eq!(hand_on_primary(PrimaryAdmin, Admin, false), Err(RoleRefusal::NotActive));
        assert_eq!(hand_on_primary(Admin, Member, true), Err(RoleRefusal::NotPrimary));
        assert_eq!(hand_on_primary(PrimaryAdmin, PrimaryAdmin, true), Err(RoleRefusal::PrimaryStays));
    }

    #[test]
    fn the_last_active_admin_stays() {
        assert_eq!(admins_remain(1, 1, LastAdmin::Remove), Err(LastAdmin::Remove));
        assert_eq!(admins_remain(1, 1, LastAdmin::Demote), Err(LastAdmin::Demote));
        assert_eq!(admins_remain(3, 3, LastAdmin::Remove), Err(LastAdmin::Remove));
        assert_eq!(admins_remain(2, 1, LastAdmin::Remove), Ok(()));
        // Removing only members never trips the rule, even in a team with no admin left
        // (one made by the command line, say).
        assert_eq!(admins_remain(0, 0, LastAdmin::Remove), Ok(()));
    }

    #[test]
    fn one_removal_names_every_consequence() {
        let r = Removal {
            name: "Ada Lovelace".into(),
            seats: vec!["Draft 2D".into()],
            flex: true,
            invited: false,
            running: true,
        };
        assert_eq!(
            r.sentence(),
            "Ada Lovelace loses Draft 2D and Flex access; 1 seat is freed; their open session ends at its next check."
        );
        let r = Removal {
            name: "Grace Hopper".into(),
            seats: vec!["Draft 2D".into(), "Model 3D".into()],
            flex: false,
            invited: true,
            running: false,
        };
        assert_eq!(
            r.sentence(),
            "Grace Hopper loses Draft 2D and Model 3D; 2 seats are freed; the invitation link stops working."
        );
        let bare = Removal { name: "Alan Turing".into(), ..Removal::default() };
        assert_eq!(bare.sentence(), "Alan Turing leaves the team with no products.");
    }

    #[test]
    fn several_removals_are_summed() {
        let a = Removal {
            name: "A".into(),
            seats: vec!["X".into(), "Y".into()],
            flex: true,
            invited: false,
            running: true,
        };
        let b =
            Removal { name: "B".into(), seats: vec!["X".into()], flex: false, invited: true, running: false };
        assert_eq!(
            removal_summary(&[a, b]),
            "2 people leave the team; 3 seats are freed; 1 person loses Flex access; 1 invitation link stops working; 1 open session ends at its next check."
        );
    }
}
