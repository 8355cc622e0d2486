//! The brand's accounts and channels, and its audience over time: followers (`account_daily`),
//! WeCom staff (`staff_daily`) and customer groups (`group_daily`).
//!
//! Cumulative series are walked day by day from the calendar's epoch, so a date's totals do not
//! depend on where the window starts; only the days inside the window become rows.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};

use super::calendar::{self, Window};
use super::generate::count;
use super::random::Stream;
use crate::ingest::validate::{
    AccountDailyIn, AccountIn, AccountKind, ChannelIn, GroupDailyIn, StaffDailyIn,
};

/// 服务号: weekly article pushes, H5 campaign pages, the H5 mall.
pub const OA_SERVICE: &str = "oa-service";
/// 订阅号: daily articles (its read-through rate is a deliberate breach).
pub const OA_SUBSCRIPTION: &str = "oa-subscription";
/// The WeCom corp: staff, customer groups, Moments and group messages.
pub const WECOM: &str = "wecom";
/// The store manager's personal WeChat.
pub const PERSONAL: &str = "personal";
/// The mini program store, where most orders are paid.
pub const MINI_PROGRAM: &str = "mini-program";
/// 视频号: short videos and live commerce.
pub const CHANNELS: &str = "channels";

/// Every account: key, kind, name, external id (appid / corpid).
pub const ACCOUNTS: &[(&str, AccountKind, &str, Option<&str>)] = &[
    (
        OA_SERVICE,
        AccountKind::ServiceAccount,
        "明叶茶咖 Brightleaf 服务号",
        Some("wx5f2a9c7e31b04d81"),
    ),
    (
        OA_SUBSCRIPTION,
        AccountKind::SubscriptionAccount,
        "明叶生活志 Brightleaf Notes",
        Some("wx8c13e0d2a96f4b27"),
    ),
    (
        WECOM,
        AccountKind::Wecom,
        "明叶茶咖 企业微信",
        Some("ww2d7b41c09e8a3f56"),
    ),
    (PERSONAL, AccountKind::Personal, "店长 Lily", None),
    (
        MINI_PROGRAM,
        AccountKind::MiniProgram,
        "明叶商城 小程序",
        Some("wx3e9d05b7c2f18a64"),
    ),
    (
        CHANNELS,
        AccountKind::Channels,
        "明叶茶咖 视频号",
        Some("sph4Kq8rT2vXz"),
    ),
];

/// A channel: key, name, return on its always-on spend, share of new buyers, the account its
/// customers are acquired on.
pub struct ChannelDef {
    pub key: &'static str,
    pub name: &'static str,
    pub roi: f64,
    pub share: f64,
    pub account: &'static str,
}

/// Every acquisition channel. Buyers without a channel ("direct", 8%) are not listed.
pub const CHANNELS_DEF: &[ChannelDef] = &[
    ChannelDef {
        key: "qr-store",
        name: "门店渠道活码 Store QR code",
        roi: 9.5,
        share: 0.22,
        account: WECOM,
    },
    ChannelDef {
        key: "qr-event",
        name: "活动渠道活码 Event QR code",
        roi: 8.2,
        share: 0.08,
        account: WECOM,
    },
    ChannelDef {
        key: "ads-moments",
        name: "朋友圈广告 Moments ads",
        roi: 6.4,
        share: 0.18,
        account: MINI_PROGRAM,
    },
    ChannelDef {
        key: "ads-oa",
        name: "公众号广告 Official Account ads",
        roi: 6.0,
        share: 0.10,
        account: OA_SERVICE,
    },
    ChannelDef {
        key: "search",
        name: "微信搜一搜 WeChat Search",
        roi: 12.0,
        share: 0.12,
        account: MINI_PROGRAM,
    },
    ChannelDef {
        key: "kol",
        name: "达人种草 KOL seeding",
        roi: 7.0,
        share: 0.10,
        account: CHANNELS,
    },
    ChannelDef {
        key: "referral",
        name: "老带新 Referral",
        roi: 9.2,
        share: 0.12,
        account: WECOM,
    },
];

/// Share of buyers who came without a channel.
pub const DIRECT_SHARE: f64 = 0.08;

/// The account rows.
pub fn account_rows() -> Vec<AccountIn> {
    ACCOUNTS
        .iter()
        .map(|(key, kind, name, external)| AccountIn {
            key: Some((*key).into()),
            kind: Some(kind.as_str().into()),
            name: Some((*name).into()),
            external_id: external.map(Into::into),
        })
        .collect()
}

/// The channel rows.
pub fn channel_rows() -> Vec<ChannelIn> {
    CHANNELS_DEF
        .iter()
        .map(|c| ChannelIn {
            key: Some(c.key.into()),
            name: Some(c.name.into()),
        })
        .collect()
}

/// WeCom staff userids of one round; the demo has `scale` rounds.
const STAFF: [&str; 8] = [
    "zhangwei", "wangfang", "lina", "liuyang", "chenjing", "yangmin", "zhaolei", "huangyan",
];

/// How many of each round's staff also own customer groups.
const GROUP_OWNERS: usize = 5;

/// The group owner whose groups are quiet: group activity ≈ 23% (a deliberate breach).
pub const QUIET_GROUP_OWNER: &str = "liuyang";

/// The staff userids: `scale` rounds of [`STAFF`], numbered from the second round on.
fn staff_ids(scale: u32) -> Vec<String> {
    (0..scale)
        .flat_map(|round| {
            STAFF.iter().map(move |name| match round {
                0 => (*name).to_string(),
                _ => format!("{name}{}", round + 1),
            })
        })
        .collect()
}

/// The audience totals content deliveries are drawn from.
#[derive(Default)]
pub struct Audience {
    /// End-of-day followers per account and date (window dates only).
    followers: HashMap<(&'static str, NaiveDate), i64>,
    /// End-of-day members of all customer groups per date.
    group_members: HashMap<NaiveDate, i64>,
}

impl Audience {
    /// Followers of `account` at the end of `date` (0 for an account without followers).
    pub fn followers(&self, account: &str, date: NaiveDate) -> i64 {
        self.followers.get(&(account, date)).copied().unwrap_or(0)
    }

    /// Members of all customer groups at the end of `date`.
    pub fn group_members(&self, date: NaiveDate) -> i64 {
        self.group_members.get(&date).copied().unwrap_or(0)
    }
}

/// The audience facts of the window.
pub struct AudienceFacts {
    pub audience: Audience,
    pub account_daily: Vec<AccountDailyIn>,
    pub staff_daily: Vec<StaffDailyIn>,
    pub group_daily: Vec<GroupDailyIn>,
}

/// How an account's followers move, at scale 1.
struct FollowerProfile {
    account: &'static str,
    initial: f64,
    new_per_day: f64,
    unfollow_rate: f64,
}

const FOLLOWERS: &[FollowerProfile] = &[
    FollowerProfile {
        account: OA_SERVICE,
        initial: 150_000.0,
        new_per_day: 240.0,
        unfollow_rate: 0.0006,
    },
    FollowerProfile {
        account: OA_SUBSCRIPTION,
        initial: 52_000.0,
        new_per_day: 90.0,
        unfollow_rate: 0.0008,
    },
    FollowerProfile {
        account: CHANNELS,
        initial: 30_000.0,
        new_per_day: 70.0,
        unfollow_rate: 0.0009,
    },
    FollowerProfile {
        account: PERSONAL,
        initial: 4_200.0,
        new_per_day: 4.0,
        unfollow_rate: 0.0002,
    },
];

/// The deliberate unfollow breach of [`OA_SERVICE`]: its unfollows run 15% above normal in the
/// last complete month, 60% in the last complete ISO week and 140% yesterday, so the unfollow
/// rate rises by more than 5% against the previous day, week and month.
fn unfollow_multiplier(window: &Window, account: &str, date: NaiveDate) -> f64 {
    if account != OA_SERVICE {
        return 1.0;
    }
    let (week_start, week_end) = window.last_complete_week();
    let (month_start, month_end) = window.last_complete_month();
    if date == window.end {
        2.4
    } else if (week_start..=week_end).contains(&date) {
        1.6
    } else if (month_start..=month_end).contains(&date) {
        1.15
    } else {
        1.0
    }
}

/// Followers come faster on the days an account is busiest.
fn follower_day_factor(account: &str, date: NaiveDate) -> f64 {
    match (account, date.weekday()) {
        // The weekly push.
        (OA_SERVICE, Weekday::Thu) => 1.6,
        // Live days.
        (CHANNELS, Weekday::Tue | Weekday::Fri) => 1.5,
        _ => 1.0,
    }
}

/// Generates the audience facts. `demand(date)` lifts new followers while promotions run.
pub fn generate(window: &Window, demand: impl Fn(NaiveDate) -> f64) -> AudienceFacts {
    let mut facts = AudienceFacts {
        audience: Audience::default(),
        account_daily: Vec::new(),
        staff_daily: Vec::new(),
        group_daily: Vec::new(),
    };
    let scale = window.factor();
    let dates: Vec<NaiveDate> = window
        .epoch()
        .iter_days()
        .take_while(|d| *d <= window.end)
        .collect();

    for profile in FOLLOWERS {
        let mut total = (profile.initial * scale).round() as i64;
        for &date in &dates {
            let mut rng = Stream::on("followers", date, profile.account);
            let lift = 1.0 + 0.3 * (demand(date) - 1.0);
            let new = rng.poisson(
                profile.new_per_day
                    * scale
                    * calendar::trend(date)
                    * follower_day_factor(profile.account, date)
                    * lift,
            );
            let rate = profile.unfollow_rate
                * unfollow_multiplier(window, profile.account, date)
                * rng.between(0.92, 1.08);
            let unfollows = (total as f64 * rate).round() as i64;
            total += new - unfollows;
            if window.contains(date) {
                facts
                    .audience
                    .followers
                    .insert((profile.account, date), total);
                facts.account_daily.push(AccountDailyIn {
                    account: Some(profile.account.into()),
                    date: Some(date.to_string()),
                    new_followers: count(new),
                    unfollows: count(unfollows),
                    total_followers: count(total),
                });
            }
        }
    }

    wecom(window, &dates, &mut facts);
    facts
}

/// Staff and groups of the WeCom corp; its followers are the staff's external contacts: new
/// ones are the staff's `newContacts`, lost ones their `negativeFeedback`.
fn wecom(window: &Window, dates: &[NaiveDate], facts: &mut AudienceFacts) {
    let scale = window.factor();
    let staff = staff_ids(window.scale);
    let mut contacts = (18_000.0 * scale).round() as i64;
    let owners: Vec<(usize, &String)> = staff
        .iter()
        .enumerate()
        .filter(|(i, _)| i % STAFF.len() < GROUP_OWNERS)
        .collect();
    // (groups, members) per owner.
    let mut groups: Vec<(i64, i64)> = owners
        .iter()
        .map(|(i, _)| {
            let count = 10 + 3 * (*i % GROUP_OWNERS) as i64;
            (count, count * 210)
        })
        .collect();
    for &date in dates {
        let in_window = window.contains(date);
        let weekend = date.weekday().num_days_from_monday() >= 5;
        let service = if weekend { 0.7 } else { 1.0 };
        let per_staff = contacts as f64 / staff.len() as f64;
        let (mut new_contacts, mut lost) = (0, 0);
        for id in &staff {
            let mut rng = Stream::on("staff", date, id);
            let chats = rng.poisson(42.0 * service);
            let messages = (chats as f64 * rng.between(3.5, 5.5)).round() as i64;
            let replied = (chats as f64 * rng.between(0.88, 0.98)).round() as i64;
            let minutes = (replied as f64 * rng.between(2.5, 9.0) * 10.0).round() / 10.0;
            let applies = rng.poisson(8.0 * service * calendar::trend(date));
            let accepted = (applies as f64 * rng.between(0.82, 0.95)).round() as i64;
            let negative = rng.poisson(per_staff * 0.0004);
            new_contacts += accepted;
            lost += negative;
            if in_window {
                facts.staff_daily.push(StaffDailyIn {
                    account: Some(WECOM.into()),
                    staff: Some(id.clone()),
                    date: Some(date.to_string()),
                    chats: count(chats),
                    messages: count(messages),
                    replied_chats: count(replied),
                    reply_minutes_total: Some(minutes),
                    new_applies: count(applies),
                    new_contacts: count(accepted),
                    negative_feedback: count(negative),
                });
            }
        }
        contacts += new_contacts - lost;
        let mut members_today = 0;
        for ((_, owner), (group_count, members)) in owners.iter().zip(groups.iter_mut()) {
            let mut rng = Stream::on("groups", date, owner);
            if rng.chance(1.0 / 30.0) {
                *group_count += 1;
            }
            let joined = rng.poisson(*members as f64 * 0.005 * service);
            let left = rng.poisson(*members as f64 * 0.0035);
            *members = (*members + joined - left).max(*group_count);
            members_today += *members;
            let activity = if owner.as_str() == QUIET_GROUP_OWNER {
                rng.between(0.20, 0.26)
            } else {
                rng.between(0.32, 0.42)
            };
            let active_members = (*members as f64 * activity).round() as i64;
            let active_groups = (*group_count as f64 * rng.between(0.6, 0.85)).round() as i64;
            if in_window {
                facts.group_daily.push(GroupDailyIn {
                    account: Some(WECOM.into()),
                    staff: Some((*owner).clone()),
                    date: Some(date.to_string()),
                    groups_total: count(*group_count),
                    active_groups: count(active_groups),
                    members_total: count(*members),
                    active_members: count(active_members),
                    new_members: count(joined),
                    messages: count((active_members as f64 * rng.between(2.0, 3.5)).round() as i64),
                });
            }
        }
        if in_window {
            facts.audience.followers.insert((WECOM, date), contacts);
            facts.audience.group_members.insert(date, members_today);
            facts.account_daily.push(AccountDailyIn {
                account: Some(WECOM.into()),
                date: Some(date.to_string()),
                new_followers: count(new_contacts),
                unfollows: count(lost),
                total_followers: count(contacts),
            });
        }
    }
}
