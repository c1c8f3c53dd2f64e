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

/// One Flex product's holders around a change of the team's defaults (R-FX2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductHolders {
    pub product: String,
    /// Flex users who may run it now.
    pub before: usize,
    /// Flex users who may run it once the change is saved.
    pub after: usize,
    /// Of `after`, those who hold it through their own selection (R-FX1) rather than the
    /// defaults: what is left of it when defaults are off or do not apply to them.
    pub own_after: usize,
}

/// What replacing the team's defaults with `after` does to its Flex users, worked out
/// before anything is saved, so the admin sees who will hold what (R-FX2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultsEffect {
    /// Flex users whose products the defaults will decide.
    pub by_defaults: usize,
    /// Flex users whose own selection will decide: everyone when defaults are off, guests
    /// otherwise (unless support switched defaults on for guests).
    pub by_own_selection: usize,
    /// Flex users whose set of products changes.
    pub changed: usize,
    /// Every product of the Flex catalogue, in the catalogue's order.
    pub products: Vec<ProductHolders>,
}

/// Applies `flex_products` to every Flex user of a team (`(selection, guest)`) under the
/// current settings and under the proposed default set, and counts the difference; the
/// same rule licensing applies, so the preview cannot promise what a check would refuse.
/// `catalogue` is the Flex catalogue in display order.
pub fn defaults_effect(
    users: &[(Individual, bool)],
    current: &TeamFlexSettings,
    after: &BTreeSet<String>,
    catalogue: &[String],
) -> DefaultsEffect {
    let ids: BTreeSet<String> = catalogue.iter().cloned().collect();
    let proposed =
        TeamFlexSettings { defaults: after.intersection(&ids).cloned().collect(), ..current.clone() };
    let mut effect = DefaultsEffect {
        products: catalogue
            .iter()
            .map(|p| ProductHolders { product: p.clone(), ..Default::default() })
            .collect(),
        ..Default::default()
    };
    for (individual, guest) in users {
        let now = flex_products(individual, *guest, current, &ids);
        let then = flex_products(individual, *guest, &proposed, &ids);
        let by_defaults = defaults_apply(*guest, &proposed);
        if by_defaults {
            effect.by_defaults += 1;
        } else {
            effect.by_own_selection += 1;
        }
        effect.changed += usize::from(now != then);
        for holders in &mut effect.products {
            let (had, has) = (now.contains(&holders.product), then.contains(&holders.product));
            holders.before += usize::from(had);
            holders.after += usize::from(has);
            holders.own_after += usize::from(has && !by_defaults);
        }
    }
    effect
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

    fn catalogue() -> Vec<String> {
        vec!["draft2d".into(), "model3d".into(), "render".into()]
    }

    fn holders(e: &DefaultsEffect, product: &str) -> (usize, usize, usize) {
        let h = e.products.iter().find(|h| h.product == product).expect("product listed");
        (h.before, h.after, h.own_after)
    }

    #[test]
    fn turning_defaults_off_leaves_each_person_their_own_selection() {
        let users = vec![
            (Individual::All, false),
            (Individual::Products(set(&["draft2d"])), false),
            (Individual::Products(set(&[])), false),
            (Individual::Products(set(&["render"])), true),
        ];
        let current = TeamFlexSettings { defaults: set(&["model3d"]), guest_defaults: false };
        let e = defaults_effect(&users, &current, &set(&[]), &catalogue());
        assert_eq!((e.by_defaults, e.by_own_selection), (0, 4));
        // Before: three non-guests run model3d by default; the guest runs render.
        assert_eq!(holders(&e, "model3d"), (3, 1, 1));
        assert_eq!(holders(&e, "draft2d"), (0, 2, 2));
        assert_eq!(holders(&e, "render"), (1, 2, 2));
        // The guest's access does not move; the other three's does.
        assert_eq!(e.changed, 3);
    }

    #[test]
    fn turning_defaults_on_overrides_selections_but_not_guests() {
        let users = vec![
            (Individual::All, false),
            (Individual::Products(set(&["draft2d"])), false),
            (Individual::Products(set(&["render"])), true),
        ];
        let e = defaults_effect(&users, &no_defaults(), &set(&["draft2d"]), &catalogue());
        assert_eq!((e.by_defaults, e.by_own_selection), (2, 1));
        assert_eq!(holders(&e, "draft2d"), (2, 2, 0));
        assert_eq!(holders(&e, "render"), (2, 1, 1));
        assert_eq!(holders(&e, "model3d"), (1, 0, 0));
        // The "all" user loses two products; the draft-only user and the guest keep theirs.
        assert_eq!(e.changed, 1);
    }

    #[test]
    fn guests_follow_the_defaults_when_support_switched_that_on() {
        let users = vec![(Individual::Products(set(&["render"])), true)];
        let current = TeamFlexSettings { defaults: set(&[]), guest_defaults: true };
        let e = defaults_effect(&users, &current, &set(&["model3d", "retired"]), &catalogue());
        assert_eq!((e.by_defaults, e.by_own_selection, e.changed), (1, 0, 1));
        assert_eq!(holders(&e, "model3d"), (0, 1, 0));
        assert_eq!(holders(&e, "render"), (1, 0, 0));
        // A product no longer in the Flex catalogue is no row and no access.
        assert!(e.products.iter().all(|h| h.product != "retired"));
    }

    #[test]
    fn saving_the_same_defaults_changes_nobody() {
        let users = vec![(Individual::All, false), (Individual::Products(set(&["draft2d"])), true)];
        let current = TeamFlexSettings { defaults: set(&["render"]), guest_defaults: false };
        let e = defaults_effect(&users, &current, &set(&["render"]), &catalogue());
        assert_eq!(e.changed, 0);
        assert!(e.products.iter().all(|h| h.before == h.after));
    }
}
