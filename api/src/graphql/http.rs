//! HTTP endpoints of the GraphQL API: `POST /graphql`, `GET /graphql` (GraphiQL, or a query in
//! the URL: never a mutation), `GET /schema.graphql`.
//!
//! The handler authenticates the key, attaches the tenant and fresh loaders, enforces the request
//! deadline, and makes sure every error leaves with an `extensions.code`.

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql::{ErrorExtensions, ParseRequestError, Request, Response, ServerError};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse};
use serde_json::json;

use super::Loaders;
use crate::app::AppState;
use crate::auth;
use crate::error::ApiError;

/// A request that never reached execution, answered in the GraphQL response shape.
pub struct HttpError {
    status: StatusCode,
    error: ApiError,
}

impl HttpError {
    fn new(status: StatusCode, error: ApiError) -> Self {
        Self { status, error }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> axum::response::Response {
        let body = json!({
            "errors": [{
                "message": self.error.message(),
                "extensions": { "code": self.error.code() },
            }]
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<ParseRequestError> for HttpError {
    fn from(err: ParseRequestError) -> Self {
        match err {
            ParseRequestError::PayloadTooLarge => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::QueryTooComplex("the request body is larger than allowed".into()),
            ),
            ParseRequestError::UnsupportedBatch => Self::new(
                StatusCode::BAD_REQUEST,
                ApiError::bad_input(
                    "batched requests are not supported: send one operation per request",
                ),
            ),
            ParseRequestError::Io(e) if e.to_string().contains("length limit") => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::QueryTooComplex("the request body is larger than allowed".into()),
            ),
            other => Self::new(
                StatusCode::BAD_REQUEST,
                ApiError::bad_input(format!("malformed GraphQL request: {}", describe(&other))),
            ),
        }
    }
}

fn describe(err: &ParseRequestError) -> String {
    match err {
        ParseRequestError::InvalidRequest(e) => e.to_string(),
        ParseRequestError::Io(_) => "the body could not be read as JSON".into(),
        _ => "unsupported request format".into(),
    }
}

/// `POST /graphql`.
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<HttpError>, HttpError>,
) -> Result<GraphQLResponse, HttpError> {
    let request = request?.into_inner();
    execute(&state, &headers, request).await
}

/// `GET /graphql`: GraphiQL for browsers; a query in the URL is executed, a mutation is refused.
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<HttpError>, HttpError>,
) -> Result<axum::response::Response, HttpError> {
    let request = match request {
        Ok(r) if !r.0.query.is_empty() => r.into_inner(),
        _ => return Ok(graphiql().into_response()),
    };
    if let Ok(doc) = async_graphql::parser::parse_query(&request.query) {
        let writes = doc
            .operations
            .iter()
            .any(|(_, op)| op.node.ty != OperationType::Query);
        if writes {
            return Err(HttpError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ApiError::bad_input("mutations and subscriptions must be sent with POST"),
            ));
        }
    }
    Ok(execute(&state, &headers, request).await?.into_response())
}

fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Wekpi GraphiQL — set the header Authorization: Bearer <key>")
            .finish(),
    )
}

/// `GET /schema.graphql`: the SDL, identical to the checked-in `schema.graphql`.
pub async fn schema_sdl(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        state.schema.sdl(),
    )
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: Request,
) -> Result<GraphQLResponse, HttpError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let tenant = auth::authenticate(&state.db, authorization)
        .await
        .map_err(|e| match e {
            ApiError::Unauthenticated => HttpError::new(StatusCode::UNAUTHORIZED, e),
            other => HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, other),
        })?;
    let loaders = Loaders::new(&state.db, tenant.workspace_id());
    let request = request.data(tenant).data(loaders);
    let deadline = state.limits.request_timeout();
    let mut response = match tokio::time::timeout(deadline, state.schema.execute(request)).await {
        Ok(response) => response,
        Err(_) => Response::from_errors(vec![timeout_error()]),
    };
    assign_codes(&mut response);
    Ok(response.into())
}

fn timeout_error() -> ServerError {
    let err = ApiError::Timeout.extend();
    let mut server = ServerError::new(err.message, None);
    server.extensions = err.extensions;
    server
}

/// Gives every error a code: errors raised before execution (parse, validation, limits) come
/// from the GraphQL engine without one.
fn assign_codes(response: &mut Response) {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if is_limit_error(&error.message) {
            "QUERY_TOO_COMPLEX"
        } else {
            "BAD_USER_INPUT"
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

fn is_limit_error(message: &str) -> bool {
    const LIMITS: [&str; 4] = [
        "nested too deep",
        "too complex",
        "recursion depth",
        "directives",
    ];
    LIMITS.iter().any(|needle| message.contains(needle))
}
