//! Reading ingestion files for backfills: CSV with a header row, or JSON Lines.
//!
//! A file holds rows of one [`Kind`]. [`RowReader`] turns it into [`Chunk`]s of the raw `*In`
//! rows of `validate`, each row with its line number, so that every error can name the line the
//! user has to fix. A line that cannot even be read as a row (a CSV record with the wrong number
//! of cells, invalid UTF-8, JSON that does not parse) is that line's error, not the file's: the
//! reader goes on with the next line. Only IO failures and an unusable CSV header stop it.
//!
//! CSV cells are handed to the rows as text, exactly as written (empty cells count as missing),
//! so money keeps all its digits and a cell that is no number becomes that row's
//! `INVALID_FORMAT`. Column names are the rows' field names, camelCase or snake_case; unknown
//! columns are ignored. JSON Lines rows are one JSON object per line; blank lines are skipped.
//!
//! This module is pure over any [`Read`]: it opens nothing and knows no database.

use std::collections::hash_map::{Entry, RandomState};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::io::{BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::validate::{KeyLedger, RowError, RowErrorCode};
use crate::auth::Role;

/// The kinds of rows a file can hold: one per ingestion mutation. The names are the CLI's
/// `--kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// `upsertAccounts` rows (needs an ADMIN key).
    Accounts,
    /// `upsertContents` rows.
    Contents,
    /// `upsertCampaigns` rows.
    Campaigns,
    /// `upsertChannels` rows.
    Channels,
    /// `upsertCustomers` rows.
    Customers,
    /// `recordContentDaily` rows.
    ContentDaily,
    /// `recordAccountDaily` rows.
    AccountDaily,
    /// `recordFunnelDaily` rows.
    FunnelDaily,
    /// `recordCampaignDaily` rows.
    CampaignDaily,
    /// `recordStaffDaily` rows.
    StaffDaily,
    /// `recordGroupDaily` rows.
    GroupDaily,
    /// `recordOrders` rows.
    Orders,
    /// `recordSpend` rows.
    Spend,
}

impl Kind {
    /// The role a key needs to load this kind, the same as for its mutation.
    pub fn role(self) -> Role {
        match self {
            // Accounts are workspace configuration.
            Self::Accounts => Role::Admin,
            _ => Role::Write,
        }
    }
}

/// How a file is written, told by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`: comma-separated, a header row naming the columns.
    Csv,
    /// `.jsonl` or `.ndjson`: one JSON object per line.
    Jsonl,
}

impl Format {
    /// The format of the file at `path`, by its extension (case-insensitive).
    ///
    /// # Errors
    /// [`FileError::UnknownFormat`] for any other extension.
    pub fn of_path(path: &Path) -> Result<Self, FileError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => Ok(Self::Csv),
            Some("jsonl" | "ndjson") => Ok(Self::Jsonl),
            _ => Err(FileError::UnknownFormat(path.display().to_string())),
        }
    }
}

/// A failure that stops reading the whole file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The extension names no supported format.
    #[error("{0}: the file name must end in .csv, .jsonl or .ndjson")]
    UnknownFormat(String),
    /// The CSV header row is unusable.
    #[error("the CSV header (line 1) {0}")]
    Header(String),
    /// Reading failed.
    #[error("reading the file failed: {0}")]
    Io(#[from] std::io::Error),
}

/// One rejected field of one line of a file (or the whole line, when it could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line, 1-based; in a CSV file the header is line 1.
    pub line: u64,
    /// The field at fault (camelCase), or `None` when the line could not be read as a row.
    pub field: Option<String>,
    /// The machine-readable reason, as in the API's `RowError`.
    pub code: RowErrorCode,
    /// A precise human-readable reason.
    pub message: String,
}

impl LineError {
    /// A row's error, placed on the row's line.
    pub fn of_row(error: RowError, line: u64) -> Self {
        Self {
            line,
            field: Some(error.field),
            code: error.code,
            message: error.message,
        }
    }

    fn malformed(line: u64, message: String) -> Self {
        Self {
            line,
            field: None,
            code: RowErrorCode::InvalidFormat,
            message,
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(field) = &self.field {
            write!(f, ", {field}")?;
        }
        write!(f, ": {}: {}", self.code, self.message)
    }
}

/// Consecutive lines of a file.
#[derive(Debug)]
pub struct Chunk<R> {
    /// The rows that could be read.
    pub rows: Vec<R>,
    /// `lines[i]` is the line of `rows[i]`.
    pub lines: Vec<u64>,
    /// The lines of the chunk that could not be read as rows, in line order.
    pub malformed: Vec<LineError>,
    /// Bytes of the file read so far, for progress.
    pub bytes_read: u64,
}

impl<R> Chunk<R> {
    /// Lines of the chunk that hold a row or should have (blank lines do not count).
    pub fn len(&self) -> usize {
        self.rows.len() + self.malformed.len()
    }

    /// Whether the chunk holds no line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

enum Source<S: Read> {
    Csv {
        reader: csv::Reader<S>,
        headers: Vec<String>,
        record: csv::StringRecord,
    },
    Jsonl {
        reader: BufReader<S>,
        line: u64,
        bytes_read: u64,
        buffer: Vec<u8>,
    },
}

/// Reads rows of type `R` from a CSV or JSON Lines source, in chunks.
pub struct RowReader<R, S: Read> {
    source: Source<S>,
    row: PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned, S: Read> RowReader<R, S> {
    /// A reader of `source` in `format`. A CSV header is read and checked at once.
    ///
    /// # Errors
    /// [`FileError::Header`] for a CSV header that is not UTF-8 or names a column twice;
    /// [`FileError::Io`] when reading fails.
    pub fn new(format: Format, source: S) -> Result<Self, FileError> {
        let source = match format {
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .from_reader(source);
                let headers = read_headers(&mut reader)?;
                Source::Csv {
                    reader,
                    headers,
                    record: csv::StringRecord::new(),
                }
            }
            Format::Jsonl => Source::Jsonl {
                reader: BufReader::new(source),
                line: 0,
                bytes_read: 0,
                buffer: Vec::new(),
            },
        };
        Ok(Self {
            source,
            row: PhantomData,
        })
    }

    /// The next chunk of at most `max_lines` lines (at least one), or `None` at the end.
    ///
    /// # Errors
    /// [`FileError::Io`] when reading fails.
    pub fn next_chunk(&mut self, max_lines: usize) -> Result<Option<Chunk<R>>, FileError> {
        let mut chunk = Chunk {
            rows: Vec::new(),
            lines: Vec::new(),
            malformed: Vec::new(),
            bytes_read: 0,
        };
        while chunk.len() < max_lines.max(1) {
            let more = match &mut self.source {
                Source::Csv {
                    reader,
                    headers,
                    record,
                } => next_csv(reader, headers, record, &mut chunk)?,
                Source::Jsonl {
                    reader,
                    line,
                    bytes_read,
                    buffer,
                } => next_jsonl(reader, line, bytes_read, buffer, &mut chunk)?,
            };
            if !more {
                break;
            }
        }
        chunk.bytes_read = match &self.source {
            Source::Csv { reader, .. } => reader.position().byte(),
            Source::Jsonl { bytes_read, .. } => *bytes_read,
        };
        Ok((!chunk.is_empty()).then_some(chunk))
    }
}

fn read_headers<S: Read>(reader: &mut csv::Reader<S>) -> Result<Vec<String>, FileError> {
    let headers = reader.headers().map_err(|e| {
        if e.is_io_error() {
            match e.into_kind() {
                csv::ErrorKind::Io(io) => FileError::Io(io),
                other => FileError::Header(format!("cannot be read: {other:?}")),
            }
        } else {
            FileError::Header("is not valid UTF-8".into())
        }
    })?;
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(headers.len());
    for (position, name) in headers.iter().enumerate() {
        // A byte-order mark some spreadsheet tools write before the first name.
        let name = if position == 0 {
            name.trim_start_matches('\u{feff}')
        } else {
            name
        };
        let name = name.trim().to_owned();
        if !name.is_empty() && !seen.insert(name.clone()) {
            return Err(FileError::Header(format!(
                "names the column {name:?} twice"
            )));
        }
        names.push(name);
    }
    Ok(names)
}

/// Reads one CSV record into `chunk`; `false` at the end of the file.
fn next_csv<R: DeserializeOwned, S: Read>(
    reader: &mut csv::Reader<S>,
    headers: &[String],
    record: &mut csv::StringRecord,
    chunk: &mut Chunk<R>,
) -> Result<bool, FileError> {
    match reader.read_record(record) {
        Ok(false) => Ok(false),
        Ok(true) => {
            let line = record.position().map_or(0, csv::Position::line);
            // Cells become JSON strings, so that every row type reads them with its own lenient
            // rules and money is never rounded through a float.
            let mut object = Map::new();
            for (name, cell) in headers.iter().zip(record.iter()) {
                if !name.is_empty() && !cell.trim().is_empty() {
                    object.insert(name.clone(), Value::String(cell.to_owned()));
                }
            }
            match serde_json::from_value(Value::Object(object)) {
                Ok(row) => {
                    chunk.rows.push(row);
                    chunk.lines.push(line);
                }
                Err(e) => chunk
                    .malformed
                    .push(LineError::malformed(line, format!("not a valid row: {e}"))),
            }
            Ok(true)
        }
        Err(e) => {
            let line = e.position().map_or(0, csv::Position::line);
            let message = match e.into_kind() {
                csv::ErrorKind::Io(io) => return Err(FileError::Io(io)),
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("the line has {len} cells, the header has {expected_len}"),
                csv::ErrorKind::Utf8 { .. } => "the line is not valid UTF-8".to_owned(),
                other => format!("the line is not valid CSV: {other:?}"),
            };
            chunk.malformed.push(LineError::malformed(line, message));
            Ok(true)
        }
    }
}

/// Reads one line of JSON Lines into `chunk`; `false` at the end of the file.
fn next_jsonl<R: DeserializeOwned, S: Read>(
    reader: &mut BufReader<S>,
    line: &mut u64,
    bytes_read: &mut u64,
    buffer: &mut Vec<u8>,
    chunk: &mut Chunk<R>,
) -> Result<bool, FileError> {
    buffer.clear();
    let read = reader.read_until(b'\n', buffer)?;
    if read == 0 {
        return Ok(false);
    }
    *line += 1;
    *bytes_read += read as u64;
    if buffer.iter().all(u8::is_ascii_whitespace) {
        return Ok(true);
    }
    match serde_json::from_slice(buffer) {
        Ok(row) => {
            chunk.rows.push(row);
            chunk.lines.push(*line);
        }
        Err(e) => {
            let message = if e.is_syntax() || e.is_eof() {
                format!("the line is not valid JSON: {e}")
            } else {
                format!("not a valid row: {e}")
            };
            chunk.malformed.push(LineError::malformed(*line, message));
        }
    }
    Ok(true)
}

/// The natural keys of every row of a file so far, so that a row repeating the key of an
/// earlier line is a duplicate even when that line was in an earlier chunk.
///
/// Keys are kept as 128-bit fingerprints (two independently keyed SipHash values) with the line
/// that claimed them: 24 bytes a row whatever the key, about 50 MB for 1,000,000 rows. Two
/// different keys share a fingerprint with a probability of about n²/2¹²⁹, below 10⁻²¹ even for
/// a billion rows.
pub struct FileKeys {
    hashers: (RandomState, RandomState),
    first_line: HashMap<u128, u64>,
}

impl Default for FileKeys {
    fn default() -> Self {
        Self {
            hashers: (RandomState::new(), RandomState::new()),
            first_line: HashMap::new(),
        }
    }
}

impl FileKeys {
    /// The ledger of one chunk, whose row `i` is on line `lines[i]`.
    pub fn chunk<'a>(&'a mut self, lines: &'a [u64]) -> ChunkKeys<'a> {
        ChunkKeys { keys: self, lines }
    }
}

/// [`FileKeys`] seen from one chunk: names earlier rows by their line.
pub struct ChunkKeys<'a> {
    keys: &'a mut FileKeys,
    lines: &'a [u64],
}

impl<K: Hash> KeyLedger<K> for ChunkKeys<'_> {
    fn claim(&mut self, key: K, index: usize) -> Option<String> {
        let (a, b) = &self.keys.hashers;
        let fingerprint = (u128::from(a.hash_one(&key)) << 64) | u128::from(b.hash_one(&key));
        let line = self.lines.get(index).copied().unwrap_or_default();
        match self.keys.first_line.entry(fingerprint) {
            Entry::Occupied(first) => Some(format!("line {}", first.get())),
            Entry::Vacant(slot) => {
                slot.insert(line);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ingest::validate::{ContentDailyIn, OrderIn, ValidationContext, validate_with};

    fn read_all<R: DeserializeOwned>(format: Format, text: &str, max: usize) -> Vec<Chunk<R>> {
        let mut reader = RowReader::<R, _>::new(format, text.as_bytes()).unwrap();
        let mut chunks = Vec::new();
        while let Some(chunk) = reader.next_chunk(max).unwrap() {
            chunks.push(chunk);
        }
        chunks
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::of_path(Path::new("a/b.CSV")).unwrap(), Format::Csv);
        assert_eq!(
            Format::of_path(Path::new("b.jsonl")).unwrap(),
            Format::Jsonl
        );
        assert_eq!(
            Format::of_path(Path::new("b.ndjson")).unwrap(),
            Format::Jsonl
        );
        let err = Format::of_path(Path::new("b.json")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.json: the file name must end in .csv, .jsonl or .ndjson"
        );
    }

    #[test]
    fn csv_rows_keep_their_lines_and_text() {
        // Line 1 header; a quoted cell spanning lines 3-4 puts the next record on line 5.
        let text = "content,date,reads,completions,new_column\n\
                    a1,2026-03-01,10,5,x\n\
                    \"a\n2\",2026-03-01,,,\n\
                    a3,2026-03-02, 7 ,,\n";
        let chunks = read_all::<ContentDailyIn>(Format::Csv, text, 10);
        assert_eq!(chunks.len(), 1);
        let chunk = &chunks[0];
        assert_eq!(chunk.lines, [2, 3, 5]);
        assert_eq!(chunk.malformed, []);
        assert_eq!(chunk.bytes_read, text.len() as u64);
        assert_eq!(chunk.rows[0].content.as_deref(), Some("a1"));
        assert_eq!(chunk.rows[0].reads, Some(10.0));
        assert_eq!(chunk.rows[1].content.as_deref(), Some("a\n2"));
        // Empty cells are missing values.
        assert_eq!(chunk.rows[1].reads, None);
        assert_eq!(chunk.rows[2].reads, Some(7.0));
    }

    #[test]
    fn csv_money_is_not_rounded_and_snake_case_headers_work() {
        // 17 significant digits: an f64 would turn this into 123456789012345.67 ± 0.01.
        let text = "\u{feff}key,customer,paid_at,amount,refunded_amount\n\
                    o1,c1,2026-03-01T10:00:00Z,123456789012345.67,0.10\n";
        let chunks = read_all::<OrderIn>(Format::Csv, text, 10);
        let row = &chunks[0].rows[0];
        assert_eq!(row.key.as_deref(), Some("o1"));
        assert_eq!(row.paid_at.as_deref(), Some("2026-03-01T10:00:00Z"));
        assert_eq!(row.amount.as_deref(), Some("123456789012345.67"));
        assert_eq!(row.refunded_amount.as_deref(), Some("0.10"));
    }

    #[test]
    fn malformed_csv_lines_are_errors_of_their_own() {
        let text = "content,date,reads\n\
                    a1,2026-03-01,1\n\
                    a2,2026-03-01\n\
                    a3,2026-03-01,3\n";
        let mut bytes = text.as_bytes().to_vec();
        // Line 5 is not UTF-8.
        bytes.extend_from_slice(b"a\xff,2026-03-01,4\na5,2026-03-01,5\n");
        let mut reader = RowReader::<ContentDailyIn, _>::new(Format::Csv, &bytes[..]).unwrap();
        let chunk = reader.next_chunk(100).unwrap().unwrap();
        assert_eq!(chunk.lines, [2, 4, 6]);
        let malformed: Vec<(u64, &str)> = chunk
            .malformed
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(
            malformed,
            [
                (3, "the line has 2 cells, the header has 3"),
                (5, "the line is not valid UTF-8")
            ]
        );
        assert_eq!(
            chunk.malformed[0].to_string(),
            "line 3: INVALID_FORMAT: the line has 2 cells, the header has 3"
        );
        assert!(reader.next_chunk(100).unwrap().is_none());
    }

    #[test]
    fn csv_header_problems_stop_the_file() {
        let twice =
            RowReader::<ContentDailyIn, _>::new(Format::Csv, &b"content,date,content\n"[..]);
        assert_eq!(
            twice.err().unwrap().to_string(),
            "the CSV header (line 1) names the column \"content\" twice"
        );
        // An empty file has no rows.
        assert_eq!(read_all::<ContentDailyIn>(Format::Csv, "", 10).len(), 0);
    }

    #[test]
    fn jsonl_lines_blank_lines_and_broken_json() {
        let text = "{\"content\":\"a1\",\"date\":\"2026-03-01\",\"reads\":3}\n\
                    \n\
                    {\"content\":\"a2\",\"date\":\"2026-03-01\"\n\
                    [1, 2\r\n\
                    {\"content\":5}\n\
                    {\"content\":\"a6\",\"date\":\"2026-03-02\",\"likes\":\"4\"}";
        let chunks = read_all::<ContentDailyIn>(Format::Jsonl, text, 10);
        let chunk = &chunks[0];
        assert_eq!(chunk.lines, [1, 6]);
        assert_eq!(chunk.rows[1].likes, Some(4.0));
        let lines: Vec<u64> = chunk.malformed.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(
            chunk.malformed[0]
                .message
                .starts_with("the line is not valid JSON: EOF while parsing an object"),
            "{}",
            chunk.malformed[0].message
        );
        assert!(
            chunk.malformed[2]
                .message
                .starts_with("not a valid row: invalid type: integer `5`, expected a string"),
            "{}",
            chunk.malformed[2].message
        );
        assert_eq!(chunk.bytes_read, text.len() as u64);
    }

    #[test]
    fn chunks_hold_at_most_the_asked_lines() {
        // 5 rows and one malformed line (4): chunks of 2 lines are lines 1-2, 3-4, 5-6.
        let row = |n: u32| format!("{{\"content\":\"a{n}\",\"date\":\"2026-03-01\"}}\n");
        let text = format!("{}{}{}nope\n{}{}", row(1), row(2), row(3), row(5), row(6));
        let chunks = read_all::<ContentDailyIn>(Format::Jsonl, &text, 2);
        let shape: Vec<(Vec<u64>, Vec<u64>)> = chunks
            .iter()
            .map(|c| {
                (
                    c.lines.clone(),
                    c.malformed.iter().map(|e| e.line).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (vec![1, 2], vec![]),
                (vec![3], vec![4]),
                (vec![5, 6], vec![])
            ]
        );
    }

    #[test]
    fn duplicates_are_found_across_chunks_and_named_by_line() {
        let ctx = ValidationContext::at(chrono::Utc::now(), chrono_tz::Asia::Shanghai);
        let row = |content: &str| ContentDailyIn {
            content: Some(content.into()),
            date: Some("2026-01-05".into()),
            ..ContentDailyIn::default()
        };
        let mut keys = FileKeys::default();
        let first = validate_with(vec![row("a1"), row("a2")], &ctx, &mut keys.chunk(&[2, 3]));
        assert_eq!(first.errors, []);
        let second = validate_with(vec![row("a3"), row("a1")], &ctx, &mut keys.chunk(&[4, 7]));
        let got: Vec<(usize, &str, &str)> = second
            .errors
            .iter()
            .map(|e| (e.index, e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [(1, "content", "duplicate of line 2: same content, date")]
        );
    }
}
