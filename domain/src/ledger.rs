//! R-TOK1, R-PRI1 and R-LIC5 as plain rules (groundwork for the licensing issue).
//!
//! The ledger is append-only: a purchase, and then entries that take tokens out of it
//! (charges, expiry, a move to another team) or put them in (a move in). What a purchase
//! has left, and a team's balance, are derived from the entries, never stored.
use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Purchase,
    Charge,
    Expiry,
    MoveOut,
    MoveIn,
}

/// One ledger line. `amount` is signed: purchases and moves in add, the rest subtract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub purchase_id: String,
    pub kind: EntryKind,
    pub amount: i64,
    pub at: DateTime<Utc>,
}

/// A purchase as the team holds it now: what is left of it and when that lapses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lot {
    pub purchase_id: String,
    pub purchased_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub remaining: i64,
}

impl Lot {
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.purchased_at <= now && now < self.expires_at && self.remaining > 0
    }
}

/// Derives each purchase's remaining tokens from the entries.
pub fn lots(purchases: &[(String, DateTime<Utc>)], entries: &[Entry]) -> Vec<Lot> {
    purchases
        .iter()
        .map(|(id, at)| Lot {
            purchase_id: id.clone(),
            purchased_at: *at,
            expires_at: super::tokens::expiry_of(*at),
            remaining: entries.iter().filter(|e| &e.purchase_id == id).map(|e| e.amount).sum(),
        })
        .collect()
}

/// Tokens a team can spend at `now`.
pub fn balance(lots: &[Lot], now: DateTime<Utc>) -> i64 {
    lots.iter().filter(|l| l.usable_at(now)).map(|l| l.remaining).sum()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not enough Flex tokens: {needed} needed, {available} available")]
pub struct Insufficient {
    pub needed: i64,
    pub available: i64,
}

/// Which purchases a charge of `amount` draws on: the earliest-expiring first (so fewer
/// tokens lapse unused), then the smallest remainder (so small leftovers are used up).
/// Never overdraws: either the whole amount is covered or nothing is taken.
pub fn plan_charge(
    lots: &[Lot],
    amount: i64,
    now: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, Insufficient> {
    let available = balance(lots, now);
    if amount > available {
        return Err(Insufficient { needed: amount, available });
    }
    let mut usable: Vec<&Lot> = lots.iter().filter(|l| l.usable_at(now)).collect();
    usable.sort_by(|a, b| {
        a.expires_at
            .cmp(&b.expires_at)
            .then(a.remaining.cmp(&b.remaining))
            .then(a.purchase_id.cmp(&b.purchase_id))
    });
    let mut left = amount;
    let mut plan = vec![];
    for lot in usable {
        if left == 0 {
            break;
        }
        let take = left.min(lot.remaining);
        plan.push((lot.purchase_id.clone(), take));
        left -= take;
    }
    Ok(plan)
}

/// Expiry entries due at `now`: whatever remains of each purchase past its expiry.
pub fn expiries_due(lots: &[Lot], now: DateTime<Utc>) -> Vec<Entry> {
    lots.iter()
        .filter(|l| now >= l.expires_at && l.remaining > 0)
        .map(|l| Entry {
            purchase_id: l.purchase_id.clone(),
            kind: EntryKind::Expiry,
            amount: -l.remaining,
            at: l.expires_at,
        })
        .collect()
}

/// Why what is left of a purchase cannot be moved to another team (R-TOK1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveRefusal {
    /// The purchase is already the destination team's.
    SameTeam,
    /// Expired tokens are gone; moving them would only carry the lapse along.
    Expired { expires_at: DateTime<Utc> },
    /// Charges and earlier moves have used it up.
    NothingLeft,
}

/// Whether `lot` (as the team it is moved from holds it) may move to another team at `now`.
/// Checked under both teams' locks, so the lot is the one the move will empty.
pub fn check_move(lot: &Lot, same_team: bool, now: DateTime<Utc>) -> Result<(), MoveRefusal> {
    if same_team {
        return Err(MoveRefusal::SameTeam);
    }
    if now >= lot.expires_at {
        return Err(MoveRefusal::Expired { expires_at: lot.expires_at });
    }
    if lot.remaining <= 0 {
        return Err(MoveRefusal::NothingLeft);
    }
    Ok(())
}

/// R-LIC5: one charge opens a 24-hour window per user and product.
pub const FLEX_WINDOW: Duration = Duration::hours(24);

/// Whether a window opened at `opened_at` covers a use at `now` (then nothing is charged):
/// the window opened at most 24 hours before `now`, or less than 24 hours after it.
///
/// A window opened after `now` is one a concurrent request of the same person opened: the
/// requests take their time when they arrive and then queue for the person's lock, so one
/// that arrived first may get the lock last, and then finds a window opened "in its future".
/// Opening another window at `now` would overlap that one and charge the person twice for
/// the same day (R-LIC5). Put the other way round: no two windows of a person and product
/// ever overlap; windows written in any order (the demo's history is written newest first)
/// each cover their own 24 hours as long as they do not overlap.
pub fn window_covers(opened_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    opened_at.is_some_and(|t| now < t + FLEX_WINDOW && t < now + FLEX_WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(i64::from(d))
    }

    fn buy(id: &str, amount: i64, at: DateTime<Utc>) -> Entry {
        Entry { purchase_id: id.into(), kind: EntryKind::Purchase, amount, at }
    }

    #[test]
    fn only_unexpired_leftovers_move_and_never_to_the_same_team() {
        let lot = |remaining| Lot {
            purchase_id: "p".into(),
            purchased_at: t(0),
            expires_at: crate::tokens::expiry_of(t(0)),
            remaining,
        };
        assert_eq!(check_move(&lot(10), false, t(100)), Ok(()));
        assert_eq!(check_move(&lot(10), true, t(100)), Err(MoveRefusal::SameTeam));
        assert_eq!(check_move(&lot(0), false, t(100)), Err(MoveRefusal::NothingLeft));
        assert_eq!(check_move(&lot(-3), false, t(100)), Err(MoveRefusal::NothingLeft));
        let expires_at = lot(10).expires_at;
        assert_eq!(check_move(&lot(10), false, expires_at), Err(MoveRefusal::Expired { expires_at }));
        assert_eq!(check_move(&lot(10), false, expires_at - Duration::seconds(1)), Ok(()));
    }

    #[test]
    fn charges_take_the_earliest_expiring_purchase_first_then_the_smallest() {
        let purchases = vec![
            ("late".to_string(), t(200)),
            ("early".to_string(), t(10)),
            ("early-small".to_string(), t(10)),
        ];
        let entries = vec![buy("late", 500, t(200)), buy("early", 100, t(10)), buy("early-small", 30, t(10))];
        let now = t(250);
        let lots = lots(&purchases, &entries);
        assert_eq!(balance(&lots, now), 630);
        let plan = plan_charge(&lots, 150, now).unwrap();
        assert_eq!(plan, vec![("early-small".into(), 30), ("early".into(), 100), ("late".into(), 20)]);
        assert_eq!(plan_charge(&lots, 631, now), Err(Insufficient { needed: 631, available: 630 }));
    }

    #[test]
    fn a_purchase_lapses_at_exactly_one_year() {
        let purchases = vec![("p".to_string(), t(0))];
        let entries = vec![
            buy("p", 100, t(0)),
            Entry { purchase_id: "p".into(), kind: EntryKind::Charge, amount: -40, at: t(3) },
        ];
        let lots = lots(&purchases, &entries);
        let expiry = lots[0].expires_at;
        assert_eq!(expiry, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(balance(&lots, expiry - Duration::seconds(1)), 60);
        assert_eq!(balance(&lots, expiry), 0);
        assert!(expiries_due(&lots, expiry - Duration::seconds(1)).is_empty());
        assert_eq!(expiries_due(&lots, expiry)[0].amount, -60);
        assert!(plan_charge(&lots, 1, expiry).is_err());
    }

    #[test]
    fn a_moved_purchase_leaves_one_team_and_reaches_the_other() {
        let purchases = vec![("p".to_string(), t(0))];
        let from = vec![
            buy("p", 100, t(0)),
            Entry { purchase_id: "p".into(), kind: EntryKind::Charge, amount: -25, at: t(1) },
            Entry { purchase_id: "p".into(), kind: EntryKind::MoveOut, amount: -75, at: t(2) },
        ];
        let to = vec![Entry { purchase_id: "p".into(), kind: EntryKind::MoveIn, amount: 75, at: t(2) }];
        assert_eq!(balance(&lots(&purchases, &from), t(3)), 0);
        assert_eq!(balance(&lots(&purchases, &to), t(3)), 75);
    }

    #[test]
    fn a_window_covers_24_hours_from_its_charge() {
        let opened = t(5);
        assert!(window_covers(Some(opened), opened));
        assert!(window_covers(Some(opened), opened + Duration::hours(24) - Duration::seconds(1)));
        assert!(!window_covers(Some(opened), opened + Duration::hours(24)));
        assert!(!window_covers(None, opened));
    }

    #[test]
    fn a_window_opened_just_after_a_request_arrived_covers_it() {
        // Two requests of one person: the later one got the lock first and opened the window.
        let opened = t(5);
        assert!(window_covers(Some(opened), opened - Duration::milliseconds(5)));
        assert!(window_covers(Some(opened), opened - Duration::hours(24) + Duration::seconds(1)));
        // Windows written newest first, a day apart, do not overlap: each is charged.
        assert!(!window_covers(Some(opened), opened - Duration::hours(24)));
        assert!(!window_covers(Some(opened), opened - Duration::days(3)));
    }

    /// Property: over random purchases, charges and expiries, the derived balance always
    /// equals purchases − charges − expiries and never goes below zero. A small xorshift
    /// generator keeps the test deterministic and dependency-free.
    #[test]
    fn balance_equals_purchases_minus_charges_minus_expiries() {
        for seed in 1..=300u64 {
            let mut x = seed;
            let mut next = |n: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % n
            };
            let mut purchases = vec![];
            let mut entries: Vec<Entry> = vec![];
            let (mut bought, mut charged, mut expired) = (0i64, 0i64, 0i64);
            let mut now = t(0);
            for step in 0..60 {
                now += Duration::days(next(40) as i64);
                match next(3) {
                    0 => {
                        let id = format!("p{step}");
                        let amount = 1 + next(500) as i64;
                        purchases.push((id.clone(), now));
                        entries.push(buy(&id, amount, now));
                        bought += amount;
                    }
                    _ => {
                        let amount = 1 + next(120) as i64;
                        let current = lots(&purchases, &entries);
                        if let Ok(plan) = plan_charge(&current, amount, now) {
                            assert_eq!(plan.iter().map(|(_, n)| n).sum::<i64>(), amount);
                            for (id, n) in plan {
                                entries.push(Entry {
                                    purchase_id: id,
                                    kind: EntryKind::Charge,
                                    amount: -n,
                                    at: now,
                                });
                            }
                            charged += amount;
                        } else {
                            assert!(balance(&current, now) < amount);
                        }
                    }
                }
                let due = expiries_due(&lots(&purchases, &entries), now);
                expired -= due.iter().map(|e| e.amount).sum::<i64>();
                entries.extend(due);
                let current = lots(&purchases, &entries);
                assert!(current.iter().all(|l| l.remaining >= 0), "seed {seed}: a purchase overdrawn");
                assert_eq!(balance(&current, now), bought - charged - expired, "seed {seed} step {step}");
            }
        }
    }
}
