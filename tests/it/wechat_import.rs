//! `importWechat` for every WeChat / WeCom source (SPEC §5), through the GraphQL API: payloads as
//! the platform returns them (tests/fixtures/wechat), facts read back from the database and
//! compared with values worked out by hand from the payloads (the comments show the arithmetic).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, error_code};
use crate::ingest_support::{REPORT, counts, rejected, seed_references, tomorrow_in_shanghai};

/// A payload of tests/fixtures/wechat.
fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/wechat/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn import_query() -> String {
    format!(
        "mutation($s: WechatSource!, $a: String!, $p: JSON!, $staff: String) {{
           importWechat(source: $s, accountKey: $a, payload: $p, staff: $staff) {{ {REPORT} }} }}"
    )
}

/// The whole response of an import by `key`.
async fn import_response(
    app: &TestApp,
    key: &str,
    source: &str,
    account: &str,
    staff: Option<&str>,
    payload: &Value,
) -> Value {
    let variables = json!({ "s": source, "a": account, "p": payload, "staff": staff });
    app.gql(Some(key), &import_query(), variables).await
}

/// Imports into account `oa` (Official Account sources) or `wecom` (with `staff`) and returns
/// the report, failing on any error.
async fn import(
    app: &TestApp,
    key: &str,
    source: &str,
    staff: Option<&str>,
    payload: &Value,
) -> Value {
    let account = if staff.is_some() { "wecom" } else { "oa" };
    let resp = import_response(app, key, source, account, staff, payload).await;
    assert!(
        resp.get("errors").is_none(),
        "{source}: unexpected errors: {resp}"
    );
    resp["data"]["importWechat"].clone()
}

/// An import that must write everything it maps, with the given `(inserted, updated, unchanged)`.
async fn import_ok(
    app: &TestApp,
    key: &str,
    source: &str,
    staff: Option<&str>,
    payload: &Value,
    expected: (i64, i64, i64),
) {
    let report = import(app, key, source, staff, payload).await;
    assert_eq!(rejected(&report), vec![], "{source}: {report}");
    assert_eq!(counts(&report), expected, "{source}: {report}");
}

/// `new_followers, unfollows, total_followers` of account `oa` on `date`.
async fn account_day(app: &TestApp, date: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT new_followers, unfollows, total_followers FROM account_daily d \
         JOIN account a ON a.id = d.account_id WHERE a.key = 'oa' AND d.date = '{date}'"
    );
    app.ints(&sql, 3).await
}

/// Every content-daily column of content `content` on `date`, in the order deliveries, opens,
/// reads, readers, completions, shares, sharers, favorites, likes, comments, clicks.
async fn content_day(app: &TestApp, content: &str, date: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT deliveries, opens, reads, readers, completions, shares, sharers, favorites, likes, comments, clicks \
         FROM content_daily d JOIN content c ON c.id = d.content_id WHERE c.key = '{content}' AND d.date = '{date}'"
    );
    app.ints(&sql, 11).await
}

/// chats, messages, repliedChats, replyMinutesTotal × 10, newApplies, newContacts,
/// negativeFeedback of `staff` (account `wecom`) on `date`.
async fn staff_day(app: &TestApp, staff: &str, date: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT chats, messages, replied_chats, CAST(ROUND(reply_minutes_total * 10) AS BIGINT), new_applies, \
         new_contacts, negative_feedback FROM staff_daily d JOIN account a ON a.id = d.account_id \
         WHERE a.key = 'wecom' AND d.staff = '{staff}' AND d.date = '{date}'"
    );
    app.ints(&sql, 7).await
}

/// groupsTotal, activeGroups, membersTotal, activeMembers, newMembers, messages of owner
/// `staff` (account `wecom`) on `date`.
async fn group_day(app: &TestApp, staff: &str, date: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT groups_total, active_groups, members_total, active_members, new_members, messages \
         FROM group_daily d JOIN account a ON a.id = d.account_id \
         WHERE a.key = 'wecom' AND d.staff = '{staff}' AND d.date = '{date}'"
    );
    app.ints(&sql, 6).await
}

/// Rows of every fact table and of the tables imports may create rows in.
async fn all_rows(app: &TestApp) -> i64 {
    let mut total = 0;
    for table in [
        "account_daily",
        "content_daily",
        "staff_daily",
        "group_daily",
        "content",
    ] {
        total += app.scalar(&format!("SELECT COUNT(*) FROM {table}")).await;
    }
    total
}

/// Checks the facts of getarticletotal.json: the day-to-day differences of its cumulative
/// `details`. Article 3300112233_1 (published 2025-09-03), totals per day:
///
/// | stat_date | target_user | session_read_user | read_count | read_user | share_count | share_user | fav_count | ori_read_count |
/// |---|---|---|---|---|---|---|---|---|
/// | 09-03 | 48000 | 3000 | 5200 | 4100 | 310 | 250 | 60 | 80 |
/// | 09-04 | 48000 | 3900 | 7000 | 5500 | 420 | 330 | 75 | 110 |
/// | 09-05 | 48000 | 4200 | 7600 | 5950 | 450 | 352 | 81 | 118 |
///
/// Article 3300112233_2: 09-03 only, 48000 | 800 | 1000 | 900 | 20 | 18 | 5 | 0.
async fn assert_article_total_facts(app: &TestApp) {
    // The publish date's facts are its totals; deliveries = target_user on that day only.
    assert_eq!(
        content_day(app, "3300112233_1", "2025-09-03").await,
        vec![48000, 3000, 5200, 4100, 0, 310, 250, 60, 0, 0, 80]
    );
    // 3900−3000=900, 7000−5200=1800, 5500−4100=1400, 420−310=110, 330−250=80, 75−60=15, 110−80=30.
    assert_eq!(
        content_day(app, "3300112233_1", "2025-09-04").await,
        vec![0, 900, 1800, 1400, 0, 110, 80, 15, 0, 0, 30]
    );
    // 4200−3900=300, 7600−7000=600, 5950−5500=450, 450−420=30, 352−330=22, 81−75=6, 118−110=8.
    assert_eq!(
        content_day(app, "3300112233_1", "2025-09-05").await,
        vec![0, 300, 600, 450, 0, 30, 22, 6, 0, 0, 8]
    );
    assert_eq!(
        content_day(app, "3300112233_2", "2025-09-03").await,
        vec![48000, 800, 1000, 900, 0, 20, 18, 5, 0, 0, 0]
    );
}

/// `title`, `kind`, `publishedAt` (as an instant) and account key of content `key`.
async fn content(
    app: &TestApp,
    key: &str,
    content: &str,
) -> (String, String, DateTime<Utc>, String) {
    let data = app
        .ok(
            key,
            "query($k: String!) { content(key: $k) { title kind publishedAt account { key } } }",
            json!({ "k": content }),
        )
        .await;
    let c = &data["content"];
    let published = DateTime::parse_from_rfc3339(c["publishedAt"].as_str().unwrap()).unwrap();
    (
        c["title"].as_str().unwrap().to_owned(),
        c["kind"].as_str().unwrap().to_owned(),
        published.with_timezone(&Utc),
        c["account"]["key"].as_str().unwrap().to_owned(),
    )
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

both_backends! {
    async fn oa_user_summary_sums_each_day_over_user_source(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let payload = fixture("getusersummary.json");
        import_ok(&app, &key, "OA_USER_SUMMARY", None, &payload, (2, 0, 0)).await;
        // 09-01: new 5+20+70 = 95, cancel 2+1+4 = 7; no total in this source (0 on a new row).
        assert_eq!(account_day(&app, "2025-09-01").await, vec![95, 7, 0]);
        // 09-02, with an unknown user_source 999 summed too: new 3+44+1 = 48, cancel 6+2+0 = 8.
        assert_eq!(account_day(&app, "2025-09-02").await, vec![48, 8, 0]);
        import_ok(&app, &key, "OA_USER_SUMMARY", None, &payload, (0, 0, 2)).await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM account_daily").await, 2);
    }

    async fn oa_user_cumulate_sets_total_followers(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let payload = fixture("getusercumulate.json");
        import_ok(&app, &key, "OA_USER_CUMULATE", None, &payload, (2, 0, 0)).await;
        assert_eq!(account_day(&app, "2025-09-01").await, vec![0, 0, 50120]);
        assert_eq!(account_day(&app, "2025-09-02").await, vec![0, 0, 50160]);
        import_ok(&app, &key, "OA_USER_CUMULATE", None, &payload, (0, 0, 2)).await;
    }

    async fn user_summary_and_cumulate_keep_each_others_columns(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let summary = fixture("getusersummary.json");
        let cumulate = fixture("getusercumulate.json");
        import_ok(&app, &key, "OA_USER_SUMMARY", None, &summary, (2, 0, 0)).await;
        // The cumulate import adds the totals to the same two rows.
        import_ok(&app, &key, "OA_USER_CUMULATE", None, &cumulate, (0, 2, 0)).await;
        assert_eq!(account_day(&app, "2025-09-01").await, vec![95, 7, 50120]);
        assert_eq!(account_day(&app, "2025-09-02").await, vec![48, 8, 50160]);
        // Either import again zeroes nothing of the other's: all unchanged.
        import_ok(&app, &key, "OA_USER_SUMMARY", None, &summary, (0, 0, 2)).await;
        import_ok(&app, &key, "OA_USER_CUMULATE", None, &cumulate, (0, 0, 2)).await;
        assert_eq!(account_day(&app, "2025-09-01").await, vec![95, 7, 50120]);
        assert_eq!(account_day(&app, "2025-09-02").await, vec![48, 8, 50160]);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM account_daily").await, 2);
    }

    async fn oa_article_total_stores_daily_differences(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let first = fixture("getarticletotal.json");
        // Two new contents and four content-days (3 + 1).
        import_ok(&app, &key, "OA_ARTICLE_TOTAL", None, &first, (6, 0, 0)).await;
        assert_article_total_facts(&app).await;
        // The contents were created from msgid and title, published on ref_date at 00:00 in
        // China (16:00 UTC the day before).
        assert_eq!(content(&app, &key, "3300112233_1").await,
                   ("秋季新品预告".to_owned(), "ARTICLE".to_owned(), instant("2025-09-02T16:00:00Z"), "oa".to_owned()));
        assert_eq!(content(&app, &key, "3300112233_2").await.0, "会员积分规则更新");

        // The same payload again: the same facts, nothing written.
        import_ok(&app, &key, "OA_ARTICLE_TOTAL", None, &first, (0, 0, 4)).await;
        assert_article_total_facts(&app).await;

        // A later, overlapping payload (details of article 2 out of order): the four known days
        // are unchanged, four new days are inserted.
        import_ok(&app, &key, "OA_ARTICLE_TOTAL", None, &fixture("getarticletotal_later.json"), (4, 0, 4)).await;
        assert_article_total_facts(&app).await;
        // Article 1, totals 09-06: 4310 | 7800 | 6100 | 458 | 358 | 83 | 121; 09-07: 4350 | 7890 | 6160 | 461 | 360 | 84 | 122.
        // 09-06: 4310−4200=110, 7800−7600=200, 6100−5950=150, 458−450=8, 358−352=6, 83−81=2, 121−118=3.
        assert_eq!(content_day(&app, "3300112233_1", "2025-09-06").await, vec![0, 110, 200, 150, 0, 8, 6, 2, 0, 0, 3]);
        // 09-07: 4350−4310=40, 7890−7800=90, 6160−6100=60, 461−458=3, 360−358=2, 84−83=1, 122−121=1.
        assert_eq!(content_day(&app, "3300112233_1", "2025-09-07").await, vec![0, 40, 90, 60, 0, 3, 2, 1, 0, 0, 1]);
        // Article 2, totals 09-04: 950 | 1230 | 1090 | 26 | 23 | 6 | 0; 09-05: 990 | 1300 | 1150 | 27 | 24 | 6 | 0.
        // 09-04: 950−800=150, 1230−1000=230, 1090−900=190, 26−20=6, 23−18=5, 6−5=1, 0.
        assert_eq!(content_day(&app, "3300112233_2", "2025-09-04").await, vec![0, 150, 230, 190, 0, 6, 5, 1, 0, 0, 0]);
        // 09-05: 990−950=40, 1300−1230=70, 1150−1090=60, 27−26=1, 24−23=1, 6−6=0, 0.
        assert_eq!(content_day(&app, "3300112233_2", "2025-09-05").await, vec![0, 40, 70, 60, 0, 1, 1, 0, 0, 0, 0]);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content_daily").await, 8);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content").await, 3, "a1 and the two articles");
        // The daily reads of article 1 add up to its last cumulative total:
        // 5200 + 1800 + 600 + 200 + 90 = 7890.
        assert_eq!(app.scalar("SELECT CAST(SUM(reads) AS BIGINT) FROM content_daily d JOIN content c \
                               ON c.id = d.content_id WHERE c.key = '3300112233_1'").await, 7890);
    }

    async fn article_import_never_overwrites_a_known_content(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        app.ok(&key, "mutation { upsertContents(rows: [{key: \"3300112233_1\", account: \"oa\", kind: ARTICLE, \
                      title: \"Autumn preview\", publishedAt: \"2025-09-03T09:30:00+08:00\", campaign: \"c1\"}]) { inserted } }",
               json!({})).await;
        // One new content (article 2) and four content-days.
        import_ok(&app, &key, "OA_ARTICLE_TOTAL", None, &fixture("getarticletotal.json"), (5, 0, 0)).await;
        assert_eq!(content(&app, &key, "3300112233_1").await,
                   ("Autumn preview".to_owned(), "ARTICLE".to_owned(), instant("2025-09-03T01:30:00Z"), "oa".to_owned()));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM content c JOIN campaign k ON k.id = c.campaign_id \
                               WHERE c.key = '3300112233_1' AND k.key = 'c1'").await, 1);
        assert_article_total_facts(&app).await;
    }

    async fn oa_article_summary_stores_daily_values(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let payload = fixture("getarticlesummary.json");
        // Two new contents and two content-days.
        import_ok(&app, &key, "OA_ARTICLE_SUMMARY", None, &payload, (4, 0, 0)).await;
        // Daily values as sent; no deliveries or opens in this source (0 on a new row).
        assert_eq!(content_day(&app, "3300112233_1", "2025-09-04").await, vec![0, 0, 1800, 1400, 0, 110, 80, 15, 0, 0, 30]);
        assert_eq!(content_day(&app, "3300109876_2", "2025-09-04").await, vec![0, 0, 70, 61, 0, 3, 3, 2, 0, 0, 0]);
        // Only the first day it was read is known: published 2025-09-04 00:00 in China.
        assert_eq!(content(&app, &key, "3300109876_2").await,
                   ("会员日回顾".to_owned(), "ARTICLE".to_owned(), instant("2025-09-03T16:00:00Z"), "oa".to_owned()));
        import_ok(&app, &key, "OA_ARTICLE_SUMMARY", None, &payload, (0, 0, 2)).await;
    }

    async fn article_summary_after_total_agrees_and_keeps_opens(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        import_ok(&app, &key, "OA_ARTICLE_TOTAL", None, &fixture("getarticletotal.json"), (6, 0, 0)).await;
        // The summary's 09-04 values of article 1 equal the total's differences (1800 reads,
        // 1400 readers, 110 shares, 80 sharers, 15 favorites, 30 clicks): unchanged. Article
        // 3300109876_2 is new: one content, one content-day.
        import_ok(&app, &key, "OA_ARTICLE_SUMMARY", None, &fixture("getarticlesummary.json"), (2, 0, 1)).await;
        // The opens (3900−3000 = 900) that only the total provides are kept.
        assert_eq!(content_day(&app, "3300112233_1", "2025-09-04").await, vec![0, 900, 1800, 1400, 0, 110, 80, 15, 0, 0, 30]);
        assert_article_total_facts(&app).await;
    }

    async fn wecom_user_behavior_derives_replies(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let payload = fixture("get_user_behavior_data.json");
        import_ok(&app, &key, "WECOM_USER_BEHAVIOR", Some("zhangsan"), &payload, (3, 0, 0)).await;
        // stat_time 1756656000 = 2025-08-31T16:00:00Z = 2025-09-01 00:00 in China.
        // repliedChats = round(40 × 62.5 / 100) = 25; replyMinutesTotal = 12 × 25 = 300 (×10 = 3000).
        assert_eq!(staff_day(&app, "zhangsan", "2025-09-01").await, vec![40, 190, 25, 3000, 25, 19, 1]);
        // +86400 s: 2025-09-02. repliedChats = round(33 × 100 / 100) = 33; minutes = 7 × 33 = 231.
        assert_eq!(staff_day(&app, "zhangsan", "2025-09-02").await, vec![33, 150, 33, 2310, 12, 15, 0]);
        // 2025-09-03: no chats, so no reply_percentage / avg_reply_time: 0 replies, 0 minutes.
        assert_eq!(staff_day(&app, "zhangsan", "2025-09-03").await, vec![0, 0, 0, 0, 3, 2, 0]);
        import_ok(&app, &key, "WECOM_USER_BEHAVIOR", Some("zhangsan"), &payload, (0, 0, 3)).await;

        // Rounding half away from zero, fractional minutes, and missing fields as 0.
        let handwritten = json!({ "errcode": 0, "errmsg": "ok", "behavior_data": [
            { "stat_time": 1756656000, "chat_cnt": 3, "reply_percentage": 50, "avg_reply_time": 2.25 },
            { "stat_time": 1756742400, "new_apply_cnt": 1 }
        ]});
        import_ok(&app, &key, "WECOM_USER_BEHAVIOR", Some("lisi"), &handwritten, (2, 0, 0)).await;
        // round(3 × 50 / 100) = round(1.5) = 2; 2.25 × 2 = 4.5 minutes (×10 = 45).
        assert_eq!(staff_day(&app, "lisi", "2025-09-01").await, vec![3, 0, 2, 45, 0, 0, 0]);
        assert_eq!(staff_day(&app, "lisi", "2025-09-02").await, vec![0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM staff_daily").await, 5);
    }

    async fn wecom_groupchat_by_day_stores_the_owners_groups(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        let payload = fixture("groupchat_statistic_group_by_day.json");
        import_ok(&app, &key, "WECOM_GROUPCHAT_BY_DAY", Some("lisi"), &payload, (2, 0, 0)).await;
        // chat_total, chat_has_msg, member_total, member_has_msg, new_member_cnt, msg_total;
        // new_chat_cnt and migrate_trainee_chat_cnt have no column.
        assert_eq!(group_day(&app, "lisi", "2025-09-01").await, vec![12, 7, 1480, 215, 30, 930]);
        assert_eq!(group_day(&app, "lisi", "2025-09-02").await, vec![12, 9, 1491, 240, 18, 1105]);
        import_ok(&app, &key, "WECOM_GROUPCHAT_BY_DAY", Some("lisi"), &payload, (0, 0, 2)).await;
    }

    async fn unknown_extra_fields_are_ignored(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        // Fields WeChat might add, at every level; the fixtures already carry some the mapping
        // does not use (source_label, moments_like_cnt, url, is_delay, feed_share_*).
        let mut payload = fixture("groupchat_statistic_group_by_day.json");
        payload["next_cursor"] = json!("abc");
        payload["items"][0]["owner"] = json!({ "userid": "lisi" });
        payload["items"][0]["data"]["chat_has_msg_ratio"] = json!(0.58);
        payload["items"][1]["data"]["new_field"] = json!([1, 2, 3]);
        import_ok(&app, &key, "WECOM_GROUPCHAT_BY_DAY", Some("lisi"), &payload, (2, 0, 0)).await;
        assert_eq!(group_day(&app, "lisi", "2025-09-01").await, vec![12, 7, 1480, 215, 30, 930]);
        assert_eq!(group_day(&app, "lisi", "2025-09-02").await, vec![12, 9, 1491, 240, 18, 1105]);

        let mut payload = fixture("getusercumulate.json");
        payload["list"][0]["cumulate_user_v2"] = json!({ "nested": true });
        import_ok(&app, &key, "OA_USER_CUMULATE", None, &payload, (2, 0, 0)).await;
        assert_eq!(account_day(&app, "2025-09-01").await, vec![0, 0, 50120]);
    }

    async fn error_envelopes_are_refused_with_the_platform_code(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        for (source, staff, file, errcode) in [
            ("OA_USER_SUMMARY", None, "error_datacube_45009.json", 45009),
            ("OA_ARTICLE_TOTAL", None, "error_datacube_45009.json", 45009),
            ("WECOM_USER_BEHAVIOR", Some("zhangsan"), "error_wecom_600018.json", 600018),
        ] {
            let payload = fixture(file);
            let account = if staff.is_some() { "wecom" } else { "oa" };
            let resp = import_response(&app, &key, source, account, staff, &payload).await;
            assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{source}: {resp}");
            let extensions = &resp["errors"][0]["extensions"];
            assert_eq!(extensions["platformErrcode"], errcode, "{source}: {resp}");
            // The message as the platform sent it, rid and hint included.
            assert_eq!(extensions["platformErrmsg"], payload["errmsg"], "{source}: {resp}");
            assert!(resp["data"].is_null(), "{source}: {resp}");
        }
        assert_eq!(all_rows(&app).await, 1, "only the seeded content a1");
    }

    async fn wecom_sources_need_staff(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        for (source, file) in [("WECOM_USER_BEHAVIOR", "get_user_behavior_data.json"),
                               ("WECOM_GROUPCHAT_BY_DAY", "groupchat_statistic_group_by_day.json")] {
            for staff in [None, Some("  ")] {
                let resp = import_response(&app, &key, source, "wecom", staff, &fixture(file)).await;
                assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{source} {staff:?}: {resp}");
                let message = resp["errors"][0]["message"].as_str().unwrap();
                assert!(message.contains("staff"), "{source}: the message says what is missing: {message}");
            }
        }
        assert_eq!(all_rows(&app).await, 1, "only the seeded content a1");
    }

    async fn import_with_a_read_key_is_forbidden(app: TestApp) {
        let admin = app.workspace("acme").await;
        seed_references(&app, &admin).await;
        let read = app.key(&admin, "READ").await;
        let resp = import_response(&app, &read, "OA_USER_SUMMARY", "oa", None, &fixture("getusersummary.json")).await;
        assert_eq!(error_code(&resp), "FORBIDDEN", "{resp}");
        assert_eq!(all_rows(&app).await, 1, "only the seeded content a1");
        // A WRITE key may import.
        let write = app.key(&admin, "WRITE").await;
        import_ok(&app, &write, "OA_USER_SUMMARY", None, &fixture("getusersummary.json"), (2, 0, 0)).await;
    }

    async fn rows_a_payload_maps_to_are_validated_like_any_other(app: TestApp) {
        let key = app.workspace("acme").await;
        seed_references(&app, &key).await;
        // An unknown account: every row refers to it, nothing is written.
        let resp = import_response(&app, &key, "OA_USER_SUMMARY", "ghost", None, &fixture("getusersummary.json")).await;
        let report = &resp["data"]["importWechat"];
        assert_eq!(rejected(report), vec![(0, "account".to_owned(), "UNKNOWN_REFERENCE".to_owned()),
                                          (1, "account".to_owned(), "UNKNOWN_REFERENCE".to_owned())], "{resp}");
        assert_eq!(counts(report), (0, 0, 0));
        // An article import for an unknown account creates no content either.
        let resp = import_response(&app, &key, "OA_ARTICLE_TOTAL", "ghost", None, &fixture("getarticletotal.json")).await;
        assert_eq!(counts(&resp["data"]["importWechat"]), (0, 0, 0), "{resp}");
        assert_eq!(all_rows(&app).await, 1, "only the seeded content a1");

        // A day after today in Shanghai: that row is refused, and with it the whole import.
        let payload = json!({ "list": [
            { "ref_date": "2025-09-01", "user_source": 0, "cumulate_user": 50120 },
            { "ref_date": tomorrow_in_shanghai().to_string(), "user_source": 0, "cumulate_user": 50160 }
        ]});
        let report = import(&app, &key, "OA_USER_CUMULATE", None, &payload).await;
        assert_eq!(rejected(&report), vec![(1, "date".to_owned(), "DATE_IN_FUTURE".to_owned())]);
        assert_eq!(counts(&report), (0, 0, 0));

        // A cumulative total that went down (5200 then 5100 reads) gives a negative daily value:
        // refused as NEGATIVE, not clamped to 0.
        let payload = json!({ "list": [{ "ref_date": "2025-09-03", "msgid": "m1", "title": "T", "details": [
            { "stat_date": "2025-09-03", "target_user": 100, "int_page_read_count": 5200 },
            { "stat_date": "2025-09-04", "target_user": 100, "int_page_read_count": 5100 }
        ]}]});
        let report = import(&app, &key, "OA_ARTICLE_TOTAL", None, &payload).await;
        assert_eq!(rejected(&report), vec![(1, "reads".to_owned(), "NEGATIVE".to_owned())]);
        assert_eq!(counts(&report), (0, 0, 0));
        assert_eq!(all_rows(&app).await, 1, "only the seeded content a1");
    }
}
