//! The demo data set and `wekpi serve --demo`.
//!
//! [`generate`] builds, deterministically, a realistic data set for one brand (明叶茶咖
//! Brightleaf, tea and coffee) as the raw rows of `ingest::validate`, and [`load`] writes it
//! through [`store::ingest`] in calls of at most 10,000 rows, exactly as the API would:
//! everything is validated, and loading it again changes nothing (every row is `unchanged`).
//! [`setup`] is what `serve --demo` does: find or create the workspace "Wekpi Demo", load,
//! issue keys. The generator itself is pure (`generate` and the modules below it: no IO, no
//! clock); only this module touches the database.
//!
//! # The data set
//! [`DEFAULT_DAYS`] days ending yesterday in the workspace zone (Asia/Shanghai), with:
//! - six accounts, one of each kind: service and subscription Official Accounts, a WeCom corp,
//!   the store manager's personal WeChat, the mini program store, a Channels account;
//! - seven acquisition channels: store and event channel QR codes (渠道活码), Moments and
//!   Official Account ads, WeChat Search, KOL seeding, referral;
//! - campaigns of every kind on the Chinese retail calendar: New Year goods festival, Women's
//!   Day, 520, 618, Qixi, Double 11 and 12, monthly member days (PROMOTION); monthly lucky draws
//!   and quarterly photo contests (INTERACTION); seasonal launches, the anniversary and an
//!   always-on brand story (BRAND);
//! - content of every kind: weekly pushes of the service account, daily articles, Moments, group
//!   messages and short videos, two live streams a week, an H5 page per campaign;
//! - at scale 1 and 400 days, about 11,000 customers (8,400 buyers) and 20,000 orders, with
//!   funnel, spend per channel and campaign, campaign reach, followers, WeCom staff and groups.
//!
//! Rates sit near SPEC §4's benchmarks: open rate ≈ 22% for articles, 68% for Moments, 41% for
//! live streams; read-through ≈ 29% overall; share coefficient ≈ 0.2; payment conversion
//! ≈ 6.9% (no account, campaign and day below 5.5%); AOV ≈ 215; ROI ≈ 7 overall (6.4–10 per
//! channel, 6–7.2 per promotion); three-month repurchase 27–35% per cohort month; LTV/CAC ≈ 7
//! over the whole range and above 3 even for the last complete month, week and day, whose
//! customers have had little time to come back; participation ≈ 33%; group activity ≈ 34%.
//!
//! `scale` multiplies the volume: contents per slot, customers and orders, WeCom staff and
//! groups, followers, campaign reach and budgets.
//!
//! # Deliberate breaches
//! So that alerts fire on the default thresholds, the data set breaks them on purpose, in the
//! last complete day, ISO week and month before today (the periods alert evaluation looks at):
//! - campaign `int-daily-checkin` (INTERACTION, from a week before the last complete month to three
//!   weeks after yesterday): `PARTICIPATION_RATE` 20–25% every day, below the 30% warning;
//! - campaign `brand-cobrand-popup` (BRAND, same start): 1–3 UGC posts a day at any scale, so
//!   `UGC_POSTS` stays below 100 in any day, week or month;
//! - campaign `promo-clearance` (PROMOTION, same start): its spend is its revenue / 3.5 (±8%),
//!   so its `ROI` is 3.2–3.8 every day, below 5;
//! - account `oa-subscription`: every article's read-through is 13–18%, so the account's
//!   `READ_THROUGH_RATE` is below the 20% warning over any period;
//! - account `oa-service`: unfollows run 15% above normal in the last complete month, 60% above
//!   in the last complete ISO week and 140% above yesterday, so `UNFOLLOW_RATE` rises by more
//!   than 5% against the previous day, week and month;
//! - WeCom group owner `liuyang`: group activity 20–26% every day, below the 30% warning.
//!
//! # Determinism
//! Every value is drawn from a ChaCha8 stream seeded by what it describes (see `random`), and
//! cumulative series (followers, contacts, groups) are walked from a fixed epoch, so the same
//! day and scale always give the same data. On a later day the window moves: the rows of the
//! days both windows share keep their keys and mostly their values (customers, orders, contents
//! and most facts do not change; the unit tests check it). What moves with "yesterday" changes:
//! the breaches, the always-on brand campaign, and the funnel and spend rows that counted the
//! orders of customers from days that left the window. Rows of those days stay as loaded.

mod audience;
mod calendar;
mod commerce;
mod content;
mod generate;
mod random;

use std::fmt;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use entity::workspace;
use sea_orm::{DatabaseConnection, EntityTrait};

pub use calendar::Window;
pub use generate::{DemoData, generate};

use crate::auth::{self, IssuedKey, Role, Tenant};
use crate::error::{ApiError, ApiResult};
use crate::ingest::store::{self, Storable};
use crate::ingest::upsert::Counts;
use crate::ingest::validate::Validate;

/// The name of the demo workspace at scale 1; `serve --demo` reuses the oldest workspace of
/// that name.
pub const WORKSPACE_NAME: &str = "Wekpi Demo";

/// The demo workspace of `scale`. Each scale has its own: the rows of one scale are not a
/// subset of another's (a customer who buys at one scale may only be seen at another), so
/// loading two scales into one workspace would mix them.
pub fn workspace_name(scale: u32) -> String {
    match scale {
        1 => WORKSPACE_NAME.to_string(),
        _ => format!("{WORKSPACE_NAME} (scale {scale})"),
    }
}

/// Days the demo covers: more than a year, so that year-over-year comparisons have data.
pub const DEFAULT_DAYS: u32 = 400;

/// What loading one kind of rows did.
#[derive(Debug, Clone)]
pub struct KindReport {
    /// The kind, as the mutation's rows are called (`contents`, `content_daily`, …).
    pub kind: &'static str,
    pub rows: usize,
    pub counts: Counts,
    pub elapsed: Duration,
}

impl fmt::Display for KindReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<15}{:>8} rows: {} inserted, {} updated, {} unchanged ({:.1}s)",
            self.kind,
            self.rows,
            self.counts.inserted,
            self.counts.updated,
            self.counts.unchanged,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Generates the data set of `window` and writes it into the tenant's workspace, calling
/// `progress` after each kind.
///
/// # Errors
/// `INTERNAL` on database failure, or if the API refuses a generated row (a bug of the
/// generator: the error names the row and why).
pub async fn load(
    db: &DatabaseConnection,
    tenant: &Tenant,
    window: &Window,
    progress: &mut dyn FnMut(&KindReport),
) -> ApiResult<Vec<KindReport>> {
    let data = generate(window);
    let mut reports = Vec::new();
    let mut run = Loader {
        db,
        tenant,
        progress,
        reports: &mut reports,
    };
    run.kind("accounts", data.accounts).await?;
    run.kind("channels", data.channels).await?;
    run.kind("campaigns", data.campaigns).await?;
    run.kind("contents", data.contents).await?;
    run.kind("customers", data.customers).await?;
    run.kind("content_daily", data.content_daily).await?;
    run.kind("account_daily", data.account_daily).await?;
    run.kind("funnel_daily", data.funnel_daily).await?;
    run.kind("campaign_daily", data.campaign_daily).await?;
    run.kind("staff_daily", data.staff_daily).await?;
    run.kind("group_daily", data.group_daily).await?;
    run.kind("orders", data.orders).await?;
    run.kind("spend", data.spend).await?;
    Ok(reports)
}

struct Loader<'a> {
    db: &'a DatabaseConnection,
    tenant: &'a Tenant,
    progress: &'a mut dyn FnMut(&KindReport),
    reports: &'a mut Vec<KindReport>,
}

impl Loader<'_> {
    async fn kind<R>(&mut self, kind: &'static str, mut rows: Vec<R>) -> ApiResult<()>
    where
        R: Validate,
        R::Output: Storable,
        <<R::Output as Storable>::Entity as EntityTrait>::ActiveModel: Send,
    {
        let started = Instant::now();
        let total = rows.len();
        let mut counts = Counts::default();
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(crate::ingest::store::MAX_ROWS));
            let chunk = std::mem::replace(&mut rows, rest);
            let report = store::ingest(self.db, self.tenant, chunk, true).await?;
            if let Some(first) = report.rejected.first() {
                return Err(ApiError::internal(format!(
                    "{} generated {kind} rows were refused; the first: {first}",
                    report.rejected.len()
                )));
            }
            counts += report.counts;
        }
        let report = KindReport {
            kind,
            rows: total,
            counts,
            elapsed: started.elapsed(),
        };
        (self.progress)(&report);
        self.reports.push(report);
        Ok(())
    }
}

/// What `serve --demo` prepared.
pub struct DemoSetup {
    pub workspace: workspace::Model,
    /// Whether the workspace was created by this start (else an earlier one was reused).
    pub created: bool,
    pub window: Window,
    /// ADMIN, WRITE and READ keys, in that order.
    pub keys: Vec<IssuedKey>,
    pub reports: Vec<KindReport>,
    /// The evaluation of the workspace's alert rules as of today, after loading.
    pub alerts: crate::alerts::store::Summary,
    /// Alerts firing after that evaluation.
    pub firing: u64,
}

/// Finds or creates the demo workspace of `scale` ([`workspace_name`]), loads `days` days
/// ending yesterday at `scale`, evaluates its alert rules as of today (so the deliberate breaches
/// fire), and issues new keys `demo-admin`, `demo-write` and `demo-read`
/// (keys are stored hashed, so the earlier ones cannot be shown again; they stay valid).
///
/// # Errors
/// As [`load`].
pub async fn setup(
    db: &DatabaseConnection,
    alert_service: &crate::alerts::AlertService,
    scale: u32,
    days: u32,
    progress: &mut dyn FnMut(&KindReport),
) -> ApiResult<DemoSetup> {
    let (ws, created) = crate::workspace::find_or_create(db, &workspace_name(scale)).await?;
    let tenant = Tenant::system(ws.clone(), Role::Write);
    let window = Window::new(tenant.today() - TimeDelta::days(1), days, scale);
    let reports = load(db, &tenant, &window, progress).await?;
    let mut keys = Vec::new();
    for (name, role) in [
        ("demo-admin", Role::Admin),
        ("demo-write", Role::Write),
        ("demo-read", Role::Read),
    ] {
        keys.push(auth::issue_key(db, ws.id, name, role).await?);
    }
    let admin = Tenant::system(ws.clone(), Role::Admin);
    let alerts =
        crate::alerts::store::evaluate_workspace(db, alert_service, &admin, admin.today()).await?;
    let firing = crate::alerts::store::firing_count(db, &admin).await?;
    Ok(DemoSetup {
        workspace: ws,
        created,
        window,
        keys,
        reports,
        alerts,
        firing,
    })
}

impl DemoSetup {
    /// What to tell the user once the server listens on `base_url` (`http://host:port`).
    pub fn banner(&self, base_url: &str) -> String {
        let mut text = format!(
            "Demo workspace \"{}\" ({}, id {}): {} to {} ({} days), scale {}.\n\
             Keys (shown once; each start issues new ones):\n",
            self.workspace.name,
            if self.created { "created" } else { "reused" },
            self.workspace.id,
            self.window.start,
            self.window.end,
            (self.window.end - self.window.start).num_days() + 1,
            self.window.scale,
        );
        for key in &self.keys {
            let role = Role::from(key.model.role);
            text.push_str(&format!(
                "  {:<6} {:<11} {}\n",
                format!("{role:?}").to_uppercase(),
                key.model.name,
                key.secret
            ));
        }
        text.push_str(&format!(
            "Alerts: {} firing after evaluating as of today (query `alerts` or `alertEvents`).\n",
            self.firing
        ));
        let read = self.keys.last().map_or("", |k| k.secret.as_str());
        let query = format!(
            "{{ kpiReport(input: {{kpis: [OPEN_RATE, READ_THROUGH_RATE, GMV], range: {{from: \"{}\", \
             to: \"{}\"}}, granularity: MONTH, groupBy: [ACCOUNT]}}) {{ rows {{ period {{ label }} \
             dimensions {{ key }} values {{ kpi value status }} }} }} alerts(filter: {{states: [FIRING]}}) \
             {{ totalCount edges {{ node {{ kpi severity value group {{ key }} }} }} }} }}",
            self.window.start, self.window.end
        );
        let body = serde_json::json!({ "query": query }).to_string();
        text.push_str(&format!(
            "GraphiQL: {base_url}/graphql (add the header Authorization: Bearer <key>)\n\
             Try:\n  curl -s {base_url}/graphql -H 'Authorization: Bearer {read}' \
             -H 'Content-Type: application/json' \\\n    -d '{body}'\n"
        ));
        text
    }
}
