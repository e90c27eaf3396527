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
    /// Where the record in force was found: by RFC 7489 discovery, else by the RFC 9989 tree
    /// walk (as the domain audit decides); null when none.
    pub policy_domain: Option<String>,
    /// Where each discovery method finds the record (null: none, or a lookup failed).
    pub policy_domain_7489: Option<String>,
    pub policy_domain_9989: Option<String>,
    pub record: Option<String>,
    /// The policy that applies to this From domain (`p=`, or `sp=` for a subdomain).
    pub policy: Option<String>,
    pub adkim: String,
    pub aspf: String,
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
    /// `pass`, `fail`, `none` (no record), `temperror` (the lookup failed).
    pub result: String,
    /// Both methods completed and found different records (a finding says which).
    #[serde(skip)]
    pub discovery_disagrees: bool,
    /// RFC 7489's organizational domain (Public Suffix List), for that finding.
    #[serde(skip)]
    pub org_domain_7489: String,
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
    let (found, walk) = tokio::join!(
        discovery::discover_7489(view, from_domain),
        discovery::tree_walk(view, from_domain)
    );
    let in_force = found
        .policy_domain
        .clone()
        .or_else(|| walk.policy_domain.clone());
    let record = in_force.as_ref().and_then(|pd| {
        found
            .lookups
            .iter()
            .chain(&walk.lookups)
            .find_map(|l| match &l.found {
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
        if in_force.as_deref() == Some(from_domain) {
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
        if found.incomplete || walk.incomplete {
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
        policy_domain: in_force,
        discovery_disagrees: !found.incomplete
            && !walk.incomplete
            && found.policy_domain != walk.policy_domain,
        org_domain_7489: found.org_domain.clone(),
        policy_domain_7489: found.policy_domain.clone(),
        policy_domain_9989: walk.policy_domain.clone(),
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
    let mut out = Vec::new();
    if d.discovery_disagrees {
        let show = |d: &Option<String>| match d {
            Some(d) => format!("_dmarc.{d}"),
            None => "no record".to_string(),
        };
        out.push(
            Finding::new(
                &crate::dmarc::codes::DMARC_DISCOVERY_DISAGREES,
                name.clone(),
                format!(
                    "for {}, RFC 7489 discovery (Public Suffix List, organizational domain {}) finds {}, \
                     the RFC 9989 tree walk finds {}: receivers apply different policies to this message",
                    d.from_domain,
                    d.org_domain_7489,
                    show(&d.policy_domain_7489),
                    show(&d.policy_domain_9989)
                ),
            )
            .remediation(format!(
                "Publish one DMARC record at _dmarc.{} itself; both discovery methods find it first.",
                d.from_domain
            )),
        );
    }
    out.extend(match d.result.as_str() {
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
    });
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkim::testdns::{codes, txt, view};

    /// `_dmarc.b.example.com` below the organizational domain's own record: RFC 7489 goes
    /// from a.b.example.com straight to example.com, the RFC 9989 walk stops at b.example.com.
    #[tokio::test]
    async fn dmarc_by_both_discovery_methods() {
        let both = view(&[(
            "example.com",
            vec![
                ("_dmarc.example.com", txt("v=DMARC1; p=reject")),
                ("_dmarc.b.example.com", txt("v=DMARC1; p=none")),
            ],
        )]);
        let d = dmarc(&both, "a.b.example.com", None, &[]).await;
        assert_eq!(d.policy_domain_7489.as_deref(), Some("example.com"));
        assert_eq!(d.policy_domain_9989.as_deref(), Some("b.example.com"));
        // In force: RFC 7489's, as most receivers still do.
        assert_eq!(d.policy_domain.as_deref(), Some("example.com"));
        assert_eq!(d.policy.as_deref(), Some("reject"));
        assert_eq!(d.result, "fail");
        let f = dmarc_findings(&d);
        assert_eq!(
            codes(&f),
            vec!["dmarc-discovery-disagrees", "inspect-dmarc-fail"]
        );
        assert!(
            f[0].message.contains("_dmarc.b.example.com"),
            "{}",
            f[0].message
        );

        // Only the intermediate record: RFC 7489 finds none, the walk's is in force.
        let walk_only = view(&[(
            "example.com",
            vec![("_dmarc.b.example.com", txt("v=DMARC1; p=quarantine"))],
        )]);
        let d = dmarc(&walk_only, "a.b.example.com", None, &[]).await;
        assert_eq!(d.policy_domain_7489, None);
        assert_eq!(d.policy_domain.as_deref(), Some("b.example.com"));
        assert_eq!(d.policy.as_deref(), Some("quarantine"));
        assert_eq!(d.result, "fail");

        // One record at the From domain: both agree, no disagreement.
        let same = view(&[(
            "example.com",
            vec![("_dmarc.example.com", txt("v=DMARC1; p=none"))],
        )]);
        let d = dmarc(&same, "example.com", None, &[]).await;
        assert!(!d.discovery_disagrees);
        assert_eq!(codes(&dmarc_findings(&d)), vec!["inspect-dmarc-fail"]);
    }
}
