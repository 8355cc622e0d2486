//! Push delivery of alert events: the `alertEvents` subscription over graphql-transport-ws on a
//! real socket, and signed webhooks delivered (and retried) by the worker `serve` runs.
//!
//! Every test breaches one custom rule: READ_THROUGH_RATE (completions / reads) BELOW 0.2 over a
//! DAY window, grouped by account, after deleting the workspace's default rules. Content `a1` of
//! account `oa` has 10 completions of 100 reads on 2025-06-09 (10 / 100 = 0.1 < 0.2), so
//! evaluating as of 2025-06-10 fires a WARNING; 50 of 100 on 2025-06-10 (0.5) resolves it as of
//! 2025-06-11.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode, header};
use futures::{SinkExt, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use wekpi_api::app::AppState;
use wekpi_api::config::WebhookConfig;

use crate::both_backends;
use crate::helpers::{TestApp, error_code};

/// How long a test waits for something pushed before it fails.
const PATIENCE: Duration = Duration::from_secs(15);

const EVENT_FIELDS: &str = "id cursor kind alertId ruleId state severity value threshold previous periodStart periodEnd note createdAt";

/// Replaces the default rules by the breaching one; returns its id.
async fn rule(app: &TestApp, admin: &str) -> String {
    let rules = app.ok(admin, "{ alertRules { id } }", json!({})).await;
    for r in rules["alertRules"].as_array().unwrap() {
        app.ok(
            admin,
            "mutation($id: ID!) { deleteAlertRule(id: $id) { id } }",
            json!({ "id": r["id"] }),
        )
        .await;
    }
    let created = app
        .ok(
            admin,
            r#"mutation { createAlertRule(input: {
                 name: "Read-through below 20% yesterday", kpi: READ_THROUGH_RATE, window: DAY,
                 groupBy: [ACCOUNT], condition: { kind: THRESHOLD, operator: BELOW, warning: 0.2 } }) { id } }"#,
            json!({}),
        )
        .await;
    created["createAlertRule"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Account `oa`, content `a1`, and the breaching day 2025-06-09.
async fn breach(app: &TestApp, admin: &str) {
    app.ok(
        admin,
        r#"mutation {
          upsertAccounts(rows: [{key: "oa", kind: SERVICE_ACCOUNT, name: "OA"}]) { inserted }
          upsertContents(rows: [{key: "a1", account: "oa", kind: ARTICLE, title: "A1", publishedAt: "2025-06-01T00:00:00Z"}]) { inserted } }"#,
        json!({}),
    )
    .await;
    day(app, admin, "2025-06-09", 10).await;
}

/// Records `completions` of 100 reads of `a1` on `date`.
async fn day(app: &TestApp, admin: &str, date: &str, completions: i64) {
    app.ok(
        admin,
        "mutation($d: Date!, $c: Int!) { recordContentDaily(rows: [{content: \"a1\", date: $d, deliveries: 200, opens: 80, reads: 100, readers: 90, completions: $c}]) { inserted updated } }",
        json!({ "d": date, "c": completions }),
    )
    .await;
}

/// Evaluates as of `as_of`; returns the number of events created.
async fn evaluate(app: &TestApp, admin: &str, as_of: &str) -> i64 {
    let done = app
        .ok(
            admin,
            "mutation($d: Date!) { evaluateAlerts(asOf: $d) { eventsCreated } }",
            json!({ "d": as_of }),
        )
        .await;
    done["evaluateAlerts"]["eventsCreated"].as_i64().unwrap()
}

/// The whole feed, as the GraphQL query returns it.
async fn feed(app: &TestApp, key: &str) -> Vec<Value> {
    let data = app
        .ok(
            key,
            &format!("{{ alertEvents(first: 500) {{ edges {{ node {{ {EVENT_FIELDS} }} }} }} }}"),
            json!({}),
        )
        .await;
    data["alertEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// A server on 127.0.0.1.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub(crate) async fn start(state: AppState) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(wekpi_api::app::serve(listener, state, shutdown.clone()));
        Self {
            addr,
            shutdown,
            task,
        }
    }

    /// Shuts the server down; it must stop at once, open subscriptions or not.
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        let stopped = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        assert!(
            matches!(stopped, Ok(Ok(Ok(())))),
            "the server did not stop promptly"
        );
    }
}

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the server sent next.
#[derive(Debug)]
pub(crate) enum Frame {
    Json(Value),
    Closed(u16, String),
}

pub(crate) async fn connect(addr: SocketAddr) -> Ws {
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    ws
}

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

pub(crate) async fn next_frame(ws: &mut Ws) -> Frame {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, ws.next())
            .await
            .expect("the server sent nothing in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                return Frame::Json(serde_json::from_str(&text).unwrap());
            }
            Some(Ok(Message::Close(frame))) => {
                return frame.map_or(Frame::Closed(1005, String::new()), |f| {
                    Frame::Closed(f.code.into(), f.reason.to_string())
                });
            }
            Some(Ok(_)) => {} // ping, pong
            Some(Err(e)) => panic!("websocket error: {e}"),
            None => return Frame::Closed(1006, String::new()),
        }
    }
}

/// Sends `connection_init` with `payload` and returns the answer.
pub(crate) async fn init(ws: &mut Ws, payload: Value) -> Frame {
    send(ws, json!({ "type": "connection_init", "payload": payload })).await;
    next_frame(ws).await
}

pub(crate) async fn subscribe(ws: &mut Ws, id: &str, after: Option<&str>) {
    let query = format!(
        "subscription($after: String) {{ alertEvents(after: $after) {{ {EVENT_FIELDS} }} }}"
    );
    send(
        ws,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": { "after": after } } }),
    )
    .await;
}

/// The next event pushed: (subscription id, event).
async fn next_event(ws: &mut Ws) -> (String, Value) {
    match next_frame(ws).await {
        Frame::Json(msg) if msg["type"] == "next" => {
            assert!(msg["payload"].get("errors").is_none(), "{msg}");
            (
                msg["id"].as_str().unwrap().to_string(),
                msg["payload"]["data"]["alertEvents"].clone(),
            )
        }
        other => panic!("expected an event, got {other:?}"),
    }
}

/// POSTs a GraphQL request to another router over the same database: another server process.
async fn gql_elsewhere(router: &axum::Router, key: &str, query: &str, variables: Value) -> Value {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::from(
            json!({ "query": query, "variables": variables }).to_string(),
        ))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(value.get("errors").is_none(), "{value}");
    value["data"].clone()
}

/// The one delivery row: attempts, delivered, failed, has an error (0 or 1 each but attempts).
const STATE: &str = "SELECT CAST(attempts AS BIGINT),
    CAST(CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END AS BIGINT),
    CAST(CASE WHEN failed_at IS NULL THEN 0 ELSE 1 END AS BIGINT),
    CAST(CASE WHEN last_error IS NULL THEN 0 ELSE 1 END AS BIGINT) FROM webhook_delivery";

/// Waits until `sql` selects `expected`.
async fn wait_for(app: &TestApp, sql: &str, expected: &[i64]) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = app.ints(sql, expected.len()).await;
        if got == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql}: {got:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn a_subscriber_gets_the_replay_then_live_events_then_events_of_other_servers(app: TestApp) {
        let admin = app.workspace("acme").await;
        let reader = app.key(&admin, "READ").await;
        let rule_id = rule(&app, &admin).await;
        breach(&app, &admin).await;
        assert_eq!(evaluate(&app, &admin, "2025-06-10").await, 1);
        let server = Server::start(app.state.clone()).await;
        let addr = server.addr;

        let mut ws = connect(addr).await;
        match init(&mut ws, json!({ "Authorization": format!("Bearer {reader}") })).await {
            Frame::Json(ack) => assert_eq!(ack["type"], "connection_ack", "{ack}"),
            other => panic!("expected connection_ack, got {other:?}"),
        }
        subscribe(&mut ws, "all", None).await;
        // The event committed before the subscription: replayed.
        let (sub, fired) = next_event(&mut ws).await;
        assert_eq!(sub, "all");
        assert_eq!(fired["kind"], "FIRED");
        assert_eq!(fired["ruleId"], rule_id.as_str());
        assert_eq!(fired["state"], "FIRING");
        assert_eq!(fired["severity"], "WARNING");
        assert_eq!(fired["value"], 0.1); // 10 / 100
        assert_eq!(fired["threshold"], 0.2);
        assert_eq!(fired["periodStart"], "2025-06-09");
        assert_eq!(fired["periodEnd"], "2025-06-09");

        // An evaluation after the replay was sent: pushed live (0.5 is back above 0.2).
        day(&app, &admin, "2025-06-10", 50).await;
        assert_eq!(evaluate(&app, &admin, "2025-06-11").await, 1);
        let (_, resolved) = next_event(&mut ws).await;
        assert_eq!(resolved["kind"], "RESOLVED");
        assert_eq!(resolved["state"], "RESOLVED");
        assert_eq!(resolved["value"], 0.5); // 50 / 100

        // Another server process on the same database (its own alert service, so no signal
        // reaches this one): its event arrives through the feed's polling.
        let elsewhere = wekpi_api::app::router(AppState::new(app.db.clone(), app.config.limits.clone()));
        let alert_id = resolved["alertId"].as_str().unwrap().to_string();
        gql_elsewhere(&elsewhere, &admin, "mutation($id: ID!) { acknowledgeAlert(id: $id, note: \"seen\") { id } }", json!({ "id": alert_id })).await;
        let (_, acked) = next_event(&mut ws).await;
        assert_eq!(acked["kind"], "ACKNOWLEDGED");
        assert_eq!(acked["note"], "seen");

        // Exactly the feed, in order, nothing repeated or skipped.
        let polled = feed(&app, &reader).await;
        assert_eq!(polled, vec![fired.clone(), resolved.clone(), acked.clone()]);

        // A second subscription resuming after the first event starts with the second.
        subscribe(&mut ws, "resume", fired["cursor"].as_str()).await;
        let (sub, first) = next_event(&mut ws).await;
        assert_eq!(sub, "resume");
        assert_eq!(first, resolved);
        let (_, second) = next_event(&mut ws).await;
        assert_eq!(second, acked);

        // A new event reaches both subscriptions, once each.
        day(&app, &admin, "2025-06-11", 5).await; // 5 / 100 = 0.05 < 0.2: fires again
        assert_eq!(evaluate(&app, &admin, "2025-06-12").await, 1);
        let mut got = [next_event(&mut ws).await, next_event(&mut ws).await];
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got[0].0, "all");
        assert_eq!(got[1].0, "resume");
        assert_eq!(got[0].1, got[1].1);
        assert_eq!(got[0].1["kind"], "FIRED");
        assert_eq!(got[0].1["value"], 0.05);
        server.stop().await;
    }

    async fn a_connection_without_a_valid_key_is_refused(app: TestApp) {
        let admin = app.workspace("acme").await;
        let server = Server::start(app.state.clone()).await;
        let addr = server.addr;
        let revoked = app.key(&admin, "READ").await;
        let revoked_id = app.ok(&admin, "{ apiKeys { id name } }", json!({})).await["apiKeys"]
            .as_array().unwrap().last().unwrap()["id"].clone();
        app.ok(&admin, "mutation($id: ID!) { revokeApiKey(id: $id) { id } }", json!({ "id": revoked_id })).await;
        for payload in [
            json!({}),
            json!({ "Authorization": "Bearer wk_0000" }),
            json!({ "authorization": admin.clone() }), // no "Bearer "
            json!({ "apiKey": revoked }),
        ] {
            let mut ws = connect(addr).await;
            match init(&mut ws, payload.clone()).await {
                Frame::Closed(code, reason) => {
                    assert_eq!(code, 1002, "{payload}");
                    assert!(reason.contains("API key"), "{payload}: {reason}");
                }
                other => panic!("{payload}: expected the connection to be closed, got {other:?}"),
            }
        }
        // Subscribing without connection_init is refused too.
        let mut ws = connect(addr).await;
        subscribe(&mut ws, "1", None).await;
        assert!(matches!(next_frame(&mut ws).await, Frame::Closed(1011, _)));
        // The accepted spellings of the key.
        for payload in [json!({ "authorization": format!("Bearer {admin}") }), json!({ "apiKey": admin })] {
            let mut ws = connect(addr).await;
            match init(&mut ws, payload.clone()).await {
                Frame::Json(ack) => assert_eq!(ack["type"], "connection_ack"),
                other => panic!("{payload}: expected connection_ack, got {other:?}"),
            }
        }
        server.stop().await;
    }

    async fn webhooks_are_managed_by_admins_of_their_workspace(app: TestApp) {
        let admin = app.workspace("acme").await;
        let other = app.workspace("globex").await;
        let reader = app.key(&admin, "READ").await;
        const CREATE: &str = "mutation($u: String!, $s: String!) { createWebhook(url: $u, secret: $s) { id url createdAt } }";
        for (url, secret) in [
            ("ftp://hooks.example.com/x", "s3cret"),
            ("hooks.example.com/x", "s3cret"),
            ("https://", "s3cret"),
            ("https://hooks.example.com/x", " "),
        ] {
            let resp = app.gql(Some(&admin), CREATE, json!({ "u": url, "s": secret })).await;
            assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{url} {secret:?}: {resp}");
        }
        let resp = app.gql(Some(&reader), CREATE, json!({ "u": "https://hooks.example.com/x", "s": "s3cret" })).await;
        assert_eq!(error_code(&resp), "FORBIDDEN");
        assert_eq!(error_code(&app.gql(Some(&reader), "{ webhooks { id } }", json!({})).await), "FORBIDDEN");

        let created = app.ok(&admin, CREATE, json!({ "u": "https://hooks.example.com/x", "s": "s3cret" })).await;
        let hook = &created["createWebhook"];
        assert_eq!(hook["url"], "https://hooks.example.com/x");
        let listed = app.ok(&admin, "{ webhooks { id url } }", json!({})).await;
        assert_eq!(listed["webhooks"], json!([{ "id": hook["id"], "url": "https://hooks.example.com/x" }]));
        // The secret is not part of the type.
        let resp = app.gql(Some(&admin), "{ webhooks { secret } }", json!({})).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT");

        // Another workspace neither sees nor deletes it.
        assert_eq!(app.ok(&other, "{ webhooks { id } }", json!({})).await["webhooks"], json!([]));
        const DELETE: &str = "mutation($id: ID!) { deleteWebhook(id: $id) { id url } }";
        let resp = app.gql(Some(&other), DELETE, json!({ "id": hook["id"] })).await;
        assert_eq!(error_code(&resp), "NOT_FOUND");

        // An event while the webhook exists is queued for it; deleting the webhook drops it.
        rule(&app, &admin).await;
        breach(&app, &admin).await;
        assert_eq!(evaluate(&app, &admin, "2025-06-10").await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_delivery").await, 1);
        let deleted = app.ok(&admin, DELETE, json!({ "id": hook["id"] })).await;
        assert_eq!(deleted["deleteWebhook"]["id"], hook["id"]);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_delivery").await, 0);
        assert_eq!(app.ok(&admin, "{ webhooks { id } }", json!({})).await["webhooks"], json!([]));
        let resp = app.gql(Some(&admin), DELETE, json!({ "id": hook["id"] })).await;
        assert_eq!(error_code(&resp), "NOT_FOUND");
    }

    async fn a_webhook_receives_each_event_signed(app: TestApp) {
        let receiver = Receiver::start(0).await;
        let secret = "whsec-3f9a";
        let (admin, shutdown, workers) = fire_with_webhooks(&app, &receiver.url, &[secret], 1, &fast(5)).await;

        let mut hits = receiver.hits;
        let hit = hits.next().await;
        assert_eq!(hit.content_type, "application/json");
        // The signature, checked here with the HMAC crate directly: the key is the secret,
        // the message the exact body.
        let hex_sig = hit.signature.strip_prefix("sha256=").expect("sha256= prefix");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&hit.body);
        mac.verify_slice(&hex::decode(hex_sig).unwrap()).expect("a valid signature");
        let mut tampered = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        tampered.update(&[&hit.body[..], b" "].concat());
        assert!(tampered.verify_slice(&hex::decode(hex_sig).unwrap()).is_err());

        // The body carries the GraphQL event's fields, the KPI and the alert's group.
        let body: Value = serde_json::from_slice(&hit.body).unwrap();
        let events = feed(&app, &admin).await;
        assert_eq!(events.len(), 1);
        for (field, value) in events[0].as_object().unwrap() {
            assert_eq!(&body[field], value, "{field}");
        }
        assert_eq!(hit.event_id, events[0]["id"].as_str().unwrap());
        assert_eq!(body["kind"], "FIRED");
        assert_eq!(body["kpi"], "READ_THROUGH_RATE");
        let alerts = app.ok(&admin, "{ alerts { edges { node { group { dimension key label } } } } }", json!({})).await;
        assert_eq!(body["group"], alerts["alerts"]["edges"][0]["node"]["group"]);
        assert_eq!(body["group"][0]["dimension"], "ACCOUNT");
        assert_eq!(body["group"][0]["key"], "oa");

        // Delivered once, recorded so.
        wait_for(&app, STATE, &[1, 1, 0, 0]).await;
        // The next event is delivered too, once.
        day(&app, &admin, "2025-06-10", 50).await;
        assert_eq!(evaluate(&app, &admin, "2025-06-11").await, 1);
        let second: Value = serde_json::from_slice(&hits.next().await.body).unwrap();
        assert_eq!(second["kind"], "RESOLVED");
        wait_for(&app, "SELECT COUNT(*) FROM webhook_delivery WHERE delivered_at IS NOT NULL", &[2]).await;
        assert_eq!(receiver.count.load(Ordering::SeqCst), 2);
        shutdown.cancel();
        for worker in workers {
            tokio::time::timeout(PATIENCE, worker).await.expect("the worker stops").unwrap();
        }
    }

    async fn a_failed_delivery_is_retried_with_backoff(app: TestApp) {
        let receiver = Receiver::start(2).await; // 500, 500, then 200
        let config = fast(5);
        let (_, shutdown, _) = fire_with_webhooks(&app, &receiver.url, &["k"], 1, &config).await;

        let mut hits = receiver.hits;
        let tries = [hits.next().await, hits.next().await, hits.next().await];
        assert!(tries.iter().all(|t| t.body == tries[0].body && t.event_id == tries[0].event_id));
        // The retries wait the base backoff, then twice that.
        let base = Duration::from_millis(config.webhook_backoff_ms);
        assert!(tries[1].at - tries[0].at >= base, "{:?}", tries[1].at - tries[0].at);
        assert!(tries[2].at - tries[1].at >= base * 2, "{:?}", tries[2].at - tries[1].at);
        // Three attempts, delivered, the earlier error cleared.
        wait_for(&app, STATE, &[3, 1, 0, 0]).await;
        assert_eq!(receiver.count.load(Ordering::SeqCst), 3);
        shutdown.cancel();
    }

    async fn servers_sharing_the_database_deliver_each_event_once(app: TestApp) {
        let receiver = Receiver::start(0).await;
        // Five webhooks with different secrets: each (webhook, event) has its own signature.
        // Three workers, as three servers would run them, all woken by the same events.
        let secrets = ["s0", "s1", "s2", "s3", "s4"];
        let (admin, shutdown, _) = fire_with_webhooks(&app, &receiver.url, &secrets, 3, &fast(5)).await;
        day(&app, &admin, "2025-06-10", 50).await;
        assert_eq!(evaluate(&app, &admin, "2025-06-11").await, 1);
        day(&app, &admin, "2025-06-11", 5).await;
        assert_eq!(evaluate(&app, &admin, "2025-06-12").await, 1);
        // 3 events × 5 webhooks = 15 deliveries, each once.
        let mut hits = receiver.hits;
        let mut signatures = std::collections::HashSet::new();
        for _ in 0..15 {
            assert!(signatures.insert(hits.next().await.signature), "a delivery arrived twice");
        }
        wait_for(&app, "SELECT COUNT(*) FROM webhook_delivery WHERE delivered_at IS NOT NULL AND attempts = 1", &[15]).await;
        tokio::time::sleep(Duration::from_millis(300)).await; // 15 polls of each worker
        assert_eq!(receiver.count.load(Ordering::SeqCst), 15);
        shutdown.cancel();
    }

    async fn a_delivery_is_given_up_after_its_last_attempt(app: TestApp) {
        let receiver = Receiver::start(usize::MAX).await; // always 500
        let config = fast(2);
        let (_, shutdown, _) = fire_with_webhooks(&app, &receiver.url, &["k"], 1, &config).await;
        wait_for(&app, STATE, &[2, 0, 1, 1]).await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_delivery WHERE last_error LIKE '%500%'").await, 1);
        // No third attempt: ten polls and more than the next backoff later, still two.
        tokio::time::sleep(config.poll_interval() * 10 + config.backoff(2)).await;
        assert_eq!(receiver.count.load(Ordering::SeqCst), 2);
        shutdown.cancel();
    }
}

/// A workspace with one webhook to `url` per secret, `workers` delivery workers (as that many
/// servers would run), and the breaching rule evaluated as of 2025-06-10: one FIRED event.
/// Returns the ADMIN key, the workers' shutdown token and the workers.
async fn fire_with_webhooks(
    app: &TestApp,
    url: &str,
    secrets: &[&str],
    workers: usize,
    config: &WebhookConfig,
) -> (String, CancellationToken, Vec<tokio::task::JoinHandle<()>>) {
    let admin = app.workspace("acme").await;
    for secret in secrets {
        app.ok(
            &admin,
            "mutation($u: String!, $s: String!) { createWebhook(url: $u, secret: $s) { id } }",
            json!({ "u": url, "s": secret }),
        )
        .await;
    }
    let shutdown = CancellationToken::new();
    let handles = (0..workers)
        .map(|_| {
            wekpi_api::alerts::webhook::spawn(
                app.db.clone(),
                app.state.alerts.clone(),
                config.clone(),
                shutdown.clone(),
            )
        })
        .collect();
    rule(app, &admin).await;
    breach(app, &admin).await;
    assert_eq!(evaluate(app, &admin, "2025-06-10").await, 1);
    (admin, shutdown, handles)
}

/// A worker configuration for tests: fast polls, a 100 ms base backoff.
fn fast(max_attempts: u32) -> WebhookConfig {
    WebhookConfig {
        webhook_poll_ms: 20,
        webhook_backoff_ms: 100,
        webhook_max_backoff_secs: 60,
        webhook_max_attempts: max_attempts,
        webhook_timeout_secs: 5,
    }
}

/// One request the receiver got.
struct Hit {
    at: Instant,
    content_type: String,
    signature: String,
    event_id: String,
    body: Bytes,
}

struct Hits(mpsc::UnboundedReceiver<Hit>);

impl Hits {
    async fn next(&mut self) -> Hit {
        tokio::time::timeout(PATIENCE, self.0.recv())
            .await
            .expect("a delivery in time")
            .expect("the receiver runs")
    }
}

/// A webhook receiver on 127.0.0.1 that answers 500 to its first `failures` requests, then 200.
struct Receiver {
    url: String,
    count: Arc<AtomicUsize>,
    hits: Hits,
}

#[derive(Clone)]
struct ReceiverState {
    failures: usize,
    count: Arc<AtomicUsize>,
    hits: mpsc::UnboundedSender<Hit>,
}

async fn receive(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = s.count.fetch_add(1, Ordering::SeqCst) + 1;
    let text = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let _ = s.hits.send(Hit {
        at: Instant::now(),
        content_type: text("content-type"),
        signature: text("x-wekpi-signature"),
        event_id: text("x-wekpi-event-id"),
        body,
    });
    if n <= s.failures {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

impl Receiver {
    async fn start(failures: usize) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let count = Arc::new(AtomicUsize::new(0));
        let state = ReceiverState {
            failures,
            count: count.clone(),
            hits: tx,
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}/hook"),
            count,
            hits: Hits(rx),
        }
    }
}
