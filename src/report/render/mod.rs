//! Reporters: pure functions from a [`Report`] to bytes, one file per format.
//!
//! No I/O and no DNS here (the runner writes the bytes); the output depends only on
//! the report and the [`RenderOptions`], so every format can be snapshot-tested.

mod audit_facts;
mod baseline_facts;
mod facts;
mod inspect_facts;
mod json;
mod junit;
mod markdown;
mod message_facts;
mod received_facts;
mod sarif;
mod smtp_facts;
mod table;
mod text;

use super::finding::Severity;
use super::model::{DomainReport, Report};

/// `--format`. (Plain comments on the variants: doc comments would change `--help`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    // Human-readable tables (the default).
    Table,
    // The whole run as one JSON document (docs/json-schema.md).
    Json,
    // One JSON object per domain and line, streamed as each domain finishes.
    Jsonl,
    // GitHub-flavoured Markdown (a PR comment, a job summary).
    Markdown,
    // SARIF 2.1.0 for code-scanning tools.
    Sarif,
    // JUnit XML for CI test reports.
    Junit,
}

/// How to render, decided by the runner (terminal, `NO_COLOR`, `--color`, `-v`).
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Emit ANSI colour codes (table only). When false the output has no escape codes at all.
    pub color: bool,
    /// `-v`: add each domain's DNS query log, evidence, and the details of notes.
    pub verbose: bool,
    /// Width to lay tables out for (table only); 100 columns when `None`.
    pub width: Option<u16>,
}

/// Render a whole run. The output ends with a newline.
pub fn render(format: Format, report: &Report, opts: &RenderOptions) -> Vec<u8> {
    match format {
        Format::Table => table::render(report, opts).into_bytes(),
        Format::Json => json::render(report),
        Format::Jsonl => report.targets.iter().flat_map(render_jsonl_line).collect(),
        Format::Markdown => markdown::render(report, opts).into_bytes(),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report).into_bytes(),
    }
}

/// One line of `--format jsonl`: the domain's report as one compact JSON object with
/// `"schema_version"`, followed by `\n`.
pub fn render_jsonl_line(domain: &DomainReport) -> Vec<u8> {
    json::line(domain)
}

/// Whether a domain fails the run under the report's `--fail-on` value (the same rule
/// as [`crate::report::sink::Policy::fails`], read back from the report).
fn domain_fails(fail_on: &str, domain: &DomainReport) -> bool {
    let threshold = match fail_on {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => return false,
    };
    domain
        .failing_worst()
        .is_some_and(|worst| worst >= threshold)
}

/// `1 error`, `2 warnings`, `0 notes`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `2 errors, 1 warning, 0 notes`.
fn counts(errors: usize, warnings: usize, notes: usize) -> String {
    format!(
        "{}, {}, {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(notes, "note")
    )
}

fn domain_counts(domain: &DomainReport) -> String {
    counts(
        domain.count(Severity::Error),
        domain.count(Severity::Warning),
        domain.count(Severity::Note),
    )
}

/// The final line of the human formats:
/// `3 domains: 2 errors, 1 warning, 4 notes — FAIL (--fail-on error)`.
fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{}: {} — {} (--fail-on {})",
        plural(s.domains, "domain"),
        counts(s.errors, s.warnings, s.notes),
        if s.failed { "FAIL" } else { "ok" },
        report.fail_on
    )
}

/// What the nameservers did to the run, when it is worth saying: questions they never
/// answered (the tool sent them again, fewer at a time: not the domains' fault) and answers
/// that came after their try was given up (a slow resolver). None for a clean run, or a
/// stray loss. The rate is the run's average, said as such.
pub fn dns_note(report: &Report) -> Option<String> {
    let d = &report.dns;
    let (dropped, share) = (d.dropped(), d.dropped_rate());
    let mut parts = Vec::new();
    if dropped > 0 && share >= 0.005 {
        parts.push(format!(
            "the resolver left {:.1}% of tries unanswered ({dropped} of {}; {} sent again, fewer at a time)",
            share * 100.0,
            d.sent,
            d.retransmissions
        ));
    }
    if d.late > 0 {
        parts.push(format!(
            "{} answers came after their try was given up (a slow resolver; they were taken)",
            d.late
        ));
    }
    if parts.is_empty() {
        return None;
    }
    let secs = (report.elapsed_ms / 1000.0).max(0.001);
    Some(format!(
        "note: {}; the run averaged {:.0} queries/s",
        parts.join("; "),
        d.sent as f64 / secs
    ))
}

/// Milliseconds rounded to one decimal, as the JSON's `elapsed_ms` (so formats agree).
fn millis(elapsed: std::time::Duration) -> f64 {
    (elapsed.as_secs_f64() * 10_000.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(worst: Option<Severity>) -> DomainReport {
        DomainReport {
            domain: "example.com".into(),
            worst,
            findings: worst
                .map(|s| {
                    // Any severity on any code: what is judged here is the threshold.
                    let code = crate::report::catalogue::all()[0];
                    let mut f = crate::report::Finding::new(code, "example.com", "m");
                    f.severity = s;
                    f
                })
                .into_iter()
                .collect(),
            facts: Default::default(),
            queries: Vec::new(),
            elapsed_ms: 0.0,
            baseline: None,
        }
    }

    #[test]
    fn baseline_known_findings_do_not_fail() {
        let mut d = domain(Some(Severity::Error));
        d.findings[0].baseline = Some(crate::report::finding::BaselineState::Known);
        assert!(!domain_fails("error", &d));
        d.findings[0].baseline = Some(crate::report::finding::BaselineState::New);
        assert!(domain_fails("error", &d));
    }

    #[test]
    fn fail_on_thresholds() {
        assert!(domain_fails("error", &domain(Some(Severity::Error))));
        assert!(!domain_fails("error", &domain(Some(Severity::Warning))));
        assert!(domain_fails("warning", &domain(Some(Severity::Warning))));
        assert!(!domain_fails("warning", &domain(Some(Severity::Note))));
        assert!(!domain_fails("never", &domain(Some(Severity::Error))));
        assert!(!domain_fails("error", &domain(None)));
    }

    #[test]
    fn plurals() {
        assert_eq!(counts(1, 0, 2), "1 error, 0 warnings, 2 notes");
    }

    #[test]
    fn a_run_the_resolver_slowed_says_what_it_did() {
        let mut report = Report::new("dns", "error");
        report.elapsed_ms = 2000.0;
        assert_eq!(dns_note(&report), None);
        report.dns.sent = 1000;
        report.dns.lost = 100;
        report.dns.retransmissions = 98;
        assert_eq!(
            dns_note(&report).as_deref(),
            Some(
                "note: the resolver left 10.0% of tries unanswered (100 of 1000; 98 sent again, fewer at a time); the run averaged 500 queries/s"
            )
        );
        // Tries answered late were not dropped: only the rest count as unanswered.
        report.dns.late = 96;
        assert_eq!(
            dns_note(&report).as_deref(),
            Some(
                "note: 96 answers came after their try was given up (a slow resolver; they were taken); the run averaged 500 queries/s"
            )
        );
        // A stray loss is not worth a note.
        report.dns.late = 0;
        report.dns.lost = 1;
        assert_eq!(dns_note(&report), None);
    }
}
