//! R-GRP1: groups. Members of a team are put in named groups; products assigned to a group
//! reach its members. A person's access is their own assignments together with their
//! groups'; a seat counts once per person however many routes lead to it; leaving a group
//! takes away only what came through it and nothing else gave.
//!
//! The store keeps the *result* of these rules (one `assignments` row per person and seat
//! product, one `flex_users` row per Flex user) beside the routes that justify it, so the
//! licensing check and the people pages read what they always read. These functions decide
//! what that result is whenever a route changes.
use crate::access::Individual;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where one access of a person comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "group")]
pub enum Route {
    /// Assigned to the person themself.
    Own,
    /// Through the group of this name.
    Group(String),
}

impl Route {
    /// How the console says it: "assigned directly", "through Design team".
    pub fn describe(&self) -> String {
        match self {
            Route::Own => "assigned directly".to_string(),
            Route::Group(name) => format!("through {name}"),
        }
    }
}

/// What one group gives its members.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupGrant {
    pub name: String,
    /// Seat products (subscriptions and trials), by id.
    pub seats: BTreeSet<String>,
    /// Flex access and its products, when the group gives Flex.
    pub flex: Option<Individual>,
}

/// Every seat product a person holds and the routes to each: their own seats and those of
/// each group they are in. A product with several routes is still one seat.
pub fn seat_routes(own: &BTreeSet<String>, groups: &[GroupGrant]) -> BTreeMap<String, Vec<Route>> {
    let mut routes: BTreeMap<String, Vec<Route>> = BTreeMap::new();
    for product in own {
        routes.entry(product.clone()).or_default().push(Route::Own);
    }
    for g in groups {
        for product in &g.seats {
            routes.entry(product.clone()).or_default().push(Route::Group(g.name.clone()));
        }
    }
    routes
}

/// The Flex selection that applies to a person: their own (R-FX1) together with every
/// group's. "All products" from any route means all; otherwise the union of the lists.
/// `None` when no route makes them a Flex user. The team's defaults (R-FX2) still replace
/// it where they apply: `access::flex_products` takes this as the person's selection.
pub fn combined_flex(own: Option<&Individual>, groups: &[GroupGrant]) -> Option<Individual> {
    let routes: Vec<&Individual> =
        own.into_iter().chain(groups.iter().filter_map(|g| g.flex.as_ref())).collect();
    if routes.is_empty() {
        return None;
    }
    if routes.iter().any(|i| i.is_all()) {
        return Some(Individual::All);
    }
    let mut union = BTreeSet::new();
    for i in routes {
        if let Individual::Products(set) = i {
            union.extend(set.iter().cloned());
        }
    }
    Some(Individual::Products(union))
}

/// The seat products that leaving `group` takes from a person: those no other route gives.
pub fn seats_lost_on_leaving(own: &BTreeSet<String>, groups: &[GroupGrant], group: &str) -> BTreeSet<String> {
    let Some(leaving) = groups.iter().find(|g| g.name == group) else { return BTreeSet::new() };
    let others: Vec<GroupGrant> = groups.iter().filter(|g| g.name != group).cloned().collect();
    let kept = seat_routes(own, &others);
    leaving.seats.iter().filter(|p| !kept.contains_key(*p)).cloned().collect()
}

/// How many more seats of a product a group assignment takes: one per member who holds no
/// seat of it by any route yet. `holders` are the members who already do.
pub fn new_seat_holders(members: &BTreeSet<String>, holders: &BTreeSet<String>) -> usize {
    members.difference(holders).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn group(name: &str, seats: &[&str], flex: Option<Individual>) -> GroupGrant {
        GroupGrant { name: name.to_string(), seats: set(seats), flex }
    }

    #[test]
    fn a_seat_reached_by_three_routes_is_one_seat_with_three_reasons() {
        let groups = [group("Design", &["draft2d", "render"], None), group("Studio", &["draft2d"], None)];
        let routes = seat_routes(&set(&["draft2d"]), &groups);
        assert_eq!(routes.len(), 2, "two products, so two seats: {routes:?}");
        assert_eq!(
            routes["draft2d"],
            vec![Route::Own, Route::Group("Design".into()), Route::Group("Studio".into())]
        );
        assert_eq!(routes["render"], vec![Route::Group("Design".into())]);
        assert_eq!(routes["render"][0].describe(), "through Design");
        assert_eq!(Route::Own.describe(), "assigned directly");
    }

    #[test]
    fn leaving_a_group_takes_only_what_nothing_else_gives() {
        let groups =
            [group("Design", &["draft2d", "render", "model3d"], None), group("Studio", &["model3d"], None)];
        let lost = seats_lost_on_leaving(&set(&["draft2d"]), &groups, "Design");
        assert_eq!(lost, set(&["render"]), "draft2d is their own, model3d comes through Studio too");
        assert!(seats_lost_on_leaving(&set(&[]), &groups, "Nobody's group").is_empty());
    }

    #[test]
    fn flex_routes_combine_all_wins_otherwise_the_union() {
        assert_eq!(combined_flex(None, &[group("Design", &["draft2d"], None)]), None, "no Flex route");
        let own = Individual::Products(set(&["survey"]));
        let groups = [
            group("Design", &[], Some(Individual::Products(set(&["render"])))),
            group("Empty", &[], Some(Individual::Products(set(&[])))),
        ];
        assert_eq!(
            combined_flex(Some(&own), &groups),
            Some(Individual::Products(set(&["render", "survey"])))
        );
        let all = [group("Everything", &[], Some(Individual::All))];
        assert_eq!(combined_flex(Some(&own), &all), Some(Individual::All));
        assert_eq!(
            combined_flex(None, &groups[1..]),
            Some(Individual::Products(set(&[]))),
            "a Flex user with nothing chosen yet"
        );
    }

    #[test]
    fn a_group_assignment_needs_a_seat_only_for_members_without_one() {
        let members = set(&["ada", "bo", "cy"]);
        assert_eq!(new_seat_holders(&members, &set(&["bo", "zed"])), 2);
        assert_eq!(new_seat_holders(&members, &members), 0);
        // With 3 seats and 2 taken, the two new holders do not fit: R-UM1 names the shortfall.
        let short = crate::seats::within_seats("Draft 2D", Some(3), 2 + 2).unwrap_err();
        assert_eq!(short.wanted, 4);
    }
}
