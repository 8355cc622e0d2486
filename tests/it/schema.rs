//! `schema.graphql` is exactly what the server serves. `UPDATE_SCHEMA=1` rewrites it.

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn checked_in_schema_matches_served_sdl() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (status, served) = app
        .send(Request::get("/schema.graphql").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    let served = String::from_utf8(served).unwrap();
    assert_eq!(
        served,
        wekpi_api::graphql::sdl(),
        "served SDL differs from the exported one"
    );

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == served,
        "schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo test --test it schema` and commit it"
    );
    for name in [
        "scalar Date",
        "scalar Decimal",
        "type Viewer",
        "accounts(",
        "upsertContents(",
    ] {
        assert!(served.contains(name), "SDL lacks `{name}`");
    }
}
