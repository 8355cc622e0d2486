//! Workspaces (tenants): creation with a first ADMIN key, and settings.

use chrono::Utc;
use entity::workspace;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use crate::auth::{self, IssuedKey, Role};
use crate::error::{ApiError, ApiResult};

/// Creates a workspace with default settings and its first ADMIN key, in one transaction.
///
/// # Errors
/// `BAD_USER_INPUT` for an empty name, `INTERNAL` on database failure.
pub async fn create(
    db: &DatabaseConnection,
    name: &str,
) -> ApiResult<(workspace::Model, IssuedKey)> {
    let txn = db.begin().await?;
    let ws = insert(&txn, name).await?;
    let key = auth::issue_key(&txn, ws.id, "admin", Role::Admin).await?;
    txn.commit().await?;
    Ok((ws, key))
}

/// The oldest workspace named `name`, or a new one with default settings and no key (the
/// caller issues the keys it needs). `true` when it was created.
///
/// # Errors
/// `BAD_USER_INPUT` for an empty name, `INTERNAL` on database failure.
pub async fn find_or_create(
    db: &DatabaseConnection,
    name: &str,
) -> ApiResult<(workspace::Model, bool)> {
    let existing = workspace::Entity::find()
        .filter(workspace::Column::Name.eq(name.trim()))
        .order_by_asc(workspace::Column::Id)
        .one(db)
        .await?;
    match existing {
        Some(ws) => Ok((ws, false)),
        None => Ok((insert(db, name).await?, true)),
    }
}

/// Inserts a workspace with default settings: the one place a workspace row is created.
async fn insert<C: ConnectionTrait>(db: &C, name: &str) -> ApiResult<workspace::Model> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_input(
            "a workspace name must have 1 to 200 characters",
        ));
    }
    Ok(workspace::ActiveModel {
        name: Set(name.to_string()),
        timezone: Set("Asia/Shanghai".into()),
        currency: Set("CNY".into()),
        gross_margin: Set(1.0),
        ltv_horizon_months: Set(12),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}
