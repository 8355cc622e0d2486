//! Importing a platform payload or a backfill file through the store.
//!
//! A platform payload is mapped (pure, `wechat`) and what it yields is stored in one
//! transaction, so a refused import leaves nothing behind — not even the contents it would have
//! created. A file (read by `file`) is stored chunk by chunk through the same validation and
//! upsert as the API; by default all its chunks share one transaction, so a file with any bad
//! line writes nothing.

use std::io::Read;

use entity::content;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::file::{Chunk, FileError, FileKeys, Format, Kind, LineError, RowReader};
use super::store::{self, IngestReport, Storable, finish, ingest_in};
use super::upsert::Counts;
use super::validate::{self, ContentIn, Validate};
use super::wechat::{self, WechatError, WechatSource};
use crate::auth::{Role, Tenant};
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
/// `FORBIDDEN` for a key below WRITE; `BAD_USER_INPUT` for an error envelope (with the
/// platform's code and message), a payload of the wrong shape or a missing `staff`; `INTERNAL`
/// on database failure.
pub async fn import_wechat(
    db: &DatabaseConnection,
    tenant: &Tenant,
    source: WechatSource,
    account_key: &str,
    staff: Option<&str>,
    payload: &Value,
    atomic: bool,
) -> ApiResult<IngestReport> {
    tenant.require(Role::Write)?;
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

/// How a file is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOptions {
    /// `true`: any bad line refuses the whole file (one transaction). `false`: the valid rows
    /// are written, each chunk committed on its own, and the bad lines are listed.
    pub atomic: bool,
    /// Lines validated and written together; at most this many rows are held in memory.
    pub chunk_lines: usize,
}

impl Default for FileOptions {
    fn default() -> Self {
        Self {
            atomic: true,
            chunk_lines: store::MAX_ROWS,
        }
    }
}

/// What loading a file did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FileReport {
    /// The rows written; all zero when the file was refused.
    pub counts: Counts,
    /// Lines that hold a row or should have (blank lines and the CSV header do not count).
    pub lines: u64,
    /// Lines rejected; a line with several errors counts once.
    pub rejected: u64,
    /// Whether the whole file was refused (atomic, with a bad line): nothing was written.
    pub refused: bool,
}

/// Follows a file import as it goes: the CLI draws its progress bar and prints errors.
pub trait FileObserver {
    /// A chunk was handled: `bytes` of the file and `lines` have been read so far.
    fn progress(&mut self, bytes: u64, lines: u64) {
        let _ = (bytes, lines);
    }

    /// One error of a rejected line. Errors arrive in line order.
    fn rejected(&mut self, error: LineError);
}

/// Collects the errors.
impl FileObserver for Vec<LineError> {
    fn rejected(&mut self, error: LineError) {
        self.push(error);
    }
}

impl From<FileError> for ApiError {
    fn from(err: FileError) -> Self {
        Self::BadUserInput(err.to_string())
    }
}

/// Loads the rows of `kind` that `source` holds in `format`, with the same validation, rules
/// and idempotent upsert as the API's mutations, and the same role (ADMIN for accounts, else
/// WRITE). Rows are validated and written in chunks of `options.chunk_lines`; a natural key
/// repeated anywhere in the file is a duplicate.
///
/// # Errors
/// `FORBIDDEN` when the key's role is too low; `BAD_USER_INPUT` when the file cannot be read
/// (IO, CSV header); `INTERNAL` on database failure, after which nothing of an atomic load is
/// stored (a non-atomic one keeps the chunks before the failure).
pub async fn import_file<S: Read>(
    db: &DatabaseConnection,
    tenant: &Tenant,
    kind: Kind,
    format: Format,
    source: S,
    options: FileOptions,
    observer: &mut dyn FileObserver,
) -> ApiResult<FileReport> {
    tenant.require(kind.role())?;
    let file = FileLoad {
        db,
        tenant,
        format,
        options,
    };
    match kind {
        Kind::Accounts => file.load::<validate::AccountIn, S>(source, observer).await,
        Kind::Contents => file.load::<validate::ContentIn, S>(source, observer).await,
        Kind::Campaigns => file.load::<validate::CampaignIn, S>(source, observer).await,
        Kind::Channels => file.load::<validate::ChannelIn, S>(source, observer).await,
        Kind::Customers => file.load::<validate::CustomerIn, S>(source, observer).await,
        Kind::ContentDaily => {
            file.load::<validate::ContentDailyIn, S>(source, observer)
                .await
        }
        Kind::AccountDaily => {
            file.load::<validate::AccountDailyIn, S>(source, observer)
                .await
        }
        Kind::FunnelDaily => {
            file.load::<validate::FunnelDailyIn, S>(source, observer)
                .await
        }
        Kind::CampaignDaily => {
            file.load::<validate::CampaignDailyIn, S>(source, observer)
                .await
        }
        Kind::StaffDaily => {
            file.load::<validate::StaffDailyIn, S>(source, observer)
                .await
        }
        Kind::GroupDaily => {
            file.load::<validate::GroupDailyIn, S>(source, observer)
                .await
        }
        Kind::Orders => file.load::<validate::OrderIn, S>(source, observer).await,
        Kind::Spend => file.load::<validate::SpendIn, S>(source, observer).await,
    }
}

/// One file load's settings.
struct FileLoad<'a> {
    db: &'a DatabaseConnection,
    tenant: &'a Tenant,
    format: Format,
    options: FileOptions,
}

impl FileLoad<'_> {
    async fn load<R, S>(self, source: S, observer: &mut dyn FileObserver) -> ApiResult<FileReport>
    where
        R: Validate + DeserializeOwned,
        R::Output: Storable,
        <<R::Output as Storable>::Entity as EntityTrait>::ActiveModel: Send,
        S: Read,
    {
        let atomic = self.options.atomic;
        let mut reader = RowReader::<R, S>::new(self.format, source)?;
        let mut keys = FileKeys::default();
        let mut report = FileReport::default();
        let mut txn = crate::db::begin_write(self.db).await?;
        while let Some(chunk) = reader.next_chunk(self.options.chunk_lines)? {
            let Chunk {
                rows,
                lines,
                malformed,
                bytes_read,
            } = chunk;
            report.lines += (rows.len() + malformed.len()) as u64;
            let mut prepared =
                store::prepare_in(&txn, self.tenant, rows, &mut keys.chunk(&lines)).await?;
            let mut errors = malformed;
            for error in std::mem::take(&mut prepared.errors) {
                let line = lines
                    .get(error.index)
                    .copied()
                    .ok_or_else(|| ApiError::internal("a row error outside its chunk"))?;
                errors.push(LineError::of_row(error, line));
            }
            // Stable: a line's errors keep the order validation found them in.
            errors.sort_by_key(|e| e.line);
            let mut previous = None;
            for error in errors {
                if previous != Some(error.line) {
                    report.rejected += 1;
                    previous = Some(error.line);
                }
                observer.rejected(error);
            }
            // Once an atomic load has a bad line it only checks the rest, to list every error.
            if !(atomic && report.rejected > 0) {
                report.counts += prepared.write(&txn).await?.counts;
                if !atomic {
                    txn.commit().await?;
                    txn = crate::db::begin_write(self.db).await?;
                }
            }
            observer.progress(bytes_read, report.lines);
        }
        report.refused = atomic && report.rejected > 0;
        if report.refused {
            txn.rollback().await?;
            report.counts = Counts::default();
        } else {
            txn.commit().await?;
        }
        Ok(report)
    }
}
