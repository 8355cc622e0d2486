//! Runs evaluations inside `serve`: every interval for every workspace, and soon after
//! ingestion changed a workspace's data. Stops when the shutdown token is cancelled.

use std::sync::Arc;
use std::time::Duration;

use entity::workspace;
use sea_orm::{DatabaseConnection, EntityTrait};
use tokio_util::sync::CancellationToken;

use super::AlertService;
use super::store;
use crate::auth::{Role, Tenant};
use crate::error::ApiResult;

/// Evaluates one workspace as of its today.
async fn evaluate(
    db: &DatabaseConnection,
    service: &AlertService,
    ws: workspace::Model,
) -> ApiResult<()> {
    let tenant = Tenant::system(ws, Role::Admin);
    let summary = store::evaluate_workspace(db, service, &tenant, tenant.today()).await?;
    tracing::debug!(
        workspace = tenant.workspace_id(),
        ?summary,
        "alerts evaluated"
    );
    Ok(())
}

async fn evaluate_all(db: &DatabaseConnection, service: &AlertService, only: Option<Vec<i64>>) {
    let workspaces = match workspace::Entity::find().all(db).await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "listing workspaces for alert evaluation failed");
            return;
        }
    };
    for ws in workspaces {
        if only.as_ref().is_some_and(|ids| !ids.contains(&ws.id)) {
            continue;
        }
        let id = ws.id;
        if let Err(e) = evaluate(db, service, ws).await {
            tracing::error!(workspace = id, error = %e.detail(), "alert evaluation failed");
        }
    }
}

/// Spawns the scheduler: a full evaluation every `interval`, and one of the workspaces whose
/// data changed, a short moment after the change (so a burst of ingestion calls costs one).
pub fn spawn(
    db: DatabaseConnection,
    service: Arc<AlertService>,
    interval: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => evaluate_all(&db, &service, None).await,
                () = service.changed() => {
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                    let dirty = service.take_dirty();
                    if !dirty.is_empty() {
                        evaluate_all(&db, &service, Some(dirty)).await;
                    }
                }
            }
        }
    })
}
