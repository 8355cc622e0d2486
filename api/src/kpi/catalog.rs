//! The KPI registry: the one place where every KPI of SPEC §4 is defined.
//!
//! Each [`KpiDef`] carries what `kpiCatalog` shows (labels, formula text, unit, direction,
//! dimensions, default thresholds, benchmark) and what the query builder needs to compute it:
//! the [`Family`] of facts that feeds it and its [`Measure`], a structural description of its
//! numerator and denominator. A new KPI over an existing family is one [`KpiKey`] variant plus
//! one arm in [`def`]; no per-KPI SQL or Rust code is needed.
//!
//! This module holds data only: it runs no queries and does no arithmetic (that is
//! `formulas`). It derives the GraphQL enums of its closed sets, because the registry's keys
//! *are* the public API names; everything else GraphQL lives in `graphql/`.

use async_graphql::Enum;

use super::formulas::{Direction, Thresholds};
use Dimension::{Account, Campaign, Channel, Content, ContentKind, Staff};
use Direction::{HigherIsBetter, LowerIsBetter};
use Term::{Add, Sub};

/// The key of a KPI: the names in SPEC §4, exactly.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(display)]
pub enum KpiKey {
    /// Σopens / Σdeliveries.
    OpenRate,
    /// Σcompletions / Σreads.
    ReadThroughRate,
    /// Σshares / Σreads.
    ShareCoefficient,
    /// Σsharers / Σreads.
    ShareConversionRate,
    /// Σ(likes + comments + shares + favorites) / Σreads.
    InteractionRate,
    /// Σclicks / Σreads.
    ClickThroughRate,
    /// ΣnewFollowers.
    NewFollowers,
    /// Σunfollows.
    Unfollows,
    /// ΣnewFollowers − Σunfollows.
    NetFollowers,
    /// Σunfollows / Σ followers at the start of the day.
    UnfollowRate,
    /// Σpayments / Σvisits.
    PaymentConversion,
    /// Σ amount of the orders paid in the bucket.
    Gmv,
    /// Σ (amount − refundedAmount) of the orders paid in the bucket.
    Revenue,
    /// Number of orders paid in the bucket.
    Orders,
    /// Number of distinct customers with an order paid in the bucket.
    Buyers,
    /// Average order value: GMV / ORDERS.
    Aov,
    /// Σ marketing spend.
    Spend,
    /// REVENUE / SPEND.
    Roi,
    /// Customers whose first paid order falls in the bucket.
    NewCustomers,
    /// Customer acquisition cost: SPEND / NEW_CUSTOMERS.
    Cac,
    /// Lifetime value of the bucket's new customers.
    Ltv,
    /// LTV / CAC.
    LtvCacRatio,
    /// Share of a cohort month's new customers who buy again in its third month.
    RepurchaseRate3M,
    /// Σparticipants / Σreached.
    ParticipationRate,
    /// Σ ugcPosts.
    UgcPosts,
    /// Σ newContacts / Σ newApplies.
    FriendAcceptRate,
    /// Σ repliedChats / Σ chats.
    ReplyRate,
    /// Σ replyMinutesTotal / Σ repliedChats.
    AvgReplyMinutes,
    /// Σ negativeFeedback: customers who deleted or blocked a staff member.
    NegativeFeedback,
    /// Σ activeMembers / Σ membersTotal.
    GroupActivityRate,
}

impl KpiKey {
    /// Every key, in declaration order, which is the catalog's order.
    pub const ALL: [Self; 30] = [
        Self::OpenRate,
        Self::ReadThroughRate,
        Self::ShareCoefficient,
        Self::ShareConversionRate,
        Self::InteractionRate,
        Self::ClickThroughRate,
        Self::NewFollowers,
        Self::Unfollows,
        Self::NetFollowers,
        Self::UnfollowRate,
        Self::PaymentConversion,
        Self::Gmv,
        Self::Revenue,
        Self::Orders,
        Self::Buyers,
        Self::Aov,
        Self::Spend,
        Self::Roi,
        Self::NewCustomers,
        Self::Cac,
        Self::Ltv,
        Self::LtvCacRatio,
        Self::RepurchaseRate3M,
        Self::ParticipationRate,
        Self::UgcPosts,
        Self::FriendAcceptRate,
        Self::ReplyRate,
        Self::AvgReplyMinutes,
        Self::NegativeFeedback,
        Self::GroupActivityRate,
    ];
}

/// What a report can be grouped or filtered by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(display)]
pub enum Dimension {
    /// The official account, WeCom corp, mini program … the facts belong to.
    Account,
    /// One piece of content.
    Content,
    /// The kind of content (article, short video, live …).
    ContentKind,
    /// The marketing campaign.
    Campaign,
    /// The acquisition channel.
    Channel,
    /// The WeCom staff member (for group statistics: the group owner).
    Staff,
}

/// What a KPI value measures.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// A dimensionless quotient (0.22 = 22 %; ROI and LTV/CAC may exceed 1).
    Ratio,
    /// A number of things.
    Count,
    /// An amount in the workspace currency.
    Currency,
    /// A duration in minutes.
    Minutes,
}

/// Whether a KPI is good when high or when low: the GraphQL face of
/// [`Direction`], which stays free of GraphQL in `formulas`.
///
/// The derive generates `From` conversions both ways.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(remote = "super::formulas::Direction")]
pub enum KpiDirection {
    /// A value below a threshold breaches it.
    HigherIsBetter,
    /// A value above a threshold breaches it.
    LowerIsBetter,
}

/// The fact source that feeds a KPI; it decides which table a query reads and how a row gets
/// its business date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `content_daily`, dated by `date`.
    ContentDaily,
    /// `account_daily`, dated by `date`.
    AccountDaily,
    /// `funnel_daily`, dated by `date`.
    Funnel,
    /// Orders, dated by `paidAt` in the workspace time zone.
    Orders,
    /// Marketing spend, dated by `date`.
    Spend,
    /// Customers bucketed by the business date of their first paid order.
    Cohort,
    /// `campaign_daily`, dated by `date`.
    CampaignDaily,
    /// `staff_daily`, dated by `date`.
    StaffDaily,
    /// `group_daily`, dated by `date`.
    GroupDaily,
    /// Two KPIs of different families, aggregated separately per group and joined on the
    /// group keys (SPEC §4, cross-fact ratios).
    CrossFact,
}

/// A daily fact table whose counts [`Measure::Sum`] and [`Measure::Ratio`] add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DailyFact {
    /// The table name.
    pub table: &'static str,
    /// The count columns that terms may name.
    pub columns: &'static [&'static str],
}

impl Family {
    /// The daily fact table of this family, or `None` for the families that are not a table
    /// of summable counts (orders, spend, cohorts, cross-fact).
    pub const fn daily_fact(self) -> Option<DailyFact> {
        let (table, columns): (&str, &[&str]) = match self {
            Self::ContentDaily => (
                "content_daily",
                &[
                    "deliveries",
                    "opens",
                    "reads",
                    "readers",
                    "completions",
                    "shares",
                    "sharers",
                    "favorites",
                    "likes",
                    "comments",
                    "clicks",
                ],
            ),
            Self::AccountDaily => (
                "account_daily",
                &["new_followers", "unfollows", "total_followers"],
            ),
            Self::Funnel => ("funnel_daily", &["visits", "checkouts", "payments"]),
            Self::CampaignDaily => ("campaign_daily", &["reached", "participants", "ugc_posts"]),
            Self::StaffDaily => (
                "staff_daily",
                &[
                    "chats",
                    "messages",
                    "replied_chats",
                    "reply_minutes_total",
                    "new_applies",
                    "new_contacts",
                    "negative_feedback",
                ],
            ),
            Self::GroupDaily => (
                "group_daily",
                &[
                    "groups_total",
                    "active_groups",
                    "members_total",
                    "active_members",
                    "new_members",
                    "messages",
                ],
            ),
            Self::Orders | Self::Spend | Self::Cohort | Self::CrossFact => return None,
        };
        Some(DailyFact { table, columns })
    }
}

/// One signed column of a daily fact table inside a sum: `Σ(a − b + c)` is
/// `[Add("a"), Sub("b"), Add("c")]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    /// The column is added.
    Add(&'static str),
    /// The column is subtracted.
    Sub(&'static str),
}

impl Term {
    /// The snake_case column name.
    pub const fn column(self) -> &'static str {
        match self {
            Self::Add(column) | Self::Sub(column) => column,
        }
    }
}

/// An aggregate over the orders paid in a bucket (business date of `paidAt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderMeasure {
    /// Σ amount.
    Gmv,
    /// Σ (amount − refundedAmount).
    Revenue,
    /// Number of orders.
    Count,
    /// Number of distinct customers.
    DistinctCustomers,
}

/// An aggregate over the customers whose first paid order falls in a bucket (the cohort),
/// grouped by the channel and campaign of that first order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CohortMeasure {
    /// Cohort size.
    NewCustomers,
    /// Numerator: Σ revenue of the cohort's orders whose business date is before the first
    /// order's business date plus `ltvHorizonMonths` calendar months, × `grossMargin`.
    /// Denominator: cohort size.
    Ltv,
    /// Numerator: cohort customers with at least one paid order in calendar month
    /// M + `month_offset`, where M is the month of their first order. Denominator: cohort
    /// size. Cohorts are calendar months, so the KPI needs MONTH or coarser
    /// ([`KpiDef::needs_month`]); coarser buckets pool their cohorts.
    Retention {
        /// 2 for "the third month" (M + 2).
        month_offset: u32,
    },
}

/// How a KPI value is computed, described structurally so that a query builder can generate
/// its SQL without per-KPI code.
///
/// Every ratio is Σnumerator / Σdenominator over the rows of the bucket and group (SPEC §4),
/// divided once by `formulas::ratio`. Count and currency measures report their value as the
/// numerator with no denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Σ of the signed terms over the family's daily fact rows; no denominator.
    Sum(&'static [Term]),
    /// Σ of `num` terms / Σ of `den` terms over the family's daily fact rows.
    Ratio {
        /// Numerator terms.
        num: &'static [Term],
        /// Denominator terms.
        den: &'static [Term],
    },
    /// An aggregate over orders; no denominator.
    Order(OrderMeasure),
    /// Σ spend amount; no denominator.
    SpendAmount,
    /// An aggregate over first-order cohorts; see [`CohortMeasure`] for which have a
    /// denominator.
    Cohort(CohortMeasure),
    /// value(`num`) / value(`den`): both KPIs computed separately per bucket and group, joined
    /// on the group keys (a group on one side only still appears, with a null value). The
    /// numerator and denominator reported are the two KPIs' values.
    Derived {
        /// The KPI whose value is the numerator.
        num: KpiKey,
        /// The KPI whose value is the denominator.
        den: KpiKey,
    },
}

impl Measure {
    /// Whether the value is a quotient with a denominator (as opposed to a count or amount
    /// reported as its numerator alone).
    pub const fn has_denominator(self) -> bool {
        match self {
            Self::Ratio { .. }
            | Self::Derived { .. }
            | Self::Cohort(CohortMeasure::Ltv | CohortMeasure::Retention { .. }) => true,
            Self::Sum(_)
            | Self::Order(_)
            | Self::SpendAmount
            | Self::Cohort(CohortMeasure::NewCustomers) => false,
        }
    }
}

/// The definition of one KPI.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KpiDef {
    /// Its key.
    pub key: KpiKey,
    /// English label.
    pub label_en: &'static str,
    /// Chinese label.
    pub label_zh: &'static str,
    /// The formula, for people, in the words of SPEC §4.
    pub formula: &'static str,
    /// What the value measures.
    pub unit: Unit,
    /// Which side of a threshold is a breach.
    pub direction: Direction,
    /// The dimensions it can be grouped by; never empty.
    pub dimensions: &'static [Dimension],
    /// Default warning threshold.
    pub warning: Option<f64>,
    /// Default critical threshold.
    pub critical: Option<f64>,
    /// The seed benchmark note, when SPEC gives one.
    pub benchmark: Option<&'static str>,
    /// The fact source that feeds it.
    pub family: Family,
    /// How it is computed.
    pub measure: Measure,
    /// Whether it is defined on cohort months only and so needs MONTH or coarser granularity.
    pub needs_month: bool,
}

impl KpiDef {
    /// The default thresholds, as `formulas::status` takes them.
    pub const fn thresholds(&self) -> Thresholds {
        Thresholds {
            warning: self.warning,
            critical: self.critical,
        }
    }

    /// Whether the KPI can be grouped by `dimension`.
    pub fn supports(&self, dimension: Dimension) -> bool {
        self.dimensions.contains(&dimension)
    }
}

/// Every KPI, in [`KpiKey::ALL`] order.
pub fn all() -> &'static [KpiDef] {
    &ALL
}

static ALL: [KpiDef; KpiKey::ALL.len()] = {
    let mut defs = [*def(KpiKey::OpenRate); KpiKey::ALL.len()];
    let mut index = 0;
    while index < defs.len() {
        defs[index] = *def(KpiKey::ALL[index]);
        index += 1;
    }
    defs
};

const CONTENT_DIMENSIONS: &[Dimension] = &[Account, Content, ContentKind, Campaign];
const ORDER_DIMENSIONS: &[Dimension] = &[Channel, Campaign, Account];
const ACQUISITION_DIMENSIONS: &[Dimension] = &[Channel, Campaign];
const WECOM_DIMENSIONS: &[Dimension] = &[Account, Staff];
const READS: &[Term] = &[Add("reads")];

/// The definition of `key`.
///
/// The exhaustive match is the registry: the compiler refuses a key without a definition, and
/// a unit test checks that each arm defines the key it is reached by.
pub const fn def(key: KpiKey) -> &'static KpiDef {
    match key {
        KpiKey::OpenRate => &KpiDef {
            key: KpiKey::OpenRate,
            label_en: "Open rate",
            label_zh: "打开率",
            formula: "Σopens / Σdeliveries",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: CONTENT_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: Some("articles ≈22%, Moments ≈68%, live ≈41%"),
            family: Family::ContentDaily,
            measure: Measure::Ratio {
                num: &[Add("opens")],
                den: &[Add("deliveries")],
            },
            needs_month: false,
        },
        KpiKey::ReadThroughRate => &KpiDef {
            key: KpiKey::ReadThroughRate,
            label_en: "Read-through rate",
            label_zh: "完读率",
            formula: "Σcompletions / Σreads",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: CONTENT_DIMENSIONS,
            warning: Some(0.20),
            critical: None,
            benchmark: None,
            family: Family::ContentDaily,
            measure: Measure::Ratio {
                num: &[Add("completions")],
                den: READS,
            },
            needs_month: false,
        },
        KpiKey::ShareCoefficient => &KpiDef {
            key: KpiKey::ShareCoefficient,
            label_en: "Share coefficient",
            label_zh: "分享系数",
            formula: "Σshares / Σreads",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: CONTENT_DIMENSIONS,
            warning: Some(0.15),
            critical: None,
            benchmark: None,
            family: Family::ContentDaily,
            measure: Measure::Ratio {
                num: &[Add("shares")],
                den: READS,
            },
            needs_month: false,
        },
        KpiKey::ShareConversionRate => &KpiDef {
            key: KpiKey::ShareConversionRate,
            label_en: "Share conversion rate",
            label_zh: "分享转化率",
            formula: "Σsharers / Σreads",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: CONTENT_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::ContentDaily,
            measure: Measure::Ratio {
                num: &[Add("sharers")],
                den: READS,
            },
            needs_month: false,
        },
        KpiKey::InteractionRate => &KpiDef {
            key: KpiKey::InteractionRate,
            label_en: "Interaction rate",
            label_zh: "互动率",
            formula: "Σ(likes + comments + shares + favorites) / Σreads",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: CONTENT_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::ContentDaily,
            measure: Measure::Ratio {
                num: &[
                    Add("likes"),
                    Add("comments"),
                    Add("shares"),
                    Add("favorites"),
                ],
                den: READS,
            },
            needs_month: false,
        },
        KpiKey::ClickThroughRate => &KpiDef {
            key: KpiKey::ClickThroughRate,
            label_en: "Click-through rate",
            label_zh: "点击率",
            formula: "Σclicks / Σreads",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: CONTENT_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::ContentDaily,
            measure: Measure::Ratio {
                num: &[Add("clicks")],
                den: READS,
            },
            needs_month: false,
        },
        KpiKey::NewFollowers => &KpiDef {
            key: KpiKey::NewFollowers,
            label_en: "New followers",
            label_zh: "新增关注人数",
            formula: "ΣnewFollowers",
            unit: Unit::Count,
            direction: HigherIsBetter,
            dimensions: &[Account],
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::AccountDaily,
            measure: Measure::Sum(&[Add("new_followers")]),
            needs_month: false,
        },
        KpiKey::Unfollows => &KpiDef {
            key: KpiKey::Unfollows,
            label_en: "Unfollows",
            label_zh: "取消关注人数",
            formula: "Σunfollows",
            unit: Unit::Count,
            direction: LowerIsBetter,
            dimensions: &[Account],
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::AccountDaily,
            measure: Measure::Sum(&[Add("unfollows")]),
            needs_month: false,
        },
        KpiKey::NetFollowers => &KpiDef {
            key: KpiKey::NetFollowers,
            label_en: "Net new followers",
            label_zh: "净增关注人数",
            formula: "ΣnewFollowers − Σunfollows",
            unit: Unit::Count,
            direction: HigherIsBetter,
            dimensions: &[Account],
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::AccountDaily,
            measure: Measure::Sum(&[Add("new_followers"), Sub("unfollows")]),
            needs_month: false,
        },
        KpiKey::UnfollowRate => &KpiDef {
            key: KpiKey::UnfollowRate,
            label_en: "Unfollow rate",
            label_zh: "取关率",
            formula: "Σunfollows / Σ(totalFollowers − newFollowers + unfollows) \
                      (followers at the start of the day)",
            unit: Unit::Ratio,
            direction: LowerIsBetter,
            dimensions: &[Account],
            warning: None,
            critical: None,
            benchmark: Some(
                "no fixed threshold: alert on change, +5% relative vs the previous period",
            ),
            family: Family::AccountDaily,
            measure: Measure::Ratio {
                num: &[Add("unfollows")],
                den: &[
                    Add("total_followers"),
                    Sub("new_followers"),
                    Add("unfollows"),
                ],
            },
            needs_month: false,
        },
        KpiKey::PaymentConversion => &KpiDef {
            key: KpiKey::PaymentConversion,
            label_en: "Payment conversion",
            label_zh: "支付转化率",
            formula: "Σpayments / Σvisits",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: &[Account, Campaign],
            warning: Some(0.05),
            critical: None,
            benchmark: None,
            family: Family::Funnel,
            measure: Measure::Ratio {
                num: &[Add("payments")],
                den: &[Add("visits")],
            },
            needs_month: false,
        },
        KpiKey::Gmv => &KpiDef {
            key: KpiKey::Gmv,
            label_en: "GMV",
            label_zh: "成交总额",
            formula: "Σ amount of orders paid in the bucket",
            unit: Unit::Currency,
            direction: HigherIsBetter,
            dimensions: ORDER_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::Orders,
            measure: Measure::Order(OrderMeasure::Gmv),
            needs_month: false,
        },
        KpiKey::Revenue => &KpiDef {
            key: KpiKey::Revenue,
            label_en: "Revenue",
            label_zh: "实收金额",
            formula: "Σ(amount − refundedAmount) of orders paid in the bucket",
            unit: Unit::Currency,
            direction: HigherIsBetter,
            dimensions: ORDER_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::Orders,
            measure: Measure::Order(OrderMeasure::Revenue),
            needs_month: false,
        },
        KpiKey::Orders => &KpiDef {
            key: KpiKey::Orders,
            label_en: "Orders",
            label_zh: "订单数",
            formula: "count of orders paid in the bucket",
            unit: Unit::Count,
            direction: HigherIsBetter,
            dimensions: ORDER_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::Orders,
            measure: Measure::Order(OrderMeasure::Count),
            needs_month: false,
        },
        KpiKey::Buyers => &KpiDef {
            key: KpiKey::Buyers,
            label_en: "Buyers",
            label_zh: "购买人数",
            formula: "count of distinct customers with an order paid in the bucket",
            unit: Unit::Count,
            direction: HigherIsBetter,
            dimensions: ORDER_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::Orders,
            measure: Measure::Order(OrderMeasure::DistinctCustomers),
            needs_month: false,
        },
        KpiKey::Aov => &KpiDef {
            key: KpiKey::Aov,
            label_en: "Average order value",
            label_zh: "客单价",
            formula: "GMV / ORDERS",
            unit: Unit::Currency,
            direction: HigherIsBetter,
            dimensions: ORDER_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: Some("≥150 good"),
            family: Family::Orders,
            measure: Measure::Derived {
                num: KpiKey::Gmv,
                den: KpiKey::Orders,
            },
            needs_month: false,
        },
        KpiKey::Spend => &KpiDef {
            key: KpiKey::Spend,
            label_en: "Marketing spend",
            label_zh: "营销费用",
            formula: "Σ spend amount",
            unit: Unit::Currency,
            // Less spend for the same results is better; budgets, not this direction, say how
            // much spend is too little.
            direction: LowerIsBetter,
            dimensions: ACQUISITION_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::Spend,
            measure: Measure::SpendAmount,
            needs_month: false,
        },
        KpiKey::Roi => &KpiDef {
            key: KpiKey::Roi,
            label_en: "ROI",
            label_zh: "投资回报率",
            formula: "REVENUE / SPEND",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: ACQUISITION_DIMENSIONS,
            warning: Some(5.0),
            critical: None,
            benchmark: Some("warning below 5 applies to promotion campaigns"),
            family: Family::CrossFact,
            measure: Measure::Derived {
                num: KpiKey::Revenue,
                den: KpiKey::Spend,
            },
            needs_month: false,
        },
        KpiKey::NewCustomers => &KpiDef {
            key: KpiKey::NewCustomers,
            label_en: "New customers",
            label_zh: "新增用户数",
            formula: "customers whose first paid order falls in the bucket \
                      (channel and campaign of that first order)",
            unit: Unit::Count,
            direction: HigherIsBetter,
            dimensions: ACQUISITION_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::Cohort,
            measure: Measure::Cohort(CohortMeasure::NewCustomers),
            needs_month: false,
        },
        KpiKey::Cac => &KpiDef {
            key: KpiKey::Cac,
            label_en: "Customer acquisition cost",
            label_zh: "获客成本",
            formula: "SPEND / NEW_CUSTOMERS (营销费用 / 新增用户数)",
            unit: Unit::Currency,
            direction: LowerIsBetter,
            dimensions: ACQUISITION_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::CrossFact,
            measure: Measure::Derived {
                num: KpiKey::Spend,
                den: KpiKey::NewCustomers,
            },
            needs_month: false,
        },
        KpiKey::Ltv => &KpiDef {
            key: KpiKey::Ltv,
            label_en: "Customer lifetime value",
            label_zh: "客户生命周期价值",
            formula: "for NEW_CUSTOMERS of the bucket: Σ revenue of their orders paid within \
                      ltvHorizonMonths of their first order × grossMargin / their count",
            unit: Unit::Currency,
            direction: HigherIsBetter,
            dimensions: ACQUISITION_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::Cohort,
            measure: Measure::Cohort(CohortMeasure::Ltv),
            needs_month: false,
        },
        KpiKey::LtvCacRatio => &KpiDef {
            key: KpiKey::LtvCacRatio,
            label_en: "LTV / CAC",
            label_zh: "LTV 与 CAC 之比",
            formula: "LTV / CAC",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: ACQUISITION_DIMENSIONS,
            warning: Some(3.0),
            critical: Some(1.0),
            benchmark: Some("LTV should be ≥ 3 × CAC"),
            family: Family::CrossFact,
            measure: Measure::Derived {
                num: KpiKey::Ltv,
                den: KpiKey::Cac,
            },
            needs_month: false,
        },
        KpiKey::RepurchaseRate3M => &KpiDef {
            key: KpiKey::RepurchaseRate3M,
            label_en: "3-month repurchase rate",
            label_zh: "三个月复购率",
            formula: "of the customers whose first paid order falls in cohort month M, the \
                      share with ≥ 1 paid order in calendar month M+2 (第3月消费用户 / 首月用户)",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: ACQUISITION_DIMENSIONS,
            warning: Some(0.25),
            critical: None,
            benchmark: None,
            family: Family::Cohort,
            measure: Measure::Cohort(CohortMeasure::Retention { month_offset: 2 }),
            needs_month: true,
        },
        KpiKey::ParticipationRate => &KpiDef {
            key: KpiKey::ParticipationRate,
            label_en: "Participation rate",
            label_zh: "活动参与率",
            formula: "Σparticipants / Σreached",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: &[Campaign],
            warning: Some(0.30),
            critical: None,
            benchmark: Some("warning below 0.30 applies to interaction campaigns"),
            family: Family::CampaignDaily,
            measure: Measure::Ratio {
                num: &[Add("participants")],
                den: &[Add("reached")],
            },
            needs_month: false,
        },
        KpiKey::UgcPosts => &KpiDef {
            key: KpiKey::UgcPosts,
            label_en: "UGC posts",
            label_zh: "用户原创内容数",
            formula: "Σ ugcPosts",
            unit: Unit::Count,
            direction: HigherIsBetter,
            dimensions: &[Campaign],
            warning: Some(100.0),
            critical: None,
            benchmark: Some("warning below 100 applies to brand campaigns"),
            family: Family::CampaignDaily,
            measure: Measure::Sum(&[Add("ugc_posts")]),
            needs_month: false,
        },
        KpiKey::FriendAcceptRate => &KpiDef {
            key: KpiKey::FriendAcceptRate,
            label_en: "Friend accept rate",
            label_zh: "好友通过率",
            formula: "Σ newContacts / Σ newApplies",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: WECOM_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::StaffDaily,
            measure: Measure::Ratio {
                num: &[Add("new_contacts")],
                den: &[Add("new_applies")],
            },
            needs_month: false,
        },
        KpiKey::ReplyRate => &KpiDef {
            key: KpiKey::ReplyRate,
            label_en: "Reply rate",
            label_zh: "聊天回复率",
            formula: "Σ repliedChats / Σ chats",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: WECOM_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::StaffDaily,
            measure: Measure::Ratio {
                num: &[Add("replied_chats")],
                den: &[Add("chats")],
            },
            needs_month: false,
        },
        KpiKey::AvgReplyMinutes => &KpiDef {
            key: KpiKey::AvgReplyMinutes,
            label_en: "Average reply time",
            label_zh: "平均回复时长（分钟）",
            formula: "Σ replyMinutesTotal / Σ repliedChats",
            unit: Unit::Minutes,
            direction: LowerIsBetter,
            dimensions: WECOM_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::StaffDaily,
            measure: Measure::Ratio {
                num: &[Add("reply_minutes_total")],
                den: &[Add("replied_chats")],
            },
            needs_month: false,
        },
        KpiKey::NegativeFeedback => &KpiDef {
            key: KpiKey::NegativeFeedback,
            label_en: "Negative feedback",
            label_zh: "删除/拉黑成员的客户数",
            formula: "Σ negativeFeedback (customers who deleted or blocked the staff member)",
            unit: Unit::Count,
            direction: LowerIsBetter,
            dimensions: WECOM_DIMENSIONS,
            warning: None,
            critical: None,
            benchmark: None,
            family: Family::StaffDaily,
            measure: Measure::Sum(&[Add("negative_feedback")]),
            needs_month: false,
        },
        KpiKey::GroupActivityRate => &KpiDef {
            key: KpiKey::GroupActivityRate,
            label_en: "Group activity rate",
            label_zh: "社群活跃度",
            formula: "Σ activeMembers / Σ membersTotal",
            unit: Unit::Ratio,
            direction: HigherIsBetter,
            dimensions: WECOM_DIMENSIONS,
            warning: Some(0.30),
            critical: None,
            benchmark: None,
            family: Family::GroupDaily,
            measure: Measure::Ratio {
                num: &[Add("active_members")],
                den: &[Add("members_total")],
            },
            needs_month: false,
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashSet;

    use async_graphql::{EnumType, OutputType};

    use super::*;

    /// The GraphQL names of an enum, in declaration order.
    fn names<T: EnumType>() -> Vec<&'static str> {
        T::items().iter().map(|item| item.name).collect()
    }

    #[test]
    fn every_key_has_exactly_one_definition_in_order() {
        let declared: Vec<KpiKey> = KpiKey::items().iter().map(|item| item.value).collect();
        assert_eq!(
            declared,
            KpiKey::ALL,
            "KpiKey::ALL must list every variant once, in order"
        );
        let keys: Vec<KpiKey> = all().iter().map(|def| def.key).collect();
        assert_eq!(keys, KpiKey::ALL);
        for key in KpiKey::ALL {
            assert_eq!(def(key).key, key, "the arm of {key} defines another key");
        }
        let distinct: HashSet<KpiKey> = keys.iter().copied().collect();
        assert_eq!(distinct.len(), keys.len());
    }

    #[test]
    fn graphql_names_are_the_spec_names() {
        assert_eq!(
            names::<KpiKey>(),
            [
                "OPEN_RATE",
                "READ_THROUGH_RATE",
                "SHARE_COEFFICIENT",
                "SHARE_CONVERSION_RATE",
                "INTERACTION_RATE",
                "CLICK_THROUGH_RATE",
                "NEW_FOLLOWERS",
                "UNFOLLOWS",
                "NET_FOLLOWERS",
                "UNFOLLOW_RATE",
                "PAYMENT_CONVERSION",
                "GMV",
                "REVENUE",
                "ORDERS",
                "BUYERS",
                "AOV",
                "SPEND",
                "ROI",
                "NEW_CUSTOMERS",
                "CAC",
                "LTV",
                "LTV_CAC_RATIO",
                "REPURCHASE_RATE_3M",
                "PARTICIPATION_RATE",
                "UGC_POSTS",
                "FRIEND_ACCEPT_RATE",
                "REPLY_RATE",
                "AVG_REPLY_MINUTES",
                "NEGATIVE_FEEDBACK",
                "GROUP_ACTIVITY_RATE",
            ]
        );
        assert_eq!(
            names::<Dimension>(),
            [
                "ACCOUNT",
                "CONTENT",
                "CONTENT_KIND",
                "CAMPAIGN",
                "CHANNEL",
                "STAFF"
            ]
        );
        assert_eq!(names::<Unit>(), ["RATIO", "COUNT", "CURRENCY", "MINUTES"]);
        assert_eq!(
            names::<KpiDirection>(),
            ["HIGHER_IS_BETTER", "LOWER_IS_BETTER"]
        );
        assert_eq!(
            [
                <KpiKey as OutputType>::type_name(),
                <Dimension as OutputType>::type_name(),
                <Unit as OutputType>::type_name(),
                <KpiDirection as OutputType>::type_name(),
            ],
            ["KpiKey", "Dimension", "Unit", "KpiDirection"]
        );
    }

    #[test]
    fn display_uses_the_graphql_names() {
        assert_eq!(KpiKey::RepurchaseRate3M.to_string(), "REPURCHASE_RATE_3M");
        assert_eq!(KpiKey::LtvCacRatio.to_string(), "LTV_CAC_RATIO");
        assert_eq!(Dimension::ContentKind.to_string(), "CONTENT_KIND");
    }

    #[test]
    fn direction_converts_both_ways() {
        for (pure, graphql) in [
            (Direction::HigherIsBetter, KpiDirection::HigherIsBetter),
            (Direction::LowerIsBetter, KpiDirection::LowerIsBetter),
        ] {
            assert_eq!(KpiDirection::from(pure), graphql);
            assert_eq!(Direction::from(graphql), pure);
        }
    }

    #[test]
    fn dimensions_follow_the_spec_table() {
        let content = [Account, Content, ContentKind, Campaign];
        let cases: &[(&[KpiKey], &[Dimension])] = &[
            (
                &[
                    KpiKey::OpenRate,
                    KpiKey::ReadThroughRate,
                    KpiKey::ShareCoefficient,
                    KpiKey::ShareConversionRate,
                    KpiKey::InteractionRate,
                    KpiKey::ClickThroughRate,
                ],
                &content,
            ),
            (
                &[
                    KpiKey::NewFollowers,
                    KpiKey::Unfollows,
                    KpiKey::NetFollowers,
                    KpiKey::UnfollowRate,
                ],
                &[Account],
            ),
            (&[KpiKey::PaymentConversion], &[Account, Campaign]),
            (
                &[
                    KpiKey::Gmv,
                    KpiKey::Revenue,
                    KpiKey::Orders,
                    KpiKey::Buyers,
                    KpiKey::Aov,
                ],
                &[Channel, Campaign, Account],
            ),
            (
                &[
                    KpiKey::Spend,
                    KpiKey::Roi,
                    KpiKey::NewCustomers,
                    KpiKey::Cac,
                    KpiKey::Ltv,
                    KpiKey::LtvCacRatio,
                    KpiKey::RepurchaseRate3M,
                ],
                &[Channel, Campaign],
            ),
            (&[KpiKey::ParticipationRate, KpiKey::UgcPosts], &[Campaign]),
            (
                &[
                    KpiKey::FriendAcceptRate,
                    KpiKey::ReplyRate,
                    KpiKey::AvgReplyMinutes,
                    KpiKey::NegativeFeedback,
                    KpiKey::GroupActivityRate,
                ],
                &[Account, Staff],
            ),
        ];
        let mut seen = HashSet::new();
        for &(keys, dimensions) in cases {
            for &key in keys {
                assert_eq!(def(key).dimensions, dimensions, "{key}");
                assert!(seen.insert(key), "{key} listed twice");
            }
        }
        assert_eq!(
            seen.len(),
            KpiKey::ALL.len(),
            "every KPI has expected dimensions"
        );
        for def in all() {
            assert!(!def.dimensions.is_empty(), "{}", def.key);
            let distinct: HashSet<_> = def.dimensions.iter().collect();
            assert_eq!(distinct.len(), def.dimensions.len(), "{}", def.key);
            assert!(def.supports(def.dimensions[0]));
        }
        assert!(!def(KpiKey::OpenRate).supports(Staff));
    }

    #[test]
    fn thresholds_and_directions_follow_the_spec_table() {
        let thresholds: &[(KpiKey, Option<f64>, Option<f64>)] = &[
            (KpiKey::ReadThroughRate, Some(0.20), None),
            (KpiKey::ShareCoefficient, Some(0.15), None),
            (KpiKey::PaymentConversion, Some(0.05), None),
            (KpiKey::Roi, Some(5.0), None),
            (KpiKey::LtvCacRatio, Some(3.0), Some(1.0)),
            (KpiKey::RepurchaseRate3M, Some(0.25), None),
            (KpiKey::ParticipationRate, Some(0.30), None),
            (KpiKey::UgcPosts, Some(100.0), None),
            (KpiKey::GroupActivityRate, Some(0.30), None),
        ];
        for def in all() {
            let expected = thresholds
                .iter()
                .find(|(key, _, _)| *key == def.key)
                .map_or(Thresholds::default(), |&(_, warning, critical)| {
                    Thresholds { warning, critical }
                });
            assert_eq!(def.thresholds(), expected, "{}", def.key);
        }
        let lower_is_better = [
            KpiKey::Unfollows,
            KpiKey::UnfollowRate,
            KpiKey::Spend,
            KpiKey::Cac,
            KpiKey::AvgReplyMinutes,
            KpiKey::NegativeFeedback,
        ];
        for def in all() {
            let expected = if lower_is_better.contains(&def.key) {
                Direction::LowerIsBetter
            } else {
                Direction::HigherIsBetter
            };
            assert_eq!(def.direction, expected, "{}", def.key);
        }
        assert!(
            def(KpiKey::UnfollowRate)
                .benchmark
                .unwrap()
                .contains("+5% relative vs the previous period")
        );
    }

    #[test]
    fn units_match_measures() {
        let rate_suffixes = ["_RATE", "_RATIO", "_COEFFICIENT", "_CONVERSION", "_3M"];
        for def in all() {
            let name = def.key.to_string();
            if rate_suffixes.iter().any(|suffix| name.ends_with(suffix)) || name == "ROI" {
                assert_eq!(def.unit, Unit::Ratio, "{name}");
            }
            match def.unit {
                Unit::Ratio | Unit::Minutes => {
                    assert!(def.measure.has_denominator(), "{name} divides by nothing");
                }
                Unit::Count => {
                    assert!(!def.measure.has_denominator(), "{name} is a count");
                }
                // Amounts are sums, or quotients of an amount by a count (AOV, CAC, LTV).
                Unit::Currency => {}
            }
            assert!(
                !def.label_en.is_empty() && !def.label_zh.is_empty(),
                "{name}"
            );
            assert!(!def.formula.is_empty(), "{name}");
        }
    }

    #[test]
    fn measures_name_real_columns_and_consistent_families() {
        for def in all() {
            let key = def.key;
            match def.measure {
                Measure::Sum(terms) => assert_terms(def, terms),
                Measure::Ratio { num, den } => {
                    assert_terms(def, num);
                    assert_terms(def, den);
                }
                Measure::Order(_) => assert_eq!(def.family, Family::Orders, "{key}"),
                Measure::SpendAmount => assert_eq!(def.family, Family::Spend, "{key}"),
                Measure::Cohort(_) => assert_eq!(def.family, Family::Cohort, "{key}"),
                Measure::Derived { num, den } => {
                    let (num, den) = (super::def(num), super::def(den));
                    assert_ne!(num.key, key, "{key} divides itself");
                    assert_ne!(den.key, key, "{key} divides by itself");
                    let expected = if num.family == den.family {
                        num.family
                    } else {
                        Family::CrossFact
                    };
                    assert_eq!(def.family, expected, "{key}");
                    // Both sides must be computable for every group the KPI offers.
                    for &dimension in def.dimensions {
                        assert!(
                            num.supports(dimension),
                            "{key}: {} lacks {dimension}",
                            num.key
                        );
                        assert!(
                            den.supports(dimension),
                            "{key}: {} lacks {dimension}",
                            den.key
                        );
                    }
                }
            }
            let retention = matches!(
                def.measure,
                Measure::Cohort(CohortMeasure::Retention { .. })
            );
            assert_eq!(def.needs_month, retention, "{key}");
        }
    }

    fn assert_terms(def: &KpiDef, terms: &[Term]) {
        let fact = def.family.daily_fact().unwrap();
        assert!(!terms.is_empty(), "{}", def.key);
        for term in terms {
            assert!(
                fact.columns.contains(&term.column()),
                "{}: {} is not a column of {}",
                def.key,
                term.column(),
                fact.table
            );
        }
    }

    #[test]
    fn structural_measures_spell_the_spec_formulas() {
        assert_eq!(
            def(KpiKey::UnfollowRate).measure,
            Measure::Ratio {
                num: &[Add("unfollows")],
                den: &[
                    Add("total_followers"),
                    Sub("new_followers"),
                    Add("unfollows")
                ],
            }
        );
        assert_eq!(
            def(KpiKey::InteractionRate).measure,
            Measure::Ratio {
                num: &[
                    Add("likes"),
                    Add("comments"),
                    Add("shares"),
                    Add("favorites")
                ],
                den: &[Add("reads")],
            }
        );
        assert_eq!(
            def(KpiKey::NetFollowers).measure,
            Measure::Sum(&[Add("new_followers"), Sub("unfollows")])
        );
        assert_eq!(
            def(KpiKey::LtvCacRatio).measure,
            Measure::Derived {
                num: KpiKey::Ltv,
                den: KpiKey::Cac,
            }
        );
    }
}
