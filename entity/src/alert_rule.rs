//! `alert_rule`: a condition on one catalog KPI, evaluated per window and group.

use sea_orm::entity::prelude::*;

use crate::enums::{ChangeMode, ConditionKind, Operator, TimeWindow};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rule")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    /// The KPI key as in the API, e.g. `READ_THROUGH_RATE`.
    pub kpi: String,
    /// The report filter, as JSON.
    pub filter: String,
    /// The grouping dimensions, as a JSON list of API names.
    pub group_by: String,
    pub time_window: TimeWindow,
    pub condition_kind: ConditionKind,
    pub operator: Operator,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub warning_recovery: Option<f64>,
    pub critical_recovery: Option<f64>,
    pub change_mode: Option<ChangeMode>,
    pub pending_periods: i32,
    pub min_denominator: f64,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
