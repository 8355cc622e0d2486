//! The one set-based, idempotent upsert that every ingest kind goes through.
//!
//! Given rows as active models, it reads the existing rows that share their natural keys in one
//! statement per chunk, classifies each row as inserted, updated or unchanged, and writes the new
//! and changed ones with batched `INSERT … ON CONFLICT (natural key) DO UPDATE`. It knows nothing
//! about validation or references: callers hand it rows that are ready to store, inside the
//! transaction they want.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait,
    IdenStatic, Iterable, ModelTrait, QueryFilter, Value,
};

/// How rows of one table are identified and compared.
pub struct UpsertPlan<E: EntityTrait> {
    /// The natural key columns, `workspace_id` first.
    pub key: Vec<E::Column>,
    /// Natural key columns that may be NULL (they are matched with `IS NULL` too).
    pub nullable_key: Vec<E::Column>,
    /// The unique index's target, as the `ON CONFLICT` clause must spell it.
    pub conflict: Vec<Expr>,
    /// Columns refreshed on every write but ignored when deciding whether a row changed.
    pub touch: Vec<E::Column>,
    /// Columns written on insert only (e.g. `created_at`).
    pub insert_only: Vec<E::Column>,
}

impl<E: EntityTrait> UpsertPlan<E> {
    /// The columns whose values decide whether a row changed: every column but the id, the
    /// key, the touched and the insert-only ones.
    fn compared(&self) -> Vec<E::Column> {
        E::Column::iter()
            .filter(|c| {
                let name = c.as_str();
                name != "id"
                    && !self.key.iter().any(|k| k.as_str() == name)
                    && !self.touch.iter().any(|k| k.as_str() == name)
                    && !self.insert_only.iter().any(|k| k.as_str() == name)
            })
            .collect()
    }
}

/// How many rows each outcome had.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// Bound parameters per statement stay below this, far under both backends' limits.
const MAX_PARAMS: usize = 30_000;

fn set_value(value: ActiveValue<Value>) -> Option<Value> {
    match value {
        ActiveValue::Set(v) | ActiveValue::Unchanged(v) => Some(v),
        ActiveValue::NotSet => None,
    }
}

fn key_of_active<A: ActiveModelTrait>(
    row: &A,
    key: &[<A::Entity as EntityTrait>::Column],
) -> String {
    key.iter()
        .map(|c| format!("{:?}", set_value(row.get(*c))))
        .collect::<Vec<_>>()
        .join("|")
}

fn key_of_model<M: ModelTrait>(row: &M, key: &[<M::Entity as EntityTrait>::Column]) -> String {
    key.iter()
        .map(|c| format!("{:?}", Some(row.get(*c))))
        .collect::<Vec<_>>()
        .join("|")
}

/// Writes `rows` (whose natural keys are distinct) and reports what happened to each.
///
/// # Errors
/// Any database error; the caller's transaction decides what is kept.
pub async fn upsert<E, A, C>(db: &C, plan: &UpsertPlan<E>, rows: Vec<A>) -> Result<Counts, DbErr>
where
    E: EntityTrait<ActiveModel = A>,
    A: ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    let mut counts = Counts::default();
    if rows.is_empty() {
        return Ok(counts);
    }
    let compared = plan.compared();
    let columns = E::Column::iter().count().max(1);
    let chunk_rows = (MAX_PARAMS / columns).clamp(1, 5_000);

    let mut rows = rows;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(chunk_rows));
        let chunk = std::mem::replace(&mut rows, rest);
        let existing = existing_rows(db, plan, &chunk).await?;
        let mut to_write = Vec::with_capacity(chunk.len());
        for row in chunk {
            match existing.get(&key_of_active(&row, &plan.key)) {
                None => {
                    counts.inserted += 1;
                    to_write.push(row);
                }
                Some(old) => {
                    let same = compared
                        .iter()
                        .all(|c| set_value(row.get(*c)).is_none_or(|v| v == old.get(*c)));
                    if same {
                        counts.unchanged += 1;
                    } else {
                        counts.updated += 1;
                        to_write.push(row);
                    }
                }
            }
        }
        write(db, plan, &compared, to_write).await?;
    }
    Ok(counts)
}

/// Inserts or updates `rows`. A row updates only the columns it sets, so a partial row (a
/// platform payload that carries some of a fact's columns) never overwrites the others: rows are
/// grouped by the columns they set, one statement per group.
async fn write<E, A, C>(
    db: &C,
    plan: &UpsertPlan<E>,
    compared: &[E::Column],
    rows: Vec<A>,
) -> Result<(), DbErr>
where
    E: EntityTrait<ActiveModel = A>,
    A: ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    let mut groups: HashMap<Vec<bool>, Vec<A>> = HashMap::new();
    for row in rows {
        let signature = compared.iter().map(|c| row.get(*c).is_set()).collect();
        groups.entry(signature).or_default().push(row);
    }
    for (signature, group) in groups {
        let updated = compared
            .iter()
            .zip(signature)
            .filter_map(|(c, set)| set.then_some(*c))
            .chain(plan.touch.iter().copied());
        let mut on_conflict = OnConflict::new();
        on_conflict
            .exprs(plan.conflict.iter().cloned())
            .update_columns(updated);
        E::insert_many(group)
            .on_conflict(on_conflict)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The stored rows that share a natural key with one of `rows`, by key string.
async fn existing_rows<E, A, C>(
    db: &C,
    plan: &UpsertPlan<E>,
    rows: &[A],
) -> Result<HashMap<String, E::Model>, DbErr>
where
    E: EntityTrait<ActiveModel = A>,
    A: ActiveModelTrait<Entity = E>,
    C: ConnectionTrait,
{
    // A superset query: each key column within the values the chunk uses. The exact match on
    // the whole key happens below, in memory, over at most a chunk's worth of candidates.
    let mut condition = Condition::all();
    for column in &plan.key {
        let mut values: Vec<Value> = rows
            .iter()
            .filter_map(|r| set_value(r.get(*column)))
            .collect();
        values.sort_by_key(|v| format!("{v:?}"));
        values.dedup();
        let mut part = Condition::any().add(column.is_in(values));
        if plan
            .nullable_key
            .iter()
            .any(|c| c.as_str() == column.as_str())
        {
            part = part.add(column.is_null());
        }
        condition = condition.add(part);
    }
    let found = E::find().filter(condition).all(db).await?;
    Ok(found
        .into_iter()
        .map(|m| (key_of_model(&m, &plan.key), m))
        .collect())
}
