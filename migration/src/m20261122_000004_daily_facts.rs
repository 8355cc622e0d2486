//! Daily facts: one row of non-negative counts per entity and business date —
//! `content_daily`, `account_daily`, `funnel_daily`, `campaign_daily`, `staff_daily`,
//! `group_daily` — with the cross-column CHECKs that keep the counts consistent.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{
    at_most, count, index, natural_key, non_negative, references, workspace_fk, workspace_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ContentDaily {
    Table,
    Id,
    WorkspaceId,
    ContentId,
    Date,
    Deliveries,
    Opens,
    Reads,
    Readers,
    Completions,
    Shares,
    Sharers,
    Favorites,
    Likes,
    Comments,
    Clicks,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccountDaily {
    Table,
    Id,
    WorkspaceId,
    AccountId,
    Date,
    NewFollowers,
    Unfollows,
    TotalFollowers,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum FunnelDaily {
    Table,
    Id,
    WorkspaceId,
    AccountId,
    CampaignId,
    Date,
    Visits,
    Checkouts,
    Payments,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CampaignDaily {
    Table,
    Id,
    WorkspaceId,
    CampaignId,
    Date,
    Reached,
    Participants,
    UgcPosts,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum StaffDaily {
    Table,
    Id,
    WorkspaceId,
    AccountId,
    Staff,
    Date,
    Chats,
    Messages,
    RepliedChats,
    ReplyMinutesTotal,
    NewApplies,
    NewContacts,
    NegativeFeedback,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum GroupDaily {
    Table,
    Id,
    WorkspaceId,
    AccountId,
    Staff,
    Date,
    GroupsTotal,
    ActiveGroups,
    MembersTotal,
    ActiveMembers,
    NewMembers,
    Messages,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Content {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Campaign {
    Table,
    Id,
}

/// One row per (workspace, account, campaign, date), "no campaign" being a value too. A plain
/// UNIQUE would let NULLs repeat, hence the expression; the schema builder cannot express an
/// expression index for SQLite, hence the raw SQL (valid on both backends).
const FUNNEL_DAILY_NATURAL_KEY: &str = r#"CREATE UNIQUE INDEX "funnel_daily_nk" ON "funnel_daily" ("workspace_id", "account_id", COALESCE("campaign_id", 0), "date")"#;

/// The columns every daily fact table starts with: its id and its workspace.
fn daily_table<T: IntoIden + Copy>(table: T, id: T, workspace: T) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(big_pk_auto(id))
        .col(workspace_id(workspace))
        .foreign_key(&mut workspace_fk(table, workspace))
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ContentDaily as C;
        let mut table = daily_table(C::Table, C::Id, C::WorkspaceId);
        table
            .col(big_integer(C::ContentId))
            .col(date(C::Date))
            .foreign_key(&mut references(
                C::Table,
                C::ContentId,
                Content::Table,
                Content::Id,
            ));
        for column in [
            C::Deliveries,
            C::Opens,
            C::Reads,
            C::Readers,
            C::Completions,
            C::Shares,
            C::Sharers,
            C::Favorites,
            C::Likes,
            C::Comments,
            C::Clicks,
        ] {
            table.col(count(C::Table, column));
        }
        table
            .col(timestamp_with_time_zone(C::UpdatedAt))
            .check(at_most(C::Table, C::Completions, C::Reads))
            .check(at_most(C::Table, C::Sharers, C::Shares))
            .check(at_most(C::Table, C::Readers, C::Reads));
        manager.create_table(table).await?;
        manager
            .create_index(natural_key(
                C::Table,
                &[C::WorkspaceId, C::ContentId, C::Date],
            ))
            .await?;
        manager
            .create_index(index(C::Table, &[C::WorkspaceId, C::Date]))
            .await?;

        use AccountDaily as A;
        let mut table = daily_table(A::Table, A::Id, A::WorkspaceId);
        table
            .col(big_integer(A::AccountId))
            .col(date(A::Date))
            .foreign_key(&mut references(
                A::Table,
                A::AccountId,
                Account::Table,
                Account::Id,
            ));
        for column in [A::NewFollowers, A::Unfollows, A::TotalFollowers] {
            table.col(count(A::Table, column));
        }
        table.col(timestamp_with_time_zone(A::UpdatedAt));
        manager.create_table(table).await?;
        manager
            .create_index(natural_key(
                A::Table,
                &[A::WorkspaceId, A::AccountId, A::Date],
            ))
            .await?;
        manager
            .create_index(index(A::Table, &[A::WorkspaceId, A::Date]))
            .await?;

        use FunnelDaily as F;
        let mut table = daily_table(F::Table, F::Id, F::WorkspaceId);
        table
            .col(big_integer(F::AccountId))
            .col(big_integer_null(F::CampaignId))
            .col(date(F::Date))
            .foreign_key(&mut references(
                F::Table,
                F::AccountId,
                Account::Table,
                Account::Id,
            ))
            .foreign_key(&mut references(
                F::Table,
                F::CampaignId,
                Campaign::Table,
                Campaign::Id,
            ));
        for column in [F::Visits, F::Checkouts, F::Payments] {
            table.col(count(F::Table, column));
        }
        table
            .col(timestamp_with_time_zone(F::UpdatedAt))
            .check(at_most(F::Table, F::Checkouts, F::Visits))
            .check(at_most(F::Table, F::Payments, F::Checkouts));
        manager.create_table(table).await?;
        manager
            .get_connection()
            .execute_unprepared(FUNNEL_DAILY_NATURAL_KEY)
            .await?;
        manager
            .create_index(index(F::Table, &[F::WorkspaceId, F::Date]))
            .await?;
        // The natural key serves per-account lookups; per-campaign ones need their own index.
        manager
            .create_index(index(F::Table, &[F::WorkspaceId, F::CampaignId, F::Date]))
            .await?;

        use CampaignDaily as Ca;
        let mut table = daily_table(Ca::Table, Ca::Id, Ca::WorkspaceId);
        table
            .col(big_integer(Ca::CampaignId))
            .col(date(Ca::Date))
            .foreign_key(&mut references(
                Ca::Table,
                Ca::CampaignId,
                Campaign::Table,
                Campaign::Id,
            ));
        for column in [Ca::Reached, Ca::Participants, Ca::UgcPosts] {
            table.col(count(Ca::Table, column));
        }
        table
            .col(timestamp_with_time_zone(Ca::UpdatedAt))
            .check(at_most(Ca::Table, Ca::Participants, Ca::Reached));
        manager.create_table(table).await?;
        manager
            .create_index(natural_key(
                Ca::Table,
                &[Ca::WorkspaceId, Ca::CampaignId, Ca::Date],
            ))
            .await?;
        manager
            .create_index(index(Ca::Table, &[Ca::WorkspaceId, Ca::Date]))
            .await?;

        use StaffDaily as S;
        let mut table = daily_table(S::Table, S::Id, S::WorkspaceId);
        table
            .col(big_integer(S::AccountId))
            .col(text(S::Staff))
            .col(date(S::Date))
            .foreign_key(&mut references(
                S::Table,
                S::AccountId,
                Account::Table,
                Account::Id,
            ));
        for column in [S::Chats, S::Messages, S::RepliedChats] {
            table.col(count(S::Table, column));
        }
        table.col(
            double(S::ReplyMinutesTotal)
                .default(0.0)
                .check(non_negative(S::Table, S::ReplyMinutesTotal)),
        );
        for column in [S::NewApplies, S::NewContacts, S::NegativeFeedback] {
            table.col(count(S::Table, column));
        }
        table
            .col(timestamp_with_time_zone(S::UpdatedAt))
            .check(at_most(S::Table, S::RepliedChats, S::Chats));
        manager.create_table(table).await?;
        manager
            .create_index(natural_key(
                S::Table,
                &[S::WorkspaceId, S::AccountId, S::Staff, S::Date],
            ))
            .await?;
        manager
            .create_index(index(S::Table, &[S::WorkspaceId, S::Date]))
            .await?;

        use GroupDaily as G;
        let mut table = daily_table(G::Table, G::Id, G::WorkspaceId);
        table
            .col(big_integer(G::AccountId))
            .col(text(G::Staff))
            .col(date(G::Date))
            .foreign_key(&mut references(
                G::Table,
                G::AccountId,
                Account::Table,
                Account::Id,
            ));
        for column in [
            G::GroupsTotal,
            G::ActiveGroups,
            G::MembersTotal,
            G::ActiveMembers,
            G::NewMembers,
            G::Messages,
        ] {
            table.col(count(G::Table, column));
        }
        table
            .col(timestamp_with_time_zone(G::UpdatedAt))
            .check(at_most(G::Table, G::ActiveMembers, G::MembersTotal))
            .check(at_most(G::Table, G::ActiveGroups, G::GroupsTotal));
        manager.create_table(table).await?;
        manager
            .create_index(natural_key(
                G::Table,
                &[G::WorkspaceId, G::AccountId, G::Staff, G::Date],
            ))
            .await?;
        manager
            .create_index(index(G::Table, &[G::WorkspaceId, G::Date]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            GroupDaily::Table.into_iden(),
            StaffDaily::Table.into_iden(),
            CampaignDaily::Table.into_iden(),
            FunnelDaily::Table.into_iden(),
            AccountDaily::Table.into_iden(),
            ContentDaily::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
