//! What the benchmarks share: their `main`, the backends they run on and a fresh, migrated
//! database on each,
//! removed afterwards (SQLite: a temporary file with the server's settings; PostgreSQL: a fresh
//! schema in the database of `WEKPI_BENCH_DATABASE_URL` or `WEKPI_TEST_DATABASE_URL`).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use wekpi_api::config::DbConfig;

type Result<T, E = Box<dyn Error + Send + Sync>> = std::result::Result<T, E>;

/// Runs a benchmark on a multi-threaded runtime: exit code 0 when it returns `true`; 1 with
/// `failed` when it returns `false`, or with the error.
pub fn main(name: &str, failed: &str, bench: impl Future<Output = Result<bool>>) -> ExitCode {
    // reqwest is built without a default TLS provider (the webhook worker brings its own); the
    // clients here talk plain HTTP on loopback but still need one installed to be built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Into::into)
        .and_then(|runtime| runtime.block_on(bench));
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("{name}: {failed}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where a benchmark runs.
#[derive(Clone)]
pub enum Backend {
    Sqlite,
    Postgres { url: String },
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }

    /// SQLite, and PostgreSQL when `WEKPI_BENCH_DATABASE_URL` or `WEKPI_TEST_DATABASE_URL` is
    /// set; says so when it is skipped.
    pub fn from_env() -> Vec<Self> {
        let mut backends = vec![Self::Sqlite];
        let pg = ["WEKPI_BENCH_DATABASE_URL", "WEKPI_TEST_DATABASE_URL"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        match pg {
            Some(url) => backends.push(Self::Postgres { url }),
            None => println!(
                "postgres skipped: set WEKPI_BENCH_DATABASE_URL or WEKPI_TEST_DATABASE_URL to run it"
            ),
        }
        backends
    }
}

/// A fresh, migrated database; [`FreshDb::close`] removes it.
pub struct FreshDb {
    pub db: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Schema { admin_url: String, schema: String },
}

/// Creates and migrates a fresh database named `name` (plus the process id) on `backend`, with
/// a pool of 10 connections and `statement_timeout`.
pub async fn fresh(backend: &Backend, name: &str, statement_timeout: Duration) -> Result<FreshDb> {
    let name = format!("{name}_{}", std::process::id());
    let (database_url, cleanup) = match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            remove_sqlite(&path);
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                Cleanup::File(path),
            )
        }
        Backend::Postgres { url } => {
            let admin = Database::connect(url.as_str()).await?;
            admin
                .execute_unprepared(&format!("CREATE SCHEMA {name}"))
                .await?;
            admin.close().await?;
            let separator = if url.contains('?') { '&' } else { '?' };
            (
                format!("{url}{separator}options=-c%20search_path%3D{name}"),
                Cleanup::Schema {
                    admin_url: url.clone(),
                    schema: name,
                },
            )
        }
    };
    let config = DbConfig {
        database_url,
        db_max_connections: 10,
        statement_timeout,
        no_migrate: false,
    };
    let db = wekpi_api::db::connect(&config).await?;
    wekpi_api::db::migrate(&db).await?;
    Ok(FreshDb { db, cleanup })
}

impl FreshDb {
    /// Closes the pool and removes the database.
    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        match self.cleanup {
            Cleanup::File(path) => remove_sqlite(&path),
            Cleanup::Schema { admin_url, schema } => {
                let admin = Database::connect(admin_url.as_str()).await?;
                admin
                    .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await?;
                admin.close().await?;
            }
        }
        Ok(())
    }
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}
