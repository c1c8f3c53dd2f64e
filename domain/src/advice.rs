//! R-ADV1 (cost preview) and R-ADV2 (licence advice) as plain rules. Every figure comes
//! with its assumption in words, because an estimate the admin cannot check is one they
//! cannot weigh.
//!
//! **R-ADV1 — cost preview.** Before a change to who may run which Flex product is saved,
//! the admin sees the tokens a day it may add or remove and how the forecast's run-out date
//! moves. Each person and product the change gives or takes is estimated from that person's
//! own Flex use of the product over the last [`PREVIEW_DAYS`] days. A product a person
//! gains but did not use in that time is counted at the team's average for it: the
//! product's tokens divided by the Flex users who may run it now (and, when nobody may run
//! it yet, the team's tokens divided by all the products its Flex users may run), and the
//! preview says so. A product the person holds a subscription or trial seat of costs no
//! tokens (R-PRI1), so it is left out, and counted. The run-out date is `usage::forecast`
//! at the team's trailing use, before and after the estimated change.
//!
//! **R-ADV2 — licence advice.**
//! - Idle seats: assigned at least [`IDLE_DAYS`] days ago and not used in the last
//!   [`IDLE_DAYS`] days (trial seats too).
//! - Cheaper on a seat: a Flex user whose last [`ADVICE_DAYS`] days of a product, at that
//!   pace for a year, cost more tokens than a seat of it. The vendor sets a product's seat
//!   price (`seat_tokens`, tokens per year); without one there is no such advice.
//! - Cheaper on Flex: a subscription seat holder who used the product on fewer days (at
//!   their pace for a year) than the seat's price buys on Flex (`seat_tokens / flex_rate`
//!   days); not said until the seat has been held [`IDLE_DAYS`] days.
//! - Lapsing tokens: what each purchase will lapse unused with, as the forecast plays it.
use crate::display::{fmt_int, plural};
use crate::ledger::Lot;
use crate::usage::{daily_rate, forecast, Forecast};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

/// How far back the preview looks (same as the forecast): 30 days, today included.
pub const PREVIEW_DAYS: i64 = crate::usage::TRAILING_DAYS;
/// How far back advice about paying looks: a quarter evens out a busy or a quiet month.
pub const ADVICE_DAYS: i64 = 90;
/// A seat unused this long (and held this long) is idle.
pub const IDLE_DAYS: i64 = 30;
/// Days a year, for "at that pace for a year".
const YEAR_DAYS: i64 = 365;

/// One person's Flex products around a change (ids), as the Flex rules resolve them
/// (defaults, groups and guests already applied by the caller).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonChange {
    pub account: String,
    pub before: BTreeSet<String>,
    pub after: BTreeSet<String>,
    /// Products they hold a live subscription or trial seat of in the team: no tokens (R-PRI1).
    pub seats: BTreeSet<String>,
}

/// The team's Flex use over the last PREVIEW_DAYS days.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecentUse {
    /// Tokens per (account, product) — at least for every affected person.
    pub by_person: BTreeMap<(String, String), i64>,
    /// The team's tokens per product (everyone).
    pub by_product: BTreeMap<String, i64>,
    /// Flex users of the team who may run each product now (before the change).
    pub holders: BTreeMap<String, usize>,
    /// The team's Flex tokens over the period, all products (the forecast's rate).
    pub team_tokens: i64,
}

/// What a pair's estimate rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The person's own use of the product.
    Own,
    /// The team's average (the person did not use the product they gain).
    TeamAverage,
    /// Nothing to go on: counted at 0.
    NoUse,
}

/// One person and product whose Flex access the change gives or takes.
#[derive(Clone, Debug, PartialEq)]
pub struct PairEstimate {
    pub account: String,
    pub product: String,
    /// true: the change gives the product; false: takes it away.
    pub gained: bool,
    /// Tokens over PREVIEW_DAYS this pair is estimated at (f64: a team average is a fraction).
    pub tokens: f64,
    pub basis: Basis,
}

/// What a Flex access change may cost or save (R-ADV1).
#[derive(Clone, Debug, PartialEq)]
pub struct CostPreview {
    /// People whose Flex products change (seat-covered pairs aside).
    pub people: usize,
    /// Tokens a day the gained pairs may add, and the lost ones save (both ≥ 0).
    pub added_per_day: f64,
    pub removed_per_day: f64,
    /// People with at least one gained pair estimated at the team's average.
    pub estimated_people: usize,
    /// Pairs left out because a seat covers them (R-PRI1).
    pub covered_by_seats: usize,
    /// Every pair, largest |tokens| first, ties by account then product.
    pub lines: Vec<PairEstimate>,
    /// The team's tokens over PREVIEW_DAYS (before).
    pub trailing_used: i64,
    pub before: Forecast,
    pub after: Forecast,
    /// The assumptions in words (one paragraph).
    pub assumption: String,
}

impl CostPreview {
    /// Tokens a day the change adds on balance (negative: it saves).
    pub fn net_per_day(&self) -> f64 {
        self.added_per_day - self.removed_per_day
    }

    /// The headline in words: tokens a day more or fewer, and how the run-out date and the
    /// tokens lapsing unused move. Figures to one decimal, as the assumption states the rate.
    pub fn summary(&self) -> String {
        if self.people == 0 {
            return "No change in Flex tokens: nobody gains or loses a product that costs tokens.".into();
        }
        let (add, save) = (self.added_per_day, self.removed_per_day);
        let mut said = vec![match (add > 0.0, save > 0.0) {
            (true, true) => format!(
                "About {add:.1} tokens a day more and {save:.1} fewer: {:+.1} a day on balance.",
                self.net_per_day()
            ),
            (true, false) => format!("About {add:.1} tokens a day more."),
            (false, true) => format!("About {save:.1} tokens a day fewer."),
            (false, false) => {
                "About as many tokens a day as now: nobody affected used these products.".into()
            }
        }];
        said.push(match (self.before.runs_out_on, self.after.runs_out_on) {
            (Some(a), Some(b)) if a == b => format!("The tokens still run out on {a}."),
            (Some(a), Some(b)) => format!("The tokens run out on {b} instead of {a}."),
            (None, Some(b)) => {
                format!("The tokens run out on {b}; now they last until their purchases lapse.")
            }
            (Some(a), None) => {
                format!("The tokens last until their purchases lapse instead of running out on {a}.")
            }
            (None, None) => "The tokens still last until their purchases lapse.".into(),
        });
        let (was, will) = (self.before.expiring_unused(), self.after.expiring_unused());
        if was != will {
            said.push(format!(
                "{} lapse unused instead of {}.",
                plural(will, "token", "tokens"),
                fmt_int(was)
            ));
        }
        said.join(" ")
    }
}

/// The estimate for one pair. `per_holding` is the team's tokens per product a Flex user
/// may run, the fallback for a product nobody may run yet (`None`: the team used no Flex).
fn estimate(
    account: &str,
    product: &str,
    gained: bool,
    recent: &RecentUse,
    per_holding: Option<f64>,
) -> PairEstimate {
    let own = recent.by_person.get(&(account.to_string(), product.to_string())).copied().unwrap_or(0).max(0);
    let (tokens, basis) = if own > 0 {
        (own as f64, Basis::Own)
    } else if !gained {
        (0.0, Basis::NoUse)
    } else {
        match recent.holders.get(product).copied().filter(|&n| n > 0) {
            Some(n) => (
                recent.by_product.get(product).copied().unwrap_or(0).max(0) as f64 / n as f64,
                Basis::TeamAverage,
            ),
            None => per_holding.map_or((0.0, Basis::NoUse), |t| (t, Basis::TeamAverage)),
        }
    };
    PairEstimate { account: account.to_string(), product: product.to_string(), gained, tokens, basis }
}

/// The cost preview of a Flex access change (R-ADV1). `changes` are the people the change
/// may touch, with their products as the Flex rules resolve them before and after;
/// `recent` the team's use over the last [`PREVIEW_DAYS`] days; `lots` its purchases.
pub fn cost_preview(
    changes: &[PersonChange],
    recent: &RecentUse,
    lots: &[Lot],
    now: DateTime<Utc>,
) -> CostPreview {
    let holdings: usize = recent.holders.values().sum();
    let per_holding =
        (recent.team_tokens > 0 && holdings > 0).then(|| recent.team_tokens as f64 / holdings as f64);
    let mut lines = Vec::new();
    let (mut people, mut estimated_people, mut covered_by_seats) = (0, 0, 0);
    // Gained pairs estimated at the team-wide fallback, and at nothing at all.
    let (mut team_wide, mut unknown) = (0, 0);
    for change in changes {
        let mut pairs: Vec<(&String, bool)> =
            change.after.difference(&change.before).map(|p| (p, true)).collect();
        pairs.extend(change.before.difference(&change.after).map(|p| (p, false)));
        let (mut counted, mut estimated) = (false, false);
        for (product, gained) in pairs {
            if change.seats.contains(product) {
                covered_by_seats += 1;
                continue;
            }
            let line = estimate(&change.account, product, gained, recent, per_holding);
            if gained && line.basis == Basis::TeamAverage {
                estimated = true;
                team_wide += usize::from(recent.holders.get(product).copied().unwrap_or(0) == 0);
            }
            unknown += usize::from(gained && line.basis == Basis::NoUse);
            counted = true;
            lines.push(line);
        }
        people += usize::from(counted);
        estimated_people += usize::from(estimated);
    }
    lines.sort_by(|a, b| {
        b.tokens
            .abs()
            .total_cmp(&a.tokens.abs())
            .then_with(|| a.account.cmp(&b.account))
            .then_with(|| a.product.cmp(&b.product))
            .then_with(|| b.gained.cmp(&a.gained))
    });
    let sum = |gained: bool| lines.iter().filter(|l| l.gained == gained).map(|l| l.tokens).sum::<f64>();
    let (added, removed) = (sum(true), sum(false));
    let before = forecast(lots, now, recent.team_tokens, PREVIEW_DAYS);
    // Nothing moves: the same forecast, not one recomputed from a rounded sum.
    let after = if lines.is_empty() {
        before.clone()
    } else {
        let used = (recent.team_tokens + (added - removed).round() as i64).max(0);
        forecast(lots, now, used, PREVIEW_DAYS)
    };
    let assumption = preview_assumption(
        people,
        estimated_people,
        team_wide,
        unknown,
        covered_by_seats,
        recent.team_tokens,
    );
    CostPreview {
        people,
        added_per_day: added / PREVIEW_DAYS as f64,
        removed_per_day: removed / PREVIEW_DAYS as f64,
        estimated_people,
        covered_by_seats,
        lines,
        trailing_used: recent.team_tokens,
        before,
        after,
        assumption,
    }
}

/// The preview's assumptions as one paragraph, naming only what applies.
fn preview_assumption(
    people: usize,
    estimated_people: usize,
    team_wide: usize,
    unknown: usize,
    covered: usize,
    team_tokens: i64,
) -> String {
    let days = PREVIEW_DAYS;
    let n = |k: usize| i64::try_from(k).unwrap_or(i64::MAX);
    let mut said = Vec::new();
    if people == 0 {
        said.push(
            "This change gives and takes no Flex product that costs tokens, so the team's use and the \
             run-out date stay as they are."
                .to_string(),
        );
    } else {
        said.push(format!("Estimated from each person's own Flex use over the last {days} days."));
        if estimated_people > 0 {
            said.push(format!(
                "{} had not used a product they gain, so each such product is counted at the team's average: \
                 the product's tokens over those {days} days divided by the Flex users who may run it now.",
                plural(n(estimated_people), "person", "people")
            ));
        }
        if team_wide > 0 {
            said.push(format!(
                "Nobody may run {} yet, so {} counted at the team's average per product a Flex user may run: \
                 all its tokens over those {days} days divided by the products each of its Flex users may run, \
                 added up.",
                if team_wide == 1 { "one such product" } else { "some such products" },
                if team_wide == 1 { "it is" } else { "they are" }
            ));
        }
        if unknown > 0 {
            let why = if team_tokens > 0 {
                "Nobody may run any Flex product now, so there is no average to go by".to_string()
            } else {
                format!("The team used no Flex tokens in the last {days} days")
            };
            said.push(format!(
                "{why}, so {} a person gains without having used {} counted at 0 tokens.",
                plural(n(unknown), "product", "products"),
                if unknown == 1 { "it is" } else { "them are" }
            ));
        }
    }
    if covered > 0 {
        said.push(if covered == 1 {
            "1 product a person holds a seat of is left out: a seat costs no tokens.".to_string()
        } else {
            format!(
                "{} people hold a seat of are left out: a seat costs no tokens.",
                plural(n(covered), "product", "products")
            )
        });
    }
    if people > 0 {
        said.push(if team_tokens > 0 {
            format!(
                "The run-out date assumes the rest of the team keeps its {days}-day average of {:.1} tokens a day \
                 and that nothing is bought or moved.",
                daily_rate(team_tokens, days)
            )
        } else {
            format!(
                "The run-out date assumes the rest of the team keeps using no Flex tokens, as in the last {days} \
                 days, and that nothing is bought or moved."
            )
        });
    }
    said.join(" ")
}

/// A product's prices, as the vendor set them (`None`: not set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductPrice {
    pub product: String,
    /// Tokens per day of Flex use; `None`: not on Flex.
    pub flex_rate: Option<i64>,
    /// What a seat costs in tokens per year; `None`: no seat advice for the product.
    pub seat_tokens: Option<i64>,
}

/// A seat the team assigned to someone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatFigures {
    pub account: String,
    pub product: String,
    /// true for a subscription seat, false for a trial seat.
    pub subscription: bool,
    pub assigned_at: DateTime<Utc>,
    /// Last time the product was used on this seat.
    pub last_used: Option<DateTime<Utc>>,
    /// Days with use of the product on a seat in the last ADVICE_DAYS days.
    pub days_used: i64,
}

/// A person's Flex use of a product over the last ADVICE_DAYS days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlexFigures {
    pub account: String,
    pub product: String,
    pub tokens: i64,
    pub days: i64,
}

/// One piece of licence advice (R-ADV2), with the figures it rests on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Advice {
    /// A seat nobody has used for [`IDLE_DAYS`] days or more.
    IdleSeat {
        account: String,
        product: String,
        subscription: bool,
        assigned_at: DateTime<Utc>,
        last_used: Option<DateTime<Utc>>,
        idle_days: i64,
        /// The product's seat price, for [`Advice::saving`].
        seat_tokens: Option<i64>,
    },
    /// A Flex user who would spend fewer tokens on a seat.
    CheaperOnSeat {
        account: String,
        product: String,
        tokens: i64,
        days: i64,
        yearly_tokens: i64,
        seat_tokens: i64,
    },
    /// A subscription seat holder who would spend fewer tokens on Flex.
    CheaperOnFlex {
        account: String,
        product: String,
        days: i64,
        over_days: i64,
        yearly_days: i64,
        flex_rate: i64,
        yearly_tokens: i64,
        seat_tokens: i64,
    },
    /// Tokens of a purchase the forecast expects to lapse unused.
    Lapsing {
        purchase_id: String,
        purchased_at: DateTime<Utc>,
        expires_on: NaiveDate,
        tokens: i64,
        /// The team's Flex tokens over the last [`PREVIEW_DAYS`] days the forecast plays at.
        trailing_used: i64,
    },
}

impl Advice {
    /// Tokens a year the advice would save: what sorts advice of one kind. An idle
    /// subscription seat saves its price (0 when the vendor set none); an idle trial seat
    /// saves nothing, a trial costs no tokens. Lapsing: the tokens that would lapse.
    pub fn saving(&self) -> i64 {
        match self {
            Advice::IdleSeat { subscription, seat_tokens, .. } => {
                if *subscription {
                    seat_tokens.unwrap_or(0)
                } else {
                    0
                }
            }
            Advice::CheaperOnSeat { yearly_tokens, seat_tokens, .. } => yearly_tokens - seat_tokens,
            Advice::CheaperOnFlex { yearly_tokens, seat_tokens, .. } => seat_tokens - yearly_tokens,
            Advice::Lapsing { tokens, .. } => *tokens,
        }
    }

    /// The figures and the assumption, in words, naming the person and product as given
    /// (a lapse names neither).
    pub fn figures(&self, person: &str, product: &str) -> String {
        let tokens = |n: i64| plural(n, "token", "tokens");
        let days = |n: i64| plural(n, "day", "days");
        let day = |t: &DateTime<Utc>| t.date_naive().format("%Y-%m-%d").to_string();
        match self {
            Advice::IdleSeat { subscription, assigned_at, last_used, idle_days, .. } => format!(
                "{person} holds a {product} {} seat and has not used it for {} (assigned {}, {}).",
                if *subscription { "subscription" } else { "trial" },
                days(*idle_days),
                day(assigned_at),
                last_used.as_ref().map_or("never used".to_string(), |t| format!("last used {}", day(t)))
            ),
            Advice::CheaperOnSeat { tokens: used, days: used_days, yearly_tokens, seat_tokens, .. } => format!(
                "{person} used {product} on {} in the last {ADVICE_DAYS} days on Flex, {}: at that pace {} a year. \
                 A seat costs {} a year.",
                days(*used_days),
                tokens(*used),
                tokens(*yearly_tokens),
                tokens(*seat_tokens)
            ),
            Advice::CheaperOnFlex { days: used_days, over_days, yearly_days, flex_rate, yearly_tokens, seat_tokens, .. } => {
                format!(
                    "{person} used {product} on {} of the last {}: at that pace {} a year, {} on Flex at {} a day. \
                     Their seat costs {} a year.",
                    fmt_int(*used_days),
                    days(*over_days),
                    days(*yearly_days),
                    tokens(*yearly_tokens),
                    fmt_int(*flex_rate),
                    tokens(*seat_tokens)
                )
            }
            Advice::Lapsing { purchased_at, expires_on, tokens: n, .. } => format!(
                "{} of the purchase of {} will lapse unused on {}.",
                tokens(*n),
                day(purchased_at),
                expires_on.format("%Y-%m-%d")
            ),
        }
    }

    /// What the advice assumes, in words.
    pub fn assumption(&self) -> String {
        match self {
            Advice::IdleSeat { .. } => format!(
                "A seat unused for {IDLE_DAYS} days is probably not needed; unassigning frees it for someone else."
            ),
            Advice::CheaperOnSeat { .. } => format!(
                "Assumes the next year's use keeps the pace of the last {ADVICE_DAYS} days; a seat is bought from \
                 the vendor, and its holder uses no Flex tokens for the product."
            ),
            Advice::CheaperOnFlex { over_days, .. } => format!(
                "Assumes the next year's use keeps the pace of the last {over_days} days, each day of use opening \
                 one 24-hour Flex window at the product's rate, once the seat is unassigned and Flex access given."
            ),
            Advice::Lapsing { trailing_used, .. } if *trailing_used > 0 => format!(
                "At the team's Flex use of the last {PREVIEW_DAYS} days ({:.1} tokens a day), spending the \
                 earliest-expiring purchase first; nothing bought or moved meanwhile.",
                daily_rate(*trailing_used, PREVIEW_DAYS)
            ),
            Advice::Lapsing { .. } => format!(
                "The team used no Flex tokens in the last {PREVIEW_DAYS} days; if that goes on, nothing of the \
                 purchase is spent before it lapses."
            ),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Advice::IdleSeat { .. } => "idle_seat",
            Advice::CheaperOnSeat { .. } => "cheaper_on_seat",
            Advice::CheaperOnFlex { .. } => "cheaper_on_flex",
            Advice::Lapsing { .. } => "lapsing",
        }
    }

    /// Kind (in the order advice is listed), largest saving first, then who and what.
    fn sort_key(&self) -> (u8, Reverse<i64>, &str, &str) {
        let saving = Reverse(self.saving());
        match self {
            Advice::IdleSeat { account, product, .. } => (0, saving, account, product),
            Advice::CheaperOnSeat { account, product, .. } => (1, saving, account, product),
            Advice::CheaperOnFlex { account, product, .. } => (2, saving, account, product),
            Advice::Lapsing { purchase_id, .. } => (3, saving, purchase_id, ""),
        }
    }
}

/// What the purchases will lapse unused with, per purchase: the same day-by-day play as
/// `usage::forecast` (same lots, same order, same daily demand), keeping which purchase
/// each lapse comes from, in the order they lapse. Summed per expiry day it is the
/// forecast's `lapses`.
pub fn lapses_by_purchase(
    lots: &[Lot],
    now: DateTime<Utc>,
    used: i64,
    over_days: i64,
) -> Vec<(String, NaiveDate, i64)> {
    let mut lots: Vec<(NaiveDate, i64, &str)> = lots
        .iter()
        .filter(|l| l.remaining > 0 && l.expires_at > now && l.purchased_at <= now)
        .map(|l| (l.expires_at.date_naive(), l.remaining, l.purchase_id.as_str()))
        .collect();
    lots.sort();
    let (used, over_days) = (used.max(0), over_days.max(1));
    let today = now.date_naive();
    let mut lapses = Vec::new();
    let mut k: i64 = 0;
    while !lots.is_empty() {
        let day = today + Duration::days(k);
        while lots.first().is_some_and(|&(expires, _, _)| expires <= day) {
            let (expires, left, id) = lots.remove(0);
            lapses.push((id.to_string(), expires, left));
        }
        let mut demand = used * (k + 1) / over_days - used * k / over_days;
        while demand > 0 {
            let Some(first) = lots.first_mut() else { break };
            let take = demand.min(first.1);
            first.1 -= take;
            demand -= take;
            if first.1 == 0 {
                lots.remove(0);
            }
        }
        k += 1;
    }
    lapses
}

/// Whether a seat is idle at `now`: held and unused for [`IDLE_DAYS`] days.
fn is_idle(seat: &SeatFigures, now: DateTime<Utc>) -> bool {
    let cutoff = now - Duration::days(IDLE_DAYS);
    seat.assigned_at <= cutoff && seat.last_used.is_none_or(|t| t <= cutoff)
}

/// The licence advice of R-ADV2, listed idle seats first, then Flex users cheaper on a
/// seat, seat holders cheaper on Flex and lapsing purchases; within a kind the largest
/// saving first. `seat_holders` are the (account, product) pairs holding any live seat;
/// `trailing_used` the team's Flex tokens over the last [`PREVIEW_DAYS`] days.
pub fn licence_advice(
    seats: &[SeatFigures],
    flex: &[FlexFigures],
    seat_holders: &BTreeSet<(String, String)>,
    prices: &[ProductPrice],
    lots: &[Lot],
    trailing_used: i64,
    now: DateTime<Utc>,
) -> Vec<Advice> {
    // The vendor's checks keep prices at 1 or more; anything else reads as "not set".
    let price = |product: &str| {
        let p = prices.iter().find(|p| p.product == product);
        (p.and_then(|p| p.flex_rate).filter(|&r| r > 0), p.and_then(|p| p.seat_tokens).filter(|&t| t > 0))
    };
    let mut advice = Vec::new();
    for seat in seats {
        let (flex_rate, seat_tokens) = price(&seat.product);
        if is_idle(seat, now) {
            let since = seat.last_used.map_or(seat.assigned_at, |t| t.max(seat.assigned_at));
            advice.push(Advice::IdleSeat {
                account: seat.account.clone(),
                product: seat.product.clone(),
                subscription: seat.subscription,
                assigned_at: seat.assigned_at,
                last_used: seat.last_used,
                idle_days: (now - since).num_days(),
                seat_tokens,
            });
            continue;
        }
        let (Some(flex_rate), Some(seat_tokens), true) = (flex_rate, seat_tokens, seat.subscription) else {
            continue;
        };
        let over_days = (now - seat.assigned_at).num_days().min(ADVICE_DAYS);
        if over_days < IDLE_DAYS {
            continue; // too early to tell
        }
        // The caller counts days from the seat's assignment; the clamp only guards the ratio.
        let days = seat.days_used.clamp(0, over_days);
        let yearly_days = days * YEAR_DAYS / over_days;
        let yearly_tokens = yearly_days * flex_rate;
        if yearly_tokens < seat_tokens {
            advice.push(Advice::CheaperOnFlex {
                account: seat.account.clone(),
                product: seat.product.clone(),
                days,
                over_days,
                yearly_days,
                flex_rate,
                yearly_tokens,
                seat_tokens,
            });
        }
    }
    for f in flex {
        let Some(seat_tokens) = price(&f.product).1 else { continue };
        if seat_holders.contains(&(f.account.clone(), f.product.clone())) {
            continue;
        }
        let yearly_tokens = f.tokens.max(0) * YEAR_DAYS / ADVICE_DAYS;
        if yearly_tokens > seat_tokens {
            advice.push(Advice::CheaperOnSeat {
                account: f.account.clone(),
                product: f.product.clone(),
                tokens: f.tokens,
                days: f.days,
                yearly_tokens,
                seat_tokens,
            });
        }
    }
    for (purchase_id, expires_on, tokens) in lapses_by_purchase(lots, now, trailing_used, PREVIEW_DAYS) {
        let Some(lot) = lots.iter().find(|l| l.purchase_id == purchase_id) else { continue };
        advice.push(Advice::Lapsing {
            purchase_id,
            purchased_at: lot.purchased_at,
            expires_on,
            tokens,
            trailing_used: trailing_used.max(0),
        });
    }
    advice.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    advice
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{flex_products, Individual, TeamFlexSettings};
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn noon(s: &str) -> DateTime<Utc> {
        Utc.from_utc_datetime(&d(s).and_hms_opt(12, 0, 0).unwrap())
    }

    fn lot(id: &str, purchased: &str, remaining: i64) -> Lot {
        let at = Utc.from_utc_datetime(&d(purchased).and_hms_opt(9, 0, 0).unwrap());
        Lot { purchase_id: id.into(), purchased_at: at, expires_at: crate::tokens::expiry_of(at), remaining }
    }

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn change(account: &str, before: &[&str], after: &[&str], seats: &[&str]) -> PersonChange {
        PersonChange { account: account.into(), before: set(before), after: set(after), seats: set(seats) }
    }

    fn recent(
        people: &[(&str, &str, i64)],
        products: &[(&str, i64)],
        holders: &[(&str, usize)],
    ) -> RecentUse {
        RecentUse {
            by_person: people.iter().map(|(a, p, n)| ((a.to_string(), p.to_string()), *n)).collect(),
            by_product: products.iter().map(|(p, n)| (p.to_string(), *n)).collect(),
            holders: holders.iter().map(|(p, n)| (p.to_string(), *n)).collect(),
            team_tokens: products.iter().map(|(_, n)| n).sum(),
        }
    }

    fn pair(account: &str, product: &str, gained: bool, tokens: f64, basis: Basis) -> PairEstimate {
        PairEstimate { account: account.into(), product: product.into(), gained, tokens, basis }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_person_without_history_gaining_a_product_counts_at_the_teams_average() {
        // Render: 90 tokens over 30 days among its 3 Flex users → 30 for Ana, 1 a day.
        let recent = recent(&[], &[("render", 90), ("draft", 60)], &[("render", 3), ("draft", 2)]);
        let lots = [lot("a", "2026-06-01", 100)];
        let p = cost_preview(&[change("ana", &[], &["render"], &[])], &recent, &lots, noon("2026-11-25"));
        assert_eq!(p.lines, vec![pair("ana", "render", true, 30.0, Basis::TeamAverage)]);
        assert_eq!((p.people, p.estimated_people, p.covered_by_seats, p.trailing_used), (1, 1, 0, 150));
        assert!(close(p.added_per_day, 1.0) && close(p.removed_per_day, 0.0) && close(p.net_per_day(), 1.0));
        // The run-out date moves earlier. Before: 150 over 30 days is 5 a day, 100 tokens last
        // 20 days (11-25 … 12-14). After: 180 is 6 a day, 6 × 17 = 102 ≥ 100 → the 17th day, 12-11.
        assert_eq!(p.before.runs_out_on, Some(d("2026-12-14")));
        assert_eq!(p.after.runs_out_on, Some(d("2026-12-11")));
        assert!(p.assumption.contains("1 person had not used a product they gain"), "{}", p.assumption);
        assert!(p.assumption.contains("30-day average of 5.0 tokens a day"), "{}", p.assumption);
        assert!(!p.assumption.contains("seat"), "{}", p.assumption);
    }

    #[test]
    fn a_person_losing_a_product_they_used_saves_their_own_use() {
        // Bo used Model 45 tokens in 30 days: 1.5 a day saved. Cy never used Draft: 0, said so.
        let recent = recent(&[("bo", "model", 45)], &[("model", 45)], &[("model", 1), ("draft", 2)]);
        let lots = [lot("a", "2026-06-01", 100)];
        let changes =
            [change("bo", &["draft", "model"], &["draft"], &[]), change("cy", &["draft"], &[], &[])];
        let p = cost_preview(&changes, &recent, &lots, noon("2026-11-25"));
        assert_eq!(
            p.lines,
            vec![pair("bo", "model", false, 45.0, Basis::Own), pair("cy", "draft", false, 0.0, Basis::NoUse)]
        );
        assert_eq!((p.people, p.estimated_people), (2, 0));
        assert!(close(p.added_per_day, 0.0) && close(p.removed_per_day, 1.5) && close(p.net_per_day(), -1.5));
        // Before: ⌊45·(k+1)/30⌋ reaches 100 at k + 1 = 67 (100.5; 99 at 66): k = 66, and
        // 11-25 + 66 days = 2027-01-30. After: 45 − 45 = 0 used, so the lot lapses whole.
        assert_eq!(p.before.runs_out_on, Some(d("2027-01-30")));
        assert_eq!(p.after, Forecast { runs_out_on: None, lapses: vec![(d("2027-06-01"), 100)] });
        assert!(!p.assumption.contains("had not used"), "{}", p.assumption);
    }

    #[test]
    fn a_purchase_expiring_within_the_window_lapses_less_when_use_grows() {
        // Lot a: 40 left, expires 2026-12-01; lot b: 1000, expires 2027-10-01. Dee gains Render
        // at 60 / 2 = 30 tokens, so the team goes from 150 (5 a day) to 180 (6 a day).
        let lots = [lot("a", "2025-12-01", 40), lot("b", "2026-10-01", 1000)];
        let now = noon("2026-11-25");
        let recent = recent(&[], &[("render", 60), ("draft", 90)], &[("render", 2), ("draft", 3)]);
        let p = cost_preview(&[change("dee", &["draft"], &["draft", "render"], &[])], &recent, &lots, now);
        assert_eq!(p.lines, vec![pair("dee", "render", true, 30.0, Basis::TeamAverage)]);
        // Before: a pays 11-25..11-30 (6 × 5 = 30), 10 lapse on 12-01; b lasts 1000 / 5 = 200
        // days from 12-01, to 2027-06-18.
        assert_eq!(p.before.lapses, vec![(d("2026-12-01"), 10)]);
        assert_eq!(p.before.runs_out_on, Some(d("2027-06-18")));
        // After: a pays 6 × 6 = 36, 4 lapse; b pays 6 a day, ⌈1000 / 6⌉ = 167 days from 12-01:
        // 12-01 + 166 days = 2027-05-16.
        assert_eq!(p.after.lapses, vec![(d("2026-12-01"), 4)]);
        assert_eq!(p.after.runs_out_on, Some(d("2027-05-16")));
        assert_eq!(
            lapses_by_purchase(&lots, now, 150, PREVIEW_DAYS),
            vec![("a".to_string(), d("2026-12-01"), 10)]
        );
        assert_eq!(
            lapses_by_purchase(&lots, now, 180, PREVIEW_DAYS),
            vec![("a".to_string(), d("2026-12-01"), 4)]
        );
    }

    #[test]
    fn defaults_overriding_a_selection_give_and_take_pairs() {
        // The caller resolves each person's products under the current and the proposed
        // settings; here defaults go from off to {draft, sim}, guests not included.
        let catalogue = set(&["draft", "model", "sim"]);
        let current = TeamFlexSettings::default();
        let proposed = TeamFlexSettings { defaults: set(&["draft", "sim"]), guest_defaults: false };
        let people = [
            ("cy", Individual::Products(set(&["draft", "model"])), false),
            ("eve", Individual::All, false),
            ("gus", Individual::Products(set(&["model"])), true),
        ];
        let changes: Vec<PersonChange> = people
            .iter()
            .map(|(account, own, guest)| PersonChange {
                account: account.to_string(),
                before: flex_products(own, *guest, &current, &catalogue),
                after: flex_products(own, *guest, &proposed, &catalogue),
                seats: BTreeSet::new(),
            })
            .collect();
        assert_eq!(
            (&changes[0].before, &changes[0].after),
            (&set(&["draft", "model"]), &set(&["draft", "sim"]))
        );
        assert_eq!(changes[2].before, changes[2].after);
        let recent = recent(
            &[("cy", "model", 60), ("cy", "draft", 30), ("eve", "draft", 24), ("eve", "sim", 6)],
            &[("draft", 54), ("model", 60), ("sim", 24)],
            &[("draft", 2), ("model", 3), ("sim", 2)],
        );
        assert_eq!(recent.team_tokens, 138);
        let lots = [lot("a", "2026-06-01", 100)];
        let p = cost_preview(&changes, &recent, &lots, noon("2026-11-25"));
        // Cy loses Model (own 60) and gains Sim (24 / 2 = 12); Eve's "all" shrinks to the
        // defaults: she loses Model, which she never used. Gus, a guest, keeps his own.
        assert_eq!(
            p.lines,
            vec![
                pair("cy", "model", false, 60.0, Basis::Own),
                pair("cy", "sim", true, 12.0, Basis::TeamAverage),
                pair("eve", "model", false, 0.0, Basis::NoUse),
            ]
        );
        assert_eq!((p.people, p.estimated_people), (2, 1));
        // 12 / 30 = 0.4 added, 60 / 30 = 2 removed.
        assert!(close(p.added_per_day, 0.4) && close(p.removed_per_day, 2.0));
        // Before: 138 over 30 → ⌊138·22/30⌋ = 101 ≥ 100 (96 at 21): k = 21, 12-16. After:
        // 138 + 12 − 60 = 90, 3 a day → ⌈100 / 3⌉ = 34 days: k = 33, 12-28 (later).
        assert_eq!(p.before.runs_out_on, Some(d("2026-12-16")));
        assert_eq!(p.after.runs_out_on, Some(d("2026-12-28")));
    }

    #[test]
    fn a_guest_the_defaults_skip_changes_nothing() {
        let recent = recent(&[("gus", "model", 30)], &[("model", 30)], &[("model", 1)]);
        let lots = [lot("a", "2026-06-01", 100)];
        let now = noon("2026-11-25");
        for changes in [vec![change("gus", &["model"], &["model"], &[])], vec![]] {
            let p = cost_preview(&changes, &recent, &lots, now);
            assert_eq!((p.people, p.estimated_people, p.covered_by_seats, p.lines.len()), (0, 0, 0, 0));
            assert_eq!((p.added_per_day, p.removed_per_day, p.net_per_day()), (0.0, 0.0, 0.0));
            assert_eq!(p.after, p.before);
            // 30 over 30 is 1 a day: 100 days, 11-25 + 99 = 2027-03-04.
            assert_eq!(p.before.runs_out_on, Some(d("2027-03-04")));
            assert!(
                p.assumption.starts_with("This change gives and takes no Flex product"),
                "{}",
                p.assumption
            );
            assert!(
                p.assumption.contains("stay as they are") && !p.assumption.contains("run-out date assumes")
            );
        }
    }

    #[test]
    fn pairs_a_seat_covers_are_left_out_and_counted() {
        // Hal: Draft (lost) and Model (gained) are seat products; Render, used 15 tokens
        // recently, is his own figure. Ivy gains only Model, which her seat covers.
        let recent = recent(&[("hal", "render", 15)], &[("render", 15)], &[("render", 1)]);
        let changes = [
            change("hal", &["draft"], &["model", "render"], &["draft", "model"]),
            change("ivy", &[], &["model"], &["model"]),
        ];
        let now = noon("2026-11-25");
        let p = cost_preview(&changes, &recent, &[], now);
        assert_eq!(p.lines, vec![pair("hal", "render", true, 15.0, Basis::Own)]);
        assert_eq!((p.people, p.estimated_people, p.covered_by_seats), (1, 0, 3));
        assert!(close(p.added_per_day, 0.5)); // 15 / 30
        assert!(p
            .assumption
            .contains("3 products people hold a seat of are left out: a seat costs no tokens."));
        // Ivy alone: nothing that costs tokens moves, and the one seat pair is said.
        let p = cost_preview(&changes[1..], &recent, &[], now);
        assert_eq!((p.people, p.covered_by_seats), (0, 1));
        assert!(p.assumption.starts_with("This change gives and takes no Flex product"));
        assert!(p.assumption.contains("1 product a person holds a seat of is left out"), "{}", p.assumption);
    }

    #[test]
    fn a_product_nobody_runs_yet_counts_at_the_teams_tokens_per_holding() {
        // Nobody may run "new": 120 team tokens over 2 + 2 holdings = 30.
        let recent = recent(&[], &[("draft", 80), ("model", 40)], &[("draft", 2), ("model", 2)]);
        let p = cost_preview(&[change("jo", &[], &["new"], &[])], &recent, &[], noon("2026-11-25"));
        assert_eq!(p.lines, vec![pair("jo", "new", true, 30.0, Basis::TeamAverage)]);
        assert_eq!(p.estimated_people, 1);
        assert!(p.assumption.contains("Nobody may run one such product yet"), "{}", p.assumption);
        // No Flex use at all: nothing to go on, counted at 0 and said so.
        let p =
            cost_preview(&[change("jo", &[], &["new"], &[])], &RecentUse::default(), &[], noon("2026-11-25"));
        assert_eq!(p.lines, vec![pair("jo", "new", true, 0.0, Basis::NoUse)]);
        assert_eq!((p.people, p.estimated_people), (1, 0));
        assert!(p
            .assumption
            .contains("1 product a person gains without having used it is counted at 0 tokens"));
        assert!(p.assumption.contains("keeps using no Flex tokens"), "{}", p.assumption);
    }

    #[test]
    fn lines_run_largest_first_then_by_account_and_product() {
        // a and b: 20 tokens over 2 holders = 10 each; Lee's own c: 30.
        let recent =
            recent(&[("lee", "c", 30)], &[("a", 20), ("b", 20), ("c", 30)], &[("a", 2), ("b", 2), ("c", 1)]);
        let changes = [
            change("kim", &[], &["b", "a"], &[]),
            change("al", &[], &["b"], &[]),
            change("lee", &["c"], &[], &[]),
        ];
        let p = cost_preview(&changes, &recent, &[], noon("2026-11-25"));
        let order: Vec<(&str, &str)> =
            p.lines.iter().map(|l| (l.account.as_str(), l.product.as_str())).collect();
        assert_eq!(order, [("lee", "c"), ("al", "b"), ("kim", "a"), ("kim", "b")]);
        assert_eq!((p.people, p.estimated_people), (3, 2));
        assert!(p.assumption.contains("2 people had not used a product they gain"), "{}", p.assumption);
    }

    fn prices() -> Vec<ProductPrice> {
        let price = |p: &str, flex: Option<i64>, seat: Option<i64>| ProductPrice {
            product: p.into(),
            flex_rate: flex,
            seat_tokens: seat,
        };
        vec![
            price("draft", Some(10), Some(1200)),
            price("motion", Some(5), Some(300)),
            price("model", Some(10), Some(1200)),
            price("even", Some(10), Some(120)),
            price("sketch", Some(3), None),
        ]
    }

    fn seat(
        account: &str,
        product: &str,
        subscription: bool,
        held: i64,
        used: Option<i64>,
        days: i64,
    ) -> SeatFigures {
        let now = noon("2026-11-25");
        SeatFigures {
            account: account.into(),
            product: product.into(),
            subscription,
            assigned_at: now - Duration::days(held),
            last_used: used.map(|u| now - Duration::days(u)),
            days_used: days,
        }
    }

    fn flex(account: &str, product: &str, tokens: i64, days: i64) -> FlexFigures {
        FlexFigures { account: account.into(), product: product.into(), tokens, days }
    }

    fn advise(
        seats: &[SeatFigures],
        flex: &[FlexFigures],
        holders: &[(&str, &str)],
        lots: &[Lot],
    ) -> Vec<Advice> {
        let holders = holders.iter().map(|(a, p)| (a.to_string(), p.to_string())).collect();
        licence_advice(seats, flex, &holders, &prices(), lots, 150, noon("2026-11-25"))
    }

    #[test]
    fn no_seat_price_no_advice_about_paying() {
        // 900 tokens in 90 days is 3,650 a year, but Sketch has no seat price; nor has a
        // product missing from the price list. A seat used once in 90 days: same.
        let seats =
            [seat("kim", "sketch", true, 100, Some(1), 1), seat("kim", "gone", true, 100, Some(1), 1)];
        let flex = [flex("kim", "sketch", 900, 90), flex("kim", "gone", 900, 90)];
        assert_eq!(advise(&seats, &flex, &[], &[]), vec![]);
    }

    #[test]
    fn a_seat_is_idle_from_thirty_days_unused_and_held() {
        let seats = [
            seat("a", "sketch", true, 30, None, 0),      // held 30, never used: idle
            seat("b", "sketch", true, 29, None, 0),      // held 29: not yet
            seat("c", "sketch", true, 100, Some(30), 1), // last used 30 days ago: idle
            seat("d", "sketch", true, 100, Some(29), 1), // 29 days ago: not yet
            seat("e", "sketch", false, 45, None, 0),     // a trial counts too
        ];
        let got = advise(&seats, &[], &[], &[]);
        let idle: Vec<(&str, i64, bool)> = got
            .iter()
            .map(|a| match a {
                Advice::IdleSeat { account, idle_days, subscription, .. } => {
                    (account.as_str(), *idle_days, *subscription)
                }
                other => panic!("{other:?}"),
            })
            .collect();
        // All save 0 (Sketch has no seat price), so they run by account.
        assert_eq!(idle, [("a", 30, true), ("c", 30, true), ("e", 45, false)]);
        assert_eq!(got[2].figures("Eli", "Sketch"), "Eli holds a Sketch trial seat and has not used it for 45 days (assigned 2026-10-11, never used).");
        assert_eq!(got[1].figures("Cas", "Sketch"), "Cas holds a Sketch subscription seat and has not used it for 30 days (assigned 2026-08-17, last used 2026-10-26).");
        assert_eq!(
            got[0].assumption(),
            "A seat unused for 30 days is probably not needed; unassigning frees it for someone else."
        );
        assert_eq!(got[0].kind(), "idle_seat");
    }

    #[test]
    fn an_idle_seat_reads_as_the_brief_and_saves_its_price() {
        // Assigned 2026-09-01 at noon, never used: on 2026-10-16 at noon, 45 days.
        let now = noon("2026-10-16");
        let alex = SeatFigures {
            account: "alex".into(),
            product: "draft".into(),
            subscription: true,
            assigned_at: noon("2026-09-01"),
            last_used: None,
            days_used: 0,
        };
        let trial = SeatFigures { account: "bea".into(), subscription: false, ..alex.clone() };
        let got = licence_advice(&[trial, alex], &[], &BTreeSet::new(), &prices(), &[], 0, now);
        assert_eq!(
            got[0].figures("Alex", "Draft 2D"),
            "Alex holds a Draft 2D subscription seat and has not used it for 45 days (assigned 2026-09-01, never used)."
        );
        // The subscription seat frees 1,200 tokens' worth; a trial costs nothing, so it sorts after.
        assert_eq!((got[0].saving(), got[1].saving()), (1200, 0));
    }

    #[test]
    fn flex_use_above_a_seats_price_is_cheaper_on_a_seat() {
        let flex = [
            flex("kim", "motion", 90, 10),  // 90 × 365 / 90 = 365 > 300: saves 65
            flex("ned", "motion", 75, 9),   // 75 × 365 / 90 = 304.2 → 304 > 300: saves 4
            flex("lou", "motion", 74, 9),   // 74 × 365 / 90 = 300.1 → 300, not more: nothing
            flex("max", "motion", 900, 30), // holds a seat already: nothing
        ];
        let got = advise(&[], &flex, &[("max", "motion")], &[]);
        let who: Vec<(&str, i64, i64)> = got
            .iter()
            .map(|a| match a {
                Advice::CheaperOnSeat { account, yearly_tokens, .. } => {
                    (account.as_str(), *yearly_tokens, a.saving())
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(who, [("kim", 365, 65), ("ned", 304, 4)]);
        assert_eq!(
            got[0].figures("Kim", "Motion Forge"),
            "Kim used Motion Forge on 10 days in the last 90 days on Flex, 90 tokens: at that pace 365 tokens a year. \
             A seat costs 300 tokens a year."
        );
        assert!(got[0]
            .assumption()
            .starts_with("Assumes the next year's use keeps the pace of the last 90 days"));
        assert_eq!(got[0].kind(), "cheaper_on_seat");
    }

    #[test]
    fn a_little_used_subscription_seat_is_cheaper_on_flex_but_not_a_trial_or_a_new_seat() {
        let seats = [
            // 3 × 365 / 90 = 12.2 → 12 days, 120 tokens < 1,200: saves 1,080.
            seat("sam", "model", true, 120, Some(2), 3),
            seat("tia", "model", false, 120, Some(2), 3), // a trial: nothing
            seat("uma", "model", true, 29, Some(1), 2),   // held 29 days: too early
            // Held 30 days: 2 × 365 / 30 = 24.3 → 24 days, 240 < 1,200: saves 960.
            seat("vic", "model", true, 30, Some(1), 2),
            // 40 × 365 / 90 = 162.2 → 162 days, 1,620 ≥ 1,200: nothing.
            seat("wes", "model", true, 200, Some(1), 40),
            // 12 days × 10 = 120, exactly the seat's 120: nothing.
            seat("xan", "even", true, 120, Some(1), 3),
        ];
        let got = advise(&seats, &[], &[], &[]);
        let who: Vec<(&str, i64, i64, i64)> = got
            .iter()
            .map(|a| match a {
                Advice::CheaperOnFlex { account, over_days, yearly_days, .. } => {
                    (account.as_str(), *over_days, *yearly_days, a.saving())
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(who, [("sam", 90, 12, 1080), ("vic", 30, 24, 960)]);
        assert_eq!(
            got[0].figures("Sam", "Model 3D"),
            "Sam used Model 3D on 3 of the last 90 days: at that pace 12 days a year, 120 tokens on Flex at 10 a day. \
             Their seat costs 1,200 tokens a year."
        );
        assert!(got[1].assumption().contains("the pace of the last 30 days"), "{}", got[1].assumption());
        assert_eq!(got[0].kind(), "cheaper_on_flex");
    }

    #[test]
    fn lapsing_tokens_are_advised_per_purchase() {
        // As in the preview: at 150 over 30 days (5 a day) lot a lapses 10 on 2026-12-01.
        let lots = [lot("a", "2025-12-01", 40), lot("b", "2026-10-01", 1000)];
        let got = advise(&[], &[], &[], &lots);
        assert_eq!(
            got,
            vec![Advice::Lapsing {
                purchase_id: "a".into(),
                purchased_at: lots[0].purchased_at,
                expires_on: d("2026-12-01"),
                tokens: 10,
                trailing_used: 150,
            }]
        );
        assert_eq!(
            got[0].figures("", ""),
            "10 tokens of the purchase of 2025-12-01 will lapse unused on 2026-12-01."
        );
        assert!(got[0].assumption().contains("(5.0 tokens a day)"), "{}", got[0].assumption());
        assert_eq!((got[0].saving(), got[0].kind()), (10, "lapsing"));
        // With no use, both lapse whole: the larger first.
        let none = licence_advice(&[], &[], &BTreeSet::new(), &[], &lots, 0, noon("2026-11-25"));
        let lapses: Vec<(String, i64)> = none.iter().map(|a| (a.figures("", ""), a.saving())).collect();
        assert_eq!(
            lapses,
            [
                (
                    "1,000 tokens of the purchase of 2026-10-01 will lapse unused on 2027-10-01.".to_string(),
                    1000
                ),
                ("40 tokens of the purchase of 2025-12-01 will lapse unused on 2026-12-01.".to_string(), 40),
            ]
        );
        assert!(none[0].assumption().starts_with("The team used no Flex tokens in the last 30 days"));
    }

    #[test]
    fn advice_runs_by_kind_then_saving() {
        let seats = [
            seat("a", "sketch", true, 60, None, 0),    // idle, saves 0
            seat("b", "draft", true, 60, None, 0),     // idle, saves 1,200
            seat("c", "model", true, 120, Some(2), 3), // cheaper on Flex
        ];
        let flex = [flex("k", "motion", 90, 10)];
        let lots = [lot("p", "2025-12-01", 40)];
        let got = advise(&seats, &flex, &[], &lots);
        let seen: Vec<(&str, i64)> = got.iter().map(|a| (a.kind(), a.saving())).collect();
        // Lot p: 5 a day from 11-25 to 11-30 is 30, 10 lapse.
        assert_eq!(
            seen,
            [
                ("idle_seat", 1200),
                ("idle_seat", 0),
                ("cheaper_on_seat", 65),
                ("cheaper_on_flex", 1080),
                ("lapsing", 10)
            ]
        );
    }

    #[test]
    fn lapses_of_two_purchases_expiring_the_same_day_are_told_apart() {
        // Both expire 2026-12-10; 1 a day from 11-25 to 12-09 (15 tokens) comes out of d,
        // the smaller, first (as the forecast orders them): d keeps 5, c all 30.
        let mut late = lot("d", "2025-12-10", 20);
        late.purchased_at += Duration::hours(6);
        late.expires_at += Duration::hours(6);
        let lots = [lot("c", "2025-12-10", 30), late];
        let now = noon("2026-11-25");
        assert_eq!(
            lapses_by_purchase(&lots, now, 30, 30),
            vec![("d".to_string(), d("2026-12-10"), 5), ("c".to_string(), d("2026-12-10"), 30)]
        );
        assert_eq!(forecast(&lots, now, 30, 30).lapses, vec![(d("2026-12-10"), 35)]);
    }

    /// Property: summed per expiry day, the lapses per purchase are the forecast's, over
    /// random purchases (spent, expired and future ones too), rates and windows. A small
    /// xorshift generator keeps the test deterministic and dependency-free.
    #[test]
    fn lapses_by_purchase_add_up_to_the_forecasts() {
        let now = noon("2026-11-25");
        let mut with_lapses = 0;
        for seed in 1..=300u64 {
            let mut x = seed;
            let mut next = |n: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % n
            };
            let lots: Vec<Lot> = (0..1 + next(6))
                .map(|i| {
                    let at = now - Duration::days(next(420) as i64 - 10) + Duration::hours(next(24) as i64);
                    Lot {
                        purchase_id: format!("p{i}"),
                        purchased_at: at,
                        expires_at: crate::tokens::expiry_of(at),
                        remaining: next(1500) as i64,
                    }
                })
                .collect();
            let used = next(900) as i64;
            let over = if next(2) == 0 { PREVIEW_DAYS } else { 1 + next(60) as i64 };
            let mut summed: Vec<(NaiveDate, i64)> = Vec::new();
            for (id, day, n) in lapses_by_purchase(&lots, now, used, over) {
                let lot = lots.iter().find(|l| l.purchase_id == id).unwrap();
                assert!(n > 0 && n <= lot.remaining && day == lot.expires_at.date_naive(), "seed {seed}");
                match summed.last_mut() {
                    Some((d, total)) if *d == day => *total += n,
                    _ => summed.push((day, n)),
                }
            }
            assert_eq!(summed, forecast(&lots, now, used, over).lapses, "seed {seed}");
            with_lapses += usize::from(summed.len() > 1);
        }
        // Not vacuous: many cases lapse on more than one day.
        assert!(with_lapses > 50, "{with_lapses}");
    }

    #[test]
    fn serde_shape() {
        assert_eq!(serde_json::to_string(&Basis::TeamAverage).unwrap(), r#""team_average""#);
        let a = Advice::CheaperOnSeat {
            account: "kim".into(),
            product: "motion".into(),
            tokens: 90,
            days: 10,
            yearly_tokens: 365,
            seat_tokens: 300,
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["kind"], "cheaper_on_seat");
        assert_eq!(json["yearly_tokens"], 365);
        assert_eq!(serde_json::from_value::<Advice>(json).unwrap(), a);
    }

    #[test]
    fn the_summary_says_the_rate_and_how_the_run_out_date_moves() {
        let now = noon("2026-06-01");
        // 300 tokens left, lapsing 2027-01-01; the team used 30 in 30 days: 1 a day.
        let lots = [lot("p", "2026-01-01", 300)];
        let recent = recent(&[("ana", "motion", 60)], &[("motion", 30)], &[("motion", 1)]);
        // Bo gains Motion Forge at the team's average (30 tokens over 30 days: 1 a day); Ana
        // loses it: her own 60 over 30 days, 2 a day. Net −1 a day: 30 − 30 = 0 tokens a day.
        let preview = cost_preview(
            &[change("bo", &[], &["motion"], &[]), change("ana", &["motion"], &[], &[])],
            &recent,
            &lots,
            now,
        );
        let said = preview.summary();
        assert!(
            said.starts_with("About 1.0 tokens a day more and 2.0 fewer: -1.0 a day on balance."),
            "{said}"
        );
        // Before: 1 a day from 2026-06-01 spends 214 of the 300 by 2027-01-01, 86 lapse; after:
        // nothing is spent and all 300 lapse.
        assert_eq!(preview.before.expiring_unused(), 86);
        assert!(said.contains("The tokens still last until their purchases lapse."), "{said}");
        assert!(said.ends_with("300 tokens lapse unused instead of 86."), "{said}");
        let none = cost_preview(&[change("cy", &["a"], &["a"], &[])], &recent, &lots, now);
        assert!(none.summary().starts_with("No change in Flex tokens"), "{}", none.summary());
        // A heavy gain makes the tokens run out before they lapse.
        let heavy = recent_with_heavy();
        let p = cost_preview(&[change("dee", &[], &["motion"], &[])], &heavy, &lots, now);
        let said = p.summary();
        assert!(said.contains("The tokens run out on ") && said.contains("; now they last until"), "{said}");
    }

    fn recent_with_heavy() -> RecentUse {
        recent(&[("dee", "motion", 3000)], &[("motion", 30)], &[("motion", 1)])
    }

    /// The demo's Northwind (src/seed.rs), whose figures the browser test checks in the
    /// defaults dialog: Flex users Priya (Motion Forge, 72 tokens in the last 30 days),
    /// Quentin (Plant Designer, 32), Sven and Tomasz (Survey Pro, 25 and 20): 149 in all.
    /// Defaults of Draft 2D and Model 3D replace each one's product with those two, which
    /// nobody may run yet: each is counted at 149 tokens over the 4 products held, 37.25.
    #[test]
    fn the_demo_defaults_change_adds_eight_team_average_pairs_and_drops_four_own() {
        let recent = RecentUse {
            by_person: [
                ("priya", "motion", 72),
                ("quentin", "plant", 32),
                ("sven", "survey", 25),
                ("tomasz", "survey", 20),
            ]
            .into_iter()
            .map(|(a, p, n)| ((a.to_string(), p.to_string()), n))
            .collect(),
            by_product: [("motion", 72), ("plant", 32), ("survey", 45)]
                .into_iter()
                .map(|(p, n)| (p.to_string(), n))
                .collect(),
            holders: [("motion", 1), ("plant", 1), ("survey", 2), ("draft", 0), ("model", 0)]
                .into_iter()
                .map(|(p, n)| (p.to_string(), n))
                .collect(),
            team_tokens: 149,
        };
        let defaults = ["draft", "model"];
        let changes = [
            change("priya", &["motion"], &defaults, &[]),
            change("quentin", &["plant"], &defaults, &[]),
            change("sven", &["survey"], &defaults, &[]),
            change("tomasz", &["survey"], &defaults, &[]),
        ];
        let p = cost_preview(&changes, &recent, &[lot("p", "2026-03-01", 1000)], noon("2026-06-01"));
        // Added 8 × 37.25 = 298 over 30 days (9.93 a day); removed 72 + 32 + 25 + 20 = 149 (4.97).
        assert!(close(p.added_per_day, 298.0 / 30.0) && close(p.removed_per_day, 149.0 / 30.0), "{p:?}");
        assert_eq!((p.people, p.estimated_people), (4, 4));
        assert!(
            p.summary().starts_with("About 9.9 tokens a day more and 5.0 fewer: +5.0 a day on balance."),
            "{}",
            p.summary()
        );
    }
}
