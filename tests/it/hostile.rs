//! Hostile input: every request below is answered with a coded error (`extensions.code`) and a
//! fitting HTTP status, quickly, and the server keeps serving — after each one the test sends a
//! normal query and it must succeed.
//!
//! Requests that never reach the database run on SQLite only; the ones whose handling involves
//! SQL (filters with many keys, the report row cap) run on both backends. Subscriptions over
//! WebSocket go through the same limits.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use wekpi_api::config::Limits;

use futures::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, error_code, send_to};
use crate::push::{Frame, Server, connect, init, next_frame};

/// The longest any hostile request may take: far more than a refusal needs, far less than the
/// work it would cause if it were not refused early.
const QUICK: Duration = Duration::from_secs(10);

/// An app with a workspace; returns the app and its ADMIN key.
async fn app_with_key(backend: Backend) -> (TestApp, String) {
    let app = TestApp::new(backend).await;
    let key = app.workspace("acme").await;
    (app, key)
}

/// Sends a normal query and asserts that it succeeds: the server is still up and serving.
async fn assert_alive(app: &TestApp, key: &str) {
    let data = app.ok(key, "{ viewer { role } }", json!({})).await;
    assert_eq!(data["viewer"]["role"], "ADMIN");
}

/// Runs `request` on its own task and fails the test if it takes longer than [`QUICK`]: a
/// request stuck in CPU-bound work cannot be interrupted from inside its own task.
async fn quickly<F, T>(request: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let started = Instant::now();
    let answer = tokio::time::timeout(QUICK, tokio::spawn(request))
        .await
        .unwrap_or_else(|_| panic!("no answer within {QUICK:?}"))
        .expect("request task");
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
    answer
}

/// POSTs a GraphQL request on its own task (see [`quickly`]); returns status and JSON.
async fn gql_quickly(
    app: &TestApp,
    key: &str,
    query: String,
    variables: Value,
) -> (StatusCode, Value) {
    let body = json!({ "query": query, "variables": variables }).to_string();
    raw_quickly(app, Some(key), Some("application/json"), Body::from(body)).await
}

/// POSTs any body with any content type on its own task; returns status and JSON.
async fn raw_quickly(
    app: &TestApp,
    key: Option<&str>,
    content_type: Option<&str>,
    body: Body,
) -> (StatusCode, Value) {
    let mut builder = Request::post("/graphql");
    if let Some(content_type) = content_type {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    if let Some(key) = key {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    send_quickly(app, builder.body(body).unwrap()).await
}

/// Sends any request on its own task; returns status and JSON (the test fails on a non-JSON
/// answer: every error must carry a code).
async fn send_quickly(app: &TestApp, request: Request<Body>) -> (StatusCode, Value) {
    let (status, bytes) = quickly(send_to(app.router.clone(), request)).await;
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "non-JSON answer {status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
        )
    });
    (status, value)
}

/// Asserts a refusal: the status, the code of the first error, no data, and a message that
/// contains `needle`.
fn assert_refused(got: &(StatusCode, Value), status: StatusCode, code: &str, needle: &str) {
    let (got_status, resp) = got;
    let shown = {
        let text = resp.to_string();
        text.chars().take(600).collect::<String>()
    };
    assert_eq!(*got_status, status, "{shown}");
    assert_eq!(error_code(resp), code, "{shown}");
    assert!(
        resp.get("data").is_none_or(Value::is_null),
        "no data may be returned: {shown}"
    );
    let message = resp["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "message {message:?} should contain {needle:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Query shape
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_selections_are_query_too_complex() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let nested = |levels: usize| {
        format!(
            "{{ __schema {{ types {{ {}name{} }} }} }}",
            "ofType { ".repeat(levels),
            " }".repeat(levels)
        )
    };
    // 3 + 20 levels: deeper than the depth limit of 12.
    let got = gql_quickly(&app, &key, nested(20), json!({})).await;
    assert_refused(&got, StatusCode::OK, "QUERY_TOO_COMPLEX", "nested too deep");
    assert_alive(&app, &key).await;
    // 3 + 40 levels: deeper than the recursion limit of 32, refused before the engine walks it.
    let got = gql_quickly(&app, &key, nested(40), json!({})).await;
    assert_refused(
        &got,
        StatusCode::OK,
        "QUERY_TOO_COMPLEX",
        "more than 32 levels deep",
    );
    assert_alive(&app, &key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_nested_a_hundred_thousand_levels_deep_is_query_too_complex() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let depth = 100_000;
    // Selection sets, list values and object values, each 100,000 levels deep: a recursive
    // parser would run out of stack long before the end.
    let selections = format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth));
    let lists = format!(
        "{{ accounts(first: {}1{}) {{ totalCount }} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let objects = format!(
        "{{ kpiReport(input: {}{}) {{ totals {{ value }} }} }}",
        "{a: ".repeat(depth),
        "}".repeat(depth)
    );
    for query in [selections, lists, objects] {
        let got = gql_quickly(&app, &key, query, json!({})).await;
        assert_refused(&got, StatusCode::OK, "QUERY_TOO_COMPLEX", "nest");
        assert_alive(&app, &key).await;
    }
    // Brackets inside strings and comments are text, not nesting.
    let text = format!(
        "{{ account(key: \"{}\") {{ name }} # {}\n viewer {{ role }} }}",
        "[".repeat(1_000),
        "{".repeat(depth)
    );
    let (status, resp) = gql_quickly(&app, &key, text, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resp["data"]["viewer"]["role"], "ADMIN", "{resp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_nested_ten_thousand_levels_deep_are_bad_user_input() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let depth = 10_000;
    let body = format!(
        r#"{{"query":"query($v: JSON!) {{ viewer {{ role }} }}","variables":{{"v":{}1{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let got = raw_quickly(&app, Some(&key), Some("application/json"), Body::from(body)).await;
    assert_refused(&got, StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "malformed");
    assert_alive(&app, &key).await;
}

/// `n` aliases of `field`: `a0: field a1: field …`.
fn aliases(n: usize, field: &str) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: {field}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_aliases_are_refused_without_executing_them() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    // What one normal query costs in statements (the key lookup): the refused ones may cost
    // no more, so none of their fields ran.
    let before = app.statement_count();
    assert_alive(&app, &key).await;
    let normal = app.statement_count() - before;

    for field in ["viewer { role }", "kpiCatalog { key }", "__typename"] {
        let before = app.statement_count();
        let got = gql_quickly(&app, &key, aliases(5_000, field), json!({})).await;
        assert_refused(&got, StatusCode::OK, "QUERY_TOO_COMPLEX", "fields");
        assert!(
            app.statement_count() - before <= normal,
            "{field}: the aliases were executed"
        );
        assert_alive(&app, &key).await;
    }
    // The same field without aliases, 5,000 times, is just as refused.
    let repeated = format!("{{ {} }}", "viewer { role } ".repeat(5_000));
    let got = gql_quickly(&app, &key, repeated, json!({})).await;
    assert_refused(&got, StatusCode::OK, "QUERY_TOO_COMPLEX", "fields");
    assert_alive(&app, &key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_with_many_tiles_is_still_answered() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    // 30 KPI tiles of one dashboard in one query, each with its alias: a legitimate use of
    // aliases that the limits must leave alone.
    let tile = "kpiReport(input: {kpis: [READ_THROUGH_RATE, OPEN_RATE], \
                range: {from: \"2026-01-01\", to: \"2026-01-31\"}, granularity: WEEK}) \
                { rows { period { label } values { kpi value status } } totals { kpi value } }";
    let (status, resp) = gql_quickly(&app, &key, aliases(30, tile), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(resp.get("errors").is_none(), "{resp}");
    // 2026-01-01 (Thursday) .. 2026-01-31 (Saturday): ISO weeks W01 (clipped), W02, W03, W04,
    // W05 (clipped): 5 rows.
    assert_eq!(resp["data"]["a29"]["rows"].as_array().unwrap().len(), 5);

    // GraphiQL's introspection query (the documentation explorer) also fits.
    let (status, resp) = gql_quickly(&app, &key, INTROSPECTION.to_owned(), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(resp.get("errors").is_none(), "{resp}");
    assert_eq!(resp["data"]["__schema"]["queryType"]["name"], "QueryRoot");
}

/// The introspection query GraphiQL sends to build its documentation explorer.
const INTROSPECTION: &str = r"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_cycles_are_refused() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let cycles = [
        "{ ...A } fragment A on QueryRoot { ...A }",
        "{ ...A } fragment A on QueryRoot { viewer { role } ...B } \
         fragment B on QueryRoot { ...C } fragment C on QueryRoot { ...A }",
        // A cycle with fan-out: every path through it doubles.
        "{ ...A } fragment A on QueryRoot { ...B ...B } fragment B on QueryRoot { ...A ...A }",
    ];
    for query in cycles {
        let got = gql_quickly(&app, &key, query.to_owned(), json!({})).await;
        assert_refused(
            &got,
            StatusCode::OK,
            "BAD_USER_INPUT",
            "spread inside itself",
        );
        assert_alive(&app, &key).await;
    }
}

/// F0 spreads F1 ten times, F1 spreads F2 ten times, … F9 selects `leaf`: the operation
/// expands to 10^9 copies of `leaf` from a document of a few hundred bytes.
fn fragment_bomb(operation: &str, on: &str, leaf: &str) -> String {
    let mut query = format!("{operation} {{ ...F0 }}");
    for level in 0..9 {
        let spreads = format!("...F{} ", level + 1).repeat(10);
        query.push_str(&format!(" fragment F{level} on {on} {{ {spreads} }}"));
    }
    query.push_str(&format!(" fragment F9 on {on} {{ {leaf} }}"));
    query
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_bombs_are_refused_quickly() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let query = fragment_bomb("query", "QueryRoot", "__typename");
    let got = gql_quickly(&app, &key, query, json!({})).await;
    assert_refused(&got, StatusCode::OK, "QUERY_TOO_COMPLEX", "fields");
    assert_alive(&app, &key).await;

    // A chain of 1,000 fragments each spreading the next once is small but deeper than the
    // engine's recursion limit of 32.
    let mut chain = String::from("{ ...F0 }");
    for level in 0..1_000 {
        chain.push_str(&format!(
            " fragment F{level} on QueryRoot {{ ...F{} }}",
            level + 1
        ));
    }
    chain.push_str(" fragment F1000 on QueryRoot { __typename }");
    let got = gql_quickly(&app, &key, chain, json!({})).await;
    assert_refused(&got, StatusCode::OK, "QUERY_TOO_COMPLEX", "deep");
    assert_alive(&app, &key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_directives_are_query_too_complex() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let many = "@include(if: true) ".repeat(10_000);
    for query in [
        // On a field, on an inline fragment, on a fragment spread, on the operation.
        format!("{{ viewer {many} {{ role }} }}"),
        format!("{{ ... on QueryRoot {many} {{ viewer {{ role }} }} }}"),
        format!("{{ ...F {many} }} fragment F on QueryRoot {{ viewer {{ role }} }}"),
        format!("query Q {many} {{ viewer {{ role }} }}"),
    ] {
        let got = gql_quickly(&app, &key, query, json!({})).await;
        assert_refused(&got, StatusCode::OK, "QUERY_TOO_COMPLEX", "directives");
        assert_alive(&app, &key).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_subscriptions_over_websocket_are_refused() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let server = Server::start(app.state.clone()).await;
    let mut ws = connect(server.addr).await;
    match init(&mut ws, json!({ "apiKey": key })).await {
        Frame::Json(ack) => assert_eq!(ack["type"], "connection_ack"),
        other => panic!("expected connection_ack, got {other:?}"),
    }
    let deep = format!(
        "subscription {{ alertEvents(after: {}\"x\"{}) {{ id }} }}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let variable = "subscription($after: String) { alertEvents(after: $after) { id } }";
    let cases = [
        (
            "bomb",
            fragment_bomb("subscription", "SubscriptionRoot", "alertEvents { id }"),
            json!({}),
            "QUERY_TOO_COMPLEX",
            "fields",
        ),
        ("deep", deep, json!({}), "QUERY_TOO_COMPLEX", "nest"),
        (
            "long",
            variable.to_owned(),
            json!({ "after": "x".repeat(1024 * 1024) }),
            "BAD_USER_INPUT",
            "at most 65536 bytes",
        ),
    ];
    for (id, query, variables, code, needle) in cases {
        let message = json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        });
        ws.send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
        match next_frame(&mut ws).await {
            // The operation's one result, its errors, then its end.
            Frame::Json(answer) => {
                assert_eq!(
                    (&answer["type"], &answer["id"]),
                    (&json!("next"), &json!(id))
                );
                assert_eq!(answer["payload"]["data"], Value::Null, "{id}");
                let error = &answer["payload"]["errors"][0];
                assert_eq!(error["extensions"]["code"], code, "{id}: {error}");
                let text = error["message"].as_str().unwrap();
                assert!(text.contains(needle), "{id}: {text}");
            }
            other => panic!("{id}: expected an error, got {other:?}"),
        }
        match next_frame(&mut ws).await {
            Frame::Json(end) => assert_eq!(end, json!({ "id": id, "type": "complete" })),
            other => panic!("{id}: expected complete, got {other:?}"),
        }
    }
    // The connection and the server still answer.
    ws.send(Message::Text(json!({ "type": "ping" }).to_string().into()))
        .await
        .unwrap();
    match next_frame(&mut ws).await {
        Frame::Json(pong) => assert_eq!(pong["type"], "pong"),
        other => panic!("expected pong, got {other:?}"),
    }
    assert_alive(&app, &key).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Huge lists and strings
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_rows_are_refused_naming_the_limit() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let rows: Vec<Value> = (0..20_000)
        .map(|i| json!({ "key": format!("ch{i}"), "name": "门店活码" }))
        .collect();
    let query = "mutation($rows: [ChannelInput!]!) { upsertChannels(rows: $rows) { inserted } }";
    let got = gql_quickly(&app, &key, query.to_owned(), json!({ "rows": rows })).await;
    assert_refused(
        &got,
        StatusCode::OK,
        "BAD_USER_INPUT",
        "at most 10000 rows per call, got 20000",
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM channel").await, 0);
    assert_alive(&app, &key).await;
}

both_backends! {
    async fn a_filter_with_a_hundred_thousand_keys_is_refused(app: TestApp) {
        let key = app.workspace("acme").await;
        let keys: Vec<String> = (0..100_000).map(|i| format!("account-{i}")).collect();
        let query = "query($keys: [String!]) { kpiReport(input: { kpis: [NEW_FOLLOWERS], \
                     range: {from: \"2026-01-01\", to: \"2026-01-31\"}, \
                     filter: {accounts: $keys} }) { totals { value } } }";
        let got = gql_quickly(&app, &key, query.to_owned(), json!({ "keys": keys })).await;
        assert_refused(&got, StatusCode::OK, "BAD_USER_INPUT", "at most 1000 keys");
        assert_alive(&app, &key).await;

        // The same in cohorts and alert rules, which take the same filter.
        let cohorts = "query($keys: [String!]) { cohorts(input: { \
                       range: {from: \"2026-01-01\", to: \"2026-01-31\"}, \
                       filter: {channels: $keys} }) { cohorts { month } } }";
        let got = gql_quickly(&app, &key, cohorts.to_owned(), json!({ "keys": keys })).await;
        assert_refused(&got, StatusCode::OK, "BAD_USER_INPUT", "at most 1000 keys");
        let rule = "mutation($keys: [String!]) { createAlertRule(input: { name: \"r\", \
                    kpi: NEW_FOLLOWERS, window: DAY, filter: {accounts: $keys}, \
                    condition: {kind: THRESHOLD, operator: BELOW, warning: 1} }) { id } }";
        let got = gql_quickly(&app, &key, rule.to_owned(), json!({ "keys": keys })).await;
        assert_refused(&got, StatusCode::OK, "BAD_USER_INPUT", "at most 1000 keys");
        assert_alive(&app, &key).await;

        // 1,000 keys are fine: unknown keys match nothing.
        let thousand = &keys[..1_000];
        let (status, resp) = gql_quickly(&app, &key, query.to_owned(), json!({ "keys": thousand })).await;
        assert_eq!(status, StatusCode::OK);
        assert!(resp.get("errors").is_none(), "{resp}");
        // No data: the count of new followers is 0 over the range.
        assert_eq!(resp["data"]["kpiReport"]["totals"][0]["value"], 0.0);
    }

    async fn a_report_over_the_row_cap_is_refused_before_it_is_built(app: TestApp) {
        let key = app.workspace("acme").await;
        // DAY over 0001-01-01..9999-12-31: 3,652,059 days, each a row; far over 50,000.
        let query = "{ kpiReport(input: { kpis: [NEW_FOLLOWERS], granularity: DAY, \
                     range: {from: \"0001-01-01\", to: \"9999-12-31\"} }) { rows { values { value } } } }";
        let started = Instant::now();
        let got = gql_quickly(&app, &key, query.to_owned(), json!({})).await;
        assert_refused(&got, StatusCode::OK, "BAD_USER_INPUT", "coarser granularity");
        let message = got.1["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("3652059 rows, more than 50000"), "{message}");
        // Counting the periods is arithmetic; building 3.6 million of them would take seconds
        // and hundreds of megabytes.
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
        assert_alive(&app, &key).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_megabyte_strings_are_refused() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let huge = "x".repeat(10 * 1024 * 1024);
    // In a variable, inline in the query, as a lookup key, in an ingested row.
    let cases = [
        (
            "query($k: String!) { account(key: $k) { name } }".to_owned(),
            json!({ "k": huge }),
        ),
        (
            format!("{{ account(key: \"{huge}\") {{ name }} }}"),
            json!({}),
        ),
        (
            "mutation($rows: [ChannelInput!]!) { upsertChannels(rows: $rows) { inserted } }"
                .to_owned(),
            json!({ "rows": [{ "key": "qr", "name": huge }] }),
        ),
    ];
    for (query, variables) in cases {
        let got = gql_quickly(&app, &key, query, variables).await;
        assert_refused(
            &got,
            StatusCode::OK,
            "BAD_USER_INPUT",
            "at most 65536 bytes",
        );
        assert_alive(&app, &key).await;
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM channel").await, 0);
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_requests_are_refused() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let body = r#"[{"query":"{ viewer { role } }"},{"query":"{ viewer { role } }"}]"#;
    let got = raw_quickly(&app, Some(&key), Some("application/json"), Body::from(body)).await;
    assert_refused(
        &got,
        StatusCode::BAD_REQUEST,
        "BAD_USER_INPUT",
        "batched requests are not supported",
    );
    // Leading whitespace does not hide the array.
    let got = raw_quickly(
        &app,
        Some(&key),
        Some("application/json"),
        Body::from(format!(" \n\t{body}")),
    )
    .await;
    assert_refused(
        &got,
        StatusCode::BAD_REQUEST,
        "BAD_USER_INPUT",
        "batched requests are not supported",
    );
    assert_alive(&app, &key).await;
}

fn get(app_key: &str, params: &[(&str, &str)]) -> Request<Body> {
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", urlencode(value)))
        .collect();
    Request::get(format!("/graphql?{}", query.join("&")))
        .header(header::AUTHORIZATION, format!("Bearer {app_key}"))
        .body(Body::empty())
        .unwrap()
}

/// Percent-encodes everything but unreserved characters.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_over_get_are_refused_and_queries_work() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let mutation =
        "mutation M { upsertChannels(rows: [{key: \"qr\", name: \"QR\"}]) { inserted } }";
    let got = send_quickly(&app, get(&key, &[("query", mutation)])).await;
    assert_refused(
        &got,
        StatusCode::METHOD_NOT_ALLOWED,
        "BAD_USER_INPUT",
        "POST",
    );
    // Hidden behind a named query of the same document, and chosen by operationName.
    let both = format!("query Q {{ viewer {{ role }} }} {mutation}");
    let got = send_quickly(&app, get(&key, &[("query", &both), ("operationName", "Q")])).await;
    assert_refused(
        &got,
        StatusCode::METHOD_NOT_ALLOWED,
        "BAD_USER_INPUT",
        "POST",
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM channel").await, 0);

    let (status, resp) = send_quickly(
        &app,
        get(
            &key,
            &[
                (
                    "query",
                    "query($n: Int) { accounts(first: $n) { totalCount } }",
                ),
                ("variables", r#"{"n": 5}"#),
            ],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resp, json!({ "data": { "accounts": { "totalCount": 0 } } }));

    // Variables that are no JSON object are refused, not ignored.
    let got = send_quickly(
        &app,
        get(
            &key,
            &[("query", "{ viewer { role } }"), ("variables", "[1")],
        ),
    )
    .await;
    assert_refused(&got, StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "malformed");
    assert_alive(&app, &key).await;
}

/// POSTs a valid GraphQL request of more than 4 KiB to an app whose body limit is 1 KiB: with
/// its length declared, or in 100-byte chunks without one, where the limit applies while
/// reading. Either way: 413 with a code.
async fn post_over_the_limit(declare_length: bool) {
    let limits = Limits {
        body_limit_bytes: 1024,
        ..Limits::default()
    };
    let app = TestApp::with_limits(Backend::Sqlite, limits).await;
    let key = app.workspace("acme").await;
    let body = json!({ "query": format!("{{ viewer {{ role }} }} #{}", "x".repeat(4096)) })
        .to_string()
        .into_bytes();
    let mut request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    let body = if declare_length {
        request = request.header(header::CONTENT_LENGTH, body.len());
        Body::from(body)
    } else {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            body.chunks(100).map(|c| Ok(c.to_vec())).collect();
        Body::from_stream(futures::stream::iter(chunks))
    };
    let got = send_quickly(&app, request.body(body).unwrap()).await;
    assert_refused(
        &got,
        StatusCode::PAYLOAD_TOO_LARGE,
        "QUERY_TOO_COMPLEX",
        "1024 bytes",
    );
    assert_alive(&app, &key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_with_content_length_is_413() {
    post_over_the_limit(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_over_the_limit_is_413() {
    post_over_the_limit(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_request_bodies_are_bad_user_input() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let json = Some("application/json");
    let cases: [(&str, Option<&str>, &str, StatusCode, &str); 9] = [
        (
            "malformed JSON",
            json,
            r#"{"query": "{ viewer { role } }""#,
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        ("empty body", json, "", StatusCode::BAD_REQUEST, "malformed"),
        (
            "query not a string",
            json,
            r#"{"query": 5}"#,
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            "query missing",
            json,
            r#"{"variables": {}}"#,
            StatusCode::BAD_REQUEST,
            "query",
        ),
        (
            "variables not an object",
            json,
            r#"{"query": "{ viewer { role } }", "variables": [1]}"#,
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            "variables a string",
            json,
            r#"{"query": "{ viewer { role } }", "variables": "{}"}"#,
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            "text/plain",
            Some("text/plain"),
            r#"{"query": "{ viewer { role } }"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            "multipart",
            Some("multipart/form-data; boundary=x"),
            "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"{ viewer { role } }\"}\r\n--x--\r\n",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            "no content type",
            None,
            r#"{"query": "{ viewer { role } }"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
    ];
    for (name, content_type, body, status, needle) in cases {
        let got = raw_quickly(&app, Some(&key), content_type, Body::from(body)).await;
        let (got_status, resp) = &got;
        assert_eq!(*got_status, status, "{name}: {resp}");
        assert_refused(&got, status, "BAD_USER_INPUT", needle);
        assert_alive(&app, &key).await;
    }
    // A JSON content type with parameters is JSON.
    let (status, resp) = raw_quickly(
        &app,
        Some(&key),
        Some("Application/JSON; charset=utf-8"),
        Body::from(r#"{"query": "{ viewer { role } }", "variables": null}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resp["data"]["viewer"]["role"], "ADMIN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_utf8_bytes_are_refused() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    // 0xFF 0xFE inside a JSON string of the body.
    let mut body = br#"{"query": "{ account(key: \""#.to_vec();
    body.extend_from_slice(&[0xFF, 0xFE]);
    body.extend_from_slice(br#"\") { name } }"}"#);
    let got = raw_quickly(&app, Some(&key), Some("application/json"), Body::from(body)).await;
    assert_refused(&got, StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "malformed");
    assert_alive(&app, &key).await;

    // An Authorization header with bytes ≥ 0x80 is no key.
    let mut value = b"Bearer ".to_vec();
    value.extend_from_slice(key.as_bytes());
    value.extend_from_slice(&[0xC3, 0x28, 0x80]);
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            header::HeaderValue::from_bytes(&value).unwrap(),
        )
        .body(Body::from(r#"{"query": "{ viewer { role } }"}"#))
        .unwrap();
    let got = send_quickly(&app, request).await;
    assert_refused(&got, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "API key");
    assert_alive(&app, &key).await;
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

const REPORT_RANGE: &str = "query($from: Date!) { kpiReport(input: { kpis: [NEW_FOLLOWERS], \
                            range: {from: $from, to: \"2026-12-31\"} }) { totals { value } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_dates_are_bad_user_input() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    for date in [
        "2026-02-30",
        "yesterday",
        "2026-13-01",
        "2026-1-5",
        "+12026-01-01",
        " 2026-01-05",
        "",
    ] {
        // In a variable.
        let got = gql_quickly(&app, &key, REPORT_RANGE.to_owned(), json!({ "from": date })).await;
        assert_refused(&got, StatusCode::OK, "BAD_USER_INPUT", "YYYY-MM-DD");
        // Inline.
        let inline = REPORT_RANGE
            .replace("query($from: Date!) ", "")
            .replace("$from", &format!("{date:?}"));
        let got = gql_quickly(&app, &key, inline, json!({})).await;
        assert_refused(&got, StatusCode::OK, "BAD_USER_INPUT", "YYYY-MM-DD");
    }
    // A date that is no string.
    let got = gql_quickly(
        &app,
        &key,
        REPORT_RANGE.to_owned(),
        json!({ "from": 20260105 }),
    )
    .await;
    assert_refused(
        &got,
        StatusCode::OK,
        "BAD_USER_INPUT",
        "Expected input type \"Date\"",
    );
    assert_alive(&app, &key).await;
}

const ACCOUNT_DAILY: &str = "mutation($rows: [AccountDailyInput!]!) \
                             { recordAccountDaily(rows: $rows) { inserted rejected { index field code } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_counts_are_refused() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    app.ok(
        &key,
        r#"mutation { upsertAccounts(rows: [{key: "oa", kind: SERVICE_ACCOUNT, name: "OA"}]) { inserted } }"#,
        json!({}),
    )
    .await;
    // In variables: not an Int, the whole call is refused before any row is looked at.
    for count in [
        json!(-0.5),
        json!("12"),
        json!(9_223_372_036_854_775_808_u64),
        json!(1.5e300),
        json!(true),
    ] {
        let rows = json!([{ "account": "oa", "date": "2026-01-05", "newFollowers": count }]);
        let got = gql_quickly(
            &app,
            &key,
            ACCOUNT_DAILY.to_owned(),
            json!({ "rows": rows }),
        )
        .await;
        assert_refused(
            &got,
            StatusCode::OK,
            "BAD_USER_INPUT",
            "expected type \"Int\"",
        );
    }
    // 1e400 is no JSON number this server can hold: the body itself is refused.
    let body = format!(
        r#"{{"query": {}, "variables": {{"rows": [{{"account": "oa", "date": "2026-01-05", "newFollowers": 1e400}}]}}}}"#,
        serde_json::to_string(ACCOUNT_DAILY).unwrap()
    );
    let got = raw_quickly(&app, Some(&key), Some("application/json"), Body::from(body)).await;
    assert_refused(&got, StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "malformed");
    // Inline, the same.
    for (count, needle) in [
        ("1e400", "number out of range"),
        ("-0.5", "expected type \"Int\""),
        ("\"12\"", "expected type \"Int\""),
        ("9223372036854775808", "expected type \"Int\""),
        ("1.5", "expected type \"Int\""),
    ] {
        let query = format!(
            "mutation {{ recordAccountDaily(rows: [{{account: \"oa\", date: \"2026-01-05\", newFollowers: {count}}}]) {{ inserted }} }}"
        );
        let got = gql_quickly(&app, &key, query, json!({})).await;
        assert_refused(&got, StatusCode::OK, "BAD_USER_INPUT", needle);
    }
    // Whole numbers that are out of range for a count are that row's error.
    for (count, code) in [
        (json!(-1), "NEGATIVE"),
        // 2^53 + 1 would be stored as 2^53.
        (json!(9_007_199_254_740_993_i64), "INVALID_FORMAT"),
        (json!(9_223_372_036_854_775_807_i64), "INVALID_FORMAT"),
    ] {
        let rows = json!([{ "account": "oa", "date": "2026-01-05", "newFollowers": count }]);
        let (status, resp) = gql_quickly(
            &app,
            &key,
            ACCOUNT_DAILY.to_owned(),
            json!({ "rows": rows }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            resp["data"]["recordAccountDaily"],
            json!({ "inserted": 0, "rejected": [{ "index": 0, "field": "newFollowers", "code": code }] }),
            "{count}"
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM account_daily").await, 0);
    assert_alive(&app, &key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_money_is_refused_per_row() {
    let (app, key) = app_with_key(Backend::Sqlite).await;
    let query = "mutation($rows: [SpendInput!]!) \
                 { recordSpend(rows: $rows) { inserted rejected { index field code } } }";
    let amounts = [
        (json!("1e5"), "INVALID_FORMAT"),
        (json!("12.345"), "TOO_MANY_DECIMALS"),
        (json!("-1"), "NEGATIVE"),
        (json!("NaN"), "INVALID_FORMAT"),
        (json!("Infinity"), "INVALID_FORMAT"),
        (json!("1,000.00"), "INVALID_FORMAT"),
        (json!("0x10"), "INVALID_FORMAT"),
        (json!("1234567890123456"), "INVALID_FORMAT"),
        (json!(12.345), "TOO_MANY_DECIMALS"),
        (json!(1e20), "INVALID_FORMAT"),
    ];
    for (amount, code) in amounts {
        let rows = json!([{ "date": "2026-01-05", "amount": amount }]);
        let (status, resp) =
            gql_quickly(&app, &key, query.to_owned(), json!({ "rows": rows })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            resp["data"]["recordSpend"],
            json!({ "inserted": 0, "rejected": [{ "index": 0, "field": "amount", "code": code }] }),
            "{amount}"
        );
    }
    // Neither string nor number: the call is refused.
    for amount in [json!(true), json!({"cents": 5}), json!([1])] {
        let rows = json!([{ "date": "2026-01-05", "amount": amount }]);
        let got = gql_quickly(&app, &key, query.to_owned(), json!({ "rows": rows })).await;
        assert_refused(
            &got,
            StatusCode::OK,
            "BAD_USER_INPUT",
            "Expected input type \"Decimal\"",
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM spend").await, 0);
    assert_alive(&app, &key).await;
}
