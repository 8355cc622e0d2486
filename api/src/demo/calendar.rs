//! The demo's calendar: the window of dates, demand curves, and the campaign plan.
//!
//! Recurring campaigns (shopping festivals, monthly member days, quarterly contests, seasonal
//! launches) sit on fixed calendar dates and keep their keys whatever day the demo is generated
//! on. Four "ongoing" campaigns are placed relative to the end of the window so that they run
//! through the last complete day, ISO week and month that alert evaluation looks at; three of
//! them are deliberate breaches (see the module docs of `demo`).

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use entity::TimeWindow;

use crate::alerts::evaluate::window_period;
use crate::ingest::validate::CampaignKind;

/// Follower and group series are walked from this date (or from the window start, if earlier),
/// so the totals of a date do not depend on the day the demo is generated.
const SERIES_EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2024, 1, 1) {
    Some(date) => date,
    None => panic!("2024-01-01 is a calendar date"),
};

/// The dates the demo covers: `days` days ending on `end` (yesterday), and its size factor.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub scale: u32,
}

impl Window {
    /// `days` (at least 1) days ending on `end`.
    pub fn new(end: NaiveDate, days: u32, scale: u32) -> Self {
        Self {
            start: end - TimeDelta::days(i64::from(days.max(1)) - 1),
            end,
            scale: scale.max(1),
        }
    }

    /// The scale as a multiplier.
    pub fn factor(&self) -> f64 {
        f64::from(self.scale)
    }

    /// Every date of the window, oldest first.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        self.start.iter_days().take_while({
            let end = self.end;
            move |d| *d <= end
        })
    }

    /// Where cumulative series (followers, contacts, groups) start.
    pub fn epoch(&self) -> NaiveDate {
        SERIES_EPOCH.min(self.start)
    }

    /// The day the data is loaded: the one after the window.
    pub fn today(&self) -> NaiveDate {
        self.end + TimeDelta::days(1)
    }

    /// First and last day of the last complete calendar month before [`Window::today`]: the
    /// period a monthly alert rule evaluates on that day.
    pub fn last_complete_month(&self) -> (NaiveDate, NaiveDate) {
        self.alert_period(TimeWindow::Month)
    }

    /// Monday and Sunday of the last complete ISO week before [`Window::today`]: the period a
    /// weekly alert rule evaluates on that day.
    pub fn last_complete_week(&self) -> (NaiveDate, NaiveDate) {
        self.alert_period(TimeWindow::Week)
    }

    fn alert_period(&self, window: TimeWindow) -> (NaiveDate, NaiveDate) {
        // `None` only at the edge of the calendar, which the demo's dates never reach.
        window_period(window, self.today(), false).unwrap_or((self.start, self.end))
    }

    /// Whether `date` lies in the window.
    pub fn contains(&self, date: NaiveDate) -> bool {
        (self.start..=self.end).contains(&date)
    }
}

/// Slow, saturating growth of the business: 0.9 on 2024-01-01, 1.125 500 days later, at most
/// 1.35. A function of the date alone.
pub fn trend(date: NaiveDate) -> f64 {
    let t = (date - SERIES_EPOCH).num_days().max(0) as f64;
    1.35 - 0.45 * 500.0 / (500.0 + t)
}

/// Shopping by weekday: weekends are busier.
pub fn weekday_factor(date: NaiveDate) -> f64 {
    match date.weekday() {
        Weekday::Mon | Weekday::Tue => 0.92,
        Weekday::Wed => 0.96,
        Weekday::Thu => 1.0,
        Weekday::Fri => 1.05,
        Weekday::Sat => 1.12,
        Weekday::Sun => 1.1,
    }
}

/// Shopping by month: Spring Festival logistics slow February, the year-end festivals lift
/// November and December.
pub fn season_factor(date: NaiveDate) -> f64 {
    [
        1.05, 0.8, 1.0, 0.95, 1.0, 1.05, 0.95, 0.95, 1.0, 1.0, 1.1, 1.1,
    ][date.month0() as usize]
}

/// Which deliberate breach a campaign carries, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    None,
    /// Interaction campaign with participation ≈ 22%.
    LowParticipation,
    /// Brand campaign with ≈ 3 UGC posts a day, at any scale.
    FewUgc,
    /// Promotion whose spend is revenue / 3.5.
    LowRoi,
}

/// How a campaign behaves, at scale 1.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Probability that an order placed while it runs is attributed to it.
    pub attach: f64,
    /// Multiplier of new buyers while it runs.
    pub demand: f64,
    /// Promotions: revenue per unit of spend (spend follows revenue day by day).
    pub roi: f64,
    /// Brand and interaction campaigns: spend per day, in yuan.
    pub daily_spend: f64,
    /// People reached per day.
    pub reach: f64,
    /// Band of the participation rate.
    pub participation: (f64, f64),
    /// Mean UGC posts per day.
    pub ugc: f64,
    /// Its last day opens with a midnight rush of orders.
    pub midnight_rush: bool,
}

const fn promotion(attach: f64, demand: f64, roi: f64) -> Profile {
    Profile {
        attach,
        demand,
        roi,
        daily_spend: 0.0,
        reach: 18_000.0,
        participation: (0.31, 0.38),
        ugc: 8.0,
        midnight_rush: false,
    }
}

const fn interaction(reach: f64, ugc: f64) -> Profile {
    Profile {
        attach: 0.03,
        demand: 1.0,
        roi: 0.0,
        daily_spend: 70.0,
        reach,
        participation: (0.33, 0.41),
        ugc,
        midnight_rush: false,
    }
}

/// Brand campaigns do not lift sales: their effect is reach and UGC.
const fn brand(reach: f64, ugc: f64, daily_spend: f64) -> Profile {
    Profile {
        attach: 0.02,
        demand: 1.0,
        roi: 0.0,
        daily_spend,
        reach,
        participation: (0.29, 0.35),
        ugc,
        midnight_rush: false,
    }
}

/// When a recurring campaign runs.
enum When {
    /// Every year, from (month, day) to (month, day).
    Yearly((u32, u32), (u32, u32)),
    /// In the given months (all when empty), from day to day.
    Monthly(&'static [u32], u32, u32),
}

struct Recurring {
    key: &'static str,
    name: &'static str,
    kind: CampaignKind,
    when: When,
    profile: Profile,
}

const RECURRING: &[Recurring] = &[
    Recurring {
        key: "promo-new-year",
        name: "年货节 New Year Goods Festival",
        kind: CampaignKind::Promotion,
        when: When::Yearly((1, 10), (1, 25)),
        profile: promotion(0.55, 1.6, 6.8),
    },
    Recurring {
        key: "promo-womens-day",
        name: "女神节 Women's Day Sale",
        kind: CampaignKind::Promotion,
        when: When::Yearly((3, 1), (3, 8)),
        profile: promotion(0.5, 1.4, 6.2),
    },
    Recurring {
        key: "promo-520",
        name: "520 告白季 Love Week",
        kind: CampaignKind::Promotion,
        when: When::Yearly((5, 14), (5, 20)),
        profile: promotion(0.5, 1.4, 6.5),
    },
    Recurring {
        key: "promo-618",
        name: "618 年中大促 Mid-Year Sale",
        kind: CampaignKind::Promotion,
        when: When::Yearly((5, 31), (6, 18)),
        profile: Profile {
            midnight_rush: true,
            ..promotion(0.6, 1.9, 7.0)
        },
    },
    Recurring {
        key: "promo-qixi",
        name: "七夕 Qixi Gifts",
        kind: CampaignKind::Promotion,
        when: When::Yearly((8, 1), (8, 10)),
        profile: promotion(0.5, 1.3, 6.0),
    },
    Recurring {
        key: "promo-double-11",
        name: "双11 Singles' Day",
        kind: CampaignKind::Promotion,
        when: When::Yearly((10, 20), (11, 11)),
        profile: Profile {
            midnight_rush: true,
            ..promotion(0.62, 2.1, 7.2)
        },
    },
    Recurring {
        key: "promo-double-12",
        name: "双12 Year-End Sale",
        kind: CampaignKind::Promotion,
        when: When::Yearly((12, 8), (12, 12)),
        profile: promotion(0.5, 1.5, 6.4),
    },
    Recurring {
        key: "promo-member-day",
        name: "会员日 Member Day",
        kind: CampaignKind::Promotion,
        when: When::Monthly(&[], 18, 20),
        profile: promotion(0.45, 1.3, 6.6),
    },
    Recurring {
        key: "int-lucky-draw",
        name: "幸运大转盘 Lucky Draw",
        kind: CampaignKind::Interaction,
        when: When::Monthly(&[], 1, 7),
        profile: interaction(9_000.0, 45.0),
    },
    Recurring {
        key: "int-photo-review",
        name: "晒单有礼 Photo Review Contest",
        kind: CampaignKind::Interaction,
        when: When::Monthly(&[2, 5, 8, 11], 1, 14),
        profile: interaction(6_000.0, 90.0),
    },
    Recurring {
        key: "brand-spring-launch",
        name: "春季新品发布 Spring Launch",
        kind: CampaignKind::Brand,
        when: When::Yearly((3, 15), (4, 15)),
        profile: brand(42_000.0, 220.0, 260.0),
    },
    Recurring {
        key: "brand-anniversary",
        name: "品牌周年庆 Brand Anniversary",
        kind: CampaignKind::Brand,
        when: When::Yearly((7, 1), (7, 10)),
        profile: brand(35_000.0, 260.0, 300.0),
    },
    Recurring {
        key: "brand-autumn-launch",
        name: "秋季新品发布 Autumn Launch",
        kind: CampaignKind::Brand,
        when: When::Yearly((9, 1), (9, 30)),
        profile: brand(40_000.0, 200.0, 260.0),
    },
];

/// One campaign of the demo.
#[derive(Debug, Clone)]
pub struct CampaignPlan {
    pub key: String,
    pub kind: CampaignKind,
    pub name: String,
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    pub profile: Profile,
    pub breach: Breach,
}

impl CampaignPlan {
    /// Whether it runs on `date`.
    pub fn runs_on(&self, date: NaiveDate) -> bool {
        (self.starts..=self.ends).contains(&date)
    }

    /// Its length in days.
    pub fn days(&self) -> i64 {
        (self.ends - self.starts).num_days() + 1
    }

    /// The planned budget in yuan at scale 1: what its spend is expected to add up to.
    pub fn budget(&self) -> f64 {
        let per_day = match self.kind {
            CampaignKind::Promotion => 450.0,
            _ => self.profile.daily_spend,
        };
        (per_day * self.days() as f64 * 1.1 / 100.0).round() * 100.0
    }
}

/// Every campaign that runs during the window, the recurring ones first, oldest first.
pub fn campaigns(window: &Window) -> Vec<CampaignPlan> {
    let mut plans = Vec::new();
    for year in window.start.year() - 1..=window.end.year() + 1 {
        for def in RECURRING {
            let runs: Vec<(NaiveDate, NaiveDate, String)> = match def.when {
                When::Yearly((m1, d1), (m2, d2)) => NaiveDate::from_ymd_opt(year, m1, d1)
                    .zip(NaiveDate::from_ymd_opt(year, m2, d2))
                    .map(|(s, e)| (s, e, year.to_string()))
                    .into_iter()
                    .collect(),
                When::Monthly(months, from, to) => (1..=12)
                    .filter(|m| months.is_empty() || months.contains(m))
                    .filter_map(|m| {
                        let s = NaiveDate::from_ymd_opt(year, m, from)?;
                        let e = NaiveDate::from_ymd_opt(year, m, to)?;
                        Some((s, e, format!("{year}-{m:02}")))
                    })
                    .collect(),
            };
            for (starts, ends, suffix) in runs {
                if starts <= window.end && ends >= window.start {
                    plans.push(CampaignPlan {
                        key: format!("{}-{suffix}", def.key),
                        kind: def.kind,
                        name: format!("{} {suffix}", def.name),
                        starts,
                        ends,
                        profile: def.profile,
                        breach: Breach::None,
                    });
                }
            }
        }
    }
    plans.sort_by(|a, b| (a.starts, &a.key).cmp(&(b.starts, &b.key)));
    plans.extend(ongoing(window));
    plans
}

/// The campaigns that run through the last complete day, week and month of the window and
/// beyond it: one healthy brand campaign and the three campaign breaches.
fn ongoing(window: &Window) -> Vec<CampaignPlan> {
    // A week before the last complete month: the month, the last complete week and yesterday
    // all lie inside.
    let (month_start, _) = window.last_complete_month();
    let starts = (month_start - TimeDelta::days(7)).max(window.start);
    let plan = |key: &str, kind, name: &str, starts, ends, profile, breach| CampaignPlan {
        key: key.into(),
        kind,
        name: name.into(),
        starts,
        ends,
        profile,
        breach,
    };
    vec![
        plan(
            "brand-story",
            CampaignKind::Brand,
            "品牌故事 Always-on Brand Story",
            window.start,
            window.end + TimeDelta::days(90),
            brand(30_000.0, 150.0, 90.0),
            Breach::None,
        ),
        plan(
            "int-daily-checkin",
            CampaignKind::Interaction,
            "每日打卡挑战 Daily Check-in Challenge",
            starts,
            window.end + TimeDelta::days(21),
            Profile {
                participation: (0.20, 0.25),
                ..interaction(8_000.0, 35.0)
            },
            Breach::LowParticipation,
        ),
        plan(
            "brand-cobrand-popup",
            CampaignKind::Brand,
            "联名快闪 Co-branding Pop-up",
            starts,
            window.end + TimeDelta::days(30),
            brand(12_000.0, 3.0, 60.0),
            Breach::FewUgc,
        ),
        plan(
            "promo-clearance",
            CampaignKind::Promotion,
            "清仓特卖 Clearance Sale",
            starts,
            window.end + TimeDelta::days(30),
            promotion(0.12, 1.0, 3.5),
            Breach::LowRoi,
        ),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn last_complete_periods() {
        // Yesterday Wednesday 2026-03-18, today Thursday 2026-03-19.
        let w = Window::new(date(2026, 3, 18), 200, 1);
        assert_eq!(w.start, date(2025, 8, 31)); // 199 days before 2026-03-18
        assert_eq!(
            w.last_complete_month(),
            (date(2026, 2, 1), date(2026, 2, 28))
        );
        assert_eq!(
            w.last_complete_week(),
            (date(2026, 3, 9), date(2026, 3, 15))
        );
        // Today is the 1st and a Monday: yesterday closes both the month and the week.
        let w = Window::new(date(2026, 5, 31), 200, 1);
        assert_eq!(
            w.last_complete_month(),
            (date(2026, 5, 1), date(2026, 5, 31))
        );
        assert_eq!(
            w.last_complete_week(),
            (date(2026, 5, 25), date(2026, 5, 31))
        );
    }

    #[test]
    fn ongoing_campaigns_cover_every_evaluated_period() {
        for end in [date(2026, 3, 18), date(2026, 5, 31), date(2026, 1, 1)] {
            let w = Window::new(end, 180, 1);
            let (month_start, _) = w.last_complete_month();
            let (week_start, _) = w.last_complete_week();
            for plan in campaigns(&w).iter().filter(|p| p.breach != Breach::None) {
                assert!(
                    plan.runs_on(month_start) && plan.runs_on(week_start),
                    "{}",
                    plan.key
                );
                assert!(plan.runs_on(w.end), "{}", plan.key);
            }
        }
    }

    #[test]
    fn recurring_campaigns_are_keyed_by_their_occurrence() {
        let w = Window::new(date(2026, 3, 18), 400, 1);
        let plans = campaigns(&w);
        let keys: Vec<&str> = plans.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"promo-618-2025"));
        assert!(keys.contains(&"promo-member-day-2026-02"));
        assert!(keys.contains(&"int-photo-review-2025-11"));
        // The window starts 2025-02-12: 2025-02-01..14 overlaps it, 2024's Double 11 does not.
        assert!(keys.contains(&"int-photo-review-2025-02"));
        assert!(!keys.contains(&"promo-double-11-2024"));
        // March 2026's member days start on the window's last day; April's are still to come.
        assert!(keys.contains(&"promo-member-day-2026-03"));
        assert!(!keys.contains(&"promo-member-day-2026-04"));
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
    }
}
