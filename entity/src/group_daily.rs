//! `group_daily`: one day of customer-group counts of the groups one staff member owns.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "group_daily")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub account_id: i64,
    /// WeCom userid of the group owner.
    #[sea_orm(unique_key = "natural_key")]
    pub staff: String,
    #[sea_orm(unique_key = "natural_key")]
    pub date: Date,
    pub groups_total: i64,
    /// At most `groups_total`.
    pub active_groups: i64,
    pub members_total: i64,
    /// At most `members_total`.
    pub active_members: i64,
    pub new_members: i64,
    pub messages: i64,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: BelongsTo<super::account::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
