//! Commerce: `orders` (paid orders with refunds) and `spend` (daily marketing spend), money
//! as BIGINT cents.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{
    at_most, index, natural_key, non_negative, references, workspace_fk, workspace_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    Id,
    WorkspaceId,
    Key,
    CustomerId,
    PaidAt,
    PaidDate,
    Amount,
    RefundedAmount,
    ChannelId,
    CampaignId,
    AccountId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Spend {
    Table,
    Id,
    WorkspaceId,
    Date,
    Amount,
    ChannelId,
    CampaignId,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customer {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Channel {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Campaign {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Account {
    Table,
    Id,
}

/// One row per (workspace, date, channel, campaign), where "no channel" and "no campaign"
/// are values too. A plain UNIQUE would let NULLs repeat, hence the expressions; the schema
/// builder cannot express an expression index for SQLite, hence the raw SQL (valid on both).
const SPEND_NATURAL_KEY: &str = r#"CREATE UNIQUE INDEX "spend_nk" ON "spend" ("workspace_id", "date", COALESCE("channel_id", 0), COALESCE("campaign_id", 0))"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Orders as O;
        manager
            .create_table(
                Table::create()
                    .table(O::Table)
                    .col(big_pk_auto(O::Id))
                    .col(workspace_id(O::WorkspaceId))
                    .col(text(O::Key))
                    .col(big_integer(O::CustomerId))
                    .col(timestamp_with_time_zone(O::PaidAt))
                    .col(date(O::PaidDate))
                    .col(big_integer(O::Amount))
                    .col(big_integer(O::RefundedAmount).default(0))
                    .col(big_integer_null(O::ChannelId))
                    .col(big_integer_null(O::CampaignId))
                    .col(big_integer_null(O::AccountId))
                    .col(timestamp_with_time_zone(O::CreatedAt))
                    .col(timestamp_with_time_zone(O::UpdatedAt))
                    .check(non_negative(O::Table, O::Amount))
                    .check(non_negative(O::Table, O::RefundedAmount))
                    .check(at_most(O::Table, O::RefundedAmount, O::Amount))
                    .foreign_key(&mut workspace_fk(O::Table, O::WorkspaceId))
                    .foreign_key(&mut references(
                        O::Table,
                        O::CustomerId,
                        Customer::Table,
                        Customer::Id,
                    ))
                    .foreign_key(&mut references(
                        O::Table,
                        O::ChannelId,
                        Channel::Table,
                        Channel::Id,
                    ))
                    .foreign_key(&mut references(
                        O::Table,
                        O::CampaignId,
                        Campaign::Table,
                        Campaign::Id,
                    ))
                    .foreign_key(&mut references(
                        O::Table,
                        O::AccountId,
                        Account::Table,
                        Account::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(natural_key(O::Table, &[O::WorkspaceId, O::Key]))
            .await?;
        for columns in [
            &[O::WorkspaceId, O::PaidDate][..],
            &[O::WorkspaceId, O::CustomerId, O::PaidDate],
            &[O::WorkspaceId, O::ChannelId],
            &[O::WorkspaceId, O::CampaignId],
        ] {
            manager.create_index(index(O::Table, columns)).await?;
        }

        use Spend as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(big_pk_auto(S::Id))
                    .col(workspace_id(S::WorkspaceId))
                    .col(date(S::Date))
                    .col(big_integer(S::Amount))
                    .col(big_integer_null(S::ChannelId))
                    .col(big_integer_null(S::CampaignId))
                    .col(timestamp_with_time_zone(S::UpdatedAt))
                    .check(non_negative(S::Table, S::Amount))
                    .foreign_key(&mut workspace_fk(S::Table, S::WorkspaceId))
                    .foreign_key(&mut references(
                        S::Table,
                        S::ChannelId,
                        Channel::Table,
                        Channel::Id,
                    ))
                    .foreign_key(&mut references(
                        S::Table,
                        S::CampaignId,
                        Campaign::Table,
                        Campaign::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(SPEND_NATURAL_KEY)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes, `spend_nk` included.
        manager
            .drop_table(Table::drop().table(Spend::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(Orders::Table).take())
            .await
    }
}
