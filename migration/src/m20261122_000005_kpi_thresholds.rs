//! KPI thresholds: a workspace's overrides of the catalog's default warning/critical levels.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{natural_key, workspace_fk, workspace_id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum KpiThreshold {
    Table,
    Id,
    WorkspaceId,
    Kpi,
    Warning,
    Critical,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use KpiThreshold as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(big_pk_auto(T::Id))
                    .col(workspace_id(T::WorkspaceId))
                    .col(text(T::Kpi))
                    .col(double_null(T::Warning))
                    .col(double_null(T::Critical))
                    .col(timestamp_with_time_zone(T::UpdatedAt))
                    .foreign_key(&mut workspace_fk(T::Table, T::WorkspaceId))
                    .take(),
            )
            .await?;
        manager
            .create_index(natural_key(T::Table, &[T::WorkspaceId, T::Kpi]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(KpiThreshold::Table).take())
            .await
    }
}
