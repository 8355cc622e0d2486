//! Tenancy: a key of workspace A never reads, counts, fetches or overwrites B's rows; B's keys
//! and ids behave exactly like ones that do not exist.

use serde_json::json;

use crate::both_backends;
use crate::helpers::error_code;

const SETUP_ACCOUNTS: &str = "mutation($rows: [AccountInput!]!) { upsertAccounts(rows: $rows) { inserted updated unchanged } }";
const SETUP_CAMPAIGNS: &str =
    "mutation($rows: [CampaignInput!]!) { upsertCampaigns(rows: $rows) { inserted } }";
const SETUP_CONTENTS: &str = "mutation($rows: [ContentInput!]!) { upsertContents(rows: $rows) { inserted rejected { index field code message } } }";

both_backends! {
    async fn workspaces_cannot_see_or_touch_each_other(app: TestApp) {
        let a = app.workspace("brand-a").await;
        let b = app.workspace("brand-b").await;
        app.ok(&b, SETUP_ACCOUNTS, json!({ "rows": [
            { "key": "shared", "kind": "WECOM", "name": "B shared" },
            { "key": "b-only", "kind": "SERVICE_ACCOUNT", "name": "B only" }
        ]})).await;
        app.ok(&b, SETUP_CAMPAIGNS, json!({ "rows": [
            { "key": "camp-b", "kind": "BRAND", "name": "B camp", "startsOn": "2026-01-01", "endsOn": "2026-01-31" }
        ]})).await;
        app.ok(&b, SETUP_CONTENTS, json!({ "rows": [
            { "key": "c-b", "account": "b-only", "kind": "ARTICLE", "title": "B post", "publishedAt": "2026-01-02T00:00:00Z", "campaign": "camp-b" }
        ]})).await;

        // Listing and counting.
        let seen = app.ok(&a, "{ accounts { totalCount edges { node { key } } } contents { totalCount } campaigns { totalCount } channels { totalCount } customers { totalCount } }", json!({})).await;
        for list in ["accounts", "contents", "campaigns", "channels", "customers"] {
            assert_eq!(seen[list]["totalCount"], 0, "{list} leaks: {seen}");
        }
        assert_eq!(seen["accounts"]["edges"], json!([]));
        // Fetching by key: B's key and a nonexistent key give the same answer.
        let q = "query($k: String!) { account(key: $k) { name } content(key: $k) { title } campaign(key: $k) { name } }";
        for k in ["b-only", "c-b", "camp-b"] {
            let theirs = app.gql(Some(&a), q, json!({ "k": k })).await;
            let nobody = app.gql(Some(&a), q, json!({ "k": "no-such-key" })).await;
            assert_eq!(theirs, nobody);
            assert_eq!(theirs["data"], json!({ "account": null, "content": null, "campaign": null }));
        }
        // Filtering by B's keys matches nothing.
        let filtered = app.ok(&a, "{ contents(account: \"b-only\") { totalCount } c2: contents(campaign: \"camp-b\") { totalCount } }", json!({})).await;
        assert_eq!(filtered["contents"]["totalCount"], 0);
        assert_eq!(filtered["c2"]["totalCount"], 0);

        // Referencing B's account from A is the same error as an unknown key.
        let row = |acc: &str| json!({ "rows": [{ "key": "c-a", "account": acc, "kind": "ARTICLE", "title": "A post", "publishedAt": "2026-01-03T00:00:00Z" }] });
        let theirs = app.ok(&a, SETUP_CONTENTS, row("b-only")).await;
        let nobody = app.ok(&a, SETUP_CONTENTS, row("zzz")).await;
        assert_eq!(theirs["upsertContents"]["rejected"][0]["code"], "UNKNOWN_REFERENCE");
        assert_eq!(
            theirs["upsertContents"]["rejected"][0]["message"].as_str().unwrap().replace("b-only", "X"),
            nobody["upsertContents"]["rejected"][0]["message"].as_str().unwrap().replace("zzz", "X"),
        );

        // Upserting the same key in A creates A's own row; B's is untouched.
        let mine = app.ok(&a, SETUP_ACCOUNTS, json!({ "rows": [{ "key": "shared", "kind": "PERSONAL", "name": "A shared" }] })).await;
        assert_eq!(mine["upsertAccounts"]["inserted"], 1);
        let b_view = app.ok(&b, "{ account(key: \"shared\") { name kind } accounts { totalCount } }", json!({})).await;
        assert_eq!(b_view["account"]["name"], "B shared");
        assert_eq!(b_view["account"]["kind"], "WECOM");
        assert_eq!(b_view["accounts"]["totalCount"], 2);
        let a_view = app.ok(&a, "{ account(key: \"shared\") { name } accounts { totalCount } }", json!({})).await;
        assert_eq!(a_view["account"]["name"], "A shared");
        assert_eq!(a_view["accounts"]["totalCount"], 1);

        // B's key ids are NOT_FOUND for A, like an id that does not exist.
        let b_keys = app.ok(&b, "{ apiKeys { id } }", json!({})).await;
        let b_key_id = b_keys["apiKeys"][0]["id"].as_str().unwrap().to_string();
        let revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { id } }";
        let theirs = app.gql(Some(&a), revoke, json!({ "id": b_key_id })).await;
        let nobody = app.gql(Some(&a), revoke, json!({ "id": "999999" })).await;
        assert_eq!(error_code(&theirs), "NOT_FOUND");
        assert_eq!(error_code(&nobody), "NOT_FOUND");
        app.ok(&b, "{ viewer { role } }", json!({})).await;
    }
}
