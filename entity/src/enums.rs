//! The closed sets stored as TEXT columns; each string is the exact value the CHECK allows.

use sea_orm::entity::prelude::*;

/// What an API key may do (`api_key.role`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ApiRole {
    /// Queries only.
    #[sea_orm(string_value = "READ")]
    Read,
    /// Queries and data ingestion.
    #[sea_orm(string_value = "WRITE")]
    Write,
    /// Everything, including key and workspace administration.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// The kind of WeChat-ecosystem account (`account.kind`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AccountKind {
    /// Official service account (服务号).
    #[sea_orm(string_value = "SERVICE_ACCOUNT")]
    ServiceAccount,
    /// Official subscription account (订阅号).
    #[sea_orm(string_value = "SUBSCRIPTION_ACCOUNT")]
    SubscriptionAccount,
    /// WeCom (企业微信) organisation.
    #[sea_orm(string_value = "WECOM")]
    Wecom,
    /// Personal WeChat account.
    #[sea_orm(string_value = "PERSONAL")]
    Personal,
    /// Mini program (小程序).
    #[sea_orm(string_value = "MINI_PROGRAM")]
    MiniProgram,
    /// Channels (视频号).
    #[sea_orm(string_value = "CHANNELS")]
    Channels,
}

/// The purpose of a campaign (`campaign.kind`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CampaignKind {
    /// Sales promotion.
    #[sea_orm(string_value = "PROMOTION")]
    Promotion,
    /// Interaction / engagement activity.
    #[sea_orm(string_value = "INTERACTION")]
    Interaction,
    /// Brand awareness.
    #[sea_orm(string_value = "BRAND")]
    Brand,
}

/// The format of a piece of content (`content.kind`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ContentKind {
    /// Official-account article.
    #[sea_orm(string_value = "ARTICLE")]
    Article,
    /// Short video.
    #[sea_orm(string_value = "SHORT_VIDEO")]
    ShortVideo,
    /// Live stream.
    #[sea_orm(string_value = "LIVE")]
    Live,
    /// H5 page.
    #[sea_orm(string_value = "H5")]
    H5,
    /// Moments (朋友圈) post.
    #[sea_orm(string_value = "MOMENTS")]
    Moments,
    /// Group message.
    #[sea_orm(string_value = "GROUP_MESSAGE")]
    GroupMessage,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    fn values<E: ActiveEnum<Value = String> + Iterable>() -> Vec<String> {
        E::iter().map(|v| v.to_value()).collect()
    }

    #[test]
    fn database_strings_are_the_checked_values() {
        assert_eq!(values::<ApiRole>(), ["READ", "WRITE", "ADMIN"]);
        assert_eq!(
            values::<AccountKind>(),
            [
                "SERVICE_ACCOUNT",
                "SUBSCRIPTION_ACCOUNT",
                "WECOM",
                "PERSONAL",
                "MINI_PROGRAM",
                "CHANNELS"
            ]
        );
        assert_eq!(
            values::<CampaignKind>(),
            ["PROMOTION", "INTERACTION", "BRAND"]
        );
        assert_eq!(
            values::<ContentKind>(),
            [
                "ARTICLE",
                "SHORT_VIDEO",
                "LIVE",
                "H5",
                "MOMENTS",
                "GROUP_MESSAGE"
            ]
        );
    }

    #[test]
    fn database_strings_parse_back() {
        for role in ApiRole::iter() {
            assert_eq!(ApiRole::try_from_value(&role.to_value()).ok(), Some(role));
        }
        assert!(ApiRole::try_from_value(&"read".to_owned()).is_err());
    }
}
