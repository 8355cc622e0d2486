//! Error codes and masking: internal causes never reach clients; limits have their own code.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::both_backends;
use crate::helpers::error_code;

both_backends! {
    async fn internal_database_error_is_masked(app: TestApp) {
        let key = app.workspace("acme").await;
        // Break the schema under the running server: the next read fails inside the database.
        app.db
            .execute_unprepared("ALTER TABLE account RENAME TO account_gone")
            .await
            .unwrap();
        let resp = app.gql(Some(&key), "{ accounts { totalCount } }", json!({})).await;
        assert_eq!(error_code(&resp), "INTERNAL");
        let message = resp["errors"][0]["message"].as_str().unwrap();
        assert_eq!(message, "internal error");
        let text = resp.to_string().to_lowercase();
        for leak in ["select", "account_gone", "sqlite", "relation", "no such table", "from"] {
            assert!(!text.contains(leak), "response leaks `{leak}`: {resp}");
        }
    }

    async fn too_deep_query_is_query_too_complex(app: TestApp) {
        let key = app.workspace("acme").await;
        // 13 levels of selection: deeper than the default limit of 12.
        let query = format!("{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
            "ofType { ".repeat(8), " }".repeat(8));
        let resp = app.gql(Some(&key), &query, json!({})).await;
        assert_eq!(error_code(&resp), "QUERY_TOO_COMPLEX", "{resp}");
        assert!(resp.get("data").is_none_or(|d| d.is_null()), "no data may be returned: {resp}");
    }

    async fn syntax_error_is_bad_user_input(app: TestApp) {
        let key = app.workspace("acme").await;
        let resp = app.gql(Some(&key), "{ accounts { totalCount ", json!({})).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT");
        let resp = app.gql(Some(&key), "{ noSuchField }", json!({})).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    }

    async fn page_size_above_500_is_refused(app: TestApp) {
        let key = app.workspace("acme").await;
        let resp = app.gql(Some(&key), "{ accounts(first: 501) { totalCount } }", json!({})).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT");
        assert!(resp["errors"][0]["message"].as_str().unwrap().contains("500"));
        let ok = app.ok(&key, "{ accounts(first: 500) { totalCount } }", json!({})).await;
        assert_eq!(ok["accounts"]["totalCount"], 0);
    }
}
