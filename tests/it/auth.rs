//! Keys and roles: no key, unknown key, revoked key, role checks, keys shown once.

use serde_json::json;

use crate::both_backends;
use crate::helpers::error_code;

const UPSERT_CHANNELS: &str =
    "mutation($rows: [ChannelInput!]!) { upsertChannels(rows: $rows) { inserted } }";

both_backends! {
    async fn request_without_key_is_unauthenticated(app: TestApp) {
        app.workspace("acme").await;
        let (status, resp) = app.gql_status(None, "{ viewer { role } }", json!({})).await;
        assert_eq!(status.as_u16(), 401);
        assert_eq!(error_code(&resp), "UNAUTHENTICATED");
        let (status, resp) = app.gql_status(Some("wk_not_a_real_key"), "{ viewer { role } }", json!({})).await;
        assert_eq!(status.as_u16(), 401);
        assert_eq!(error_code(&resp), "UNAUTHENTICATED");
    }

    async fn read_key_cannot_upsert(app: TestApp) {
        let admin = app.workspace("acme").await;
        let read = app.key(&admin, "READ").await;
        let resp = app
            .gql(Some(&read), UPSERT_CHANNELS, json!({ "rows": [{ "key": "qr", "name": "QR" }] }))
            .await;
        assert_eq!(error_code(&resp), "FORBIDDEN");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM channel").await, 0);
        // The same call with a WRITE key works.
        let write = app.key(&admin, "WRITE").await;
        let data = app.ok(&write, UPSERT_CHANNELS, json!({ "rows": [{ "key": "qr", "name": "QR" }] })).await;
        assert_eq!(data["upsertChannels"]["inserted"], 1);
        // Accounts are ADMIN-only; a WRITE key is refused.
        let resp = app
            .gql(
                Some(&write),
                "mutation { upsertAccounts(rows: [{key: \"a\", kind: WECOM, name: \"A\"}]) { inserted } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&resp), "FORBIDDEN");
    }

    async fn viewer_reports_workspace_and_role(app: TestApp) {
        let admin = app.workspace("acme").await;
        let read = app.key(&admin, "READ").await;
        let data = app.ok(&read, "{ viewer { role keyName workspace { name timezone currency grossMargin ltvHorizonMonths } } }", json!({})).await;
        assert_eq!(data["viewer"]["role"], "READ");
        assert_eq!(data["viewer"]["keyName"], "k");
        assert_eq!(data["viewer"]["workspace"]["name"], "acme");
        assert_eq!(data["viewer"]["workspace"]["timezone"], "Asia/Shanghai");
        assert_eq!(data["viewer"]["workspace"]["currency"], "CNY");
        assert_eq!(data["viewer"]["workspace"]["grossMargin"], 1.0);
        assert_eq!(data["viewer"]["workspace"]["ltvHorizonMonths"], 12);
    }

    async fn revoked_key_is_refused_and_secret_is_not_stored(app: TestApp) {
        let admin = app.workspace("acme").await;
        let data = app
            .ok(&admin, "mutation { createApiKey(name: \"bi\", role: READ) { secret apiKey { id prefix } } }", json!({}))
            .await;
        let secret = data["createApiKey"]["secret"].as_str().unwrap().to_string();
        let id = data["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_string();
        assert!(secret.starts_with(data["createApiKey"]["apiKey"]["prefix"].as_str().unwrap()));
        // Only a hash is stored.
        let stored = app
            .scalar(&format!("SELECT COUNT(*) FROM api_key WHERE key_hash = '{secret}' OR prefix = '{secret}'"))
            .await;
        assert_eq!(stored, 0);
        app.ok(&secret, "{ viewer { role } }", json!({})).await;
        // A READ key cannot list or revoke keys.
        let resp = app.gql(Some(&secret), "{ apiKeys { id } }", json!({})).await;
        assert_eq!(error_code(&resp), "FORBIDDEN");
        let revoked = app
            .ok(&admin, "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", json!({ "id": id }))
            .await;
        assert!(revoked["revokeApiKey"]["revokedAt"].is_string());
        let resp = app.gql(Some(&secret), "{ viewer { role } }", json!({})).await;
        assert_eq!(error_code(&resp), "UNAUTHENTICATED");
    }
}
