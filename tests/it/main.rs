//! Integration tests: the real router, real migrations, a fresh database per test, on SQLite and
//! on PostgreSQL (when `WEKPI_TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod ingest_support;

mod alerts;
mod auth;
mod cohorts;
mod entities;
mod errors;
mod facts;
mod idempotency;
mod isolation;
mod kpi_smoke;
mod loaders;
mod operations;
mod schema;
mod server;
#[cfg(unix)]
mod shutdown;
mod timeouts;
mod validation;
mod wechat_import;

pub use helpers::{Backend, TestApp, error_code};
