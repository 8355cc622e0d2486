//! Ingestion mutations: input rows, `IngestReport`, `RowError`.
//!
//! Inputs use the field names of the data model; each is converted into the raw row of
//! `ingest::validate`, so GraphQL, the CLI and platform imports share one set of rules.

use async_graphql::{Context, Enum, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;

use super::enums::{AccountKind, CampaignKind, ContentKind};
use super::scalars::{Date, Decimal};
use super::{alert_service, db, metrics};
use crate::auth::{Role, RoleGuard, tenant};
use crate::ingest::store::{self, IngestReport as Report};
use crate::ingest::validate;

pub use crate::ingest::store::MAX_ROWS;

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

fn count(n: i64) -> Option<f64> {
    // Counts are validated per row (negative, too large). i64 → f64 is exact up to 2^53; above,
    // rounding may land on 2^53 itself (2^53 + 1 does) and pass as a count that was not sent,
    // so larger values are kept above 2^53, where validation refuses them.
    #[allow(clippy::cast_precision_loss)]
    let value = n as f64;
    if n > 1 << 53 {
        Some(value.max(validate::MAX_COUNT.next_up()))
    } else {
        Some(value)
    }
}

/// One content × date fact (omitted counts are 0).
#[derive(InputObject)]
pub struct ContentDailyInput {
    /// Content key.
    pub content: String,
    pub date: Date,
    #[graphql(default)]
    pub deliveries: i64,
    #[graphql(default)]
    pub opens: i64,
    #[graphql(default)]
    pub reads: i64,
    #[graphql(default)]
    pub readers: i64,
    #[graphql(default)]
    pub completions: i64,
    #[graphql(default)]
    pub shares: i64,
    #[graphql(default)]
    pub sharers: i64,
    #[graphql(default)]
    pub favorites: i64,
    #[graphql(default)]
    pub likes: i64,
    #[graphql(default)]
    pub comments: i64,
    #[graphql(default)]
    pub clicks: i64,
}

impl From<ContentDailyInput> for validate::ContentDailyIn {
    fn from(r: ContentDailyInput) -> Self {
        Self {
            content: Some(r.content),
            date: Some(date(r.date)),
            deliveries: count(r.deliveries),
            opens: count(r.opens),
            reads: count(r.reads),
            readers: count(r.readers),
            completions: count(r.completions),
            shares: count(r.shares),
            sharers: count(r.sharers),
            favorites: count(r.favorites),
            likes: count(r.likes),
            comments: count(r.comments),
            clicks: count(r.clicks),
        }
    }
}

/// One account × date fact.
#[derive(InputObject)]
pub struct AccountDailyInput {
    /// Account key.
    pub account: String,
    pub date: Date,
    #[graphql(default)]
    pub new_followers: i64,
    #[graphql(default)]
    pub unfollows: i64,
    /// Followers at the end of the day.
    #[graphql(default)]
    pub total_followers: i64,
}

impl From<AccountDailyInput> for validate::AccountDailyIn {
    fn from(r: AccountDailyInput) -> Self {
        Self {
            account: Some(r.account),
            date: Some(date(r.date)),
            new_followers: count(r.new_followers),
            unfollows: count(r.unfollows),
            total_followers: count(r.total_followers),
        }
    }
}

/// One account × campaign × date funnel fact.
#[derive(InputObject)]
pub struct FunnelDailyInput {
    /// Account key.
    pub account: String,
    /// Campaign key.
    pub campaign: Option<String>,
    pub date: Date,
    #[graphql(default)]
    pub visits: i64,
    #[graphql(default)]
    pub checkouts: i64,
    #[graphql(default)]
    pub payments: i64,
}

impl From<FunnelDailyInput> for validate::FunnelDailyIn {
    fn from(r: FunnelDailyInput) -> Self {
        Self {
            account: Some(r.account),
            campaign: r.campaign,
            date: Some(date(r.date)),
            visits: count(r.visits),
            checkouts: count(r.checkouts),
            payments: count(r.payments),
        }
    }
}

/// One campaign × date fact.
#[derive(InputObject)]
pub struct CampaignDailyInput {
    /// Campaign key.
    pub campaign: String,
    pub date: Date,
    #[graphql(default)]
    pub reached: i64,
    #[graphql(default)]
    pub participants: i64,
    #[graphql(default)]
    pub ugc_posts: i64,
}

impl From<CampaignDailyInput> for validate::CampaignDailyIn {
    fn from(r: CampaignDailyInput) -> Self {
        Self {
            campaign: Some(r.campaign),
            date: Some(date(r.date)),
            reached: count(r.reached),
            participants: count(r.participants),
            ugc_posts: count(r.ugc_posts),
        }
    }
}

/// One WeCom account × staff member × date fact.
#[derive(InputObject)]
pub struct StaffDailyInput {
    /// Account key.
    pub account: String,
    /// WeCom userid.
    pub staff: String,
    pub date: Date,
    #[graphql(default)]
    pub chats: i64,
    #[graphql(default)]
    pub messages: i64,
    #[graphql(default)]
    pub replied_chats: i64,
    /// Total minutes to first reply over the replied chats.
    #[graphql(default)]
    pub reply_minutes_total: f64,
    #[graphql(default)]
    pub new_applies: i64,
    #[graphql(default)]
    pub new_contacts: i64,
    #[graphql(default)]
    pub negative_feedback: i64,
}

impl From<StaffDailyInput> for validate::StaffDailyIn {
    fn from(r: StaffDailyInput) -> Self {
        Self {
            account: Some(r.account),
            staff: Some(r.staff),
            date: Some(date(r.date)),
            chats: count(r.chats),
            messages: count(r.messages),
            replied_chats: count(r.replied_chats),
            reply_minutes_total: Some(r.reply_minutes_total),
            new_applies: count(r.new_applies),
            new_contacts: count(r.new_contacts),
            negative_feedback: count(r.negative_feedback),
        }
    }
}

/// One WeCom account × group owner × date fact.
#[derive(InputObject)]
pub struct GroupDailyInput {
    /// Account key.
    pub account: String,
    /// The group owner's WeCom userid.
    pub staff: String,
    pub date: Date,
    #[graphql(default)]
    pub groups_total: i64,
    #[graphql(default)]
    pub active_groups: i64,
    #[graphql(default)]
    pub members_total: i64,
    #[graphql(default)]
    pub active_members: i64,
    #[graphql(default)]
    pub new_members: i64,
    #[graphql(default)]
    pub messages: i64,
}

impl From<GroupDailyInput> for validate::GroupDailyIn {
    fn from(r: GroupDailyInput) -> Self {
        Self {
            account: Some(r.account),
            staff: Some(r.staff),
            date: Some(date(r.date)),
            groups_total: count(r.groups_total),
            active_groups: count(r.active_groups),
            members_total: count(r.members_total),
            active_members: count(r.active_members),
            new_members: count(r.new_members),
            messages: count(r.messages),
        }
    }
}

/// A paid order (`key` identifies it). An unknown customer key creates the customer.
#[derive(InputObject)]
pub struct OrderInput {
    pub key: String,
    /// Customer key.
    pub customer: String,
    pub paid_at: DateTime<Utc>,
    pub amount: Decimal,
    pub refunded_amount: Option<Decimal>,
    /// Channel key.
    pub channel: Option<String>,
    /// Campaign key.
    pub campaign: Option<String>,
    /// Account key.
    pub account: Option<String>,
}

impl From<OrderInput> for validate::OrderIn {
    fn from(r: OrderInput) -> Self {
        Self {
            key: Some(r.key),
            customer: Some(r.customer),
            paid_at: Some(rfc3339(r.paid_at)),
            amount: Some(r.amount.0),
            refunded_amount: r.refunded_amount.map(|d| d.0),
            channel: r.channel,
            campaign: r.campaign,
            account: r.account,
        }
    }
}

/// Marketing spend of one day, optionally of one channel and/or campaign.
#[derive(InputObject)]
pub struct SpendInput {
    pub date: Date,
    pub amount: Decimal,
    /// Channel key.
    pub channel: Option<String>,
    /// Campaign key.
    pub campaign: Option<String>,
}

impl From<SpendInput> for validate::SpendIn {
    fn from(r: SpendInput) -> Self {
        Self {
            date: Some(date(r.date)),
            amount: Some(r.amount.0),
            channel: r.channel,
            campaign: r.campaign,
        }
    }
}

/// The WeChat / WeCom statistics endpoint a payload came from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::ingest::wechat::WechatSource")]
pub enum WechatSource {
    /// Official Account `datacube/getusersummary`.
    OaUserSummary,
    /// Official Account `datacube/getusercumulate`.
    OaUserCumulate,
    /// Official Account `datacube/getarticletotal` (cumulative details).
    OaArticleTotal,
    /// Official Account `datacube/getarticlesummary`.
    OaArticleSummary,
    /// WeCom `externalcontact/get_user_behavior_data` (needs `staff`).
    WecomUserBehavior,
    /// WeCom `externalcontact/groupchat/statistic_group_by_day` (needs `staff`, the owner).
    WecomGroupchatByDay,
}

/// After every ingestion call: counts its rows in the metrics and schedules alert evaluation of
/// a workspace whose data changed.
fn ingested(ctx: &Context<'_>, tenant: &crate::auth::Tenant, report: &Report) -> Result<()> {
    metrics(ctx)?.ingested(
        report.counts.inserted,
        report.counts.updated,
        report.counts.unchanged,
        report.rejected_rows(),
    );
    if report.counts.inserted + report.counts.updated > 0 {
        alert_service(ctx)?.touch(tenant.workspace_id());
    }
    Ok(())
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
    let tenant = tenant(ctx)?;
    let report = store::ingest(db(ctx)?, tenant, raw, atomic).await?;
    ingested(ctx, tenant, &report)?;
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

    /// Records content × date facts (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn record_content_daily(
        &self,
        ctx: &Context<'_>,
        rows: Vec<ContentDailyInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::ContentDailyIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Records account × date follower facts (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn record_account_daily(
        &self,
        ctx: &Context<'_>,
        rows: Vec<AccountDailyInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::AccountDailyIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Records account × campaign × date funnel facts (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn record_funnel_daily(
        &self,
        ctx: &Context<'_>,
        rows: Vec<FunnelDailyInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::FunnelDailyIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Records campaign × date facts (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn record_campaign_daily(
        &self,
        ctx: &Context<'_>,
        rows: Vec<CampaignDailyInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::CampaignDailyIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Records WeCom staff × date facts (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn record_staff_daily(
        &self,
        ctx: &Context<'_>,
        rows: Vec<StaffDailyInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::StaffDailyIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Records WeCom group-owner × date facts (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn record_group_daily(
        &self,
        ctx: &Context<'_>,
        rows: Vec<GroupDailyInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::GroupDailyIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Records paid orders by key; unknown customer keys create customers (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn record_orders(
        &self,
        ctx: &Context<'_>,
        rows: Vec<OrderInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::OrderIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Records marketing spend by date, channel and campaign (WRITE).
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn record_spend(
        &self,
        ctx: &Context<'_>,
        rows: Vec<SpendInput>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        run::<_, validate::SpendIn>(ctx, rows, atomic.unwrap_or(true)).await
    }

    /// Imports a WeChat / WeCom statistics API response body, unchanged (WRITE). `staff` names
    /// the WeCom member (userid) a WeCom payload was requested for.
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn import_wechat(
        &self,
        ctx: &Context<'_>,
        source: WechatSource,
        account_key: String,
        payload: Json<serde_json::Value>,
        staff: Option<String>,
        #[graphql(default_with = "Some(true)")] atomic: Option<bool>,
    ) -> Result<IngestReport> {
        let tenant = tenant(ctx)?;
        let report = crate::ingest::import::import_wechat(
            db(ctx)?,
            tenant,
            source.into(),
            &account_key,
            staff.as_deref(),
            &payload.0,
            atomic.unwrap_or(true),
        )
        .await?;
        ingested(ctx, tenant, &report)?;
        Ok(report.into())
    }
}
