//! Catalog: the named things facts are about — `account`, `channel`, `campaign`, `content`,
//! `customer` — each unique per (workspace_id, key).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{
    index, natural_key, non_negative, one_of, references, workspace_fk, workspace_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Account {
    Table,
    Id,
    WorkspaceId,
    Key,
    Kind,
    Name,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Channel {
    Table,
    Id,
    WorkspaceId,
    Key,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Campaign {
    Table,
    Id,
    WorkspaceId,
    Key,
    Kind,
    Name,
    StartsOn,
    EndsOn,
    Budget,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Content {
    Table,
    Id,
    WorkspaceId,
    Key,
    AccountId,
    Kind,
    Title,
    PublishedAt,
    CampaignId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customer {
    Table,
    Id,
    WorkspaceId,
    Key,
    FirstSeenAt,
    ChannelId,
    AccountId,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Account as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(big_pk_auto(A::Id))
                    .col(workspace_id(A::WorkspaceId))
                    .col(text(A::Key))
                    .col(text(A::Kind))
                    .col(text(A::Name))
                    .col(text_null(A::ExternalId))
                    .col(timestamp_with_time_zone(A::CreatedAt))
                    .col(timestamp_with_time_zone(A::UpdatedAt))
                    .check(one_of(
                        A::Table,
                        A::Kind,
                        &[
                            "SERVICE_ACCOUNT",
                            "SUBSCRIPTION_ACCOUNT",
                            "WECOM",
                            "PERSONAL",
                            "MINI_PROGRAM",
                            "CHANNELS",
                        ],
                    ))
                    .foreign_key(&mut workspace_fk(A::Table, A::WorkspaceId))
                    .take(),
            )
            .await?;
        manager
            .create_index(natural_key(A::Table, &[A::WorkspaceId, A::Key]))
            .await?;

        use Channel as Ch;
        manager
            .create_table(
                Table::create()
                    .table(Ch::Table)
                    .col(big_pk_auto(Ch::Id))
                    .col(workspace_id(Ch::WorkspaceId))
                    .col(text(Ch::Key))
                    .col(text(Ch::Name))
                    .col(timestamp_with_time_zone(Ch::CreatedAt))
                    .col(timestamp_with_time_zone(Ch::UpdatedAt))
                    .foreign_key(&mut workspace_fk(Ch::Table, Ch::WorkspaceId))
                    .take(),
            )
            .await?;
        manager
            .create_index(natural_key(Ch::Table, &[Ch::WorkspaceId, Ch::Key]))
            .await?;

        use Campaign as Ca;
        manager
            .create_table(
                Table::create()
                    .table(Ca::Table)
                    .col(big_pk_auto(Ca::Id))
                    .col(workspace_id(Ca::WorkspaceId))
                    .col(text(Ca::Key))
                    .col(text(Ca::Kind))
                    .col(text(Ca::Name))
                    .col(date(Ca::StartsOn))
                    .col(date(Ca::EndsOn))
                    .col(big_integer_null(Ca::Budget))
                    .col(timestamp_with_time_zone(Ca::CreatedAt))
                    .col(timestamp_with_time_zone(Ca::UpdatedAt))
                    .check(one_of(
                        Ca::Table,
                        Ca::Kind,
                        &["PROMOTION", "INTERACTION", "BRAND"],
                    ))
                    .check((
                        "campaign_dates_ordered",
                        Expr::col(Ca::EndsOn).gte(Expr::col(Ca::StartsOn)),
                    ))
                    .check(non_negative(Ca::Table, Ca::Budget))
                    .foreign_key(&mut workspace_fk(Ca::Table, Ca::WorkspaceId))
                    .take(),
            )
            .await?;
        manager
            .create_index(natural_key(Ca::Table, &[Ca::WorkspaceId, Ca::Key]))
            .await?;

        use Content as Co;
        manager
            .create_table(
                Table::create()
                    .table(Co::Table)
                    .col(big_pk_auto(Co::Id))
                    .col(workspace_id(Co::WorkspaceId))
                    .col(text(Co::Key))
                    .col(big_integer(Co::AccountId))
                    .col(text(Co::Kind))
                    .col(text(Co::Title))
                    .col(timestamp_with_time_zone(Co::PublishedAt))
                    .col(big_integer_null(Co::CampaignId))
                    .col(timestamp_with_time_zone(Co::CreatedAt))
                    .col(timestamp_with_time_zone(Co::UpdatedAt))
                    .check(one_of(
                        Co::Table,
                        Co::Kind,
                        &[
                            "ARTICLE",
                            "SHORT_VIDEO",
                            "LIVE",
                            "H5",
                            "MOMENTS",
                            "GROUP_MESSAGE",
                        ],
                    ))
                    .foreign_key(&mut workspace_fk(Co::Table, Co::WorkspaceId))
                    .foreign_key(&mut references(Co::Table, Co::AccountId, A::Table, A::Id))
                    .foreign_key(&mut references(
                        Co::Table,
                        Co::CampaignId,
                        Ca::Table,
                        Ca::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(natural_key(Co::Table, &[Co::WorkspaceId, Co::Key]))
            .await?;
        for columns in [
            [Co::WorkspaceId, Co::AccountId],
            [Co::WorkspaceId, Co::CampaignId],
            [Co::WorkspaceId, Co::Kind],
        ] {
            manager.create_index(index(Co::Table, &columns)).await?;
        }

        use Customer as Cu;
        manager
            .create_table(
                Table::create()
                    .table(Cu::Table)
                    .col(big_pk_auto(Cu::Id))
                    .col(workspace_id(Cu::WorkspaceId))
                    .col(text(Cu::Key))
                    .col(timestamp_with_time_zone_null(Cu::FirstSeenAt))
                    .col(big_integer_null(Cu::ChannelId))
                    .col(big_integer_null(Cu::AccountId))
                    .col(timestamp_with_time_zone(Cu::CreatedAt))
                    .col(timestamp_with_time_zone(Cu::UpdatedAt))
                    .foreign_key(&mut workspace_fk(Cu::Table, Cu::WorkspaceId))
                    .foreign_key(&mut references(Cu::Table, Cu::ChannelId, Ch::Table, Ch::Id))
                    .foreign_key(&mut references(Cu::Table, Cu::AccountId, A::Table, A::Id))
                    .take(),
            )
            .await?;
        manager
            .create_index(natural_key(Cu::Table, &[Cu::WorkspaceId, Cu::Key]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents: the foreign keys are enforced during the drops.
        for table in [
            Customer::Table.into_iden(),
            Content::Table.into_iden(),
            Campaign::Table.into_iden(),
            Channel::Table.into_iden(),
            Account::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
