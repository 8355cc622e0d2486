//! The per-kind glue between validated rows and tables: natural keys and column mapping.
//!
//! One [`Storable`] impl per ingest kind; the flow itself is in `store`, the write in `upsert`.

use chrono::{DateTime, Utc};
use entity::{
    account, account_daily, campaign, campaign_daily, channel, content, content_daily, customer,
    funnel_daily, group_daily, order, spend, staff_daily,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue, EntityTrait, IdenStatic, Set};

use super::store::{RefKeys, Refs, Storable, db_enum, money, resolve, resolve_opt};
use super::upsert::UpsertPlan;
use super::validate::{self, RowError};
use crate::directory::Scoped;
use crate::error::ApiResult;

/// A count that may be absent: absent leaves the stored value alone (a partial platform row).
fn opt(value: Option<i64>) -> ActiveValue<i64> {
    value.map_or(ActiveValue::NotSet, Set)
}

/// `COALESCE(column, 0)`: how the unique indexes of optional key parts spell them. Written out
/// literally: a bound `0` would not match the index expression, and SQLite would find no index
/// for the conflict target.
fn coalesced(column: impl IdenStatic) -> Expr {
    Expr::cust(format!("COALESCE(\"{}\", 0)", column.as_str()))
}

/// The plan of a daily fact keyed by `workspace_id` and `key` columns (all NOT NULL).
fn fact_plan<E: EntityTrait>(key: Vec<E::Column>, touch: E::Column) -> UpsertPlan<E> {
    UpsertPlan {
        conflict: key.iter().map(|c| Expr::col(*c)).collect(),
        key,
        nullable_key: vec![],
        touch: vec![touch],
        insert_only: vec![],
    }
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

impl Storable for validate::ContentDaily {
    type Entity = content_daily::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        use content_daily::Column as C;
        fact_plan(vec![C::WorkspaceId, C::ContentId, C::Date], C::UpdatedAt)
    }

    fn references(&self, keys: &mut RefKeys) {
        keys.contents.insert(self.content.clone());
    }

    fn into_model(
        self,
        index: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        refs: &Refs,
    ) -> ApiResult<Result<content_daily::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let Some(content_id) =
            resolve(&refs.contents, index, "content", &self.content, &mut errors)
        else {
            return Ok(Err(errors));
        };
        Ok(Ok(content_daily::ActiveModel {
            workspace_id: Set(workspace_id),
            content_id: Set(content_id),
            date: Set(self.date),
            deliveries: opt(self.deliveries),
            opens: opt(self.opens),
            reads: opt(self.reads),
            readers: opt(self.readers),
            completions: opt(self.completions),
            shares: opt(self.shares),
            sharers: opt(self.sharers),
            favorites: opt(self.favorites),
            likes: opt(self.likes),
            comments: opt(self.comments),
            clicks: opt(self.clicks),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::AccountDaily {
    type Entity = account_daily::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        use account_daily::Column as C;
        fact_plan(vec![C::WorkspaceId, C::AccountId, C::Date], C::UpdatedAt)
    }

    fn references(&self, keys: &mut RefKeys) {
        keys.accounts.insert(self.account.clone());
    }

    fn into_model(
        self,
        index: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        refs: &Refs,
    ) -> ApiResult<Result<account_daily::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let Some(account_id) =
            resolve(&refs.accounts, index, "account", &self.account, &mut errors)
        else {
            return Ok(Err(errors));
        };
        Ok(Ok(account_daily::ActiveModel {
            workspace_id: Set(workspace_id),
            account_id: Set(account_id),
            date: Set(self.date),
            new_followers: opt(self.new_followers),
            unfollows: opt(self.unfollows),
            total_followers: opt(self.total_followers),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::FunnelDaily {
    type Entity = funnel_daily::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        use funnel_daily::Column as C;
        UpsertPlan {
            key: vec![C::WorkspaceId, C::AccountId, C::CampaignId, C::Date],
            nullable_key: vec![C::CampaignId],
            conflict: vec![
                Expr::col(C::WorkspaceId),
                Expr::col(C::AccountId),
                coalesced(C::CampaignId),
                Expr::col(C::Date),
            ],
            touch: vec![C::UpdatedAt],
            insert_only: vec![],
        }
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
    ) -> ApiResult<Result<funnel_daily::ActiveModel, Vec<RowError>>> {
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
        Ok(Ok(funnel_daily::ActiveModel {
            workspace_id: Set(workspace_id),
            account_id: Set(account_id),
            campaign_id: Set(campaign_id),
            date: Set(self.date),
            visits: Set(self.visits),
            checkouts: Set(self.checkouts),
            payments: Set(self.payments),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::CampaignDaily {
    type Entity = campaign_daily::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        use campaign_daily::Column as C;
        fact_plan(vec![C::WorkspaceId, C::CampaignId, C::Date], C::UpdatedAt)
    }

    fn references(&self, keys: &mut RefKeys) {
        keys.campaigns.insert(self.campaign.clone());
    }

    fn into_model(
        self,
        index: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        refs: &Refs,
    ) -> ApiResult<Result<campaign_daily::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let Some(campaign_id) = resolve(
            &refs.campaigns,
            index,
            "campaign",
            &self.campaign,
            &mut errors,
        ) else {
            return Ok(Err(errors));
        };
        Ok(Ok(campaign_daily::ActiveModel {
            workspace_id: Set(workspace_id),
            campaign_id: Set(campaign_id),
            date: Set(self.date),
            reached: Set(self.reached),
            participants: Set(self.participants),
            ugc_posts: Set(self.ugc_posts),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::StaffDaily {
    type Entity = staff_daily::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        use staff_daily::Column as C;
        fact_plan(
            vec![C::WorkspaceId, C::AccountId, C::Staff, C::Date],
            C::UpdatedAt,
        )
    }

    fn references(&self, keys: &mut RefKeys) {
        keys.accounts.insert(self.account.clone());
    }

    fn into_model(
        self,
        index: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        refs: &Refs,
    ) -> ApiResult<Result<staff_daily::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let Some(account_id) =
            resolve(&refs.accounts, index, "account", &self.account, &mut errors)
        else {
            return Ok(Err(errors));
        };
        Ok(Ok(staff_daily::ActiveModel {
            workspace_id: Set(workspace_id),
            account_id: Set(account_id),
            staff: Set(self.staff),
            date: Set(self.date),
            chats: Set(self.chats),
            messages: Set(self.messages),
            replied_chats: Set(self.replied_chats),
            reply_minutes_total: Set(self.reply_minutes_total),
            new_applies: Set(self.new_applies),
            new_contacts: Set(self.new_contacts),
            negative_feedback: Set(self.negative_feedback),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::GroupDaily {
    type Entity = group_daily::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        use group_daily::Column as C;
        fact_plan(
            vec![C::WorkspaceId, C::AccountId, C::Staff, C::Date],
            C::UpdatedAt,
        )
    }

    fn references(&self, keys: &mut RefKeys) {
        keys.accounts.insert(self.account.clone());
    }

    fn into_model(
        self,
        index: usize,
        workspace_id: i64,
        now: DateTime<Utc>,
        refs: &Refs,
    ) -> ApiResult<Result<group_daily::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let Some(account_id) =
            resolve(&refs.accounts, index, "account", &self.account, &mut errors)
        else {
            return Ok(Err(errors));
        };
        Ok(Ok(group_daily::ActiveModel {
            workspace_id: Set(workspace_id),
            account_id: Set(account_id),
            staff: Set(self.staff),
            date: Set(self.date),
            groups_total: Set(self.groups_total),
            active_groups: Set(self.active_groups),
            members_total: Set(self.members_total),
            active_members: Set(self.active_members),
            new_members: Set(self.new_members),
            messages: Set(self.messages),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::Order {
    type Entity = order::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        use order::Column as C;
        UpsertPlan {
            key: vec![C::WorkspaceId, C::Key],
            nullable_key: vec![],
            conflict: vec![Expr::col(C::WorkspaceId), Expr::col(C::Key)],
            touch: vec![C::UpdatedAt],
            insert_only: vec![C::CreatedAt],
        }
    }

    fn references(&self, keys: &mut RefKeys) {
        keys.customers.insert(self.customer.clone());
        if let Some(c) = &self.channel {
            keys.channels.insert(c.clone());
        }
        if let Some(c) = &self.campaign {
            keys.campaigns.insert(c.clone());
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
    ) -> ApiResult<Result<order::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let customer = resolve(
            &refs.customers,
            index,
            "customer",
            &self.customer,
            &mut errors,
        );
        let channel = resolve_opt(
            &refs.channels,
            index,
            "channel",
            self.channel.as_deref(),
            &mut errors,
        );
        let campaign = resolve_opt(
            &refs.campaigns,
            index,
            "campaign",
            self.campaign.as_deref(),
            &mut errors,
        );
        let account = resolve_opt(
            &refs.accounts,
            index,
            "account",
            self.account.as_deref(),
            &mut errors,
        );
        let (Some(customer_id), Some(channel_id), Some(campaign_id), Some(account_id)) =
            (customer, channel, campaign, account)
        else {
            return Ok(Err(errors));
        };
        Ok(Ok(order::ActiveModel {
            workspace_id: Set(workspace_id),
            key: Set(self.key),
            customer_id: Set(customer_id),
            paid_at: Set(self.paid_at),
            paid_date: Set(self.paid_date),
            amount: Set(money(self.amount)?),
            refunded_amount: Set(money(self.refunded_amount)?),
            channel_id: Set(channel_id),
            campaign_id: Set(campaign_id),
            account_id: Set(account_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}

impl Storable for validate::Spend {
    type Entity = spend::Entity;

    fn plan() -> UpsertPlan<Self::Entity> {
        use spend::Column as C;
        UpsertPlan {
            key: vec![C::WorkspaceId, C::Date, C::ChannelId, C::CampaignId],
            nullable_key: vec![C::ChannelId, C::CampaignId],
            conflict: vec![
                Expr::col(C::WorkspaceId),
                Expr::col(C::Date),
                coalesced(C::ChannelId),
                coalesced(C::CampaignId),
            ],
            touch: vec![C::UpdatedAt],
            insert_only: vec![],
        }
    }

    fn references(&self, keys: &mut RefKeys) {
        if let Some(c) = &self.channel {
            keys.channels.insert(c.clone());
        }
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
    ) -> ApiResult<Result<spend::ActiveModel, Vec<RowError>>> {
        let mut errors = Vec::new();
        let channel = resolve_opt(
            &refs.channels,
            index,
            "channel",
            self.channel.as_deref(),
            &mut errors,
        );
        let campaign = resolve_opt(
            &refs.campaigns,
            index,
            "campaign",
            self.campaign.as_deref(),
            &mut errors,
        );
        let (Some(channel_id), Some(campaign_id)) = (channel, campaign) else {
            return Ok(Err(errors));
        };
        Ok(Ok(spend::ActiveModel {
            workspace_id: Set(workspace_id),
            date: Set(self.date),
            amount: Set(money(self.amount)?),
            channel_id: Set(channel_id),
            campaign_id: Set(campaign_id),
            updated_at: Set(now),
            ..Default::default()
        }))
    }
}
