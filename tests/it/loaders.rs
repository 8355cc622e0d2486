//! Relations resolve through per-request DataLoaders: a page of contents with their account and
//! campaign costs the same number of SQL statements at any page size.

use serde_json::json;

use crate::both_backends;

const PAGE: &str = "query($n: Int!) { contents(first: $n) { totalCount edges { node { key account { key name } campaign { key } } } } }";

both_backends! {
    async fn relation_statements_do_not_grow_with_page_size(app: TestApp) {
        let key = app.workspace("acme").await;
        let accounts: Vec<_> = (0..50).map(|i| json!({ "key": format!("acc{i}"), "kind": "SERVICE_ACCOUNT", "name": format!("Account {i}") })).collect();
        app.ok(&key, "mutation($r: [AccountInput!]!) { upsertAccounts(rows: $r) { inserted } }", json!({ "r": accounts })).await;
        let campaigns: Vec<_> = (0..10).map(|i| json!({ "key": format!("camp{i}"), "kind": "PROMOTION", "name": format!("C{i}"), "startsOn": "2026-01-01", "endsOn": "2026-02-01" })).collect();
        app.ok(&key, "mutation($r: [CampaignInput!]!) { upsertCampaigns(rows: $r) { inserted } }", json!({ "r": campaigns })).await;
        // Content i belongs to account i % 50 and, for odd i, to campaign i % 10.
        let contents: Vec<_> = (0..500).map(|i| {
            let mut row = json!({ "key": format!("c{i:03}"), "account": format!("acc{}", i % 50), "kind": "ARTICLE",
                                  "title": format!("Post {i}"), "publishedAt": "2026-01-05T02:00:00Z" });
            if i % 2 == 1 { row["campaign"] = json!(format!("camp{}", i % 10)); }
            row
        }).collect();
        let done = app.ok(&key, "mutation($r: [ContentInput!]!) { upsertContents(rows: $r) { inserted } }", json!({ "r": contents })).await;
        assert_eq!(done["upsertContents"]["inserted"], 500);

        let mut cost = Vec::new();
        for n in [5, 50, 500] {
            let before = app.statement_count();
            let data = app.ok(&key, PAGE, json!({ "n": n })).await;
            cost.push(app.statement_count() - before);
            let edges = data["contents"]["edges"].as_array().unwrap();
            assert_eq!(edges.len(), n as usize);
            assert_eq!(data["contents"]["totalCount"], 500);
            for edge in edges {
                let node = &edge["node"];
                let i: usize = node["key"].as_str().unwrap()[1..].parse().unwrap();
                assert_eq!(node["account"]["key"], format!("acc{}", i % 50));
                assert_eq!(node["account"]["name"], format!("Account {}", i % 50));
                if i % 2 == 1 {
                    assert_eq!(node["campaign"]["key"], format!("camp{}", i % 10));
                } else {
                    assert!(node["campaign"].is_null());
                }
            }
        }
        // Key lookup, count, page, accounts, campaigns.
        assert_eq!(cost, vec![5, 5, 5], "statements per page size 5/50/500");
    }
}
