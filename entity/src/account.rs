//! `account`: an owned WeChat-ecosystem account (official account, WeCom, mini program, ...).

use sea_orm::entity::prelude::*;

use crate::enums::AccountKind;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub workspace_id: i64,
    #[sea_orm(unique_key = "natural_key")]
    pub key: String,
    pub kind: AccountKind,
    pub name: String,
    /// The platform's own id (app id, corp id, ...), when known.
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "workspace_id", to = "id", on_delete = "Cascade")]
    pub workspace: BelongsTo<super::workspace::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
