//! `mailpreflight spf --ip IP --mail-from ADDRESS --helo NAME`: check_host() for one SMTP
//! identity, in one report whose single target is the domain checked.

use super::Outcome;
use crate::cli::spf_settings::SpfSettings;
use crate::dns::Dns;
use crate::report::{DomainFacts, DomainReport};
use std::io::Write;
use std::time::Instant;

pub async fn run(settings: SpfSettings, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let dns = match Dns::new(settings.dns.clone()) {
        Ok(dns) => dns,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let view = dns.view();
    let checked = crate::spf::check_identity(&view, settings.ip, &settings.identity).await;
    let target = DomainReport {
        domain: settings.identity.domain.clone(),
        worst: None,
        findings: checked.findings,
        facts: DomainFacts {
            spf: Some(checked.facts),
            ..DomainFacts::default()
        },
        queries: view.log(),
        elapsed_ms: crate::domain_audit::millis(started),
        baseline: None,
    };
    super::render_report(
        "spf",
        vec![target],
        None,
        &dns,
        &settings.output,
        started,
        out,
    )
}
