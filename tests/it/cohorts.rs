//! The retention matrix, worked out by hand.

use chrono::{Datelike, Utc};
use serde_json::json;

use crate::both_backends;

const COHORTS: &str =
    "query($i: CohortInput!) { cohorts(input: $i) { cohorts { month size retained rates } } }";

both_backends! {
    async fn retention_matrix_by_month_of_first_purchase(app: TestApp) {
        let key = app.workspace("acme").await;
        app.ok(&key, r#"mutation { upsertChannels(rows: [{key: "ads", name: "Ads"}]) { inserted } }"#, json!({})).await;
        app.ok(&key, r#"mutation { recordOrders(rows: [
            {key: "a1", customer: "alice", paidAt: "2026-01-15T02:00:00Z", amount: "10"},
            {key: "a2", customer: "alice", paidAt: "2026-02-03T02:00:00Z", amount: "10"},
            {key: "a3", customer: "alice", paidAt: "2026-03-31T17:00:00Z", amount: "10"},
            {key: "b1", customer: "bob",   paidAt: "2026-01-31T02:00:00Z", amount: "10"},
            {key: "b2", customer: "bob",   paidAt: "2026-03-01T02:00:00Z", amount: "10"},
            {key: "c1", customer: "carol", paidAt: "2026-02-10T02:00:00Z", amount: "10"},
            {key: "d1", customer: "dave",  paidAt: "2026-02-28T16:30:00Z", amount: "10", channel: "ads"}
        ]) { inserted } }"#, json!({})).await;
        let data = app.ok(&key, COHORTS, json!({ "i": { "range": { "from": "2026-01-01", "to": "2026-03-31" }, "months": 3 } })).await;
        // January: alice (first 01-15) and bob (first 01-31).
        //   M+1 Feb: alice (02-03). M+2 Mar: bob (03-01); alice's 03-31T17:00Z is April 1 in Shanghai.
        //   M+3 Apr: alice.
        // February: carol only (dave's 02-28T16:30Z is March 1 in Shanghai).
        // March: dave.
        assert_eq!(data["cohorts"]["cohorts"], json!([
            { "month": "2026-01", "size": 2, "retained": [2, 1, 1, 1], "rates": [1.0, 0.5, 0.5, 0.5] },
            { "month": "2026-02", "size": 1, "retained": [1, 0, 0, 0], "rates": [1.0, 0.0, 0.0, 0.0] },
            { "month": "2026-03", "size": 1, "retained": [1, 0, 0, 0], "rates": [1.0, 0.0, 0.0, 0.0] }
        ]));
        let ads = app.ok(&key, COHORTS, json!({ "i": { "range": { "from": "2026-01-01", "to": "2026-03-31" }, "months": 1, "filter": { "channels": ["ads"] } } })).await;
        assert_eq!(ads["cohorts"]["cohorts"], json!([{ "month": "2026-03", "size": 1, "retained": [1, 0], "rates": [1.0, 0.0] }]));
        let bad = app.gql(Some(&key), COHORTS, json!({ "i": { "range": { "from": "2026-01-01", "to": "2026-03-31" }, "filter": { "accounts": ["x"] } } })).await;
        assert_eq!(crate::error_code(&bad), "BAD_USER_INPUT");
    }

    async fn months_that_have_not_started_have_no_rate(app: TestApp) {
        let key = app.workspace("acme").await;
        let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let first = today.with_day(1).unwrap();
        let paid = format!("{first}T00:30:00+08:00");
        app.ok(&key, "mutation($p: DateTime!) { recordOrders(rows: [{key: \"e1\", customer: \"erin\", paidAt: $p, amount: \"5\"}]) { inserted } }", json!({ "p": paid })).await;
        let data = app.ok(&key, COHORTS, json!({ "i": { "range": { "from": first.to_string(), "to": today.to_string() }, "months": 2 } })).await;
        let month = format!("{:04}-{:02}", first.year(), first.month());
        assert_eq!(data["cohorts"]["cohorts"], json!([{ "month": month, "size": 1, "retained": [1, 0, 0], "rates": [1.0, null, null] }]));
    }
}
