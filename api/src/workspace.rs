//! Workspaces (tenants): creation with a first ADMIN key and the default alert rules, and
//! settings (name, time zone, currency, gross margin, LTV horizon).

use chrono::Utc;
use entity::workspace;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

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
    let txn = crate::db::begin_write(db).await?;
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
        None => {
            let txn = crate::db::begin_write(db).await?;
            let ws = insert(&txn, name).await?;
            txn.commit().await?;
            Ok((ws, true))
        }
    }
}

/// Inserts a workspace with default settings and the default alert rules: the one place a
/// workspace row is created.
async fn insert<C: ConnectionTrait>(db: &C, name: &str) -> ApiResult<workspace::Model> {
    let name = check_name(name)?;
    let ws = workspace::ActiveModel {
        name: Set(name.to_string()),
        timezone: Set("Asia/Shanghai".into()),
        currency: Set("CNY".into()),
        gross_margin: Set(1.0),
        ltv_horizon_months: Set(12),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    crate::alerts::rules::create_defaults(db, ws.id).await?;
    Ok(ws)
}

/// New values for a workspace's settings; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub currency: Option<String>,
    pub gross_margin: Option<f64>,
    pub ltv_horizon_months: Option<i32>,
}

/// A workspace name, trimmed: 1 to 200 characters.
fn check_name(name: &str) -> ApiResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_input(
            "a workspace name must have 1 to 200 characters",
        ));
    }
    Ok(name)
}

/// Checks every given setting; returns the new time zone, parsed, when one is given.
fn check_settings(s: &Settings) -> ApiResult<Option<chrono_tz::Tz>> {
    if let Some(name) = &s.name {
        check_name(name)?;
    }
    let tz = match &s.timezone {
        Some(tz) => Some(tz.parse::<chrono_tz::Tz>().map_err(|_| {
            ApiError::bad_input(format!(
                "`{tz}` is not an IANA time zone such as Asia/Shanghai"
            ))
        })?),
        None => None,
    };
    if let Some(c) = &s.currency
        && !(c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()))
    {
        return Err(ApiError::bad_input(
            "currency must be an ISO 4217 code such as CNY",
        ));
    }
    if let Some(m) = s.gross_margin
        && !(0.0..=1.0).contains(&m)
    {
        return Err(ApiError::bad_input("grossMargin must be between 0 and 1"));
    }
    if let Some(h) = s.ltv_horizon_months
        && !(1..=120).contains(&h)
    {
        return Err(ApiError::bad_input(
            "ltvHorizonMonths must be between 1 and 120",
        ));
    }
    Ok(tz)
}

/// Updates the caller's workspace settings. A new time zone moves every order to the business
/// date of its `paidAt` in that zone, in the same transaction.
///
/// # Errors
/// `BAD_USER_INPUT` for an invalid value; `INTERNAL` on database failure.
pub async fn update_settings(
    db: &DatabaseConnection,
    tenant: &crate::auth::Tenant,
    settings: &Settings,
) -> ApiResult<workspace::Model> {
    let new_tz = check_settings(settings)?;
    let txn = crate::db::begin_write(db).await?;
    let current = tenant.workspace().clone();
    let mut row: workspace::ActiveModel = current.clone().into();
    if let Some(v) = &settings.name {
        row.name = Set(v.trim().to_string());
    }
    if let Some(v) = &settings.currency {
        row.currency = Set(v.clone());
    }
    if let Some(v) = settings.gross_margin {
        row.gross_margin = Set(v);
    }
    if let Some(v) = settings.ltv_horizon_months {
        row.ltv_horizon_months = Set(v);
    }
    if let (Some(tz_name), Some(tz)) = (&settings.timezone, new_tz)
        && *tz_name != current.timezone
    {
        row.timezone = Set(tz_name.clone());
        crate::ingest::store::redate_orders(&txn, current.id, tz).await?;
    }
    let saved = row.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}
