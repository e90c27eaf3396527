//! `mailpreflight inspect MESSAGE`: read one message (bounded), inspect it, report.
//! An unreadable or oversized file is an input error (exit 2); a readable message that
//! fails checks is findings (exit 1).

use super::Outcome;
use crate::cli::InspectArgs;
use crate::cli::settings::{InputError, OutputSettings, dns_config, input_error, output_settings};
use crate::dns::{Dns, DnsConfig};
use crate::inspect::{self, InspectOptions};
use crate::message::headers::MAX_MESSAGE_BYTES;
use crate::report::render;
use crate::report::{DomainFacts, DomainReport, Report};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `inspect`'s validated settings.
pub struct InspectSettings {
    pub message: PathBuf,
    pub options: InspectOptions,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

impl InspectSettings {
    pub fn from_args(args: Box<InspectArgs>) -> Result<InspectSettings, InputError> {
        let ip = args
            .ip
            .as_deref()
            .map(|ip| {
                ip.trim()
                    .parse()
                    .map_err(|_| input_error(format!("--ip {ip}: not an IPv4 or IPv6 address")))
            })
            .transpose()?;
        let mut trusted = Vec::new();
        for id in &args.trusted_authserv {
            let id = id.trim().trim_end_matches('.').to_ascii_lowercase();
            if id.is_empty() {
                return Err(input_error("--trusted-authserv: empty authserv-id"));
            }
            trusted.push(id);
        }
        Ok(InspectSettings {
            message: args.message,
            options: InspectOptions {
                trusted_authserv: trusted,
                ip,
            },
            output: output_settings(&args.output, "inspect")?,
            dns: dns_config(&args.dns)?,
        })
    }
}

/// The message's bytes, at most [`MAX_MESSAGE_BYTES`]; the error names the file.
pub fn read_message(path: &Path) -> Result<(String, Vec<u8>), InputError> {
    let stdin = path == Path::new("-");
    let label = if stdin {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let limit = MAX_MESSAGE_BYTES as u64 + 1;
    let read = if stdin {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    if let Err(e) = read {
        return Err(input_error(format!("cannot read {label}: {e}")));
    }
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(input_error(format!(
            "{label}: larger than {} MiB, the most a message can be",
            MAX_MESSAGE_BYTES / (1024 * 1024)
        )));
    }
    Ok((label, bytes))
}

pub async fn run(settings: InspectSettings, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let (label, bytes) = match read_message(&settings.message) {
        Ok(m) => m,
        Err(e) => return Ok(Outcome::InputError(e.0)),
    };
    let dns = match Dns::new(settings.dns.clone()) {
        Ok(d) => d,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let view = dns.view();
    let (findings, facts) = inspect::inspect(&view, &label, &bytes, &settings.options).await;
    let mut target = DomainReport {
        domain: match &facts.from_domain {
            Some(d) => format!("{label} (From {d})"),
            None => label.clone(),
        },
        worst: None,
        findings,
        facts: DomainFacts {
            inspect: Some(facts),
            ..DomainFacts::default()
        },
        queries: view.log(),
        elapsed_ms: crate::domain_audit::millis(started),
        baseline: None,
    };
    target.recompute_worst();
    let output = &settings.output;
    output.policy.apply(&mut target);
    let mut report = Report::new("inspect", output.policy.fail_on.as_str());
    output.policy.tally(&mut report.summary, &target);
    report.targets.push(target);
    report.dns = dns.stats();
    report.elapsed_ms = crate::domain_audit::millis(started);
    out.write_all(&render::render(output.format, &report, &output.render))?;
    out.flush()?;
    Ok(Outcome::Completed {
        failed: report.summary.failed,
    })
}
