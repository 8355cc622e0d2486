//! `orders`: a paid order of one customer, with its refunds and attribution.

use sea_orm::entity::prelude::*;

use crate::money::Money;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub key: String,
    pub customer_id: i64,
    pub paid_at: DateTimeUtc,
    /// The business date of `paid_at` in the workspace time zone; set by the application.
    pub paid_date: Date,
    pub amount: Money,
    /// Refunded so far; between zero and `amount`.
    pub refunded_amount: Money,
    pub channel_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub account_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "customer_id", to = "id")]
    pub customer: BelongsTo<super::customer::Entity>,
    #[sea_orm(belongs_to, from = "channel_id", to = "id")]
    pub channel: BelongsTo<Option<super::channel::Entity>>,
    #[sea_orm(belongs_to, from = "campaign_id", to = "id")]
    pub campaign: BelongsTo<Option<super::campaign::Entity>>,
    #[sea_orm(belongs_to, from = "account_id", to = "id")]
    pub account: BelongsTo<Option<super::account::Entity>>,
}

impl ActiveModelBehavior for ActiveModel {}
