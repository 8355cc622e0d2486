//! Calendar buckets of KPI reports: the periods of a range at a granularity, their labels, and
//! the date ranges that `PREVIOUS_PERIOD` and `PREVIOUS_YEAR` compare them with (SPEC §5).
//!
//! Dates here are business dates, already in the workspace time zone: this module knows
//! nothing about time zones, clocks, SQL or GraphQL. It is pure and total: it never panics,
//! and where chrono's date range (±262,143 years) would overflow it saturates at
//! [`NaiveDate::MIN`] / [`NaiveDate::MAX`], which business dates (after 2011-01-21) never reach.

use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};

/// The size of the calendar buckets a report is cut into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    /// One calendar day.
    Day,
    /// An ISO 8601 week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar quarter: January, April, July or October to the end of its third month.
    Quarter,
    /// A calendar year.
    Year,
    /// No calendar bucket: the whole range is one period.
    Total,
}

/// A non-empty, inclusive range of business dates.
///
/// The fields are private so that `from <= to` holds for every value: build one with
/// [`DateRange::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

/// Why a [`DateRange`] could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BucketError {
    /// The range ends before it starts.
    InvertedRange {
        /// The requested first day.
        from: NaiveDate,
        /// The requested last day, earlier than `from`.
        to: NaiveDate,
    },
}

impl fmt::Display for BucketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvertedRange { from, to } => {
                write!(f, "the range starts on {from}, after it ends on {to}")
            }
        }
    }
}

impl std::error::Error for BucketError {}

impl DateRange {
    /// The days `from` to `to`, both included.
    ///
    /// # Errors
    ///
    /// [`BucketError::InvertedRange`] when `to` is before `from`. A one-day range
    /// (`from == to`) is valid.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, BucketError> {
        if to < from {
            return Err(BucketError::InvertedRange { from, to });
        }
        Ok(Self { from, to })
    }

    /// The first day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The last day (included).
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// The number of days in the range, at least 1.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Whether `date` lies in the range.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// One period of a report: a calendar bucket clipped to the report's range.
///
/// Built only by [`periods`], so `start <= end` and both lie in one bucket.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    start: NaiveDate,
    end: NaiveDate,
    label: String,
}

impl Period {
    /// The first day of the period (the bucket start, or the range start if that is later).
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The last day of the period, included (the bucket end, or the range end if that is
    /// earlier).
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// The label of the bucket: `2026-03-05`, `2026-W10`, `2026-03`, `2026-Q1`, `2026`, or
    /// `2026-03-10..2026-04-30` for `TOTAL`. A clipped period keeps its bucket's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The days of the period.
    pub fn range(&self) -> DateRange {
        DateRange {
            from: self.start,
            to: self.end,
        }
    }

    /// Whether `date` lies in the period.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.range().contains(date)
    }
}

/// The first day of the calendar bucket of `granularity` that contains `date`, not clipped to
/// any range: the date itself, the Monday of its ISO week, the 1st of its month, of its
/// quarter's first month, or 1 January.
///
/// `Total` has no calendar bucket; it returns `date` unchanged, which keeps
/// [`period_index`] working when a caller keys its rows by date.
pub fn bucket_start(date: NaiveDate, granularity: Granularity) -> NaiveDate {
    match granularity {
        Granularity::Day | Granularity::Total => date,
        Granularity::Week => days_before(date, date.weekday().num_days_from_monday().into()),
        Granularity::Month => days_before(date, date.day0().into()),
        Granularity::Quarter => {
            let month_start = days_before(date, date.day0().into());
            months_before(month_start, date.month0() % 3)
        }
        Granularity::Year => days_before(date, date.ordinal0().into()),
    }
}

/// The last day of the calendar bucket that starts on `start` (a value of [`bucket_start`]);
/// [`NaiveDate::MAX`] for `Total`, whose single bucket is unbounded.
fn bucket_end(start: NaiveDate, granularity: Granularity) -> NaiveDate {
    let next_start = match granularity {
        Granularity::Day => start.checked_add_days(Days::new(1)),
        Granularity::Week => start.checked_add_days(Days::new(7)),
        Granularity::Month => start.checked_add_months(Months::new(1)),
        Granularity::Quarter => start.checked_add_months(Months::new(3)),
        Granularity::Year => start.checked_add_months(Months::new(12)),
        Granularity::Total => None,
    };
    next_start.map_or(NaiveDate::MAX, |next| days_before(next, 1))
}

/// The label of the period `start..=end` whose bucket starts on `bucket`.
fn label(bucket: NaiveDate, end: NaiveDate, granularity: Granularity) -> String {
    match granularity {
        Granularity::Day => bucket.to_string(),
        Granularity::Week => {
            // The ISO week-numbering year, not the calendar year: 2027-01-01 is in 2026-W53.
            let week = bucket.iso_week();
            format!("{:04}-W{:02}", week.year(), week.week())
        }
        Granularity::Month => format!("{:04}-{:02}", bucket.year(), bucket.month()),
        Granularity::Quarter => format!("{:04}-Q{}", bucket.year(), bucket.month0() / 3 + 1),
        Granularity::Year => format!("{:04}", bucket.year()),
        Granularity::Total => format!("{bucket}..{end}"),
    }
}

/// The periods of `range` at `granularity`, in date order: each calendar bucket that meets
/// the range, clipped to it. They are contiguous and cover the range exactly; `Total` gives
/// one period equal to the range.
///
/// MONTH over 2026-03-10..2026-04-30 gives 2026-03-10..2026-03-31 (`2026-03`) and
/// 2026-04-01..2026-04-30 (`2026-04`).
pub fn periods(range: DateRange, granularity: Granularity) -> Vec<Period> {
    let mut periods = Vec::new();
    let mut start = range.from;
    loop {
        let bucket = bucket_start(start, granularity);
        let end = bucket_end(bucket, granularity).min(range.to);
        periods.push(Period {
            start,
            end,
            label: label(bucket, end, granularity),
        });
        match end.succ_opt() {
            Some(next) if next <= range.to => start = next,
            _ => return periods,
        }
    }
}

/// How many periods [`periods`] gives for `range` at `granularity`, by arithmetic alone: a
/// report over millions of periods is refused before any is built.
pub fn period_count(range: DateRange, granularity: Granularity) -> u64 {
    let months = |date: NaiveDate| i64::from(date.year()) * 12 + i64::from(date.month0());
    let (from, to) = (range.from, range.to);
    let count = match granularity {
        Granularity::Day => range.days(),
        Granularity::Week => {
            let weeks = bucket_start(to, Granularity::Week) - bucket_start(from, Granularity::Week);
            weeks.num_days().div_euclid(7) + 1
        }
        Granularity::Month => months(to) - months(from) + 1,
        Granularity::Quarter => months(to).div_euclid(3) - months(from).div_euclid(3) + 1,
        Granularity::Year => i64::from(to.year()) - i64::from(from.year()) + 1,
        Granularity::Total => 1,
    };
    // Never below 1 for a valid range; saturating keeps the function total.
    u64::try_from(count).unwrap_or(1)
}

/// The index in `periods` (as returned by [`periods`] for the same `granularity`) of the
/// period that a SQL row belongs to, found by binary search.
///
/// `key` may be any date of the row's bucket, in particular its date or its *unclipped* bucket
/// start: 2026-03-01 finds the period 2026-03-10..2026-03-31 of a MONTH report. For `Total` the
/// key must lie in the range. `None` when the key's bucket is not one of the report's.
pub fn period_index(periods: &[Period], granularity: Granularity, key: NaiveDate) -> Option<usize> {
    if granularity == Granularity::Total {
        return periods.iter().position(|period| period.contains(key));
    }
    let bucket = bucket_start(key, granularity);
    // Each period lies in its own bucket and the periods are in date order, so their bucket
    // starts are strictly increasing: the candidate is the last one not after `bucket`.
    let index = periods
        .partition_point(|period| bucket_start(period.start, granularity) <= bucket)
        .checked_sub(1)?;
    let period = periods.get(index)?;
    (bucket_start(period.start, granularity) == bucket).then_some(index)
}

/// The range that `PREVIOUS_PERIOD` compares `period` with.
///
/// - `Day` … `Year`: the calendar bucket just before the period's bucket, clipped the same
///   way. The start moves back by one bucket (1 day, 7 days, 1, 3 or 12 months), keeping its
///   offset in the bucket: MONTH 2026-03-10..2026-03-31 compares with 2026-02-10..2026-02-28.
///   An end that is the last day of its bucket becomes the last day of the previous bucket
///   (a full month compares with the full previous month, whatever their lengths); an earlier
///   end moves back like the start (2026-04-01..2026-04-15 → 2026-03-01..2026-03-15). A day
///   that does not exist in the earlier month becomes that month's last day (03-31 → 02-28,
///   2028-02-29 → 2027-02-28 for YEAR).
/// - `Total`: the range of the same number of days that ends the day before `period` starts
///   (for `Total` the one period is the report's range).
///
/// The previous ranges of consecutive periods are contiguous too, so a caller may fetch them
/// all with one query over the hull of the first and last previous range.
pub fn previous_period(period: &Period, granularity: Granularity) -> DateRange {
    if granularity == Granularity::Total {
        let days = u64::try_from(period.range().days()).unwrap_or(u64::MAX);
        return DateRange {
            from: days_before(period.start, days),
            to: days_before(period.start, 1),
        };
    }
    let end_bucket = bucket_start(period.end, granularity);
    let to = if period.end == bucket_end(end_bucket, granularity) {
        days_before(end_bucket, 1)
    } else {
        one_bucket_before(period.end, granularity)
    };
    DateRange {
        // Moving back is monotone and the end moves back at least as far as the start's
        // bucket, so `from <= to` still holds.
        from: one_bucket_before(period.start, granularity),
        to,
    }
}

/// The range that `PREVIOUS_YEAR` compares `range` with: the same dates one year earlier, 29
/// February becoming 28 February (2028-02-29 → 2027-02-28).
pub fn previous_year(range: DateRange) -> DateRange {
    DateRange {
        from: months_before(range.from, 12),
        to: months_before(range.to, 12),
    }
}

/// The same position one bucket earlier, clamped to the end of a shorter month.
fn one_bucket_before(date: NaiveDate, granularity: Granularity) -> NaiveDate {
    match granularity {
        Granularity::Day => days_before(date, 1),
        Granularity::Week => days_before(date, 7),
        Granularity::Month => months_before(date, 1),
        Granularity::Quarter => months_before(date, 3),
        Granularity::Year => months_before(date, 12),
        Granularity::Total => date,
    }
}

/// `date − days`, saturating at the start of chrono's range.
fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days))
        .unwrap_or(NaiveDate::MIN)
}

/// `date − months`, clamped to the end of a shorter month by chrono, saturating at the start
/// of chrono's range.
fn months_before(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use Granularity::{Day, Month, Quarter, Total, Week, Year};

    const ALL: [Granularity; 6] = [Day, Week, Month, Quarter, Year, Total];

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn range(from: &str, to: &str) -> DateRange {
        DateRange::new(d(from), d(to)).unwrap()
    }

    fn period(from: &str, to: &str, granularity: Granularity) -> Period {
        let periods = periods(range(from, to), granularity);
        assert_eq!(
            periods.len(),
            1,
            "{from}..{to} is not one {granularity:?} period"
        );
        periods.into_iter().next().unwrap()
    }

    #[test]
    fn period_count_matches_the_periods_built() {
        let bounds = [
            "2024-02-28",
            "2024-12-30",
            "2025-01-01",
            "2025-03-31",
            "2025-12-29",
            "2026-01-01",
            "2026-03-10",
            "2026-06-30",
            "2026-12-31",
            "2027-01-04",
        ];
        for from in bounds {
            for to in bounds.iter().filter(|to| **to >= from) {
                for g in ALL {
                    let range = range(from, to);
                    assert_eq!(
                        period_count(range, g),
                        periods(range, g).len() as u64,
                        "{from}..{to} {g:?}"
                    );
                }
            }
        }
        // 0001-01-01..9999-12-31 by day: 9999 years of 365 days plus 2424 leap days
        // (9999 / 4 − 9999 / 100 + 9999 / 400 = 2499 − 99 + 24).
        let all = range("0001-01-01", "9999-12-31");
        assert_eq!(period_count(all, Day), 9999 * 365 + 2424);
        assert_eq!(period_count(all, Month), 9999 * 12);
        assert_eq!(period_count(all, Quarter), 9999 * 4);
        assert_eq!(period_count(all, Year), 9999);
        assert_eq!(period_count(all, Total), 1);
    }

    #[test]
    fn date_range_refuses_inverted_bounds() {
        assert_eq!(
            DateRange::new(d("2026-04-01"), d("2026-03-31")),
            Err(BucketError::InvertedRange {
                from: d("2026-04-01"),
                to: d("2026-03-31"),
            })
        );
        assert_eq!(
            BucketError::InvertedRange {
                from: d("2026-04-01"),
                to: d("2026-03-31"),
            }
            .to_string(),
            "the range starts on 2026-04-01, after it ends on 2026-03-31"
        );
        let one_day = range("2026-03-05", "2026-03-05");
        assert_eq!(
            (one_day.from(), one_day.to()),
            (d("2026-03-05"), d("2026-03-05"))
        );
    }

    #[test]
    fn date_range_counts_and_contains_days() {
        let cases = [
            ("2026-03-05", "2026-03-05", 1),
            ("2026-03-10", "2026-04-30", 52),
            ("2026-01-01", "2026-12-31", 365),
            ("2028-01-01", "2028-12-31", 366),
            ("2028-02-01", "2028-03-01", 30),
        ];
        for (from, to, days) in cases {
            assert_eq!(range(from, to).days(), days, "{from}..{to}");
        }
        let march = range("2026-03-10", "2026-03-31");
        let probes = [
            ("2026-03-09", false),
            ("2026-03-10", true),
            ("2026-03-20", true),
            ("2026-03-31", true),
            ("2026-04-01", false),
        ];
        for (date, inside) in probes {
            assert_eq!(march.contains(d(date)), inside, "{date}");
        }
    }

    #[test]
    fn bucket_start_is_the_unclipped_calendar_start() {
        let cases = [
            ("2026-03-05", Day, "2026-03-05"),
            ("2026-03-05", Week, "2026-03-02"),
            ("2026-03-02", Week, "2026-03-02"),
            ("2026-03-08", Week, "2026-03-02"),
            ("2027-01-01", Week, "2026-12-28"),
            ("2028-03-01", Week, "2028-02-28"),
            ("2026-03-31", Month, "2026-03-01"),
            ("2028-02-29", Month, "2028-02-01"),
            ("2026-03-31", Quarter, "2026-01-01"),
            ("2026-05-17", Quarter, "2026-04-01"),
            ("2026-09-30", Quarter, "2026-07-01"),
            ("2026-10-01", Quarter, "2026-10-01"),
            ("2026-12-31", Quarter, "2026-10-01"),
            ("2028-12-31", Year, "2028-01-01"),
            ("2026-01-01", Year, "2026-01-01"),
            ("2026-03-05", Total, "2026-03-05"),
        ];
        for (date, granularity, start) in cases {
            assert_eq!(
                bucket_start(d(date), granularity),
                d(start),
                "{date} {granularity:?}"
            );
        }
    }

    #[test]
    fn periods_are_clipped_calendar_buckets_with_labels() {
        type Case = (
            &'static str,
            &'static str,
            Granularity,
            &'static [(&'static str, &'static str, &'static str)],
        );
        let cases: &[Case] = &[
            (
                "2026-02-27",
                "2026-03-02",
                Day,
                &[
                    ("2026-02-27", "2026-02-27", "2026-02-27"),
                    ("2026-02-28", "2026-02-28", "2026-02-28"),
                    ("2026-03-01", "2026-03-01", "2026-03-01"),
                    ("2026-03-02", "2026-03-02", "2026-03-02"),
                ],
            ),
            (
                "2028-02-28",
                "2028-03-01",
                Day,
                &[
                    ("2028-02-28", "2028-02-28", "2028-02-28"),
                    ("2028-02-29", "2028-02-29", "2028-02-29"),
                    ("2028-03-01", "2028-03-01", "2028-03-01"),
                ],
            ),
            // 2026 starts on a Thursday, so it has 53 ISO weeks; 2027-01-04 is a Monday.
            (
                "2026-12-28",
                "2027-01-10",
                Week,
                &[
                    ("2026-12-28", "2027-01-03", "2026-W53"),
                    ("2027-01-04", "2027-01-10", "2027-W01"),
                ],
            ),
            // 2025 starts on a Wednesday: its week 1 begins on Monday 2024-12-30.
            (
                "2024-12-25",
                "2025-01-01",
                Week,
                &[
                    ("2024-12-25", "2024-12-29", "2024-W52"),
                    ("2024-12-30", "2025-01-01", "2025-W01"),
                ],
            ),
            (
                "2026-03-05",
                "2026-03-17",
                Week,
                &[
                    ("2026-03-05", "2026-03-08", "2026-W10"),
                    ("2026-03-09", "2026-03-15", "2026-W11"),
                    ("2026-03-16", "2026-03-17", "2026-W12"),
                ],
            ),
            // A full leap week, 29 February included.
            (
                "2028-02-28",
                "2028-03-05",
                Week,
                &[("2028-02-28", "2028-03-05", "2028-W09")],
            ),
            (
                "2026-03-10",
                "2026-04-30",
                Month,
                &[
                    ("2026-03-10", "2026-03-31", "2026-03"),
                    ("2026-04-01", "2026-04-30", "2026-04"),
                ],
            ),
            (
                "2028-01-31",
                "2028-03-01",
                Month,
                &[
                    ("2028-01-31", "2028-01-31", "2028-01"),
                    ("2028-02-01", "2028-02-29", "2028-02"),
                    ("2028-03-01", "2028-03-01", "2028-03"),
                ],
            ),
            (
                "2026-12-15",
                "2027-01-15",
                Month,
                &[
                    ("2026-12-15", "2026-12-31", "2026-12"),
                    ("2027-01-01", "2027-01-15", "2027-01"),
                ],
            ),
            (
                "2026-02-15",
                "2026-08-10",
                Quarter,
                &[
                    ("2026-02-15", "2026-03-31", "2026-Q1"),
                    ("2026-04-01", "2026-06-30", "2026-Q2"),
                    ("2026-07-01", "2026-08-10", "2026-Q3"),
                ],
            ),
            (
                "2026-11-30",
                "2027-01-01",
                Quarter,
                &[
                    ("2026-11-30", "2026-12-31", "2026-Q4"),
                    ("2027-01-01", "2027-01-01", "2027-Q1"),
                ],
            ),
            (
                "2025-11-01",
                "2027-02-01",
                Year,
                &[
                    ("2025-11-01", "2025-12-31", "2025"),
                    ("2026-01-01", "2026-12-31", "2026"),
                    ("2027-01-01", "2027-02-01", "2027"),
                ],
            ),
            (
                "2026-03-10",
                "2026-04-30",
                Total,
                &[("2026-03-10", "2026-04-30", "2026-03-10..2026-04-30")],
            ),
            (
                "2026-03-05",
                "2026-03-05",
                Week,
                &[("2026-03-05", "2026-03-05", "2026-W10")],
            ),
            (
                "2026-03-05",
                "2026-03-05",
                Month,
                &[("2026-03-05", "2026-03-05", "2026-03")],
            ),
            (
                "2026-03-05",
                "2026-03-05",
                Quarter,
                &[("2026-03-05", "2026-03-05", "2026-Q1")],
            ),
            (
                "2026-03-05",
                "2026-03-05",
                Year,
                &[("2026-03-05", "2026-03-05", "2026")],
            ),
            (
                "2026-03-05",
                "2026-03-05",
                Total,
                &[("2026-03-05", "2026-03-05", "2026-03-05..2026-03-05")],
            ),
        ];
        for &(from, to, granularity, expected) in cases {
            let actual: Vec<(NaiveDate, NaiveDate, String)> = periods(range(from, to), granularity)
                .iter()
                .map(|p| (p.start(), p.end(), p.label().to_owned()))
                .collect();
            let expected: Vec<(NaiveDate, NaiveDate, String)> = expected
                .iter()
                .map(|&(start, end, label)| (d(start), d(end), label.to_owned()))
                .collect();
            assert_eq!(actual, expected, "{from}..{to} {granularity:?}");
        }
    }

    #[test]
    fn periods_tile_the_range_one_bucket_each() {
        let starts = [
            "2024-12-30",
            "2026-01-01",
            "2026-03-10",
            "2027-12-31",
            "2028-02-29",
        ];
        let lengths = [0, 1, 6, 30, 95, 400, 800];
        for start in starts {
            for length in lengths {
                let from = d(start);
                let range = DateRange::new(from, from + Days::new(length)).unwrap();
                for granularity in ALL {
                    let periods = periods(range, granularity);
                    let context = format!("{range:?} {granularity:?}");
                    assert_eq!(periods.first().unwrap().start(), range.from(), "{context}");
                    assert_eq!(periods.last().unwrap().end(), range.to(), "{context}");
                    for pair in periods.windows(2) {
                        assert_eq!(pair[0].end().succ_opt(), Some(pair[1].start()), "{context}");
                    }
                    for (index, period) in periods.iter().enumerate() {
                        assert!(period.start() <= period.end(), "{context}");
                        if granularity != Total {
                            assert_eq!(
                                bucket_start(period.start(), granularity),
                                bucket_start(period.end(), granularity),
                                "{context}: {period:?} spans two buckets"
                            );
                        }
                        for key in [
                            period.start(),
                            period.end(),
                            bucket_start(period.start(), granularity),
                        ] {
                            if granularity == Total && !range.contains(key) {
                                continue;
                            }
                            assert_eq!(
                                period_index(&periods, granularity, key),
                                Some(index),
                                "{context}: key {key}"
                            );
                        }
                    }
                    // Previous periods of consecutive periods are contiguous, as documented.
                    for pair in periods.windows(2) {
                        let (before, after) = (
                            previous_period(&pair[0], granularity),
                            previous_period(&pair[1], granularity),
                        );
                        assert_eq!(before.to().succ_opt(), Some(after.from()), "{context}");
                    }
                }
            }
        }
    }

    #[test]
    fn period_index_maps_dates_and_unclipped_bucket_starts() {
        let cases: &[(Granularity, &str, Option<usize>)] = &[
            (Month, "2026-02-28", None),
            (Month, "2026-03-01", Some(0)),
            (Month, "2026-03-09", Some(0)),
            (Month, "2026-03-10", Some(0)),
            (Month, "2026-03-31", Some(0)),
            (Month, "2026-04-01", Some(1)),
            (Month, "2026-04-30", Some(1)),
            (Month, "2026-05-01", None),
            (Week, "2026-03-09", Some(0)),
            (Week, "2026-03-16", Some(1)),
            (Week, "2026-04-27", Some(7)),
            (Week, "2026-05-04", None),
            (Week, "2026-03-02", None),
            (Total, "2026-03-09", None),
            (Total, "2026-03-10", Some(0)),
            (Total, "2026-04-30", Some(0)),
            (Total, "2026-05-01", None),
        ];
        let report = range("2026-03-10", "2026-04-30");
        for &(granularity, key, expected) in cases {
            let periods = periods(report, granularity);
            assert_eq!(
                period_index(&periods, granularity, d(key)),
                expected,
                "{granularity:?} {key}"
            );
        }
        assert_eq!(period_index(&[], Month, d("2026-03-10")), None);
    }

    #[test]
    fn previous_period_is_the_bucket_before_clipped_the_same_way() {
        let cases = [
            // (period from, period to, granularity, previous from, previous to)
            ("2026-03-01", "2026-03-01", Day, "2026-02-28", "2026-02-28"),
            ("2028-03-01", "2028-03-01", Day, "2028-02-29", "2028-02-29"),
            ("2026-01-01", "2026-01-01", Day, "2025-12-31", "2025-12-31"),
            ("2027-01-04", "2027-01-10", Week, "2026-12-28", "2027-01-03"),
            ("2026-03-04", "2026-03-08", Week, "2026-02-25", "2026-03-01"),
            ("2026-03-02", "2026-03-04", Week, "2026-02-23", "2026-02-25"),
            (
                "2026-03-10",
                "2026-03-31",
                Month,
                "2026-02-10",
                "2026-02-28",
            ),
            (
                "2026-04-01",
                "2026-04-30",
                Month,
                "2026-03-01",
                "2026-03-31",
            ),
            (
                "2026-04-01",
                "2026-04-15",
                Month,
                "2026-03-01",
                "2026-03-15",
            ),
            (
                "2026-03-01",
                "2026-03-31",
                Month,
                "2026-02-01",
                "2026-02-28",
            ),
            (
                "2028-03-01",
                "2028-03-31",
                Month,
                "2028-02-01",
                "2028-02-29",
            ),
            (
                "2026-03-31",
                "2026-03-31",
                Month,
                "2026-02-28",
                "2026-02-28",
            ),
            (
                "2026-03-01",
                "2026-03-30",
                Month,
                "2026-02-01",
                "2026-02-28",
            ),
            (
                "2028-03-30",
                "2028-03-31",
                Month,
                "2028-02-29",
                "2028-02-29",
            ),
            (
                "2026-01-10",
                "2026-01-31",
                Month,
                "2025-12-10",
                "2025-12-31",
            ),
            (
                "2026-01-01",
                "2026-03-31",
                Quarter,
                "2025-10-01",
                "2025-12-31",
            ),
            (
                "2026-07-01",
                "2026-09-30",
                Quarter,
                "2026-04-01",
                "2026-06-30",
            ),
            (
                "2026-02-15",
                "2026-03-31",
                Quarter,
                "2025-11-15",
                "2025-12-31",
            ),
            (
                "2026-04-01",
                "2026-05-31",
                Quarter,
                "2026-01-01",
                "2026-02-28",
            ),
            ("2026-01-01", "2026-12-31", Year, "2025-01-01", "2025-12-31"),
            ("2026-03-10", "2026-12-31", Year, "2025-03-10", "2025-12-31"),
            ("2029-01-01", "2029-02-28", Year, "2028-01-01", "2028-02-28"),
            ("2028-02-29", "2028-12-31", Year, "2027-02-28", "2027-12-31"),
            (
                "2026-03-10",
                "2026-04-30",
                Total,
                "2026-01-17",
                "2026-03-09",
            ),
            (
                "2026-01-01",
                "2026-01-01",
                Total,
                "2025-12-31",
                "2025-12-31",
            ),
            (
                "2028-03-01",
                "2028-03-31",
                Total,
                "2028-01-30",
                "2028-02-29",
            ),
            (
                "2026-01-01",
                "2026-12-31",
                Total,
                "2025-01-01",
                "2025-12-31",
            ),
        ];
        for (from, to, granularity, previous_from, previous_to) in cases {
            assert_eq!(
                previous_period(&period(from, to, granularity), granularity),
                range(previous_from, previous_to),
                "{from}..{to} {granularity:?}"
            );
        }
    }

    #[test]
    fn previous_year_keeps_dates_and_maps_29_february_to_28() {
        let cases = [
            ("2028-02-29", "2028-02-29", "2027-02-28", "2027-02-28"),
            ("2028-02-01", "2028-02-29", "2027-02-01", "2027-02-28"),
            ("2028-02-28", "2028-03-01", "2027-02-28", "2027-03-01"),
            ("2029-02-28", "2029-02-28", "2028-02-28", "2028-02-28"),
            ("2026-03-10", "2026-04-30", "2025-03-10", "2025-04-30"),
            ("2026-01-01", "2026-12-31", "2025-01-01", "2025-12-31"),
        ];
        for (from, to, previous_from, previous_to) in cases {
            assert_eq!(
                previous_year(range(from, to)),
                range(previous_from, previous_to),
                "{from}..{to}"
            );
        }
    }

    #[test]
    fn extreme_dates_saturate_instead_of_panicking() {
        let first = DateRange::new(NaiveDate::MIN, NaiveDate::MIN).unwrap();
        let last = DateRange::new(NaiveDate::MAX, NaiveDate::MAX).unwrap();
        for granularity in ALL {
            assert_eq!(
                bucket_start(NaiveDate::MIN, granularity),
                NaiveDate::MIN,
                "{granularity:?}"
            );
            let [at_first] = periods(first, granularity).try_into().unwrap();
            assert_eq!(
                previous_period(&at_first, granularity),
                first,
                "{granularity:?}"
            );
            let [at_last] = periods(last, granularity).try_into().unwrap();
            let previous = previous_period(&at_last, granularity);
            assert!(
                previous.to() < NaiveDate::MAX,
                "{granularity:?}: {previous:?}"
            );
        }
        assert_eq!(previous_year(first), first);
    }
}
