//! Alerting API: rules, the alert snapshot, the event feed, acknowledgement, evaluation.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use entity::{alert, alert_event, alert_rule};
use futures::{Stream, StreamExt};

use super::directory::{ConnectionFields, IdCursor, decode_after};
use super::kpi::{DimensionValue, Granularity, KpiFilter, Period};
use super::scalars::Date;
use super::{alert_service, db, parse_id};
use crate::alerts::{feed, rules, store};
use crate::auth::{Role, RoleGuard, tenant};
use crate::directory::PageArgs;
use crate::error::ApiError;
use crate::kpi::catalog::{Dimension, KpiKey};
use crate::kpi::report::FilterKeys;

/// What a condition compares.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::ConditionKind")]
pub enum ConditionKind {
    /// The value against the thresholds.
    Threshold,
    /// The change against the previous period of the same window.
    Change,
}

/// Which side of a threshold breaches.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::Operator")]
pub enum Operator {
    Below,
    Above,
}

/// How a CHANGE condition measures change.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::ChangeMode")]
pub enum ChangeMode {
    /// (value − previous) / |previous|: 0.05 is +5%.
    Relative,
    /// value − previous.
    Absolute,
}

/// The state of an alert.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::AlertState")]
pub enum AlertState {
    /// Breaching for fewer than `pendingPeriods` consecutive periods.
    Pending,
    Firing,
    Resolved,
}

/// The severity of an alert.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::Severity")]
pub enum AlertSeverity {
    Warning,
    Critical,
}

/// What happened to an alert.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::AlertEventKind")]
pub enum AlertEventKind {
    Pending,
    Fired,
    Escalated,
    Deescalated,
    Resolved,
    Acknowledged,
    NoData,
}

/// A rule's condition.
#[derive(InputObject)]
pub struct AlertConditionInput {
    pub kind: ConditionKind,
    pub operator: Operator,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// A firing warning clears only past this.
    pub warning_recovery: Option<f64>,
    /// A firing critical clears only past this.
    pub critical_recovery: Option<f64>,
    /// CHANGE only.
    pub change_mode: Option<ChangeMode>,
}

/// A rule to create or replace.
#[derive(InputObject)]
pub struct AlertRuleInput {
    pub name: String,
    pub kpi: KpiKey,
    pub filter: Option<KpiFilter>,
    /// One alert per group.
    pub group_by: Option<Vec<Dimension>>,
    /// DAY, WEEK or MONTH: the last complete period is evaluated.
    pub window: Granularity,
    pub condition: AlertConditionInput,
    /// Consecutive breaching evaluations before FIRING (default 1).
    pub pending_periods: Option<i32>,
    /// Smaller samples (denominators) evaluate to NO_DATA (default 0).
    pub min_denominator: Option<f64>,
    /// Default true.
    pub enabled: Option<bool>,
}

impl TryFrom<AlertRuleInput> for rules::RuleSpec {
    type Error = ApiError;

    fn try_from(i: AlertRuleInput) -> Result<Self, ApiError> {
        let window = match i.window {
            Granularity::Day => entity::TimeWindow::Day,
            Granularity::Week => entity::TimeWindow::Week,
            Granularity::Month => entity::TimeWindow::Month,
            other => {
                return Err(ApiError::bad_input(format!(
                    "window must be DAY, WEEK or MONTH, not {other:?}"
                )));
            }
        };
        Ok(Self {
            name: i.name,
            kpi: i.kpi,
            filter: i
                .filter
                .map(FilterKeys::try_from)
                .transpose()?
                .unwrap_or_default(),
            group_by: i.group_by.unwrap_or_default(),
            window,
            kind: i.condition.kind.into(),
            operator: i.condition.operator.into(),
            warning: i.condition.warning,
            critical: i.condition.critical,
            warning_recovery: i.condition.warning_recovery,
            critical_recovery: i.condition.critical_recovery,
            change_mode: i.condition.change_mode.map(Into::into),
            pending_periods: i.pending_periods.unwrap_or(1),
            min_denominator: i.min_denominator.unwrap_or(0.0),
            enabled: i.enabled.unwrap_or(true),
        })
    }
}

/// A rule's condition.
#[derive(SimpleObject)]
pub struct AlertCondition {
    pub kind: ConditionKind,
    pub operator: Operator,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub warning_recovery: Option<f64>,
    pub critical_recovery: Option<f64>,
    pub change_mode: Option<ChangeMode>,
}

/// An alert rule.
pub struct AlertRule(pub alert_rule::Model);

#[Object]
impl AlertRule {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kpi(&self) -> Option<KpiKey> {
        rules::kpi_of(&self.0)
    }
    async fn filter(&self) -> KpiFilter {
        rules::filter_of(&self.0).into()
    }
    async fn group_by(&self) -> Vec<Dimension> {
        rules::group_by_of(&self.0)
    }
    async fn window(&self) -> Granularity {
        rules::granularity(self.0.time_window).into()
    }
    async fn condition(&self) -> AlertCondition {
        let r = &self.0;
        AlertCondition {
            kind: r.condition_kind.into(),
            operator: r.operator.into(),
            warning: r.warning,
            critical: r.critical,
            warning_recovery: r.warning_recovery,
            critical_recovery: r.critical_recovery,
            change_mode: r.change_mode.map(Into::into),
        }
    }
    async fn pending_periods(&self) -> i32 {
        self.0.pending_periods
    }
    async fn min_denominator(&self) -> f64 {
        self.0.min_denominator
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(serde::Deserialize)]
struct StoredGroupKey {
    dimension: String,
    key: String,
    label: Option<String>,
}

fn group_values(json: &str) -> Vec<DimensionValue> {
    let keys: Vec<StoredGroupKey> = serde_json::from_str(json).unwrap_or_default();
    keys.into_iter()
        .filter_map(|k| {
            let dimension = [
                Dimension::Account,
                Dimension::Content,
                Dimension::ContentKind,
                Dimension::Campaign,
                Dimension::Channel,
                Dimension::Staff,
            ]
            .into_iter()
            .find(|d| d.to_string() == k.dimension)?;
            Some(DimensionValue {
                dimension,
                key: k.key,
                label: k.label,
            })
        })
        .collect()
}

/// An alert: one rule's instance for one group.
pub struct Alert {
    pub alert: alert::Model,
    pub rule: alert_rule::Model,
}

#[Object]
impl Alert {
    async fn id(&self) -> ID {
        ID(self.alert.id.to_string())
    }
    /// A stable hash of the rule and the group keys.
    async fn fingerprint(&self) -> &str {
        &self.alert.fingerprint
    }
    async fn rule(&self) -> AlertRule {
        AlertRule(self.rule.clone())
    }
    async fn kpi(&self) -> Option<KpiKey> {
        rules::kpi_of(&self.rule)
    }
    /// The group's dimension values (empty for a rule without groupBy).
    async fn group(&self) -> Vec<DimensionValue> {
        group_values(&self.alert.group_keys)
    }
    async fn state(&self) -> AlertState {
        self.alert.state.into()
    }
    async fn severity(&self) -> Option<AlertSeverity> {
        self.alert.severity.map(Into::into)
    }
    /// The KPI value of the evaluated period.
    async fn value(&self) -> Option<f64> {
        self.alert.value
    }
    /// The threshold breached.
    async fn threshold(&self) -> Option<f64> {
        self.alert.threshold
    }
    /// The previous period's value (CHANGE rules).
    async fn previous(&self) -> Option<f64> {
        self.alert.previous
    }
    /// The period last evaluated.
    async fn period(&self) -> Option<Period> {
        let a = &self.alert;
        Some(Period {
            start: Date(a.period_start?),
            end: Date(a.period_end?),
            label: a.period_label.clone().unwrap_or_default(),
        })
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.alert.started_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.alert.updated_at
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.alert.resolved_at
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.alert.acknowledged_at
    }
    async fn acknowledgement_note(&self) -> Option<&str> {
        self.alert.ack_note.as_deref()
    }
}

/// One transition of an alert. `id` (and the edge cursor) increases strictly.
#[derive(SimpleObject)]
pub struct AlertEvent {
    pub id: ID,
    /// The cursor to resume the feed after this event.
    pub cursor: String,
    pub kind: AlertEventKind,
    pub alert_id: ID,
    pub rule_id: ID,
    /// The alert's state after the event.
    pub state: AlertState,
    pub severity: Option<AlertSeverity>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub previous: Option<f64>,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<alert_event::Model> for AlertEvent {
    fn from(e: alert_event::Model) -> Self {
        use async_graphql::connection::CursorType;
        Self {
            id: ID(e.id.to_string()),
            cursor: IdCursor(e.id).encode_cursor(),
            kind: e.kind.into(),
            alert_id: ID(e.alert_id.to_string()),
            rule_id: ID(e.rule_id.to_string()),
            state: e.state.into(),
            severity: e.severity.map(Into::into),
            value: e.value,
            threshold: e.threshold,
            previous: e.previous,
            period_start: e.period_start.map(Date),
            period_end: e.period_end.map(Date),
            note: e.note,
            created_at: e.created_at,
        }
    }
}

/// Filters of the alert snapshot.
#[derive(InputObject, Default)]
pub struct AlertFilter {
    pub states: Option<Vec<AlertState>>,
    pub severities: Option<Vec<AlertSeverity>>,
    pub kpis: Option<Vec<KpiKey>>,
}

/// What an evaluation did.
#[derive(SimpleObject)]
pub struct EvaluationSummary {
    pub as_of: Date,
    pub rules_evaluated: u32,
    pub alerts_changed: u32,
    pub events_created: u32,
}

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// The workspace's alert rules.
    async fn alert_rules(&self, ctx: &Context<'_>) -> Result<Vec<AlertRule>> {
        let found = rules::list(db(ctx)?, tenant(ctx)?.workspace_id()).await?;
        Ok(found.into_iter().map(AlertRule).collect())
    }

    /// The current alerts (one per rule and group), optionally filtered.
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<IdCursor, Alert, ConnectionFields>> {
        let args = PageArgs::new(first, decode_after(after)?)?;
        let f = filter.unwrap_or_default();
        let filter = store::AlertFilter {
            states: f.states.map(|v| v.into_iter().map(Into::into).collect()),
            severities: f
                .severities
                .map(|v| v.into_iter().map(Into::into).collect()),
            kpis: f.kpis.map(|v| v.iter().map(ToString::to_string).collect()),
        };
        let (items, more, total) =
            store::alerts(db(ctx)?, tenant(ctx)?, &filter, args.after, args.first).await?;
        let mut conn = Connection::with_additional_fields(
            args.after.is_some(),
            more,
            ConnectionFields { total_count: total },
        );
        conn.edges.extend(
            items
                .into_iter()
                .map(|(alert, rule)| Edge::new(IdCursor(alert.id), Alert { alert, rule })),
        );
        Ok(conn)
    }

    /// The alert event feed, oldest first, after `after` (a cursor from this feed). A poller
    /// that keeps the last cursor it saw never sees an event twice and never misses one.
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    async fn alert_events(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> Result<Connection<IdCursor, AlertEvent>> {
        let args = PageArgs::new(first, decode_after(after)?)?;
        let (events, more) = store::events_after(
            db(ctx)?,
            tenant(ctx)?.workspace_id(),
            args.after.unwrap_or(0),
            args.first,
        )
        .await?;
        let mut conn = Connection::new(args.after.is_some(), more);
        conn.edges.extend(
            events
                .into_iter()
                .map(|e| Edge::new(IdCursor(e.id), AlertEvent::from(e))),
        );
        Ok(conn)
    }
}

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// Creates an alert rule (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: AlertRuleInput,
    ) -> Result<AlertRule> {
        let spec = rules::RuleSpec::try_from(input)?;
        Ok(AlertRule(
            rules::create(db(ctx)?, tenant(ctx)?.workspace_id(), &spec).await?,
        ))
    }

    /// Replaces an alert rule (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_alert_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AlertRuleInput,
    ) -> Result<AlertRule> {
        let spec = rules::RuleSpec::try_from(input)?;
        let id = parse_id(&id, "alert rule")?;
        Ok(AlertRule(
            rules::update(db(ctx)?, tenant(ctx)?, id, &spec).await?,
        ))
    }

    /// Deletes an alert rule with its alerts and their events (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn delete_alert_rule(&self, ctx: &Context<'_>, id: ID) -> Result<AlertRule> {
        let id = parse_id(&id, "alert rule")?;
        Ok(AlertRule(rules::delete(db(ctx)?, tenant(ctx)?, id).await?))
    }

    /// Acknowledges an alert (WRITE): an ACKNOWLEDGED event.
    #[graphql(guard = "RoleGuard(Role::Write)")]
    async fn acknowledge_alert(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: Option<String>,
    ) -> Result<Alert> {
        let id = parse_id(&id, "alert")?;
        let tenant = tenant(ctx)?;
        let alert = store::acknowledge(db(ctx)?, alert_service(ctx)?, tenant, id, note).await?;
        let rule = rules::find(db(ctx)?, tenant, alert.rule_id).await?;
        Ok(Alert { alert, rule })
    }

    /// Evaluates every enabled rule as of business date `asOf` (default today) (ADMIN).
    /// Evaluating the same date twice with the same data changes nothing.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn evaluate_alerts(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
    ) -> Result<EvaluationSummary> {
        let tenant = tenant(ctx)?;
        let today = tenant.today();
        let as_of = as_of.map_or(today, |d| d.0);
        if as_of > today {
            return Err(
                ApiError::bad_input(format!("asOf ({as_of}) is after today ({today})")).into(),
            );
        }
        let s = store::evaluate_workspace(db(ctx)?, alert_service(ctx)?, tenant, as_of).await?;
        Ok(EvaluationSummary {
            as_of: Date(as_of),
            rules_evaluated: s.rules,
            alerts_changed: s.alerts_changed,
            events_created: s.events,
        })
    }
}

#[derive(Default)]
pub struct AlertSubscription;

#[Subscription]
impl AlertSubscription {
    /// The alert events after `after` (a cursor from the feed; default: from the first), then
    /// each new event as soon as it is committed, by any server. Never repeats or skips one;
    /// a client that reconnects with its last cursor resumes exactly.
    async fn alert_events(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<AlertEvent>> + use<>> {
        let after = decode_after(after)?.unwrap_or(0);
        let events = feed::follow(
            db(ctx)?.clone(),
            alert_service(ctx)?,
            tenant(ctx)?.workspace_id(),
            after,
        );
        Ok(events.map(|e| e.map(AlertEvent::from).map_err(Into::into)))
    }
}
