//! MX records (RFC 5321 5.1, RFC 7505 null MX).

pub mod codes;
pub mod providers;
pub mod reverse;
#[cfg(test)]
mod tests;

use crate::check::{CheckOptions, Checked};
use crate::dns::{Answer, DnsView, RType, Rdata, codes::failure_finding};
use crate::report::{Evidence, Finding};
use codes::*;
use serde::Serialize;
use std::net::IpAddr;

#[derive(Clone, Debug, Default, Serialize)]
pub struct MxFacts {
    /// MX hosts by preference, with their addresses.
    pub hosts: Vec<MxHost>,
    /// The domain publishes a null MX (`0 .`, RFC 7505).
    pub null_mx: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct MxHost {
    pub preference: u16,
    pub exchange: String,
    pub addresses: Vec<std::net::IpAddr>,
    /// CNAMEs followed from the exchange name (should be none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cnames: Vec<String>,
    /// The reverse DNS (PTR, FCrDNS) of each address checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reverse_dns: Vec<reverse::MxReverseDns>,
    /// Why the reverse DNS of this host was not checked, or not all of it (a provider's
    /// host, the bounds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverse_dns_skipped: Option<String>,
}

/// MX hosts whose addresses are looked up (each costs two queries).
const MAX_HOSTS: usize = 20;

/// An exchange written as an address (`192.0.2.1`, `[192.0.2.1]`, `2001:db8::1`).
fn ip_literal(exchange: &str) -> Option<IpAddr> {
    let s = exchange.trim_start_matches('[').trim_end_matches(']');
    let s = s.strip_prefix("ipv6:").unwrap_or(s);
    s.parse().ok()
}

pub async fn check(dns: &DnsView, domain: &str, _opts: &CheckOptions) -> Checked<MxFacts> {
    let domain = crate::dns::name::normalize(domain);
    let mut out = Checked::<MxFacts>::new();
    let answer = dns.query(&domain, RType::MX).await;
    if let Some(f) = failure_finding(&answer, "the MX records") {
        out.push(f);
        return out;
    }
    let mut mxs: Vec<(u16, String)> = answer
        .records
        .iter()
        .filter_map(|r| match r {
            Rdata::Mx {
                preference,
                exchange,
            } => Some((*preference, exchange.clone())),
            _ => None,
        })
        .collect();
    if mxs.is_empty() {
        missing(dns, &domain, &answer, &mut out).await;
        return out;
    }
    mxs.sort();
    let nulls = mxs.iter().filter(|(_, e)| e.is_empty()).count();
    if nulls > 0 {
        out.facts.null_mx = true;
        if nulls == mxs.len() {
            out.push(
                Finding::new(
                    &MX_NULL,
                    domain.clone(),
                    format!(
                        "{domain} publishes a null MX: it receives no mail, so replies and bounces to {domain} addresses are impossible, and receivers may reject mail that uses it as sender (RFC 7505 4.2)"
                    ),
                )
                .remediation(format!(
                    "If {domain} appears in From or Return-Path, replace \"{domain}. MX 0 .\" with the MX records of the mailboxes that receive its replies."
                ))
                .evidence(answer.evidence()),
            );
            return out;
        }
        out.push(
            Finding::new(
                &MX_NULL_MIXED,
                domain.clone(),
                format!(
                    "{domain} has a null MX beside {} other MX record(s): senders may treat the domain as accepting no mail",
                    mxs.len() - nulls
                ),
            )
            .remediation(format!(
                "Delete \"{domain}. MX 0 .\" if {domain} receives mail, or the other MX records if it does not."
            ))
            .evidence(answer.evidence()),
        );
        mxs.retain(|(_, e)| !e.is_empty());
    }
    if mxs.len() > MAX_HOSTS {
        out.push(
            Finding::new(
                &MX_TOO_MANY,
                domain.clone(),
                format!(
                    "{domain} has {} MX records; only the {MAX_HOSTS} most preferred were checked",
                    mxs.len()
                ),
            )
            .evidence(answer.evidence()),
        );
        mxs.truncate(MAX_HOSTS);
    }
    let lookups = futures::future::join_all(mxs.iter().map(|(_, exchange)| async move {
        if ip_literal(exchange).is_some() {
            return None;
        }
        let (a, aaaa) = tokio::join!(
            dns.query(exchange, RType::A),
            dns.query(exchange, RType::AAAA)
        );
        Some((a, aaaa))
    }))
    .await;
    for ((preference, exchange), lookup) in mxs.into_iter().zip(lookups) {
        let mut host = MxHost {
            preference,
            exchange: exchange.clone(),
            ..Default::default()
        };
        let Some((a, aaaa)) = lookup else {
            out.push(
                Finding::new(
                    &MX_EXCHANGE_IP_LITERAL,
                    domain.clone(),
                    format!("{domain} MX {preference} {exchange}: the exchange is an IP address, not a host name"),
                )
                .remediation(format!(
                    "Publish \"mx{preference}.{domain}. A {exchange}\" (or AAAA) and change the MX to \"{domain}. MX {preference} mx{preference}.{domain}.\"",
                    exchange = exchange.trim_start_matches('[').trim_end_matches(']')
                ))
                .evidence(answer.evidence()),
            );
            out.facts.hosts.push(host);
            continue;
        };
        host.addresses = a.ips().into_iter().chain(aaaa.ips()).collect();
        host.cnames = a.cnames.clone();
        let mut failed = false;
        for ans in [&a, &aaaa] {
            if let Some(f) = failure_finding(ans, &format!("the address of MX host {exchange}")) {
                out.push(f);
                failed = true;
            }
        }
        if !a.cnames.is_empty() || !aaaa.cnames.is_empty() {
            let target = a
                .cnames
                .last()
                .or(aaaa.cnames.last())
                .cloned()
                .unwrap_or_default();
            out.push(
                Finding::new(
                    &MX_EXCHANGE_CNAME,
                    exchange.clone(),
                    format!("{domain} MX {preference} {exchange}: {exchange} is an alias (CNAME to {target})"),
                )
                .remediation(format!(
                    "Change the MX to the canonical name: \"{domain}. MX {preference} {target}.\""
                ))
                .evidence(Evidence::Chain {
                    names: std::iter::once(exchange.clone()).chain(a.cnames.iter().cloned()).collect(),
                }),
            );
        }
        if host.addresses.is_empty() && !failed {
            out.push(
                Finding::new(
                    &MX_EXCHANGE_NO_ADDRESS,
                    exchange.clone(),
                    format!(
                        "{domain} MX {preference} {exchange}: {exchange} has no address (A {}, AAAA {}): mail for {domain} cannot be delivered there",
                        a.outcome.label(),
                        aaaa.outcome.label()
                    ),
                )
                .remediation(format!(
                    "Publish \"{exchange}. A <address>\" (and AAAA if it has IPv6), or point the MX at a host that exists."
                ))
                .evidence(a.evidence())
                .evidence(aaaa.evidence()),
            );
        }
        out.facts.hosts.push(host);
    }
    let reverse = reverse::check(dns, &domain, &mut out.facts.hosts).await;
    out.findings.extend(reverse);
    out
}

/// No MX: say whether an implicit MX (the domain's own address) would still take mail.
async fn missing(dns: &DnsView, domain: &str, answer: &Answer, out: &mut Checked<MxFacts>) {
    let (a, aaaa) = tokio::join!(dns.query(domain, RType::A), dns.query(domain, RType::AAAA));
    let fallback = !a.records.is_empty() || !aaaa.records.is_empty();
    out.push(
        Finding::new(
            &MX_MISSING,
            domain.to_string(),
            format!(
                "{domain} has no MX record ({}): {}. Acceptable for a send-only subdomain whose Return-Path and Reply-To use another domain",
                answer.outcome.label(),
                if fallback {
                    "senders fall back to its address record (implicit MX), which rarely runs a mail server"
                } else {
                    "replies and bounces to it cannot be delivered"
                }
            ),
        )
        .remediation(format!(
            "Publish \"{domain}. MX 10 <your mail host>.\" if it should receive replies or bounces, or \"{domain}. MX 0 .\" (null MX) to say it never does."
        ))
        .evidence(answer.evidence()),
    );
}
