//! Evaluating rules and keeping alert instances and events.
//!
//! A workspace's evaluation runs in one transaction under a lock (this process's lock, plus a
//! PostgreSQL advisory lock shared by every server on the database), so concurrent evaluations
//! and acknowledgements append events one transaction at a time: event ids, the pollers'
//! cursor, become visible in increasing order and a poller that resumes after its last id
//! never misses one. Each rule costs one grouped report statement (two for CHANGE rules).

use chrono::{NaiveDate, Utc};
use entity::{
    AlertEventKind, AlertState, ConditionKind, alert, alert_event, alert_rule, webhook,
    webhook_delivery,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::AlertService;
use super::evaluate::{self, Condition, Observation, Snapshot};
use super::rules;
use crate::auth::Tenant;
use crate::error::{ApiError, ApiResult};
use crate::kpi::buckets::DateRange;
use crate::kpi::report::{self, CompareTo, DimValue, ReportRequest};

/// What one evaluation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub rules: u32,
    pub alerts_changed: u32,
    pub events: u32,
}

/// The PostgreSQL advisory lock key of a workspace's alert writers ("WEKP" in the high bits).
fn advisory_key(workspace_id: i64) -> i64 {
    0x5745_4B50_0000_0000 | (workspace_id & 0xFFFF_FFFF)
}

/// Begins a transaction holding the workspace's alert lock.
pub(super) async fn locked(
    db: &DatabaseConnection,
    workspace_id: i64,
) -> ApiResult<DatabaseTransaction> {
    let txn = crate::db::begin_write(db).await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({})",
            advisory_key(workspace_id)
        ))
        .await?;
    }
    Ok(txn)
}

#[derive(Serialize)]
struct GroupKey<'a> {
    dimension: String,
    key: &'a str,
    label: Option<&'a str>,
}

fn group_json(dims: &[DimValue]) -> String {
    let keys: Vec<GroupKey<'_>> = dims
        .iter()
        .map(|d| GroupKey {
            dimension: d.dimension.to_string(),
            key: &d.key,
            label: d.label.as_deref(),
        })
        .collect();
    serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into())
}

fn fingerprint(rule_id: i64, dims: &[DimValue]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.to_string());
    for d in dims {
        h.update(format!("|{}={}", d.dimension, d.key));
    }
    hex::encode(h.finalize())
}

fn snapshot(a: &alert::Model) -> Snapshot {
    Snapshot {
        state: Some(a.state),
        severity: a.severity,
        streak: u32::try_from(a.streak).unwrap_or(0),
        no_data: a.no_data,
    }
}

fn before_snapshot(a: &alert::Model) -> Snapshot {
    Snapshot {
        state: a.before_state,
        severity: a.before_severity,
        streak: u32::try_from(a.before_streak).unwrap_or(0),
        no_data: a.before_no_data,
    }
}

/// What one period measured for one group.
struct Measured {
    observation: Observation,
    value: Option<f64>,
    previous: Option<f64>,
}

fn measure(rule: &alert_rule::Model, v: &report::KpiValue) -> Measured {
    let previous = v.comparison.and_then(|c| c.previous);
    let small = v.denominator.is_some_and(|d| d < rule.min_denominator);
    let observation = match (v.value, rule.condition_kind) {
        (None, _) => Observation::NoData,
        _ if small => Observation::NoData,
        (Some(x), ConditionKind::Threshold) => Observation::Value(x),
        (Some(x), ConditionKind::Change) => match (previous, rule.change_mode) {
            (Some(p), Some(entity::ChangeMode::Absolute)) => Observation::Value(x - p),
            (Some(p), _) if p != 0.0 => Observation::Value((x - p) / p.abs()),
            _ => Observation::NoData,
        },
    };
    Measured {
        observation,
        value: v.value,
        previous,
    }
}

fn condition(rule: &alert_rule::Model) -> Condition {
    Condition {
        operator: rule.operator,
        warning: rule.warning,
        critical: rule.critical,
        warning_recovery: rule.warning_recovery,
        critical_recovery: rule.critical_recovery,
        inclusive: rule.condition_kind == ConditionKind::Change,
        pending_periods: u32::try_from(rule.pending_periods).unwrap_or(1),
    }
}

struct Ctx<'a> {
    txn: &'a DatabaseTransaction,
    tenant: &'a Tenant,
    webhooks: Vec<i64>,
    summary: Summary,
}

impl Ctx<'_> {
    async fn append(
        &mut self,
        alert: &alert::Model,
        kind: AlertEventKind,
        note: Option<String>,
    ) -> ApiResult<()> {
        let now = Utc::now();
        let event = alert_event::ActiveModel {
            workspace_id: Set(alert.workspace_id),
            alert_id: Set(alert.id),
            rule_id: Set(alert.rule_id),
            kind: Set(kind),
            state: Set(alert.state),
            severity: Set(alert.severity),
            value: Set(alert.value),
            threshold: Set(alert.threshold),
            previous: Set(alert.previous),
            period_start: Set(alert.period_start),
            period_end: Set(alert.period_end),
            note: Set(note),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        for webhook_id in &self.webhooks {
            webhook_delivery::ActiveModel {
                workspace_id: Set(alert.workspace_id),
                webhook_id: Set(*webhook_id),
                event_id: Set(event.id),
                attempts: Set(0),
                next_attempt_at: Set(now),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
        }
        self.summary.events += 1;
        Ok(())
    }

    async fn apply(
        &mut self,
        rule: &alert_rule::Model,
        existing: Option<alert::Model>,
        dims: Option<&[DimValue]>,
        period: (NaiveDate, NaiveDate, &str),
        measured: &Measured,
    ) -> ApiResult<()> {
        let (start, end, label) = period;
        if existing
            .as_ref()
            .and_then(|a| a.period_end)
            .is_some_and(|last| last > end)
        {
            return Ok(()); // never step back in time
        }
        let current = existing.as_ref().map(snapshot).unwrap_or_default();
        let before = match &existing {
            Some(a) if a.period_end == Some(end) => before_snapshot(a),
            _ => current,
        };
        let mut step = evaluate::step(&before, measured.observation, &condition(rule));
        if step.next.state.is_none() && existing.is_some() {
            // The instance was created by an earlier evaluation of this same period and the
            // corrected data no longer breaches: it is resolved, not erased.
            step.next.state = Some(AlertState::Resolved);
        }
        let Some(state) = step.next.state else {
            return Ok(()); // a group that never breached has no instance
        };
        let events = evaluate::events(&current, &step.next);
        let now = Utc::now();
        let unchanged = existing.as_ref().is_some_and(|a| {
            snapshot(a) == step.next
                && a.period_end == Some(end)
                && a.value == measured.value
                && a.previous == measured.previous
        });
        if unchanged {
            return Ok(());
        }
        let was_active = matches!(
            current.state,
            Some(AlertState::Pending | AlertState::Firing)
        );
        let is_active = matches!(state, AlertState::Pending | AlertState::Firing);
        let mut row: alert::ActiveModel = match &existing {
            Some(a) => a.clone().into(),
            None => alert::ActiveModel {
                workspace_id: Set(rule.workspace_id),
                rule_id: Set(rule.id),
                fingerprint: Set(fingerprint(rule.id, dims.unwrap_or_default())),
                group_keys: Set(group_json(dims.unwrap_or_default())),
                started_at: Set(now),
                ..Default::default()
            },
        };
        row.state = Set(state);
        row.severity = Set(step.next.severity);
        row.value = Set(measured.value);
        row.threshold = Set(step.threshold);
        row.previous = Set(measured.previous);
        row.period_start = Set(Some(start));
        row.period_end = Set(Some(end));
        row.period_label = Set(Some(label.to_string()));
        row.streak = Set(i32::try_from(step.next.streak).unwrap_or(i32::MAX));
        row.no_data = Set(step.next.no_data);
        row.before_state = Set(before.state);
        row.before_severity = Set(before.severity);
        row.before_streak = Set(i32::try_from(before.streak).unwrap_or(0));
        row.before_no_data = Set(before.no_data);
        row.updated_at = Set(now);
        if is_active && !was_active {
            row.started_at = Set(now);
            row.resolved_at = Set(None);
            row.acknowledged_at = Set(None);
            row.ack_note = Set(None);
        }
        if state == AlertState::Resolved && was_active {
            row.resolved_at = Set(Some(now));
        }
        let saved = match existing {
            Some(_) => row.update(self.txn).await?,
            None => row.insert(self.txn).await?,
        };
        self.summary.alerts_changed += 1;
        for kind in events {
            self.append(&saved, kind, None).await?;
        }
        Ok(())
    }

    async fn evaluate_rule(&mut self, rule: &alert_rule::Model, as_of: NaiveDate) -> ApiResult<()> {
        let Some(kpi) = rules::kpi_of(rule) else {
            return Ok(());
        };
        let cohort = crate::kpi::catalog::def(kpi).needs_month;
        let Some((from, to)) = evaluate::window_period(rule.time_window, as_of, cohort) else {
            return Ok(());
        };
        let range = DateRange::new(from, to).map_err(|e| ApiError::internal(e.to_string()))?;
        let req = ReportRequest {
            kpis: vec![kpi],
            range,
            granularity: rules::granularity(rule.time_window),
            group_by: rules::group_by_of(rule),
            filter: rules::filter_of(rule),
            compare_to: (rule.condition_kind == ConditionKind::Change)
                .then_some(CompareTo::PreviousPeriod),
            fill_gaps: false,
            totals: false,
        };
        let report = report::report(self.txn, self.tenant, &req).await?;
        let mut instances: Vec<alert::Model> = alert::Entity::find()
            .filter(alert::Column::WorkspaceId.eq(rule.workspace_id))
            .filter(alert::Column::RuleId.eq(rule.id))
            .all(self.txn)
            .await?;
        let label = crate::kpi::buckets::periods(range, req.granularity)
            .first()
            .map(|p| p.label().to_string())
            .unwrap_or_default();
        for row in &report.rows {
            let Some(value) = row.values.first() else {
                continue;
            };
            let fp = fingerprint(rule.id, &row.dimensions);
            let existing = instances
                .iter()
                .position(|a| a.fingerprint == fp)
                .map(|i| instances.swap_remove(i));
            let measured = measure(rule, value);
            self.apply(
                rule,
                existing,
                Some(&row.dimensions),
                (from, to, &label),
                &measured,
            )
            .await?;
        }
        // Instances whose group had no row this period: no data.
        let none = Measured {
            observation: Observation::NoData,
            value: None,
            previous: None,
        };
        for existing in instances {
            self.apply(rule, Some(existing), None, (from, to, &label), &none)
                .await?;
        }
        self.summary.rules += 1;
        Ok(())
    }
}

/// Evaluates the enabled rules of the caller's workspace as of business date `as_of`.
/// Evaluating the same date twice with the same data changes nothing.
///
/// # Errors
/// `INTERNAL`/`TIMEOUT` from the database; nothing of a failed evaluation is kept.
pub async fn evaluate_workspace(
    db: &DatabaseConnection,
    service: &AlertService,
    tenant: &Tenant,
    as_of: NaiveDate,
) -> ApiResult<Summary> {
    let ws = tenant.workspace_id();
    let _guard = service.lock(ws).await;
    let txn = locked(db, ws).await?;
    let rules: Vec<alert_rule::Model> = alert_rule::Entity::find()
        .filter(alert_rule::Column::WorkspaceId.eq(ws))
        .filter(alert_rule::Column::Enabled.eq(true))
        .order_by_asc(alert_rule::Column::Id)
        .all(&txn)
        .await?;
    let webhooks: Vec<i64> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(webhook::Column::WorkspaceId.eq(ws))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut ctx = Ctx {
        txn: &txn,
        tenant,
        webhooks,
        summary: Summary::default(),
    };
    for rule in &rules {
        ctx.evaluate_rule(rule, as_of).await?;
    }
    let summary = ctx.summary;
    txn.commit().await?;
    if summary.events > 0 {
        service.notify_events(ws);
    }
    Ok(summary)
}

/// Acknowledges alert `id` of the caller's workspace (an ACKNOWLEDGED event).
///
/// # Errors
/// `NOT_FOUND` for an unknown or foreign id; `INTERNAL`.
pub async fn acknowledge(
    db: &DatabaseConnection,
    service: &AlertService,
    tenant: &Tenant,
    id: i64,
    note: Option<String>,
) -> ApiResult<alert::Model> {
    let ws = tenant.workspace_id();
    let _guard = service.lock(ws).await;
    let txn = locked(db, ws).await?;
    let found = alert::Entity::find_by_id(id)
        .filter(alert::Column::WorkspaceId.eq(ws))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alert with id {id}")))?;
    let mut row: alert::ActiveModel = found.into();
    row.acknowledged_at = Set(Some(Utc::now()));
    row.ack_note = Set(note.clone());
    let saved = row.update(&txn).await?;
    let webhooks: Vec<i64> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(webhook::Column::WorkspaceId.eq(ws))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut ctx = Ctx {
        txn: &txn,
        tenant,
        webhooks,
        summary: Summary::default(),
    };
    ctx.append(&saved, AlertEventKind::Acknowledged, note)
        .await?;
    txn.commit().await?;
    service.notify_events(ws);
    Ok(saved)
}

/// Events of the caller's workspace after cursor `after`, oldest first; and whether more follow.
///
/// # Errors
/// `INTERNAL`.
pub async fn events_after<C: ConnectionTrait>(
    db: &C,
    workspace_id: i64,
    after: i64,
    first: u64,
) -> ApiResult<(Vec<alert_event::Model>, bool)> {
    let mut rows = alert_event::Entity::find()
        .filter(alert_event::Column::WorkspaceId.eq(workspace_id))
        .filter(alert_event::Column::Id.gt(after))
        .order_by_asc(alert_event::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// How many alerts of the caller's workspace are firing.
///
/// # Errors
/// `INTERNAL`.
pub async fn firing_count<C: ConnectionTrait>(db: &C, tenant: &Tenant) -> ApiResult<u64> {
    Ok(alert::Entity::find()
        .filter(alert::Column::WorkspaceId.eq(tenant.workspace_id()))
        .filter(alert::Column::State.eq(AlertState::Firing))
        .count(db)
        .await?)
}

/// Filters of the alert snapshot.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    pub states: Option<Vec<AlertState>>,
    pub severities: Option<Vec<entity::Severity>>,
    pub kpis: Option<Vec<String>>,
}

/// Current alert instances of the caller's workspace, by id; with the total count.
///
/// # Errors
/// `INTERNAL`.
pub async fn alerts<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    filter: &AlertFilter,
    after: Option<i64>,
    first: u64,
) -> ApiResult<(Vec<(alert::Model, alert_rule::Model)>, bool, u64)> {
    let mut q = alert::Entity::find()
        .filter(alert::Column::WorkspaceId.eq(tenant.workspace_id()))
        .find_also_related(alert_rule::Entity);
    if let Some(states) = &filter.states {
        q = q.filter(alert::Column::State.is_in(states.iter().copied()));
    }
    if let Some(sev) = &filter.severities {
        q = q.filter(alert::Column::Severity.is_in(sev.iter().copied()));
    }
    if let Some(kpis) = &filter.kpis {
        q = q.filter(alert_rule::Column::Kpi.is_in(kpis.iter().cloned()));
    }
    let total = q.clone().count(db).await?;
    if let Some(after) = after {
        q = q.filter(alert::Column::Id.gt(after));
    }
    let rows = q
        .order_by_asc(alert::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > first;
    let items = rows
        .into_iter()
        .take(usize::try_from(first).unwrap_or(usize::MAX))
        .filter_map(|(a, r)| r.map(|r| (a, r)))
        .collect();
    Ok((items, more, total))
}
