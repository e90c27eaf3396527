//! External report destinations (RFC 7489 7.1): a rua/ruf address whose organizational domain
//! differs from the policy domain's receives reports only if the destination publishes
//! `v=DMARC1` at `<policy-domain>._report._dmarc.<destination-domain>`.

use super::codes::DMARC_EXTERNAL_REPORT_UNAUTHORIZED;
use super::orgdomain::same_organization;
use super::parse::{DmarcRecord, is_dmarc_record};
use crate::dns::{DnsView, RType, codes::failure_finding};
use crate::report::Finding;

/// Destinations checked per record: each costs one lookup.
const MAX_DESTINATIONS: usize = 10;

pub async fn check_destinations(
    dns: &DnsView,
    policy_domain: &str,
    record: &DmarcRecord,
) -> Vec<Finding> {
    let mut destinations: Vec<(&str, &str)> = Vec::new(); // (tag, domain)
    for (tag, uris) in [("rua", &record.rua), ("ruf", &record.ruf)] {
        for u in uris {
            if !same_organization(&u.domain, policy_domain)
                && !destinations.iter().any(|(_, d)| *d == u.domain)
            {
                destinations.push((tag, &u.domain));
            }
        }
    }
    destinations.truncate(MAX_DESTINATIONS);
    let names: Vec<String> = destinations
        .iter()
        .map(|(_, d)| format!("{policy_domain}._report._dmarc.{d}"))
        .collect();
    let answers = futures::future::join_all(names.iter().map(|n| dns.query(n, RType::TXT))).await;
    let mut out = Vec::new();
    for (((tag, dest), name), answer) in destinations.iter().zip(&names).zip(answers) {
        let what =
            format!("the authorisation of {dest} to receive {policy_domain}'s DMARC reports");
        if let Some(f) = failure_finding(&answer, &what) {
            out.push(f);
            continue;
        }
        if answer.txt_joined().iter().any(|t| is_dmarc_record(t)) {
            continue;
        }
        out.push(
            Finding::new(
                &DMARC_EXTERNAL_REPORT_UNAUTHORIZED,
                name.clone(),
                format!(
                    "{tag}= sends reports to {dest}, outside {policy_domain}'s organization, but {name} has no v=DMARC1 record ({}): receivers will not send these reports",
                    answer.outcome.label()
                ),
            )
            .remediation(format!(
                "The operator of {dest} publishes: {name}. TXT \"v=DMARC1\" (report services do this when the domain is added to the account); or send reports to an address at {policy_domain}."
            ))
            .evidence(answer.evidence()),
        );
    }
    out
}
