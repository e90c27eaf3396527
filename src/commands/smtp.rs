//! `mailpreflight smtp`: the config's own findings, then the probe, in one report whose
//! single target is the SMTP endpoint.

use super::Outcome;
use crate::cli::smtp_settings::SmtpSettings;
use crate::dns::Dns;
use crate::domain_audit::millis;
use crate::report::{DomainFacts, DomainReport};
use crate::smtp::codes;
use std::io::Write;
use std::time::Instant;

pub async fn run(settings: SmtpSettings, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let dns = match Dns::new(settings.dns.clone()) {
        Ok(dns) => dns,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let output = &settings.output;
    let view = dns.view();
    let result = crate::smtp::probe::run(view.dns(), &settings.probe).await;
    let mut findings = Vec::new();
    if settings.from_config {
        findings.extend(settings.loaded.findings.iter().cloned());
    }
    for f in result.findings {
        // With a config, "password given but never asked for" is the config's own finding,
        // located at auth.pass; the probe's wording says why.
        if settings.from_config
            && std::ptr::eq(f.code, &codes::AUTH_NOT_ADVERTISED)
            && let Some(mut located) = settings.loaded.password_unused(&result.facts.auth.result)
        {
            located.set_severity(f.severity);
            findings.push(located);
            continue;
        }
        findings.push(f);
    }
    let target = DomainReport {
        domain: result.facts.endpoint.clone(),
        worst: None,
        findings,
        facts: DomainFacts {
            smtp: Some(result.facts),
            ..DomainFacts::default()
        },
        queries: view.log(),
        elapsed_ms: millis(started),
        baseline: None,
    };
    super::render_report("smtp", vec![target], None, &dns, output, started, out)
}
