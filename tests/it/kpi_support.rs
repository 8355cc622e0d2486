//! Shared tools of the KPI report tests: ingestion that must succeed, the report query, lookups
//! of rows and values by period label and dimension keys, and expected values written as the
//! arithmetic that produces them.

use serde_json::{Value, json};

use crate::TestApp;
use crate::helpers::error_code;

pub const OK: &str = "OK";
pub const WARNING: &str = "WARNING";
pub const CRITICAL: &str = "CRITICAL";
pub const NO_DATA: &str = "NO_DATA";

/// Every field of a report that the tests look at.
const REPORT: &str = "query($i: KpiReportInput!) { kpiReport(input: $i) {
  rows { period { start end label } dimensions { dimension key label }
         values { kpi value numerator denominator status previous change changeRatio } }
  totals { kpi value numerator denominator status previous change changeRatio }
  meta { timezone currency granularity dataAsOf range { from to } } } }";

/// Sends `rows` to the ingestion mutation `mutation` and fails the test unless every row is
/// inserted.
pub async fn ingest(app: &TestApp, key: &str, mutation: &str, rows: Value) {
    let input = match mutation {
        "upsertAccounts" => "AccountInput",
        "upsertChannels" => "ChannelInput",
        "upsertCampaigns" => "CampaignInput",
        "upsertContents" => "ContentInput",
        "recordContentDaily" => "ContentDailyInput",
        "recordAccountDaily" => "AccountDailyInput",
        "recordFunnelDaily" => "FunnelDailyInput",
        "recordCampaignDaily" => "CampaignDailyInput",
        "recordStaffDaily" => "StaffDailyInput",
        "recordGroupDaily" => "GroupDailyInput",
        "recordSpend" => "SpendInput",
        "recordOrders" => "OrderInput",
        other => panic!("no input type known for {other}"),
    };
    let query = format!(
        "mutation($r: [{input}!]!) {{ {mutation}(rows: $r) {{ inserted rejected {{ index field code message }} }} }}"
    );
    let count = rows.as_array().map_or(0, Vec::len);
    let data = app.ok(key, &query, json!({ "r": rows })).await;
    let report = &data[mutation];
    assert_eq!(
        report["rejected"],
        json!([]),
        "{mutation} refused rows: {report}"
    );
    assert_eq!(report["inserted"], count, "{mutation}: {report}");
}

/// Sets a KPI's thresholds through the API (ADMIN key).
pub async fn set_thresholds(
    app: &TestApp,
    key: &str,
    kpi: &str,
    warning: Option<f64>,
    critical: Option<f64>,
) {
    app.ok(
        key,
        "mutation($k: KpiKey!, $w: Float, $c: Float) { setKpiThresholds(kpi: $k, warning: $w, critical: $c) { warning critical } }",
        json!({ "k": kpi, "w": warning, "c": critical }),
    )
    .await;
}

/// A report input with more fields (`groupBy`, `filter`, `compareTo`, `fillGaps` …).
pub fn with(mut base: Value, extra: Value) -> Value {
    for (name, value) in extra.as_object().unwrap() {
        base[name] = value.clone();
    }
    base
}

/// Runs `kpiReport` with `input` and fails the test on any error.
pub async fn report(app: &TestApp, key: &str, input: Value) -> Report {
    let data = app.ok(key, REPORT, json!({ "i": input })).await;
    Report(data["kpiReport"].clone())
}

/// Runs `kpiReport` with `input`, expects an error and returns its code and message.
pub async fn report_error(app: &TestApp, key: &str, input: Value) -> (String, String) {
    let resp = app.gql(Some(key), REPORT, json!({ "i": input })).await;
    assert!(resp["data"].is_null(), "expected no data: {resp}");
    let message = resp["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error: {resp}"))
        .to_string();
    (error_code(&resp).to_string(), message)
}

/// A `kpiReport` answer.
pub struct Report(pub Value);

impl Report {
    /// The rows, in the order the server sent them.
    pub fn rows(&self) -> &[Value] {
        self.0["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("no rows in {}", self.0))
    }

    /// `(period label, dimension keys)` of every row, in order.
    pub fn layout(&self) -> Vec<(String, Vec<String>)> {
        self.rows()
            .iter()
            .map(|row| (str_of(&row["period"]["label"]), keys_of(row)))
            .collect()
    }

    /// The one row of the period labelled `label` whose dimension keys are `keys`.
    pub fn row(&self, label: &str, keys: &[&str]) -> &Value {
        let found: Vec<&Value> = self
            .rows()
            .iter()
            .filter(|row| row["period"]["label"] == label && keys_of(row) == keys)
            .collect();
        match found.as_slice() {
            [row] => row,
            _ => panic!(
                "expected one row {label} {keys:?}, found {}: {}",
                found.len(),
                self.0
            ),
        }
    }

    /// The value of `kpi` in the row of `label` and `keys`.
    pub fn value(&self, label: &str, keys: &[&str], kpi: &str) -> &Value {
        kpi_in(&self.row(label, keys)["values"], kpi)
    }

    /// The total of `kpi`.
    pub fn total(&self, kpi: &str) -> &Value {
        kpi_in(&self.0["totals"], kpi)
    }
}

fn str_of(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_string()
}

fn keys_of(row: &Value) -> Vec<String> {
    row["dimensions"]
        .as_array()
        .unwrap_or_else(|| panic!("no dimensions in {row}"))
        .iter()
        .map(|d| str_of(&d["key"]))
        .collect()
}

fn kpi_in<'a>(values: &'a Value, kpi: &str) -> &'a Value {
    values
        .as_array()
        .unwrap_or_else(|| panic!("not a list of values: {values}"))
        .iter()
        .find(|v| v["kpi"] == kpi)
        .unwrap_or_else(|| panic!("{kpi} missing in {values}"))
}

/// What one `KpiValue` should be.
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub status: &'static str,
}

/// A ratio KPI: Σnumerator / Σdenominator, no value when the denominator is 0.
pub fn ratio(numerator: f64, denominator: f64, status: &'static str) -> Expect {
    Expect {
        value: (denominator != 0.0).then(|| numerator / denominator),
        numerator: Some(numerator),
        denominator: Some(denominator),
        status,
    }
}

/// A count or currency KPI: the value is the numerator, the denominator is null.
pub fn amount(value: f64, status: &'static str) -> Expect {
    Expect {
        value: Some(value),
        numerator: Some(value),
        denominator: None,
        status,
    }
}

/// A KPI derived from two KPIs whose values may be missing.
pub fn derived(numerator: Option<f64>, denominator: Option<f64>, status: &'static str) -> Expect {
    Expect {
        value: numerator
            .zip(denominator)
            .filter(|(_, d)| *d != 0.0)
            .map(|(n, d)| n / d),
        numerator,
        denominator,
        status,
    }
}

/// Whether a JSON number (or null) is `expected`, to the last bits of a double.
fn same(actual: &Value, expected: Option<f64>) -> bool {
    match (actual.as_f64(), expected) {
        (None, None) => actual.is_null(),
        (Some(a), Some(e)) => (a - e).abs() <= 1e-12 * e.abs().max(1.0),
        _ => false,
    }
}

/// Fails unless `actual` (a `KpiValue`) matches `expected`; `context` says which one.
pub fn check(actual: &Value, expected: Expect, context: &str) {
    let ok = same(&actual["value"], expected.value)
        && same(&actual["numerator"], expected.numerator)
        && same(&actual["denominator"], expected.denominator)
        && actual["status"] == expected.status;
    assert!(ok, "{context}: got {actual}, expected {expected:?}");
}

/// Fails unless the comparison fields of `actual` are `previous`, `change` and `change_ratio`.
pub fn check_comparison(
    actual: &Value,
    previous: Option<f64>,
    change: Option<f64>,
    change_ratio: Option<f64>,
    context: &str,
) {
    let ok = same(&actual["previous"], previous)
        && same(&actual["change"], change)
        && same(&actual["changeRatio"], change_ratio);
    assert!(
        ok,
        "{context}: got {actual}, expected previous {previous:?}, change {change:?}, changeRatio {change_ratio:?}"
    );
}
