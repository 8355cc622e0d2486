//! `cohorts`: the retention matrix by month of first purchase.
//!
//! Cohort M holds the customers whose first paid order (business date, workspace zone) falls in
//! month M within the range; `retained[k]` counts those with a paid order in month M + k.
//! Offsets whose month has not started yet have no rate.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use sea_orm::{ConnectionTrait, Statement};

use super::buckets::DateRange;
use super::query::{self, Filters, Settings};
use super::store;
use crate::auth::Tenant;
use crate::error::{ApiError, ApiResult};

/// Most month offsets a matrix has.
pub const MAX_MONTHS: u32 = 120;

/// One cohort row of the matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Cohort {
    /// `YYYY-MM`.
    pub month: String,
    pub size: i64,
    /// `retained[k]`: customers with a paid order in month M + k (k = 0..=months).
    pub retained: Vec<i64>,
    /// `retained[k] / size`; `None` for months that have not started yet.
    pub rates: Vec<Option<f64>>,
}

/// Computes the retention matrix of the caller's workspace.
///
/// # Errors
/// `BAD_USER_INPUT` for more than [`MAX_MONTHS`] offsets; `INTERNAL` on database failure.
pub async fn cohorts<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    range: DateRange,
    months: u32,
    filters: &Filters,
) -> ApiResult<Vec<Cohort>> {
    if months > MAX_MONTHS {
        return Err(ApiError::bad_input(format!(
            "months must be at most {MAX_MONTHS}"
        )));
    }
    let ws = tenant.workspace();
    let settings = Settings {
        workspace_id: ws.id,
        ltv_horizon_months: ws.ltv_horizon_months,
    };
    let statement = query::cohort_matrix(store::dialect(db), settings, range, months, filters);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            statement.sql,
            statement.values,
        ))
        .await?;
    let width = months as usize + 1;
    let mut matrix: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in rows {
        let month: String = row.try_get_by_index(0)?;
        let offset: i64 = row.try_get_by_index(1)?;
        let count: i64 = row.try_get_by_index(2)?;
        if let Ok(k) = usize::try_from(offset)
            && k < width
        {
            matrix.entry(month).or_insert_with(|| vec![0; width])[k] = count;
        }
    }
    let this_month = first_of_month(tenant.today());
    Ok(matrix
        .into_iter()
        .map(|(month, retained)| {
            let size = retained[0];
            let start = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok();
            let rates = (0..width)
                .map(|k| {
                    let started = start
                        .and_then(|s| s.checked_add_months(Months::new(u32::try_from(k).ok()?)))
                        .is_some_and(|m| m <= this_month);
                    #[allow(clippy::cast_precision_loss)]
                    let rate = retained[k] as f64 / size as f64;
                    (started && size > 0).then_some(rate)
                })
                .collect();
            Cohort {
                month,
                size,
                retained,
                rates,
            }
        })
        .collect())
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}
