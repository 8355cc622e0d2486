//! `alert`: one instance of a rule for one group, with its current state and the state it had
//! before the period it last evaluated (so a re-evaluation of that period starts from there).

use sea_orm::entity::prelude::*;

use crate::enums::{AlertState, Severity};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    pub rule_id: i64,
    /// Hash of the rule and the group keys.
    #[sea_orm(unique_key = "natural_key")]
    pub fingerprint: String,
    /// The group's dimension values, as JSON.
    pub group_keys: String,
    pub state: AlertState,
    pub severity: Option<Severity>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub previous: Option<f64>,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub period_label: Option<String>,
    /// Consecutive breaching periods up to the last evaluated one.
    pub streak: i32,
    /// Whether the last evaluated period had no usable value.
    pub no_data: bool,
    pub before_state: Option<AlertState>,
    pub before_severity: Option<Severity>,
    pub before_streak: i32,
    pub before_no_data: bool,
    pub started_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub ack_note: Option<String>,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "rule_id", to = "id", on_delete = "Cascade")]
    pub rule: BelongsTo<super::alert_rule::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
