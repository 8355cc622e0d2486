//! Every validation rule of ingestion (SPEC §5), through the GraphQL mutations.
//!
//! Table-driven: per mutation, a list of cases, each one call of a valid row (index 0) and a row
//! that breaks one rule (index 1). Each case must come back with exactly the expected
//! `(index, field, code)`, count nothing as written, and leave the row counts of the tables the
//! mutation writes unchanged (`atomic: true`, the default): the valid row of the call is not
//! written either. A failure names the mutation and the case. After its cases, each test sends
//! valid rows alone (the control) to show that they are written, so the refusals came from the
//! bad rows.

use serde_json::{Value, json};
use wekpi_api::auth::{Role, Tenant};
use wekpi_api::ingest::store;
use wekpi_api::ingest::validate::{ContentDailyIn, RowErrorCode};

use crate::both_backends;
use crate::helpers::{TestApp, error_code};
use crate::ingest_support::{
    counts, mutation, rejected, seed_references, today_in_shanghai, tomorrow_in_shanghai,
};

/// A mutation under test and the tables it may write to.
struct Target {
    mutation: &'static str,
    input: &'static str,
    /// Tables whose row counts a refused call must leave unchanged.
    tables: &'static [&'static str],
}

const CONTENT_DAILY: Target = Target {
    mutation: "recordContentDaily",
    input: "ContentDailyInput",
    tables: &["content_daily"],
};
const ACCOUNT_DAILY: Target = Target {
    mutation: "recordAccountDaily",
    input: "AccountDailyInput",
    tables: &["account_daily"],
};
const FUNNEL_DAILY: Target = Target {
    mutation: "recordFunnelDaily",
    input: "FunnelDailyInput",
    tables: &["funnel_daily"],
};
const CAMPAIGN_DAILY: Target = Target {
    mutation: "recordCampaignDaily",
    input: "CampaignDailyInput",
    tables: &["campaign_daily"],
};
const STAFF_DAILY: Target = Target {
    mutation: "recordStaffDaily",
    input: "StaffDailyInput",
    tables: &["staff_daily"],
};
const GROUP_DAILY: Target = Target {
    mutation: "recordGroupDaily",
    input: "GroupDailyInput",
    tables: &["group_daily"],
};
const ORDERS: Target = Target {
    mutation: "recordOrders",
    input: "OrderInput",
    // Orders create unknown customers: a refused call must not.
    tables: &["orders", "customer"],
};
const SPEND: Target = Target {
    mutation: "recordSpend",
    input: "SpendInput",
    tables: &["spend"],
};
const ACCOUNTS: Target = Target {
    mutation: "upsertAccounts",
    input: "AccountInput",
    tables: &["account"],
};
const CONTENTS: Target = Target {
    mutation: "upsertContents",
    input: "ContentInput",
    tables: &["content"],
};
const CAMPAIGNS: Target = Target {
    mutation: "upsertCampaigns",
    input: "CampaignInput",
    tables: &["campaign"],
};
const CHANNELS: Target = Target {
    mutation: "upsertChannels",
    input: "ChannelInput",
    tables: &["channel"],
};
const CUSTOMERS: Target = Target {
    mutation: "upsertCustomers",
    input: "CustomerInput",
    tables: &["customer"],
};

/// One refused call: its rows and every error expected, in order.
struct Case {
    name: String,
    rows: Value,
    expect: Vec<(i64, &'static str, &'static str)>,
}

/// `base` with the fields of `patch` set (`null` removes the field).
fn patched(base: &Value, patch: Value) -> Value {
    let mut row = base.clone();
    let fields = row.as_object_mut().unwrap();
    for (field, value) in patch.as_object().unwrap() {
        if value.is_null() {
            fields.remove(field);
        } else {
            fields.insert(field.clone(), value.clone());
        }
    }
    row
}

/// A call of `valid` and of `base` patched to break one rule, refused on `field` with `code`.
fn bad(
    name: impl Into<String>,
    valid: &Value,
    base: &Value,
    patch: Value,
    field: &'static str,
    code: &'static str,
) -> Case {
    Case {
        name: name.into(),
        rows: json!([valid, patched(base, patch)]),
        expect: vec![(1, field, code)],
    }
}

/// Two rows with the same natural key: the later one is the duplicate, reported on `field` (the
/// first field of the natural key).
fn duplicate(name: &str, first: &Value, second: Value, field: &'static str) -> Case {
    Case {
        name: format!("duplicate {name}"),
        rows: json!([first, second]),
        expect: vec![(1, field, "DUPLICATE_KEY")],
    }
}

fn negative_cases(valid: &Value, base: &Value, fields: &[&'static str]) -> Vec<Case> {
    fields
        .iter()
        .map(|&f| {
            bad(
                format!("negative {f}"),
                valid,
                base,
                json!({ f: -1 }),
                f,
                "NEGATIVE",
            )
        })
        .collect()
}

fn unknown_cases(valid: &Value, base: &Value, fields: &[&'static str]) -> Vec<Case> {
    fields
        .iter()
        .map(|&f| {
            let name = format!("unknown {f} key");
            bad(
                name,
                valid,
                base,
                json!({ f: "ghost" }),
                f,
                "UNKNOWN_REFERENCE",
            )
        })
        .collect()
}

/// A business date (`YYYY-MM-DD`) after today in Shanghai, and one before 2011-01-21.
fn date_cases(valid: &Value, base: &Value, field: &'static str) -> Vec<Case> {
    let tomorrow = tomorrow_in_shanghai().to_string();
    vec![
        bad(
            format!("{field} tomorrow in Shanghai ({tomorrow})"),
            valid,
            base,
            json!({ field: tomorrow }),
            field,
            "DATE_IN_FUTURE",
        ),
        bad(
            format!("{field} 2011-01-20"),
            valid,
            base,
            json!({ field: "2011-01-20" }),
            field,
            "DATE_TOO_EARLY",
        ),
    ]
}

/// A timestamp whose business date (in Shanghai) is after today, and one whose business date
/// is before 2011-01-21.
fn timestamp_cases(valid: &Value, base: &Value, field: &'static str) -> Vec<Case> {
    // 00:00 tomorrow in Shanghai is 16:00 today in UTC: refused although its UTC date is today.
    let future = format!("{}T00:00:00+08:00", tomorrow_in_shanghai());
    vec![
        bad(
            format!("{field} {future}"),
            valid,
            base,
            json!({ field: future }),
            field,
            "DATE_IN_FUTURE",
        ),
        // 15:59:59 UTC on 2011-01-20 is 23:59:59 in Shanghai, still 2011-01-20 there.
        bad(
            format!("{field} 2011-01-20T15:59:59Z"),
            valid,
            base,
            json!({ field: "2011-01-20T15:59:59Z" }),
            field,
            "DATE_TOO_EARLY",
        ),
    ]
}

/// Money fields: more than 2 decimals (as a string and as a JSON number) and negative.
fn money_cases(valid: &Value, base: &Value, field: &'static str) -> Vec<Case> {
    vec![
        bad(
            format!("{field} \"10.999\""),
            valid,
            base,
            json!({ field: "10.999" }),
            field,
            "TOO_MANY_DECIMALS",
        ),
        bad(
            format!("{field} 0.001 as a number"),
            valid,
            base,
            json!({ field: 0.001 }),
            field,
            "TOO_MANY_DECIMALS",
        ),
        bad(
            format!("{field} \"-5.00\""),
            valid,
            base,
            json!({ field: "-5.00" }),
            field,
            "NEGATIVE",
        ),
    ]
}

async fn row_counts(app: &TestApp, target: &Target) -> Vec<i64> {
    let mut out = Vec::new();
    for table in target.tables {
        out.push(app.scalar(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    out
}

/// Runs every case and checks that each is refused exactly as expected, writing nothing.
async fn assert_refused(app: &TestApp, key: &str, target: &Target, cases: Vec<Case>) {
    let query = mutation(target.mutation, target.input);
    assert!(!cases.is_empty());
    for case in cases {
        let what = format!("{} / {}", target.mutation, case.name);
        let before = row_counts(app, target).await;
        let resp = app.gql(Some(key), &query, json!({ "r": case.rows })).await;
        assert!(
            resp.get("errors").is_none(),
            "{what}: unexpected errors: {resp}"
        );
        let report = &resp["data"][target.mutation];
        let expected: Vec<(i64, String, String)> = case
            .expect
            .iter()
            .map(|&(i, f, c)| (i, f.to_owned(), c.to_owned()))
            .collect();
        assert_eq!(rejected(report), expected, "{what}: {report}");
        for error in report["rejected"].as_array().unwrap() {
            let (field, message) = (
                error["field"].as_str().unwrap(),
                error["message"].as_str().unwrap(),
            );
            assert!(
                message.contains(field),
                "{what}: the message names the field: {message}"
            );
        }
        assert_eq!(
            counts(report),
            (0, 0, 0),
            "{what}: a refused call counts nothing"
        );
        assert_eq!(
            row_counts(app, target).await,
            before,
            "{what}: a refused call writes nothing"
        );
    }
}

/// Sends valid rows alone and checks that all of them are written.
async fn assert_accepted(app: &TestApp, key: &str, target: &Target, rows: Value) {
    let n = rows.as_array().unwrap().len() as i64;
    let data = app
        .ok(
            key,
            &mutation(target.mutation, target.input),
            json!({ "r": rows }),
        )
        .await;
    let report = &data[target.mutation];
    assert_eq!(
        rejected(report),
        vec![],
        "{}: control rows: {report}",
        target.mutation
    );
    assert_eq!(
        counts(report),
        (n, 0, 0),
        "{}: control rows: {report}",
        target.mutation
    );
}

both_backends! {
    async fn content_daily_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let base = json!({ "content": "a1", "date": "2025-09-10", "deliveries": 1000, "opens": 300,
            "reads": 500, "readers": 400, "completions": 100, "shares": 50, "sharers": 40,
            "favorites": 10, "likes": 20, "comments": 5, "clicks": 30 });
        let valid = patched(&base, json!({ "date": "2025-09-09" }));
        let mut cases = negative_cases(&valid, &base, &["deliveries", "opens", "reads", "readers",
            "completions", "shares", "sharers", "favorites", "likes", "comments", "clicks"]);
        cases.extend([
            bad("completions > reads", &valid, &base, json!({ "completions": 501 }), "completions", "INCONSISTENT"),
            bad("readers > reads", &valid, &base, json!({ "readers": 501 }), "readers", "INCONSISTENT"),
            bad("sharers > shares", &valid, &base, json!({ "sharers": 51 }), "sharers", "INCONSISTENT"),
            duplicate("content and date", &valid, patched(&valid, json!({ "likes": 21 })), "content"),
        ]);
        cases.extend(date_cases(&valid, &base, "date"));
        cases.extend(unknown_cases(&valid, &base, &["content"]));
        assert_refused(&app, &key, &CONTENT_DAILY, cases).await;
        // Equal parts are consistent: completions = readers = reads, sharers = shares.
        let equal = json!({ "reads": 500, "completions": 500, "readers": 500, "shares": 50, "sharers": 50 });
        assert_accepted(&app, &key, &CONTENT_DAILY, json!([valid, patched(&base, equal)])).await;
    }

    async fn account_daily_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let base = json!({ "account": "oa", "date": "2025-09-10", "newFollowers": 10, "unfollows": 2, "totalFollowers": 1000 });
        let valid = patched(&base, json!({ "date": "2025-09-09" }));
        let mut cases = negative_cases(&valid, &base, &["newFollowers", "unfollows", "totalFollowers"]);
        cases.push(duplicate("account and date", &valid, patched(&valid, json!({ "unfollows": 3 })), "account"));
        cases.extend(date_cases(&valid, &base, "date"));
        cases.extend(unknown_cases(&valid, &base, &["account"]));
        assert_refused(&app, &key, &ACCOUNT_DAILY, cases).await;
        // The same date for another account is no duplicate.
        assert_accepted(&app, &key, &ACCOUNT_DAILY, json!([valid, patched(&valid, json!({ "account": "wecom" }))])).await;
    }

    async fn funnel_daily_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let base = json!({ "account": "oa", "campaign": "c1", "date": "2025-09-10", "visits": 100, "checkouts": 20, "payments": 5 });
        let valid = patched(&base, json!({ "date": "2025-09-09" }));
        let no_campaign = patched(&valid, json!({ "campaign": null }));
        let mut cases = negative_cases(&valid, &base, &["visits", "checkouts", "payments"]);
        cases.extend([
            bad("checkouts > visits", &valid, &base, json!({ "checkouts": 101 }), "checkouts", "INCONSISTENT"),
            bad("payments > checkouts", &valid, &base, json!({ "payments": 21 }), "payments", "INCONSISTENT"),
            duplicate("account, campaign and date", &valid, patched(&valid, json!({ "visits": 101 })), "account"),
            // Without a campaign, account × date is the key: two such rows are duplicates.
            duplicate("account and date without campaign", &no_campaign,
                patched(&no_campaign, json!({ "visits": 101 })), "account"),
        ]);
        cases.extend(date_cases(&valid, &base, "date"));
        cases.extend(unknown_cases(&valid, &base, &["account", "campaign"]));
        assert_refused(&app, &key, &FUNNEL_DAILY, cases).await;
        // With and without a campaign on the same account and date are two keys.
        assert_accepted(&app, &key, &FUNNEL_DAILY, json!([valid, no_campaign])).await;
    }

    async fn campaign_daily_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let base = json!({ "campaign": "c1", "date": "2025-09-10", "reached": 1000, "participants": 300, "ugcPosts": 12 });
        let valid = patched(&base, json!({ "date": "2025-09-09" }));
        let mut cases = negative_cases(&valid, &base, &["reached", "participants", "ugcPosts"]);
        cases.extend([
            bad("participants > reached", &valid, &base, json!({ "participants": 1001 }), "participants", "INCONSISTENT"),
            duplicate("campaign and date", &valid, patched(&valid, json!({ "ugcPosts": 13 })), "campaign"),
        ]);
        cases.extend(date_cases(&valid, &base, "date"));
        cases.extend(unknown_cases(&valid, &base, &["campaign"]));
        assert_refused(&app, &key, &CAMPAIGN_DAILY, cases).await;
        assert_accepted(&app, &key, &CAMPAIGN_DAILY, json!([valid, base])).await;
    }

    async fn staff_daily_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let base = json!({ "account": "wecom", "staff": "zhangsan", "date": "2025-09-10", "chats": 40, "messages": 190,
            "repliedChats": 25, "replyMinutesTotal": 300.5, "newApplies": 25, "newContacts": 19, "negativeFeedback": 1 });
        let valid = patched(&base, json!({ "date": "2025-09-09" }));
        let mut cases = negative_cases(&valid, &base, &["chats", "messages", "repliedChats", "replyMinutesTotal",
            "newApplies", "newContacts", "negativeFeedback"]);
        cases.extend([
            bad("repliedChats > chats", &valid, &base, json!({ "repliedChats": 41 }), "repliedChats", "INCONSISTENT"),
            duplicate("account, staff and date", &valid, patched(&valid, json!({ "messages": 191 })), "account"),
        ]);
        cases.extend(date_cases(&valid, &base, "date"));
        cases.extend(unknown_cases(&valid, &base, &["account"]));
        assert_refused(&app, &key, &STAFF_DAILY, cases).await;
        // Another member on the same day is another key.
        assert_accepted(&app, &key, &STAFF_DAILY, json!([valid, patched(&valid, json!({ "staff": "lisi" }))])).await;
    }

    async fn group_daily_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let base = json!({ "account": "wecom", "staff": "lisi", "date": "2025-09-10", "groupsTotal": 12, "activeGroups": 7,
            "membersTotal": 1480, "activeMembers": 215, "newMembers": 30, "messages": 930 });
        let valid = patched(&base, json!({ "date": "2025-09-09" }));
        let mut cases = negative_cases(&valid, &base, &["groupsTotal", "activeGroups", "membersTotal",
            "activeMembers", "newMembers", "messages"]);
        cases.extend([
            bad("activeMembers > membersTotal", &valid, &base, json!({ "activeMembers": 1481 }), "activeMembers", "INCONSISTENT"),
            bad("activeGroups > groupsTotal", &valid, &base, json!({ "activeGroups": 13 }), "activeGroups", "INCONSISTENT"),
            duplicate("account, owner and date", &valid, patched(&valid, json!({ "messages": 931 })), "account"),
        ]);
        cases.extend(date_cases(&valid, &base, "date"));
        cases.extend(unknown_cases(&valid, &base, &["account"]));
        assert_refused(&app, &key, &GROUP_DAILY, cases).await;
        assert_accepted(&app, &key, &GROUP_DAILY, json!([valid, patched(&valid, json!({ "staff": "wangwu" }))])).await;
    }

    async fn order_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        // The customer keys are unknown: a written order creates its customer.
        let base = json!({ "key": "o2", "customer": "bob", "paidAt": "2025-09-10T02:00:00Z", "amount": "199.00",
            "refundedAmount": "20.00", "channel": "ads", "campaign": "c1", "account": "oa" });
        let valid = patched(&base, json!({ "key": "o1", "customer": "alice" }));
        let mut cases = money_cases(&valid, &base, "amount");
        cases.extend(money_cases(&valid, &base, "refundedAmount"));
        cases.extend([
            bad("refundedAmount > amount", &valid, &base, json!({ "refundedAmount": "199.01" }), "refundedAmount", "INCONSISTENT"),
            duplicate("order key", &valid, patched(&valid, json!({ "amount": "200.00" })), "key"),
        ]);
        cases.extend(timestamp_cases(&valid, &base, "paidAt"));
        cases.extend(unknown_cases(&valid, &base, &["channel", "campaign", "account"]));
        assert_refused(&app, &key, &ORDERS, cases).await;
        // An unknown customer key is no error: the customer is created with the order.
        // Trailing zeros beyond two places are no extra decimals; refunding everything is fine.
        assert_accepted(&app, &key, &ORDERS, json!([valid, patched(&base, json!({ "amount": "199.000", "refundedAmount": "199" }))])).await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM customer WHERE key IN ('alice', 'bob')").await, 2);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM customer").await, 2);
    }

    async fn spend_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let base = json!({ "date": "2025-09-10", "amount": "100.00", "channel": "ads", "campaign": "c1" });
        let valid = patched(&base, json!({ "date": "2025-09-09" }));
        let date_only = patched(&valid, json!({ "channel": null, "campaign": null }));
        let channel_only = patched(&valid, json!({ "campaign": null }));
        let campaign_only = patched(&valid, json!({ "channel": null }));
        let mut cases = money_cases(&valid, &base, "amount");
        // The key is date × channel × campaign, absent parts included.
        for (name, row) in [("date, channel and campaign", &valid), ("date without channel or campaign", &date_only),
                            ("date and channel without campaign", &channel_only),
                            ("date and campaign without channel", &campaign_only)] {
            cases.push(duplicate(name, row, patched(row, json!({ "amount": "1.00" })), "date"));
        }
        cases.extend(date_cases(&valid, &base, "date"));
        cases.extend(unknown_cases(&valid, &base, &["channel", "campaign"]));
        assert_refused(&app, &key, &SPEND, cases).await;
        // The four combinations of present and absent parts are four keys.
        assert_accepted(&app, &key, &SPEND, json!([valid, date_only, channel_only, campaign_only])).await;
    }

    async fn entity_rules(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;

        let account = json!({ "key": "oa2", "kind": "SUBSCRIPTION_ACCOUNT", "name": "OA 2" });
        let cases = vec![duplicate("account key", &account, patched(&account, json!({ "name": "Other" })), "key")];
        assert_refused(&app, &key, &ACCOUNTS, cases).await;

        let channel = json!({ "key": "qr", "name": "QR code" });
        let cases = vec![duplicate("channel key", &channel, patched(&channel, json!({ "name": "Other" })), "key")];
        assert_refused(&app, &key, &CHANNELS, cases).await;

        let campaign = json!({ "key": "c2", "kind": "BRAND", "name": "C2", "startsOn": "2025-10-01", "endsOn": "2025-10-31", "budget": "5000.00" });
        let valid_campaign = patched(&campaign, json!({ "key": "c3" }));
        let mut cases = money_cases(&valid_campaign, &campaign, "budget");
        cases.push(duplicate("campaign key", &valid_campaign, patched(&valid_campaign, json!({ "name": "Other" })), "key"));
        assert_refused(&app, &key, &CAMPAIGNS, cases).await;

        let content = json!({ "key": "a2", "account": "oa", "kind": "ARTICLE", "title": "A2", "publishedAt": "2025-09-02T08:00:00Z", "campaign": "c1" });
        let valid_content = patched(&content, json!({ "key": "a3" }));
        let mut cases = timestamp_cases(&valid_content, &content, "publishedAt");
        cases.extend(unknown_cases(&valid_content, &content, &["account", "campaign"]));
        cases.push(duplicate("content key", &valid_content, patched(&valid_content, json!({ "title": "Other" })), "key"));
        assert_refused(&app, &key, &CONTENTS, cases).await;

        let customer = json!({ "key": "bob", "firstSeenAt": "2025-09-02T08:00:00Z", "channel": "ads", "account": "oa" });
        let valid_customer = patched(&customer, json!({ "key": "alice" }));
        let mut cases = timestamp_cases(&valid_customer, &customer, "firstSeenAt");
        cases.extend(unknown_cases(&valid_customer, &customer, &["channel", "account"]));
        cases.push(duplicate("customer key", &valid_customer, patched(&valid_customer, json!({ "channel": null })), "key"));
        assert_refused(&app, &key, &CUSTOMERS, cases).await;

        assert_accepted(&app, &key, &ACCOUNTS, json!([account])).await;
        assert_accepted(&app, &key, &CHANNELS, json!([channel])).await;
        assert_accepted(&app, &key, &CAMPAIGNS, json!([valid_campaign, campaign])).await;
        assert_accepted(&app, &key, &CONTENTS, json!([valid_content, content])).await;
        assert_accepted(&app, &key, &CUSTOMERS, json!([valid_customer, customer])).await;
    }

    async fn boundary_dates_are_accepted(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        // Today in Shanghai: between 16:00 and 24:00 UTC this is UTC's tomorrow, and still
        // accepted, because business dates are counted in the workspace zone.
        let today = today_in_shanghai().to_string();
        assert_accepted(&app, &key, &ACCOUNT_DAILY, json!([
            { "account": "oa", "date": "2011-01-21", "newFollowers": 1 },
            { "account": "oa", "date": today, "newFollowers": 2 },
        ])).await;
        // 16:00 UTC on 2011-01-20 is 00:00 on 2011-01-21 in Shanghai: the first accepted instant.
        assert_accepted(&app, &key, &ORDERS, json!([
            { "key": "first", "customer": "alice", "paidAt": "2011-01-20T16:00:00Z", "amount": "1.00" },
        ])).await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM orders WHERE paid_date = '2011-01-21'").await, 1);
    }

    async fn atomic_false_writes_the_valid_rows_and_lists_the_rest(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let rows = json!([
            { "content": "a1", "date": "2025-09-09", "reads": 10 },
            { "content": "a1", "date": "2025-09-10", "reads": 10, "completions": 11 },
            { "content": "ghost", "date": "2025-09-10", "reads": 10 },
            { "content": "a1", "date": "2025-09-11", "reads": 12 },
        ]);
        let data = app.ok(&key, &mutation("recordContentDaily", "ContentDailyInput"), json!({ "r": rows, "atomic": false })).await;
        let report = &data["recordContentDaily"];
        assert_eq!(counts(report), (2, 0, 0), "{report}");
        assert_eq!(rejected(report), vec![
            (1, "completions".to_owned(), "INCONSISTENT".to_owned()),
            (2, "content".to_owned(), "UNKNOWN_REFERENCE".to_owned()),
        ]);
        // Rows 0 and 3: 10 + 12 = 22 reads.
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 2);
        assert_eq!(app.scalar("SELECT CAST(SUM(reads) AS BIGINT) FROM content_daily").await, 22);
    }

    async fn non_integer_counts_are_refused_on_every_path(app: TestApp) {
        let (workspace, issued) = wekpi_api::workspace::create(&app.db, "acme").await.unwrap();
        let key = issued.secret;
        seed_references(&app, &key).await;
        let query = mutation("recordContentDaily", "ContentDailyInput");

        // Path 1, GraphQL: counts are `Int`, so the engine refuses 2.5 while it coerces the
        // request, before any row is looked at: a request-level BAD_USER_INPUT (no report, no
        // per-row NOT_INTEGER), whether the value comes in a variable or in the query text.
        let rows = json!([{ "content": "a1", "date": "2025-09-09", "reads": 10 },
                          { "content": "a1", "date": "2025-09-10", "reads": 2.5 }]);
        let resp = app.gql(Some(&key), &query, json!({ "r": rows })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{resp}");
        assert!(resp["data"].is_null(), "{resp}");
        let inline = "mutation { recordContentDaily(rows: [{content: \"a1\", date: \"2025-09-10\", reads: 2.5}]) { inserted } }";
        let resp = app.gql(Some(&key), inline, json!({})).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{resp}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 0);

        // Path 2, importWechat: the platform documents its counts as integers, so a fractional
        // one makes the payload malformed: a request-level BAD_USER_INPUT naming where.
        let payload = json!({ "list": [{ "ref_date": "2025-09-01", "user_source": 0, "new_user": 2.5, "cancel_user": 1 }] });
        let resp = app.gql(Some(&key),
            "mutation($p: JSON!) { importWechat(source: OA_USER_SUMMARY, accountKey: \"oa\", payload: $p) { inserted } }",
            json!({ "p": payload })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{resp}");
        let message = resp["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("$.list[0].new_user"), "{message}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM account_daily").await, 0);

        // Path 3, raw rows: what a file loader deserializes (counts as JSON numbers or numeric
        // text) reaches row validation with the fraction intact, so the per-row NOT_INTEGER is
        // shown here, through the store on the same database, as GraphQL cannot carry it.
        let raw: Vec<ContentDailyIn> = serde_json::from_value(json!([
            { "content": "a1", "date": "2025-09-09", "reads": "10" },
            { "content": "a1", "date": "2025-09-10", "reads": 10, "completions": "2.5" },
        ])).unwrap();
        let tenant = Tenant::system(workspace, Role::Write);
        let report = store::ingest(&app.db, &tenant, raw, true).await.unwrap();
        assert_eq!(report.rejected.len(), 1, "{report:?}");
        let error = &report.rejected[0];
        assert_eq!((error.index, error.field.as_str(), error.code), (1, "completions", RowErrorCode::NotInteger));
        assert!(error.message.contains("2.5"), "{}", error.message);
        assert_eq!(report.counts.inserted, 0);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 0, "atomic: nothing written");
    }
}
