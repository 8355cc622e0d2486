//! Which aggregates a KPI needs, and its value from them. Pure: no IO.
//!
//! A KPI is evaluated from the Σ of each aggregate over one bucket and group; ratios divide
//! those sums once (never an average of ratios), derived KPIs divide the values of two KPIs
//! computed on the same bucket and group.

use super::catalog::{self, CohortMeasure, KpiKey, Measure, OrderMeasure, Term};
use super::formulas::ratio;
use super::query::{Agg, Source};

/// Money aggregates are in cents; values are in currency units.
const CENTS: f64 = 100.0;

/// The aggregates (with their sources) that `key` needs, derived KPIs included.
pub fn aggregates(key: KpiKey, out: &mut Vec<(Source, Agg)>) {
    let def = catalog::def(key);
    let mut push = |agg: Agg| {
        let item = (agg.source(def.family), agg);
        if !out.contains(&item) {
            out.push(item);
        }
    };
    match def.measure {
        Measure::Sum(terms) => push(terms_agg(terms)),
        Measure::Ratio { num, den } => {
            push(terms_agg(num));
            push(terms_agg(den));
        }
        Measure::Order(m) => push(order_agg(m)),
        Measure::SpendAmount => push(Agg::SpendAmount),
        Measure::Cohort(CohortMeasure::NewCustomers) => push(Agg::CohortSize),
        Measure::Cohort(CohortMeasure::Ltv) => {
            push(Agg::LtvRevenue);
            push(Agg::LtvCustomers);
        }
        Measure::Cohort(CohortMeasure::Retention { month_offset }) => {
            push(Agg::CohortSize);
            push(Agg::Retained(month_offset));
        }
        Measure::Derived { num, den } => {
            aggregates(num, out);
            aggregates(den, out);
        }
    }
}

/// The aggregate of a signed sum of columns: the column itself, or one SUM of the expression.
fn terms_agg(terms: &'static [Term]) -> Agg {
    match terms {
        [Term::Add(column)] => Agg::Col(column),
        _ => Agg::Terms(terms),
    }
}

fn order_agg(m: OrderMeasure) -> Agg {
    match m {
        OrderMeasure::Gmv => Agg::Gmv,
        OrderMeasure::Revenue => Agg::Revenue,
        OrderMeasure::Count => Agg::OrderCount,
        OrderMeasure::DistinctCustomers => Agg::Buyers,
    }
}

/// A KPI value with the numerator and denominator it came from.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Evaluated {
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

impl Evaluated {
    fn amount(value: f64) -> Self {
        Self {
            value: Some(value),
            numerator: Some(value),
            denominator: None,
        }
    }

    fn quotient(numerator: f64, denominator: f64) -> Self {
        Self {
            value: ratio(numerator, denominator),
            numerator: Some(numerator),
            denominator: Some(denominator),
        }
    }
}

/// Evaluates `key` from `sum(source, agg)`, the Σ of each aggregate over one bucket and group
/// (0 where there were no rows). `gross_margin` applies to LTV.
pub fn evaluate(key: KpiKey, sum: &impl Fn(Source, Agg) -> f64, gross_margin: f64) -> Evaluated {
    let def = catalog::def(key);
    let source_of = |agg: Agg| agg.source(def.family);
    let get = |agg: Agg| sum(source_of(agg), agg);
    match def.measure {
        Measure::Sum(terms) => Evaluated::amount(get(terms_agg(terms))),
        Measure::Ratio { num, den } => {
            Evaluated::quotient(get(terms_agg(num)), get(terms_agg(den)))
        }
        Measure::Order(m) => {
            let agg = order_agg(m);
            let raw = get(agg);
            Evaluated::amount(if matches!(agg, Agg::Gmv | Agg::Revenue) {
                raw / CENTS
            } else {
                raw
            })
        }
        Measure::SpendAmount => Evaluated::amount(get(Agg::SpendAmount) / CENTS),
        Measure::Cohort(CohortMeasure::NewCustomers) => Evaluated::amount(get(Agg::CohortSize)),
        Measure::Cohort(CohortMeasure::Ltv) => Evaluated::quotient(
            get(Agg::LtvRevenue) / CENTS * gross_margin,
            get(Agg::LtvCustomers),
        ),
        Measure::Cohort(CohortMeasure::Retention { month_offset }) => {
            Evaluated::quotient(get(Agg::Retained(month_offset)), get(Agg::CohortSize))
        }
        Measure::Derived { num, den } => {
            let n = evaluate(num, sum, gross_margin).value;
            let d = evaluate(den, sum, gross_margin).value;
            Evaluated {
                value: n.zip(d).and_then(|(n, d)| ratio(n, d)),
                numerator: n,
                denominator: d,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::kpi::catalog::Family;

    fn table(pairs: Vec<(Source, Agg, f64)>) -> impl Fn(Source, Agg) -> f64 {
        move |s, a| {
            pairs
                .iter()
                .find(|(ps, pa, _)| *ps == s && *pa == a)
                .map_or(0.0, |(_, _, v)| *v)
        }
    }

    #[test]
    fn ratio_is_ratio_of_sums_with_both_sides() {
        let src = Source::Daily(Family::ContentDaily);
        // 30 opens of 120 deliveries = 0.25.
        let sums = table(vec![
            (src, Agg::Col("opens"), 30.0),
            (src, Agg::Col("deliveries"), 120.0),
        ]);
        let e = evaluate(KpiKey::OpenRate, &sums, 1.0);
        assert_eq!(
            e,
            Evaluated {
                value: Some(0.25),
                numerator: Some(30.0),
                denominator: Some(120.0)
            }
        );
    }

    #[test]
    fn zero_denominator_has_no_value() {
        let e = evaluate(KpiKey::OpenRate, &table(vec![]), 1.0);
        assert_eq!(e.value, None);
        assert_eq!(e.denominator, Some(0.0));
    }

    #[test]
    fn unfollow_rate_uses_followers_at_start_of_day() {
        let src = Source::Daily(Family::AccountDaily);
        // start = total − new + unfollows, summed as one expression by the database.
        let start = [
            Term::Add("total_followers"),
            Term::Sub("new_followers"),
            Term::Add("unfollows"),
        ];
        let mut aggs = Vec::new();
        aggregates(KpiKey::UnfollowRate, &mut aggs);
        let terms = aggs
            .iter()
            .find_map(|(_, a)| match a {
                Agg::Terms(t) => Some(*t),
                _ => None,
            })
            .unwrap();
        assert_eq!(terms, start);
        assert!(aggs.contains(&(src, Agg::Col("unfollows"))), "{aggs:?}");
        // 20 unfollows of 970 followers at the start of the day.
        let sums = table(vec![
            (src, Agg::Col("unfollows"), 20.0),
            (src, Agg::Terms(terms), 970.0),
        ]);
        let e = evaluate(KpiKey::UnfollowRate, &sums, 1.0);
        assert_eq!(e.denominator, Some(970.0));
        assert_eq!(e.value, Some(20.0 / 970.0));
    }

    #[test]
    fn derived_kpis_nest_and_money_is_in_currency_units() {
        // Spend 1,000.00 (100,000 cents); 4 new customers → CAC 250.
        // LTV: 3,000.00 revenue × margin 0.5 / 4 customers = 375 → LTV/CAC = 1.5.
        let sums = table(vec![
            (Source::Spend, Agg::SpendAmount, 100_000.0),
            (Source::Cohort, Agg::CohortSize, 4.0),
            (Source::Cohort, Agg::LtvRevenue, 300_000.0),
            (Source::Cohort, Agg::LtvCustomers, 4.0),
        ]);
        let cac = evaluate(KpiKey::Cac, &sums, 0.5);
        assert_eq!(
            cac,
            Evaluated {
                value: Some(250.0),
                numerator: Some(1000.0),
                denominator: Some(4.0)
            }
        );
        let ratio = evaluate(KpiKey::LtvCacRatio, &sums, 0.5);
        assert_eq!(
            ratio,
            Evaluated {
                value: Some(1.5),
                numerator: Some(375.0),
                denominator: Some(250.0)
            }
        );
        let mut aggs = Vec::new();
        aggregates(KpiKey::LtvCacRatio, &mut aggs);
        assert_eq!(aggs.len(), 4);
    }
}
