//! `mailpreflight audit --config FILE [--to ADDR]`: the pre-flight, summary first.

use super::Outcome;
use crate::audit::{self, AuditRun};
use crate::cli::audit_settings::{AuditSettings, OtherAudit};
use crate::cli::settings::OutputSettings;
use crate::dns::Dns;
use crate::domain_audit::millis;
use crate::report::Report;
use crate::report::render;
use std::io::{IsTerminal, Write};
use std::time::Instant;

/// The user's policy applied to every target, the verdict concluded, the report rendered.
pub fn finish(
    mut run: AuditRun,
    dns: &Dns,
    output: &OutputSettings,
    started: Instant,
    command: &str,
    out: &mut dyn Write,
) -> std::io::Result<Outcome> {
    let mut report = Report::new(command, output.policy.fail_on.as_str());
    for t in &mut run.targets {
        output.policy.apply(t);
        output.policy.tally(&mut report.summary, t);
    }
    audit::conclude(&mut run);
    report.targets = run.targets;
    report.audit = Some(run.facts);
    report.dns = dns.stats();
    report.elapsed_ms = millis(started);
    out.write_all(&render::render(output.format, &report, &output.render))?;
    out.flush()?;
    Ok(Outcome::Completed {
        failed: report.summary.failed,
    })
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
