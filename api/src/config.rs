//! One typed configuration, read from the environment and matching CLI flags.
//!
//! Every knob of the service lives here so that `serve`, `migrate` and the tests agree on
//! defaults. Nothing here performs IO.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

/// Where the data lives and how the connection pool behaves.
#[derive(Debug, Clone, Args)]
pub struct DbConfig {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded, default) or `postgres://…`.
    #[arg(
        long,
        env = "WEKPI_DATABASE_URL",
        default_value = "sqlite://wekpi.db?mode=rwc"
    )]
    pub database_url: String,

    /// Largest number of pooled database connections.
    #[arg(long, env = "WEKPI_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// Longest time one SQL statement may run before the database cancels it (PostgreSQL).
    #[arg(long, env = "WEKPI_STATEMENT_TIMEOUT_SECS", default_value_t = 20)]
    pub statement_timeout_secs: u64,

    /// Do not apply pending migrations at start-up.
    #[arg(long, env = "WEKPI_NO_MIGRATE", default_value_t = false)]
    pub no_migrate: bool,
}

/// Limits that protect the server from expensive or hostile requests.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Deepest allowed selection nesting of a GraphQL query.
    #[arg(long, env = "WEKPI_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,

    /// Largest allowed complexity score of a GraphQL query.
    #[arg(long, env = "WEKPI_MAX_COMPLEXITY", default_value_t = 20_000)]
    pub max_complexity: usize,

    /// Most fields a GraphQL query may select, counting every alias and every use of a
    /// fragment: complexity charges a cheap field 1, so thousands of aliases of one would pass
    /// it and all be executed.
    #[arg(long, env = "WEKPI_MAX_FIELDS", default_value_t = 1_000)]
    pub max_fields: usize,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "WEKPI_BODY_LIMIT_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub body_limit_bytes: usize,

    /// Longest time one request may take before it is answered with `TIMEOUT`.
    #[arg(long, env = "WEKPI_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
}

/// How the webhook delivery worker of `serve` drains the outbox.
#[derive(Debug, Clone, Args)]
pub struct WebhookConfig {
    /// Milliseconds between scans of the delivery outbox (new events also wake the worker).
    #[arg(long, env = "WEKPI_WEBHOOK_POLL_MS", default_value_t = 1_000)]
    pub webhook_poll_ms: u64,

    /// Milliseconds before the first retry of a failed delivery; each further retry waits twice
    /// as long as the one before.
    #[arg(long, env = "WEKPI_WEBHOOK_BACKOFF_MS", default_value_t = 1_000)]
    pub webhook_backoff_ms: u64,

    /// Longest wait between two attempts of a delivery, in seconds.
    #[arg(long, env = "WEKPI_WEBHOOK_MAX_BACKOFF_SECS", default_value_t = 3_600)]
    pub webhook_max_backoff_secs: u64,

    /// Attempts of one delivery before it is given up and marked failed.
    #[arg(long, env = "WEKPI_WEBHOOK_MAX_ATTEMPTS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_max_attempts: u32,

    /// Longest time one delivery request may take, in seconds.
    #[arg(long, env = "WEKPI_WEBHOOK_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_timeout_secs: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            webhook_poll_ms: 1_000,
            webhook_backoff_ms: 1_000,
            webhook_max_backoff_secs: 3_600,
            webhook_max_attempts: 12,
            webhook_timeout_secs: 10,
        }
    }
}

impl WebhookConfig {
    /// The outbox scan interval.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.webhook_poll_ms.max(1))
    }

    /// The wait before attempt `failed + 1` after `failed` failed attempts: the base doubled for
    /// each failure after the first, capped.
    pub fn backoff(&self, failed: u32) -> Duration {
        let factor = 1u64 << failed.saturating_sub(1).min(32);
        Duration::from_millis(self.webhook_backoff_ms.saturating_mul(factor))
            .min(Duration::from_secs(self.webhook_max_backoff_secs))
    }

    /// The request timeout of one delivery.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.webhook_timeout_secs)
    }
}

/// Everything `wekpi serve` needs.
#[derive(Debug, Clone, Args)]
pub struct Config {
    #[command(flatten)]
    pub db: DbConfig,

    #[command(flatten)]
    pub limits: Limits,

    /// Address to listen on.
    #[arg(long, env = "WEKPI_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Seconds between scheduled alert evaluations of every workspace (0 disables the schedule;
    /// ingestion still triggers evaluations).
    #[arg(long, env = "WEKPI_EVAL_INTERVAL_SECS", default_value_t = 60)]
    pub eval_interval_secs: u64,

    #[command(flatten)]
    pub webhooks: WebhookConfig,

    /// Log format: `pretty` or `json`.
    #[arg(long, env = "WEKPI_LOG_FORMAT", default_value = "pretty")]
    pub log_format: String,
}

impl Limits {
    /// The request deadline as a [`Duration`].
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

impl DbConfig {
    /// The statement timeout as a [`Duration`].
    pub fn statement_timeout(&self) -> Duration {
        Duration::from_secs(self.statement_timeout_secs)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 20_000,
            max_fields: 1_000,
            body_limit_bytes: 32 * 1024 * 1024,
            request_timeout_secs: 30,
        }
    }
}

impl Config {
    /// The configuration tests use: the given database, default limits, an ephemeral port.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            db: DbConfig {
                database_url: database_url.into(),
                db_max_connections: 5,
                statement_timeout_secs: 20,
                no_migrate: false,
            },
            limits: Limits::default(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            eval_interval_secs: 0,
            webhooks: WebhookConfig::default(),
            log_format: "pretty".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_backoff_doubles_from_the_base_up_to_the_cap() {
        let config = WebhookConfig {
            webhook_backoff_ms: 1_000,
            webhook_max_backoff_secs: 10,
            ..WebhookConfig::default()
        };
        let waits = [1, 2, 3, 4, 5, 64, u32::MAX].map(|failed| config.backoff(failed).as_secs());
        // 1 s, 2 s, 4 s, 8 s, then 16 s and anything later capped at 10 s.
        assert_eq!(waits, [1, 2, 4, 8, 10, 10, 10]);
    }
}
