//! Forward-confirmed reverse DNS of the domain's own MX hosts: for each address, a PTR is
//! present and one of its names resolves back to the address. Receivers and blocklists
//! judge a self-run mail host by it, since the same host sends the domain's bounces and often
//! its mail. Hosts run by a recognised provider are skipped (their reverse DNS is the
//! provider's); the work is bounded (hosts per domain, addresses per host, PTR names).

use super::MxHost;
use super::codes::{MX_PTR_MISSING, MX_PTR_NOT_CONFIRMED};
use super::providers::provider_for_mx;
use crate::dns::codes::failure_finding;
use crate::dns::reverse::{ReverseLookup, forward_confirm};
use crate::dns::{DnsView, Outcome};
use crate::report::{Evidence, Finding};
use serde::Serialize;

/// MX hosts whose reverse DNS is checked, most preferred first.
pub const MAX_HOSTS: usize = 5;
/// Addresses per MX host whose reverse DNS is checked.
pub const MAX_ADDRESSES: usize = 4;

/// The reverse DNS of one MX host address, as kept in the facts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MxReverseDns {
    pub ip: String,
    /// The PTR names found (empty: none, or the lookup failed; the findings say which).
    pub ptr: Vec<String>,
    /// The addresses the PTR names resolved to.
    pub resolves_to: Vec<String>,
    /// A PTR name resolves back to the address.
    pub forward_confirmed: bool,
}

/// Check the reverse DNS of `hosts` (sorted by preference), recording it in each host's
/// facts; returns the findings.
pub async fn check(dns: &DnsView, domain: &str, hosts: &mut [MxHost]) -> Vec<Finding> {
    let mut checked = 0;
    let mut jobs = Vec::new();
    for (index, host) in hosts.iter_mut().enumerate() {
        if host.addresses.is_empty() {
            continue;
        }
        if let Some(provider) = provider_for_mx(&host.exchange) {
            host.reverse_dns_skipped = Some(format!(
                "hosted by {provider}: its reverse DNS is the provider's, not checked"
            ));
            continue;
        }
        if checked == MAX_HOSTS {
            host.reverse_dns_skipped = Some(format!(
                "not checked: reverse DNS is checked for the {MAX_HOSTS} most preferred self-run MX hosts"
            ));
            continue;
        }
        checked += 1;
        if host.addresses.len() > MAX_ADDRESSES {
            host.reverse_dns_skipped = Some(format!(
                "only its first {MAX_ADDRESSES} of {} addresses checked",
                host.addresses.len()
            ));
        }
        for ip in host.addresses.iter().take(MAX_ADDRESSES) {
            jobs.push((index, *ip));
        }
    }
    let found =
        futures::future::join_all(jobs.iter().map(|(_, ip)| forward_confirm(dns, *ip))).await;
    let mut findings = Vec::new();
    let offline = dns.dns().is_offline();
    for ((index, _), lookup) in jobs.into_iter().zip(found) {
        let host = &mut hosts[index];
        // Offline, a reverse zone (or the PTR name's zone) not given with --zone cannot
        // answer: that is a gap in the input, not a fault of the domain.
        if offline
            && let Some(unanswered) = std::iter::once(&lookup.ptr_answer)
                .chain(&lookup.forward)
                .find(|a| matches!(a.outcome, Outcome::Error { .. }))
        {
            host.reverse_dns_skipped = Some(format!(
                "not checked offline: no --zone file holds {}",
                unanswered.name
            ));
            continue;
        }
        if let Some(f) = finding(domain, &host.exchange, &lookup) {
            findings.push(f);
        }
        host.reverse_dns.push(MxReverseDns {
            ip: lookup.ip.to_string(),
            ptr: lookup.ptr.clone(),
            resolves_to: lookup.resolved().iter().map(|ip| ip.to_string()).collect(),
            forward_confirmed: lookup.forward_confirmed(),
        });
    }
    findings
}

/// The finding for one address, if its reverse DNS is wrong or could not be verified.
fn finding(domain: &str, exchange: &str, r: &ReverseLookup) -> Option<Finding> {
    let ip = r.ip;
    let what = format!("the reverse DNS of MX host {exchange} ({ip})");
    if let Some(f) = failure_finding(&r.ptr_answer, &what) {
        return Some(f);
    }
    if r.ptr.is_empty() {
        return Some(
            Finding::new(
                &MX_PTR_MISSING,
                exchange,
                format!(
                    "{domain} MX host {exchange} has address {ip} without a PTR record ({}): receivers and blocklists distrust mail from a host without reverse DNS",
                    r.ptr_answer.outcome.label()
                ),
            )
            .remediation(format!(
                "Ask the owner of {ip} (the hosting provider) to publish \"{}. PTR {exchange}.\"",
                r.ptr_answer.name
            ))
            .evidence(Evidence::Value {
                label: "address".into(),
                value: ip.to_string(),
            })
            .evidence(r.ptr_answer.evidence()),
        );
    }
    if r.forward_confirmed() {
        return None;
    }
    // A forward lookup that failed (timeout, SERVFAIL) cannot tell "does not resolve back".
    if let Some(failed) = r.forward.iter().find(|a| {
        !matches!(
            a.outcome,
            Outcome::Records | Outcome::NxDomain | Outcome::NoData
        )
    }) {
        return failure_finding(failed, &what);
    }
    let resolved = r.resolved();
    let resolved_text = if resolved.is_empty() {
        "to no address".to_string()
    } else {
        format!(
            "to {}",
            resolved
                .iter()
                .map(|ip| ip.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut f = Finding::new(
        &MX_PTR_NOT_CONFIRMED,
        exchange,
        format!(
            "{domain} MX host {exchange} has address {ip} whose PTR {} resolves {resolved_text}, not back to {ip} (no forward-confirmed reverse DNS)",
            r.ptr.join(", ")
        ),
    )
    .remediation(format!(
        "Publish \"{}. {} {ip}\", or have the owner of {ip} change its PTR to {exchange}. (whose address it is)",
        r.ptr[0],
        if ip.is_ipv4() { "A" } else { "AAAA" }
    ))
    .evidence(Evidence::Value {
        label: "address".into(),
        value: ip.to_string(),
    })
    .evidence(r.ptr_answer.evidence());
    for answer in &r.forward {
        f = f.evidence(answer.evidence());
    }
    Some(f)
}
