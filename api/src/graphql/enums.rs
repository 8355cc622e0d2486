//! GraphQL faces of the closed sets stored in the database (conversions are generated).

use async_graphql::Enum;

/// The kind of a platform account.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::AccountKind")]
pub enum AccountKind {
    ServiceAccount,
    SubscriptionAccount,
    Wecom,
    Personal,
    MiniProgram,
    Channels,
}

/// The kind of a piece of content.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::ContentKind")]
pub enum ContentKind {
    Article,
    ShortVideo,
    Live,
    H5,
    Moments,
    GroupMessage,
}

/// The kind of a campaign.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::CampaignKind")]
pub enum CampaignKind {
    Promotion,
    Interaction,
    Brand,
}
