//! The identities a receiver judged: the connecting IP (from the Received chain), the
//! envelope sender (Return-Path) with SPF for that IP, and the From domain with DMARC.

use super::{InspectFacts, InspectOptions, SLOW_HOP_SECONDS, codes};
use crate::dkim::verify_mail::SignatureCheck;
use crate::dmarc::discovery::{self, Found};
use crate::dmarc::orgdomain::{organizational_domain, same_organization};
use crate::dmarc::parse::{self, Policy};
use crate::dns::DnsView;
use crate::message::received::Chain;
use crate::report::{Finding, Severity};
use crate::sink::grade::domain_of;
use crate::spf::eval;
use serde::Serialize;
use std::net::IpAddr;

#[derive(Clone, Debug, Serialize)]
pub struct SendingIp {
    pub ip: IpAddr,
    /// `--ip`, `received` (the hop in `hop`) or `received-spf`.
    pub source: String,
    pub hop: Option<usize>,
    /// The HELO name that hop states.
    pub helo: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SpfFact {
    pub ip: IpAddr,
    /// The domain checked: the Return-Path's, or the HELO name's when the Return-Path is
    /// empty or missing.
    pub domain: Option<String>,
    /// `mailfrom` or `helo`.
    pub identity: String,
    /// `pass`, `fail`, `softfail`, `neutral`, `none`, `permerror`, `temperror`; `none` when
    /// there was no domain to check.
    pub result: String,
    pub decided_by: String,
    pub lookups: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct DmarcFact {
    pub from_domain: String,
    /// Where the record in force was found (RFC 7489 discovery); null when none.
    pub policy_domain: Option<String>,
    pub record: Option<String>,
    /// The policy that applies to this From domain (`p=`, or `sp=` for a subdomain).
    pub policy: Option<String>,
    pub adkim: String,
    pub aspf: String,
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
    /// `pass`, `fail`, `none` (no record), `temperror` (the lookup failed).
    pub result: String,
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The first hop, from the top, whose client is outside the receiver: not an internal
/// address, and not named in the receiver's organization (taken from the trusted authserv-id,
/// else from the topmost hop's `by`). Then Received-SPF's client-ip.
pub fn sending_ip(facts: &InspectFacts, opts: &InspectOptions) -> Option<SendingIp> {
    if let Some(ip) = opts.ip {
        return Some(SendingIp {
            ip,
            source: "--ip".into(),
            hop: None,
            helo: None,
        });
    }
    let hops = &facts.received.hops;
    let receiver = opts
        .trusted_authserv
        .first()
        .cloned()
        .or_else(|| {
            hops.last()
                .and_then(|h| h.received.by.as_ref())
                .and_then(|b| b.host.clone())
        })
        .map(|h| organizational_domain(&h));
    for hop in hops.iter().rev() {
        let Some(from) = &hop.received.from else {
            continue;
        };
        let Some(ip) = from.ip else { continue };
        if is_internal(ip) {
            continue;
        }
        let inside = receiver.as_ref().is_some_and(|r| {
            from.rdns
                .iter()
                .chain(from.helo.iter())
                .any(|n| organizational_domain(n) == *r)
        });
        if inside {
            continue;
        }
        return Some(SendingIp {
            ip,
            source: "received".into(),
            hop: Some(hop.index),
            helo: from.helo.clone(),
        });
    }
    facts
        .received_spf
        .iter()
        .find_map(|r| r.client_ip.map(|ip| (ip, r.helo.clone())))
        .map(|(ip, helo)| SendingIp {
            ip,
            source: "received-spf".into(),
            hop: None,
            helo,
        })
}

pub async fn spf(view: &DnsView, sip: &SendingIp, return_path: Option<&str>) -> SpfFact {
    let helo = sip.helo.clone().unwrap_or_default();
    let (domain, sender, identity) = match return_path.filter(|r| !r.is_empty()) {
        Some(rp) => (domain_of(rp), rp.to_string(), "mailfrom"),
        None if !helo.is_empty() => (
            Some(helo.to_ascii_lowercase()),
            format!("postmaster@{helo}"),
            "helo",
        ),
        None => (None, String::new(), "mailfrom"),
    };
    let Some(d) = domain.clone() else {
        return SpfFact {
            ip: sip.ip,
            domain,
            identity: identity.into(),
            result: "none".into(),
            decided_by: "no Return-Path and no HELO name to check".into(),
            lookups: 0,
        };
    };
    let r = eval::check_host(view, sip.ip, &d, &sender, &helo).await;
    SpfFact {
        ip: sip.ip,
        domain,
        identity: identity.into(),
        result: r.result.as_str().into(),
        decided_by: r.decided_by(),
        lookups: r.lookups,
    }
}

pub fn spf_findings(spf: &SpfFact) -> Vec<Finding> {
    if spf.result == "pass" {
        return Vec::new();
    }
    let severity = match spf.result.as_str() {
        "fail" | "permerror" => Severity::Error,
        _ => Severity::Warning,
    };
    vec![
        Finding::new(
            &codes::SPF_NOT_PASS,
            spf.domain.clone().unwrap_or_else(|| spf.ip.to_string()),
            format!(
                "SPF {} for {} ({} {}): {}",
                spf.result,
                spf.ip,
                spf.identity,
                spf.domain.as_deref().unwrap_or("(none)"),
                spf.decided_by
            ),
        )
        .severity(severity),
    ]
}

fn aligned(a: &str, b: &str, strict: bool) -> bool {
    if strict {
        a.eq_ignore_ascii_case(b)
    } else {
        same_organization(a, b)
    }
}

pub async fn dmarc(
    view: &DnsView,
    from_domain: &str,
    spf: Option<&SpfFact>,
    dkim: &[SignatureCheck],
) -> DmarcFact {
    let found = discovery::discover_7489(view, from_domain).await;
    let record = found.policy_domain.as_ref().and_then(|pd| {
        found.lookups.iter().find_map(|l| match &l.found {
            Found::One(r) if &l.domain == pd => Some(r.clone()),
            _ => None,
        })
    });
    let parsed = record.as_deref().map(|r| parse::parse(r).record);
    let adkim_strict = parsed
        .as_ref()
        .and_then(|p| p.adkim_strict)
        .unwrap_or(false);
    let aspf_strict = parsed.as_ref().and_then(|p| p.aspf_strict).unwrap_or(false);
    let policy: Option<Policy> = parsed.as_ref().and_then(|p| {
        if found.policy_domain.as_deref() == Some(from_domain) {
            p.p
        } else {
            p.sp.or(p.p)
        }
    });
    let spf_aligned = spf.is_some_and(|s| {
        s.result == "pass"
            && s.identity == "mailfrom"
            && s.domain
                .as_deref()
                .is_some_and(|d| aligned(d, from_domain, aspf_strict))
    });
    let dkim_aligned = dkim
        .iter()
        .any(|c| c.result == "pass" && aligned(&c.domain, from_domain, adkim_strict));
    let result = if record.is_none() {
        if found.incomplete {
            "temperror"
        } else {
            "none"
        }
    } else if spf_aligned || dkim_aligned {
        "pass"
    } else {
        "fail"
    };
    DmarcFact {
        from_domain: from_domain.to_string(),
        policy_domain: found.policy_domain.clone(),
        record,
        policy: policy.map(|p| p.as_str().to_string()),
        adkim: if adkim_strict { "s" } else { "r" }.into(),
        aspf: if aspf_strict { "s" } else { "r" }.into(),
        spf_aligned,
        dkim_aligned,
        result: result.into(),
    }
}

pub fn dmarc_findings(d: &DmarcFact) -> Vec<Finding> {
    let name = format!("_dmarc.{}", d.from_domain);
    match d.result.as_str() {
        "none" => vec![Finding::new(
            &codes::NO_DMARC,
            name,
            format!(
                "no DMARC record for {} or its organizational domain",
                d.from_domain
            ),
        )],
        "fail" => {
            let policy = d.policy.as_deref().unwrap_or("none");
            let severity = if policy == "none" {
                Severity::Warning
            } else {
                Severity::Error
            };
            vec![
                Finding::new(
                    &codes::DMARC_FAIL,
                    name,
                    format!(
                        "DMARC fails for {} (p={policy} at {}): SPF aligned {}, DKIM aligned {}",
                        d.from_domain,
                        d.policy_domain.as_deref().unwrap_or("?"),
                        if d.spf_aligned { "yes" } else { "no" },
                        if d.dkim_aligned { "yes" } else { "no" },
                    ),
                )
                .severity(severity),
            ]
        }
        _ => Vec::new(),
    }
}

pub fn hop_findings(chain: &Chain) -> Vec<Finding> {
    let mut out = Vec::new();
    for hop in &chain.hops {
        let by = hop
            .received
            .by
            .as_ref()
            .and_then(|b| b.host.clone())
            .unwrap_or_else(|| format!("hop {}", hop.index));
        if let Some(d) = hop.delay_seconds.filter(|d| *d > SLOW_HOP_SECONDS) {
            out.push(Finding::new(
                &codes::SLOW_DELIVERY,
                by.clone(),
                format!(
                    "hop {} (by {by}) took {d} s since hop {}",
                    hop.index,
                    hop.since_hop.unwrap_or(0)
                ),
            ));
        }
        let external = hop
            .received
            .from
            .as_ref()
            .and_then(|f| f.ip)
            .is_some_and(|ip| !is_internal(ip));
        if external && hop.received.encrypted == Some(false) {
            out.push(Finding::new(
                &codes::HOP_WITHOUT_TLS,
                by.clone(),
                format!(
                    "hop {} (by {by}) states {} (no TLS)",
                    hop.index,
                    hop.received.with.as_deref().unwrap_or("no encryption")
                ),
            ));
        }
    }
    out
}
