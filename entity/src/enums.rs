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

/// The evaluation window of an alert rule (`alert_rule.time_window`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TimeWindow {
    /// The last complete day.
    #[sea_orm(string_value = "DAY")]
    Day,
    /// The last complete ISO week.
    #[sea_orm(string_value = "WEEK")]
    Week,
    /// The last complete month.
    #[sea_orm(string_value = "MONTH")]
    Month,
}

/// What an alert rule compares (`alert_rule.condition_kind`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ConditionKind {
    /// The value against thresholds.
    #[sea_orm(string_value = "THRESHOLD")]
    Threshold,
    /// The change against the previous period of the same window.
    #[sea_orm(string_value = "CHANGE")]
    Change,
}

/// Which side of a threshold breaches (`alert_rule.operator`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Operator {
    #[sea_orm(string_value = "BELOW")]
    Below,
    #[sea_orm(string_value = "ABOVE")]
    Above,
}

/// How a CHANGE condition measures change (`alert_rule.change_mode`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ChangeMode {
    /// (value − previous) / |previous|: 0.05 is +5%.
    #[sea_orm(string_value = "RELATIVE")]
    Relative,
    /// value − previous.
    #[sea_orm(string_value = "ABSOLUTE")]
    Absolute,
}

/// The state of an alert instance (`alert.state`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AlertState {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "FIRING")]
    Firing,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
}

/// The severity of an alert (`alert.severity`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Severity {
    #[sea_orm(string_value = "WARNING")]
    Warning,
    #[sea_orm(string_value = "CRITICAL")]
    Critical,
}

/// What happened to an alert (`alert_event.kind`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AlertEventKind {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "FIRED")]
    Fired,
    #[sea_orm(string_value = "ESCALATED")]
    Escalated,
    #[sea_orm(string_value = "DEESCALATED")]
    Deescalated,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    #[sea_orm(string_value = "ACKNOWLEDGED")]
    Acknowledged,
    #[sea_orm(string_value = "NO_DATA")]
    NoData,
}
