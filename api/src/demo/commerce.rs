//! Customers, their orders, the checkout funnel (`funnel_daily`) and marketing spend.
//!
//! New buyers arrive every day (more on weekends, in festive months and while promotions run),
//! each through a channel, and some more people are seen (they followed, scanned a QR code)
//! without buying. A buyer is loyal (one in two) or casual: loyal buyers come back every two
//! and a half to seven weeks until they lapse, casual ones rarely. That gives a three-month
//! repurchase rate near 30%. Orders are baskets of the brand's products (average order value
//! ≈ 215), paid at realistic times of day (lunch and evening peaks, some around midnight, a
//! midnight rush on the last day of 618 and Double 11), 5% refunded in full and 3% in part.
//!
//! The funnel is derived from the orders: `payments` are the orders of an account (and
//! campaign) on a day, visits and checkouts follow from a 5.5–8% payment conversion. Spend
//! follows revenue: a channel's always-on spend is its trailing week's revenue outside
//! campaigns over the channel's target return (6–12), a promotion's spend its day's revenue
//! over the promotion's (6–7.2; 3.5 for the breaching clearance sale), split by the channels
//! its buyers came from; brand and interaction campaigns spend a daily budget.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};

use super::audience::{CHANNELS, CHANNELS_DEF, DIRECT_SHARE, MINI_PROGRAM, OA_SERVICE};
use super::calendar::{self, CampaignPlan, Window};
use super::generate::{compact, count, money, stamp};
use super::random::Stream;
use crate::ingest::validate::{CampaignKind, CustomerIn, FunnelDailyIn, OrderIn, SpendIn};

/// The customer, order, funnel and spend rows.
pub struct CommerceFacts {
    pub customers: Vec<CustomerIn>,
    pub orders: Vec<OrderIn>,
    pub funnel_daily: Vec<FunnelDailyIn>,
    pub spend: Vec<SpendIn>,
}

/// New buyers per day at scale 1, before trend, weekday, season and promotions.
const BUYERS_PER_DAY: f64 = 14.0;
/// People seen per day who do not buy.
const LEADS_PER_DAY: f64 = 6.0;
/// Share of buyers who keep coming back.
const LOYAL_SHARE: f64 = 0.5;

/// The products: price in cents and weight in baskets.
const PRODUCTS: &[(i64, f64)] = &[
    (5_900, 0.25),  // 精品挂耳咖啡 drip bags ×10
    (8_900, 0.20),  // 冷萃咖啡液 cold brew ×6
    (12_800, 0.20), // 单品咖啡豆 single-origin beans 250 g
    (14_900, 0.10), // 随行杯 travel mug
    (19_900, 0.10), // 月度订阅 monthly subscription box
    (26_800, 0.08), // 明前龙井 Longjing 100 g
    (29_900, 0.04), // 会员年卡 annual membership
    (49_900, 0.03), // 茶具礼盒 tea set gift box
];

/// Relative order volume per hour of the day, Shanghai time: lunch and evening peaks and a
/// long tail past midnight.
const HOURS: [f64; 24] = [
    3.0, 1.5, 0.6, 0.3, 0.2, 0.3, 0.8, 1.8, 2.8, 3.5, 4.0, 4.5, 6.0, 5.0, 4.0, 4.0, 4.0, 4.2, 4.5,
    5.5, 7.5, 8.5, 7.5, 5.5,
];

/// Payment conversion of each shop account, before noise of −5% to +15% (never below 5.5%).
fn conversion(account: &str) -> f64 {
    match account {
        MINI_PROGRAM => 0.068,
        CHANNELS => 0.06,
        _ => 0.058,
    }
}

/// One order before it becomes a row.
struct Order {
    key: String,
    customer: String,
    date: NaiveDate,
    at: u32,
    utc: bool,
    amount: i64,
    refunded: i64,
    channel: Option<usize>,
    campaign: Option<usize>,
    account: &'static str,
}

impl Order {
    fn revenue(&self) -> i64 {
        self.amount - self.refunded
    }
}

/// How much promotions lift demand on `date`: the strongest running one, ×1.5 on the last day
/// of a festival with a midnight rush.
pub fn demand(plans: &[CampaignPlan], date: NaiveDate) -> f64 {
    plans
        .iter()
        .filter(|p| p.runs_on(date))
        .map(|p| match p.profile.midnight_rush && p.ends == date {
            true => p.profile.demand * 1.5,
            false => p.profile.demand,
        })
        .fold(1.0, f64::max)
}

/// Generates customers, orders, funnel and spend.
pub fn generate(window: &Window, plans: &[CampaignPlan]) -> CommerceFacts {
    let mut customers = Vec::new();
    let mut orders = Vec::new();
    let scale = window.factor();
    for date in window.dates() {
        let mut rng = Stream::on("customers", date, "");
        let base = scale
            * calendar::trend(date)
            * calendar::weekday_factor(date)
            * calendar::season_factor(date);
        let buyers = rng.poisson(BUYERS_PER_DAY * base * demand(plans, date));
        let leads = rng.poisson(LEADS_PER_DAY * base);
        let day = compact(date);
        for i in 0..buyers + leads {
            let key = format!("c-{day}-{:04}", i + 1);
            let mut c = Stream::new("customer", &key);
            let channel = match c.chance(DIRECT_SHARE) {
                true => None,
                false => {
                    let shares: Vec<f64> = CHANNELS_DEF.iter().map(|ch| ch.share).collect();
                    Some(c.weighted(&shares))
                }
            };
            let account = channel.map_or(MINI_PROGRAM, |i| CHANNELS_DEF[i].account);
            let buyer = i < buyers;
            // Buyers were usually seen a few days before their first order.
            let seen = date - TimeDelta::days(if buyer { c.poisson(3.0).min(30) } else { 0 });
            customers.push(CustomerIn {
                key: Some(key.clone()),
                first_seen_at: Some(stamp(seen, c.int(8 * 3600, 22 * 3600) as u32, false)),
                channel: channel.map(|i| CHANNELS_DEF[i].key.into()),
                account: Some(account.into()),
            });
            if buyer {
                orders_of(window, plans, &key, &mut c, date, channel, &mut orders);
            }
        }
    }
    let funnel_daily = funnel(&orders, plans);
    let spend = spend(window, plans, &orders);
    CommerceFacts {
        customers,
        orders: orders.into_iter().map(|o| order_row(o, plans)).collect(),
        funnel_daily,
        spend,
    }
}

/// The orders of one buyer, from the first on `first` to the end of the window.
fn orders_of(
    window: &Window,
    plans: &[CampaignPlan],
    customer: &str,
    c: &mut Stream,
    first: NaiveDate,
    channel: Option<usize>,
    orders: &mut Vec<Order>,
) {
    let loyal = c.chance(LOYAL_SHARE);
    let mut date = first;
    for n in 1.. {
        orders.push(order(plans, customer, n, c, date, channel));
        let keep_coming = match (loyal, n) {
            (true, _) => 0.8,
            (false, 1) => 0.22,
            (false, _) => 0.35,
        };
        let gap = if loyal { c.int(18, 48) } else { c.int(30, 140) };
        if !c.chance(keep_coming) {
            break;
        }
        date += TimeDelta::days(gap);
        if date > window.end {
            break;
        }
    }
}

/// One order of `customer`. Every order makes the same draws, whatever runs that day, so a
/// customer's later orders do not move when the campaign calendar does.
fn order(
    plans: &[CampaignPlan],
    customer: &str,
    n: u32,
    c: &mut Stream,
    date: NaiveDate,
    channel: Option<usize>,
) -> Order {
    let rush = plans
        .iter()
        .any(|p| p.profile.midnight_rush && p.ends == date);
    let (rush_roll, hour_roll, second) = (c.unit(), c.unit(), c.int(0, 3599) as u32);
    let at = if rush && rush_roll < 0.25 {
        second / 2
    } else {
        let total: f64 = HOURS.iter().sum();
        let mut target = hour_roll * total;
        let mut hour = 23;
        for (h, weight) in HOURS.iter().enumerate() {
            if target < *weight {
                hour = h as u32;
                break;
            }
            target -= weight;
        }
        hour * 3600 + second
    };
    let utc = c.chance(0.2);

    let items = 1 + c.weighted(&[0.65, 0.27, 0.08]);
    let weights: Vec<f64> = PRODUCTS.iter().map(|(_, w)| *w).collect();
    let mut prices = Vec::with_capacity(items);
    for _ in 0..items {
        let price = PRODUCTS[c.weighted(&weights)].0;
        let quantity = if c.chance(0.1) { 2 } else { 1 };
        prices.push(price * quantity);
    }
    let mut amount: i64 = prices.iter().sum();

    let campaign = attribute(plans, date, c.unit());
    if campaign.is_some_and(|i| plans[i].kind == CampaignKind::Promotion) {
        // 88% of the list price, rounded down to 10 fen.
        amount = amount * 88 / 100 / 10 * 10;
    }
    let refund_roll = c.unit();
    let refunded = if refund_roll < 0.05 {
        amount
    } else if refund_roll < 0.08 {
        // One item returned: its price, or 30% when it was the whole basket.
        let cheapest = prices.iter().copied().min().unwrap_or(0);
        if cheapest < amount {
            cheapest
        } else {
            amount * 3 / 10
        }
    } else {
        0
    };
    let account_roll = c.unit();
    let kol = channel.is_some_and(|i| CHANNELS_DEF[i].account == CHANNELS);
    let account = match (kol, account_roll) {
        (true, r) if r < 0.6 => CHANNELS,
        (true, _) => MINI_PROGRAM,
        (false, r) if r < 0.78 => MINI_PROGRAM,
        (false, r) if r < 0.88 => CHANNELS,
        (false, _) => OA_SERVICE,
    };
    Order {
        key: format!("o-{}-{n}", customer.trim_start_matches("c-")),
        customer: customer.into(),
        date,
        at,
        utc,
        amount,
        refunded,
        channel,
        campaign,
        account,
    }
}

/// The campaign an order placed on `date` is attributed to, by `roll` in [0, 1): running
/// promotions take consecutive slices of their `attach` probability (the largest first), then
/// brand and interaction campaigns theirs.
fn attribute(plans: &[CampaignPlan], date: NaiveDate, roll: f64) -> Option<usize> {
    let mut running: Vec<usize> = (0..plans.len())
        .filter(|&i| plans[i].runs_on(date))
        .collect();
    running.sort_by(|&a, &b| {
        let promotion = |i: usize| plans[i].kind == CampaignKind::Promotion;
        promotion(b)
            .cmp(&promotion(a))
            .then(plans[b].profile.attach.total_cmp(&plans[a].profile.attach))
    });
    let mut upper = 0.0;
    for i in running {
        upper += plans[i].profile.attach;
        if roll < upper {
            return Some(i);
        }
    }
    None
}

fn order_row(order: Order, plans: &[CampaignPlan]) -> OrderIn {
    OrderIn {
        key: Some(order.key),
        customer: Some(order.customer),
        paid_at: Some(stamp(order.date, order.at, order.utc)),
        amount: Some(money(order.amount)),
        refunded_amount: (order.refunded > 0).then(|| money(order.refunded)),
        channel: order.channel.map(|i| CHANNELS_DEF[i].key.into()),
        campaign: order.campaign.map(|i| plans[i].key.clone()),
        account: Some(order.account.into()),
    }
}

/// Funnel rows: one per account, campaign and day with payments.
fn funnel(orders: &[Order], plans: &[CampaignPlan]) -> Vec<FunnelDailyIn> {
    let mut payments: BTreeMap<(&str, Option<usize>, NaiveDate), i64> = BTreeMap::new();
    for order in orders {
        *payments
            .entry((order.account, order.campaign, order.date))
            .or_default() += 1;
    }
    payments
        .into_iter()
        .map(|((account, campaign, date), payments)| {
            let campaign = campaign.map(|i| plans[i].key.clone());
            let coordinate = format!("{account}/{}", campaign.as_deref().unwrap_or(""));
            let mut rng = Stream::on("funnel", date, &coordinate);
            let rate = conversion(account) * rng.between(0.95, 1.15);
            let visits = (payments as f64 / rate).round() as i64;
            let checkouts =
                payments + ((visits - payments) as f64 * rng.between(0.18, 0.3)).round() as i64;
            FunnelDailyIn {
                account: Some(account.into()),
                campaign,
                date: Some(date.to_string()),
                visits: count(visits),
                checkouts: count(checkouts),
                payments: count(payments),
            }
        })
        .collect()
}

/// Spend rows: a channel's always-on spend (no campaign); a promotion's spend per channel its
/// orders came from (or none, for direct buyers); a brand or interaction campaign's daily
/// budget (no channel).
fn spend(window: &Window, plans: &[CampaignPlan], orders: &[Order]) -> Vec<SpendIn> {
    let mut by_channel: BTreeMap<(usize, NaiveDate), i64> = BTreeMap::new();
    let mut by_promotion: BTreeMap<(usize, NaiveDate, Option<usize>), i64> = BTreeMap::new();
    for order in orders {
        match (order.campaign, order.channel) {
            (Some(c), channel) if plans[c].kind == CampaignKind::Promotion => {
                *by_promotion.entry((c, order.date, channel)).or_default() += order.revenue();
            }
            (Some(_), _) | (None, None) => {}
            (None, Some(ch)) => *by_channel.entry((ch, order.date)).or_default() += order.revenue(),
        }
    }
    let mut rows = Vec::new();
    let mut push = |date: NaiveDate, cents: f64, channel: Option<usize>, campaign: Option<&str>| {
        let cents = cents.round() as i64;
        if cents >= 100 {
            rows.push(SpendIn {
                date: Some(date.to_string()),
                amount: Some(money(cents)),
                channel: channel.map(|i| CHANNELS_DEF[i].key.into()),
                campaign: campaign.map(Into::into),
            });
        }
    };
    for (index, channel) in CHANNELS_DEF.iter().enumerate() {
        for date in window.dates() {
            let from = (date - TimeDelta::days(6)).max(window.start);
            let days = (date - from).num_days() + 1;
            let revenue: i64 = by_channel
                .range((index, from)..=(index, date))
                .map(|(_, cents)| cents)
                .sum();
            let mut rng = Stream::on("spend", date, channel.key);
            let cents = revenue as f64 / days as f64 / channel.roi * rng.between(0.9, 1.1);
            push(date, cents, Some(index), None);
        }
    }
    for ((index, date, channel), revenue) in by_promotion {
        let plan = &plans[index];
        let coordinate = format!(
            "{}/{}",
            plan.key,
            channel.map_or("", |i| CHANNELS_DEF[i].key)
        );
        let mut rng = Stream::on("spend", date, &coordinate);
        let cents = revenue as f64 / plan.profile.roi * rng.between(0.92, 1.08);
        push(date, cents, channel, Some(&plan.key));
    }
    for plan in plans.iter().filter(|p| p.kind != CampaignKind::Promotion) {
        for date in window.dates().filter(|d| plan.runs_on(*d)) {
            let mut rng = Stream::on("spend", date, &plan.key);
            let cents =
                plan.profile.daily_spend * 100.0 * window.factor() * rng.between(0.85, 1.15);
            push(date, cents, None, Some(&plan.key));
        }
    }
    rows
}
