//! Ingestion into the database: resolve references, honour `atomic`, write through [`upsert`].
//!
//! Every kind goes through [`ingest`]: validate (pure), then in one transaction resolve the keys
//! rows refer to (one statement per referenced entity kind), and either refuse the whole call
//! (`atomic: true` and any error) or write the valid rows. Nothing is half-written: a refusal or a
//! failure rolls all of it back. The per-kind glue lives in `kinds`.
//!
//! The two halves are also public on their own — [`prepare_in`] (validate and resolve) and
//! [`Prepared::write`] — for loads that span many calls in one transaction, such as a file
//! (`import::import_file`), which keeps checking after its first bad chunk without writing.
//! [`redate_orders`] recomputes the business dates of stored orders when a workspace changes
//! its time zone.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{Money, account, campaign, channel, content, customer};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, Set,
};

use super::upsert::{Counts, UpsertPlan, upsert};
use super::validate::{self, KeyLedger, RowError, Validate, Validated, ValidationContext};
use crate::auth::Tenant;
use crate::directory::{self, Scoped};
use crate::error::{ApiError, ApiResult};

/// Largest number of rows one ingestion call takes: the API's limit, and the chunk of file
/// imports and demo loads.
pub const MAX_ROWS: usize = 10_000;

/// What one ingestion call did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub counts: Counts,
    /// Every error of every rejected row, by row index.
    pub rejected: Vec<RowError>,
}

impl IngestReport {
    /// Adds another part of the same call.
    pub fn merge(&mut self, other: IngestReport) {
        self.counts += other.counts;
        self.rejected.extend(other.rejected);
    }

    /// How many rows were rejected: the errors of one row are adjacent (each part of a call
    /// lists its errors by row index), so a row is a run of errors with the same index. (Two
    /// parts of one import whose bad rows meet at the same index count as one row.)
    pub fn rejected_rows(&self) -> u64 {
        let mut rows = 0;
        let mut previous = None;
        for error in &self.rejected {
            if previous != Some(error.index) {
                rows += 1;
            }
            previous = Some(error.index);
        }
        rows
    }
}

/// The keys a batch refers to, by referenced entity.
#[derive(Default)]
pub struct RefKeys {
    pub(super) accounts: HashSet<String>,
    pub(super) campaigns: HashSet<String>,
    pub(super) channels: HashSet<String>,
    pub(super) contents: HashSet<String>,
    /// Customers are created when unknown (orders may name a new customer).
    pub(super) customers: HashSet<String>,
}

/// Referenced keys resolved to ids (unknown keys are absent).
#[derive(Default)]
pub struct Refs {
    pub(super) accounts: HashMap<String, i64>,
    pub(super) campaigns: HashMap<String, i64>,
    pub(super) channels: HashMap<String, i64>,
    pub(super) contents: HashMap<String, i64>,
    pub(super) customers: HashMap<String, i64>,
}

/// Resolves `key` of a reference `field` in `map`, recording an error when it is unknown.
pub(super) fn resolve(
    map: &HashMap<String, i64>,
    index: usize,
    field: &str,
    key: &str,
    errors: &mut Vec<RowError>,
) -> Option<i64> {
    let id = map.get(key).copied();
    if id.is_none() {
        errors.push(RowError::unknown_reference(index, field, key));
    }
    id
}

/// Like [`resolve`] for an optional reference: `Some(None)` when absent, `None` when unknown.
pub(super) fn resolve_opt(
    map: &HashMap<String, i64>,
    index: usize,
    field: &str,
    key: Option<&str>,
    errors: &mut Vec<RowError>,
) -> Option<Option<i64>> {
    match key {
        None => Some(None),
        Some(key) => resolve(map, index, field, key, errors).map(Some),
    }
}

/// Converts a validated closed-set value into the entity's enum (both spell values the same).
pub(super) fn db_enum<E: ActiveEnum<Value = String>>(name: &str) -> ApiResult<E> {
    E::try_from_value(&name.to_owned()).map_err(ApiError::internal)
}

pub(super) fn money(value: rust_decimal::Decimal) -> ApiResult<Money> {
    Money::from_decimal(value).ok_or_else(|| ApiError::internal("validated money out of range"))
}

/// A validated row that can be stored.
pub trait Storable: Sized {
    /// The table.
    type Entity: EntityTrait;
    /// How rows of the table are identified.
    fn plan() -> UpsertPlan<Self::Entity>;
    /// Records the keys the row refers to.
    fn references(&self, keys: &mut RefKeys);
    /// The row to store, or `Ok(Err(errors))` for unknown references.
    fn into_model(
        self,
        index: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        refs: &Refs,
    ) -> ApiResult<Result<<Self::Entity as EntityTrait>::ActiveModel, Vec<RowError>>>;
}

async fn ids<E: Scoped, C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    keys: &HashSet<String>,
) -> ApiResult<HashMap<String, i64>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: Vec<String> = keys.iter().cloned().collect();
    directory::ids_for_keys::<E, _>(db, tenant, &keys).await
}

/// Resolves the referenced keys, creating the customers that do not exist yet (inside `db`,
/// the call's transaction, so a refused call creates none).
async fn load_refs<C: ConnectionTrait>(db: &C, tenant: &Tenant, keys: &RefKeys) -> ApiResult<Refs> {
    if !keys.customers.is_empty() {
        let now = Utc::now();
        let new = keys.customers.iter().map(|key| customer::ActiveModel {
            workspace_id: Set(tenant.workspace_id()),
            key: Set(key.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        let new: Vec<_> = new.collect();
        for chunk in new.chunks(5_000) {
            customer::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing_on([customer::Column::WorkspaceId, customer::Column::Key])
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(Refs {
        accounts: ids::<account::Entity, _>(db, tenant, &keys.accounts).await?,
        campaigns: ids::<campaign::Entity, _>(db, tenant, &keys.campaigns).await?,
        channels: ids::<channel::Entity, _>(db, tenant, &keys.channels).await?,
        contents: ids::<content::Entity, _>(db, tenant, &keys.contents).await?,
        customers: ids::<customer::Entity, _>(db, tenant, &keys.customers).await?,
    })
}

/// Validates, resolves and writes one call's rows in its own transaction.
///
/// # Errors
/// `INTERNAL` on database failure, after which nothing of the call is stored.
pub async fn ingest<R>(
    db: &DatabaseConnection,
    tenant: &Tenant,
    rows: Vec<R>,
    atomic: bool,
) -> ApiResult<IngestReport>
where
    R: Validate,
    R::Output: Storable,
    <<R::Output as Storable>::Entity as EntityTrait>::ActiveModel: Send,
{
    let txn = crate::db::begin_write(db).await?;
    let report = ingest_in(&txn, tenant, rows, atomic).await?;
    finish(txn, report, atomic).await
}

/// Commits `txn` unless the call is refused (`atomic` with any rejected row): then nothing of it
/// stays, not even the customers its orders would have created, and the report counts nothing.
///
/// # Errors
/// `INTERNAL` when the commit or rollback fails.
pub async fn finish(
    txn: DatabaseTransaction,
    mut report: IngestReport,
    atomic: bool,
) -> ApiResult<IngestReport> {
    if atomic && !report.rejected.is_empty() {
        txn.rollback().await?;
        report.counts = Counts::default();
    } else {
        txn.commit().await?;
    }
    Ok(report)
}

/// Validates, resolves and writes rows inside the caller's transaction, which the caller ends
/// with [`finish`]. With `atomic` and any error nothing is written and the report lists every
/// rejected row.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn ingest_in<R>(
    txn: &DatabaseTransaction,
    tenant: &Tenant,
    rows: Vec<R>,
    atomic: bool,
) -> ApiResult<IngestReport>
where
    R: Validate,
    R::Output: Storable,
    <<R::Output as Storable>::Entity as EntityTrait>::ActiveModel: Send,
{
    let prepared = prepare_in(txn, tenant, rows, &mut HashMap::new()).await?;
    if atomic && !prepared.errors.is_empty() {
        return Ok(prepared.refuse());
    }
    prepared.write(txn).await
}

/// One call's rows, validated and with their references resolved: what is ready to be written,
/// and every error of every rejected row.
pub struct Prepared<S: Storable> {
    models: Vec<<S::Entity as EntityTrait>::ActiveModel>,
    /// Every error of every rejected row, ordered by row index.
    pub errors: Vec<RowError>,
}

impl<S: Storable> Prepared<S>
where
    <S::Entity as EntityTrait>::ActiveModel: Send,
{
    /// Writes the valid rows and reports them with the rejected ones.
    ///
    /// # Errors
    /// `INTERNAL` on database failure.
    pub async fn write(self, txn: &DatabaseTransaction) -> ApiResult<IngestReport> {
        let counts = upsert(txn, &S::plan(), self.models).await?;
        Ok(IngestReport {
            counts,
            rejected: self.errors,
        })
    }

    /// Writes nothing: the report lists the rejected rows and counts nothing.
    pub fn refuse(self) -> IngestReport {
        IngestReport {
            counts: Counts::default(),
            rejected: self.errors,
        }
    }
}

/// Validates `rows` and resolves their references inside `txn`, writing nothing but the
/// customers that orders name (which the transaction's end keeps or discards). `ledger` holds
/// the natural keys of earlier rows, so that a load split into several calls still finds its
/// duplicates.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn prepare_in<R>(
    txn: &DatabaseTransaction,
    tenant: &Tenant,
    rows: Vec<R>,
    ledger: &mut impl KeyLedger<R::Key>,
) -> ApiResult<Prepared<R::Output>>
where
    R: Validate,
    R::Output: Storable,
{
    let now = Utc::now();
    let ctx = ValidationContext::at(now, tenant.timezone());
    let Validated { rows, mut errors } = validate::validate_with(rows, &ctx, ledger);
    // References are checked even when validation already refused the call, so that the report
    // lists every bad row at once.
    let mut keys = RefKeys::default();
    for (_, row) in &rows {
        row.references(&mut keys);
    }
    let refs = load_refs(txn, tenant, &keys).await?;
    let mut models = Vec::with_capacity(rows.len());
    for (index, row) in rows {
        match row.into_model(index, tenant.workspace_id(), now, &refs)? {
            Ok(model) => models.push(model),
            Err(mut unknown) => errors.append(&mut unknown),
        }
    }
    errors.sort_by_key(|e| e.index);
    Ok(Prepared { models, errors })
}

/// Moves every order of the workspace to the business date of its `paidAt` in `tz` (after its
/// time zone changed), 5,000 orders at a time, one UPDATE per date.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn redate_orders(
    txn: &DatabaseTransaction,
    workspace_id: i64,
    tz: chrono_tz::Tz,
) -> ApiResult<()> {
    use entity::order;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};

    let mut after = 0i64;
    loop {
        let page: Vec<(i64, DateTime<Utc>)> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .column(order::Column::PaidAt)
            .filter(order::Column::WorkspaceId.eq(workspace_id))
            .filter(order::Column::Id.gt(after))
            .order_by_asc(order::Column::Id)
            .limit(5_000)
            .into_tuple()
            .all(txn)
            .await?;
        let Some(&(last, _)) = page.last() else {
            return Ok(());
        };
        after = last;
        let mut by_date: std::collections::BTreeMap<chrono::NaiveDate, Vec<i64>> =
            std::collections::BTreeMap::new();
        for (id, paid_at) in page {
            by_date
                .entry(validate::business_date(paid_at, tz))
                .or_default()
                .push(id);
        }
        for (date, ids) in by_date {
            order::Entity::update_many()
                .col_expr(order::Column::PaidDate, Expr::value(date))
                .filter(order::Column::Id.is_in(ids))
                .exec(txn)
                .await?;
        }
    }
}
