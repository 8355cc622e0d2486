//! Ingestion mutations: input rows, `IngestReport`, `RowError`.
//!
//! Inputs use the field names of the data model; each is converted into the raw row of
//! `ingest::validate`, so GraphQL, the CLI and platform imports share one set of rules.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;

use super::db;
use super::enums::{AccountKind, CampaignKind, ContentKind};
use super::scalars::{Date, Decimal};
use crate::auth::{Role, RoleGuard, tenant};
use crate::ingest::store::{self, IngestReport as Report};
use crate::ingest::validate;

/// Largest number of rows one ingestion call accepts.
pub const MAX_ROWS: usize = 10_000;

/// One rejected field of one input row.
#[derive(SimpleObject)]
pub struct RowError {
    /// Position of the row in `rows` (0-based).
    pub index: i32,
    /// The input field at fault (camelCase).
    pub field: String,
    /// A stable machine-readable reason, e.g. `NEGATIVE`, `INCONSISTENT`, `UNKNOWN_REFERENCE`.
    pub code: String,
    pub message: String,
}

/// What an ingestion call did.
#[derive(SimpleObject)]
pub struct IngestReport {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Every error of every rejected row. With `atomic: true` and any error, nothing was written.
    pub rejected: Vec<RowError>,
}

impl From<Report> for IngestReport {
    fn from(r: Report) -> Self {
        Self {
            inserted: r.counts.inserted,
            updated: r.counts.updated,
            unchanged: r.counts.unchanged,
            rejected: r
                .rejected
                .into_iter()
                .map(|e| RowError {
                    index: i32::try_from(e.index).unwrap_or(i32::MAX),
                    field: e.field,
                    code: e.code.as_str().to_string(),
                    message: e.message,
                })
                .collect(),
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

fn date(d: Date) -> String {
    d.0.format("%Y-%m-%d").to_string()
}

/// An account to create or update (`key` identifies it).
#[derive(InputObject)]
pub struct AccountInput {
    pub key: String,
    pub kind: AccountKind,
    pub name: String,
    pub external_id: Option<String>,
}

impl From<AccountInput> for validate::AccountIn {
    fn from(r: AccountInput) -> Self {
        Self {
            key: Some(r.key),
            kind: Some(entity::AccountKind::from(r.kind).to_value()),
            name: Some(r.name),
            external_id: r.external_id,
        }
    }
}

/// A content item to create or update.
#[derive(InputObject)]
pub struct ContentInput {
    pub key: String,
    /// Account key.
    pub account: String,
    pub kind: ContentKind,
    pub title: String,
    pub published_at: DateTime<Utc>,
    /// Campaign key.
    pub campaign: Option<String>,
}

impl From<ContentInput> for validate::ContentIn {
    fn from(r: ContentInput) -> Self {
        Self {
            key: Some(r.key),
            account: Some(r.account),
            kind: Some(entity::ContentKind::from(r.kind).to_value()),
            title: Some(r.title),
            published_at: Some(rfc3339(r.published_at)),
            campaign: r.campaign,
        }
    }
}

/// A campaign to create or update.
#[derive(InputObject)]
pub struct CampaignInput {
    pub key: String,
    pub kind: CampaignKind,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub budget: Option<Decimal>,
}

impl From<CampaignInput> for validate::CampaignIn {
    fn from(r: CampaignInput) -> Self {
        Self {
            key: Some(r.key),
            kind: Some(entity::CampaignKind::from(r.kind).to_value()),
            name: Some(r.name),
            starts_on: Some(date(r.starts_on)),
            ends_on: Some(date(r.ends_on)),
            budget: r.budget.map(|d| d.0),
        }
    }
}

/// An acquisition channel to create or update.
#[derive(InputObject)]
pub struct ChannelInput {
    pub key: String,
    pub name: String,
}

impl From<ChannelInput> for validate::ChannelIn {
    fn from(r: ChannelInput) -> Self {
        Self {
            key: Some(r.key),
            name: Some(r.name),
        }
    }
}

/// A customer to create or update.
#[derive(InputObject)]
pub struct CustomerInput {
    pub key: String,
    pub first_seen_at: Option<DateTime<Utc>>,
    /// Channel key.
    pub channel: Option<String>,
    /// Account key.
    pub account: Option<String>,
}

impl From<CustomerInput> for validate::CustomerIn {
    fn from(r: CustomerInput) -> Self {
        Self {
            key: Some(r.key),
            first_seen_at: r.first_seen_at.map(rfc3339),
            channel: r.channel,
            account: r.account,
        }
    }
}

/// Runs one ingestion call of GraphQL rows `I` through raw rows `R`.
async fn run<I, R>(ctx: &Context<'_>, rows: Vec<I>, atomic: bool) -> Result<IngestReport>
where
    R: validate::Validate + From<I>,
    R::Output: store::Storable,
    <<R::Output as store::Storable>::Entity as sea_orm::EntityTrait>::ActiveModel: Send,
{
    if rows.len() > MAX_ROWS {
        return Err(crate::error::ApiError::bad_input(format!(
            "at most {MAX_ROWS} rows per call, got {}: split the load",
            rows.len()
        ))
        .into());
    }
    let raw: Vec<R> = rows.into_iter().map(R::from).collect();
    let report = store::ingest(db(ctx)?, tenant(ctx)?, raw, atomic).await?;
    Ok(report.into())
}

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    /// Creates or updates accounts by key (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn upsert_accounts(
        &self,
        ctx: &Context<'_>,
        rows: Vec<AccountInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::AccountIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Creates or updates contents by key (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn upsert_contents(
        &self,
        ctx: &Context<'_>,
        rows: Vec<ContentInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::ContentIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Creates or updates campaigns by key (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn upsert_campaigns(
        &self,
        ctx: &Context<'_>,
        rows: Vec<CampaignInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::CampaignIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Creates or updates acquisition channels by key (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn upsert_channels(
        &self,
        ctx: &Context<'_>,
        rows: Vec<ChannelInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::ChannelIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Creates or updates customers by key (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn upsert_customers(
        &self,
        ctx: &Context<'_>,
        rows: Vec<CustomerInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::CustomerIn>(ctx, rows, atomic.unwrap_or(true)).await
    }
}
