//! Fetching and selecting a domain's SPF record (RFC 7208 4.4, 4.5), shared by the
//! evaluator and the tree walk. The four ways of having no record are kept apart from a
//! failed lookup, which is never "no record".

use super::parse::{SpfParseError, SpfRecord, is_spf_record, parse_record};
use crate::dns::{Answer, DnsView, Outcome, RType, Rdata};
use std::sync::Arc;

/// TXT records looked at per answer: a hostile zone cannot make us parse thousands.
const MAX_TXT_RECORDS: usize = 64;

#[derive(Clone, Debug)]
pub enum RecordLookup {
    /// Exactly one `v=spf1` record.
    Found {
        answer: Arc<Answer>,
        /// The record's strings joined (3.3).
        text: String,
        /// The character-strings as published.
        strings: Vec<Vec<u8>>,
        parsed: Result<SpfRecord, SpfParseError>,
    },
    /// The name does not exist.
    NxDomain(Arc<Answer>),
    /// The name exists but has no TXT record.
    NoData(Arc<Answer>),
    /// TXT records exist, none of them begins with `v=spf1`.
    NotSpf(Arc<Answer>),
    /// More than one `v=spf1` record: permerror (4.5).
    Multiple {
        answer: Arc<Answer>,
        records: Vec<String>,
    },
    /// The lookup failed (timeout, SERVFAIL, ...): temperror.
    Failed(Arc<Answer>),
}

impl RecordLookup {
    pub fn answer(&self) -> &Arc<Answer> {
        match self {
            RecordLookup::Found { answer, .. }
            | RecordLookup::NxDomain(answer)
            | RecordLookup::NoData(answer)
            | RecordLookup::NotSpf(answer)
            | RecordLookup::Multiple { answer, .. }
            | RecordLookup::Failed(answer) => answer,
        }
    }

    /// A few words for a tree node or a message: why there is no usable record.
    pub fn problem(&self) -> Option<String> {
        match self {
            RecordLookup::Found { parsed: Ok(_), .. } => None,
            RecordLookup::Found { parsed: Err(e), .. } => Some(format!("permerror: {e}")),
            RecordLookup::NxDomain(_) => Some("NXDOMAIN".into()),
            RecordLookup::NoData(_) => Some("no TXT record (NODATA)".into()),
            RecordLookup::NotSpf(_) => Some("no SPF record among the TXT records".into()),
            RecordLookup::Multiple { records, .. } => {
                Some(format!("permerror: {} v=spf1 records", records.len()))
            }
            RecordLookup::Failed(a) => Some(a.outcome.label()),
        }
    }
}

/// Ask for `domain`'s TXT records and select the SPF record among them.
pub async fn lookup_record(dns: &DnsView, domain: &str) -> RecordLookup {
    let answer = dns.query(domain, RType::TXT).await;
    select_record(answer)
}

/// Record selection (4.5) over an answer already fetched.
pub fn select_record(answer: Arc<Answer>) -> RecordLookup {
    match answer.outcome {
        Outcome::NxDomain => return RecordLookup::NxDomain(answer),
        Outcome::NoData => return RecordLookup::NoData(answer),
        Outcome::Records => {}
        _ => return RecordLookup::Failed(answer),
    }
    let mut found: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for record in answer.records.iter().take(MAX_TXT_RECORDS) {
        if let Rdata::Txt { strings } = record {
            let joined: Vec<u8> = strings.iter().flatten().copied().collect();
            let text = String::from_utf8_lossy(&joined).into_owned();
            if is_spf_record(&text) {
                found.push((text, strings.clone()));
            }
        }
    }
    match found.len() {
        0 => RecordLookup::NotSpf(answer),
        1 => {
            let (text, strings) = found.remove(0);
            let parsed = parse_record(&text);
            RecordLookup::Found {
                answer,
                text,
                strings,
                parsed,
            }
        }
        _ => RecordLookup::Multiple {
            answer,
            records: found.into_iter().map(|(t, _)| t).collect(),
        },
    }
}
