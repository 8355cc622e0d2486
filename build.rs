//! Marks the PostgreSQL variants of the integration tests as ignored (with the reason shown in
//! the test output) when no test server is configured.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wekpi_no_pg)");
    println!("cargo::rerun-if-env-changed=WEKPI_TEST_DATABASE_URL");
    if std::env::var_os("WEKPI_TEST_DATABASE_URL").is_none_or(|v| v.is_empty()) {
        println!("cargo::rustc-cfg=wekpi_no_pg");
    }
}
