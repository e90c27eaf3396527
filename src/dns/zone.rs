//! RFC 1035 zone files: the `--zone FILE` overlay and the test/demo DNS servers read them.
//!
//! The parser is ours (not hickory's) so that a malformed file is reported with its
//! file, line and column, and so that zone files, the network and tests all produce
//! the same [`Rdata`].

use super::types::{RType, Rdata};
use std::fmt;

/// One resource record from a zone file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneRecord {
    /// Owner name: lower-case, fully qualified, no trailing dot.
    pub name: String,
    pub ttl: u32,
    pub data: Rdata,
    /// 1-based line where the record starts (for messages).
    pub line: usize,
}

/// A parsed zone: its origin (apex) and its records in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// The apex: lower-case, no trailing dot.
    pub origin: String,
    /// The file it came from, as given by the user (for messages and evidence).
    pub file: String,
    pub records: Vec<ZoneRecord>,
}

/// A zone file that cannot be read: names the file, line and column (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ZoneError {}

impl Zone {
    /// Records owned by `name` (any type), in file order.
    pub fn records_at<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ZoneRecord> + 'a {
        self.records.iter().filter(move |r| r.name == name)
    }

    /// Whether `name` is at or below this zone's apex.
    pub fn contains(&self, name: &str) -> bool {
        super::name::is_subdomain_of(name, &self.origin)
    }

    /// The SOA's minimum field, used as the negative TTL by servers; `None` without SOA.
    pub fn soa(&self) -> Option<&ZoneRecord> {
        self.records
            .iter()
            .find(|r| r.data.rtype() == RType::SOA && r.name == self.origin)
    }
}

/// Parse zone text. `file` is used in error messages and as the zone's `file`.
/// `origin` is the apex when the caller knows it (`--zone example.com=FILE`); otherwise
/// the file's `$ORIGIN` or the owner of its SOA record decides it.
pub fn parse_zone(text: &str, file: &str, origin: Option<&str>) -> Result<Zone, ZoneError> {
    super::zone_parser::parse(text, file, origin)
}

/// [`parse_zone`] for the bytes of a file: text that is not UTF-8 is an error at the
/// line and column (in characters) where the valid text ends.
pub fn parse_zone_bytes(bytes: &[u8], file: &str, origin: Option<&str>) -> Result<Zone, ZoneError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        ZoneError {
            file: file.to_string(),
            line: before.iter().filter(|&&b| b == b'\n').count() + 1,
            // Valid UTF-8 up to here, so the line so far decodes.
            column: String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1,
            message: "the zone file is not valid UTF-8".into(),
        }
    })?;
    parse_zone(text, file, origin)
}
