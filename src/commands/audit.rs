//! `mailpreflight audit --config FILE [--to ADDR]`: the pre-flight, summary first.

use super::Outcome;
use crate::audit::{self, AuditRun};
use crate::cli::audit_settings::{AuditSettings, OtherAudit};
use crate::cli::settings::OutputSettings;
use crate::dns::Dns;
use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Renders an audit run (also `demo`'s).
pub fn finish(
    run: AuditRun,
    dns: &Dns,
    output: &OutputSettings,
    started: Instant,
    command: &str,
    out: &mut dyn Write,
) -> std::io::Result<Outcome> {
    super::render_report(
        command,
        run.targets,
        Some(run.facts),
        dns,
        output,
        started,
        out,
    )
}

pub async fn run(settings: AuditSettings, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let settings = match settings {
        AuditSettings::Smtp(s) => *s,
        AuditSettings::Other(o) => return run_other(*o, out).await,
    };
    let started = Instant::now();
    let dns = match Dns::new(settings.dns.clone()) {
        Ok(dns) => dns,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let progress = std::io::stderr().is_terminal();
    let run = audit::run(
        &dns,
        &settings.loaded,
        &settings.probe,
        &settings.plan,
        progress,
    )
    .await;
    finish(run, &dns, &settings.output, started, "audit", out)
}

/// SendGrid, Mailgun, SES, Postmark, Aliyun DirectMail or the HTTP email connector.
async fn run_other(settings: OtherAudit, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let dns = match Dns::new(settings.dns.clone()) {
        Ok(dns) => dns,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let run = crate::connectors::run::run(&dns, &settings.checked, &settings.options).await;
    finish(run, &dns, &settings.output, started, "audit", out)
}
