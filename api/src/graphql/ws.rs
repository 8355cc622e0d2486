//! `GET /graphql/ws`: subscriptions over WebSocket (`graphql-transport-ws`; the older
//! `graphql-ws` protocol is accepted too).
//!
//! Browsers cannot set headers on a WebSocket, so the key travels in the `connection_init`
//! payload: `{"Authorization": "Bearer <key>"}` (or `authorization`, or `{"apiKey": "<key>"}`).
//! The connection is refused, closed before any operation runs, when the key is missing,
//! unknown or revoked; otherwise the tenant is attached to every operation of the connection.

use async_graphql::{Data, ErrorExtensions};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::app::AppState;
use crate::auth;
use crate::error::ApiError;

/// Why a connection without a valid key is closed.
const UNAUTHENTICATED: &str = r#"a valid API key is required in the connection_init payload: {"Authorization": "Bearer <key>"}"#;

/// `GET /graphql/ws`.
pub async fn subscribe(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let db = state.db.clone();
            GraphQLWebSocket::new(socket, state.schema.clone(), protocol)
                .on_connection_init(move |payload| connection_data(db, payload))
                .serve()
        })
}

/// The `Authorization` header value carried by a `connection_init` payload.
fn authorization(payload: &Value) -> Option<String> {
    ["Authorization", "authorization"]
        .iter()
        .find_map(|name| payload.get(name).and_then(Value::as_str))
        .map(str::to_string)
        .or_else(|| {
            payload
                .get("apiKey")
                .and_then(Value::as_str)
                .map(|key| format!("Bearer {key}"))
        })
}

/// Authenticates the connection: its data is the tenant. No DataLoaders: their caches would live
/// as long as the connection and serve stale rows.
async fn connection_data(db: DatabaseConnection, payload: Value) -> async_graphql::Result<Data> {
    let header = authorization(&payload);
    let tenant = auth::authenticate(&db, header.as_deref())
        .await
        .map_err(|e| match e {
            // The close frame carries this message (at most 123 bytes).
            ApiError::Unauthenticated => async_graphql::Error::new(UNAUTHENTICATED)
                .extend_with(|_, ext| ext.set("code", "UNAUTHENTICATED")),
            other => other.extend(),
        })?;
    let mut data = Data::default();
    data.insert(tenant);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_key_comes_from_any_accepted_field() {
        let bearer = Some("Bearer k1".to_string());
        assert_eq!(
            authorization(&json!({"Authorization": "Bearer k1"})),
            bearer
        );
        assert_eq!(
            authorization(&json!({"authorization": "Bearer k1"})),
            bearer
        );
        assert_eq!(authorization(&json!({"apiKey": "k1"})), bearer);
        assert_eq!(authorization(&json!({"token": "k1"})), None);
        assert_eq!(authorization(&Value::Null), None);
    }
}
