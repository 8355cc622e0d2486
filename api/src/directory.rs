//! Reads of the workspace's directory: accounts, contents, campaigns, channels and customers.
//!
//! Every function takes the [`Tenant`] and filters on its workspace, so a key of workspace A
//! cannot see, count or learn of B's rows. Listing is keyset-paginated on the surrogate id.
//! Writes to these tables belong to `ingest`.

use std::collections::HashMap;

use entity::{account, campaign, channel, content, customer};
use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::auth::Tenant;
use crate::error::{ApiError, ApiResult};

/// Largest page any listing returns.
pub const MAX_PAGE_SIZE: u64 = 500;

/// The opaque cursor of the row with surrogate id `id`, as every connection and the alert feed
/// (GraphQL and webhooks) show it.
pub fn encode_cursor(id: i64) -> String {
    hex::encode(format!("id:{id}"))
}

/// The id of a cursor made by [`encode_cursor`]; `None` for anything else.
pub fn decode_cursor(cursor: &str) -> Option<i64> {
    let text = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    text.strip_prefix("id:")?.parse().ok()
}

/// An entity that belongs to one workspace and has a natural `key`.
pub trait Scoped: EntityTrait {
    /// The `workspace_id` column.
    const WORKSPACE: Self::Column;
    /// The surrogate `id` column.
    const ID: Self::Column;
    /// The natural `key` column.
    const KEY: Self::Column;
    /// Name used in messages, e.g. "account".
    const NOUN: &'static str;
    /// The id of a row.
    fn id_of(model: &Self::Model) -> i64;
}

macro_rules! scoped {
    ($module:ident, $noun:literal) => {
        impl Scoped for $module::Entity {
            const WORKSPACE: Self::Column = $module::Column::WorkspaceId;
            const ID: Self::Column = $module::Column::Id;
            const KEY: Self::Column = $module::Column::Key;
            const NOUN: &'static str = $noun;
            fn id_of(model: &Self::Model) -> i64 {
                model.id
            }
        }
    };
}
scoped!(account, "account");
scoped!(content, "content");
scoped!(campaign, "campaign");
scoped!(channel, "channel");
scoped!(customer, "customer");

/// One page of a listing.
#[derive(Debug)]
pub struct Page<M> {
    pub items: Vec<M>,
    pub has_next: bool,
    pub total_count: u64,
}

/// A page request: at most `first` rows after the row with id `after`.
#[derive(Debug, Clone, Copy)]
pub struct PageArgs {
    pub first: u64,
    pub after: Option<i64>,
}

impl PageArgs {
    /// Checks the page size against [`MAX_PAGE_SIZE`].
    ///
    /// # Errors
    /// `BAD_USER_INPUT` when `first` is negative or above the maximum.
    pub fn new(first: Option<i32>, after: Option<i64>) -> ApiResult<Self> {
        let first = first.unwrap_or(100);
        match u64::try_from(first) {
            Ok(n) if n <= MAX_PAGE_SIZE => Ok(Self { first: n, after }),
            _ => Err(ApiError::bad_input(format!(
                "`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}"
            ))),
        }
    }
}

/// Lists rows of `E` in the caller's workspace matching `filter`, in id order.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn list<E: Scoped, C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    filter: Condition,
    page: PageArgs,
) -> ApiResult<Page<E::Model>>
where
    E::Model: Sync,
{
    let scoped = E::find()
        .filter(E::WORKSPACE.eq(tenant.workspace_id()))
        .filter(filter);
    let total_count = scoped.clone().count(db).await?;
    let mut query = scoped.order_by_asc(E::ID).limit(page.first + 1);
    if let Some(after) = page.after {
        query = query.filter(E::ID.gt(after));
    }
    let mut items = query.all(db).await?;
    let has_next = items.len() as u64 > page.first;
    items.truncate(usize::try_from(page.first).unwrap_or(usize::MAX));
    Ok(Page {
        items,
        has_next,
        total_count,
    })
}

/// Fetches the row of `E` with natural key `key` in the caller's workspace.
///
/// # Errors
/// `INTERNAL` on database failure; an unknown key is `Ok(None)`.
pub async fn by_key<E: Scoped, C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    key: &str,
) -> ApiResult<Option<E::Model>> {
    Ok(E::find()
        .filter(E::WORKSPACE.eq(tenant.workspace_id()))
        .filter(E::KEY.eq(key))
        .one(db)
        .await?)
}

/// Fetches rows of `E` by id, in one statement, keeping only the caller's workspace.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn by_ids<E: Scoped, C: ConnectionTrait>(
    db: &C,
    workspace_id: i64,
    ids: &[i64],
) -> ApiResult<HashMap<i64, E::Model>> {
    let rows = E::find()
        .filter(E::WORKSPACE.eq(workspace_id))
        .filter(E::ID.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| (E::id_of(&m), m)).collect())
}

/// A condition that is always true, for unfiltered listings.
pub fn all() -> Condition {
    Condition::all()
}

/// `column = value` when `value` is given.
pub fn eq_opt<C: ColumnTrait, V: Into<sea_orm::Value>>(column: C, value: Option<V>) -> Condition {
    match value {
        Some(v) => column.eq(v).into_condition(),
        None => Condition::all(),
    }
}

/// The ids of `keys` of entity `E` in the caller's workspace; unknown keys are absent.
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn ids_for_keys<E: Scoped, C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    keys: &[String],
) -> ApiResult<HashMap<String, i64>> {
    let mut out = HashMap::with_capacity(keys.len());
    // Chunked so that the bound parameters stay far below SQLite's limit.
    for chunk in keys.chunks(5_000) {
        let rows: Vec<(i64, String)> = E::find()
            .select_only()
            .column(E::ID)
            .column(E::KEY)
            .filter(E::WORKSPACE.eq(tenant.workspace_id()))
            .filter(E::KEY.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|(id, key)| (key, id)));
    }
    Ok(out)
}
