//! `staff_daily`: one day of customer-service counts of one WeCom staff member.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_daily")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub account_id: i64,
    /// WeCom userid of the staff member.
    #[sea_orm(unique_key = "natural_key")]
    pub staff: String,
    #[sea_orm(unique_key = "natural_key")]
    pub date: Date,
    pub chats: i64,
    pub messages: i64,
    /// At most `chats`.
    pub replied_chats: i64,
    /// Sum of first-reply minutes over replied chats (average reply time x `replied_chats`).
    pub reply_minutes_total: f64,
    pub new_applies: i64,
    pub new_contacts: i64,
    pub negative_feedback: i64,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: BelongsTo<super::account::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
