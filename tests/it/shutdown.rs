//! The real binary: `wekpi serve` answers a request that is in flight when SIGTERM arrives,
//! then exits 0; its JSON logs carry the request's id.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_wekpi");

/// Removes the database files when the test ends, however it ends.
struct TempDb(std::path::PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// `wekpi workspace create acme`: the ADMIN key it prints.
async fn create_workspace(url: &str) -> String {
    let out = Command::new(BIN)
        .args(["workspace", "create", "acme"])
        .env("WEKPI_DATABASE_URL", url)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("ADMIN key (shown once): "))
        .unwrap_or_else(|| panic!("no key in {stdout}"))
        .to_string()
}

/// Starts `wekpi serve` on a free port; returns the child and the address it announced.
async fn serve(url: &str) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("WEKPI_DATABASE_URL", url)
        .env("WEKPI_BIND", "127.0.0.1:0")
        .env("WEKPI_LOG_FORMAT", "json")
        // Request spans open and close at DEBUG in tower-http's trace layer.
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let announced = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                return rest.split_whitespace().next().unwrap().to_string();
            }
        }
        panic!("the server exited without announcing its address");
    })
    .await
    .expect("the server announces its address");
    (child, announced)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_running_request_finish_and_exits_zero() {
    let path = std::env::temp_dir().join(format!("wekpi-sigterm-{}.db", std::process::id()));
    let _cleanup = TempDb(path.clone());
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let key = create_workspace(&url).await;
    let (mut child, addr) = serve(&url).await;
    let stderr = child.stderr.take().unwrap();
    let logs = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut all = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            all.push(line);
        }
        all
    });

    // A request whose body arrives in two parts: it is in flight from the moment its headers
    // are read until the second part is sent, and SIGTERM arrives in between.
    let body = r#"{"query":"{ viewer { role workspace { name } } }"}"#;
    let (first, second) = body.split_at(20);
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {key}\r\nx-request-id: drain-test-1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap());
    kill(pid, Signal::SIGTERM).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server must wait for the request in flight"
    );

    stream.write_all(second.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("the response arrives")
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_lowercase()
            .contains("x-request-id: drain-test-1"),
        "{response}"
    );
    assert!(
        response.ends_with(r#"{"data":{"viewer":{"role":"ADMIN","workspace":{"name":"acme"}}}}"#),
        "{response}"
    );

    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the server exits after draining")
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");

    // Every log line is JSON; the request's lines carry its id in their span.
    let logs = logs.await.unwrap();
    let parsed: Vec<Value> = logs
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let of_request = parsed
        .iter()
        .filter(|l| l["span"]["request_id"] == "drain-test-1")
        .count();
    assert!(of_request >= 1, "no log line names the request: {logs:#?}");
    assert!(
        parsed
            .iter()
            .any(|l| l["fields"]["message"] == "shutdown signal received: draining"),
        "{logs:#?}"
    );
}
