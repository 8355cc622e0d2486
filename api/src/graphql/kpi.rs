//! KPI queries and settings: `kpiCatalog`, `kpiReport`, `setKpiThresholds`.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::db;
use super::enums::{CampaignKind, ContentKind};
use super::scalars::Date;
use crate::auth::{Role, RoleGuard, tenant};
use crate::error::ApiError;
use crate::ingest::validate::MAX_KEY_LEN;
use crate::kpi::buckets::{self, DateRange as Range};
use crate::kpi::catalog::{self, Dimension, KpiDirection, KpiKey, Unit};
use crate::kpi::cohort;
use crate::kpi::formulas::{self, Thresholds};
use crate::kpi::report::{self, FilterKeys, ReportRequest};
use crate::kpi::store;

/// The size of the calendar buckets a report is cut into (in the workspace time zone).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::kpi::buckets::Granularity")]
pub enum Granularity {
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    Month,
    Quarter,
    Year,
    /// The whole range as one period.
    Total,
}

/// How a value stands against its thresholds.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::kpi::formulas::Status")]
pub enum KpiStatus {
    Ok,
    Warning,
    Critical,
    /// No value: a zero denominator or no data.
    NoData,
}

/// What each value is compared with.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::kpi::report::CompareTo")]
pub enum Comparison {
    /// The calendar bucket just before (for TOTAL: the range of equal length just before).
    PreviousPeriod,
    /// The same dates one year earlier (29 February maps to 28 February).
    PreviousYear,
}

/// An inclusive range of business dates.
#[derive(InputObject)]
pub struct DateRangeInput {
    pub from: Date,
    pub to: Date,
}

/// An inclusive range of business dates.
#[derive(SimpleObject)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}

/// Restricts a report to some accounts, contents, campaigns, channels or staff (keys), or kinds.
/// As output (a rule's filter) the type is `RuleFilter`.
#[derive(InputObject, SimpleObject, Default)]
#[graphql(name = "RuleFilter", input_name = "KpiFilter")]
pub struct KpiFilter {
    pub accounts: Option<Vec<String>>,
    pub contents: Option<Vec<String>>,
    pub content_kinds: Option<Vec<ContentKind>>,
    pub campaigns: Option<Vec<String>>,
    pub campaign_kinds: Option<Vec<CampaignKind>>,
    pub channels: Option<Vec<String>>,
    pub staff: Option<Vec<String>>,
}

impl From<FilterKeys> for KpiFilter {
    fn from(f: FilterKeys) -> Self {
        Self {
            accounts: f.accounts,
            contents: f.contents,
            content_kinds: f
                .content_kinds
                .map(|v| v.into_iter().map(Into::into).collect()),
            campaigns: f.campaigns,
            campaign_kinds: f
                .campaign_kinds
                .map(|v| v.into_iter().map(Into::into).collect()),
            channels: f.channels,
            staff: f.staff,
        }
    }
}

/// Most values one list of a filter may hold. No dashboard filters by more, and every value
/// becomes a bound parameter of a statement (PostgreSQL takes at most 65,535 per statement).
pub const MAX_FILTER_VALUES: usize = 1_000;

impl TryFrom<KpiFilter> for FilterKeys {
    type Error = ApiError;

    /// # Errors
    /// `BAD_USER_INPUT` for a list over [`MAX_FILTER_VALUES`] or a key longer than any key can
    /// be ([`MAX_KEY_LEN`]).
    fn try_from(f: KpiFilter) -> Result<Self, ApiError> {
        let too_many = |name: &str, n: usize, what: &str| {
            ApiError::bad_input(format!(
                "filter.{name} lists {n} {what}; at most {MAX_FILTER_VALUES} {what} are allowed"
            ))
        };
        for (name, keys) in [
            ("accounts", &f.accounts),
            ("contents", &f.contents),
            ("campaigns", &f.campaigns),
            ("channels", &f.channels),
            ("staff", &f.staff),
        ] {
            let Some(keys) = keys else { continue };
            if keys.len() > MAX_FILTER_VALUES {
                return Err(too_many(name, keys.len(), "keys"));
            }
            if let Some(len) = keys
                .iter()
                .map(|key| key.chars().count())
                .find(|len| *len > MAX_KEY_LEN)
            {
                return Err(ApiError::bad_input(format!(
                    "filter.{name} has a key of {len} characters; keys have at most {MAX_KEY_LEN}"
                )));
            }
        }
        for (name, n) in [
            ("contentKinds", f.content_kinds.as_ref().map(Vec::len)),
            ("campaignKinds", f.campaign_kinds.as_ref().map(Vec::len)),
        ] {
            if let Some(n) = n.filter(|n| *n > MAX_FILTER_VALUES) {
                return Err(too_many(name, n, "kinds"));
            }
        }
        Ok(Self {
            accounts: f.accounts,
            contents: f.contents,
            content_kinds: f
                .content_kinds
                .map(|v| v.into_iter().map(Into::into).collect()),
            campaigns: f.campaigns,
            campaign_kinds: f
                .campaign_kinds
                .map(|v| v.into_iter().map(Into::into).collect()),
            channels: f.channels,
            staff: f.staff,
        })
    }
}

/// A report request.
#[derive(InputObject)]
pub struct KpiReportInput {
    /// 1 to 20 KPIs.
    pub kpis: Vec<KpiKey>,
    /// Inclusive business dates.
    pub range: DateRangeInput,
    /// Default TOTAL.
    pub granularity: Option<Granularity>,
    /// At most 3 dimensions.
    pub group_by: Option<Vec<Dimension>>,
    pub filter: Option<KpiFilter>,
    pub compare_to: Option<Comparison>,
    /// Default true: every period appears (and with groupBy every group in every period).
    pub fill_gaps: Option<bool>,
}

/// A period of a report: a calendar bucket clipped to the range.
#[derive(SimpleObject)]
pub struct Period {
    pub start: Date,
    pub end: Date,
    /// `2026-03-05`, `2026-W10`, `2026-03`, `2026-Q1`, `2026`, or `FROM..TO` for TOTAL.
    pub label: String,
}

impl From<&buckets::Period> for Period {
    fn from(p: &buckets::Period) -> Self {
        Self {
            start: Date(p.start()),
            end: Date(p.end()),
            label: p.label().to_string(),
        }
    }
}

/// The value of one grouping dimension in a row.
#[derive(SimpleObject)]
pub struct DimensionValue {
    pub dimension: Dimension,
    /// The entity key, content kind or staff userid; empty for rows without one (e.g. orders
    /// without a campaign).
    pub key: String,
    /// The entity's name or title.
    pub label: Option<String>,
}

/// One KPI value. Ratios carry their summed numerator and denominator; counts and amounts
/// carry the value as `numerator` with `denominator: null`.
#[derive(SimpleObject)]
pub struct KpiValue {
    pub kpi: KpiKey,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub status: KpiStatus,
    /// The value of the comparison period (with `compareTo`).
    pub previous: Option<f64>,
    /// value − previous.
    pub change: Option<f64>,
    /// change / |previous|; null when previous is 0 or null.
    pub change_ratio: Option<f64>,
}

impl From<report::KpiValue> for KpiValue {
    fn from(v: report::KpiValue) -> Self {
        let c = v.comparison.unwrap_or(formulas::Comparison {
            previous: None,
            change: None,
            change_ratio: None,
        });
        Self {
            kpi: v.kpi,
            value: v.value,
            numerator: v.numerator,
            denominator: v.denominator,
            status: v.status.into(),
            previous: c.previous,
            change: c.change,
            change_ratio: c.change_ratio,
        }
    }
}

/// One row of a report: a period and a group.
#[derive(SimpleObject)]
pub struct KpiRow {
    pub period: Period,
    pub dimensions: Vec<DimensionValue>,
    pub values: Vec<KpiValue>,
}

/// About a report.
#[derive(SimpleObject)]
pub struct ReportMeta {
    pub timezone: String,
    pub currency: String,
    pub range: DateRange,
    pub granularity: Granularity,
    pub generated_at: DateTime<Utc>,
    /// The latest business date with any fact.
    pub data_as_of: Option<Date>,
}

/// A KPI report.
#[derive(SimpleObject)]
pub struct KpiReport {
    /// Ordered by period, then by dimension keys.
    pub rows: Vec<KpiRow>,
    /// The whole range and filter, ignoring granularity and groupBy.
    pub totals: Vec<KpiValue>,
    pub meta: ReportMeta,
}

/// Warning and critical thresholds of a KPI.
#[derive(SimpleObject)]
pub struct KpiThresholds {
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

/// One KPI of the catalog.
#[derive(SimpleObject)]
pub struct KpiDefinition {
    pub key: KpiKey,
    pub label_en: String,
    pub label_zh: String,
    pub formula: String,
    pub unit: Unit,
    pub direction: KpiDirection,
    /// The dimensions it can be grouped and filtered by.
    pub dimensions: Vec<Dimension>,
    /// The catalog's default thresholds.
    pub default_thresholds: KpiThresholds,
    /// The thresholds in force for the caller's workspace.
    pub thresholds: KpiThresholds,
    pub benchmark: Option<String>,
    /// Defined on cohort months: needs MONTH or coarser granularity.
    pub needs_month: bool,
}

/// A cohort report request.
#[derive(InputObject)]
pub struct CohortInput {
    /// Cohorts whose first paid order falls in this range.
    pub range: DateRangeInput,
    /// Month offsets 0..months (default 12).
    pub months: Option<i32>,
    /// Only `channels`, `campaigns` and `campaignKinds` apply (of the first order).
    pub filter: Option<KpiFilter>,
}

/// One cohort: the customers whose first paid order fell in `month`.
#[derive(SimpleObject)]
pub struct Cohort {
    /// `YYYY-MM`.
    pub month: String,
    pub size: i64,
    /// `retained[k]`: customers with a paid order in month + k.
    pub retained: Vec<i64>,
    /// `retained[k] / size`; null for months that have not started yet.
    pub rates: Vec<Option<f64>>,
}

/// The retention matrix by month of first purchase.
#[derive(SimpleObject)]
pub struct CohortReport {
    pub cohorts: Vec<Cohort>,
}

#[derive(Default)]
pub struct KpiQuery;

#[Object]
impl KpiQuery {
    /// Every KPI: labels, formula, unit, direction, dimensions, thresholds, benchmark.
    // One statement (the workspace's thresholds) and a list of every KPI, like a page of that
    // size: so that aliases of it are charged for what they cost.
    #[graphql(complexity = "50 + catalog::all().len() * child_complexity")]
    async fn kpi_catalog(&self, ctx: &Context<'_>) -> Result<Vec<KpiDefinition>> {
        let in_force = store::thresholds(db(ctx)?, tenant(ctx)?).await?;
        Ok(catalog::all()
            .iter()
            .map(|d| {
                let t = in_force.get(&d.key).copied().unwrap_or(d.thresholds());
                KpiDefinition {
                    key: d.key,
                    label_en: d.label_en.into(),
                    label_zh: d.label_zh.into(),
                    formula: d.formula.into(),
                    unit: d.unit,
                    direction: d.direction.into(),
                    dimensions: d.dimensions.to_vec(),
                    default_thresholds: KpiThresholds {
                        warning: d.warning,
                        critical: d.critical,
                    },
                    thresholds: KpiThresholds {
                        warning: t.warning,
                        critical: t.critical,
                    },
                    benchmark: d.benchmark.map(Into::into),
                    needs_month: d.needs_month,
                }
            })
            .collect())
    }

    /// The retention matrix by month of first purchase.
    async fn cohorts(&self, ctx: &Context<'_>, input: CohortInput) -> Result<CohortReport> {
        let tenant = tenant(ctx)?;
        let range = Range::new(input.range.from.0, input.range.to.0)
            .map_err(|e| ApiError::bad_input(format!("invalid range: {e}")))?;
        let months = u32::try_from(input.months.unwrap_or(12))
            .map_err(|_| ApiError::bad_input("months must not be negative"))?;
        let keys = input
            .filter
            .map(FilterKeys::try_from)
            .transpose()?
            .unwrap_or_default();
        if let Some(d) = keys
            .dimensions()
            .into_iter()
            .find(|d| !matches!(d, Dimension::Channel | Dimension::Campaign))
        {
            return Err(ApiError::bad_input(format!(
                "cohorts can be filtered by CHANNEL and CAMPAIGN (of the first order), not {d}"
            ))
            .into());
        }
        let filters = report::resolve_filters(db(ctx)?, tenant, &keys).await?;
        let cohorts = cohort::cohorts(db(ctx)?, tenant, range, months, &filters).await?;
        Ok(CohortReport {
            cohorts: cohorts
                .into_iter()
                .map(|c| Cohort {
                    month: c.month,
                    size: c.size,
                    retained: c.retained,
                    rates: c.rates,
                })
                .collect(),
        })
    }

    /// KPIs over a range of business dates, by period and group, with totals and comparisons.
    #[graphql(complexity = "input.kpis.len().max(1) * 50 + child_complexity")]
    async fn kpi_report(&self, ctx: &Context<'_>, input: KpiReportInput) -> Result<KpiReport> {
        let tenant = tenant(ctx)?;
        let range = Range::new(input.range.from.0, input.range.to.0)
            .map_err(|e| ApiError::bad_input(format!("invalid range: {e}")))?;
        let granularity = input.granularity.unwrap_or(Granularity::Total);
        let req = ReportRequest {
            kpis: input.kpis,
            range,
            granularity: granularity.into(),
            group_by: input.group_by.unwrap_or_default(),
            filter: input
                .filter
                .map(FilterKeys::try_from)
                .transpose()?
                .unwrap_or_default(),
            compare_to: input.compare_to.map(Into::into),
            fill_gaps: input.fill_gaps.unwrap_or(true),
            totals: ctx.look_ahead().field("totals").exists(),
        };
        let report = report::report(db(ctx)?, tenant, &req).await?;
        let ws = tenant.workspace();
        Ok(KpiReport {
            rows: report
                .rows
                .into_iter()
                .map(|r| KpiRow {
                    period: (&r.period).into(),
                    dimensions: r
                        .dimensions
                        .into_iter()
                        .map(|d| DimensionValue {
                            dimension: d.dimension,
                            key: d.key,
                            label: d.label,
                        })
                        .collect(),
                    values: r.values.into_iter().map(Into::into).collect(),
                })
                .collect(),
            totals: report.totals.into_iter().map(Into::into).collect(),
            meta: ReportMeta {
                timezone: ws.timezone.clone(),
                currency: ws.currency.clone(),
                range: DateRange {
                    from: Date(range.from()),
                    to: Date(range.to()),
                },
                granularity,
                generated_at: Utc::now(),
                data_as_of: report.data_as_of.map(Date),
            },
        })
    }
}

#[derive(Default)]
pub struct KpiMutation;

#[Object]
impl KpiMutation {
    /// Sets the workspace's warning and critical thresholds of a KPI (ADMIN). For a
    /// HIGHER_IS_BETTER KPI a value below a threshold breaches it; for LOWER_IS_BETTER, above.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn set_kpi_thresholds(
        &self,
        ctx: &Context<'_>,
        kpi: KpiKey,
        warning: Option<f64>,
        critical: Option<f64>,
    ) -> Result<KpiThresholds> {
        for v in [warning, critical].into_iter().flatten() {
            if !v.is_finite() {
                return Err(ApiError::bad_input("thresholds must be finite numbers").into());
            }
        }
        if let (Some(w), Some(c)) = (warning, critical) {
            let higher_is_better =
                catalog::def(kpi).direction == formulas::Direction::HigherIsBetter;
            let ordered = if higher_is_better { c <= w } else { c >= w };
            if !ordered {
                return Err(ApiError::bad_input(format!(
                    "for {kpi} the critical threshold must be {} the warning threshold",
                    if higher_is_better {
                        "at or below"
                    } else {
                        "at or above"
                    }
                ))
                .into());
            }
        }
        store::set_thresholds(
            db(ctx)?,
            tenant(ctx)?,
            kpi,
            Thresholds { warning, critical },
        )
        .await?;
        Ok(KpiThresholds { warning, critical })
    }
}
