//! SPF (RFC 7208): strict parser, include/redirect tree, lookup counting, evaluation.

pub mod codes;
pub mod eval;
pub mod identity;
pub mod macros;
pub mod parse;
pub mod record;
pub mod walk;

use crate::check::{CheckOptions, Checked};
use crate::dns::DnsView;
use crate::report::{Evidence, Finding};
use identity::SpfIdentity;
use serde::Serialize;
use std::net::IpAddr;

/// What the SPF check learned (shown in the table output, kept in the JSON record).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SpfFacts {
    /// The domain's SPF record as published (strings joined), if exactly one was found.
    pub record: Option<String>,
    /// The include/redirect tree rooted at the domain.
    pub tree: Option<SpfNode>,
    /// DNS-querying terms counted across the whole tree (RFC 7208 4.6.4).
    pub lookups: u32,
    /// The limit (10).
    pub lookup_limit: u32,
    /// `lookup_limit - lookups`; negative when over the limit.
    pub headroom: i32,
    /// Lookups that returned NXDOMAIN or NODATA, across the tree (limit 2).
    pub void_lookups: u32,
    /// The direct include (or redirect) of the root that costs the most lookups.
    pub costliest: Option<SpfCost>,
    /// The verdict for `--sending-ip`, when given.
    pub verdict: Option<SpfVerdict>,
}

/// One record in the include/redirect tree.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SpfNode {
    pub domain: String,
    /// How this node was reached: `root`, `include:NAME` or `redirect=NAME`.
    pub via: String,
    /// The record text, when one was found.
    pub record: Option<String>,
    /// What went wrong at this node, if anything (`NXDOMAIN`, `no SPF record`, `loop`, `TIMEOUT`, `permerror: ...`).
    pub problem: Option<String>,
    /// Lookups this node's own terms cost (its include/redirect term counted in the parent).
    pub own_lookups: u32,
    /// Lookups of this node and everything below it.
    pub total_lookups: u32,
    pub children: Vec<SpfNode>,
}

impl SpfNode {
    /// What this node costs the evaluation's 10 lookups (RFC 7208 4.6.4): the include or
    /// redirect term that reached it counts one, and so do the DNS-querying terms of its
    /// record and of everything below (`total_lookups`). The root is reached by no term.
    /// The one count of an include everywhere: the costliest-include message, the facts and
    /// the drawn tree.
    pub fn cost(&self) -> u32 {
        if self.via.is_empty() || self.via == "root" {
            self.total_lookups
        } else {
            1 + self.total_lookups
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SpfCost {
    /// The term, e.g. `include:_spf.google.com`.
    pub term: String,
    pub lookups: u32,
}

/// The result of check_host() for one client IP (RFC 7208 2.6).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SpfVerdict {
    pub ip: String,
    /// Which identity was checked: `mail-from`, or `helo` for a null MAIL FROM (2.4).
    pub identity: String,
    /// check_host()'s `<domain>` (as given, possibly malformed).
    pub domain: String,
    /// check_host()'s `<sender>`: `local@domain`, `postmaster@domain` without a local part.
    pub sender: String,
    /// The HELO/EHLO name (`%{h}`).
    pub helo: String,
    /// pass, fail, softfail, neutral, none, permerror or temperror.
    pub result: String,
    /// The term that decided it (e.g. `include:_spf.google.com` then `ip4:192.0.2.0/24`), or the reason.
    pub decided_by: Option<String>,
    /// The explanation string of a fail (exp=), when there is one.
    pub explanation: Option<String>,
}

/// The SPF audit of one domain: the static walk of its tree (limits, loops, syntax, the
/// `all` policy) and, with `--sending-ip`, the check_host() verdict for that address,
/// for the identity `--mail-from`/`--helo` give (default `postmaster@<domain>`).
pub async fn check(dns: &DnsView, domain: &str, opts: &CheckOptions) -> Checked<SpfFacts> {
    let helo = opts.helo.clone().unwrap_or_else(|| domain.to_string());
    let identity = match &opts.mail_from {
        Some(mail_from) => SpfIdentity::mail_from(mail_from, &helo),
        None => SpfIdentity::mail_from(&format!("postmaster@{domain}"), &helo),
    };
    // The walk expands macros with the sender when the identity is this domain's.
    let sender = if identity.domain.eq_ignore_ascii_case(domain) {
        identity.sender.clone()
    } else {
        format!("postmaster@{domain}")
    };
    let mut out = check_tree(dns, domain, opts.sending_ip, &sender, &helo).await;
    if let Some(ip) = opts.sending_ip {
        add_verdict(&mut out, dns, ip, &identity).await;
    }
    out
}

/// `mailpreflight spf`: check_host() for one identity, with the walk of the identity
/// domain's tree when it is a domain that can have a record at all (4.3).
pub async fn check_identity(
    dns: &DnsView,
    ip: IpAddr,
    identity: &SpfIdentity,
) -> Checked<SpfFacts> {
    let domain = identity
        .domain
        .strip_suffix('.')
        .unwrap_or(&identity.domain)
        .to_ascii_lowercase();
    let mut out = if eval::is_valid_domain(&domain) {
        check_tree(dns, &domain, Some(ip), &identity.sender, &identity.helo).await
    } else {
        let mut out: Checked<SpfFacts> = Checked::new();
        out.facts.lookup_limit = eval::LOOKUP_LIMIT;
        out.facts.headroom = eval::LOOKUP_LIMIT as i32;
        out
    };
    add_verdict(&mut out, dns, ip, identity).await;
    out
}

/// The walk of `domain`'s tree and the findings on its limits.
async fn check_tree(
    dns: &DnsView,
    domain: &str,
    ip: Option<IpAddr>,
    sender: &str,
    helo: &str,
) -> Checked<SpfFacts> {
    let mut out: Checked<SpfFacts> = Checked::new();
    let walk = walk::walk_as(dns, domain, ip, sender, helo).await;
    out.findings.extend(walk.findings);
    let facts = &mut out.facts;
    facts.record = walk.record;
    facts.lookups = walk.lookups;
    facts.lookup_limit = eval::LOOKUP_LIMIT;
    facts.headroom = eval::LOOKUP_LIMIT as i32 - walk.lookups as i32;
    facts.void_lookups = walk.void_lookups;
    facts.costliest = walk::costliest(&walk.tree);
    let has_record = facts.record.is_some();
    let costliest = facts
        .costliest
        .as_ref()
        .map(|c| format!("; the costliest is {} ({} lookups)", c.term, c.lookups))
        .unwrap_or_default();
    if walk.lookups > eval::LOOKUP_LIMIT {
        out.findings.push(
            Finding::new(
                &codes::SPF_TOO_MANY_LOOKUPS,
                domain,
                format!(
                    "the SPF tree of {domain} needs {} DNS lookups (limit {}){costliest}",
                    walk.lookups,
                    eval::LOOKUP_LIMIT
                ),
            )
            .evidence(Evidence::Value {
                label: "lookups".into(),
                value: walk.lookups.to_string(),
            }),
        );
    } else if has_record && walk.lookups + 1 >= eval::LOOKUP_LIMIT {
        out.findings.push(Finding::new(
            &codes::SPF_LOOKUPS_NEAR_LIMIT,
            domain,
            format!(
                "the SPF tree of {domain} uses {} of its {} DNS lookups{costliest}",
                walk.lookups,
                eval::LOOKUP_LIMIT
            ),
        ));
    }
    if walk.void_lookups > eval::VOID_LIMIT {
        out.findings.push(
            Finding::new(
                &codes::SPF_TOO_MANY_VOID_LOOKUPS,
                domain,
                format!(
                    "the SPF tree of {domain} has {} void lookups (limit {}): {}",
                    walk.void_lookups,
                    eval::VOID_LIMIT,
                    walk.voids.join(", ")
                ),
            )
            .evidence(Evidence::Chain {
                names: walk.voids.clone(),
            }),
        );
    }
    facts.tree = has_record.then_some(walk.tree);
    out
}

async fn add_verdict(out: &mut Checked<SpfFacts>, dns: &DnsView, ip: IpAddr, id: &SpfIdentity) {
    let verdict = eval::check_host(dns, ip, &id.domain, &id.sender, &id.helo).await;
    if let Some(f) = verdict_finding(id, ip, &verdict) {
        out.findings.push(f);
    }
    out.facts.verdict = Some(SpfVerdict {
        ip: ip.to_string(),
        identity: id.kind.as_str().to_string(),
        domain: id.domain.clone(),
        sender: id.sender.clone(),
        helo: id.helo.clone(),
        result: verdict.result.as_str().to_string(),
        decided_by: Some(verdict.decided_by()),
        explanation: verdict.explanation,
    });
}

fn verdict_finding(id: &SpfIdentity, ip: IpAddr, v: &eval::HostResult) -> Option<Finding> {
    use eval::SpfResult as R;
    let code = match v.result {
        R::Pass => return None,
        R::Fail => &codes::SPF_VERDICT_FAIL,
        R::SoftFail => &codes::SPF_VERDICT_SOFTFAIL,
        R::Neutral => &codes::SPF_VERDICT_NEUTRAL,
        R::None => &codes::SPF_VERDICT_NONE,
        R::PermError => &codes::SPF_VERDICT_PERMERROR,
        R::TempError => &codes::SPF_VERDICT_TEMPERROR,
    };
    let mut f = Finding::new(
        code,
        id.domain.as_str(),
        format!(
            "SPF for {ip}, {}: {} ({})",
            id.describe(),
            v.result,
            if v.path.is_empty() {
                v.reason.clone()
            } else {
                format!("decided by {}; {}", v.decided_by(), v.reason)
            }
        ),
    )
    .evidence(Evidence::Value {
        label: "decided by".into(),
        value: v.decided_by(),
    });
    if let Some(exp) = &v.explanation {
        f = f.evidence(Evidence::Value {
            label: "explanation".into(),
            value: exp.clone(),
        });
    }
    Some(f)
}
