//! KPI arithmetic: turns the sums that SQL returns into KPI values, comparisons and statuses.
//!
//! This is where the ratio rule of SPEC §4 lives: the database aggregates Σnumerator and
//! Σdenominator per bucket and group, and [`ratio`] divides them once. Nothing here averages
//! ratios, reads the database, or knows about GraphQL; every function is pure and total, so it
//! is tested with plain tables of cases.

/// Whether a KPI is good when it is high or when it is low; it decides which side of a
/// threshold is a breach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// A value below a threshold breaches it (open rate, ROI, …).
    HigherIsBetter,
    /// A value above a threshold breaches it (unfollow rate, CAC, reply time, …).
    LowerIsBetter,
}

/// How a KPI value stands against its thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// No threshold is breached (or the KPI has none).
    Ok,
    /// The warning threshold is breached, the critical one is not.
    Warning,
    /// The critical threshold is breached.
    Critical,
    /// There is no value to judge (empty bucket or zero denominator).
    NoData,
}

/// The thresholds of one KPI; either may be absent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Thresholds {
    /// Breaching this gives [`Status::Warning`].
    pub warning: Option<f64>,
    /// Breaching this gives [`Status::Critical`], whatever the warning threshold says.
    pub critical: Option<f64>,
}

/// A value beside the value of the period it is compared with.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Comparison {
    /// The value of the comparison period.
    pub previous: Option<f64>,
    /// `value − previous`; `None` when either side is missing.
    pub change: Option<f64>,
    /// `change / |previous|`; `None` when `change` is missing or `previous` is 0.
    pub change_ratio: Option<f64>,
}

/// `numerator / denominator`, or `None` when the quotient is not a number worth reporting:
/// a zero or non-finite denominator (SPEC: a zero denominator gives `value: null`), or a
/// non-finite numerator.
pub fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    if denominator == 0.0 || !denominator.is_finite() {
        return None;
    }
    let quotient = numerator / denominator;
    quotient.is_finite().then_some(quotient)
}

impl Comparison {
    /// Compares `value` with `previous`.
    ///
    /// The relative change divides by the magnitude of `previous`, so that its sign is always
    /// the sign of `change`: net followers going from −10 to −5 is a rise of 50 %, not a fall.
    /// For the non-negative values of almost every KPI this is exactly `change / previous`.
    pub fn new(value: Option<f64>, previous: Option<f64>) -> Self {
        let change = value
            .zip(previous)
            .map(|(value, previous)| value - previous);
        let change_ratio = change
            .zip(previous)
            .and_then(|(change, previous)| ratio(change, previous.abs()));
        Self {
            previous,
            change,
            change_ratio,
        }
    }
}

/// Judges `value` against `thresholds` for a KPI of the given `direction`.
///
/// A missing or non-finite value is [`Status::NoData`]. A breach is strict: a value equal to
/// its threshold is not a breach. The critical threshold is checked first, so it wins when both
/// are breached, even if the two thresholds were configured in an unusual order.
pub fn status(value: Option<f64>, thresholds: Thresholds, direction: Direction) -> Status {
    let Some(value) = value.filter(|value| value.is_finite()) else {
        return Status::NoData;
    };
    let breaches = |threshold: Option<f64>| {
        threshold.is_some_and(|threshold| match direction {
            Direction::HigherIsBetter => value < threshold,
            Direction::LowerIsBetter => value > threshold,
        })
    };
    if breaches(thresholds.critical) {
        Status::Critical
    } else if breaches(thresholds.warning) {
        Status::Warning
    } else {
        Status::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_divides_sums_and_refuses_empty_denominators() {
        let cases: &[(f64, f64, Option<f64>)] = &[
            (22.0, 100.0, Some(0.22)),
            (0.0, 100.0, Some(0.0)),
            (150.0, 3.0, Some(50.0)),
            (-10.0, 4.0, Some(-2.5)),
            (5.0, 0.0, None),
            (0.0, 0.0, None),
            (5.0, -0.0, None),
            (5.0, f64::NAN, None),
            (5.0, f64::INFINITY, None),
            (f64::NAN, 4.0, None),
            (f64::INFINITY, 4.0, None),
            (f64::MAX, 0.5, None),
        ];
        for &(numerator, denominator, expected) in cases {
            assert_eq!(
                ratio(numerator, denominator),
                expected,
                "ratio({numerator}, {denominator})"
            );
        }
    }

    #[test]
    fn comparison_follows_the_spec_rules() {
        let cases: &[(Option<f64>, Option<f64>, Comparison)] = &[
            (
                Some(0.30),
                Some(0.25),
                Comparison {
                    previous: Some(0.25),
                    change: Some(0.30 - 0.25),
                    change_ratio: Some((0.30 - 0.25) / 0.25),
                },
            ),
            (
                Some(80.0),
                Some(100.0),
                Comparison {
                    previous: Some(100.0),
                    change: Some(-20.0),
                    change_ratio: Some(-0.2),
                },
            ),
            (
                Some(5.0),
                Some(0.0),
                Comparison {
                    previous: Some(0.0),
                    change: Some(5.0),
                    change_ratio: None,
                },
            ),
            (
                Some(0.0),
                Some(0.0),
                Comparison {
                    previous: Some(0.0),
                    change: Some(0.0),
                    change_ratio: None,
                },
            ),
            (
                None,
                Some(4.0),
                Comparison {
                    previous: Some(4.0),
                    change: None,
                    change_ratio: None,
                },
            ),
            (
                Some(4.0),
                None,
                Comparison {
                    previous: None,
                    change: None,
                    change_ratio: None,
                },
            ),
            (None, None, Comparison::default()),
            // Negative previous (NET_FOLLOWERS): the ratio keeps the sign of the change.
            (
                Some(-5.0),
                Some(-10.0),
                Comparison {
                    previous: Some(-10.0),
                    change: Some(5.0),
                    change_ratio: Some(0.5),
                },
            ),
            (
                Some(-15.0),
                Some(-10.0),
                Comparison {
                    previous: Some(-10.0),
                    change: Some(-5.0),
                    change_ratio: Some(-0.5),
                },
            ),
        ];
        for &(value, previous, expected) in cases {
            assert_eq!(
                Comparison::new(value, previous),
                expected,
                "compare {value:?} with {previous:?}"
            );
        }
    }

    #[test]
    fn status_respects_direction_and_severity() {
        use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};
        let none = Thresholds::default();
        let read_through = Thresholds {
            warning: Some(0.20),
            critical: None,
        };
        let ltv_cac = Thresholds {
            warning: Some(3.0),
            critical: Some(1.0),
        };
        let reply_minutes = Thresholds {
            warning: Some(30.0),
            critical: Some(120.0),
        };
        let critical_only = Thresholds {
            warning: None,
            critical: Some(10.0),
        };
        let cases: &[(Option<f64>, Thresholds, Direction, Status)] = &[
            (None, read_through, Higher, Status::NoData),
            (None, none, Higher, Status::NoData),
            (Some(f64::NAN), read_through, Higher, Status::NoData),
            (Some(0.5), none, Higher, Status::Ok),
            (Some(-1e9), none, Lower, Status::Ok),
            (Some(0.19), read_through, Higher, Status::Warning),
            (Some(0.20), read_through, Higher, Status::Ok),
            (Some(0.21), read_through, Higher, Status::Ok),
            (Some(0.0), read_through, Higher, Status::Warning),
            (Some(4.0), ltv_cac, Higher, Status::Ok),
            (Some(3.0), ltv_cac, Higher, Status::Ok),
            (Some(2.0), ltv_cac, Higher, Status::Warning),
            (Some(1.0), ltv_cac, Higher, Status::Warning),
            (Some(0.5), ltv_cac, Higher, Status::Critical),
            (Some(10.0), reply_minutes, Lower, Status::Ok),
            (Some(30.0), reply_minutes, Lower, Status::Ok),
            (Some(31.0), reply_minutes, Lower, Status::Warning),
            (Some(121.0), reply_minutes, Lower, Status::Critical),
            (Some(11.0), critical_only, Lower, Status::Critical),
            (Some(9.0), critical_only, Lower, Status::Ok),
            (Some(9.0), critical_only, Higher, Status::Critical),
            // Inverted configuration: critical still wins when it is breached.
            (
                Some(0.5),
                Thresholds {
                    warning: Some(1.0),
                    critical: Some(3.0),
                },
                Higher,
                Status::Critical,
            ),
        ];
        for &(value, thresholds, direction, expected) in cases {
            assert_eq!(
                status(value, thresholds, direction),
                expected,
                "status({value:?}, {thresholds:?}, {direction:?})"
            );
        }
    }
}
