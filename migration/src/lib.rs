//! Schema migrations of Wekpi; the same migrations run on SQLite and PostgreSQL.
//!
//! One concern per migration, applied in this order:
//! 1. `m20261122_000001_tenancy`: `workspace`, `api_key`.
//! 2. `m20261122_000002_catalog`: `account`, `channel`, `campaign`, `content`, `customer`.
//! 3. `m20261122_000003_commerce`: `orders`, `spend`.
//! 4. `m20261122_000004_daily_facts`: the six `*_daily` fact tables.
//! 5. `m20261122_000005_kpi_thresholds`: per-workspace KPI threshold overrides.
//! 6. `m20261122_000006_alerting`: alert rules, alerts, events, webhooks and their outbox.
//! 7. `m20261122_000007_webhook_failures`: `webhook_delivery.failed_at`.
//! 8. `m20261122_000008_first_orders_index`: the index of each customer's orders by `paid_at`.
//!
//! The database enforces what it can (NOT NULL, CHECKs, foreign keys, natural keys) so no
//! code path can store an inconsistent fact. Everything is built with the schema builder;
//! raw SQL is used only for the two COALESCE expression indexes, which the builder cannot
//! emit for SQLite, and is written once in SQL both backends accept.
//! Each `down` drops what its `up` created. A migration, once released, never changes:
//! later changes are new migrations.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::{MigrationTrait, async_trait};

mod helpers;
mod m20261122_000001_tenancy;
mod m20261122_000002_catalog;
mod m20261122_000003_commerce;
mod m20261122_000004_daily_facts;
mod m20261122_000005_kpi_thresholds;
mod m20261122_000006_alerting;
mod m20261122_000007_webhook_failures;
mod m20261122_000008_first_orders_index;

/// All migrations of Wekpi, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_tenancy::Migration),
            Box::new(m20261122_000002_catalog::Migration),
            Box::new(m20261122_000003_commerce::Migration),
            Box::new(m20261122_000004_daily_facts::Migration),
            Box::new(m20261122_000005_kpi_thresholds::Migration),
            Box::new(m20261122_000006_alerting::Migration),
            Box::new(m20261122_000007_webhook_failures::Migration),
            Box::new(m20261122_000008_first_orders_index::Migration),
        ]
    }
}
