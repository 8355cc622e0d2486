//! Logging: a `tracing` subscriber, pretty for people or JSON for collectors, on standard error
//! (standard output is left to what commands print, such as the address `serve` listens on).
//!
//! A JSON line carries the fields of the spans it was written in: every line written while
//! serving a request has that request's `request_id` (see `app::router`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `format` is `json` or anything else for pretty output.
/// The level comes from `RUST_LOG` (default `info`).
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second call (tests, repeated CLI use in one process) keeps the first subscriber.
    let _ = if format.eq_ignore_ascii_case("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
