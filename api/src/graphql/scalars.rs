//! The custom scalars of the API: `Date` (a business date) and `Decimal` (money as a string).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

use crate::ingest::validate::parse_date;

/// A calendar day, `"YYYY-MM-DD"`, in the workspace time zone.
///
/// Exactly that form, as ingestion takes it: four-digit years, two-digit months and days, no
/// sign, no spaces. (chrono's `%Y-%m-%d` also takes `2026-3-5` and `+262142-01-01`, whose
/// ranges span millions of days.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_date(s).map(Date).ok_or_else(|| {
                InputValueError::custom(format!("`{s}` is not a date \"YYYY-MM-DD\""))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// A decimal number serialized as a string with two places, e.g. `"1234.50"`. Inputs may be
/// strings or numbers; whether a value is acceptable money (two places at most, not negative)
/// is checked per row by ingestion, so that one bad row does not fail a whole call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal(pub String);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Self(s)),
            Value::Number(n) => Ok(Self(n.to_string())),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

impl From<entity::Money> for Decimal {
    fn from(m: entity::Money) -> Self {
        Self(m.to_string())
    }
}
