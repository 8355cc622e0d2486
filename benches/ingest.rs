//! Ingestion throughput: `content_daily` rows per second loaded
//!
//! 1. through `wekpi import` (the library function the CLI runs: CSV file, validation, one
//!    transaction), first into an empty table and then again (every row unchanged);
//! 2. through `recordContentDaily` over HTTP: a real server on a loopback socket, one client
//!    sending calls of 10,000 rows one after the other;
//! 3. through the database's own bulk load of the same rows: SQLite one prepared `INSERT` in one
//!    transaction, PostgreSQL `COPY … FROM STDIN`. No validation, no idempotence: the floor.
//!
//! ```text
//! cargo bench --bench ingest                     # 1,000,000 rows
//! cargo bench --bench ingest -- --rows 100000    # fewer
//! ```
//!
//! The rows are deterministic: 2,000 contents × one row a day from 2012-01-01 (500 days for
//! 1,000,000 rows). Each path loads into a fresh database (SQLite: a temporary file with the
//! server's settings; PostgreSQL: a fresh schema). PostgreSQL runs when
//! `WEKPI_BENCH_DATABASE_URL` or `WEKPI_TEST_DATABASE_URL` is set, and is reported as skipped
//! otherwise.

mod common;

use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sqlx;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use wekpi_api::auth::{self, Tenant};
use wekpi_api::config::Limits;
use wekpi_api::ingest::file::{Format, Kind, LineError};
use wekpi_api::ingest::import::{FileOptions, import_file};
use wekpi_api::ingest::store;
use wekpi_api::ingest::validate::{AccountIn, ContentIn};

use common::{Backend, FreshDb};

type Result<T, E = Box<dyn Error + Send + Sync>> = std::result::Result<T, E>;

const CONTENTS: usize = 2_000;
const HTTP_ROWS_PER_CALL: usize = 10_000;
const QUERY: &str = "mutation($r: [ContentDailyInput!]!) { recordContentDaily(rows: $r) { inserted rejected { index } } }";

fn first_day() -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(2012, 1, 1).ok_or_else(|| "bad first day".into())
}

/// Row `i`: content `i % 2000` on day `i / 2000`, with counts (by column, which is also the
/// GraphQL field) that keep every rule: readers, completions ≤ reads; sharers ≤ shares.
struct Fact {
    content: usize,
    date: NaiveDate,
    counts: [(&'static str, i64); 11],
}

fn fact(i: usize, first: NaiveDate) -> Fact {
    let spread = i64::try_from((i as u64).wrapping_mul(2_654_435_761) % 10_000).unwrap_or(0);
    let deliveries = 20_000 + spread;
    let opens = deliveries / 10;
    let reads = opens + spread / 2;
    let shares = reads / 25;
    let day = u64::try_from(i / CONTENTS).unwrap_or(0);
    Fact {
        content: i % CONTENTS,
        date: first + chrono::Days::new(day),
        counts: [
            ("deliveries", deliveries),
            ("opens", opens),
            ("reads", reads),
            ("readers", reads * 4 / 5),
            ("completions", reads / 3),
            ("shares", shares),
            ("sharers", shares * 2 / 3),
            ("favorites", reads / 50),
            ("likes", reads / 40),
            ("comments", reads / 200),
            ("clicks", reads / 100),
        ],
    }
}

/// The count columns, in the order of [`Fact::counts`].
fn count_columns() -> Vec<&'static str> {
    fact(0, NaiveDate::default())
        .counts
        .iter()
        .map(|(name, _)| *name)
        .collect()
}

fn content_key(n: usize) -> String {
    format!("c{n:04}")
}

/// A fresh, migrated database with a workspace, an account and the contents; `close` removes it.
struct Fresh {
    base: FreshDb,
    tenant: Tenant,
    key: String,
    /// Content ids by content number.
    content_ids: Vec<i64>,
}

async fn fresh(backend: &Backend, n: usize) -> Result<Fresh> {
    // COPY of a million rows is one statement.
    let base = common::fresh(
        backend,
        &format!("wekpi_bench_{n}"),
        Duration::from_secs(3_600),
    )
    .await?;
    let db = &base.db;
    let (_, issued) = wekpi_api::workspace::create(db, "bench")
        .await
        .map_err(|e| e.detail())?;
    let tenant = auth::authenticate(db, Some(&format!("Bearer {}", issued.secret)))
        .await
        .map_err(|e| e.detail())?;
    let account = AccountIn {
        key: Some("oa".into()),
        kind: Some("SERVICE_ACCOUNT".into()),
        name: Some("Bench OA".into()),
        external_id: None,
    };
    let contents: Vec<ContentIn> = (0..CONTENTS)
        .map(|n| ContentIn {
            key: Some(content_key(n)),
            account: Some("oa".into()),
            kind: Some("ARTICLE".into()),
            title: Some(format!("Article {n}")),
            published_at: Some("2011-12-31T08:00:00+08:00".into()),
            campaign: None,
        })
        .collect();
    for report in [
        store::ingest(db, &tenant, vec![account], true).await,
        store::ingest(db, &tenant, contents, true).await,
    ] {
        let report = report.map_err(|e| e.detail())?;
        if !report.rejected.is_empty() {
            return Err(format!("seed rejected: {:?}", report.rejected).into());
        }
    }
    let keys: Vec<String> = (0..CONTENTS).map(content_key).collect();
    let ids: HashMap<String, i64> =
        wekpi_api::directory::ids_for_keys::<entity::content::Entity, _>(db, &tenant, &keys)
            .await
            .map_err(|e| e.detail())?;
    let content_ids = keys
        .iter()
        .map(|k| ids.get(k).copied().ok_or("a seeded content is missing"))
        .collect::<Result<_, _>>()?;
    Ok(Fresh {
        base,
        tenant,
        key: issued.secret,
        content_ids,
    })
}

impl Fresh {
    async fn count(&self) -> Result<i64> {
        let row = self
            .base
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.base.db.get_database_backend(),
                "SELECT COUNT(*) FROM content_daily",
            ))
            .await?
            .ok_or("COUNT returned no row")?;
        Ok(row.try_get_by_index::<i64>(0)?)
    }

    async fn close(self) -> Result<()> {
        self.base.close().await
    }
}

/// One measured load.
struct Measure {
    backend: &'static str,
    path: &'static str,
    rows: usize,
    elapsed: Duration,
}

impl Measure {
    fn print(&self) {
        // Display only.
        #[allow(clippy::cast_precision_loss)]
        let rate = self.rows as f64 / self.elapsed.as_secs_f64();
        println!(
            "{:<9} {:<52} {:>9} {:>9.2} {:>10.0}",
            self.backend,
            self.path,
            self.rows,
            self.elapsed.as_secs_f64(),
            rate
        );
    }
}

fn write_csv(path: &Path, rows: usize, first: NaiveDate) -> Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "content,date,{}", count_columns().join(","))?;
    for i in 0..rows {
        let f = fact(i, first);
        write!(out, "{},{}", content_key(f.content), f.date)?;
        for (_, c) in f.counts {
            write!(out, ",{c}")?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

/// Path 1: the CLI's import of a CSV file, then the same file again.
async fn via_import(backend: &Backend, rows: usize, csv: &Path) -> Result<Vec<Measure>> {
    let fresh = fresh(backend, 1).await?;
    let mut measures = Vec::new();
    for (path, expected) in [
        ("wekpi import, CSV (one transaction)", (rows, 0)),
        ("wekpi import again, every row unchanged", (0, rows)),
    ] {
        let started = Instant::now();
        let report = import_file(
            &fresh.base.db,
            &fresh.tenant,
            Kind::ContentDaily,
            Format::Csv,
            std::fs::File::open(csv)?,
            FileOptions::default(),
            &mut Vec::<LineError>::new(),
        )
        .await
        .map_err(|e| e.detail())?;
        let elapsed = started.elapsed();
        let got = (report.counts.inserted, report.counts.unchanged);
        if report.rejected > 0 || got != (expected.0 as u64, expected.1 as u64) {
            return Err(format!("{path}: unexpected report {report:?}").into());
        }
        measures.push(Measure {
            backend: backend.name(),
            path,
            rows,
            elapsed,
        });
    }
    check_count(&fresh, rows).await?;
    fresh.close().await?;
    Ok(measures)
}

/// Path 2: `recordContentDaily` over a real socket, 10,000 rows a call.
async fn via_http(backend: &Backend, rows: usize, first: NaiveDate) -> Result<Measure> {
    let fresh = fresh(backend, 2).await?;
    let state = wekpi_api::app::AppState::new(fresh.base.db.clone(), Limits::default())
        .map_err(|e| e.to_string())?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/graphql", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(wekpi_api::app::serve(listener, state, shutdown.clone()));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut start = 0;
    while start < rows {
        let end = (start + HTTP_ROWS_PER_CALL).min(rows);
        let batch: Vec<Value> = (start..end)
            .map(|i| {
                let f = fact(i, first);
                let mut row = serde_json::Map::new();
                row.insert("content".into(), json!(content_key(f.content)));
                row.insert("date".into(), json!(f.date.to_string()));
                for (name, value) in f.counts {
                    row.insert(name.into(), json!(value));
                }
                Value::Object(row)
            })
            .collect();
        let body = serde_json::to_vec(&json!({ "query": QUERY, "variables": { "r": batch } }))?;
        let response = client
            .post(&url)
            .header("Authorization", format!("Bearer {}", fresh.key))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await?
            .bytes()
            .await?;
        let response: Value = serde_json::from_slice(&response)?;
        let inserted = response["data"]["recordContentDaily"]["inserted"].as_u64();
        if inserted != Some((end - start) as u64) {
            return Err(format!("recordContentDaily failed: {response}").into());
        }
        start = end;
    }
    let elapsed = started.elapsed();
    shutdown.cancel();
    server.await??;
    check_count(&fresh, rows).await?;
    fresh.close().await?;
    Ok(Measure {
        backend: backend.name(),
        path: "recordContentDaily over HTTP, 10,000 rows a call",
        rows,
        elapsed,
    })
}

/// Path 3: the database's own bulk load of the same rows.
async fn via_bulk(backend: &Backend, rows: usize, first: NaiveDate) -> Result<Measure> {
    let fresh = fresh(backend, 3).await?;
    let workspace = fresh.tenant.workspace_id();
    let columns = format!(
        "workspace_id, content_id, date, {}, updated_at",
        count_columns().join(", ")
    );
    let started = Instant::now();
    let path = match backend {
        Backend::Sqlite => {
            let placeholders = vec!["?"; count_columns().len() + 4].join(", ");
            // Built from constants only.
            let sql: Arc<str> =
                format!("INSERT INTO content_daily ({columns}) VALUES ({placeholders})").into();
            let now = Utc::now();
            let mut txn = fresh.base.db.get_sqlite_connection_pool().begin().await?;
            for i in 0..rows {
                let f = fact(i, first);
                // sqlx prepares the statement once per connection and reuses it.
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(workspace)
                    .bind(fresh.content_ids[f.content])
                    .bind(f.date);
                for (_, c) in f.counts {
                    insert = insert.bind(c);
                }
                insert.bind(now).execute(&mut *txn).await?;
            }
            txn.commit().await?;
            "bulk: one prepared INSERT, one transaction"
        }
        Backend::Postgres { .. } => {
            let now = Utc::now().format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
            let mut conn = fresh
                .base
                .db
                .get_postgres_connection_pool()
                .acquire()
                .await?;
            let mut copy = conn
                .copy_in_raw(&format!(
                    "COPY content_daily ({columns}) FROM STDIN (FORMAT csv)"
                ))
                .await?;
            let mut buffer = String::with_capacity(1 << 20);
            for i in 0..rows {
                let f = fact(i, first);
                write!(
                    buffer,
                    "{workspace},{},{}",
                    fresh.content_ids[f.content], f.date
                )?;
                for (_, c) in f.counts {
                    write!(buffer, ",{c}")?;
                }
                writeln!(buffer, ",{now}")?;
                if buffer.len() >= 1 << 20 {
                    copy.send(buffer.as_bytes()).await?;
                    buffer.clear();
                }
            }
            copy.send(buffer.as_bytes()).await?;
            copy.finish().await?;
            "bulk: COPY FROM STDIN"
        }
    };
    let elapsed = started.elapsed();
    check_count(&fresh, rows).await?;
    fresh.close().await?;
    Ok(Measure {
        backend: backend.name(),
        path,
        rows,
        elapsed,
    })
}

async fn check_count(fresh: &Fresh, rows: usize) -> Result<()> {
    let count = fresh.count().await?;
    if usize::try_from(count)? != rows {
        return Err(format!("content_daily holds {count} rows, expected {rows}").into());
    }
    Ok(())
}

async fn run(rows: usize) -> Result<()> {
    let first = first_day()?;
    let days = rows.div_ceil(CONTENTS);
    let today = Utc::now().date_naive();
    if first + chrono::Days::new(u64::try_from(days)?) > today {
        return Err(format!("{rows} rows need {days} days from {first}: too many").into());
    }
    println!(
        "content_daily rows: {rows} ({} contents × {days} days from {first})",
        CONTENTS.min(rows)
    );
    println!(
        "{:<9} {:<52} {:>9} {:>9} {:>10}",
        "backend", "path", "rows", "seconds", "rows/s"
    );
    let csv = std::env::temp_dir().join(format!("wekpi_bench_{}.csv", std::process::id()));
    write_csv(&csv, rows, first)?;
    let backends = Backend::from_env();
    let result = async {
        for backend in &backends {
            for measure in via_import(backend, rows, &csv).await? {
                measure.print();
            }
            via_http(backend, rows, first).await?.print();
            via_bulk(backend, rows, first).await?.print();
        }
        Ok::<_, Box<dyn Error + Send + Sync>>(())
    }
    .await;
    let _ = std::fs::remove_file(&csv);
    result
}

fn parse_rows() -> Result<usize> {
    let mut rows = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => {
                rows = args
                    .next()
                    .ok_or("--rows needs a number")?
                    .replace('_', "")
                    .parse()?;
            }
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            other => {
                return Err(format!("unknown argument {other:?}; usage: ingest [--rows N]").into());
            }
        }
    }
    if rows == 0 {
        return Err("--rows must be at least 1".into());
    }
    Ok(rows)
}

fn main() -> std::process::ExitCode {
    common::main("ingest", "failed", async {
        run(parse_rows()?).await?;
        Ok(true)
    })
}
