//! Importing a platform payload: map it (pure, `wechat`) and store what it yields in one
//! transaction, so a refused import leaves nothing behind — not even the contents it would have
//! created.

use entity::content;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::store::{IngestReport, finish, ingest_in};
use super::validate::ContentIn;
use super::wechat::{self, WechatError, WechatSource};
use crate::auth::Tenant;
use crate::directory;
use crate::error::{ApiError, ApiResult};

impl From<WechatError> for ApiError {
    fn from(err: WechatError) -> Self {
        match err {
            WechatError::PlatformError { errcode, errmsg } => Self::Platform { errcode, errmsg },
            other => Self::BadUserInput(other.to_string()),
        }
    }
}

/// Imports one WeChat / WeCom statistics response as the platform returned it.
///
/// Article sources create the contents they name when their key (`msgid`) is unknown and never
/// overwrite known ones. Row indexes in the report count within each kind of row the payload
/// yields (contents, then daily facts).
///
/// # Errors
/// `BAD_USER_INPUT` for an error envelope (with the platform's code and message), a payload of
/// the wrong shape or a missing `staff`; `INTERNAL` on database failure.
pub async fn import_wechat(
    db: &DatabaseConnection,
    tenant: &Tenant,
    source: WechatSource,
    account_key: &str,
    staff: Option<&str>,
    payload: &Value,
    atomic: bool,
) -> ApiResult<IngestReport> {
    let mapped = wechat::map(source, account_key, staff, payload)?;
    let txn = crate::db::begin_write(db).await?;
    let mut report = IngestReport::default();
    if !mapped.contents.is_empty() {
        let keys: Vec<String> = mapped
            .contents
            .iter()
            .filter_map(|c| c.key.clone())
            .collect();
        let known = directory::ids_for_keys::<content::Entity, _>(&txn, tenant, &keys).await?;
        let new: Vec<ContentIn> = mapped
            .contents
            .into_iter()
            .filter(|c| c.key.as_ref().is_some_and(|k| !known.contains_key(k)))
            .collect();
        report.merge(ingest_in(&txn, tenant, new, atomic).await?);
    }
    report.merge(ingest_in(&txn, tenant, mapped.content_daily, atomic).await?);
    report.merge(ingest_in(&txn, tenant, mapped.account_daily, atomic).await?);
    report.merge(ingest_in(&txn, tenant, mapped.staff_daily, atomic).await?);
    report.merge(ingest_in(&txn, tenant, mapped.group_daily, atomic).await?);
    finish(txn, report, atomic).await
}
