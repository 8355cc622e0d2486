//! HTTP endpoints of the GraphQL API: `POST /graphql`, `GET /graphql` (GraphiQL, or a query in
//! the URL: never a mutation), `GET /schema.graphql`.
//!
//! The handler authenticates the key, takes a request from the key's rate-limit bucket, attaches
//! the tenant and fresh loaders, enforces the request deadline, makes sure every error leaves
//! with an `extensions.code`, and records the request in the metrics.

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use std::time::Instant;

use async_graphql::{ErrorExtensions, ParseRequestError, Request, Response, ServerError};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{Deadline, Loaders};
use crate::app::AppState;
use crate::auth;
use crate::error::ApiError;
use crate::rate_limit::retry_after_secs;

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
        let mut extensions = json!({ "code": self.error.code() });
        if let ApiError::RateLimited { retry_after_secs } = self.error {
            extensions["retryAfterSeconds"] = retry_after_secs.into();
        }
        let body = json!({
            "errors": [{
                "message": self.error.message(),
                "extensions": extensions,
            }]
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let ApiError::RateLimited { retry_after_secs } = self.error {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after_secs),
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

/// Counts an error answered before execution (a malformed or refused request).
fn refused(state: &AppState, error: HttpError) -> HttpError {
    state.metrics.error(error.error.code());
    error
}

/// `POST /graphql`.
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<HttpError>, HttpError>,
) -> Result<GraphQLResponse, HttpError> {
    let request = request.map_err(|e| refused(&state, e))?.into_inner();
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
            return Err(refused(
                &state,
                HttpError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    ApiError::bad_input("mutations and subscriptions must be sent with POST"),
                ),
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

/// Runs one GraphQL request and records it in the metrics.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: Request,
) -> Result<GraphQLResponse, HttpError> {
    let operation = state
        .metrics
        .operation_label(request.operation_name.as_deref());
    let started = Instant::now();
    let outcome = run(state, headers, request).await;
    match &outcome {
        Ok(response) => {
            let codes = response.errors.iter().filter_map(|e| {
                match e.extensions.as_ref()?.get("code")? {
                    async_graphql::Value::String(code) => Some(code.as_str()),
                    _ => None,
                }
            });
            state
                .metrics
                .graphql_request(&operation, started.elapsed(), codes);
        }
        Err(e) => {
            state
                .metrics
                .graphql_request(&operation, started.elapsed(), [e.error.code()]);
        }
    }
    outcome.map(Into::into)
}

/// Authenticates the key, takes a request from its bucket, and executes within the deadline.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    request: Request,
) -> Result<Response, HttpError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let tenant = auth::authenticate(&state.db, authorization)
        .await
        .map_err(|e| match e {
            ApiError::Unauthenticated => HttpError::new(StatusCode::UNAUTHORIZED, e),
            ApiError::Timeout => HttpError::new(StatusCode::SERVICE_UNAVAILABLE, e),
            other => HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, other),
        })?;
    if let Some(limiter) = &state.rate_limiter
        && let Err(wait) = limiter.check(tenant.key_id())
    {
        return Err(HttpError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ApiError::RateLimited {
                retry_after_secs: retry_after_secs(wait),
            },
        ));
    }
    let loaders = Loaders::new(&state.db, tenant.workspace_id());
    let request = request.data(tenant).data(loaders);
    let mut response = within_deadline(state, request).await;
    assign_codes(&mut response);
    Ok(response)
}

/// Executes `request`, answering `TIMEOUT` when it runs past the request deadline.
///
/// At the deadline the execution is told to stop, not dropped: a database call abandoned
/// half-way can leave its pooled connection waiting for an answer that never comes, lost to the
/// pool for good. Instead no field starts resolving after the deadline (see [`Deadline`]), the
/// statements already running end at the statement timeout (which should be below the request
/// timeout), and the execution ends in the background, returning its connections.
async fn within_deadline(state: &AppState, request: Request) -> Response {
    let expired = CancellationToken::new();
    let request = request.data(Deadline(expired.clone()));
    let schema = state.schema.clone();
    let mut execution = tokio::spawn(
        async move { schema.execute(request).await }.instrument(tracing::Span::current()),
    );
    match tokio::time::timeout(state.limits.request_timeout, &mut execution).await {
        Ok(Ok(response)) => response,
        // A panic in a resolver: masked like any internal error (and logged by `extend`).
        Ok(Err(failure)) => Response::from_errors(vec![server_error(&ApiError::internal(failure))]),
        Err(_) => {
            expired.cancel();
            Response::from_errors(vec![server_error(&ApiError::Timeout)])
        }
    }
}

/// `error` as a GraphQL error with its code.
fn server_error(error: &ApiError) -> ServerError {
    let err = error.extend();
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
