//! `content`: one published piece (article, video, live, ...) of one account.

use sea_orm::entity::prelude::*;

use crate::enums::ContentKind;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "content")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub key: String,
    pub account_id: i64,
    pub kind: ContentKind,
    pub title: String,
    pub published_at: DateTimeUtc,
    pub campaign_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: BelongsTo<super::account::Entity>,
    #[sea_orm(belongs_to, from = "campaign_id", to = "id")]
    pub campaign: BelongsTo<Option<super::campaign::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
