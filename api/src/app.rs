//! Application state, the HTTP router, and serving with graceful shutdown.
//!
//! Every response carries an `x-request-id` (the client's, or a new UUID), and every log line
//! of a request is inside a span that names it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::alerts::AlertService;
use crate::config::{Config, Limits};
use crate::graphql::{self, WekpiSchema};
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: WekpiSchema,
    pub limits: Arc<Limits>,
    /// The process's alerting coordination (locks, event signals, changed workspaces).
    pub alerts: Arc<AlertService>,
    /// This server's metrics, served by `GET /metrics`.
    pub metrics: Arc<Metrics>,
    /// Per-API-key request buckets; `None` when rate limiting is off.
    pub rate_limiter: Option<Arc<RateLimiter>>,
}

impl AppState {
    /// State over an open (and migrated) database. Every SQL statement of `db` is timed into
    /// the metrics (this replaces a metric callback set on `db` before; clones of `db` made
    /// before keep theirs).
    ///
    /// # Errors
    /// Only when the metrics registry cannot be built, a programming error.
    pub fn new(mut db: DatabaseConnection, limits: Limits) -> prometheus::Result<Self> {
        let metrics = Arc::new(Metrics::new()?);
        db.set_metric_callback(metrics.statement_observer());
        let alerts = Arc::new(AlertService::new(metrics.clone()));
        let schema = graphql::build_schema(db.clone(), alerts.clone(), metrics.clone(), &limits);
        let rate_limiter =
            RateLimiter::new(limits.rate_limit_per_sec, limits.rate_limit_burst).map(Arc::new);
        Ok(Self {
            db,
            schema,
            limits: Arc::new(limits),
            alerts,
            metrics,
            rate_limiter,
        })
    }
}

/// The HTTP router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.body_limit_bytes;
    let metrics = state.metrics.clone();
    // The last layer added is the outermost: the request id is set first, so that the trace
    // span, the handlers and the response all see it.
    Router::new()
        .route(
            "/graphql",
            get(graphql::http::get).post(graphql::http::post),
        )
        .route("/graphql/ws", get(graphql::ws::subscribe))
        .route("/schema.graphql", get(graphql::http::schema_sdl))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(state)
        // `POST /graphql` reads its body itself, within this limit, so that a body over it is
        // answered in the GraphQL error shape; this caps any other extractor the same way.
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(metrics, count_http))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The span of one request: every log line written while serving it carries its id.
fn request_span(request: &Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The path only: a GraphQL query in the URL stays out of the logs.
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// Counts every request by route (the pattern, so ids in paths do not multiply series), method
/// and status.
async fn count_http(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.http_request(&route, method.as_str(), response.status().as_u16());
    response
}

/// `GET /healthz`: the process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers and migrations are applied.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match crate::db::check_ready(&state.db).await {
        Ok(()) => (StatusCode::OK, "ready".to_string()),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason),
    }
}

/// `GET /metrics`: every series in the Prometheus text format.
async fn metrics_text(State(state): State<AppState>) -> Response {
    match state.metrics.render() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Longest time in-flight requests get to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `state` on `listener` until `shutdown` is cancelled, then drains in-flight requests.
///
/// # Errors
/// IO errors of the listener.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router(state);
    let drained = shutdown.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        drained.cancelled().await;
    });
    let server = tokio::spawn(async move { server.await });
    shutdown.cancelled().await;
    match tokio::time::timeout(DRAIN_TIMEOUT, server).await {
        Ok(joined) => joined.map_err(std::io::Error::other)?,
        Err(_) => {
            tracing::warn!("in-flight requests did not finish in time; exiting anyway");
            Ok(())
        }
    }
}

/// Cancels `token` on SIGINT or SIGTERM. The handlers are installed before this returns, so a
/// signal that arrives right after is not lost (nor handled by the default action, which would
/// kill the process).
///
/// # Errors
/// When the signal handlers cannot be installed.
pub fn cancel_on_signal(token: CancellationToken) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!("shutdown signal received: draining");
            token.cancel();
        });
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutdown signal received: draining");
            token.cancel();
        });
    }
    Ok(())
}

/// Opens the database (migrating unless disabled) and builds the state.
///
/// # Errors
/// Connection or migration failures.
pub async fn prepare(
    config: &Config,
) -> Result<AppState, Box<dyn std::error::Error + Send + Sync>> {
    let db = crate::db::open(&config.db).await?;
    Ok(AppState::new(db, config.limits.clone())?)
}
