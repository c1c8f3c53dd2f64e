//! The cost preview of a Flex access change (R-ADV1) and the licence advice (R-ADV2).
//!
//! A preview reads, in one snapshot and changing nothing, the routes of the people the
//! change touches (`store::advice`, set-wise), works out with the Flex rules what each may
//! run now and once the change is saved (the same `combined_flex` and `flex_products` the
//! save and the licensing check apply, so a preview cannot promise what a save would not
//! do), and lets `domain::advice` put figures on the difference.
use crate::domain::access::{defaults_apply, flex_products, Individual, TeamFlexSettings};
use crate::domain::advice::{
    cost_preview, licence_advice, Advice, CostPreview, FlexFigures, PersonChange, ProductPrice, RecentUse,
    SeatFigures, ADVICE_DAYS, PREVIEW_DAYS,
};
use crate::domain::groups::{combined_flex, GroupGrant};
use crate::domain::usage::DateRange;
use crate::domain::{TeamId, UserId};
use crate::error::AppError;
use crate::service::state::AppState;
use crate::store::advice::{self as store, FlexRoutes, Scope};
use crate::store::flex::{self, FlexProduct};
use crate::store::tokens;
use std::collections::{BTreeMap, BTreeSet};

/// The access change an admin is about to save.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A person's own Flex selection (their page's checklist).
    Own { member: String, all: bool, codes: Vec<String> },
    /// Giving Flex from the assign dialog to members and to people typed in (their emails,
    /// lower-case; those already in the team count as picked, as the save treats them).
    Assign { member_ids: Vec<String>, typed: Vec<String> },
    /// The team's default assignments (empty: off).
    Defaults { codes: Vec<String> },
    /// What a group gives (`gives` false: no Flex).
    Group { group: String, gives: bool, all: bool, codes: Vec<String> },
}

/// A preview with the catalogue, so the caller can name the products.
pub struct Preview {
    pub cost: CostPreview,
    pub catalogue: Vec<FlexProduct>,
    /// Names of the people in the first lines of `cost.lines`, by account id.
    pub names: BTreeMap<String, String>,
}

/// What a person may run once the change is saved, from their routes as stored.
type AfterChange<'a> = Box<dyn Fn(&FlexRoutes) -> BTreeSet<String> + Send + Sync + 'a>;

/// The id the preview gives a person typed into the assign dialog: they have no use yet.
const NEW_PERSON: &str = "new person";

/// Previews `change`; the people of the first `named` lines (the largest) are named.
pub async fn preview(
    st: &AppState,
    team: &TeamId,
    change: &Change,
    named: usize,
) -> Result<Preview, AppError> {
    let now = st.now();
    let range = DateRange::last(PREVIEW_DAYS, now.date_naive());
    let mut tx = st.db.pool.begin().await?;
    let catalogue = flex::catalogue(&mut *tx).await?;
    let ids: BTreeSet<String> = catalogue.iter().map(|p| p.id.clone()).collect();
    let settings = flex::team_settings(&mut tx, team).await?;
    let codes = |codes: &[String]| crate::service::flex::ids_for_codes(&catalogue, codes);
    let runs = |selection: Option<&Individual>, guest: bool, settings: &TeamFlexSettings| match selection {
        Some(s) => flex_products(s, guest, settings, &ids),
        None => BTreeSet::new(),
    };

    let parsed: Vec<UserId>;
    let mut group_id = String::new();
    // Typed into the assign dialog and not in the team yet: invited by the save.
    let mut new_people = 0;
    let scope = match change {
        Change::Own { member, .. } => {
            parsed = vec![UserId::parse(member).map_err(|_| AppError::not_found("This member"))?];
            Scope::People(&parsed)
        }
        Change::Assign { member_ids, typed } => {
            if member_ids.len() + typed.len() > store::MAX_PEOPLE {
                return Err(AppError::invalid("members", "Name at most 10,000 people at a time."));
            }
            let known = store::members_by_email(&mut tx, team, typed).await?;
            let mut ids: Vec<UserId> =
                member_ids.iter().chain(known.values()).filter_map(|id| UserId::parse(id).ok()).collect();
            ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            ids.dedup();
            new_people = typed.iter().filter(|e| !known.contains_key(*e)).count();
            parsed = ids;
            Scope::People(&parsed)
        }
        Change::Defaults { .. } => Scope::FlexUsers,
        Change::Group { group, .. } => {
            group_id = crate::store::groups::find(&mut tx, team, group)
                .await?
                .ok_or_else(|| AppError::not_found("This group"))?
                .0;
            Scope::Group(&group_id)
        }
    };
    let people = store::flex_routes(&mut tx, team, &scope, now).await?;
    if let Change::Own { member, .. } = change {
        if people.get(member).is_none_or(|p| p.result.is_none()) {
            return Err(AppError::Conflict {
                message: "This person is not a Flex user of this team.".into(),
            });
        }
    }

    // What each person may run once the change is saved.
    let after: AfterChange<'_> = match change {
        Change::Own { all, codes: c, .. } => {
            let own = if *all { Individual::All } else { Individual::from_selection(&codes(c)?, &ids) };
            let settings = settings.clone();
            Box::new(move |p| runs(combined(Some(&own), &p.groups).as_ref(), p.guest, &settings))
        }
        Change::Assign { .. } => {
            let settings = settings.clone();
            Box::new(move |p| {
                let own = p.own.clone().unwrap_or(Individual::All);
                runs(combined(Some(&own), &p.groups).as_ref(), p.guest, &settings)
            })
        }
        Change::Defaults { codes: c } => {
            let proposed = TeamFlexSettings { defaults: codes(c)?, ..settings.clone() };
            Box::new(move |p| runs(p.result.as_ref(), p.guest, &proposed))
        }
        Change::Group { gives, all, codes: c, .. } => {
            let wanted = match (gives, all) {
                (false, _) => None,
                (true, true) => Some(Individual::All),
                (true, false) => Some(Individual::Products(codes(c)?)),
            };
            let (gid, settings) = (group_id.clone(), settings.clone());
            Box::new(move |p| {
                let mut groups: Vec<(String, Individual)> =
                    p.groups.iter().filter(|(g, _)| *g != gid).cloned().collect();
                if let Some(w) = &wanted {
                    groups.push((gid.clone(), w.clone()));
                }
                runs(combined(p.own.as_ref(), &groups).as_ref(), p.guest, &settings)
            })
        }
    };
    let mut changes: Vec<PersonChange> = people
        .iter()
        .map(|(account, p)| PersonChange {
            account: account.clone(),
            before: runs(p.result.as_ref(), p.guest, &settings),
            after: after(p),
            seats: p.seats.clone(),
        })
        .collect();
    if new_people > 0 {
        // Invited from the dialog: a member (not a guest) with "all products" of their own.
        let gets = runs(Some(&Individual::All), false, &settings);
        for i in 0..new_people {
            changes.push(PersonChange {
                account: format!("{NEW_PERSON} {}", i + 1),
                after: gets.clone(),
                ..Default::default()
            });
        }
    }

    let by_product = store::flex_use_by_product(&mut tx, team, range).await?;
    let recent = RecentUse {
        by_person: store::flex_use_of(&mut tx, team, &scope, range).await?,
        team_tokens: by_product.values().sum(),
        by_product,
        holders: holders(&store::selection_counts(&mut tx, team).await?, &settings, &ids),
    };
    let lots: Vec<_> = tokens::purchase_figures(&mut *tx, team).await?.iter().map(|f| f.lot()).collect();
    let cost = cost_preview(&changes, &recent, &lots, now);
    let wanted: BTreeSet<&str> = cost.lines.iter().take(named).map(|l| l.account.as_str()).collect();
    let mut names = BTreeMap::new();
    if !wanted.is_empty() {
        let ids: Vec<UserId> = wanted.iter().filter_map(|a| UserId::parse(a).ok()).collect();
        names = store::names_of(&mut tx, team, &ids).await?;
    }
    tx.commit().await?;
    Ok(Preview { cost, catalogue, names })
}

/// A person's selection from their own and their groups' (`combined_flex`), for routes as
/// the store reads them.
fn combined(own: Option<&Individual>, groups: &[(String, Individual)]) -> Option<Individual> {
    let grants: Vec<GroupGrant> = groups
        .iter()
        .map(|(g, f)| GroupGrant { name: g.clone(), flex: Some(f.clone()), ..Default::default() })
        .collect();
    combined_flex(own, &grants)
}

/// How many Flex users may run each product now, from the selection counts and the
/// defaults rule (R-FX2): where the defaults apply they decide, elsewhere "all products"
/// or the person's list.
fn holders(
    counts: &store::SelectionCounts,
    settings: &TeamFlexSettings,
    catalogue: &BTreeSet<String>,
) -> BTreeMap<String, usize> {
    // (in all, guests) → (members, guests).
    let split = |(all, guests): (usize, usize)| [all.saturating_sub(guests), guests];
    let users = split(counts.users);
    let with_all = split(counts.all);
    let mut out = BTreeMap::new();
    for p in catalogue {
        let listed = split(counts.listed.get(p).copied().unwrap_or_default());
        let mut n = 0;
        for (i, guest) in [false, true].into_iter().enumerate() {
            n += if defaults_apply(guest, settings) {
                if settings.defaults.contains(p) {
                    users[i]
                } else {
                    0
                }
            } else {
                with_all[i] + listed[i]
            };
        }
        out.insert(p.clone(), n);
    }
    out
}

/// One line of the licence advice, with what the console needs to show and link it.
#[derive(Clone, Debug)]
pub struct AdviceLine {
    pub advice: Advice,
    /// The person's account id, name and email (none for a purchase).
    pub person: Option<(String, String, String)>,
    /// The product's code and name (none for a purchase).
    pub product: Option<(String, String)>,
    /// A seat a group of theirs gives too: unassigning their own would not free it, so it
    /// is the group's business.
    pub through_group: bool,
    pub figures: String,
    pub assumption: String,
}

/// The team's licence advice now (R-ADV2).
pub async fn advice(st: &AppState, team: &TeamId) -> Result<Vec<AdviceLine>, AppError> {
    let now = st.now();
    let today = now.date_naive();
    let mut tx = st.db.pool.begin().await?;
    let window = DateRange::last(ADVICE_DAYS, today);
    let seats = store::live_seats(&mut tx, team, now, window.from).await?;
    let flex_use = store::flex_use_per_person(&mut tx, team, window).await?;
    let prices = store::prices(&mut tx).await?;
    let lots: Vec<_> = tokens::purchase_figures(&mut *tx, team).await?.iter().map(|f| f.lot()).collect();
    let trailing: i64 =
        store::flex_use_by_product(&mut tx, team, DateRange::last(PREVIEW_DAYS, today)).await?.values().sum();
    let names = store::member_names(&mut tx, team).await?;
    let products = crate::store::catalogue::entries(&mut *tx).await?;
    tx.commit().await?;

    let holders: BTreeSet<(String, String)> =
        seats.iter().map(|s| (s.account_id.clone(), s.product_id.clone())).collect();
    let through_group: BTreeSet<(String, String)> =
        seats.iter().filter(|s| s.via_group).map(|s| (s.account_id.clone(), s.product_id.clone())).collect();
    let seat_figures: Vec<SeatFigures> = seats
        .iter()
        .map(|s| SeatFigures {
            account: s.account_id.clone(),
            product: s.product_id.clone(),
            subscription: s.subscription,
            assigned_at: s.assigned_at,
            last_used: s.last_used,
            days_used: s.days_used,
        })
        .collect();
    // Only members' use: someone who has left is no one to advise about.
    let flex_figures: Vec<FlexFigures> = flex_use
        .iter()
        .filter(|((account, _), _)| names.contains_key(account))
        .map(|((account, product), (tokens, days))| FlexFigures {
            account: account.clone(),
            product: product.clone(),
            tokens: *tokens,
            days: *days,
        })
        .collect();
    let prices: Vec<ProductPrice> = prices
        .into_iter()
        .map(|(product, flex_rate, seat_tokens)| ProductPrice { product, flex_rate, seat_tokens })
        .collect();
    let advice = licence_advice(&seat_figures, &flex_figures, &holders, &prices, &lots, trailing, now);
    Ok(advice
        .into_iter()
        .map(|a| {
            let (account, product) = match &a {
                Advice::IdleSeat { account, product, .. }
                | Advice::CheaperOnSeat { account, product, .. }
                | Advice::CheaperOnFlex { account, product, .. } => (Some(account), Some(product)),
                Advice::Lapsing { .. } => (None, None),
            };
            let through_group = matches!(&a, Advice::IdleSeat { .. })
                && account
                    .zip(product)
                    .is_some_and(|(acc, pid)| through_group.contains(&(acc.clone(), pid.clone())));
            let person = account.map(|id| {
                let (name, email) = names.get(id).cloned().unwrap_or_default();
                (id.clone(), name, email)
            });
            let product = product.map(|id| {
                products
                    .iter()
                    .find(|p| &p.id == id)
                    .map_or_else(|| (String::new(), id.clone()), |p| (p.code.clone(), p.name.clone()))
            });
            let figures = a.figures(
                person.as_ref().map_or("", |p| p.1.as_str()),
                product.as_ref().map_or("", |p| p.1.as_str()),
            );
            AdviceLine { assumption: a.assumption(), figures, person, product, through_group, advice: a }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_follow_the_defaults_rule_for_members_and_guests() {
        let catalogue: BTreeSet<String> = ["a", "b", "c"].into_iter().map(String::from).collect();
        // 10 Flex users, 2 of them guests; 3 with "all products" (1 a guest); lists: a named
        // by 4 (1 a guest), b by 2.
        let counts = store::SelectionCounts {
            users: (10, 2),
            all: (3, 1),
            listed: [("a".to_string(), (4, 1)), ("b".to_string(), (2, 0))].into_iter().collect(),
        };
        let off = TeamFlexSettings::default();
        let h = holders(&counts, &off, &catalogue);
        assert_eq!((h["a"], h["b"], h["c"]), (3 + 4, 3 + 2, 3));
        // Defaults {c}: the 8 members run c only; the 2 guests keep theirs (1 all, 1 listing a).
        let on = TeamFlexSettings { defaults: ["c".to_string()].into(), guest_defaults: false };
        let h = holders(&counts, &on, &catalogue);
        assert_eq!((h["a"], h["b"], h["c"]), (1 + 1, 1, 8 + 1));
        // With support's switch on, guests follow the defaults too.
        let all_in = TeamFlexSettings { guest_defaults: true, ..on };
        let h = holders(&counts, &all_in, &catalogue);
        assert_eq!((h["a"], h["b"], h["c"]), (0, 0, 10));
    }
}
