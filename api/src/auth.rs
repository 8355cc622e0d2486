//! API keys, roles and the per-request tenant context.
//!
//! A key is random, shown once and stored only as its SHA-256 hash. The [`Tenant`] of a request
//! is built here, from the key alone, and every store function takes it: the workspace of a
//! request never comes from an argument. Nothing here knows about GraphQL types beyond the
//! [`Role`] enum and the [`RoleGuard`].

use async_graphql::{Context, Guard};
use chrono::Utc;
use chrono_tz::Tz;
use entity::api_key;
use entity::prelude::{ApiKey, Workspace};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// What a key may do. Each role includes the ones before it.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Queries and subscriptions.
    Read,
    /// Read, plus ingestion.
    Write,
    /// Write, plus accounts, rules, keys, settings and on-demand evaluation.
    Admin,
}

impl From<entity::ApiRole> for Role {
    fn from(role: entity::ApiRole) -> Self {
        match role {
            entity::ApiRole::Read => Self::Read,
            entity::ApiRole::Write => Self::Write,
            entity::ApiRole::Admin => Self::Admin,
        }
    }
}

impl From<Role> for entity::ApiRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Read => Self::Read,
            Role::Write => Self::Write,
            Role::Admin => Self::Admin,
        }
    }
}

/// The authenticated caller: one key of one workspace.
///
/// Only [`authenticate`] creates it, so holding a `Tenant` proves the key was checked.
#[derive(Debug, Clone)]
pub struct Tenant {
    workspace_id: i64,
    key_id: i64,
    key_name: String,
    role: Role,
    workspace: entity::workspace::Model,
    timezone: Tz,
}

impl Tenant {
    /// The caller's workspace id; every query filters on it.
    pub fn workspace_id(&self) -> i64 {
        self.workspace_id
    }
    /// The id of the key that made the request.
    pub fn key_id(&self) -> i64 {
        self.key_id
    }
    /// The name given to the key when it was created.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }
    /// The key's role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// The caller's workspace row (name, time zone, currency, LTV settings).
    pub fn workspace(&self) -> &entity::workspace::Model {
        &self.workspace
    }
    /// The workspace time zone, in which business dates are counted.
    pub fn timezone(&self) -> Tz {
        self.timezone
    }
    /// Today's business date in the workspace time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        Utc::now().with_timezone(&self.timezone).date_naive()
    }

    /// Checks that the key's role is at least `role`.
    ///
    /// # Errors
    /// `FORBIDDEN`, naming both roles, when it is not.
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this operation needs a {role:?} key; this key is {:?}",
                self.role
            )))
        }
    }

    /// A context for work the server does on a workspace's behalf (start-up, scheduler, CLI),
    /// acting with the given role.
    pub fn system(workspace: entity::workspace::Model, role: Role) -> Self {
        let timezone = parse_timezone(&workspace.timezone);
        Self {
            workspace_id: workspace.id,
            key_id: 0,
            key_name: "system".into(),
            role,
            workspace,
            timezone,
        }
    }
}

fn parse_timezone(name: &str) -> Tz {
    // The column is validated on write; an unparseable stored value falls back to the default zone.
    name.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// A newly issued key. `secret` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub model: api_key::Model,
    pub secret: String,
}

fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("wk_{}", hex::encode(bytes))
}

/// Issues a new key of `role` for `workspace_id`.
///
/// # Errors
/// `INTERNAL` when the key cannot be stored.
pub async fn issue_key<C: ConnectionTrait>(
    db: &C,
    workspace_id: i64,
    name: &str,
    role: Role,
) -> ApiResult<IssuedKey> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(ApiError::bad_input(
            "a key name must have 1 to 128 characters",
        ));
    }
    let secret = new_secret();
    let model = api_key::ActiveModel {
        workspace_id: Set(workspace_id),
        name: Set(name.to_string()),
        role: Set(role.into()),
        prefix: Set(secret.chars().take(10).collect()),
        key_hash: Set(hash_key(&secret)),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(IssuedKey { model, secret })
}

/// Revokes key `id` of the caller's workspace. A key of another workspace is `NOT_FOUND`.
///
/// # Errors
/// `NOT_FOUND` for an unknown or foreign id, `BAD_USER_INPUT` when a key revokes itself.
pub async fn revoke_key<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
    id: i64,
) -> ApiResult<api_key::Model> {
    let key = ApiKey::find_by_id(id)
        .filter(api_key::Column::WorkspaceId.eq(tenant.workspace_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no API key with id {id}")))?;
    if key.id == tenant.key_id() {
        return Err(ApiError::bad_input("a key cannot revoke itself"));
    }
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// Lists the caller's workspace keys (hashes are never returned by the API).
///
/// # Errors
/// `INTERNAL` on database failure.
pub async fn list_keys<C: ConnectionTrait>(
    db: &C,
    tenant: &Tenant,
) -> ApiResult<Vec<api_key::Model>> {
    use sea_orm::QueryOrder;
    Ok(ApiKey::find()
        .filter(api_key::Column::WorkspaceId.eq(tenant.workspace_id()))
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// Turns an `Authorization` header value into the request's [`Tenant`], in one statement.
///
/// # Errors
/// `UNAUTHENTICATED` for a missing, malformed, unknown or revoked key.
pub async fn authenticate<C: ConnectionTrait>(db: &C, header: Option<&str>) -> ApiResult<Tenant> {
    let secret = header
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::Unauthenticated)?;
    let found = ApiKey::find()
        .filter(api_key::Column::KeyHash.eq(hash_key(secret)))
        .filter(api_key::Column::RevokedAt.is_null())
        .find_also_related(Workspace)
        .one(db)
        .await?;
    let (key, Some(workspace)) = found.ok_or(ApiError::Unauthenticated)? else {
        return Err(ApiError::Unauthenticated);
    };
    Ok(Tenant {
        workspace_id: key.workspace_id,
        key_id: key.id,
        key_name: key.name,
        role: key.role.into(),
        timezone: parse_timezone(&workspace.timezone),
        workspace,
    })
}

/// The caller's tenant, taken from the request data.
///
/// # Errors
/// `UNAUTHENTICATED` when the request carries none (it never reached the resolvers unauthenticated
/// through the HTTP handler, so this guards other entry points).
pub fn tenant<'a>(ctx: &Context<'a>) -> ApiResult<&'a Tenant> {
    ctx.data_opt::<Tenant>().ok_or(ApiError::Unauthenticated)
}

/// A field guard: the caller's role must be at least `0`.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(tenant(ctx)?.require(self.0)?)
    }
}
