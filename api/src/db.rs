//! Database connection, the migrate-at-start switch and readiness checks.
//!
//! SQLite (a file created on first run) is the default and PostgreSQL the production store;
//! both get the same migrations. Connection tuning per backend lives here and nowhere else.

use std::str::FromStr;
use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous,
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use crate::config::DbConfig;

/// How many SQLite virtual-machine instructions run between two looks at the statement deadline:
/// a look costs a clock read, and SQLite runs millions of instructions per second.
const SQLITE_DEADLINE_CHECK_OPS: i32 = 10_000;

/// Opens the connection pool described by `cfg`.
///
/// SQLite gets WAL journaling, foreign keys and a busy timeout so that concurrent writers
/// wait instead of failing. Both backends stop SQL work that runs past the statement timeout:
/// PostgreSQL through its `statement_timeout` (SQLSTATE 57014), SQLite through a progress
/// handler armed each time a connection leaves the pool (SQLITE_INTERRUPT), so on SQLite the
/// limit covers one checkout: a statement, or a whole transaction. Either way the database
/// work of a request that timed out ends within that limit.
///
/// # Errors
/// Fails when the URL is malformed or the database cannot be reached.
pub async fn connect(cfg: &DbConfig) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(cfg.database_url.clone());
    opts.max_connections(cfg.db_max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let limit = cfg.statement_timeout;
    if is_sqlite(&cfg.database_url) {
        // Validate the URL up front so a typo is reported as such, not as a pool error.
        SqliteConnectOptions::from_str(&cfg.database_url)
            .map_err(|e| DbErr::Custom(format!("invalid SQLite URL: {e}")))?;
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        })
        .map_sqlx_sqlite_pool_opts(move |p| {
            p.after_connect(move |conn, _| Box::pin(arm_sqlite_deadline(conn, limit)))
        })
        .map_sqlx_sqlite_before_acquire(move |conn, _| {
            Box::pin(async move {
                arm_sqlite_deadline(conn, limit).await?;
                Ok(true)
            })
        });
    } else {
        opts.statement_timeout(limit);
    }
    Database::connect(opts).await
}

/// Makes SQLite interrupt whatever `conn` runs once `limit` has passed from now. Called when the
/// connection is opened and each time the pool hands it out, so the deadline is that of the
/// current checkout; an interrupted statement fails with SQLITE_INTERRUPT (and an interrupted
/// write rolls its transaction back).
async fn arm_sqlite_deadline(
    conn: &mut SqliteConnection,
    limit: Duration,
) -> Result<(), sea_orm::sqlx::Error> {
    let deadline = Instant::now() + limit;
    conn.lock_handle()
        .await?
        .set_progress_handler(SQLITE_DEADLINE_CHECK_OPS, move || Instant::now() < deadline);
    Ok(())
}

/// Begins a transaction that will write after reading. On SQLite it takes the write lock at
/// once (`BEGIN IMMEDIATE`): a deferred transaction that read before another writer committed
/// cannot upgrade to a writer and fails instead of waiting. PostgreSQL ignores the mode.
///
/// # Errors
/// Fails when the database cannot start the transaction (e.g. busy past the busy timeout).
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
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

/// Connects and, unless `no_migrate` is set, applies every pending migration: how every
/// command that works on data opens the database.
///
/// # Errors
/// Fails when the database cannot be reached or a migration fails.
pub async fn open(cfg: &DbConfig) -> Result<DatabaseConnection, DbErr> {
    let db = connect(cfg).await?;
    if !cfg.no_migrate {
        migrate(&db).await?;
    }
    Ok(db)
}

/// Longest time a readiness check waits for the database: a probe must get an answer quickly,
/// and the pool would otherwise keep retrying an unreachable server until its acquire timeout.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// Readiness: the database answers, its file (SQLite) is still on disk, and no migration is
/// pending.
///
/// # Errors
/// Returns a short human-readable reason when not ready.
pub async fn check_ready(db: &DatabaseConnection) -> Result<(), String> {
    tokio::time::timeout(READY_TIMEOUT, readiness(db))
        .await
        .unwrap_or_else(|_| Err("database unreachable (no answer in time)".to_string()))
}

async fn readiness(db: &DatabaseConnection) -> Result<(), String> {
    db.execute_unprepared("SELECT 1")
        .await
        .map_err(|_| "database unreachable".to_string())?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        sqlite_file_present(db).await?;
    }
    let pending = Migrator::get_pending_migrations(db)
        .await
        .map_err(|_| "migration status unknown".to_string())?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(format!("{} migration(s) pending", pending.len()))
    }
}

/// An open SQLite connection keeps reading and writing a database file that was deleted (or
/// moved away), and everything it writes is lost when it closes: such a server is not ready.
/// SQLite itself names the file behind the main database (empty for in-memory databases).
async fn sqlite_file_present(db: &DatabaseConnection) -> Result<(), String> {
    let row = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
        ))
        .await
        .map_err(|_| "database unreachable".to_string())?;
    let file: String = row
        .and_then(|r| r.try_get_by_index(0).ok())
        .unwrap_or_default();
    if file.is_empty() || std::path::Path::new(&file).exists() {
        Ok(())
    } else {
        Err("the database file is gone".to_string())
    }
}
