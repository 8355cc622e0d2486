//! Alerting scenarios on hand-built data: pending, firing, escalation, hysteresis, recovery,
//! CHANGE conditions, small samples, idempotent evaluation, a concurrent poller, two servers.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

const EVENTS: &str = "query($after: String, $n: Int) { alertEvents(after: $after, first: $n) {
  edges { cursor node { id kind severity state value threshold previous periodStart } } pageInfo { hasNextPage } } }";

/// A workspace without its default rules, with one account and one article.
pub async fn workspace(app: &TestApp) -> String {
    let key = app.workspace("acme").await;
    let rules = app.ok(&key, "{ alertRules { id } }", json!({})).await;
    for r in rules["alertRules"].as_array().unwrap() {
        app.ok(
            &key,
            "mutation($id: ID!) { deleteAlertRule(id: $id) { id } }",
            json!({ "id": r["id"] }),
        )
        .await;
    }
    app.ok(
        &key,
        r#"mutation {
      upsertAccounts(rows: [{key: "oa", kind: SERVICE_ACCOUNT, name: "OA"}]) { inserted }
    }"#,
        json!({}),
    )
    .await;
    app.ok(&key, r#"mutation {
      upsertContents(rows: [{key: "a1", account: "oa", kind: ARTICLE, title: "A1", publishedAt: "2026-02-01T00:00:00Z"}]) { inserted }
    }"#, json!({})).await;
    key
}

pub async fn create_rule(app: &TestApp, key: &str, input: Value) -> String {
    let data = app
        .ok(
            key,
            "mutation($i: AlertRuleInput!) { createAlertRule(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    data["createAlertRule"]["id"].as_str().unwrap().to_string()
}

pub async fn evaluate(app: &TestApp, key: &str, as_of: &str) -> Value {
    app.ok(key, "mutation($d: Date!) { evaluateAlerts(asOf: $d) { rulesEvaluated alertsChanged eventsCreated } }", json!({ "d": as_of }))
        .await["evaluateAlerts"]
        .clone()
}

/// Every event of the feed, paging `n` at a time.
pub async fn all_events(app: &TestApp, key: &str, n: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app.ok(key, EVENTS, json!({ "after": after, "n": n })).await;
        let edges = data["alertEvents"]["edges"].as_array().unwrap().clone();
        if edges.is_empty() {
            return out;
        }
        after = edges
            .last()
            .and_then(|e| e["cursor"].as_str())
            .map(str::to_string);
        out.extend(edges.into_iter().map(|e| e["node"].clone()));
    }
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Reads and completions of article a1 on `date`.
pub async fn read_through(app: &TestApp, key: &str, date: &str, reads: i64, completions: i64) {
    app.ok(key, "mutation($d: Date!, $r: Int!, $c: Int!) { recordContentDaily(rows: [{content: \"a1\", date: $d, reads: $r, completions: $c}]) { inserted updated unchanged } }",
        json!({ "d": date, "r": reads, "c": completions })).await;
}

fn read_through_rule(extra: Value) -> Value {
    let mut rule = json!({
        "name": "read-through", "kpi": "READ_THROUGH_RATE", "window": "DAY",
        "condition": { "kind": "THRESHOLD", "operator": "BELOW", "warning": 0.20, "critical": 0.10, "warningRecovery": 0.25 },
        "pendingPeriods": 2
    });
    if let (Some(r), Some(e)) = (rule.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            r.insert(k.clone(), v.clone());
        }
    }
    rule
}

both_backends! {
    async fn breach_pends_fires_escalates_holds_and_resolves(app: TestApp) {
        let key = workspace(&app).await;
        create_rule(&app, &key, read_through_rule(json!({}))).await;
        // Daily read-through (completions / reads of 100) and what each evaluation must add:
        let days: [(&str, i64, &[&str]); 7] = [
            ("2026-03-01", 30, &[]),              // 0.30: fine
            ("2026-03-02", 15, &["PENDING"]),     // 0.15 < 0.20: first breaching period of 2
            ("2026-03-03", 18, &["FIRED"]),       // second breaching period: fires, WARNING
            ("2026-03-04", 5, &["ESCALATED"]),    // 0.05 < 0.10: CRITICAL
            ("2026-03-05", 15, &["DEESCALATED"]), // 0.15: back to WARNING
            ("2026-03-06", 22, &[]),              // 0.22 ≥ 0.20 but < 0.25 recovery: still firing
            ("2026-03-07", 26, &["RESOLVED"]),    // 0.26 ≥ 0.25: resolved
        ];
        let mut expected: Vec<String> = Vec::new();
        for (day, completions, new) in days {
            read_through(&app, &key, day, 100, completions).await;
            let next = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap().succ_opt().unwrap().to_string();
            evaluate(&app, &key, &next).await;
            expected.extend(new.iter().map(|s| s.to_string()));
            assert_eq!(kinds(&all_events(&app, &key, 50).await), expected, "after {day}");
            // The same date evaluated again adds nothing.
            let again = evaluate(&app, &key, &next).await;
            assert_eq!(again["eventsCreated"], 0, "re-evaluating {day}");
            assert_eq!(again["alertsChanged"], 0, "re-evaluating {day}");
        }
        let events = all_events(&app, &key, 50).await;
        assert_eq!(events[1]["severity"], "WARNING");
        assert_eq!(events[2]["severity"], "CRITICAL");
        assert_eq!(events[2]["threshold"], 0.10);
        assert_eq!(events[2]["value"], 0.05);
        let snapshot = app.ok(&key, "{ alerts { totalCount edges { node { state severity value period { label } rule { name } } } } }", json!({})).await;
        assert_eq!(snapshot["alerts"]["totalCount"], 1);
        let alert = &snapshot["alerts"]["edges"][0]["node"];
        assert_eq!(alert["state"], "RESOLVED");
        assert_eq!(alert["period"]["label"], "2026-03-07");
    }

    async fn a_late_correction_changes_the_outcome_of_its_period(app: TestApp) {
        let key = workspace(&app).await;
        create_rule(&app, &key, read_through_rule(json!({ "pendingPeriods": 1 }))).await;
        read_through(&app, &key, "2026-03-01", 100, 15).await;
        evaluate(&app, &key, "2026-03-02").await;
        // The day's data is corrected upwards and the same date is evaluated again.
        read_through(&app, &key, "2026-03-01", 100, 40).await;
        evaluate(&app, &key, "2026-03-02").await;
        assert_eq!(kinds(&all_events(&app, &key, 50).await), vec!["FIRED", "RESOLVED"]);
    }

    async fn change_rule_fires_at_plus_five_percent_not_four(app: TestApp) {
        let key = workspace(&app).await;
        app.ok(&key, r#"mutation { upsertCampaigns(rows: [
            {key: "five", kind: BRAND, name: "Five", startsOn: "2026-03-01", endsOn: "2026-03-31"},
            {key: "four", kind: BRAND, name: "Four", startsOn: "2026-03-01", endsOn: "2026-03-31"}]) { inserted }
          recordCampaignDaily(rows: [
            {campaign: "five", date: "2026-03-01", ugcPosts: 100}, {campaign: "five", date: "2026-03-02", ugcPosts: 105},
            {campaign: "four", date: "2026-03-01", ugcPosts: 100}, {campaign: "four", date: "2026-03-02", ugcPosts: 104}]) { inserted } }"#, json!({})).await;
        create_rule(&app, &key, json!({
            "name": "UGC jump", "kpi": "UGC_POSTS", "window": "DAY", "groupBy": ["CAMPAIGN"],
            "condition": { "kind": "CHANGE", "operator": "ABOVE", "warning": 0.05, "changeMode": "RELATIVE" }
        })).await;
        evaluate(&app, &key, "2026-03-03").await;
        let firing = app.ok(&key, "{ alerts(filter: {states: [FIRING]}) { totalCount edges { node { group { key } value previous } } } }", json!({})).await;
        // (105 − 100) / 100 = +5% fires; (104 − 100) / 100 = +4% does not.
        assert_eq!(firing["alerts"]["totalCount"], 1);
        let node = &firing["alerts"]["edges"][0]["node"];
        assert_eq!(node["group"][0]["key"], "five");
        assert_eq!(node["value"], 105.0);
        assert_eq!(node["previous"], 100.0);
    }

    async fn small_samples_are_no_data(app: TestApp) {
        let key = workspace(&app).await;
        create_rule(&app, &key, read_through_rule(json!({ "pendingPeriods": 1, "minDenominator": 50 }))).await;
        // 1 / 10 would breach, but 10 reads is below the minimum sample of 50.
        read_through(&app, &key, "2026-03-01", 10, 1).await;
        evaluate(&app, &key, "2026-03-02").await;
        // 10 / 100 with enough reads fires.
        read_through(&app, &key, "2026-03-02", 100, 10).await;
        evaluate(&app, &key, "2026-03-03").await;
        assert_eq!(kinds(&all_events(&app, &key, 50).await), vec!["NO_DATA", "FIRED"]);
    }

    async fn invalid_rules_are_refused(app: TestApp) {
        let key = workspace(&app).await;
        let cases = [
            (json!({ "condition": { "kind": "CHANGE", "operator": "ABOVE", "warning": 0.05 } }), "changeMode"),
            (json!({ "condition": { "kind": "THRESHOLD", "operator": "BELOW", "warning": 0.1, "critical": 0.2 } }), "critical threshold"),
            (json!({ "groupBy": ["CHANNEL"] }), "CHANNEL"),
            (json!({ "window": "TOTAL" }), "window"),
        ];
        for (extra, needle) in cases {
            let resp = app.gql(Some(&key), "mutation($i: AlertRuleInput!) { createAlertRule(input: $i) { id } }", json!({ "i": read_through_rule(extra) })).await;
            assert_eq!(crate::error_code(&resp), "BAD_USER_INPUT", "{resp}");
            assert!(resp["errors"][0]["message"].as_str().unwrap().contains(needle), "{resp}");
        }
    }

    async fn acknowledging_adds_an_event_and_new_workspaces_have_default_rules(app: TestApp) {
        let fresh = app.workspace("fresh").await;
        let rules = app.ok(&fresh, "{ alertRules { kpi window condition { kind operator warning critical changeMode } filter { campaignKinds } } }", json!({})).await;
        let kpis: BTreeSet<String> = rules["alertRules"].as_array().unwrap().iter().map(|r| r["kpi"].as_str().unwrap().to_string()).collect();
        let expected: BTreeSet<String> = ["READ_THROUGH_RATE", "PAYMENT_CONVERSION", "SHARE_COEFFICIENT", "REPURCHASE_RATE_3M",
            "LTV_CAC_RATIO", "UNFOLLOW_RATE", "GROUP_ACTIVITY_RATE", "PARTICIPATION_RATE", "ROI", "UGC_POSTS"]
            .iter().map(|s| s.to_string()).collect();
        assert_eq!(kpis, expected);

        let key = workspace(&app).await;
        create_rule(&app, &key, read_through_rule(json!({ "pendingPeriods": 1 }))).await;
        read_through(&app, &key, "2026-03-01", 100, 5).await;
        evaluate(&app, &key, "2026-03-02").await;
        let alerts = app.ok(&key, "{ alerts { edges { node { id } } } }", json!({})).await;
        let id = alerts["alerts"]["edges"][0]["node"]["id"].clone();
        let acked = app.ok(&key, "mutation($id: ID!) { acknowledgeAlert(id: $id, note: \"on it\") { acknowledgedAt acknowledgementNote state } }", json!({ "id": id })).await;
        assert_eq!(acked["acknowledgeAlert"]["acknowledgementNote"], "on it");
        assert_eq!(acked["acknowledgeAlert"]["state"], "FIRING");
        assert_eq!(kinds(&all_events(&app, &key, 50).await), vec!["FIRED", "ACKNOWLEDGED"]);
        // Another workspace cannot see or acknowledge it.
        let other = app.gql(Some(&fresh), "mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(crate::error_code(&other), "NOT_FOUND");
        assert_eq!(app.ok(&fresh, "{ alertEvents { edges { cursor } } }", json!({})).await["alertEvents"]["edges"], json!([]));
    }

    async fn a_poller_sees_every_event_once_while_writers_run(app: TestApp) {
        let key = workspace(&app).await;
        // 12 contents; the rule fires or resolves per content whenever its data flips.
        let contents: Vec<Value> = (0..12).map(|i| json!({ "key": format!("c{i}"), "account": "oa", "kind": "ARTICLE", "title": "t", "publishedAt": "2026-02-01T00:00:00Z" })).collect();
        app.ok(&key, "mutation($r: [ContentInput!]!) { upsertContents(rows: $r) { inserted } }", json!({ "r": contents })).await;
        create_rule(&app, &key, json!({
            "name": "per content", "kpi": "READ_THROUGH_RATE", "window": "DAY", "groupBy": ["CONTENT"],
            "condition": { "kind": "THRESHOLD", "operator": "BELOW", "warning": 0.20 }
        })).await;
        let app = Arc::new(app);
        let writers: Vec<_> = (0..3).map(|w| {
            let (app, key) = (app.clone(), key.clone());
            tokio::spawn(async move {
                for round in 0..8 {
                    // Each writer flips its own contents between breaching and fine, then evaluates.
                    let completions = if (round + w) % 2 == 0 { 5 } else { 50 };
                    let rows: Vec<Value> = (0..12).filter(|i| i % 3 == w).map(|i| json!({ "content": format!("c{i}"), "date": "2026-03-01", "reads": 100, "completions": completions })).collect();
                    app.ok(&key, "mutation($r: [ContentDailyInput!]!) { recordContentDaily(rows: $r) { updated } }", json!({ "r": rows })).await;
                    evaluate(&app, &key, "2026-03-02").await;
                }
            })
        }).collect();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (app, key, done) = (app.clone(), key.clone(), done.clone());
            tokio::spawn(async move {
                let mut seen: Vec<i64> = Vec::new();
                let mut after: Option<String> = None;
                loop {
                    // Read `done` before fetching: an empty page after it means nothing is left.
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let data = app.ok(&key, EVENTS, json!({ "after": after, "n": 5 })).await;
                    let edges = data["alertEvents"]["edges"].as_array().unwrap().clone();
                    for e in &edges {
                        seen.push(e["node"]["id"].as_str().unwrap().parse().unwrap());
                    }
                    match edges.last() {
                        Some(last) => after = Some(last["cursor"].as_str().unwrap().to_string()),
                        None if finished => return seen,
                        None => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
                    }
                }
            })
        };
        for w in writers {
            w.await.unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = reader.await.unwrap();
        let stored: Vec<i64> = {
            let n = app.scalar("SELECT COUNT(*) FROM alert_event").await;
            let mut ids = Vec::new();
            for i in 0..n {
                ids.push(app.scalar(&format!("SELECT id FROM alert_event ORDER BY id LIMIT 1 OFFSET {i}")).await);
            }
            ids
        };
        assert!(stored.len() >= 24, "the writers produced too few events to test anything: {}", stored.len());
        assert_eq!(seen, stored, "the poller must see every event exactly once, in order");
    }
}

/// Two servers on one PostgreSQL database evaluating at the same moment create each alert and
/// event once. (SQLite is a single-server store.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    wekpi_no_pg,
    ignore = "PostgreSQL not configured: set WEKPI_TEST_DATABASE_URL to run"
)]
async fn two_servers_on_one_postgres_do_not_duplicate() {
    let app = TestApp::new(Backend::Postgres).await;
    let key = workspace(&app).await;
    let contents: Vec<Value> = (0..10).map(|i| json!({ "key": format!("c{i}"), "account": "oa", "kind": "ARTICLE", "title": "t", "publishedAt": "2026-02-01T00:00:00Z" })).collect();
    app.ok(
        &key,
        "mutation($r: [ContentInput!]!) { upsertContents(rows: $r) { inserted } }",
        json!({ "r": contents }),
    )
    .await;
    let rows: Vec<Value> = (0..10).map(|i| json!({ "content": format!("c{i}"), "date": "2026-03-01", "reads": 100, "completions": 5 })).collect();
    app.ok(
        &key,
        "mutation($r: [ContentDailyInput!]!) { recordContentDaily(rows: $r) { inserted } }",
        json!({ "r": rows }),
    )
    .await;
    create_rule(&app, &key, json!({
        "name": "per content", "kpi": "READ_THROUGH_RATE", "window": "DAY", "groupBy": ["CONTENT"],
        "condition": { "kind": "THRESHOLD", "operator": "BELOW", "warning": 0.20 }
    })).await;
    // A second server: its own connection pool, alert service (locks) and router.
    let second = app.second_server().await;
    let mutation =
        json!({ "query": "mutation { evaluateAlerts(asOf: \"2026-03-02\") { eventsCreated } }" });
    let (a, b) = tokio::join!(
        app.post_json(&app.router, Some(&key), mutation.clone()),
        app.post_json(&second, Some(&key), mutation),
    );
    let created = a["data"]["evaluateAlerts"]["eventsCreated"]
        .as_i64()
        .unwrap()
        + b["data"]["evaluateAlerts"]["eventsCreated"]
            .as_i64()
            .unwrap();
    assert_eq!(
        created, 10,
        "one FIRED event per content, in total: {a} {b}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM alert").await, 10);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM alert_event").await, 10);
    assert_eq!(
        app.scalar("SELECT COUNT(DISTINCT alert_id) FROM alert_event")
            .await,
        10
    );
}
