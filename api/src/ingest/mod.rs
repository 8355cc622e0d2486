//! Ingestion: everything loaded into Wekpi goes through here.
//!
//! [`validate`] turns raw rows into typed rows or per-row errors (pure), [`wechat`] maps platform
//! payloads onto raw rows (pure), [`store`] resolves references and writes through [`upsert`],
//! the one idempotent set-based upsert, and [`import`] brings platform payloads and backfill
//! files (read by [`file`]) through them.

pub mod file;
pub mod import;
pub mod kinds;
pub mod store;
pub mod upsert;
pub mod validate;
pub mod wechat;
