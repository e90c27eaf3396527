//! DKIM key records (RFC 6376, 8301, 8463).

pub mod codes;
pub mod taglist;
#[cfg(test)]
pub(crate) mod testdns;

use crate::check::{CheckOptions, Checked};
use crate::dns::DnsView;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct DkimFacts {
    /// Every selector asked about (given ones first, then the built-in list).
    pub selectors_checked: Vec<String>,
    /// The keys found, one per selector (or more when a selector has several records).
    pub keys: Vec<DkimKeyFact>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DkimKeyFact {
    pub selector: String,
    /// `<selector>._domainkey.<domain>`.
    pub name: String,
    /// CNAME targets followed to reach the key (provider-hosted keys).
    pub cnames: Vec<String>,
    /// `rsa` or `ed25519` (k=), as published.
    pub key_type: String,
    /// RSA modulus size in bits (decoded from p=); 256 for Ed25519.
    pub bits: Option<u32>,
    pub revoked: bool,
    /// t=y.
    pub testing: bool,
    /// t=s.
    pub strict: bool,
    /// h= hash algorithms, if restricted.
    pub hashes: Vec<String>,
}

pub async fn check(_dns: &DnsView, _domain: &str, _opts: &CheckOptions) -> Checked<DkimFacts> {
    Checked::new()
}
