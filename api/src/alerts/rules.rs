//! Alert rules: validation, storage, and the default rules every new workspace starts with.

use chrono::Utc;
use entity::{ChangeMode, ConditionKind, Operator, TimeWindow, alert_rule};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::error::{ApiError, ApiResult};
use crate::kpi::buckets::{DateRange, Granularity};
use crate::kpi::catalog::{Dimension, KpiKey};
use crate::kpi::report::{self, FilterKeys, ReportRequest};

/// A rule as created or updated.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSpec {
    pub name: String,
    pub kpi: KpiKey,
    pub filter: FilterKeys,
    pub group_by: Vec<Dimension>,
    pub window: TimeWindow,
    pub kind: ConditionKind,
    pub operator: Operator,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub warning_recovery: Option<f64>,
    pub critical_recovery: Option<f64>,
    pub change_mode: Option<ChangeMode>,
    pub pending_periods: i32,
    pub min_denominator: f64,
    pub enabled: bool,
}

/// The filter as stored (JSON with API names).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    accounts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contents: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_kinds: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaigns: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign_kinds: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    staff: Option<Vec<String>>,
}

fn enum_names<E: sea_orm::ActiveEnum<Value = String>>(v: &Option<Vec<E>>) -> Option<Vec<String>> {
    v.as_ref()
        .map(|v| v.iter().map(sea_orm::ActiveEnum::to_value).collect())
}

fn enum_values<E: sea_orm::ActiveEnum<Value = String>>(v: Option<Vec<String>>) -> Option<Vec<E>> {
    v.map(|v| v.iter().filter_map(|s| E::try_from_value(s).ok()).collect())
}

fn filter_json(f: &FilterKeys) -> String {
    let stored = StoredFilter {
        accounts: f.accounts.clone(),
        contents: f.contents.clone(),
        content_kinds: enum_names(&f.content_kinds),
        campaigns: f.campaigns.clone(),
        campaign_kinds: enum_names(&f.campaign_kinds),
        channels: f.channels.clone(),
        staff: f.staff.clone(),
    };
    serde_json::to_string(&stored).unwrap_or_else(|_| "{}".into())
}

/// The filter of a stored rule.
pub fn filter_of(rule: &alert_rule::Model) -> FilterKeys {
    let s: StoredFilter = serde_json::from_str(&rule.filter).unwrap_or_default();
    FilterKeys {
        accounts: s.accounts,
        contents: s.contents,
        content_kinds: enum_values(s.content_kinds),
        campaigns: s.campaigns,
        campaign_kinds: enum_values(s.campaign_kinds),
        channels: s.channels,
        staff: s.staff,
    }
}

/// The grouping dimensions of a stored rule.
pub fn group_by_of(rule: &alert_rule::Model) -> Vec<Dimension> {
    let names: Vec<String> = serde_json::from_str(&rule.group_by).unwrap_or_default();
    names.iter().filter_map(|n| dimension_named(n)).collect()
}

fn dimension_named(name: &str) -> Option<Dimension> {
    [
        Dimension::Account,
        Dimension::Content,
        Dimension::ContentKind,
        Dimension::Campaign,
        Dimension::Channel,
        Dimension::Staff,
    ]
    .into_iter()
    .find(|d| d.to_string() == name)
}

/// The KPI of a stored rule.
pub fn kpi_of(rule: &alert_rule::Model) -> Option<KpiKey> {
    KpiKey::ALL
        .iter()
        .copied()
        .find(|k| k.to_string() == rule.kpi)
}

/// The report granularity of a window.
pub fn granularity(window: TimeWindow) -> Granularity {
    match window {
        TimeWindow::Day => Granularity::Day,
        TimeWindow::Week => Granularity::Week,
        TimeWindow::Month => Granularity::Month,
    }
}

/// Checks a rule, with a message that says what to change.
///
/// # Errors
/// `BAD_USER_INPUT`.
pub fn validate(spec: &RuleSpec) -> ApiResult<()> {
    let bad = |m: String| Err(ApiError::bad_input(m));
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return bad("a rule name must have 1 to 200 characters".into());
    }
    if spec.warning.is_none() && spec.critical.is_none() {
        return bad("a condition needs a warning or a critical threshold (or both)".into());
    }
    let values = [
        spec.warning,
        spec.critical,
        spec.warning_recovery,
        spec.critical_recovery,
    ];
    if values
        .iter()
        .flatten()
        .chain([&spec.min_denominator])
        .any(|v| !v.is_finite())
    {
        return bad("thresholds and minDenominator must be finite numbers".into());
    }
    match (spec.kind, spec.change_mode) {
        (ConditionKind::Change, None) => {
            return bad("a CHANGE condition needs changeMode (RELATIVE or ABSOLUTE)".into());
        }
        (ConditionKind::Threshold, Some(_)) => {
            return bad("changeMode applies to CHANGE conditions only".into());
        }
        _ => {}
    }
    // `worse(a, b)`: a is at least as far on the breaching side as b.
    let below = spec.operator == Operator::Below;
    let worse = |a: f64, b: f64| if below { a <= b } else { a >= b };
    let side = if below { "below" } else { "above" };
    if let (Some(w), Some(c)) = (spec.warning, spec.critical)
        && !worse(c, w)
    {
        return bad(format!(
            "with operator {:?} the critical threshold ({c}) must be {side} or equal to the warning threshold ({w})",
            spec.operator
        ));
    }
    for (level, threshold, recovery) in [
        ("warning", spec.warning, spec.warning_recovery),
        ("critical", spec.critical, spec.critical_recovery),
    ] {
        match (threshold, recovery) {
            (None, Some(_)) => return bad(format!("{level}Recovery needs a {level} threshold")),
            (Some(t), Some(r)) if !worse(t, r) => {
                return bad(format!(
                    "{level}Recovery ({r}) must be on the good side of the {level} threshold ({t})"
                ));
            }
            _ => {}
        }
    }
    if !(1..=1000).contains(&spec.pending_periods) {
        return bad("pendingPeriods must be between 1 and 1000".into());
    }
    if spec.min_denominator < 0.0 {
        return bad("minDenominator must not be negative".into());
    }
    // The same checks as a report over one window: dimensions, filters, cohort months.
    let day = chrono::NaiveDate::MIN;
    let probe = ReportRequest {
        kpis: vec![spec.kpi],
        range: DateRange::new(day, day).map_err(|e| ApiError::bad_input(e.to_string()))?,
        granularity: granularity(spec.window),
        group_by: spec.group_by.clone(),
        filter: spec.filter.clone(),
        compare_to: None,
        fill_gaps: false,
        totals: false,
    };
    report::validate(&probe)
}

fn active(spec: &RuleSpec) -> alert_rule::ActiveModel {
    let group_by: Vec<String> = spec.group_by.iter().map(ToString::to_string).collect();
    alert_rule::ActiveModel {
        name: Set(spec.name.trim().to_string()),
        kpi: Set(spec.kpi.to_string()),
        filter: Set(filter_json(&spec.filter)),
        group_by: Set(serde_json::to_string(&group_by).unwrap_or_else(|_| "[]".into())),
        time_window: Set(spec.window),
        condition_kind: Set(spec.kind),
        operator: Set(spec.operator),
        warning: Set(spec.warning),
        critical: Set(spec.critical),
        warning_recovery: Set(spec.warning_recovery),
        critical_recovery: Set(spec.critical_recovery),
        change_mode: Set(spec.change_mode),
        pending_periods: Set(spec.pending_periods),
        min_denominator: Set(spec.min_denominator),
        enabled: Set(spec.enabled),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
}

/// Creates a rule in workspace `workspace_id`.
///
/// # Errors
/// `BAD_USER_INPUT` for an invalid rule; `INTERNAL` on database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    workspace_id: i64,
    spec: &RuleSpec,
) -> ApiResult<alert_rule::Model> {
    validate(spec)?;
    let mut row = active(spec);
    row.workspace_id = Set(workspace_id);
    row.created_at = Set(Utc::now());
    Ok(row.insert(db).await?)
}

/// Finds rule `id` of the caller's workspace.
///
/// # Errors
/// `NOT_FOUND` for an unknown or foreign id.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    id: i64,
) -> ApiResult<alert_rule::Model> {
    alert_rule::Entity::find_by_id(id)
        .filter(alert_rule::Column::WorkspaceId.eq(tenant.workspace_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alert rule with id {id}")))
}

/// Replaces rule `id` of the caller's workspace. Its alerts keep their history.
///
/// # Errors
/// `NOT_FOUND`, `BAD_USER_INPUT`, `INTERNAL`.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    id: i64,
    spec: &RuleSpec,
) -> ApiResult<alert_rule::Model> {
    validate(spec)?;
    let existing = find(db, tenant, id).await?;
    let mut row = active(spec);
    row.id = Set(existing.id);
    row.workspace_id = Set(existing.workspace_id);
    row.created_at = Set(existing.created_at);
    Ok(row.update(db).await?)
}

/// Deletes rule `id` of the caller's workspace with its alerts and their events.
///
/// # Errors
/// `NOT_FOUND`, `INTERNAL`.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    id: i64,
) -> ApiResult<alert_rule::Model> {
    let existing = find(db, tenant, id).await?;
    alert_rule::Entity::delete_by_id(existing.id)
        .exec(db)
        .await?;
    Ok(existing)
}

/// The caller's rules, oldest first.
///
/// # Errors
/// `INTERNAL`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    workspace_id: i64,
) -> ApiResult<Vec<alert_rule::Model>> {
    Ok(alert_rule::Entity::find()
        .filter(alert_rule::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(alert_rule::Column::Id)
        .all(db)
        .await?)
}

fn threshold_rule(
    name: &str,
    kpi: KpiKey,
    window: TimeWindow,
    group_by: Vec<Dimension>,
    warning: f64,
) -> RuleSpec {
    RuleSpec {
        name: name.into(),
        kpi,
        filter: FilterKeys::default(),
        group_by,
        window,
        kind: ConditionKind::Threshold,
        operator: Operator::Below,
        warning: Some(warning),
        critical: None,
        warning_recovery: None,
        critical_recovery: None,
        change_mode: None,
        pending_periods: 1,
        min_denominator: 0.0,
        enabled: true,
    }
}

fn for_campaigns(mut spec: RuleSpec, kind: entity::CampaignKind) -> RuleSpec {
    spec.filter.campaign_kinds = Some(vec![kind]);
    spec
}

/// The rules implied by the catalog's default thresholds (SPEC §4), for a new workspace.
pub fn defaults() -> Vec<RuleSpec> {
    use Dimension::{Account, Campaign, Channel};
    use TimeWindow::{Month, Week};
    vec![
        threshold_rule(
            "Read-through rate below 20%",
            KpiKey::ReadThroughRate,
            Week,
            vec![Account],
            0.20,
        ),
        threshold_rule(
            "Payment conversion below 5%",
            KpiKey::PaymentConversion,
            Week,
            vec![Account],
            0.05,
        ),
        threshold_rule(
            "Share coefficient below 0.15",
            KpiKey::ShareCoefficient,
            Week,
            vec![Account],
            0.15,
        ),
        threshold_rule(
            "Three-month repurchase below 25%",
            KpiKey::RepurchaseRate3M,
            Month,
            vec![Channel],
            0.25,
        ),
        RuleSpec {
            critical: Some(1.0),
            ..threshold_rule(
                "LTV below 3× CAC",
                KpiKey::LtvCacRatio,
                Month,
                vec![Channel],
                3.0,
            )
        },
        RuleSpec {
            kind: ConditionKind::Change,
            operator: Operator::Above,
            change_mode: Some(ChangeMode::Relative),
            ..threshold_rule(
                "Unfollow rate up 5% week over week",
                KpiKey::UnfollowRate,
                Week,
                vec![Account],
                0.05,
            )
        },
        threshold_rule(
            "Group activity below 30%",
            KpiKey::GroupActivityRate,
            Week,
            vec![Account],
            0.30,
        ),
        for_campaigns(
            threshold_rule(
                "Interaction campaign participation below 30%",
                KpiKey::ParticipationRate,
                Week,
                vec![Campaign],
                0.30,
            ),
            entity::CampaignKind::Interaction,
        ),
        for_campaigns(
            threshold_rule(
                "Promotion ROI below 5",
                KpiKey::Roi,
                Month,
                vec![Campaign],
                5.0,
            ),
            entity::CampaignKind::Promotion,
        ),
        for_campaigns(
            threshold_rule(
                "Brand campaign UGC below 100 posts",
                KpiKey::UgcPosts,
                Week,
                vec![Campaign],
                100.0,
            ),
            entity::CampaignKind::Brand,
        ),
    ]
}

/// Creates the default rules for a new workspace.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn create_defaults<C: ConnectionTrait>(db: &C, workspace_id: i64) -> ApiResult<()> {
    for spec in defaults() {
        create(db, workspace_id, &spec).await?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn base() -> RuleSpec {
        threshold_rule("r", KpiKey::ReadThroughRate, TimeWindow::Day, vec![], 0.2)
    }

    #[test]
    fn every_default_rule_is_valid() {
        for spec in defaults() {
            validate(&spec).unwrap_or_else(|e| panic!("{}: {}", spec.name, e.message()));
        }
    }

    #[test]
    fn invalid_rules_are_refused_with_a_reason() {
        let cases: Vec<(RuleSpec, &str)> = vec![
            (
                RuleSpec {
                    kind: ConditionKind::Change,
                    ..base()
                },
                "changeMode",
            ),
            (
                RuleSpec {
                    change_mode: Some(ChangeMode::Relative),
                    ..base()
                },
                "CHANGE conditions only",
            ),
            (
                RuleSpec {
                    critical: Some(0.3),
                    ..base()
                },
                "critical threshold",
            ),
            (
                RuleSpec {
                    warning: None,
                    ..base()
                },
                "warning or a critical",
            ),
            (
                RuleSpec {
                    warning_recovery: Some(0.1),
                    ..base()
                },
                "good side",
            ),
            (
                RuleSpec {
                    pending_periods: 0,
                    ..base()
                },
                "pendingPeriods",
            ),
            (
                RuleSpec {
                    min_denominator: -1.0,
                    ..base()
                },
                "minDenominator",
            ),
            (
                RuleSpec {
                    group_by: vec![Dimension::Channel],
                    ..base()
                },
                "cannot be grouped by CHANNEL",
            ),
            (
                RuleSpec {
                    kpi: KpiKey::RepurchaseRate3M,
                    group_by: vec![],
                    ..base()
                },
                "cohort months",
            ),
        ];
        for (spec, needle) in cases {
            let err = validate(&spec).unwrap_err().message();
            assert!(err.contains(needle), "expected `{needle}` in `{err}`");
        }
    }
}
