//! Wekpi: a GraphQL data platform for marketing KPI dashboards in the WeChat ecosystem.
//!
//! A guided tour, in reading order:
//! - [`config`] — one typed configuration from environment and CLI flags.
//! - [`error`] — the error type at the resolver boundary and the error policy (codes, masking).
//! - [`db`] — connecting to SQLite or PostgreSQL, migrating at start, readiness.
//! - [`auth`] — API keys, roles and the per-request tenant context.
//! - [`workspace`] — creating workspaces (tenants) with their first key.
//! - [`directory`] — tenant-scoped reads of accounts, contents, campaigns, channels, customers.
//! - [`kpi`] — the KPI catalog, calendar buckets and formulas.
//! - [`ingest`] — validation and idempotent, set-based upserts of everything that is loaded.
//! - [`alerts`] — alert rules, the state machine, evaluation, the event feed, the scheduler.
//! - [`demo`] — the deterministic demo data set, loaded through ingestion (`serve --demo`).
//! - [`graphql`] — the adapter: schema, HTTP handlers, limits on requests, types, per-request
//!   loaders.
//! - [`app`] — state, router, serving with graceful shutdown.
//! - [`telemetry`] — logs.
//! - [`cli`] — the `wekpi` command line.

pub mod alerts;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod directory;
pub mod error;
pub mod graphql;
pub mod ingest;
pub mod kpi;
pub mod telemetry;
pub mod workspace;
