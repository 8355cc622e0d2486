//! `Money`: an amount with exactly two decimal places, stored as BIGINT cents.
//!
//! The database never sees a decimal: every money column holds integer cents, so sums are
//! exact on SQLite and PostgreSQL alike. Conversions that would drop digits fail instead of
//! rounding (`from_decimal` returns `None`).

use std::fmt;

use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ActiveValue, ColIdx, IntoActiveValue, QueryResult, TryGetError, TryGetable, Value};

/// A money amount in the workspace currency, always with scale 2 (cents).
///
/// Invariant: the inner decimal has scale 2 and its mantissa fits in an `i64`, so
/// [`Money::cents`] is lossless. Every constructor keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Zero, displayed as `0.00`.
    pub const ZERO: Self = Self(Decimal::from_parts(0, 0, 0, false, 2));

    /// The amount of `cents` hundredths, e.g. `from_cents(123450)` is `1234.50`.
    pub fn from_cents(cents: i64) -> Self {
        Self(Decimal::new(cents, 2))
    }

    /// The exact amount `d`, or `None` when `d` has more than two significant decimal places
    /// (`1.005`) or is outside the `i64` cents range. Trailing zeros do not count: `1.500`
    /// is accepted as `1.50`.
    pub fn from_decimal(d: Decimal) -> Option<Self> {
        let mut d = d.normalize();
        if d.scale() > 2 {
            return None;
        }
        d.rescale(2);
        let cents = <i64 as TryFrom<i128>>::try_from(d.mantissa()).ok()?;
        Some(Self::from_cents(cents))
    }

    /// The amount in cents, as stored in the database.
    pub fn cents(self) -> i64 {
        // Lossless by the type invariant: scale 2 and mantissa within i64.
        self.0.mantissa() as i64
    }

    /// The amount as a decimal with scale 2.
    pub fn to_decimal(self) -> Decimal {
        self.0
    }

    /// `self + other`, or `None` on `i64` cents overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.cents()
            .checked_add(other.cents())
            .map(Self::from_cents)
    }

    /// `self - other`, or `None` on `i64` cents overflow.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.cents()
            .checked_sub(other.cents())
            .map(Self::from_cents)
    }
}

impl Default for Money {
    fn default() -> Self {
        Self::ZERO
    }
}

impl fmt::Display for Money {
    /// Plain decimal with two places: `1234.50`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Self {
        m.0
    }
}

impl From<Money> for Value {
    fn from(m: Money) -> Self {
        Value::BigInt(Some(m.cents()))
    }
}

impl TryGetable for Money {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        i64::try_get_by(res, index).map(Self::from_cents)
    }
}

impl ValueType for Money {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        <i64 as ValueType>::try_from(v).map(Self::from_cents)
    }

    fn type_name() -> String {
        "Money".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::BigInt
    }

    fn column_type() -> ColumnType {
        ColumnType::BigInteger
    }
}

impl Nullable for Money {
    fn null() -> Value {
        Value::BigInt(None)
    }
}

impl IntoActiveValue<Money> for Money {
    fn into_active_value(self) -> ActiveValue<Money> {
        ActiveValue::Set(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_else(|e| panic!("bad decimal {s}: {e}"))
    }

    #[test]
    fn cents_round_trip_and_display() {
        let cases = [
            (0, "0.00"),
            (5, "0.05"),
            (-5, "-0.05"),
            (123_450, "1234.50"),
            (100, "1.00"),
            (i64::MAX, "92233720368547758.07"),
            (i64::MIN, "-92233720368547758.08"),
        ];
        for (cents, shown) in cases {
            let m = Money::from_cents(cents);
            assert_eq!(m.cents(), cents);
            assert_eq!(m.to_string(), shown);
            assert_eq!(m.to_decimal().scale(), 2);
        }
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(Money::default(), Money::from_cents(0));
    }

    #[test]
    fn from_decimal_accepts_at_most_two_places() {
        let cases = [
            ("1234.5", Some(123_450)),
            ("1234.50", Some(123_450)),
            ("1234.500000", Some(123_450)),
            ("7", Some(700)),
            ("-0.01", Some(-1)),
            ("0.000", Some(0)),
            ("1.005", None),
            ("0.001", None),
            ("92233720368547758.07", Some(i64::MAX)),
            ("92233720368547758.08", None),
            ("-92233720368547758.09", None),
        ];
        for (input, cents) in cases {
            let got = Money::from_decimal(dec(input)).map(Money::cents);
            assert_eq!(got, cents, "from_decimal({input})");
        }
    }

    #[test]
    fn from_decimal_result_displays_with_two_places() {
        let m = Money::from_decimal(dec("12.5")).map(|m| m.to_string());
        assert_eq!(m.as_deref(), Some("12.50"));
    }

    #[test]
    fn checked_arithmetic() {
        let a = Money::from_cents(1_050);
        let b = Money::from_cents(25);
        assert_eq!(a.checked_add(b), Some(Money::from_cents(1_075)));
        assert_eq!(a.checked_sub(b), Some(Money::from_cents(1_025)));
        assert_eq!(Money::from_cents(i64::MAX).checked_add(b), None);
        assert_eq!(Money::from_cents(i64::MIN).checked_sub(b), None);
    }

    #[test]
    fn database_value_is_integer_cents() {
        let m = Money::from_cents(123_450);
        assert_eq!(Value::from(m), Value::BigInt(Some(123_450)));
        assert_eq!(
            <Money as ValueType>::try_from(Value::BigInt(Some(-7))).ok(),
            Some(Money::from_cents(-7))
        );
        assert!(<Money as ValueType>::try_from(Value::String(Some("1".into()))).is_err());
        assert_eq!(
            <Option<Money> as ValueType>::try_from(Value::BigInt(None)).ok(),
            Some(None)
        );
        assert_eq!(Value::from(None::<Money>), Value::BigInt(None));
        assert_eq!(<Money as ValueType>::column_type(), ColumnType::BigInteger);
    }

    #[test]
    fn ordering_follows_amount() {
        assert!(Money::from_cents(-1) < Money::ZERO);
        assert!(Money::from_cents(100) > Money::from_cents(99));
    }
}
