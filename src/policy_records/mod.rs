//! MTA-STS (RFC 8461), TLS-RPT (RFC 8460) and BIMI TXT records.

pub mod codes;

use crate::check::{CheckOptions, Checked};
use crate::dns::DnsView;
use serde::Serialize;

/// One of the TXT policy records (MTA-STS `_mta-sts`, TLS-RPT `_smtp._tls`, BIMI `default._bimi`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PolicyRecordFacts {
    /// The name asked for.
    pub name: String,
    /// The record, when one was found.
    pub record: Option<String>,
    /// Its tags, in order, as published.
    pub tags: Vec<(String, String)>,
}

/// The three records together, as one check returns them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PolicyRecords {
    pub mta_sts: Option<PolicyRecordFacts>,
    pub tls_rpt: Option<PolicyRecordFacts>,
    pub bimi: Option<PolicyRecordFacts>,
}

pub async fn check(_dns: &DnsView, _domain: &str, _opts: &CheckOptions) -> Checked<PolicyRecords> {
    Checked::new()
}
