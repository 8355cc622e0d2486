//! Workspaces (tenants): creation with a first ADMIN key and the default alert rules.

use chrono::Utc;
use entity::workspace;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use crate::auth::{self, IssuedKey, Role};
use crate::error::{ApiError, ApiResult};

/// Creates a workspace with default settings, its first ADMIN key and the default alert rules,
/// in one transaction.
///
/// # Errors
/// `BAD_USER_INPUT` for an empty name, `INTERNAL` on database failure.
pub async fn create(
    db: &DatabaseConnection,
    name: &str,
) -> ApiResult<(workspace::Model, IssuedKey)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_input(
            "a workspace name must have 1 to 200 characters",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let ws = workspace::ActiveModel {
        name: Set(name.to_string()),
        timezone: Set("Asia/Shanghai".into()),
        currency: Set("CNY".into()),
        gross_margin: Set(1.0),
        ltv_horizon_months: Set(12),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let key = auth::issue_key(&txn, ws.id, "admin", Role::Admin).await?;
    crate::alerts::rules::create_defaults(&txn, ws.id).await?;
    txn.commit().await?;
    Ok((ws, key))
}
