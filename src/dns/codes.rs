//! Findings about lookups themselves. A failed lookup (timeout, SERVFAIL, REFUSED, a
//! network error) is never reported as "no record": the check that needed the answer
//! raises one of these instead, naming what could not be verified.

use super::types::{Answer, Outcome};
use crate::report::{Area, CodeInfo, Finding, Severity, SeverityContext};

pub static DNS_TIMEOUT: CodeInfo = CodeInfo {
    id: "dns-timeout",
    area: Area::Dns,
    default_severity: Severity::Error,
    summary: "A DNS lookup got no answer in time, so what depends on it could not be verified.",
    remediation: "Check that the domain's authoritative servers answer (dig +trace NAME TYPE); a receiver that times out treats SPF as temperror and may defer or reject mail.",
    reference: "RFC 7208 2.6.7, RFC 7489 6.6.3",
    contexts: &[SeverityContext {
        severity: Severity::Warning,
        when: "the lookup only looked for psd= above the DMARC policy domain (RFC 9989 tree walk): the policy in force is known, only the organizational domain for alignment is uncertain",
    }],
};

pub static DNS_SERVER_FAILURE: CodeInfo = CodeInfo {
    id: "dns-server-failure",
    area: Area::Dns,
    default_severity: Severity::Error,
    summary: "A DNS server answered SERVFAIL, REFUSED or another error code, so what depends on it could not be verified.",
    remediation: "Fix the zone's authoritative servers (lame delegation, broken DNSSEC, a server refusing the query); receivers see the same failure as a temporary error.",
    reference: "RFC 1035 4.1.1",
    contexts: &[SeverityContext {
        severity: Severity::Warning,
        when: "the lookup only looked for psd= above the DMARC policy domain (RFC 9989 tree walk): the policy in force is known, only the organizational domain for alignment is uncertain",
    }],
};

pub static DNS_LOOKUP_ERROR: CodeInfo = CodeInfo {
    id: "dns-lookup-error",
    area: Area::Dns,
    default_severity: Severity::Error,
    summary: "A DNS lookup failed (network error, malformed answer, CNAME loop, or a name that cannot be asked).",
    remediation: "Read the message: it names the lookup and the error. Check the nameserver given with --nameserver, or the record that produced an invalid name.",
    reference: "RFC 1035",
    contexts: &[SeverityContext {
        severity: Severity::Warning,
        when: "the lookup only looked for psd= above the DMARC policy domain (RFC 9989 tree walk): the policy in force is known, only the organizational domain for alignment is uncertain",
    }],
};

pub static DOMAIN_DOES_NOT_EXIST: CodeInfo = CodeInfo {
    id: "domain-does-not-exist",
    area: Area::Dns,
    default_severity: Severity::Error,
    summary: "The audited domain does not exist in DNS (NXDOMAIN).",
    remediation: "Check the spelling of the domain, and that its zone is delegated and published.",
    reference: "RFC 1035, RFC 8020",
    contexts: &[],
};

pub static DNS_RESOLVER_UNREACHABLE: CodeInfo = CodeInfo {
    id: "dns-resolver-unreachable",
    area: Area::Dns,
    default_severity: Severity::Error,
    summary: "No nameserver could be asked from here (none configured, or none reachable: a container or namespace without a route to its resolver), so nothing that depends on DNS could be verified.",
    remediation: "Run where the system resolver is reachable, give --nameserver IP for one this host can reach, or check zone files with --zone FILE --offline. The SMTP probe does not need DNS when the host is an IP address or listed in /etc/hosts.",
    reference: "RFC 1035, RFC 7208 2.6.7",
    contexts: &[],
};

pub static ALL: &[&CodeInfo] = &[
    &DNS_RESOLVER_UNREACHABLE,
    &DNS_TIMEOUT,
    &DNS_SERVER_FAILURE,
    &DNS_LOOKUP_ERROR,
    &DOMAIN_DOES_NOT_EXIST,
];

/// The finding for a failed lookup, or `None` when the lookup answered (records,
/// NXDOMAIN or NODATA: those are data, judged by the check). `needed_for` says what could
/// not be verified, e.g. "the SPF record".
pub fn failure_finding(answer: &Answer, needed_for: &str) -> Option<Finding> {
    let (code, what) = match &answer.outcome {
        Outcome::Timeout => (&DNS_TIMEOUT, "timed out".to_string()),
        Outcome::ServerFailure { rcode } => (&DNS_SERVER_FAILURE, format!("answered {rcode}")),
        Outcome::Error { message } => (&DNS_LOOKUP_ERROR, format!("failed: {message}")),
        Outcome::Records | Outcome::NxDomain | Outcome::NoData => return None,
    };
    Some(
        Finding::new(
            code,
            answer.name.clone(),
            format!(
                "{} {} lookup {what}: {needed_for} could not be verified",
                answer.name, answer.rtype
            ),
        )
        .evidence(answer.evidence()),
    )
}

/// With no nameserver reachable at all, every lookup fails the same way: the per-lookup
/// findings that carry `reason` become one finding for `subject`, naming what could not be
/// verified (a domain's audit would otherwise list ~26 identical failures).
pub fn collapse_unreachable(findings: &mut Vec<Finding>, subject: &str, reason: &str) {
    let marker = format!("{reason}: ");
    let mut what: Vec<String> = Vec::new();
    let mut evidence = Vec::new();
    findings.retain_mut(|f| {
        if f.code.id != DNS_LOOKUP_ERROR.id {
            return true;
        }
        let Some(at) = f.message.find(&marker) else {
            return true;
        };
        let needed = f.message[at + marker.len()..].trim_end_matches(" could not be verified");
        what.push(needed.to_string());
        if evidence.is_empty() {
            evidence = std::mem::take(&mut f.evidence);
        }
        false
    });
    if what.is_empty() {
        return;
    }
    const SHOWN: usize = 6;
    let mut list = what
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if what.len() > SHOWN {
        list.push_str(&format!(" and {} more", what.len() - SHOWN));
    }
    let mut finding = Finding::new(
        &DNS_RESOLVER_UNREACHABLE,
        subject,
        format!(
            "{reason}: {} lookup(s) could not be made, so {list} could not be verified (cannot tell, not absent)",
            what.len()
        ),
    );
    finding.evidence = evidence;
    findings.insert(0, finding);
}
