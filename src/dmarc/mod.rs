//! DMARC (RFC 7489 and RFC 9989 discovery, strict parse).

pub mod assess;
pub mod codes;
pub mod discovery;
pub mod orgdomain;
pub mod parse;
mod reports;

pub use orgdomain::{organizational_domain, same_organization};

use crate::check::{CheckOptions, Checked};
use crate::dns::{DnsView, codes::failure_finding};
use crate::report::{Evidence, Finding};
use codes::*;
use discovery::{Found, Lookup};
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct DmarcFacts {
    /// Where the record in force was found (`_dmarc.<domain>` or the organizational domain's).
    pub record_name: Option<String>,
    pub record: Option<String>,
    /// p=, sp=, np= as published (np is RFC 9989).
    pub policy: Option<String>,
    pub subdomain_policy: Option<String>,
    pub nonexistent_policy: Option<String>,
    /// adkim and aspf, `r` or `s` (defaults applied: `r`).
    pub adkim: Option<String>,
    pub aspf: Option<String>,
    /// pct= (RFC 7489), t= (RFC 9989).
    pub pct: Option<u8>,
    pub testing: Option<bool>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    /// The organizational domain by the Public Suffix List (RFC 7489).
    pub org_domain_psl: Option<String>,
    /// The policy domain found by RFC 7489 discovery, and by the RFC 9989 tree walk.
    pub policy_domain_7489: Option<String>,
    pub policy_domain_9989: Option<String>,
    /// The organizational domain by the RFC 9989 tree walk (psd= honoured); `None` if unknown.
    pub org_domain_9989: Option<String>,
    /// The policy that applies to the audited domain itself (sp= when the record is inherited).
    pub effective_policy: Option<String>,
}

pub async fn check(dns: &DnsView, domain: &str, _opts: &CheckOptions) -> Checked<DmarcFacts> {
    let domain = crate::dns::name::normalize(domain);
    let mut out = Checked::<DmarcFacts>::new();
    let (d7489, walk) = tokio::join!(
        discovery::discover_7489(dns, &domain),
        discovery::tree_walk(dns, &domain)
    );
    out.facts.org_domain_psl = Some(d7489.org_domain.clone());
    out.facts.policy_domain_7489 = d7489.policy_domain.clone();
    out.facts.policy_domain_9989 = walk.policy_domain.clone();
    out.facts.org_domain_9989 = walk.org_domain.clone();

    // Each lookup once, in discovery order (the two methods share the first names).
    let mut lookups: Vec<&Lookup> = Vec::new();
    for l in d7489.lookups.iter().chain(walk.lookups.iter()) {
        if !lookups.iter().any(|seen| seen.domain == l.domain) {
            lookups.push(l);
        }
    }
    let mut blocked = false; // a finding already explains why no record is in force
    for l in &lookups {
        // Above the policy domain the walk only looks for psd= (the organizational domain):
        // the policy in force is known, so a failure there (e.g. `_dmarc.com` under --offline
        // with only the domain's own zone) is a warning about alignment, not a lost policy.
        let above_policy = walk
            .policy_domain
            .as_deref()
            .is_some_and(|p| p != l.domain && crate::dns::name::is_subdomain_of(p, &l.domain));
        let needed_for = if above_policy {
            "the organizational domain by the RFC 9989 tree walk (a psd= tag above the policy domain)"
        } else {
            "the DMARC record"
        };
        if let Some(mut f) = failure_finding(&l.answer, needed_for) {
            if above_policy {
                f = f.severity(crate::report::Severity::Warning);
            }
            out.push(f);
            continue;
        }
        if let Found::Several(records) = &l.found {
            blocked |= l.domain == domain;
            out.push(
                Finding::new(
                    &DMARC_MULTIPLE_RECORDS,
                    l.answer.name.clone(),
                    format!(
                        "{} has {} v=DMARC1 records: RFC 7489 receivers apply no DMARC to {}, RFC 9989 receivers ignore them and look further up",
                        l.answer.name,
                        records.len(),
                        l.domain
                    ),
                )
                .remediation(format!(
                    "Delete all but one TXT record starting with v=DMARC1 at {}.",
                    l.answer.name
                ))
                .evidence(l.answer.evidence()),
            );
        }
        // A record that tries to be DMARC but would be discarded.
        for text in l.answer.txt_joined() {
            if parse::mentions_dmarc(&text) && !parse::is_dmarc_record(&text) {
                blocked |= l.domain == domain && l.found == Found::Nothing;
                let parsed = parse::parse(&text);
                // `v=DMARC1 p=reject …`: the version is right, the separators are missing.
                if let Some(p) = parsed.problems.iter().find(|p| {
                    p.kind == parse::ProblemKind::MissingSeparator && p.tag.as_deref() == Some("v")
                }) {
                    out.push(
                        Finding::new(
                            &DMARC_SYNTAX_ERROR,
                            l.answer.name.clone(),
                            format!("{}: {}", l.answer.name, p.message),
                        )
                        .remediation(format!(
                            "Separate the tags with semicolons: publish {} TXT \"{}\".",
                            l.answer.name,
                            parse::with_separators(&text)
                        ))
                        .evidence(Evidence::Record {
                            name: l.answer.name.clone(),
                            text,
                            span: Some(p.span),
                        }),
                    );
                    continue;
                }
                let (span, why) = parsed
                    .problems
                    .iter()
                    .find(|p| p.kind == parse::ProblemKind::VersionNotFirst)
                    .map(|p| (Some(p.span), p.message.clone()))
                    .unwrap_or((None, "the record does not start with `v=DMARC1`".into()));
                out.push(
                    Finding::new(
                        &DMARC_VERSION_NOT_FIRST,
                        l.answer.name.clone(),
                        format!("{}: {why}", l.answer.name),
                    )
                    .evidence(Evidence::Record {
                        name: l.answer.name.clone(),
                        text,
                        span,
                    }),
                );
            }
        }
    }

    // The record in force: RFC 7489's (what most receivers still do), else the tree walk's.
    let in_force = d7489
        .policy_domain
        .clone()
        .or_else(|| walk.policy_domain.clone());
    if !d7489.incomplete && !walk.incomplete && d7489.policy_domain != walk.policy_domain {
        let show = |d: &Option<String>| match d {
            Some(d) => format!("_dmarc.{d}"),
            None => "no record".to_string(),
        };
        out.push(
            Finding::new(
                &DMARC_DISCOVERY_DISAGREES,
                format!("_dmarc.{domain}"),
                format!(
                    "for {domain}, RFC 7489 discovery (Public Suffix List, organizational domain {}) finds {}, \
                     the RFC 9989 tree walk finds {}: receivers will apply different policies",
                    d7489.org_domain,
                    show(&d7489.policy_domain),
                    show(&walk.policy_domain)
                ),
            )
            .remediation(format!(
                "Publish one DMARC record at _dmarc.{domain} itself; both discovery methods find it first."
            ))
            .evidence(Evidence::Chain {
                names: walk.lookups.iter().map(|l| format!("{} {}", l.answer.name, l.answer.outcome.label())).collect(),
            }),
        );
    }

    let Some(policy_domain) = in_force else {
        if !blocked && !d7489.incomplete && !walk.incomplete {
            out.push(
                Finding::new(
                    &DMARC_MISSING,
                    format!("_dmarc.{domain}"),
                    if d7489.org_domain != domain {
                        format!(
                            "no DMARC record at _dmarc.{domain} nor at its organizational domain's _dmarc.{}",
                            d7489.org_domain
                        )
                    } else {
                        format!("no DMARC record at _dmarc.{domain}")
                    },
                )
                .remediation(format!(
                    "Publish _dmarc.{domain} TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}\", then move to p=quarantine or p=reject once the reports show your mail passing."
                ))
                .evidence(lookups[0].answer.evidence()),
            );
        }
        return out;
    };
    let text = lookups
        .iter()
        .find(|l| l.domain == policy_domain)
        .and_then(|l| match &l.found {
            Found::One(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let parsed = parse::parse(&text);
    let rec = assess::InForce {
        domain: &domain,
        policy_domain: &policy_domain,
        text: &text,
    };
    out.findings.extend(assess::assess(&rec, &parsed));
    out.findings
        .extend(reports::check_destinations(dns, &policy_domain, &parsed.record).await);

    let r = &parsed.record;
    let f = &mut out.facts;
    f.record_name = Some(format!("_dmarc.{policy_domain}"));
    f.record = Some(text.clone());
    f.policy = r.p.map(|p| p.as_str().to_string());
    f.subdomain_policy = r.sp.map(|p| p.as_str().to_string());
    f.nonexistent_policy = r.np.map(|p| p.as_str().to_string());
    let ra = |s: Option<bool>| Some(if s == Some(true) { "s" } else { "r" }.to_string());
    f.adkim = ra(r.adkim_strict);
    f.aspf = ra(r.aspf_strict);
    f.pct = r.pct;
    f.testing = r.t;
    f.rua = r.rua.iter().map(|u| u.uri.clone()).collect();
    f.ruf = r.ruf.iter().map(|u| u.uri.clone()).collect();
    f.effective_policy =
        r.p.map(|p| {
            if policy_domain != domain {
                r.sp.unwrap_or(p)
            } else {
                p
            }
        })
        .map(|p| p.as_str().to_string());
    out
}

#[cfg(test)]
mod tests;
