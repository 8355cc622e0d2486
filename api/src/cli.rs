//! The `wekpi` command line: `serve`, `migrate`, `workspace create`, `schema`.

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, DbConfig};
use crate::{alerts, app, db, graphql, telemetry, workspace};

/// Wekpi: a GraphQL data platform for marketing KPI dashboards in the WeChat ecosystem.
#[derive(Debug, Parser)]
#[command(name = "wekpi", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP/GraphQL server.
    Serve {
        #[command(flatten)]
        config: Config,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbConfig,
    },
    /// Manage workspaces (tenants).
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Debug, Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace and print its first ADMIN key.
    Create {
        /// The workspace (brand) name.
        name: String,
        #[command(flatten)]
        db: DbConfig,
    },
}

type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Parses the command line and runs the command.
///
/// # Errors
/// Whatever the command fails with; `main` prints it and exits non-zero.
pub async fn run() -> CliResult {
    match Cli::parse().command {
        Command::Serve { config } => serve(config).await,
        Command::Migrate { db: cfg } => {
            telemetry::init("pretty");
            let conn = db::connect(&cfg).await?;
            db::migrate(&conn).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Workspace {
            command: WorkspaceCommand::Create { name, db: cfg },
        } => {
            let conn = db::connect(&cfg).await?;
            if !cfg.no_migrate {
                db::migrate(&conn).await?;
            }
            let (ws, key) = workspace::create(&conn, &name)
                .await
                .map_err(|e| e.detail())?;
            println!("workspace {} created (id {})", ws.name, ws.id);
            println!("ADMIN key (shown once): {}", key.secret);
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}

async fn serve(config: Config) -> CliResult {
    telemetry::init(&config.log_format);
    let state = app::prepare(&config).await?;
    let listener = TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    // Signals are handled from before the address is announced: whoever starts the server and
    // reads the address can stop it cleanly at once.
    let shutdown = CancellationToken::new();
    app::cancel_on_signal(shutdown.clone())?;
    tracing::info!(%addr, "listening");
    println!("Wekpi is listening on http://{addr} — GraphiQL at http://{addr}/graphql");
    let scheduler = (config.eval_interval_secs > 0).then(|| {
        alerts::scheduler::spawn(
            state.db.clone(),
            state.alerts.clone(),
            std::time::Duration::from_secs(config.eval_interval_secs),
            shutdown.clone(),
        )
    });
    app::serve(listener, state, shutdown).await?;
    if let Some(scheduler) = scheduler {
        scheduler.await?;
    }
    tracing::info!("stopped");
    Ok(())
}
