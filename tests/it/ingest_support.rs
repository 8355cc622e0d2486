//! Shared pieces of the ingestion tests: the shape of an `IngestReport`, the workspace's
//! calendar and a set of reference entities. Stored rows are read back with `TestApp::ints`.

use chrono::{Days, NaiveDate, NaiveTime, Utc};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The selection of an `IngestReport`, for every ingestion mutation of these tests.
pub const REPORT: &str = "inserted updated unchanged rejected { index field code message }";

/// A mutation `name(rows: $r, atomic: $atomic)` over rows of GraphQL input type `input`.
pub fn mutation(name: &str, input: &str) -> String {
    format!(
        "mutation($r: [{input}!]!, $atomic: Boolean) {{ {name}(rows: $r, atomic: $atomic) {{ {REPORT} }} }}"
    )
}

/// `(inserted, updated, unchanged)` of a report.
pub fn counts(report: &Value) -> (i64, i64, i64) {
    let n = |field: &str| {
        report[field]
            .as_i64()
            .unwrap_or_else(|| panic!("report without {field}: {report}"))
    };
    (n("inserted"), n("updated"), n("unchanged"))
}

/// `(index, field, code)` of every rejected row of a report.
pub fn rejected(report: &Value) -> Vec<(i64, String, String)> {
    report["rejected"]
        .as_array()
        .unwrap_or_else(|| panic!("report without rejected: {report}"))
        .iter()
        .map(|e| {
            (
                e["index"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Today in Asia/Shanghai, the default workspace zone. Computed from the UTC instant: between
/// 16:00 and 24:00 UTC, Shanghai is already on the next calendar day.
pub fn today_in_shanghai() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

/// Tomorrow in Asia/Shanghai: the first business date the server must refuse. In the last
/// minute of a Shanghai day, the day after: tomorrow could turn into today before the server
/// checks it, and the test would fail for the calendar's sake.
pub fn tomorrow_in_shanghai() -> NaiveDate {
    let now = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let last_minute = NaiveTime::from_hms_opt(23, 59, 0).expect("a time of day");
    let days = if now.time() >= last_minute { 2 } else { 1 };
    now.date_naive()
        .checked_add_days(Days::new(days))
        .expect("a representable tomorrow")
}

/// Creates the entities the ingestion tests refer to: accounts `oa` (Official Account) and
/// `wecom`, campaign `c1`, channel `ads` and content `a1` of `oa`.
pub async fn seed_references(app: &TestApp, admin: &str) {
    app.ok(
        admin,
        "mutation {
           upsertAccounts(rows: [{key: \"oa\", kind: SERVICE_ACCOUNT, name: \"OA\", externalId: \"wx123\"},
                                 {key: \"wecom\", kind: WECOM, name: \"Corp\"}]) { inserted }
           upsertCampaigns(rows: [{key: \"c1\", kind: PROMOTION, name: \"C1\", startsOn: \"2025-01-01\", endsOn: \"2025-12-31\"}]) { inserted }
           upsertChannels(rows: [{key: \"ads\", name: \"Ads\"}]) { inserted } }",
        json!({}),
    )
    .await;
    app.ok(
        admin,
        "mutation { upsertContents(rows: [{key: \"a1\", account: \"oa\", kind: ARTICLE, title: \"A1\", publishedAt: \"2025-09-01T08:00:00Z\"}]) { inserted } }",
        json!({}),
    )
    .await;
}
