//! Integration tests: the real router, real migrations, a fresh database per test, on SQLite and
//! on PostgreSQL (when `WEKPI_TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod ingest_support;

mod alerts;
mod auth;
mod cli;
mod cohorts;
mod demo;
mod entities;
mod errors;
mod facts;
mod hostile;
mod idempotency;
mod isolation;
mod isolation_matrix;
mod kpi_golden;
mod kpi_isolation;
mod kpi_smoke;
mod kpi_support;
mod kpi_traps;
mod loaders;
mod push;
mod schema;
mod server;
mod settings;
mod validation;
mod wechat_import;

pub use helpers::{Backend, TestApp, error_code};
