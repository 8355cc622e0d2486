//! Integration tests: the real router, real migrations, a fresh database per test, on SQLite and
//! on PostgreSQL (when `WEKPI_TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod auth;
mod cli;
mod entities;
mod errors;
mod facts;
mod isolation;
mod loaders;
mod schema;
mod server;

pub use helpers::{Backend, TestApp, error_code};
