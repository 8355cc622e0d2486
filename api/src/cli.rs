//! The `wekpi` command line: `serve [--demo]`, `migrate`, `workspace create`, `import`, `import-wechat`,
//! `schema`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::{self, Tenant};
use crate::config::{Config, DbConfig};
use crate::error::ApiError;
use crate::ingest::file::{Format, Kind, LineError};
use crate::ingest::import::{self, FileObserver, FileOptions};
use crate::ingest::wechat::WechatSource;
use crate::{alerts, app, db, demo, graphql, telemetry, workspace};

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
        #[command(flatten)]
        demo: DemoArgs,
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
    /// Load a CSV or JSON Lines file of one kind of rows into a workspace (a backfill), with
    /// the same rules as the API. By default a file with any bad line writes nothing.
    Import {
        /// What the file holds: the rows of one ingestion mutation.
        #[arg(long, value_enum)]
        kind: Kind,
        /// `.csv` (a header row; camelCase or snake_case column names) or `.jsonl` / `.ndjson`
        /// (one JSON object per line), with the fields of the kind's mutation.
        file: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Import a WeChat / WeCom statistics API response saved as a JSON file, unchanged.
    ImportWechat {
        /// The endpoint the payload came from, e.g. OA_ARTICLE_TOTAL.
        #[arg(long, value_parser = parse_source)]
        source: WechatSource,
        /// The key of the account the payload belongs to.
        #[arg(long)]
        account: String,
        /// The WeCom userid a WECOM_* payload was requested for (the group owner for
        /// WECOM_GROUPCHAT_BY_DAY).
        #[arg(long)]
        staff: Option<String>,
        /// The response body, as the platform returned it.
        file: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

/// Where and how a load writes.
#[derive(Debug, Args)]
struct LoadArgs {
    /// An API key of the workspace to load into: WRITE or ADMIN (ADMIN for accounts).
    #[arg(
        long = "workspace",
        value_name = "KEY",
        env = "WEKPI_API_KEY",
        hide_env_values = true
    )]
    key: String,
    /// Write the valid rows and list the bad ones, instead of writing nothing when any row is
    /// bad.
    #[arg(long)]
    partial: bool,
    /// Do not draw a progress bar (none is drawn when stdout is not a terminal either).
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    db: DbConfig,
}

fn parse_source(text: &str) -> Result<WechatSource, String> {
    text.to_ascii_uppercase()
        .parse()
        .map_err(|e: crate::ingest::validate::UnknownName| e.to_string())
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

/// `serve --demo [--scale N]`.
#[derive(Debug, Args)]
struct DemoArgs {
    /// Create (or refresh) the "Wekpi Demo" workspace with a realistic data set and print new
    /// keys for it.
    #[arg(long)]
    demo: bool,
    /// Size factor of the demo data set (contents, customers, orders, staff…), for benchmarks.
    #[arg(
        long,
        requires = "demo",
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    scale: u32,
}

type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Parses the command line and runs the command.
///
/// # Errors
/// Whatever the command fails with; `main` prints it and exits non-zero.
pub async fn run() -> CliResult {
    match Cli::parse().command {
        Command::Serve { config, demo } => serve(config, demo).await,
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
            let conn = db::open(&cfg).await?;
            let (ws, key) = workspace::create(&conn, &name)
                .await
                .map_err(|e| e.detail())?;
            println!("workspace {} created (id {})", ws.name, ws.id);
            println!("ADMIN key (shown once): {}", key.secret);
            Ok(())
        }
        Command::Import { kind, file, load } => import_file(kind, &file, &load).await,
        Command::ImportWechat {
            source,
            account,
            staff,
            file,
            load,
        } => import_wechat(source, &account, staff.as_deref(), &file, &load).await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}

/// Opens the database and authenticates the key exactly as the HTTP handler does.
async fn open(load: &LoadArgs) -> Result<(DatabaseConnection, Tenant), String> {
    let conn = db::open(&load.db).await.map_err(|e| e.to_string())?;
    let header = format!("Bearer {}", load.key.trim());
    let tenant = auth::authenticate(&conn, Some(&header))
        .await
        .map_err(|e| match e {
            ApiError::Unauthenticated => {
                "the key given with --workspace (or WEKPI_API_KEY) is unknown or revoked".into()
            }
            other => other.detail(),
        })?;
    Ok((conn, tenant))
}

/// The progress bar of a file load, and where its bad lines are printed.
struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(file_bytes: u64, quiet: bool) -> Self {
        if quiet || !std::io::stdout().is_terminal() {
            return Self {
                bar: ProgressBar::hidden(),
            };
        }
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {msg} (ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::new(file_bytes).with_style(style);
        bar.enable_steady_tick(Duration::from_millis(250));
        Self { bar }
    }
}

impl FileObserver for Progress {
    fn progress(&mut self, bytes: u64, lines: u64) {
        self.bar.set_position(bytes);
        self.bar.set_message(format!("{lines} lines"));
    }

    fn rejected(&mut self, error: LineError) {
        self.bar.suspend(|| println!("{error}"));
    }
}

fn per_second(count: u64, elapsed: Duration) -> u64 {
    // Display only: a rate has no need for more than f64 precision.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let rate = (count as f64 / elapsed.as_secs_f64().max(1e-9)).round() as u64;
    rate
}

async fn import_file(kind: Kind, file: &Path, load: &LoadArgs) -> CliResult {
    let format = Format::of_path(file)?;
    let source =
        std::fs::File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let file_bytes = source.metadata().map(|m| m.len()).unwrap_or_default();
    let (conn, tenant) = open(load).await?;
    let options = FileOptions {
        atomic: !load.partial,
        ..FileOptions::default()
    };
    let mut progress = Progress::new(file_bytes, load.quiet);
    let started = Instant::now();
    let report = import::import_file(&conn, &tenant, kind, format, source, options, &mut progress)
        .await
        .map_err(|e| e.detail())?;
    let elapsed = started.elapsed();
    progress.bar.finish_and_clear();
    let c = report.counts;
    println!(
        "{}: {} lines in {:.1} s ({} rows/s): inserted {}, updated {}, unchanged {}, rejected {}",
        file.display(),
        report.lines,
        elapsed.as_secs_f64(),
        per_second(report.lines, elapsed),
        c.inserted,
        c.updated,
        c.unchanged,
        report.rejected
    );
    if report.refused {
        println!(
            "nothing was written: fix the lines above, or write the valid ones with --partial"
        );
    }
    if report.rejected > 0 {
        return Err(format!("{} line(s) rejected", report.rejected).into());
    }
    Ok(())
}

async fn import_wechat(
    source: WechatSource,
    account: &str,
    staff: Option<&str>,
    file: &Path,
    load: &LoadArgs,
) -> CliResult {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let payload: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", file.display()))?;
    let (conn, tenant) = open(load).await?;
    let report = import::import_wechat(
        &conn,
        &tenant,
        source,
        account,
        staff,
        &payload,
        !load.partial,
    )
    .await
    .map_err(|e| e.detail())?;
    for error in &report.rejected {
        println!(
            "row {}, {}: {}: {}",
            error.index, error.field, error.code, error.message
        );
    }
    let c = report.counts;
    println!(
        "{} ({source}): inserted {}, updated {}, unchanged {}, errors {}",
        file.display(),
        c.inserted,
        c.updated,
        c.unchanged,
        report.rejected.len()
    );
    if report.rejected.is_empty() {
        Ok(())
    } else {
        if !load.partial {
            println!(
                "nothing was written: fix the payload, or write the valid rows with --partial"
            );
        }
        Err(format!("{} error(s) in rejected rows", report.rejected.len()).into())
    }
}

async fn serve(config: Config, args: DemoArgs) -> CliResult {
    telemetry::init(&config.log_format);
    let state = app::prepare(&config).await?;
    let demo = match args.demo {
        true => {
            println!("Loading the demo data set (scale {})…", args.scale);
            let mut progress = |report: &demo::KindReport| println!("  {report}");
            let setup = demo::setup(
                &state.db,
                &state.alerts,
                args.scale,
                demo::DEFAULT_DAYS,
                &mut progress,
            )
            .await
            .map_err(|e| e.detail())?;
            Some(setup)
        }
        false => None,
    };
    let listener = TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    // Signals are handled from before the address is announced: whoever starts the server and
    // reads the address can stop it cleanly at once.
    let shutdown = CancellationToken::new();
    app::cancel_on_signal(shutdown.clone())?;
    tracing::info!(%addr, "listening");
    println!("Wekpi is listening on http://{addr} — GraphiQL at http://{addr}/graphql");
    if let Some(setup) = demo {
        print!("{}", setup.banner(&format!("http://{addr}")));
    }
    let scheduler = (config.eval_interval_secs > 0).then(|| {
        alerts::scheduler::spawn(
            state.db.clone(),
            state.alerts.clone(),
            std::time::Duration::from_secs(config.eval_interval_secs),
            shutdown.clone(),
        )
    });
    let webhooks = alerts::webhook::spawn(
        state.db.clone(),
        state.alerts.clone(),
        config.webhooks.clone(),
        shutdown.clone(),
    );
    app::serve(listener, state, shutdown).await?;
    if let Some(scheduler) = scheduler {
        scheduler.await?;
    }
    webhooks.await?;
    tracing::info!("stopped");
    Ok(())
}
