//! `webhook_delivery`: the durable outbox: one row per webhook and event. A row is pending while
//! `delivered_at` and `failed_at` are both empty.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub attempts: i32,
    /// When the row is next due; a worker that claims the row moves it forward as its lease.
    pub next_attempt_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    /// The last attempt's failure (HTTP status or transport error).
    pub last_error: Option<String>,
    /// Set when the delivery was given up after its last allowed attempt.
    pub failed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "webhook_id", to = "id", on_delete = "Cascade")]
    pub webhook: BelongsTo<super::webhook::Entity>,
    #[sea_orm(belongs_to, from = "event_id", to = "id", on_delete = "Cascade")]
    pub event: BelongsTo<super::alert_event::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
