//! Builds the GROUP BY statements of KPI reports: SQL text and bound values, no IO.
//!
//! One statement per source (a fact table, orders, spend, or first-order cohorts) and per
//! range: it filters the caller's workspace and the report filter, buckets business dates
//! (calendar buckets in SQL, or explicit ranges when comparison periods are not calendar
//! aligned), groups by the requested dimensions and returns Σ of every column the requested KPIs
//! need. Dividing happens later, in Rust. Only the few date expressions differ per dialect.

use chrono::NaiveDate;
use sea_orm::Value;

use super::buckets::{DateRange, Granularity};
use super::catalog::{Dimension, Family, Term};

/// The SQL dialect of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Where the rows of a statement come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// A daily fact table of summable counts.
    Daily(Family),
    /// Orders, by the business date they were paid.
    Orders,
    /// Marketing spend, by date.
    Spend,
    /// Customers by their first paid order (cohort size, retention), each with the revenue of
    /// their orders inside the LTV horizon when LTV is asked.
    Cohort,
}

/// One aggregate a statement returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Agg {
    /// Σ of a count column of a daily fact table.
    Col(&'static str),
    /// Σ of a signed sum of count columns (`a + b − c`), as one SUM.
    Terms(&'static [Term]),
    /// Σ amount, in cents.
    Gmv,
    /// Σ (amount − refunded amount), in cents.
    Revenue,
    /// Number of orders.
    OrderCount,
    /// Number of distinct paying customers (not additive across buckets or groups).
    Buyers,
    /// Σ spend, in cents.
    SpendAmount,
    /// Number of customers whose first paid order falls in the bucket.
    CohortSize,
    /// Of those, the customers with a paid order in month M + offset.
    Retained(u32),
    /// Σ revenue (cents) of cohort customers' orders inside the LTV horizon.
    LtvRevenue,
    /// Number of cohort customers (LTV denominator).
    LtvCustomers,
}

impl Agg {
    /// The source that computes it.
    pub fn source(self, family: Family) -> Source {
        match self {
            Self::Col(_) | Self::Terms(_) => Source::Daily(family),
            Self::Gmv | Self::Revenue | Self::OrderCount | Self::Buyers => Source::Orders,
            Self::SpendAmount => Source::Spend,
            Self::CohortSize | Self::Retained(_) | Self::LtvRevenue | Self::LtvCustomers => {
                Source::Cohort
            }
        }
    }

    /// Whether sums over buckets or groups of this aggregate equal the aggregate over their
    /// union. Every cohort customer belongs to exactly one bucket and group, so cohort counts
    /// are additive; distinct buyers are not.
    pub fn additive(self) -> bool {
        !matches!(self, Self::Buyers)
    }
}

/// How dates are put into the periods of a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Bucketing {
    /// Calendar buckets; the statement returns each bucket's first day (or one constant bucket
    /// for TOTAL).
    Calendar(Granularity),
    /// Explicit date ranges; the statement returns the index of the range.
    Ranges(Vec<DateRange>),
}

/// A filter resolved to ids; `None` means "no filter", `Some(empty)` matches nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub accounts: Option<Vec<i64>>,
    pub contents: Option<Vec<i64>>,
    pub content_kinds: Option<Vec<String>>,
    pub campaigns: Option<Vec<i64>>,
    pub channels: Option<Vec<i64>>,
    pub staff: Option<Vec<String>>,
}

/// Workspace settings that enter the SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub workspace_id: i64,
    pub ltv_horizon_months: i32,
}

/// A statement ready to run: the columns are the bucket key, then one per dimension, then one
/// per aggregate, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub values: Vec<Value>,
}

/// Whether a dimension's values are ids of a directory entity or plain text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DimType {
    Id,
    Text,
}

/// The type of a dimension's column.
pub fn dim_type(dimension: Dimension) -> DimType {
    match dimension {
        Dimension::ContentKind | Dimension::Staff => DimType::Text,
        _ => DimType::Id,
    }
}

struct Writer {
    dialect: Dialect,
    values: Vec<Value>,
}

impl Writer {
    /// A numbered placeholder on both dialects: values are pushed in the order the builder
    /// visits the parts (the FROM subquery of cohorts before the SELECT's bucket ranges), not
    /// in the order they appear in the text, so SQLite's anonymous `?` would bind them wrongly.
    fn param(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.values.len()),
            Dialect::Postgres => format!("${}", self.values.len()),
        }
    }

    fn date(&mut self, date: NaiveDate) -> String {
        let p = self.param(date);
        match self.dialect {
            Dialect::Sqlite => p,
            Dialect::Postgres => format!("CAST({p} AS DATE)"),
        }
    }

    fn in_list<T: Clone + Into<Value>>(&mut self, column: &str, items: &[T]) -> String {
        if items.is_empty() {
            return "1 = 0".to_string();
        }
        let params: Vec<String> = items.iter().map(|v| self.param(v.clone())).collect();
        format!("{column} IN ({})", params.join(", "))
    }
}

/// Column expressions of a source: its business date and its dimensions.
struct Shape {
    from: String,
    date: &'static str,
    account: Option<&'static str>,
    content: Option<&'static str>,
    content_kind: Option<&'static str>,
    campaign: Option<&'static str>,
    channel: Option<&'static str>,
    staff: Option<&'static str>,
}

impl Shape {
    fn dim(&self, dimension: Dimension) -> Option<&'static str> {
        match dimension {
            Dimension::Account => self.account,
            Dimension::Content => self.content,
            Dimension::ContentKind => self.content_kind,
            Dimension::Campaign => self.campaign,
            Dimension::Channel => self.channel,
            Dimension::Staff => self.staff,
        }
    }
}

fn daily_shape(family: Family, table: &str, join_content: bool) -> Shape {
    let from = if join_content {
        format!("{table} f JOIN content c ON c.id = f.content_id")
    } else {
        format!("{table} f")
    };
    let none = Shape {
        from,
        date: "f.date",
        account: None,
        content: None,
        content_kind: None,
        campaign: None,
        channel: None,
        staff: None,
    };
    match family {
        Family::ContentDaily => Shape {
            account: Some("c.account_id"),
            content: Some("f.content_id"),
            content_kind: Some("c.kind"),
            campaign: Some("c.campaign_id"),
            ..none
        },
        Family::AccountDaily => Shape {
            account: Some("f.account_id"),
            ..none
        },
        Family::Funnel => Shape {
            account: Some("f.account_id"),
            campaign: Some("f.campaign_id"),
            ..none
        },
        Family::CampaignDaily => Shape {
            campaign: Some("f.campaign_id"),
            ..none
        },
        Family::StaffDaily | Family::GroupDaily => Shape {
            account: Some("f.account_id"),
            staff: Some("f.staff"),
            ..none
        },
        Family::Orders | Family::Spend | Family::Cohort | Family::CrossFact => none,
    }
}

/// The SQL of the first paid order of every customer of the workspace: its business date and
/// attribution. Ties on `paid_at` go to the order stored first.
///
/// PostgreSQL's `DISTINCT ON` reads the orders in the order of the index on
/// `(workspace_id, customer_id, paid_at, id)`. SQLite takes the other columns of a group from
/// the row of its one `MIN()` (documented "bare column" behaviour); the key orders by `paid_at`
/// (stored as RFC 3339 text in UTC, which sorts like the instant) and then by the zero-padded id.
fn first_orders(w: &mut Writer, workspace_id: i64) -> String {
    let ws = w.param(workspace_id);
    match w.dialect {
        Dialect::Postgres => format!(
            "(SELECT DISTINCT ON (customer_id) customer_id, paid_date AS first_date, channel_id, \
             campaign_id FROM orders WHERE workspace_id = {ws} \
             ORDER BY customer_id, paid_at, id)"
        ),
        Dialect::Sqlite => format!(
            "(SELECT customer_id, paid_date AS first_date, channel_id, campaign_id, \
             MIN(paid_at || printf('%020d', id)) AS first_key FROM orders \
             WHERE workspace_id = {ws} GROUP BY customer_id)"
        ),
    }
}

/// `date + months` calendar months, clamped to the end of the month (2026-01-31 + 1 month is
/// 2026-02-28), as a date expression.
fn add_months(dialect: Dialect, date: &str, months: i64) -> String {
    match dialect {
        // SQLite's '+N months' overflows into the next month; the end of the target month caps it.
        Dialect::Sqlite => format!(
            "min(date({date}, '{months:+} months'), \
             date({date}, 'start of month', '{months:+} months', '+1 month', '-1 day'))"
        ),
        Dialect::Postgres => format!("CAST({date} + INTERVAL '{months} months' AS DATE)"),
    }
}

/// The first day of the month `months` after the month of `date`.
fn month_start_plus(dialect: Dialect, date: &str, months: i64) -> String {
    match dialect {
        Dialect::Sqlite => format!("date({date}, 'start of month', '{months:+} months')"),
        Dialect::Postgres => {
            format!("CAST(date_trunc('month', {date}) + INTERVAL '{months} months' AS DATE)")
        }
    }
}

/// The bucket key expression of a date, the calendar bucket's first day as `YYYY-MM-DD`, and
/// what to group by (`None`: the key itself). PostgreSQL groups by the date or its truncation
/// and formats each group once, not each row.
fn calendar_bucket(dialect: Dialect, g: Granularity, date: &str) -> (String, Option<String>) {
    match (dialect, g) {
        (_, Granularity::Total) => ("'total'".to_string(), None),
        (Dialect::Sqlite, Granularity::Day) => (date.to_string(), None),
        (Dialect::Sqlite, Granularity::Week) => {
            (format!("date({date}, 'weekday 0', '-6 days')"), None)
        }
        (Dialect::Sqlite, Granularity::Month) => (format!("strftime('%Y-%m-01', {date})"), None),
        (Dialect::Sqlite, Granularity::Quarter) => (
            format!(
                "printf('%s-%02d-01', strftime('%Y', {date}), \
                 ((CAST(strftime('%m', {date}) AS INTEGER) - 1) / 3) * 3 + 1)"
            ),
            None,
        ),
        (Dialect::Sqlite, Granularity::Year) => (format!("strftime('%Y-01-01', {date})"), None),
        (Dialect::Postgres, g) => {
            let key = match g {
                Granularity::Week => format!("date_trunc('week', {date})"),
                Granularity::Month => format!("date_trunc('month', {date})"),
                Granularity::Quarter => format!("date_trunc('quarter', {date})"),
                Granularity::Year => format!("date_trunc('year', {date})"),
                _ => date.to_string(),
            };
            (format!("to_char({key}, 'YYYY-MM-DD')"), Some(key))
        }
    }
}

fn aggregate(w: &mut Writer, agg: Agg, settings: Settings) -> String {
    let dialect = w.dialect;
    let sum = |expr: &str| format!("CAST(SUM({expr}) AS DOUBLE PRECISION)");
    match agg {
        Agg::Col(column) => sum(&format!("f.{column}")),
        Agg::Terms(terms) => {
            let mut expr = String::new();
            for (i, term) in terms.iter().enumerate() {
                let (sign, column) = match term {
                    Term::Add(c) => ("+", c),
                    Term::Sub(c) => ("-", c),
                };
                if i > 0 || sign == "-" {
                    expr.push_str(sign);
                }
                expr.push_str("f.");
                expr.push_str(column);
            }
            sum(&expr)
        }
        Agg::Gmv => sum("f.amount"),
        Agg::Revenue => sum("f.amount - f.refunded_amount"),
        Agg::OrderCount | Agg::CohortSize => "CAST(COUNT(*) AS DOUBLE PRECISION)".into(),
        Agg::Buyers => "CAST(COUNT(DISTINCT f.customer_id) AS DOUBLE PRECISION)".into(),
        Agg::SpendAmount => sum("f.amount"),
        Agg::Retained(offset) => {
            let ws = w.param(settings.workspace_id);
            let from = month_start_plus(dialect, "f.first_date", i64::from(offset));
            let to = month_start_plus(dialect, "f.first_date", i64::from(offset) + 1);
            format!(
                "CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM orders r WHERE r.workspace_id = {ws} \
                 AND r.customer_id = f.customer_id AND r.paid_date >= {from} \
                 AND r.paid_date < {to}) THEN 1 ELSE 0 END) AS DOUBLE PRECISION)"
            )
        }
        Agg::LtvRevenue => sum("f.ltv_revenue"),
        Agg::LtvCustomers => "CAST(COUNT(*) AS DOUBLE PRECISION)".into(),
    }
}

/// What one statement computes.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub source: Source,
    pub aggs: &'a [Agg],
    pub dims: &'a [Dimension],
    pub range: DateRange,
    pub bucketing: &'a Bucketing,
    pub filters: &'a Filters,
}

/// Builds the statement of `req.source` computing its aggregates per bucket and dimension.
pub fn build(dialect: Dialect, settings: Settings, req: &Request<'_>) -> Statement {
    let Request {
        source,
        aggs,
        dims,
        range,
        bucketing,
        filters,
    } = *req;
    let mut w = Writer {
        dialect,
        values: Vec::new(),
    };
    let needs_content = |d: &Dimension| {
        matches!(
            d,
            Dimension::Account | Dimension::ContentKind | Dimension::Campaign
        )
    };
    let shape = match source {
        Source::Daily(family) => {
            let table = family.daily_fact().map_or("content_daily", |f| f.table);
            let join = family == Family::ContentDaily
                && (dims.iter().any(needs_content)
                    || filters.accounts.is_some()
                    || filters.content_kinds.is_some()
                    || filters.campaigns.is_some());
            daily_shape(family, table, join)
        }
        Source::Orders => Shape {
            from: "orders f".into(),
            date: "f.paid_date",
            account: Some("f.account_id"),
            content: None,
            content_kind: None,
            campaign: Some("f.campaign_id"),
            channel: Some("f.channel_id"),
            staff: None,
        },
        Source::Spend => Shape {
            from: "spend f".into(),
            date: "f.date",
            account: None,
            content: None,
            content_kind: None,
            campaign: Some("f.campaign_id"),
            channel: Some("f.channel_id"),
            staff: None,
        },
        Source::Cohort => {
            let fo = first_orders(&mut w, settings.workspace_id);
            let ltv = aggs
                .iter()
                .any(|a| matches!(a, Agg::LtvRevenue | Agg::LtvCustomers));
            let from = if ltv {
                // One row per cohort customer with the revenue of their orders inside the
                // horizon. Their first order is always inside it, so the join keeps every
                // cohort customer; the range is applied inside, before the orders are joined.
                let horizon = add_months(
                    dialect,
                    "f.first_date",
                    i64::from(settings.ltv_horizon_months),
                );
                let ws = w.param(settings.workspace_id);
                let (from, to) = (w.date(range.from()), w.date(range.to()));
                format!(
                    "(SELECT f.customer_id, f.first_date, f.channel_id, f.campaign_id, \
                     SUM(o.amount - o.refunded_amount) AS ltv_revenue \
                     FROM {fo} f JOIN orders o ON o.workspace_id = {ws} \
                     AND o.customer_id = f.customer_id AND o.paid_date < {horizon} \
                     WHERE f.first_date BETWEEN {from} AND {to} \
                     GROUP BY f.customer_id, f.first_date, f.channel_id, f.campaign_id) f"
                )
            } else {
                format!("{fo} f")
            };
            Shape {
                from,
                date: "f.first_date",
                account: None,
                content: None,
                content_kind: None,
                campaign: Some("f.campaign_id"),
                channel: Some("f.channel_id"),
                staff: None,
            }
        }
    };

    let (bucket, bucket_group) = match bucketing {
        Bucketing::Calendar(g) => calendar_bucket(dialect, *g, shape.date),
        Bucketing::Ranges(ranges) => {
            let mut case = String::from("CASE");
            for (i, r) in ranges.iter().enumerate() {
                let (from, to) = (w.date(r.from()), w.date(r.to()));
                case.push_str(&format!(
                    " WHEN {} BETWEEN {from} AND {to} THEN '{i}'",
                    shape.date
                ));
            }
            case.push_str(" END");
            (case, None)
        }
    };
    let mut select = vec![format!("{bucket} AS bucket")];
    let mut group = vec!["bucket".to_string()];
    for (i, d) in dims.iter().enumerate() {
        let expr = shape.dim(*d).unwrap_or("NULL");
        select.push(format!("{expr} AS d{i}"));
        group.push(format!("d{i}"));
    }
    for agg in aggs {
        select.push(aggregate(&mut w, *agg, settings));
    }

    let mut conditions = Vec::new();
    if source != Source::Cohort {
        conditions.push(format!(
            "f.workspace_id = {}",
            w.param(settings.workspace_id)
        ));
    }
    let (from, to) = (w.date(range.from()), w.date(range.to()));
    conditions.push(format!("{} BETWEEN {from} AND {to}", shape.date));
    let text_filters = [
        (shape.content_kind, &filters.content_kinds),
        (shape.staff, &filters.staff),
    ];
    for (column, values) in text_filters {
        if let (Some(column), Some(values)) = (column, values) {
            conditions.push(w.in_list(column, values));
        }
    }
    let id_filters = [
        (shape.account, &filters.accounts),
        (shape.content, &filters.contents),
        (shape.campaign, &filters.campaigns),
        (shape.channel, &filters.channels),
    ];
    for (column, values) in id_filters {
        if let (Some(column), Some(values)) = (column, values) {
            conditions.push(w.in_list(column, values));
        }
    }

    // Grouping by output position keeps each expression written once, on both dialects.
    let positions: Vec<String> = (1..=group.len())
        .map(|p| match (p, &bucket_group) {
            (1, Some(key)) => key.clone(),
            _ => p.to_string(),
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE {} GROUP BY {}",
        select.join(", "),
        shape.from,
        conditions.join(" AND "),
        positions.join(", ")
    );
    Statement {
        sql,
        values: w.values,
    }
}

/// The retention matrix statement: per cohort month (`YYYY-MM` of the first paid order, within
/// `range`) and month offset `0..=months`, the number of cohort customers with a paid order in
/// that month. Offset 0 counts every cohort customer (their first order is in it).
pub fn cohort_matrix(
    dialect: Dialect,
    settings: Settings,
    range: DateRange,
    months: u32,
    filters: &Filters,
) -> Statement {
    let mut w = Writer {
        dialect,
        values: Vec::new(),
    };
    let fo = first_orders(&mut w, settings.workspace_id);
    let (cohort, offset) = match dialect {
        Dialect::Sqlite => (
            "strftime('%Y-%m', f.first_date)".to_string(),
            "((CAST(strftime('%Y', o.paid_date) AS INTEGER) * 12 + CAST(strftime('%m', o.paid_date) AS INTEGER)) \
             - (CAST(strftime('%Y', f.first_date) AS INTEGER) * 12 + CAST(strftime('%m', f.first_date) AS INTEGER)))"
                .to_string(),
        ),
        Dialect::Postgres => (
            "to_char(f.first_date, 'YYYY-MM')".to_string(),
            "CAST((EXTRACT(YEAR FROM o.paid_date) * 12 + EXTRACT(MONTH FROM o.paid_date)) \
             - (EXTRACT(YEAR FROM f.first_date) * 12 + EXTRACT(MONTH FROM f.first_date)) AS BIGINT)"
                .to_string(),
        ),
    };
    let ws = w.param(settings.workspace_id);
    let (from, to) = (w.date(range.from()), w.date(range.to()));
    let max = w.param(i64::from(months));
    let mut conditions = vec![
        format!("f.first_date BETWEEN {from} AND {to}"),
        format!("{offset} <= {max}"),
    ];
    if let Some(ids) = &filters.channels {
        conditions.push(w.in_list("f.channel_id", ids));
    }
    if let Some(ids) = &filters.campaigns {
        conditions.push(w.in_list("f.campaign_id", ids));
    }
    let sql = format!(
        "SELECT {cohort} AS cohort, {offset} AS month_offset, \
         CAST(COUNT(DISTINCT f.customer_id) AS BIGINT) \
         FROM {fo} f JOIN orders o ON o.workspace_id = {ws} AND o.customer_id = f.customer_id \
         WHERE {} GROUP BY 1, 2",
        conditions.join(" AND ")
    );
    Statement {
        sql,
        values: w.values,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn content_statement_groups_by_bucket_and_account_with_positional_group_by() {
        let settings = Settings {
            workspace_id: 7,
            ltv_horizon_months: 12,
        };
        let range = DateRange::new(d("2026-03-01"), d("2026-03-31")).unwrap();
        let req = Request {
            source: Source::Daily(Family::ContentDaily),
            aggs: &[Agg::Col("opens"), Agg::Col("deliveries")],
            dims: &[Dimension::Account],
            range,
            bucketing: &Bucketing::Calendar(Granularity::Month),
            filters: &Filters::default(),
        };
        let st = build(Dialect::Postgres, settings, &req);
        assert_eq!(
            st.sql,
            "SELECT to_char(date_trunc('month', f.date), 'YYYY-MM-DD') AS bucket, c.account_id AS d0, \
             CAST(SUM(f.opens) AS DOUBLE PRECISION), CAST(SUM(f.deliveries) AS DOUBLE PRECISION) \
             FROM content_daily f JOIN content c ON c.id = f.content_id \
             WHERE f.workspace_id = $1 AND f.date BETWEEN CAST($2 AS DATE) AND CAST($3 AS DATE) \
             GROUP BY date_trunc('month', f.date), 2"
        );
        assert_eq!(st.values.len(), 3);
    }

    #[test]
    fn empty_filter_matches_nothing_and_content_join_is_skipped_when_unneeded() {
        let settings = Settings {
            workspace_id: 1,
            ltv_horizon_months: 12,
        };
        let range = DateRange::new(d("2026-03-01"), d("2026-03-02")).unwrap();
        let filters = Filters {
            contents: Some(vec![]),
            ..Filters::default()
        };
        let req = Request {
            source: Source::Daily(Family::ContentDaily),
            aggs: &[Agg::Col("reads")],
            dims: &[],
            range,
            bucketing: &Bucketing::Calendar(Granularity::Day),
            filters: &filters,
        };
        let st = build(Dialect::Sqlite, settings, &req);
        assert!(st.sql.contains("FROM content_daily f WHERE"), "{}", st.sql);
        assert!(st.sql.contains("1 = 0"), "{}", st.sql);
    }
}
