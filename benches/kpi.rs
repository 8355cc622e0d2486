//! KPI reports against the database's own SQL: a dashboard mix of `kpiReport` requests over HTTP,
//! each timed against a hand-written SQL query computing the same numbers on the same database.
//!
//! ```text
//! WEKPI_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wekpi_test cargo bench --bench kpi
//! cargo bench --bench kpi -- --scale 0.1 --runs 3   # a tenth of the data; SQLite only
//! ```
//!
//! The data is a year (2025-07-01..2026-06-30) of one brand in an `Asia/Shanghai` workspace,
//! generated deterministically and bulk-loaded (SQLite: prepared multi-row `INSERT`s in one
//! transaction; PostgreSQL: `COPY`), then analyzed:
//!
//! - 50 accounts with 20,000 contents, each with 100 days of `content_daily` rows: 2,000,000 rows;
//! - 240,000 customers with 1 to 8 orders each, 1,080,000 orders over 10 channels, paid at any
//!   time of the day, so a third of them fall on a different business date than their UTC date
//!   (`paid_date` is the date of `paid_at` in Asia/Shanghai);
//! - spend per day and channel; gross margin 0.6 and an LTV horizon of 6 months.
//!
//! The requests: (a) six content KPIs by DAY and ACCOUNT over the 12 months; (b) CAC, LTV and
//! LTV_CAC_RATIO by MONTH and CHANNEL; (c) REPURCHASE_RATE_3M by MONTH; (d) content, commerce and
//! acquisition KPIs as one TOTAL over the last quarter with `compareTo: PREVIOUS_PERIOD`. Each
//! runs against the real server on a loopback socket (a warm-up, then `--runs` timed runs, the
//! median kept; the time is from sending the request to the last byte of the answer), and so does
//! its SQL (through the same connection pool, until every row is fetched). The SQL returns sums;
//! the KPI values are divided here and compared with the API's, every value of every row. Any
//! difference fails the run; ratios over the 1.5 target are reported.

mod common;

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value as SqlValue};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use wekpi_api::config::Limits;
use wekpi_api::kpi::catalog::Family;

use common::Backend;

type Result<T, E = Box<dyn Error + Send + Sync>> = std::result::Result<T, E>;

const FIRST: NaiveDate = match NaiveDate::from_ymd_opt(2025, 7, 1) {
    Some(d) => d,
    None => panic!("bad first day"),
};
const DAYS: u64 = 365;
const ACCOUNTS: u64 = 50;
const CHANNELS: u64 = 10;
/// Days of `content_daily` rows per content.
const LIFETIME: u64 = 100;
/// Contents are published on the first 266 days, so every one has its 100 days in the year.
const PUBLISH_DAYS: u64 = DAYS - LIFETIME + 1;
const CONTENTS: u64 = 20_000;
const CUSTOMERS: u64 = 240_000;
const GROSS_MARGIN: f64 = 0.6;
const LTV_HORIZON_MONTHS: i32 = 6;
const TARGET: f64 = 1.5;
const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

const CONTENT_KPIS: [&str; 6] = [
    "OPEN_RATE",
    "READ_THROUGH_RATE",
    "SHARE_COEFFICIENT",
    "SHARE_CONVERSION_RATE",
    "INTERACTION_RATE",
    "CLICK_THROUGH_RATE",
];

const REPORT: &str = "query($input: KpiReportInput!) { kpiReport(input: $input) { rows { \
    period { start label } dimensions { key label } values { kpi value status previous } } } }";

struct Args {
    scale: f64,
    runs: usize,
}

fn parse_args() -> Result<Args> {
    let mut out = Args {
        scale: 1.0,
        runs: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => out.scale = args.next().ok_or("--scale needs a number")?.parse()?,
            "--runs" => out.runs = args.next().ok_or("--runs needs a number")?.parse()?,
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: kpi [--scale F] [--runs N]"
                )
                .into());
            }
        }
    }
    if !(out.scale > 0.0 && out.scale <= 10.0) || out.runs == 0 {
        return Err("--scale must be in (0, 10] and --runs at least 1".into());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The data

/// A deterministic 64-bit hash of two numbers (SplitMix64's finaliser).
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(0x94D0_49BB_1331_11EB);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn int(v: u64) -> Cell {
    Cell::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

fn day(n: u64) -> NaiveDate {
    FIRST + Days::new(n)
}

/// One value of a loaded row.
enum Cell {
    Int(i64),
    Text(String),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

/// The sizes of one run.
#[derive(Clone, Copy)]
struct Sizes {
    contents: u64,
    customers: u64,
}

impl Sizes {
    fn new(scale: f64) -> Self {
        let scaled = |n: u64| ((n as f64 * scale).round() as u64).max(ACCOUNTS);
        // Whole cycles of 8 customers (1 + 2 + … + 8 orders) keep the order count exact.
        Self {
            contents: scaled(CONTENTS),
            customers: scaled(CUSTOMERS).div_ceil(8) * 8,
        }
    }

    fn content_daily_rows(self) -> u64 {
        self.contents * LIFETIME
    }

    fn orders(self) -> u64 {
        self.customers / 8 * 36
    }
}

/// Content `i` belongs to account `i % 50` and is published on day `(i / 50) % 266`, so every
/// account has live contents on every day of the year.
fn publish_day(i: u64) -> u64 {
    (i / ACCOUNTS) % PUBLISH_DAYS
}

/// The counts of content `i` on day `k` of its life: deliveries, opens, reads, readers,
/// completions, shares, sharers, favorites, likes, comments, clicks (the catalog's order); they
/// keep every CHECK (readers, completions ≤ reads; sharers ≤ shares).
fn content_counts(i: u64, k: u64) -> [u64; 11] {
    let h = mix(i, k);
    let deliveries = (2_000 + h % 8_000) * 10 / (10 + k);
    let opens = deliveries * (10 + (h >> 16) % 25) / 100;
    let reads = opens + (h >> 24) % 40;
    let shares = reads * ((h >> 32) % 30) / 100;
    [
        deliveries,
        opens,
        reads,
        reads * 4 / 5,
        reads * (10 + (h >> 40) % 40) / 100,
        shares,
        shares * 2 / 3,
        reads / 50,
        reads / 40,
        reads / 200,
        reads * ((h >> 48) % 12) / 100,
    ]
}

/// The columns a `content_daily` row is loaded with: keys, the catalog's count columns (in
/// the order of [`content_counts`]), `updated_at`.
fn content_daily_columns() -> Result<Vec<&'static str>> {
    let counts = Family::ContentDaily
        .daily_fact()
        .map_or(&[][..], |fact| fact.columns);
    if counts.len() != content_counts(0, 0).len() {
        return Err(format!("content_daily has the count columns {counts:?}").into());
    }
    Ok(["workspace_id", "content_id", "date"]
        .into_iter()
        .chain(counts.iter().copied())
        .chain(["updated_at"])
        .collect())
}

/// One order of customer `c`.
struct Order {
    k: u64,
    paid_at: DateTime<Utc>,
    paid_date: NaiveDate,
    amount: u64,
    refunded: u64,
    channel: u64,
}

/// The orders of customer `c`: `1 + (5c mod 8)` of them; the first on a day of the year at a
/// local time of day, the others on that day or later in the year, always after the first (no
/// two orders of a customer share `paid_at`). The first order's channel is `c % 10`.
fn orders_of(c: u64) -> Vec<Order> {
    let n = 1 + (c * 5) % 8;
    let first_day = mix(c, 0) % DAYS;
    let first_second = mix(c, 1) % 86_000;
    (0..n)
        .map(|k| {
            let h = mix(c, 10 + k);
            let (day_n, second) = if k == 0 {
                (first_day, first_second)
            } else {
                let d = first_day + h % (DAYS - first_day);
                let s = (h >> 20) % 86_000;
                if d == first_day && s <= first_second {
                    (d, first_second + 1 + k)
                } else {
                    (d, s)
                }
            };
            let local = day(day_n).and_time(
                NaiveTime::from_num_seconds_from_midnight_opt(
                    u32::try_from(second).unwrap_or(0),
                    0,
                )
                .unwrap_or_default(),
            );
            let paid_at = TZ
                .from_local_datetime(&local)
                .single()
                .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc));
            let amount = 1_000 + (h >> 32) % 49_000;
            Order {
                k,
                paid_at,
                paid_date: paid_at.with_timezone(&TZ).date_naive(),
                amount,
                refunded: if (h >> 50).is_multiple_of(10) {
                    amount / 2
                } else {
                    0
                },
                channel: if k == 0 {
                    c % CHANNELS
                } else {
                    (h >> 8) % CHANNELS
                },
            }
        })
        .collect()
}

/// Loads `rows` into `table`: SQLite prepared multi-row `INSERT`s in one transaction,
/// PostgreSQL `COPY … FROM STDIN`.
async fn bulk(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<Cell>>,
) -> Result<u64> {
    const PER_STATEMENT: usize = 100;
    let list = columns.join(", ");
    let mut count = 0u64;
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let mut conn = db.get_postgres_connection_pool().acquire().await?;
            let mut copy = conn
                .copy_in_raw(&format!("COPY {table} ({list}) FROM STDIN (FORMAT csv)"))
                .await?;
            let mut buffer = String::with_capacity(1 << 20);
            for row in rows {
                for (i, cell) in row.iter().enumerate() {
                    if i > 0 {
                        buffer.push(',');
                    }
                    match cell {
                        Cell::Int(v) => write!(buffer, "{v}")?,
                        Cell::Text(v) => write!(buffer, "\"{}\"", v.replace('"', "\"\""))?,
                        Cell::Date(v) => write!(buffer, "{v}")?,
                        Cell::Time(v) => write!(buffer, "{}", v.format("%Y-%m-%d %H:%M:%S+00"))?,
                    }
                }
                buffer.push('\n');
                count += 1;
                if buffer.len() >= 1 << 20 {
                    copy.send(buffer.as_bytes()).await?;
                    buffer.clear();
                }
            }
            copy.send(buffer.as_bytes()).await?;
            copy.finish().await?;
        }
        _ => {
            let one = format!("({})", vec!["?"; columns.len()].join(", "));
            let full = format!(
                "INSERT INTO {table} ({list}) VALUES {}",
                vec![one.as_str(); PER_STATEMENT].join(", ")
            );
            let mut txn = db.get_sqlite_connection_pool().begin().await?;
            let mut rows = rows.peekable();
            while rows.peek().is_some() {
                let batch: Vec<Vec<Cell>> = rows.by_ref().take(PER_STATEMENT).collect();
                let sql = if batch.len() == PER_STATEMENT {
                    full.clone()
                } else {
                    format!(
                        "INSERT INTO {table} ({list}) VALUES {}",
                        vec![one.as_str(); batch.len()].join(", ")
                    )
                };
                // Built from constants only; sqlx prepares it once per connection.
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
                for cell in batch.iter().flatten() {
                    insert = match cell {
                        Cell::Int(v) => insert.bind(*v),
                        Cell::Text(v) => insert.bind(v.clone()),
                        Cell::Date(v) => insert.bind(*v),
                        Cell::Time(v) => insert.bind(*v),
                    };
                }
                insert.execute(&mut *txn).await?;
                count += batch.len() as u64;
            }
            txn.commit().await?;
        }
    }
    Ok(count)
}

/// `key → id` of a directory table of the workspace.
async fn ids(db: &DatabaseConnection, table: &str, ws: i64) -> Result<BTreeMap<String, i64>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT key, id FROM {table} WHERE workspace_id = {ws}"),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

fn lookup(ids: &BTreeMap<String, i64>, key: &str) -> Result<i64> {
    ids.get(key)
        .copied()
        .ok_or_else(|| format!("{key} was not loaded").into())
}

/// Loads the year of data into workspace `ws`; returns what it loaded, by table.
async fn load(db: &DatabaseConnection, ws: i64, sizes: Sizes) -> Result<Vec<(&'static str, u64)>> {
    let now = Utc::now();
    let mut loaded = Vec::new();
    let n = bulk(
        db,
        "account",
        &[
            "workspace_id",
            "key",
            "kind",
            "name",
            "created_at",
            "updated_at",
        ],
        (0..ACCOUNTS).map(|a| {
            vec![
                Cell::Int(ws),
                Cell::Text(format!("oa-{a:02}")),
                Cell::Text("SUBSCRIPTION_ACCOUNT".into()),
                Cell::Text(format!("Official Account {a}")),
                Cell::Time(now),
                Cell::Time(now),
            ]
        }),
    )
    .await?;
    loaded.push(("account", n));
    let n = bulk(
        db,
        "channel",
        &["workspace_id", "key", "name", "created_at", "updated_at"],
        (0..CHANNELS).map(|c| {
            vec![
                Cell::Int(ws),
                Cell::Text(format!("ch-{c}")),
                Cell::Text(format!("Channel {c}")),
                Cell::Time(now),
                Cell::Time(now),
            ]
        }),
    )
    .await?;
    loaded.push(("channel", n));
    let accounts = ids(db, "account", ws).await?;
    let channels = ids(db, "channel", ws).await?;
    let account_ids: Vec<i64> = (0..ACCOUNTS)
        .map(|a| lookup(&accounts, &format!("oa-{a:02}")))
        .collect::<Result<_>>()?;
    let channel_ids: Vec<i64> = (0..CHANNELS)
        .map(|c| lookup(&channels, &format!("ch-{c}")))
        .collect::<Result<_>>()?;

    let n = bulk(
        db,
        "content",
        &[
            "workspace_id",
            "key",
            "account_id",
            "kind",
            "title",
            "published_at",
            "created_at",
            "updated_at",
        ],
        (0..sizes.contents).map(|i| {
            let published = TZ
                .from_local_datetime(
                    &day(publish_day(i))
                        .and_hms_opt(20, 0, 0)
                        .unwrap_or_default(),
                )
                .single()
                .map_or(now, |t| t.with_timezone(&Utc));
            vec![
                Cell::Int(ws),
                Cell::Text(format!("c{i:05}")),
                Cell::Int(account_ids[(i % ACCOUNTS) as usize]),
                Cell::Text("ARTICLE".into()),
                Cell::Text(format!("Article {i}")),
                Cell::Time(published),
                Cell::Time(now),
                Cell::Time(now),
            ]
        }),
    )
    .await?;
    loaded.push(("content", n));
    let contents = ids(db, "content", ws).await?;
    let content_ids: Vec<i64> = (0..sizes.contents)
        .map(|i| lookup(&contents, &format!("c{i:05}")))
        .collect::<Result<_>>()?;
    drop(contents);
    let n = bulk(
        db,
        "content_daily",
        &content_daily_columns()?,
        (0..sizes.contents).flat_map(|i| {
            let content_ids = &content_ids;
            (0..LIFETIME).map(move |k| {
                let mut row = vec![
                    Cell::Int(ws),
                    Cell::Int(content_ids[i as usize]),
                    Cell::Date(day(publish_day(i) + k)),
                ];
                row.extend(content_counts(i, k).into_iter().map(int));
                row.push(Cell::Time(now));
                row
            })
        }),
    )
    .await?;
    loaded.push(("content_daily", n));

    let n = bulk(
        db,
        "customer",
        &["workspace_id", "key", "created_at", "updated_at"],
        (0..sizes.customers).map(|c| {
            vec![
                Cell::Int(ws),
                Cell::Text(format!("u{c:06}")),
                Cell::Time(now),
                Cell::Time(now),
            ]
        }),
    )
    .await?;
    loaded.push(("customer", n));
    let customers = ids(db, "customer", ws).await?;
    let customer_ids: Vec<i64> = (0..sizes.customers)
        .map(|c| lookup(&customers, &format!("u{c:06}")))
        .collect::<Result<_>>()?;
    drop(customers);
    let n = bulk(
        db,
        "orders",
        &[
            "workspace_id",
            "key",
            "customer_id",
            "paid_at",
            "paid_date",
            "amount",
            "refunded_amount",
            "channel_id",
            "created_at",
            "updated_at",
        ],
        (0..sizes.customers).flat_map(|c| {
            let customer_ids = &customer_ids;
            let channel_ids = &channel_ids;
            orders_of(c).into_iter().map(move |o| {
                vec![
                    Cell::Int(ws),
                    Cell::Text(format!("o{c:06}-{}", o.k)),
                    Cell::Int(customer_ids[c as usize]),
                    Cell::Time(o.paid_at),
                    Cell::Date(o.paid_date),
                    int(o.amount),
                    int(o.refunded),
                    Cell::Int(channel_ids[o.channel as usize]),
                    Cell::Time(now),
                    Cell::Time(now),
                ]
            })
        }),
    )
    .await?;
    loaded.push(("orders", n));
    let n = bulk(
        db,
        "spend",
        &["workspace_id", "date", "amount", "channel_id", "updated_at"],
        (0..DAYS).flat_map(|d| {
            let channel_ids = &channel_ids;
            (0..CHANNELS).map(move |c| {
                vec![
                    Cell::Int(ws),
                    Cell::Date(day(d)),
                    int(50_000 + mix(d, 1_000 + c) % 400_000),
                    Cell::Int(channel_ids[c as usize]),
                    Cell::Time(now),
                ]
            })
        }),
    )
    .await?;
    loaded.push(("spend", n));

    let analyze = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "VACUUM (ANALYZE) account, channel, content, content_daily, customer, orders, spend"
        }
        _ => "ANALYZE",
    };
    db.execute_unprepared(analyze).await?;
    Ok(loaded)
}

// ---------------------------------------------------------------------------------------------
// The requests and their SQL

/// KPI values by (period, group): one value per KPI, with `previous` after each when compared.
type Values = BTreeMap<(String, String), Vec<Option<f64>>>;

/// One request of the mix: its `kpiReport` input, its hand-written SQL (written for PostgreSQL
/// with `$n` parameters; SQLite gets `?n` and its own date functions), and how the SQL's sums
/// become the KPI values.
struct Case {
    name: &'static str,
    input: Value,
    sql: fn(DatabaseBackend) -> String,
    params: Vec<SqlValue>,
    values: fn(&[sea_orm::QueryResult]) -> Result<Values>,
}

/// The SQL of the first paid order of every customer (`customer_id`, `first_date`,
/// `channel_id`), the way each database is best asked: PostgreSQL's `DISTINCT ON`, SQLite's
/// bare columns of the `MIN` row.
fn firsts(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => {
            "firsts AS (SELECT DISTINCT ON (customer_id) customer_id, paid_date AS first_date, \
             channel_id FROM orders WHERE workspace_id = $1 ORDER BY customer_id, paid_at)"
        }
        _ => {
            "firsts AS (SELECT customer_id, MIN(paid_at) AS first_at, paid_date AS first_date, \
             channel_id FROM orders WHERE workspace_id = $1 GROUP BY customer_id)"
        }
    }
}

/// `YYYY-MM` of a date column.
fn month(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
        _ => format!("strftime('%Y-%m', {column})"),
    }
}

fn num(row: &sea_orm::QueryResult, i: usize) -> Result<f64> {
    Ok(row.try_get_by_index::<Option<f64>>(i)?.unwrap_or(0.0))
}

fn text(row: &sea_orm::QueryResult, i: usize) -> Result<String> {
    Ok(row
        .try_get_by_index::<Option<String>>(i)?
        .unwrap_or_default())
}

fn div(n: f64, d: f64) -> Option<f64> {
    (d != 0.0).then(|| n / d)
}

fn content_sql(_: DatabaseBackend) -> String {
    "SELECT CAST(cd.date AS TEXT), a.key, a.name, \
     CAST(SUM(cd.opens) AS DOUBLE PRECISION), CAST(SUM(cd.deliveries) AS DOUBLE PRECISION), \
     CAST(SUM(cd.completions) AS DOUBLE PRECISION), CAST(SUM(cd.reads) AS DOUBLE PRECISION), \
     CAST(SUM(cd.shares) AS DOUBLE PRECISION), CAST(SUM(cd.sharers) AS DOUBLE PRECISION), \
     CAST(SUM(cd.likes + cd.comments + cd.shares + cd.favorites) AS DOUBLE PRECISION), \
     CAST(SUM(cd.clicks) AS DOUBLE PRECISION) \
     FROM content_daily cd JOIN content c ON c.id = cd.content_id \
     JOIN account a ON a.id = c.account_id \
     WHERE cd.workspace_id = $1 AND cd.date BETWEEN $2 AND $3 \
     GROUP BY cd.date, a.key, a.name"
        .into()
}

fn content_values(rows: &[sea_orm::QueryResult]) -> Result<Values> {
    let mut out = Values::new();
    for r in rows {
        let (opens, deliveries, completions, reads) =
            (num(r, 3)?, num(r, 4)?, num(r, 5)?, num(r, 6)?);
        let (shares, sharers, interactions, clicks) =
            (num(r, 7)?, num(r, 8)?, num(r, 9)?, num(r, 10)?);
        out.insert(
            (text(r, 0)?, text(r, 1)?),
            vec![
                div(opens, deliveries),
                div(completions, reads),
                div(shares, reads),
                div(sharers, reads),
                div(interactions, reads),
                div(clicks, reads),
            ],
        );
    }
    Ok(out)
}

fn acquisition_sql(backend: DatabaseBackend) -> String {
    let horizon = match backend {
        DatabaseBackend::Postgres => {
            format!("f.first_date + INTERVAL '{LTV_HORIZON_MONTHS} months'")
        }
        // '+N months' overflows into the next month; the end of the target month caps it.
        _ => format!(
            "min(date(f.first_date, '+{LTV_HORIZON_MONTHS} months'), \
             date(f.first_date, 'start of month', '+{} months', '-1 day'))",
            LTV_HORIZON_MONTHS + 1
        ),
    };
    format!(
        "WITH {firsts}, ltv AS (\
           SELECT f.customer_id, f.first_date, f.channel_id, \
                  SUM(o.amount - o.refunded_amount) AS revenue \
           FROM firsts f JOIN orders o ON o.workspace_id = $1 AND o.customer_id = f.customer_id \
                AND o.paid_date < {horizon} \
           WHERE f.first_date BETWEEN $2 AND $3 \
           GROUP BY f.customer_id, f.first_date, f.channel_id) \
         SELECT 'cohort', {cohort_month}, ch.key, CAST(COUNT(*) AS DOUBLE PRECISION), \
                CAST(SUM(l.revenue) AS DOUBLE PRECISION) \
         FROM ltv l JOIN channel ch ON ch.id = l.channel_id GROUP BY 2, 3 \
         UNION ALL \
         SELECT 'spend', {spend_month}, ch.key, CAST(SUM(s.amount) AS DOUBLE PRECISION), NULL \
         FROM spend s JOIN channel ch ON ch.id = s.channel_id \
         WHERE s.workspace_id = $1 AND s.date BETWEEN $2 AND $3 GROUP BY 2, 3",
        firsts = firsts(backend),
        cohort_month = month(backend, "l.first_date"),
        spend_month = month(backend, "s.date"),
    )
}

fn acquisition_values(rows: &[sea_orm::QueryResult]) -> Result<Values> {
    // (customers, revenue cents, spend cents) by (month, channel).
    let mut sums: BTreeMap<(String, String), [f64; 3]> = BTreeMap::new();
    for r in rows {
        let cell = sums.entry((text(r, 1)?, text(r, 2)?)).or_default();
        if text(r, 0)? == "cohort" {
            cell[0] += num(r, 3)?;
            cell[1] += num(r, 4)?;
        } else {
            cell[2] += num(r, 3)?;
        }
    }
    Ok(sums
        .into_iter()
        .map(|(key, [customers, revenue, spend])| {
            let cac = div(spend / 100.0, customers);
            let ltv = div(revenue / 100.0 * GROSS_MARGIN, customers);
            let ratio = ltv.zip(cac).and_then(|(l, c)| div(l, c));
            (key, vec![cac, ltv, ratio])
        })
        .collect())
}

fn repurchase_sql(backend: DatabaseBackend) -> String {
    let (from, to) = match backend {
        DatabaseBackend::Postgres => (
            "CAST(date_trunc('month', f.first_date) + INTERVAL '2 months' AS DATE)",
            "CAST(date_trunc('month', f.first_date) + INTERVAL '3 months' AS DATE)",
        ),
        _ => (
            "date(f.first_date, 'start of month', '+2 months')",
            "date(f.first_date, 'start of month', '+3 months')",
        ),
    };
    format!(
        "WITH {firsts} \
         SELECT {cohort_month}, CAST(COUNT(*) AS DOUBLE PRECISION), \
                CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM orders r WHERE r.workspace_id = $1 \
                     AND r.customer_id = f.customer_id AND r.paid_date >= {from} \
                     AND r.paid_date < {to}) THEN 1 ELSE 0 END) AS DOUBLE PRECISION) \
         FROM firsts f WHERE f.first_date BETWEEN $2 AND $3 GROUP BY 1",
        firsts = firsts(backend),
        cohort_month = month(backend, "f.first_date"),
    )
}

fn repurchase_values(rows: &[sea_orm::QueryResult]) -> Result<Values> {
    rows.iter()
        .map(|r| {
            Ok((
                (text(r, 0)?, String::new()),
                vec![div(num(r, 2)?, num(r, 1)?)],
            ))
        })
        .collect()
}

/// The KPIs of the TOTAL request, in order; [`total_values`] computes them.
const TOTAL_KPIS: [&str; 11] = [
    "OPEN_RATE",
    "SHARE_COEFFICIENT",
    "INTERACTION_RATE",
    "GMV",
    "REVENUE",
    "ORDERS",
    "BUYERS",
    "AOV",
    "SPEND",
    "ROI",
    "NEW_CUSTOMERS",
];

/// $2..$3 the previous period, $4..$5 the current one.
fn total_sql(backend: DatabaseBackend) -> String {
    let period =
        |column: &str| format!("CASE WHEN {column} >= $4 THEN 'current' ELSE 'previous' END");
    let d = |expr: &str| format!("CAST({expr} AS DOUBLE PRECISION)");
    format!(
        "WITH {firsts} \
         SELECT 'content', {content_period}, {opens}, {deliveries}, {shares}, {reads}, {inter} \
         FROM content_daily WHERE workspace_id = $1 AND date BETWEEN $2 AND $5 GROUP BY 2 \
         UNION ALL \
         SELECT 'orders', {order_period}, {gmv}, {revenue}, {count}, {buyers}, NULL \
         FROM orders WHERE workspace_id = $1 AND paid_date BETWEEN $2 AND $5 GROUP BY 2 \
         UNION ALL \
         SELECT 'spend', {spend_period}, {spend}, NULL, NULL, NULL, NULL \
         FROM spend WHERE workspace_id = $1 AND date BETWEEN $2 AND $5 GROUP BY 2 \
         UNION ALL \
         SELECT 'new', {new_period}, {count}, NULL, NULL, NULL, NULL \
         FROM firsts WHERE first_date BETWEEN $2 AND $5 GROUP BY 2",
        firsts = firsts(backend),
        content_period = period("date"),
        order_period = period("paid_date"),
        spend_period = period("date"),
        new_period = period("first_date"),
        opens = d("SUM(opens)"),
        deliveries = d("SUM(deliveries)"),
        shares = d("SUM(shares)"),
        reads = d("SUM(reads)"),
        inter = d("SUM(likes + comments + shares + favorites)"),
        gmv = d("SUM(amount)"),
        revenue = d("SUM(amount - refunded_amount)"),
        count = d("COUNT(*)"),
        buyers = d("COUNT(DISTINCT customer_id)"),
        spend = d("SUM(amount)"),
    )
}

fn total_values(rows: &[sea_orm::QueryResult]) -> Result<Values> {
    // Sums by part and period.
    let mut sums: BTreeMap<(String, String), [f64; 5]> = BTreeMap::new();
    for r in rows {
        let mut cell = [0.0; 5];
        for (i, c) in cell.iter_mut().enumerate() {
            *c = num(r, 2 + i)?;
        }
        sums.insert((text(r, 0)?, text(r, 1)?), cell);
    }
    let get = |part: &str, period: &str| {
        sums.get(&(part.to_string(), period.to_string()))
            .copied()
            .unwrap_or_default()
    };
    let kpis = |period: &str| -> Vec<Option<f64>> {
        let [opens, deliveries, shares, reads, interactions] = get("content", period);
        let [gmv, revenue, orders, buyers, _] = get("orders", period);
        let spend = get("spend", period)[0];
        let new = get("new", period)[0];
        vec![
            div(opens, deliveries),
            div(shares, reads),
            div(interactions, reads),
            Some(gmv / 100.0),
            Some(revenue / 100.0),
            Some(orders),
            Some(buyers),
            div(gmv / 100.0, orders),
            Some(spend / 100.0),
            div(revenue, spend),
            Some(new),
        ]
    };
    let (current, previous) = (kpis("current"), kpis("previous"));
    let mut row = Vec::new();
    for (c, p) in current.into_iter().zip(previous) {
        row.push(c);
        row.push(p);
    }
    let mut out = Values::new();
    out.insert((String::new(), String::new()), row);
    Ok(out)
}

fn cases(ws: i64) -> Vec<Case> {
    let last = day(DAYS - 1);
    let range = json!({ "from": FIRST.to_string(), "to": last.to_string() });
    let year = vec![ws.into(), FIRST.into(), last.into()];
    // The last quarter and the 91 days before it.
    let quarter_from = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or(FIRST);
    let length = (last - quarter_from).num_days() + 1;
    let previous_from = quarter_from - chrono::TimeDelta::days(length);
    let previous_to = quarter_from - chrono::TimeDelta::days(1);
    vec![
        Case {
            name: "(a) 6 content KPIs × DAY × ACCOUNT, 12 months",
            input: json!({ "kpis": CONTENT_KPIS, "range": range, "granularity": "DAY",
                           "groupBy": ["ACCOUNT"] }),
            sql: content_sql,
            params: year.clone(),
            values: content_values,
        },
        Case {
            name: "(b) CAC, LTV, LTV_CAC_RATIO × MONTH × CHANNEL",
            input: json!({ "kpis": ["CAC", "LTV", "LTV_CAC_RATIO"], "range": range,
                           "granularity": "MONTH", "groupBy": ["CHANNEL"] }),
            sql: acquisition_sql,
            params: year.clone(),
            values: acquisition_values,
        },
        Case {
            name: "(c) REPURCHASE_RATE_3M × MONTH",
            input: json!({ "kpis": ["REPURCHASE_RATE_3M"], "range": range,
                           "granularity": "MONTH" }),
            sql: repurchase_sql,
            params: year,
            values: repurchase_values,
        },
        Case {
            name: "(d) 11 KPIs TOTAL, last quarter vs previous period",
            input: json!({ "kpis": TOTAL_KPIS,
                           "range": { "from": quarter_from.to_string(), "to": last.to_string() },
                           "granularity": "TOTAL", "compareTo": "PREVIOUS_PERIOD" }),
            sql: total_sql,
            params: vec![
                ws.into(),
                previous_from.into(),
                previous_to.into(),
                quarter_from.into(),
                last.into(),
            ],
            values: total_values,
        },
    ]
}

/// The values of a `kpiReport` answer, keyed like the SQL's: (period start, or its `YYYY-MM`
/// for monthly reports, or empty for TOTAL; the group key).
fn api_values(answer: &Value, case: &Case) -> Result<Values> {
    let rows = answer["data"]["kpiReport"]["rows"]
        .as_array()
        .ok_or_else(|| format!("{}: no rows in {answer}", case.name))?;
    let granularity = case.input["granularity"].as_str().unwrap_or_default();
    let compared = case.input.get("compareTo").is_some();
    let mut out = Values::new();
    for row in rows {
        let start = row["period"]["start"].as_str().unwrap_or_default();
        let period = match granularity {
            "MONTH" => start.get(..7).unwrap_or_default().to_string(),
            "TOTAL" => String::new(),
            _ => start.to_string(),
        };
        let group = row["dimensions"][0]["key"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut values = Vec::new();
        let got = row["values"].as_array().ok_or("a row without values")?;
        let asked = case.input["kpis"].as_array().ok_or("a case without kpis")?;
        if got.len() != asked.len() || got.iter().zip(asked).any(|(v, k)| v["kpi"] != *k) {
            return Err(format!("{}: values not in the order asked: {row}", case.name).into());
        }
        for v in got {
            values.push(v["value"].as_f64());
            if compared {
                values.push(v["previous"].as_f64());
            }
        }
        let key = (period, group);
        if out.insert(key.clone(), values).is_some() {
            return Err(format!("{}: the API answered {key:?} twice", case.name).into());
        }
    }
    Ok(out)
}

/// The differences between the API's values and the SQL's (none → empty). A group the SQL has no
/// row for must have only null values in the API (fillGaps).
fn differences(api: &Values, sql: &Values) -> Vec<String> {
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        _ => false,
    };
    let mut out = Vec::new();
    for (key, values) in api {
        let expected = sql.get(key);
        let same = match expected {
            Some(e) => e.len() == values.len() && e.iter().zip(values).all(|(e, v)| close(*e, *v)),
            None => values.iter().all(Option::is_none),
        };
        if !same {
            out.push(format!("{key:?}: API {values:?}, SQL {expected:?}"));
        }
    }
    for key in sql.keys().filter(|k| !api.contains_key(*k)) {
        out.push(format!("{key:?}: in the SQL result, not in the API's"));
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

struct Outcome {
    name: &'static str,
    rows: usize,
    values: usize,
    api: Duration,
    sql: Duration,
    differences: Vec<String>,
}

async fn measure(
    db: &DatabaseConnection,
    http: &reqwest::Client,
    url: &str,
    key: &str,
    case: &Case,
    runs: usize,
) -> Result<Outcome> {
    let backend = db.get_database_backend();
    let mut sql_text = (case.sql)(backend);
    if backend != DatabaseBackend::Postgres {
        sql_text = sql_text.replace('$', "?");
    }
    let body =
        serde_json::to_vec(&json!({ "query": REPORT, "variables": { "input": case.input } }))?;
    let mut api_times = Vec::new();
    let mut sql_times = Vec::new();
    let mut answer = Value::Null;
    let mut rows = Vec::new();
    // One warm-up of each, then `runs` timed pairs, alternating.
    for run in 0..=runs {
        let started = Instant::now();
        let bytes = http
            .post(url)
            .header("Authorization", format!("Bearer {key}"))
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await?
            .bytes()
            .await?;
        let api = started.elapsed();
        let started = Instant::now();
        rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql_text.clone(),
                case.params.clone(),
            ))
            .await?;
        let sql = started.elapsed();
        // Every answer is checked: a failed call must not pass for a fast one.
        answer = serde_json::from_slice(&bytes)?;
        if answer.get("errors").is_some() {
            return Err(format!("{}: {answer}", case.name).into());
        }
        if run > 0 {
            api_times.push(api);
            sql_times.push(sql);
        }
    }
    let api = api_values(&answer, case)?;
    let sql = (case.values)(&rows)?;
    let valued = |v: &Values| v.values().flatten().any(Option::is_some);
    if !valued(&api) || !valued(&sql) {
        return Err(format!("{}: nothing to compare (a side without a value)", case.name).into());
    }
    Ok(Outcome {
        name: case.name,
        rows: api.len(),
        values: api.values().map(Vec::len).sum(),
        api: median(api_times),
        sql: median(sql_times),
        differences: differences(&api, &sql),
    })
}

/// Runs the benchmark on one backend; returns whether every value matched.
async fn bench(backend: &Backend, args: &Args) -> Result<(bool, bool)> {
    let sizes = Sizes::new(args.scale);
    let fresh = common::fresh(backend, "wekpi_kpi", Duration::from_secs(3_600)).await?;
    let db = fresh.db.clone();
    let (workspace, issued) = wekpi_api::workspace::create(&db, "KPI bench")
        .await
        .map_err(|e| e.detail())?;
    let tenant = wekpi_api::auth::authenticate(&db, Some(&format!("Bearer {}", issued.secret)))
        .await
        .map_err(|e| e.detail())?;
    wekpi_api::workspace::update_settings(
        &db,
        &tenant,
        &wekpi_api::workspace::Settings {
            gross_margin: Some(GROSS_MARGIN),
            ltv_horizon_months: Some(LTV_HORIZON_MONTHS),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| e.detail())?;

    let started = Instant::now();
    let loaded = load(&db, workspace.id, sizes).await?;
    let summary: Vec<String> = loaded.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!(
        "{}: loaded and analyzed in {:.1} s: {}",
        backend.name(),
        started.elapsed().as_secs_f64(),
        summary.join(", ")
    );

    // The dashboard's reports are large and the benchmark calls faster than any per-key limit.
    let limits = Limits {
        rate_limit_per_sec: 0,
        request_timeout: Duration::from_secs(600),
        ..Limits::default()
    };
    let state = wekpi_api::app::AppState::new(db.clone(), limits).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/graphql", listener.local_addr()?);
    let stop = CancellationToken::new();
    let server = tokio::spawn(wekpi_api::app::serve(listener, state, stop.clone()));
    let http = reqwest::Client::new();

    println!(
        "{:<9} {:<50} {:>6} {:>7} {:>9} {:>9} {:>7}  values",
        "backend", "request", "rows", "values", "API ms", "SQL ms", "API/SQL"
    );
    let mut all_equal = true;
    let mut on_target = true;
    for case in cases(workspace.id) {
        let o = measure(&db, &http, &url, &issued.secret, &case, args.runs).await?;
        let ratio = o.api.as_secs_f64() / o.sql.as_secs_f64();
        on_target &= ratio <= TARGET;
        all_equal &= o.differences.is_empty();
        println!(
            "{:<9} {:<50} {:>6} {:>7} {:>9.1} {:>9.1} {:>7.2}  {}",
            backend.name(),
            o.name,
            o.rows,
            o.values,
            o.api.as_secs_f64() * 1e3,
            o.sql.as_secs_f64() * 1e3,
            ratio,
            if o.differences.is_empty() {
                "equal".to_string()
            } else {
                format!("{} DIFFERENT", o.differences.len())
            }
        );
        for d in o.differences.iter().take(5) {
            println!("          {d}");
        }
    }
    stop.cancel();
    server.await??;
    fresh.close().await?;
    Ok((all_equal, on_target))
}

async fn run(args: Args) -> Result<bool> {
    let sizes = Sizes::new(args.scale);
    println!(
        "a year from {FIRST} (Asia/Shanghai): {} content_daily rows over {} contents of {ACCOUNTS} \
         accounts; {} orders of {} customers over {CHANNELS} channels; spend by day and channel; \
         median of {} runs after a warm-up",
        sizes.content_daily_rows(),
        sizes.contents,
        sizes.orders(),
        sizes.customers,
        args.runs
    );
    let mut ok = true;
    for backend in Backend::from_env() {
        let (equal, on_target) = bench(&backend, &args).await?;
        println!(
            "{}: values {}; every API/SQL ratio ≤ {TARGET}: {}",
            backend.name(),
            if equal { "all equal" } else { "DIFFERENT" },
            if on_target { "yes" } else { "no" }
        );
        ok &= equal;
    }
    Ok(ok)
}

fn main() -> std::process::ExitCode {
    common::main(
        "kpi",
        "the API's values differ from the SQL's (see above)",
        async { run(parse_args()?).await },
    )
}
