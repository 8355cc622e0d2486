//! Webhooks: the endpoints of a workspace, and the worker of `serve` that delivers every alert
//! event to them from the durable outbox `webhook_delivery`.
//!
//! Evaluation only inserts outbox rows, in the transaction that appends the event, so delivery
//! never blocks it and no event is lost when a server stops. The worker claims due rows by moving
//! their `next_attempt_at` forward by a lease in one `UPDATE … RETURNING`; on PostgreSQL the
//! candidate rows are selected `FOR UPDATE SKIP LOCKED`, so servers sharing the database never
//! claim the same row twice. A row whose server dies mid-delivery is due again when its lease
//! ends. Each event is POSTed as JSON, signed with HMAC-SHA256 of the exact body; a 2xx answer
//! marks it delivered, anything else is retried with exponential backoff until the configured
//! number of attempts is used up, and then the row is marked failed (`failed_at`) and kept.
//! Delivery is at least once and not ordered: receivers order and deduplicate by event id.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{alert, alert_event, alert_rule, webhook, webhook_delivery};
use futures::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::AlertService;
use super::store;
use crate::auth::Tenant;
use crate::config::WebhookConfig;
use crate::error::{ApiError, ApiResult};

/// Most webhooks one workspace may have: each event is delivered once per webhook.
pub const MAX_WEBHOOKS: u64 = 20;

/// Longest accepted webhook URL.
const MAX_URL_CHARS: usize = 2048;

/// Longest accepted secret.
const MAX_SECRET_CHARS: usize = 512;

/// Outbox rows one scan claims; they are all delivered concurrently.
const BATCH: u64 = 16;

/// How long a claimed row stays reserved beyond the request timeout.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// Longest `last_error` kept.
const MAX_ERROR_CHARS: usize = 500;

/// The header with the signature, `sha256=<hex HMAC-SHA256 of the body keyed by the secret>`.
pub const SIGNATURE_HEADER: &str = "X-Wekpi-Signature";

/// The header with the event id (the same in every retry of a delivery).
pub const EVENT_ID_HEADER: &str = "X-Wekpi-Event-Id";

fn validate_url(url: &str) -> ApiResult<String> {
    let url = url.trim();
    if url.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::bad_input(format!(
            "a webhook URL has at most {MAX_URL_CHARS} characters"
        )));
    }
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| ApiError::bad_input(format!("the webhook URL is not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ApiError::bad_input(format!(
            "a webhook URL must use http or https, not {}",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::bad_input("a webhook URL must name a host"));
    }
    Ok(parsed.to_string())
}

fn validate_secret(secret: &str) -> ApiResult<()> {
    if secret.trim().is_empty() || secret.chars().count() > MAX_SECRET_CHARS {
        return Err(ApiError::bad_input(format!(
            "a webhook secret must have 1 to {MAX_SECRET_CHARS} characters, not only spaces"
        )));
    }
    Ok(())
}

/// Adds a webhook to the caller's workspace: it receives every event appended from now on.
///
/// # Errors
/// `BAD_USER_INPUT` for a URL that is not http(s) with a host, an empty or overlong secret, or
/// a workspace that has [`MAX_WEBHOOKS`] already; `INTERNAL`.
pub async fn create(
    db: &DatabaseConnection,
    tenant: &Tenant,
    url: &str,
    secret: &str,
) -> ApiResult<webhook::Model> {
    let url = validate_url(url)?;
    validate_secret(secret)?;
    let ws = tenant.workspace_id();
    let existing = webhook::Entity::find()
        .filter(webhook::Column::WorkspaceId.eq(ws))
        .count(db)
        .await?;
    if existing >= MAX_WEBHOOKS {
        return Err(ApiError::bad_input(format!(
            "a workspace has at most {MAX_WEBHOOKS} webhooks: delete one first"
        )));
    }
    Ok(webhook::ActiveModel {
        workspace_id: Set(ws),
        url: Set(url),
        secret: Set(secret.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Deletes webhook `id` of the caller's workspace with its pending deliveries.
///
/// It holds the workspace's alert lock, so no evaluation is adding deliveries to it meanwhile.
///
/// # Errors
/// `NOT_FOUND` for an unknown or foreign id; `INTERNAL`.
pub async fn delete(
    db: &DatabaseConnection,
    service: &AlertService,
    tenant: &Tenant,
    id: i64,
) -> ApiResult<webhook::Model> {
    let ws = tenant.workspace_id();
    let _guard = service.lock(ws).await;
    let txn = store::locked(db, ws).await?;
    let found = webhook::Entity::find_by_id(id)
        .filter(webhook::Column::WorkspaceId.eq(ws))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no webhook with id {id}")))?;
    webhook::Entity::delete_by_id(found.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(found)
}

/// The caller's webhooks, oldest first.
///
/// # Errors
/// `INTERNAL`.
pub async fn list(db: &DatabaseConnection, tenant: &Tenant) -> ApiResult<Vec<webhook::Model>> {
    Ok(webhook::Entity::find()
        .filter(webhook::Column::WorkspaceId.eq(tenant.workspace_id()))
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?)
}

/// The value of [`SIGNATURE_HEADER`] for `body`.
///
/// # Errors
/// `INTERNAL` if the HMAC cannot be keyed (it accepts keys of any length).
pub fn signature(secret: &str, body: &[u8]) -> ApiResult<String> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// The JSON body of a delivery: the fields of the GraphQL `AlertEvent`, plus the rule's KPI and
/// the alert's group.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    id: String,
    cursor: String,
    kind: String,
    alert_id: String,
    rule_id: String,
    kpi: Option<String>,
    /// `[{dimension, key, label}]`, as the alert's `group`.
    group: serde_json::Value,
    state: String,
    severity: Option<String>,
    value: Option<f64>,
    threshold: Option<f64>,
    previous: Option<f64>,
    period_start: Option<NaiveDate>,
    period_end: Option<NaiveDate>,
    note: Option<String>,
    created_at: String,
}

fn payload(
    event: &alert_event::Model,
    alert: Option<&alert::Model>,
    rule: Option<&alert_rule::Model>,
) -> Payload {
    let group = alert
        .and_then(|a| serde_json::from_str(&a.group_keys).ok())
        .unwrap_or_else(|| serde_json::Value::Array(Vec::new()));
    Payload {
        id: event.id.to_string(),
        cursor: crate::directory::encode_cursor(event.id),
        kind: event.kind.to_value(),
        alert_id: event.alert_id.to_string(),
        rule_id: event.rule_id.to_string(),
        kpi: rule.map(|r| r.kpi.clone()),
        group,
        state: event.state.to_value(),
        severity: event.severity.map(|s| s.to_value()),
        value: event.value,
        threshold: event.threshold,
        previous: event.previous,
        period_start: event.period_start,
        period_end: event.period_end,
        note: event.note.clone(),
        created_at: event.created_at.to_rfc3339(),
    }
}

/// One claimed outbox row, ready to send.
struct Job {
    delivery: webhook_delivery::Model,
    url: String,
    secret: String,
    body: Arc<Vec<u8>>,
}

/// The statement that claims up to [`BATCH`] rows due at `now` until `until`.
fn claim_statement(
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> sea_orm::UpdateMany<webhook_delivery::Entity> {
    use webhook_delivery::{Column as C, Entity as D};
    let mut due = D::find()
        .select_only()
        .column(C::Id)
        .filter(C::DeliveredAt.is_null())
        .filter(C::FailedAt.is_null())
        .filter(C::NextAttemptAt.lte(now))
        .order_by_asc(C::NextAttemptAt)
        .order_by_asc(C::Id)
        .limit(BATCH)
        .into_query();
    // Rows another server is claiming are skipped, not waited for, and never claimed twice;
    // SQLite has one writer and its query builder leaves the clause out.
    due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    D::update_many()
        .col_expr(C::NextAttemptAt, Expr::value(until))
        .filter(C::Id.in_subquery(due))
}

/// Claims the due rows by moving `next_attempt_at` to the end of their lease.
async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
) -> ApiResult<Vec<webhook_delivery::Model>> {
    let until = now + chrono::Duration::from_std(lease).map_err(ApiError::internal)?;
    Ok(claim_statement(now, until).exec_with_returning(db).await?)
}

fn by_id<M>(rows: Vec<M>, id: impl Fn(&M) -> i64) -> HashMap<i64, M> {
    rows.into_iter().map(|m| (id(&m), m)).collect()
}

/// The events, alerts, rules and webhooks of the claimed rows, in one statement each.
async fn jobs(
    db: &DatabaseConnection,
    claimed: Vec<webhook_delivery::Model>,
) -> ApiResult<Vec<Job>> {
    let event_ids: Vec<i64> = claimed.iter().map(|d| d.event_id).collect();
    let webhook_ids: Vec<i64> = claimed.iter().map(|d| d.webhook_id).collect();
    let events = by_id(
        alert_event::Entity::find()
            .filter(alert_event::Column::Id.is_in(event_ids))
            .all(db)
            .await?,
        |e| e.id,
    );
    let alerts = by_id(
        alert::Entity::find()
            .filter(alert::Column::Id.is_in(events.values().map(|e| e.alert_id)))
            .all(db)
            .await?,
        |a| a.id,
    );
    let rules = by_id(
        alert_rule::Entity::find()
            .filter(alert_rule::Column::Id.is_in(events.values().map(|e| e.rule_id)))
            .all(db)
            .await?,
        |r| r.id,
    );
    let webhooks = by_id(
        webhook::Entity::find()
            .filter(webhook::Column::Id.is_in(webhook_ids))
            .all(db)
            .await?,
        |w| w.id,
    );
    let mut bodies: HashMap<i64, Arc<Vec<u8>>> = HashMap::new();
    let mut out = Vec::with_capacity(claimed.len());
    for delivery in claimed {
        // A row whose webhook or event was deleted since the claim went with it (cascade).
        let (Some(event), Some(hook)) = (
            events.get(&delivery.event_id),
            webhooks.get(&delivery.webhook_id),
        ) else {
            continue;
        };
        let body = match bodies.get(&event.id) {
            Some(body) => body.clone(),
            None => {
                let p = payload(
                    event,
                    alerts.get(&event.alert_id),
                    rules.get(&event.rule_id),
                );
                let body = Arc::new(serde_json::to_vec(&p).map_err(ApiError::internal)?);
                bodies.insert(event.id, body.clone());
                body
            }
        };
        out.push(Job {
            url: hook.url.clone(),
            secret: hook.secret.clone(),
            delivery,
            body,
        });
    }
    Ok(out)
}

/// Sends one delivery; `Err` holds why it did not succeed.
async fn send(client: &reqwest::Client, job: &Job) -> Result<(), String> {
    let signature = signature(&job.secret, &job.body).map_err(|e| e.detail())?;
    let response = client
        .post(&job.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_ID_HEADER, job.delivery.event_id.to_string())
        .body(job.body.as_ref().clone())
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered HTTP {status}"))
    }
}

/// Records the outcome of one attempt of `delivery`.
async fn record(
    db: &DatabaseConnection,
    config: &WebhookConfig,
    delivery: &webhook_delivery::Model,
    outcome: Result<(), String>,
) -> ApiResult<()> {
    let now = Utc::now();
    let attempts = delivery.attempts.saturating_add(1);
    let mut row = webhook_delivery::ActiveModel {
        attempts: Set(attempts),
        ..Default::default()
    };
    match outcome {
        Ok(()) => {
            row.delivered_at = Set(Some(now));
            row.last_error = Set(None);
        }
        Err(error) => {
            tracing::warn!(
                delivery = delivery.id,
                event = delivery.event_id,
                webhook = delivery.webhook_id,
                attempts,
                %error,
                "webhook delivery failed"
            );
            row.last_error = Set(Some(error.chars().take(MAX_ERROR_CHARS).collect()));
            let failed = u32::try_from(attempts).unwrap_or(u32::MAX);
            if failed >= config.webhook_max_attempts {
                row.failed_at = Set(Some(now));
            } else {
                let wait = chrono::Duration::from_std(config.backoff(failed))
                    .map_err(ApiError::internal)?;
                row.next_attempt_at = Set(now + wait);
            }
        }
    }
    webhook_delivery::Entity::update_many()
        .set(row)
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims one batch and delivers it; returns how many rows it claimed.
async fn drain(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    config: &WebhookConfig,
) -> ApiResult<usize> {
    let claimed = claim(db, Utc::now(), config.timeout() + LEASE_MARGIN).await?;
    let count = claimed.len();
    if count == 0 {
        return Ok(0);
    }
    let jobs = jobs(db, claimed).await?;
    futures::stream::iter(jobs)
        .for_each_concurrent(None, |job| async move {
            let outcome = send(client, &job).await;
            if let Err(e) = record(db, config, &job.delivery, outcome).await {
                tracing::error!(delivery = job.delivery.id, error = %e.detail(), "recording a webhook delivery failed");
            }
        })
        .await;
    Ok(count)
}

/// A TLS configuration with the `ring` provider and the Mozilla root certificates, so that
/// delivery does not depend on the host's certificate store.
fn tls() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The HTTP client of the worker: request timeout, no redirects (a 3xx is a failed attempt).
fn client(config: &WebhookConfig) -> Result<reqwest::Client, Box<dyn std::error::Error>> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls()?)
        .timeout(config.timeout())
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("wekpi-webhook/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Spawns the delivery worker: it drains the outbox every poll interval and soon after this
/// process appends events, until `shutdown` is cancelled (a batch in flight is finished first).
pub fn spawn(
    db: DatabaseConnection,
    service: Arc<AlertService>,
    config: WebhookConfig,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client(&config) {
            Ok(client) => client,
            Err(e) => {
                tracing::error!(error = %e, "the webhook HTTP client cannot be built: webhooks are not delivered");
                return;
            }
        };
        let mut events = service.subscribe();
        while !shutdown.is_cancelled() {
            let claimed = match drain(&db, &client, &config).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e.detail(), "draining the webhook outbox failed");
                    0
                }
            };
            if claimed as u64 == BATCH {
                continue; // more may be due right now
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(config.poll_interval()) => {}
                woke = events.recv() => {
                    if matches!(woke, Err(RecvError::Closed)) {
                        tokio::time::sleep(config.poll_interval()).await;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert_eq!(
            validate_url(" https://hooks.example.com/a?b=1 ").ok(),
            Some("https://hooks.example.com/a?b=1".to_string())
        );
        assert!(validate_url("http://127.0.0.1:9000/x").is_ok());
        for bad in [
            "ftp://example.com/x",
            "mailto:ops@example.com",
            "hooks.example.com/x",
            "http://",
            "",
        ] {
            let err = validate_url(bad).err().map(|e| e.code());
            assert_eq!(err, Some("BAD_USER_INPUT"), "{bad}");
        }
    }

    #[test]
    fn claiming_skips_rows_locked_by_other_servers() {
        use sea_orm::DbBackend;
        let now = Utc::now();
        let sql = |backend| claim_statement(now, now).build(backend).to_string();
        let pg = sql(DbBackend::Postgres);
        assert!(pg.contains("FOR UPDATE SKIP LOCKED"), "{pg}");
        assert!(pg.contains("LIMIT 16"), "{pg}");
        assert!(!sql(DbBackend::Sqlite).contains("FOR UPDATE"));
    }

    #[test]
    fn signature_is_the_rfc_4231_hmac() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?").ok(),
            Some(
                "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
                    .to_string()
            )
        );
    }
}
