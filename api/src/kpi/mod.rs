//! The KPI engine: the one catalog, calendar buckets, and the pure formulas that turn
//! aggregated sums into values, comparisons and statuses.

pub mod buckets;
pub mod catalog;
pub mod formulas;
