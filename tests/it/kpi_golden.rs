//! Golden values of every KPI of the catalog on one small fixture (March 2026, Asia/Shanghai),
//! worked out by hand: totals, grouping by every dimension each family supports, numerators and
//! denominators, statuses against the default thresholds and after `setKpiThresholds`.
//!
//! Each family has its own test; `GOLDEN` lists the KPIs they cover and a test checks that the
//! list is the whole catalog.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::both_backends;
use crate::kpi_support::{
    CRITICAL, Expect, NO_DATA, OK, Report, WARNING, amount, check, derived, ingest, ratio, report,
    set_thresholds, with,
};
use crate::{Backend, TestApp};

const CONTENT: [&str; 6] = [
    "OPEN_RATE",
    "READ_THROUGH_RATE",
    "SHARE_COEFFICIENT",
    "SHARE_CONVERSION_RATE",
    "INTERACTION_RATE",
    "CLICK_THROUGH_RATE",
];
const FOLLOWERS: [&str; 4] = [
    "NEW_FOLLOWERS",
    "UNFOLLOWS",
    "NET_FOLLOWERS",
    "UNFOLLOW_RATE",
];
const FUNNEL: [&str; 1] = ["PAYMENT_CONVERSION"];
const ORDERS: [&str; 5] = ["GMV", "REVENUE", "ORDERS", "BUYERS", "AOV"];
const SPEND: [&str; 2] = ["SPEND", "ROI"];
const ACQUISITION: [&str; 5] = [
    "NEW_CUSTOMERS",
    "CAC",
    "LTV",
    "LTV_CAC_RATIO",
    "REPURCHASE_RATE_3M",
];
const CAMPAIGN: [&str; 2] = ["PARTICIPATION_RATE", "UGC_POSTS"];
const WECOM: [&str; 5] = [
    "FRIEND_ACCEPT_RATE",
    "REPLY_RATE",
    "AVG_REPLY_MINUTES",
    "NEGATIVE_FEEDBACK",
    "GROUP_ACTIVITY_RATE",
];

/// The KPIs the golden tests below cover.
const GOLDEN: [&[&str]; 8] = [
    &CONTENT,
    &FOLLOWERS,
    &FUNNEL,
    &ORDERS,
    &SPEND,
    &ACQUISITION,
    &CAMPAIGN,
    &WECOM,
];

/// The whole range of the fixture's March facts; a TOTAL report over it has one period.
const MARCH: &str = "2026-03-01..2026-03-31";

fn march(kpis: &[&str], group_by: &[&str]) -> Value {
    json!({
        "kpis": kpis,
        "range": { "from": "2026-03-01", "to": "2026-03-31" },
        "groupBy": group_by,
    })
}

/// The fixture: three accounts of content and followers, two WeCom corps, three campaigns of
/// the three kinds, three channels, four customers with nine orders, and March spend.
async fn seed(app: &crate::TestApp) -> String {
    let key = app.workspace("acme").await;
    ingest(
        app,
        &key,
        "upsertAccounts",
        json!([
            { "key": "oa", "kind": "SERVICE_ACCOUNT", "name": "Acme OA" },
            { "key": "ch", "kind": "CHANNELS", "name": "Acme Channels" },
            { "key": "wc", "kind": "WECOM", "name": "Acme WeCom" },
            { "key": "wc2", "kind": "WECOM", "name": "Acme WeCom South" },
        ]),
    )
    .await;
    ingest(
        app,
        &key,
        "upsertChannels",
        json!([
            { "key": "qr", "name": "Store QR" },
            { "key": "ads", "name": "Moments Ads" },
            { "key": "search", "name": "Search Ads" },
        ]),
    )
    .await;
    ingest(app, &key, "upsertCampaigns", json!([
        { "key": "spring", "kind": "PROMOTION", "name": "Spring Sale", "startsOn": "2026-03-01", "endsOn": "2026-03-31" },
        { "key": "photo", "kind": "INTERACTION", "name": "Photo Contest", "startsOn": "2026-03-01", "endsOn": "2026-03-31" },
        { "key": "brand", "kind": "BRAND", "name": "Brand Week", "startsOn": "2026-03-01", "endsOn": "2026-03-31" },
    ])).await;
    ingest(app, &key, "upsertContents", json!([
        { "key": "a1", "account": "oa", "kind": "ARTICLE", "title": "Spring launch", "publishedAt": "2026-03-01T09:00:00+08:00", "campaign": "spring" },
        { "key": "a2", "account": "oa", "kind": "ARTICLE", "title": "Weekly digest", "publishedAt": "2026-03-01T09:00:00+08:00" },
        { "key": "v1", "account": "ch", "kind": "SHORT_VIDEO", "title": "Photo tips", "publishedAt": "2026-03-01T09:00:00+08:00", "campaign": "photo" },
    ])).await;
    ingest(app, &key, "recordContentDaily", json!([
        { "content": "a1", "date": "2026-03-02", "deliveries": 1000, "opens": 200, "reads": 400, "readers": 300, "completions": 100, "shares": 40, "sharers": 30, "likes": 20, "comments": 10, "favorites": 5, "clicks": 8 },
        { "content": "a1", "date": "2026-03-03", "deliveries": 500, "opens": 150, "reads": 100, "readers": 90, "completions": 50, "shares": 10, "sharers": 8, "likes": 5, "comments": 0, "favorites": 5, "clicks": 2 },
        { "content": "a2", "date": "2026-03-02", "deliveries": 1000, "opens": 100, "reads": 100, "readers": 80, "completions": 10, "shares": 5, "sharers": 5, "likes": 2, "comments": 1, "favorites": 1, "clicks": 4 },
        // A short video is not delivered to an audience: no deliveries, so no open rate.
        { "content": "v1", "date": "2026-03-04", "deliveries": 0, "opens": 0, "reads": 1000, "readers": 800, "completions": 400, "shares": 200, "sharers": 150, "likes": 100, "comments": 50, "favorites": 30, "clicks": 20 },
    ])).await;
    ingest(app, &key, "recordAccountDaily", json!([
        // Followers at the start of the day = total − new + unfollows: 1000, 1030, 500, 100.
        { "account": "oa", "date": "2026-03-02", "newFollowers": 50, "unfollows": 20, "totalFollowers": 1030 },
        { "account": "oa", "date": "2026-03-03", "newFollowers": 30, "unfollows": 10, "totalFollowers": 1050 },
        { "account": "ch", "date": "2026-03-02", "newFollowers": 100, "unfollows": 5, "totalFollowers": 595 },
        { "account": "wc", "date": "2026-03-04", "newFollowers": 0, "unfollows": 3, "totalFollowers": 97 },
    ])).await;
    ingest(app, &key, "recordFunnelDaily", json!([
        { "account": "oa", "campaign": "spring", "date": "2026-03-02", "visits": 200, "checkouts": 40, "payments": 20 },
        { "account": "oa", "date": "2026-03-03", "visits": 100, "checkouts": 10, "payments": 2 },
        { "account": "ch", "campaign": "photo", "date": "2026-03-02", "visits": 50, "checkouts": 5, "payments": 1 },
    ])).await;
    ingest(app, &key, "recordCampaignDaily", json!([
        { "campaign": "spring", "date": "2026-03-02", "reached": 1000, "participants": 250, "ugcPosts": 40 },
        { "campaign": "photo", "date": "2026-03-02", "reached": 500, "participants": 100, "ugcPosts": 150 },
        { "campaign": "photo", "date": "2026-03-03", "reached": 500, "participants": 200, "ugcPosts": 30 },
        { "campaign": "brand", "date": "2026-03-05", "reached": 2000, "participants": 100, "ugcPosts": 60 },
    ])).await;
    ingest(app, &key, "recordStaffDaily", json!([
        { "account": "wc", "staff": "zhang", "date": "2026-03-02", "chats": 10, "messages": 40, "repliedChats": 8, "replyMinutesTotal": 24, "newApplies": 5, "newContacts": 4, "negativeFeedback": 1 },
        { "account": "wc", "staff": "zhang", "date": "2026-03-03", "chats": 20, "messages": 70, "repliedChats": 12, "replyMinutesTotal": 60.5, "newApplies": 10, "newContacts": 5, "negativeFeedback": 0 },
        { "account": "wc", "staff": "li", "date": "2026-03-02", "chats": 5, "messages": 9, "repliedChats": 5, "replyMinutesTotal": 10, "newApplies": 0, "newContacts": 0, "negativeFeedback": 2 },
        // The same userid in another corp is another member of staff.
        { "account": "wc2", "staff": "zhang", "date": "2026-03-02", "chats": 4, "messages": 6, "repliedChats": 1, "replyMinutesTotal": 30, "newApplies": 2, "newContacts": 2, "negativeFeedback": 0 },
    ])).await;
    ingest(app, &key, "recordGroupDaily", json!([
        { "account": "wc", "staff": "zhang", "date": "2026-03-02", "groupsTotal": 3, "activeGroups": 2, "membersTotal": 300, "activeMembers": 90, "newMembers": 12, "messages": 400 },
        { "account": "wc", "staff": "zhang", "date": "2026-03-03", "groupsTotal": 3, "activeGroups": 3, "membersTotal": 310, "activeMembers": 124, "newMembers": 10, "messages": 500 },
        { "account": "wc", "staff": "li", "date": "2026-03-02", "groupsTotal": 1, "activeGroups": 1, "membersTotal": 100, "activeMembers": 10, "newMembers": 0, "messages": 20 },
    ])).await;
    ingest(
        app,
        &key,
        "recordSpend",
        json!([
            { "date": "2026-03-02", "amount": "300.00", "channel": "qr", "campaign": "spring" },
            { "date": "2026-03-03", "amount": "200.00", "channel": "ads" },
            { "date": "2026-03-10", "amount": "100.00", "channel": "ads", "campaign": "spring" },
            // Search spends and acquires nobody: a group present on the spend side only.
            { "date": "2026-03-15", "amount": "50.00", "channel": "search" },
        ]),
    )
    .await;
    ingest(app, &key, "recordOrders", json!([
        // Dave's first order is in February: he buys in March but is not a March customer.
        { "key": "o7", "customer": "dave", "paidAt": "2026-02-10T12:00:00+08:00", "amount": "60.00", "channel": "ads", "account": "ch" },
        { "key": "o1", "customer": "alice", "paidAt": "2026-03-02T10:00:00+08:00", "amount": "200.00", "channel": "qr", "campaign": "spring", "account": "oa" },
        { "key": "o2", "customer": "bob", "paidAt": "2026-03-05T12:00:00+08:00", "amount": "100.00", "refundedAmount": "20.00", "channel": "qr", "account": "ch" },
        { "key": "o8", "customer": "dave", "paidAt": "2026-03-08T12:00:00+08:00", "amount": "90.00", "channel": "qr", "account": "ch" },
        { "key": "o3", "customer": "carol", "paidAt": "2026-03-20T09:00:00+08:00", "amount": "300.00", "channel": "ads", "campaign": "spring", "account": "oa" },
        { "key": "o4", "customer": "alice", "paidAt": "2026-03-25T20:00:00+08:00", "amount": "50.00", "channel": "ads", "account": "oa" },
        // After March: they count for LTV and repurchase of the March cohort, not for March sales.
        { "key": "o5", "customer": "alice", "paidAt": "2026-05-10T12:00:00+08:00", "amount": "80.00", "channel": "qr", "account": "oa" },
        { "key": "o6", "customer": "carol", "paidAt": "2026-06-01T12:00:00+08:00", "amount": "40.00", "channel": "ads", "account": "oa" },
        { "key": "o10", "customer": "carol", "paidAt": "2026-07-15T12:00:00+08:00", "amount": "100.00", "channel": "ads", "account": "oa" },
    ])).await;
    key
}

/// Checks every value of `kpis` in the row `keys` of the TOTAL report `data` and, for an
/// ungrouped report, the totals too (they are the same numbers).
fn check_row(data: &Report, keys: &[&str], kpis: &[&str], expect: impl Fn(&str) -> Expect) {
    for kpi in kpis {
        check(
            data.value(MARCH, keys, kpi),
            expect(kpi),
            &format!("{kpi} {keys:?}"),
        );
        if keys.is_empty() {
            check(data.total(kpi), expect(kpi), &format!("{kpi} total"));
        }
    }
}

/// Checks that the rows of `data` are exactly the groups `keys`, in this order.
fn check_groups(data: &Report, keys: &[&[&str]]) {
    let expected: Vec<(String, Vec<String>)> = keys
        .iter()
        .map(|k| (MARCH.to_string(), k.iter().map(|s| s.to_string()).collect()))
        .collect();
    assert_eq!(data.layout(), expected);
}

/// The Σ of the content counts over some rows, with the statuses of the two content KPIs that
/// have a default threshold.
struct ContentSums {
    deliveries: f64,
    opens: f64,
    reads: f64,
    completions: f64,
    shares: f64,
    sharers: f64,
    /// likes + comments + shares + favorites.
    interactions: f64,
    clicks: f64,
    /// READ_THROUGH_RATE: warning below 0.20.
    read_through: &'static str,
    /// SHARE_COEFFICIENT: warning below 0.15.
    share_coefficient: &'static str,
}

impl ContentSums {
    fn expect(&self, kpi: &str) -> Expect {
        let open_status = if self.deliveries == 0.0 { NO_DATA } else { OK };
        match kpi {
            "OPEN_RATE" => ratio(self.opens, self.deliveries, open_status),
            "READ_THROUGH_RATE" => ratio(self.completions, self.reads, self.read_through),
            "SHARE_COEFFICIENT" => ratio(self.shares, self.reads, self.share_coefficient),
            "SHARE_CONVERSION_RATE" => ratio(self.sharers, self.reads, OK),
            "INTERACTION_RATE" => ratio(self.interactions, self.reads, OK),
            "CLICK_THROUGH_RATE" => ratio(self.clicks, self.reads, OK),
            other => panic!("{other} is not a content KPI"),
        }
    }
}

// a1 = 03-02 + 03-03: deliveries 1000+500, opens 200+150, reads 400+100, completions 100+50,
// shares 40+10, sharers 30+8, interactions (20+10+40+5)+(5+0+10+5) = 75+20, clicks 8+2.
// Read-through 150/500 = 0.30 (OK); share coefficient 50/500 = 0.10 (< 0.15: WARNING).
const A1: ContentSums = ContentSums {
    deliveries: 1500.0,
    opens: 350.0,
    reads: 500.0,
    completions: 150.0,
    shares: 50.0,
    sharers: 38.0,
    interactions: 95.0,
    clicks: 10.0,
    read_through: OK,
    share_coefficient: WARNING,
};
// a2: interactions 2+1+5+1 = 9. Read-through 10/100 = 0.10 (WARNING); share 5/100 (WARNING).
const A2: ContentSums = ContentSums {
    deliveries: 1000.0,
    opens: 100.0,
    reads: 100.0,
    completions: 10.0,
    shares: 5.0,
    sharers: 5.0,
    interactions: 9.0,
    clicks: 4.0,
    read_through: WARNING,
    share_coefficient: WARNING,
};
// v1: interactions 100+50+200+30 = 380. Read-through 400/1000 = 0.40; share 200/1000 = 0.20.
const V1: ContentSums = ContentSums {
    deliveries: 0.0,
    opens: 0.0,
    reads: 1000.0,
    completions: 400.0,
    shares: 200.0,
    sharers: 150.0,
    interactions: 380.0,
    clicks: 20.0,
    read_through: OK,
    share_coefficient: OK,
};
// oa = a1 + a2: deliveries 2500, opens 450, reads 600, completions 160 (160/600 = 0.27, OK),
// shares 55 (55/600 = 0.09, WARNING), sharers 43, interactions 104, clicks 14.
const OA: ContentSums = ContentSums {
    deliveries: 2500.0,
    opens: 450.0,
    reads: 600.0,
    completions: 160.0,
    shares: 55.0,
    sharers: 43.0,
    interactions: 104.0,
    clicks: 14.0,
    read_through: OK,
    share_coefficient: WARNING,
};
// All = oa + v1: reads 600+1000 = 1600, completions 160+400 = 560 (0.35, OK), shares 55+200 =
// 255 (0.159, OK), sharers 43+150 = 193, interactions 104+380 = 484, clicks 14+20 = 34.
const ALL_CONTENT: ContentSums = ContentSums {
    deliveries: 2500.0,
    opens: 450.0,
    reads: 1600.0,
    completions: 560.0,
    shares: 255.0,
    sharers: 193.0,
    interactions: 484.0,
    clicks: 34.0,
    read_through: OK,
    share_coefficient: OK,
};

both_backends! {
    async fn golden_tests_cover_the_whole_catalog(app: TestApp) {
        let key = app.workspace("acme").await;
        let catalog = app.ok(&key, "{ kpiCatalog { key } }", json!({})).await;
        let mut catalog: Vec<String> = catalog["kpiCatalog"].as_array().unwrap().iter()
            .map(|k| k["key"].as_str().unwrap().to_string()).collect();
        let mut golden: Vec<String> = GOLDEN.iter().flat_map(|f| f.iter()).map(|k| k.to_string()).collect();
        catalog.sort();
        golden.sort();
        assert_eq!(golden, catalog);
        assert_eq!(golden.len(), 30);
    }

    async fn content_kpis_in_total_and_by_every_content_dimension(app: TestApp) {
        let key = seed(&app).await;
        let total = report(&app, &key, march(&CONTENT, &[])).await;
        check_groups(&total, &[&[]]);
        check_row(&total, &[], &CONTENT, |k| ALL_CONTENT.expect(k));

        let by_content = report(&app, &key, march(&CONTENT, &["CONTENT"])).await;
        check_groups(&by_content, &[&["a1"], &["a2"], &["v1"]]);
        for (keys, sums) in [(["a1"], &A1), (["a2"], &A2), (["v1"], &V1)] {
            check_row(&by_content, &keys, &CONTENT, |k| sums.expect(k));
        }
        let label = &by_content.row(MARCH, &["v1"])["dimensions"][0];
        assert_eq!(*label, json!({ "dimension": "CONTENT", "key": "v1", "label": "Photo tips" }));
        // Totals ignore groupBy: the same as the ungrouped report.
        for kpi in CONTENT {
            check(by_content.total(kpi), ALL_CONTENT.expect(kpi), kpi);
        }

        let by_account = report(&app, &key, march(&CONTENT, &["ACCOUNT"])).await;
        check_groups(&by_account, &[&["ch"], &["oa"]]);
        check_row(&by_account, &["oa"], &CONTENT, |k| OA.expect(k));
        check_row(&by_account, &["ch"], &CONTENT, |k| V1.expect(k));
        assert_eq!(by_account.row(MARCH, &["oa"])["dimensions"][0]["label"], "Acme OA");

        let by_kind = report(&app, &key, march(&CONTENT, &["CONTENT_KIND"])).await;
        check_groups(&by_kind, &[&["ARTICLE"], &["SHORT_VIDEO"]]);
        check_row(&by_kind, &["ARTICLE"], &CONTENT, |k| OA.expect(k));
        check_row(&by_kind, &["SHORT_VIDEO"], &CONTENT, |k| V1.expect(k));
        assert_eq!(by_kind.row(MARCH, &["ARTICLE"])["dimensions"][0]["label"], "ARTICLE");

        // a2 has no campaign: its group has an empty key and no label, and sorts first.
        let by_campaign = report(&app, &key, march(&CONTENT, &["CAMPAIGN"])).await;
        check_groups(&by_campaign, &[&[""], &["photo"], &["spring"]]);
        check_row(&by_campaign, &[""], &CONTENT, |k| A2.expect(k));
        check_row(&by_campaign, &["photo"], &CONTENT, |k| V1.expect(k));
        check_row(&by_campaign, &["spring"], &CONTENT, |k| A1.expect(k));
        assert_eq!(by_campaign.row(MARCH, &[""])["dimensions"][0]["label"], Value::Null);
        assert_eq!(by_campaign.row(MARCH, &["spring"])["dimensions"][0]["label"], "Spring Sale");

        // Two dimensions at once: (account, kind) keys, ordered by account then kind.
        let two = report(&app, &key, march(&["OPEN_RATE"], &["ACCOUNT", "CONTENT_KIND"])).await;
        check_groups(&two, &[&["ch", "SHORT_VIDEO"], &["oa", "ARTICLE"]]);
        check(two.value(MARCH, &["oa", "ARTICLE"], "OPEN_RATE"), ratio(450.0, 2500.0, OK), "oa ARTICLE");

        // Thresholds set by the workspace replace the defaults (none for OPEN_RATE, 0.20 for
        // READ_THROUGH_RATE): OPEN_RATE warning below 0.30, critical below 0.15.
        set_thresholds(&app, &key, "OPEN_RATE", Some(0.30), Some(0.15)).await;
        set_thresholds(&app, &key, "READ_THROUGH_RATE", None, Some(0.35)).await;
        let after = report(&app, &key, march(&["OPEN_RATE", "READ_THROUGH_RATE"], &["CONTENT"])).await;
        // a1 350/1500 = 0.233 (WARNING), a2 100/1000 = 0.10 (CRITICAL), v1 no deliveries.
        check(after.value(MARCH, &["a1"], "OPEN_RATE"), ratio(350.0, 1500.0, WARNING), "a1");
        check(after.value(MARCH, &["a2"], "OPEN_RATE"), ratio(100.0, 1000.0, CRITICAL), "a2");
        check(after.value(MARCH, &["v1"], "OPEN_RATE"), ratio(0.0, 0.0, NO_DATA), "v1");
        // Read-through: a1 0.30 < 0.35 (CRITICAL), a2 0.10 (CRITICAL), v1 0.40 (OK); total
        // 560/1600 = 0.35 is not below 0.35 (OK).
        check(after.value(MARCH, &["a1"], "READ_THROUGH_RATE"), ratio(150.0, 500.0, CRITICAL), "a1");
        check(after.value(MARCH, &["a2"], "READ_THROUGH_RATE"), ratio(10.0, 100.0, CRITICAL), "a2");
        check(after.value(MARCH, &["v1"], "READ_THROUGH_RATE"), ratio(400.0, 1000.0, OK), "v1");
        check(after.total("READ_THROUGH_RATE"), ratio(560.0, 1600.0, OK), "total");
        // 450/2500 = 0.18: below 0.30, not below 0.15.
        check(after.total("OPEN_RATE"), ratio(450.0, 2500.0, WARNING), "total");
    }

    async fn follower_kpis_in_total_and_by_account(app: TestApp) {
        let key = seed(&app).await;
        let total = report(&app, &key, march(&FOLLOWERS, &[])).await;
        // New 50+30+100+0 = 180; unfollows 20+10+5+3 = 38; net 180 − 38 = 142; followers at
        // the start of the days 1000+1030+500+100 = 2630.
        let expect = |new: f64, unfollows: f64, start: f64| move |kpi: &str| match kpi {
            "NEW_FOLLOWERS" => amount(new, OK),
            "UNFOLLOWS" => amount(unfollows, OK),
            "NET_FOLLOWERS" => amount(new - unfollows, OK),
            "UNFOLLOW_RATE" => ratio(unfollows, start, OK),
            other => panic!("{other}"),
        };
        check_row(&total, &[], &FOLLOWERS, expect(180.0, 38.0, 2630.0));
        check(total.total("NET_FOLLOWERS"), amount(142.0, OK), "net");

        let by_account = report(&app, &key, march(&FOLLOWERS, &["ACCOUNT"])).await;
        check_groups(&by_account, &[&["ch"], &["oa"], &["wc"]]);
        // ch: 100 new, 5 unfollows, start 595 − 100 + 5 = 500 → 5/500 = 0.01.
        check_row(&by_account, &["ch"], &FOLLOWERS, expect(100.0, 5.0, 500.0));
        // oa: 50+30 new, 20+10 unfollows, start 1000 + 1030 = 2030 → 30/2030.
        check_row(&by_account, &["oa"], &FOLLOWERS, expect(80.0, 30.0, 2030.0));
        // wc: nobody new, 3 unfollows: net −3; start 97 − 0 + 3 = 100 → 0.03.
        check_row(&by_account, &["wc"], &FOLLOWERS, expect(0.0, 3.0, 100.0));
        check(by_account.value(MARCH, &["wc"], "NET_FOLLOWERS"), amount(-3.0, OK), "wc net");
    }

    async fn payment_conversion_in_total_and_by_account_and_campaign(app: TestApp) {
        let key = seed(&app).await;
        let kpi = "PAYMENT_CONVERSION";
        // Payments 20+2+1 = 23 of visits 200+100+50 = 350: 0.066, not below 0.05 (OK).
        let total = report(&app, &key, march(&FUNNEL, &[])).await;
        check_row(&total, &[], &FUNNEL, |_| ratio(23.0, 350.0, OK));

        let by_account = report(&app, &key, march(&FUNNEL, &["ACCOUNT"])).await;
        check_groups(&by_account, &[&["ch"], &["oa"]]);
        // ch 1/50 = 0.02 (WARNING); oa (20+2)/(200+100) = 0.073 (OK).
        check(by_account.value(MARCH, &["ch"], kpi), ratio(1.0, 50.0, WARNING), "ch");
        check(by_account.value(MARCH, &["oa"], kpi), ratio(22.0, 300.0, OK), "oa");

        let by_campaign = report(&app, &key, march(&FUNNEL, &["CAMPAIGN"])).await;
        check_groups(&by_campaign, &[&[""], &["photo"], &["spring"]]);
        check(by_campaign.value(MARCH, &[""], kpi), ratio(2.0, 100.0, WARNING), "none");
        check(by_campaign.value(MARCH, &["photo"], kpi), ratio(1.0, 50.0, WARNING), "photo");
        check(by_campaign.value(MARCH, &["spring"], kpi), ratio(20.0, 200.0, OK), "spring");
        check(by_campaign.total(kpi), ratio(23.0, 350.0, OK), "total");
    }

    async fn order_kpis_in_total_and_by_channel_campaign_and_account(app: TestApp) {
        let key = seed(&app).await;
        // (GMV, refunds, orders, buyers) → GMV, REVENUE = GMV − refunds, ORDERS, BUYERS, AOV = GMV / ORDERS.
        let expect = |gmv: f64, refunds: f64, orders: f64, buyers: f64| move |kpi: &str| match kpi {
            "GMV" => amount(gmv, OK),
            "REVENUE" => amount(gmv - refunds, OK),
            "ORDERS" => amount(orders, OK),
            "BUYERS" => amount(buyers, OK),
            "AOV" => derived(Some(gmv), Some(orders), OK),
            other => panic!("{other}"),
        };
        // March orders: o1 200 + o2 100 (20 refunded) + o8 90 + o3 300 + o4 50 = 740 GMV,
        // 5 orders, buyers alice, bob, dave, carol = 4 (alice twice); AOV 740/5 = 148.
        let total = report(&app, &key, march(&ORDERS, &[])).await;
        check_row(&total, &[], &ORDERS, expect(740.0, 20.0, 5.0, 4.0));
        check(total.value(MARCH, &[], "REVENUE"), amount(720.0, OK), "revenue");

        // qr: o1 200, o2 100 (−20), o8 90 → 390, 3 orders of alice, bob, dave.
        // ads: o3 300, o4 50 → 350, 2 orders of carol, alice.
        let by_channel = report(&app, &key, march(&ORDERS, &["CHANNEL"])).await;
        check_groups(&by_channel, &[&["ads"], &["qr"]]);
        check_row(&by_channel, &["ads"], &ORDERS, expect(350.0, 0.0, 2.0, 2.0));
        check_row(&by_channel, &["qr"], &ORDERS, expect(390.0, 20.0, 3.0, 3.0));
        assert_eq!(by_channel.row(MARCH, &["qr"])["dimensions"][0]["label"], "Store QR");
        // Buyers per channel add up to 5, but alice is one buyer: the total stays 4.
        check(by_channel.total("BUYERS"), amount(4.0, OK), "buyers total");

        // spring: o1 200, o3 300 (alice, carol); no campaign: o2 100 (−20), o8 90, o4 50.
        let by_campaign = report(&app, &key, march(&ORDERS, &["CAMPAIGN"])).await;
        check_groups(&by_campaign, &[&[""], &["spring"]]);
        check_row(&by_campaign, &[""], &ORDERS, expect(240.0, 20.0, 3.0, 3.0));
        check_row(&by_campaign, &["spring"], &ORDERS, expect(500.0, 0.0, 2.0, 2.0));

        // oa: o1 200, o3 300, o4 50 (alice twice, carol); ch: o2 100 (−20), o8 90 (bob, dave).
        let by_account = report(&app, &key, march(&ORDERS, &["ACCOUNT"])).await;
        check_groups(&by_account, &[&["ch"], &["oa"]]);
        check_row(&by_account, &["ch"], &ORDERS, expect(190.0, 20.0, 2.0, 2.0));
        check_row(&by_account, &["oa"], &ORDERS, expect(550.0, 0.0, 3.0, 2.0));
        check(by_account.value(MARCH, &["oa"], "AOV"), derived(Some(550.0), Some(3.0), OK), "oa aov");
    }

    async fn spend_and_roi_by_channel_and_campaign(app: TestApp) {
        let key = seed(&app).await;
        // Spend 300 + 200 + 100 + 50 = 650; revenue 720 (see the order test); ROI 720/650 =
        // 1.11, below 5 (WARNING).
        let total = report(&app, &key, march(&SPEND, &[])).await;
        check_row(&total, &[], &["SPEND"], |_| amount(650.0, OK));
        check_row(&total, &[], &["ROI"], |_| derived(Some(720.0), Some(650.0), WARNING));

        // ads: spend 200 + 100, revenue 350; qr: spend 300, revenue 370; search: spend 50 and
        // no revenue → ROI 0/50 = 0.
        let by_channel = report(&app, &key, march(&SPEND, &["CHANNEL"])).await;
        check_groups(&by_channel, &[&["ads"], &["qr"], &["search"]]);
        let rows = [("ads", 300.0, 350.0), ("qr", 300.0, 370.0), ("search", 50.0, 0.0)];
        for (channel, spend, revenue) in rows {
            check(by_channel.value(MARCH, &[channel], "SPEND"), amount(spend, OK), channel);
            check(by_channel.value(MARCH, &[channel], "ROI"), derived(Some(revenue), Some(spend), WARNING), channel);
        }

        // spring: spend 300 + 100, revenue 500 → 1.25; none: spend 200 + 50, revenue 220 → 0.88.
        let by_campaign = report(&app, &key, march(&SPEND, &["CAMPAIGN"])).await;
        check_groups(&by_campaign, &[&[""], &["spring"]]);
        check(by_campaign.value(MARCH, &[""], "ROI"), derived(Some(220.0), Some(250.0), WARNING), "none");
        check(by_campaign.value(MARCH, &["spring"], "ROI"), derived(Some(500.0), Some(400.0), WARNING), "spring");
        check(by_campaign.value(MARCH, &["spring"], "SPEND"), amount(400.0, OK), "spring");

        // Warning below 1.2, critical below 1.0: ads 350/300 = 1.17 (WARNING), qr 370/300 =
        // 1.23 (OK), search 0 (CRITICAL), total 1.11 (WARNING).
        set_thresholds(&app, &key, "ROI", Some(1.2), Some(1.0)).await;
        let after = report(&app, &key, march(&["ROI"], &["CHANNEL"])).await;
        check(after.value(MARCH, &["ads"], "ROI"), derived(Some(350.0), Some(300.0), WARNING), "ads");
        check(after.value(MARCH, &["qr"], "ROI"), derived(Some(370.0), Some(300.0), OK), "qr");
        check(after.value(MARCH, &["search"], "ROI"), derived(Some(0.0), Some(50.0), CRITICAL), "search");
        check(after.total("ROI"), derived(Some(720.0), Some(650.0), WARNING), "total");
    }

    async fn acquisition_kpis_by_channel_and_campaign(app: TestApp) {
        let key = seed(&app).await;
        // March cohort (first paid order in March): alice (o1: qr, spring), bob (o2: qr, no
        // campaign), carol (o3: ads, spring). Dave's first order was in February.
        // Revenue within 12 months of the first order (gross margin 1.0):
        //   alice o1 200 + o4 50 + o5 80 = 330; bob o2 100 − 20 = 80;
        //   carol o3 300 + o6 40 + o10 100 = 440.
        // Repurchase: month M+2 is May; only alice (o5, 2026-05-10) buys then (carol's o6 is
        // on 1 June).
        let total = report(&app, &key, march(&ACQUISITION, &[])).await;
        // NEW 3; CAC 650/3; LTV (330+80+440)/3 = 850/3; LTV/CAC = (850/3)/(650/3) = 1.31
        // (below 3: WARNING, not below 1); repurchase 1/3 = 0.33 (OK).
        let expected = [
            ("NEW_CUSTOMERS", amount(3.0, OK)),
            ("CAC", derived(Some(650.0), Some(3.0), OK)),
            ("LTV", ratio(850.0, 3.0, OK)),
            ("LTV_CAC_RATIO", derived(Some(850.0 / 3.0), Some(650.0 / 3.0), WARNING)),
            ("REPURCHASE_RATE_3M", ratio(1.0, 3.0, OK)),
        ];
        for (kpi, expect) in expected {
            check_row(&total, &[], &[kpi], |_| expect);
        }

        let by_channel = report(&app, &key, march(&ACQUISITION, &["CHANNEL"])).await;
        check_groups(&by_channel, &[&["ads"], &["qr"], &["search"]]);
        let expected = [
            // ads: carol; spend 300 → CAC 300; LTV 440; 440/300 = 1.47 (WARNING); 0/1 repurchase.
            ("ads", "NEW_CUSTOMERS", amount(1.0, OK)),
            ("ads", "CAC", derived(Some(300.0), Some(1.0), OK)),
            ("ads", "LTV", ratio(440.0, 1.0, OK)),
            ("ads", "LTV_CAC_RATIO", derived(Some(440.0), Some(300.0), WARNING)),
            ("ads", "REPURCHASE_RATE_3M", ratio(0.0, 1.0, WARNING)),
            // qr: alice, bob; spend 300 → CAC 150; LTV (330+80)/2 = 205; 205/150 = 1.37.
            ("qr", "NEW_CUSTOMERS", amount(2.0, OK)),
            ("qr", "CAC", derived(Some(300.0), Some(2.0), OK)),
            ("qr", "LTV", ratio(410.0, 2.0, OK)),
            ("qr", "LTV_CAC_RATIO", derived(Some(205.0), Some(150.0), WARNING)),
            ("qr", "REPURCHASE_RATE_3M", ratio(1.0, 2.0, OK)),
            // search: spend 50, nobody acquired: CAC 50/0 and LTV 0/0 have no value.
            ("search", "NEW_CUSTOMERS", amount(0.0, OK)),
            ("search", "CAC", derived(Some(50.0), Some(0.0), NO_DATA)),
            ("search", "LTV", ratio(0.0, 0.0, NO_DATA)),
            ("search", "LTV_CAC_RATIO", derived(None, None, NO_DATA)),
            ("search", "REPURCHASE_RATE_3M", ratio(0.0, 0.0, NO_DATA)),
        ];
        for (channel, kpi, expect) in expected {
            check(by_channel.value(MARCH, &[channel], kpi), expect, &format!("{channel} {kpi}"));
        }

        let by_campaign = report(&app, &key, march(&ACQUISITION, &["CAMPAIGN"])).await;
        check_groups(&by_campaign, &[&[""], &["spring"]]);
        let expected = [
            // No campaign: bob; spend 200 + 50 → CAC 250; LTV 80; 80/250 = 0.32 (below 1:
            // CRITICAL); bob does not buy in May.
            ("", "NEW_CUSTOMERS", amount(1.0, OK)),
            ("", "CAC", derived(Some(250.0), Some(1.0), OK)),
            ("", "LTV", ratio(80.0, 1.0, OK)),
            ("", "LTV_CAC_RATIO", derived(Some(80.0), Some(250.0), CRITICAL)),
            ("", "REPURCHASE_RATE_3M", ratio(0.0, 1.0, WARNING)),
            // spring: alice, carol; spend 300 + 100 → CAC 200; LTV (330+440)/2 = 385;
            // 385/200 = 1.925 (WARNING); alice of the two buys in May.
            ("spring", "NEW_CUSTOMERS", amount(2.0, OK)),
            ("spring", "CAC", derived(Some(400.0), Some(2.0), OK)),
            ("spring", "LTV", ratio(770.0, 2.0, OK)),
            ("spring", "LTV_CAC_RATIO", derived(Some(385.0), Some(200.0), WARNING)),
            ("spring", "REPURCHASE_RATE_3M", ratio(1.0, 2.0, OK)),
        ];
        for (campaign, kpi, expect) in expected {
            check(by_campaign.value(MARCH, &[campaign], kpi), expect, &format!("{campaign:?} {kpi}"));
        }

        // Thresholds on a lower-is-better KPI: CAC above 200 warns, above 280 is critical.
        set_thresholds(&app, &key, "CAC", Some(200.0), Some(280.0)).await;
        let after = report(&app, &key, march(&["CAC"], &["CHANNEL"])).await;
        check(after.value(MARCH, &["ads"], "CAC"), derived(Some(300.0), Some(1.0), CRITICAL), "ads");
        check(after.value(MARCH, &["qr"], "CAC"), derived(Some(300.0), Some(2.0), OK), "qr");
        check(after.value(MARCH, &["search"], "CAC"), derived(Some(50.0), Some(0.0), NO_DATA), "search");
        // 650/3 = 216.67: above 200, not above 280.
        check(after.total("CAC"), derived(Some(650.0), Some(3.0), WARNING), "total");
    }

    async fn ltv_uses_the_workspace_gross_margin_and_horizon(app: TestApp) {
        let key = seed(&app).await;
        // There is no API for workspace settings yet: set them in the database.
        app.db
            .execute_unprepared("UPDATE workspace SET gross_margin = 0.5, ltv_horizon_months = 3")
            .await
            .unwrap();
        // Revenue before first date + 3 months:
        //   alice (2026-03-02 → before 06-02): 200 + 50 + 80 = 330;
        //   bob (03-05 → 06-05): 80;
        //   carol (03-20 → 06-20): 300 + 40 = 340 (o10 on 07-15 is past the horizon).
        // LTV = (330 + 80 + 340) × 0.5 / 3 = 375 / 3 = 125; CAC 650/3; LTV/CAC = 0.58 (CRITICAL).
        let kpis = ["LTV", "LTV_CAC_RATIO"];
        let total = report(&app, &key, march(&kpis, &[])).await;
        check_row(&total, &[], &["LTV"], |_| ratio(375.0, 3.0, OK));
        check_row(&total, &[], &["LTV_CAC_RATIO"], |_| derived(Some(125.0), Some(650.0 / 3.0), CRITICAL));
        let by_channel = report(&app, &key, march(&kpis, &["CHANNEL"])).await;
        // ads: carol 340 × 0.5 = 170 over 1; qr: (330 + 80) × 0.5 = 205 over 2 = 102.5.
        check(by_channel.value(MARCH, &["ads"], "LTV"), ratio(170.0, 1.0, OK), "ads");
        check(by_channel.value(MARCH, &["qr"], "LTV"), ratio(205.0, 2.0, OK), "qr");
        check(by_channel.value(MARCH, &["qr"], "LTV_CAC_RATIO"), derived(Some(102.5), Some(150.0), CRITICAL), "qr");
        let by_campaign = report(&app, &key, march(&["LTV"], &["CAMPAIGN"])).await;
        // spring: (330 + 340) × 0.5 = 335 over 2; none: bob 80 × 0.5 = 40.
        check(by_campaign.value(MARCH, &["spring"], "LTV"), ratio(335.0, 2.0, OK), "spring");
        check(by_campaign.value(MARCH, &[""], "LTV"), ratio(40.0, 1.0, OK), "none");
    }

    async fn campaign_kpis_by_campaign(app: TestApp) {
        let key = seed(&app).await;
        // Participants 250 + 100 + 200 + 100 = 650 of reached 1000 + 500 + 500 + 2000 = 4000:
        // 0.1625 (< 0.30: WARNING); UGC 40 + 150 + 30 + 60 = 280 (not below 100: OK).
        let total = report(&app, &key, march(&CAMPAIGN, &[])).await;
        check_row(&total, &[], &["PARTICIPATION_RATE"], |_| ratio(650.0, 4000.0, WARNING));
        check_row(&total, &[], &["UGC_POSTS"], |_| amount(280.0, OK));

        let by_campaign = report(&app, &key, march(&CAMPAIGN, &["CAMPAIGN"])).await;
        check_groups(&by_campaign, &[&["brand"], &["photo"], &["spring"]]);
        let expected = [
            ("brand", ratio(100.0, 2000.0, WARNING), amount(60.0, WARNING)),
            // photo: (100 + 200) / (500 + 500) = 0.30 exactly: not below 0.30 (OK).
            ("photo", ratio(300.0, 1000.0, OK), amount(180.0, OK)),
            ("spring", ratio(250.0, 1000.0, WARNING), amount(40.0, WARNING)),
        ];
        for (campaign, participation, ugc) in expected {
            check(by_campaign.value(MARCH, &[campaign], "PARTICIPATION_RATE"), participation, campaign);
            check(by_campaign.value(MARCH, &[campaign], "UGC_POSTS"), ugc, campaign);
        }

        // UGC warning below 200, critical below 50.
        set_thresholds(&app, &key, "UGC_POSTS", Some(200.0), Some(50.0)).await;
        let after = report(&app, &key, march(&["UGC_POSTS"], &["CAMPAIGN"])).await;
        check(after.value(MARCH, &["brand"], "UGC_POSTS"), amount(60.0, WARNING), "brand");
        check(after.value(MARCH, &["photo"], "UGC_POSTS"), amount(180.0, WARNING), "photo");
        check(after.value(MARCH, &["spring"], "UGC_POSTS"), amount(40.0, CRITICAL), "spring");
        check(after.total("UGC_POSTS"), amount(280.0, OK), "total");
    }

    async fn wecom_kpis_by_account_and_staff(app: TestApp) {
        let key = seed(&app).await;
        // (applies, contacts, chats, replied, minutes, negative, members, active members, group status)
        let expect = |s: [f64; 8], group: &'static str| move |kpi: &str| match kpi {
            "FRIEND_ACCEPT_RATE" => ratio(s[1], s[0], if s[0] == 0.0 { NO_DATA } else { OK }),
            "REPLY_RATE" => ratio(s[3], s[2], OK),
            "AVG_REPLY_MINUTES" => ratio(s[4], s[3], OK),
            "NEGATIVE_FEEDBACK" => amount(s[5], OK),
            "GROUP_ACTIVITY_RATE" => ratio(s[7], s[6], group),
            other => panic!("{other}"),
        };
        // Applies 5+10+0+2 = 17, contacts 4+5+0+2 = 11, chats 10+20+5+4 = 39, replied
        // 8+12+5+1 = 26, minutes 24+60.5+10+30 = 124.5, negative 1+0+2+0 = 3; members
        // 300+310+100 = 710, active 90+124+10 = 224 (0.3155, OK).
        let total = report(&app, &key, march(&WECOM, &[])).await;
        check_row(&total, &[], &WECOM, expect([17.0, 11.0, 39.0, 26.0, 124.5, 3.0, 710.0, 224.0], OK));

        let by_account = report(&app, &key, march(&WECOM, &["ACCOUNT"])).await;
        check_groups(&by_account, &[&["wc"], &["wc2"]]);
        // wc: applies 15, contacts 9, chats 35, replied 25, minutes 94.5, negative 3, all groups.
        check_row(&by_account, &["wc"], &WECOM, expect([15.0, 9.0, 35.0, 25.0, 94.5, 3.0, 710.0, 224.0], OK));
        // wc2: one day of zhang, no group statistics (0/0).
        check_row(&by_account, &["wc2"], &WECOM, expect([2.0, 2.0, 4.0, 1.0, 30.0, 0.0, 0.0, 0.0], NO_DATA));

        let by_staff = report(&app, &key, march(&WECOM, &["STAFF"])).await;
        check_groups(&by_staff, &[&["li"], &["zhang"]]);
        let li = by_staff.row(MARCH, &["li"]);
        assert_eq!(li["dimensions"][0], json!({ "dimension": "STAFF", "key": "li", "label": null }));
        // li: no applies (0/0); groups 10/100 = 0.10 (< 0.30: WARNING).
        check_row(&by_staff, &["li"], &WECOM, expect([0.0, 0.0, 5.0, 5.0, 10.0, 2.0, 100.0, 10.0], WARNING));
        // zhang of both corps: applies 5+10+2, contacts 4+5+2, chats 10+20+4, replied 8+12+1,
        // minutes 24+60.5+30, negative 1; groups (90+124)/(300+310) = 0.35 (OK).
        check_row(&by_staff, &["zhang"], &WECOM, expect([17.0, 11.0, 34.0, 21.0, 114.5, 1.0, 610.0, 214.0], OK));

        let both = report(&app, &key, march(&WECOM, &["ACCOUNT", "STAFF"])).await;
        check_groups(&both, &[&["wc", "li"], &["wc", "zhang"], &["wc2", "zhang"]]);
        check_row(&both, &["wc", "zhang"], &WECOM, expect([15.0, 9.0, 30.0, 20.0, 84.5, 1.0, 610.0, 214.0], OK));
        check_row(&both, &["wc2", "zhang"], &WECOM, expect([2.0, 2.0, 4.0, 1.0, 30.0, 0.0, 0.0, 0.0], NO_DATA));
    }
}

/// Beyond the values checked by hand above: the same fixture and the same requests (every KPI,
/// every granularity, both comparisons, every dimension) give the same JSON, to the last bit,
/// on SQLite and on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    wekpi_no_pg,
    ignore = "PostgreSQL not configured: set WEKPI_TEST_DATABASE_URL to run"
)]
async fn golden_reports_are_identical_on_both_backends() {
    let sqlite = TestApp::new(Backend::Sqlite).await;
    let postgres = TestApp::new(Backend::Postgres).await;
    let (sqlite_key, postgres_key) = (seed(&sqlite).await, seed(&postgres).await);
    let catalog = sqlite
        .ok(
            &sqlite_key,
            "{ kpiCatalog { key dimensions needsMonth } }",
            json!({}),
        )
        .await;
    let catalog = catalog["kpiCatalog"].as_array().unwrap();
    let keys = |keep: &dyn Fn(&Value) -> bool| -> Vec<String> {
        catalog
            .iter()
            .filter(|k| keep(k))
            .map(|k| k["key"].as_str().unwrap().to_string())
            .collect()
    };
    let request = |kpis: &[String], from: &str, to: &str, granularity: &str, extra: Value| {
        let base = json!({ "kpis": kpis, "range": { "from": from, "to": to }, "granularity": granularity });
        with(base, extra)
    };
    let mut requests = Vec::new();
    for chunk in keys(&|_| true).chunks(15) {
        requests.push(request(
            chunk,
            "2026-02-01",
            "2026-07-31",
            "MONTH",
            json!({ "compareTo": "PREVIOUS_PERIOD" }),
        ));
        requests.push(request(
            chunk,
            "2026-02-15",
            "2026-07-31",
            "QUARTER",
            json!({ "compareTo": "PREVIOUS_YEAR" }),
        ));
        requests.push(request(
            chunk,
            "2026-03-01",
            "2026-03-31",
            "TOTAL",
            json!({ "compareTo": "PREVIOUS_PERIOD" }),
        ));
    }
    for chunk in keys(&|k| k["needsMonth"] == false).chunks(15) {
        // A year later the ISO weeks fall on other weekdays, so the fixture's March is
        // compared through explicit date ranges.
        requests.push(request(
            chunk,
            "2027-03-01",
            "2027-03-31",
            "WEEK",
            json!({ "compareTo": "PREVIOUS_YEAR" }),
        ));
        requests.push(request(
            chunk,
            "2026-03-01",
            "2026-03-10",
            "DAY",
            json!({ "compareTo": "PREVIOUS_PERIOD" }),
        ));
    }
    for dimension in [
        "ACCOUNT",
        "CONTENT",
        "CONTENT_KIND",
        "CAMPAIGN",
        "CHANNEL",
        "STAFF",
    ] {
        let supporting = keys(&|k| {
            k["dimensions"]
                .as_array()
                .unwrap()
                .contains(&json!(dimension))
        });
        for chunk in supporting.chunks(20) {
            for fill_gaps in [true, false] {
                requests.push(request(
                    chunk,
                    "2026-03-01",
                    "2026-05-31",
                    "MONTH",
                    json!({ "groupBy": [dimension], "fillGaps": fill_gaps }),
                ));
            }
        }
    }
    for request in requests {
        let on_sqlite = report(&sqlite, &sqlite_key, request.clone()).await;
        let on_postgres = report(&postgres, &postgres_key, request.clone()).await;
        let valued = on_sqlite
            .rows()
            .iter()
            .flat_map(|row| row["values"].as_array().into_iter().flatten())
            .any(|v| v["value"].is_number());
        assert!(valued, "a report with a value to compare: {request}");
        assert_eq!(on_sqlite.0, on_postgres.0, "{request}");
    }
}
