//! Who is calling (`viewer`) and API key management.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{db, parse_id};
use crate::auth::{self, Role, RoleGuard, tenant};

/// The caller's workspace and settings.
#[derive(SimpleObject)]
pub struct WorkspaceInfo {
    pub name: String,
    /// IANA time zone in which business dates are counted.
    pub timezone: String,
    pub currency: String,
    /// Gross margin (0–1) applied by LTV.
    pub gross_margin: f64,
    /// Horizon of LTV, in calendar months after the first order.
    pub ltv_horizon_months: i32,
}

/// The authenticated caller.
#[derive(SimpleObject)]
pub struct Viewer {
    pub workspace: WorkspaceInfo,
    /// The name of the key used for this request.
    pub key_name: String,
    pub role: Role,
}

/// An API key as listed; the secret is never shown again.
#[derive(SimpleObject)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<entity::api_key::Model> for ApiKey {
    fn from(m: entity::api_key::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            name: m.name,
            role: m.role.into(),
            prefix: m.prefix,
            created_at: m.created_at,
            revoked_at: m.revoked_at,
        }
    }
}

/// A newly created key with its secret, shown this once.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    /// The key to send as `Authorization: Bearer <secret>`. It is not stored and cannot be shown again.
    pub secret: String,
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The authenticated caller: workspace, key name and role.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let t = tenant(ctx)?;
        Ok(Viewer {
            workspace: info(t.workspace()),
            key_name: t.key_name().to_string(),
            role: t.role(),
        })
    }

    /// The workspace's API keys (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        let keys = auth::list_keys(db(ctx)?, tenant(ctx)?).await?;
        Ok(keys.into_iter().map(ApiKey::from).collect())
    }
}

/// New workspace settings; omitted fields keep their value.
#[derive(async_graphql::InputObject)]
pub struct WorkspaceSettingsInput {
    pub name: Option<String>,
    /// IANA time zone in which business dates are counted; changing it moves orders to the
    /// business date of their `paidAt` in the new zone.
    pub timezone: Option<String>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// 0–1, applied by LTV.
    pub gross_margin: Option<f64>,
    /// 1–120 months after the first order, used by LTV.
    pub ltv_horizon_months: Option<i32>,
}

fn info(ws: &entity::workspace::Model) -> WorkspaceInfo {
    WorkspaceInfo {
        name: ws.name.clone(),
        timezone: ws.timezone.clone(),
        currency: ws.currency.clone(),
        gross_margin: ws.gross_margin,
        ltv_horizon_months: ws.ltv_horizon_months,
    }
}

#[derive(Default)]
pub struct KeyMutation;

#[Object]
impl KeyMutation {
    /// Creates a key of `role` in the caller's workspace; its secret is returned once (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        name: String,
        role: Role,
    ) -> Result<CreatedApiKey> {
        let issued = auth::issue_key(db(ctx)?, tenant(ctx)?.workspace_id(), &name, role).await?;
        Ok(CreatedApiKey {
            api_key: issued.model.into(),
            secret: issued.secret,
        })
    }

    /// Updates the caller's workspace settings (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_workspace_settings(
        &self,
        ctx: &Context<'_>,
        input: WorkspaceSettingsInput,
    ) -> Result<WorkspaceInfo> {
        let settings = crate::workspace::Settings {
            name: input.name,
            timezone: input.timezone,
            currency: input.currency,
            gross_margin: input.gross_margin,
            ltv_horizon_months: input.ltv_horizon_months,
        };
        let saved = crate::workspace::update_settings(db(ctx)?, tenant(ctx)?, &settings).await?;
        Ok(info(&saved))
    }

    /// Revokes a key of the caller's workspace; requests with it are refused from now on (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        let revoked = auth::revoke_key(db(ctx)?, tenant(ctx)?, parse_id(&id, "API key")?).await?;
        Ok(revoked.into())
    }
}
