//! The one error type at the resolver boundary, and the error policy.
//!
//! Every error a client sees carries `extensions.code`, one of `BAD_USER_INPUT`,
//! `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `QUERY_TOO_COMPLEX`, `TIMEOUT`, `RATE_LIMITED`,
//! `INTERNAL`.
//! Internal causes (database errors, bugs) are logged with their detail and reach the client only
//! as a generic message: no SQL, no paths, no driver text.

use async_graphql::ErrorExtensions;
use sea_orm::sqlx;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};

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
    /// `RATE_LIMITED`: the API key made more requests than its rate allows (HTTP 429); the
    /// client may retry after `retry_after_secs`.
    RateLimited { retry_after_secs: u64 },
    /// `INTERNAL`: anything else; the cause is logged, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// The message every `INTERNAL` error shows to clients.
pub const INTERNAL_MESSAGE: &str = "internal error";

impl ApiError {
    /// Every `extensions.code` a client can see.
    pub const CODES: [&'static str; 8] = [
        "BAD_USER_INPUT",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "QUERY_TOO_COMPLEX",
        "TIMEOUT",
        "RATE_LIMITED",
        "INTERNAL",
    ];

    /// The stable `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) | Self::Platform { .. } => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            Self::Timeout => "TIMEOUT",
            Self::RateLimited { .. } => "RATE_LIMITED",
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
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests for this API key: retry after {retry_after_secs} s")
            }
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

/// PostgreSQL's SQLSTATE for a statement cancelled by `statement_timeout` (or a cancel request).
const PG_QUERY_CANCELED: &str = "57014";
/// SQLite's primary result code for a statement stopped by its progress handler (the statement
/// deadline of `db::connect`).
const SQLITE_INTERRUPT: &str = "9";

/// Whether the database stopped the statement because it ran past its deadline, or no
/// connection became free in time.
fn is_timeout(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sqlx::Error::Database(db) => {
                matches!(
                    db.code().as_deref(),
                    Some(PG_QUERY_CANCELED | SQLITE_INTERRUPT)
                )
            }
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        },
        _ => false,
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if is_timeout(&err) {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn codes_and_messages() {
        let limited = ApiError::RateLimited {
            retry_after_secs: 3,
        };
        assert_eq!(limited.code(), "RATE_LIMITED");
        assert_eq!(
            limited.message(),
            "too many requests for this API key: retry after 3 s"
        );
        assert_eq!(ApiError::Timeout.code(), "TIMEOUT");
    }

    #[test]
    fn waiting_too_long_for_a_connection_is_a_timeout() {
        let acquire = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        assert!(matches!(ApiError::from(acquire), ApiError::Timeout));
        let pool = DbErr::Query(RuntimeErr::SqlxError(Arc::new(sqlx::Error::PoolTimedOut)));
        assert!(matches!(ApiError::from(pool), ApiError::Timeout));
    }

    #[test]
    fn other_database_errors_are_internal() {
        let closed = DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed);
        assert!(matches!(ApiError::from(closed), ApiError::Internal(_)));
        // The text of a timeout is not enough: only the driver's code counts.
        let text = DbErr::Custom("canceling statement due to statement timeout".into());
        assert!(matches!(ApiError::from(text), ApiError::Internal(_)));
    }
}
