//! `campaign_daily`: one day of reach and participation counts of one campaign.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_daily")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub campaign_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub date: Date,
    pub reached: i64,
    /// At most `reached`.
    pub participants: i64,
    /// User-generated posts.
    pub ugc_posts: i64,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "campaign_id", to = "id")]
    pub campaign: BelongsTo<super::campaign::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
