//! `mailpreflight dns DOMAIN...`: audit domains concurrently, report in input order.

use super::Outcome;
use crate::cli::settings::DnsSettings;
use crate::dns::Dns;
use crate::domain_audit::{audit_domain, millis};
use crate::report::Report;
use crate::report::render::{self, Format};
use futures::StreamExt;
use std::io::Write;
use std::time::Instant;

pub async fn run(settings: DnsSettings, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let dns = match Dns::new(settings.dns.clone()) {
        Ok(dns) => dns,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let output = &settings.output;
    let mut report = Report::new("dns", output.policy.fail_on.as_str());
    let checks = &settings.checks;

    // `buffered` keeps input order while up to `concurrency` domains are in flight.
    let mut results = futures::stream::iter(settings.domains.iter())
        .map(|domain| {
            let dns = dns.clone();
            async move {
                let report = audit_domain(&dns, domain, checks).await;
                dns.retire(domain);
                report
            }
        })
        .buffered(settings.concurrency);

    while let Some(mut domain_report) = results.next().await {
        output.policy.apply(&mut domain_report);
        output.policy.tally(&mut report.summary, &domain_report);
        if output.format == Format::Jsonl {
            // Streamed: memory stays flat however many domains there are.
            out.write_all(&render::render_jsonl_line(&domain_report))?;
        } else {
            report.targets.push(domain_report);
        }
    }
    report.dns = dns.stats();
    report.elapsed_ms = millis(started);
    if output.format != Format::Jsonl {
        out.write_all(&render::render(output.format, &report, &output.render))?;
    }
    out.flush()?;
    Ok(Outcome::Completed {
        failed: report.summary.failed,
    })
}
