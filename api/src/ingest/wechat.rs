//! WeChat / WeCom statistics payloads → the raw rows of [`super::validate`].
//!
//! `importWechat` (and `wekpi import-wechat`) accept the JSON body that a statistics endpoint
//! returned, unchanged. [`map`] turns it into raw `*In` rows, which then go through the same
//! validation as every other ingest path, so a platform value that breaks a rule (a future date,
//! `repliedChats > chats`, a cumulative total that went down) is a per-row error like any other.
//!
//! This module only reads shapes: it never validates values beyond "is this the number or date
//! the platform documents", never does IO and never knows what is stored. It fails as a whole
//! only for an error envelope ([`WechatError::PlatformError`]) or a payload of the wrong shape
//! ([`WechatError::Malformed`]). Unknown extra fields are ignored: WeChat adds fields over time.
//!
//! # Mappings
//!
//! Dates: OA `ref_date` / `stat_date` are `YYYY-MM-DD` calendar days in China; WeCom `stat_time`
//! is unix seconds at 00:00 China Standard Time (UTC+8) and must be exactly that.
//!
//! Metrics that the platform leaves out are "not provided" (`None`), never 0, except where the
//! SPEC says otherwise (WeCom: missing optional fields mean 0). For account and content facts
//! `None` survives validation, so the store keeps what another source wrote (see
//! [`super::validate::AccountDaily`], [`super::validate::ContentDaily`]).
//!
//! - `OA_USER_SUMMARY` (getusersummary): one account-daily row per `ref_date`, summing that
//!   day's rows over `user_source` (an open enum: unknown codes are summed too):
//!   `newFollowers` = Σ`new_user`, `unfollows` = Σ`cancel_user`. `totalFollowers` is not provided.
//! - `OA_USER_CUMULATE` (getusercumulate): `totalFollowers` = `cumulate_user`; `newFollowers` and
//!   `unfollows` are not provided.
//! - `OA_ARTICLE_TOTAL` (getarticletotal): `list[].details[]` hold totals cumulative from the
//!   publish date `list[].ref_date`. The details must be consecutive days starting on the
//!   publish date (as the platform sends them; their order does not matter), otherwise the
//!   payload is malformed: a day whose previous total is unknown has no daily value. A day's
//!   fact is its total minus the previous day's (the first day's is its total), so importing the
//!   same payload twice, or a later payload for the same publish date, gives the same facts for
//!   the days both contain. `opens` = `int_page_from_session_read_user`, `reads` =
//!   `int_page_read_count`, `readers` = `int_page_read_user`, `shares` = `share_count`, `sharers` =
//!   `share_user`, `favorites` = `add_to_fav_count`, `clicks` = `ori_page_read_count` (reads of
//!   the "read original" page, the only click-through the endpoint reports). `deliveries` =
//!   `target_user` on the publish date and 0 on later days, because an article is delivered once;
//!   so Σopens / Σdeliveries over any range containing the publish date is the open rate.
//!   Not provided: `completions`, `likes`, `comments`. A total that went down from one day to
//!   the next (a platform correction) gives a negative difference, which validation rejects as
//!   `NEGATIVE` on that row rather than being clamped into a wrong 0. A difference is not
//!   provided when either total is missing.
//! - `OA_ARTICLE_SUMMARY` (getarticlesummary): daily values per (`ref_date`, `msgid`), mapped
//!   like `OA_ARTICLE_TOTAL` without differences. Not provided: `deliveries`, `opens` (the
//!   endpoint has neither `target_user` nor the per-source split), `completions`, `likes`,
//!   `comments`.
//! - Both article sources also return a [`ContentIn`] per `msgid` (kind `ARTICLE`, key `msgid`,
//!   title `title`, the given account) for the store to create **only if the key is unknown**:
//!   it must not overwrite a stored content's title, time or campaign. Its `publishedAt` is the
//!   earliest `ref_date` of that `msgid` in the payload at 00:00 China Standard Time
//!   (`YYYY-MM-DDT00:00:00+08:00`): the real publish date for getarticletotal; for
//!   getarticlesummary only the first day it was read, which may be later than the publish date.
//! - `WECOM_USER_BEHAVIOR` (get_user_behavior_data): the response aggregates over the request's
//!   `userid` list and does not name it, so the caller names the member (`staff`); call the
//!   endpoint once per member. `chats` = `chat_cnt`, `messages` = `message_cnt`, `repliedChats`
//!   = round(`chat_cnt` × `reply_percentage` / 100) (half away from zero), `replyMinutesTotal` =
//!   `avg_reply_time` × `repliedChats`, `newApplies` = `new_apply_cnt`, `newContacts` =
//!   `new_contact_cnt`, `negativeFeedback` = `negative_feedback_cnt`. Missing fields are 0;
//!   `reply_percentage` and `avg_reply_time` may be integers or floats.
//! - `WECOM_GROUPCHAT_BY_DAY` (groupchat/statistic_group_by_day): the response aggregates over the
//!   request's `owner_filter` and does not name it either, so the caller names the owner
//!   (`staff`). `groupsTotal` = `chat_total`, `activeGroups` = `chat_has_msg`, `membersTotal` =
//!   `member_total`, `activeMembers` = `member_has_msg`, `newMembers` = `new_member_cnt`,
//!   `messages` = `msg_total` (the platform's value for that day). Missing fields are 0.
//!   `new_chat_cnt` and `migrate_trainee_chat_cnt` have no column and are ignored.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate};
use serde_json::{Map, Value};

use super::validate::{
    AccountDailyIn, ContentDailyIn, ContentIn, ContentKind, GroupDailyIn, MAX_COUNT, StaffDailyIn,
    parse_date, string_enum,
};

/// China Standard Time (UTC+8), in which every WeChat statistics day is counted.
const CST_OFFSET_SECONDS: i64 = 8 * 3600;

const SECONDS_PER_DAY: i64 = 86_400;

/// Unix seconds at or above this are milliseconds (year 5138 in seconds), a common mistake.
const MILLISECONDS_THRESHOLD: i64 = 100_000_000_000;

string_enum! {
    /// The statistics endpoint a payload came from. Responses do not say so themselves, and
    /// several endpoints share a shape, so the caller names it.
    pub enum WechatSource {
        /// Official Account `datacube/getusersummary`.
        OaUserSummary = "OA_USER_SUMMARY",
        /// Official Account `datacube/getusercumulate`.
        OaUserCumulate = "OA_USER_CUMULATE",
        /// Official Account `datacube/getarticletotal`.
        OaArticleTotal = "OA_ARTICLE_TOTAL",
        /// Official Account `datacube/getarticlesummary`.
        OaArticleSummary = "OA_ARTICLE_SUMMARY",
        /// WeCom `externalcontact/get_user_behavior_data`.
        WecomUserBehavior = "WECOM_USER_BEHAVIOR",
        /// WeCom `externalcontact/groupchat/statistic_group_by_day`.
        WecomGroupchatByDay = "WECOM_GROUPCHAT_BY_DAY",
    }
}

impl WechatSource {
    /// Whether the payload aggregates over WeCom members named only in the request, so that
    /// [`map`] needs the member (`staff`) from the caller.
    pub const fn needs_staff(self) -> bool {
        matches!(self, Self::WecomUserBehavior | Self::WecomGroupchatByDay)
    }
}

/// The raw rows a payload maps to, for validation and then the store.
///
/// Rows follow the payload's order, except that `OA_USER_SUMMARY` gives one row per day by
/// date and `OA_ARTICLE_TOTAL` gives each article's days in date order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapped {
    /// Contents to create if their key is unknown (article sources only); never overwrites.
    pub contents: Vec<ContentIn>,
    /// Content × date facts (article sources).
    pub content_daily: Vec<ContentDailyIn>,
    /// Account × date facts (user sources).
    pub account_daily: Vec<AccountDailyIn>,
    /// Account × staff × date facts (`WECOM_USER_BEHAVIOR`).
    pub staff_daily: Vec<StaffDailyIn>,
    /// Account × owner × date facts (`WECOM_GROUPCHAT_BY_DAY`).
    pub group_daily: Vec<GroupDailyIn>,
}

/// Why a payload could not be mapped at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WechatError {
    /// The payload is the platform's error envelope (`errcode` ≠ 0), e.g. 61501 "date range
    /// error" or WeCom 600018. `errmsg` is kept as sent (with its `rid` / `hint` suffix);
    /// callers should match on `errcode` only.
    #[error("the platform answered with error {errcode}: {errmsg}")]
    PlatformError {
        /// The platform's error code.
        errcode: i64,
        /// The platform's message, verbatim.
        errmsg: String,
    },
    /// The payload does not have the documented shape: a missing list, a value of the wrong
    /// type, a non-midnight `stat_time`, non-consecutive article details.
    #[error("malformed payload at {path}: {message}")]
    Malformed {
        /// Where, as a JSON path such as `$.list[2].details[0].stat_date`.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// A WeCom source was given without the member it was requested for.
    #[error(
        "{0} does not name the WeCom member it aggregates over: pass the userid it was \
         requested for as staff"
    )]
    MissingStaff(WechatSource),
}

/// Maps a statistics payload onto raw rows of account `account_key`.
///
/// `staff` is the WeCom userid that a `WECOM_*` payload was requested for (required there,
/// ignored for Official Account sources). See the module docs for every field mapping.
///
/// # Errors
///
/// [`WechatError::PlatformError`] for an error envelope, [`WechatError::Malformed`] for a
/// payload of the wrong shape, [`WechatError::MissingStaff`] for a WeCom source without `staff`.
pub fn map(
    source: WechatSource,
    account_key: &str,
    staff: Option<&str>,
    payload: &Value,
) -> Result<Mapped, WechatError> {
    let root = Node {
        value: payload,
        path: "$".to_owned(),
    };
    check_envelope(&root)?;
    let staff = || {
        staff
            .map(str::trim)
            .filter(|staff| !staff.is_empty())
            .ok_or(WechatError::MissingStaff(source))
    };
    match source {
        WechatSource::OaUserSummary => user_summary(&root, account_key),
        WechatSource::OaUserCumulate => user_cumulate(&root, account_key),
        WechatSource::OaArticleTotal => article_total(&root, account_key),
        WechatSource::OaArticleSummary => article_summary(&root, account_key),
        WechatSource::WecomUserBehavior => user_behavior(&root, account_key, staff()?),
        WechatSource::WecomGroupchatByDay => groupchat_by_day(&root, account_key, staff()?),
    }
}

/// OA successes carry no `errcode`, WeCom successes `errcode: 0`; anything else is an error.
fn check_envelope(root: &Node<'_>) -> Result<(), WechatError> {
    let Some(code) = root.field("errcode")? else {
        return Ok(());
    };
    let errcode = code.integer()?;
    if errcode == 0 {
        return Ok(());
    }
    let errmsg = root.field("errmsg")?.map_or_else(String::new, |message| {
        message
            .value
            .as_str()
            .map_or_else(|| message.value.to_string(), str::to_owned)
    });
    Err(WechatError::PlatformError { errcode, errmsg })
}

fn user_summary(root: &Node<'_>, account: &str) -> Result<Mapped, WechatError> {
    // (new followers, unfollows) per day, summed over user_source.
    let mut days: BTreeMap<NaiveDate, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for row in root.required("list")?.elements()? {
        let date = row.required("ref_date")?.date()?;
        let (new_followers, unfollows) = days.entry(date).or_default();
        *new_followers = add(*new_followers, row.count("new_user")?);
        *unfollows = add(*unfollows, row.count("cancel_user")?);
    }
    let account_daily = days
        .into_iter()
        .map(|(date, (new_followers, unfollows))| AccountDailyIn {
            account: Some(account.to_owned()),
            date: Some(date.to_string()),
            new_followers,
            unfollows,
            total_followers: None,
        })
        .collect();
    Ok(Mapped {
        account_daily,
        ..Mapped::default()
    })
}

/// A sum of values that may each be missing: missing only if all are.
fn add(sum: Option<f64>, value: Option<f64>) -> Option<f64> {
    match (sum, value) {
        (Some(sum), Some(value)) => Some(sum + value),
        (sum, None) => sum,
        (None, value) => value,
    }
}

fn user_cumulate(root: &Node<'_>, account: &str) -> Result<Mapped, WechatError> {
    let account_daily = root
        .required("list")?
        .elements()?
        .into_iter()
        .map(|row| {
            Ok(AccountDailyIn {
                account: Some(account.to_owned()),
                date: Some(row.required("ref_date")?.date()?.to_string()),
                new_followers: None,
                unfollows: None,
                total_followers: row.count("cumulate_user")?,
            })
        })
        .collect::<Result<_, WechatError>>()?;
    Ok(Mapped {
        account_daily,
        ..Mapped::default()
    })
}

/// The article metrics that map onto content-daily columns, as the platform reports them.
#[derive(Debug, Clone, Copy, Default)]
struct ArticleMetrics {
    deliveries: Option<f64>,
    opens: Option<f64>,
    reads: Option<f64>,
    readers: Option<f64>,
    shares: Option<f64>,
    sharers: Option<f64>,
    favorites: Option<f64>,
    clicks: Option<f64>,
}

impl ArticleMetrics {
    /// Totals before the publish date.
    const ZERO: Self = Self {
        deliveries: Some(0.0),
        opens: Some(0.0),
        reads: Some(0.0),
        readers: Some(0.0),
        shares: Some(0.0),
        sharers: Some(0.0),
        favorites: Some(0.0),
        clicks: Some(0.0),
    };

    fn read(node: &Node<'_>) -> Result<Self, WechatError> {
        Ok(Self {
            deliveries: node.count("target_user")?,
            opens: node.count("int_page_from_session_read_user")?,
            reads: node.count("int_page_read_count")?,
            readers: node.count("int_page_read_user")?,
            shares: node.count("share_count")?,
            sharers: node.count("share_user")?,
            favorites: node.count("add_to_fav_count")?,
            clicks: node.count("ori_page_read_count")?,
        })
    }

    fn row(self, content: &str, date: NaiveDate) -> ContentDailyIn {
        ContentDailyIn {
            content: Some(content.to_owned()),
            date: Some(date.to_string()),
            deliveries: self.deliveries,
            opens: self.opens,
            reads: self.reads,
            readers: self.readers,
            shares: self.shares,
            sharers: self.sharers,
            favorites: self.favorites,
            clicks: self.clicks,
            ..ContentDailyIn::default()
        }
    }
}

/// `total − before`, not provided when either is missing; may be negative (see module docs).
fn difference(total: Option<f64>, before: Option<f64>) -> Option<f64> {
    Some(total? - before?)
}

fn article_total(root: &Node<'_>, account: &str) -> Result<Mapped, WechatError> {
    let mut articles = Articles::default();
    let mut content_daily = Vec::new();
    for article in root.required("list")?.elements()? {
        let published = article.required("ref_date")?.date()?;
        let msgid = article.required("msgid")?.string()?;
        articles.saw(msgid, article.optional_string("title")?, published);

        let mut details = article
            .required("details")?
            .elements()?
            .into_iter()
            .map(|detail| {
                let date = detail.required("stat_date")?.date()?;
                Ok((date, ArticleMetrics::read(&detail)?, detail))
            })
            .collect::<Result<Vec<_>, WechatError>>()?;
        details.sort_by_key(|(date, ..)| *date);

        let mut expected = published;
        let mut before = ArticleMetrics::ZERO;
        for (date, total, detail) in details {
            if date != expected {
                return Err(detail.malformed(format!(
                    "stat_date {date} where {expected} was expected: details must be \
                     consecutive days from the publish date {published}, or a day's \
                     difference of cumulative totals is unknown"
                )));
            }
            let daily = ArticleMetrics {
                // Delivered once, on the publish date.
                deliveries: if date == published {
                    total.deliveries
                } else {
                    Some(0.0)
                },
                opens: difference(total.opens, before.opens),
                reads: difference(total.reads, before.reads),
                readers: difference(total.readers, before.readers),
                shares: difference(total.shares, before.shares),
                sharers: difference(total.sharers, before.sharers),
                favorites: difference(total.favorites, before.favorites),
                clicks: difference(total.clicks, before.clicks),
            };
            content_daily.push(daily.row(msgid, date));
            before = total;
            expected = date
                .checked_add_days(Days::new(1))
                .ok_or_else(|| detail.malformed("stat_date is the last representable day"))?;
        }
    }
    Ok(Mapped {
        contents: articles.into_rows(account),
        content_daily,
        ..Mapped::default()
    })
}

fn article_summary(root: &Node<'_>, account: &str) -> Result<Mapped, WechatError> {
    let mut articles = Articles::default();
    let mut content_daily = Vec::new();
    for row in root.required("list")?.elements()? {
        let date = row.required("ref_date")?.date()?;
        let msgid = row.required("msgid")?.string()?;
        articles.saw(msgid, row.optional_string("title")?, date);
        let daily = ArticleMetrics {
            deliveries: None,
            opens: None,
            ..ArticleMetrics::read(&row)?
        };
        content_daily.push(daily.row(msgid, date));
    }
    Ok(Mapped {
        contents: articles.into_rows(account),
        content_daily,
        ..Mapped::default()
    })
}

/// The articles a payload names, each once, in order of first appearance.
#[derive(Default)]
struct Articles {
    seen: Vec<SeenArticle>,
    index: HashMap<String, usize>,
}

struct SeenArticle {
    msgid: String,
    title: Option<String>,
    earliest: NaiveDate,
}

impl Articles {
    fn saw(&mut self, msgid: &str, title: Option<&str>, date: NaiveDate) {
        if let Some(&i) = self.index.get(msgid)
            && let Some(seen) = self.seen.get_mut(i)
        {
            seen.title = seen.title.take().or_else(|| title.map(str::to_owned));
            seen.earliest = seen.earliest.min(date);
            return;
        }
        self.index.insert(msgid.to_owned(), self.seen.len());
        self.seen.push(SeenArticle {
            msgid: msgid.to_owned(),
            title: title.map(str::to_owned),
            earliest: date,
        });
    }

    fn into_rows(self, account: &str) -> Vec<ContentIn> {
        self.seen
            .into_iter()
            .map(|seen| ContentIn {
                key: Some(seen.msgid),
                account: Some(account.to_owned()),
                kind: Some(ContentKind::Article.as_str().to_owned()),
                title: seen.title,
                published_at: Some(format!("{}T00:00:00+08:00", seen.earliest)),
                campaign: None,
            })
            .collect()
    }
}

fn user_behavior(root: &Node<'_>, account: &str, staff: &str) -> Result<Mapped, WechatError> {
    let mut staff_daily = Vec::new();
    for row in root.required("behavior_data")?.elements()? {
        let date = row.required("stat_time")?.china_day()?;
        // reply_percentage and avg_reply_time are only sent for days with chats.
        let chats = row.count("chat_cnt")?.unwrap_or(0.0);
        let reply_percentage = row.number("reply_percentage")?.unwrap_or(0.0);
        let avg_reply_minutes = row.number("avg_reply_time")?.unwrap_or(0.0);
        let replied_chats = (chats * reply_percentage / 100.0).round();
        staff_daily.push(StaffDailyIn {
            account: Some(account.to_owned()),
            staff: Some(staff.to_owned()),
            date: Some(date.to_string()),
            chats: Some(chats),
            messages: row.count("message_cnt")?,
            replied_chats: Some(replied_chats),
            reply_minutes_total: Some(avg_reply_minutes * replied_chats),
            new_applies: row.count("new_apply_cnt")?,
            new_contacts: row.count("new_contact_cnt")?,
            negative_feedback: row.count("negative_feedback_cnt")?,
        });
    }
    Ok(Mapped {
        staff_daily,
        ..Mapped::default()
    })
}

fn groupchat_by_day(root: &Node<'_>, account: &str, owner: &str) -> Result<Mapped, WechatError> {
    let mut group_daily = Vec::new();
    for item in root.required("items")?.elements()? {
        let date = item.required("stat_time")?.china_day()?;
        let data = item.required("data")?;
        group_daily.push(GroupDailyIn {
            account: Some(account.to_owned()),
            staff: Some(owner.to_owned()),
            date: Some(date.to_string()),
            groups_total: data.count("chat_total")?,
            active_groups: data.count("chat_has_msg")?,
            members_total: data.count("member_total")?,
            active_members: data.count("member_has_msg")?,
            new_members: data.count("new_member_cnt")?,
            messages: data.count("msg_total")?,
        });
    }
    Ok(Mapped {
        group_daily,
        ..Mapped::default()
    })
}

/// A JSON value with its path, so that every shape error says where it is.
struct Node<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> Node<'a> {
    fn malformed(&self, message: impl Into<String>) -> WechatError {
        WechatError::Malformed {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    fn expected(&self, what: &str) -> WechatError {
        let found = match self.value {
            Value::Array(_) => "a list".to_owned(),
            Value::Object(_) => "an object".to_owned(),
            Value::String(text) if text.chars().count() > 40 => {
                format!("{:?}…", text.chars().take(40).collect::<String>())
            }
            scalar => scalar.to_string(),
        };
        self.malformed(format!("expected {what}, found {found}"))
    }

    fn object(&self) -> Result<&'a Map<String, Value>, WechatError> {
        self.value
            .as_object()
            .ok_or_else(|| self.expected("an object"))
    }

    /// A member of this object; absent and `null` both mean "not sent".
    fn field(&self, name: &str) -> Result<Option<Node<'a>>, WechatError> {
        Ok(self
            .object()?
            .get(name)
            .filter(|value| !value.is_null())
            .map(|value| Node {
                value,
                path: format!("{}.{name}", self.path),
            }))
    }

    fn required(&self, name: &str) -> Result<Node<'a>, WechatError> {
        self.field(name)?.ok_or_else(|| WechatError::Malformed {
            path: format!("{}.{name}", self.path),
            message: "missing".to_owned(),
        })
    }

    fn elements(&self) -> Result<Vec<Node<'a>>, WechatError> {
        let array = self
            .value
            .as_array()
            .ok_or_else(|| self.expected("a list"))?;
        Ok(array
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{}[{i}]", self.path),
            })
            .collect())
    }

    fn string(&self) -> Result<&'a str, WechatError> {
        self.value.as_str().ok_or_else(|| self.expected("a string"))
    }

    fn optional_string(&self, name: &str) -> Result<Option<&'a str>, WechatError> {
        self.field(name)?.map(|node| node.string()).transpose()
    }

    fn integer(&self) -> Result<i64, WechatError> {
        self.value
            .as_i64()
            .ok_or_else(|| self.expected("an integer"))
    }

    fn date(&self) -> Result<NaiveDate, WechatError> {
        parse_date(self.string()?).ok_or_else(|| self.expected("a date YYYY-MM-DD"))
    }

    /// The China calendar day of a `stat_time`, which must be 00:00 China Standard Time.
    fn china_day(&self) -> Result<NaiveDate, WechatError> {
        let seconds = self.integer()?;
        if seconds >= MILLISECONDS_THRESHOLD {
            return Err(self.malformed(format!(
                "{seconds} looks like milliseconds; stat_time is unix seconds"
            )));
        }
        let local = seconds + CST_OFFSET_SECONDS;
        if local.rem_euclid(SECONDS_PER_DAY) != 0 {
            return Err(self.malformed(format!(
                "{seconds} is not 00:00 China Standard Time (UTC+8)"
            )));
        }
        DateTime::from_timestamp(local, 0)
            .map(|at| at.date_naive())
            .ok_or_else(|| self.malformed(format!("{seconds} is out of range")))
    }

    /// A count member: a non-negative whole number as the platform documents, or not sent.
    fn count(&self, name: &str) -> Result<Option<f64>, WechatError> {
        let Some(node) = self.field(name)? else {
            return Ok(None);
        };
        match node.value.as_f64() {
            Some(count) if count >= 0.0 && count.fract() == 0.0 && count <= MAX_COUNT => {
                Ok(Some(count))
            }
            _ => Err(node.expected("a non-negative whole number")),
        }
    }

    /// A non-negative number member (percentages, minutes; integer or float), or not sent.
    fn number(&self, name: &str) -> Result<Option<f64>, WechatError> {
        let Some(node) = self.field(name)? else {
            return Ok(None);
        };
        match node.value.as_f64() {
            Some(number) if number >= 0.0 => Ok(Some(number)),
            _ => Err(node.expected("a non-negative number")),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::super::validate::{self, RowErrorCode, ValidationContext};
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            serde_json::from_str::<Value>(include_str!(concat!(
                "../../../tests/fixtures/wechat/",
                $name
            )))
            .unwrap()
        };
    }

    const ACCOUNT: &str = "oa-main";

    /// After every fixture's dates.
    fn ctx() -> ValidationContext {
        ValidationContext {
            today: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            tz: chrono_tz::Asia::Shanghai,
        }
    }

    fn oa(source: WechatSource, payload: &Value) -> Mapped {
        map(source, ACCOUNT, None, payload).unwrap()
    }

    fn account_daily(
        date: &str,
        new: Option<f64>,
        unfollows: Option<f64>,
        total: Option<f64>,
    ) -> AccountDailyIn {
        AccountDailyIn {
            account: Some(ACCOUNT.to_owned()),
            date: Some(date.to_owned()),
            new_followers: new,
            unfollows,
            total_followers: total,
        }
    }

    /// [deliveries, opens, reads, readers, shares, sharers, favorites, clicks]
    fn content_daily(content: &str, date: &str, v: [f64; 8]) -> ContentDailyIn {
        ContentDailyIn {
            content: Some(content.to_owned()),
            date: Some(date.to_owned()),
            deliveries: Some(v[0]),
            opens: Some(v[1]),
            reads: Some(v[2]),
            readers: Some(v[3]),
            shares: Some(v[4]),
            sharers: Some(v[5]),
            favorites: Some(v[6]),
            clicks: Some(v[7]),
            ..ContentDailyIn::default()
        }
    }

    fn article(key: &str, title: &str, published: &str) -> ContentIn {
        ContentIn {
            key: Some(key.to_owned()),
            account: Some(ACCOUNT.to_owned()),
            kind: Some("ARTICLE".to_owned()),
            title: Some(title.to_owned()),
            published_at: Some(published.to_owned()),
            campaign: None,
        }
    }

    const A: &str = "3300112233_1";
    const B: &str = "3300112233_2";

    #[test]
    fn user_summary_sums_a_day_over_user_source() {
        let mapped = oa(
            WechatSource::OaUserSummary,
            &fixture!("getusersummary.json"),
        );
        assert_eq!(
            mapped,
            Mapped {
                account_daily: vec![
                    // new 5 + 20 + 70, unfollows 2 + 1 + 4
                    account_daily("2025-09-01", Some(95.0), Some(7.0), None),
                    // new 3 + 44 + 1 (an unknown user_source counts too), unfollows 6 + 2 + 0
                    account_daily("2025-09-02", Some(48.0), Some(8.0), None),
                ],
                ..Mapped::default()
            }
        );
    }

    #[test]
    fn user_cumulate_gives_only_the_total() {
        let mapped = oa(
            WechatSource::OaUserCumulate,
            &fixture!("getusercumulate.json"),
        );
        assert_eq!(
            mapped.account_daily,
            [
                account_daily("2025-09-01", None, None, Some(50120.0)),
                // 50120 + 48 − 8
                account_daily("2025-09-02", None, None, Some(50160.0)),
            ]
        );
    }

    #[test]
    fn summary_and_cumulate_of_the_same_days_never_zero_each_other() {
        let summary = oa(
            WechatSource::OaUserSummary,
            &fixture!("getusersummary.json"),
        );
        let cumulate = oa(
            WechatSource::OaUserCumulate,
            &fixture!("getusercumulate.json"),
        );
        let summary = validate::validate(summary.account_daily, &ctx());
        let cumulate = validate::validate(cumulate.account_daily, &ctx());
        assert_eq!((summary.errors.len(), cumulate.errors.len()), (0, 0));
        for ((_, s), (_, c)) in summary.rows.iter().zip(&cumulate.rows) {
            assert_eq!(s.date, c.date);
            // Each import provides exactly the columns the other leaves out.
            assert!(
                s.new_followers.is_some() && s.unfollows.is_some() && s.total_followers.is_none()
            );
            assert!(
                c.new_followers.is_none() && c.unfollows.is_none() && c.total_followers.is_some()
            );
        }
    }

    #[test]
    fn article_total_gives_day_to_day_differences() {
        let mapped = oa(
            WechatSource::OaArticleTotal,
            &fixture!("getarticletotal.json"),
        );
        assert_eq!(
            mapped.contents,
            [
                article(A, "秋季新品预告", "2025-09-03T00:00:00+08:00"),
                article(B, "会员积分规则更新", "2025-09-03T00:00:00+08:00"),
            ]
        );
        assert_eq!(
            mapped.content_daily,
            [
                // Publish date: the cumulative totals themselves, deliveries = target_user.
                content_daily(
                    A,
                    "2025-09-03",
                    [48000.0, 3000.0, 5200.0, 4100.0, 310.0, 250.0, 60.0, 80.0]
                ),
                // opens 3900−3000, reads 7000−5200, readers 5500−4100, shares 420−310,
                // sharers 330−250, favorites 75−60, clicks 110−80; delivered only once.
                content_daily(
                    A,
                    "2025-09-04",
                    [0.0, 900.0, 1800.0, 1400.0, 110.0, 80.0, 15.0, 30.0]
                ),
                // 4200−3900, 7600−7000, 5950−5500, 450−420, 352−330, 81−75, 118−110
                content_daily(
                    A,
                    "2025-09-05",
                    [0.0, 300.0, 600.0, 450.0, 30.0, 22.0, 6.0, 8.0]
                ),
                content_daily(
                    B,
                    "2025-09-03",
                    [48000.0, 800.0, 1000.0, 900.0, 20.0, 18.0, 5.0, 0.0]
                ),
            ]
        );
        // Columns the endpoint does not have stay "not provided".
        assert!(mapped.content_daily.iter().all(|row| {
            row.completions.is_none() && row.likes.is_none() && row.comments.is_none()
        }));
    }

    #[test]
    fn article_total_imported_twice_gives_the_same_rows() {
        let payload = fixture!("getarticletotal.json");
        let first = oa(WechatSource::OaArticleTotal, &payload);
        let second = oa(WechatSource::OaArticleTotal, &payload);
        assert_eq!(first, second);
        let first = validate::validate(first.content_daily, &ctx());
        let second = validate::validate(second.content_daily, &ctx());
        assert_eq!(first.errors, vec![]);
        assert_eq!(first, second);
    }

    #[test]
    fn a_later_article_total_repeats_the_overlapping_days() {
        let early = oa(
            WechatSource::OaArticleTotal,
            &fixture!("getarticletotal.json"),
        );
        let later = oa(
            WechatSource::OaArticleTotal,
            &fixture!("getarticletotal_later.json"),
        );
        assert_eq!(later.contents, early.contents);
        for row in &early.content_daily {
            assert!(later.content_daily.contains(row), "{row:?} changed");
        }
        let new_days: Vec<_> = later
            .content_daily
            .into_iter()
            .filter(|row| !early.content_daily.contains(row))
            .collect();
        assert_eq!(
            new_days,
            [
                // 4310−4200, 7800−7600, 6100−5950, 458−450, 358−352, 83−81, 121−118
                content_daily(
                    A,
                    "2025-09-06",
                    [0.0, 110.0, 200.0, 150.0, 8.0, 6.0, 2.0, 3.0]
                ),
                // 4350−4310, 7890−7800, 6160−6100, 461−458, 360−358, 84−83, 122−121
                content_daily(A, "2025-09-07", [0.0, 40.0, 90.0, 60.0, 3.0, 2.0, 1.0, 1.0]),
                // B's details arrive newest first in this payload; they are sorted.
                // 950−800, 1230−1000, 1090−900, 26−20, 23−18, 6−5, 0−0
                content_daily(
                    B,
                    "2025-09-04",
                    [0.0, 150.0, 230.0, 190.0, 6.0, 5.0, 1.0, 0.0]
                ),
                // 990−950, 1300−1230, 1150−1090, 27−26, 24−23, 6−6, 0−0
                content_daily(B, "2025-09-05", [0.0, 40.0, 70.0, 60.0, 1.0, 1.0, 0.0, 0.0]),
            ]
        );
    }

    fn total_payload(details: Value) -> Value {
        json!({"list": [{"ref_date": "2025-09-03", "msgid": A, "title": "t", "details": details}]})
    }

    #[test]
    fn a_decreasing_total_is_a_row_error_not_a_silent_zero() {
        let payload = total_payload(json!([
            {"stat_date": "2025-09-03", "int_page_read_count": 100, "share_count": 12},
            {"stat_date": "2025-09-04", "int_page_read_count": 130, "share_count": 9},
        ]));
        let mapped = oa(WechatSource::OaArticleTotal, &payload);
        // shares 9 − 12; reads 130 − 100; metrics the payload lacks stay not provided.
        assert_eq!(mapped.content_daily[1].shares, Some(-3.0));
        assert_eq!(mapped.content_daily[1].reads, Some(30.0));
        assert_eq!(mapped.content_daily[1].opens, None);
        let validated = validate::validate(mapped.content_daily, &ctx());
        let errors: Vec<_> = validated
            .errors
            .iter()
            .map(|e| (e.index, e.field.as_str(), e.code))
            .collect();
        assert_eq!(errors, [(1, "shares", RowErrorCode::Negative)]);
    }

    #[test]
    fn article_details_must_be_consecutive_from_the_publish_date() {
        let gap = total_payload(json!([
            {"stat_date": "2025-09-03", "int_page_read_count": 100},
            {"stat_date": "2025-09-05", "int_page_read_count": 130},
        ]));
        let late_start = total_payload(json!([
            {"stat_date": "2025-09-04", "int_page_read_count": 100},
        ]));
        let repeated = total_payload(json!([
            {"stat_date": "2025-09-03", "int_page_read_count": 100},
            {"stat_date": "2025-09-03", "int_page_read_count": 100},
        ]));
        for (name, payload, path) in [
            ("gap", gap, "$.list[0].details[1]"),
            ("late start", late_start, "$.list[0].details[0]"),
            ("repeated day", repeated, "$.list[0].details[1]"),
        ] {
            let error = map(WechatSource::OaArticleTotal, ACCOUNT, None, &payload).unwrap_err();
            let WechatError::Malformed { path: got, message } = error else {
                panic!("{name}: {error:?}");
            };
            assert_eq!(got, path, "{name}");
            assert!(message.contains("consecutive days"), "{name}: {message}");
        }
    }

    #[test]
    fn article_summary_maps_daily_values_without_deliveries_or_opens() {
        let mapped = oa(
            WechatSource::OaArticleSummary,
            &fixture!("getarticlesummary.json"),
        );
        assert_eq!(
            mapped.contents,
            [
                // The summary only knows the day the article was read.
                article(A, "秋季新品预告", "2025-09-04T00:00:00+08:00"),
                article("3300109876_2", "会员日回顾", "2025-09-04T00:00:00+08:00"),
            ]
        );
        let without_delivery = |row: ContentDailyIn| ContentDailyIn {
            deliveries: None,
            opens: None,
            ..row
        };
        assert_eq!(
            mapped.content_daily,
            [
                // The same day's values as the getarticletotal differences above.
                without_delivery(content_daily(
                    A,
                    "2025-09-04",
                    [0.0, 0.0, 1800.0, 1400.0, 110.0, 80.0, 15.0, 30.0]
                )),
                without_delivery(content_daily(
                    "3300109876_2",
                    "2025-09-04",
                    [0.0, 0.0, 70.0, 61.0, 3.0, 3.0, 2.0, 0.0]
                )),
            ]
        );
    }

    /// [chats, messages, repliedChats, newApplies, newContacts, negativeFeedback]
    fn staff_daily(date: &str, v: [f64; 6], minutes: f64) -> StaffDailyIn {
        StaffDailyIn {
            account: Some("corp".to_owned()),
            staff: Some("zhaoliu".to_owned()),
            date: Some(date.to_owned()),
            chats: Some(v[0]),
            messages: Some(v[1]),
            replied_chats: Some(v[2]),
            reply_minutes_total: Some(minutes),
            new_applies: Some(v[3]),
            new_contacts: Some(v[4]),
            negative_feedback: Some(v[5]),
        }
    }

    #[test]
    fn user_behavior_derives_replies_from_percentage_and_average() {
        let payload = fixture!("get_user_behavior_data.json");
        let mapped = map(
            WechatSource::WecomUserBehavior,
            "corp",
            Some("zhaoliu"),
            &payload,
        )
        .unwrap();
        assert_eq!(
            mapped.staff_daily,
            [
                // 1756656000 = 2025-09-01 00:00 UTC+8. replied = round(40 × 62.5 / 100) = 25
                // (a float percentage); minutes = 12 × 25.
                staff_daily("2025-09-01", [40.0, 190.0, 25.0, 25.0, 19.0, 1.0], 300.0),
                // replied = round(33 × 100 / 100) = 33 (an integer percentage); minutes = 7 × 33.
                staff_daily("2025-09-02", [33.0, 150.0, 33.0, 12.0, 15.0, 0.0], 231.0),
                // No chats: reply_percentage and avg_reply_time are absent, so 0.
                staff_daily("2025-09-03", [0.0, 0.0, 0.0, 3.0, 2.0, 0.0], 0.0),
            ]
        );
    }

    #[test]
    fn user_behavior_rounds_half_away_from_zero_and_defaults_missing_fields_to_zero() {
        let payload = json!({"errcode": 0, "errmsg": "ok", "behavior_data": [
            // round(7 × 35.7 / 100 = 2.499) = 2; minutes 2 × 3.5
            {"stat_time": 1756656000, "chat_cnt": 7, "reply_percentage": 35.7, "avg_reply_time": 3.5},
            // round(9 × 50 / 100 = 4.5) = 5; minutes 5 × 3
            {"stat_time": 1756742400, "chat_cnt": 9, "reply_percentage": 50, "avg_reply_time": 3},
            // Nothing but the day.
            {"stat_time": 1756828800},
        ]});
        let mapped = map(
            WechatSource::WecomUserBehavior,
            "corp",
            Some("zhaoliu"),
            &payload,
        )
        .unwrap();
        let replies: Vec<_> = mapped
            .staff_daily
            .iter()
            .map(|row| (row.replied_chats, row.reply_minutes_total))
            .collect();
        assert_eq!(
            replies,
            [
                (Some(2.0), Some(7.0)),
                (Some(5.0), Some(15.0)),
                (Some(0.0), Some(0.0))
            ]
        );
        let validated = validate::validate(mapped.staff_daily, &ctx());
        assert_eq!(validated.errors, vec![]);
        let (_, empty_day) = &validated.rows[2];
        assert_eq!(
            (
                empty_day.chats,
                empty_day.messages,
                empty_day.new_applies,
                empty_day.new_contacts,
                empty_day.negative_feedback
            ),
            (0, 0, 0, 0, 0)
        );
    }

    #[test]
    fn groupchat_by_day_maps_the_owner_s_day() {
        let payload = fixture!("groupchat_statistic_group_by_day.json");
        let mapped = map(
            WechatSource::WecomGroupchatByDay,
            "corp",
            Some("qianqi"),
            &payload,
        )
        .unwrap();
        let row = |date: &str, v: [f64; 6]| GroupDailyIn {
            account: Some("corp".to_owned()),
            staff: Some("qianqi".to_owned()),
            date: Some(date.to_owned()),
            groups_total: Some(v[0]),
            active_groups: Some(v[1]),
            members_total: Some(v[2]),
            active_members: Some(v[3]),
            new_members: Some(v[4]),
            messages: Some(v[5]),
        };
        assert_eq!(
            mapped,
            Mapped {
                group_daily: vec![
                    // chat_total, chat_has_msg, member_total, member_has_msg, new_member_cnt, msg_total
                    row("2025-09-01", [12.0, 7.0, 1480.0, 215.0, 30.0, 930.0]),
                    row("2025-09-02", [12.0, 9.0, 1491.0, 240.0, 18.0, 1105.0]),
                ],
                ..Mapped::default()
            }
        );
    }

    #[test]
    fn error_envelopes_are_platform_errors() {
        let oa_error = map(
            WechatSource::OaArticleTotal,
            ACCOUNT,
            None,
            &fixture!("error_datacube_45009.json"),
        );
        assert_eq!(
            oa_error,
            Err(WechatError::PlatformError {
                errcode: 45009,
                errmsg: "reach max api daily quota limit rid: 68b5f0a1-0c3d2e4f-5a6b7c8d"
                    .to_owned(),
            })
        );
        // The envelope is checked before anything else, even the missing staff.
        let wecom_error = map(
            WechatSource::WecomUserBehavior,
            "corp",
            None,
            &fixture!("error_wecom_600018.json"),
        )
        .unwrap_err();
        let WechatError::PlatformError { errcode, errmsg } = wecom_error else {
            panic!("{wecom_error:?}");
        };
        assert_eq!(errcode, 600018);
        assert!(errmsg.starts_with("Warning: wrong json format. invalid start endtime"));
    }

    #[test]
    fn wecom_sources_need_the_staff() {
        let payload = fixture!("groupchat_statistic_group_by_day.json");
        for staff in [None, Some("  ")] {
            assert_eq!(
                map(WechatSource::WecomGroupchatByDay, "corp", staff, &payload),
                Err(WechatError::MissingStaff(WechatSource::WecomGroupchatByDay))
            );
        }
    }

    #[test]
    fn wrong_shapes_are_malformed_with_a_path() {
        let cases = [
            (
                WechatSource::OaUserCumulate,
                json!([]),
                "$",
                "expected an object, found a list",
            ),
            (
                WechatSource::OaUserCumulate,
                json!({"is_delay": false}),
                "$.list",
                "missing",
            ),
            (
                WechatSource::OaUserSummary,
                json!({"list": {}}),
                "$.list",
                "expected a list, found an object",
            ),
            (
                WechatSource::OaUserCumulate,
                json!({"list": [{"ref_date": "2025-09-01", "cumulate_user": "50120"}]}),
                "$.list[0].cumulate_user",
                r#"expected a non-negative whole number, found "50120""#,
            ),
            (
                WechatSource::OaUserSummary,
                json!({"list": [{"ref_date": "20250901", "new_user": 1}]}),
                "$.list[0].ref_date",
                r#"expected a date YYYY-MM-DD, found "20250901""#,
            ),
            (
                WechatSource::OaUserSummary,
                json!({"list": [{"ref_date": "2025-09-01", "new_user": -1}]}),
                "$.list[0].new_user",
                "expected a non-negative whole number, found -1",
            ),
            (
                WechatSource::WecomUserBehavior,
                json!({"errcode": 0, "behavior_data": [{"stat_time": 1756656001}]}),
                "$.behavior_data[0].stat_time",
                "1756656001 is not 00:00 China Standard Time (UTC+8)",
            ),
            (
                WechatSource::WecomUserBehavior,
                json!({"errcode": 0, "behavior_data": [{"stat_time": 1756656000000_i64}]}),
                "$.behavior_data[0].stat_time",
                "1756656000000 looks like milliseconds; stat_time is unix seconds",
            ),
            (
                WechatSource::WecomUserBehavior,
                json!({"errcode": 0, "behavior_data": [{"stat_time": 1756656000, "reply_percentage": "60%"}]}),
                "$.behavior_data[0].reply_percentage",
                r#"expected a non-negative number, found "60%""#,
            ),
            (
                WechatSource::WecomGroupchatByDay,
                json!({"errcode": 0, "items": [{"stat_time": 1756656000}]}),
                "$.items[0].data",
                "missing",
            ),
            (
                WechatSource::OaArticleTotal,
                json!({"errcode": "45009"}),
                "$.errcode",
                r#"expected an integer, found "45009""#,
            ),
        ];
        for (source, payload, path, message) in cases {
            assert_eq!(
                map(source, ACCOUNT, Some("zhaoliu"), &payload),
                Err(WechatError::Malformed {
                    path: path.to_owned(),
                    message: message.to_owned()
                }),
                "{source} {payload}"
            );
        }
    }

    /// Adds an unknown member to every object of `value`, as WeChat does when it adds fields.
    fn with_unknown_fields(value: &Value) -> Value {
        match value {
            Value::Object(members) => {
                let mut members: Map<String, Value> = members
                    .iter()
                    .map(|(name, member)| (name.clone(), with_unknown_fields(member)))
                    .collect();
                members.insert(
                    "added_in_2030".to_owned(),
                    json!({"nested": [1, "x", null]}),
                );
                Value::Object(members)
            }
            Value::Array(elements) => {
                Value::Array(elements.iter().map(with_unknown_fields).collect())
            }
            scalar => scalar.clone(),
        }
    }

    fn every_fixture() -> [(WechatSource, Value); 7] {
        [
            (WechatSource::OaUserSummary, fixture!("getusersummary.json")),
            (
                WechatSource::OaUserCumulate,
                fixture!("getusercumulate.json"),
            ),
            (
                WechatSource::OaArticleTotal,
                fixture!("getarticletotal.json"),
            ),
            (
                WechatSource::OaArticleTotal,
                fixture!("getarticletotal_later.json"),
            ),
            (
                WechatSource::OaArticleSummary,
                fixture!("getarticlesummary.json"),
            ),
            (
                WechatSource::WecomUserBehavior,
                fixture!("get_user_behavior_data.json"),
            ),
            (
                WechatSource::WecomGroupchatByDay,
                fixture!("groupchat_statistic_group_by_day.json"),
            ),
        ]
    }

    #[test]
    fn unknown_fields_are_ignored() {
        for (source, payload) in every_fixture() {
            assert_eq!(
                map(
                    source,
                    ACCOUNT,
                    Some("zhaoliu"),
                    &with_unknown_fields(&payload)
                ),
                map(source, ACCOUNT, Some("zhaoliu"), &payload),
                "{source}"
            );
        }
    }

    #[test]
    fn every_fixture_maps_to_valid_rows() {
        for (source, payload) in every_fixture() {
            let mapped = map(source, ACCOUNT, Some("zhaoliu"), &payload).unwrap();
            let errors = [
                validate::validate(mapped.contents, &ctx()).errors,
                validate::validate(mapped.content_daily, &ctx()).errors,
                validate::validate(mapped.account_daily, &ctx()).errors,
                validate::validate(mapped.staff_daily, &ctx()).errors,
                validate::validate(mapped.group_daily, &ctx()).errors,
            ]
            .concat();
            assert_eq!(errors, vec![], "{source}");
        }
    }

    #[test]
    fn sources_have_stable_names() {
        let names: Vec<&str> = WechatSource::ALL
            .iter()
            .map(|source| source.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "OA_USER_SUMMARY",
                "OA_USER_CUMULATE",
                "OA_ARTICLE_TOTAL",
                "OA_ARTICLE_SUMMARY",
                "WECOM_USER_BEHAVIOR",
                "WECOM_GROUPCHAT_BY_DAY",
            ]
        );
        for source in WechatSource::ALL {
            assert_eq!(source.as_str().parse::<WechatSource>().unwrap(), *source);
        }
    }

    /// Property tests of [`map`]: arbitrary JSON (a recursive strategy whose object members are
    /// mostly the names the mappings read) and random mutations of the real fixtures never make
    /// it panic. Every payload either maps, deterministically, to rows of its source's kinds that
    /// validation judges like any rows (see [`validate::properties`]), or is refused with the
    /// error its shape calls for: the platform's error envelope, a malformed value at a path that
    /// exists in the payload up to its last step, or a WeCom source without its member.
    mod properties {
        use proptest::prelude::*;
        use serde_json::Number;

        use super::super::super::validate::properties::{
            ACCOUNT_DAILY_FIELDS, CONTENT_DAILY_FIELDS, CONTENT_FIELDS, GROUP_DAILY_FIELDS,
            STAFF_DAILY_FIELDS, check_validation, context,
        };
        use super::*;

        /// The member names the mappings read, so that random objects reach past the root.
        const NAMES: &[&str] = &[
            "errcode",
            "errmsg",
            "list",
            "ref_date",
            "msgid",
            "title",
            "details",
            "stat_date",
            "target_user",
            "int_page_read_user",
            "int_page_read_count",
            "ori_page_read_count",
            "share_user",
            "share_count",
            "add_to_fav_count",
            "int_page_from_session_read_user",
            "user_source",
            "new_user",
            "cancel_user",
            "cumulate_user",
            "behavior_data",
            "stat_time",
            "chat_cnt",
            "message_cnt",
            "reply_percentage",
            "avg_reply_time",
            "new_apply_cnt",
            "new_contact_cnt",
            "negative_feedback_cnt",
            "items",
            "data",
            "chat_total",
            "chat_has_msg",
            "member_total",
            "member_has_msg",
            "new_member_cnt",
            "msg_total",
        ];

        /// Strings the mappings parse (dates, almost-dates, ids) and arbitrary ones.
        fn string() -> impl Strategy<Value = String> {
            prop_oneof![
                prop::sample::select(
                    &[
                        "2025-09-03",
                        "2025-09-04",
                        "2025-09-05",
                        "2025-9-3",
                        "20250903",
                        "3300112233_1",
                        "秋季新品预告",
                        "ok",
                        "",
                    ][..]
                )
                .prop_map(str::to_owned),
                "\\PC{0,8}",
            ]
        }

        /// Numbers the mappings read: small counts, percentages, midnights of China Standard
        /// Time (1756656000 is 2025-09-01 00:00 UTC+8) and other instants, negative, fractional,
        /// large, any.
        fn number() -> impl Strategy<Value = Value> {
            prop_oneof![
                (0_i64..3000).prop_map(Value::from),
                (0_i64..30).prop_map(|day| Value::from(1_756_656_000 + day * 86_400)),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
                (0.0..100.0_f64)
                    .prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
            ]
        }

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                number(),
                string().prop_map(Value::from),
            ];
            leaf.prop_recursive(5, 96, 6, |inner| {
                let name = prop_oneof![
                    6 => prop::sample::select(NAMES).prop_map(str::to_owned),
                    1 => "\\PC{0,6}",
                ];
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                    prop::collection::vec((name, inner), 0..8)
                        .prop_map(|members| Value::Object(members.into_iter().collect())),
                ]
            })
        }

        /// A payload: arbitrary JSON, an error envelope around it, or a list member of a
        /// statistics response holding arbitrary elements.
        fn payload() -> impl Strategy<Value = Value> {
            let envelope = (number(), string(), json()).prop_map(|(code, message, rest)| {
                let mut members = rest.as_object().cloned().unwrap_or_default();
                members.insert("errcode".to_owned(), code);
                members.insert("errmsg".to_owned(), Value::from(message));
                Value::Object(members)
            });
            let list = (
                prop::sample::select(&["list", "behavior_data", "items"][..]),
                prop::collection::vec(json(), 0..4),
            )
                .prop_map(|(name, elements)| json!({ name: elements }));
            prop_oneof![json(), envelope, list]
        }

        /// The success fixtures and the error envelopes, with their sources.
        fn fixtures() -> Vec<(WechatSource, Value)> {
            let mut all = every_fixture().to_vec();
            all.push((
                WechatSource::OaArticleTotal,
                fixture!("error_datacube_45009.json"),
            ));
            all.push((
                WechatSource::WecomUserBehavior,
                fixture!("error_wecom_600018.json"),
            ));
            all
        }

        /// One step of a JSON path.
        #[derive(Clone, Debug)]
        enum Step {
            Member(String),
            Element(usize),
        }

        /// The paths of every value of `value`, in pre-order (the root first).
        fn paths(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
            out.push(at.clone());
            match value {
                Value::Object(members) => {
                    for (name, member) in members {
                        at.push(Step::Member(name.clone()));
                        paths(member, at, out);
                        at.pop();
                    }
                }
                Value::Array(elements) => {
                    for (i, element) in elements.iter().enumerate() {
                        at.push(Step::Element(i));
                        paths(element, at, out);
                        at.pop();
                    }
                }
                _ => {}
            }
        }

        fn get_mut<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
            path.iter().try_fold(value, |node, step| match step {
                Step::Member(name) => node.get_mut(name.as_str()),
                Step::Element(i) => node.get_mut(*i),
            })
        }

        /// A change a platform or a proxy might make to one value of a payload.
        #[derive(Clone, Debug)]
        enum Mutation {
            Replace(Value),
            Remove,
            Duplicate,
            Negate,
            AddHalf,
            Milliseconds,
            Stringify,
        }

        fn mutation() -> impl Strategy<Value = Mutation> {
            prop_oneof![
                2 => json().prop_map(Mutation::Replace),
                2 => Just(Mutation::Remove),
                1 => Just(Mutation::Duplicate),
                1 => Just(Mutation::Negate),
                1 => Just(Mutation::AddHalf),
                1 => Just(Mutation::Milliseconds),
                1 => Just(Mutation::Stringify),
            ]
        }

        /// Applies `mutation` to the value of `payload` that `target` picks.
        fn mutate(payload: &mut Value, target: prop::sample::Index, mutation: &Mutation) {
            let mut all = Vec::new();
            paths(payload, &mut Vec::new(), &mut all);
            let path = target.get(&all).clone();
            let Some((last, parent_path)) = path.split_last() else {
                if let Mutation::Replace(value) = mutation {
                    *payload = value.clone();
                }
                return;
            };
            match mutation {
                Mutation::Remove | Mutation::Duplicate => {
                    let remove = matches!(mutation, Mutation::Remove);
                    match (get_mut(payload, parent_path), last) {
                        (Some(Value::Object(members)), Step::Member(name)) if remove => {
                            members.remove(name);
                        }
                        (Some(Value::Array(elements)), Step::Element(i)) if remove => {
                            elements.remove(*i);
                        }
                        (Some(Value::Array(elements)), Step::Element(i)) => {
                            let copy = elements[*i].clone();
                            elements.insert(*i, copy);
                        }
                        _ => {}
                    }
                }
                other => {
                    let Some(node) = get_mut(payload, &path) else {
                        return;
                    };
                    let as_f64 = node.as_f64();
                    *node = match (other, as_f64) {
                        (Mutation::Replace(value), _) => value.clone(),
                        (Mutation::Negate, Some(n)) => json!(-n),
                        (Mutation::AddHalf, Some(n)) => json!(n + 0.5),
                        (Mutation::Milliseconds, Some(n)) => json!(n * 1000.0),
                        (Mutation::Stringify, _) => Value::from(node.to_string()),
                        _ => return,
                    };
                }
            }
        }

        const STAFF: [Option<&str>; 3] = [Some("zhaoliu"), None, Some("  ")];

        /// Checks every property of mapping `payload` as `source` with `staff`.
        fn check_mapping(
            source: WechatSource,
            staff: Option<&str>,
            payload: &Value,
            ctx: &ValidationContext,
        ) {
            let result = map(source, ACCOUNT, staff, payload);
            assert_eq!(
                result,
                map(source, ACCOUNT, staff, payload),
                "deterministic"
            );
            if !source.needs_staff() {
                assert_eq!(result, map(source, ACCOUNT, Some("other"), payload));
            }
            let errcode = payload.get("errcode").filter(|code| !code.is_null());
            match result {
                Ok(mapped) => {
                    assert!(errcode.is_none_or(|code| code.as_i64() == Some(0)));
                    mapped_rows(source, staff, &mapped, ctx);
                }
                Err(WechatError::PlatformError { errcode: code, .. }) => {
                    assert_ne!(code, 0);
                    assert_eq!(errcode.and_then(Value::as_i64), Some(code));
                }
                Err(WechatError::Malformed { path, message }) => {
                    assert!(!message.is_empty());
                    path_exists(payload, &path, message == "missing");
                }
                Err(WechatError::MissingStaff(named)) => {
                    assert_eq!(named, source);
                    assert!(source.needs_staff());
                    assert!(staff.is_none_or(|staff| staff.trim().is_empty()));
                    assert!(errcode.is_none_or(|code| code.as_i64() == Some(0)));
                }
            }
        }

        /// `$.a.b[2].c`: every step but the last resolves in `payload`; the last one too unless
        /// the value is reported missing, in which case it is absent or null.
        fn path_exists(payload: &Value, path: &str, missing: bool) {
            let mut rest = path.strip_prefix('$').unwrap_or_else(|| panic!("{path}"));
            let mut steps = Vec::new();
            while !rest.is_empty() {
                if let Some(after) = rest.strip_prefix('.') {
                    let end = after.find(['.', '[']).unwrap_or(after.len());
                    steps.push(Step::Member(after[..end].to_owned()));
                    rest = &after[end..];
                } else if let Some(after) = rest.strip_prefix('[') {
                    let end = after.find(']').unwrap_or_else(|| panic!("{path}"));
                    steps.push(Step::Element(after[..end].parse().unwrap()));
                    rest = &after[end + 1..];
                } else {
                    panic!("{path} is no JSON path");
                }
            }
            let mut node = Some(payload);
            for (i, step) in steps.iter().enumerate() {
                let parent = node.unwrap_or_else(|| panic!("{path}: step {i} does not exist"));
                node = match step {
                    Step::Member(name) => parent.get(name.as_str()),
                    Step::Element(index) => parent.get(*index),
                };
            }
            if missing {
                assert!(node.is_none_or(Value::is_null), "{path} is not missing");
            } else {
                assert!(node.is_some(), "{path} does not exist");
            }
        }

        /// Rows of the source's kinds only, of the account (and member), validated like any.
        fn mapped_rows(
            source: WechatSource,
            staff: Option<&str>,
            mapped: &Mapped,
            ctx: &ValidationContext,
        ) {
            let account = Some(ACCOUNT.to_owned());
            let member = staff.map(|s| s.trim().to_owned());
            let kinds = [
                !mapped.contents.is_empty(),
                !mapped.content_daily.is_empty(),
                !mapped.account_daily.is_empty(),
                !mapped.staff_daily.is_empty(),
                !mapped.group_daily.is_empty(),
            ];
            let allowed = match source {
                WechatSource::OaUserSummary | WechatSource::OaUserCumulate => {
                    [false, false, true, false, false]
                }
                WechatSource::OaArticleTotal | WechatSource::OaArticleSummary => {
                    [true, true, false, false, false]
                }
                WechatSource::WecomUserBehavior => [false, false, false, true, false],
                WechatSource::WecomGroupchatByDay => [false, false, false, false, true],
            };
            for (present, allowed) in kinds.iter().zip(allowed) {
                assert!(!present || allowed, "{source}: {mapped:?}");
            }

            // Articles: each msgid once, and every fact's content among them.
            let keys: Vec<&str> = mapped
                .contents
                .iter()
                .filter_map(|c| c.key.as_deref())
                .collect();
            let mut unique = keys.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), keys.len());
            for row in &mapped.content_daily {
                assert!(keys.contains(&row.content.as_deref().unwrap_or_default()));
            }
            assert!(mapped.contents.iter().all(|c| c.account == account));
            assert!(mapped.account_daily.iter().all(|r| r.account == account));
            for row in &mapped.staff_daily {
                assert_eq!((&row.account, &row.staff), (&account, &member));
            }
            for row in &mapped.group_daily {
                assert_eq!((&row.account, &row.staff), (&account, &member));
            }

            check_validation(&mapped.contents, ctx, CONTENT_FIELDS);
            check_validation(&mapped.content_daily, ctx, CONTENT_DAILY_FIELDS);
            check_validation(&mapped.account_daily, ctx, ACCOUNT_DAILY_FIELDS);
            check_validation(&mapped.staff_daily, ctx, STAFF_DAILY_FIELDS);
            check_validation(&mapped.group_daily, ctx, GROUP_DAILY_FIELDS);
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn arbitrary_json(payload in payload(), ctx in context()) {
                for source in WechatSource::ALL {
                    for staff in STAFF {
                        check_mapping(*source, staff, &payload, &ctx);
                    }
                }
            }

            #[test]
            fn mutated_fixtures(
                fixture in any::<prop::sample::Index>(),
                mutations in prop::collection::vec(
                    (any::<prop::sample::Index>(), mutation()),
                    1..4,
                ),
                ctx in context(),
            ) {
                let (source, mut payload) = fixture.get(&fixtures()).clone();
                for (target, change) in &mutations {
                    mutate(&mut payload, *target, change);
                }
                for staff in STAFF {
                    check_mapping(source, staff, &payload, &ctx);
                }
            }
        }
    }
}
