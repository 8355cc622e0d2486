//! Webhooks API: endpoints that receive every alert event, signed (ADMIN).

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::webhook;

use super::parse_id;
use super::{alert_service, db};
use crate::alerts::webhook as store;
use crate::auth::{Role, RoleGuard, tenant};

pub struct Webhook(pub webhook::Model);

/// An endpoint that receives every alert event of the workspace as a signed JSON POST. The
/// secret is never shown again.
#[Object]
impl Webhook {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Where events are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The workspace's webhooks (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<Webhook>> {
        let found = store::list(db(ctx)?, tenant(ctx)?).await?;
        Ok(found.into_iter().map(Webhook).collect())
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Adds a webhook (ADMIN). Every event appended from now on is POSTed to `url` (http or
    /// https) with the header `X-Wekpi-Signature: sha256=<hex HMAC-SHA256 of the body keyed by
    /// secret>`, and retried with backoff until the receiver answers 2xx.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        url: String,
        secret: String,
    ) -> Result<Webhook> {
        Ok(Webhook(
            store::create(db(ctx)?, tenant(ctx)?, &url, &secret).await?,
        ))
    }

    /// Deletes a webhook and its pending deliveries (ADMIN).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<Webhook> {
        let id = parse_id(&id, "webhook")?;
        Ok(Webhook(
            store::delete(db(ctx)?, alert_service(ctx)?, tenant(ctx)?, id).await?,
        ))
    }
}
