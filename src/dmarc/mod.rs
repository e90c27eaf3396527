//! DMARC (RFC 7489 and RFC 9989 discovery, strict parse).

pub mod codes;

use crate::check::{CheckOptions, Checked};
use crate::dns::DnsView;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct DmarcFacts {
    /// Where the record in force was found (`_dmarc.<domain>` or the organizational domain's).
    pub record_name: Option<String>,
    pub record: Option<String>,
    /// p=, sp=, np= as published (np is RFC 9989).
    pub policy: Option<String>,
    pub subdomain_policy: Option<String>,
    pub nonexistent_policy: Option<String>,
    /// adkim and aspf, `r` or `s` (defaults applied: `r`).
    pub adkim: Option<String>,
    pub aspf: Option<String>,
    /// pct= (RFC 7489), t= (RFC 9989).
    pub pct: Option<u8>,
    pub testing: Option<bool>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    /// The organizational domain by the Public Suffix List (RFC 7489).
    pub org_domain_psl: Option<String>,
    /// The policy domain found by RFC 7489 discovery, and by the RFC 9989 tree walk.
    pub policy_domain_7489: Option<String>,
    pub policy_domain_9989: Option<String>,
}

pub async fn check(_dns: &DnsView, _domain: &str, _opts: &CheckOptions) -> Checked<DmarcFacts> {
    Checked::new()
}
