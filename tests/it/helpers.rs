//! `TestApp`: the real router over a fresh database with the real migrations, one per test.
//!
//! SQLite tests get a new database file; PostgreSQL tests get a new schema in the database named
//! by `WEKPI_TEST_DATABASE_URL`, dropped when the test ends. Requests go through the router
//! in-process (`oneshot`), exactly as they would over a socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tower::ServiceExt;
use wekpi_api::app::AppState;
use wekpi_api::config::{Config, Limits};
use wekpi_api::metrics::Metrics;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each test body, one test per backend: `name::sqlite` and `name::postgres`.
/// The PostgreSQL variant is reported as ignored, with the reason, when
/// `WEKPI_TEST_DATABASE_URL` is not set.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::TestApp::new($crate::helpers::Backend::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(wekpi_no_pg, ignore = "PostgreSQL not configured: set WEKPI_TEST_DATABASE_URL to run")]
            async fn postgres() {
                run($crate::helpers::TestApp::new($crate::helpers::Backend::Postgres).await).await
            }
        }
    )*};
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name() -> String {
    format!(
        "t{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    )
}

/// What to remove when the test ends.
enum Cleanup {
    File(std::path::PathBuf),
    Schema { admin_url: String, schema: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Schema { admin_url, schema } => {
                let (url, schema) = (admin_url.clone(), schema.clone());
                // Drop runs inside the test's runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(rt) = rt {
                        rt.block_on(async {
                            if let Ok(db) = Database::connect(url).await {
                                let _ = db
                                    .execute_unprepared(&format!(
                                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                                    ))
                                    .await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// A running application over its own fresh database.
pub struct TestApp {
    pub backend: Backend,
    /// The state behind `router`: serve it on a socket to share its alert service.
    pub state: AppState,
    pub router: Router,
    /// A connection pool of the test itself (the router has its own clone of it).
    pub db: DatabaseConnection,
    /// The configuration the app was opened with; `config.db.database_url` reaches this test's
    /// database (on PostgreSQL, its schema).
    pub config: Config,
    /// SQL statements executed through `db` so far.
    pub statements: Arc<AtomicUsize>,
    /// A URL that reaches this test's database (and schema) from another process, such as the
    /// `wekpi` binary.
    pub database_url: String,
    /// The router's metrics.
    pub metrics: Arc<Metrics>,
    _cleanup: Cleanup,
}

/// The PostgreSQL server tests use, from `WEKPI_TEST_DATABASE_URL`.
pub fn pg_url() -> String {
    std::env::var("WEKPI_TEST_DATABASE_URL")
        .expect("WEKPI_TEST_DATABASE_URL must be set for PostgreSQL tests")
}

impl TestApp {
    /// A fresh, migrated database on `backend` and the router over it.
    pub async fn new(backend: Backend) -> Self {
        Self::with_limits(backend, Limits::default()).await
    }

    /// Like [`TestApp::new`] with custom limits.
    pub async fn with_limits(backend: Backend, limits: Limits) -> Self {
        Self::with_config(backend, |config| config.limits = limits).await
    }

    /// Like [`TestApp::new`] with the test configuration changed by `adjust` (pool size,
    /// timeouts, limits) before the database is opened.
    pub async fn with_config(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let name = unique_name();
        let (url, database_url, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("wekpi-{name}.db"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                (url.clone(), url, Cleanup::File(path))
            }
            Backend::Postgres => {
                let admin_url = pg_url();
                let admin = Database::connect(admin_url.clone())
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {name}"))
                    .await
                    .expect("create test schema");
                admin.close().await.expect("close admin connection");
                // The schema is chosen in the URL, so every pool opened from the configuration
                // (the app's, a second server's, the `wekpi` binary's) works in it, through
                // `db::connect` as in production.
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                let url = format!("{admin_url}{separator}options[search_path]={name}");
                (
                    url.clone(),
                    url,
                    Cleanup::Schema {
                        admin_url,
                        schema: name.clone(),
                    },
                )
            }
        };
        let mut config = Config::for_tests(url);
        adjust(&mut config);
        let mut db = wekpi_api::db::connect(&config.db)
            .await
            .expect("open the test database");
        if !config.db.no_migrate {
            wekpi_api::db::migrate(&db).await.expect("migrate");
        }
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let state = AppState::new(db.clone(), config.limits.clone()).expect("app state");
        let metrics = state.metrics.clone();
        Self {
            backend,
            router: wekpi_api::app::router(state.clone()),
            state,
            db,
            config,
            statements,
            database_url,
            metrics,
            _cleanup: cleanup,
        }
    }

    /// A second server over the same database: its own connection pool, alert service and router,
    /// as another process would have.
    pub async fn second_server(&self) -> Router {
        let db = wekpi_api::db::connect(&self.config.db)
            .await
            .expect("open the test database");
        wekpi_api::app::router(AppState::new(db, self.config.limits.clone()).expect("app state"))
    }

    /// POSTs a GraphQL body (query and variables) to `router`; returns the JSON response.
    pub async fn post_json(&self, router: &Router, key: Option<&str>, body: Value) -> Value {
        let mut builder =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = key {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let response = router
            .clone()
            .oneshot(builder.body(Body::from(body.to_string())).expect("request"))
            .await
            .expect("router answers");
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("JSON response")
    }

    /// Creates a workspace and returns its ADMIN key.
    pub async fn workspace(&self, name: &str) -> String {
        let (_, key) = wekpi_api::workspace::create(&self.db, name)
            .await
            .expect("create workspace");
        key.secret
    }

    /// Creates a key of `role` (READ, WRITE, ADMIN) with an ADMIN key, through the API.
    pub async fn key(&self, admin: &str, role: &str) -> String {
        let resp = self
            .gql(
                Some(admin),
                "mutation($r: Role!) { createApiKey(name: \"k\", role: $r) { secret } }",
                json!({ "r": role }),
            )
            .await;
        resp["data"]["createApiKey"]["secret"]
            .as_str()
            .unwrap_or_else(|| panic!("createApiKey failed: {resp}"))
            .to_string()
    }

    /// Sends any HTTP request to the router; returns status and body bytes.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        send_to(self.router.clone(), request).await
    }

    /// POSTs a GraphQL request and returns the JSON response (any status).
    pub async fn gql(&self, key: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_status(key, query, variables).await.1
    }

    /// POSTs a GraphQL request; returns status and JSON response.
    pub async fn gql_status(
        &self,
        key: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut builder =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = key {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let (status, bytes) = self
            .send(builder.body(Body::from(body)).expect("request"))
            .await;
        let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "non-JSON response {status}: {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, value)
    }

    /// Like [`TestApp::gql`] but fails the test on any GraphQL error; returns `data`.
    pub async fn ok(&self, key: &str, query: &str, variables: Value) -> Value {
        let resp = self.gql(Some(key), query, variables).await;
        assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
        resp["data"].clone()
    }

    /// Executes raw SQL on the test database and returns the single integer it selects.
    pub async fn scalar(&self, sql: &str) -> i64 {
        self.ints(sql, 1).await[0]
    }

    /// Executes raw SQL on the test database and returns the first `n` columns, integers, of
    /// the one row it selects.
    pub async fn ints(&self, sql: &str, n: usize) -> Vec<i64> {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                sql,
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("no row for {sql}"));
        (0..n)
            .map(|i| {
                row.try_get_by_index::<i64>(i)
                    .unwrap_or_else(|e| panic!("column {i} of {sql}: {e}"))
            })
            .collect()
    }

    /// Statements executed so far, through `db` and through the router.
    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::Relaxed) + self.router_statements()
    }

    /// Statements the router executed: the sample counts of its statement histogram.
    fn router_statements(&self) -> usize {
        let text = self.metrics.render().expect("metrics render");
        text.lines()
            .filter(|l| l.starts_with("wekpi_db_statement_duration_seconds_count"))
            .map(|l| {
                l.rsplit(' ')
                    .next()
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or_else(|| panic!("unreadable metrics line {l}"))
            })
            .sum()
    }
}

/// Sends any HTTP request to `router`; returns status and body bytes.
pub async fn send_to(router: Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = router.oneshot(request).await.expect("router answers");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, body.to_vec())
}

/// The `extensions.code` of the first error of a response.
pub fn error_code(resp: &Value) -> &str {
    resp["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {resp}"))
}
