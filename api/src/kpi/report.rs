//! `kpiReport`: validates a report request, runs one grouped statement per source and range,
//! and assembles periods, groups, values, comparisons and totals.
//!
//! The database aggregates (GROUP BY); this module maps buckets onto the report's clipped
//! periods and evaluates KPIs from the sums. It never reads fact rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use super::buckets::{self, DateRange, Granularity, Period};
use super::catalog::{self, Dimension, KpiKey};
use super::formulas::{self, Comparison, Status, Thresholds};
use super::plan::{self, Evaluated};
use super::query::{self, Agg, Bucketing, Filters, Settings, Source};
use super::store::{self, GroupVal, Label};
use crate::auth::Tenant;
use crate::directory;
use crate::error::{ApiError, ApiResult};

/// Most KPIs in one report.
pub const MAX_KPIS: usize = 20;
/// Most `groupBy` dimensions.
pub const MAX_GROUP_BY: usize = 3;
/// Most rows in one report.
pub const MAX_ROWS: usize = 50_000;

/// What to compare each value with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareTo {
    PreviousPeriod,
    PreviousYear,
}

/// The report filter as the caller gives it: keys and kinds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FilterKeys {
    pub accounts: Option<Vec<String>>,
    pub contents: Option<Vec<String>>,
    pub content_kinds: Option<Vec<entity::ContentKind>>,
    pub campaigns: Option<Vec<String>>,
    pub campaign_kinds: Option<Vec<entity::CampaignKind>>,
    pub channels: Option<Vec<String>>,
    pub staff: Option<Vec<String>>,
}

impl FilterKeys {
    /// The dimensions the filter constrains (a filter needs the KPI to support them).
    pub fn dimensions(&self) -> Vec<Dimension> {
        let mut out = Vec::new();
        let mut add = |present: bool, d: Dimension| {
            if present && !out.contains(&d) {
                out.push(d);
            }
        };
        add(self.accounts.is_some(), Dimension::Account);
        add(self.contents.is_some(), Dimension::Content);
        add(self.content_kinds.is_some(), Dimension::ContentKind);
        add(
            self.campaigns.is_some() || self.campaign_kinds.is_some(),
            Dimension::Campaign,
        );
        add(self.channels.is_some(), Dimension::Channel);
        add(self.staff.is_some(), Dimension::Staff);
        out
    }
}

/// A report request.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRequest {
    pub kpis: Vec<KpiKey>,
    pub range: DateRange,
    pub granularity: Granularity,
    pub group_by: Vec<Dimension>,
    pub filter: FilterKeys,
    pub compare_to: Option<CompareTo>,
    pub fill_gaps: bool,
    /// Whether the caller wants `totals` (they cost statements of their own).
    pub totals: bool,
}

/// One value of a grouping dimension in a row.
#[derive(Clone, Debug, PartialEq)]
pub struct DimValue {
    pub dimension: Dimension,
    /// The entity key, content kind or staff userid; empty when the row has none (e.g. orders
    /// without a campaign).
    pub key: String,
    pub label: Option<String>,
}

/// One KPI value.
#[derive(Clone, Debug, PartialEq)]
pub struct KpiValue {
    pub kpi: KpiKey,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub status: Status,
    pub comparison: Option<Comparison>,
}

/// One row: a period and a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub period: Period,
    pub dimensions: Vec<DimValue>,
    pub values: Vec<KpiValue>,
}

/// The answer to a report request.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub rows: Vec<Row>,
    pub totals: Vec<KpiValue>,
    pub data_as_of: Option<NaiveDate>,
}

/// Refuses requests the engine cannot answer, with a message that says why.
///
/// # Errors
/// `BAD_USER_INPUT` naming the KPI, dimension or limit at fault.
pub fn validate(req: &ReportRequest) -> ApiResult<()> {
    if req.kpis.is_empty() || req.kpis.len() > MAX_KPIS {
        return Err(ApiError::bad_input(format!(
            "a report asks for 1 to {MAX_KPIS} KPIs, got {}",
            req.kpis.len()
        )));
    }
    if req.group_by.len() > MAX_GROUP_BY {
        return Err(ApiError::bad_input(format!(
            "groupBy takes at most {MAX_GROUP_BY} dimensions, got {}",
            req.group_by.len()
        )));
    }
    let distinct: BTreeSet<String> = req.group_by.iter().map(ToString::to_string).collect();
    if distinct.len() != req.group_by.len() {
        return Err(ApiError::bad_input("groupBy names a dimension twice"));
    }
    for kpi in &req.kpis {
        let def = catalog::def(*kpi);
        for dim in &req.group_by {
            if !def.supports(*dim) {
                return Err(ApiError::bad_input(format!(
                    "{kpi} cannot be grouped by {dim}; it supports {}",
                    names(def.dimensions)
                )));
            }
        }
        for dim in req.filter.dimensions() {
            if !def.supports(dim) {
                return Err(ApiError::bad_input(format!(
                    "{kpi} cannot be filtered by {dim}; it supports {}",
                    names(def.dimensions)
                )));
            }
        }
        if def.needs_month && matches!(req.granularity, Granularity::Day | Granularity::Week) {
            return Err(ApiError::bad_input(format!(
                "{kpi} is defined on cohort months: use granularity MONTH, QUARTER, YEAR or TOTAL"
            )));
        }
    }
    Ok(())
}

fn names(dims: &[Dimension]) -> String {
    dims.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Σ of every aggregate per (period, group), per source.
#[derive(Default)]
struct Frame {
    sources: HashMap<Source, SourceSums>,
}

#[derive(Default)]
struct SourceSums {
    aggs: Vec<Agg>,
    cells: HashMap<(usize, Vec<GroupVal>), Vec<f64>>,
}

impl Frame {
    fn sum(&self, period: usize, group: &[GroupVal], source: Source, agg: Agg) -> f64 {
        let Some(s) = self.sources.get(&source) else {
            return 0.0;
        };
        let Some(at) = s.aggs.iter().position(|a| *a == agg) else {
            return 0.0;
        };
        s.cells
            .get(&(period, group.to_vec()))
            .map_or(0.0, |sums| sums[at])
    }

    fn keys(&self) -> BTreeSet<(usize, Vec<GroupVal>)> {
        self.sources
            .values()
            .flat_map(|s| s.cells.keys().cloned())
            .collect()
    }

    /// Adds the cells of `other`, loaded for other periods with the same aggregates.
    fn absorb(&mut self, other: Frame) {
        for (source, sums) in other.sources {
            match self.sources.get_mut(&source) {
                Some(own) => own.cells.extend(sums.cells),
                None => {
                    self.sources.insert(source, sums);
                }
            }
        }
    }

    /// Moves the cells of period `p` into a frame of their own, as period 0.
    fn take_period(&mut self, p: usize) -> Frame {
        let mut out = Frame::default();
        for (source, sums) in &mut self.sources {
            let (moved, kept): (HashMap<_, _>, HashMap<_, _>) = std::mem::take(&mut sums.cells)
                .into_iter()
                .partition(|((period, _), _)| *period == p);
            sums.cells = kept;
            let cells = moved
                .into_iter()
                .map(|((_, group), v)| ((0, group), v))
                .collect();
            out.sources.insert(
                *source,
                SourceSums {
                    aggs: sums.aggs.clone(),
                    cells,
                },
            );
        }
        out
    }

    /// Everything summed into period 0 and the empty group (for additive aggregates).
    fn collapsed(&self) -> Frame {
        let mut out = Frame::default();
        for (source, s) in &self.sources {
            let mut total = vec![0.0; s.aggs.len()];
            for sums in s.cells.values() {
                for (t, v) in total.iter_mut().zip(sums) {
                    *t += v;
                }
            }
            let mut cells = HashMap::new();
            cells.insert((0, Vec::new()), total);
            out.sources.insert(
                *source,
                SourceSums {
                    aggs: s.aggs.clone(),
                    cells,
                },
            );
        }
        out
    }
}

/// Where one set of statements reads and how its buckets map onto report periods.
struct Target {
    range: DateRange,
    bucketing: Bucketing,
    /// Bucket key → the report periods it feeds.
    index: HashMap<String, Vec<usize>>,
}

impl Target {
    /// Calendar buckets of the report itself.
    fn calendar(range: DateRange, g: Granularity, periods: &[Period]) -> Self {
        let index = periods
            .iter()
            .enumerate()
            .map(|(i, p)| (bucket_key(p.start(), g), vec![i]))
            .collect();
        Self {
            range,
            bucketing: Bucketing::Calendar(g),
            index,
        }
    }

    /// The whole `range` as period 0 and the range `before` it (ending the day before it
    /// starts) as period 1, in one statement.
    fn adjacent(before: DateRange, range: DateRange) -> Self {
        let index = HashMap::from([("0".to_string(), vec![1]), ("1".to_string(), vec![0])]);
        Self {
            range: DateRange::new(before.from(), range.to()).unwrap_or(range),
            bucketing: Bucketing::Ranges(vec![before, range]),
            index,
        }
    }

    /// The comparison ranges `ranges[i]` of report period `i`: calendar buckets when they are
    /// exactly the clipped calendar buckets of their span, explicit ranges otherwise (e.g. ISO
    /// weeks one year earlier). Explicit ranges may need several statements (see
    /// [`Target::layers`]).
    fn comparison(ranges: &[DateRange], g: Granularity) -> Vec<Self> {
        let (Some(from), Some(to)) = (
            ranges.iter().map(DateRange::from).min(),
            ranges.iter().map(DateRange::to).max(),
        ) else {
            return Vec::new();
        };
        let Ok(span) = DateRange::new(from, to) else {
            return Vec::new();
        };
        let mut distinct: Vec<DateRange> = ranges.to_vec();
        distinct.dedup();
        let calendar: Vec<DateRange> = buckets::periods(span, g)
            .iter()
            .map(Period::range)
            .collect();
        if g == Granularity::Total || calendar == distinct {
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, r) in ranges.iter().enumerate() {
                index.entry(bucket_key(r.from(), g)).or_default().push(i);
            }
            vec![Self {
                range: span,
                bucketing: Bucketing::Calendar(g),
                index,
            }]
        } else {
            Self::layers(ranges)
        }
    }

    /// Explicit `ranges` (in date order) as statements whose ranges are pairwise disjoint.
    ///
    /// A statement's `CASE` puts a date into its first matching range only, but year-earlier
    /// ranges may share a day: 29 February becomes 28 February, so the ISO weeks
    /// 2016-02-22..2016-02-28 and 2016-02-29..2016-03-06 both compare with a range holding
    /// 2015-02-28. Each range goes into the first layer it does not overlap; one statement per
    /// layer (a single one unless ranges overlap).
    fn layers(ranges: &[DateRange]) -> Vec<Self> {
        let mut layers: Vec<Vec<usize>> = Vec::new();
        for (i, r) in ranges.iter().enumerate() {
            let fits = |layer: &&mut Vec<usize>| {
                layer
                    .last()
                    .is_none_or(|&last| ranges[last].to() < r.from())
            };
            match layers.iter_mut().find(fits) {
                Some(layer) => layer.push(i),
                None => layers.push(vec![i]),
            }
        }
        layers
            .into_iter()
            .filter_map(|layer| {
                let own: Vec<DateRange> = layer.iter().map(|&i| ranges[i]).collect();
                let span = DateRange::new(own.first()?.from(), own.last()?.to()).ok()?;
                let index = layer
                    .iter()
                    .enumerate()
                    .map(|(position, &i)| (position.to_string(), vec![i]))
                    .collect();
                Some(Self {
                    range: span,
                    bucketing: Bucketing::Ranges(own),
                    index,
                })
            })
            .collect()
    }
}

/// The key a statement returns for the bucket of `date`.
fn bucket_key(date: NaiveDate, g: Granularity) -> String {
    if g == Granularity::Total {
        "total".to_string()
    } else {
        buckets::bucket_start(date, g)
            .format("%Y-%m-%d")
            .to_string()
    }
}

struct Engine<'a, C> {
    db: &'a C,
    settings: Settings,
    filters: Filters,
    by_source: BTreeMap<Source, Vec<Agg>>,
}

impl<C: ConnectionTrait> Engine<'_, C> {
    /// Runs the statement of every source for `target`. The statements are independent and
    /// run at once, each on a pool connection of its own (inside a transaction, one after the
    /// other); all of them are awaited, so a failing one never abandons another mid-statement.
    async fn load(&self, target: &Target, dims: &[Dimension]) -> ApiResult<Frame> {
        let dialect = store::dialect(self.db);
        let types: Vec<_> = dims.iter().map(|d| query::dim_type(*d)).collect();
        let runs = self.by_source.iter().map(|(source, aggs)| {
            let req = query::Request {
                source: *source,
                aggs,
                dims,
                range: target.range,
                bucketing: &target.bucketing,
                filters: &self.filters,
            };
            let statement = query::build(dialect, self.settings, &req);
            let types = &types;
            async move {
                let rows = store::run(self.db, statement, types, aggs.len()).await;
                (*source, aggs, rows)
            }
        });
        let mut frame = Frame::default();
        for (source, aggs, rows) in futures::future::join_all(runs).await {
            let mut sums = SourceSums {
                aggs: aggs.clone(),
                cells: HashMap::new(),
            };
            for row in rows? {
                let Some(periods) = target.index.get(&row.bucket) else {
                    continue;
                };
                for p in periods {
                    sums.cells.insert((*p, row.group.clone()), row.sums.clone());
                }
            }
            frame.sources.insert(source, sums);
        }
        Ok(frame)
    }
}

/// Resolves a filter's keys and kinds to ids of the caller's workspace; unknown keys (and keys of
/// other workspaces) match nothing.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn resolve_filters<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    keys: &FilterKeys,
) -> ApiResult<Filters> {
    async fn ids<E: directory::Scoped, C: ConnectionTrait>(
        db: &C,
        tenant: &Tenant,
        keys: &Option<Vec<String>>,
    ) -> ApiResult<Option<Vec<i64>>> {
        match keys {
            None => Ok(None),
            Some(keys) => {
                let found = directory::ids_for_keys::<E, _>(db, tenant, keys).await?;
                Ok(Some(found.into_values().collect()))
            }
        }
    }
    let mut campaigns = ids::<entity::campaign::Entity, _>(db, tenant, &keys.campaigns).await?;
    if let Some(kinds) = &keys.campaign_kinds {
        let of_kind = store::campaigns_of_kinds(db, tenant, kinds).await?;
        campaigns = Some(match campaigns {
            Some(named) => named
                .into_iter()
                .filter(|id| of_kind.contains(id))
                .collect(),
            None => of_kind,
        });
    }
    Ok(Filters {
        accounts: ids::<entity::account::Entity, _>(db, tenant, &keys.accounts).await?,
        contents: ids::<entity::content::Entity, _>(db, tenant, &keys.contents).await?,
        content_kinds: keys
            .content_kinds
            .as_ref()
            .map(|k| k.iter().map(sea_orm::ActiveEnum::to_value).collect()),
        campaigns,
        channels: ids::<entity::channel::Entity, _>(db, tenant, &keys.channels).await?,
        staff: keys.staff.clone(),
    })
}

/// Answers a report request for the caller's workspace.
///
/// # Errors
/// `BAD_USER_INPUT` for a request [`validate`] refuses or one over [`MAX_ROWS`] rows;
/// `INTERNAL`/`TIMEOUT` from the database.
pub async fn report<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    req: &ReportRequest,
) -> ApiResult<Report> {
    validate(req)?;
    let g = req.granularity;
    // Counted before the periods are built: DAY over centuries would allocate millions first.
    let period_count = buckets::period_count(req.range, g);
    if period_count > MAX_ROWS as u64 {
        return Err(too_many_rows(
            usize::try_from(period_count).unwrap_or(usize::MAX),
        ));
    }
    let periods = buckets::periods(req.range, g);
    let mut needed = Vec::new();
    for kpi in &req.kpis {
        plan::aggregates(*kpi, &mut needed);
    }
    let mut by_source: BTreeMap<Source, Vec<Agg>> = BTreeMap::new();
    for (source, agg) in &needed {
        by_source.entry(*source).or_default().push(*agg);
    }
    let ws = tenant.workspace();
    let engine = Engine {
        db,
        settings: Settings {
            workspace_id: ws.id,
            ltv_horizon_months: ws.ltv_horizon_months,
        },
        filters: resolve_filters(db, tenant, &req.filter).await?,
        by_source,
    };

    let ranges: Option<Vec<DateRange>> = req.compare_to.map(|cmp| {
        periods
            .iter()
            .map(|p| match cmp {
                CompareTo::PreviousPeriod => buckets::previous_period(p, g),
                CompareTo::PreviousYear => buckets::previous_year(p.range()),
            })
            .collect()
    });
    let (current, previous) = match ranges.as_deref() {
        // A TOTAL compared with the range just before it: one statement per source reads both.
        Some([before])
            if g == Granularity::Total && before.to().succ_opt() == Some(req.range.from()) =>
        {
            let mut both = engine
                .load(&Target::adjacent(*before, req.range), &req.group_by)
                .await?;
            let previous = both.take_period(1);
            (both, Some(previous))
        }
        _ => {
            let current = engine
                .load(&Target::calendar(req.range, g, &periods), &req.group_by)
                .await?;
            let previous = match &ranges {
                None => None,
                Some(ranges) => {
                    let mut frame = Frame::default();
                    for target in Target::comparison(ranges, g) {
                        frame.absorb(engine.load(&target, &req.group_by).await?);
                    }
                    Some(frame)
                }
            };
            (current, previous)
        }
    };

    // Rows: every (period, group) with data, or with fillGaps every group in every period.
    let present = current.keys();
    let cells: Vec<(usize, Vec<GroupVal>)> = if req.fill_gaps {
        let mut groups: BTreeSet<Vec<GroupVal>> = present.iter().map(|(_, g)| g.clone()).collect();
        if req.group_by.is_empty() {
            groups.insert(Vec::new());
        }
        // Counted before the cells are built: periods × groups may be far beyond the limit
        // (DAY over a century × thousands of contents would exhaust memory first).
        let rows = periods.len().saturating_mul(groups.len());
        if rows > MAX_ROWS {
            return Err(too_many_rows(rows));
        }
        (0..periods.len())
            .flat_map(|p| groups.iter().map(move |g| (p, g.clone())))
            .collect()
    } else {
        present.into_iter().collect()
    };
    if cells.len() > MAX_ROWS {
        return Err(too_many_rows(cells.len()));
    }

    let thresholds = store::thresholds(db, tenant).await?;
    let gross_margin = ws.gross_margin;
    let value_of = |frame: &Frame, period: usize, group: &[GroupVal], kpi: KpiKey| -> Evaluated {
        plan::evaluate(kpi, &|s, a| frame.sum(period, group, s, a), gross_margin)
    };
    let kpi_value = |kpi: KpiKey, e: Evaluated, prev: Option<Option<f64>>| KpiValue {
        kpi,
        value: e.value,
        numerator: e.numerator,
        denominator: e.denominator,
        status: formulas::status(
            e.value,
            thresholds
                .get(&kpi)
                .copied()
                .unwrap_or(Thresholds::default()),
            catalog::def(kpi).direction,
        ),
        comparison: prev.map(|p| Comparison::new(e.value, p)),
    };

    let labels = dimension_labels(db, tenant, &req.group_by, &cells).await?;
    let mut rows: Vec<Row> = cells
        .iter()
        .map(|(p, group)| Row {
            period: periods[*p].clone(),
            dimensions: group
                .iter()
                .zip(&req.group_by)
                .map(|(v, d)| dim_value(*d, v, &labels))
                .collect(),
            values: req
                .kpis
                .iter()
                .map(|k| {
                    let prev = previous.as_ref().map(|f| value_of(f, *p, group, *k).value);
                    kpi_value(*k, value_of(&current, *p, group, *k), prev)
                })
                .collect(),
        })
        .collect();
    rows.sort_by(|a, b| {
        a.period.start().cmp(&b.period.start()).then_with(|| {
            let ka = a.dimensions.iter().map(|d| d.key.as_str());
            let kb = b.dimensions.iter().map(|d| d.key.as_str());
            ka.cmp(kb)
        })
    });

    let totals = if req.totals {
        let additive = needed.iter().all(|(_, a)| a.additive());
        // One TOTAL period and no groups: the rows' frames are the totals' already.
        let single = req.group_by.is_empty() && g == Granularity::Total;
        let whole = if single {
            current
        } else if additive {
            current.collapsed()
        } else {
            let periods = buckets::periods(req.range, Granularity::Total);
            engine
                .load(
                    &Target::calendar(req.range, Granularity::Total, &periods),
                    &[],
                )
                .await?
        };
        let previous_total = match req.compare_to {
            None => None,
            Some(_) if single => previous,
            Some(cmp) => {
                let whole_period = buckets::periods(req.range, Granularity::Total);
                let range = match (cmp, whole_period.first()) {
                    (CompareTo::PreviousPeriod, Some(p)) => {
                        buckets::previous_period(p, Granularity::Total)
                    }
                    _ => buckets::previous_year(req.range),
                };
                let periods = buckets::periods(range, Granularity::Total);
                Some(
                    engine
                        .load(&Target::calendar(range, Granularity::Total, &periods), &[])
                        .await?,
                )
            }
        };
        req.kpis
            .iter()
            .map(|k| {
                let prev = previous_total
                    .as_ref()
                    .map(|f| value_of(f, 0, &[], *k).value);
                kpi_value(*k, value_of(&whole, 0, &[], *k), prev)
            })
            .collect()
    } else {
        Vec::new()
    };

    Ok(Report {
        rows,
        totals,
        data_as_of: store::data_as_of(db, tenant).await?,
    })
}

fn too_many_rows(n: usize) -> ApiError {
    ApiError::bad_input(format!(
        "the report would have {n} rows, more than {MAX_ROWS}: use a coarser granularity, a \
         shorter range, fewer groupBy dimensions or a filter"
    ))
}

type Labels = HashMap<(Dimension, i64), Label>;

async fn dimension_labels<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    dims: &[Dimension],
    cells: &[(usize, Vec<GroupVal>)],
) -> ApiResult<Labels> {
    let mut out = HashMap::new();
    for (j, dim) in dims.iter().enumerate() {
        let ids: BTreeSet<i64> = cells
            .iter()
            .filter_map(|(_, g)| match g.get(j) {
                Some(GroupVal::Id(Some(id))) => Some(*id),
                _ => None,
            })
            .collect();
        if ids.is_empty() {
            continue;
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        for (id, label) in store::labels(db, tenant, *dim, &ids).await? {
            out.insert((*dim, id), label);
        }
    }
    Ok(out)
}

fn dim_value(dimension: Dimension, value: &GroupVal, labels: &Labels) -> DimValue {
    let (key, label) = match value {
        GroupVal::Id(Some(id)) => match labels.get(&(dimension, *id)) {
            Some(l) => (l.key.clone(), l.name.clone()),
            None => (id.to_string(), None),
        },
        GroupVal::Text(Some(text)) => {
            let label = (dimension == Dimension::ContentKind).then(|| text.clone());
            (text.clone(), label)
        }
        GroupVal::Id(None) | GroupVal::Text(None) => (String::new(), None),
    };
    DimValue {
        dimension,
        key,
        label,
    }
}
