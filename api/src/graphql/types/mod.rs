//! GraphQL object types, written by hand over domain values (rows never become the API).

pub mod budget;
pub mod catalog;
pub mod feed;
pub mod node;
pub mod proposal;
pub mod reference;
pub mod workflow;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value};

use crate::money::ore_to_kroner;

/// An exact decimal number, written as a string so no client parses it into a float:
/// amounts are kroner with two decimals ("-7300000.00"), staff impact in full-time
/// equivalents ("0.50"), quantities as printed ("2532").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

/// An exact decimal number, written as a string (\"-7300000.00\"); never a float.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .trim()
                .parse()
                .map(Decimal)
                .map_err(|_| InputValueError::custom("not a decimal number")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Øre as exact kroner for the API.
pub(crate) fn kroner(ore: impl Into<i128>) -> Decimal {
    Decimal(ore_to_kroner(ore))
}

/// An amount in one year.
#[derive(SimpleObject, Clone, Debug)]
pub struct YearAmount {
    /// Calendar year.
    pub year: i32,
    /// Kroner, exact, two decimals.
    pub amount: Decimal,
}

impl YearAmount {
    pub(crate) fn from_ore(year: i32, ore: impl Into<i128>) -> Self {
        Self {
            year,
            amount: kroner(ore),
        }
    }
}

/// A stated (printed or typed) total that differs from the sum of its parts.
#[derive(SimpleObject, Clone, Debug)]
pub struct StatedTotalMismatch {
    /// Calendar year.
    pub year: i32,
    /// The total as stated on the sheet, kroner.
    pub stated: Decimal,
    /// The sum of the parts, kroner.
    pub computed: Decimal,
    /// `computed - stated`, kroner.
    pub difference: Decimal,
}

impl StatedTotalMismatch {
    pub(crate) fn from_ore(year: i32, stated: i128, computed: i128) -> Self {
        Self {
            year,
            stated: kroner(stated),
            computed: kroner(computed),
            difference: kroner(computed - stated),
        }
    }
}

/// Relay page information.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// Whether a page follows this one.
    pub has_next_page: bool,
    /// Whether a page precedes this one.
    pub has_previous_page: bool,
    /// Cursor of the first edge.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}
