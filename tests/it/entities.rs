//! Ingest semantics of the entity upserts: idempotent, updates, atomic and non-atomic calls.

use serde_json::{Value, json};

use crate::both_backends;

const UPSERT_CAMPAIGNS: &str = "mutation($rows: [CampaignInput!]!, $atomic: Boolean) {
  upsertCampaigns(rows: $rows, atomic: $atomic) { inserted updated unchanged rejected { index field code message } } }";
const UPSERT_CONTENTS: &str = "mutation($rows: [ContentInput!]!, $atomic: Boolean) {
  upsertContents(rows: $rows, atomic: $atomic) { inserted updated unchanged rejected { index field code message } } }";

fn counts(report: &Value) -> (i64, i64, i64) {
    (
        report["inserted"].as_i64().unwrap(),
        report["updated"].as_i64().unwrap(),
        report["unchanged"].as_i64().unwrap(),
    )
}

fn campaigns() -> Value {
    json!([
        { "key": "spring", "kind": "PROMOTION", "name": "Spring sale", "startsOn": "2026-03-01", "endsOn": "2026-03-31", "budget": "50000.00" },
        { "key": "quiz", "kind": "INTERACTION", "name": "Quiz", "startsOn": "2026-04-01", "endsOn": "2026-04-15" },
        { "key": "brand", "kind": "BRAND", "name": "Brand week", "startsOn": "2026-05-01", "endsOn": "2026-05-07", "budget": 1200 }
    ])
}

both_backends! {
    async fn same_rows_twice_are_unchanged_and_changes_are_updates(app: TestApp) {
        let key = app.workspace("acme").await;
        let first = app.ok(&key, UPSERT_CAMPAIGNS, json!({ "rows": campaigns() })).await;
        assert_eq!(counts(&first["upsertCampaigns"]), (3, 0, 0));
        let again = app.ok(&key, UPSERT_CAMPAIGNS, json!({ "rows": campaigns() })).await;
        assert_eq!(counts(&again["upsertCampaigns"]), (0, 0, 3));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign").await, 3);

        let mut changed = campaigns();
        changed[1]["name"] = json!("Quiz, extended");
        changed[1]["endsOn"] = json!("2026-04-30");
        let third = app.ok(&key, UPSERT_CAMPAIGNS, json!({ "rows": changed })).await;
        assert_eq!(counts(&third["upsertCampaigns"]), (0, 1, 2));
        let stored = app.ok(&key, "{ campaign(key: \"quiz\") { name endsOn budget } spring: campaign(key: \"spring\") { budget } brand: campaign(key: \"brand\") { budget } }", json!({})).await;
        assert_eq!(stored["campaign"]["name"], "Quiz, extended");
        assert_eq!(stored["campaign"]["endsOn"], "2026-04-30");
        assert!(stored["campaign"]["budget"].is_null());
        assert_eq!(stored["spring"]["budget"], "50000.00");
        assert_eq!(stored["brand"]["budget"], "1200.00");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign").await, 3);
    }

    async fn atomic_call_with_bad_rows_writes_nothing_and_lists_every_error(app: TestApp) {
        let key = app.workspace("acme").await;
        let mut rows = campaigns();
        rows[0]["budget"] = json!("10.999");             // three decimals
        rows[2]["endsOn"] = json!("2026-04-01");          // before startsOn
        let resp = app.ok(&key, UPSERT_CAMPAIGNS, json!({ "rows": rows })).await;
        let report = &resp["upsertCampaigns"];
        assert_eq!(counts(report), (0, 0, 0));
        let rejected = report["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 2, "{report}");
        assert_eq!((rejected[0]["index"].as_i64(), rejected[0]["field"].as_str(), rejected[0]["code"].as_str()),
                   (Some(0), Some("budget"), Some("TOO_MANY_DECIMALS")));
        assert_eq!((rejected[1]["index"].as_i64(), rejected[1]["field"].as_str(), rejected[1]["code"].as_str()),
                   (Some(2), Some("endsOn"), Some("INCONSISTENT")));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign").await, 0);
    }

    async fn non_atomic_call_writes_the_valid_rows(app: TestApp) {
        let key = app.workspace("acme").await;
        let mut rows = campaigns();
        rows[0]["budget"] = json!("-5");
        let resp = app.ok(&key, UPSERT_CAMPAIGNS, json!({ "rows": rows, "atomic": false })).await;
        let report = &resp["upsertCampaigns"];
        assert_eq!(counts(report), (2, 0, 0));
        assert_eq!(report["rejected"][0]["index"], 0);
        assert_eq!(report["rejected"][0]["field"], "budget");
        assert_eq!(report["rejected"][0]["code"], "NEGATIVE");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign").await, 2);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign WHERE key = 'spring'").await, 0);
    }

    async fn unknown_references_and_duplicates_are_rejected(app: TestApp) {
        let key = app.workspace("acme").await;
        app.ok(&key, "mutation { upsertAccounts(rows: [{key: \"oa\", kind: SERVICE_ACCOUNT, name: \"OA\"}]) { inserted } }", json!({})).await;
        let rows = json!([
            { "key": "a1", "account": "oa", "kind": "ARTICLE", "title": "Hello", "publishedAt": "2026-03-01T08:00:00Z" },
            { "key": "a2", "account": "nope", "kind": "ARTICLE", "title": "Lost", "publishedAt": "2026-03-01T08:00:00Z", "campaign": "ghost" },
            { "key": "a1", "account": "oa", "kind": "LIVE", "title": "Again", "publishedAt": "2026-03-02T08:00:00Z" }
        ]);
        let resp = app.ok(&key, UPSERT_CONTENTS, json!({ "rows": rows })).await;
        let rejected = resp["upsertContents"]["rejected"].as_array().unwrap().clone();
        let triples: Vec<(i64, String, String)> = rejected
            .iter()
            .map(|e| (e["index"].as_i64().unwrap(), e["field"].as_str().unwrap().into(), e["code"].as_str().unwrap().into()))
            .collect();
        assert_eq!(triples, vec![
            (1, "account".into(), "UNKNOWN_REFERENCE".into()),
            (1, "campaign".into(), "UNKNOWN_REFERENCE".into()),
            (2, "key".into(), "DUPLICATE_KEY".into()),
        ]);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content").await, 0);
    }
}
