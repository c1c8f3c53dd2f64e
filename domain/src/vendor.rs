//! R-VND1: the vendor's back office. What a support-level operator may put in the
//! catalogue and give a team, parsed once at the edge (command line or provisioning API)
//! so the services only ever see well-formed values.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A field of a back-office request that is missing or malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> FieldError {
    FieldError { field, problem: problem.into() }
}

/// A catalogue code: letters, digits, `-` and `_`, at most 40, kept in upper case (the
/// licensing API matches codes case-insensitively by upper-casing them too).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductCode(String);

impl ProductCode {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(bad("code", "is empty (expected a product code such as MODEL3D)"));
        }
        if s.len() > 40 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(bad(
                "code",
                format!("{s:?} is not a product code (up to 40 letters, digits, - and _)"),
            ));
        }
        let code = s.to_ascii_uppercase();
        // The console's assign dialog uses FLEX for the team's Flex offer.
        if code == "FLEX" {
            return Err(bad("code", "FLEX is reserved for Flex access; pick another code"));
        }
        Ok(ProductCode(code))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProductCode {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        ProductCode::parse(&s)
    }
}

impl From<ProductCode> for String {
    fn from(c: ProductCode) -> String {
        c.0
    }
}

impl std::fmt::Display for ProductCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A product's display name: trimmed, inner whitespace collapsed, 1 to 80 characters, no
/// control characters.
pub fn product_name(raw: &str) -> Result<String, FieldError> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err(bad("name", "is empty"));
    }
    if s.chars().count() > 80 {
        return Err(bad("name", "is longer than 80 characters"));
    }
    if s.chars().any(char::is_control) {
        return Err(bad("name", "contains a control character"));
    }
    Ok(s)
}

/// The most a Flex product may cost per day of use, and the most seats one subscription
/// may have: far above any real order, low enough that sums never overflow.
pub const MAX_FLEX_RATE: i64 = 100_000;
pub const MAX_SEATS: i64 = 1_000_000;

/// Tokens charged per day of use (R-FX1); a product without one is not on Flex.
pub fn flex_rate(rate: i64) -> Result<i64, FieldError> {
    if !(1..=MAX_FLEX_RATE).contains(&rate) {
        return Err(bad("flex_rate", format!("must be 1 to {MAX_FLEX_RATE} tokens per day, not {rate}")));
    }
    Ok(rate)
}

/// The most a seat may cost in tokens per year (R-ADV2): far beyond any price list.
pub const MAX_SEAT_TOKENS: i64 = 100_000_000;

/// What a seat of a product costs in Flex tokens per year (R-ADV2).
pub fn seat_tokens(n: i64) -> Result<i64, FieldError> {
    if !(1..=MAX_SEAT_TOKENS).contains(&n) {
        return Err(bad("seat_tokens", format!("must be 1 to {MAX_SEAT_TOKENS} tokens per year, not {n}")));
    }
    Ok(n)
}

/// The most tokens one purchase may add: far beyond any order, small enough that a team's
/// balance cannot overflow.
pub const MAX_TOKENS: i64 = 1_000_000_000;

pub fn token_amount(n: i64) -> Result<i64, FieldError> {
    if !(1..=MAX_TOKENS).contains(&n) {
        return Err(bad(
            "amount",
            format!("a purchase must be at least 1 token and at most {MAX_TOKENS}, not {n}"),
        ));
    }
    Ok(n)
}

pub fn seats(n: i64) -> Result<i64, FieldError> {
    if !(1..=MAX_SEATS).contains(&n) {
        return Err(bad("seats", format!("must be 1 to {MAX_SEATS}, not {n}")));
    }
    Ok(n)
}

/// The years an instant may fall in: four-digit years, so every stored time keeps one text
/// form that sorts as it should (and a purchase's expiry a year later still fits).
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9000;

/// An instant given as an RFC 3339 time, or as a date (`2027-12-31`), which means that day
/// as it begins in UTC: a subscription that `--ends 2027-12-31` is over from that midnight,
/// and the console shows "ends 2027-12-31".
pub fn instant(field: &'static str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    use chrono::Datelike;
    let s = raw.trim();
    let t = match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
            Err(_) => {
                return Err(bad(field, format!("{s:?} is neither a date (2027-12-31) nor an RFC 3339 time")))
            }
        },
    };
    if !YEARS.contains(&t.year()) {
        return Err(bad(field, format!("{s:?} is outside the years {} to {}", YEARS.start(), YEARS.end())));
    }
    Ok(t)
}

/// When a subscription or trial is live: from `starts_at` (inclusive) to `ends_at`
/// (exclusive), as the licensing check and the console read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Term {
    pub fn new(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<Term, FieldError> {
        if ends_at <= starts_at {
            return Err(bad(
                "ends",
                format!(
                    "{} is not after the start, {}",
                    ends_at.format("%Y-%m-%dT%H:%M:%SZ"),
                    starts_at.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            ));
        }
        Ok(Term { starts_at, ends_at })
    }

    pub fn overlaps(&self, other: &Term) -> bool {
        self.starts_at < other.ends_at && other.starts_at < self.ends_at
    }

    /// Live now or later: the seat rule still matters for it.
    pub fn not_over(&self, now: DateTime<Utc>) -> bool {
        self.ends_at > now
    }
}

/// Why a team cannot hold a subscription as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TermRefusal {
    /// Seats are counted per product, so one team holds one subscription or trial of a
    /// product at a time; a renewal starts when the current one ends.
    #[error("The team already holds {product} from {} to {}; change that subscription, or start this one on or after it ends.", day(.existing.starts_at), day(.existing.ends_at))]
    Overlaps { product: String, existing: Term },
    /// R-UM1: people already assigned keep their seats; the vendor cannot take them away.
    #[error("{assigned} people are assigned to {product}, so it cannot have {seats} seats. Unassign {} first.", .assigned - .seats)]
    SeatsInUse { product: String, assigned: i64, seats: i64 },
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// Whether a subscription of `product` with `term` and `seats` may stand beside the team's
/// `others` (its other subscriptions and trials of that product) while `assigned` people
/// hold that product's seats. A term already over frees the seat rule.
pub fn may_hold(
    product: &str,
    term: &Term,
    seats: i64,
    others: &[Term],
    assigned: i64,
    now: DateTime<Utc>,
) -> Result<(), TermRefusal> {
    if let Some(existing) = others.iter().find(|o| o.overlaps(term)) {
        return Err(TermRefusal::Overlaps { product: product.to_string(), existing: *existing });
    }
    if term.not_over(now) && assigned > seats {
        return Err(TermRefusal::SeatsInUse { product: product.to_string(), assigned, seats });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn codes_are_upper_case_and_plain() {
        assert_eq!(ProductCode::parse(" draft-2d ").unwrap().as_str(), "DRAFT-2D");
        assert_eq!(ProductCode::parse("").unwrap_err().field, "code");
        assert!(ProductCode::parse("a b").is_err());
        assert!(ProductCode::parse(&"A".repeat(41)).is_err());
        assert!(ProductCode::parse("flex").unwrap_err().problem.contains("reserved"));
    }

    #[test]
    fn names_rates_and_seats_have_bounds() {
        assert_eq!(product_name("  Model   3D ").unwrap(), "Model 3D");
        assert!(product_name(" ").is_err());
        assert!(product_name("a\u{7}b").is_err());
        assert_eq!(flex_rate(5), Ok(5));
        assert!(flex_rate(0).is_err());
        assert!(flex_rate(MAX_FLEX_RATE + 1).is_err());
        assert_eq!(seats(25), Ok(25));
        assert_eq!(seats(0).unwrap_err().to_string(), "seats: must be 1 to 1000000, not 0");
    }

    #[test]
    fn a_date_is_the_start_of_that_day_in_utc() {
        assert_eq!(instant("ends", "2027-12-31").unwrap(), at(2027, 12, 31));
        assert_eq!(
            instant("ends", "2027-12-31T12:00:00+02:00").unwrap(),
            Utc.with_ymd_and_hms(2027, 12, 31, 10, 0, 0).unwrap()
        );
        let e = instant("ends", "31/12/2027").unwrap_err();
        assert_eq!(e.field, "ends");
        // Years that would not keep one sortable text form are refused.
        for far in ["+10000-01-01", "-0001-01-01", "9999-12-31T00:00:00Z", "1969-12-31"] {
            assert!(instant("ends", far).unwrap_err().problem.contains("outside the years"), "{far}");
        }
    }

    #[test]
    fn a_term_ends_after_it_starts() {
        assert!(Term::new(at(2027, 1, 1), at(2027, 1, 1)).is_err());
        assert!(Term::new(at(2027, 1, 1), at(2027, 1, 2)).is_ok());
    }

    #[test]
    fn a_renewal_may_start_as_the_last_term_ends_but_not_before() {
        let now = at(2027, 6, 1);
        let current = Term::new(at(2027, 1, 1), at(2028, 1, 1)).unwrap();
        let renewal = Term::new(at(2028, 1, 1), at(2029, 1, 1)).unwrap();
        assert_eq!(may_hold("Model 3D", &renewal, 5, &[current], 0, now), Ok(()));
        let early = Term::new(at(2027, 12, 1), at(2029, 1, 1)).unwrap();
        let refused = may_hold("Model 3D", &early, 5, &[current], 0, now).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "The team already holds Model 3D from 2027-01-01 to 2028-01-01; change that subscription, or start this one on or after it ends."
        );
    }

    #[test]
    fn seats_never_drop_below_the_people_assigned() {
        let now = at(2027, 6, 1);
        let live = Term::new(at(2027, 1, 1), at(2028, 1, 1)).unwrap();
        assert_eq!(may_hold("Draft 2D", &live, 7, &[], 7, now), Ok(()));
        let refused = may_hold("Draft 2D", &live, 5, &[], 7, now).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "7 people are assigned to Draft 2D, so it cannot have 5 seats. Unassign 2 first."
        );
        // A term that is over (ended by the vendor, say) holds nobody's seat.
        let over = Term::new(at(2026, 1, 1), at(2027, 1, 1)).unwrap();
        assert_eq!(may_hold("Draft 2D", &over, 1, &[], 7, now), Ok(()));
    }
}
