//! The entity types under their table names, for `use entity::prelude::*`.

pub use crate::account::Entity as Account;
pub use crate::account_daily::Entity as AccountDaily;
pub use crate::alert::Entity as Alert;
pub use crate::alert_event::Entity as AlertEvent;
pub use crate::alert_rule::Entity as AlertRule;
pub use crate::api_key::Entity as ApiKey;
pub use crate::campaign::Entity as Campaign;
pub use crate::campaign_daily::Entity as CampaignDaily;
pub use crate::channel::Entity as Channel;
pub use crate::content::Entity as Content;
pub use crate::content_daily::Entity as ContentDaily;
pub use crate::customer::Entity as Customer;
pub use crate::funnel_daily::Entity as FunnelDaily;
pub use crate::group_daily::Entity as GroupDaily;
pub use crate::kpi_threshold::Entity as KpiThreshold;
pub use crate::order::Entity as Order;
pub use crate::spend::Entity as Spend;
pub use crate::staff_daily::Entity as StaffDaily;
pub use crate::webhook::Entity as Webhook;
pub use crate::webhook_delivery::Entity as WebhookDelivery;
pub use crate::workspace::Entity as Workspace;
