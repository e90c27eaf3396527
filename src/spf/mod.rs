//! SPF (RFC 7208): strict parser, include/redirect tree, lookup counting, evaluation.

pub mod codes;
pub mod eval;
pub mod macros;
pub mod parse;
pub mod record;
pub mod walk;

use crate::check::{CheckOptions, Checked};
use crate::dns::DnsView;
use crate::report::{Evidence, Finding};
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
    /// pass, fail, softfail, neutral, none, permerror or temperror.
    pub result: String,
    /// The term that decided it (e.g. `include:_spf.google.com` then `ip4:192.0.2.0/24`), or the reason.
    pub decided_by: Option<String>,
    /// The explanation string of a fail (exp=), when there is one.
    pub explanation: Option<String>,
}

/// The SPF audit of one domain: the static walk of its tree (limits, loops, syntax, the
/// `all` policy) and, with `--sending-ip`, the check_host() verdict for that address.
pub async fn check(dns: &DnsView, domain: &str, opts: &CheckOptions) -> Checked<SpfFacts> {
    let mut out: Checked<SpfFacts> = Checked::new();
    let helo = opts.helo.clone().unwrap_or_else(|| domain.to_string());
    let walk = walk::walk(dns, domain, opts.sending_ip, &helo).await;
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
    if let Some(ip) = opts.sending_ip {
        let sender = format!("postmaster@{domain}");
        let verdict = eval::check_host(dns, ip, domain, &sender, &helo).await;
        if let Some(f) = verdict_finding(domain, ip, &verdict) {
            out.findings.push(f);
        }
        out.facts.verdict = Some(SpfVerdict {
            ip: ip.to_string(),
            result: verdict.result.as_str().to_string(),
            decided_by: Some(verdict.decided_by()),
            explanation: verdict.explanation,
        });
    }
    out
}

fn verdict_finding(domain: &str, ip: IpAddr, v: &eval::HostResult) -> Option<Finding> {
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
        domain,
        format!(
            "SPF for {ip} sending as {domain}: {} ({})",
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
