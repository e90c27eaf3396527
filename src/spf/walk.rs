//! The static walk: every record of the include/redirect tree, whatever the client, with
//! the RFC 7208 4.6.4 lookup and void-lookup counts across the whole tree.
//!
//! The walk is the worst case a receiver can meet (every term evaluated), unlike
//! check_host(), which stops at the first match. It keeps the whole tree even when the
//! limits are exceeded, so the report can show where the lookups go.
//!
//! Counting rules, the same as the evaluator's (see eval.rs):
//! - include, a, mx, ptr, exists, redirect cost 1 each; ip4, ip6, all, exp cost nothing;
//!   a redirect= next to an `all` is never used and costs nothing.
//! - a void lookup is the main lookup of a term returning NXDOMAIN or NODATA: for `a`,
//!   only when the name has neither A nor AAAA (we do not know the client's family); the
//!   MX of `mx` (MX hosts' addresses are not counted); the A of `exists`; the TXT of
//!   `include`. `ptr` needs the client address and is not looked up here.
//! - a target with macros is expanded when `--sending-ip` is given (sender
//!   `--mail-from`, else `postmaster@<domain>`; `%{p}` = "unknown"), otherwise not
//!   followed and still counted.
//!
//! TXT strings: a record split in the middle of a term is fine (strings are joined
//! without spaces, 3.3); strings that make two terms run together show up as a syntax
//! error, whose message then points at the string boundary. A string over 255 bytes cannot
//! be carried by DNS, so it is the zone parser's to reject, not a finding here.

use super::SpfNode;
use super::codes::*;
use super::parse::{Mechanism, Qualifier, SpfRecord};
use super::record::{RecordLookup, select_record};
use crate::dns::codes::failure_finding;
use crate::dns::{Answer, DnsView, RType, Rdata};
use crate::report::{Evidence, Finding, Severity};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Records walked at most (a provider's tree is typically under 15).
pub const MAX_NODES: usize = 50;
/// Include/redirect nesting walked at most.
pub const MAX_DEPTH: usize = 10;
/// Terms whose targets are looked up, across the tree: a receiver stops at 10, so a
/// hostile record with thousands of `a:` terms cannot make us ask thousands of questions.
/// Terms beyond this are still counted, not queried.
pub const MAX_TERM_QUERIES: usize = 40;
/// Record size above which the answer may not fit 512 bytes (3.4).
const SIZE_WARN: usize = 450;
const SIZE_ERROR: usize = 512;

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walk {
    pub tree: SpfNode,
    /// The root's record text, when it has exactly one.
    pub record: Option<String>,
    pub lookups: u32,
    pub void_lookups: u32,
    /// The terms that were void lookups, `domain: term`.
    pub voids: Vec<String>,
    /// The walk stopped at MAX_NODES / MAX_DEPTH somewhere.
    pub truncated: bool,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Root,
    Include,
    /// Reached by redirect= from the root or from another such redirect: its result is the domain's.
    Redirect,
}

struct Walker<'a> {
    dns: &'a DnsView,
    ip: Option<IpAddr>,
    sender: String,
    helo: String,
    memo: HashMap<(String, RType), Arc<Answer>>,
    nodes: usize,
    /// a/mx/exists targets looked up so far (bounded by MAX_TERM_QUERIES).
    term_queries: usize,
    out: Walk,
}

/// Walk `domain`'s SPF tree. `ip`/`helo` expand macros in targets when given (sender
/// `postmaster@<domain>`).
pub async fn walk(dns: &DnsView, domain: &str, ip: Option<IpAddr>, helo: &str) -> Walk {
    walk_as(dns, domain, ip, &format!("postmaster@{domain}"), helo).await
}

/// [`walk`] with the sender whose local part `%{l}`/`%{s}` expand to (`--mail-from`).
pub async fn walk_as(
    dns: &DnsView,
    domain: &str,
    ip: Option<IpAddr>,
    sender: &str,
    helo: &str,
) -> Walk {
    let mut w = Walker {
        dns,
        ip: ip.map(super::eval::canonical_ip),
        sender: sender.to_string(),
        helo: helo.to_string(),
        memo: HashMap::new(),
        nodes: 0,
        term_queries: 0,
        out: Walk::default(),
    };
    let tree = w
        .node(domain.to_string(), "root".into(), Vec::new(), Role::Root)
        .await;
    let mut out = w.out;
    out.lookups = tree.total_lookups;
    out.tree = tree;
    out.void_lookups = out.voids.len() as u32;
    // The same include reached twice raises the same findings twice: keep one.
    let mut seen = std::collections::HashSet::new();
    out.findings
        .retain(|f| seen.insert((f.code.id, f.subject.clone(), f.message.clone())));
    out
}

impl<'a> Walker<'a> {
    /// Each (name, type) is asked once per walk, whatever the cache below does.
    async fn query(&mut self, name: &str, rtype: RType) -> Arc<Answer> {
        let key = (name.to_string(), rtype);
        if let Some(a) = self.memo.get(&key) {
            return a.clone();
        }
        let a = self.dns.query(name, rtype).await;
        self.memo.insert(key, a.clone());
        a
    }

    fn push(&mut self, f: Finding) {
        self.out.findings.push(f);
    }

    fn node(
        &mut self,
        domain: String,
        via: String,
        chain: Vec<String>,
        role: Role,
    ) -> BoxFuture<'_, SpfNode> {
        Box::pin(async move {
            let mut node = SpfNode {
                domain: domain.clone(),
                via: via.clone(),
                ..SpfNode::default()
            };
            self.nodes += 1;
            if self.nodes > MAX_NODES || chain.len() > MAX_DEPTH {
                node.problem = Some(format!(
                    "not walked: the tree is larger than {MAX_NODES} records or deeper than {MAX_DEPTH}"
                ));
                if !self.out.truncated {
                    self.out.truncated = true;
                    self.push(
                        Finding::new(
                            &SPF_TREE_TOO_DEEP,
                            domain.clone(),
                            format!(
                                "stopped walking at {via} (more than {MAX_NODES} records or deeper than {MAX_DEPTH}); counts cover only the part walked"
                            ),
                        )
                        .evidence(chain_evidence(&chain, &domain)),
                    );
                }
                return node;
            }
            let answer = self.query(&domain, RType::TXT).await;
            let lookup = select_record(answer.clone());
            node.problem = lookup.problem();
            match lookup {
                RecordLookup::Found {
                    text,
                    strings,
                    parsed,
                    ..
                } => {
                    node.record = Some(text.clone());
                    if role == Role::Root {
                        self.out.record = Some(text.clone());
                    }
                    self.check_size(&domain, &text);
                    match parsed {
                        Ok(record) => {
                            self.record(&mut node, &record, &chain, role).await;
                        }
                        Err(e) => {
                            let boundary = string_boundary_in(&strings, e.position, e.term.len());
                            let mut message = format!("SPF record of {domain} ({via}): {e}");
                            if boundary {
                                message.push_str(
                                    "; the term spans two TXT strings, which are joined without a space",
                                );
                            }
                            self.push(
                                Finding::new(&SPF_SYNTAX_ERROR, domain.clone(), message).evidence(
                                    Evidence::Record {
                                        name: domain.clone(),
                                        text: text.clone(),
                                        span: Some((e.position, e.position + e.term.len())),
                                    },
                                ),
                            );
                        }
                    }
                }
                RecordLookup::Failed(answer) => {
                    let needed = match role {
                        Role::Root => "the SPF record".to_string(),
                        _ => format!("the SPF record of {via}"),
                    };
                    if let Some(f) = failure_finding(&answer, &needed) {
                        self.push(f);
                    }
                }
                RecordLookup::Multiple { answer, records } => {
                    self.push(
                        Finding::new(
                            &SPF_MULTIPLE_RECORDS,
                            domain.clone(),
                            format!(
                                "{domain} ({via}) publishes {} v=spf1 records: permerror",
                                records.len()
                            ),
                        )
                        .evidence(answer.evidence()),
                    );
                }
                missing => {
                    let answer = missing.answer().clone();
                    let what = match &missing {
                        RecordLookup::NxDomain(_) => "the name does not exist (NXDOMAIN)",
                        RecordLookup::NoData(_) => "the name has no TXT record (NODATA)",
                        _ => "the name has TXT records, none beginning with v=spf1",
                    };
                    let void =
                        matches!(missing, RecordLookup::NxDomain(_) | RecordLookup::NoData(_));
                    let (code, message) = match role {
                        Role::Root => (&SPF_MISSING, format!("{domain} has no SPF record: {what}")),
                        Role::Include => {
                            if void {
                                self.out.voids.push(format!("{}: {via}", parent(&chain)));
                            }
                            (
                                &SPF_INCLUDE_MISSING,
                                format!(
                                    "{via} in the record of {} has no SPF record ({what}): permerror when reached",
                                    parent(&chain)
                                ),
                            )
                        }
                        Role::Redirect => (
                            &SPF_REDIRECT_MISSING,
                            format!(
                                "{via} in the record of {} has no SPF record ({what}): permerror",
                                parent(&chain)
                            ),
                        ),
                    };
                    self.push(
                        Finding::new(code, domain.clone(), message).evidence(answer.evidence()),
                    );
                }
            }
            node.total_lookups =
                node.own_lookups + node.children.iter().map(|c| c.total_lookups).sum::<u32>();
            node
        })
    }

    fn check_size(&mut self, domain: &str, text: &str) {
        if text.len() > SIZE_WARN {
            let severity = if text.len() > SIZE_ERROR {
                Severity::Error
            } else {
                Severity::Warning
            };
            self.push(
                Finding::new(
                    &SPF_RECORD_TOO_LONG,
                    domain.to_string(),
                    format!(
                        "the SPF record of {domain} is {} bytes (keep it under {SIZE_WARN}; over {SIZE_ERROR} it may not fit a UDP answer)",
                        text.len()
                    ),
                )
                .severity(severity)
                .evidence(Evidence::Value {
                    label: "record length".into(),
                    value: text.len().to_string(),
                }),
            );
        }
    }

    async fn record(
        &mut self,
        node: &mut SpfNode,
        record: &SpfRecord,
        chain: &[String],
        role: Role,
    ) {
        let domain = node.domain.clone();
        let mut chain_here = chain.to_vec();
        chain_here.push(domain.clone());
        self.prefetch(record, &domain).await;
        let all = record.all();
        // The record as published, pointing at the term a finding is about.
        let text = node.record.clone().unwrap_or_default();
        let evidence = |term: Option<&super::parse::Term>| Evidence::Record {
            name: domain.clone(),
            text: text.clone(),
            span: term.map(|t| (t.position, t.position + t.text.len())),
        };
        match all {
            Some((term, Qualifier::Pass)) => self.push(
                Finding::new(
                    &SPF_ALL_PASS,
                    domain.clone(),
                    match role {
                        Role::Include => format!(
                            "the record of {domain} ({}) has {}: the include matches every address, so anyone passes",
                            node.via, term.text
                        ),
                        _ => format!("the record of {domain} has {}: every address passes SPF", term.text),
                    },
                )
                .evidence(evidence(Some(term))),
            ),
            Some((term, Qualifier::Neutral)) if role != Role::Include => self.push(
                Finding::new(
                    &SPF_ALL_NEUTRAL,
                    domain.clone(),
                    format!("the record of {domain} ends with {}: unlisted servers get neutral", term.text),
                )
                .evidence(evidence(Some(term))),
            ),
            None if role != Role::Include && record.redirect().is_none() => self.push(
                Finding::new(
                    &SPF_NO_ALL,
                    domain.clone(),
                    format!("the record of {domain} has no `all` and no redirect=: unlisted servers get neutral"),
                )
                .evidence(evidence(None)),
            ),
            _ => {}
        }
        for (term, _, mechanism) in record.directives() {
            if mechanism.costs_lookup() {
                node.own_lookups += 1;
            }
            if matches!(
                mechanism,
                Mechanism::A { .. } | Mechanism::Mx { .. } | Mechanism::Exists(_)
            ) {
                self.term_queries += 1;
                if self.term_queries > MAX_TERM_QUERIES {
                    continue;
                }
            }
            match mechanism {
                Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {}
                Mechanism::Ptr(_) => self.push(
                    Finding::new(
                        &SPF_PTR_USED,
                        domain.clone(),
                        format!("the record of {domain} uses {}", term.text),
                    )
                    .evidence(evidence(Some(term))),
                ),
                Mechanism::A { domain: spec, .. } => {
                    let Some(target) = self.target(spec.as_ref(), &domain, &term.text) else {
                        continue;
                    };
                    let a = self.query(&target, RType::A).await;
                    let aaaa = self.query(&target, RType::AAAA).await;
                    if let Some(f) =
                        failure_finding(&a, &format!("{} in the record of {domain}", term.text))
                            .or_else(|| {
                                failure_finding(
                                    &aaaa,
                                    &format!("{} in the record of {domain}", term.text),
                                )
                            })
                    {
                        self.push(f);
                    } else if a.outcome.is_void() && aaaa.outcome.is_void() {
                        self.out.voids.push(format!("{domain}: {}", term.text));
                    }
                }
                Mechanism::Exists(spec) => {
                    let Some(target) = self.target(Some(spec), &domain, &term.text) else {
                        continue;
                    };
                    let a = self.query(&target, RType::A).await;
                    if let Some(f) =
                        failure_finding(&a, &format!("{} in the record of {domain}", term.text))
                    {
                        self.push(f);
                    } else if a.outcome.is_void() {
                        self.out.voids.push(format!("{domain}: {}", term.text));
                    }
                }
                Mechanism::Mx { domain: spec, .. } => {
                    let Some(target) = self.target(spec.as_ref(), &domain, &term.text) else {
                        continue;
                    };
                    let mx = self.query(&target, RType::MX).await;
                    if let Some(f) =
                        failure_finding(&mx, &format!("{} in the record of {domain}", term.text))
                    {
                        self.push(f);
                        continue;
                    }
                    if mx.outcome.is_void() {
                        self.out.voids.push(format!("{domain}: {}", term.text));
                    }
                    let hosts = mx
                        .records
                        .iter()
                        .filter(|r| matches!(r, Rdata::Mx { .. }))
                        .count();
                    if hosts > super::eval::MX_HOST_LIMIT {
                        self.push(
                            Finding::new(
                                &SPF_MX_TOO_MANY_HOSTS,
                                domain.clone(),
                                format!(
                                    "{} in the record of {domain}: {target} has {hosts} MX hosts (at most {})",
                                    term.text,
                                    super::eval::MX_HOST_LIMIT
                                ),
                            )
                            .evidence(mx.evidence()),
                        );
                    }
                }
                Mechanism::Include(spec) => {
                    let Some(target) = self.target(Some(spec), &domain, &term.text) else {
                        continue;
                    };
                    let child = self
                        .follow(
                            &target,
                            format!("include:{target}"),
                            &chain_here,
                            Role::Include,
                        )
                        .await;
                    node.children.push(child);
                }
            }
        }
        if let Some((term, spec)) = record.redirect() {
            if let Some((all_term, _)) = all {
                self.push(Finding::new(
                    &SPF_REDIRECT_IGNORED,
                    domain.clone(),
                    format!(
                        "the record of {domain} has {} and {}: the redirect is never used",
                        all_term.text, term.text
                    ),
                ));
            } else {
                node.own_lookups += 1;
                if let Some(target) = self.target(Some(spec), &domain, &term.text) {
                    let child_role = if role == Role::Include {
                        Role::Include
                    } else {
                        Role::Redirect
                    };
                    let child = self
                        .follow(
                            &target,
                            format!("redirect={target}"),
                            &chain_here,
                            child_role,
                        )
                        .await;
                    node.children.push(child);
                }
            }
        }
    }

    /// Walk an include/redirect target unless it loops back to an ancestor.
    async fn follow(&mut self, target: &str, via: String, chain: &[String], role: Role) -> SpfNode {
        if chain.iter().any(|d| d == target) {
            let mut names = chain.to_vec();
            names.push(target.to_string());
            self.push(
                Finding::new(
                    &SPF_INCLUDE_LOOP,
                    target.to_string(),
                    format!(
                        "{via} in the record of {} leads back to {target}: {}",
                        parent(chain),
                        names.join(" > ")
                    ),
                )
                .evidence(Evidence::Chain { names }),
            );
            return SpfNode {
                domain: target.to_string(),
                via,
                problem: Some("loop".into()),
                ..SpfNode::default()
            };
        }
        self.node(target.to_string(), via, chain.to_vec(), role)
            .await
    }
}

fn parent(chain: &[String]) -> &str {
    chain.last().map_or("", String::as_str)
}

fn chain_evidence(chain: &[String], domain: &str) -> Evidence {
    let mut names = chain.to_vec();
    names.push(domain.to_string());
    Evidence::Chain { names }
}

/// Whether the span [start, start+len) of the joined record crosses a boundary between
/// two character-strings.
fn string_boundary_in(strings: &[Vec<u8>], start: usize, len: usize) -> bool {
    let mut offset = 0;
    for s in strings.iter().take(strings.len().saturating_sub(1)) {
        offset += s.len();
        if offset > start && offset < start + len {
            return true;
        }
    }
    false
}

/// The direct include/redirect of the root that costs the most (its own term included).
pub fn costliest(tree: &SpfNode) -> Option<super::SpfCost> {
    tree.children
        .iter()
        .map(|c| super::SpfCost {
            term: c.via.clone(),
            lookups: c.cost(),
        })
        .max_by_key(|c| c.lookups)
}

mod targets;

#[cfg(test)]
mod tests;
