//! `spend`: marketing spend of one day, optionally per channel and/or campaign.

use sea_orm::entity::prelude::*;

use crate::money::Money;

/// Unique per (workspace_id, date, channel_id, campaign_id), a NULL id counting as a value
/// (the `spend_nk` index uses COALESCE, so it is not declared as a `unique_key` here).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "spend")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub date: Date,
    pub amount: Money,
    pub channel_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "channel_id", to = "id")]
    pub channel: BelongsTo<Option<super::channel::Entity>>,
    #[sea_orm(belongs_to, from = "campaign_id", to = "id")]
    pub campaign: BelongsTo<Option<super::campaign::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
