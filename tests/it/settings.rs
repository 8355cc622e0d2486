//! Workspace settings: validation, and a new time zone moves orders to their new business date.

use serde_json::json;

use crate::both_backends;

const SETTINGS: &str = "mutation($i: WorkspaceSettingsInput!) { updateWorkspaceSettings(input: $i) { name timezone currency grossMargin ltvHorizonMonths } }";
const GMV_BY_MONTH: &str = "{ kpiReport(input: {kpis: [GMV], range: {from: \"2026-03-01\", to: \"2026-04-30\"}, granularity: MONTH}) { rows { period { label } values { value } } } }";

both_backends! {
    async fn settings_are_validated_and_a_new_zone_moves_orders(app: TestApp) {
        let key = app.workspace("acme").await;
        for (input, needle) in [
            (json!({ "timezone": "Mars/Olympus" }), "IANA"),
            (json!({ "currency": "yuan" }), "ISO 4217"),
            (json!({ "grossMargin": 1.5 }), "grossMargin"),
            (json!({ "ltvHorizonMonths": 0 }), "ltvHorizonMonths"),
        ] {
            let resp = app.gql(Some(&key), SETTINGS, json!({ "i": input })).await;
            assert_eq!(crate::error_code(&resp), "BAD_USER_INPUT");
            assert!(resp["errors"][0]["message"].as_str().unwrap().contains(needle), "{resp}");
        }
        // 2026-03-31T17:00:00Z is April 1 in Shanghai (UTC+8) but March 31 in UTC.
        app.ok(&key, r#"mutation { recordOrders(rows: [{key: "o1", customer: "c", paidAt: "2026-03-31T17:00:00Z", amount: "100.00"}]) { inserted } }"#, json!({})).await;
        let shanghai = app.ok(&key, GMV_BY_MONTH, json!({})).await;
        assert_eq!(shanghai["kpiReport"]["rows"][0]["values"][0]["value"], 0.0);
        assert_eq!(shanghai["kpiReport"]["rows"][1]["values"][0]["value"], 100.0);

        let saved = app.ok(&key, SETTINGS, json!({ "i": { "timezone": "UTC", "grossMargin": 0.4, "ltvHorizonMonths": 6, "currency": "USD" } })).await;
        assert_eq!(saved["updateWorkspaceSettings"], json!({ "name": "acme", "timezone": "UTC", "currency": "USD", "grossMargin": 0.4, "ltvHorizonMonths": 6 }));
        let utc = app.ok(&key, GMV_BY_MONTH, json!({})).await;
        assert_eq!(utc["kpiReport"]["rows"][0]["values"][0]["value"], 100.0);
        assert_eq!(utc["kpiReport"]["rows"][1]["values"][0]["value"], 0.0);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM orders WHERE paid_date = '2026-03-31'").await, 1);
        // A READ key cannot change settings.
        let admin_only = app.key(&key, "READ").await;
        let resp = app.gql(Some(&admin_only), SETTINGS, json!({ "i": { "currency": "CNY" } })).await;
        assert_eq!(crate::error_code(&resp), "FORBIDDEN");
    }
}
