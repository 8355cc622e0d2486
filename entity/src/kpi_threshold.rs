//! `kpi_threshold`: a workspace's override of one KPI's default warning/critical thresholds.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "kpi_threshold")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    /// The KPI key as in the API, e.g. `READ_THROUGH_RATE`.
    #[sea_orm(unique_key = "natural_key")]
    pub kpi: String,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
