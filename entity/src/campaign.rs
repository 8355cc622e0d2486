//! `campaign`: a marketing campaign with a date range and an optional budget.

use sea_orm::entity::prelude::*;

use crate::enums::CampaignKind;
use crate::money::Money;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub key: String,
    pub kind: CampaignKind,
    pub name: String,
    /// First day, inclusive.
    pub starts_on: Date,
    /// Last day, inclusive; never before `starts_on`.
    pub ends_on: Date,
    pub budget: Option<Money>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
