//! Tenancy: `workspace` (the tenant) and `api_key` (credentials with a role).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, one_of, workspace_fk, workspace_id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Workspace {
    Table,
    Id,
    Name,
    Timezone,
    Currency,
    GrossMargin,
    LtvHorizonMonths,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKey {
    Table,
    Id,
    WorkspaceId,
    Name,
    Role,
    Prefix,
    KeyHash,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Workspace as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(big_pk_auto(W::Id))
                    .col(text(W::Name))
                    .col(text(W::Timezone).default("Asia/Shanghai"))
                    .col(text(W::Currency).default("CNY"))
                    .col(double(W::GrossMargin).default(1.0))
                    .col(integer(W::LtvHorizonMonths).default(12))
                    .col(timestamp_with_time_zone(W::CreatedAt))
                    .check((
                        "workspace_gross_margin_range",
                        Expr::col(W::GrossMargin)
                            .gte(0)
                            .and(Expr::col(W::GrossMargin).lte(1)),
                    ))
                    .check((
                        "workspace_ltv_horizon_months_min",
                        Expr::col(W::LtvHorizonMonths).gte(1),
                    ))
                    .take(),
            )
            .await?;

        use ApiKey as K;
        manager
            .create_table(
                Table::create()
                    .table(K::Table)
                    .col(big_pk_auto(K::Id))
                    .col(workspace_id(K::WorkspaceId))
                    .col(text(K::Name))
                    .col(text(K::Role))
                    .col(text(K::Prefix))
                    .col(text_uniq(K::KeyHash))
                    .col(timestamp_with_time_zone(K::CreatedAt))
                    .col(timestamp_with_time_zone_null(K::RevokedAt))
                    .check(one_of(K::Table, K::Role, &["READ", "WRITE", "ADMIN"]))
                    .foreign_key(&mut workspace_fk(K::Table, K::WorkspaceId))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(K::Table, &[K::WorkspaceId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKey::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(Workspace::Table).take())
            .await
    }
}
