//! Operations: per-key rate limiting, `GET /metrics`, request ids, readiness.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use serde_json::{Value, json};
use tower::ServiceExt;
use wekpi_api::app::AppState;
use wekpi_api::config::Limits;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, error_code, pg_url};

/// A response's status, headers and body.
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn answer(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes().to_vec(),
    }
}

fn graphql(key: Option<&str>) -> axum::http::request::Builder {
    let mut builder = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    builder
}

async fn post(router: &Router, key: Option<&str>, body: Value) -> Answer {
    let request = graphql(key).body(Body::from(body.to_string())).unwrap();
    answer(router, request).await
}

async fn get(router: &Router, path: &str) -> Answer {
    answer(router, Request::get(path).body(Body::empty()).unwrap()).await
}

/// One sample of the Prometheus text: series name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// The samples of the Prometheus text.
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = value.parse().unwrap();
            match series.split_once('{') {
                Some((name, rest)) => {
                    let labels = rest
                        .trim_end_matches('}')
                        .split("\",")
                        .filter(|p| !p.is_empty())
                        .map(|pair| {
                            let (k, v) = pair.split_once("=\"").unwrap();
                            (k.to_string(), v.trim_end_matches('"').to_string())
                        })
                        .collect();
                    (name.to_string(), labels, value)
                }
                None => (series.to_string(), BTreeMap::new(), value),
            }
        })
        .collect()
}

/// The sum of the series `name` whose labels include `labels` (0 when there is none).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(text)
        .into_iter()
        .filter(|(n, have, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| have.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| v)
        .sum()
}

both_backends! {
    async fn rate_limit_is_per_key_with_retry_after(app: TestApp) {
        let limits = Limits { rate_limit_per_sec: 1, rate_limit_burst: 2, ..Limits::default() };
        let router = &wekpi_api::app::router(AppState::new(app.db.clone(), limits).unwrap());
        // Two workspaces, so two keys, made without requests (requests would spend tokens).
        let a = app.workspace("a").await;
        let b = app.workspace("b").await;
        let viewer = json!({ "query": "{ viewer { role } }" });

        // Burst 2: two requests pass at once, the third is refused.
        for _ in 0..2 {
            let ok = post(router, Some(&a), viewer.clone()).await;
            assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        }
        let refused = post(router, Some(&a), viewer.clone()).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        // One token a second: the next one is at most a second away, rounded up to 1.
        assert_eq!(refused.header("retry-after"), Some("1"));
        let body = refused.json();
        assert_eq!(error_code(&body), "RATE_LIMITED");
        assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], 1);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("retry after 1 s"), "{body}");

        // Another key has its own bucket.
        let other = post(router, Some(&b), viewer.clone()).await;
        assert_eq!(other.status, StatusCode::OK, "{}", other.text());

        // After the advertised wait, the first key passes again.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let again = post(router, Some(&a), viewer.clone()).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text());
        assert_eq!(again.json()["data"]["viewer"]["role"], "ADMIN");

        let text = get(router, "/metrics").await.text();
        assert_eq!(sample(&text, "wekpi_errors_total", &[("code", "RATE_LIMITED")]), 1.0);
    }

    async fn metrics_count_requests_errors_rows_and_evaluations(app: TestApp) {
        let key = app.workspace("acme").await;
        let before = get(&app.router, "/metrics").await;
        assert_eq!(before.status, StatusCode::OK);
        assert!(before.header("content-type").unwrap().starts_with("text/plain"));

        // Two named operations, one anonymous query, one request without a key.
        let named = json!({ "query": "query Probe { viewer { role } }", "operationName": "Probe" });
        post(&app.router, Some(&key), named.clone()).await;
        post(&app.router, Some(&key), named).await;
        post(&app.router, Some(&key), json!({ "query": "{ accounts { totalCount } }" })).await;
        let anonymous_denied = post(&app.router, None, json!({ "query": "{ viewer { role } }" })).await;
        assert_eq!(anonymous_denied.status, StatusCode::UNAUTHORIZED);
        // A NOT_FOUND from a resolver: no such alert rule.
        let missing = post(&app.router, Some(&key), json!({ "query": "mutation { deleteAlertRule(id: \"999999\") { id } }" })).await;
        let missing_code = missing.json()["errors"][0]["extensions"]["code"].clone();

        // Ingestion: 2 inserted; then 1 unchanged + 1 updated; then (not atomic) 1 inserted and
        // 1 rejected row (two errors of the same row count once).
        let upsert = "mutation($r: [AccountInput!]!, $a: Boolean) { upsertAccounts(rows: $r, atomic: $a) { inserted updated unchanged rejected { index } } }";
        let ok = |resp: Answer| {
            let v = resp.json();
            assert!(v.get("errors").is_none(), "{v}");
            v
        };
        ok(post(&app.router, Some(&key), json!({ "query": upsert, "variables": { "r": [
            { "key": "oa", "kind": "SERVICE_ACCOUNT", "name": "OA" },
            { "key": "wc", "kind": "WECOM", "name": "WeCom" },
        ] } })).await);
        ok(post(&app.router, Some(&key), json!({ "query": upsert, "variables": { "r": [
            { "key": "oa", "kind": "SERVICE_ACCOUNT", "name": "OA" },
            { "key": "wc", "kind": "WECOM", "name": "WeCom renamed" },
        ] } })).await);
        let partial = ok(post(&app.router, Some(&key), json!({ "query": upsert, "variables": { "a": false, "r": [
            { "key": "mp", "kind": "MINI_PROGRAM", "name": "Mini" },
            { "key": "", "kind": "SERVICE_ACCOUNT", "name": "" },
        ] } })).await);
        let rejected = partial["data"]["upsertAccounts"]["rejected"].as_array().unwrap();
        assert!(rejected.iter().all(|e| e["index"] == 1), "{partial}");

        // One alert evaluation through the API (the workspace's default rules).
        let evaluation = ok(post(&app.router, Some(&key), json!({ "query": "mutation { evaluateAlerts { eventsCreated } }" })).await);
        let events = app.scalar("SELECT COUNT(*) FROM alert_event").await;
        assert_eq!(evaluation["data"]["evaluateAlerts"]["eventsCreated"], json!(events), "{evaluation}");
        assert_eq!(get(&app.router, "/healthz").await.status, StatusCode::OK);
        assert_eq!(get(&app.router, "/no/such/page").await.status, StatusCode::NOT_FOUND);

        let text = get(&app.router, "/metrics").await.text();
        let count = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels);
        let latency = "wekpi_graphql_request_duration_seconds_count";
        assert_eq!(count(latency, &[("operation", "Probe")]), 2.0);
        // Anonymous: accounts, deleteAlertRule, 3 upserts, evaluateAlerts. The request without a
        // key is refused before it is read as GraphQL: it counts under errors and HTTP requests.
        assert_eq!(count(latency, &[("operation", "anonymous")]), 6.0);
        assert_eq!(count("wekpi_errors_total", &[("code", "UNAUTHENTICATED")]), 1.0);
        assert_eq!(missing_code, "NOT_FOUND");
        assert_eq!(count("wekpi_errors_total", &[("code", "NOT_FOUND")]), 1.0);
        assert_eq!(count("wekpi_errors_total", &[("code", "INTERNAL")]), 0.0);
        // Rows: inserted 2 + 1, updated 1 (the renamed one), unchanged 1, rejected 1.
        assert_eq!(count("wekpi_ingested_rows_total", &[("outcome", "inserted")]), 3.0);
        assert_eq!(count("wekpi_ingested_rows_total", &[("outcome", "updated")]), 1.0);
        assert_eq!(count("wekpi_ingested_rows_total", &[("outcome", "unchanged")]), 1.0);
        assert_eq!(count("wekpi_ingested_rows_total", &[("outcome", "rejected")]), 1.0);
        assert_eq!(count("wekpi_alert_evaluations_total", &[("result", "ok")]), 1.0);
        assert_eq!(count("wekpi_alert_events_created_total", &[]), events as f64);
        // HTTP: 9 GraphQL POSTs (8 answered 200, 1 refused 401), /metrics before, /healthz, a 404.
        let http = "wekpi_http_requests_total";
        assert_eq!(count(http, &[("route", "/graphql"), ("method", "POST"), ("status", "200")]), 8.0);
        assert_eq!(count(http, &[("route", "/graphql"), ("status", "401")]), 1.0);
        assert_eq!(count(http, &[("route", "/metrics"), ("status", "200")]), 1.0);
        assert_eq!(count(http, &[("route", "/healthz")]), 1.0);
        assert_eq!(count(http, &[("route", "unmatched"), ("status", "404")]), 1.0);
        // Every authenticated request ran at least its key lookup: at least 8 statements.
        let statements = count("wekpi_db_statement_duration_seconds_count", &[("result", "ok")]);
        assert!(statements >= 8.0, "{statements} statements");
    }

    async fn responses_carry_a_request_id(app: TestApp) {
        let first = get(&app.router, "/healthz").await;
        let second = get(&app.router, "/healthz").await;
        let (a, b) = (first.header("x-request-id").unwrap(), second.header("x-request-id").unwrap());
        // A fresh UUID each: 8-4-4-4-12 hex digits.
        for id in [a, b] {
            let groups: Vec<usize> = id.split('-').map(str::len).collect();
            assert_eq!(groups, vec![8, 4, 4, 4, 12], "{id}");
        }
        assert_ne!(a, b);

        // A client's id is kept and echoed, on GraphQL answers and refusals alike.
        let key = app.workspace("acme").await;
        let body = json!({ "query": "{ viewer { role } }" });
        for (who, status) in [(Some(key.as_str()), StatusCode::OK), (None, StatusCode::UNAUTHORIZED)] {
            let request = graphql(who)
                .header("x-request-id", "client-trace-42")
                .body(Body::from(body.to_string()))
                .unwrap();
            let answered = answer(&app.router, request).await;
            assert_eq!(answered.status, status);
            assert_eq!(answered.header("x-request-id"), Some("client-trace-42"));
        }
    }

}

/// A fresh database opened without migrating (`WEKPI_NO_MIGRATE`): not ready until migrated.
async fn readyz_fails_while_migrations_are_pending(backend: Backend) {
    let app = TestApp::with_config(backend, |c| c.db.no_migrate = true).await;
    let pending = get(&app.router, "/readyz").await;
    assert_eq!(pending.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        pending.text(),
        format!("{} migration(s) pending", Migrator::migrations().len())
    );
    wekpi_api::db::migrate(&app.db).await.unwrap();
    let ready = get(&app.router, "/readyz").await;
    assert_eq!(
        (ready.status, ready.text().as_str()),
        (StatusCode::OK, "ready")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_while_migrations_are_pending_sqlite() {
    readyz_fails_while_migrations_are_pending(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    wekpi_no_pg,
    ignore = "PostgreSQL not configured: set WEKPI_TEST_DATABASE_URL to run"
)]
async fn readyz_fails_while_migrations_are_pending_postgres() {
    readyz_fails_while_migrations_are_pending(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_when_the_sqlite_file_is_removed() {
    let app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(get(&app.router, "/readyz").await.status, StatusCode::OK);
    let url = &app.config.db.database_url;
    let path = url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
        .unwrap();
    std::fs::remove_file(path).unwrap();
    // The pool's open connections still read the unlinked file: SELECT 1 alone would pass.
    let gone = get(&app.router, "/readyz").await;
    assert_eq!(gone.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(gone.text(), "the database file is gone");
}

/// `postgres://…/wekpi_test?x` with another database name.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{database}{query}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    wekpi_no_pg,
    ignore = "PostgreSQL not configured: set WEKPI_TEST_DATABASE_URL to run"
)]
async fn readyz_fails_when_the_postgres_database_is_dropped() {
    let admin = Database::connect(pg_url()).await.unwrap();
    let name = format!("wekpi_ready_{}", std::process::id());
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut config = wekpi_api::config::Config::for_tests(with_database(&pg_url(), &name));
    config.db.db_max_connections = 2;
    let state = wekpi_api::app::prepare(&config).await.unwrap();
    let router = wekpi_api::app::router(state);
    let readyz = || async {
        let response = router
            .clone()
            .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    assert_eq!(readyz().await, (StatusCode::OK, "ready".to_string()));
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    let (status, reason) = readyz().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reason.starts_with("database unreachable"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_when_postgres_cannot_be_reached() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut opts = ConnectOptions::new(format!("postgres://postgres@127.0.0.1:{port}/wekpi"));
    // Lazy: the pool is built without a connection, as when the server goes away after start.
    opts.connect_lazy(true).sqlx_logging(false);
    let db = Database::connect(opts).await.unwrap();
    let router = wekpi_api::app::router(AppState::new(db, Limits::default()).unwrap());
    let started = std::time::Instant::now();
    let response = router
        .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The probe answers within its own bound (3 s), not after the pool's 10 s acquire timeout.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).starts_with("database unreachable"));
}
