//! The index that finds each customer's first paid order: `orders (workspace_id, customer_id,
//! paid_at, id)`, in the order cohort KPIs pick the first order (earliest `paid_at`, then the
//! order stored first), so PostgreSQL reads it without sorting the orders.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    Id,
    WorkspaceId,
    CustomerId,
    PaidAt,
}

const NAME: &str = "orders_workspace_id_customer_id_paid_at_id_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Orders::Table)
                    .col(Orders::WorkspaceId)
                    .col(Orders::CustomerId)
                    .col(Orders::PaidAt)
                    .col(Orders::Id)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Orders::Table).to_owned())
            .await
    }
}
