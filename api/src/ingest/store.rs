//! Ingestion into the database: resolve references, honour `atomic`, write through [`upsert`].
//!
//! Every kind goes through [`ingest`]: validate (pure), resolve the keys rows refer to (one
//! statement per referenced entity kind), then either refuse the whole call (`atomic: true` and
//! any error) or write the valid rows in one transaction. Nothing is half-written: a failure
//! inside the transaction rolls all of it back.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{Money, account, campaign, channel, content, customer};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveEnum, DatabaseConnection, EntityTrait, Set, TransactionTrait};

use super::upsert::{Counts, UpsertPlan, upsert};
use super::validate::{self, RowError, Validate, Validated, ValidationContext};
use crate::auth::Tenant;
use crate::directory::{self, Scoped};
use crate::error::{ApiError, ApiResult};

/// What one ingestion call did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub counts: Counts,
    /// Every error of every rejected row, by row index.
    pub rejected: Vec<RowError>,
}

/// The keys a batch refers to, by referenced entity.
#[derive(Default)]
pub struct RefKeys {
    accounts: HashSet<String>,
    campaigns: HashSet<String>,
    channels: HashSet<String>,
}

/// Referenced keys resolved to ids (unknown keys are absent).
#[derive(Default)]
pub struct Refs {
    accounts: HashMap<String, i64>,
    campaigns: HashMap<String, i64>,
    channels: HashMap<String, i64>,
}

/// Resolves `key` of a reference `field` in `map`, recording an error when it is unknown.
fn resolve(
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
fn resolve_opt(
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
fn db_enum<E: ActiveEnum<Value = String>>(name: &str) -> ApiResult<E> {
    E::try_from_value(&name.to_owned()).map_err(ApiError::internal)
}

fn money(value: rust_decimal::Decimal) -> ApiResult<Money> {
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

async fn load_refs(db: &DatabaseConnection, tenant: &Tenant, keys: RefKeys) -> ApiResult<Refs> {
    async fn ids<E: Scoped>(
        db: &DatabaseConnection,
        tenant: &Tenant,
        keys: HashSet<String>,
    ) -> ApiResult<HashMap<String, i64>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let keys: Vec<String> = keys.into_iter().collect();
        directory::ids_for_keys::<E, _>(db, tenant, &keys).await
    }
    Ok(Refs {
        accounts: ids::<account::Entity>(db, tenant, keys.accounts).await?,
        campaigns: ids::<campaign::Entity>(db, tenant, keys.campaigns).await?,
        channels: ids::<channel::Entity>(db, tenant, keys.channels).await?,
    })
}

/// Validates, resolves and writes one call's rows.
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
    let now = Utc::now();
    let ctx = ValidationContext::at(now, tenant.timezone());
    let Validated { rows, mut errors } = validate::validate(rows, &ctx);

    let mut keys = RefKeys::default();
    for (_, row) in &rows {
        row.references(&mut keys);
    }
    let refs = load_refs(db, tenant, keys).await?;
    let mut models = Vec::with_capacity(rows.len());
    for (index, row) in rows {
        match row.into_model(index, tenant.workspace_id(), now, &refs)? {
            Ok(model) => models.push(model),
            Err(mut unknown) => errors.append(&mut unknown),
        }
    }
    errors.sort_by_key(|e| e.index);

    if atomic && !errors.is_empty() {
        return Ok(IngestReport {
            counts: Counts::default(),
            rejected: errors,
        });
    }
    let txn = db.begin().await?;
    let counts = upsert(&txn, &R::Output::plan(), models).await?;
    txn.commit().await?;
    Ok(IngestReport {
        counts,
        rejected: errors,
    })
}

/// The plan of a directory entity: natural key `(workspace_id, key)`.
fn keyed_plan<E: Scoped>(touch: E::Column, created: E::Column) -> UpsertPlan<E> {
    UpsertPlan {
        key: vec![E::WORKSPACE, E::KEY],
        nullable_key: vec![],
        conflict: vec![Expr::col(E::WORKSPACE), Expr::col(E::KEY)],
        touch: vec![touch],
        insert_only: vec![created],
    }
}

impl Storable for validate::Account {
    type Entity = account::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        keyed_plan(account::Column::UpdatedAt, account::Column::CreatedAt)
    }

    fn references(&self, _: &mut RefKeys) {}

    fn into_model(
        self,
        _: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        _: &Refs,
    ) -> ApiResult<Result<account::ActiveModel, Vec<RowError>>> {
        Ok(Ok(account::ActiveModel {
            workspace_id: Set(workspace_id),
            key: Set(self.key),
            kind: Set(db_enum(self.kind.as_str())?),
            name: Set(self.name),
            external_id: Set(self.external_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::Channel {
    type Entity = channel::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        keyed_plan(channel::Column::UpdatedAt, channel::Column::CreatedAt)
    }

    fn references(&self, _: &mut RefKeys) {}

    fn into_model(
        self,
        _: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        _: &Refs,
    ) -> ApiResult<Result<channel::ActiveModel, Vec<RowError>>> {
        Ok(Ok(channel::ActiveModel {
            workspace_id: Set(workspace_id),
            key: Set(self.key),
            name: Set(self.name),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::Campaign {
    type Entity = campaign::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        keyed_plan(campaign::Column::UpdatedAt, campaign::Column::CreatedAt)
    }

    fn references(&self, _: &mut RefKeys) {}

    fn into_model(
        self,
        _: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        _: &Refs,
    ) -> ApiResult<Result<campaign::ActiveModel, Vec<RowError>>> {
        Ok(Ok(campaign::ActiveModel {
            workspace_id: Set(workspace_id),
            key: Set(self.key),
            kind: Set(db_enum(self.kind.as_str())?),
            name: Set(self.name),
            starts_on: Set(self.starts_on),
            ends_on: Set(self.ends_on),
            budget: Set(self.budget.map(money).transpose()?),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::Content {
    type Entity = content::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        keyed_plan(content::Column::UpdatedAt, content::Column::CreatedAt)
    }

    fn references(&self, keys: &mut RefKeys) {
        keys.accounts.insert(self.account.clone());
        if let Some(c) = &self.campaign {
            keys.campaigns.insert(c.clone());
        }
    }

    fn into_model(
        self,
        index: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        refs: &Refs,
    ) -> ApiResult<Result<content::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let account = resolve(&refs.accounts, index, "account", &self.account, &mut errors);
        let campaign = resolve_opt(
            &refs.campaigns,
            index,
            "campaign",
            self.campaign.as_deref(),
            &mut errors,
        );
        let (Some(account_id), Some(campaign_id)) = (account, campaign) else {
            return Ok(Err(errors));
        };
        Ok(Ok(content::ActiveModel {
            workspace_id: Set(workspace_id),
            key: Set(self.key),
            account_id: Set(account_id),
            kind: Set(db_enum(self.kind.as_str())?),
            title: Set(self.title),
            published_at: Set(self.published_at),
            campaign_id: Set(campaign_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::Customer {
    type Entity = customer::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        keyed_plan(customer::Column::UpdatedAt, customer::Column::CreatedAt)
    }

    fn references(&self, keys: &mut RefKeys) {
        if let Some(c) = &self.channel {
            keys.channels.insert(c.clone());
        }
        if let Some(a) = &self.account {
            keys.accounts.insert(a.clone());
        }
    }

    fn into_model(
        self,
        index: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        refs: &Refs,
    ) -> ApiResult<Result<customer::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let channel = resolve_opt(
            &refs.channels,
            index,
            "channel",
            self.channel.as_deref(),
            &mut errors,
        );
        let account = resolve_opt(
            &refs.accounts,
            index,
            "account",
            self.account.as_deref(),
            &mut errors,
        );
        let (Some(channel_id), Some(account_id)) = (channel, account) else {
            return Ok(Err(errors));
        };
        Ok(Ok(customer::ActiveModel {
            workspace_id: Set(workspace_id),
            key: Set(self.key),
            first_seen_at: Set(self.first_seen_at),
            channel_id: Set(channel_id),
            account_id: Set(account_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}
