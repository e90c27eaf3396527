//! `mailpreflight dns DOMAIN...`: audit domains concurrently, report in input order.

use super::Outcome;
use crate::cli::settings::DnsSettings;
use crate::dns::places::Places;
use crate::dns::{Dns, DnsConfig};
use crate::domain_audit::{audit_domain, millis};
use crate::report::Report;
use crate::report::render::{self, Format};
use futures::StreamExt;
use std::io::Write;
use std::time::Instant;

/// Domains input order may keep under way beyond `--concurrency` behind the first
/// unfinished one, at least: room for the domains that start while one waits for a
/// retransmission (measured through unbound at 20 ms, `--concurrency 32`: 567 domains/s with
/// 96 more, 383/s with 32 more).
const REORDER_MIN: usize = 96;

// The stream's items are the domains' task handles, awaited in order by `buffered`: each is
// made (after its place is taken) by an async block that yields the handle on purpose.
#[allow(clippy::async_yields_async)]
pub async fn run(mut settings: DnsSettings, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let started = Instant::now();
    // The zones move into the DNS layer: a copy would double the memory a large zone takes.
    let config = DnsConfig {
        zones: std::mem::take(&mut settings.dns.zones),
        ..settings.dns.clone()
    };
    let dns = match Dns::new(config) {
        Ok(dns) => dns,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let output = &settings.output;
    let mut report = Report::new("dns", output.policy.fail_on.as_str());
    let policy = std::sync::Arc::new(output.policy.clone());
    let jsonl = output.format == Format::Jsonl;

    // Each domain is its own task (on a multi-threaded runtime, audits and their JSON lines
    // would spread over its threads). Up to `concurrency` domains are audited at once (their
    // `places`; one waiting on a retransmission gives its place away meanwhile), and
    // `buffered` keeps input order over a longer run of domains, so that one slow domain does
    // not stop the others from starting: finished reports wait their turn, at most
    // `concurrency` + max(`concurrency`, `REORDER_MIN`) domains are under way.
    let places = std::sync::Arc::new(Places::new(settings.concurrency));
    let mut results = std::pin::pin!(
        futures::stream::iter(settings.domains.iter().cloned())
            .then(|domain| {
                let places = places.clone();
                let dns = dns.clone();
                let checks = settings.checks_for(&domain);
                let policy = policy.clone();
                async move {
                    // The place first: a domain's task is made only when it can start.
                    let entry = places.enter().await;
                    // Boxed, the future and its output: a domain's audit is a ~11 KiB state machine
                    // and its report a large value, and tokio moves both by value several times
                    // (spawn, the task cell, polling, reading the output): ~8% of the instructions.
                    // The place's scope goes around the box, so the audit is made in place.
                    tokio::spawn(entry.run(Box::pin(async move {
                        let mut report = audit_domain(&dns, &domain, &checks).await;
                        dns.retire(&domain);
                        policy.apply(&mut report);
                        let line = jsonl.then(|| render::render_jsonl_line(&report));
                        Box::new((report, line))
                    })))
                }
            })
            .buffered(settings.concurrency.max(1) + settings.concurrency.max(REORDER_MIN))
    );

    while let Some(done) = results.next().await {
        let (domain_report, line) = match done {
            Ok(done) => *done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Ok(Outcome::CannotRun(format!("a domain's audit stopped: {e}"))),
        };
        output.policy.tally(&mut report.summary, &domain_report);
        match line {
            // Streamed: memory stays flat however many domains there are.
            Some(line) => out.write_all(&line)?,
            None => report.targets.push(domain_report),
        }
    }
    report.dns = dns.stats();
    report.elapsed_ms = millis(started);
    if output.format != Format::Jsonl {
        out.write_all(&render::render(output.format, &report, &output.render))?;
    }
    // The table and Markdown say it in the report; the machine formats' consumers read the
    // counters (JSON) or nothing (JSON lines, SARIF, JUnit): a person running them reads this.
    if !matches!(output.format, Format::Table | Format::Markdown)
        && let Some(note) = render::dns_note(&report)
    {
        eprintln!("mailpreflight: {note}");
    }
    out.flush()?;
    Ok(Outcome::Completed {
        failed: report.summary.failed,
    })
}
