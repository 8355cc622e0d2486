//! Database connection, the migrate-at-start switch and readiness checks.
//!
//! SQLite (a file created on first run) is the default and PostgreSQL the production store;
//! both get the same migrations. Connection tuning per backend lives here and nowhere else.

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DbConfig;

/// Opens the connection pool described by `cfg`.
///
/// SQLite gets WAL journaling, foreign keys and a busy timeout so that concurrent writers
/// wait instead of failing; PostgreSQL gets the configured `statement_timeout`.
///
/// # Errors
/// Fails when the URL is malformed or the database cannot be reached.
pub async fn connect(cfg: &DbConfig) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(cfg.database_url.clone());
    opts.max_connections(cfg.db_max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if is_sqlite(&cfg.database_url) {
        // Validate the URL up front so a typo is reported as such, not as a pool error.
        SqliteConnectOptions::from_str(&cfg.database_url)
            .map_err(|e| DbErr::Custom(format!("invalid SQLite URL: {e}")))?;
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        let timeout_ms = cfg.statement_timeout().as_millis().to_string();
        opts.map_sqlx_postgres_opts(move |o| {
            o.options([("statement_timeout", timeout_ms.as_str())])
        });
    }
    Database::connect(opts).await
}

/// Begins a transaction that will write.
///
/// On SQLite it is `BEGIN IMMEDIATE`: it takes the write lock at once, waiting (busy timeout)
/// while another connection writes. A deferred transaction that reads first would instead fail
/// with "database is locked" (SQLITE_BUSY_SNAPSHOT) when another connection commits a write
/// between its first read and its first write, which the webhook worker, the scheduler and
/// ingestion running side by side make likely. PostgreSQL ignores the mode.
///
/// # Errors
/// The database's.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Whether a database URL points at SQLite.
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// Applies every pending migration.
///
/// # Errors
/// Fails when a migration fails; the failed migration's transaction is rolled back.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Readiness: the database answers and no migration is pending.
///
/// # Errors
/// Returns a short human-readable reason when not ready.
pub async fn check_ready(db: &DatabaseConnection) -> Result<(), String> {
    db.execute_unprepared("SELECT 1")
        .await
        .map_err(|_| "database unreachable".to_string())?;
    let pending = Migrator::get_pending_migrations(db)
        .await
        .map_err(|_| "migration status unknown".to_string())?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(format!("{} migration(s) pending", pending.len()))
    }
}
