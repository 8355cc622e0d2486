//! The alert state machine: from an instance's state before a period and what the period
//! measured, its state after, and the events between the stored state and that one. Pure.
//!
//! An instance is PENDING while a breach has lasted fewer than `pendingPeriods` consecutive
//! periods, FIRING after that (WARNING or CRITICAL), RESOLVED once the value is back on the
//! good side. A firing alert clears a level only past that level's recovery threshold
//! (hysteresis). A period without a usable value (no data, or a sample below `minDenominator`)
//! leaves the state alone and is reported once as NO_DATA.
//!
//! Re-evaluating a period starts again from the state before it, so evaluating the same period
//! twice with the same data changes nothing, and a late correction of the data changes the
//! outcome of that period instead of counting as another period.

use chrono::{Datelike, Days, Months, NaiveDate};
use entity::{AlertEventKind, AlertState, Operator, Severity, TimeWindow};

/// The period a rule evaluates as of business date `as_of`: the last complete window before it
/// (DAY: the day before; WEEK: the ISO week that ended before; MONTH: the month that ended
/// before). A cohort-month KPI (three-month repurchase) evaluates the latest cohort month whose
/// third month has ended: two months before the last complete month. `None` only at the edge of
/// the calendar.
pub fn window_period(
    window: TimeWindow,
    as_of: NaiveDate,
    cohort_month: bool,
) -> Option<(NaiveDate, NaiveDate)> {
    match window {
        TimeWindow::Day => {
            let day = as_of.checked_sub_days(Days::new(1))?;
            Some((day, day))
        }
        TimeWindow::Week => {
            let back = u64::from(as_of.weekday().num_days_from_monday()) + 1;
            let end = as_of.checked_sub_days(Days::new(back))?;
            Some((end.checked_sub_days(Days::new(6))?, end))
        }
        TimeWindow::Month => {
            let this_month = as_of.with_day(1)?;
            let end = this_month.checked_sub_days(Days::new(1))?;
            let start = end.with_day(1)?;
            if cohort_month {
                let cohort = start.checked_sub_months(Months::new(2))?;
                let cohort_end = cohort
                    .checked_add_months(Months::new(1))?
                    .checked_sub_days(Days::new(1))?;
                Some((cohort, cohort_end))
            } else {
                Some((start, end))
            }
        }
    }
}

/// An instance's state; `state: None` means the instance does not exist yet.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub state: Option<AlertState>,
    pub severity: Option<Severity>,
    /// Consecutive breaching periods.
    pub streak: u32,
    /// Whether the last period had no usable value.
    pub no_data: bool,
}

impl Snapshot {
    fn active(&self) -> bool {
        matches!(self.state, Some(AlertState::Pending | AlertState::Firing))
    }
}

/// The thresholds of a condition on the measured quantity (the value, or its change).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// A firing WARNING clears only past this (default: `warning`).
    pub warning_recovery: Option<f64>,
    /// A firing CRITICAL clears only past this (default: `critical`).
    pub critical_recovery: Option<f64>,
    /// Whether reaching a threshold exactly is a breach (CHANGE conditions: "+5% or more").
    pub inclusive: bool,
    pub pending_periods: u32,
}

/// Floating-point slack when comparing a measured quantity with a threshold, so that a change
/// of exactly +5% computed as 0.05000000000000004 or 0.04999999999999996 reads as +5%.
const EPSILON: f64 = 1e-9;

impl Condition {
    fn beyond(&self, x: f64, threshold: f64) -> bool {
        let slack = if self.inclusive { EPSILON } else { -EPSILON };
        match self.operator {
            Operator::Below => x < threshold + slack,
            Operator::Above => x > threshold - slack,
        }
    }

    /// The severity `x` breaches, given the instance's state before, and the threshold crossed.
    pub fn level(&self, x: f64, before: &Snapshot) -> Option<(Severity, f64)> {
        let firing = before.state == Some(AlertState::Firing);
        let critical = self.critical.and_then(|c| {
            let limit = if firing && before.severity == Some(Severity::Critical) {
                self.critical_recovery.unwrap_or(c)
            } else {
                c
            };
            self.beyond(x, limit).then_some(c)
        });
        if let Some(c) = critical {
            return Some((Severity::Critical, c));
        }
        self.warning.and_then(|w| {
            let limit = if firing {
                self.warning_recovery.unwrap_or(w)
            } else {
                w
            };
            self.beyond(x, limit).then_some((Severity::Warning, w))
        })
    }
}

/// What a period measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Observation {
    /// No usable value.
    NoData,
    /// The measured quantity (value, or change for CHANGE rules).
    Value(f64),
}

/// The state after a period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub next: Snapshot,
    /// The threshold breached, if any.
    pub threshold: Option<f64>,
}

/// The instance's state after a period with `observation`, starting from `before`.
pub fn step(before: &Snapshot, observation: Observation, condition: &Condition) -> Step {
    let x = match observation {
        Observation::NoData => {
            let state = before.state.or(Some(AlertState::Resolved));
            return Step {
                next: Snapshot {
                    state,
                    no_data: true,
                    ..*before
                },
                threshold: None,
            };
        }
        Observation::Value(x) => x,
    };
    match condition.level(x, before) {
        None => {
            let state = if before.active() {
                Some(AlertState::Resolved)
            } else {
                before.state
            };
            Step {
                next: Snapshot {
                    state,
                    severity: before.severity,
                    streak: 0,
                    no_data: false,
                },
                threshold: None,
            }
        }
        Some((severity, threshold)) => {
            let streak = before.streak.saturating_add(1);
            let state = if streak >= condition.pending_periods.max(1) {
                AlertState::Firing
            } else {
                AlertState::Pending
            };
            Step {
                next: Snapshot {
                    state: Some(state),
                    severity: Some(severity),
                    streak,
                    no_data: false,
                },
                threshold: Some(threshold),
            }
        }
    }
}

/// The events between the stored state `current` and `next`, in the order they happened.
pub fn events(current: &Snapshot, next: &Snapshot) -> Vec<AlertEventKind> {
    use AlertState::{Firing, Pending, Resolved};
    let mut out = Vec::new();
    if next.no_data && !current.no_data {
        out.push(AlertEventKind::NoData);
    }
    match (current.state, next.state) {
        (None | Some(Resolved), Some(Pending)) | (Some(Firing), Some(Pending)) => {
            out.push(AlertEventKind::Pending);
        }
        (None | Some(Resolved | Pending), Some(Firing)) => out.push(AlertEventKind::Fired),
        (Some(Firing), Some(Firing)) => match (current.severity, next.severity) {
            (Some(a), Some(b)) if b > a => out.push(AlertEventKind::Escalated),
            (Some(a), Some(b)) if b < a => out.push(AlertEventKind::Deescalated),
            _ => {}
        },
        (Some(Pending | Firing), Some(Resolved)) => out.push(AlertEventKind::Resolved),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlertEventKind as E;
    use AlertState::{Firing, Pending, Resolved};

    fn below(warning: f64, critical: Option<f64>, pending: u32) -> Condition {
        Condition {
            operator: Operator::Below,
            warning: Some(warning),
            critical,
            warning_recovery: None,
            critical_recovery: None,
            inclusive: false,
            pending_periods: pending,
        }
    }

    /// Runs observations through the machine, one new period each; returns the events of each.
    fn run(cond: &Condition, xs: &[Observation]) -> (Snapshot, Vec<Vec<E>>) {
        let mut s = Snapshot::default();
        let mut all = Vec::new();
        for x in xs {
            let next = step(&s, *x, cond).next;
            all.push(events(&s, &next));
            s = next;
        }
        (s, all)
    }

    use Observation::{NoData, Value as V};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn windows_end_before_the_evaluation_date() {
        let cases = [
            (
                TimeWindow::Day,
                "2026-03-01",
                false,
                ("2026-02-28", "2026-02-28"),
            ),
            // 2026-03-04 is a Wednesday: the last complete ISO week is Mon 02-23 .. Sun 03-01.
            (
                TimeWindow::Week,
                "2026-03-04",
                false,
                ("2026-02-23", "2026-03-01"),
            ),
            // On a Monday the week that just ended counts.
            (
                TimeWindow::Week,
                "2026-03-02",
                false,
                ("2026-02-23", "2026-03-01"),
            ),
            (
                TimeWindow::Month,
                "2026-03-15",
                false,
                ("2026-02-01", "2026-02-28"),
            ),
            (
                TimeWindow::Month,
                "2026-03-01",
                false,
                ("2026-02-01", "2026-02-28"),
            ),
            // Last complete month February → cohort month December (its third month, Feb, ended).
            (
                TimeWindow::Month,
                "2026-03-15",
                true,
                ("2025-12-01", "2025-12-31"),
            ),
        ];
        for (window, as_of, cohort, (from, to)) in cases {
            assert_eq!(
                window_period(window, d(as_of), cohort),
                Some((d(from), d(to))),
                "{window:?} {as_of}"
            );
        }
    }

    #[test]
    fn breach_fires_after_pending_periods_and_resolves() {
        // Read-through < 0.20 for 2 periods before firing.
        let cond = below(0.20, None, 2);
        let (s, ev) = run(&cond, &[V(0.25), V(0.15), V(0.18), V(0.19), V(0.22)]);
        assert_eq!(
            ev,
            vec![
                vec![],
                vec![E::Pending],
                vec![E::Fired],
                vec![],
                vec![E::Resolved]
            ]
        );
        assert_eq!(s.state, Some(Resolved));
    }

    #[test]
    fn worsening_escalates_and_improving_deescalates() {
        let cond = below(0.20, Some(0.10), 1);
        let (s, ev) = run(&cond, &[V(0.15), V(0.05), V(0.15), V(0.30)]);
        assert_eq!(
            ev,
            vec![
                vec![E::Fired],
                vec![E::Escalated],
                vec![E::Deescalated],
                vec![E::Resolved]
            ]
        );
        assert_eq!(s.severity, Some(Severity::Warning));
    }

    #[test]
    fn hysteresis_keeps_firing_until_the_recovery_level() {
        let cond = Condition {
            warning_recovery: Some(0.25),
            ..below(0.20, None, 1)
        };
        // 0.22 is above the warning (0.20) but not past the recovery (0.25): still firing.
        let (s, ev) = run(&cond, &[V(0.15), V(0.22), V(0.24), V(0.26)]);
        assert_eq!(ev, vec![vec![E::Fired], vec![], vec![], vec![E::Resolved]]);
        assert_eq!(s.state, Some(Resolved));
        // Without a firing alert, 0.22 never breaches.
        let (_, quiet) = run(&cond, &[V(0.22)]);
        assert_eq!(quiet, vec![Vec::<E>::new()]);
    }

    #[test]
    fn critical_recovery_holds_critical() {
        let cond = Condition {
            critical_recovery: Some(0.12),
            ..below(0.20, Some(0.10), 1)
        };
        let (_, ev) = run(&cond, &[V(0.05), V(0.11), V(0.13)]);
        assert_eq!(ev, vec![vec![E::Fired], vec![], vec![E::Deescalated]]);
    }

    #[test]
    fn change_is_inclusive_at_the_threshold() {
        let cond = Condition {
            operator: Operator::Above,
            warning: Some(0.05),
            critical: None,
            warning_recovery: None,
            critical_recovery: None,
            inclusive: true,
            pending_periods: 1,
        };
        // (1.05 − 1) / 1 is 0.050000000000000044; (0.105 − 0.1) / 0.1 is 0.04999999999999993.
        for x in [(1.05 - 1.0) / 1.0, (0.105 - 0.1) / 0.1] {
            assert_eq!(run(&cond, &[V(x)]).1, vec![vec![E::Fired]], "{x}");
        }
        assert_eq!(run(&cond, &[V(0.04)]).1, vec![Vec::<E>::new()]);
    }

    #[test]
    fn no_data_is_reported_once_and_keeps_the_state() {
        let cond = below(0.20, None, 1);
        let (s, ev) = run(&cond, &[V(0.1), NoData, NoData, V(0.1)]);
        assert_eq!(ev, vec![vec![E::Fired], vec![E::NoData], vec![], vec![]]);
        assert_eq!(s.state, Some(Firing));
        let (fresh, ev) = run(&cond, &[NoData]);
        assert_eq!(ev, vec![vec![E::NoData]]);
        assert_eq!(fresh.state, Some(Resolved));
    }

    #[test]
    fn re_evaluating_a_period_starts_from_the_state_before_it() {
        let cond = below(0.20, None, 2);
        let before = Snapshot {
            state: Some(Pending),
            severity: Some(Severity::Warning),
            streak: 1,
            no_data: false,
        };
        let first = step(&before, V(0.1), &cond).next;
        assert_eq!(first.state, Some(Firing));
        // Same period, same data: nothing changes.
        let again = step(&before, V(0.1), &cond).next;
        assert_eq!(events(&first, &again), Vec::<E>::new());
        // Same period, corrected data: resolved, not a third breaching period.
        let corrected = step(&before, V(0.3), &cond).next;
        assert_eq!(events(&first, &corrected), vec![E::Resolved]);
    }
}
