//! The tenant isolation matrix, generated from the schema: every query, mutation and
//! subscription field is called by workspace A with workspace B's keys and ids, and by workspace
//! C — identical to A, for which those keys and ids simply do not exist. The two answers must be
//! equal (after masking ids and timestamps, which differ between any two workspaces), so no
//! value, count or error message reveals B; and B's rows must be unchanged at the end.
//! A field of the schema without a case fails the test.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::push::{Frame, Server, connect, init, next_frame, subscribe};

/// The root fields of one operation type in the served SDL.
fn root_fields(sdl: &str, type_name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut inside = false;
    let mut in_doc = false;
    for line in sdl.lines() {
        if line.starts_with(&format!("type {type_name} ")) {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if line == "}" {
            break;
        }
        let t = line.trim();
        if t == "\"\"\"" {
            in_doc = !in_doc;
            continue;
        }
        if in_doc || t.starts_with("\"\"\"") || !line.starts_with('\t') || line.starts_with("\t\t")
        {
            continue;
        }
        let name: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !name.is_empty() && t[name.len()..].starts_with(['(', ':']) {
            out.insert(name);
        }
    }
    out
}

/// Masks what differs between any two workspaces: ids, cursors, secrets, timestamps.
fn mask(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            let masked = if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                "<id>"
            } else if s.starts_with("wk_") {
                "<secret>"
            } else if s.len() >= 6 && s.len() % 2 == 0 && s.chars().all(|c| c.is_ascii_hexdigit()) {
                "<cursor>"
            } else if s.len() >= 20
                && s.as_bytes().get(4) == Some(&b'-')
                && s.contains('T')
                && s.contains(':')
            {
                "<time>"
            } else {
                return Value::String(s.clone());
            };
            Value::String(masked.into())
        }
        Value::Array(a) => Value::Array(a.iter().map(mask).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let v = if k == "message" {
                        mask_message(v)
                    } else {
                        mask(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Error messages may quote an id that is the caller's own (e.g. a created row).
fn mask_message(v: &Value) -> Value {
    let Some(s) = v.as_str() else { return mask(v) };
    let masked: Vec<String> = s
        .split(' ')
        .map(|w| {
            if !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()) {
                "<id>".into()
            } else {
                w.to_string()
            }
        })
        .collect();
    Value::String(masked.join(" "))
}

/// Everything of workspace `ws`, as text: any change to B's rows changes it.
async fn snapshot(app: &TestApp, ws: i64) -> String {
    use entity::*;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mut out = String::new();
    macro_rules! dump {
        ($($m:ident),*) => {$(
            let rows = $m::Entity::find()
                .filter($m::Column::WorkspaceId.eq(ws))
                .order_by_asc($m::Column::Id)
                .all(&app.db)
                .await
                .unwrap();
            out.push_str(&format!("{}: {rows:?}\n", stringify!($m)));
        )*};
    }
    dump!(
        api_key,
        account,
        channel,
        campaign,
        content,
        customer,
        order,
        spend,
        content_daily,
        account_daily,
        funnel_daily,
        campaign_daily,
        staff_daily,
        group_daily,
        kpi_threshold,
        alert_rule,
        alert,
        alert_event,
        webhook,
        webhook_delivery
    );
    let ws_row = workspace::Entity::find_by_id(ws)
        .one(&app.db)
        .await
        .unwrap();
    out.push_str(&format!("workspace: {ws_row:?}\n"));
    out
}

/// B's identifiers that the cases use.
struct B {
    key_id: String,
    rule_id: String,
    alert_id: String,
    webhook_id: String,
    cursor: String,
}

async fn populate_b(app: &TestApp, b: &str) -> B {
    app.ok(b, r#"mutation {
      upsertAccounts(rows: [{key: "acc-b", kind: SERVICE_ACCOUNT, name: "B account"}, {key: "wc-b", kind: WECOM, name: "B WeCom"}]) { inserted }
      upsertChannels(rows: [{key: "ch-b", name: "B channel"}]) { inserted }
      upsertCampaigns(rows: [{key: "camp-b", kind: INTERACTION, name: "B campaign", startsOn: "2026-03-01", endsOn: "2026-03-31", budget: "100.00"}]) { inserted }
    }"#, json!({})).await;
    app.ok(b, r#"mutation {
      upsertContents(rows: [{key: "con-b", account: "acc-b", kind: ARTICLE, title: "B secret title", publishedAt: "2026-03-01T00:00:00Z", campaign: "camp-b"}]) { inserted }
      upsertCustomers(rows: [{key: "cust-b", channel: "ch-b", account: "acc-b"}]) { inserted }
    }"#, json!({})).await;
    app.ok(b, r#"mutation {
      recordContentDaily(rows: [{content: "con-b", date: "2026-03-02", deliveries: 100, opens: 20, reads: 50, completions: 2}]) { inserted }
      recordAccountDaily(rows: [{account: "acc-b", date: "2026-03-02", newFollowers: 5, unfollows: 1, totalFollowers: 900}]) { inserted }
      recordFunnelDaily(rows: [{account: "acc-b", campaign: "camp-b", date: "2026-03-02", visits: 10, checkouts: 3, payments: 1}]) { inserted }
      recordCampaignDaily(rows: [{campaign: "camp-b", date: "2026-03-02", reached: 100, participants: 10, ugcPosts: 3}]) { inserted }
      recordStaffDaily(rows: [{account: "wc-b", staff: "li", date: "2026-03-02", chats: 5, repliedChats: 4}]) { inserted }
      recordGroupDaily(rows: [{account: "wc-b", staff: "li", date: "2026-03-02", membersTotal: 50, activeMembers: 5}]) { inserted }
      recordOrders(rows: [{key: "ord-b", customer: "cust-b", paidAt: "2026-03-02T03:00:00Z", amount: "88.00", channel: "ch-b", campaign: "camp-b", account: "acc-b"}]) { inserted }
      recordSpend(rows: [{date: "2026-03-02", amount: "50.00", channel: "ch-b", campaign: "camp-b"}]) { inserted }
      setKpiThresholds(kpi: OPEN_RATE, warning: 0.5) { warning }
      createWebhook(url: "http://127.0.0.1:9/hook", secret: "b-secret") { id }
    }"#, json!({})).await;
    let rule = app.ok(b, r#"mutation { createAlertRule(input: {name: "B rule", kpi: READ_THROUGH_RATE, window: DAY,
        condition: {kind: THRESHOLD, operator: BELOW, warning: 0.2}}) { id } }"#, json!({})).await;
    app.ok(
        b,
        r#"mutation { evaluateAlerts(asOf: "2026-03-03") { eventsCreated } }"#,
        json!({}),
    )
    .await;
    let ids = app.ok(b, "{ apiKeys { id } webhooks { id } alerts(filter: {kpis: [READ_THROUGH_RATE]}) { edges { node { id } } } alertEvents { edges { cursor } } }", json!({})).await;
    B {
        key_id: ids["apiKeys"][0]["id"].as_str().unwrap().into(),
        rule_id: rule["createAlertRule"]["id"].as_str().unwrap().into(),
        alert_id: ids["alerts"]["edges"][0]["node"]["id"]
            .as_str()
            .expect("B has a firing alert")
            .into(),
        webhook_id: ids["webhooks"][0]["id"].as_str().unwrap().into(),
        cursor: ids["alertEvents"]["edges"][0]["cursor"]
            .as_str()
            .unwrap()
            .into(),
    }
}

/// (field, document, variables): each document calls the field with B's keys and ids.
fn cases(b: &B) -> Vec<(&'static str, &'static str, Value)> {
    let rule_input = json!({ "name": "x", "kpi": "READ_THROUGH_RATE", "window": "DAY",
        "filter": { "accounts": ["acc-b"], "contents": ["con-b"], "campaigns": ["camp-b"] },
        "condition": { "kind": "THRESHOLD", "operator": "BELOW", "warning": 0.2 } });
    vec![
        // Queries.
        (
            "viewer",
            "{ viewer { role keyName workspace { name timezone currency grossMargin ltvHorizonMonths } } }",
            json!({}),
        ),
        ("apiKeys", "{ apiKeys { id name role prefix } }", json!({})),
        (
            "accounts",
            "{ accounts(first: 50) { totalCount edges { node { key name } } } }",
            json!({}),
        ),
        (
            "contents",
            "query($a: String, $c: String) { contents(account: $a, campaign: $c) { totalCount edges { node { key title } } } }",
            json!({ "a": "acc-b", "c": "camp-b" }),
        ),
        (
            "campaigns",
            "{ campaigns { totalCount edges { node { key name budget } } } }",
            json!({}),
        ),
        (
            "channels",
            "{ channels { totalCount edges { node { key name } } } }",
            json!({}),
        ),
        (
            "customers",
            "query($ch: String) { customers(channel: $ch) { totalCount edges { node { key } } } }",
            json!({ "ch": "ch-b" }),
        ),
        (
            "account",
            "{ account(key: \"acc-b\") { key name } }",
            json!({}),
        ),
        (
            "content",
            "{ content(key: \"con-b\") { key title } }",
            json!({}),
        ),
        (
            "campaign",
            "{ campaign(key: \"camp-b\") { key name } }",
            json!({}),
        ),
        (
            "kpiCatalog",
            "{ kpiCatalog { key thresholds { warning critical } } }",
            json!({}),
        ),
        (
            "kpiReport",
            "query($f: KpiFilter) { kpiReport(input: {kpis: [OPEN_RATE, GMV, SPEND, NEW_CUSTOMERS], range: {from: \"2026-03-01\", to: \"2026-03-31\"}, granularity: DAY, groupBy: [CAMPAIGN], filter: $f, compareTo: PREVIOUS_YEAR}) { rows { period { label } dimensions { key label } values { kpi value numerator denominator status previous } } totals { kpi value } meta { dataAsOf } } }",
            json!({ "f": { "campaigns": ["camp-b"] } }),
        ),
        (
            "cohorts",
            "{ cohorts(input: {range: {from: \"2026-01-01\", to: \"2026-03-31\"}, filter: {channels: [\"ch-b\"]}}) { cohorts { month size retained } } }",
            json!({}),
        ),
        ("alertRules", "{ alertRules { name kpi } }", json!({})),
        (
            "alerts",
            "{ alerts { totalCount edges { node { state value group { key } } } } }",
            json!({}),
        ),
        (
            "alertEvents",
            "query($after: String) { alertEvents(after: $after) { edges { node { kind value } } pageInfo { hasNextPage } } }",
            json!({ "after": b.cursor }),
        ),
        ("webhooks", "{ webhooks { id url } }", json!({})),
        // Mutations that name B's ids.
        (
            "revokeApiKey",
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            json!({ "id": b.key_id }),
        ),
        (
            "updateAlertRule",
            "mutation($id: ID!, $i: AlertRuleInput!) { updateAlertRule(id: $id, input: $i) { id } }",
            json!({ "id": b.rule_id, "i": rule_input }),
        ),
        (
            "deleteAlertRule",
            "mutation($id: ID!) { deleteAlertRule(id: $id) { id } }",
            json!({ "id": b.rule_id }),
        ),
        (
            "acknowledgeAlert",
            "mutation($id: ID!) { acknowledgeAlert(id: $id, note: \"x\") { id } }",
            json!({ "id": b.alert_id }),
        ),
        (
            "deleteWebhook",
            "mutation($id: ID!) { deleteWebhook(id: $id) { id } }",
            json!({ "id": b.webhook_id }),
        ),
        // Mutations that refer to B's keys (unknown to the caller).
        (
            "recordContentDaily",
            "mutation { recordContentDaily(rows: [{content: \"con-b\", date: \"2026-03-05\", reads: 1}]) { inserted updated unchanged rejected { index field code message } } }",
            json!({}),
        ),
        (
            "recordAccountDaily",
            "mutation { recordAccountDaily(rows: [{account: \"acc-b\", date: \"2026-03-05\", newFollowers: 1}]) { inserted rejected { field code message } } }",
            json!({}),
        ),
        (
            "recordFunnelDaily",
            "mutation { recordFunnelDaily(rows: [{account: \"acc-b\", campaign: \"camp-b\", date: \"2026-03-05\", visits: 1}]) { inserted rejected { field code message } } }",
            json!({}),
        ),
        (
            "recordCampaignDaily",
            "mutation { recordCampaignDaily(rows: [{campaign: \"camp-b\", date: \"2026-03-05\", reached: 1}]) { inserted rejected { field code message } } }",
            json!({}),
        ),
        (
            "recordStaffDaily",
            "mutation { recordStaffDaily(rows: [{account: \"wc-b\", staff: \"li\", date: \"2026-03-05\", chats: 1}]) { inserted rejected { field code message } } }",
            json!({}),
        ),
        (
            "recordGroupDaily",
            "mutation { recordGroupDaily(rows: [{account: \"wc-b\", staff: \"li\", date: \"2026-03-05\", membersTotal: 1}]) { inserted rejected { field code message } } }",
            json!({}),
        ),
        (
            "recordSpend",
            "mutation { recordSpend(rows: [{date: \"2026-03-05\", amount: \"1.00\", channel: \"ch-b\", campaign: \"camp-b\"}]) { inserted rejected { field code message } } }",
            json!({}),
        ),
        (
            "recordOrders",
            "mutation { recordOrders(rows: [{key: \"ord-b\", customer: \"cust-b\", paidAt: \"2026-03-05T00:00:00Z\", amount: \"1.00\", channel: \"ch-b\"}]) { inserted updated unchanged rejected { field code message } } }",
            json!({}),
        ),
        (
            "upsertContents",
            "mutation { upsertContents(rows: [{key: \"con-b\", account: \"acc-b\", kind: LIVE, title: \"mine\", publishedAt: \"2026-03-01T00:00:00Z\", campaign: \"camp-b\"}]) { inserted rejected { field code message } } }",
            json!({}),
        ),
        (
            "upsertCustomers",
            "mutation { upsertCustomers(rows: [{key: \"cust-b\", channel: \"ch-b\", account: \"acc-b\"}]) { inserted rejected { field code message } } }",
            json!({}),
        ),
        (
            "importWechat",
            "mutation($p: JSON!) { importWechat(source: OA_USER_CUMULATE, accountKey: \"acc-b\", payload: $p) { inserted rejected { field code message } } }",
            json!({ "p": { "list": [{ "ref_date": "2026-03-05", "cumulate_user": 10 }] } }),
        ),
        (
            "createAlertRule",
            "mutation($i: AlertRuleInput!) { createAlertRule(input: $i) { name filter { accounts } } }",
            json!({ "i": rule_input }),
        ),
        (
            "evaluateAlerts",
            "mutation { evaluateAlerts(asOf: \"2026-03-06\") { rulesEvaluated alertsChanged eventsCreated } }",
            json!({}),
        ),
        (
            "setKpiThresholds",
            "mutation { setKpiThresholds(kpi: OPEN_RATE, warning: 0.1) { warning } }",
            json!({}),
        ),
        (
            "createWebhook",
            "mutation { createWebhook(url: \"http://127.0.0.1:9/other\", secret: \"s\") { url } }",
            json!({}),
        ),
        (
            "createApiKey",
            "mutation { createApiKey(name: \"x\", role: READ) { secret apiKey { name role } } }",
            json!({}),
        ),
        (
            "updateWorkspaceSettings",
            "mutation { updateWorkspaceSettings(input: {currency: \"USD\"}) { currency } }",
            json!({}),
        ),
        // Last: the caller creates rows under B's keys; they are its own, B's stay B's.
        (
            "upsertAccounts",
            "mutation { upsertAccounts(rows: [{key: \"acc-b\", kind: PERSONAL, name: \"mine\"}]) { inserted updated unchanged } }",
            json!({}),
        ),
        (
            "upsertChannels",
            "mutation { upsertChannels(rows: [{key: \"ch-b\", name: \"mine\"}]) { inserted updated unchanged } }",
            json!({}),
        ),
        (
            "upsertCampaigns",
            "mutation { upsertCampaigns(rows: [{key: \"camp-b\", kind: BRAND, name: \"mine\", startsOn: \"2026-03-01\", endsOn: \"2026-03-02\"}]) { inserted updated unchanged } }",
            json!({}),
        ),
    ]
}

/// Subscribes with `key` after `cursor` and returns what arrives within a second.
async fn subscription_answer(server_addr: std::net::SocketAddr, key: &str, cursor: &str) -> Value {
    let mut ws = connect(server_addr).await;
    match init(&mut ws, json!({ "Authorization": format!("Bearer {key}") })).await {
        Frame::Json(ack) => assert_eq!(ack["type"], "connection_ack"),
        other => panic!("not acknowledged: {other:?}"),
    }
    subscribe(&mut ws, "1", Some(cursor)).await;
    match tokio::time::timeout(std::time::Duration::from_millis(1500), next_frame(&mut ws)).await {
        Ok(Frame::Json(msg)) => mask(&msg),
        Ok(Frame::Closed(code, reason)) => json!({ "closed": code, "reason": reason }),
        Err(_) => json!("nothing"),
    }
}

both_backends! {
    async fn every_field_isolates_tenants(app: TestApp) {
        let b = app.workspace("brand-b").await;
        let a = app.workspace("tenant").await;
        let c = app.workspace("tenant").await;
        let b_ids = populate_b(&app, &b).await;
        let b_ws = app.scalar("SELECT id FROM workspace WHERE name = 'brand-b'").await;
        let before = snapshot(&app, b_ws).await;

        let sdl = wekpi_api::graphql::sdl();
        let mut fields: BTreeSet<String> = BTreeSet::new();
        for t in ["QueryRoot", "MutationRoot"] {
            fields.extend(root_fields(&sdl, t).into_iter().map(|f| format!("{t}.{f}")));
        }
        fields.extend(root_fields(&sdl, "SubscriptionRoot").into_iter().map(|f| format!("SubscriptionRoot.{f}")));
        assert!(fields.len() > 40, "the schema was not parsed: {fields:?}");

        let mut checked: BTreeSet<String> = BTreeSet::new();
        for (field, doc, vars) in cases(&b_ids) {
            let root = if doc.trim_start().starts_with("mutation") { "MutationRoot" } else { "QueryRoot" };
            let from_a = app.gql(Some(&a), doc, vars.clone()).await;
            let from_c = app.gql(Some(&c), doc, vars).await;
            assert_eq!(mask(&from_a), mask(&from_c), "{field}: A's answer differs from a workspace that never met B");
            let text = from_a.to_string();
            for secret in ["B account", "B secret title", "B campaign", "B channel", "brand-b", "b-secret", "88", "B rule"] {
                assert!(!text.contains(secret), "{field} leaks `{secret}`: {text}");
            }
            checked.insert(format!("{root}.{field}"));
        }

        // The subscription, over a real socket.
        let server = Server::start(app.state.clone()).await;
        let from_a = subscription_answer(server.addr, &a, &b_ids.cursor).await;
        let from_c = subscription_answer(server.addr, &c, &b_ids.cursor).await;
        server.stop().await;
        assert_eq!(from_a, from_c, "subscription alertEvents");
        checked.insert("SubscriptionRoot.alertEvents".into());

        assert_eq!(snapshot(&app, b_ws).await, before, "B's rows changed");
        let unchecked: Vec<&String> = fields.difference(&checked).collect();
        println!("isolation matrix checked {} fields: {checked:?}", checked.len());
        assert!(unchecked.is_empty(), "fields without an isolation case: {unchecked:?}");
        let unknown: Vec<&String> = checked.difference(&fields).collect();
        assert!(unknown.is_empty(), "cases for fields the schema does not have: {unknown:?}");
    }
}
