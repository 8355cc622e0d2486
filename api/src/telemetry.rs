//! Logging: a `tracing` subscriber, pretty for people or JSON for collectors.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `format` is `json` or anything else for pretty output.
/// The level comes from `RUST_LOG` (default `info`).
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second call (tests, repeated CLI use in one process) keeps the first subscriber.
    let _ = if format.eq_ignore_ascii_case("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
