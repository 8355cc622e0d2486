//! The `wekpi` binary: everything lives in the `wekpi-api` library.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match wekpi_api::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
