//! Timeouts stop the work: a report that runs past the statement timeout or the request
//! deadline is answered with `TIMEOUT`, the database stops its statement, and the connection
//! returns to the pool (a pool of one connection keeps answering right after).
//!
//! The slow report is a real one: LTV, whose statements rank every order of the workspace by
//! customer. Orders are added until the report takes long enough on this machine and backend,
//! and the timeouts are fractions of the time it took, so the test means the same on a fast and
//! on a slow machine.

use std::time::{Duration, Instant};

use axum::Router;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use wekpi_api::app::AppState;
use wekpi_api::config::Limits;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, error_code};

const LTV_REPORT: &str =
    "query Ltv($i: KpiReportInput!) { kpiReport(input: $i) { totals { kpi value } } }";

/// The report must take at least this long, so that its timeouts (an eighth of it) are far
/// above the few milliseconds an ordinary request takes.
const SLOW_ENOUGH: Duration = Duration::from_millis(800);

fn ltv_request() -> Value {
    json!({ "query": LTV_REPORT, "variables": { "i": {
        "kpis": ["LTV"], "range": { "from": "2025-01-01", "to": "2025-12-31" }
    } } })
}

/// Runs the report with the default limits; returns how long it took.
async fn full_report(app: &TestApp, key: &str) -> Duration {
    let started = Instant::now();
    let resp = app.post_json(&app.router, Some(key), ltv_request()).await;
    let took = started.elapsed();
    assert!(resp.get("errors").is_none(), "{resp}");
    // 500 customers with 10.00 orders: the LTV is a positive amount.
    assert!(
        resp["data"]["kpiReport"]["totals"][0]["value"].as_f64() > Some(0.0),
        "{resp}"
    );
    took
}

/// 1,000 orders of 500 customers through the API, then doubled in SQL (new keys, same values)
/// until the report is slow enough. Returns the key and the report's time.
async fn seed_slow_report(app: &TestApp) -> (String, Duration) {
    let key = app.workspace("acme").await;
    let rows: Vec<Value> = (0..1000)
        .map(|i| {
            json!({
                "key": format!("o{i}"),
                "customer": format!("c{}", i % 500),
                "paidAt": format!("2025-{:02}-{:02}T10:00:00Z", 1 + i % 12, 1 + i % 28),
                "amount": "10.00",
            })
        })
        .collect();
    let data = app
        .ok(
            &key,
            "mutation($r: [OrderInput!]!) { recordOrders(rows: $r) { inserted } }",
            json!({ "r": rows }),
        )
        .await;
    assert_eq!(data["recordOrders"]["inserted"], 1000);
    // Round n appends `-n` to every key, so the copies of each round are new keys.
    for round in 1..=10 {
        let took = full_report(app, &key).await;
        if took >= SLOW_ENOUGH {
            return (key, took);
        }
        app.db
            .execute_unprepared(&format!(
                "INSERT INTO orders (workspace_id, key, customer_id, paid_at, paid_date, amount, \
                 refunded_amount, channel_id, campaign_id, account_id, created_at, updated_at) \
                 SELECT workspace_id, key || '-{round}', customer_id, paid_at, paid_date, amount, \
                 refunded_amount, channel_id, campaign_id, account_id, created_at, updated_at \
                 FROM orders"
            ))
            .await
            .unwrap();
    }
    panic!("the report stays under {SLOW_ENOUGH:?} even over 1,024,000 orders");
}

/// A pool of ONE connection to the test's database with statement timeout `limit`: a connection
/// that a timed-out request kept busy would block every later request.
async fn one_connection(app: &TestApp, limit: Duration) -> DatabaseConnection {
    let mut cfg = app.config.db.clone();
    cfg.db_max_connections = 1;
    cfg.statement_timeout = limit;
    wekpi_api::db::connect(&cfg).await.unwrap()
}

fn router(db: &DatabaseConnection, request_timeout: Duration) -> Router {
    let limits = Limits {
        request_timeout,
        ..Limits::default()
    };
    wekpi_api::app::router(AppState::new(db.clone(), limits).unwrap())
}

/// Several ordinary requests in a row, each needing the pool's one connection, all answered.
async fn pool_still_answers(app: &TestApp, router: &Router, key: &str) {
    for _ in 0..5 {
        let resp = app
            .post_json(
                router,
                Some(key),
                json!({ "query": "{ accounts { totalCount } }" }),
            )
            .await;
        assert_eq!(resp["data"]["accounts"]["totalCount"], 0, "{resp}");
    }
}

both_backends! {
    async fn slow_report_times_out_and_frees_its_connection(app: TestApp) {
        let (key, report_time) = seed_slow_report(&app).await;
        let limit = report_time / 8;
        let db = one_connection(&app, limit).await;
        if app.backend == Backend::Postgres {
            // The pool's sessions run with the configured statement timeout.
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), "SHOW statement_timeout"))
                .await.unwrap().unwrap();
            let shown: String = row.try_get_by_index(0).unwrap();
            // SHOW prints milliseconds with a unit, or whole seconds as `Ns`.
            let ms = limit.as_millis();
            let expected = if ms % 1000 == 0 { format!("{}s", ms / 1000) } else { format!("{ms}ms") };
            assert_eq!(shown, expected);
        }

        // 1. The statement timeout stops the statement: TIMEOUT, long before the report would
        //    have finished.
        let patient = router(&db, Duration::from_secs(30));
        let started = Instant::now();
        let resp = app.post_json(&patient, Some(&key), ltv_request()).await;
        let stopped_after = started.elapsed();
        assert_eq!(error_code(&resp), "TIMEOUT", "{resp}");
        assert_eq!(resp["errors"][0]["path"][0], "kpiReport", "{resp}");
        assert!(stopped_after < report_time / 2,
            "stopped after {stopped_after:?}, the full report takes {report_time:?}");
        pool_still_answers(&app, &patient, &key).await;

        // 2. The request deadline (a quarter of the statement timeout) answers first, several
        //    times in a row; each time the statement goes on in the database until the
        //    statement timeout stops it, and the connection is back for the next request well
        //    before the report could have finished.
        let hasty = router(&db, limit / 4);
        for _ in 0..3 {
            let started = Instant::now();
            let resp = app.post_json(&hasty, Some(&key), ltv_request()).await;
            assert_eq!(error_code(&resp), "TIMEOUT", "{resp}");
            assert_eq!(resp["errors"][0]["message"], "the request took longer than allowed and was stopped");
            pool_still_answers(&app, &patient, &key).await;
            let free_after = started.elapsed();
            assert!(free_after < report_time / 2,
                "the connection was busy for {free_after:?}, the full report takes {report_time:?}");
        }
    }
}
