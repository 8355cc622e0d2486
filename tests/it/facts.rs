//! Fact ingestion paths with optional natural-key parts and created references.

use serde_json::json;

use crate::both_backends;

const SPEND: &str = "mutation($r: [SpendInput!]!) { recordSpend(rows: $r) { inserted updated unchanged rejected { index field code } } }";
const FUNNEL: &str = "mutation($r: [FunnelDailyInput!]!) { recordFunnelDaily(rows: $r) { inserted updated unchanged rejected { index field code } } }";
const ORDERS: &str = "mutation($r: [OrderInput!]!, $atomic: Boolean) { recordOrders(rows: $r, atomic: $atomic) { inserted updated unchanged rejected { index field code } } }";

both_backends! {
    async fn spend_and_funnel_keys_with_absent_parts_are_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        app.ok(&key, "mutation { upsertAccounts(rows: [{key: \"oa\", kind: SERVICE_ACCOUNT, name: \"OA\"}]) { inserted } \
                      upsertChannels(rows: [{key: \"ads\", name: \"Ads\"}]) { inserted } \
                      upsertCampaigns(rows: [{key: \"c1\", kind: PROMOTION, name: \"C1\", startsOn: \"2026-01-01\", endsOn: \"2026-01-31\"}]) { inserted } }", json!({})).await;
        let spend = json!([
            { "date": "2026-01-05", "amount": "100.00" },
            { "date": "2026-01-05", "amount": "40.50", "channel": "ads" },
            { "date": "2026-01-05", "amount": "7", "channel": "ads", "campaign": "c1" },
            { "date": "2026-01-05", "amount": "8", "campaign": "c1" }
        ]);
        let first = app.ok(&key, SPEND, json!({ "r": spend })).await;
        assert_eq!(first["recordSpend"]["inserted"], 4);
        let again = app.ok(&key, SPEND, json!({ "r": spend })).await;
        assert_eq!(again["recordSpend"]["unchanged"], 4);
        let fix = app.ok(&key, SPEND, json!({ "r": [{ "date": "2026-01-05", "amount": "120.00" }] })).await;
        assert_eq!(fix["recordSpend"]["updated"], 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM spend").await, 4);
        // 120.00 + 40.50 + 7.00 + 8.00 = 175.50, stored as cents.
        assert_eq!(app.scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM spend").await, 17_550);

        let funnel = json!([
            { "account": "oa", "date": "2026-01-05", "visits": 100, "checkouts": 20, "payments": 5 },
            { "account": "oa", "campaign": "c1", "date": "2026-01-05", "visits": 50, "checkouts": 10, "payments": 4 }
        ]);
        assert_eq!(app.ok(&key, FUNNEL, json!({ "r": funnel })).await["recordFunnelDaily"]["inserted"], 2);
        assert_eq!(app.ok(&key, FUNNEL, json!({ "r": funnel })).await["recordFunnelDaily"]["unchanged"], 2);
    }

    async fn orders_create_unknown_customers_only_when_written(app: TestApp) {
        let key = app.workspace("acme").await;
        let bad = json!([
            { "key": "o1", "customer": "alice", "paidAt": "2026-03-31T17:00:00Z", "amount": "199.00" },
            { "key": "o2", "customer": "bob", "paidAt": "2026-03-01T02:00:00Z", "amount": "50.00", "refundedAmount": "60.00" }
        ]);
        let refused = app.ok(&key, ORDERS, json!({ "r": bad })).await;
        assert_eq!(refused["recordOrders"]["rejected"][0]["field"], "refundedAmount");
        assert_eq!(refused["recordOrders"]["inserted"], 0);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM customer").await, 0, "a refused call creates no customer");

        let partial = app.ok(&key, ORDERS, json!({ "r": bad, "atomic": false })).await;
        assert_eq!(partial["recordOrders"]["inserted"], 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM customer").await, 1);
        // 2026-03-31T17:00Z is 2026-04-01 01:00 in Asia/Shanghai.
        assert_eq!(app.scalar("SELECT COUNT(*) FROM orders WHERE paid_date = '2026-04-01'").await, 1);
    }
}
