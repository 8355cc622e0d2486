//! HTTP endpoints of the GraphQL API: `POST /graphql`, `GET /graphql` (GraphiQL, or a query in
//! the URL: never a mutation), `GET /schema.graphql`.
//!
//! The handlers read the request themselves: one JSON object of at most the body limit, with
//! `Content-Type: application/json`. They authenticate the key before reading the body, attach
//! the tenant and fresh loaders, enforce the request deadline, and make sure every error leaves
//! with an `extensions.code`. The schema's [`guard::Guard`] checks the limits of the request.
//!
//! A request that is no GraphQL request is answered with a 4xx status in the GraphQL error
//! shape: 413 for a body over the limit (`QUERY_TOO_COMPLEX`), 415 for a body that is not JSON,
//! 400 for malformed JSON, a batch or a missing query (`BAD_USER_INPUT`), 405 for a mutation over
//! GET (`BAD_USER_INPUT`), 401 without a valid key (`UNAUTHENTICATED`). A GraphQL request that
//! fails parsing, validation or a limit of its shape is answered with 200 and `errors` only, as
//! GraphQL over HTTP prescribes for JSON responses.

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use std::time::Instant;

use async_graphql::{Request, Response, ServerError};
use async_graphql_axum::GraphQLResponse;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{Deadline, Loaders, guard};
use crate::app::AppState;
use crate::auth::{self, Tenant};
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

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ApiError::bad_input(message))
    }

    fn malformed(reason: impl std::fmt::Display) -> Self {
        Self::bad_request(format!("malformed GraphQL request: {reason}"))
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
        let extra = match self.status {
            StatusCode::UNAUTHORIZED => Some((header::WWW_AUTHENTICATE, "Bearer")),
            StatusCode::METHOD_NOT_ALLOWED => Some((header::ALLOW, "POST")),
            _ => None,
        };
        if let Some((name, value)) = extra {
            resp.headers_mut()
                .insert(name, header::HeaderValue::from_static(value));
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

/// `POST /graphql`.
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::response::Response, HttpError> {
    post_inner(&state, &headers, body)
        .await
        .map_err(|e| refused(&state, e))
}

async fn post_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::response::Response, HttpError> {
    let limit = state.limits.body_limit_bytes;
    // What the headers alone decide comes first: nothing is read for a request refused anyway.
    if !is_json(headers) {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::bad_input(
                "send the request as JSON, with the header Content-Type: application/json",
            ),
        ));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large(limit));
    }
    let tenant = authenticate(state, headers).await?;
    let request = read_request(body, limit).await?;
    Ok(execute(state, tenant, request, Operations::All).await)
}

/// `GET /graphql`: GraphiQL for browsers; a query in the URL is executed, a mutation is refused.
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<axum::response::Response, HttpError> {
    let Some(parameters) = uri.query() else {
        return Ok(graphiql().into_response());
    };
    let request = async_graphql::http::parse_query_string(parameters).map_err(|err| {
        HttpError::malformed(match err {
            async_graphql::ParseRequestError::Io(io) => io.to_string(),
            other => other.to_string(),
        })
    })?;
    if request.query.is_empty() {
        return Ok(graphiql().into_response());
    }
    let tenant = authenticate(&state, &headers)
        .await
        .map_err(|e| refused(&state, e))?;
    Ok(execute(&state, tenant, request, Operations::QueriesOnly).await)
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

/// Whether the body is declared JSON: `application/json`, any parameters, any case.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn too_large(limit: usize) -> HttpError {
    HttpError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ApiError::QueryTooComplex(format!(
            "the request body is larger than the limit of {limit} bytes"
        )),
    )
}

/// Reads at most `limit` bytes of body (declared length or not) and parses one GraphQL request.
async fn read_request(body: Body, limit: usize) -> Result<Request, HttpError> {
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => return Err(too_large(limit)),
        Err(_) => return Err(HttpError::bad_request("the request body could not be read")),
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(HttpError::bad_request(
            "batched requests are not supported: send one operation per request",
        ));
    }
    let request: Request = serde_json::from_slice(&bytes).map_err(HttpError::malformed)?;
    if request.query.trim().is_empty() {
        return Err(HttpError::bad_request(
            "the request has no query: send {\"query\": \"…\"}",
        ));
    }
    Ok(request)
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Tenant, HttpError> {
    // A header that is not visible ASCII (bytes ≥ 0x80) is no key.
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
    Ok(tenant)
}

/// Which operations a transport may execute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operations {
    All,
    /// GET: a link or a crawler must never change data.
    QueriesOnly,
}

/// Executes the request within the deadline. The schema's [`guard::Guard`] checks it first; a
/// GET is checked here already, because refusing a mutation needs the parsed document.
async fn execute(
    state: &AppState,
    tenant: Tenant,
    request: Request,
    operations: Operations,
) -> axum::response::Response {
    let operation = state
        .metrics
        .operation_label(request.operation_name.as_deref());
    let started = Instant::now();
    let (codes, response) = checked_execute(state, tenant, request, operations).await;
    state.metrics.graphql_request(
        &operation,
        started.elapsed(),
        codes.iter().map(String::as_str),
    );
    response
}

/// The `extensions.code` of each error.
fn codes_of(errors: &[ServerError]) -> Vec<String> {
    errors
        .iter()
        .filter_map(|e| match e.extensions.as_ref()?.get("code")? {
            async_graphql::Value::String(code) => Some(code.clone()),
            _ => None,
        })
        .collect()
}

/// Refuses a mutation over GET (the guard checks every other shape as a schema extension),
/// then executes within the deadline; returns the error codes of the answer (for metrics) and
/// the answer.
async fn checked_execute(
    state: &AppState,
    tenant: Tenant,
    mut request: Request,
    operations: Operations,
) -> (Vec<String>, axum::response::Response) {
    if operations == Operations::QueriesOnly {
        if let Err(error) = guard::check_request(&mut request, state.limits.max_fields) {
            let error = vec![error];
            return (codes_of(&error), errors(error));
        }
        let writes = request.parsed_query().is_ok_and(|document| {
            document
                .operations
                .iter()
                .any(|(_, op)| op.node.ty != OperationType::Query)
        });
        if writes {
            let error = ApiError::bad_input("mutations and subscriptions must be sent with POST");
            return (
                vec![error.code().to_string()],
                HttpError::new(StatusCode::METHOD_NOT_ALLOWED, error).into_response(),
            );
        }
    }
    let loaders = Loaders::new(&state.db, tenant.workspace_id());
    let request = request.data(tenant).data(loaders);
    let mut response = within_deadline(state, request).await;
    assign_codes(&mut response);
    (
        codes_of(&response.errors),
        GraphQLResponse::from(response).into_response(),
    )
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
        Ok(Err(failure)) => {
            Response::from_errors(vec![ApiError::internal(failure).into_server_error()])
        }
        Err(_) => {
            expired.cancel();
            Response::from_errors(vec![ApiError::Timeout.into_server_error()])
        }
    }
}

/// Counts an error answered before execution (a malformed or refused request).
fn refused(state: &AppState, error: HttpError) -> HttpError {
    state.metrics.error(error.error.code());
    error
}

/// A response of errors only, each with its code.
fn errors(errors: Vec<ServerError>) -> axum::response::Response {
    let mut response = Response::from_errors(errors);
    assign_codes(&mut response);
    GraphQLResponse::from(response).into_response()
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
    // The engine's depth, complexity, recursion (its own and the parser's) and directive limits.
    const LIMITS: [&str; 4] = ["nested too deep", "too complex", "recursion", "directives"];
    LIMITS.iter().any(|needle| message.contains(needle))
}
