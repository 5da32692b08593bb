//! Exact money. Amounts are kroner as `Decimal` with two decimals in the API and whole øre
//! (`i64`) in the database, where every sum stays an exact integer on SQLite and PostgreSQL.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The largest amount accepted, in kroner: a thousand billion, far beyond any municipal budget.
pub const MAX_ABS_KRONER: i64 = 1_000_000_000_000;

/// Why a number cannot be an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountError {
    /// More than two decimals (øre is the smallest unit).
    TooManyDecimals,
    /// Beyond [`MAX_ABS_KRONER`].
    TooLarge,
}

impl AmountError {
    /// A message for a person.
    pub fn message(self) -> &'static str {
        match self {
            Self::TooManyDecimals => "an amount in kroner has at most two decimals",
            Self::TooLarge => "the amount is beyond a thousand billion kroner",
        }
    }
}

/// Øre to kroner, always shown with two decimals (`-7300000.00`). Takes sums (`i128`) too:
/// exact up to 2^96 øre, far beyond any sum of amounts below [`MAX_ABS_KRONER`].
pub fn ore_to_kroner(ore: impl Into<i128>) -> Decimal {
    let ore = ore.into();
    Decimal::try_from_i128_with_scale(ore, 2).unwrap_or(if ore < 0 {
        Decimal::MIN
    } else {
        Decimal::MAX
    })
}

/// Kroner to øre, refusing fractions of an øre and absurd magnitudes.
pub fn kroner_to_ore(kroner: Decimal) -> Result<i64, AmountError> {
    if kroner.normalize().scale() > 2 {
        return Err(AmountError::TooManyDecimals);
    }
    if kroner.abs() > Decimal::from(MAX_ABS_KRONER) {
        return Err(AmountError::TooLarge);
    }
    (kroner * Decimal::ONE_HUNDRED)
        .to_i64()
        .ok_or(AmountError::TooLarge)
}

/// Hundredths (used for staff impact in FTE and for quantities) to a decimal with two places.
pub fn centi_to_decimal(centi: i64) -> Decimal {
    Decimal::new(centi, 2)
}

/// A decimal with at most two places to hundredths.
pub fn decimal_to_centi(value: Decimal) -> Result<i64, AmountError> {
    kroner_to_ore(value)
}

/// Sum of øre in `i128`: 2^64 amounts of the largest size still fit, so it cannot overflow.
pub fn sum_ore(values: impl IntoIterator<Item = i64>) -> i128 {
    values.into_iter().map(i128::from).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap_or_default()
    }

    #[test]
    fn kroner_round_trip_through_ore() {
        for text in ["0.10", "0.20", "-7300000", "4357636.98", "1234567890.12"] {
            let ore = kroner_to_ore(dec(text));
            assert_eq!(ore.map(ore_to_kroner), Ok(dec(text)));
        }
        assert_eq!(ore_to_kroner(-730_000_000).to_string(), "-7300000.00");
    }

    #[test]
    fn fractions_of_an_ore_and_absurd_amounts_are_refused() {
        assert_eq!(
            kroner_to_ore(dec("1.005")),
            Err(AmountError::TooManyDecimals)
        );
        assert_eq!(kroner_to_ore(dec("1.500")), Ok(150));
        assert_eq!(
            kroner_to_ore(dec("1000000000000.01")),
            Err(AmountError::TooLarge)
        );
    }
}
