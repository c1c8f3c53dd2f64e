//! Flex token purchases: each is valid for one calendar year from its purchase instant.
use chrono::{DateTime, Months, Utc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub amount: i64,
    pub purchased_at: DateTime<Utc>,
    pub consumed: i64,
}

/// One year after purchase, by the calendar: 29 Feb 2028 + 1 year = 28 Feb 2029.
pub fn expiry_of(purchased_at: DateTime<Utc>) -> DateTime<Utc> {
    purchased_at.checked_add_months(Months::new(12)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Purchase {
    pub fn expires_at(&self) -> DateTime<Utc> {
        expiry_of(self.purchased_at)
    }
    /// Valid at `now` means purchased at or before `now` and not yet at its expiry instant.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.purchased_at <= now && now < self.expires_at()
    }
    pub fn remaining(&self) -> i64 {
        (self.amount - self.consumed).max(0)
    }
}

/// Tokens a team can spend at `now`.
pub fn available(purchases: &[Purchase], now: DateTime<Utc>) -> i64 {
    purchases.iter().filter(|p| p.is_valid_at(now)).map(Purchase::remaining).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn expires_exactly_one_year_later() {
        let p = Purchase {
            amount: 100,
            purchased_at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap(),
            consumed: 0,
        };
        assert_eq!(p.expires_at(), Utc.with_ymd_and_hms(2027, 3, 1, 9, 30, 0).unwrap());
        assert!(p.is_valid_at(p.expires_at() - Duration::seconds(1)));
        assert!(!p.is_valid_at(p.expires_at()));
        let leap = Utc.with_ymd_and_hms(2028, 2, 29, 0, 0, 0).unwrap();
        assert_eq!(expiry_of(leap), Utc.with_ymd_and_hms(2029, 2, 28, 0, 0, 0).unwrap());
    }

    #[test]
    fn balance_counts_only_valid_remaining_tokens() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
        let ps = [
            Purchase { amount: 500, purchased_at: now - Duration::days(30), consumed: 120 },
            Purchase { amount: 300, purchased_at: now - Duration::days(400), consumed: 0 },
            Purchase { amount: 50, purchased_at: now + Duration::days(1), consumed: 0 },
        ];
        assert_eq!(available(&ps, now), 380);
    }
}
