//! R-USE1 as plain rules: the date range a usage view covers, how a range splits into the
//! roll-ups' whole months and loose days, the balance forecast, and formula-safe CSV cells.
use super::ledger::Lot;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// The default range: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest range a view accepts (two years and a leap day).
pub const MAX_DAYS: i64 = 731;
/// The forecast extrapolates the average use of this many days, today included.
pub const TRAILING_DAYS: i64 = 30;

/// Why a date range was refused, naming the field and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("“{value}” is not a date. Use the form YYYY-MM-DD, for example 2026-11-01.")]
    NotADate { field: &'static str, value: String },
    #[error("The start date {from} is after the end date {to}. Swap them or pick another start.")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("The start date {from} is in the future. Pick today ({today}) or earlier.")]
    StartsInFuture { from: NaiveDate, today: NaiveDate },
    #[error("That range is {days} days long; a view covers at most {MAX_DAYS} days. Pick a later start.")]
    TooLong { days: i64 },
}

impl RangeError {
    pub fn field(&self) -> &'static str {
        match self {
            RangeError::NotADate { field, .. } => field,
            RangeError::Reversed { .. } | RangeError::StartsInFuture { .. } | RangeError::TooLong { .. } => {
                "from"
            }
        }
    }
}

/// An inclusive range of UTC days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn parse_day(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, RangeError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| RangeError::NotADate { field, value: s.chars().take(40).collect() }),
    }
}

impl DateRange {
    /// The range from query parameters. Missing ends default to "the 30 days up to today";
    /// an end after today is read as today (there is no use to show yet).
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Self, RangeError> {
        let from_day = parse_day("from", from)?;
        let to_day = parse_day("to", to)?.map_or(today, |t| t.min(today));
        let from_day = from_day.unwrap_or(to_day - Duration::days(DEFAULT_DAYS - 1));
        if from_day > today {
            return Err(RangeError::StartsInFuture { from: from_day, today });
        }
        if from_day > to_day {
            return Err(RangeError::Reversed { from: from_day, to: to_day });
        }
        let range = DateRange { from: from_day, to: to_day };
        if range.days() > MAX_DAYS {
            return Err(RangeError::TooLong { days: range.days() });
        }
        Ok(range)
    }

    /// The last `days` days up to `today`.
    pub fn last(days: i64, today: NaiveDate) -> Self {
        DateRange { from: today - Duration::days(days.max(1) - 1), to: today }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn each_day(&self) -> impl Iterator<Item = NaiveDate> {
        let from = self.from;
        (0..self.days()).map(move |i| from + Duration::days(i))
    }

    /// How the roll-ups cover the range: whole calendar months from the monthly table,
    /// the loose days before and after them from the daily one.
    pub fn split(&self) -> Split {
        let first_whole = if self.from.day() == 1 { self.from } else { first_of_next_month(self.from) };
        let last_whole =
            if is_last_of_month(self.to) { self.to } else { first_of_month(self.to) - Duration::days(1) };
        if first_whole > last_whole {
            return Split { head: Some(*self), months: None, tail: None };
        }
        Split {
            head: (self.from < first_whole)
                .then(|| DateRange { from: self.from, to: first_whole - Duration::days(1) }),
            months: Some((month_key(first_whole), month_key(last_whole))),
            tail: (self.to > last_whole)
                .then(|| DateRange { from: last_whole + Duration::days(1), to: self.to }),
        }
    }
}

/// A range as the roll-ups read it. `months` are inclusive "YYYY-MM" keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub head: Option<DateRange>,
    pub months: Option<(String, String)>,
    pub tail: Option<DateRange>,
}

pub fn day_key(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn month_key(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

fn is_last_of_month(d: NaiveDate) -> bool {
    (d + Duration::days(1)).day() == 1
}

/// What the forecast expects at the trailing rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forecast {
    /// The day the last usable token is spent, if that happens before everything lapses.
    pub runs_out_on: Option<NaiveDate>,
    /// Tokens that lapse unused, per expiry day, in date order.
    pub lapses: Vec<(NaiveDate, i64)>,
}

impl Forecast {
    pub fn expiring_unused(&self) -> i64 {
        self.lapses.iter().map(|(_, n)| n).sum()
    }
}

/// Plays the balance forward a day at a time from `now`: each day spends the average of
/// `used` tokens over `over_days` (exactly: day k spends ⌊used·(k+1)/over_days⌋ −
/// ⌊used·k/over_days⌋, so fractions add up without drift), earliest-expiring lots first
/// like real charges; a lot lapses on its expiry day with whatever it has left. Assumes
/// nothing is bought or moved meanwhile.
pub fn forecast(lots: &[Lot], now: DateTime<Utc>, used: i64, over_days: i64) -> Forecast {
    let mut lots: Vec<(NaiveDate, i64)> = lots
        .iter()
        .filter(|l| l.remaining > 0 && l.expires_at > now && l.purchased_at <= now)
        .map(|l| (l.expires_at.date_naive(), l.remaining))
        .collect();
    lots.sort();
    let (used, over_days) = (used.max(0), over_days.max(1));
    let today = now.date_naive();
    let mut lapses: Vec<(NaiveDate, i64)> = Vec::new();
    let mut runs_out_on = None;
    let mut k: i64 = 0;
    while !lots.is_empty() {
        let day = today + Duration::days(k);
        // Lots expiring today are gone before today's use: the forecast errs early.
        while let Some(&(expires, left)) = lots.first() {
            if expires > day {
                break;
            }
            match lapses.last_mut() {
                Some((d, n)) if *d == expires => *n += left,
                _ => lapses.push((expires, left)),
            }
            lots.remove(0);
        }
        if lots.is_empty() {
            break;
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
        if lots.is_empty() {
            runs_out_on = Some(day);
        }
        k += 1;
    }
    Forecast { runs_out_on, lapses }
}

/// A text cell a spreadsheet will not read as a formula: cells starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return get a leading apostrophe (OWASP's advice).
pub fn formula_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// One line of a team's token history (R-USE1): what changed the balance, when, by how
/// much (negative: tokens left the team), in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryLine {
    pub at: DateTime<Utc>,
    /// "purchase", "expiry", "move_in", "move_out" or "usage".
    pub kind: String,
    pub label: String,
    pub tokens: i64,
}

/// A ledger entry the history shows: its kind (as the ledger names it), amount and time.
pub struct LedgerLine<'a> {
    pub kind: &'a str,
    pub amount: i64,
    pub at: DateTime<Utc>,
}

/// A day's Flex use: tokens charged and 24-hour windows opened.
pub struct FlexDay {
    pub day: NaiveDate,
    pub tokens: i64,
    pub windows: i64,
}

/// Purchases whose tokens have expired at `now` but are not yet written off (the ledger
/// writes the expiry when the team is next charged): these count as expired everywhere,
/// so the figures always add up.
pub fn lapsed(lots: &[Lot], now: DateTime<Utc>) -> Vec<&Lot> {
    lots.iter().filter(|l| l.remaining > 0 && l.expires_at <= now).collect()
}

/// The token history since `since`, newest first: purchases, expiries and moves from the
/// ledger; the `lapsed` lots that expired since then (as expiries, at their expiry); and
/// each day of Flex use (at the day's last second, so it sorts after that day's purchases).
pub fn token_history(
    ledger: &[LedgerLine],
    lapsed: &[&Lot],
    flex_days: &[FlexDay],
    since: DateTime<Utc>,
) -> Vec<HistoryLine> {
    use crate::display::plural;
    let tokens = |n: i64| plural(n, "token", "tokens");
    let mut lines: Vec<HistoryLine> = ledger
        .iter()
        .map(|e| {
            let n = e.amount.abs();
            let label = match e.kind {
                "purchase" => format!("Purchase of {}", tokens(n)),
                "expiry" => format!("{} expired unused", tokens(n)),
                "move_in" => format!("{} moved in from another team", tokens(n)),
                _ => format!("{} moved to another team", tokens(n)),
            };
            HistoryLine { at: e.at, kind: e.kind.to_string(), label, tokens: e.amount }
        })
        .collect();
    lines.extend(lapsed.iter().filter(|l| l.expires_at >= since).map(|l| HistoryLine {
        at: l.expires_at,
        kind: "expiry".into(),
        label: format!("{} expired unused", tokens(l.remaining)),
        tokens: -l.remaining,
    }));
    lines.extend(flex_days.iter().filter(|u| u.tokens != 0).map(|u| HistoryLine {
        at: u.day.and_hms_opt(23, 59, 59).map_or(since, |t| t.and_utc()),
        kind: "usage".into(),
        label: format!("Flex use: {}", plural(u.windows, "24-hour window", "24-hour windows")),
        tokens: -u.tokens,
    }));
    lines.sort_by_key(|l| std::cmp::Reverse(l.at));
    lines
}

/// The forecast's assumption, in words, for `used` tokens over the last `days` days.
pub fn forecast_assumption(used: i64, days: i64) -> String {
    if used == 0 {
        format!(
            "There was no Flex use in the last {days} days, so the forecast assumes none: \
             every token left lapses on its purchase's expiry day. New purchases and moves are not foreseen."
        )
    } else {
        format!(
            "Assumes the team keeps using {:.1} tokens a day, its average over the last {days} days \
             ({} in all), spending the earliest-expiring purchase first; a purchase lapses on its expiry day \
             with whatever is left. New purchases and moves are not foreseen.",
            daily_rate(used, days),
            crate::display::plural(used, "token", "tokens")
        )
    }
}

/// Tokens a day, on average, for `used` tokens over `days` days.
pub fn daily_rate(used: i64, days: i64) -> f64 {
    used as f64 / days.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn lot(id: &str, purchased: &str, remaining: i64) -> Lot {
        let at = Utc.from_utc_datetime(&d(purchased).and_hms_opt(9, 0, 0).unwrap());
        Lot { purchase_id: id.into(), purchased_at: at, expires_at: crate::tokens::expiry_of(at), remaining }
    }

    fn noon(s: &str) -> DateTime<Utc> {
        Utc.from_utc_datetime(&d(s).and_hms_opt(12, 0, 0).unwrap())
    }

    #[test]
    fn range_defaults_to_the_last_thirty_days() {
        let today = d("2026-11-25");
        let r = DateRange::parse(None, None, today).unwrap();
        assert_eq!((r.from, r.to, r.days()), (d("2026-10-27"), today, 30));
        let r = DateRange::parse(Some(""), Some("2026-11-10"), today).unwrap();
        assert_eq!((r.from, r.to), (d("2026-10-12"), d("2026-11-10")));
        // An end in the future reads as today.
        let r = DateRange::parse(Some("2026-11-20"), Some("2027-01-01"), today).unwrap();
        assert_eq!((r.from, r.to, r.days()), (d("2026-11-20"), today, 6));
    }

    #[test]
    fn range_errors_name_the_field_and_the_fix() {
        let today = d("2026-11-25");
        let e = DateRange::parse(Some("25/11/2026"), None, today).unwrap_err();
        assert_eq!(e.field(), "from");
        assert!(e.to_string().contains("YYYY-MM-DD"), "{e}");
        assert_eq!(DateRange::parse(None, Some("2026-02-30"), today).unwrap_err().field(), "to");
        assert!(matches!(
            DateRange::parse(Some("2026-11-20"), Some("2026-11-01"), today),
            Err(RangeError::Reversed { .. })
        ));
        assert!(matches!(
            DateRange::parse(Some("2026-12-01"), None, today),
            Err(RangeError::StartsInFuture { .. })
        ));
        assert!(matches!(
            DateRange::parse(Some("2024-11-24"), None, today),
            Err(RangeError::TooLong { days: 732 })
        ));
        assert!(DateRange::parse(Some("2024-11-25"), None, today).is_ok());
    }

    #[test]
    fn a_range_splits_into_whole_months_and_loose_days() {
        let r = DateRange { from: d("2026-01-15"), to: d("2026-04-10") };
        assert_eq!(
            r.split(),
            Split {
                head: Some(DateRange { from: d("2026-01-15"), to: d("2026-01-31") }),
                months: Some(("2026-02".into(), "2026-03".into())),
                tail: Some(DateRange { from: d("2026-04-01"), to: d("2026-04-10") }),
            }
        );
        // Exactly whole months: no loose days.
        let r = DateRange { from: d("2025-12-01"), to: d("2026-02-28") };
        assert_eq!(
            r.split(),
            Split { head: None, months: Some(("2025-12".into(), "2026-02".into())), tail: None }
        );
        // Inside one month: all loose days.
        let r = DateRange { from: d("2026-03-02"), to: d("2026-03-30") };
        assert_eq!(r.split(), Split { head: Some(r), months: None, tail: None });
        // Straddling a month end without a whole month.
        let r = DateRange { from: d("2026-03-20"), to: d("2026-04-05") };
        assert_eq!(r.split(), Split { head: Some(r), months: None, tail: None });
        // Every day is counted exactly once.
        for (from, to) in
            [("2024-02-10", "2026-11-25"), ("2026-01-01", "2026-01-31"), ("2026-02-28", "2026-03-01")]
        {
            let r = DateRange { from: d(from), to: d(to) };
            let s = r.split();
            let loose: i64 = [s.head, s.tail].iter().flatten().map(|p| p.days()).sum();
            let whole: i64 = r
                .each_day()
                .filter(|day| {
                    s.months.as_ref().is_some_and(|(a, b)| &month_key(*day) >= a && &month_key(*day) <= b)
                })
                .count() as i64;
            assert_eq!(loose + whole, r.days(), "{from}..{to}");
        }
    }

    #[test]
    fn forecast_runs_out_when_use_outpaces_the_balance() {
        // 100 tokens left, 10 a day (300 over 30 days): today and the 9 days after.
        let f = forecast(&[lot("a", "2026-06-01", 100)], noon("2026-11-25"), 300, 30);
        assert_eq!(f.runs_out_on, Some(d("2026-12-04")));
        assert_eq!(f.expiring_unused(), 0);
    }

    #[test]
    fn forecast_spends_oldest_first_and_lapses_what_expires_unused() {
        // Lot a (40 left) expires 2026-12-01, lot b (1000) expires 2027-10-01. At 5 a day
        // from 2026-11-25: a pays 11-25..11-30 (30 tokens), its last 10 lapse on 12-01;
        // b pays 5 a day from 12-01 to 09-30 (304 days, 1520 > 1000) so it runs out first:
        // 1000 / 5 = 200 days from 12-01 → its last day is 2027-06-18.
        let lots = [lot("a", "2025-12-01", 40), lot("b", "2026-10-01", 1000)];
        let f = forecast(&lots, noon("2026-11-25"), 150, 30);
        assert_eq!(f.lapses, vec![(d("2026-12-01"), 10)]);
        assert_eq!(f.runs_out_on, Some(d("2027-06-18")));
    }

    #[test]
    fn forecast_with_slow_use_lapses_the_rest_of_each_purchase() {
        // 1 token every 3 days (10 over 30). Lot a: 20 left, expires 2027-01-10 (47 days:
        // days 2, 5, … → 15 spent by 01-09, 5 lapse). Lot b: 50 left, expires 2027-03-01
        // (50 days after 01-10: 17 spent, 33 lapse).
        let lots = [lot("a", "2026-01-10", 20), lot("b", "2026-03-01", 50)];
        let f = forecast(&lots, noon("2026-11-25"), 10, 30);
        assert_eq!(f.runs_out_on, None);
        assert_eq!(f.lapses, vec![(d("2027-01-10"), 5), (d("2027-03-01"), 33)]);
        assert_eq!(f.expiring_unused(), 38);
        // No use at all: everything lapses.
        let f = forecast(&lots, noon("2026-11-25"), 0, 30);
        assert_eq!((f.runs_out_on, f.expiring_unused()), (None, 70));
    }

    #[test]
    fn forecast_ignores_spent_expired_and_future_lots() {
        let now = noon("2026-11-25");
        let lots =
            [lot("old", "2025-01-01", 50), lot("empty", "2026-05-01", 0), lot("later", "2026-12-01", 9)];
        assert_eq!(forecast(&lots, now, 30, 30), Forecast { runs_out_on: None, lapses: vec![] });
    }

    #[test]
    fn formula_cells_are_defused() {
        for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(formula_safe(bad), format!("'{bad}"));
        }
        for fine in ["Ada Lovelace", "ada@example.com", "", "Model 3D"] {
            assert_eq!(formula_safe(fine), fine);
        }
    }

    #[test]
    fn the_history_lists_ledger_lapses_and_use_newest_first_in_words() {
        let at = |d: &str, h: u32| d_(d).and_hms_opt(h, 0, 0).unwrap().and_utc();
        fn d_(s: &str) -> NaiveDate {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
        }
        let since = at("2026-09-01", 0);
        let ledger = [
            LedgerLine { kind: "purchase", amount: 1000, at: at("2026-10-01", 9) },
            LedgerLine { kind: "move_out", amount: -1, at: at("2026-10-03", 9) },
        ];
        let lapsed_lot = Lot {
            purchase_id: "p".into(),
            purchased_at: at("2025-10-02", 9),
            expires_at: at("2026-10-02", 9),
            remaining: 20,
        };
        let old_lapse = Lot { expires_at: at("2026-08-01", 9), ..lapsed_lot.clone() };
        let flex = [
            FlexDay { day: d_("2026-10-01"), tokens: 10, windows: 1 },
            FlexDay { day: d_("2026-10-02"), tokens: 0, windows: 0 },
        ];
        let lines = token_history(&ledger, &[&lapsed_lot, &old_lapse], &flex, since);
        let seen: Vec<(&str, &str, i64)> =
            lines.iter().map(|l| (l.kind.as_str(), l.label.as_str(), l.tokens)).collect();
        assert_eq!(
            seen,
            [
                ("move_out", "1 token moved to another team", -1),
                ("expiry", "20 tokens expired unused", -20),
                ("usage", "Flex use: 1 24-hour window", -10),
                ("purchase", "Purchase of 1,000 tokens", 1000),
            ]
        );
    }

    #[test]
    fn the_assumption_states_the_rate_or_that_there_was_no_use() {
        assert!(forecast_assumption(0, 30).starts_with("There was no Flex use in the last 30 days"));
        let said = forecast_assumption(45, 30);
        assert!(said.contains("1.5 tokens a day") && said.contains("(45 tokens in all)"), "{said}");
    }
}
