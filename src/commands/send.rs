//! `mailpreflight send`: the test passcode mail alone. Composing it (render, build, sign,
//! verify, deliver) is `passcode::compose`, shared with `audit --to`; this command runs it
//! and reports.

use super::Outcome;
use crate::cli::send_settings::SendSettings;
use crate::dns::Dns;
use crate::domain_audit::millis;
use crate::passcode::compose::compose;
use crate::report::{DomainFacts, DomainReport, Finding};
use std::io::Write;
use std::time::Instant;

pub async fn run(settings: SendSettings, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let dns = match Dns::new(settings.dns.clone()) {
        Ok(dns) => dns,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let view = dns.view();
    let endpoint = format!(
        "{}:{}",
        settings.probe.plan.host,
        settings
            .probe
            .plan
            .port
            .map_or("?".into(), |p| p.to_string())
    );
    let mut findings: Vec<Finding> = settings.loaded.findings.clone();
    let composed = match compose(&settings.loaded, &settings.plan, &settings.probe, &view).await {
        Ok(c) => c,
        Err(message) => return Ok(Outcome::InputError(message)),
    };
    findings.extend(composed.findings);
    let (message_facts, smtp_facts) = (composed.message, composed.smtp);
    let output = &settings.output;
    let target = DomainReport {
        domain: if settings.plan.out.is_some() {
            format!("{} (dry run)", endpoint)
        } else {
            endpoint
        },
        worst: None,
        findings,
        facts: DomainFacts {
            smtp: smtp_facts,
            message: message_facts,
            ..DomainFacts::default()
        },
        queries: view.log(),
        elapsed_ms: millis(started),
        baseline: None,
    };
    super::render_report("send", vec![target], None, &dns, output, started, out)
}
