//! The places where a KPI engine goes subtly wrong, one test each, on tiny fixtures with the
//! expected values worked out by hand: ratio of sums, empty denominators, one-sided cross-fact
//! groups, time zones, ISO weeks, clipped periods, leap days, month ends, the LTV horizon,
//! comparisons, gap filling, totals, filters, bad input, size limits and row order.

use chrono::{Days, NaiveDate};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::both_backends;
use crate::kpi_support::{
    NO_DATA, OK, Report, WARNING, amount, check, check_comparison, derived, ingest, ratio, report,
    report_error, with,
};

fn input(kpis: &[&str], from: &str, to: &str, granularity: &str) -> Value {
    json!({ "kpis": kpis, "range": { "from": from, "to": to }, "granularity": granularity })
}

/// One account `oa` with articles `a1`, `a2` (and `a3`, which never has data).
async fn content_workspace(app: &crate::TestApp) -> String {
    let key = app.workspace("acme").await;
    ingest(
        app,
        &key,
        "upsertAccounts",
        json!([{ "key": "oa", "kind": "SERVICE_ACCOUNT", "name": "OA" }]),
    )
    .await;
    ingest(app, &key, "upsertContents", json!([
        { "key": "a1", "account": "oa", "kind": "ARTICLE", "title": "A1", "publishedAt": "2015-01-01T00:00:00Z" },
        { "key": "a2", "account": "oa", "kind": "ARTICLE", "title": "A2", "publishedAt": "2015-01-01T00:00:00Z" },
        { "key": "a3", "account": "oa", "kind": "ARTICLE", "title": "A3", "publishedAt": "2015-01-01T00:00:00Z" },
    ])).await;
    key
}

/// New followers of account `oa` on each `(date, count)`; the counts are powers of two so that
/// every sum tells which days it took.
async fn followers(app: &crate::TestApp, key: &str, days: &[(&str, u32)]) {
    ingest(
        app,
        key,
        "upsertAccounts",
        json!([{ "key": "oa", "kind": "SERVICE_ACCOUNT", "name": "OA" }]),
    )
    .await;
    let rows: Vec<Value> = days
        .iter()
        .map(|(date, count)| json!({ "account": "oa", "date": date, "newFollowers": count, "totalFollowers": 10_000 }))
        .collect();
    ingest(app, key, "recordAccountDaily", Value::Array(rows)).await;
}

/// One order per `(key, customer, paidAt, amount)`, without attribution.
async fn orders(app: &crate::TestApp, key: &str, rows: &[(&str, &str, &str, &str)]) {
    let rows: Vec<Value> = rows
        .iter()
        .map(|(k, customer, paid_at, amount)| json!({ "key": k, "customer": customer, "paidAt": paid_at, "amount": amount }))
        .collect();
    ingest(app, key, "recordOrders", Value::Array(rows)).await;
}

fn labels(data: &Report) -> Vec<String> {
    data.layout().into_iter().map(|(label, _)| label).collect()
}

fn periods(data: &Report) -> Vec<(String, String, String)> {
    data.rows()
        .iter()
        .map(|row| {
            let p = &row["period"];
            let s = |f: &str| p[f].as_str().unwrap().to_string();
            (s("start"), s("end"), s("label"))
        })
        .collect()
}

fn period(start: &str, end: &str, label: &str) -> (String, String, String) {
    (start.to_string(), end.to_string(), label.to_string())
}

both_backends! {
    async fn ratio_is_the_ratio_of_sums_not_the_mean_of_daily_ratios(app: TestApp) {
        let key = content_workspace(&app).await;
        ingest(&app, &key, "recordContentDaily", json!([
            { "content": "a1", "date": "2026-03-02", "deliveries": 100, "opens": 50 },
            { "content": "a2", "date": "2026-03-02", "deliveries": 10, "opens": 10 },
            { "content": "a1", "date": "2026-03-03", "deliveries": 900, "opens": 90 },
        ])).await;
        ingest(&app, &key, "upsertAccounts", json!([{ "key": "wc", "kind": "WECOM", "name": "WeCom" }])).await;
        ingest(&app, &key, "recordStaffDaily", json!([
            { "account": "wc", "staff": "zhang", "date": "2026-03-02", "chats": 1, "repliedChats": 1, "replyMinutesTotal": 100 },
            { "account": "wc", "staff": "zhang", "date": "2026-03-03", "chats": 99, "repliedChats": 99, "replyMinutesTotal": 99 },
        ])).await;
        orders(&app, &key, &[
            ("o1", "alice", "2026-03-02T12:00:00+08:00", "1000.00"),
            ("o2", "bob", "2026-03-03T12:00:00+08:00", "10.00"),
            ("o3", "bob", "2026-03-03T13:00:00+08:00", "10.00"),
            ("o4", "bob", "2026-03-03T14:00:00+08:00", "10.00"),
        ]).await;
        let kpis = ["OPEN_RATE", "AVG_REPLY_MINUTES", "AOV"];
        let days = report(&app, &key, input(&kpis, "2026-03-02", "2026-03-03", "DAY")).await;
        // Day 1: opens (50 + 10) / deliveries (100 + 10), not the mean of 0.5 and 1.0 per
        // content; day 2: 90 / 900 = 0.1.
        check(days.value("2026-03-02", &[], "OPEN_RATE"), ratio(60.0, 110.0, OK), "day 1");
        check(days.value("2026-03-03", &[], "OPEN_RATE"), ratio(90.0, 900.0, OK), "day 2");
        // Over both days 150 / 1010 = 0.1485, where the mean of the daily ratios would be
        // (0.545 + 0.1) / 2 = 0.32.
        for granularity in ["WEEK", "MONTH", "TOTAL"] {
            let whole = report(&app, &key, input(&kpis, "2026-03-02", "2026-03-03", granularity)).await;
            let label = &whole.layout()[0].0;
            let open = whole.value(label, &[], "OPEN_RATE");
            check(open, ratio(150.0, 1010.0, OK), granularity);
            assert!((open["value"].as_f64().unwrap() - (60.0 / 110.0 + 0.1) / 2.0).abs() > 0.1);
            // Reply minutes (100 + 99) / replied chats (1 + 99) = 1.99, not (100 + 1) / 2.
            check(whole.value(label, &[], "AVG_REPLY_MINUTES"), ratio(199.0, 100.0, OK), granularity);
            // AOV (1000 + 3 × 10) / 4 orders = 257.5, not (1000 + 10) / 2.
            check(whole.value(label, &[], "AOV"), derived(Some(1030.0), Some(4.0), OK), granularity);
            check(whole.total("OPEN_RATE"), ratio(150.0, 1010.0, OK), granularity);
        }
    }

    async fn zero_denominator_gives_no_value_and_no_data(app: TestApp) {
        let key = content_workspace(&app).await;
        // Likes without reads or deliveries.
        ingest(&app, &key, "recordContentDaily", json!([
            { "content": "a1", "date": "2026-03-02", "likes": 5 },
        ])).await;
        ingest(&app, &key, "recordAccountDaily", json!([
            { "account": "oa", "date": "2026-03-02", "newFollowers": 7, "totalFollowers": 7 },
        ])).await;
        let kpis = ["OPEN_RATE", "INTERACTION_RATE", "READ_THROUGH_RATE", "REPLY_RATE", "NEW_FOLLOWERS", "GMV"];
        let data = report(&app, &key, input(&kpis, "2026-03-02", "2026-03-03", "DAY")).await;
        assert_eq!(labels(&data), ["2026-03-02", "2026-03-03"]);
        // 0 / 0 and 5 / 0: null, NO_DATA, with the sums beside; READ_THROUGH_RATE has a default
        // warning threshold, which a missing value does not breach.
        check(data.value("2026-03-02", &[], "OPEN_RATE"), ratio(0.0, 0.0, NO_DATA), "open");
        check(data.value("2026-03-02", &[], "INTERACTION_RATE"), ratio(5.0, 0.0, NO_DATA), "interaction");
        check(data.value("2026-03-02", &[], "READ_THROUGH_RATE"), ratio(0.0, 0.0, NO_DATA), "read-through");
        // No staff facts at all.
        check(data.value("2026-03-02", &[], "REPLY_RATE"), ratio(0.0, 0.0, NO_DATA), "reply");
        check(data.value("2026-03-02", &[], "NEW_FOLLOWERS"), amount(7.0, OK), "followers");
        // The empty day: ratios have no value, counts and amounts are 0.
        check(data.value("2026-03-03", &[], "OPEN_RATE"), ratio(0.0, 0.0, NO_DATA), "empty open");
        check(data.value("2026-03-03", &[], "NEW_FOLLOWERS"), amount(0.0, OK), "empty followers");
        check(data.value("2026-03-03", &[], "GMV"), amount(0.0, OK), "empty gmv");
        check(data.total("INTERACTION_RATE"), ratio(5.0, 0.0, NO_DATA), "total");
    }

    async fn cross_fact_groups_present_on_one_side_only_still_appear(app: TestApp) {
        let key = app.workspace("acme").await;
        ingest(&app, &key, "upsertChannels", json!([
            { "key": "qr", "name": "QR" }, { "key": "search", "name": "Search" }, { "key": "ref", "name": "Referral" },
        ])).await;
        // search: spend, nobody acquired. ref: erin acquired, no spend. qr: both.
        ingest(&app, &key, "recordSpend", json!([
            { "date": "2026-03-02", "amount": "100.00", "channel": "qr" },
            { "date": "2026-03-03", "amount": "50.00", "channel": "search" },
        ])).await;
        ingest(&app, &key, "recordOrders", json!([
            { "key": "o1", "customer": "alice", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "400.00", "channel": "qr" },
            { "key": "o2", "customer": "erin", "paidAt": "2026-03-04T12:00:00+08:00", "amount": "120.00", "channel": "ref" },
        ])).await;
        let kpis = ["SPEND", "NEW_CUSTOMERS", "CAC", "ROI", "LTV_CAC_RATIO"];
        for fill_gaps in [true, false] {
            let data = report(&app, &key, with(input(&kpis, "2026-03-01", "2026-03-31", "TOTAL"), json!({ "groupBy": ["CHANNEL"], "fillGaps": fill_gaps }))).await;
            let label = "2026-03-01..2026-03-31";
            let keys: Vec<_> = data.layout().into_iter().map(|(_, keys)| keys.join(",")).collect();
            assert_eq!(keys, ["qr", "ref", "search"], "fillGaps {fill_gaps}");
            // qr: CAC 100 / 1 = 100; ROI 400 / 100 = 4 (< 5: WARNING); LTV 400 / CAC 100 = 4.
            check(data.value(label, &["qr"], "CAC"), derived(Some(100.0), Some(1.0), OK), "qr cac");
            check(data.value(label, &["qr"], "ROI"), derived(Some(400.0), Some(100.0), WARNING), "qr roi");
            check(data.value(label, &["qr"], "LTV_CAC_RATIO"), derived(Some(400.0), Some(100.0), OK), "qr ltv/cac");
            // ref (customer side only): spend 0 over 1 new customer is a CAC of 0; ROI 120 / 0
            // and LTV 120 / CAC 0 have no value.
            check(data.value(label, &["ref"], "SPEND"), amount(0.0, OK), "ref spend");
            check(data.value(label, &["ref"], "NEW_CUSTOMERS"), amount(1.0, OK), "ref new");
            check(data.value(label, &["ref"], "CAC"), derived(Some(0.0), Some(1.0), OK), "ref cac");
            check(data.value(label, &["ref"], "ROI"), derived(Some(120.0), Some(0.0), NO_DATA), "ref roi");
            check(data.value(label, &["ref"], "LTV_CAC_RATIO"), derived(Some(120.0), Some(0.0), NO_DATA), "ref ltv/cac");
            // search (spend side only): CAC 50 / 0 has no value; ROI 0 / 50 = 0 (WARNING); LTV
            // 0/0 and CAC have no value, so neither has their ratio.
            check(data.value(label, &["search"], "SPEND"), amount(50.0, OK), "search spend");
            check(data.value(label, &["search"], "NEW_CUSTOMERS"), amount(0.0, OK), "search new");
            check(data.value(label, &["search"], "CAC"), derived(Some(50.0), Some(0.0), NO_DATA), "search cac");
            check(data.value(label, &["search"], "ROI"), derived(Some(0.0), Some(50.0), WARNING), "search roi");
            check(data.value(label, &["search"], "LTV_CAC_RATIO"), derived(None, None, NO_DATA), "search ltv/cac");
            // Totals: spend 150 over alice and erin = 75; revenue 520 / 150.
            check(data.total("CAC"), derived(Some(150.0), Some(2.0), OK), "total cac");
            check(data.total("ROI"), derived(Some(520.0), Some(150.0), WARNING), "total roi");
        }
    }

    async fn the_first_order_is_the_earliest_paid_then_the_first_stored(app: TestApp) {
        let key = app.workspace("acme").await;
        ingest(&app, &key, "upsertChannels", json!([
            { "key": "qr", "name": "QR" }, { "key": "search", "name": "Search" },
        ])).await;
        ingest(&app, &key, "recordOrders", json!([
            // gus: two orders paid at the same instant; the one stored first (qr) is his first.
            { "key": "g1", "customer": "gus", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "10.00", "channel": "qr" },
            { "key": "g2", "customer": "gus", "paidAt": "2026-03-02T04:00:00Z", "amount": "20.00", "channel": "search" },
            // hal: stored later but paid half a second earlier (search) is his first.
            { "key": "h1", "customer": "hal", "paidAt": "2026-03-05T12:00:00.5+08:00", "amount": "30.00", "channel": "qr" },
            { "key": "h2", "customer": "hal", "paidAt": "2026-03-05T12:00:00+08:00", "amount": "40.00", "channel": "search" },
            // ida: stored later but paid on the previous day (qr) is her first.
            { "key": "i1", "customer": "ida", "paidAt": "2026-03-09T09:00:00+08:00", "amount": "50.00", "channel": "search" },
            { "key": "i2", "customer": "ida", "paidAt": "2026-03-08T23:00:00+08:00", "amount": "60.00", "channel": "qr" },
        ])).await;
        let kpis = ["NEW_CUSTOMERS", "LTV"];
        let data = report(&app, &key, with(input(&kpis, "2026-03-01", "2026-03-31", "TOTAL"), json!({ "groupBy": ["CHANNEL"] }))).await;
        let label = "2026-03-01..2026-03-31";
        // qr acquired gus and ida, search acquired hal.
        check(data.value(label, &["qr"], "NEW_CUSTOMERS"), amount(2.0, OK), "qr new");
        check(data.value(label, &["search"], "NEW_CUSTOMERS"), amount(1.0, OK), "search new");
        // LTV follows the customer, not the order's channel: qr (gus 10 + 20, ida 50 + 60) / 2
        // = 70; search (hal 30 + 40) / 1 = 70.
        check(data.value(label, &["qr"], "LTV"), ratio(140.0, 2.0, OK), "qr ltv");
        check(data.value(label, &["search"], "LTV"), ratio(70.0, 1.0, OK), "search ltv");
        // The cohorts matrix picks the same first orders: three customers in March.
        let cohorts = app
            .gql(Some(&key), "query { cohorts(input: { range: { from: \"2026-03-01\", to: \"2026-03-31\" }, months: 0 }) { cohorts { month size } } }", json!({}))
            .await;
        assert_eq!(cohorts["data"]["cohorts"]["cohorts"], json!([{ "month": "2026-03", "size": 3 }]), "{cohorts}");
    }

    async fn an_order_is_dated_in_the_workspace_time_zone(app: TestApp) {
        let shanghai = app.workspace("shanghai").await;
        let utc = app.workspace("london").await;
        // Set before ingestion, which dates orders; there is no API for settings yet.
        app.db.execute_unprepared("UPDATE workspace SET timezone = 'UTC' WHERE name = 'london'").await.unwrap();
        let paid = [
            // 23:59:59 on 31 March in Shanghai (UTC+8).
            ("o1", "alice", "2026-03-31T15:59:59Z", "10.00"),
            // 01:00 on 1 April in Shanghai, still 31 March in UTC.
            ("o2", "bob", "2026-03-31T17:00:00Z", "20.00"),
        ];
        for key in [&shanghai, &utc] {
            orders(&app, key, &paid).await;
        }
        let kpis = ["GMV", "ORDERS", "NEW_CUSTOMERS"];
        let months = input(&kpis, "2026-03-01", "2026-04-30", "MONTH");
        let data = report(&app, &shanghai, months.clone()).await;
        assert_eq!(data.0["meta"]["timezone"], "Asia/Shanghai");
        check(data.value("2026-03", &[], "GMV"), amount(10.0, OK), "march");
        check(data.value("2026-04", &[], "GMV"), amount(20.0, OK), "april");
        check(data.value("2026-04", &[], "NEW_CUSTOMERS"), amount(1.0, OK), "bob is an April customer");
        let days = report(&app, &shanghai, input(&kpis, "2026-03-31", "2026-04-01", "DAY")).await;
        check(days.value("2026-03-31", &[], "ORDERS"), amount(1.0, OK), "31 March");
        check(days.value("2026-04-01", &[], "ORDERS"), amount(1.0, OK), "1 April");

        let data = report(&app, &utc, months).await;
        assert_eq!(data.0["meta"]["timezone"], "UTC");
        check(data.value("2026-03", &[], "GMV"), amount(30.0, OK), "UTC march");
        check(data.value("2026-04", &[], "GMV"), amount(0.0, OK), "UTC april");
    }

    async fn iso_weeks_across_year_boundaries(app: TestApp) {
        let key = app.workspace("acme").await;
        // 2020 began on a Wednesday of a leap year, so it has 53 ISO weeks: W53 is Monday
        // 2020-12-28 to Sunday 2021-01-03, and 2021-W01 starts on Monday 2021-01-04.
        followers(&app, &key, &[
            ("2020-12-27", 1), ("2020-12-28", 2), ("2021-01-03", 4), ("2021-01-04", 8),
            // 2025-W01 starts on Monday 2024-12-30.
            ("2024-12-29", 16), ("2024-12-31", 32),
        ]).await;
        orders(&app, &key, &[
            ("o1", "alice", "2020-12-27T23:30:00+08:00", "1.00"),
            ("o2", "alice", "2020-12-28T00:30:00+08:00", "2.00"),
        ]).await;
        let data = report(&app, &key, input(&["NEW_FOLLOWERS", "GMV"], "2020-12-21", "2021-01-10", "WEEK")).await;
        assert_eq!(periods(&data), [
            period("2020-12-21", "2020-12-27", "2020-W52"),
            period("2020-12-28", "2021-01-03", "2020-W53"),
            period("2021-01-04", "2021-01-10", "2021-W01"),
        ]);
        check(data.value("2020-W52", &[], "NEW_FOLLOWERS"), amount(1.0, OK), "W52");
        check(data.value("2020-W53", &[], "NEW_FOLLOWERS"), amount(2.0 + 4.0, OK), "W53");
        check(data.value("2021-W01", &[], "NEW_FOLLOWERS"), amount(8.0, OK), "W01");
        // Half an hour either side of the Sunday-to-Monday midnight in Shanghai.
        check(data.value("2020-W52", &[], "GMV"), amount(1.0, OK), "W52 orders");
        check(data.value("2020-W53", &[], "GMV"), amount(2.0, OK), "W53 orders");

        // 2024-12-31 belongs to 2025-W01; the first period is clipped to the range.
        let data = report(&app, &key, input(&["NEW_FOLLOWERS"], "2024-12-25", "2025-01-05", "WEEK")).await;
        assert_eq!(periods(&data), [
            period("2024-12-25", "2024-12-29", "2024-W52"),
            period("2024-12-30", "2025-01-05", "2025-W01"),
        ]);
        check(data.value("2024-W52", &[], "NEW_FOLLOWERS"), amount(16.0, OK), "2024-W52");
        check(data.value("2025-W01", &[], "NEW_FOLLOWERS"), amount(32.0, OK), "2025-W01");

        // 2026 begins on a Thursday: 53 weeks, 2026-W53 running into 2027 (no data yet).
        let data = report(&app, &key, input(&["NEW_FOLLOWERS"], "2026-12-28", "2027-01-10", "WEEK")).await;
        assert_eq!(periods(&data), [
            period("2026-12-28", "2027-01-03", "2026-W53"),
            period("2027-01-04", "2027-01-10", "2027-W01"),
        ]);
        check(data.value("2027-W01", &[], "NEW_FOLLOWERS"), amount(0.0, OK), "future week");
    }

    async fn a_month_report_starting_mid_month_clips_its_periods(app: TestApp) {
        let key = app.workspace("acme").await;
        followers(&app, &key, &[
            ("2026-03-05", 1), ("2026-03-10", 2), ("2026-03-31", 4),
            ("2026-04-01", 8), ("2026-04-30", 16), ("2026-05-01", 32),
        ]).await;
        orders(&app, &key, &[
            ("o1", "alice", "2026-03-09T12:00:00+08:00", "1.00"),
            ("o2", "alice", "2026-03-10T00:10:00+08:00", "2.00"),
        ]).await;
        let data = report(&app, &key, input(&["NEW_FOLLOWERS", "GMV"], "2026-03-10", "2026-04-30", "MONTH")).await;
        assert_eq!(periods(&data), [
            period("2026-03-10", "2026-03-31", "2026-03"),
            period("2026-04-01", "2026-04-30", "2026-04"),
        ]);
        // March from the 10th: 2 + 4 (the 5th is before the range); April: 8 + 16.
        check(data.value("2026-03", &[], "NEW_FOLLOWERS"), amount(6.0, OK), "march");
        check(data.value("2026-04", &[], "NEW_FOLLOWERS"), amount(24.0, OK), "april");
        check(data.total("NEW_FOLLOWERS"), amount(30.0, OK), "total");
        check(data.value("2026-03", &[], "GMV"), amount(2.0, OK), "march orders");

        let quarters = report(&app, &key, input(&["NEW_FOLLOWERS"], "2026-03-10", "2026-04-30", "QUARTER")).await;
        assert_eq!(periods(&quarters), [
            period("2026-03-10", "2026-03-31", "2026-Q1"),
            period("2026-04-01", "2026-04-30", "2026-Q2"),
        ]);
        check(quarters.value("2026-Q1", &[], "NEW_FOLLOWERS"), amount(6.0, OK), "Q1");
        let year = report(&app, &key, input(&["NEW_FOLLOWERS"], "2026-03-10", "2026-04-30", "YEAR")).await;
        assert_eq!(periods(&year), [period("2026-03-10", "2026-04-30", "2026")]);
        check(year.value("2026", &[], "NEW_FOLLOWERS"), amount(30.0, OK), "year");
    }

    async fn previous_year_maps_29_february_to_28_february(app: TestApp) {
        let key = app.workspace("acme").await;
        followers(&app, &key, &[
            ("2023-02-27", 1), ("2023-02-28", 2), ("2023-03-01", 4),
            ("2024-02-28", 8), ("2024-02-29", 16), ("2024-03-01", 32),
        ]).await;
        let days = report(&app, &key, with(input(&["NEW_FOLLOWERS"], "2024-02-28", "2024-03-01", "DAY"), json!({ "compareTo": "PREVIOUS_YEAR" }))).await;
        assert_eq!(labels(&days), ["2024-02-28", "2024-02-29", "2024-03-01"]);
        let v = |label| days.value(label, &[], "NEW_FOLLOWERS");
        // 28 Feb vs 2023-02-28: 8 vs 2 → +6, ×3 (ratio 6/2).
        check_comparison(v("2024-02-28"), Some(2.0), Some(6.0), Some(3.0), "28 Feb");
        // 29 Feb vs 2023-02-28 too: 16 vs 2 → +14, 14/2 = 7.
        check_comparison(v("2024-02-29"), Some(2.0), Some(14.0), Some(7.0), "29 Feb");
        check_comparison(v("2024-03-01"), Some(4.0), Some(28.0), Some(7.0), "1 Mar");
        // The whole range vs 2023-02-28..2023-03-01: 8+16+32 = 56 vs 2+4 = 6 (28 Feb once).
        check_comparison(days.total("NEW_FOLLOWERS"), Some(6.0), Some(50.0), Some(50.0 / 6.0), "total");

        // February 2024 (29 days) vs February 2023 (28 days): 8+16 = 24 vs 1+2 = 3.
        let month = report(&app, &key, with(input(&["NEW_FOLLOWERS"], "2024-02-01", "2024-02-29", "MONTH"), json!({ "compareTo": "PREVIOUS_YEAR" }))).await;
        check_comparison(month.value("2024-02", &[], "NEW_FOLLOWERS"), Some(3.0), Some(21.0), Some(7.0), "february");
        let leap_day = report(&app, &key, with(input(&["NEW_FOLLOWERS"], "2024-02-29", "2024-02-29", "TOTAL"), json!({ "compareTo": "PREVIOUS_YEAR" }))).await;
        check_comparison(leap_day.total("NEW_FOLLOWERS"), Some(2.0), Some(14.0), Some(7.0), "leap day total");
    }

    async fn previous_year_of_weeks_counts_28_february_for_both_weeks_it_maps_to(app: TestApp) {
        let key = app.workspace("acme").await;
        // 29 February 2016 was a Monday: 2016-W08 is 02-22..02-28 and 2016-W09 starts on the
        // leap day. One year earlier, W08 is 2015-02-22..2015-02-28 and W09 is
        // 2015-02-28..2015-03-06 (29 February becomes 28 February): both contain 2015-02-28.
        followers(&app, &key, &[
            ("2015-02-27", 1), ("2015-02-28", 2), ("2015-03-01", 4),
            ("2016-02-28", 8), ("2016-02-29", 16),
        ]).await;
        let data = report(&app, &key, with(input(&["NEW_FOLLOWERS"], "2016-02-22", "2016-03-06", "WEEK"), json!({ "compareTo": "PREVIOUS_YEAR" }))).await;
        assert_eq!(labels(&data), ["2016-W08", "2016-W09"]);
        // W08: 8 vs 1 + 2 = 3. W09: 16 vs 2 + 4 = 6.
        check_comparison(data.value("2016-W08", &[], "NEW_FOLLOWERS"), Some(3.0), Some(5.0), Some(5.0 / 3.0), "W08");
        check_comparison(data.value("2016-W09", &[], "NEW_FOLLOWERS"), Some(6.0), Some(10.0), Some(10.0 / 6.0), "W09");
    }

    async fn previous_year_of_weeks_compares_cohort_kpis_too(app: TestApp) {
        let key = app.workspace("acme").await;
        // A year before 2026-W10 (Monday 03-02 to Sunday 03-08) is 2025-03-02..2025-03-08,
        // Sunday to Saturday: not an ISO week, so the comparison uses explicit date ranges.
        orders(&app, &key, &[
            ("a1", "alice", "2025-03-03T12:00:00+08:00", "100.00"),
            ("b1", "bob", "2025-03-05T12:00:00+08:00", "50.00"),
            // Saturday 2025-03-01 is outside the compared range.
            ("d1", "dan", "2025-03-01T12:00:00+08:00", "1000.00"),
            ("c1", "carol", "2026-03-04T12:00:00+08:00", "30.00"),
        ]).await;
        let data = report(&app, &key, with(input(&["GMV", "NEW_CUSTOMERS", "LTV"], "2026-03-02", "2026-03-08", "WEEK"), json!({ "compareTo": "PREVIOUS_YEAR" }))).await;
        let v = |kpi| data.value("2026-W10", &[], kpi);
        // Orders: 30 vs 100 + 50 = 150 → −120, −0.8.
        check_comparison(v("GMV"), Some(150.0), Some(-120.0), Some(-0.8), "GMV");
        // New customers: carol vs alice and bob → −1, −0.5.
        check_comparison(v("NEW_CUSTOMERS"), Some(2.0), Some(-1.0), Some(-0.5), "NEW_CUSTOMERS");
        // LTV: 30 vs (100 + 50) / 2 = 75 → −45, −0.6.
        check_comparison(v("LTV"), Some(75.0), Some(-45.0), Some(-0.6), "LTV");
    }

    async fn repurchase_counts_calendar_month_m_plus_2_from_month_ends(app: TestApp) {
        let key = app.workspace("acme").await;
        orders(&app, &key, &[
            // Cohort December 2025 (M+2 = February 2026).
            ("d1", "dora", "2025-12-31T20:00:00+08:00", "100.00"),
            ("d2", "dora", "2026-02-28T12:00:00+08:00", "10.00"),
            ("e1", "ed", "2025-12-01T12:00:00+08:00", "100.00"),
            ("e2", "ed", "2026-03-01T12:00:00+08:00", "10.00"),
            // Cohort January 2026 (M+2 = March): first orders on the 31st and the 15th.
            ("a1", "ann", "2026-01-31T20:00:00+08:00", "100.00"),
            ("a2", "ann", "2026-03-01T12:00:00+08:00", "10.00"),
            ("b1", "ben", "2026-01-31T12:00:00+08:00", "100.00"),
            ("b2", "ben", "2026-02-28T12:00:00+08:00", "10.00"),
            ("b3", "ben", "2026-04-01T12:00:00+08:00", "10.00"),
            ("c1", "cal", "2026-01-15T12:00:00+08:00", "100.00"),
            ("c2", "cal", "2026-03-31T12:00:00+08:00", "10.00"),
            // 31 January 17:00 UTC is 1 February in Shanghai: cohort February, M+2 = April,
            // and 31 March 17:00 UTC is 1 April there.
            ("f1", "fay", "2026-01-31T17:00:00Z", "100.00"),
            ("f2", "fay", "2026-03-31T17:00:00Z", "10.00"),
        ]).await;
        let kpi = ["REPURCHASE_RATE_3M"];
        let months = report(&app, &key, input(&kpi, "2025-12-01", "2026-02-28", "MONTH")).await;
        // December: dora buys in February (M+2), ed only in March (M+3) → 1/2.
        check(months.value("2025-12", &[], kpi[0]), ratio(1.0, 2.0, OK), "december");
        // January: ann (1 March) and cal (31 March) buy in March; ben buys in February and
        // April only → 2/3.
        check(months.value("2026-01", &[], kpi[0]), ratio(2.0, 3.0, OK), "january");
        // February: fay, retained by her April (local) order → 1/1.
        check(months.value("2026-02", &[], kpi[0]), ratio(1.0, 1.0, OK), "february");
        // Coarser buckets pool their cohorts: Σ retained / Σ cohort sizes.
        check(months.total(kpi[0]), ratio(1.0 + 2.0 + 1.0, 2.0 + 3.0 + 1.0, OK), "total");
        let quarters = report(&app, &key, input(&kpi, "2025-12-01", "2026-02-28", "QUARTER")).await;
        check(quarters.value("2025-Q4", &[], kpi[0]), ratio(1.0, 2.0, OK), "Q4");
        check(quarters.value("2026-Q1", &[], kpi[0]), ratio(2.0 + 1.0, 3.0 + 1.0, OK), "Q1");
        // The three cohorts (2 + 3 + 1 customers) pooled: ed and ben missing → 4 of 6.
        let total = report(&app, &key, input(&kpi, "2025-12-01", "2026-02-28", "TOTAL")).await;
        check(total.total(kpi[0]), ratio(4.0, 6.0, OK), "pooled");
    }

    async fn ltv_horizon_excludes_the_order_on_first_date_plus_horizon(app: TestApp) {
        let key = app.workspace("acme").await;
        orders(&app, &key, &[
            // First order on a leap day: 2024-02-29 + 12 months is 2025-02-28 (no 29th).
            ("p1", "pat", "2024-02-29T12:00:00+08:00", "100.00"),
            ("p2", "pat", "2025-02-27T23:30:00+08:00", "10.00"),
            // 2025-02-27 16:30 UTC, but 28 February in Shanghai: excluded.
            ("p3", "pat", "2025-02-28T00:30:00+08:00", "1000.00"),
            ("q1", "quin", "2025-03-15T12:00:00+08:00", "100.00"),
            ("q2", "quin", "2026-03-14T12:00:00+08:00", "20.00"),
            ("q3", "quin", "2026-03-15T12:00:00+08:00", "2000.00"),
        ]).await;
        // Default horizon 12 months, gross margin 1.0.
        let pat = report(&app, &key, input(&["LTV"], "2024-02-01", "2024-02-29", "TOTAL")).await;
        // pat: 100 + 10 (the 1000 is on the cut-off day).
        check(pat.total("LTV"), ratio(110.0, 1.0, OK), "pat");
        let quin = report(&app, &key, input(&["LTV"], "2025-03-01", "2025-03-31", "TOTAL")).await;
        // quin: 100 + 20 on 2026-03-14, not the 2000 on 2026-03-15 = 2025-03-15 + 12 months.
        check(quin.total("LTV"), ratio(120.0, 1.0, OK), "quin");
    }

    async fn ltv_horizon_from_a_month_end_into_a_shorter_month(app: TestApp) {
        let key = app.workspace("acme").await;
        // There is no API for workspace settings yet: set a one-month horizon in the database.
        app.db.execute_unprepared("UPDATE workspace SET ltv_horizon_months = 1").await.unwrap();
        orders(&app, &key, &[
            // 2026-01-31 + 1 month = 2026-02-28 (February has no 31st).
            ("r1", "rae", "2026-01-31T12:00:00+08:00", "100.00"),
            ("r2", "rae", "2026-02-27T12:00:00+08:00", "10.00"),
            ("r3", "rae", "2026-02-28T12:00:00+08:00", "1000.00"),
            // 2026-01-30 + 1 month = 2026-02-28 too.
            ("t1", "tom", "2026-01-30T12:00:00+08:00", "100.00"),
            ("t2", "tom", "2026-02-27T12:00:00+08:00", "30.00"),
            ("t3", "tom", "2026-02-28T12:00:00+08:00", "3000.00"),
            // 2026-03-31 + 1 month = 2026-04-30 (April has 30 days).
            ("s1", "sam", "2026-03-31T12:00:00+08:00", "100.00"),
            ("s2", "sam", "2026-04-29T12:00:00+08:00", "20.00"),
            ("s3", "sam", "2026-04-30T12:00:00+08:00", "2000.00"),
        ]).await;
        let data = report(&app, &key, input(&["LTV", "NEW_CUSTOMERS"], "2026-01-01", "2026-03-31", "MONTH")).await;
        // January cohort rae and tom: (100 + 10 + 100 + 30) / 2 = 120.
        check(data.value("2026-01", &[], "LTV"), ratio(240.0, 2.0, OK), "january");
        // February: nobody new.
        check(data.value("2026-02", &[], "LTV"), ratio(0.0, 0.0, NO_DATA), "february");
        // March cohort sam: 100 + 20 (April orders count, the range only picks the cohort).
        check(data.value("2026-03", &[], "LTV"), ratio(120.0, 1.0, OK), "march");
        check(data.total("LTV"), ratio(360.0, 3.0, OK), "total");
    }

    async fn previous_period_of_day_week_month_and_total(app: TestApp) {
        let key = app.workspace("acme").await;
        // One order a day, a power of two each, so that every sum names its days.
        let days = [
            ("2026-02-09", 1), ("2026-02-10", 2), ("2026-02-25", 4), ("2026-02-28", 8),
            ("2026-03-01", 16), ("2026-03-02", 32), ("2026-03-03", 64), ("2026-03-08", 128),
            ("2026-03-09", 256), ("2026-03-10", 512), ("2026-03-15", 1024), ("2026-03-16", 2048),
            ("2026-03-31", 4096), ("2026-04-01", 8192), ("2026-04-15", 16384), ("2026-04-16", 32768),
        ];
        let rows: Vec<(String, String, String, String)> = days.iter()
            .map(|(day, amount)| (format!("o{day}"), "alice".to_string(), format!("{day}T12:00:00+08:00"), format!("{amount}.00")))
            .collect();
        let rows: Vec<(&str, &str, &str, &str)> = rows.iter().map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str())).collect();
        orders(&app, &key, &rows).await;
        let compare = |base: Value| with(base, json!({ "compareTo": "PREVIOUS_PERIOD" }));

        let day = report(&app, &key, compare(input(&["GMV", "AOV"], "2026-03-08", "2026-03-09", "DAY"))).await;
        // 8 March: 128 vs 7 March, which has no order: previous 0, change 128, no ratio; its
        // AOV (0/0) has no value, so neither change.
        check_comparison(day.value("2026-03-08", &[], "GMV"), Some(0.0), Some(128.0), None, "8 Mar");
        check_comparison(day.value("2026-03-08", &[], "AOV"), None, None, None, "8 Mar AOV");
        // 9 March: 256 vs 128 → +128, ratio 1.
        check_comparison(day.value("2026-03-09", &[], "GMV"), Some(128.0), Some(128.0), Some(1.0), "9 Mar");
        check_comparison(day.value("2026-03-09", &[], "AOV"), Some(128.0), Some(128.0), Some(1.0), "9 Mar AOV");

        // Weeks from Wednesday 4 March: W10 clipped to 03-04..03-08 compares with 02-25..03-01;
        // W11 (03-09..03-15) with W10 (03-02..03-08).
        let week = report(&app, &key, compare(input(&["GMV"], "2026-03-04", "2026-03-15", "WEEK"))).await;
        assert_eq!(labels(&week), ["2026-W10", "2026-W11"]);
        // W10: 128 vs 4 + 8 + 16 = 28.
        check_comparison(week.value("2026-W10", &[], "GMV"), Some(28.0), Some(100.0), Some(100.0 / 28.0), "W10");
        // W11: 256 + 512 + 1024 = 1792 vs 32 + 64 + 128 = 224 → +1568, ratio 7.
        check_comparison(week.value("2026-W11", &[], "GMV"), Some(224.0), Some(1568.0), Some(7.0), "W11");

        // Months from 10 March to 15 April: 03-10..03-31 vs 02-10..02-28; 04-01..04-15 vs
        // 03-01..03-15.
        let month = report(&app, &key, compare(input(&["GMV"], "2026-03-10", "2026-04-15", "MONTH"))).await;
        // March: 512 + 1024 + 2048 + 4096 = 7680 vs 2 + 4 + 8 = 14.
        check(month.value("2026-03", &[], "GMV"), amount(7680.0, OK), "march");
        check_comparison(month.value("2026-03", &[], "GMV"), Some(14.0), Some(7666.0), Some(7666.0 / 14.0), "march");
        // April: 8192 + 16384 = 24576 vs 16 + 32 + 64 + 128 + 256 + 512 + 1024 = 2032.
        check_comparison(month.value("2026-04", &[], "GMV"), Some(2032.0), Some(22544.0), Some(22544.0 / 2032.0), "april");
        // Totals: the 37 days 03-10..04-15 vs the 37 days before, 02-01..03-09:
        // 32256 vs 1 + 2 + 4 + 8 + 16 + 32 + 64 + 128 + 256 = 511.
        check(month.total("GMV"), amount(32256.0, OK), "total");
        check_comparison(month.total("GMV"), Some(511.0), Some(31745.0), Some(31745.0 / 511.0), "total");

        // TOTAL over the 10 days 03-10..03-19 vs 02-28..03-09: 512 + 1024 + 2048 = 3584 vs
        // 8 + 16 + 32 + 64 + 128 + 256 = 504.
        let total = report(&app, &key, compare(input(&["GMV"], "2026-03-10", "2026-03-19", "TOTAL"))).await;
        check_comparison(total.value("2026-03-10..2026-03-19", &[], "GMV"), Some(504.0), Some(3080.0), Some(3080.0 / 504.0), "TOTAL row");
        check_comparison(total.total("GMV"), Some(504.0), Some(3080.0), Some(3080.0 / 504.0), "TOTAL totals");
    }

    async fn fill_gaps_true_and_false_with_and_without_group_by(app: TestApp) {
        let key = content_workspace(&app).await;
        ingest(&app, &key, "recordContentDaily", json!([
            { "content": "a1", "date": "2026-03-02", "deliveries": 10, "opens": 5 },
            { "content": "a2", "date": "2026-03-04", "deliveries": 20, "opens": 4 },
        ])).await;
        let base = input(&["OPEN_RATE"], "2026-03-02", "2026-03-04", "DAY");
        let layout = |data: &Report| -> Vec<String> {
            data.layout().into_iter().map(|(label, keys)| format!("{label} {}", keys.join(","))).collect()
        };
        // Every group with data somewhere (a1, a2, never a3) in every period.
        let filled = report(&app, &key, with(base.clone(), json!({ "groupBy": ["CONTENT"] }))).await;
        assert_eq!(layout(&filled), [
            "2026-03-02 a1", "2026-03-02 a2", "2026-03-03 a1", "2026-03-03 a2", "2026-03-04 a1", "2026-03-04 a2",
        ]);
        check(filled.value("2026-03-02", &["a1"], "OPEN_RATE"), ratio(5.0, 10.0, OK), "a1");
        check(filled.value("2026-03-02", &["a2"], "OPEN_RATE"), ratio(0.0, 0.0, NO_DATA), "gap");
        check(filled.value("2026-03-03", &["a1"], "OPEN_RATE"), ratio(0.0, 0.0, NO_DATA), "gap");
        check(filled.value("2026-03-04", &["a2"], "OPEN_RATE"), ratio(4.0, 20.0, OK), "a2");
        let sparse = report(&app, &key, with(base.clone(), json!({ "groupBy": ["CONTENT"], "fillGaps": false }))).await;
        assert_eq!(layout(&sparse), ["2026-03-02 a1", "2026-03-04 a2"]);
        check(sparse.value("2026-03-04", &["a2"], "OPEN_RATE"), ratio(4.0, 20.0, OK), "a2");
        // Without groupBy.
        let filled = report(&app, &key, base.clone()).await;
        assert_eq!(layout(&filled), ["2026-03-02 ", "2026-03-03 ", "2026-03-04 "]);
        check(filled.value("2026-03-03", &[], "OPEN_RATE"), ratio(0.0, 0.0, NO_DATA), "gap");
        let sparse = report(&app, &key, with(base.clone(), json!({ "fillGaps": false }))).await;
        assert_eq!(layout(&sparse), ["2026-03-02 ", "2026-03-04 "]);
        // Totals do not depend on it: 9 / 30.
        for data in [&filled, &sparse] {
            check(data.total("OPEN_RATE"), ratio(9.0, 30.0, OK), "total");
        }
        // A range without any data: the periods alone, or nothing.
        let empty = input(&["OPEN_RATE"], "2026-05-01", "2026-05-02", "DAY");
        assert_eq!(layout(&report(&app, &key, empty.clone()).await), ["2026-05-01 ", "2026-05-02 "]);
        let grouped = report(&app, &key, with(empty.clone(), json!({ "groupBy": ["CONTENT"] }))).await;
        assert_eq!(layout(&grouped), Vec::<String>::new());
        check(grouped.total("OPEN_RATE"), ratio(0.0, 0.0, NO_DATA), "empty total");
        assert_eq!(layout(&report(&app, &key, with(empty, json!({ "fillGaps": false }))).await), Vec::<String>::new());
    }

    async fn totals_ignore_granularity_and_group_by(app: TestApp) {
        let key = app.workspace("acme").await;
        ingest(&app, &key, "upsertChannels", json!([{ "key": "qr", "name": "QR" }, { "key": "ads", "name": "Ads" }])).await;
        ingest(&app, &key, "recordOrders", json!([
            { "key": "o0", "customer": "alice", "paidAt": "2026-02-15T12:00:00+08:00", "amount": "10.00", "channel": "qr" },
            { "key": "o1", "customer": "alice", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "100.00", "channel": "qr" },
            { "key": "o2", "customer": "bob", "paidAt": "2026-03-02T13:00:00+08:00", "amount": "50.00", "channel": "ads" },
            { "key": "o3", "customer": "alice", "paidAt": "2026-03-20T12:00:00+08:00", "amount": "30.00", "channel": "ads" },
        ])).await;
        let kpis = ["GMV", "ORDERS", "BUYERS", "AOV", "NEW_CUSTOMERS"];
        // March: GMV 100 + 50 + 30 = 180 in 3 orders (AOV 60) of 2 buyers, alice and bob; alice
        // first bought in February, so bob is the one new customer.
        // Previous period (the 31 days 01-29..02-28): o0 only.
        let expected = [
            ("GMV", amount(180.0, OK), 10.0),
            ("ORDERS", amount(3.0, OK), 1.0),
            ("BUYERS", amount(2.0, OK), 1.0),
            ("AOV", derived(Some(180.0), Some(3.0), OK), 10.0),
            ("NEW_CUSTOMERS", amount(1.0, OK), 1.0),
        ];
        let shapes = [
            ("DAY", json!([])), ("WEEK", json!(["CHANNEL"])), ("MONTH", json!(["CHANNEL", "CAMPAIGN"])),
            ("TOTAL", json!([])), ("TOTAL", json!(["CHANNEL"])), ("QUARTER", json!(["CAMPAIGN"])),
        ];
        for (granularity, group_by) in shapes {
            for fill_gaps in [true, false] {
                let data = report(&app, &key, with(input(&kpis, "2026-03-01", "2026-03-31", granularity), json!({
                    "groupBy": group_by, "fillGaps": fill_gaps, "compareTo": "PREVIOUS_PERIOD",
                }))).await;
                let context = format!("{granularity} {group_by} fillGaps {fill_gaps}");
                for (kpi, expect, previous) in expected {
                    check(data.total(kpi), expect, &format!("{kpi} {context}"));
                    let value = expect.value.unwrap();
                    check_comparison(data.total(kpi), Some(previous), Some(value - previous), Some((value - previous) / previous), &format!("{kpi} {context}"));
                }
            }
        }
        // Buyers by week and channel: W10 ads (bob), W10 qr (alice), W12 ads (alice) — three
        // rows of one buyer each, while the whole range has two buyers.
        let weeks = report(&app, &key, with(input(&["BUYERS"], "2026-03-01", "2026-03-31", "WEEK"), json!({ "groupBy": ["CHANNEL"], "fillGaps": false }))).await;
        let rows: Vec<(String, Vec<String>)> = weeks.layout();
        let expected_rows = [("2026-W10", "ads"), ("2026-W10", "qr"), ("2026-W12", "ads")];
        assert_eq!(rows, expected_rows.map(|(w, c)| (w.to_string(), vec![c.to_string()])));
        for (week, channel) in expected_rows {
            check(weeks.value(week, &[channel], "BUYERS"), amount(1.0, OK), week);
        }
        check(weeks.total("BUYERS"), amount(2.0, OK), "buyers");
    }

    async fn filters_narrow_every_family_and_foreign_keys_match_nothing(app: TestApp) {
        let key = app.workspace("acme").await;
        let other = app.workspace("other").await;
        for (k, prefix) in [(&key, ""), (&other, "b_")] {
            ingest(&app, k, "upsertAccounts", json!([
                { "key": format!("{prefix}oa"), "kind": "SERVICE_ACCOUNT", "name": "OA" },
                { "key": format!("{prefix}ch"), "kind": "CHANNELS", "name": "Channels" },
                { "key": format!("{prefix}wc"), "kind": "WECOM", "name": "WeCom" },
            ])).await;
            ingest(&app, k, "upsertChannels", json!([{ "key": format!("{prefix}qr"), "name": "QR" }, { "key": format!("{prefix}ads"), "name": "Ads" }])).await;
            ingest(&app, k, "upsertCampaigns", json!([
                { "key": format!("{prefix}promo"), "kind": "PROMOTION", "name": "Promo", "startsOn": "2026-03-01", "endsOn": "2026-03-31" },
                { "key": format!("{prefix}contest"), "kind": "INTERACTION", "name": "Contest", "startsOn": "2026-03-01", "endsOn": "2026-03-31" },
            ])).await;
            ingest(&app, k, "upsertContents", json!([
                { "key": format!("{prefix}a1"), "account": format!("{prefix}oa"), "kind": "ARTICLE", "title": "A1", "publishedAt": "2026-03-01T00:00:00Z", "campaign": format!("{prefix}promo") },
                { "key": format!("{prefix}v1"), "account": format!("{prefix}ch"), "kind": "SHORT_VIDEO", "title": "V1", "publishedAt": "2026-03-01T00:00:00Z", "campaign": format!("{prefix}contest") },
            ])).await;
            ingest(&app, k, "recordContentDaily", json!([
                { "content": format!("{prefix}a1"), "date": "2026-03-02", "deliveries": 100, "opens": 30 },
                { "content": format!("{prefix}v1"), "date": "2026-03-02", "deliveries": 50, "opens": 20 },
            ])).await;
            ingest(&app, k, "recordOrders", json!([
                { "key": "o1", "customer": "alice", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "100.00", "channel": format!("{prefix}qr"), "campaign": format!("{prefix}promo"), "account": format!("{prefix}oa") },
                { "key": "o2", "customer": "bob", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "40.00", "channel": format!("{prefix}ads"), "campaign": format!("{prefix}contest"), "account": format!("{prefix}ch") },
                { "key": "o3", "customer": "carol", "paidAt": "2026-03-03T12:00:00+08:00", "amount": "7.00", "channel": format!("{prefix}ads") },
            ])).await;
            ingest(&app, k, "recordStaffDaily", json!([
                { "account": format!("{prefix}wc"), "staff": format!("{prefix}zhang"), "date": "2026-03-02", "chats": 10, "repliedChats": 5 },
                { "account": format!("{prefix}wc"), "staff": format!("{prefix}li"), "date": "2026-03-02", "chats": 4, "repliedChats": 4 },
            ])).await;
            ingest(&app, k, "recordCampaignDaily", json!([
                { "campaign": format!("{prefix}promo"), "date": "2026-03-02", "reached": 100, "participants": 10 },
                { "campaign": format!("{prefix}contest"), "date": "2026-03-02", "reached": 100, "participants": 50 },
            ])).await;
        }
        let label = "2026-03-01..2026-03-31";
        let total = |kpi: &'static str, filter: Value| {
            let app = &app;
            let key = &key;
            async move {
                let data = report(app, key, with(input(&[kpi], "2026-03-01", "2026-03-31", "TOTAL"), json!({ "filter": filter }))).await;
                // The one row and the totals agree under a filter.
                assert_eq!(data.value(label, &[], kpi), data.total(kpi), "{data:?}", data = data.0);
                data.total(kpi).clone()
            }
        };
        // Accounts: a1 is oa's (30/100), v1 is ch's (20/50); the other workspace's b_oa and an
        // unknown key match nothing (0/0), alone or beside a key of ours.
        check(&total("OPEN_RATE", json!({ "accounts": ["oa"] })).await, ratio(30.0, 100.0, OK), "oa");
        check(&total("OPEN_RATE", json!({ "accounts": ["ch", "b_oa"] })).await, ratio(20.0, 50.0, OK), "ch + foreign");
        check(&total("OPEN_RATE", json!({ "accounts": ["b_oa"] })).await, ratio(0.0, 0.0, NO_DATA), "foreign");
        check(&total("OPEN_RATE", json!({ "accounts": [] })).await, ratio(0.0, 0.0, NO_DATA), "empty list");
        check(&total("GMV", json!({ "accounts": ["oa"] })).await, amount(100.0, OK), "oa orders");
        // Contents.
        check(&total("OPEN_RATE", json!({ "contents": ["a1", "b_v1"] })).await, ratio(30.0, 100.0, OK), "a1");
        // Content kinds.
        check(&total("OPEN_RATE", json!({ "contentKinds": ["SHORT_VIDEO"] })).await, ratio(20.0, 50.0, OK), "video");
        check(&total("OPEN_RATE", json!({ "contentKinds": ["ARTICLE", "SHORT_VIDEO"] })).await, ratio(50.0, 150.0, OK), "both kinds");
        check(&total("OPEN_RATE", json!({ "contentKinds": ["LIVE"] })).await, ratio(0.0, 0.0, NO_DATA), "live");
        // Campaign kinds: contest is the interaction campaign — v1, o2, its campaign facts.
        check(&total("OPEN_RATE", json!({ "campaignKinds": ["INTERACTION"] })).await, ratio(20.0, 50.0, OK), "interaction content");
        check(&total("GMV", json!({ "campaignKinds": ["INTERACTION"] })).await, amount(40.0, OK), "interaction orders");
        check(&total("PARTICIPATION_RATE", json!({ "campaignKinds": ["INTERACTION"] })).await, ratio(50.0, 100.0, OK), "interaction campaign");
        check(&total("GMV", json!({ "campaignKinds": ["BRAND"] })).await, amount(0.0, OK), "no brand campaign");
        // Campaigns and campaign kinds together: both must hold.
        check(&total("GMV", json!({ "campaigns": ["promo"], "campaignKinds": ["INTERACTION"] })).await, amount(0.0, OK), "promo ∩ interaction");
        check(&total("GMV", json!({ "campaigns": ["promo", "contest"], "campaignKinds": ["PROMOTION"] })).await, amount(100.0, OK), "promo");
        check(&total("GMV", json!({ "campaigns": ["b_promo"] })).await, amount(0.0, OK), "foreign campaign");
        // Channels: ads has o2 40 and o3 7.
        check(&total("GMV", json!({ "channels": ["ads"] })).await, amount(47.0, OK), "ads");
        check(&total("GMV", json!({ "channels": ["qr", "b_qr"] })).await, amount(100.0, OK), "qr + foreign");
        check(&total("GMV", json!({ "channels": ["b_qr"] })).await, amount(0.0, OK), "foreign channel");
        check(&total("BUYERS", json!({ "channels": ["b_ads"] })).await, amount(0.0, OK), "foreign channel buyers");
        // Staff: li replied to 4 of 4; b_zhang is the other workspace's.
        check(&total("REPLY_RATE", json!({ "staff": ["li"] })).await, ratio(4.0, 4.0, OK), "li");
        check(&total("REPLY_RATE", json!({ "staff": ["li", "zhang"] })).await, ratio(9.0, 14.0, OK), "li + zhang");
        check(&total("REPLY_RATE", json!({ "staff": ["b_zhang"] })).await, ratio(0.0, 0.0, NO_DATA), "foreign staff");

        // A filter combines with groupBy; totals follow the filter.
        let data = report(&app, &key, with(input(&["GMV"], "2026-03-01", "2026-03-31", "TOTAL"), json!({ "filter": { "channels": ["ads"] }, "groupBy": ["CAMPAIGN"] }))).await;
        let keys: Vec<Vec<String>> = data.layout().into_iter().map(|(_, keys)| keys).collect();
        assert_eq!(keys, [vec![String::new()], vec!["contest".to_string()]]);
        check(data.value(label, &["contest"], "GMV"), amount(40.0, OK), "contest");
        check(data.value(label, &[""], "GMV"), amount(7.0, OK), "no campaign");
        check(data.total("GMV"), amount(47.0, OK), "filtered total");

        // A filter on a dimension the KPI does not have is refused, naming both.
        let (code, message) = report_error(&app, &key, with(input(&["OPEN_RATE"], "2026-03-01", "2026-03-31", "TOTAL"), json!({ "filter": { "channels": ["qr"] } }))).await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert!(message.contains("OPEN_RATE") && message.contains("CHANNEL"), "{message}");
    }

    async fn bad_requests_are_bad_user_input_with_a_clear_message(app: TestApp) {
        let key = app.workspace("acme").await;
        let march = |kpis: &[&str], granularity: &str| input(kpis, "2026-03-01", "2026-03-31", granularity);
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (with(march(&["OPEN_RATE"], "TOTAL"), json!({ "groupBy": ["STAFF"] })), vec!["OPEN_RATE", "STAFF"]),
            (with(march(&["GMV"], "TOTAL"), json!({ "groupBy": ["CONTENT"] })), vec!["GMV", "CONTENT"]),
            (with(march(&["GMV", "UNFOLLOW_RATE"], "TOTAL"), json!({ "groupBy": ["CHANNEL"] })), vec!["UNFOLLOW_RATE", "CHANNEL"]),
            (march(&["REPURCHASE_RATE_3M"], "DAY"), vec!["REPURCHASE_RATE_3M", "MONTH"]),
            (march(&["GMV", "REPURCHASE_RATE_3M"], "WEEK"), vec!["REPURCHASE_RATE_3M", "MONTH"]),
            (input(&["GMV"], "2026-03-31", "2026-03-01", "DAY"), vec!["2026-03-31", "2026-03-01"]),
            (march(&[], "TOTAL"), vec!["20"]),
            (with(march(&["OPEN_RATE"], "TOTAL"), json!({ "groupBy": ["ACCOUNT", "CONTENT", "CONTENT_KIND", "CAMPAIGN"] })), vec!["3"]),
            (with(march(&["OPEN_RATE"], "TOTAL"), json!({ "groupBy": ["ACCOUNT", "ACCOUNT"] })), vec!["twice"]),
        ];
        for (request, words) in cases {
            let (code, message) = report_error(&app, &key, request.clone()).await;
            assert_eq!(code, "BAD_USER_INPUT", "{request}: {message}");
            for word in words {
                assert!(message.contains(word), "{request}: `{message}` does not say {word}");
            }
        }
        // 21 KPIs is one too many; 20 is fine.
        let catalog = app.ok(&key, "{ kpiCatalog { key needsMonth } }", json!({})).await;
        let kpis: Vec<&str> = catalog["kpiCatalog"].as_array().unwrap().iter()
            .filter(|k| k["needsMonth"] == false).map(|k| k["key"].as_str().unwrap()).collect();
        let (code, message) = report_error(&app, &key, march(&kpis[..21], "DAY")).await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert!(message.contains("20") && message.contains("21"), "{message}");
        assert_eq!(report(&app, &key, march(&kpis[..20], "DAY")).await.rows().len(), 31);
        // REPURCHASE_RATE_3M is fine from MONTH up.
        for granularity in ["MONTH", "QUARTER", "YEAR", "TOTAL"] {
            report(&app, &key, march(&["REPURCHASE_RATE_3M"], granularity)).await;
        }
    }

    async fn reports_over_50000_rows_are_refused_with_advice(app: TestApp) {
        let key = content_workspace(&app).await;
        // DAY over 200 years: 73,049 periods.
        let (code, message) = report_error(&app, &key, input(&["GMV"], "1827-01-01", "2026-12-31", "DAY")).await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert!(message.contains("73049") && message.contains("coarser granularity"), "{message}");
        assert_eq!(report(&app, &key, input(&["GMV"], "1827-01-01", "2026-12-31", "YEAR")).await.rows().len(), 200);

        // 100 contents with data: DAY × CONTENT over 500 days is 50,000 rows exactly (allowed),
        // over 501 days 50,100 (refused) unless the gaps are left out.
        let contents: Vec<Value> = (0..100).map(|i| json!({ "key": format!("c{i:03}"), "account": "oa", "kind": "ARTICLE", "title": "C", "publishedAt": "2026-01-01T00:00:00Z" })).collect();
        ingest(&app, &key, "upsertContents", Value::Array(contents)).await;
        let facts: Vec<Value> = (0..100).map(|i| json!({ "content": format!("c{i:03}"), "date": "2026-01-01", "deliveries": 1 })).collect();
        ingest(&app, &key, "recordContentDaily", Value::Array(facts)).await;
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let until = |days: u64| (from + Days::new(days - 1)).to_string();
        let by_content = |to: String, fill_gaps: bool| json!({
            "kpis": ["OPEN_RATE"], "range": { "from": "2026-01-01", "to": to }, "granularity": "DAY",
            "groupBy": ["CONTENT"], "fillGaps": fill_gaps,
        });
        let (code, message) = report_error(&app, &key, by_content(until(501), true)).await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert!(message.contains("50100") && message.contains("coarser granularity"), "{message}");
        assert_eq!(report(&app, &key, by_content(until(501), false)).await.rows().len(), 100);
        let rows = app.ok(&key, "query($i: KpiReportInput!) { kpiReport(input: $i) { rows { period { label } } } }", json!({ "i": by_content(until(500), true) })).await;
        assert_eq!(rows["kpiReport"]["rows"].as_array().unwrap().len(), 50_000);
    }

    async fn rows_are_ordered_by_period_then_dimension_keys(app: TestApp) {
        let key = app.workspace("acme").await;
        // Created out of key order, so that ids and keys disagree.
        ingest(&app, &key, "upsertChannels", json!([{ "key": "zeta", "name": "Z" }, { "key": "alpha", "name": "A" }, { "key": "mid", "name": "M" }])).await;
        ingest(&app, &key, "upsertCampaigns", json!([
            { "key": "c2", "kind": "PROMOTION", "name": "C2", "startsOn": "2026-03-01", "endsOn": "2026-03-31" },
            { "key": "c1", "kind": "PROMOTION", "name": "C1", "startsOn": "2026-03-01", "endsOn": "2026-03-31" },
        ])).await;
        ingest(&app, &key, "recordOrders", json!([
            { "key": "o1", "customer": "u1", "paidAt": "2026-03-03T12:00:00+08:00", "amount": "1.00", "channel": "zeta", "campaign": "c1" },
            { "key": "o2", "customer": "u2", "paidAt": "2026-03-03T12:00:00+08:00", "amount": "2.00", "channel": "alpha", "campaign": "c2" },
            { "key": "o3", "customer": "u3", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "4.00", "channel": "zeta", "campaign": "c2" },
            { "key": "o4", "customer": "u4", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "8.00", "channel": "mid", "campaign": "c1" },
            { "key": "o5", "customer": "u5", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "16.00", "channel": "alpha" },
            { "key": "o6", "customer": "u6", "paidAt": "2026-03-02T12:00:00+08:00", "amount": "32.00", "campaign": "c1" },
        ])).await;
        let base = with(input(&["GMV"], "2026-03-02", "2026-03-03", "DAY"), json!({ "groupBy": ["CHANNEL", "CAMPAIGN"] }));
        let layout = |data: &Report| -> Vec<String> {
            data.layout().into_iter().map(|(label, keys)| format!("{label} {}", keys.join("/"))).collect()
        };
        let sparse = report(&app, &key, with(base.clone(), json!({ "fillGaps": false }))).await;
        assert_eq!(layout(&sparse), [
            "2026-03-02 /c1", "2026-03-02 alpha/", "2026-03-02 mid/c1", "2026-03-02 zeta/c2",
            "2026-03-03 alpha/c2", "2026-03-03 zeta/c1",
        ]);
        check(sparse.value("2026-03-02", &["", "c1"], "GMV"), amount(32.0, OK), "no channel");
        check(sparse.value("2026-03-03", &["zeta", "c1"], "GMV"), amount(1.0, OK), "zeta c1");
        let filled = report(&app, &key, base).await;
        let groups = ["/c1", "alpha/", "alpha/c2", "mid/c1", "zeta/c1", "zeta/c2"];
        let expected: Vec<String> = ["2026-03-02", "2026-03-03"].iter()
            .flat_map(|day| groups.iter().map(move |g| format!("{day} {g}")))
            .collect();
        assert_eq!(layout(&filled), expected);
        check(filled.value("2026-03-03", &["zeta", "c2"], "GMV"), amount(0.0, OK), "gap");
        let row = filled.row("2026-03-02", &["alpha", ""]);
        assert_eq!(row["dimensions"], json!([
            { "dimension": "CHANNEL", "key": "alpha", "label": "A" },
            { "dimension": "CAMPAIGN", "key": "", "label": null },
        ]));
    }
}
