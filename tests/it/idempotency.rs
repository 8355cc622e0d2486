//! Idempotency of every `record*` mutation (SPEC §5): the same batch twice changes nothing, a
//! corrected row replaces the stored one, and omitted counts are 0. Also timestamps finer than
//! the databases keep, which must not turn a repeated row into an update.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::ingest_support::{counts, mutation, rejected, seed_references};

/// One mutation's scenario: a batch, the index of the row to correct and how, and the SQL that
/// reads the corrected row back with the values it must then hold.
struct Scenario {
    mutation: &'static str,
    input: &'static str,
    table: &'static str,
    rows: Value,
    correct: usize,
    patch: Value,
    read_back: &'static str,
    expected: Vec<i64>,
}

async fn send(app: &TestApp, key: &str, s: &Scenario, rows: &Value) -> (i64, i64, i64) {
    let data = app
        .ok(key, &mutation(s.mutation, s.input), json!({ "r": rows }))
        .await;
    let report = &data[s.mutation];
    assert_eq!(rejected(report), vec![], "{}: {report}", s.mutation);
    counts(report)
}

/// Sends the batch, the same batch again, the corrected batch, and the corrected batch again.
async fn assert_idempotent(app: &TestApp, key: &str, s: Scenario) {
    let what = s.mutation;
    let n = s.rows.as_array().unwrap().len() as i64;
    let count = format!("SELECT COUNT(*) FROM {}", s.table);

    assert_eq!(
        send(app, key, &s, &s.rows).await,
        (n, 0, 0),
        "{what}: first call"
    );
    assert_eq!(
        app.scalar(&count).await,
        n,
        "{what}: one row per natural key"
    );
    assert_eq!(
        send(app, key, &s, &s.rows).await,
        (0, 0, n),
        "{what}: the same batch again"
    );
    assert_eq!(
        app.scalar(&count).await,
        n,
        "{what}: the same batch again adds no row"
    );

    let mut corrected = s.rows.clone();
    for (field, value) in s.patch.as_object().unwrap() {
        corrected[s.correct][field] = value.clone();
    }
    assert_eq!(
        send(app, key, &s, &corrected).await,
        (0, 1, n - 1),
        "{what}: one corrected row"
    );
    assert_eq!(
        app.scalar(&count).await,
        n,
        "{what}: a correction replaces, never adds"
    );
    assert_eq!(
        app.ints(s.read_back, s.expected.len()).await,
        s.expected,
        "{what}: stored values"
    );
    assert_eq!(
        send(app, key, &s, &corrected).await,
        (0, 0, n),
        "{what}: the corrected batch again"
    );
}

const CONTENT_ROW: &str = "SELECT deliveries, opens, reads, readers, completions, shares, sharers, favorites, likes, comments, clicks \
     FROM content_daily d JOIN content c ON c.id = d.content_id WHERE c.key = 'a1' AND d.date = '2025-09-04'";

both_backends! {
    async fn content_daily_is_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        assert_idempotent(&app, &key, Scenario {
            mutation: "recordContentDaily", input: "ContentDailyInput", table: "content_daily",
            rows: json!([
                { "content": "a1", "date": "2025-09-03", "deliveries": 48000, "opens": 3000, "reads": 5200, "readers": 4100,
                  "completions": 1200, "shares": 310, "sharers": 250, "favorites": 60, "likes": 90, "comments": 12, "clicks": 80 },
                { "content": "a1", "date": "2025-09-04", "opens": 900, "reads": 1800, "readers": 1400, "completions": 500,
                  "shares": 110, "sharers": 80, "favorites": 15, "likes": 30, "comments": 4, "clicks": 30 },
            ]),
            correct: 1,
            patch: json!({ "reads": 1850, "likes": 31 }),
            read_back: CONTENT_ROW,
            // deliveries was omitted: 0.
            expected: vec![0, 900, 1850, 1400, 500, 110, 80, 15, 31, 4, 30],
        }).await;
    }

    async fn content_daily_omitted_count_on_update_is_zero(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let query = mutation("recordContentDaily", "ContentDailyInput");
        let full = json!({ "content": "a1", "date": "2025-09-04", "deliveries": 100, "opens": 20, "reads": 50,
            "readers": 40, "completions": 10, "shares": 5, "sharers": 4, "favorites": 3, "likes": 7, "comments": 2, "clicks": 6 });
        let first = app.ok(&key, &query, json!({ "r": [full] })).await;
        assert_eq!(counts(&first["recordContentDaily"]), (1, 0, 0));
        // The correction leaves out likes, comments and clicks: SPEC §5 says omitted counts are
        // 0, so they are replaced by 0, not kept.
        let mut partial = full.clone();
        for field in ["likes", "comments", "clicks"] {
            partial.as_object_mut().unwrap().remove(field);
        }
        let second = app.ok(&key, &query, json!({ "r": [partial] })).await;
        assert_eq!(counts(&second["recordContentDaily"]), (0, 1, 0));
        assert_eq!(app.ints(CONTENT_ROW, 11).await, vec![100, 20, 50, 40, 10, 5, 4, 3, 0, 0, 0]);
    }

    async fn account_daily_is_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        assert_idempotent(&app, &key, Scenario {
            mutation: "recordAccountDaily", input: "AccountDailyInput", table: "account_daily",
            rows: json!([
                { "account": "oa", "date": "2025-09-01", "newFollowers": 95, "unfollows": 7, "totalFollowers": 50120 },
                { "account": "oa", "date": "2025-09-02", "newFollowers": 48, "unfollows": 8, "totalFollowers": 50160 },
            ]),
            correct: 1,
            patch: json!({ "totalFollowers": 50161 }),
            read_back: "SELECT new_followers, unfollows, total_followers FROM account_daily WHERE date = '2025-09-02'",
            expected: vec![48, 8, 50161],
        }).await;
    }

    async fn funnel_daily_is_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        // The corrected row is the one without a campaign: its key has a NULL part.
        assert_idempotent(&app, &key, Scenario {
            mutation: "recordFunnelDaily", input: "FunnelDailyInput", table: "funnel_daily",
            rows: json!([
                { "account": "oa", "campaign": "c1", "date": "2025-09-01", "visits": 100, "checkouts": 20, "payments": 5 },
                { "account": "oa", "date": "2025-09-01", "visits": 300, "checkouts": 30, "payments": 6 },
            ]),
            correct: 1,
            patch: json!({ "visits": 310, "payments": 7 }),
            read_back: "SELECT visits, checkouts, payments FROM funnel_daily WHERE campaign_id IS NULL",
            expected: vec![310, 30, 7],
        }).await;
    }

    async fn campaign_daily_is_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        assert_idempotent(&app, &key, Scenario {
            mutation: "recordCampaignDaily", input: "CampaignDailyInput", table: "campaign_daily",
            rows: json!([
                { "campaign": "c1", "date": "2025-09-01", "reached": 1000, "participants": 300, "ugcPosts": 12 },
                { "campaign": "c1", "date": "2025-09-02", "reached": 800, "participants": 200, "ugcPosts": 9 },
            ]),
            correct: 0,
            patch: json!({ "participants": 310 }),
            read_back: "SELECT reached, participants, ugc_posts FROM campaign_daily WHERE date = '2025-09-01'",
            expected: vec![1000, 310, 12],
        }).await;
    }

    async fn staff_daily_is_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        // A fractional replyMinutesTotal must compare equal to what was stored, or the second
        // call would count an update.
        assert_idempotent(&app, &key, Scenario {
            mutation: "recordStaffDaily", input: "StaffDailyInput", table: "staff_daily",
            rows: json!([
                { "account": "wecom", "staff": "zhangsan", "date": "2025-09-01", "chats": 40, "messages": 190,
                  "repliedChats": 25, "replyMinutesTotal": 300.5, "newApplies": 25, "newContacts": 19, "negativeFeedback": 1 },
                { "account": "wecom", "staff": "lisi", "date": "2025-09-01", "chats": 10, "messages": 30,
                  "repliedChats": 10, "replyMinutesTotal": 12.25, "newApplies": 2, "newContacts": 2 },
            ]),
            correct: 0,
            patch: json!({ "repliedChats": 26, "replyMinutesTotal": 312.3 }),
            // 312.3 minutes × 10 = 3123.
            read_back: "SELECT chats, messages, replied_chats, CAST(ROUND(reply_minutes_total * 10) AS BIGINT), \
                        new_applies, new_contacts, negative_feedback FROM staff_daily WHERE staff = 'zhangsan'",
            expected: vec![40, 190, 26, 3123, 25, 19, 1],
        }).await;
    }

    async fn group_daily_is_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        assert_idempotent(&app, &key, Scenario {
            mutation: "recordGroupDaily", input: "GroupDailyInput", table: "group_daily",
            rows: json!([
                { "account": "wecom", "staff": "lisi", "date": "2025-09-01", "groupsTotal": 12, "activeGroups": 7,
                  "membersTotal": 1480, "activeMembers": 215, "newMembers": 30, "messages": 930 },
                { "account": "wecom", "staff": "lisi", "date": "2025-09-02", "groupsTotal": 12, "activeGroups": 9,
                  "membersTotal": 1491, "activeMembers": 240, "newMembers": 18, "messages": 1105 },
            ]),
            correct: 1,
            patch: json!({ "messages": 1110, "activeMembers": 241 }),
            read_back: "SELECT groups_total, active_groups, members_total, active_members, new_members, messages \
                        FROM group_daily WHERE date = '2025-09-02'",
            expected: vec![12, 9, 1491, 241, 18, 1110],
        }).await;
    }

    async fn orders_are_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        // o1's paidAt has nanoseconds, finer than a database timestamp keeps: the second call
        // must still find it unchanged.
        assert_idempotent(&app, &key, Scenario {
            mutation: "recordOrders", input: "OrderInput", table: "orders",
            rows: json!([
                { "key": "o1", "customer": "alice", "paidAt": "2025-09-10T10:00:00.123456789+08:00", "amount": "199.00",
                  "channel": "ads", "campaign": "c1", "account": "oa" },
                { "key": "o2", "customer": "bob", "paidAt": "2025-09-10T16:30:00Z", "amount": "88.5" },
            ]),
            correct: 1,
            patch: json!({ "amount": "88.50", "refundedAmount": "8.5" }),
            // Money is stored in cents: 88.50 → 8850, 8.50 → 850.
            read_back: "SELECT amount, refunded_amount FROM orders WHERE key = 'o2'",
            expected: vec![8850, 850],
        }).await;
        // 16:30 UTC on 2025-09-10 is 00:30 on 2025-09-11 in Shanghai.
        assert_eq!(app.scalar("SELECT COUNT(*) FROM orders WHERE key = 'o2' AND paid_date = '2025-09-11'").await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM customer").await, 2);
    }

    async fn spend_is_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        assert_idempotent(&app, &key, Scenario {
            mutation: "recordSpend", input: "SpendInput", table: "spend",
            rows: json!([
                { "date": "2025-09-01", "amount": "100.00" },
                { "date": "2025-09-01", "amount": "40.50", "channel": "ads" },
                { "date": "2025-09-01", "amount": "7", "channel": "ads", "campaign": "c1" },
                { "date": "2025-09-01", "amount": "8", "campaign": "c1" },
            ]),
            correct: 3,
            patch: json!({ "amount": "9.99" }),
            read_back: "SELECT amount FROM spend WHERE channel_id IS NULL AND campaign_id IS NOT NULL",
            expected: vec![999],
        }).await;
        // 100.00 + 40.50 + 7.00 + 9.99 = 157.49.
        assert_eq!(app.scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM spend").await, 15_749);
    }

    async fn entity_timestamps_finer_than_microseconds_are_idempotent(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        // Timestamps are kept to the microsecond: the same rows again are unchanged on both
        // databases, and the stored instant is the one sent, truncated.
        let contents = json!([{ "key": "a2", "account": "oa", "kind": "LIVE", "title": "Live",
                                "publishedAt": "2025-09-02T20:00:00.987654321+08:00" }]);
        let customers = json!([{ "key": "alice", "firstSeenAt": "2025-09-02T12:00:00.000000999Z" }]);
        for (name, input, rows) in [("upsertContents", "ContentInput", &contents),
                                    ("upsertCustomers", "CustomerInput", &customers)] {
            let query = mutation(name, input);
            assert_eq!(counts(&app.ok(&key, &query, json!({ "r": rows })).await[name]), (1, 0, 0), "{name}");
            assert_eq!(counts(&app.ok(&key, &query, json!({ "r": rows })).await[name]), (0, 0, 1), "{name}");
        }
        let data = app.ok(&key, "{ content(key: \"a2\") { publishedAt } }", json!({})).await;
        let published = chrono::DateTime::parse_from_rfc3339(data["content"]["publishedAt"].as_str().unwrap()).unwrap();
        // 20:00:00.987654321 at +08:00 is 12:00:00.987654 UTC once truncated.
        assert_eq!(published, chrono::DateTime::parse_from_rfc3339("2025-09-02T12:00:00.987654Z").unwrap());
    }
}
