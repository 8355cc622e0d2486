//! Ingestion validation: raw rows in, typed valid rows or per-row errors out ("parse, don't
//! validate").
//!
//! Every ingest path (the GraphQL `upsert*` / `record*` mutations, `importWechat` through
//! [`super::wechat`], and the CLI's CSV / JSONL loader) builds or deserializes the raw `*In` rows
//! of this module and runs them through [`validate`]. What comes out is either a typed row that
//! the store can write without checking anything again, or a [`RowError`] naming the row's index,
//! the GraphQL field and a stable [`RowErrorCode`]. A row may have several errors; all of them
//! are reported.
//!
//! Raw rows are deliberately loose: strings for keys, enums, dates, timestamps and money, and
//! `Option<f64>` for counts, so that a bad value becomes an error on its own row instead of a
//! failure of the whole request or file. Their serde names are the GraphQL (camelCase) names,
//! with snake_case aliases for CSV headers exported by SQL tools; unknown columns are ignored.
//!
//! What is accepted:
//! - strings are trimmed; an empty string counts as missing;
//! - keys and references at most [`MAX_KEY_LEN`] characters, names and titles at most
//!   [`MAX_TEXT_LEN`];
//! - enums by their SCREAMING_SNAKE name, ASCII case-insensitively;
//! - dates as `YYYY-MM-DD`, exactly;
//! - timestamps as RFC 3339 with an explicit offset (`2026-03-31T17:00:00Z`,
//!   `2026-04-01T01:00:00+08:00`, fractional seconds allowed, truncated to microseconds, the
//!   precision both databases store). A time without an offset is rejected: it would be
//!   ambiguous between the workspace zone and UTC;
//! - money as a plain decimal (`1234.5`, `1234.50`; no exponent, no thousands separators),
//!   non-negative, at most 2 decimal places (trailing zeros beyond do not count), at most
//!   [`MAX_MONEY_INTEGER_DIGITS`] integer digits; normalized to scale 2;
//! - counts as non-negative whole numbers up to 2^53, from a JSON number or a numeric string.
//!
//! This module is pure: no IO, no clock (today comes in through the [`ValidationContext`]), no
//! sea-orm, no async-graphql. It does not know which keys exist: unknown references are the
//! store's to report, with [`RowErrorCode::UnknownReference`].

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// The earliest business date accepted for facts, orders and contents: WeChat's public launch.
/// An earlier date is a typo, not history.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2011, 1, 21) {
    Some(date) => date,
    None => panic!("2011-01-21 is a calendar date"),
};

/// Longest key or reference, in characters.
pub const MAX_KEY_LEN: usize = 128;

/// Longest name or title, in characters.
pub const MAX_TEXT_LEN: usize = 512;

/// Largest count: beyond 2^53 an `f64` no longer holds every integer, so the value could not
/// have arrived intact.
pub const MAX_COUNT: f64 = 9_007_199_254_740_992.0;

/// Most integer digits of a money amount: far above any real order or budget, and small enough
/// for any `NUMERIC(18, 2)` column.
pub const MAX_MONEY_INTEGER_DIGITS: usize = 15;

/// Defines a closed set of names with a stable SCREAMING_SNAKE spelling: `as_str`, `ALL`,
/// `Display` and a `FromStr` that accepts exactly those spellings.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stable SCREAMING_SNAKE name, as in the GraphQL schema.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ingest::validate::UnknownName;

            /// Parses the exact SCREAMING_SNAKE name.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::ingest::validate::UnknownName {
                        value: s.to_owned(),
                        expected: Self::ALL.iter().map(|v| v.as_str()).collect(),
                    })
            }
        }
    };
}
pub(crate) use string_enum;

/// A name that is not one of a closed set's spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not one of {}", expected.join(", "))]
pub struct UnknownName {
    /// The rejected text.
    pub value: String,
    /// Every accepted spelling.
    pub expected: Vec<&'static str>,
}

string_enum! {
    /// What kind of WeChat-ecosystem account an account is.
    pub enum AccountKind {
        /// 服务号.
        ServiceAccount = "SERVICE_ACCOUNT",
        /// 订阅号.
        SubscriptionAccount = "SUBSCRIPTION_ACCOUNT",
        /// 企业微信 corp.
        Wecom = "WECOM",
        /// A personal WeChat account used for private-domain marketing.
        Personal = "PERSONAL",
        /// 小程序.
        MiniProgram = "MINI_PROGRAM",
        /// 视频号.
        Channels = "CHANNELS",
    }
}

string_enum! {
    /// What kind of content a content item is.
    pub enum ContentKind {
        /// Official Account article (图文).
        Article = "ARTICLE",
        /// Channels short video.
        ShortVideo = "SHORT_VIDEO",
        /// Live stream.
        Live = "LIVE",
        /// H5 page.
        H5 = "H5",
        /// Moments (朋友圈) post.
        Moments = "MOMENTS",
        /// Message sent to customer groups.
        GroupMessage = "GROUP_MESSAGE",
    }
}

string_enum! {
    /// What a campaign is for; the KPI thresholds differ per kind.
    pub enum CampaignKind {
        /// Sales promotion.
        Promotion = "PROMOTION",
        /// Interaction (games, lotteries, UGC calls).
        Interaction = "INTERACTION",
        /// Brand awareness.
        Brand = "BRAND",
    }
}

string_enum! {
    /// Why a row was rejected: the `code` of a GraphQL `RowError`. The names are API.
    pub enum RowErrorCode {
        /// A required field is missing or empty.
        Required = "REQUIRED",
        /// A date, timestamp, number or enum that cannot be parsed (or is out of range).
        InvalidFormat = "INVALID_FORMAT",
        /// A negative count or amount.
        Negative = "NEGATIVE",
        /// A count with a fractional part.
        NotInteger = "NOT_INTEGER",
        /// Money with more than 2 decimal places.
        TooManyDecimals = "TOO_MANY_DECIMALS",
        /// Two fields of one row contradict each other, e.g. `completions > reads`.
        Inconsistent = "INCONSISTENT",
        /// A business date after today in the workspace zone.
        DateInFuture = "DATE_IN_FUTURE",
        /// A business date before [`EARLIEST_DATE`].
        DateTooEarly = "DATE_TOO_EARLY",
        /// A reference to an account, content, campaign or channel key that does not exist.
        /// Reported by the store, which alone knows the keys.
        UnknownReference = "UNKNOWN_REFERENCE",
        /// The row's natural key already appeared earlier in the same call.
        DuplicateKey = "DUPLICATE_KEY",
        /// A string longer than [`MAX_KEY_LEN`] (keys) or [`MAX_TEXT_LEN`] (names, titles).
        TooLong = "TOO_LONG",
    }
}

/// One rejected field of one input row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {index}, {field}: {message}")]
pub struct RowError {
    /// Position of the row in the call's `rows` (0-based).
    pub index: usize,
    /// The GraphQL field name, camelCase (`completions`, `refundedAmount`, `paidAt`).
    pub field: String,
    /// The machine-readable reason.
    pub code: RowErrorCode,
    /// A precise human-readable reason that names the values involved.
    pub message: String,
}

impl RowError {
    /// The store's error for a reference to a key that does not exist in the workspace.
    pub fn unknown_reference(index: usize, field: &str, key: &str) -> Self {
        Self {
            index,
            field: field.to_owned(),
            code: RowErrorCode::UnknownReference,
            message: format!("{field} {key:?} does not exist"),
        }
    }
}

/// What validation needs to know about the world: the workspace's today and zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationContext {
    /// Today in the workspace zone: later business dates are rejected.
    pub today: NaiveDate,
    /// The workspace zone, which turns timestamps into business dates.
    pub tz: Tz,
}

impl ValidationContext {
    /// The context at instant `now` for a workspace in `tz`.
    pub fn at(now: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            today: business_date(now, tz),
            tz,
        }
    }

    /// The business date of an instant: its calendar day in the workspace zone.
    pub fn business_date(&self, at: DateTime<Utc>) -> NaiveDate {
        business_date(at, self.tz)
    }
}

/// The business date of an instant: its date in the workspace time zone `tz`.
pub fn business_date(at: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The outcome of validating one call's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated<T> {
    /// The valid rows, each with its index in the input.
    pub rows: Vec<(usize, T)>,
    /// Every error of every invalid row, ordered by row index.
    pub errors: Vec<RowError>,
}

/// A raw input row that validates into a typed row with a natural key.
///
/// Implemented for every `*In` row of this module; [`validate`] is the one loop that runs them.
pub trait Validate {
    /// The typed valid row.
    type Output;
    /// The natural key: rows with equal keys in one call are duplicates.
    type Key: Eq + Hash;
    /// The fields of the natural key; the first one is the field a duplicate is reported on.
    const KEY_FIELDS: &'static [&'static str];

    /// The natural key, if its fields are present and parse. A row whose key is incomplete is
    /// rejected by [`Validate::check`] and takes no part in duplicate detection.
    fn natural_key(&self) -> Option<Self::Key>;

    /// Parses every field, recording each problem in `row`. Returns `None` when a field did not
    /// parse; a `Some` is only kept if `row` recorded no error (cross-field checks do not make
    /// a field unparseable).
    fn check(self, row: &mut RowCheck<'_>) -> Option<Self::Output>;
}

/// Where the natural keys of earlier rows were seen, so that a later row with the same key is
/// reported as a duplicate of it.
///
/// One call's rows use a map from key to row index ([`validate`]); a file loaded in many chunks
/// keeps one ledger across all of them and names lines instead.
pub trait KeyLedger<K> {
    /// Claims `key` for row `index`. When an earlier row holds it already, returns how to name
    /// that row in the duplicate's message (`row 3`, `line 12`).
    fn claim(&mut self, key: K, index: usize) -> Option<String>;
}

impl<K: Eq + Hash> KeyLedger<K> for HashMap<K, usize> {
    fn claim(&mut self, key: K, index: usize) -> Option<String> {
        match self.entry(key) {
            Entry::Occupied(first) => Some(format!("row {}", first.get())),
            Entry::Vacant(slot) => {
                slot.insert(index);
                None
            }
        }
    }
}

/// Validates a call's rows: each row's fields, then duplicate natural keys. A duplicate is
/// reported on the later row, naming the earlier one; the earlier row stays valid (or not) on
/// its own merits, so `atomic: false` writes the first occurrence.
pub fn validate<R: Validate>(rows: Vec<R>, ctx: &ValidationContext) -> Validated<R::Output> {
    validate_with(rows, ctx, &mut HashMap::new())
}

/// Like [`validate`], with the natural keys of earlier rows (of earlier calls too) in `ledger`.
pub fn validate_with<R: Validate>(
    rows: Vec<R>,
    ctx: &ValidationContext,
    ledger: &mut impl KeyLedger<R::Key>,
) -> Validated<R::Output> {
    let mut out = Validated {
        rows: Vec::new(),
        errors: Vec::new(),
    };
    for (index, raw) in rows.into_iter().enumerate() {
        let key = raw.natural_key();
        let mut row = RowCheck {
            index,
            ctx,
            errors: Vec::new(),
        };
        let parsed = raw.check(&mut row);
        if let Some(earlier) = key.and_then(|key| ledger.claim(key, index)) {
            row.push(
                R::KEY_FIELDS.first().copied().unwrap_or_default(),
                RowErrorCode::DuplicateKey,
                format!("duplicate of {earlier}: same {}", R::KEY_FIELDS.join(", ")),
            );
        }
        match parsed {
            Some(valid) if row.errors.is_empty() => out.rows.push((index, valid)),
            _ => out.errors.append(&mut row.errors),
        }
    }
    out
}

/// Parses a date in the one accepted form, `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The errors of one row, collected by the field parsers below.
///
/// Convention of the parsers: the outer `Option` is `None` when the value was rejected (the
/// error is recorded); for optional fields the inner `Option` is `None` when the value is absent.
pub struct RowCheck<'a> {
    index: usize,
    ctx: &'a ValidationContext,
    errors: Vec<RowError>,
}

impl RowCheck<'_> {
    fn push(&mut self, field: &str, code: RowErrorCode, message: String) {
        self.errors.push(RowError {
            index: self.index,
            field: field.to_owned(),
            code,
            message,
        });
    }

    fn required<T>(&mut self, field: &str, value: Option<Option<T>>) -> Option<T> {
        match value {
            Some(Some(value)) => Some(value),
            Some(None) => {
                self.push(
                    field,
                    RowErrorCode::Required,
                    format!("{field} is required"),
                );
                None
            }
            None => None,
        }
    }

    fn optional_text(
        &mut self,
        field: &str,
        value: Option<String>,
        max: usize,
    ) -> Option<Option<String>> {
        let Some(text) = present(value) else {
            return Some(None);
        };
        let len = text.chars().count();
        if len > max {
            self.push(
                field,
                RowErrorCode::TooLong,
                format!("{field} is {len} characters long, at most {max} are allowed"),
            );
            return None;
        }
        Some(Some(text))
    }

    fn key(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let key = self.optional_text(field, value, MAX_KEY_LEN);
        self.required(field, key)
    }

    fn optional_key(&mut self, field: &str, value: Option<String>) -> Option<Option<String>> {
        self.optional_text(field, value, MAX_KEY_LEN)
    }

    fn text(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let text = self.optional_text(field, value, MAX_TEXT_LEN);
        self.required(field, text)
    }

    fn kind<K: FromStr<Err = UnknownName>>(
        &mut self,
        field: &str,
        value: Option<String>,
    ) -> Option<K> {
        let kind = match present(value) {
            None => Some(None),
            Some(text) => match text.to_ascii_uppercase().parse::<K>() {
                Ok(kind) => Some(Some(kind)),
                Err(unknown) => {
                    self.push(
                        field,
                        RowErrorCode::InvalidFormat,
                        format!(
                            "{field} {text:?} is not one of {}",
                            unknown.expected.join(", ")
                        ),
                    );
                    None
                }
            },
        };
        self.required(field, kind)
    }

    /// A date checked for its format only (campaign bounds may lie in the future).
    fn date(&mut self, field: &str, value: Option<String>) -> Option<NaiveDate> {
        let date = match present(value) {
            None => Some(None),
            Some(text) => match parse_date(&text) {
                Some(date) => Some(Some(date)),
                None => {
                    self.push(
                        field,
                        RowErrorCode::InvalidFormat,
                        format!("{field} {text:?} is not a date of the form YYYY-MM-DD"),
                    );
                    None
                }
            },
        };
        self.required(field, date)
    }

    /// A business date of a fact: not after today, not before [`EARLIEST_DATE`].
    fn fact_date(&mut self, field: &str, value: Option<String>) -> Option<NaiveDate> {
        let date = self.date(field, value)?;
        self.business_day(field, date, None).then_some(date)
    }

    /// Checks a business date; `timestamp` is the text it was derived from, if any.
    fn business_day(&mut self, field: &str, date: NaiveDate, timestamp: Option<&str>) -> bool {
        let ctx = *self.ctx;
        let when = match timestamp {
            None => date.to_string(),
            Some(text) => format!("{text} (business date {date} in {})", ctx.tz),
        };
        if date > ctx.today {
            self.push(
                field,
                RowErrorCode::DateInFuture,
                format!(
                    "{field} {when} is after today ({} in {})",
                    ctx.today, ctx.tz
                ),
            );
            return false;
        }
        if date < EARLIEST_DATE {
            self.push(
                field,
                RowErrorCode::DateTooEarly,
                format!("{field} {when} is before {EARLIEST_DATE}, when WeChat launched"),
            );
            return false;
        }
        true
    }

    /// A timestamp whose business date must be neither in the future nor too early.
    fn optional_timestamp(
        &mut self,
        field: &str,
        value: Option<String>,
    ) -> Option<Option<DateTime<Utc>>> {
        let Some(text) = present(value) else {
            return Some(None);
        };
        let Ok(at) = DateTime::parse_from_rfc3339(&text) else {
            self.push(
                field,
                RowErrorCode::InvalidFormat,
                format!(
                    "{field} {text:?} is not an RFC 3339 timestamp with an offset, \
                     such as 2026-03-31T17:00:00+08:00"
                ),
            );
            return None;
        };
        // Microseconds are what both databases keep: a finer instant would be stored changed,
        // and sending the same row again would count as an update instead of unchanged.
        let at = at.with_timezone(&Utc).trunc_subsecs(6);
        let date = self.ctx.business_date(at);
        self.business_day(field, date, Some(&text))
            .then_some(Some(at))
    }

    fn timestamp(&mut self, field: &str, value: Option<String>) -> Option<DateTime<Utc>> {
        let at = self.optional_timestamp(field, value);
        self.required(field, at)
    }

    /// A count that the source may leave out: `Some(None)` means "not provided".
    fn optional_count(&mut self, field: &str, value: Option<f64>) -> Option<Option<i64>> {
        let Some(count) = value else {
            return Some(None);
        };
        if !count.is_finite() {
            self.push(
                field,
                RowErrorCode::InvalidFormat,
                format!("{field} is not a finite number"),
            );
            return None;
        }
        let mut ok = true;
        if count < 0.0 {
            self.push(
                field,
                RowErrorCode::Negative,
                format!("{field} must not be negative, got {count}"),
            );
            ok = false;
        }
        if count.fract() != 0.0 {
            self.push(
                field,
                RowErrorCode::NotInteger,
                format!("{field} must be a whole number, got {count}"),
            );
            ok = false;
        }
        if count > MAX_COUNT {
            self.push(
                field,
                RowErrorCode::InvalidFormat,
                format!("{field} {count} is larger than 2^53"),
            );
            ok = false;
        }
        // Exact: the value is a whole number within ±2^53.
        ok.then_some(Some(count as i64))
    }

    /// A count that defaults to 0 when omitted (SPEC §5).
    fn count(&mut self, field: &str, value: Option<f64>) -> Option<i64> {
        self.optional_count(field, value)
            .map(|count| count.unwrap_or(0))
    }

    /// Minutes: fractional allowed, finite, not negative; 0 when omitted.
    fn minutes(&mut self, field: &str, value: Option<f64>) -> Option<f64> {
        let minutes = value.unwrap_or(0.0);
        if !minutes.is_finite() {
            self.push(
                field,
                RowErrorCode::InvalidFormat,
                format!("{field} is not a finite number"),
            );
            return None;
        }
        if minutes < 0.0 {
            self.push(
                field,
                RowErrorCode::Negative,
                format!("{field} must not be negative, got {minutes}"),
            );
            return None;
        }
        // Normalizes -0.0, which would otherwise print as "-0" (`max(0.0)` may keep the sign
        // of a zero; adding +0.0 never does).
        Some(minutes + 0.0)
    }

    fn optional_money(&mut self, field: &str, value: Option<String>) -> Option<Option<Decimal>> {
        let Some(text) = present(value) else {
            return Some(None);
        };
        let Some(amount) = parse_money(&text) else {
            self.push(
                field,
                RowErrorCode::InvalidFormat,
                format!(
                    "{field} {text:?} is not a decimal amount such as 1234.50 \
                     (at most {MAX_MONEY_INTEGER_DIGITS} integer digits)"
                ),
            );
            return None;
        };
        let mut ok = true;
        if amount.is_sign_negative() && !amount.is_zero() {
            self.push(
                field,
                RowErrorCode::Negative,
                format!("{field} must not be negative, got {text}"),
            );
            ok = false;
        }
        let mut amount = amount.normalize();
        if amount.scale() > 2 {
            self.push(
                field,
                RowErrorCode::TooManyDecimals,
                format!("{field} {text} has more than 2 decimal places"),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        amount.set_sign_positive(true);
        amount.rescale(2);
        Some(Some(amount))
    }

    fn money(&mut self, field: &str, value: Option<String>) -> Option<Decimal> {
        let amount = self.optional_money(field, value);
        self.required(field, amount)
    }

    /// Records `part > whole` as an inconsistency on `part`; absent values are not compared.
    fn not_above<T: PartialOrd + fmt::Display>(
        &mut self,
        (part, part_value): (&str, Option<T>),
        (whole, whole_value): (&str, Option<T>),
    ) {
        if let (Some(p), Some(w)) = (part_value, whole_value)
            && p > w
        {
            self.push(
                part,
                RowErrorCode::Inconsistent,
                format!("{part} ({p}) must not exceed {whole} ({w})"),
            );
        }
    }
}

/// The trimmed value, or `None` when it is absent or blank.
fn present(value: Option<String>) -> Option<String> {
    let text = value?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == text.len() {
        Some(text)
    } else {
        Some(trimmed.to_owned())
    }
}

/// The trimmed value of a key field, for natural keys (which must not consume the row).
fn key_of(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn date_of(value: Option<&str>) -> Option<NaiveDate> {
    value.and_then(|text| parse_date(text.trim()))
}

/// A plain decimal: optional sign, digits, optionally `.` and digits. `Decimal::from_str` alone
/// would also take `1_000`, which is more likely a mistake than an amount.
fn parse_money(text: &str) -> Option<Decimal> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(integer) || !digits(fraction) {
        return None;
    }
    if integer.trim_start_matches('0').len() > MAX_MONEY_INTEGER_DIGITS {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

/// Deserializes a count (or minutes) leniently: a JSON number, a numeric string (CSV cells,
/// quoted JSONL), or nothing (null, empty) for "omitted". Text that is no number becomes NaN, so
/// that it is rejected as that row's `INVALID_FORMAT` instead of failing the whole file.
fn lenient_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    struct CountVisitor;

    impl<'de> Visitor<'de> for CountVisitor {
        type Value = Option<f64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, a numeric string, or nothing")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        // Precision beyond 2^53 is lost here, but such counts are rejected anyway.
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let text = v.trim();
            if text.is_empty() {
                return Ok(None);
            }
            Ok(Some(text.parse().unwrap_or(f64::NAN)))
        }
    }

    deserializer.deserialize_any(CountVisitor)
}

/// Deserializes money leniently: a string as written, or a JSON number (JSONL writers often
/// emit amounts as numbers) by its shortest decimal spelling, which is the one that was written.
fn lenient_money<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct MoneyVisitor;

    impl<'de> Visitor<'de> for MoneyVisitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal amount as a string or a number")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
    }

    deserializer.deserialize_any(MoneyVisitor)
}

// ---------------------------------------------------------------------------------------------
// Entities
// ---------------------------------------------------------------------------------------------

/// Raw `upsertAccounts` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AccountIn {
    pub key: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    /// appid or corpid.
    #[serde(alias = "external_id")]
    pub external_id: Option<String>,
}

/// A valid account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub key: String,
    pub kind: AccountKind,
    pub name: String,
    pub external_id: Option<String>,
}

impl Validate for AccountIn {
    type Output = Account;
    type Key = String;
    const KEY_FIELDS: &'static [&'static str] = &["key"];

    fn natural_key(&self) -> Option<String> {
        key_of(self.key.as_deref())
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<Account> {
        let key = row.key("key", self.key);
        let kind = row.kind("kind", self.kind);
        let name = row.text("name", self.name);
        let external_id = row.optional_key("externalId", self.external_id);
        Some(Account {
            key: key?,
            kind: kind?,
            name: name?,
            external_id: external_id?,
        })
    }
}

/// Raw `upsertContents` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContentIn {
    pub key: Option<String>,
    /// Account key.
    pub account: Option<String>,
    pub kind: Option<String>,
    pub title: Option<String>,
    /// RFC 3339 timestamp with offset.
    #[serde(alias = "published_at")]
    pub published_at: Option<String>,
    /// Campaign key.
    pub campaign: Option<String>,
}

/// A valid content item. `published_at`'s business date is not in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub key: String,
    pub account: String,
    pub kind: ContentKind,
    pub title: String,
    pub published_at: DateTime<Utc>,
    pub campaign: Option<String>,
}

impl Validate for ContentIn {
    type Output = Content;
    type Key = String;
    const KEY_FIELDS: &'static [&'static str] = &["key"];

    fn natural_key(&self) -> Option<String> {
        key_of(self.key.as_deref())
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<Content> {
        let key = row.key("key", self.key);
        let account = row.key("account", self.account);
        let kind = row.kind("kind", self.kind);
        let title = row.text("title", self.title);
        let published_at = row.timestamp("publishedAt", self.published_at);
        let campaign = row.optional_key("campaign", self.campaign);
        Some(Content {
            key: key?,
            account: account?,
            kind: kind?,
            title: title?,
            published_at: published_at?,
            campaign: campaign?,
        })
    }
}

/// Raw `upsertCampaigns` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CampaignIn {
    pub key: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(alias = "starts_on")]
    pub starts_on: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(alias = "ends_on")]
    pub ends_on: Option<String>,
    #[serde(deserialize_with = "lenient_money")]
    pub budget: Option<String>,
}

/// A valid campaign: `ends_on >= starts_on`; both may lie in the future (planned campaigns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub key: String,
    pub kind: CampaignKind,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub budget: Option<Decimal>,
}

impl Validate for CampaignIn {
    type Output = Campaign;
    type Key = String;
    const KEY_FIELDS: &'static [&'static str] = &["key"];

    fn natural_key(&self) -> Option<String> {
        key_of(self.key.as_deref())
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<Campaign> {
        let key = row.key("key", self.key);
        let kind = row.kind("kind", self.kind);
        let name = row.text("name", self.name);
        let starts_on = row.date("startsOn", self.starts_on);
        let ends_on = row.date("endsOn", self.ends_on);
        let budget = row.optional_money("budget", self.budget);
        if let (Some(starts), Some(ends)) = (starts_on, ends_on)
            && ends < starts
        {
            row.push(
                "endsOn",
                RowErrorCode::Inconsistent,
                format!("endsOn ({ends}) must not be before startsOn ({starts})"),
            );
        }
        Some(Campaign {
            key: key?,
            kind: kind?,
            name: name?,
            starts_on: starts_on?,
            ends_on: ends_on?,
            budget: budget?,
        })
    }
}

/// Raw `upsertChannels` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ChannelIn {
    pub key: Option<String>,
    pub name: Option<String>,
}

/// A valid acquisition channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub key: String,
    pub name: String,
}

impl Validate for ChannelIn {
    type Output = Channel;
    type Key = String;
    const KEY_FIELDS: &'static [&'static str] = &["key"];

    fn natural_key(&self) -> Option<String> {
        key_of(self.key.as_deref())
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<Channel> {
        let key = row.key("key", self.key);
        let name = row.text("name", self.name);
        Some(Channel {
            key: key?,
            name: name?,
        })
    }
}

/// Raw `upsertCustomers` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CustomerIn {
    pub key: Option<String>,
    /// RFC 3339 timestamp with offset.
    #[serde(alias = "first_seen_at")]
    pub first_seen_at: Option<String>,
    /// Channel key.
    pub channel: Option<String>,
    /// Account key.
    pub account: Option<String>,
}

/// A valid customer. `first_seen_at`'s business date, when given, is not in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub key: String,
    pub first_seen_at: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    pub account: Option<String>,
}

impl Validate for CustomerIn {
    type Output = Customer;
    type Key = String;
    const KEY_FIELDS: &'static [&'static str] = &["key"];

    fn natural_key(&self) -> Option<String> {
        key_of(self.key.as_deref())
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<Customer> {
        let key = row.key("key", self.key);
        let first_seen_at = row.optional_timestamp("firstSeenAt", self.first_seen_at);
        let channel = row.optional_key("channel", self.channel);
        let account = row.optional_key("account", self.account);
        Some(Customer {
            key: key?,
            first_seen_at: first_seen_at?,
            channel: channel?,
            account: account?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Daily facts
// ---------------------------------------------------------------------------------------------

/// Raw `recordContentDaily` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContentDailyIn {
    /// Content key.
    pub content: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    #[serde(deserialize_with = "lenient_number")]
    pub deliveries: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub opens: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub reads: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub readers: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub completions: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub shares: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub sharers: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub favorites: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub likes: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub comments: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub clicks: Option<f64>,
}

/// A valid content × date fact.
///
/// Counts are `None` when the row did not provide them: the store keeps the stored value (0 for
/// a new row). This is what lets `getarticletotal` (deliveries, opens, …) and
/// `getarticlesummary` (no deliveries or opens) be imported for the same days, or either after a
/// `recordContentDaily` that set completions, likes or comments, without one zeroing the other's
/// columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDaily {
    pub content: String,
    pub date: NaiveDate,
    pub deliveries: Option<i64>,
    pub opens: Option<i64>,
    pub reads: Option<i64>,
    pub readers: Option<i64>,
    pub completions: Option<i64>,
    pub shares: Option<i64>,
    pub sharers: Option<i64>,
    pub favorites: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub clicks: Option<i64>,
}

impl Validate for ContentDailyIn {
    type Output = ContentDaily;
    type Key = (String, NaiveDate);
    const KEY_FIELDS: &'static [&'static str] = &["content", "date"];

    fn natural_key(&self) -> Option<Self::Key> {
        Some((
            key_of(self.content.as_deref())?,
            date_of(self.date.as_deref())?,
        ))
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<ContentDaily> {
        let content = row.key("content", self.content);
        let date = row.fact_date("date", self.date);
        let deliveries = row.optional_count("deliveries", self.deliveries);
        let opens = row.optional_count("opens", self.opens);
        let reads = row.optional_count("reads", self.reads);
        let readers = row.optional_count("readers", self.readers);
        let completions = row.optional_count("completions", self.completions);
        let shares = row.optional_count("shares", self.shares);
        let sharers = row.optional_count("sharers", self.sharers);
        let favorites = row.optional_count("favorites", self.favorites);
        let likes = row.optional_count("likes", self.likes);
        let comments = row.optional_count("comments", self.comments);
        let clicks = row.optional_count("clicks", self.clicks);
        let reads_value = ("reads", reads.flatten());
        row.not_above(("completions", completions.flatten()), reads_value);
        row.not_above(("readers", readers.flatten()), reads_value);
        row.not_above(("sharers", sharers.flatten()), ("shares", shares.flatten()));
        Some(ContentDaily {
            content: content?,
            date: date?,
            deliveries: deliveries?,
            opens: opens?,
            reads: reads?,
            readers: readers?,
            completions: completions?,
            shares: shares?,
            sharers: sharers?,
            favorites: favorites?,
            likes: likes?,
            comments: comments?,
            clicks: clicks?,
        })
    }
}

/// Raw `recordAccountDaily` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AccountDailyIn {
    /// Account key.
    pub account: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    #[serde(alias = "new_followers", deserialize_with = "lenient_number")]
    pub new_followers: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub unfollows: Option<f64>,
    #[serde(alias = "total_followers", deserialize_with = "lenient_number")]
    pub total_followers: Option<f64>,
}

/// A valid account × date fact.
///
/// Counts are `None` when the row did not provide them: the store keeps the stored value (0 for
/// a new row). `getusersummary` provides only new followers and unfollows, `getusercumulate`
/// only the total; importing both for the same days must end with all three columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDaily {
    pub account: String,
    pub date: NaiveDate,
    pub new_followers: Option<i64>,
    pub unfollows: Option<i64>,
    pub total_followers: Option<i64>,
}

impl Validate for AccountDailyIn {
    type Output = AccountDaily;
    type Key = (String, NaiveDate);
    const KEY_FIELDS: &'static [&'static str] = &["account", "date"];

    fn natural_key(&self) -> Option<Self::Key> {
        Some((
            key_of(self.account.as_deref())?,
            date_of(self.date.as_deref())?,
        ))
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<AccountDaily> {
        let account = row.key("account", self.account);
        let date = row.fact_date("date", self.date);
        let new_followers = row.optional_count("newFollowers", self.new_followers);
        let unfollows = row.optional_count("unfollows", self.unfollows);
        let total_followers = row.optional_count("totalFollowers", self.total_followers);
        Some(AccountDaily {
            account: account?,
            date: date?,
            new_followers: new_followers?,
            unfollows: unfollows?,
            total_followers: total_followers?,
        })
    }
}

/// Raw `recordFunnelDaily` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FunnelDailyIn {
    /// Account key.
    pub account: Option<String>,
    /// Campaign key; absent for the account's funnel outside any campaign.
    pub campaign: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    #[serde(deserialize_with = "lenient_number")]
    pub visits: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub checkouts: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub payments: Option<f64>,
}

/// A valid account × campaign × date funnel fact: `payments <= checkouts <= visits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelDaily {
    pub account: String,
    pub campaign: Option<String>,
    pub date: NaiveDate,
    pub visits: i64,
    pub checkouts: i64,
    pub payments: i64,
}

impl Validate for FunnelDailyIn {
    type Output = FunnelDaily;
    type Key = (String, Option<String>, NaiveDate);
    const KEY_FIELDS: &'static [&'static str] = &["account", "campaign", "date"];

    fn natural_key(&self) -> Option<Self::Key> {
        Some((
            key_of(self.account.as_deref())?,
            key_of(self.campaign.as_deref()),
            date_of(self.date.as_deref())?,
        ))
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<FunnelDaily> {
        let account = row.key("account", self.account);
        let campaign = row.optional_key("campaign", self.campaign);
        let date = row.fact_date("date", self.date);
        let visits = row.count("visits", self.visits);
        let checkouts = row.count("checkouts", self.checkouts);
        let payments = row.count("payments", self.payments);
        row.not_above(("checkouts", checkouts), ("visits", visits));
        row.not_above(("payments", payments), ("checkouts", checkouts));
        Some(FunnelDaily {
            account: account?,
            campaign: campaign?,
            date: date?,
            visits: visits?,
            checkouts: checkouts?,
            payments: payments?,
        })
    }
}

/// Raw `recordCampaignDaily` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CampaignDailyIn {
    /// Campaign key.
    pub campaign: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    #[serde(deserialize_with = "lenient_number")]
    pub reached: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub participants: Option<f64>,
    #[serde(alias = "ugc_posts", deserialize_with = "lenient_number")]
    pub ugc_posts: Option<f64>,
}

/// A valid campaign × date fact: `participants <= reached`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDaily {
    pub campaign: String,
    pub date: NaiveDate,
    pub reached: i64,
    pub participants: i64,
    pub ugc_posts: i64,
}

impl Validate for CampaignDailyIn {
    type Output = CampaignDaily;
    type Key = (String, NaiveDate);
    const KEY_FIELDS: &'static [&'static str] = &["campaign", "date"];

    fn natural_key(&self) -> Option<Self::Key> {
        Some((
            key_of(self.campaign.as_deref())?,
            date_of(self.date.as_deref())?,
        ))
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<CampaignDaily> {
        let campaign = row.key("campaign", self.campaign);
        let date = row.fact_date("date", self.date);
        let reached = row.count("reached", self.reached);
        let participants = row.count("participants", self.participants);
        let ugc_posts = row.count("ugcPosts", self.ugc_posts);
        row.not_above(("participants", participants), ("reached", reached));
        Some(CampaignDaily {
            campaign: campaign?,
            date: date?,
            reached: reached?,
            participants: participants?,
            ugc_posts: ugc_posts?,
        })
    }
}

/// Raw `recordStaffDaily` row (WeCom 联系客户统计 of one member).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StaffDailyIn {
    /// Account key (the WeCom corp).
    pub account: Option<String>,
    /// The member's WeCom userid.
    pub staff: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    #[serde(deserialize_with = "lenient_number")]
    pub chats: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub messages: Option<f64>,
    #[serde(alias = "replied_chats", deserialize_with = "lenient_number")]
    pub replied_chats: Option<f64>,
    /// Minutes, fractional allowed.
    #[serde(alias = "reply_minutes_total", deserialize_with = "lenient_number")]
    pub reply_minutes_total: Option<f64>,
    #[serde(alias = "new_applies", deserialize_with = "lenient_number")]
    pub new_applies: Option<f64>,
    #[serde(alias = "new_contacts", deserialize_with = "lenient_number")]
    pub new_contacts: Option<f64>,
    #[serde(alias = "negative_feedback", deserialize_with = "lenient_number")]
    pub negative_feedback: Option<f64>,
}

/// A valid account × staff × date fact: `replied_chats <= chats`; omitted counts are 0.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffDaily {
    pub account: String,
    pub staff: String,
    pub date: NaiveDate,
    pub chats: i64,
    pub messages: i64,
    pub replied_chats: i64,
    /// Σ first-reply minutes over the replied chats; finite, not negative.
    pub reply_minutes_total: f64,
    pub new_applies: i64,
    pub new_contacts: i64,
    pub negative_feedback: i64,
}

impl Validate for StaffDailyIn {
    type Output = StaffDaily;
    type Key = (String, String, NaiveDate);
    const KEY_FIELDS: &'static [&'static str] = &["account", "staff", "date"];

    fn natural_key(&self) -> Option<Self::Key> {
        Some((
            key_of(self.account.as_deref())?,
            key_of(self.staff.as_deref())?,
            date_of(self.date.as_deref())?,
        ))
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<StaffDaily> {
        let account = row.key("account", self.account);
        let staff = row.key("staff", self.staff);
        let date = row.fact_date("date", self.date);
        let chats = row.count("chats", self.chats);
        let messages = row.count("messages", self.messages);
        let replied_chats = row.count("repliedChats", self.replied_chats);
        let reply_minutes_total = row.minutes("replyMinutesTotal", self.reply_minutes_total);
        let new_applies = row.count("newApplies", self.new_applies);
        let new_contacts = row.count("newContacts", self.new_contacts);
        let negative_feedback = row.count("negativeFeedback", self.negative_feedback);
        row.not_above(("repliedChats", replied_chats), ("chats", chats));
        Some(StaffDaily {
            account: account?,
            staff: staff?,
            date: date?,
            chats: chats?,
            messages: messages?,
            replied_chats: replied_chats?,
            reply_minutes_total: reply_minutes_total?,
            new_applies: new_applies?,
            new_contacts: new_contacts?,
            negative_feedback: negative_feedback?,
        })
    }
}

/// Raw `recordGroupDaily` row (WeCom customer groups of one owner).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GroupDailyIn {
    /// Account key (the WeCom corp).
    pub account: Option<String>,
    /// The group owner's WeCom userid.
    pub staff: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    #[serde(alias = "groups_total", deserialize_with = "lenient_number")]
    pub groups_total: Option<f64>,
    #[serde(alias = "active_groups", deserialize_with = "lenient_number")]
    pub active_groups: Option<f64>,
    #[serde(alias = "members_total", deserialize_with = "lenient_number")]
    pub members_total: Option<f64>,
    #[serde(alias = "active_members", deserialize_with = "lenient_number")]
    pub active_members: Option<f64>,
    #[serde(alias = "new_members", deserialize_with = "lenient_number")]
    pub new_members: Option<f64>,
    #[serde(deserialize_with = "lenient_number")]
    pub messages: Option<f64>,
}

/// A valid account × owner × date fact: `active_members <= members_total` and
/// `active_groups <= groups_total`; omitted counts are 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDaily {
    pub account: String,
    pub staff: String,
    pub date: NaiveDate,
    pub groups_total: i64,
    pub active_groups: i64,
    pub members_total: i64,
    pub active_members: i64,
    pub new_members: i64,
    pub messages: i64,
}

impl Validate for GroupDailyIn {
    type Output = GroupDaily;
    type Key = (String, String, NaiveDate);
    const KEY_FIELDS: &'static [&'static str] = &["account", "staff", "date"];

    fn natural_key(&self) -> Option<Self::Key> {
        Some((
            key_of(self.account.as_deref())?,
            key_of(self.staff.as_deref())?,
            date_of(self.date.as_deref())?,
        ))
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<GroupDaily> {
        let account = row.key("account", self.account);
        let staff = row.key("staff", self.staff);
        let date = row.fact_date("date", self.date);
        let groups_total = row.count("groupsTotal", self.groups_total);
        let active_groups = row.count("activeGroups", self.active_groups);
        let members_total = row.count("membersTotal", self.members_total);
        let active_members = row.count("activeMembers", self.active_members);
        let new_members = row.count("newMembers", self.new_members);
        let messages = row.count("messages", self.messages);
        row.not_above(
            ("activeGroups", active_groups),
            ("groupsTotal", groups_total),
        );
        row.not_above(
            ("activeMembers", active_members),
            ("membersTotal", members_total),
        );
        Some(GroupDaily {
            account: account?,
            staff: staff?,
            date: date?,
            groups_total: groups_total?,
            active_groups: active_groups?,
            members_total: members_total?,
            active_members: active_members?,
            new_members: new_members?,
            messages: messages?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Orders and spend
// ---------------------------------------------------------------------------------------------

/// Raw `recordOrders` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrderIn {
    pub key: Option<String>,
    /// Customer key; an unknown one is created by the store.
    pub customer: Option<String>,
    /// RFC 3339 timestamp with offset.
    #[serde(alias = "paid_at")]
    pub paid_at: Option<String>,
    #[serde(deserialize_with = "lenient_money")]
    pub amount: Option<String>,
    /// Defaults to 0.
    #[serde(alias = "refunded_amount", deserialize_with = "lenient_money")]
    pub refunded_amount: Option<String>,
    /// Channel key.
    pub channel: Option<String>,
    /// Campaign key.
    pub campaign: Option<String>,
    /// Account key.
    pub account: Option<String>,
}

/// A valid order: `refunded_amount <= amount`, both at scale 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub key: String,
    pub customer: String,
    pub paid_at: DateTime<Utc>,
    /// The business date: `paid_at` in the workspace zone. Not in the future.
    pub paid_date: NaiveDate,
    pub amount: Decimal,
    pub refunded_amount: Decimal,
    pub channel: Option<String>,
    pub campaign: Option<String>,
    pub account: Option<String>,
}

impl Validate for OrderIn {
    type Output = Order;
    type Key = String;
    const KEY_FIELDS: &'static [&'static str] = &["key"];

    fn natural_key(&self) -> Option<String> {
        key_of(self.key.as_deref())
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<Order> {
        let key = row.key("key", self.key);
        let customer = row.key("customer", self.customer);
        let paid_at = row.timestamp("paidAt", self.paid_at);
        let amount = row.money("amount", self.amount);
        let refunded_amount = row
            .optional_money("refundedAmount", self.refunded_amount)
            .map(|refunded| refunded.unwrap_or(Decimal::new(0, 2)));
        let channel = row.optional_key("channel", self.channel);
        let campaign = row.optional_key("campaign", self.campaign);
        let account = row.optional_key("account", self.account);
        row.not_above(("refundedAmount", refunded_amount), ("amount", amount));
        let paid_at = paid_at?;
        Some(Order {
            key: key?,
            customer: customer?,
            paid_at,
            paid_date: row.ctx.business_date(paid_at),
            amount: amount?,
            refunded_amount: refunded_amount?,
            channel: channel?,
            campaign: campaign?,
            account: account?,
        })
    }
}

/// Raw `recordSpend` row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SpendIn {
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    #[serde(deserialize_with = "lenient_money")]
    pub amount: Option<String>,
    /// Channel key.
    pub channel: Option<String>,
    /// Campaign key.
    pub campaign: Option<String>,
}

/// A valid marketing-cost row, amount at scale 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spend {
    pub date: NaiveDate,
    pub amount: Decimal,
    pub channel: Option<String>,
    pub campaign: Option<String>,
}

impl Validate for SpendIn {
    type Output = Spend;
    type Key = (NaiveDate, Option<String>, Option<String>);
    const KEY_FIELDS: &'static [&'static str] = &["date", "channel", "campaign"];

    fn natural_key(&self) -> Option<Self::Key> {
        Some((
            date_of(self.date.as_deref())?,
            key_of(self.channel.as_deref()),
            key_of(self.campaign.as_deref()),
        ))
    }

    fn check(self, row: &mut RowCheck<'_>) -> Option<Spend> {
        let date = row.fact_date("date", self.date);
        let amount = row.money("amount", self.amount);
        let channel = row.optional_key("channel", self.channel);
        let campaign = row.optional_key("campaign", self.campaign);
        Some(Spend {
            date: date?,
            amount: amount?,
            channel: channel?,
            campaign: campaign?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::RowErrorCode::*;
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Today is 2026-03-31 in Asia/Shanghai (UTC+8) in every test.
    fn ctx() -> ValidationContext {
        ValidationContext {
            today: date(2026, 3, 31),
            tz: chrono_tz::Asia::Shanghai,
        }
    }

    fn s(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    fn codes<R: Validate>(rows: Vec<R>) -> Vec<(String, RowErrorCode)> {
        validate(rows, &ctx())
            .errors
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    fn content_daily() -> ContentDailyIn {
        ContentDailyIn {
            content: s("a1"),
            date: s("2026-03-30"),
            reads: Some(100.0),
            readers: Some(80.0),
            completions: Some(40.0),
            shares: Some(10.0),
            sharers: Some(8.0),
            ..ContentDailyIn::default()
        }
    }

    fn funnel() -> FunnelDailyIn {
        FunnelDailyIn {
            account: s("oa"),
            date: s("2026-03-30"),
            visits: Some(100.0),
            checkouts: Some(20.0),
            payments: Some(5.0),
            ..FunnelDailyIn::default()
        }
    }

    fn staff() -> StaffDailyIn {
        StaffDailyIn {
            account: s("corp"),
            staff: s("zhangsan"),
            date: s("2026-03-30"),
            chats: Some(10.0),
            replied_chats: Some(8.0),
            ..StaffDailyIn::default()
        }
    }

    fn group() -> GroupDailyIn {
        GroupDailyIn {
            account: s("corp"),
            staff: s("zhangsan"),
            date: s("2026-03-30"),
            groups_total: Some(5.0),
            active_groups: Some(3.0),
            members_total: Some(500.0),
            active_members: Some(120.0),
            ..GroupDailyIn::default()
        }
    }

    fn order() -> OrderIn {
        OrderIn {
            key: s("o1"),
            customer: s("c1"),
            paid_at: s("2026-03-01T10:00:00+08:00"),
            amount: s("299.00"),
            ..OrderIn::default()
        }
    }

    fn campaign() -> CampaignIn {
        CampaignIn {
            key: s("618"),
            kind: s("PROMOTION"),
            name: s("618 大促"),
            starts_on: s("2026-06-01"),
            ends_on: s("2026-06-18"),
            ..CampaignIn::default()
        }
    }

    fn content() -> ContentIn {
        ContentIn {
            key: s("a1"),
            account: s("oa"),
            kind: s("ARTICLE"),
            title: s("春季新品"),
            published_at: s("2026-03-01T20:00:00+08:00"),
            ..ContentIn::default()
        }
    }

    /// A rule case: its name, how it changes a valid base row, and the errors it must give.
    type Case<R> = (
        &'static str,
        fn(&mut R),
        &'static [(&'static str, RowErrorCode)],
    );

    /// Runs each case on a fresh copy of `base`, which must be valid itself.
    fn run_cases<R: Validate + Clone>(base: &R, cases: &[Case<R>]) {
        assert_eq!(codes(vec![base.clone()]), [], "the base row");
        for (name, edit, want) in cases {
            let mut row = base.clone();
            edit(&mut row);
            let want: Vec<(String, RowErrorCode)> = want
                .iter()
                .map(|(field, code)| ((*field).to_owned(), *code))
                .collect();
            assert_eq!(codes(vec![row]), want, "case {name:?}");
        }
    }

    #[test]
    fn content_daily_rules() {
        run_cases(
            &content_daily(),
            &[
                (
                    "missing key",
                    |r| r.content = None,
                    &[("content", Required)],
                ),
                (
                    "blank key is missing",
                    |r| r.content = s("  "),
                    &[("content", Required)],
                ),
                ("missing date", |r| r.date = None, &[("date", Required)]),
                (
                    "key over 128 chars",
                    |r| r.content = Some("键".repeat(129)),
                    &[("content", TooLong)],
                ),
                (
                    "key of 128 chars",
                    |r| r.content = Some("键".repeat(128)),
                    &[],
                ),
                (
                    "date with slashes",
                    |r| r.date = s("2026/03/30"),
                    &[("date", InvalidFormat)],
                ),
                (
                    "date unpadded",
                    |r| r.date = s("2026-3-30"),
                    &[("date", InvalidFormat)],
                ),
                (
                    "impossible date",
                    |r| r.date = s("2026-02-30"),
                    &[("date", InvalidFormat)],
                ),
                (
                    "after today",
                    |r| r.date = s("2026-04-01"),
                    &[("date", DateInFuture)],
                ),
                ("today", |r| r.date = s("2026-03-31"), &[]),
                (
                    "before WeChat",
                    |r| r.date = s("2011-01-20"),
                    &[("date", DateTooEarly)],
                ),
                ("WeChat's first day", |r| r.date = s("2011-01-21"), &[]),
                (
                    "negative count",
                    |r| r.likes = Some(-1.0),
                    &[("likes", Negative)],
                ),
                (
                    "fractional count",
                    |r| r.likes = Some(1.5),
                    &[("likes", NotInteger)],
                ),
                (
                    "non-finite count",
                    |r| r.likes = Some(f64::NAN),
                    &[("likes", InvalidFormat)],
                ),
                (
                    "count over 2^53",
                    |r| r.likes = Some(MAX_COUNT * 2.0),
                    &[("likes", InvalidFormat)],
                ),
                ("count of 2^53", |r| r.likes = Some(MAX_COUNT), &[]),
                (
                    "completions > reads",
                    |r| r.completions = Some(101.0),
                    &[("completions", Inconsistent)],
                ),
                (
                    "readers > reads",
                    |r| r.readers = Some(101.0),
                    &[("readers", Inconsistent)],
                ),
                (
                    "sharers > shares",
                    |r| r.sharers = Some(11.0),
                    &[("sharers", Inconsistent)],
                ),
                ("absent reads are not compared", |r| r.reads = None, &[]),
            ],
        );
    }

    #[test]
    fn other_fact_rules() {
        run_cases(
            &funnel(),
            &[
                (
                    "checkouts > visits",
                    |r| r.visits = Some(19.0),
                    &[("checkouts", Inconsistent)],
                ),
                (
                    "payments > checkouts",
                    |r| r.payments = Some(21.0),
                    &[("payments", Inconsistent)],
                ),
                ("omitted counts are 0", |r| r.payments = None, &[]),
            ],
        );
        run_cases(
            &CampaignDailyIn {
                campaign: s("618"),
                date: s("2026-03-30"),
                reached: Some(10.0),
                participants: Some(10.0),
                ugc_posts: None,
            },
            &[(
                "participants > reached",
                |r| r.reached = Some(9.0),
                &[("participants", Inconsistent)],
            )],
        );
        run_cases(
            &staff(),
            &[
                ("missing staff", |r| r.staff = None, &[("staff", Required)]),
                (
                    "repliedChats > chats",
                    |r| r.chats = Some(7.0),
                    &[("repliedChats", Inconsistent)],
                ),
                (
                    "fractional minutes",
                    |r| r.reply_minutes_total = Some(0.5),
                    &[],
                ),
                (
                    "negative minutes",
                    |r| r.reply_minutes_total = Some(-0.5),
                    &[("replyMinutesTotal", Negative)],
                ),
            ],
        );
        run_cases(
            &group(),
            &[
                (
                    "activeMembers > membersTotal",
                    |r| r.active_members = Some(501.0),
                    &[("activeMembers", Inconsistent)],
                ),
                (
                    "activeGroups > groupsTotal",
                    |r| r.active_groups = Some(6.0),
                    &[("activeGroups", Inconsistent)],
                ),
            ],
        );
        run_cases(
            &SpendIn {
                date: s("2026-03-30"),
                amount: s("10"),
                ..SpendIn::default()
            },
            &[
                (
                    "spend after today",
                    |r| r.date = s("2026-04-01"),
                    &[("date", DateInFuture)],
                ),
                (
                    "negative spend",
                    |r| r.amount = s("-1"),
                    &[("amount", Negative)],
                ),
                (
                    "missing spend amount",
                    |r| r.amount = None,
                    &[("amount", Required)],
                ),
            ],
        );
    }

    #[test]
    fn order_rules() {
        run_cases(
            &order(),
            &[
                (
                    "refund > amount",
                    |r| r.refunded_amount = s("299.01"),
                    &[("refundedAmount", Inconsistent)],
                ),
                ("refund = amount", |r| r.refunded_amount = s("299"), &[]),
                (
                    "3 decimals",
                    |r| r.amount = s("299.001"),
                    &[("amount", TooManyDecimals)],
                ),
                ("zeros beyond 2 decimals", |r| r.amount = s("299.000"), &[]),
                (
                    "negative and 3 decimals",
                    |r| r.amount = s("-0.001"),
                    &[("amount", Negative), ("amount", TooManyDecimals)],
                ),
                (
                    "thousands separator",
                    |r| r.amount = s("1,299.00"),
                    &[("amount", InvalidFormat)],
                ),
                (
                    "exponent",
                    |r| r.amount = s("1e3"),
                    &[("amount", InvalidFormat)],
                ),
                (
                    "underscore",
                    |r| r.amount = s("1_000"),
                    &[("amount", InvalidFormat)],
                ),
                (
                    "16 integer digits",
                    |r| r.amount = s("1234567890123456"),
                    &[("amount", InvalidFormat)],
                ),
                (
                    "missing amount",
                    |r| r.amount = None,
                    &[("amount", Required)],
                ),
                (
                    "missing customer",
                    |r| r.customer = None,
                    &[("customer", Required)],
                ),
                (
                    "paidAt without offset",
                    |r| r.paid_at = s("2026-03-01T10:00:00"),
                    &[("paidAt", InvalidFormat)],
                ),
                (
                    "paidAt as a date",
                    |r| r.paid_at = s("2026-03-01"),
                    &[("paidAt", InvalidFormat)],
                ),
                // 16:00 UTC on the 31st is 00:00 on 1 April in Shanghai.
                (
                    "paid tomorrow",
                    |r| r.paid_at = s("2026-03-31T16:00:00Z"),
                    &[("paidAt", DateInFuture)],
                ),
                ("paid today", |r| r.paid_at = s("2026-03-31T15:59:59Z"), &[]),
                (
                    "paid before WeChat",
                    |r| r.paid_at = s("2011-01-20T12:00:00+08:00"),
                    &[("paidAt", DateTooEarly)],
                ),
            ],
        );
    }

    #[test]
    fn entity_rules() {
        run_cases(
            &content(),
            &[
                (
                    "published tomorrow",
                    |r| r.published_at = s("2026-04-01T08:00:00+08:00"),
                    &[("publishedAt", DateInFuture)],
                ),
                (
                    "unknown kind",
                    |r| r.kind = s("PODCAST"),
                    &[("kind", InvalidFormat)],
                ),
                ("kind in lower case", |r| r.kind = s("short_video"), &[]),
                ("missing title", |r| r.title = None, &[("title", Required)]),
                (
                    "title over 512 chars",
                    |r| r.title = Some("长".repeat(513)),
                    &[("title", TooLong)],
                ),
            ],
        );
        run_cases(
            &campaign(),
            &[
                (
                    "ends before it starts",
                    |r| r.ends_on = s("2026-05-31"),
                    &[("endsOn", Inconsistent)],
                ),
                ("one-day campaign", |r| r.ends_on = s("2026-06-01"), &[]),
                (
                    "budget with 3 decimals",
                    |r| r.budget = s("0.125"),
                    &[("budget", TooManyDecimals)],
                ),
                (
                    "bad startsOn",
                    |r| r.starts_on = s("June 1"),
                    &[("startsOn", InvalidFormat)],
                ),
            ],
        );
        run_cases(
            &AccountIn {
                key: s("oa"),
                kind: s("SERVICE_ACCOUNT"),
                name: s("Brand"),
                external_id: None,
            },
            &[
                (
                    "no kind, no name",
                    |r| {
                        r.kind = None;
                        r.name = None
                    },
                    &[("kind", Required), ("name", Required)],
                ),
                (
                    "externalId over 128 chars",
                    |r| r.external_id = Some("w".repeat(129)),
                    &[("externalId", TooLong)],
                ),
            ],
        );
        run_cases(
            &ChannelIn {
                key: s("qr"),
                name: s("门店活码"),
            },
            &[(
                "name over 512 chars",
                |r| r.name = Some("n".repeat(513)),
                &[("name", TooLong)],
            )],
        );
        run_cases(
            &CustomerIn {
                key: s("c1"),
                ..CustomerIn::default()
            },
            &[(
                "first seen tomorrow",
                |r| r.first_seen_at = s("2026-04-02T00:00:00Z"),
                &[("firstSeenAt", DateInFuture)],
            )],
        );
    }

    #[test]
    fn happy_path_gives_typed_rows() {
        let out = validate(vec![content_daily()], &ctx());
        assert_eq!(out.errors, vec![]);
        assert_eq!(
            out.rows,
            vec![(
                0,
                ContentDaily {
                    content: "a1".into(),
                    date: date(2026, 3, 30),
                    deliveries: None,
                    opens: None,
                    reads: Some(100),
                    readers: Some(80),
                    completions: Some(40),
                    shares: Some(10),
                    sharers: Some(8),
                    favorites: None,
                    likes: None,
                    comments: None,
                    clicks: None,
                }
            )]
        );

        let out = validate(
            vec![StaffDailyIn {
                reply_minutes_total: Some(12.5),
                ..staff()
            }],
            &ctx(),
        );
        let (_, row) = &out.rows[0];
        // Omitted counts of facts without partial sources are 0.
        assert_eq!((row.messages, row.new_applies), (0, 0));
        assert_eq!(row.reply_minutes_total, 12.5);

        let out = validate(vec![content()], &ctx());
        let (_, row) = &out.rows[0];
        assert_eq!(row.kind, ContentKind::Article);
        assert_eq!(row.published_at.to_rfc3339(), "2026-03-01T12:00:00+00:00");
        assert_eq!(row.campaign, None);
    }

    #[test]
    fn orders_get_their_business_date_and_money_at_scale_two() {
        let out = validate(
            vec![
                OrderIn {
                    paid_at: s("2026-03-30T17:00:00Z"),
                    amount: s("299.5"),
                    refunded_amount: s(" 50 "),
                    ..order()
                },
                OrderIn {
                    key: s("o2"),
                    paid_at: s("2026-03-30T15:59:59Z"),
                    ..order()
                },
            ],
            &ctx(),
        );
        assert_eq!(out.errors, vec![]);
        let (_, first) = &out.rows[0];
        // 17:00 UTC is 01:00 the next day in UTC+8.
        assert_eq!(first.paid_date, date(2026, 3, 31));
        assert_eq!(first.amount.to_string(), "299.50");
        assert_eq!(first.refunded_amount.to_string(), "50.00");
        let (_, second) = &out.rows[1];
        assert_eq!(second.paid_date, date(2026, 3, 30));
        // An omitted refund is 0.00.
        assert_eq!(second.refunded_amount.to_string(), "0.00");
    }

    #[test]
    fn timestamps_keep_microseconds() {
        let out = validate(
            vec![OrderIn {
                paid_at: s("2026-03-30T10:00:00.123456789+08:00"),
                ..order()
            }],
            &ctx(),
        );
        assert_eq!(out.errors, vec![]);
        let (_, row) = &out.rows[0];
        assert_eq!(row.paid_at.to_rfc3339(), "2026-03-30T02:00:00.123456+00:00");
    }

    #[test]
    fn money_is_normalized() {
        let amounts = ["7", "7.5", "7.50", "7.500", "+7.5", "-0", "0.00"];
        let rows = amounts
            .iter()
            .enumerate()
            .map(|(i, amount)| SpendIn {
                date: s("2026-03-30"),
                amount: s(amount),
                channel: Some(format!("ch{i}")),
                campaign: None,
            })
            .collect();
        let out = validate(rows, &ctx());
        assert_eq!(out.errors, vec![]);
        let got: Vec<String> = out.rows.iter().map(|(_, r)| r.amount.to_string()).collect();
        assert_eq!(
            got,
            ["7.00", "7.50", "7.50", "7.50", "7.50", "0.00", "0.00"]
        );
    }

    #[test]
    fn a_row_reports_all_its_errors() {
        let out = validate(
            vec![
                content_daily(),
                ContentDailyIn {
                    content: None,
                    date: s("2026-04-02"),
                    reads: Some(10.0),
                    completions: Some(12.0),
                    likes: Some(-2.5),
                    ..content_daily()
                },
            ],
            &ctx(),
        );
        assert_eq!(out.rows.len(), 1);
        let got: Vec<(usize, &str, RowErrorCode)> = out
            .errors
            .iter()
            .map(|e| (e.index, e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            got,
            [
                (1, "content", Required),
                (1, "date", DateInFuture),
                (1, "likes", Negative),
                (1, "likes", NotInteger),
                (1, "completions", Inconsistent),
                (1, "readers", Inconsistent),
            ]
        );
        assert_eq!(
            out.errors[4].message,
            "completions (12) must not exceed reads (10)"
        );
        assert_eq!(
            out.errors[1].message,
            "date 2026-04-02 is after today (2026-03-31 in Asia/Shanghai)"
        );
    }

    #[test]
    fn a_timestamp_error_names_its_business_date() {
        let out = validate(
            vec![OrderIn {
                paid_at: s("2026-03-31T16:00:00Z"),
                ..order()
            }],
            &ctx(),
        );
        assert_eq!(
            out.errors[0].message,
            "paidAt 2026-03-31T16:00:00Z (business date 2026-04-01 in Asia/Shanghai) \
             is after today (2026-03-31 in Asia/Shanghai)"
        );
    }

    #[test]
    fn duplicate_natural_keys_are_reported_on_the_later_row() {
        let out = validate(
            vec![
                content_daily(),
                ContentDailyIn {
                    date: s("2026-03-29"),
                    ..content_daily()
                },
                // Same key once trimmed.
                ContentDailyIn {
                    content: s(" a1 "),
                    ..content_daily()
                },
                ContentDailyIn {
                    likes: Some(3.0),
                    ..content_daily()
                },
            ],
            &ctx(),
        );
        assert_eq!(out.rows.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1]);
        let got: Vec<(usize, &str, RowErrorCode, &str)> = out
            .errors
            .iter()
            .map(|e| (e.index, e.field.as_str(), e.code, e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    2,
                    "content",
                    DuplicateKey,
                    "duplicate of row 0: same content, date"
                ),
                (
                    3,
                    "content",
                    DuplicateKey,
                    "duplicate of row 0: same content, date"
                ),
            ]
        );
    }

    #[test]
    fn an_invalid_row_still_claims_its_key() {
        let out = validate(
            vec![
                ContentDailyIn {
                    likes: Some(-1.0),
                    ..content_daily()
                },
                content_daily(),
            ],
            &ctx(),
        );
        assert_eq!(out.rows, vec![]);
        let got: Vec<(usize, RowErrorCode)> =
            out.errors.iter().map(|e| (e.index, e.code)).collect();
        assert_eq!(got, [(0, Negative), (1, DuplicateKey)]);
    }

    #[test]
    fn natural_keys_per_kind() {
        // Funnel: an absent campaign is a key of its own.
        let funnel_rows = vec![
            funnel(),
            FunnelDailyIn {
                campaign: s("618"),
                ..funnel()
            },
            FunnelDailyIn {
                campaign: s(""),
                ..funnel()
            },
        ];
        assert_eq!(codes(funnel_rows), [("account".to_owned(), DuplicateKey)]);

        // Staff: account × staff × date.
        let staff_rows = vec![
            staff(),
            StaffDailyIn {
                staff: s("lisi"),
                ..staff()
            },
            StaffDailyIn {
                account: s("corp2"),
                ..staff()
            },
            staff(),
        ];
        assert_eq!(codes(staff_rows), [("account".to_owned(), DuplicateKey)]);

        // Spend: date × channel × campaign.
        let spend = |channel: Option<String>, campaign: Option<String>| SpendIn {
            date: s("2026-03-30"),
            amount: s("1"),
            channel,
            campaign,
        };
        let spend_rows = vec![
            spend(s("qr"), None),
            spend(s("qr"), s("618")),
            spend(None, s("618")),
            spend(s("qr"), None),
        ];
        assert_eq!(codes(spend_rows), [("date".to_owned(), DuplicateKey)]);

        // Entities and orders: key.
        let order_rows = vec![
            order(),
            OrderIn {
                key: s("o2"),
                ..order()
            },
            order(),
        ];
        assert_eq!(codes(order_rows), [("key".to_owned(), DuplicateKey)]);
    }

    #[test]
    fn raw_rows_deserialize_from_camel_case_snake_case_and_strings() {
        let camel: AccountDailyIn = serde_json::from_str(
            r#"{"account":"oa","date":"2026-03-30","newFollowers":12,"totalFollowers":"5000","extra":true}"#,
        )
        .unwrap();
        let snake: AccountDailyIn = serde_json::from_str(
            r#"{"account":"oa","date":"2026-03-30","new_followers":"12","total_followers":5000,"unfollows":null}"#,
        )
        .unwrap();
        let expected = AccountDailyIn {
            account: s("oa"),
            date: s("2026-03-30"),
            new_followers: Some(12.0),
            unfollows: None,
            total_followers: Some(5000.0),
        };
        assert_eq!(camel, expected);
        assert_eq!(snake, expected);

        // A count cell that is no number is that row's error, not a parse failure.
        let garbled: FunnelDailyIn = serde_json::from_str(
            r#"{"account":"oa","date":"2026-03-30","visits":"many","checkouts":""}"#,
        )
        .unwrap();
        assert_eq!(garbled.checkouts, None);
        assert_eq!(codes(vec![garbled]), [("visits".to_owned(), InvalidFormat)]);

        // Money may come as a JSON number.
        let order: OrderIn = serde_json::from_str(
            r#"{"key":"o1","customer":"c1","paidAt":"2026-03-01T10:00:00Z","amount":19.99,"refundedAmount":5}"#,
        )
        .unwrap();
        assert_eq!(
            (order.amount.as_deref(), order.refunded_amount.as_deref()),
            (Some("19.99"), Some("5"))
        );
    }

    #[test]
    fn enums_round_trip_through_their_names() {
        for kind in AccountKind::ALL {
            assert_eq!(kind.as_str().parse::<AccountKind>().unwrap(), *kind);
        }
        for kind in ContentKind::ALL {
            assert_eq!(kind.as_str().parse::<ContentKind>().unwrap(), *kind);
        }
        for kind in CampaignKind::ALL {
            assert_eq!(kind.as_str().parse::<CampaignKind>().unwrap(), *kind);
        }
        assert_eq!(AccountKind::MiniProgram.to_string(), "MINI_PROGRAM");
        assert_eq!(RowErrorCode::TooManyDecimals.as_str(), "TOO_MANY_DECIMALS");
        assert_eq!(RowErrorCode::ALL.len(), 11);
        assert_eq!(
            "BLOG".parse::<CampaignKind>().unwrap_err().to_string(),
            r#""BLOG" is not one of PROMOTION, INTERACTION, BRAND"#
        );
    }

    #[test]
    fn context_today_is_in_the_workspace_zone() {
        let now = DateTime::parse_from_rfc3339("2026-03-31T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            ValidationContext::at(now, chrono_tz::Asia::Shanghai).today,
            date(2026, 4, 1)
        );
        assert_eq!(
            ValidationContext::at(now, chrono_tz::UTC).today,
            date(2026, 3, 31)
        );
    }

    #[test]
    fn unknown_reference_error() {
        let error = RowError::unknown_reference(4, "campaign", "double11");
        assert_eq!(error.code.as_str(), "UNKNOWN_REFERENCE");
        assert_eq!(
            error.to_string(),
            r#"row 4, campaign: campaign "double11" does not exist"#
        );
    }
}

/// Property tests of [`validate`] over arbitrary raw rows of every kind.
///
/// For any rows (missing fields, blank and overlong strings, malformed and out-of-range dates,
/// timestamps, counts and amounts, keys drawn from a small pool so that duplicates are common):
/// validation never panics; every row is accepted or refused, never both, and a refused row has
/// errors that each name one of its fields and a code; accepted rows satisfy the invariants of
/// their kind; the outcome is deterministic and row-local (a row is judged alone, duplicates
/// apart); and `DUPLICATE_KEY` marks exactly the rows whose natural key an earlier row had.
/// [`check_validation`] and the invariants are shared with the WeChat mapping's properties.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod properties {
    use std::collections::{BTreeSet, HashMap};
    use std::fmt::Debug;

    use proptest::prelude::*;

    use super::*;

    /// The world validation sees: today and the workspace zone, including zones far east and
    /// west of UTC so that business dates of timestamps cross days.
    pub(crate) fn context() -> impl Strategy<Value = ValidationContext> {
        let days = prop::sample::select(&["2026-03-31", "2025-12-31", "2011-02-01"][..]);
        let zones = prop::sample::select(
            &[
                chrono_tz::Asia::Shanghai,
                chrono_tz::UTC,
                chrono_tz::Pacific::Kiritimati,
                chrono_tz::Pacific::Pago_Pago,
            ][..],
        );
        (days, zones).prop_map(|(today, tz)| ValidationContext {
            today: parse_date(today).unwrap(),
            tz,
        })
    }

    // Each field strategy is either sane (values that pass, or fail only by how they combine
    // with other fields or rows: duplicates, `part > whole`) or wild (anything). Rows are drawn
    // from both, so that accepted rows are common enough for their invariants to be tested.

    fn some(pool: &'static [&'static str]) -> BoxedStrategy<Option<String>> {
        prop::sample::select(pool)
            .prop_map(|s| Some(s.to_owned()))
            .boxed()
    }

    /// A string from `pool`, or else (wild) missing, blank, arbitrary or over any limit.
    fn text(pool: &'static [&'static str], sane: bool) -> BoxedStrategy<Option<String>> {
        if sane {
            return some(pool);
        }
        prop_oneof![
            3 => some(pool),
            1 => Just(None),
            1 => some(&["", "  ", "\t\n"]),
            1 => "\\PC{0,16}".prop_map(Some),
            1 => (100_usize..600).prop_map(|n| Some("长".repeat(n))),
        ]
        .boxed()
    }

    /// Keys from a small pool, so that natural keys repeat (" a " is "a" once trimmed).
    fn key(sane: bool) -> BoxedStrategy<Option<String>> {
        text(&["a", "b", " a ", "c1", "门店"], sane)
    }

    /// An optional reference: absent, or a key.
    fn reference(sane: bool) -> BoxedStrategy<Option<String>> {
        prop_oneof![Just(None), key(sane)].boxed()
    }

    fn name(sane: bool) -> BoxedStrategy<Option<String>> {
        text(&["Brand", "秋季新品预告", " x "], sane)
    }

    /// The names of a closed set (`AccountKind::ALL`, …).
    fn names<K: Copy>(all: &[K], name: fn(K) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|k| name(*k)).collect()
    }

    /// One of `names` in upper or lower case, or else (wild) something else.
    fn kind(names: Vec<&'static str>, sane: bool) -> BoxedStrategy<Option<String>> {
        let valid = (prop::sample::select(names), any::<bool>()).prop_map(|(name, lower)| {
            Some(if lower {
                name.to_lowercase()
            } else {
                name.to_owned()
            })
        });
        if sane {
            return valid.boxed();
        }
        prop_oneof![2 => valid, 1 => text(&["PODCAST", "ARTICLES", "Article "], false)].boxed()
    }

    /// Sane: days that no context's today precedes. Wild: near today, too early, impossible,
    /// misshapen, generated, missing or arbitrary.
    fn date(sane: bool) -> BoxedStrategy<Option<String>> {
        const SANE: &[&str] = &["2011-01-21", "2011-01-31", "2011-02-01"];
        const WILD: &[&str] = &[
            "2026-03-31",
            "2026-03-30",
            "2026-04-01",
            "2025-12-31",
            "2024-02-29",
            "2011-01-20",
            "2026-02-29",
            "2026-13-01",
            "20260330",
            " 2026-03-29 ",
            "+2026-03-30",
            "2026-3-30",
        ];
        if sane {
            return some(SANE);
        }
        prop_oneof![
            3 => some(WILD),
            2 => (1990_u32..2030, 0_u32..=13, 0_u32..=32)
                .prop_map(|(y, m, d)| Some(format!("{y:04}-{m:02}-{d:02}"))),
            1 => Just(None),
            1 => "\\PC{0,12}".prop_map(Some),
        ]
        .boxed()
    }

    /// Sane: instants whose business date lies on or before every context's today, in any
    /// zone. Wild: around today and the earliest date in several offsets, without an offset,
    /// generated, arbitrary.
    fn timestamp(sane: bool) -> BoxedStrategy<Option<String>> {
        const SANE: &[&str] = &[
            "2011-01-25T10:00:00Z",
            "2011-01-30T23:59:59.999999999+08:00",
            "2011-01-29T10:00:00.1234567-05:00",
        ];
        const WILD: &[&str] = &[
            "2026-03-30T10:00:00Z",
            "2026-03-31T15:59:59.999999999Z",
            "2026-03-31T16:00:00Z",
            "2026-04-01T00:00:00+08:00",
            "2011-01-20T16:00:00Z",
            "2011-01-20T15:59:59Z",
            "2026-03-30T10:00:00",
            "2026-03-30 10:00:00+08:00",
            "yesterday",
        ];
        if sane {
            return some(SANE);
        }
        let generated = (
            2010_i32..2027,
            1_u32..=12,
            1_u32..=28,
            0_u32..24,
            -14_i32..=14,
        )
            .prop_map(|(y, mo, d, h, offset)| {
                let zone = match offset {
                    0 => "Z".to_owned(),
                    o => format!("{}{:02}:00", if o < 0 { '-' } else { '+' }, o.abs()),
                };
                Some(format!("{y:04}-{mo:02}-{d:02}T{h:02}:30:07.5{zone}"))
            });
        prop_oneof![
            2 => some(WILD),
            2 => generated,
            1 => Just(None),
            1 => "\\PC{0,24}".prop_map(Some),
        ]
        .boxed()
    }

    /// Sane: absent or a small whole number (so that `part <= whole` holds about half of the
    /// time). Wild: negative, fractional, not finite, beyond 2^53, anything.
    fn count(sane: bool) -> BoxedStrategy<Option<f64>> {
        const SPECIAL: &[f64] = &[
            -1.0,
            -0.0,
            0.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            MAX_COUNT,
            MAX_COUNT + 2.0,
            1e300,
            f64::MIN_POSITIVE,
        ];
        let small = prop_oneof![1 => Just(None), 3 => (0_u32..20).prop_map(|n| Some(f64::from(n)))];
        if sane {
            return small.boxed();
        }
        prop_oneof![
            2 => small,
            1 => (-1000.0..10_000.0_f64).prop_map(Some),
            1 => prop::sample::select(SPECIAL).prop_map(Some),
            1 => any::<f64>().prop_map(Some),
        ]
        .boxed()
    }

    /// A required amount: sane ones are present.
    fn amount(sane: bool) -> BoxedStrategy<Option<String>> {
        if sane {
            plain_money().prop_map(Some).boxed()
        } else {
            money(false)
        }
    }

    /// A plain amount with up to 2 decimals, such as `0`, `7.5` or `993.07`.
    fn plain_money() -> impl Strategy<Value = String> {
        (0_u32..100_000, 0_usize..3).prop_map(|(n, places)| {
            let text = n.to_string();
            let (int, frac) = text.split_at(text.len().saturating_sub(places));
            let int = if int.is_empty() { "0" } else { int };
            if frac.is_empty() {
                int.to_owned()
            } else {
                format!("{int}.{frac}")
            }
        })
    }

    /// Sane: absent or a plain amount with up to 2 decimals. Wild: more decimals, signs,
    /// exponents, separators, too many digits, anything.
    fn money(sane: bool) -> BoxedStrategy<Option<String>> {
        const WILD: &[&str] = &[
            "0",
            "-0",
            "+7.5",
            "7.500",
            "7.505",
            "-1",
            "1e5",
            "NaN",
            "1,000",
            "1_000",
            "0x10",
            " 5 ",
            "",
            ".5",
            "5.",
            "999999999999999",
            "1000000000000000",
            "000000000000000001.25",
        ];
        let plain = plain_money().prop_map(Some);
        if sane {
            return prop_oneof![1 => Just(None), 4 => plain].boxed();
        }
        prop_oneof![
            1 => plain,
            2 => some(WILD),
            1 => Just(None),
            1 => "[+-]?[0-9]{0,17}(\\.[0-9]{0,4})?".prop_map(Some),
            1 => "\\PC{0,10}".prop_map(Some),
        ]
        .boxed()
    }

    /// Up to 8 rows, each sane or wild.
    fn rows<T: Debug + 'static>(
        row: fn(bool) -> BoxedStrategy<T>,
    ) -> impl Strategy<Value = Vec<T>> {
        prop::collection::vec(prop_oneof![row(true), row(false)], 0..8)
    }

    // ---------------------------------------------------------------------------------------
    // Invariants of valid rows
    // ---------------------------------------------------------------------------------------

    /// What every valid row of a kind satisfies.
    pub(crate) trait Invariants {
        fn check(&self, ctx: &ValidationContext);
    }

    fn key_ok(key: &str) {
        assert!(!key.is_empty() && key.trim() == key, "key {key:?}");
        assert!(
            key.chars().count() <= MAX_KEY_LEN,
            "key of {} chars",
            key.len()
        );
    }

    fn text_ok(text: &str) {
        assert!(!text.is_empty() && text.trim() == text, "text {text:?}");
        assert!(text.chars().count() <= MAX_TEXT_LEN);
    }

    fn count_ok(count: i64) {
        assert!((0..=1_i64 << 53).contains(&count), "count {count}");
    }

    fn money_ok(amount: Decimal) {
        assert_eq!(amount.scale(), 2, "{amount}");
        assert!(!amount.is_sign_negative(), "{amount}");
        assert!(amount < Decimal::from(10_i64.pow(15)), "{amount}");
    }

    fn business_date_ok(date: NaiveDate, ctx: &ValidationContext) {
        assert!(date <= ctx.today, "{date} after {}", ctx.today);
        assert!(date >= EARLIEST_DATE, "{date}");
    }

    fn not_above<T: PartialOrd + Debug>(part: Option<T>, whole: Option<T>) {
        if let (Some(part), Some(whole)) = (part, whole) {
            assert!(part <= whole, "{part:?} > {whole:?}");
        }
    }

    impl Invariants for Account {
        fn check(&self, _: &ValidationContext) {
            key_ok(&self.key);
            text_ok(&self.name);
            self.external_id.as_deref().into_iter().for_each(key_ok);
        }
    }

    impl Invariants for Content {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.key);
            key_ok(&self.account);
            text_ok(&self.title);
            business_date_ok(ctx.business_date(self.published_at), ctx);
            assert_eq!(self.published_at.timestamp_subsec_nanos() % 1000, 0);
            self.campaign.as_deref().into_iter().for_each(key_ok);
        }
    }

    impl Invariants for Campaign {
        fn check(&self, _: &ValidationContext) {
            key_ok(&self.key);
            text_ok(&self.name);
            assert!(self.starts_on <= self.ends_on);
            self.budget.into_iter().for_each(money_ok);
        }
    }

    impl Invariants for Channel {
        fn check(&self, _: &ValidationContext) {
            key_ok(&self.key);
            text_ok(&self.name);
        }
    }

    impl Invariants for Customer {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.key);
            if let Some(at) = self.first_seen_at {
                business_date_ok(ctx.business_date(at), ctx);
            }
            self.channel.as_deref().into_iter().for_each(key_ok);
            self.account.as_deref().into_iter().for_each(key_ok);
        }
    }

    impl Invariants for ContentDaily {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.content);
            business_date_ok(self.date, ctx);
            for count in [
                self.deliveries,
                self.opens,
                self.reads,
                self.readers,
                self.completions,
                self.shares,
                self.sharers,
                self.favorites,
                self.likes,
                self.comments,
                self.clicks,
            ]
            .into_iter()
            .flatten()
            {
                count_ok(count);
            }
            not_above(self.completions, self.reads);
            not_above(self.readers, self.reads);
            not_above(self.sharers, self.shares);
        }
    }

    impl Invariants for AccountDaily {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.account);
            business_date_ok(self.date, ctx);
            [self.new_followers, self.unfollows, self.total_followers]
                .into_iter()
                .flatten()
                .for_each(count_ok);
        }
    }

    impl Invariants for FunnelDaily {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.account);
            self.campaign.as_deref().into_iter().for_each(key_ok);
            business_date_ok(self.date, ctx);
            [self.visits, self.checkouts, self.payments]
                .into_iter()
                .for_each(count_ok);
            not_above(Some(self.checkouts), Some(self.visits));
            not_above(Some(self.payments), Some(self.checkouts));
        }
    }

    impl Invariants for CampaignDaily {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.campaign);
            business_date_ok(self.date, ctx);
            [self.reached, self.participants, self.ugc_posts]
                .into_iter()
                .for_each(count_ok);
            not_above(Some(self.participants), Some(self.reached));
        }
    }

    impl Invariants for StaffDaily {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.account);
            key_ok(&self.staff);
            business_date_ok(self.date, ctx);
            [
                self.chats,
                self.messages,
                self.replied_chats,
                self.new_applies,
                self.new_contacts,
                self.negative_feedback,
            ]
            .into_iter()
            .for_each(count_ok);
            not_above(Some(self.replied_chats), Some(self.chats));
            let minutes = self.reply_minutes_total;
            assert!(
                minutes.is_finite() && minutes.is_sign_positive(),
                "{minutes}"
            );
        }
    }

    impl Invariants for GroupDaily {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.account);
            key_ok(&self.staff);
            business_date_ok(self.date, ctx);
            [
                self.groups_total,
                self.active_groups,
                self.members_total,
                self.active_members,
                self.new_members,
                self.messages,
            ]
            .into_iter()
            .for_each(count_ok);
            not_above(Some(self.active_groups), Some(self.groups_total));
            not_above(Some(self.active_members), Some(self.members_total));
        }
    }

    impl Invariants for Order {
        fn check(&self, ctx: &ValidationContext) {
            key_ok(&self.key);
            key_ok(&self.customer);
            assert_eq!(self.paid_date, ctx.business_date(self.paid_at));
            business_date_ok(self.paid_date, ctx);
            money_ok(self.amount);
            money_ok(self.refunded_amount);
            assert!(self.refunded_amount <= self.amount);
            for key in [&self.channel, &self.campaign, &self.account] {
                key.as_deref().into_iter().for_each(key_ok);
            }
        }
    }

    impl Invariants for Spend {
        fn check(&self, ctx: &ValidationContext) {
            business_date_ok(self.date, ctx);
            money_ok(self.amount);
            self.channel.as_deref().into_iter().for_each(key_ok);
            self.campaign.as_deref().into_iter().for_each(key_ok);
        }
    }

    // ---------------------------------------------------------------------------------------
    // The properties
    // ---------------------------------------------------------------------------------------

    /// Checks every property of validating `rows` in `ctx`; `fields` are the GraphQL field
    /// names of the kind, the only ones an error may name.
    pub(crate) fn check_validation<R>(rows: &[R], ctx: &ValidationContext, fields: &[&str])
    where
        R: Validate + Clone + Debug,
        R::Output: Invariants + PartialEq + Debug,
    {
        let out = validate(rows.to_vec(), ctx);
        // Deterministic.
        assert_eq!(out, validate(rows.to_vec(), ctx));

        // Each row accepted or refused, never both; both in index order.
        let accepted: Vec<usize> = out.rows.iter().map(|(i, _)| *i).collect();
        let refused: BTreeSet<usize> = out.errors.iter().map(|e| e.index).collect();
        assert!(accepted.windows(2).all(|w| w[0] < w[1]), "{accepted:?}");
        assert!(out.errors.windows(2).all(|w| w[0].index <= w[1].index));
        assert!(accepted.iter().all(|i| !refused.contains(i)));
        assert_eq!(accepted.len() + refused.len(), rows.len());

        // Errors name a field of the kind, a code and a reason.
        for error in &out.errors {
            assert!(
                fields.contains(&error.field.as_str()),
                "{error:?} names no field of {fields:?}"
            );
            assert!(!error.message.is_empty());
            assert!(RowErrorCode::ALL.contains(&error.code));
            assert_ne!(
                error.code,
                RowErrorCode::UnknownReference,
                "the store's to report"
            );
        }

        for (_, row) in &out.rows {
            row.check(ctx);
        }

        // DUPLICATE_KEY on exactly the rows whose natural key an earlier row had, naming the
        // first of them, on the first key field.
        let mut first: HashMap<R::Key, usize> = HashMap::new();
        let mut expected = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            if let Some(key) = row.natural_key() {
                match first.get(&key) {
                    Some(&earlier) => expected.push((index, earlier)),
                    None => {
                        first.insert(key, index);
                    }
                }
            }
        }
        let duplicates: Vec<&RowError> = out
            .errors
            .iter()
            .filter(|e| e.code == RowErrorCode::DuplicateKey)
            .collect();
        assert_eq!(
            duplicates.len(),
            expected.len(),
            "{duplicates:?} vs {expected:?}"
        );
        for (error, (index, earlier)) in duplicates.iter().zip(&expected) {
            assert_eq!(error.index, *index);
            assert_eq!(error.field, R::KEY_FIELDS[0]);
            let prefix = format!("duplicate of row {earlier}:");
            assert!(error.message.starts_with(&prefix), "{}", error.message);
        }

        // Row-local: apart from duplicates, a row's outcome is the one it gets alone.
        for (index, row) in rows.iter().enumerate() {
            let alone = validate(vec![row.clone()], ctx);
            let own = |errors: &[RowError], at: usize| -> Vec<(String, RowErrorCode, String)> {
                errors
                    .iter()
                    .filter(|e| e.index == at && e.code != RowErrorCode::DuplicateKey)
                    .map(|e| (e.field.clone(), e.code, e.message.clone()))
                    .collect()
            };
            assert_eq!(
                own(&out.errors, index),
                own(&alone.errors, 0),
                "row {index}"
            );
            let in_batch = out.rows.iter().find(|(i, _)| *i == index).map(|(_, r)| r);
            if let Some(valid) = in_batch {
                assert_eq!(alone.rows.first().map(|(_, r)| r), Some(valid));
            }
            let duplicate = expected.iter().any(|(i, _)| *i == index);
            assert_eq!(in_batch.is_some(), !alone.rows.is_empty() && !duplicate);
        }
    }

    pub(crate) const CONTENT_FIELDS: &[&str] =
        &["key", "account", "kind", "title", "publishedAt", "campaign"];
    pub(crate) const CONTENT_DAILY_FIELDS: &[&str] = &[
        "content",
        "date",
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
    ];
    pub(crate) const ACCOUNT_DAILY_FIELDS: &[&str] = &[
        "account",
        "date",
        "newFollowers",
        "unfollows",
        "totalFollowers",
    ];
    pub(crate) const STAFF_DAILY_FIELDS: &[&str] = &[
        "account",
        "staff",
        "date",
        "chats",
        "messages",
        "repliedChats",
        "replyMinutesTotal",
        "newApplies",
        "newContacts",
        "negativeFeedback",
    ];
    pub(crate) const GROUP_DAILY_FIELDS: &[&str] = &[
        "account",
        "staff",
        "date",
        "groupsTotal",
        "activeGroups",
        "membersTotal",
        "activeMembers",
        "newMembers",
        "messages",
    ];

    fn account_in(sane: bool) -> BoxedStrategy<AccountIn> {
        (
            key(sane),
            kind(names(AccountKind::ALL, AccountKind::as_str), sane),
            name(sane),
            reference(sane),
        )
            .prop_map(|(key, kind, name, external_id)| AccountIn {
                key,
                kind,
                name,
                external_id,
            })
            .boxed()
    }

    fn content_in(sane: bool) -> BoxedStrategy<ContentIn> {
        (
            key(sane),
            key(sane),
            kind(names(ContentKind::ALL, ContentKind::as_str), sane),
            name(sane),
            timestamp(sane),
            reference(sane),
        )
            .prop_map(
                |(key, account, kind, title, published_at, campaign)| ContentIn {
                    key,
                    account,
                    kind,
                    title,
                    published_at,
                    campaign,
                },
            )
            .boxed()
    }

    fn campaign_in(sane: bool) -> BoxedStrategy<CampaignIn> {
        (
            key(sane),
            kind(names(CampaignKind::ALL, CampaignKind::as_str), sane),
            name(sane),
            date(sane),
            date(sane),
            money(sane),
        )
            .prop_map(|(key, kind, name, starts_on, ends_on, budget)| CampaignIn {
                key,
                kind,
                name,
                starts_on,
                ends_on,
                budget,
            })
            .boxed()
    }

    fn channel_in(sane: bool) -> BoxedStrategy<ChannelIn> {
        (key(sane), name(sane))
            .prop_map(|(key, name)| ChannelIn { key, name })
            .boxed()
    }

    fn customer_in(sane: bool) -> BoxedStrategy<CustomerIn> {
        (key(sane), timestamp(sane), reference(sane), reference(sane))
            .prop_map(|(key, first_seen_at, channel, account)| CustomerIn {
                key,
                first_seen_at,
                channel,
                account,
            })
            .boxed()
    }

    fn content_daily_in(sane: bool) -> BoxedStrategy<ContentDailyIn> {
        let c = || count(sane);
        (
            (key(sane), date(sane)),
            (c(), c(), c(), c(), c(), c()),
            (c(), c(), c(), c(), c()),
        )
            .prop_map(|((content, date), a, b)| ContentDailyIn {
                content,
                date,
                deliveries: a.0,
                opens: a.1,
                reads: a.2,
                readers: a.3,
                completions: a.4,
                shares: a.5,
                sharers: b.0,
                favorites: b.1,
                likes: b.2,
                comments: b.3,
                clicks: b.4,
            })
            .boxed()
    }

    fn account_daily_in(sane: bool) -> BoxedStrategy<AccountDailyIn> {
        (key(sane), date(sane), count(sane), count(sane), count(sane))
            .prop_map(
                |(account, date, new_followers, unfollows, total_followers)| AccountDailyIn {
                    account,
                    date,
                    new_followers,
                    unfollows,
                    total_followers,
                },
            )
            .boxed()
    }

    fn funnel_daily_in(sane: bool) -> BoxedStrategy<FunnelDailyIn> {
        (
            key(sane),
            reference(sane),
            date(sane),
            count(sane),
            count(sane),
            count(sane),
        )
            .prop_map(
                |(account, campaign, date, visits, checkouts, payments)| FunnelDailyIn {
                    account,
                    campaign,
                    date,
                    visits,
                    checkouts,
                    payments,
                },
            )
            .boxed()
    }

    fn campaign_daily_in(sane: bool) -> BoxedStrategy<CampaignDailyIn> {
        (key(sane), date(sane), count(sane), count(sane), count(sane))
            .prop_map(
                |(campaign, date, reached, participants, ugc_posts)| CampaignDailyIn {
                    campaign,
                    date,
                    reached,
                    participants,
                    ugc_posts,
                },
            )
            .boxed()
    }

    fn staff_daily_in(sane: bool) -> BoxedStrategy<StaffDailyIn> {
        let c = || count(sane);
        (
            (key(sane), key(sane), date(sane)),
            (c(), c(), c(), c(), c(), c(), c()),
        )
            .prop_map(|((account, staff, date), c)| StaffDailyIn {
                account,
                staff,
                date,
                chats: c.0,
                messages: c.1,
                replied_chats: c.2,
                reply_minutes_total: c.3,
                new_applies: c.4,
                new_contacts: c.5,
                negative_feedback: c.6,
            })
            .boxed()
    }

    fn group_daily_in(sane: bool) -> BoxedStrategy<GroupDailyIn> {
        let c = || count(sane);
        (
            (key(sane), key(sane), date(sane)),
            (c(), c(), c(), c(), c(), c()),
        )
            .prop_map(|((account, staff, date), c)| GroupDailyIn {
                account,
                staff,
                date,
                groups_total: c.0,
                active_groups: c.1,
                members_total: c.2,
                active_members: c.3,
                new_members: c.4,
                messages: c.5,
            })
            .boxed()
    }

    fn order_in(sane: bool) -> BoxedStrategy<OrderIn> {
        (
            (key(sane), key(sane), timestamp(sane)),
            (amount(sane), money(sane)),
            (reference(sane), reference(sane), reference(sane)),
        )
            .prop_map(
                |((key, customer, paid_at), (amount, refunded_amount), refs)| OrderIn {
                    key,
                    customer,
                    paid_at,
                    amount,
                    refunded_amount,
                    channel: refs.0,
                    campaign: refs.1,
                    account: refs.2,
                },
            )
            .boxed()
    }

    fn spend_in(sane: bool) -> BoxedStrategy<SpendIn> {
        (date(sane), amount(sane), reference(sane), reference(sane))
            .prop_map(|(date, amount, channel, campaign)| SpendIn {
                date,
                amount,
                channel,
                campaign,
            })
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn accounts(rows in rows(account_in), ctx in context()) {
            check_validation(&rows, &ctx, &["key", "kind", "name", "externalId"]);
        }

        #[test]
        fn contents(rows in rows(content_in), ctx in context()) {
            check_validation(&rows, &ctx, CONTENT_FIELDS);
        }

        #[test]
        fn campaigns(rows in rows(campaign_in), ctx in context()) {
            let fields = ["key", "kind", "name", "startsOn", "endsOn", "budget"];
            check_validation(&rows, &ctx, &fields);
        }

        #[test]
        fn channels(rows in rows(channel_in), ctx in context()) {
            check_validation(&rows, &ctx, &["key", "name"]);
        }

        #[test]
        fn customers(rows in rows(customer_in), ctx in context()) {
            check_validation(&rows, &ctx, &["key", "firstSeenAt", "channel", "account"]);
        }

        #[test]
        fn content_daily(rows in rows(content_daily_in), ctx in context()) {
            check_validation(&rows, &ctx, CONTENT_DAILY_FIELDS);
        }

        #[test]
        fn account_daily(rows in rows(account_daily_in), ctx in context()) {
            check_validation(&rows, &ctx, ACCOUNT_DAILY_FIELDS);
        }

        #[test]
        fn funnel_daily(rows in rows(funnel_daily_in), ctx in context()) {
            let fields = ["account", "campaign", "date", "visits", "checkouts", "payments"];
            check_validation(&rows, &ctx, &fields);
        }

        #[test]
        fn campaign_daily(rows in rows(campaign_daily_in), ctx in context()) {
            let fields = ["campaign", "date", "reached", "participants", "ugcPosts"];
            check_validation(&rows, &ctx, &fields);
        }

        #[test]
        fn staff_daily(rows in rows(staff_daily_in), ctx in context()) {
            check_validation(&rows, &ctx, STAFF_DAILY_FIELDS);
        }

        #[test]
        fn group_daily(rows in rows(group_daily_in), ctx in context()) {
            check_validation(&rows, &ctx, GROUP_DAILY_FIELDS);
        }

        #[test]
        fn orders(rows in rows(order_in), ctx in context()) {
            let fields = [
                "key",
                "customer",
                "paidAt",
                "amount",
                "refundedAmount",
                "channel",
                "campaign",
                "account",
            ];
            check_validation(&rows, &ctx, &fields);
        }

        #[test]
        fn spend(rows in rows(spend_in), ctx in context()) {
            check_validation(&rows, &ctx, &["date", "amount", "channel", "campaign"]);
        }
    }
}
