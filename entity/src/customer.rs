//! `customer`: a buyer, with the channel and account that first brought them in.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub key: String,
    pub first_seen_at: Option<DateTimeUtc>,
    pub channel_id: Option<i64>,
    pub account_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "channel_id", to = "id")]
    pub channel: BelongsTo<Option<super::channel::Entity>>,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: BelongsTo<Option<super::account::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
