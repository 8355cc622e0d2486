//! `alert_event`: the append-only feed of alert transitions; `id` is the pollers' cursor.

use sea_orm::entity::prelude::*;

use crate::enums::{AlertEventKind, AlertState, Severity};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub alert_id: i64,
    pub rule_id: i64,
    pub kind: AlertEventKind,
    /// The instance's state after the event.
    pub state: AlertState,
    pub severity: Option<Severity>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub previous: Option<f64>,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "alert_id", to = "id", on_delete = "Cascade")]
    pub alert: BelongsTo<super::alert::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
