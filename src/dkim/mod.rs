//! DKIM key records (RFC 6376, 8301, 8463).

pub mod arc_rules;
pub mod assess;
pub mod codes;
pub mod der;
pub mod parse;
pub mod selectors;
pub mod signing;
pub mod taglist;
#[cfg(test)]
pub(crate) mod testdns;
pub mod verify_mail;

use crate::check::{CheckOptions, Checked};
use crate::dns::{DnsView, RType};
use crate::report::Finding;
use assess::State;
use codes::*;
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
    /// The provider known to use this selector (from the built-in table), if any.
    pub provider: Option<String>,
}

pub async fn check(dns: &DnsView, domain: &str, opts: &CheckOptions) -> Checked<DkimFacts> {
    let domain = crate::dns::name::normalize(domain);
    let mut out = Checked::<DkimFacts>::new();
    let selectors = selectors::to_check(
        &opts.selectors,
        &opts.probe_selectors,
        opts.no_default_selectors,
    );
    let given: Vec<String> = selectors::to_check(&opts.selectors, &[], true);
    let names: Vec<String> = selectors
        .iter()
        .map(|s| format!("{s}._domainkey.{domain}"))
        .collect();
    let answers = futures::future::join_all(names.iter().map(|n| dns.query(n, RType::TXT))).await;
    let mut states = Vec::new();
    for (selector, answer) in selectors.iter().zip(&answers) {
        let asked = given.contains(selector);
        let r = assess::assess_selector(selector, answer, asked);
        out.findings.extend(r.findings);
        out.facts.keys.extend(r.keys);
        states.push((selector, answer, asked, r.state));
    }
    out.facts.selectors_checked = selectors.clone();

    let any_found = states.iter().any(|s| s.3 == State::Found);
    let any_failed = states.iter().any(|s| s.3 == State::Failed);
    let missing_given: Vec<_> = states
        .iter()
        .filter(|s| s.2 && s.3 == State::Absent)
        .collect();
    if !any_found && !any_failed && !selectors.is_empty() {
        let (message, severity) = if given.is_empty() {
            (
                format!(
                    "no DKIM key found at the {} common selectors ({}); selectors cannot be listed, so pass --selector with the one your sender signs with (s= in its DKIM-Signature header)",
                    selectors.len(),
                    selectors.join(", ")
                ),
                crate::report::Severity::Note,
            )
        } else {
            (
                format!(
                    "no DKIM key at {} ({} selectors tried in all): mail signed with these selectors fails DKIM",
                    given
                        .iter()
                        .map(|s| format!("{s}._domainkey.{domain}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    selectors.len()
                ),
                crate::report::Severity::Warning,
            )
        };
        let mut f = Finding::new(
            &DKIM_NO_SELECTOR_FOUND,
            format!("_domainkey.{domain}"),
            message,
        )
        .severity(severity);
        for (_, answer, _, _) in states.iter().filter(|s| s.2 || given.is_empty()).take(3) {
            f = f.evidence(answer.evidence());
        }
        out.push(f);
    } else if any_found {
        for (selector, answer, _, _) in missing_given {
            let via = if answer.cnames.is_empty() {
                String::new()
            } else {
                format!(
                    " (CNAME to {}, which has no key)",
                    answer.cnames.join(" → ")
                )
            };
            out.push(
                Finding::new(
                    &DKIM_SELECTOR_MISSING,
                    answer.name.clone(),
                    format!(
                        "selector {selector}: no key at {}{via} ({}); mail signed with s={selector} fails DKIM",
                        answer.name,
                        answer.outcome.label()
                    ),
                )
                .remediation(format!(
                    "Publish the key your sender gives you for selector {selector} at {} (TXT \"v=DKIM1; k=rsa; p=...\" or the CNAME the provider asks for).",
                    answer.name
                ))
                .evidence(answer.evidence()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
