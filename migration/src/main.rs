//! Migration CLI: `cargo run -p migration -- [up|down|status|fresh|refresh|reset]`,
//! connecting to `DATABASE_URL` (or `-u URL`).

use sea_orm_migration::cli;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
