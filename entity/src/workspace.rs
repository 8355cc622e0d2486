//! `workspace`: the tenant; every other row belongs to exactly one workspace.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workspace")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// IANA time zone name that defines the workspace's business day, e.g. `Asia/Shanghai`.
    pub timezone: String,
    /// ISO 4217 code of the currency every `Money` in the workspace is in.
    pub currency: String,
    /// Share of revenue kept as gross profit, in `[0, 1]`.
    pub gross_margin: f64,
    /// Months of revenue counted in customer lifetime value, at least 1.
    pub ltv_horizon_months: i32,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
