//! The DNS audit of one domain: every check, concurrently, on one shared DNS layer.

use crate::check::CheckOptions;
pub use crate::check::millis;
use crate::dns::{Dns, Outcome, RType, codes as dns_codes};
use crate::report::{DomainFacts, DomainReport, Finding};
use std::time::Instant;

/// Audit one domain. Never fails: lookup failures are findings.
pub async fn audit_domain(dns: &Dns, domain: &str, opts: &CheckOptions) -> DomainReport {
    let started = Instant::now();
    let view = dns.view();
    let mut findings = Vec::new();
    let mut facts = DomainFacts::default();

    // Everything starts at once (the checks ask for the apex TXT too, and the cache joins
    // them); only afterwards is a non-existent domain reduced to one clear finding.
    let (apex, spf, dkim, dmarc, mx, policy) = tokio::join!(
        view.query(domain, RType::TXT),
        crate::spf::check(&view, domain, opts),
        crate::dkim::check(&view, domain, opts),
        crate::dmarc::check(&view, domain, opts),
        crate::mx::check(&view, domain, opts),
        crate::policy_records::check(&view, domain, opts),
    );
    let unreachable = dns.resolver_unreachable();
    if apex.outcome == Outcome::NxDomain {
        findings.push(
            Finding::new(
                &dns_codes::DOMAIN_DOES_NOT_EXIST,
                domain,
                format!(
                    "{domain} does not exist in DNS (NXDOMAIN): no mail can be authenticated for it"
                ),
            )
            .evidence(apex.evidence()),
        );
    } else if unreachable.is_some() {
        // Nothing was looked up: the checks' facts would read as "none published".
        findings.extend(spf.findings);
        findings.extend(dkim.findings);
        findings.extend(dmarc.findings);
        findings.extend(mx.findings);
        findings.extend(policy.findings);
    } else {
        findings.extend(spf.findings);
        findings.extend(dkim.findings);
        findings.extend(dmarc.findings);
        findings.extend(mx.findings);
        findings.extend(policy.findings);
        facts.spf = Some(spf.facts);
        facts.dkim = Some(dkim.facts);
        facts.dmarc = Some(dmarc.facts);
        facts.mx = Some(mx.facts);
        facts.mta_sts = policy.facts.mta_sts;
        facts.tls_rpt = policy.facts.tls_rpt;
        facts.bimi = policy.facts.bimi;
    }
    dedup(&mut findings);
    if let Some(reason) = unreachable {
        dns_codes::collapse_unreachable(&mut findings, domain, reason);
    }
    let mut report = DomainReport {
        domain: domain.to_string(),
        worst: None,
        findings,
        facts,
        queries: view.log(),
        elapsed_ms: millis(started),
        baseline: None,
    };
    report.recompute_worst();
    report
}

/// Two checks that hit the same failed lookup report it once.
fn dedup(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.code.id, f.subject.clone(), f.message.clone())));
}
