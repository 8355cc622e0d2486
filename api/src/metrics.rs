//! Prometheus metrics of one server, exported as text by `GET /metrics`.
//!
//! The registry lives in the application state, not in a process-global, so two servers in one
//! process (as in the tests) keep separate counts. Label values come from small fixed sets
//! (routes, error codes, outcomes), except GraphQL operation names, which clients choose: those
//! are capped (see [`Metrics::operation_label`]) so that no client can grow the registry without
//! bound.
//!
//! Series:
//! - `wekpi_http_requests_total{route, method, status}`
//! - `wekpi_graphql_request_duration_seconds{operation}` (histogram; `_count` is the number of
//!   GraphQL requests)
//! - `wekpi_errors_total{code}`: errors returned to clients, by `extensions.code`
//! - `wekpi_ingested_rows_total{outcome}`: `inserted`, `updated`, `unchanged`, `rejected`
//! - `wekpi_alert_evaluations_total{result}`: workspace evaluations, `ok` or `error`
//! - `wekpi_alert_events_created_total`
//! - `wekpi_db_statement_duration_seconds{result}` (histogram; `ok` or `error`)

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prometheus::core::Collector;
use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::error::ApiError;

/// Distinct GraphQL operation names kept as labels; names first seen after that count as
/// `other`.
pub const MAX_OPERATIONS: usize = 200;

/// Longest operation name kept as a label; longer ones count as `other`.
const MAX_OPERATION_LEN: usize = 64;

/// Request latency buckets in seconds: 1 ms up to the default request deadline of 30 s.
const REQUEST_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Statement latency buckets in seconds: 0.1 ms up to the default statement timeout of 20 s.
const STATEMENT_BUCKETS: [f64; 13] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5, 20.0,
];

/// The ingestion outcomes counted by `wekpi_ingested_rows_total`.
const OUTCOMES: [&str; 4] = ["inserted", "updated", "unchanged", "rejected"];

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    graphql_requests: HistogramVec,
    errors: IntCounterVec,
    ingested_rows: IntCounterVec,
    alert_evaluations: IntCounterVec,
    alert_events: IntCounter,
    db_statements: HistogramVec,
    operations: Mutex<HashSet<String>>,
}

/// Registers `collector` in `registry` and hands it back.
fn register<C: Collector + Clone + 'static>(
    registry: &Registry,
    collector: C,
) -> prometheus::Result<C> {
    registry.register(Box::new(collector.clone()))?;
    Ok(collector)
}

fn counter_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    register(registry, IntCounterVec::new(Opts::new(name, help), labels)?)
}

fn histogram_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    buckets: &[f64],
    label: &str,
) -> prometheus::Result<HistogramVec> {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    register(registry, HistogramVec::new(opts, &[label])?)
}

impl Metrics {
    /// A fresh registry with every series of the service.
    ///
    /// # Errors
    /// Only on an invalid or duplicate metric definition, a programming error.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let metrics = Self {
            http_requests: counter_vec(
                &registry,
                "wekpi_http_requests_total",
                "HTTP requests by matched route, method and response status.",
                &["route", "method", "status"],
            )?,
            graphql_requests: histogram_vec(
                &registry,
                "wekpi_graphql_request_duration_seconds",
                "GraphQL request latency by operation name (`anonymous` without one).",
                &REQUEST_BUCKETS,
                "operation",
            )?,
            errors: counter_vec(
                &registry,
                "wekpi_errors_total",
                "Errors returned to clients, by extensions.code.",
                &["code"],
            )?,
            ingested_rows: counter_vec(
                &registry,
                "wekpi_ingested_rows_total",
                "Rows of ingestion calls by outcome.",
                &["outcome"],
            )?,
            alert_evaluations: counter_vec(
                &registry,
                "wekpi_alert_evaluations_total",
                "Alert evaluations of a workspace, by result.",
                &["result"],
            )?,
            alert_events: register(
                &registry,
                IntCounter::new(
                    "wekpi_alert_events_created_total",
                    "Alert events created by evaluations.",
                )?,
            )?,
            db_statements: histogram_vec(
                &registry,
                "wekpi_db_statement_duration_seconds",
                "SQL statement latency by result (ok or error).",
                &STATEMENT_BUCKETS,
                "result",
            )?,
            registry,
            operations: Mutex::new(HashSet::new()),
        };
        // Fixed label sets start at zero, so that rates exist before the first occurrence.
        for code in ApiError::CODES {
            metrics.errors.with_label_values(&[code]);
        }
        for outcome in OUTCOMES {
            metrics.ingested_rows.with_label_values(&[outcome]);
        }
        for result in ["ok", "error"] {
            metrics.alert_evaluations.with_label_values(&[result]);
        }
        Ok(metrics)
    }

    /// Every series in the Prometheus text format.
    ///
    /// # Errors
    /// Only when the encoder fails, a programming error.
    pub fn render(&self) -> prometheus::Result<String> {
        TextEncoder::new().encode_to_string(&self.registry.gather())
    }

    /// Counts one HTTP request.
    pub fn http_request(&self, route: &str, method: &str, status: u16) {
        self.http_requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
    }

    /// The label of a GraphQL operation name: `anonymous` without one; the name itself when it
    /// is a valid GraphQL name of at most 64 characters and one of the first
    /// [`MAX_OPERATIONS`] names seen; `other` otherwise.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".into();
        };
        if !is_graphql_name(name) || name.len() > MAX_OPERATION_LEN {
            return "other".into();
        }
        let mut seen = self
            .operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if seen.contains(name) || seen.len() < MAX_OPERATIONS {
            seen.insert(name.to_string());
            name.to_string()
        } else {
            "other".into()
        }
    }

    /// Records one GraphQL request: its latency and the codes of the errors it returned.
    pub fn graphql_request<'a>(
        &self,
        operation: &str,
        elapsed: Duration,
        codes: impl IntoIterator<Item = &'a str>,
    ) {
        self.graphql_requests
            .with_label_values(&[operation])
            .observe(elapsed.as_secs_f64());
        for code in codes {
            self.error(code);
        }
    }

    /// Counts one error returned to a client.
    pub fn error(&self, code: &str) {
        self.errors.with_label_values(&[code]).inc();
    }

    /// Records the rows of one ingestion call.
    pub fn ingested(&self, inserted: u64, updated: u64, unchanged: u64, rejected: u64) {
        for (outcome, rows) in OUTCOMES
            .into_iter()
            .zip([inserted, updated, unchanged, rejected])
        {
            self.ingested_rows
                .with_label_values(&[outcome])
                .inc_by(rows);
        }
    }

    /// Records one workspace evaluation that committed and created `events` events.
    pub fn alert_evaluated(&self, events: u32) {
        self.alert_evaluations.with_label_values(&["ok"]).inc();
        self.alert_events.inc_by(u64::from(events));
    }

    /// Records one workspace evaluation that failed (and kept nothing).
    pub fn alert_evaluation_failed(&self) {
        self.alert_evaluations.with_label_values(&["error"]).inc();
    }

    /// Records one SQL statement.
    pub fn statement(&self, elapsed: Duration, failed: bool) {
        let result = if failed { "error" } else { "ok" };
        self.db_statements
            .with_label_values(&[result])
            .observe(elapsed.as_secs_f64());
    }

    /// A callback for `DatabaseConnection::set_metric_callback` that records every statement.
    pub fn statement_observer(
        self: &Arc<Self>,
    ) -> impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static {
        let metrics = Arc::clone(self);
        move |info| metrics.statement(info.elapsed, info.failed)
    }
}

/// Whether `s` is a GraphQL name: `[_A-Za-z][_0-9A-Za-z]*`.
fn is_graphql_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_capped() {
        let m = Metrics::new().unwrap();
        assert_eq!(m.operation_label(None), "anonymous");
        assert_eq!(m.operation_label(Some("Dashboard")), "Dashboard");
        assert_eq!(m.operation_label(Some("not a name")), "other");
        assert_eq!(m.operation_label(Some(&"a".repeat(65))), "other");
        // "Dashboard" is one of the names seen; 199 more fill the set.
        for i in 1..MAX_OPERATIONS {
            assert_eq!(m.operation_label(Some(&format!("Op{i}"))), format!("Op{i}"));
        }
        assert_eq!(m.operation_label(Some("OneTooMany")), "other");
        assert_eq!(m.operation_label(Some("Dashboard")), "Dashboard");
    }

    #[test]
    fn fixed_series_exist_from_the_start() {
        let text = Metrics::new().unwrap().render().unwrap();
        assert!(
            text.contains("wekpi_errors_total{code=\"RATE_LIMITED\"} 0"),
            "{text}"
        );
        assert!(text.contains("wekpi_ingested_rows_total{outcome=\"rejected\"} 0"));
        assert!(text.contains("wekpi_alert_evaluations_total{result=\"error\"} 0"));
        assert!(text.contains("wekpi_alert_events_created_total 0"));
    }

    #[test]
    fn recordings_show_in_the_text() {
        let m = Metrics::new().unwrap();
        m.ingested(3, 1, 2, 4);
        m.ingested(1, 0, 0, 0);
        m.graphql_request("Q", Duration::from_millis(3), ["NOT_FOUND", "NOT_FOUND"]);
        m.statement(Duration::from_micros(50), false);
        let text = m.render().unwrap();
        // inserted 3 + 1 = 4.
        assert!(text.contains("wekpi_ingested_rows_total{outcome=\"inserted\"} 4"));
        assert!(text.contains("wekpi_ingested_rows_total{outcome=\"rejected\"} 4"));
        assert!(text.contains("wekpi_errors_total{code=\"NOT_FOUND\"} 2"));
        assert!(text.contains("wekpi_graphql_request_duration_seconds_count{operation=\"Q\"} 1"));
        // 3 ms falls in the 5 ms bucket, not the 2.5 ms one.
        assert!(text.contains(
            "wekpi_graphql_request_duration_seconds_bucket{operation=\"Q\",le=\"0.0025\"} 0"
        ));
        assert!(text.contains(
            "wekpi_graphql_request_duration_seconds_bucket{operation=\"Q\",le=\"0.005\"} 1"
        ));
        assert!(text.contains("wekpi_db_statement_duration_seconds_count{result=\"ok\"} 1"));
    }
}
