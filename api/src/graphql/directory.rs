//! Accounts, contents, campaigns, channels and customers: object types, Relay connections and
//! lookups by key. Relations resolve through the request's DataLoaders.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{account, campaign, channel, content, customer};
use sea_orm::{ColumnTrait, Condition};

use super::db;
use super::enums::{AccountKind, CampaignKind, ContentKind};
use super::loaders::{self, Loaders};
use super::scalars::{Date, Decimal};
use crate::auth::tenant;
use crate::directory::{self as store, PageArgs, Scoped};
use crate::error::ApiError;

/// An opaque Relay cursor over surrogate ids.
pub struct IdCursor(pub i64);

/// A cursor that this server did not issue.
#[derive(Debug)]
pub struct InvalidCursor;

impl std::fmt::Display for InvalidCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid cursor")
    }
}

impl CursorType for IdCursor {
    type Error = InvalidCursor;

    fn decode_cursor(s: &str) -> std::result::Result<Self, Self::Error> {
        store::decode_cursor(s).map(IdCursor).ok_or(InvalidCursor)
    }

    fn encode_cursor(&self) -> String {
        store::encode_cursor(self.0)
    }
}

/// Extra fields of every connection.
#[derive(SimpleObject)]
pub struct ConnectionFields {
    /// Rows matching the filter in the caller's workspace, over all pages.
    pub total_count: u64,
}

/// A connection of `T` with `totalCount`.
pub type Conn<T> = Connection<IdCursor, T, ConnectionFields>;

pub(super) fn decode_after(after: Option<String>) -> Result<Option<i64>> {
    after
        .map(|a| {
            IdCursor::decode_cursor(&a)
                .map(|c| c.0)
                .map_err(|e| ApiError::bad_input(e.to_string()).into())
        })
        .transpose()
}

/// Whether the query selects `edges { node { <relation> } }` of the current connection field.
fn selects(ctx: &Context<'_>, relation: &str) -> bool {
    ctx.look_ahead()
        .field("edges")
        .field("node")
        .field(relation)
        .exists()
}

async fn page<E, T>(
    ctx: &Context<'_>,
    filter: Condition,
    first: Option<i32>,
    after: Option<String>,
    wrap: impl Fn(E::Model) -> T,
) -> Result<Conn<T>>
where
    E: Scoped,
    E::Model: Sync,
    T: async_graphql::OutputType,
{
    page_primed::<E, T, _, _>(ctx, filter, first, after, wrap, |_| async { Ok(()) }).await
}

/// Like [`page`], first handing the page's rows to `prime` (which warms relation loaders).
async fn page_primed<E, T, F, Fut>(
    ctx: &Context<'_>,
    filter: Condition,
    first: Option<i32>,
    after: Option<String>,
    wrap: impl Fn(E::Model) -> T,
    prime: F,
) -> Result<Conn<T>>
where
    F: FnOnce(&[E::Model]) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
    E: Scoped,
    E::Model: Sync,
    T: async_graphql::OutputType,
{
    let tenant = tenant(ctx)?;
    let args = PageArgs::new(first, decode_after(after)?)?;
    let page = store::list::<E, _>(db(ctx)?, tenant, filter, args).await?;
    prime(&page.items).await?;
    let mut conn = Connection::with_additional_fields(
        args.after.is_some(),
        page.has_next,
        ConnectionFields {
            total_count: page.total_count,
        },
    );
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|m| Edge::new(IdCursor(E::id_of(&m)), wrap(m))),
    );
    Ok(conn)
}

/// Resolves a relation key filter to an id condition. An unknown key matches nothing.
async fn related<E: Scoped>(
    ctx: &Context<'_>,
    column: impl ColumnTrait,
    key: Option<String>,
) -> Result<Condition> {
    let Some(key) = key else {
        return Ok(Condition::all());
    };
    let found = store::by_key::<E, _>(db(ctx)?, tenant(ctx)?, &key).await?;
    let id = found.as_ref().map_or(-1, E::id_of);
    Ok(Condition::all().add(column.eq(id)))
}

/// A platform account (Official Account, WeCom, Mini Program, …).
pub struct Account(pub account::Model);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn kind(&self) -> AccountKind {
        self.0.kind.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The platform's id: appid or corpid.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A marketing campaign.
pub struct Campaign(pub campaign::Model);

#[Object]
impl Campaign {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn kind(&self) -> CampaignKind {
        self.0.kind.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }
    async fn ends_on(&self) -> Date {
        Date(self.0.ends_on)
    }
    async fn budget(&self) -> Option<Decimal> {
        self.0.budget.map(Decimal::from)
    }
}

/// An acquisition channel (channel QR code, ads, search, …).
pub struct Channel(pub channel::Model);

#[Object]
impl Channel {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// A piece of content published by an account.
pub struct Content(pub content::Model);

#[Object]
impl Content {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn kind(&self) -> ContentKind {
        self.0.kind.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn published_at(&self) -> DateTime<Utc> {
        self.0.published_at
    }
    /// The account that published it.
    async fn account(&self, ctx: &Context<'_>) -> Result<Account> {
        let loaded = ctx
            .data::<Loaders>()?
            .accounts
            .load_one(self.0.account_id)
            .await?;
        loaded
            .map(Account)
            .ok_or_else(|| ApiError::internal("content without its account").into())
    }
    /// The campaign it belongs to, if any.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        let Some(id) = self.0.campaign_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .campaigns
            .load_one(id)
            .await?
            .map(Campaign))
    }
}

/// A customer (buyer) of the brand.
pub struct Customer(pub customer::Model);

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn first_seen_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_seen_at
    }
    /// The channel that acquired the customer, if known.
    async fn channel(&self, ctx: &Context<'_>) -> Result<Option<Channel>> {
        let Some(id) = self.0.channel_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .channels
            .load_one(id)
            .await?
            .map(Channel))
    }
    /// The account the customer belongs to, if known.
    async fn account(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(id) = self.0.account_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .accounts
            .load_one(id)
            .await?
            .map(Account))
    }
}

/// Directory queries.
#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Accounts of the workspace, optionally of one kind.
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<AccountKind>,
    ) -> Result<Conn<Account>> {
        let filter = store::eq_opt(account::Column::Kind, kind.map(entity::AccountKind::from));
        page::<account::Entity, _>(ctx, filter, first, after, Account).await
    }

    /// Contents of the workspace, optionally of one account (key), kind or campaign (key).
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    async fn contents(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        account: Option<String>,
        kind: Option<ContentKind>,
        campaign: Option<String>,
    ) -> Result<Conn<Content>> {
        let filter = store::eq_opt(content::Column::Kind, kind.map(entity::ContentKind::from))
            .add(related::<account::Entity>(ctx, content::Column::AccountId, account).await?)
            .add(related::<campaign::Entity>(ctx, content::Column::CampaignId, campaign).await?);
        let (accounts, campaigns) = (selects(ctx, "account"), selects(ctx, "campaign"));
        let loaders = ctx.data::<Loaders>()?;
        page_primed::<content::Entity, _, _, _>(ctx, filter, first, after, Content, |rows| {
            let account_ids: Vec<i64> = rows
                .iter()
                .filter(|_| accounts)
                .map(|c| c.account_id)
                .collect();
            let campaign_ids: Vec<i64> = rows
                .iter()
                .filter(|_| campaigns)
                .filter_map(|c| c.campaign_id)
                .collect();
            async move {
                loaders::prime(&loaders.accounts, account_ids).await?;
                loaders::prime(&loaders.campaigns, campaign_ids).await
            }
        })
        .await
    }

    /// Campaigns of the workspace, optionally of one kind.
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<CampaignKind>,
    ) -> Result<Conn<Campaign>> {
        let filter = store::eq_opt(campaign::Column::Kind, kind.map(entity::CampaignKind::from));
        page::<campaign::Entity, _>(ctx, filter, first, after, Campaign).await
    }

    /// Acquisition channels of the workspace.
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    async fn channels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Channel>> {
        page::<channel::Entity, _>(ctx, store::all(), first, after, Channel).await
    }

    /// Customers of the workspace, optionally of one channel or account (keys).
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        channel: Option<String>,
        account: Option<String>,
    ) -> Result<Conn<Customer>> {
        let filter = Condition::all()
            .add(related::<channel::Entity>(ctx, customer::Column::ChannelId, channel).await?)
            .add(related::<account::Entity>(ctx, customer::Column::AccountId, account).await?);
        let (channels, accounts) = (selects(ctx, "channel"), selects(ctx, "account"));
        let loaders = ctx.data::<Loaders>()?;
        page_primed::<customer::Entity, _, _, _>(ctx, filter, first, after, Customer, |rows| {
            let channel_ids: Vec<i64> = rows
                .iter()
                .filter(|_| channels)
                .filter_map(|c| c.channel_id)
                .collect();
            let account_ids: Vec<i64> = rows
                .iter()
                .filter(|_| accounts)
                .filter_map(|c| c.account_id)
                .collect();
            async move {
                loaders::prime(&loaders.channels, channel_ids).await?;
                loaders::prime(&loaders.accounts, account_ids).await
            }
        })
        .await
    }

    /// The account with this key, or null.
    async fn account(&self, ctx: &Context<'_>, key: String) -> Result<Option<Account>> {
        let found = store::by_key::<account::Entity, _>(db(ctx)?, tenant(ctx)?, &key).await?;
        Ok(found.map(Account))
    }

    /// The content with this key, or null.
    async fn content(&self, ctx: &Context<'_>, key: String) -> Result<Option<Content>> {
        let found = store::by_key::<content::Entity, _>(db(ctx)?, tenant(ctx)?, &key).await?;
        Ok(found.map(Content))
    }

    /// The campaign with this key, or null.
    async fn campaign(&self, ctx: &Context<'_>, key: String) -> Result<Option<Campaign>> {
        let found = store::by_key::<campaign::Entity, _>(db(ctx)?, tenant(ctx)?, &key).await?;
        Ok(found.map(Campaign))
    }
}
