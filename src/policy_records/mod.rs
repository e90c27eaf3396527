//! MTA-STS (RFC 8461), TLS-RPT (RFC 8460) and BIMI TXT records.

pub mod codes;
pub mod parse;
#[cfg(test)]
mod tests;

use crate::check::{CheckOptions, Checked};
use crate::dns::{DnsView, Outcome, RType, Rdata, codes::failure_finding};
use crate::report::{Evidence, Finding};
use codes::*;
use parse::Kind;
use serde::Serialize;

/// One of the TXT policy records (MTA-STS `_mta-sts`, TLS-RPT `_smtp._tls`, BIMI `default._bimi`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PolicyRecordFacts {
    /// The name asked for.
    pub name: String,
    /// The record, when one was found.
    pub record: Option<String>,
    /// Its tags, in order, as published.
    pub tags: Vec<(String, String)>,
}

/// The three records together, as one check returns them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PolicyRecords {
    pub mta_sts: Option<PolicyRecordFacts>,
    pub tls_rpt: Option<PolicyRecordFacts>,
    pub bimi: Option<PolicyRecordFacts>,
}

/// What the lookup of one record showed.
enum Seen {
    Failed,
    Absent,
    /// Exactly one record of the kind (possibly with problems).
    One,
    Several,
}

async fn one_record(
    dns: &DnsView,
    kind: Kind,
    name: String,
    what: &str,
    findings: &mut Vec<Finding>,
) -> (Seen, PolicyRecordFacts) {
    let mut facts = PolicyRecordFacts {
        name: name.clone(),
        ..Default::default()
    };
    let answer = dns.query(&name, RType::TXT).await;
    if let Some(f) = failure_finding(&answer, what) {
        findings.push(f);
        return (Seen::Failed, facts);
    }
    let texts = answer.txt_joined();
    for text in texts.iter().filter(|t| kind.is_near_miss(t)) {
        let (_, problems) = kind.parse(text);
        let first = problems
            .iter()
            .find(|p| p.message.contains("must start with"));
        findings.push(
            Finding::new(
                kind.syntax_code(),
                name.clone(),
                format!(
                    "{name}: `{text}` does not start with v={}: receivers discard it",
                    kind.version()
                ),
            )
            .evidence(Evidence::Record {
                name: name.clone(),
                text: text.clone(),
                span: first.map(|p| p.span),
            }),
        );
    }
    let records: Vec<&String> = texts.iter().filter(|t| kind.is_record(t)).collect();
    match records.as_slice() {
        [] => (Seen::Absent, facts),
        [text] => {
            let (tags, problems) = kind.parse(text);
            for p in problems {
                findings.push(
                    Finding::new(
                        p.code,
                        name.clone(),
                        format!("{name}: {} (at byte {})", p.message, p.span.0),
                    )
                    .evidence(Evidence::Record {
                        name: name.clone(),
                        text: text.to_string(),
                        span: Some(p.span),
                    }),
                );
            }
            facts.record = Some(text.to_string());
            facts.tags = tags.into_iter().map(|t| (t.name, t.value)).collect();
            (Seen::One, facts)
        }
        several => {
            findings.push(
                Finding::new(
                    kind.multiple_code(),
                    name.clone(),
                    format!(
                        "{name} has {} v={} records: receivers use none of them",
                        several.len(),
                        kind.version()
                    ),
                )
                .remediation(format!(
                    "Delete all but one TXT record starting with v={} at {name}.",
                    kind.version()
                ))
                .evidence(answer.evidence()),
            );
            (Seen::Several, facts)
        }
    }
}

/// Whether mail can be delivered to `domain` at all: to its MX hosts, else to its own
/// address (the implicit MX, RFC 5321 5.1); a null MX (RFC 7505) says it takes none. `None`
/// when a lookup failed. The MX check asks the same questions: they are asked once.
async fn accepts_mail(dns: &DnsView, domain: &str) -> Option<bool> {
    let mx = dns.query(domain, RType::MX).await;
    match mx.outcome {
        Outcome::Records => Some(
            !mx.records
                .iter()
                .all(|r| matches!(r, Rdata::Mx { exchange, .. } if exchange.is_empty())),
        ),
        Outcome::NxDomain => Some(false),
        Outcome::NoData => {
            let (a, aaaa) =
                tokio::join!(dns.query(domain, RType::A), dns.query(domain, RType::AAAA));
            if !a.records.is_empty() || !aaaa.records.is_empty() {
                Some(true)
            } else if a.outcome.is_failure() || aaaa.outcome.is_failure() {
                None
            } else {
                Some(false)
            }
        }
        _ => None,
    }
}

pub async fn check(dns: &DnsView, domain: &str, _opts: &CheckOptions) -> Checked<PolicyRecords> {
    let domain = crate::dns::name::normalize(domain);
    let mut out = Checked::<PolicyRecords>::new();
    let (mut f1, mut f2, mut f3) = (Vec::new(), Vec::new(), Vec::new());
    let ((sts, sts_facts), (rpt, rpt_facts), (_, bimi_facts), accepts_mail) = tokio::join!(
        one_record(
            dns,
            Kind::MtaSts,
            format!("_mta-sts.{domain}"),
            "the MTA-STS record",
            &mut f1
        ),
        one_record(
            dns,
            Kind::TlsRpt,
            format!("_smtp._tls.{domain}"),
            "the TLS-RPT record",
            &mut f2
        ),
        one_record(
            dns,
            Kind::Bimi,
            format!("default._bimi.{domain}"),
            "the BIMI record",
            &mut f3
        ),
        accepts_mail(dns, &domain),
    );
    let near_miss = |f: &[Finding], code| f.iter().any(|x| std::ptr::eq(x.code, code));
    // MTA-STS protects mail *to* the domain: a domain that takes none (a send-only
    // subdomain without MX or address, a null MX) has nothing to protect. Unknown (a lookup
    // failed): said as before.
    if matches!(sts, Seen::Absent)
        && accepts_mail != Some(false)
        && !near_miss(&f1, &MTA_STS_SYNTAX_ERROR)
    {
        f1.push(
            Finding::new(
                &MTA_STS_MISSING,
                format!("_mta-sts.{domain}"),
                format!("{domain} publishes no MTA-STS record: mail to it can be downgraded to plaintext by an attacker"),
            )
            .remediation(format!(
                "Serve https://mta-sts.{domain}/.well-known/mta-sts.txt (version: STSv1, mode: testing, mx: <each MX host>, max_age: 86400) and publish _mta-sts.{domain} TXT \"v=STSv1; id=20250101000000\"."
            )),
        );
    }
    if matches!(sts, Seen::One | Seen::Several)
        && matches!(rpt, Seen::Absent)
        && !near_miss(&f2, &TLS_RPT_SYNTAX_ERROR)
    {
        f2.push(
            Finding::new(
                &TLS_RPT_MISSING,
                format!("_smtp._tls.{domain}"),
                format!("{domain} publishes MTA-STS but no TLS-RPT record: TLS failures delivering to it go unreported"),
            )
            .remediation(format!(
                "Publish _smtp._tls.{domain} TXT \"v=TLSRPTv1; rua=mailto:tls-reports@{domain}\"."
            )),
        );
    }
    out.findings.extend(f1);
    out.findings.extend(f2);
    out.findings.extend(f3);
    out.facts = PolicyRecords {
        mta_sts: Some(sts_facts),
        tls_rpt: Some(rpt_facts),
        bimi: Some(bimi_facts),
    };
    out
}
