//! Contents of every kind and their daily statistics (`content_daily`).
//!
//! A content item is delivered on its publish date (`deliveries` = the audience it was pushed
//! to) and read over the following days along a decay curve. Each kind has its own open rate
//! near the SPEC §4 benchmarks (articles ≈ 22%, Moments ≈ 68%, live ≈ 41%), read-through 25–40%
//! and share coefficient 0.16–0.25 — except the subscription account's articles, whose
//! read-through of 13–18% is a deliberate breach.

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};

use super::audience::{Audience, CHANNELS, OA_SERVICE, OA_SUBSCRIPTION, PERSONAL, WECOM};
use super::calendar::{CampaignPlan, Window};
use super::generate::{compact, count, stamp};
use super::random::Stream;
use crate::ingest::validate::{ContentDailyIn, ContentIn, ContentKind};

/// The content rows and their facts.
pub struct ContentFacts {
    pub contents: Vec<ContentIn>,
    pub content_daily: Vec<ContentDailyIn>,
}

/// How one kind of content performs.
struct Behaviour {
    kind: ContentKind,
    /// Reads per open: reads also come from shares, search and the feed.
    read_factor: f64,
    read_through: (f64, f64),
    share: (f64, f64),
    /// Share of all opens on the publish date and each following day.
    decay: &'static [f64],
    titles: &'static [&'static str],
}

const ARTICLE_TITLES: &[&str] = &[
    "冷萃咖啡的 5 种喝法",
    "明前龙井怎么泡才不苦",
    "一杯手冲的水温学问",
    "办公室 3 分钟提神指南",
    "产地直击：云南咖啡庄园",
    "秋冬暖饮配方合集",
    "如何挑选适合你的咖啡豆",
    "茶具保养小窍门",
    "周末露营咖啡清单",
    "低因咖啡真的没有咖啡因吗",
    "新会员专享福利一览",
    "茶与咖啡：一场东西方的对话",
];
const VIDEO_TITLES: &[&str] = &[
    "30 秒学会冷萃",
    "烘焙师的一天",
    "挂耳咖啡开箱",
    "龙井采摘现场",
    "门店新品试喝",
    "拉花失败合集",
    "一分钟看懂咖啡风味轮",
    "茶园日出延时摄影",
];
const LIVE_TITLES: &[&str] = &[
    "店长直播间：新品首发",
    "烘焙师连线：咖啡豆怎么选",
    "茶艺师直播：一起泡龙井",
    "会员专场直播",
    "周五夜咖啡电台",
];
const MOMENTS_TITLES: &[&str] = &[
    "今日份手冲分享",
    "门店新到的秋季限定",
    "会员日福利提前看",
    "早安，来杯冷萃",
    "客人的晒单合集",
    "周末门店活动预告",
];
const GROUP_TITLES: &[&str] = &[
    "群福利：限时优惠券",
    "本周新品试饮招募",
    "社群专属拼团",
    "打卡提醒：今天喝了吗",
    "会员积分兑换提醒",
];
const H5_TITLES: &[&str] = &["活动主页"];

const ARTICLE_DECAY: &[f64] = &[0.62, 0.2, 0.08, 0.04, 0.03, 0.02, 0.01];

const SERVICE_ARTICLE: Behaviour = Behaviour {
    kind: ContentKind::Article,
    read_factor: 1.45,
    read_through: (0.26, 0.38),
    share: (0.17, 0.24),
    decay: ARTICLE_DECAY,
    titles: ARTICLE_TITLES,
};
/// The breach: long reads that few finish.
const SUBSCRIPTION_ARTICLE: Behaviour = Behaviour {
    read_through: (0.13, 0.18),
    share: (0.16, 0.22),
    ..SERVICE_ARTICLE
};
const MOMENTS: Behaviour = Behaviour {
    kind: ContentKind::Moments,
    read_factor: 1.1,
    read_through: (0.30, 0.42),
    share: (0.16, 0.21),
    decay: &[0.8, 0.15, 0.05],
    titles: MOMENTS_TITLES,
};
const GROUP_MESSAGE: Behaviour = Behaviour {
    kind: ContentKind::GroupMessage,
    read_factor: 1.05,
    read_through: (0.28, 0.38),
    share: (0.16, 0.20),
    decay: &[0.85, 0.15],
    titles: GROUP_TITLES,
};
const SHORT_VIDEO: Behaviour = Behaviour {
    kind: ContentKind::ShortVideo,
    read_factor: 2.5,
    read_through: (0.28, 0.40),
    share: (0.18, 0.25),
    decay: &[
        0.3, 0.21, 0.147, 0.103, 0.072, 0.05, 0.035, 0.025, 0.018, 0.012, 0.009, 0.006, 0.004,
        0.003,
    ],
    titles: VIDEO_TITLES,
};
const LIVE: Behaviour = Behaviour {
    kind: ContentKind::Live,
    read_factor: 1.8,
    read_through: (0.25, 0.32),
    share: (0.17, 0.23),
    decay: &[0.9, 0.1],
    titles: LIVE_TITLES,
};
const H5: Behaviour = Behaviour {
    kind: ContentKind::H5,
    read_factor: 2.0,
    read_through: (0.25, 0.35),
    share: (0.18, 0.25),
    // Replaced by a curve over the campaign's days.
    decay: &[],
    titles: H5_TITLES,
};

/// One published item before it becomes rows.
struct Item<'a> {
    key: String,
    account: &'static str,
    behaviour: &'a Behaviour,
    published: NaiveDate,
    /// Seconds after midnight, Shanghai time.
    at: u32,
    campaign: Option<&'a CampaignPlan>,
    deliveries: i64,
    open_rate: f64,
    /// The decay curve, when not the kind's own.
    decay: Option<Vec<f64>>,
}

/// Generates every content item published in the window and its daily facts.
pub fn generate(window: &Window, plans: &[CampaignPlan], audience: &Audience) -> ContentFacts {
    let mut facts = ContentFacts {
        contents: Vec::new(),
        content_daily: Vec::new(),
    };
    for date in window.dates() {
        for item in items_of(window, date, plans, audience) {
            emit(window, item, &mut facts);
        }
    }
    facts
}

/// What is published on `date`.
fn items_of<'a>(
    window: &Window,
    date: NaiveDate,
    plans: &'a [CampaignPlan],
    audience: &Audience,
) -> Vec<Item<'a>> {
    let mut rng = Stream::on("content", date, "");
    let active: Vec<&CampaignPlan> = plans.iter().filter(|p| p.runs_on(date)).collect();
    let day = compact(date);
    let mut items = Vec::new();
    let mut add = |rng: &mut Stream,
                   key: String,
                   account: &'static str,
                   behaviour: &'a Behaviour,
                   hour: u32,
                   deliveries: f64,
                   open_rate: f64| {
        // The draws are made whether or not a campaign runs, so that one campaign more or less
        // does not shift every later value of the day.
        let tag = rng.chance(0.35);
        let pick = rng.unit();
        let campaign = (tag && !active.is_empty())
            .then(|| active[((pick * active.len() as f64) as usize).min(active.len() - 1)]);
        items.push(Item {
            key,
            account,
            behaviour,
            published: date,
            at: hour * 3600 + rng.int(0, 1199) as u32,
            campaign,
            deliveries: deliveries.round() as i64,
            open_rate: open_rate * rng.between(0.85, 1.15),
            decay: None,
        });
    };
    let weekday = date.weekday();
    for round in 0..window.scale {
        // The service account's weekly push: a headline and two secondary articles.
        if weekday == Weekday::Thu {
            for (i, open) in [0.30, 0.20, 0.16].into_iter().enumerate() {
                let key = format!("art-svc-{day}-{}", round * 3 + i as u32 + 1);
                let delivered = audience.followers(OA_SERVICE, date) as f64 * 0.97;
                add(
                    &mut rng,
                    key,
                    OA_SERVICE,
                    &SERVICE_ARTICLE,
                    20,
                    delivered,
                    open,
                );
            }
        }
        let articles = if rng.chance(0.5) { 2 } else { 1 };
        for i in 0..articles {
            let key = format!("art-sub-{day}-{}", round * 2 + i + 1);
            let open = if i == 0 { 0.25 } else { 0.17 };
            let delivered = audience.followers(OA_SUBSCRIPTION, date) as f64 * 0.98;
            add(
                &mut rng,
                key,
                OA_SUBSCRIPTION,
                &SUBSCRIPTION_ARTICLE,
                7,
                delivered,
                open,
            );
        }
        let n = round + 1;
        let contacts = audience.followers(WECOM, date) as f64;
        add(
            &mut rng,
            format!("mom-wecom-{day}-{n}"),
            WECOM,
            &MOMENTS,
            12,
            contacts * 0.9,
            0.68,
        );
        if rng.chance(0.5) {
            let friends = audience.followers(PERSONAL, date) as f64;
            add(
                &mut rng,
                format!("mom-personal-{day}-{n}"),
                PERSONAL,
                &MOMENTS,
                9,
                friends,
                0.70,
            );
        }
        let members = audience.group_members(date) as f64;
        add(
            &mut rng,
            format!("grp-{day}-{n}"),
            WECOM,
            &GROUP_MESSAGE,
            19,
            members,
            0.55,
        );
        let fans = audience.followers(CHANNELS, date) as f64;
        add(
            &mut rng,
            format!("vid-{day}-{n}"),
            CHANNELS,
            &SHORT_VIDEO,
            18,
            fans * 0.5,
            0.33,
        );
        if matches!(weekday, Weekday::Tue | Weekday::Fri) {
            // Deliveries: the followers who booked the live stream and got its reminder.
            add(
                &mut rng,
                format!("live-{day}-{n}"),
                CHANNELS,
                &LIVE,
                20,
                fans * 0.15,
                0.41,
            );
        }
    }
    // Each campaign's H5 page, pushed to a segment of the service account when it starts (or
    // when the window starts, for one that started before).
    for plan in plans.iter().filter(|p| p.starts.max(window.start) == date) {
        let mut rng = Stream::new("h5", &plan.key);
        let days = plan.days().min(30) as usize;
        let curve: Vec<f64> = (0..days).map(|k| 1.0 / (1.0 + 0.35 * k as f64)).collect();
        let total: f64 = curve.iter().sum();
        items.push(Item {
            key: format!("h5-{}", plan.key),
            account: OA_SERVICE,
            behaviour: &H5,
            published: date,
            at: 10 * 3600 + rng.int(0, 1199) as u32,
            campaign: Some(plan),
            deliveries: (audience.followers(OA_SERVICE, date) as f64 * 0.3).round() as i64,
            open_rate: 0.15 * rng.between(0.85, 1.15),
            decay: Some(curve.iter().map(|w| w / total).collect()),
        });
    }
    items
}

/// Turns an item into its content row and daily facts up to the end of the window.
fn emit(window: &Window, item: Item<'_>, facts: &mut ContentFacts) {
    let behaviour = item.behaviour;
    let mut rng = Stream::new("content-daily", &item.key);
    let read_through = rng.between(behaviour.read_through.0, behaviour.read_through.1);
    let share = rng.between(behaviour.share.0, behaviour.share.1);
    let title = match item.campaign {
        Some(plan) if behaviour.kind == ContentKind::H5 => format!("{} 活动主页", plan.name),
        Some(plan) => format!("【{}】{}", plan.name, rng.pick(behaviour.titles)),
        None => (*rng.pick(behaviour.titles)).to_string(),
    };
    facts.contents.push(ContentIn {
        key: Some(item.key.clone()),
        account: Some(item.account.into()),
        kind: Some(behaviour.kind.as_str().into()),
        title: Some(title),
        published_at: Some(stamp(item.published, item.at, false)),
        campaign: item.campaign.map(|p| p.key.clone()),
    });
    let decay = item.decay.as_deref().unwrap_or(behaviour.decay);
    let opens_total = item.deliveries as f64 * item.open_rate;
    for (k, weight) in decay.iter().enumerate() {
        let date = item.published + TimeDelta::days(k as i64);
        if date > window.end {
            break;
        }
        let opens = (opens_total * weight * rng.between(0.9, 1.1)).round();
        let reads = (opens * behaviour.read_factor * rng.between(0.9, 1.1)).round();
        let part = |rng: &mut Stream, low: f64, high: f64| (reads * rng.between(low, high)).round();
        let completions = part(&mut rng, read_through * 0.93, read_through * 1.07);
        let readers = part(&mut rng, 0.8, 0.92);
        let shares = part(&mut rng, share * 0.93, share * 1.07);
        let sharers = (shares * rng.between(0.75, 0.92)).round();
        facts.content_daily.push(ContentDailyIn {
            content: Some(item.key.clone()),
            date: Some(date.to_string()),
            deliveries: count(if k == 0 { item.deliveries } else { 0 }),
            opens: Some(opens),
            reads: Some(reads),
            readers: Some(readers),
            completions: Some(completions),
            shares: Some(shares),
            sharers: Some(sharers),
            favorites: Some(part(&mut rng, 0.01, 0.03)),
            likes: Some(part(&mut rng, 0.02, 0.05)),
            comments: Some(part(&mut rng, 0.002, 0.008)),
            clicks: Some(part(&mut rng, 0.03, 0.08)),
        });
    }
}
