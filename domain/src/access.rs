//! Which Flex products a user may run (R-FX1 individual access, R-FX2 team defaults).
//!
//! Product ids are plain strings here; the catalogue passed in is the set of products that
//! are Flex products *now*, so a product removed from it disappears from every mode.
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A Flex user's individual selection (R-FX1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Individual {
    /// Every Flex product, including those added to the catalogue later.
    All,
    /// Only these products; later catalogue additions are not included.
    Products(BTreeSet<String>),
}

impl Default for Individual {
    /// No access until the admin selects something.
    fn default() -> Self {
        Individual::Products(BTreeSet::new())
    }
}

impl Individual {
    /// What a product picker means: ticking every product of a non-empty catalogue is
    /// "all" (later additions included, per R-FX1); anything less is an explicit list.
    /// Ids not in the catalogue are dropped.
    pub fn from_selection(selected: &BTreeSet<String>, catalogue_flex: &BTreeSet<String>) -> Self {
        if !catalogue_flex.is_empty() && catalogue_flex.is_subset(selected) {
            Individual::All
        } else {
            Individual::Products(selected.intersection(catalogue_flex).cloned().collect())
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, Individual::All)
    }
}

/// A team's default Flex assignments (R-FX2). Empty `defaults` means defaults are off.
/// `guest_defaults` may only be switched on by a support-level operator, never a team admin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamFlexSettings {
    pub defaults: BTreeSet<String>,
    pub guest_defaults: bool,
}

/// Whether the team defaults replace the user's individual selection.
pub fn defaults_apply(guest: bool, team: &TeamFlexSettings) -> bool {
    !team.defaults.is_empty() && (!guest || team.guest_defaults)
}

/// The Flex products the user may run now.
///
/// - Defaults on (and applicable to this user): `defaults ∩ catalogue`; defaults never grow
///   when the catalogue does.
/// - Otherwise `All` → the whole current catalogue; `Products(s)` → `s ∩ catalogue`.
pub fn flex_products(
    individual: &Individual,
    guest: bool,
    team: &TeamFlexSettings,
    catalogue_flex: &BTreeSet<String>,
) -> BTreeSet<String> {
    let explicit = |set: &BTreeSet<String>| set.intersection(catalogue_flex).cloned().collect();
    if defaults_apply(guest, team) {
        return explicit(&team.defaults);
    }
    match individual {
        Individual::All => catalogue_flex.clone(),
        Individual::Products(set) => explicit(set),
    }
}

/// One team's Flex facts for one product (as a single query returns them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlexFacts {
    pub guest: bool,
    pub guest_defaults: bool,
    pub has_defaults: bool,
    pub in_defaults: bool,
    pub all_products: bool,
    pub in_individual: bool,
}

/// Whether `flex_products` includes a product of the Flex catalogue, from `FlexFacts`: the
/// same rule, applied to a one-product catalogue, so the two cannot drift apart.
pub fn allows(f: &FlexFacts) -> bool {
    let product = "p".to_string();
    let catalogue = BTreeSet::from([product.clone()]);
    let individual = if f.all_products {
        Individual::All
    } else {
        Individual::Products(if f.in_individual { catalogue.clone() } else { BTreeSet::new() })
    };
    let defaults = match (f.has_defaults, f.in_defaults) {
        (false, _) => BTreeSet::new(),
        (true, true) => catalogue.clone(),
        (true, false) => BTreeSet::from(["other".to_string()]),
    };
    let team = TeamFlexSettings { defaults, guest_defaults: f.guest_defaults };
    flex_products(&individual, f.guest, &team, &catalogue).contains(&product)
}

/// What one team gives a person for one product, as a single query returns it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TeamHolding {
    /// An assigned subscription or trial seat of a live team product, as an active member.
    pub live_seat: bool,
    /// The Flex facts when the person is an active Flex user of the team and the product is
    /// a Flex product; `None` otherwise.
    pub flex: Option<FlexFacts>,
}

/// Whether the person holds the product through this team: the same seat and Flex rules
/// the licensing check applies, for one team only.
pub fn held_through_team(h: &TeamHolding) -> bool {
    h.live_seat || h.flex.as_ref().is_some_and(allows)
}

/// Which of a person's devices (R-LIC3) a viewer of their page in a team may see and remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceScope {
    /// The person themself: all their devices, whichever team licenses them.
    Own,
    /// An admin of the team: only devices of products the person holds through that team,
    /// so one team's admin learns nothing about, and ends no session of, another team's use.
    HeldThroughTeam,
}

/// `None` when the viewer may not see the person's devices at all (a plain member looking
/// at someone else).
pub fn device_scope(viewer_is_person: bool, viewer_is_admin: bool) -> Option<DeviceScope> {
    if viewer_is_person {
        Some(DeviceScope::Own)
    } else if viewer_is_admin {
        Some(DeviceScope::HeldThroughTeam)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn no_defaults() -> TeamFlexSettings {
        TeamFlexSettings::default()
    }

    #[test]
    fn all_gains_a_product_added_to_the_catalogue() {
        let before = set(&["draft2d", "model3d"]);
        let after = set(&["draft2d", "model3d", "render"]);
        assert_eq!(flex_products(&Individual::All, false, &no_defaults(), &before), before);
        assert_eq!(flex_products(&Individual::All, false, &no_defaults(), &after), after);
    }

    #[test]
    fn explicit_selection_does_not_grow() {
        let picked = Individual::Products(set(&["draft2d", "model3d"]));
        let after = set(&["draft2d", "model3d", "render"]);
        assert_eq!(flex_products(&picked, false, &no_defaults(), &after), set(&["draft2d", "model3d"]));
    }

    #[test]
    fn defaults_override_individual_for_members_and_do_not_grow() {
        let team = TeamFlexSettings { defaults: set(&["draft2d"]), guest_defaults: false };
        let cat = set(&["draft2d", "model3d", "render"]);
        assert!(defaults_apply(false, &team));
        assert_eq!(flex_products(&Individual::All, false, &team, &cat), set(&["draft2d"]));
        assert_eq!(
            flex_products(&Individual::Products(set(&["model3d"])), false, &team, &cat),
            set(&["draft2d"])
        );
        let grown = set(&["draft2d", "model3d", "render", "sim"]);
        assert_eq!(flex_products(&Individual::All, false, &team, &grown), set(&["draft2d"]));
    }

    #[test]
    fn defaults_skip_guests_unless_switched_on_for_guests() {
        let mut team = TeamFlexSettings { defaults: set(&["draft2d"]), guest_defaults: false };
        let cat = set(&["draft2d", "model3d"]);
        let own = Individual::Products(set(&["model3d"]));
        assert!(!defaults_apply(true, &team));
        assert_eq!(flex_products(&own, true, &team, &cat), set(&["model3d"]));
        team.guest_defaults = true;
        assert!(defaults_apply(true, &team));
        assert_eq!(flex_products(&own, true, &team, &cat), set(&["draft2d"]));
    }

    #[test]
    fn clearing_defaults_turns_them_off() {
        let team = TeamFlexSettings { defaults: BTreeSet::new(), guest_defaults: true };
        let cat = set(&["draft2d", "model3d"]);
        assert!(!defaults_apply(false, &team));
        assert!(!defaults_apply(true, &team));
        let own = Individual::Products(set(&["model3d"]));
        assert_eq!(flex_products(&own, false, &team, &cat), set(&["model3d"]));
        assert_eq!(flex_products(&Individual::All, true, &team, &cat), cat);
    }

    #[test]
    fn removed_product_disappears_from_every_mode() {
        let cat = set(&["draft2d", "render"]); // model3d was withdrawn
        let team = TeamFlexSettings { defaults: set(&["model3d", "render"]), guest_defaults: false };
        let own = Individual::Products(set(&["model3d", "draft2d"]));
        assert_eq!(flex_products(&Individual::All, false, &no_defaults(), &cat), cat);
        assert_eq!(flex_products(&own, false, &no_defaults(), &cat), set(&["draft2d"]));
        assert_eq!(flex_products(&own, false, &team, &cat), set(&["render"]));
        let only_removed = TeamFlexSettings { defaults: set(&["model3d"]), guest_defaults: false };
        // Defaults stay on (non-empty) even if nothing of them is left in the catalogue.
        assert!(flex_products(&own, false, &only_removed, &cat).is_empty());
    }

    #[test]
    fn no_selection_means_no_access() {
        let cat = set(&["draft2d"]);
        assert!(flex_products(&Individual::default(), false, &no_defaults(), &cat).is_empty());
        assert!(flex_products(&Individual::All, false, &no_defaults(), &BTreeSet::new()).is_empty());
    }

    #[test]
    fn selecting_every_product_means_all() {
        let cat = set(&["draft2d", "model3d"]);
        assert_eq!(Individual::from_selection(&cat, &cat), Individual::All);
        assert_eq!(Individual::from_selection(&set(&["draft2d", "model3d", "gone"]), &cat), Individual::All);
        assert_eq!(
            Individual::from_selection(&set(&["draft2d", "gone"]), &cat),
            Individual::Products(set(&["draft2d"]))
        );
        assert_eq!(Individual::from_selection(&BTreeSet::new(), &BTreeSet::new()), Individual::default());
        assert!(Individual::All.is_all() && !Individual::default().is_all());
    }

    #[test]
    fn serde_shape() {
        assert_eq!(serde_json::to_string(&Individual::All).unwrap(), r#""all""#);
        assert_eq!(
            serde_json::to_string(&Individual::Products(set(&["a", "b"]))).unwrap(),
            r#"{"products":["a","b"]}"#
        );
    }

    #[test]
    fn a_team_holds_a_product_through_a_live_seat_or_its_flex_access() {
        assert!(!held_through_team(&TeamHolding::default()));
        assert!(held_through_team(&TeamHolding { live_seat: true, flex: None }));
        let all = FlexFacts { all_products: true, ..FlexFacts::default() };
        assert!(held_through_team(&TeamHolding { live_seat: false, flex: Some(all) }));
        // A Flex user without this product (nothing selected) holds nothing through Flex.
        assert!(!held_through_team(&TeamHolding { live_seat: false, flex: Some(FlexFacts::default()) }));
        let other_default = FlexFacts { all_products: true, has_defaults: true, ..FlexFacts::default() };
        assert!(!held_through_team(&TeamHolding { live_seat: false, flex: Some(other_default) }));
    }

    #[test]
    fn the_person_sees_their_own_devices_admins_the_teams_and_members_none() {
        assert_eq!(device_scope(true, false), Some(DeviceScope::Own));
        assert_eq!(device_scope(true, true), Some(DeviceScope::Own));
        assert_eq!(device_scope(false, true), Some(DeviceScope::HeldThroughTeam));
        assert_eq!(device_scope(false, false), None);
    }

    #[test]
    fn allows_agrees_with_flex_products_for_every_combination() {
        let cat = set(&["p", "q"]);
        for bits in 0..64u8 {
            let b = |i: u8| bits & (1 << i) != 0;
            let f = FlexFacts {
                guest: b(0),
                guest_defaults: b(1),
                has_defaults: b(2),
                in_defaults: b(2) && b(3),
                all_products: b(4),
                in_individual: b(5),
            };
            let individual = if f.all_products {
                Individual::All
            } else if f.in_individual {
                Individual::Products(set(&["p"]))
            } else {
                Individual::Products(set(&["q"]))
            };
            let defaults = match (f.has_defaults, f.in_defaults) {
                (false, _) => BTreeSet::new(),
                (true, true) => set(&["p", "q"]),
                (true, false) => set(&["q"]),
            };
            let team = TeamFlexSettings { defaults, guest_defaults: f.guest_defaults };
            let expected = flex_products(&individual, f.guest, &team, &cat).contains("p");
            assert_eq!(allows(&f), expected, "{f:?}");
        }
    }
}
