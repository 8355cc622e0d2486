//! The KPI engine: the one catalog, calendar buckets, the pure formulas and plans that turn
//! aggregated sums into values, the SQL builder, and the report and cohort queries.

pub mod buckets;
pub mod catalog;
pub mod cohort;
pub mod formulas;
pub mod plan;
pub mod query;
pub mod report;
pub mod store;
