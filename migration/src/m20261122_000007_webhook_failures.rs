//! Webhook deliveries that were given up: `webhook_delivery.failed_at`.
//!
//! A delivery is pending while both `delivered_at` and `failed_at` are NULL; the delivery worker
//! sets `failed_at` once a delivery has used up its attempts, so it is never tried again and an
//! operator can still find it (with its `last_error`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDelivery {
    Table,
    FailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookDelivery::Table)
                    .add_column(timestamp_with_time_zone_null(WebhookDelivery::FailedAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookDelivery::Table)
                    .drop_column(WebhookDelivery::FailedAt)
                    .take(),
            )
            .await
    }
}
