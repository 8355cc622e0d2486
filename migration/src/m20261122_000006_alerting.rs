//! Alerting: rules over catalog KPIs, their instances (one per rule and group), the append-only
//! event feed whose id is the pollers' cursor, webhooks and their durable delivery outbox.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, natural_key, one_of, references, workspace_fk, workspace_id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AlertRule {
    Table,
    Id,
    WorkspaceId,
    Name,
    Kpi,
    Filter,
    GroupBy,
    TimeWindow,
    ConditionKind,
    Operator,
    Warning,
    Critical,
    WarningRecovery,
    CriticalRecovery,
    ChangeMode,
    PendingPeriods,
    MinDenominator,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Alert {
    Table,
    Id,
    WorkspaceId,
    RuleId,
    Fingerprint,
    GroupKeys,
    State,
    Severity,
    Value,
    Threshold,
    Previous,
    PeriodStart,
    PeriodEnd,
    PeriodLabel,
    Streak,
    NoData,
    BeforeState,
    BeforeSeverity,
    BeforeStreak,
    BeforeNoData,
    StartedAt,
    UpdatedAt,
    ResolvedAt,
    AcknowledgedAt,
    AckNote,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertEvent {
    Table,
    Id,
    WorkspaceId,
    AlertId,
    RuleId,
    Kind,
    State,
    Severity,
    Value,
    Threshold,
    Previous,
    PeriodStart,
    PeriodEnd,
    Note,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Webhook {
    Table,
    Id,
    WorkspaceId,
    Url,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDelivery {
    Table,
    Id,
    WorkspaceId,
    WebhookId,
    EventId,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    LastError,
    CreatedAt,
}

const STATES: &[&str] = &["PENDING", "FIRING", "RESOLVED"];
const SEVERITIES: &[&str] = &["WARNING", "CRITICAL"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AlertRule as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(big_pk_auto(R::Id))
                    .col(workspace_id(R::WorkspaceId))
                    .col(text(R::Name))
                    .col(text(R::Kpi))
                    .col(text(R::Filter).default("{}"))
                    .col(text(R::GroupBy).default("[]"))
                    .col(text(R::TimeWindow))
                    .col(text(R::ConditionKind))
                    .col(text(R::Operator))
                    .col(double_null(R::Warning))
                    .col(double_null(R::Critical))
                    .col(double_null(R::WarningRecovery))
                    .col(double_null(R::CriticalRecovery))
                    .col(text_null(R::ChangeMode))
                    .col(integer(R::PendingPeriods).default(1))
                    .col(double(R::MinDenominator).default(0.0))
                    .col(boolean(R::Enabled).default(true))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .col(timestamp_with_time_zone(R::UpdatedAt))
                    .check(one_of(R::Table, R::TimeWindow, &["DAY", "WEEK", "MONTH"]))
                    .check(one_of(R::Table, R::ConditionKind, &["THRESHOLD", "CHANGE"]))
                    .check(one_of(R::Table, R::Operator, &["BELOW", "ABOVE"]))
                    .check((
                        "alert_rule_pending_periods_min",
                        Expr::col(R::PendingPeriods).gte(1),
                    ))
                    .check((
                        "alert_rule_min_denominator_nonneg",
                        Expr::col(R::MinDenominator).gte(0),
                    ))
                    .foreign_key(&mut workspace_fk(R::Table, R::WorkspaceId))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(R::Table, &[R::WorkspaceId]))
            .await?;

        use Alert as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(big_pk_auto(A::Id))
                    .col(workspace_id(A::WorkspaceId))
                    .col(big_integer(A::RuleId))
                    .col(text(A::Fingerprint))
                    .col(text(A::GroupKeys).default("[]"))
                    .col(text(A::State))
                    .col(text_null(A::Severity))
                    .col(double_null(A::Value))
                    .col(double_null(A::Threshold))
                    .col(double_null(A::Previous))
                    .col(date_null(A::PeriodStart))
                    .col(date_null(A::PeriodEnd))
                    .col(text_null(A::PeriodLabel))
                    .col(integer(A::Streak).default(0))
                    .col(boolean(A::NoData).default(false))
                    .col(text_null(A::BeforeState))
                    .col(text_null(A::BeforeSeverity))
                    .col(integer(A::BeforeStreak).default(0))
                    .col(boolean(A::BeforeNoData).default(false))
                    .col(timestamp_with_time_zone(A::StartedAt))
                    .col(timestamp_with_time_zone(A::UpdatedAt))
                    .col(timestamp_with_time_zone_null(A::ResolvedAt))
                    .col(timestamp_with_time_zone_null(A::AcknowledgedAt))
                    .col(text_null(A::AckNote))
                    .check(one_of(A::Table, A::State, STATES))
                    .check(one_of(A::Table, A::Severity, SEVERITIES))
                    .foreign_key(&mut workspace_fk(A::Table, A::WorkspaceId))
                    .foreign_key(
                        &mut references(A::Table, A::RuleId, R::Table, R::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .take(),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(natural_key(A::Table, &[A::WorkspaceId, A::Fingerprint]))
            .await?;
        manager.create_index(index(A::Table, &[A::RuleId])).await?;

        use AlertEvent as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(big_pk_auto(E::Id))
                    .col(workspace_id(E::WorkspaceId))
                    .col(big_integer(E::AlertId))
                    .col(big_integer(E::RuleId))
                    .col(text(E::Kind))
                    .col(text(E::State))
                    .col(text_null(E::Severity))
                    .col(double_null(E::Value))
                    .col(double_null(E::Threshold))
                    .col(double_null(E::Previous))
                    .col(date_null(E::PeriodStart))
                    .col(date_null(E::PeriodEnd))
                    .col(text_null(E::Note))
                    .col(timestamp_with_time_zone(E::CreatedAt))
                    .check(one_of(
                        E::Table,
                        E::Kind,
                        &[
                            "PENDING",
                            "FIRED",
                            "ESCALATED",
                            "DEESCALATED",
                            "RESOLVED",
                            "ACKNOWLEDGED",
                            "NO_DATA",
                        ],
                    ))
                    .foreign_key(&mut workspace_fk(E::Table, E::WorkspaceId))
                    .foreign_key(
                        &mut references(E::Table, E::AlertId, A::Table, A::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .take(),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(E::Table, &[E::WorkspaceId, E::Id]))
            .await?;

        use Webhook as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(big_pk_auto(W::Id))
                    .col(workspace_id(W::WorkspaceId))
                    .col(text(W::Url))
                    .col(text(W::Secret))
                    .col(timestamp_with_time_zone(W::CreatedAt))
                    .foreign_key(&mut workspace_fk(W::Table, W::WorkspaceId))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(W::Table, &[W::WorkspaceId]))
            .await?;

        use WebhookDelivery as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(big_pk_auto(D::Id))
                    .col(workspace_id(D::WorkspaceId))
                    .col(big_integer(D::WebhookId))
                    .col(big_integer(D::EventId))
                    .col(integer(D::Attempts).default(0))
                    .col(timestamp_with_time_zone(D::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(D::DeliveredAt))
                    .col(text_null(D::LastError))
                    .col(timestamp_with_time_zone(D::CreatedAt))
                    .foreign_key(&mut workspace_fk(D::Table, D::WorkspaceId))
                    .foreign_key(
                        &mut references(D::Table, D::WebhookId, W::Table, W::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .take(),
                    )
                    .foreign_key(
                        &mut references(D::Table, D::EventId, E::Table, E::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .take(),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(D::Table, &[D::DeliveredAt, D::NextAttemptAt]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDelivery::Table.into_iden(),
            Webhook::Table.into_iden(),
            AlertEvent::Table.into_iden(),
            Alert::Table.into_iden(),
            AlertRule::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
