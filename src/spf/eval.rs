//! check_host() (RFC 7208 sections 4, 5, 6): the verdict a receiver computes for one
//! client address, with the term that decided it.
//!
//! Choices where the RFC leaves room, each as the RFC 7208 test suite expects:
//! - IPv4-mapped IPv6 clients (`::ffff:a.b.c.d`) are evaluated as IPv4.
//! - A domain produced by macro expansion that cannot be a DNS name (empty or over-long
//!   labels, spaces) makes `a`, `mx`, `exists` and `ptr` not match, and `include` and
//!   `redirect` permerror (4.8, 6.1).
//! - Void lookups (4.6.4) are the main lookup of a term: the A/AAAA of `a`, the MX of
//!   `mx`, the PTR of `ptr`, the A of `exists`, the TXT of `include`. The address lookups
//!   of MX hosts are not counted, so an IPv4-only MX host is never void for anyone.
//! - The address lookups of one `mx` term fail (temperror) only when no host matched and
//!   at least one host lookup failed.
//! - `%{p}` is the validated name of 5.5 (at most 10 PTR names, each checked by an A/AAAA
//!   lookup), "unknown" when none validates. Its lookups do not count toward the 10.
//! - The explanation (6.2) is computed for `fail` only; any problem with it (lookup
//!   failure, no or several TXT records, syntax error, non-ASCII) gives no explanation.

use super::parse::{DualCidr, Mechanism, Qualifier, SpfRecord};
use super::record::{RecordLookup, lookup_record};
use crate::dns::{Answer, DnsView, Outcome, RType, Rdata};
use futures::future::BoxFuture;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// DNS-querying terms allowed per evaluation (4.6.4).
pub const LOOKUP_LIMIT: u32 = 10;
/// Void lookups allowed per evaluation (4.6.4).
pub const VOID_LIMIT: u32 = 2;
/// MX hosts (and PTR names) looked at per term (4.6.4).
pub const MX_HOST_LIMIT: usize = 10;
/// A guard only: the lookup limit stops include/redirect recursion long before this.
const MAX_DEPTH: u32 = 20;

/// The seven results of 2.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    PermError,
    TempError,
}

impl SpfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::PermError => "permerror",
            SpfResult::TempError => "temperror",
        }
    }

    fn from_qualifier(q: Qualifier) -> Self {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

impl std::fmt::Display for SpfResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What check_host() concluded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostResult {
    pub result: SpfResult,
    /// The terms from the checked domain down to the one that decided, e.g.
    /// `["include:_spf.example.net", "ip4:192.0.2.0/24"]`; empty for a default or an error
    /// before any term.
    pub path: Vec<String>,
    /// Why, in words (what matched, or what went wrong).
    pub reason: String,
    /// The expanded explanation of a `fail` (exp=), when there is one.
    pub explanation: Option<String>,
    /// DNS-querying terms evaluated.
    pub lookups: u32,
    pub void_lookups: u32,
}

impl HostResult {
    /// `include:_spf.example.net > ip4:192.0.2.0/24`, or the reason when no term decided.
    pub fn decided_by(&self) -> String {
        if self.path.is_empty() {
            self.reason.clone()
        } else {
            self.path.join(" > ")
        }
    }
}

/// RFC 7208 check_host(): the SPF result for client `ip`, checking `domain` for the
/// mail from `sender` (`local@domain`; `postmaster@helo` for the HELO identity), with
/// `helo` for `%{h}`.
pub async fn check_host(
    dns: &DnsView,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
) -> HostResult {
    let ip = canonical_ip(ip);
    let domain = domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase();
    let sender = match sender.rsplit_once('@') {
        Some(("", d)) => format!("postmaster@{d}"),
        Some(_) => sender.to_string(),
        None => format!("postmaster@{domain}"),
    };
    let mut ev = Evaluator {
        dns,
        ip,
        sender,
        helo: helo.to_string(),
        lookups: 0,
        voids: 0,
        validated: None,
        timestamp: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    // 4.3: a malformed or single-label domain gives "none" without any lookup.
    let outcome = if !is_valid_domain(&domain) {
        Eval::new(
            SpfResult::None,
            format!("{domain:?} is not a valid multi-label domain name"),
        )
    } else {
        ev.evaluate(domain, 0).await
    };
    HostResult {
        result: outcome.result,
        path: outcome.path,
        reason: outcome.reason,
        explanation: outcome.explanation,
        lookups: ev.lookups,
        void_lookups: ev.voids,
    }
}

/// IPv4-mapped IPv6 is IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A domain check_host() may start from (4.3): labels 1-63 bytes of letters, digits,
/// hyphens or underscores, at least two labels, at most 253 bytes.
pub fn is_valid_domain(domain: &str) -> bool {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A name produced by macro expansion that DNS can be asked about.
fn askable(name: &str) -> bool {
    !name.is_empty() && crate::dns::name::validate_dns_name(name).is_ok()
}

struct Eval {
    result: SpfResult,
    path: Vec<String>,
    reason: String,
    explanation: Option<String>,
    /// `none` because the name does not exist or has no TXT record: a void lookup for `include`.
    void: bool,
}

impl Eval {
    fn new(result: SpfResult, reason: impl Into<String>) -> Self {
        Eval {
            result,
            path: Vec::new(),
            reason: reason.into(),
            explanation: None,
            void: false,
        }
    }
    fn at(mut self, term: &str) -> Self {
        self.path.insert(0, term.to_string());
        self
    }
}

/// How one directive came out.
enum Step {
    Match,
    NoMatch,
    /// The include matched: carry the path inside it.
    IncludeMatch(Vec<String>),
    Abort(Eval),
}

struct Evaluator<'a> {
    dns: &'a DnsView,
    ip: IpAddr,
    sender: String,
    helo: String,
    lookups: u32,
    voids: u32,
    /// The validated names of 5.5, computed once, with whether the PTR lookup was void.
    validated: Option<(Vec<String>, bool)>,
    timestamp: u64,
}

impl<'a> Evaluator<'a> {
    fn evaluate(&mut self, domain: String, depth: u32) -> BoxFuture<'_, Eval> {
        Box::pin(async move {
            if depth > MAX_DEPTH {
                return Eval::new(SpfResult::PermError, "include/redirect nesting too deep");
            }
            let record = match lookup_record(self.dns, &domain).await {
                RecordLookup::Found {
                    parsed: Ok(record), ..
                } => record,
                RecordLookup::Found { parsed: Err(e), .. } => {
                    return Eval::new(
                        SpfResult::PermError,
                        format!("syntax error in the SPF record of {domain}: {e}"),
                    );
                }
                RecordLookup::Multiple { records, .. } => {
                    return Eval::new(
                        SpfResult::PermError,
                        format!("{domain} publishes {} SPF records", records.len()),
                    );
                }
                RecordLookup::Failed(a) => {
                    return Eval::new(
                        SpfResult::TempError,
                        format!("TXT lookup for {domain}: {}", a.outcome.label()),
                    );
                }
                other => {
                    let void = matches!(other, RecordLookup::NxDomain(_) | RecordLookup::NoData(_));
                    return Eval {
                        void,
                        ..Eval::new(
                            SpfResult::None,
                            format!(
                                "{domain} has no SPF record ({})",
                                other.problem().unwrap_or_default()
                            ),
                        )
                    };
                }
            };
            self.evaluate_record(&domain, &record, depth).await
        })
    }

    async fn evaluate_record(&mut self, domain: &str, record: &SpfRecord, depth: u32) -> Eval {
        for (term, qualifier, mechanism) in record.directives() {
            if mechanism.costs_lookup() {
                self.lookups += 1;
                if self.lookups > LOOKUP_LIMIT {
                    return Eval::new(
                        SpfResult::PermError,
                        format!(
                            "more than {LOOKUP_LIMIT} DNS-querying terms (the 11th is {})",
                            term.text
                        ),
                    )
                    .at(&term.text);
                }
            }
            let step = self.directive(domain, mechanism, depth).await;
            let inner = match step {
                Step::NoMatch => continue,
                Step::Abort(e) => return e.at(&term.text),
                Step::Match => Vec::new(),
                Step::IncludeMatch(path) => path,
            };
            let result = SpfResult::from_qualifier(qualifier);
            let mut path = vec![term.text.clone()];
            path.extend(inner);
            let explanation = if result == SpfResult::Fail {
                self.explain(domain, record).await
            } else {
                None
            };
            return Eval {
                result,
                path,
                reason: format!("{} matched in the record of {domain}", term.text),
                explanation,
                void: false,
            };
        }
        if let Some((term, target)) = record.redirect() {
            self.lookups += 1;
            if self.lookups > LOOKUP_LIMIT {
                return Eval::new(
                    SpfResult::PermError,
                    format!(
                        "more than {LOOKUP_LIMIT} DNS-querying terms (the 11th is {})",
                        term.text
                    ),
                )
                .at(&term.text);
            }
            let target = self.expand_domain(target, domain).await;
            if !askable(&target) {
                return Eval::new(
                    SpfResult::PermError,
                    format!("redirect target {target:?} is not a valid domain"),
                )
                .at(&term.text);
            }
            let inner = self.evaluate(target.clone(), depth + 1).await;
            if inner.result == SpfResult::None {
                return Eval::new(
                    SpfResult::PermError,
                    format!("redirect target {target} has no SPF record"),
                )
                .at(&term.text);
            }
            return inner.at(&term.text);
        }
        Eval::new(
            SpfResult::Neutral,
            format!(
                "no term matched in the record of {domain} and there is no redirect: default neutral"
            ),
        )
    }

    async fn directive(&mut self, domain: &str, mechanism: &Mechanism, depth: u32) -> Step {
        match mechanism {
            Mechanism::All => Step::Match,
            Mechanism::Ip4 { network, prefix } => match self.ip {
                IpAddr::V4(ip) => step_if(in_v4(ip, *network, *prefix)),
                IpAddr::V6(_) => Step::NoMatch,
            },
            Mechanism::Ip6 { network, prefix } => match self.ip {
                IpAddr::V6(ip) => step_if(in_v6(ip, *network, *prefix)),
                IpAddr::V4(_) => Step::NoMatch,
            },
            Mechanism::A { domain: spec, cidr } => {
                let target = self.target(spec.as_ref(), domain).await;
                if !askable(&target) {
                    return Step::NoMatch;
                }
                let answer = self.dns.query(&target, self.address_type()).await;
                if let Some(abort) = self.check_answer(&answer) {
                    return abort;
                }
                step_if(answer.ips().iter().any(|a| self.in_cidr(*a, *cidr)))
            }
            Mechanism::Mx { domain: spec, cidr } => {
                let target = self.target(spec.as_ref(), domain).await;
                if !askable(&target) {
                    return Step::NoMatch;
                }
                self.mx(&target, *cidr).await
            }
            Mechanism::Ptr(spec) => {
                let target = self.target(spec.as_ref(), domain).await;
                let (names, void) = self.validated_names().await;
                if void {
                    self.voids += 1;
                    if self.voids > VOID_LIMIT {
                        return Step::Abort(too_many_voids());
                    }
                }
                step_if(
                    names
                        .iter()
                        .any(|n| crate::dns::name::is_subdomain_of(n, &target)),
                )
            }
            Mechanism::Exists(spec) => {
                let target = self.expand_domain(spec, domain).await;
                if !askable(&target) {
                    return Step::NoMatch;
                }
                // exists always asks for A, whatever the client's family (5.7).
                let answer = self.dns.query(&target, RType::A).await;
                if let Some(abort) = self.check_answer(&answer) {
                    return abort;
                }
                step_if(answer.outcome == Outcome::Records)
            }
            Mechanism::Include(spec) => {
                let target = self.expand_domain(spec, domain).await;
                if !askable(&target) {
                    return Step::Abort(Eval::new(
                        SpfResult::PermError,
                        format!("include target {target:?} is not a valid domain"),
                    ));
                }
                let inner = self.evaluate(target.clone(), depth + 1).await;
                // The include results table of 5.2.
                match inner.result {
                    SpfResult::Pass => Step::IncludeMatch(inner.path),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Step::NoMatch,
                    SpfResult::TempError => Step::Abort(inner),
                    SpfResult::PermError => Step::Abort(inner),
                    SpfResult::None => {
                        if inner.void {
                            self.voids += 1;
                            if self.voids > VOID_LIMIT {
                                return Step::Abort(too_many_voids());
                            }
                        }
                        Step::Abort(Eval::new(
                            SpfResult::PermError,
                            format!("include target {target} has no SPF record"),
                        ))
                    }
                }
            }
        }
    }

    /// Temperror for a failed lookup, permerror past the void limit, else nothing.
    fn check_answer(&mut self, answer: &Answer) -> Option<Step> {
        if answer.outcome.is_failure() {
            return Some(Step::Abort(Eval::new(
                SpfResult::TempError,
                format!(
                    "{} {} lookup: {}",
                    answer.name,
                    answer.rtype,
                    answer.outcome.label()
                ),
            )));
        }
        if answer.outcome.is_void() {
            self.voids += 1;
            if self.voids > VOID_LIMIT {
                return Some(Step::Abort(too_many_voids()));
            }
        }
        None
    }

    async fn mx(&mut self, target: &str, cidr: DualCidr) -> Step {
        let answer = self.dns.query(target, RType::MX).await;
        if let Some(abort) = self.check_answer(&answer) {
            return abort;
        }
        let hosts: Vec<&str> = answer
            .records
            .iter()
            .filter_map(|r| match r {
                Rdata::Mx { exchange, .. } => Some(exchange.as_str()),
                _ => None,
            })
            .collect();
        if hosts.len() > MX_HOST_LIMIT {
            return Step::Abort(Eval::new(
                SpfResult::PermError,
                format!(
                    "{target} has {} MX hosts: more than {MX_HOST_LIMIT} for one mx term",
                    hosts.len()
                ),
            ));
        }
        let mut failure = None;
        for host in hosts {
            if !askable(host) {
                continue; // a null MX (".") has no address
            }
            let answer = self.dns.query(host, self.address_type()).await;
            if answer.outcome.is_failure() {
                failure.get_or_insert_with(|| {
                    format!("{host} {} lookup: {}", answer.rtype, answer.outcome.label())
                });
                continue;
            }
            if answer.ips().iter().any(|a| self.in_cidr(*a, cidr)) {
                return Step::Match;
            }
        }
        match failure {
            Some(reason) => Step::Abort(Eval::new(SpfResult::TempError, reason)),
            None => Step::NoMatch,
        }
    }

    fn address_type(&self) -> RType {
        match self.ip {
            IpAddr::V4(_) => RType::A,
            IpAddr::V6(_) => RType::AAAA,
        }
    }

    fn in_cidr(&self, address: IpAddr, cidr: DualCidr) -> bool {
        match (self.ip, address) {
            (IpAddr::V4(ip), IpAddr::V4(net)) => in_v4(ip, net, cidr.v4.unwrap_or(32)),
            (IpAddr::V6(ip), IpAddr::V6(net)) => in_v6(ip, net, cidr.v6.unwrap_or(128)),
            _ => false,
        }
    }
}

fn step_if(matched: bool) -> Step {
    if matched { Step::Match } else { Step::NoMatch }
}

fn too_many_voids() -> Eval {
    Eval::new(
        SpfResult::PermError,
        format!("more than {VOID_LIMIT} void lookups (NXDOMAIN or no records)"),
    )
}

/// The in-addr.arpa / ip6.arpa name of an address (shared with the reverse DNS checks).
pub use crate::dns::reverse::reverse_name;

pub fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    };
    u32::from(ip) & mask == u32::from(net) & mask
}

pub fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    };
    u128::from(ip) & mask == u128::from(net) & mask
}

#[allow(dead_code)]
fn _assert_send(dns: &DnsView) {
    fn is_send<T: Send>(_: T) {}
    is_send(check_host(dns, IpAddr::V4(Ipv4Addr::LOCALHOST), "", "", ""));
}

mod expand;

#[cfg(test)]
mod tests;
