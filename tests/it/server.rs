//! One test over a real socket: the server binds, answers health and GraphQL, and stops
//! cleanly when cancelled.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::helpers::{Backend, TestApp};

async fn http(addr: std::net::SocketAddr, request: String) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_over_tcp_and_shuts_down() {
    let app = TestApp::new(Backend::Sqlite).await;
    let key = app.workspace("acme").await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = wekpi_api::app::AppState::new(app.db.clone(), app.config.limits.clone()).unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(wekpi_api::app::serve(listener, state, shutdown.clone()));

    let health = http(
        addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let ready = http(
        addr,
        "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert!(
        ready.starts_with("HTTP/1.1 200") && ready.ends_with("ready"),
        "{ready}"
    );

    let body = r#"{"query":"{ viewer { role workspace { name } } }"}"#;
    let post = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {key}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = http(addr, post).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#"{"data":{"viewer":{"role":"ADMIN","workspace":{"name":"acme"}}}}"#),
        "{answer}"
    );

    let page = http(
        addr,
        "GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("graphiql"),
        "GraphiQL page expected"
    );

    shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "server did not stop cleanly"
    );
}
