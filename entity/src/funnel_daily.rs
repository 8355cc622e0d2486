//! `funnel_daily`: one day of visit -> checkout -> payment counts of an account, per campaign.

use sea_orm::entity::prelude::*;

/// Unique per (workspace_id, account_id, campaign_id, date), a NULL campaign counting as a
/// value (the `funnel_daily_nk` index uses COALESCE, so it is not declared as a `unique_key`).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "funnel_daily")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workspace_id: i64,
    pub account_id: i64,
    pub campaign_id: Option<i64>,
    pub date: Date,
    pub visits: i64,
    /// At most `visits`.
    pub checkouts: i64,
    /// At most `checkouts`.
    pub payments: i64,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: BelongsTo<super::account::Entity>,
    #[sea_orm(belongs_to, from = "campaign_id", to = "id")]
    pub campaign: BelongsTo<Option<super::campaign::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
