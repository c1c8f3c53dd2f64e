//! R-UM1: a subscription or trial has a number of seats, and no more people than that may
//! be assigned to it. Flex has no seats.

/// An assignment that would need more seats than the product has.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{product} has {seats} seats and this would assign {wanted}. Unassign someone first, or pick fewer people.")]
pub struct SeatShortfall {
    pub product: String,
    pub seats: i64,
    pub wanted: i64,
}

/// Whether `wanted` assignments fit the product's `seats` (`None`: no seat limit).
pub fn within_seats(product: &str, seats: Option<i64>, wanted: i64) -> Result<(), SeatShortfall> {
    match seats {
        Some(seats) if wanted > seats => Err(SeatShortfall { product: product.to_string(), seats, wanted }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seat_may_be_taken_and_not_one_more() {
        assert_eq!(within_seats("Draft 2D", Some(3), 3), Ok(()));
        let short = within_seats("Draft 2D", Some(3), 4).unwrap_err();
        assert_eq!(
            short.to_string(),
            "Draft 2D has 3 seats and this would assign 4. Unassign someone first, or pick fewer people."
        );
        assert_eq!(within_seats("Flex", None, 10_000), Ok(()));
    }
}
