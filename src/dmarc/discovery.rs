//! Where a domain's DMARC record is found, two ways:
//! - RFC 7489 6.6.3: `_dmarc.<domain>`, else `_dmarc.<organizational domain>` by the PSL;
//! - RFC 9989 DNS tree walk: `_dmarc.<domain>`, then its ancestors (at most 8 queries),
//!   which also yields the organizational domain (honouring `psd=y` / `psd=n`).
//!
//! Both are computed so that the audit can say when receivers of either kind would apply
//! different records. Interpretation is pure (`walk_result`), the queries are not.

use super::orgdomain::organizational_domain;
use super::parse::{self, Psd};
use crate::dns::{Answer, DnsView, RType};
use std::sync::Arc;

/// What one `_dmarc` lookup found, after discarding records that are not `v=DMARC1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// NXDOMAIN, NODATA, or only TXT records that are not DMARC records.
    Nothing,
    One(String),
    /// More than one `v=DMARC1` record: RFC 7489 applies no DMARC, RFC 9989 walks on.
    Several(Vec<String>),
    /// Timeout, SERVFAIL, error: unknown, never "nothing".
    Failed,
}

#[derive(Clone, Debug)]
pub struct Lookup {
    /// The domain whose `_dmarc` name was asked.
    pub domain: String,
    pub answer: Arc<Answer>,
    pub found: Found,
}

pub fn classify(answer: &Answer) -> Found {
    if answer.outcome.is_failure() {
        return Found::Failed;
    }
    let records: Vec<String> = answer
        .txt_joined()
        .into_iter()
        .filter(|t| parse::is_dmarc_record(t))
        .collect();
    match records.len() {
        0 => Found::Nothing,
        1 => Found::One(records.into_iter().next().unwrap_or_default()),
        _ => Found::Several(records),
    }
}

async fn lookup(view: &DnsView, domain: &str) -> Lookup {
    let answer = view.query(&format!("_dmarc.{domain}"), RType::TXT).await;
    Lookup {
        domain: domain.to_string(),
        found: classify(&answer),
        answer,
    }
}

/// RFC 7489 discovery.
#[derive(Clone, Debug)]
pub struct Discovery7489 {
    pub org_domain: String,
    /// One or two lookups: the domain, then (if needed and different) the organizational domain.
    pub lookups: Vec<Lookup>,
    /// Where the record in force was found; `None` when there is none or it could not be known.
    pub policy_domain: Option<String>,
    /// A lookup failed where the answer mattered.
    pub incomplete: bool,
}

pub async fn discover_7489(view: &DnsView, domain: &str) -> Discovery7489 {
    let org_domain = organizational_domain(domain);
    let first = lookup(view, domain).await;
    let mut out = Discovery7489 {
        org_domain: org_domain.clone(),
        lookups: Vec::new(),
        policy_domain: None,
        incomplete: false,
    };
    match first.found {
        Found::One(_) => out.policy_domain = Some(domain.to_string()),
        Found::Failed => out.incomplete = true,
        // Several at the domain: discovery ends without a policy (6.6.3 step 5).
        Found::Several(_) => {}
        Found::Nothing if org_domain != domain => {
            let second = lookup(view, &org_domain).await;
            match second.found {
                Found::One(_) => out.policy_domain = Some(org_domain.clone()),
                Found::Failed => out.incomplete = true,
                Found::Nothing | Found::Several(_) => {}
            }
            out.lookups.push(first);
            out.lookups.push(second);
            return out;
        }
        Found::Nothing => {}
    }
    out.lookups.push(first);
    out
}

/// The names an RFC 9989 tree walk asks for, in order: the domain, then ancestors; a name of
/// more than 8 labels jumps straight to its 7-label ancestor, so there are at most 8 targets.
pub fn walk_targets(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    let mut out = vec![domain.to_string()];
    let mut count = labels.len().min(8);
    while count > 1 {
        count -= 1;
        out.push(labels[labels.len() - count..].join("."));
    }
    out
}

/// RFC 9989 tree walk, interpreted.
#[derive(Clone, Debug)]
pub struct TreeWalk {
    pub lookups: Vec<Lookup>,
    /// The first name (from the domain upwards) with exactly one DMARC record.
    pub policy_domain: Option<String>,
    /// A lookup at or below the policy domain failed: the policy cannot be known.
    pub incomplete: bool,
    /// The organizational domain by the walk; `None` when a needed lookup failed.
    pub org_domain: Option<String>,
}

pub async fn tree_walk(view: &DnsView, domain: &str) -> TreeWalk {
    let targets = walk_targets(domain);
    let lookups = futures::future::join_all(targets.iter().map(|t| lookup(view, t))).await;
    walk_result(domain, lookups)
}

fn psd_of(record: &str) -> Option<Psd> {
    parse::parse(record).record.psd
}

/// Interpret the walk's answers (pure; the answers come in walk order).
pub fn walk_result(domain: &str, lookups: Vec<Lookup>) -> TreeWalk {
    let mut policy_domain = None;
    let mut incomplete = false;
    let mut org_domain = None;
    let mut org_unknown = false;
    // The found record with the fewest labels so far (the walk goes upwards, so the latest).
    let mut topmost: Option<String> = None;
    let mut used = 0;
    for (i, l) in lookups.iter().enumerate() {
        used = i + 1;
        match &l.found {
            Found::Failed => {
                if policy_domain.is_none() {
                    incomplete = true;
                }
                org_unknown = true;
                break;
            }
            Found::Nothing | Found::Several(_) => {}
            Found::One(record) => {
                if policy_domain.is_none() {
                    policy_domain = Some(l.domain.clone());
                }
                match psd_of(record) {
                    Some(Psd::No) => {
                        org_domain = Some(l.domain.clone());
                        break;
                    }
                    Some(Psd::Yes) if i > 0 => {
                        org_domain = Some(one_label_below(domain, &l.domain));
                        break;
                    }
                    _ => topmost = Some(l.domain.clone()),
                }
            }
        }
    }
    if org_domain.is_none() && !org_unknown {
        org_domain = Some(topmost.unwrap_or_else(|| domain.to_string()));
    }
    let mut lookups = lookups;
    lookups.truncate(used);
    TreeWalk {
        lookups,
        policy_domain,
        incomplete,
        org_domain,
    }
}

/// The ancestor of `domain` (or `domain` itself) that has one more label than `suffix`.
fn one_label_below(domain: &str, suffix: &str) -> String {
    let labels: Vec<&str> = domain.split('.').collect();
    let n = suffix.split('.').count() + 1;
    if n > labels.len() {
        return domain.to_string();
    }
    labels[labels.len() - n..].join(".")
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;
    use crate::dns::{Outcome, Source};
    use std::time::Duration;

    #[test]
    fn targets_are_bounded_and_skip_labels() {
        assert_eq!(
            walk_targets("a.mail.example.com"),
            vec![
                "a.mail.example.com",
                "mail.example.com",
                "example.com",
                "com"
            ]
        );
        assert_eq!(walk_targets("example.com"), vec!["example.com", "com"]);
        let deep = "a.b.c.d.e.f.g.h.i.j.example.com";
        let t = walk_targets(deep);
        assert_eq!(t.len(), 8);
        assert_eq!(t[0], deep);
        assert_eq!(t[1], "f.g.h.i.j.example.com");
        assert_eq!(t[1].split('.').count(), 7);
        assert_eq!(t[7], "com");
    }

    fn fake(domain: &str, found: Found) -> Lookup {
        Lookup {
            domain: domain.into(),
            answer: Arc::new(Answer {
                name: format!("_dmarc.{domain}"),
                rtype: RType::TXT,
                outcome: Outcome::NoData,
                records: vec![],
                cnames: vec![],
                source: Source::Network,
                elapsed: Duration::ZERO,
            }),
            found,
        }
    }

    fn one(r: &str) -> Found {
        Found::One(r.into())
    }

    #[test]
    fn walk_interpretation() {
        use Found::*;
        let d = "a.mail.example.com";
        let names = [
            "a.mail.example.com",
            "mail.example.com",
            "example.com",
            "com",
        ];
        // (answers, policy domain, incomplete, org domain)
        let cases: Vec<(Vec<Found>, Option<&str>, bool, Option<&str>)> = vec![
            (
                vec![Nothing, Nothing, one("v=DMARC1; p=reject"), Nothing],
                Some("example.com"),
                false,
                Some("example.com"),
            ),
            (
                vec![
                    one("v=DMARC1; p=none"),
                    Nothing,
                    one("v=DMARC1; p=reject"),
                    Nothing,
                ],
                Some(d),
                false,
                Some("example.com"),
            ),
            (
                vec![Nothing, one("v=DMARC1; p=none"), Nothing, Nothing],
                Some("mail.example.com"),
                false,
                Some("mail.example.com"),
            ),
            (
                vec![Nothing, Nothing, Nothing, Nothing],
                None,
                false,
                Some(d),
            ),
            // psd=n stops the walk: the org domain is where it was found
            (
                vec![
                    Nothing,
                    one("v=DMARC1; p=none; psd=n"),
                    one("v=DMARC1; p=reject"),
                    Nothing,
                ],
                Some("mail.example.com"),
                false,
                Some("mail.example.com"),
            ),
            // psd=y above: org domain is one label below the PSD
            (
                vec![Nothing, Nothing, Nothing, one("v=DMARC1; p=reject; psd=y")],
                Some("com"),
                false,
                Some("example.com"),
            ),
            // several records at one name are discarded and the walk goes on
            (
                vec![
                    Several(vec!["a".into(), "b".into()]),
                    Nothing,
                    one("v=DMARC1; p=reject"),
                    Nothing,
                ],
                Some("example.com"),
                false,
                Some("example.com"),
            ),
            // a failure before any record: unknown
            (
                vec![Nothing, Failed, one("v=DMARC1; p=reject"), Nothing],
                None,
                true,
                None,
            ),
            // a failure above the policy record: policy known, org domain not
            (
                vec![one("v=DMARC1; p=reject"), Nothing, Failed, Nothing],
                Some(d),
                false,
                None,
            ),
        ];
        for (i, (answers, policy, incomplete, org)) in cases.into_iter().enumerate() {
            let lookups = names.iter().zip(answers).map(|(n, f)| fake(n, f)).collect();
            let w = walk_result(d, lookups);
            assert_eq!(w.policy_domain.as_deref(), policy, "case {i}");
            assert_eq!(w.incomplete, incomplete, "case {i}");
            assert_eq!(w.org_domain.as_deref(), org, "case {i}");
        }
    }

    #[test]
    fn one_label_below_suffix() {
        assert_eq!(one_label_below("a.b.example.com", "com"), "example.com");
        assert_eq!(one_label_below("example.com", "com"), "example.com");
        assert_eq!(one_label_below("com", "com"), "com");
    }
}
