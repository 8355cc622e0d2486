//! The pure generator: a window of dates in, every raw ingestion row of the demo out.
//!
//! No IO and no clock: the same window always gives the same rows.

use chrono::{NaiveDate, NaiveTime, TimeDelta};

use super::calendar::{self, Breach, Window};
use super::random::Stream;
use super::{audience, commerce, content};
use crate::ingest::validate::{
    AccountDailyIn, AccountIn, CampaignDailyIn, CampaignIn, ChannelIn, ContentDailyIn, ContentIn,
    CustomerIn, FunnelDailyIn, GroupDailyIn, OrderIn, SpendIn, StaffDailyIn,
};

/// Every row of the demo data set, as raw API input.
pub struct DemoData {
    pub accounts: Vec<AccountIn>,
    pub channels: Vec<ChannelIn>,
    pub campaigns: Vec<CampaignIn>,
    pub contents: Vec<ContentIn>,
    pub customers: Vec<CustomerIn>,
    pub content_daily: Vec<ContentDailyIn>,
    pub account_daily: Vec<AccountDailyIn>,
    pub funnel_daily: Vec<FunnelDailyIn>,
    pub campaign_daily: Vec<CampaignDailyIn>,
    pub staff_daily: Vec<StaffDailyIn>,
    pub group_daily: Vec<GroupDailyIn>,
    pub orders: Vec<OrderIn>,
    pub spend: Vec<SpendIn>,
}

/// Generates the demo data set of `window`.
pub fn generate(window: &Window) -> DemoData {
    let plans = calendar::campaigns(window);
    let facts = audience::generate(window, |date| commerce::demand(&plans, date));
    let content = content::generate(window, &plans, &facts.audience);
    let commerce = commerce::generate(window, &plans);

    let campaigns = plans
        .iter()
        .map(|plan| CampaignIn {
            key: Some(plan.key.clone()),
            kind: Some(plan.kind.as_str().into()),
            name: Some(plan.name.clone()),
            starts_on: Some(plan.starts.to_string()),
            ends_on: Some(plan.ends.to_string()),
            budget: Some(money(
                (plan.budget() * window.factor() * 100.0).round() as i64
            )),
        })
        .collect();

    let mut campaign_daily = Vec::new();
    for plan in &plans {
        for date in window.dates().filter(|d| plan.runs_on(*d)) {
            let mut rng = Stream::on("campaign-daily", date, &plan.key);
            let profile = plan.profile;
            let day = rng.between(0.8, 1.2);
            let reached = rng.poisson(profile.reach * window.factor() * day);
            let rate = rng.between(profile.participation.0, profile.participation.1);
            let ugc = match plan.breach {
                // At most 3 a day: under 100 in any day, week or month, at any scale.
                Breach::FewUgc => rng.int(1, 3),
                _ => rng.poisson(profile.ugc * window.factor()),
            };
            campaign_daily.push(CampaignDailyIn {
                campaign: Some(plan.key.clone()),
                date: Some(date.to_string()),
                reached: count(reached),
                participants: count((reached as f64 * rate).round() as i64),
                ugc_posts: count(ugc),
            });
        }
    }

    DemoData {
        accounts: audience::account_rows(),
        channels: audience::channel_rows(),
        campaigns,
        contents: content.contents,
        customers: commerce.customers,
        content_daily: content.content_daily,
        account_daily: facts.account_daily,
        funnel_daily: commerce.funnel_daily,
        campaign_daily,
        staff_daily: facts.staff_daily,
        group_daily: facts.group_daily,
        orders: commerce.orders,
        spend: commerce.spend,
    }
}

/// A count as the raw rows carry it.
pub(super) fn count(value: i64) -> Option<f64> {
    Some(value as f64)
}

/// Cents as a decimal amount with two places.
pub(super) fn money(cents: i64) -> String {
    entity::Money::from_cents(cents).to_string()
}

/// A date as `YYYYMMDD`, for keys.
pub(super) fn compact(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// An RFC 3339 timestamp of `seconds` after midnight of `date` in Shanghai: written with its
/// `+08:00` offset, or in UTC (`Z`) as a payment system would, which for times before 08:00 is
/// the previous calendar day.
pub(super) fn stamp(date: NaiveDate, seconds: u32, utc: bool) -> String {
    let local = date.and_time(NaiveTime::MIN) + TimeDelta::seconds(i64::from(seconds));
    if utc {
        (local - TimeDelta::hours(8))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    } else {
        local.format("%Y-%m-%dT%H:%M:%S+08:00").to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;
    use std::fmt::Debug;

    use super::*;

    /// The rows whose date (read by `date_of`) lies in `from..=to`, each as its debug text.
    fn rows_between<T: Debug>(
        rows: &[T],
        date_of: impl Fn(&T) -> NaiveDate,
        (from, to): (NaiveDate, NaiveDate),
    ) -> BTreeSet<String> {
        rows.iter()
            .filter(|row| (from..=to).contains(&date_of(row)))
            .map(|row| format!("{row:?}"))
            .collect()
    }

    /// The date of a customer key (`c-YYYYMMDD-…`) or order key (`o-YYYYMMDD-…`, the date its
    /// customer first bought).
    fn key_date(key: &Option<String>) -> NaiveDate {
        NaiveDate::parse_from_str(&key.as_deref().unwrap()[2..10], "%Y%m%d").unwrap()
    }

    fn published(row: &ContentIn) -> NaiveDate {
        let at = row.published_at.as_deref().unwrap();
        NaiveDate::parse_from_str(&at[..10], "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_next_day_keeps_the_rows_of_the_days_both_windows_share() {
        // Wednesday and Thursday of the same week and month: the breaches stay in place.
        let end = NaiveDate::from_ymd_opt(2026, 3, 18).unwrap();
        let today = generate(&Window::new(end, 120, 1));
        let next = Window::new(end + TimeDelta::days(1), 120, 1);
        let tomorrow = generate(&next);
        let shared = (next.start, end);
        let kinds = [
            (
                "customers",
                rows_between(&today.customers, |r| key_date(&r.key), shared),
                rows_between(&tomorrow.customers, |r| key_date(&r.key), shared),
            ),
            (
                "orders",
                rows_between(&today.orders, |r| key_date(&r.key), shared),
                rows_between(&tomorrow.orders, |r| key_date(&r.key), shared),
            ),
            (
                "contents",
                rows_between(&today.contents, published, shared),
                rows_between(&tomorrow.contents, published, shared),
            ),
        ];
        for (kind, before, after) in kinds {
            assert!(before.len() > 500, "{kind}: {}", before.len());
            assert!(before.is_subset(&after), "{kind} of a shared day changed");
        }
    }

    #[test]
    fn formats() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(money(123_405), "1234.05");
        assert_eq!(money(0), "0.00");
        assert_eq!(compact(date), "20260305");
        // 23:59:30 and 00:10:00 Shanghai; 00:10 is 16:10 UTC of the day before.
        assert_eq!(stamp(date, 86_370, false), "2026-03-05T23:59:30+08:00");
        assert_eq!(stamp(date, 600, true), "2026-03-04T16:10:00Z");
    }
}
