//! SeaORM entities of Wekpi: one module per table, in the SeaORM 2 dense format.
//!
//! This crate describes the schema and nothing else: no queries, no business rules. The
//! tables themselves are created by the `migration` crate, which is the source of truth for
//! constraints; the relations here mirror its foreign keys (every table but `workspace`
//! belongs to a workspace, deleted with it).
//!
//! Reading order:
//! - [`money`]: the `Money` value type (BIGINT cents in the database) and [`enums`]: the
//!   closed sets stored as TEXT.
//! - Tenancy: [`workspace`], [`api_key`].
//! - Catalog: [`account`], [`channel`], [`campaign`], [`content`], [`customer`].
//! - Commerce: [`order`] (table `orders`), [`spend`].
//! - Daily facts, one row per entity and business date: [`content_daily`], [`account_daily`],
//!   [`funnel_daily`], [`campaign_daily`], [`staff_daily`], [`group_daily`].
//! - Alerting: [`alert_rule`], [`alert`] (instances), [`alert_event`] (the feed), [`webhook`],
//!   [`webhook_delivery`] (the outbox); and [`kpi_threshold`] (threshold overrides).
//! - [`prelude`]: the `Entity` types under table-like names (`Account`, `Content`, ...).

pub mod enums;
pub mod money;
pub mod prelude;

pub mod api_key;
pub mod workspace;

pub mod account;
pub mod campaign;
pub mod channel;
pub mod content;
pub mod customer;

pub mod order;
pub mod spend;

pub mod account_daily;
pub mod campaign_daily;
pub mod content_daily;
pub mod funnel_daily;
pub mod group_daily;
pub mod kpi_threshold;

pub mod alert;
pub mod alert_event;
pub mod alert_rule;
pub mod staff_daily;
pub mod webhook;
pub mod webhook_delivery;

pub use enums::{
    AccountKind, AlertEventKind, AlertState, ApiRole, CampaignKind, ChangeMode, ConditionKind,
    ContentKind, Operator, Severity, TimeWindow,
};
pub use money::Money;
