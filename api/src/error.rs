//! The one error type at the resolver boundary, and the error policy.
//!
//! Every error a client sees carries `extensions.code`, one of `BAD_USER_INPUT`,
//! `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `QUERY_TOO_COMPLEX`, `TIMEOUT`, `INTERNAL`.
//! Internal causes (database errors, bugs) are logged with their detail and reach the client only
//! as a generic message: no SQL, no paths, no driver text.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

// `ApiError` deliberately does not implement `Display`: async-graphql converts every `Display`
// type into an error without extensions, so a `Display` impl would let `?` silently drop the
// code. The only conversion into a GraphQL error is the one below, which sets the code.

/// An error that a resolver, handler or store function returns.
#[derive(Debug)]
pub enum ApiError {
    /// `BAD_USER_INPUT`: the request is well-formed but its values are not acceptable.
    BadUserInput(String),
    /// `BAD_USER_INPUT` for a platform payload that is the platform's error envelope; the
    /// platform's code and message travel in `extensions.platformErrcode` / `platformErrmsg`.
    Platform { errcode: i64, errmsg: String },
    /// `UNAUTHENTICATED`: no API key, or one that is unknown or revoked.
    Unauthenticated,
    /// `FORBIDDEN`: the key's role does not allow this operation.
    Forbidden(String),
    /// `NOT_FOUND`: the named object does not exist in the caller's workspace.
    NotFound(String),
    /// `QUERY_TOO_COMPLEX`: the query exceeds a depth, complexity or size limit.
    QueryTooComplex(String),
    /// `TIMEOUT`: the request or one of its statements ran past its deadline.
    Timeout,
    /// `INTERNAL`: anything else; the cause is logged, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// The message every `INTERNAL` error shows to clients.
pub const INTERNAL_MESSAGE: &str = "internal error";

impl ApiError {
    /// The stable `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) | Self::Platform { .. } => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            Self::Timeout => "TIMEOUT",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The message shown to clients.
    pub fn message(&self) -> String {
        match self {
            Self::BadUserInput(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::QueryTooComplex(m) => m.clone(),
            Self::Platform { errcode, errmsg } => {
                format!("the platform payload is an error response: errcode {errcode}: {errmsg}")
            }
            Self::Unauthenticated => {
                "a valid API key is required: send `Authorization: Bearer <key>`".into()
            }
            Self::Timeout => "the request took longer than allowed and was stopped".into(),
            Self::Internal(_) => INTERNAL_MESSAGE.into(),
        }
    }

    /// The message with the internal cause, for operators (logs, the CLI); never for clients.
    pub fn detail(&self) -> String {
        match self {
            Self::Internal(cause) => format!("{INTERNAL_MESSAGE}: {cause}"),
            other => other.message(),
        }
    }

    /// Wraps any internal cause.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// Shorthand for a `BAD_USER_INPUT` error.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput(message.into())
    }

    /// This error as a GraphQL error of a whole request (no location, no path), for errors
    /// raised outside resolvers: limits, the request deadline.
    pub fn into_server_error(self) -> async_graphql::ServerError {
        let error = self.extend();
        let mut server = async_graphql::ServerError::new(error.message, None);
        server.extensions = error.extensions;
        server
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        // PostgreSQL reports an expired `statement_timeout` as SQLSTATE 57014.
        if err
            .to_string()
            .contains("canceling statement due to statement timeout")
        {
            return Self::Timeout;
        }
        Self::internal(err)
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %cause, "internal error");
        }
        async_graphql::Error::new(self.message()).extend_with(|_, e| {
            e.set("code", self.code());
            if let Self::Platform { errcode, errmsg } = self {
                e.set("platformErrcode", *errcode);
                e.set("platformErrmsg", errmsg.as_str());
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}

/// Result of resolver-facing functions.
pub type ApiResult<T> = Result<T, ApiError>;
