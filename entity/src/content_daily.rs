//! `content_daily`: one day of engagement counts of one piece of content.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "content_daily")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub content_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub date: Date,
    pub deliveries: i64,
    pub opens: i64,
    pub reads: i64,
    /// Distinct readers; at most `reads`.
    pub readers: i64,
    /// Reads to the end; at most `reads`.
    pub completions: i64,
    pub shares: i64,
    /// Distinct sharers; at most `shares`.
    pub sharers: i64,
    pub favorites: i64,
    pub likes: i64,
    pub comments: i64,
    pub clicks: i64,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
    #[sea_orm(belongs_to, from = "content_id", to = "id")]
    pub content: BelongsTo<super::content::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
