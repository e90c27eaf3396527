//! One module per subcommand: each turns validated settings into a report and an exit status.

pub mod audit;
pub mod demo;
pub mod dns;
pub mod explain;
pub mod generate;
pub mod inspect;
pub mod send;
pub mod sink;
pub mod smtp;
pub mod spf;

/// What `main` maps to an exit code.
#[derive(Debug)]
pub enum Outcome {
    /// The run completed; `failed` means findings at or above --fail-on (exit 1).
    Completed { failed: bool },
    /// Usage or input error (exit 2).
    InputError(String),
    /// The audit could not run at all (exit 3).
    CannotRun(String),
}

use crate::cli::settings::OutputSettings;
use crate::dns::Dns;
use crate::report::{DomainReport, Report};
use std::io::Write;
use std::time::Instant;

/// The end of every single-report command: the user's policy applied to each target (in
/// the sink, one place), the run tallied, `audit` facts attached, rendered, mapped to an
/// exit status.
pub fn render_report(
    command: &str,
    targets: Vec<DomainReport>,
    audit: Option<crate::audit::AuditFacts>,
    dns: &Dns,
    output: &OutputSettings,
    started: Instant,
    out: &mut dyn Write,
) -> std::io::Result<Outcome> {
    let mut report = Report::new(command, output.policy.fail_on.as_str());
    for mut t in targets {
        output.policy.apply(&mut t);
        output.policy.tally(&mut report.summary, &t);
        report.targets.push(t);
    }
    report.audit = audit.map(|mut a| {
        crate::audit::conclude(&mut a, &report.targets);
        a
    });
    report.dns = dns.stats();
    report.elapsed_ms = crate::domain_audit::millis(started);
    out.write_all(&crate::report::render::render(
        output.format,
        &report,
        &output.render,
    ))?;
    out.flush()?;
    Ok(Outcome::Completed {
        failed: report.summary.failed,
    })
}
