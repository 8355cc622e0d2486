//! Backfills from files: `wekpi import` / `wekpi import-wechat`, through the library function the
//! CLI calls and, end to end, through the built binary against the test database.

use std::path::PathBuf;

use serde_json::json;
use wekpi_api::auth::{self, Tenant};
use wekpi_api::ingest::file::{Format, Kind, LineError};
use wekpi_api::ingest::import::{FileOptions, FileReport, import_file};
use wekpi_api::ingest::upsert::Counts;
use wekpi_api::ingest::validate::RowErrorCode;

use crate::both_backends;
use crate::helpers::TestApp;

/// A workspace with account `oa` and contents `a1`, `a2`, `a3`; returns its ADMIN key.
async fn seed(app: &TestApp) -> String {
    let key = app.workspace("acme").await;
    app.ok(
        &key,
        "mutation { upsertAccounts(rows: [{key: \"oa\", kind: SERVICE_ACCOUNT, name: \"OA\"}]) { inserted } \
         upsertContents(rows: [\
           {key: \"a1\", account: \"oa\", kind: ARTICLE, title: \"One\", publishedAt: \"2026-01-01T08:00:00+08:00\"}, \
           {key: \"a2\", account: \"oa\", kind: ARTICLE, title: \"Two\", publishedAt: \"2026-01-01T08:00:00+08:00\"}, \
           {key: \"a3\", account: \"oa\", kind: ARTICLE, title: \"Three\", publishedAt: \"2026-01-01T08:00:00+08:00\"}]) { inserted } }",
        json!({}),
    )
    .await;
    key
}

async fn tenant(app: &TestApp, key: &str) -> Tenant {
    auth::authenticate(&app.db, Some(&format!("Bearer {key}")))
        .await
        .unwrap()
}

/// Loads `text` as a file of `kind` the way `wekpi import` does; returns the report and errors.
async fn load(
    app: &TestApp,
    key: &str,
    kind: Kind,
    format: Format,
    text: &str,
    options: FileOptions,
) -> (FileReport, Vec<LineError>) {
    let tenant = tenant(app, key).await;
    let mut errors = Vec::new();
    let report = import_file(
        &app.db,
        &tenant,
        kind,
        format,
        text.as_bytes(),
        options,
        &mut errors,
    )
    .await
    .unwrap_or_else(|e| panic!("import failed: {}", e.detail()));
    (report, errors)
}

fn counts(inserted: u64, updated: u64, unchanged: u64) -> Counts {
    Counts {
        inserted,
        updated,
        unchanged,
    }
}

/// (line, field, code) of each error.
fn shape(errors: &[LineError]) -> Vec<(u64, Option<&str>, RowErrorCode)> {
    errors
        .iter()
        .map(|e| (e.line, e.field.as_deref(), e.code))
        .collect()
}

/// Chunks of 2 lines, so that a refused file has already written chunks in its transaction.
const SMALL_CHUNKS: FileOptions = FileOptions {
    atomic: true,
    chunk_lines: 2,
};

/// Line 4 contradicts itself, line 6 names an unknown content; the other three are good.
const WITH_BAD_LINES: &str = "content,date,reads,readers,completions\n\
                              a1,2026-01-05,100,80,40\n\
                              a2,2026-01-05,50,40,20\n\
                              a3,2026-01-05,10,8,12\n\
                              a1,2026-01-06,90,70,30\n\
                              zz,2026-01-06,5,,\n";

both_backends! {
    async fn a_bad_line_is_named_and_by_default_nothing_is_written(app: TestApp) {
        let key = seed(&app).await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 0);

        let (report, errors) =
            load(&app, &key, Kind::ContentDaily, Format::Csv, WITH_BAD_LINES, SMALL_CHUNKS).await;
        assert_eq!(
            shape(&errors),
            [
                (4, Some("completions"), RowErrorCode::Inconsistent),
                (6, Some("content"), RowErrorCode::UnknownReference),
            ]
        );
        assert_eq!(errors[0].message, "completions (12) must not exceed reads (10)");
        assert_eq!(
            errors[0].to_string(),
            "line 4, completions: INCONSISTENT: completions (12) must not exceed reads (10)"
        );
        assert_eq!(
            report,
            FileReport { counts: Counts::default(), lines: 5, rejected: 2, refused: true }
        );
        // Lines 2-3 were a chunk of their own, written before line 4 was read: rolled back.
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 0);

        let partial = FileOptions { atomic: false, ..SMALL_CHUNKS };
        let (report, errors) =
            load(&app, &key, Kind::ContentDaily, Format::Csv, WITH_BAD_LINES, partial).await;
        assert_eq!(shape(&errors).len(), 2);
        assert_eq!(
            report,
            FileReport { counts: counts(3, 0, 0), lines: 5, rejected: 2, refused: false }
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 3);
        // Lines 2, 3 and 5: 100 + 50 + 90.
        assert_eq!(app.scalar("SELECT CAST(SUM(reads) AS BIGINT) FROM content_daily").await, 240);
    }

    async fn good_csv_and_jsonl_files_load_and_reload_unchanged(app: TestApp) {
        let key = seed(&app).await;
        // snake_case and camelCase headers, an unknown column, a blank cell.
        let csv = "content,date,reads,new_column,sharers,shares\n\
                   a1,2026-01-05,100,x,3,4\n\
                   a2,2026-01-05,50,,,\n\
                   a1,2026-01-06,90,y,1,1\n";
        let (first, errors) =
            load(&app, &key, Kind::ContentDaily, Format::Csv, csv, FileOptions::default()).await;
        assert_eq!(errors, []);
        assert_eq!(first, FileReport { counts: counts(3, 0, 0), lines: 3, rejected: 0, refused: false });
        let (again, _) =
            load(&app, &key, Kind::ContentDaily, Format::Csv, csv, FileOptions::default()).await;
        assert_eq!(again.counts, counts(0, 0, 3));
        // 3 + 0 + 1.
        assert_eq!(app.scalar("SELECT CAST(SUM(sharers) AS BIGINT) FROM content_daily").await, 4);

        // Orders as JSON Lines: money as a number and as text, snake_case and camelCase keys,
        // a blank line; the customers are created.
        let jsonl = "{\"key\":\"o1\",\"customer\":\"alice\",\"paid_at\":\"2026-01-05T10:00:00+08:00\",\"amount\":199.9}\n\
                     \n\
                     {\"key\":\"o2\",\"customer\":\"bob\",\"paidAt\":\"2026-01-06T10:00:00Z\",\"amount\":\"50\",\"refundedAmount\":\"10.05\",\"account\":\"oa\"}\n";
        let (first, errors) =
            load(&app, &key, Kind::Orders, Format::Jsonl, jsonl, FileOptions::default()).await;
        assert_eq!(errors, []);
        assert_eq!(first, FileReport { counts: counts(2, 0, 0), lines: 2, rejected: 0, refused: false });
        let (again, _) =
            load(&app, &key, Kind::Orders, Format::Jsonl, jsonl, FileOptions::default()).await;
        assert_eq!(again.counts, counts(0, 0, 2));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM customer").await, 2);
        // 199.90 + 50.00 = 249.90 in cents; refunds 10.05.
        assert_eq!(app.scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM orders").await, 24_990);
        assert_eq!(app.scalar("SELECT CAST(SUM(refunded_amount) AS BIGINT) FROM orders").await, 1_005);

        // A correction is an update.
        let fix = "content,date,reads\na2,2026-01-05,55\n";
        let (fixed, _) =
            load(&app, &key, Kind::ContentDaily, Format::Csv, fix, FileOptions::default()).await;
        assert_eq!(fixed.counts, counts(0, 1, 0));
    }

    async fn duplicates_and_unreadable_lines_are_errors_of_their_lines(app: TestApp) {
        let key = seed(&app).await;
        // Line 4 repeats line 2's key, two chunks later; line 3 is broken JSON.
        let jsonl = "{\"content\":\"a1\",\"date\":\"2026-01-05\",\"likes\":1}\n\
                     {\"content\":\"a2\",\"date\":\n\
                     {\"content\":\"a1\",\"date\":\"2026-01-05\",\"likes\":2}\n\
                     {\"content\":\"a3\",\"date\":\"2026-01-05\",\"likes\":4}\n";
        let partial = FileOptions { atomic: false, chunk_lines: 1 };
        let (report, errors) =
            load(&app, &key, Kind::ContentDaily, Format::Jsonl, jsonl, partial).await;
        assert_eq!(
            shape(&errors),
            [(2, None, RowErrorCode::InvalidFormat), (3, Some("content"), RowErrorCode::DuplicateKey)]
        );
        assert_eq!(errors[1].message, "duplicate of line 1: same content, date");
        assert_eq!(report.counts, counts(2, 0, 0));
        // The first occurrence is kept: lines 1 and 4, 1 + 4 likes.
        assert_eq!(app.scalar("SELECT CAST(SUM(likes) AS BIGINT) FROM content_daily").await, 5);
    }

    async fn files_need_the_role_of_their_mutation(app: TestApp) {
        let admin = seed(&app).await;
        let write = app.key(&admin, "WRITE").await;
        let read = app.key(&admin, "READ").await;
        let accounts = "key,kind,name\nmp,MINI_PROGRAM,Mini\n";
        let daily = "content,date,reads\na1,2026-01-05,1\n";
        for (key, kind, text, allowed) in [
            (&read, Kind::ContentDaily, daily, false),
            (&write, Kind::Accounts, accounts, false),
            (&write, Kind::ContentDaily, daily, true),
            (&admin, Kind::Accounts, accounts, true),
        ] {
            let tenant = tenant(&app, key).await;
            let result = import_file(
                &app.db, &tenant, kind, Format::Csv, text.as_bytes(), FileOptions::default(), &mut Vec::<LineError>::new(),
            )
            .await;
            match (allowed, result) {
                (true, Ok(report)) => assert_eq!(report.counts, counts(1, 0, 0)),
                (false, Err(e)) => assert_eq!(e.code(), "FORBIDDEN", "{kind:?}"),
                (allowed, other) => panic!("{kind:?} allowed={allowed}: {other:?}"),
            }
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM account").await, 2);
    }

    async fn the_binary_imports_files_and_exits_non_zero_on_rejected_lines(app: TestApp) {
        let key = seed(&app).await;
        let dir = TempDir::new();
        let bad = dir.write(
            "bad.csv",
            "content,date,reads\na1,2026-01-05,10\na2,2026-01-05,-3\na3,2026-01-05,7\n",
        );
        let run = Wekpi::new(&app, &key);

        let refused = run.cmd(&["import", "--kind", "content-daily", path(&bad)]).await;
        assert!(!refused.ok, "{refused:?}");
        assert!(refused.stdout.contains("line 3, reads: NEGATIVE: reads must not be negative, got -3"), "{refused:?}");
        assert!(refused.stdout.contains("nothing was written"), "{refused:?}");
        assert!(refused.stderr.contains("1 line(s) rejected"), "{refused:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 0);

        let partial = run.cmd(&["import", "--kind", "content-daily", "--partial", path(&bad)]).await;
        assert!(!partial.ok, "{partial:?}");
        assert!(partial.stdout.contains("inserted 2, updated 0, unchanged 0, rejected 1"), "{partial:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 2);

        // The key may come from the environment; a good file exits 0, and again all unchanged.
        let good = dir.write("good.jsonl", "{\"content\":\"a1\",\"date\":\"2026-01-05\",\"reads\":10}\n{\"content\":\"a3\",\"date\":\"2026-01-05\",\"reads\":7}\n");
        let from_env = Wekpi { key_in_env: true, ..run.clone() };
        let loaded = from_env.cmd(&["import", "--kind", "content-daily", path(&good)]).await;
        assert!(loaded.ok, "{loaded:?}");
        assert!(loaded.stdout.contains("inserted 0, updated 0, unchanged 2, rejected 0"), "{loaded:?}");

        let unknown = Wekpi { key: "wk_nope".into(), ..run.clone() };
        let denied = unknown.cmd(&["import", "--kind", "content-daily", path(&good)]).await;
        assert!(!denied.ok && denied.stderr.contains("unknown or revoked"), "{denied:?}");

        // A WeChat payload: two articles, created as contents; reads are day-to-day differences
        // of the cumulative int_page_read_count: 5200, 7000-5200, 7600-7000 and 1000.
        let payload = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wechat/getarticletotal.json");
        let args = ["import-wechat", "--source", "oa_article_total", "--account", "oa", path(&payload)];
        let imported = run.cmd(&args).await;
        assert!(imported.ok, "{imported:?}");
        assert!(imported.stdout.contains("inserted 6, updated 0, unchanged 0, errors 0"), "{imported:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content WHERE key LIKE '3300112233_%'").await, 2);
        assert_eq!(
            app.scalar("SELECT CAST(SUM(d.reads) AS BIGINT) FROM content_daily d JOIN content c ON c.id = d.content_id WHERE c.key LIKE '3300112233_%'").await,
            5200 + 1800 + 600 + 1000
        );
        let again = run.cmd(&args).await;
        assert!(again.stdout.contains("inserted 0, updated 0, unchanged 4, errors 0"), "{again:?}");
    }
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "wekpi-cli-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let file = self.0.join(name);
        std::fs::write(&file, text).unwrap();
        file
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The built `wekpi` binary pointed at the test's database with a workspace key.
#[derive(Clone)]
struct Wekpi {
    database_url: String,
    key: String,
    key_in_env: bool,
}

#[derive(Debug)]
struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Wekpi {
    fn new(app: &TestApp, key: &str) -> Self {
        Self {
            database_url: app.database_url.clone(),
            key: key.to_owned(),
            key_in_env: false,
        }
    }

    async fn cmd(&self, args: &[&str]) -> Output {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_wekpi"));
        command
            .args(args)
            .env("WEKPI_DATABASE_URL", &self.database_url)
            .env_remove("WEKPI_API_KEY");
        if self.key_in_env {
            command.env("WEKPI_API_KEY", &self.key);
        } else {
            command.args(["--workspace", &self.key]);
        }
        let out = command.output().await.unwrap();
        Output {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}
