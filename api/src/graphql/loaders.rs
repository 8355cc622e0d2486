//! Per-request DataLoaders for relations (content → account, content → campaign, …).
//!
//! A loader is created for each request and bound to the caller's workspace, so one request's
//! cache never serves another tenant, and a page of N rows resolves each relation in one
//! statement.

use std::collections::HashMap;
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{account, campaign, channel, customer};
use sea_orm::DatabaseConnection;

use crate::directory::{self, Scoped};

/// Loads rows of `E` by id within one workspace.
pub struct ById<E> {
    db: DatabaseConnection,
    workspace_id: i64,
    entity: PhantomData<fn() -> E>,
}

impl<E: Scoped> Loader<i64> for ById<E>
where
    E::Model: Clone + Send + Sync,
{
    type Value = E::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        directory::by_ids::<E, _>(&self.db, self.workspace_id, keys)
            .await
            .map_err(Into::into)
    }
}

/// A request-scoped loader of `E`, cached so that rows primed by a listing are not fetched again.
pub type EntityLoader<E> = DataLoader<ById<E>, HashMapCache>;

fn loader<E: Scoped>(db: &DatabaseConnection, workspace_id: i64) -> EntityLoader<E>
where
    E::Model: Clone + Send + Sync,
{
    DataLoader::with_cache(
        ById {
            db: db.clone(),
            workspace_id,
            entity: PhantomData,
        },
        tokio::spawn,
        HashMapCache::default(),
    )
}

/// Loads, in one statement, the rows of `ids` that a selected relation will ask for, so that the
/// per-row resolvers find them in the cache. Batching by timing alone can split a large page
/// into several statements; priming makes the cost one statement per relation at any page size.
///
/// # Errors
/// The loader's error (database failure).
pub async fn prime<E: Scoped>(
    loader: &EntityLoader<E>,
    ids: impl IntoIterator<Item = i64>,
) -> async_graphql::Result<()>
where
    E::Model: Clone + Send + Sync,
{
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if !ids.is_empty() {
        loader.load_many(ids).await?;
    }
    Ok(())
}

/// The loaders of one request.
pub struct Loaders {
    pub accounts: EntityLoader<account::Entity>,
    pub campaigns: EntityLoader<campaign::Entity>,
    pub channels: EntityLoader<channel::Entity>,
    pub customers: EntityLoader<customer::Entity>,
}

impl Loaders {
    /// Fresh loaders for a request of workspace `workspace_id`.
    pub fn new(db: &DatabaseConnection, workspace_id: i64) -> Self {
        Self {
            accounts: loader(db, workspace_id),
            campaigns: loader(db, workspace_id),
            channels: loader(db, workspace_id),
            customers: loader(db, workspace_id),
        }
    }
}
