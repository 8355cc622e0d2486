//! KPI reports see the caller's workspace only: two workspaces with the same keys (accounts,
//! channels, campaigns, contents, customers, staff) and different data; each report returns
//! its own values, groups and labels, and nothing of the other's.

use serde_json::{Value, json};

use crate::both_backends;
use crate::kpi_support::{
    Expect, NO_DATA, OK, WARNING, amount, check, derived, ingest, ratio, report,
};

const MARCH: &str = "2026-03-01..2026-03-31";

/// One workspace named `name` whose directory entries carry `name` in their labels and whose
/// counts are multiplied by `scale`. `extra` adds a channel and an account the other workspace
/// does not have. Its latest fact is on `last_day`.
async fn seed(app: &crate::TestApp, name: &str, scale: u32, extra: bool, last_day: &str) -> String {
    let key = app.workspace(name).await;
    let n = |v: u32| v * scale;
    let mut accounts = vec![
        json!({ "key": "oa", "kind": "SERVICE_ACCOUNT", "name": format!("{name} OA") }),
        json!({ "key": "wc", "kind": "WECOM", "name": format!("{name} WeCom") }),
    ];
    let mut channels = vec![json!({ "key": "qr", "name": format!("{name} QR") })];
    if extra {
        accounts
            .push(json!({ "key": "only", "kind": "MINI_PROGRAM", "name": format!("{name} shop") }));
        channels.push(json!({ "key": "only", "name": format!("{name} only") }));
    }
    ingest(app, &key, "upsertAccounts", Value::Array(accounts)).await;
    ingest(app, &key, "upsertChannels", Value::Array(channels)).await;
    ingest(app, &key, "upsertCampaigns", json!([
        { "key": "spring", "kind": "PROMOTION", "name": format!("{name} Spring"), "startsOn": "2026-03-01", "endsOn": "2026-03-31" },
    ])).await;
    ingest(app, &key, "upsertContents", json!([
        { "key": "a1", "account": "oa", "kind": "ARTICLE", "title": format!("{name} post"), "publishedAt": "2026-03-01T00:00:00Z", "campaign": "spring" },
    ])).await;
    ingest(app, &key, "recordContentDaily", json!([
        { "content": "a1", "date": "2026-03-02", "deliveries": n(100), "opens": n(10), "reads": n(50), "readers": n(40),
          "completions": n(20), "shares": n(10), "sharers": n(5), "likes": n(5), "clicks": n(5) },
    ])).await;
    ingest(app, &key, "recordAccountDaily", json!([
        { "account": "oa", "date": "2026-03-02", "newFollowers": n(5), "unfollows": n(1), "totalFollowers": n(105) },
    ])).await;
    ingest(app, &key, "recordFunnelDaily", json!([
        { "account": "oa", "campaign": "spring", "date": "2026-03-02", "visits": n(100), "checkouts": n(20), "payments": n(5) },
    ])).await;
    ingest(app, &key, "recordCampaignDaily", json!([
        { "campaign": "spring", "date": "2026-03-02", "reached": n(100), "participants": n(40), "ugcPosts": n(3) },
    ])).await;
    ingest(app, &key, "recordStaffDaily", json!([
        { "account": "wc", "staff": "zhang", "date": "2026-03-02", "chats": n(10), "repliedChats": n(5),
          "replyMinutesTotal": n(15), "newApplies": n(2), "newContacts": n(1) },
    ])).await;
    ingest(app, &key, "recordGroupDaily", json!([
        { "account": "wc", "staff": "zhang", "date": "2026-03-02", "membersTotal": n(10), "activeMembers": n(5) },
    ])).await;
    ingest(app, &key, "recordSpend", json!([
        { "date": "2026-03-02", "amount": format!("{}.00", n(50)), "channel": "qr", "campaign": "spring" },
    ])).await;
    let mut orders = vec![
        json!({ "key": "o1", "customer": "alice", "paidAt": "2026-03-02T12:00:00+08:00", "amount": format!("{}.00", n(100)), "channel": "qr", "campaign": "spring", "account": "oa" }),
        json!({ "key": "o2", "customer": "alice", "paidAt": format!("{last_day}T12:00:00+08:00"), "amount": format!("{}.00", n(10)), "channel": "qr", "account": "oa" }),
    ];
    if extra {
        // Another buyer and new customer in March, and orders in February that a comparison
        // with the previous period would pick up.
        orders.push(json!({ "key": "o3", "customer": "bob", "paidAt": "2026-03-03T12:00:00+08:00", "amount": "7000.00", "channel": "only", "account": "only" }));
        orders.push(json!({ "key": "o4", "customer": "carol", "paidAt": "2026-02-10T12:00:00+08:00", "amount": "3000.00", "channel": "qr", "account": "oa" }));
    }
    ingest(app, &key, "recordOrders", Value::Array(orders)).await;
    key
}

/// Workspace A's March values, by hand (scale 1):
fn expected_a(kpi: &str) -> Expect {
    match kpi {
        // a1: opens 10 / deliveries 100; completions 20, shares 10, sharers 5, likes 5 + shares
        // 10 = 15 interactions, clicks 5, all over 50 reads.
        "OPEN_RATE" => ratio(10.0, 100.0, OK),
        "READ_THROUGH_RATE" => ratio(20.0, 50.0, OK),
        "SHARE_COEFFICIENT" => ratio(10.0, 50.0, OK),
        "SHARE_CONVERSION_RATE" => ratio(5.0, 50.0, OK),
        "INTERACTION_RATE" => ratio(15.0, 50.0, OK),
        "CLICK_THROUGH_RATE" => ratio(5.0, 50.0, OK),
        // 5 new, 1 unfollow, start of day 105 − 5 + 1 = 101.
        "NEW_FOLLOWERS" => amount(5.0, OK),
        "UNFOLLOWS" => amount(1.0, OK),
        "NET_FOLLOWERS" => amount(4.0, OK),
        "UNFOLLOW_RATE" => ratio(1.0, 101.0, OK),
        "PAYMENT_CONVERSION" => ratio(5.0, 100.0, OK),
        // alice's o1, 100.00; her o2 is in May.
        "GMV" | "REVENUE" => amount(100.0, OK),
        "ORDERS" | "BUYERS" => amount(1.0, OK),
        "AOV" => derived(Some(100.0), Some(1.0), OK),
        "SPEND" => amount(50.0, OK),
        // 100 / 50 = 2, below 5.
        "ROI" => derived(Some(100.0), Some(50.0), WARNING),
        "NEW_CUSTOMERS" => amount(1.0, OK),
        "CAC" => derived(Some(50.0), Some(1.0), OK),
        // alice: 100 + 10 within 12 months; 110 / CAC 50 = 2.2, below 3.
        "LTV" => ratio(110.0, 1.0, OK),
        "LTV_CAC_RATIO" => derived(Some(110.0), Some(50.0), WARNING),
        // alice buys again in May (M+2).
        "REPURCHASE_RATE_3M" => ratio(1.0, 1.0, OK),
        "PARTICIPATION_RATE" => ratio(40.0, 100.0, OK),
        // 3 posts, below 100.
        "UGC_POSTS" => amount(3.0, WARNING),
        "FRIEND_ACCEPT_RATE" => ratio(1.0, 2.0, OK),
        "REPLY_RATE" => ratio(5.0, 10.0, OK),
        "AVG_REPLY_MINUTES" => ratio(15.0, 5.0, OK),
        "NEGATIVE_FEEDBACK" => amount(0.0, OK),
        "GROUP_ACTIVITY_RATE" => ratio(5.0, 10.0, OK),
        other => panic!("{other}"),
    }
}

fn march(kpis: &[String], group_by: &[&str]) -> Value {
    json!({ "kpis": kpis, "range": { "from": "2026-03-01", "to": "2026-03-31" }, "groupBy": group_by, "compareTo": "PREVIOUS_PERIOD" })
}

both_backends! {
    async fn kpi_reports_see_the_callers_workspace_only(app: TestApp) {
        // B has ten times A's counts, a channel and an account A lacks, February orders, and
        // later data.
        let a = seed(&app, "A", 1, false, "2026-05-10").await;
        let b = seed(&app, "B", 10, true, "2026-05-20").await;
        let catalog = app.ok(&a, "{ kpiCatalog { key } }", json!({})).await;
        let all: Vec<String> = catalog["kpiCatalog"].as_array().unwrap().iter()
            .map(|k| k["key"].as_str().unwrap().to_string()).collect();
        for chunk in all.chunks(15) {
            let data = report(&app, &a, march(chunk, &[])).await;
            for kpi in chunk {
                check(data.value(MARCH, &[], kpi), expected_a(kpi), kpi);
                check(data.total(kpi), expected_a(kpi), kpi);
            }
            // A has nothing in February: B's orders there are not A's previous period.
            for kpi in ["GMV", "BUYERS"] {
                if chunk.iter().any(|k| k == kpi) {
                    assert_eq!(data.total(kpi)["previous"], 0.0, "{kpi}");
                }
            }
            assert_eq!(data.0["meta"]["dataAsOf"], "2026-05-10");
        }

        // Grouped: A's groups only, labelled with A's names.
        let cases: [(&str, &str, &str, &str); 6] = [
            ("OPEN_RATE", "CONTENT", "a1", "A post"),
            ("OPEN_RATE", "ACCOUNT", "oa", "A OA"),
            ("GMV", "ACCOUNT", "oa", "A OA"),
            ("CAC", "CHANNEL", "qr", "A QR"),
            ("PAYMENT_CONVERSION", "CAMPAIGN", "spring", "A Spring"),
            ("REPLY_RATE", "STAFF", "zhang", ""),
        ];
        for (kpi, dimension, group, label) in cases {
            let data = report(&app, &a, march(&[kpi.to_string()], &[dimension])).await;
            let context = format!("{kpi} by {dimension}");
            assert_eq!(data.rows().len(), 1, "{context}: {}", data.0);
            let row = data.row(MARCH, &[group]);
            let expected_label = if label.is_empty() { Value::Null } else { json!(label) };
            assert_eq!(row["dimensions"][0]["label"], expected_label, "{context}");
            check(data.value(MARCH, &[group], kpi), expected_a(kpi), &context);
        }

        // B's own reports do see B's data: ten times A's counts plus bob's order via `only`.
        let data = report(&app, &b, march(&["GMV".to_string(), "OPEN_RATE".to_string(), "BUYERS".to_string()], &[])).await;
        check(data.total("OPEN_RATE"), ratio(100.0, 1000.0, OK), "B open rate");
        // 1000 (o1) + 7000 (o3); previous period: carol's 3000 in February.
        check(data.total("GMV"), amount(8000.0, OK), "B gmv");
        assert_eq!(data.total("GMV")["previous"], 3000.0);
        check(data.total("BUYERS"), amount(2.0, OK), "B buyers");
        assert_eq!(data.0["meta"]["dataAsOf"], "2026-05-20");
        let by_channel = report(&app, &b, march(&["NEW_CUSTOMERS".to_string()], &["CHANNEL"])).await;
        let keys: Vec<Vec<String>> = by_channel.layout().into_iter().map(|(_, k)| k).collect();
        assert_eq!(keys, [vec!["only".to_string()], vec!["qr".to_string()]]);
        assert_eq!(by_channel.row(MARCH, &["only"])["dimensions"][0]["label"], "B only");
        // carol's first order was in February: B's March cohort is alice (qr) and bob (only).
        check(by_channel.value(MARCH, &["qr"], "NEW_CUSTOMERS"), amount(1.0, OK), "B qr");
        // A zero-denominator status is the same in both workspaces.
        let empty = report(&app, &a, json!({ "kpis": ["OPEN_RATE"], "range": { "from": "2026-02-01", "to": "2026-02-28" } })).await;
        check(empty.total("OPEN_RATE"), ratio(0.0, 0.0, NO_DATA), "A february");
    }
}
