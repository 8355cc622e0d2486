//! Every KPI runs on both databases; a few values checked by hand.

use serde_json::{Value, json};

use crate::both_backends;

const REPORT: &str = "query($i: KpiReportInput!) { kpiReport(input: $i) {
  rows { period { start end label } dimensions { dimension key label } values { kpi value numerator denominator status previous change changeRatio } }
  totals { kpi value numerator denominator status }
  meta { timezone currency granularity dataAsOf range { from to } } } }";

fn value(report: &Value, row: usize, kpi: &str) -> Value {
    report["kpiReport"]["rows"][row]["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["kpi"] == kpi)
        .unwrap_or_else(|| panic!("{kpi} missing in {report}"))
        .clone()
}

async fn seed(app: &crate::TestApp) -> String {
    let key = app.workspace("acme").await;
    app.ok(&key, r#"mutation {
      upsertAccounts(rows: [{key: "oa", kind: SERVICE_ACCOUNT, name: "OA"}, {key: "wc", kind: WECOM, name: "WeCom"}]) { inserted }
      upsertChannels(rows: [{key: "qr", name: "QR"}, {key: "ads", name: "Ads"}]) { inserted }
      upsertCampaigns(rows: [{key: "spring", kind: PROMOTION, name: "Spring", startsOn: "2026-03-01", endsOn: "2026-03-31"}]) { inserted }
    }"#, json!({})).await;
    app.ok(&key, r#"mutation {
      upsertContents(rows: [{key: "a1", account: "oa", kind: ARTICLE, title: "A1", publishedAt: "2026-03-01T00:00:00Z", campaign: "spring"},
                            {key: "m1", account: "oa", kind: MOMENTS, title: "M1", publishedAt: "2026-03-01T00:00:00Z"}]) { inserted }
    }"#, json!({})).await;
    app.ok(&key, r#"mutation {
      recordContentDaily(rows: [
        {content: "a1", date: "2026-03-02", deliveries: 100, opens: 20, reads: 50, readers: 40, completions: 10, shares: 5, sharers: 4, likes: 3, comments: 2, favorites: 1, clicks: 6},
        {content: "a1", date: "2026-03-03", deliveries: 300, opens: 90, reads: 150, readers: 100, completions: 60, shares: 30, sharers: 20, likes: 9, comments: 1, favorites: 0, clicks: 12},
        {content: "m1", date: "2026-03-02", deliveries: 10, opens: 7, reads: 7, readers: 7}
      ]) { inserted }
      recordAccountDaily(rows: [{account: "oa", date: "2026-03-02", newFollowers: 50, unfollows: 20, totalFollowers: 1000}]) { inserted }
      recordFunnelDaily(rows: [{account: "oa", campaign: "spring", date: "2026-03-02", visits: 200, checkouts: 40, payments: 10}]) { inserted }
      recordCampaignDaily(rows: [{campaign: "spring", date: "2026-03-02", reached: 1000, participants: 250, ugcPosts: 40}]) { inserted }
      recordStaffDaily(rows: [{account: "wc", staff: "zhang", date: "2026-03-02", chats: 10, messages: 40, repliedChats: 8, replyMinutesTotal: 24, newApplies: 5, newContacts: 4, negativeFeedback: 1}]) { inserted }
      recordGroupDaily(rows: [{account: "wc", staff: "zhang", date: "2026-03-02", groupsTotal: 3, activeGroups: 2, membersTotal: 300, activeMembers: 90, newMembers: 12, messages: 400}]) { inserted }
      recordSpend(rows: [{date: "2026-03-02", amount: "300.00", channel: "qr"}, {date: "2026-03-02", amount: "200.00", channel: "ads"}]) { inserted }
      recordOrders(rows: [
        {key: "o1", customer: "alice", paidAt: "2026-03-02T02:00:00Z", amount: "200.00", channel: "qr"},
        {key: "o2", customer: "bob", paidAt: "2026-03-02T03:00:00Z", amount: "100.00", refundedAmount: "20.00", channel: "qr"},
        {key: "o3", customer: "alice", paidAt: "2026-05-10T03:00:00Z", amount: "50.00", channel: "ads"}
      ]) { inserted }
    }"#, json!({})).await;
    key
}

both_backends! {
    async fn every_kpi_runs_and_simple_values_are_right(app: TestApp) {
        let key = seed(&app).await;
        let all: Vec<String> = app.ok(&key, "{ kpiCatalog { key } }", json!({})).await["kpiCatalog"]
            .as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap().to_string()).collect();
        assert_eq!(all.len(), 30);
        for chunk in all.chunks(15) {
            let data = app.ok(&key, REPORT, json!({ "i": {
                "kpis": chunk, "range": { "from": "2026-03-01", "to": "2026-05-31" }, "granularity": "MONTH", "compareTo": "PREVIOUS_PERIOD"
            }})).await;
            assert_eq!(data["kpiReport"]["rows"].as_array().unwrap().len(), 3, "{data}");
        }
        let data = app.ok(&key, REPORT, json!({ "i": {
            "kpis": ["OPEN_RATE", "READ_THROUGH_RATE", "UNFOLLOW_RATE", "GMV", "REVENUE", "BUYERS", "AOV", "ROI", "NEW_CUSTOMERS", "CAC", "REPURCHASE_RATE_3M", "AVG_REPLY_MINUTES"],
            "range": { "from": "2026-03-01", "to": "2026-03-31" }, "granularity": "MONTH"
        }})).await;
        // OPEN_RATE = (20 + 90 + 7) / (100 + 300 + 10) = 117 / 410.
        let open = value(&data, 0, "OPEN_RATE");
        assert_eq!(open["numerator"], 117.0);
        assert_eq!(open["denominator"], 410.0);
        assert!((open["value"].as_f64().unwrap() - 117.0 / 410.0).abs() < 1e-12);
        // READ_THROUGH_RATE = (10 + 60) / (50 + 150 + 7) = 70 / 207 (< 0.20? no: 0.338 → OK).
        assert_eq!(value(&data, 0, "READ_THROUGH_RATE")["status"], "OK");
        // UNFOLLOW_RATE = 20 / (1000 − 50 + 20) = 20 / 970.
        assert_eq!(value(&data, 0, "UNFOLLOW_RATE")["denominator"], 970.0);
        // March orders: o1 200.00 + o2 100.00 = 300.00 GMV; revenue 300 − 20 = 280; 2 buyers; AOV 150.
        assert_eq!(value(&data, 0, "GMV")["value"], 300.0);
        assert_eq!(value(&data, 0, "REVENUE")["value"], 280.0);
        assert_eq!(value(&data, 0, "BUYERS")["value"], 2.0);
        assert_eq!(value(&data, 0, "AOV")["value"], 150.0);
        // ROI = 280 / 500 = 0.56 → below 5 → WARNING.
        assert_eq!(value(&data, 0, "ROI")["value"], 0.56);
        assert_eq!(value(&data, 0, "ROI")["status"], "WARNING");
        // 2 new customers in March; CAC = 500 / 2 = 250.
        assert_eq!(value(&data, 0, "NEW_CUSTOMERS")["value"], 2.0);
        assert_eq!(value(&data, 0, "CAC")["value"], 250.0);
        // Cohort March = {alice, bob}; alice ordered in May (M+2) → 1 / 2.
        assert_eq!(value(&data, 0, "REPURCHASE_RATE_3M")["value"], 0.5);
        // 24 minutes over 8 replied chats = 3.
        assert_eq!(value(&data, 0, "AVG_REPLY_MINUTES")["value"], 3.0);
        assert_eq!(data["kpiReport"]["meta"]["dataAsOf"], "2026-05-10");
        assert_eq!(data["kpiReport"]["meta"]["timezone"], "Asia/Shanghai");
    }
}
