//! Application state, the HTTP router, and serving with graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::alerts::AlertService;
use crate::config::{Config, Limits};
use crate::graphql::{self, WekpiSchema};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: WekpiSchema,
    pub limits: Arc<Limits>,
    /// The process's alerting coordination (locks, event signals, changed workspaces).
    pub alerts: Arc<AlertService>,
}

impl AppState {
    /// State over an open (and migrated) database.
    pub fn new(db: DatabaseConnection, limits: Limits) -> Self {
        let alerts = Arc::new(AlertService::default());
        let schema = graphql::build_schema(db.clone(), alerts.clone(), &limits);
        Self {
            db,
            schema,
            limits: Arc::new(limits),
            alerts,
        }
    }
}

/// The HTTP router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.body_limit_bytes;
    Router::new()
        .route(
            "/graphql",
            get(graphql::http::get).post(graphql::http::post),
        )
        .route("/graphql/ws", get(graphql::ws::subscribe))
        .route("/schema.graphql", get(graphql::http::schema_sdl))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        // `POST /graphql` reads its body itself, within this limit, so that a body over it is
        // answered in the GraphQL error shape; this caps any other extractor the same way.
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
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

/// Cancels `token` on SIGINT or SIGTERM.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = ctrl_c => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("shutdown signal received: draining");
        token.cancel();
    });
}

/// Opens the database (migrating unless disabled) and builds the state.
///
/// # Errors
/// Connection or migration failures.
pub async fn prepare(config: &Config) -> Result<AppState, sea_orm::DbErr> {
    let db = crate::db::connect(&config.db).await?;
    if !config.db.no_migrate {
        crate::db::migrate(&db).await?;
    }
    Ok(AppState::new(db, config.limits.clone()))
}
