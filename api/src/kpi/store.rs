//! Runs KPI statements and keeps the workspace's KPI settings: threshold overrides, data
//! freshness, and the keys and names that label dimension values.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::{account, campaign, channel, content, kpi_threshold};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Set, Statement,
};

use super::catalog::{self, KpiKey};
use super::formulas::Thresholds;
use super::query::{self, Dialect, DimType};
use crate::auth::Tenant;
use crate::directory::{self, Scoped};
use crate::error::{ApiError, ApiResult};

/// One value of a grouping dimension: an entity id or a text (content kind, staff userid).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupVal {
    Id(Option<i64>),
    Text(Option<String>),
}

/// One row of a statement's result.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRow {
    /// The bucket key: the calendar bucket's first day, `total`, or a range index.
    pub bucket: String,
    pub group: Vec<GroupVal>,
    pub sums: Vec<f64>,
}

/// The dialect of a connection.
pub fn dialect<C: ConnectionTrait>(db: &C) -> Dialect {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => Dialect::Postgres,
        _ => Dialect::Sqlite,
    }
}

/// Runs a statement built by `query::build`.
///
/// # Errors
/// `INTERNAL` on database failure, `TIMEOUT` when PostgreSQL cancels it.
pub async fn run<C: ConnectionTrait>(
    db: &C,
    statement: query::Statement,
    dims: &[DimType],
    aggs: usize,
) -> ApiResult<Vec<RawRow>> {
    let stmt =
        Statement::from_sql_and_values(db.get_database_backend(), statement.sql, statement.values);
    let rows = db.query_all_raw(stmt).await?;
    rows.iter()
        .map(|row| {
            let bucket: String = row.try_get_by_index(0)?;
            let mut group = Vec::with_capacity(dims.len());
            for (i, ty) in dims.iter().enumerate() {
                group.push(match ty {
                    DimType::Id => GroupVal::Id(row.try_get_by_index(i + 1)?),
                    DimType::Text => GroupVal::Text(row.try_get_by_index(i + 1)?),
                });
            }
            let mut sums = Vec::with_capacity(aggs);
            for i in 0..aggs {
                let v: Option<f64> = row.try_get_by_index(1 + dims.len() + i)?;
                sums.push(v.unwrap_or(0.0));
            }
            Ok(RawRow {
                bucket,
                group,
                sums,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(ApiError::from)
}

/// The thresholds in force for every KPI of the workspace: overrides, else catalog defaults.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn thresholds<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
) -> ApiResult<HashMap<KpiKey, Thresholds>> {
    let overrides = kpi_threshold::Entity::find()
        .filter(kpi_threshold::Column::WorkspaceId.eq(tenant.workspace_id()))
        .all(db)
        .await?;
    let mut out: HashMap<KpiKey, Thresholds> = catalog::all()
        .iter()
        .map(|d| (d.key, d.thresholds()))
        .collect();
    for o in overrides {
        if let Some(key) = KpiKey::ALL.iter().find(|k| k.to_string() == o.kpi) {
            out.insert(
                *key,
                Thresholds {
                    warning: o.warning,
                    critical: o.critical,
                },
            );
        }
    }
    Ok(out)
}

/// Sets the workspace's thresholds of `key` (both `None` restores nothing: it stores "no
/// thresholds"; use the catalog defaults by setting them explicitly).
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn set_thresholds<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    key: KpiKey,
    thresholds: Thresholds,
) -> ApiResult<()> {
    let row = kpi_threshold::ActiveModel {
        workspace_id: Set(tenant.workspace_id()),
        kpi: Set(key.to_string()),
        warning: Set(thresholds.warning),
        critical: Set(thresholds.critical),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    kpi_threshold::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                kpi_threshold::Column::WorkspaceId,
                kpi_threshold::Column::Kpi,
            ])
            .update_columns([
                kpi_threshold::Column::Warning,
                kpi_threshold::Column::Critical,
                kpi_threshold::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The latest business date with any fact of the workspace.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn data_as_of<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
) -> ApiResult<Option<NaiveDate>> {
    let ws = tenant.workspace_id();
    let parts: Vec<String> = [
        ("content_daily", "date"),
        ("account_daily", "date"),
        ("funnel_daily", "date"),
        ("campaign_daily", "date"),
        ("staff_daily", "date"),
        ("group_daily", "date"),
        ("spend", "date"),
        ("orders", "paid_date"),
    ]
    .iter()
    .map(|(table, column)| {
        format!("SELECT MAX({column}) AS d FROM {table} WHERE workspace_id = {ws}")
    })
    .collect();
    let sql = format!("SELECT MAX(d) FROM ({}) latest", parts.join(" UNION ALL "));
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(match row {
        Some(row) => row.try_get_by_index::<Option<NaiveDate>>(0)?,
        None => None,
    })
}

/// Key and name of an entity, to label a dimension value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub key: String,
    pub name: Option<String>,
}

async fn labels_of<E: Scoped, C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    ids: &[i64],
    name: impl Fn(&E::Model) -> (String, String),
) -> ApiResult<HashMap<i64, Label>> {
    let found = directory::by_ids::<E, _>(db, tenant.workspace_id(), ids).await?;
    Ok(found
        .into_iter()
        .map(|(id, m)| {
            let (key, name) = name(&m);
            (
                id,
                Label {
                    key,
                    name: Some(name),
                },
            )
        })
        .collect())
}

/// Labels of the entity ids of a dimension: accounts, contents, campaigns or channels.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn labels<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    dimension: catalog::Dimension,
    ids: &[i64],
) -> ApiResult<HashMap<i64, Label>> {
    use catalog::Dimension as D;
    match dimension {
        D::Account => {
            labels_of::<account::Entity, _>(db, tenant, ids, |m| (m.key.clone(), m.name.clone()))
                .await
        }
        D::Content => {
            labels_of::<content::Entity, _>(db, tenant, ids, |m| (m.key.clone(), m.title.clone()))
                .await
        }
        D::Campaign => {
            labels_of::<campaign::Entity, _>(db, tenant, ids, |m| (m.key.clone(), m.name.clone()))
                .await
        }
        D::Channel => {
            labels_of::<channel::Entity, _>(db, tenant, ids, |m| (m.key.clone(), m.name.clone()))
                .await
        }
        D::ContentKind | D::Staff => Ok(HashMap::new()),
    }
}

/// The ids of the workspace's campaigns of the given kinds.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn campaigns_of_kinds<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    kinds: &[entity::CampaignKind],
) -> ApiResult<Vec<i64>> {
    use sea_orm::QuerySelect;
    Ok(campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .filter(campaign::Column::WorkspaceId.eq(tenant.workspace_id()))
        .filter(campaign::Column::Kind.is_in(kinds.iter().copied()))
        .into_tuple()
        .all(db)
        .await?)
}
