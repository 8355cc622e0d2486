//! The demo data set: written through ingestion into every table, identical on every run,
//! idempotent, with rates inside realistic bands and the documented breaches in place.
//!
//! The tests load the real generator over a shorter window than `serve --demo` (which loads
//! `demo::DEFAULT_DAYS`) to stay fast; the bands are computed here with plain SQL.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, TimeDelta};
use sea_orm::{ConnectionTrait, QueryResult, Statement};
use serde_json::json;
use wekpi_api::auth::{Role, Tenant};
use wekpi_api::demo::{self, KindReport, Window};

use crate::both_backends;
use crate::helpers::TestApp;

/// Long enough for three complete cohort months and every kind of recurring campaign.
const DAYS: u32 = 200;

/// The demo workspace's tenant and the test window, which ends yesterday like `serve --demo`'s.
async fn demo_tenant(app: &TestApp) -> (Tenant, Window) {
    let (ws, _) = wekpi_api::workspace::find_or_create(&app.db, demo::WORKSPACE_NAME)
        .await
        .unwrap();
    let tenant = Tenant::system(ws, Role::Write);
    let window = Window::new(tenant.today() - TimeDelta::days(1), DAYS, 1);
    (tenant, window)
}

async fn load(app: &TestApp, window: &Window) -> Vec<KindReport> {
    let (tenant, _) = demo_tenant(app).await;
    let mut kinds = Vec::new();
    let reports = demo::load(&app.db, &tenant, window, &mut |r| kinds.push(r.kind))
        .await
        .unwrap();
    assert_eq!(kinds, reports.iter().map(|r| r.kind).collect::<Vec<_>>());
    reports
}

/// Every table's business columns (keys, dates, counts, amounts; no ids, no bookkeeping
/// timestamps), with the tables that turn references into keys.
const TABLES: &[(&str, &[&str], &str)] = &[
    (
        "account",
        &["t.key", "t.kind", "t.name", "t.external_id"],
        "account t",
    ),
    ("channel", &["t.key", "t.name"], "channel t"),
    (
        "campaign",
        &[
            "t.key",
            "t.kind",
            "t.name",
            "t.starts_on",
            "t.ends_on",
            "t.budget",
        ],
        "campaign t",
    ),
    (
        "content",
        &[
            "t.key",
            "a.key",
            "t.kind",
            "t.title",
            "t.published_at",
            "ca.key",
        ],
        "content t JOIN account a ON a.id = t.account_id \
         LEFT JOIN campaign ca ON ca.id = t.campaign_id",
    ),
    (
        "customer",
        &["t.key", "t.first_seen_at", "ch.key", "a.key"],
        "customer t LEFT JOIN channel ch ON ch.id = t.channel_id \
         LEFT JOIN account a ON a.id = t.account_id",
    ),
    (
        "content_daily",
        &[
            "c.key",
            "t.date",
            "t.deliveries",
            "t.opens",
            "t.reads",
            "t.readers",
            "t.completions",
            "t.shares",
            "t.sharers",
            "t.favorites",
            "t.likes",
            "t.comments",
            "t.clicks",
        ],
        "content_daily t JOIN content c ON c.id = t.content_id",
    ),
    (
        "account_daily",
        &[
            "a.key",
            "t.date",
            "t.new_followers",
            "t.unfollows",
            "t.total_followers",
        ],
        "account_daily t JOIN account a ON a.id = t.account_id",
    ),
    (
        "funnel_daily",
        &[
            "a.key",
            "ca.key",
            "t.date",
            "t.visits",
            "t.checkouts",
            "t.payments",
        ],
        "funnel_daily t JOIN account a ON a.id = t.account_id \
         LEFT JOIN campaign ca ON ca.id = t.campaign_id",
    ),
    (
        "campaign_daily",
        &[
            "ca.key",
            "t.date",
            "t.reached",
            "t.participants",
            "t.ugc_posts",
        ],
        "campaign_daily t JOIN campaign ca ON ca.id = t.campaign_id",
    ),
    (
        "staff_daily",
        &[
            "a.key",
            "t.staff",
            "t.date",
            "t.chats",
            "t.messages",
            "t.replied_chats",
            "t.reply_minutes_total",
            "t.new_applies",
            "t.new_contacts",
            "t.negative_feedback",
        ],
        "staff_daily t JOIN account a ON a.id = t.account_id",
    ),
    (
        "group_daily",
        &[
            "a.key",
            "t.staff",
            "t.date",
            "t.groups_total",
            "t.active_groups",
            "t.members_total",
            "t.active_members",
            "t.new_members",
            "t.messages",
        ],
        "group_daily t JOIN account a ON a.id = t.account_id",
    ),
    (
        "orders",
        &[
            "t.key",
            "cu.key",
            "t.paid_at",
            "t.paid_date",
            "t.amount",
            "t.refunded_amount",
            "ch.key",
            "ca.key",
            "a.key",
        ],
        "orders t JOIN customer cu ON cu.id = t.customer_id \
         LEFT JOIN channel ch ON ch.id = t.channel_id \
         LEFT JOIN campaign ca ON ca.id = t.campaign_id \
         LEFT JOIN account a ON a.id = t.account_id",
    ),
    (
        "spend",
        &["t.date", "t.amount", "ch.key", "ca.key"],
        "spend t LEFT JOIN channel ch ON ch.id = t.channel_id \
         LEFT JOIN campaign ca ON ca.id = t.campaign_id",
    ),
];

/// The query of one of [`TABLES`]: each row as one line of text, its columns joined by `|`.
fn lines_sql(columns: &[&str], from: &str) -> String {
    let text: Vec<String> = columns
        .iter()
        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
        .collect();
    format!("SELECT {} FROM {from}", text.join(" || '|' || "))
}

async fn query(app: &TestApp, sql: &str) -> Vec<QueryResult> {
    let statement = Statement::from_string(app.db.get_database_backend(), sql);
    app.db.query_all_raw(statement).await.unwrap()
}

/// The lines of one table, sorted: equal digests mean equal contents whatever the row order.
async fn digest(app: &TestApp, columns: &[&str], from: &str) -> Vec<String> {
    let mut lines: Vec<String> = query(app, &lines_sql(columns, from))
        .await
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    lines.sort_unstable();
    lines
}

/// Σ`expr` over `from` (a FROM … WHERE … clause); 0 without rows.
async fn sum(app: &TestApp, expr: &str, from: &str) -> f64 {
    let sql = format!("SELECT CAST(COALESCE(SUM({expr}), 0) AS BIGINT) {from}");
    app.scalar(&sql).await as f64
}

/// Σnumerator / Σdenominator over `from`.
async fn ratio(app: &TestApp, numerator: &str, denominator: &str, from: &str) -> f64 {
    let d = sum(app, denominator, from).await;
    assert!(d > 0.0, "no data for {numerator} / {denominator} {from}");
    sum(app, numerator, from).await / d
}

fn assert_band(name: &str, value: f64, low: f64, high: f64) {
    assert!(
        (low..=high).contains(&value),
        "{name} = {value:.4}, expected between {low} and {high}"
    );
}

fn within(column: &str, (from, to): (NaiveDate, NaiveDate)) -> String {
    format!("{column} BETWEEN '{from}' AND '{to}'")
}

/// An overall rate of the data set: Σnumerator / Σdenominator over `from`, within `low..=high`.
struct Band {
    name: &'static str,
    numerator: &'static str,
    denominator: &'static str,
    from: &'static str,
    low: f64,
    high: f64,
}

const BANDS: &[Band] = &[
    Band {
        name: "article open rate",
        numerator: "opens",
        denominator: "deliveries",
        from: "FROM content_daily t JOIN content c ON c.id = t.content_id WHERE c.kind = 'ARTICLE'",
        low: 0.18,
        high: 0.26,
    },
    Band {
        name: "Moments open rate",
        numerator: "opens",
        denominator: "deliveries",
        from: "FROM content_daily t JOIN content c ON c.id = t.content_id WHERE c.kind = 'MOMENTS'",
        low: 0.60,
        high: 0.76,
    },
    Band {
        name: "live open rate",
        numerator: "opens",
        denominator: "deliveries",
        from: "FROM content_daily t JOIN content c ON c.id = t.content_id WHERE c.kind = 'LIVE'",
        low: 0.36,
        high: 0.46,
    },
    Band {
        name: "read-through",
        numerator: "completions",
        denominator: "reads",
        from: "FROM content_daily",
        low: 0.22,
        high: 0.40,
    },
    Band {
        name: "service account read-through",
        numerator: "completions",
        denominator: "reads",
        from: "FROM content_daily t JOIN content c ON c.id = t.content_id \
         JOIN account a ON a.id = c.account_id WHERE a.key = 'oa-service'",
        low: 0.25,
        high: 0.40,
    },
    Band {
        name: "share coefficient",
        numerator: "shares",
        denominator: "reads",
        from: "FROM content_daily",
        low: 0.15,
        high: 0.25,
    },
    Band {
        name: "payment conversion",
        numerator: "payments",
        denominator: "visits",
        from: "FROM funnel_daily",
        low: 0.05,
        high: 0.08,
    },
    // Money is stored in cents: AOV 150–260 yuan.
    Band {
        name: "AOV (cents)",
        numerator: "amount",
        denominator: "1",
        from: "FROM orders",
        low: 15_000.0,
        high: 26_000.0,
    },
    Band {
        name: "refunded orders",
        numerator: "CASE WHEN refunded_amount > 0 THEN 1 ELSE 0 END",
        denominator: "1",
        from: "FROM orders",
        low: 0.04,
        high: 0.12,
    },
    Band {
        name: "participation",
        numerator: "participants",
        denominator: "reached",
        from: "FROM campaign_daily",
        low: 0.30,
        high: 0.40,
    },
    Band {
        name: "group activity",
        numerator: "active_members",
        denominator: "members_total",
        from: "FROM group_daily",
        low: 0.30,
        high: 0.42,
    },
    Band {
        name: "reply rate",
        numerator: "replied_chats",
        denominator: "chats",
        from: "FROM staff_daily",
        low: 0.85,
        high: 0.99,
    },
];

async fn the_data_set_is_complete_and_plausible(app: &TestApp, window: &Window) {
    for (table, _, _) in TABLES {
        let rows = app.scalar(&format!("SELECT COUNT(*) FROM {table}")).await;
        assert!(rows > 0, "{table} is empty");
    }
    // Every kind of every closed set.
    for (table, kinds) in [("account", 6), ("content", 6), ("campaign", 3)] {
        let sql = format!("SELECT COUNT(DISTINCT kind) FROM {table}");
        assert_eq!(app.scalar(&sql).await, kinds, "{table} kinds");
    }
    assert!(app.scalar("SELECT COUNT(*) FROM customer").await >= 2_000);
    assert!(app.scalar("SELECT COUNT(*) FROM orders").await >= 2_000);
    // The window is covered from its first day to yesterday, and not beyond.
    let orders_after = format!(
        "SELECT COUNT(*) FROM orders WHERE paid_date > '{}'",
        window.end
    );
    assert_eq!(app.scalar(&orders_after).await, 0);
    for date in [window.start, window.end] {
        let sql = format!("SELECT COUNT(*) FROM account_daily WHERE date = '{date}'");
        assert!(app.scalar(&sql).await > 0, "no followers on {date}");
    }

    for band in BANDS {
        let value = ratio(app, band.numerator, band.denominator, band.from).await;
        assert_band(band.name, value, band.low, band.high);
    }
    let revenue = sum(app, "amount - refunded_amount", "FROM orders").await;
    assert_band(
        "ROI",
        revenue / sum(app, "amount", "FROM spend").await,
        4.5,
        8.5,
    );
    assert_band(
        "three-month repurchase",
        repurchase_3m(app, window).await,
        0.22,
        0.38,
    );
}

/// The breaches the module docs of `demo` promise, in the periods alert evaluation looks at.
async fn the_documented_breaches_are_in_place(app: &TestApp, window: &Window) {
    let campaign = |key: &str, period| {
        format!(
            "FROM campaign_daily t JOIN campaign ca ON ca.id = t.campaign_id \
             WHERE ca.key = '{key}' AND {}",
            within("t.date", period)
        )
    };
    let (month, week) = (window.last_complete_month(), window.last_complete_week());
    for period in [month, week, (window.end, window.end)] {
        let from = campaign("int-daily-checkin", period);
        let participation = ratio(app, "participants", "reached", &from).await;
        assert!(
            participation < 0.30,
            "check-in participation {participation} in {period:?}"
        );
        let ugc = sum(app, "ugc_posts", &campaign("brand-cobrand-popup", period)).await;
        assert!(ugc < 100.0, "co-branding UGC {ugc} in {period:?}");
        let from = campaign("brand-story", period);
        let healthy = ratio(app, "participants", "reached", &from).await;
        assert!(
            healthy >= 0.28,
            "brand story participation {healthy} in {period:?}"
        );
    }
    let subscription = "FROM content_daily t JOIN content c ON c.id = t.content_id \
                        JOIN account a ON a.id = c.account_id WHERE a.key = 'oa-subscription'";
    let read_through = ratio(app, "completions", "reads", subscription).await;
    assert!(
        read_through < 0.20,
        "subscription read-through {read_through}"
    );

    let clearance = |table: &str| {
        format!(
            "FROM {table} t JOIN campaign ca ON ca.id = t.campaign_id \
             WHERE ca.key = 'promo-clearance'"
        )
    };
    let revenue = sum(app, "t.amount - t.refunded_amount", &clearance("orders")).await;
    let spend = sum(app, "t.amount", &clearance("spend")).await;
    assert_band("clearance ROI", revenue / spend, 3.0, 4.0);

    let from = "FROM group_daily WHERE staff = 'liuyang'";
    let quiet = ratio(app, "active_members", "members_total", from).await;
    assert!(quiet < 0.30, "liuyang's group activity {quiet}");

    // Against the previous day, ISO week and calendar month.
    let day_before = window.end - TimeDelta::days(1);
    let month_before_end = month.0 - TimeDelta::days(1);
    let month_before = (month_before_end.with_day(1).unwrap(), month_before_end);
    let weeks_before = (week.0 - TimeDelta::days(7), week.1 - TimeDelta::days(7));
    for (last, before) in [
        ((window.end, window.end), (day_before, day_before)),
        (week, weeks_before),
        (month, month_before),
    ] {
        let (now, then) = (
            unfollow_rate(app, last).await,
            unfollow_rate(app, before).await,
        );
        assert!(
            now > then * 1.05,
            "unfollow rate {now} in {last:?} after {then}"
        );
    }
}

async fn two_runs_store_identical_data(app: &TestApp) {
    let (_, window) = demo_tenant(app).await;
    load(app, &window).await;
    let other = TestApp::new(app.backend).await;
    load(&other, &window).await;
    for (table, columns, from) in TABLES {
        let (a, b) = (
            digest(app, columns, from).await,
            digest(&other, columns, from).await,
        );
        assert!(!a.is_empty(), "{table} is empty");
        assert_eq!(a.len(), b.len(), "{table}: row counts differ");
        let first_difference = a.iter().zip(&b).find(|(x, y)| x != y);
        assert_eq!(first_difference, None, "{table} differs");
    }
}

async fn setup_twice_changes_nothing(app: &TestApp) {
    let mut printed = Vec::new();
    let first = demo::setup(&app.db, &app.state.alerts, 1, DAYS, &mut |r| {
        printed.push(r.to_string())
    })
    .await
    .unwrap();
    assert_eq!(
        printed.len(),
        TABLES.len(),
        "one progress line per kind, one kind per table: {printed:?}"
    );
    assert!(
        first
            .reports
            .iter()
            .all(|r| r.counts.inserted == r.rows as u64)
    );
    let second = demo::setup(&app.db, &app.state.alerts, 1, DAYS, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(second.workspace.id, first.workspace.id);
    assert!(first.created && !second.created);
    for r in &second.reports {
        let counts = (r.counts.inserted, r.counts.updated, r.counts.unchanged);
        assert_eq!(counts, (0, 0, r.rows as u64), "{}", r.kind);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM workspace").await, 1);

    // Each start issues working keys of the three roles; the earlier ones stay valid.
    let names: Vec<&str> = second.keys.iter().map(|k| k.model.name.as_str()).collect();
    assert_eq!(names, ["demo-admin", "demo-write", "demo-read"]);
    let roles = ["ADMIN", "WRITE", "READ"].iter().cycle();
    for (key, role) in first.keys.iter().chain(&second.keys).zip(roles) {
        let query = "{ viewer { role workspace { name } } }";
        let data = app.ok(&key.secret, query, json!({})).await;
        assert_eq!(data["viewer"]["role"], *role);
        assert_eq!(data["viewer"]["workspace"]["name"], "Wekpi Demo");
    }
    // The deliberate breaches fire, and show through the API.
    assert!(
        first.firing >= 3,
        "firing alerts after the demo: {}",
        first.firing
    );
    let admin = &first.keys[0].secret;
    let firing = app
        .ok(admin, "{ alerts(filter: {states: [FIRING]}) { totalCount edges { node { kpi group { key } } } } }", json!({}))
        .await;
    assert_eq!(firing["alerts"]["totalCount"], json!(first.firing));
    let kpis: Vec<&str> = firing["alerts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kpi"].as_str().unwrap())
        .collect();
    for expected in ["PARTICIPATION_RATE", "READ_THROUGH_RATE", "ROI"] {
        assert!(
            kpis.contains(&expected),
            "{expected} should fire in the demo: {kpis:?}"
        );
    }
    // Loading again changes no alert either.
    assert_eq!(second.alerts.events, 0);
    let banner = second.banner("http://127.0.0.1:8080");
    assert!(banner.contains("firing"));
    assert!(banner.contains("http://127.0.0.1:8080/graphql"));
    assert!(banner.contains("curl"));
    for key in &second.keys {
        assert!(banner.contains(&key.secret));
    }

    // Another scale gets its own workspace.
    let other = demo::setup(&app.db, &app.state.alerts, 2, 3, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(other.workspace.name, "Wekpi Demo (scale 2)");
    assert!(other.created);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM workspace").await, 2);
}

both_backends! {
    async fn the_demo_fills_every_table_with_plausible_rates_and_the_breaches(app: TestApp) {
        let (_, window) = demo_tenant(&app).await;
        for report in load(&app, &window).await {
            assert!(report.rows > 0, "{} generated no rows", report.kind);
            // An empty database: everything is new.
            assert_eq!(report.counts.inserted, report.rows as u64, "{}", report.kind);
        }
        the_data_set_is_complete_and_plausible(&app, &window).await;
        the_documented_breaches_are_in_place(&app, &window).await;
    }

    async fn two_runs_on_fresh_databases_store_identical_data(app: TestApp) {
        two_runs_store_identical_data(&app).await;
    }

    async fn serve_demo_setup_twice_reuses_the_workspace_and_changes_nothing(app: TestApp) {
        setup_twice_changes_nothing(&app).await;
    }
}

/// The service account's unfollow rate in `period`: Σunfollows / Σfollowers at the start of
/// the day.
async fn unfollow_rate(app: &TestApp, period: (NaiveDate, NaiveDate)) -> f64 {
    let from = format!(
        "FROM account_daily t JOIN account a ON a.id = t.account_id \
         WHERE a.key = 'oa-service' AND {}",
        within("t.date", period)
    );
    ratio(
        app,
        "unfollows",
        "total_followers - new_followers + unfollows",
        &from,
    )
    .await
}

/// Of the customers whose first order falls in cohort month M, the share with an order in
/// month M+2, pooled over every cohort whose M+2 lies entirely in the window.
async fn repurchase_3m(app: &TestApp, window: &Window) -> f64 {
    let rows = query(
        app,
        "SELECT customer_id, CAST(paid_date AS TEXT) FROM orders",
    )
    .await;
    let month = |date: &str| {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        d.year() * 12 + d.month0() as i32
    };
    let mut months: BTreeMap<i64, BTreeSet<i32>> = BTreeMap::new();
    for row in &rows {
        let customer: i64 = row.try_get_by_index(0).unwrap();
        let date: String = row.try_get_by_index(1).unwrap();
        months.entry(customer).or_default().insert(month(&date));
    }
    // Cohorts from the first complete month to the one whose M+2 ended by the window's end.
    let first = month(&window.start.to_string()) + 1;
    let (_, last_complete) = window.last_complete_month();
    let last = month(&last_complete.to_string()) - 2;
    let (mut cohort, mut retained) = (0, 0);
    for customer_months in months.values() {
        let Some(&m) = customer_months.first() else {
            continue;
        };
        if (first..=last).contains(&m) {
            cohort += 1;
            retained += usize::from(customer_months.contains(&(m + 2)));
        }
    }
    assert!(cohort > 500, "cohorts too small: {cohort}");
    retained as f64 / cohort as f64
}
