//! Soak test: the real server on a loopback socket under concurrent dashboard readers, ingestion
//! writers and alert pollers for a fixed time, then a check that nothing was lost or duplicated.
//!
//! ```text
//! cargo bench --bench soak                                              # 60 s, 4/4/2
//! cargo bench --bench soak -- --seconds 60 --readers 4 --writers 4 --pollers 2
//! cargo bench --bench soak -- … [--subscribers 1] [--batch 100] [--max-requests 2000000]
//! ```
//!
//! Per backend (a fresh SQLite file; a fresh PostgreSQL schema when `WEKPI_BENCH_DATABASE_URL` or
//! `WEKPI_TEST_DATABASE_URL` is set, reported as skipped otherwise) it starts the server and the
//! alert scheduler in this process, creates a workspace with ADMIN, WRITE and READ keys, seeds
//! accounts, channels, campaigns and contents, adds one alert rule that flips every day, and runs:
//!
//! - readers: `kpiReport` mixes (content KPIs by account and day, commerce by channel and month
//!   with comparison, totals by campaign), `cohorts`, `contents` and `alerts` listings;
//! - writers: `recordContentDaily`, `recordOrders` and `recordSpend` batches. Each writer owns its
//!   natural keys (its own contents, campaigns, order keys), derived from a counter, so the values
//!   every accepted row must hold are known. The schedule mixes fresh rows, updates, re-sends of
//!   accepted rows (which must come back `unchanged`), atomic batches with a bad row (nothing
//!   written), partial batches with bad rows (the rest written) and requests with an invalid
//!   literal. Every `IngestReport` is checked against what the writer expects;
//! - pollers: `alertEvents(after:)` from their last cursor, while an admin task calls
//!   `evaluateAlerts` for successive days and acknowledges a firing alert now and then (the
//!   scheduler evaluates too, as `serve` does);
//! - subscribers: `subscription { alertEvents }` over WebSocket (graphql-transport-ws).
//!
//! When the time is up the tasks stop starting requests and the scheduler stops; the pollers
//! drain the feed and the subscribers listen until it has been quiet for two seconds. Then the
//! database is read back: every natural key a writer had accepted must be stored exactly once
//! with the last values written, no other row may exist, and every poller and subscriber must have
//! seen the `alert_event` rows of the workspace exactly once, in order. It prints requests, errors by
//! `extensions.code` or HTTP status, latency percentiles per request kind, throughput and the
//! process's peak memory, and exits non-zero on any loss, duplicate, unexpected row, wrong value,
//! report mismatch, missed or repeated event, or unexpected error.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeDelta};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use wekpi_api::config::Limits;

use common::Backend;

type Result<T, E = Box<dyn Error + Send + Sync>> = std::result::Result<T, E>;

/// The first business date of the data; every fact falls in the year from here.
const BASE: NaiveDate = match NaiveDate::from_ymd_opt(2020, 1, 1) {
    Some(d) => d,
    None => panic!("BASE is a valid date"),
};
/// Days per dimension block: a writer's key counter walks the days of 2020 for one block of
/// contents (or campaigns), then moves on to a new block, so dates never reach today.
const DAYS: u64 = 366;
/// Contents per block (content_daily keys) and campaigns per block (spend keys).
const CONTENTS_PER_BLOCK: u64 = 20;
const CAMPAIGNS_PER_BLOCK: u64 = 4;
/// Order `k` of every writer is paid by customer `cust-{k / 10}`: writers advance at about the
/// same pace, so concurrent calls create the same new customers.
const ORDERS_PER_CUSTOMER: u64 = 10;
/// Page size of the pollers (small, so the feed is paged).
const POLL_PAGE: u32 = 100;
/// Pause of a poller that has caught up, and of the admin task between evaluations.
const POLL_PAUSE: Duration = Duration::from_millis(100);
const EVAL_PAUSE: Duration = Duration::from_millis(250);
/// Every request gives up after this long (the server's own deadline is 30 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(40);
/// The scheduler's full evaluation interval (it also evaluates soon after ingestion).
const SCHEDULER_INTERVAL: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Arguments

struct Args {
    seconds: u64,
    readers: usize,
    writers: usize,
    pollers: usize,
    subscribers: usize,
    batch: u64,
    max_requests: u64,
}

const USAGE: &str = "usage: soak [--seconds N] [--readers R] [--writers W] [--pollers P] [--subscribers S] [--batch ROWS] [--max-requests N]";

fn parse_args() -> Result<Args> {
    let mut args = Args {
        seconds: 60,
        readers: 4,
        writers: 4,
        pollers: 2,
        subscribers: 1,
        batch: 100,
        max_requests: 2_000_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || -> Result<u64> {
            let text = it
                .next()
                .ok_or_else(|| format!("{arg} needs a number; {USAGE}"))?;
            Ok(text.replace('_', "").parse()?)
        };
        match arg.as_str() {
            "--seconds" => args.seconds = value()?,
            "--readers" => args.readers = usize::try_from(value()?)?,
            "--writers" => args.writers = usize::try_from(value()?)?,
            "--pollers" => args.pollers = usize::try_from(value()?)?,
            "--subscribers" => args.subscribers = usize::try_from(value()?)?,
            "--batch" => args.batch = value()?,
            "--max-requests" => args.max_requests = value()?,
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            other => return Err(format!("unknown argument {other:?}; {USAGE}").into()),
        }
    }
    if args.seconds == 0 || args.batch < 3 || args.batch > 10_000 {
        return Err(format!("--seconds must be ≥ 1 and --batch 3..=10000; {USAGE}").into());
    }
    Ok(args)
}

// ---------------------------------------------------------------------------------------------
// Statistics

/// Requests, errors and latencies of one task, merged at the end.
#[derive(Default)]
struct Stats {
    /// Latency samples in microseconds, by request kind.
    latencies: BTreeMap<&'static str, Vec<u64>>,
    /// Errors by request kind and code (`extensions.code`, `HTTP 503`, `transport`).
    errors: BTreeMap<(&'static str, String), u64>,
    /// Errors the soak provoked on purpose (invalid literals), by kind and code.
    expected_errors: BTreeMap<(&'static str, String), u64>,
    /// Failures of the checks, with a few samples each.
    failures: BTreeMap<&'static str, (u64, Vec<String>)>,
}

impl Stats {
    fn fail(&mut self, what: &'static str, detail: String) {
        let entry = self.failures.entry(what).or_default();
        entry.0 += 1;
        if entry.1.len() < 5 {
            entry.1.push(detail);
        }
    }

    fn merge(&mut self, other: Self) {
        for (kind, mut samples) in other.latencies {
            self.latencies.entry(kind).or_default().append(&mut samples);
        }
        for (key, n) in other.errors {
            *self.errors.entry(key).or_default() += n;
        }
        for (key, n) in other.expected_errors {
            *self.expected_errors.entry(key).or_default() += n;
        }
        for (what, (n, mut samples)) in other.failures {
            let entry = self.failures.entry(what).or_default();
            entry.0 += n;
            entry.1.append(&mut samples);
            entry.1.truncate(5);
        }
    }
}

/// How a GraphQL request ended.
enum Outcome {
    /// `data` without errors.
    Data(Value),
    /// A GraphQL error answer (the request was refused before anything ran, or a resolver
    /// failed): the `extensions.code` of the first error and the whole body.
    Refused { code: String, body: Value },
    /// No usable answer: transport error, timeout, non-JSON body.
    Failed(String),
}

/// One client of the soak: a shared connection pool, a key, and the request budget.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
    budget: Arc<AtomicU64>,
    stop: CancellationToken,
}

impl Client {
    /// False once the time is up or the request budget is spent.
    fn go_on(&self) -> bool {
        !self.stop.is_cancelled()
            && self
                .budget
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
    }

    /// Posts one GraphQL request and records its latency and any error under `kind`.
    async fn post(
        &self,
        stats: &mut Stats,
        kind: &'static str,
        key: &str,
        query: &str,
        variables: Value,
        expect_error: bool,
    ) -> Outcome {
        let body = json!({ "query": query, "variables": variables });
        let started = Instant::now();
        let sent = self
            .http
            .post(&self.url)
            .bearer_auth(key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await;
        let answer = match sent {
            Ok(response) => {
                let status = response.status();
                response
                    .bytes()
                    .await
                    .map(|bytes| (status, bytes))
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        stats.latencies.entry(kind).or_default().push(micros);
        let (label, outcome) = match answer {
            Err(e) => ("transport".to_string(), Outcome::Failed(e)),
            Ok((status, bytes)) => match serde_json::from_slice::<Value>(&bytes) {
                Err(_) => (
                    format!("HTTP {}", status.as_u16()),
                    Outcome::Failed(String::from_utf8_lossy(&bytes).into_owned()),
                ),
                Ok(body) => match body["errors"][0]["extensions"]["code"].as_str() {
                    Some(code) => {
                        let label = match status.as_u16() {
                            200 => code.to_string(),
                            other => format!("HTTP {other} {code}"),
                        };
                        let code = code.to_string();
                        (label, Outcome::Refused { code, body })
                    }
                    None if status.is_success() && body["errors"].is_null() => {
                        return Outcome::Data(body["data"].clone());
                    }
                    None => (
                        format!("HTTP {}", status.as_u16()),
                        Outcome::Failed(body.to_string()),
                    ),
                },
            },
        };
        let bucket = match (expect_error, &outcome) {
            (true, Outcome::Refused { code, .. }) if code == "BAD_USER_INPUT" => {
                &mut stats.expected_errors
            }
            _ => &mut stats.errors,
        };
        *bucket.entry((kind, label)).or_default() += 1;
        outcome
    }
}

// ---------------------------------------------------------------------------------------------
// The writers' rows

/// The fact kinds the writers record.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
enum Fact {
    ContentDaily,
    Orders,
    Spend,
}

impl Fact {
    const ALL: [Self; 3] = [Self::ContentDaily, Self::Orders, Self::Spend];

    fn mutation(self) -> &'static str {
        match self {
            Self::ContentDaily => "recordContentDaily",
            Self::Orders => "recordOrders",
            Self::Spend => "recordSpend",
        }
    }

    fn input_type(self) -> &'static str {
        match self {
            Self::ContentDaily => "ContentDailyInput",
            Self::Orders => "OrderInput",
            Self::Spend => "SpendInput",
        }
    }

    fn per_block(self) -> u64 {
        match self {
            Self::ContentDaily => CONTENTS_PER_BLOCK,
            Self::Orders => 1,
            Self::Spend => CAMPAIGNS_PER_BLOCK,
        }
    }

    /// The dimension block key `k` needs (contents or campaigns), if any.
    fn block(self, k: u64) -> Option<u64> {
        (self != Self::Orders).then(|| k / (self.per_block() * DAYS))
    }

    /// The date and dimension member of key `k` (content_daily and spend).
    fn day_member(self, k: u64) -> (NaiveDate, u64) {
        let per = self.per_block();
        let in_block = k % (per * DAYS);
        let day = BASE + chrono::Days::new(in_block / per);
        (day, k / (per * DAYS) * per + in_block % per)
    }
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A row a writer sends: the GraphQL input, its natural key, and the values it must be stored
/// with (as the database holds them: counts, cents).
struct Row {
    input: Value,
    key: String,
    values: Vec<i64>,
}

/// Row `k` of writer `w` in version `v`. Values are a pure function of `(w, k, v)`: a new
/// version always changes them. Read-through (completions / reads) is 0.1 on even days and 0.5
/// on odd ones, so the soak's alert rule flips every day.
fn row(fact: Fact, w: usize, k: u64, v: u32) -> Row {
    let ki = i64::try_from(k).unwrap_or(i64::MAX / 2);
    let vi = i64::from(v);
    match fact {
        Fact::ContentDaily => {
            let (date, member) = fact.day_member(k);
            let day_index = (date - BASE).num_days();
            let reads = 500 + ki * 31 % 400 + vi * 7;
            let opens = reads + 200;
            let completions = if day_index % 2 == 0 {
                reads / 10
            } else {
                reads / 2
            };
            let shares = reads / 20;
            let counts = [
                ("deliveries", opens * 5),
                ("opens", opens),
                ("reads", reads),
                ("readers", reads * 4 / 5),
                ("completions", completions),
                ("shares", shares),
                ("sharers", shares / 2),
                ("favorites", reads / 50),
                ("likes", reads / 40),
                ("comments", reads / 100),
                ("clicks", reads / 30 + vi),
            ];
            let content = format!("w{w}-c{member}");
            let mut input = serde_json::Map::new();
            input.insert("content".into(), json!(content));
            input.insert("date".into(), json!(date.to_string()));
            for (name, value) in counts {
                input.insert(name.into(), json!(value));
            }
            Row {
                input: Value::Object(input),
                key: format!("{content}|{date}"),
                values: counts.iter().map(|(_, c)| *c).collect(),
            }
        }
        Fact::Orders => {
            let amount = 5_000 + ki * 7_919 % 20_000 + vi * 100;
            let refunded = if (ki + vi) % 5 == 0 { 1_000 } else { 0 };
            let paid = BASE.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
                + TimeDelta::minutes(ki * 7 % (365 * 24 * 60));
            let key = format!("w{w}-o{k}");
            Row {
                input: json!({
                    "key": key,
                    "customer": format!("cust-{}", k / ORDERS_PER_CUSTOMER),
                    "paidAt": paid.to_rfc3339(),
                    "amount": money(amount),
                    "refundedAmount": money(refunded),
                    "channel": format!("ch-w{w}"),
                    "campaign": format!("w{w}-cp0"),
                    "account": format!("acc-w{w}"),
                }),
                key,
                values: vec![amount, refunded],
            }
        }
        Fact::Spend => {
            let (date, member) = fact.day_member(k);
            let amount = 10_000 + ki * 131 % 50_000 + vi * 100;
            let campaign = format!("w{w}-cp{member}");
            let channel = format!("ch-w{w}");
            Row {
                input: json!({
                    "date": date.to_string(),
                    "amount": money(amount),
                    "channel": channel,
                    "campaign": campaign,
                }),
                key: format!("{date}|{channel}|{campaign}"),
                values: vec![amount],
            }
        }
    }
}

/// Makes row `input` break a rule (rejected by validation, not by GraphQL).
fn spoil(fact: Fact, input: &mut Value) {
    match fact {
        // completions must not exceed reads.
        Fact::ContentDaily => {
            input["completions"] = json!(input["reads"].as_i64().unwrap_or(0) + 1)
        }
        // refundedAmount must not exceed amount.
        Fact::Orders => input["refundedAmount"] = json!("999999.00"),
        Fact::Spend => input["amount"] = json!("-1.00"),
    }
}

/// Makes row `input` an invalid GraphQL literal: the whole request is refused.
fn garble(fact: Fact, input: &mut Value) {
    match fact {
        Fact::ContentDaily | Fact::Spend => input["date"] = json!("2020-02-30"),
        Fact::Orders => input["paidAt"] = json!("yesterday"),
    }
}

/// What a writer knows about its keys of one fact kind.
#[derive(Default)]
struct Ledger {
    /// The next fresh key.
    next: u64,
    /// The version each accepted key was last accepted with.
    accepted: HashMap<u64, u32>,
    /// Versions a failed request may or may not have written, by key.
    uncertain: HashMap<u64, Vec<u32>>,
    /// Key ranges of accepted fresh batches, to update and re-send.
    batches: Vec<(u64, u64)>,
    /// Dimension blocks created so far (contents or campaigns).
    blocks: u64,
}

/// The action of writer iteration `n` (deterministic).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Fresh,
    Update,
    Resend,
    BadAtomic,
    BadPartial,
    Garbled,
}

fn action(n: u64) -> Action {
    match (n / 3) % 20 {
        0..=8 => Action::Fresh,
        9..=12 => Action::Update,
        13..=15 => Action::Resend,
        16 | 17 => Action::BadAtomic,
        18 => Action::BadPartial,
        _ => Action::Garbled,
    }
}

struct Keys {
    admin: String,
    write: String,
    read: String,
}

/// Creates dimension block `b` of writer `w` for `fact` (contents or campaigns).
async fn create_block(
    client: &Client,
    stats: &mut Stats,
    key: &str,
    fact: Fact,
    w: usize,
    b: u64,
) -> Result<()> {
    let per = fact.per_block();
    let members = b * per..(b + 1) * per;
    let (kind, query, rows): (&'static str, &str, Vec<Value>) = match fact {
        Fact::ContentDaily => (
            "upsertContents",
            "mutation($r: [ContentInput!]!) { upsertContents(rows: $r) { inserted rejected { index } } }",
            members
                .map(|m| {
                    json!({ "key": format!("w{w}-c{m}"), "account": format!("acc-w{w}"), "kind": "ARTICLE",
                        "title": format!("Writer {w} article {m}"), "publishedAt": "2019-12-31T00:00:00Z" })
                })
                .collect(),
        ),
        Fact::Spend => (
            "upsertCampaigns",
            "mutation($r: [CampaignInput!]!) { upsertCampaigns(rows: $r) { inserted rejected { index } } }",
            members
                .map(|m| {
                    json!({ "key": format!("w{w}-cp{m}"), "kind": "PROMOTION", "name": format!("Writer {w} promotion {m}"),
                        "startsOn": "2020-01-01", "endsOn": "2020-12-31", "budget": "100000.00" })
                })
                .collect(),
        ),
        Fact::Orders => return Ok(()),
    };
    // A dimension block must exist before its facts: retry a failed call a few times.
    for _ in 0..5 {
        if let Outcome::Data(data) = client
            .post(stats, kind, key, query, json!({ "r": rows }), false)
            .await
        {
            let report = &data[kind];
            if report["rejected"].as_array().is_some_and(Vec::is_empty) {
                return Ok(());
            }
            return Err(format!("{kind} rejected rows: {report}").into());
        }
    }
    Err(format!("{kind} of writer {w} block {b} kept failing").into())
}

/// One writer: loops over its schedule until the time is up.
async fn writer(
    client: Client,
    keys: Arc<Keys>,
    w: usize,
    batch: u64,
) -> Result<(Stats, HashMap<Fact, Ledger>)> {
    let mut stats = Stats::default();
    let mut ledgers: HashMap<Fact, Ledger> =
        Fact::ALL.iter().map(|f| (*f, Ledger::default())).collect();
    // Every order names campaign `w{w}-cp0`, of the first spend block.
    create_block(&client, &mut stats, &keys.write, Fact::Spend, w, 0).await?;
    if let Some(spend) = ledgers.get_mut(&Fact::Spend) {
        spend.blocks = 1;
    }
    let mut n: u64 = 0;
    while client.go_on() {
        let fact = Fact::ALL[usize::try_from(n % 3)?];
        let ledger = ledgers.get_mut(&fact).ok_or("ledger")?;
        let mut act = action(n);
        if matches!(act, Action::Update | Action::Resend) && ledger.batches.is_empty() {
            act = Action::Fresh;
        }
        // The keys and versions to send.
        let plan: Vec<(u64, u32)> = match act {
            Action::Fresh | Action::BadAtomic | Action::BadPartial | Action::Garbled => {
                let start = ledger.next;
                ledger.next += batch;
                (start..start + batch).map(|k| (k, 0)).collect()
            }
            Action::Update | Action::Resend => {
                let pick = usize::try_from(n.wrapping_mul(7_919))? % ledger.batches.len();
                let (start, len) = ledger.batches[pick];
                (start..start + len)
                    .filter(|k| !ledger.uncertain.contains_key(k))
                    .filter_map(|k| {
                        ledger
                            .accepted
                            .get(&k)
                            .map(|v| (k, *v + u32::from(act == Action::Update)))
                    })
                    .collect()
            }
        };
        n += 1;
        if plan.is_empty() {
            continue;
        }
        if let Some(top) = plan.iter().filter_map(|(k, _)| fact.block(*k)).max() {
            while ledger.blocks <= top {
                create_block(&client, &mut stats, &keys.write, fact, w, ledger.blocks).await?;
                ledger.blocks += 1;
            }
        }
        let mut rows: Vec<Row> = plan.iter().map(|(k, v)| row(fact, w, *k, *v)).collect();
        let len = rows.len();
        // Positions made invalid, and whether the call is atomic.
        let salt = usize::try_from(n % 1_000)?;
        let (bad, atomic): (Vec<usize>, bool) = match act {
            Action::BadAtomic => (vec![salt % len], true),
            Action::BadPartial => {
                let (a, b) = (salt % len, (salt + len / 2) % len);
                (
                    if a == b {
                        vec![a]
                    } else {
                        vec![a.min(b), a.max(b)]
                    },
                    false,
                )
            }
            _ => (Vec::new(), true),
        };
        for i in &bad {
            spoil(fact, &mut rows[*i].input);
        }
        if act == Action::Garbled {
            garble(fact, &mut rows[salt % len].input);
        }
        // What the report must say (None: a key's state is unknown, so any answer is fine).
        let mut expected = (0u64, 0u64, 0u64);
        for (i, (k, v)) in plan.iter().enumerate() {
            if bad.contains(&i) || (atomic && !bad.is_empty()) {
                continue;
            }
            match ledger.accepted.get(k) {
                None => expected.0 += 1,
                Some(old) if old != v => expected.1 += 1,
                Some(_) => expected.2 += 1,
            }
        }
        let query = format!(
            "mutation($r: [{}!]!, $a: Boolean) {{ {}(rows: $r, atomic: $a) {{ inserted updated unchanged rejected {{ index code }} }} }}",
            fact.input_type(),
            fact.mutation()
        );
        let inputs: Vec<Value> = rows.iter().map(|r| r.input.clone()).collect();
        let outcome = client
            .post(
                &mut stats,
                fact.mutation(),
                &keys.write,
                &query,
                json!({ "r": inputs, "a": atomic }),
                act == Action::Garbled,
            )
            .await;
        match outcome {
            Outcome::Data(data) => {
                let report = &data[fact.mutation()];
                let got = (
                    report["inserted"].as_u64().unwrap_or(u64::MAX),
                    report["updated"].as_u64().unwrap_or(u64::MAX),
                    report["unchanged"].as_u64().unwrap_or(u64::MAX),
                );
                let mut rejected: Vec<usize> = report["rejected"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|e| e["index"].as_u64())
                            .filter_map(|i| usize::try_from(i).ok())
                            .collect()
                    })
                    .unwrap_or_default();
                // A row may have several errors.
                rejected.sort_unstable();
                rejected.dedup();
                if act == Action::Garbled {
                    stats.fail(
                        "report mismatch",
                        format!("writer {w} {fact:?}: a garbled request was answered {report}"),
                    );
                }
                let certain = plan.iter().all(|(k, _)| !ledger.uncertain.contains_key(k));
                if certain && (got != expected || rejected != bad) {
                    stats.fail(
                        "report mismatch",
                        format!("writer {w} {act:?} {fact:?}: expected {expected:?} rejected {bad:?}, got {report}"),
                    );
                }
                let written = bad.is_empty() || !atomic;
                if written {
                    for (i, (k, v)) in plan.iter().enumerate() {
                        if !rejected.contains(&i) {
                            ledger.accepted.insert(*k, *v);
                            ledger.uncertain.remove(k);
                        }
                    }
                    if act == Action::Fresh {
                        ledger.batches.push((plan[0].0, batch));
                    }
                }
            }
            Outcome::Refused { code, body } => {
                let expected_refusal = act == Action::Garbled && code == "BAD_USER_INPUT";
                if !expected_refusal {
                    // An error after the call may have run: the rows are in an unknown state.
                    if act != Action::Garbled {
                        for (k, v) in &plan {
                            ledger.uncertain.entry(*k).or_default().push(*v);
                        }
                    }
                    stats.fail(
                        "unexpected error",
                        format!("writer {w} {act:?} {fact:?}: {body}"),
                    );
                }
            }
            Outcome::Failed(reason) => {
                for (k, v) in &plan {
                    ledger.uncertain.entry(*k).or_default().push(*v);
                }
                stats.fail(
                    "unexpected error",
                    format!("writer {w} {act:?} {fact:?}: {reason}"),
                );
            }
        }
    }
    Ok((stats, ledgers))
}

// ---------------------------------------------------------------------------------------------
// Readers, the admin task, pollers

/// The dashboard queries readers cycle through: (kind, query).
const READS: [(&str, &str); 6] = [
    (
        "kpiReport content/day",
        r#"{ kpiReport(input: { kpis: [OPEN_RATE, READ_THROUGH_RATE, SHARE_COEFFICIENT, INTERACTION_RATE],
             range: { from: "2020-01-01", to: "2020-03-31" }, granularity: DAY, groupBy: [ACCOUNT] }) {
             rows { period { label } dimensions { key } values { kpi value status } } totals { kpi value } } }"#,
    ),
    (
        "kpiReport commerce/month",
        r#"{ kpiReport(input: { kpis: [GMV, REVENUE, ORDERS, AOV, SPEND, ROI],
             range: { from: "2020-01-01", to: "2020-12-31" }, granularity: MONTH, groupBy: [CHANNEL],
             compareTo: PREVIOUS_PERIOD }) {
             rows { period { label } dimensions { key } values { kpi value previous changeRatio } } } }"#,
    ),
    (
        "kpiReport totals/campaign",
        r#"{ kpiReport(input: { kpis: [READ_THROUGH_RATE, CLICK_THROUGH_RATE, NEW_CUSTOMERS, CAC, BUYERS],
             range: { from: "2020-01-01", to: "2020-12-31" }, groupBy: [CAMPAIGN] }) {
             rows { dimensions { key } values { kpi value } } totals { kpi value status } meta { dataAsOf } } }"#,
    ),
    (
        "cohorts",
        r#"{ cohorts(input: { range: { from: "2020-01-01", to: "2020-12-31" }, months: 3 }) {
             cohorts { month size retained rates } } }"#,
    ),
    (
        "contents",
        "{ contents(first: 100) { totalCount pageInfo { hasNextPage } edges { node { key title account { name } campaign { name } } } } }",
    ),
    (
        "alerts",
        "{ alerts(first: 50) { totalCount nodes { id state severity value kpi group { key } rule { name } } } }",
    ),
];

async fn reader(client: Client, keys: Arc<Keys>, r: usize) -> Stats {
    let mut stats = Stats::default();
    let mut n = r;
    while client.go_on() {
        let (kind, query) = READS[n % READS.len()];
        n += 1;
        if let Outcome::Data(_) = client
            .post(&mut stats, kind, &keys.read, query, json!({}), false)
            .await
        {
            continue;
        }
        stats.fail("unexpected error", format!("reader {r}: {kind} failed"));
    }
    stats
}

/// Evaluates the alerts for successive days and acknowledges a firing alert now and then.
async fn admin(client: Client, keys: Arc<Keys>) -> Stats {
    let mut stats = Stats::default();
    let mut day: u64 = 1;
    while client.go_on() {
        let as_of = BASE + chrono::Days::new(day % DAYS + 1);
        day += 1;
        let evaluated = client
            .post(
                &mut stats,
                "evaluateAlerts",
                &keys.admin,
                "mutation($d: Date) { evaluateAlerts(asOf: $d) { eventsCreated } }",
                json!({ "d": as_of.to_string() }),
                false,
            )
            .await;
        if !matches!(evaluated, Outcome::Data(_)) {
            stats.fail(
                "unexpected error",
                format!("evaluateAlerts as of {as_of} failed"),
            );
        }
        if day.is_multiple_of(8) && client.go_on() {
            let firing = client
                .post(
                    &mut stats,
                    "alerts (firing)",
                    &keys.read,
                    "{ alerts(filter: { states: [FIRING] }, first: 1) { nodes { id } } }",
                    json!({}),
                    false,
                )
                .await;
            if let Outcome::Data(data) = firing
                && let Some(id) = data["alerts"]["nodes"][0]["id"].as_str()
            {
                let acked = client
                    .post(
                        &mut stats,
                        "acknowledgeAlert",
                        &keys.write,
                        "mutation($id: ID!) { acknowledgeAlert(id: $id, note: \"seen\") { id } }",
                        json!({ "id": id }),
                        false,
                    )
                    .await;
                if !matches!(acked, Outcome::Data(_)) {
                    stats.fail("unexpected error", format!("acknowledgeAlert {id} failed"));
                }
            }
        }
        tokio::time::sleep(EVAL_PAUSE).await;
    }
    stats
}

/// How long a subscriber keeps listening, after the end, for events still on their way.
const QUIET: Duration = Duration::from_secs(2);

/// A subscriber: `subscription { alertEvents }` over graphql-transport-ws from the start of the
/// feed. After `drain` it reads until the feed has been quiet for [`QUIET`]. Returns the event
/// ids in the order received.
async fn subscriber(ws_url: String, key: String, drain: CancellationToken) -> (Stats, Vec<i64>) {
    let mut stats = Stats::default();
    let mut seen = Vec::new();
    if let Err(e) = follow_feed(&ws_url, &key, &drain, &mut seen).await {
        stats.fail("subscription failed", e.to_string());
    }
    (stats, seen)
}

async fn follow_feed(
    ws_url: &str,
    key: &str,
    drain: &CancellationToken,
    seen: &mut Vec<i64>,
) -> Result<()> {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = ws_url.into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let text = |v: Value| Message::Text(v.to_string().into());
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {key}") } });
    ws.send(text(init)).await?;
    let subscribe = json!({ "id": "feed", "type": "subscribe",
        "payload": { "query": "subscription { alertEvents { id } }" } });
    ws.send(text(subscribe)).await?;
    loop {
        let message = if drain.is_cancelled() {
            match tokio::time::timeout(QUIET, ws.next()).await {
                Ok(message) => message,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                message = ws.next() => message,
                () = drain.cancelled() => continue,
            }
        };
        let message = match message {
            Some(Ok(Message::Text(body))) => serde_json::from_str::<Value>(&body)?,
            Some(Ok(Message::Close(frame))) => {
                return Err(format!("the server closed the subscription: {frame:?}").into());
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err("the server closed the socket".into()),
        };
        match message["type"].as_str() {
            Some("connection_ack" | "pong") => {}
            Some("ping") => ws.send(text(json!({ "type": "pong" }))).await?,
            Some("next") => {
                let id = message["payload"]["data"]["alertEvents"]["id"]
                    .as_str()
                    .and_then(|id| id.parse::<i64>().ok())
                    .ok_or_else(|| format!("not an event: {message}"))?;
                seen.push(id);
            }
            _ => return Err(format!("unexpected message: {message}").into()),
        }
    }
    ws.send(text(json!({ "id": "feed", "type": "complete" })))
        .await?;
    ws.close(None).await?;
    Ok(())
}

/// A poller: pages `alertEvents(after:)` from its last cursor until stopped, then until the
/// feed is drained. Returns the event ids in the order seen.
async fn poller(client: Client, keys: Arc<Keys>, drain: CancellationToken) -> (Stats, Vec<i64>) {
    let mut stats = Stats::default();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    const QUERY: &str = "query($a: String, $f: Int) { alertEvents(after: $a, first: $f) { pageInfo { hasNextPage } edges { cursor node { id } } } }";
    loop {
        let draining = drain.is_cancelled();
        // Pollers keep going past the deadline to drain; the budget still bounds them.
        if !draining && client.stop.is_cancelled() {
            drain.cancelled().await;
            continue;
        }
        let outcome = client
            .post(
                &mut stats,
                "alertEvents",
                &keys.read,
                QUERY,
                json!({ "a": cursor, "f": POLL_PAGE }),
                false,
            )
            .await;
        let Outcome::Data(data) = outcome else {
            stats.fail("unexpected error", "alertEvents failed".to_string());
            if draining {
                // Keep trying to drain, but not forever.
                if stats
                    .failures
                    .get("unexpected error")
                    .is_some_and(|f| f.0 > 20)
                {
                    break;
                }
            }
            tokio::time::sleep(POLL_PAUSE).await;
            continue;
        };
        let page = &data["alertEvents"];
        let edges = page["edges"].as_array().cloned().unwrap_or_default();
        for edge in &edges {
            let id = edge["node"]["id"]
                .as_str()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(-1);
            seen.push(id);
            cursor = edge["cursor"].as_str().map(str::to_string);
        }
        let more = page["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false);
        if !more {
            if draining {
                break;
            }
            tokio::time::sleep(POLL_PAUSE).await;
        }
    }
    (stats, seen)
}

// ---------------------------------------------------------------------------------------------
// The database, the server, setup

/// Posts a setup request; any error aborts the soak.
async fn setup_call(client: &Client, key: &str, query: &str, variables: Value) -> Result<Value> {
    let mut stats = Stats::default();
    match client
        .post(&mut stats, "setup", key, query, variables, false)
        .await
    {
        Outcome::Data(data) => Ok(data),
        Outcome::Refused { body, .. } => Err(format!("setup failed: {body}").into()),
        Outcome::Failed(reason) => Err(format!("setup failed: {reason}").into()),
    }
}

/// Creates the keys, the writers' accounts and channels, a few shared dimensions, and the alert
/// rule the admin task makes fire.
async fn setup(client: &Client, admin: String, writers: usize) -> Result<Keys> {
    let mut keys = Keys {
        admin: admin.clone(),
        write: String::new(),
        read: String::new(),
    };
    for (role, slot) in [("WRITE", &mut keys.write), ("READ", &mut keys.read)] {
        let data = setup_call(
            client,
            &admin,
            "mutation($n: String!, $r: Role!) { createApiKey(name: $n, role: $r) { secret } }",
            json!({ "n": format!("soak-{}", role.to_lowercase()), "r": role }),
        )
        .await?;
        *slot = data["createApiKey"]["secret"]
            .as_str()
            .ok_or("no secret")?
            .to_string();
    }
    let accounts: Vec<Value> = (0..writers)
        .map(|w| json!({ "key": format!("acc-w{w}"), "kind": "SERVICE_ACCOUNT", "name": format!("Writer {w} OA") }))
        .chain([json!({ "key": "shared-wecom", "kind": "WECOM", "name": "Shared WeCom" })])
        .collect();
    let channels: Vec<Value> = (0..writers)
        .map(|w| json!({ "key": format!("ch-w{w}"), "name": format!("Writer {w} channel") }))
        .chain([json!({ "key": "organic", "name": "Organic" })])
        .collect();
    let seeded = setup_call(
        client,
        &admin,
        r#"mutation($a: [AccountInput!]!, $c: [ChannelInput!]!) {
             upsertAccounts(rows: $a) { inserted rejected { message } }
             upsertChannels(rows: $c) { inserted rejected { message } }
             upsertCampaigns(rows: [{ key: "brand-week", kind: BRAND, name: "Brand week", startsOn: "2020-03-01", endsOn: "2020-03-07" }]) { inserted rejected { message } }
             createAlertRule(input: { name: "Read-through below 20% yesterday", kpi: READ_THROUGH_RATE, window: DAY,
               groupBy: [ACCOUNT], condition: { kind: THRESHOLD, operator: BELOW, warning: 0.2 } }) { id } }"#,
        json!({ "a": accounts, "c": channels }),
    )
    .await?;
    for field in ["upsertAccounts", "upsertChannels", "upsertCampaigns"] {
        if !seeded[field]["rejected"]
            .as_array()
            .is_some_and(Vec::is_empty)
        {
            return Err(format!("seeding rejected rows: {seeded}").into());
        }
    }
    Ok(keys)
}

// ---------------------------------------------------------------------------------------------
// Verification

/// Every stored row of `fact` in the workspace: natural key → the values of each row.
async fn stored(
    db: &DatabaseConnection,
    ws: i64,
    fact: Fact,
) -> Result<HashMap<String, Vec<Vec<i64>>>> {
    use entity::{campaign, channel, content, content_daily, order, spend};
    let mut out: HashMap<String, Vec<Vec<i64>>> = HashMap::new();
    match fact {
        Fact::ContentDaily => {
            let names: HashMap<i64, String> = content::Entity::find()
                .filter(content::Column::WorkspaceId.eq(ws))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c.key))
                .collect();
            for r in content_daily::Entity::find()
                .filter(content_daily::Column::WorkspaceId.eq(ws))
                .all(db)
                .await?
            {
                let name = names.get(&r.content_id).cloned().unwrap_or_default();
                out.entry(format!("{name}|{}", r.date))
                    .or_default()
                    .push(vec![
                        r.deliveries,
                        r.opens,
                        r.reads,
                        r.readers,
                        r.completions,
                        r.shares,
                        r.sharers,
                        r.favorites,
                        r.likes,
                        r.comments,
                        r.clicks,
                    ]);
            }
        }
        Fact::Orders => {
            for r in order::Entity::find()
                .filter(order::Column::WorkspaceId.eq(ws))
                .all(db)
                .await?
            {
                out.entry(r.key)
                    .or_default()
                    .push(vec![r.amount.cents(), r.refunded_amount.cents()]);
            }
        }
        Fact::Spend => {
            let channels: HashMap<i64, String> = channel::Entity::find()
                .filter(channel::Column::WorkspaceId.eq(ws))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c.key))
                .collect();
            let campaigns: HashMap<i64, String> = campaign::Entity::find()
                .filter(campaign::Column::WorkspaceId.eq(ws))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c.key))
                .collect();
            for r in spend::Entity::find()
                .filter(spend::Column::WorkspaceId.eq(ws))
                .all(db)
                .await?
            {
                let name = |id: Option<i64>, names: &HashMap<i64, String>| {
                    id.and_then(|id| names.get(&id).cloned())
                        .unwrap_or_default()
                };
                out.entry(format!(
                    "{}|{}|{}",
                    r.date,
                    name(r.channel_id, &channels),
                    name(r.campaign_id, &campaigns)
                ))
                .or_default()
                .push(vec![r.amount.cents()]);
            }
        }
    }
    Ok(out)
}

/// Counts of the final check.
#[derive(Default)]
struct Check {
    keys: u64,
    rows: u64,
    lost: u64,
    duplicated: u64,
    unexpected: u64,
    wrong_value: u64,
    uncertain: u64,
}

/// Compares the writers' ledgers with the stored rows of `fact`.
fn check_fact(
    fact: Fact,
    ledgers: &[HashMap<Fact, Ledger>],
    stored: &HashMap<String, Vec<Vec<i64>>>,
    stats: &mut Stats,
) -> Check {
    let mut check = Check::default();
    // Natural key → the values it may hold, and whether it must exist.
    let mut expected: HashMap<String, (Vec<Vec<i64>>, bool)> = HashMap::new();
    for (w, ledger) in ledgers.iter().enumerate() {
        let Some(ledger) = ledger.get(&fact) else {
            continue;
        };
        for (k, v) in &ledger.accepted {
            let r = row(fact, w, *k, *v);
            expected.insert(r.key, (vec![r.values], true));
        }
        for (k, versions) in &ledger.uncertain {
            check.uncertain += 1;
            for v in versions {
                let r = row(fact, w, *k, *v);
                expected
                    .entry(r.key)
                    .or_insert_with(|| (Vec::new(), false))
                    .0
                    .push(r.values);
            }
        }
    }
    check.keys = expected.values().filter(|(_, must)| *must).count() as u64;
    for (key, rows) in stored {
        check.rows += rows.len() as u64;
        match expected.get(key) {
            None => {
                check.unexpected += 1;
                stats.fail("unexpected row", format!("{fact:?} {key}: {rows:?}"));
            }
            Some((allowed, _)) => {
                if rows.len() > 1 {
                    check.duplicated += 1;
                    stats.fail("duplicated", format!("{fact:?} {key}: {} rows", rows.len()));
                }
                if rows.iter().any(|r| !allowed.contains(r)) {
                    check.wrong_value += 1;
                    stats.fail(
                        "wrong value",
                        format!("{fact:?} {key}: stored {rows:?}, expected one of {allowed:?}"),
                    );
                }
            }
        }
    }
    for (key, (_, must)) in &expected {
        if *must && !stored.contains_key(key) {
            check.lost += 1;
            stats.fail("lost", format!("{fact:?} {key}"));
        }
    }
    check
}

/// The workspace's event ids, in feed order.
async fn event_ids(db: &DatabaseConnection, ws: i64) -> Result<Vec<i64>> {
    use entity::alert_event;
    use sea_orm::QueryOrder;
    Ok(alert_event::Entity::find()
        .filter(alert_event::Column::WorkspaceId.eq(ws))
        .order_by_asc(alert_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect())
}

fn check_feed(who: &str, seen: &[i64], all: &[i64], stats: &mut Stats) {
    if seen == all {
        return;
    }
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for id in seen {
        *counts.entry(*id).or_default() += 1;
    }
    let repeated = counts.values().filter(|n| **n > 1).count();
    let missed = all.iter().filter(|id| !counts.contains_key(id)).count();
    let out_of_order = seen.windows(2).filter(|w| w[0] >= w[1]).count();
    let foreign = counts.keys().filter(|id| !all.contains(id)).count();
    stats.fail(
        "feed mismatch",
        format!("{who}: saw {} events of {}: {missed} missed, {repeated} repeated, {out_of_order} out of order, {foreign} unknown", seen.len(), all.len()),
    );
}

// ---------------------------------------------------------------------------------------------
// Reporting

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    #[allow(clippy::cast_precision_loss)]
    let ms = sorted[rank - 1] as f64 / 1_000.0;
    ms
}

/// Resets the peak resident memory of this process (Linux), so that each backend reports its own.
fn reset_peak_memory() {
    // "5" resets VmHWM to the current resident size (see proc(5), clear_refs).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process (`VmHWM`), in MiB, where Linux reports it.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Events in `alert_event`, and how many each poller and subscriber saw.
struct Feeds {
    events: usize,
    polled: Vec<usize>,
    heard: Vec<usize>,
}

fn report(
    backend: &str,
    args: &Args,
    stats: &mut Stats,
    elapsed: Duration,
    checks: &[(Fact, Check)],
    feeds: &Feeds,
) {
    let secs = elapsed.as_secs_f64();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n== {backend}: {:.1} s, {} readers, {} writers, {} pollers, {} subscribers, batches of {} rows",
        secs, args.readers, args.writers, args.pollers, args.subscribers, args.batch
    );
    let _ = writeln!(
        out,
        "{:<28} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "request", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let mut total = 0usize;
    for (kind, samples) in &mut stats.latencies {
        samples.sort_unstable();
        total += samples.len();
        #[allow(clippy::cast_precision_loss)]
        let rate = samples.len() as f64 / secs;
        let _ = writeln!(
            out,
            "{:<28} {:>9} {:>8.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            kind,
            samples.len(),
            rate,
            percentile(samples, 50.0),
            percentile(samples, 95.0),
            percentile(samples, 99.0),
            percentile(samples, 100.0)
        );
    }
    #[allow(clippy::cast_precision_loss)]
    let rate = total as f64 / secs;
    let _ = writeln!(out, "{:<28} {:>9} {:>8.1}", "all", total, rate);
    if stats.errors.is_empty() {
        let _ = writeln!(out, "errors: none");
    }
    for ((kind, code), n) in &stats.errors {
        let _ = writeln!(out, "error    {kind:<28} {code:<24} {n}");
    }
    for ((kind, code), n) in &stats.expected_errors {
        let _ = writeln!(
            out,
            "provoked {kind:<28} {code:<24} {n}  (invalid literals sent on purpose)"
        );
    }
    let mut accepted_rows = 0;
    for (fact, c) in checks {
        accepted_rows += c.keys;
        let _ = writeln!(
            out,
            "checked  {:<20} {:>7} keys accepted, {:>7} rows stored: lost {}, duplicated {}, unexpected {}, wrong value {}, unknown after a failed call {}",
            fact.mutation(),
            c.keys,
            c.rows,
            c.lost,
            c.duplicated,
            c.unexpected,
            c.wrong_value,
            c.uncertain
        );
    }
    #[allow(clippy::cast_precision_loss)]
    let row_rate = accepted_rows as f64 / secs;
    let _ = writeln!(
        out,
        "rows accepted: {accepted_rows} ({row_rate:.0} distinct keys/s)"
    );
    let _ = writeln!(
        out,
        "alert events: {} in alert_event; pollers saw {:?}, subscribers {:?}",
        feeds.events, feeds.polled, feeds.heard
    );
    match peak_memory_mib() {
        Some(mib) => {
            let _ = writeln!(
                out,
                "peak memory (VmHWM, whole process: server, clients, check): {mib:.0} MiB"
            );
        }
        None => {
            let _ = writeln!(out, "peak memory: not available (no /proc/self/status)");
        }
    }
    if stats.failures.is_empty() {
        let _ = writeln!(out, "result: OK");
    }
    for (what, (n, samples)) in &stats.failures {
        let _ = writeln!(out, "FAILED   {what}: {n}");
        for s in samples {
            let _ = writeln!(
                out,
                "           {}",
                s.chars().take(400).collect::<String>()
            );
        }
    }
    print!("{out}");
}

// ---------------------------------------------------------------------------------------------
// One soak

/// Runs the soak on `backend`; returns whether every check passed.
async fn soak(backend: &Backend, args: &Args) -> Result<bool> {
    reset_peak_memory();
    // The server's defaults (pool of 10, 20 s statement timeout).
    let fresh = common::fresh(backend, "wekpi_soak", Duration::from_secs(20)).await?;
    let db = fresh.db.clone();
    let (workspace, issued) = wekpi_api::workspace::create(&db, "soak")
        .await
        .map_err(|e| e.detail())?;
    // The soak drives each key far above the default per-key rate limit on purpose.
    let limits = Limits {
        rate_limit_per_sec: 0,
        ..Limits::default()
    };
    let state = wekpi_api::app::AppState::new(db.clone(), limits).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/graphql", listener.local_addr()?);
    let server_stop = CancellationToken::new();
    let scheduler_stop = CancellationToken::new();
    let scheduler = wekpi_api::alerts::scheduler::spawn(
        db.clone(),
        state.alerts.clone(),
        SCHEDULER_INTERVAL,
        scheduler_stop.clone(),
    );
    let server = tokio::spawn(wekpi_api::app::serve(listener, state, server_stop.clone()));

    let stop = CancellationToken::new();
    let drain = CancellationToken::new();
    let client = Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()?,
        url,
        budget: Arc::new(AtomicU64::new(args.max_requests)),
        stop: stop.clone(),
    };
    let keys = Arc::new(setup(&client, issued.secret, args.writers).await?);

    let started = Instant::now();
    let writers: Vec<_> = (0..args.writers)
        .map(|w| tokio::spawn(writer(client.clone(), keys.clone(), w, args.batch)))
        .collect();
    let readers: Vec<_> = (0..args.readers)
        .map(|r| tokio::spawn(reader(client.clone(), keys.clone(), r)))
        .collect();
    let ws_url = client.url.replacen("http://", "ws://", 1) + "/ws";
    let subscribers: Vec<_> = (0..args.subscribers)
        .map(|_| tokio::spawn(subscriber(ws_url.clone(), keys.read.clone(), drain.clone())))
        .collect();
    let pollers: Vec<_> = (0..args.pollers)
        .map(|_| tokio::spawn(poller(client.clone(), keys.clone(), drain.clone())))
        .collect();
    let admin_task = tokio::spawn(admin(client.clone(), keys.clone()));

    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.cancel();
    let mut stats = Stats::default();
    let mut ledgers = Vec::new();
    for handle in writers {
        let (s, l) = handle.await??;
        stats.merge(s);
        ledgers.push(l);
    }
    for handle in readers {
        stats.merge(handle.await?);
    }
    stats.merge(admin_task.await?);
    let elapsed = started.elapsed();
    // No event may appear after the drain: stop the scheduler first.
    scheduler_stop.cancel();
    scheduler.await?;
    drain.cancel();
    let mut seen = Vec::new();
    for handle in pollers {
        let (s, ids) = handle.await?;
        stats.merge(s);
        seen.push(ids);
    }
    let mut heard = Vec::new();
    for handle in subscribers {
        let (s, ids) = handle.await?;
        stats.merge(s);
        heard.push(ids);
    }
    server_stop.cancel();
    server.await??;

    let mut checks = Vec::new();
    for fact in Fact::ALL {
        let rows = stored(&db, workspace.id, fact).await?;
        checks.push((fact, check_fact(fact, &ledgers, &rows, &mut stats)));
    }
    let all = event_ids(&db, workspace.id).await?;
    for (p, ids) in seen.iter().enumerate() {
        check_feed(&format!("poller {p}"), ids, &all, &mut stats);
    }
    for (p, ids) in heard.iter().enumerate() {
        check_feed(&format!("subscriber {p}"), ids, &all, &mut stats);
    }
    let feeds = Feeds {
        events: all.len(),
        polled: seen.iter().map(Vec::len).collect(),
        heard: heard.iter().map(Vec::len).collect(),
    };
    report(backend.name(), args, &mut stats, elapsed, &checks, &feeds);
    fresh.close().await?;
    Ok(stats.failures.is_empty())
}

async fn run(args: Args) -> Result<bool> {
    wekpi_api::telemetry::init("pretty");
    let backends = Backend::from_env();
    let mut ok = true;
    for backend in &backends {
        ok &= soak(backend, &args).await?;
    }
    Ok(ok)
}

fn main() -> std::process::ExitCode {
    common::main("soak", "checks failed (see above)", async {
        run(parse_args()?).await
    })
}
