//! The GraphQL adapter: schema assembly, HTTP handlers, object and input types, loaders.
//!
//! Only translation lives here: no SQL and no business rules. Resolvers call `auth`,
//! `directory`, `ingest`, `kpi` and `alerts` and map their results to GraphQL types.

mod alerts;
mod deadline;
mod directory;
mod enums;
mod guard;
pub mod http;
mod ingest;
mod kpi;
mod loaders;
mod scalars;
mod viewer;
mod webhooks;
pub mod ws;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use std::sync::Arc;

use crate::alerts::AlertService;
use crate::config::Limits;
use crate::error::ApiError;
use crate::metrics::Metrics;

pub use deadline::Deadline;
pub use loaders::Loaders;

/// All queries, one object per feature.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    viewer::ViewerQuery,
    directory::DirectoryQuery,
    kpi::KpiQuery,
    alerts::AlertQuery,
    webhooks::WebhookQuery,
);

/// All mutations, one object per feature.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    viewer::KeyMutation,
    ingest::IngestMutation,
    kpi::KpiMutation,
    alerts::AlertMutation,
    webhooks::WebhookMutation,
);

/// All subscriptions (served over WebSocket at `/graphql/ws`).
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(alerts::AlertSubscription);

/// The executable schema.
pub type WekpiSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema with its limits and no data attached: no IO, usable for SDL export.
pub fn schema_builder(limits: &Limits) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(guard::MAX_RECURSION)
    .limit_directives(guard::MAX_DIRECTIVES)
    .extension(guard::Guard {
        max_fields: limits.max_fields,
    })
}

/// The schema bound to a database, the process's alert service and the server's metrics.
pub fn build_schema(
    db: DatabaseConnection,
    alerts: Arc<AlertService>,
    metrics: Arc<Metrics>,
    limits: &Limits,
) -> WekpiSchema {
    schema_builder(limits)
        .extension(deadline::StopAtDeadline)
        .data(db)
        .data(alerts)
        .data(metrics)
        .finish()
}

/// The SDL that the server serves and `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder(&Limits::default()).finish().sdl()
}

/// The alert service of the schema.
fn alert_service<'a>(ctx: &Context<'a>) -> Result<&'a Arc<AlertService>, ApiError> {
    ctx.data::<Arc<AlertService>>()
        .map_err(|_| ApiError::internal("schema built without the alert service"))
}

/// The metrics of the schema.
fn metrics<'a>(ctx: &Context<'a>) -> Result<&'a Arc<Metrics>, ApiError> {
    ctx.data::<Arc<Metrics>>()
        .map_err(|_| ApiError::internal("schema built without metrics"))
}

/// The database of the schema.
fn db<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection, ApiError> {
    ctx.data::<DatabaseConnection>()
        .map_err(|_| ApiError::internal("schema built without a database"))
}

/// The numeric id of an `ID`; anything else is an id that does not exist (of a `noun`, for the
/// message): another workspace's ids and malformed ones answer alike.
fn parse_id(id: &async_graphql::ID, noun: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .map_err(|_| ApiError::NotFound(format!("no {noun} with id {}", id.as_str())))
}
