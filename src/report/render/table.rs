//! `--format table`: what a person reads in a terminal. Per domain: a heading with the
//! verdict, the findings as a table, then the facts (the SPF include tree, lookup
//! headroom, DKIM keys, DMARC policy, MX hosts); with `-v` also evidence, details of
//! notes, and the DNS query log. Colour only when asked, and then written by us (not by
//! the terminal library, which would consult the environment): rendering stays pure.

use super::facts::{self, Item};
use super::text::{self, BOLD, GREEN, RED, YELLOW, evidence_line, paint, printable};
use super::{RenderOptions, domain_counts, domain_fails, summary_line};
use crate::dns::{LoggedQuery, Source};
use crate::report::model::{DomainReport, Report};
use crate::report::{Finding, Severity};
use comfy_table::presets::{UTF8_FULL, UTF8_FULL_CONDENSED};
use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table, Width};
use std::fmt::Write;

const DEFAULT_WIDTH: u16 = 100;
/// Tables narrower than this become unreadable; a tiny `--width` is raised to it.
const MIN_WIDTH: u16 = 40;

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    if let Some(audit) = &report.audit {
        let (headline, lines) = super::audit_facts::summary(audit);
        let style = match headline.as_str() {
            "READY" => GREEN,
            "NOT READY" => RED,
            _ => YELLOW,
        };
        out.push_str(&paint(&headline, &format!("{BOLD}{style}"), opts.color));
        out.push('\n');
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
        out.push('\n');
        if let Some(rows) = super::audit_facts::requirement_rows(audit) {
            let title = super::audit_facts::requirements_title(audit);
            let _ = writeln!(out, "{}", paint(&title, BOLD, opts.color));
            out.push_str(&requirements_table(&rows, opts));
            out.push_str("\n\n");
        }
    }
    for domain in &report.targets {
        render_domain(&mut out, report, domain, opts);
        out.push('\n');
    }
    let line = summary_line(report);
    let style = if report.summary.failed { RED } else { GREEN };
    out.push_str(&paint(&line, &format!("{BOLD}{style}"), opts.color));
    out.push('\n');
    if let Some(note) = super::dns_note(report) {
        let _ = writeln!(out, "{note}");
    }
    if opts.verbose {
        let d = &report.dns;
        let _ = writeln!(
            out,
            "dns: {} lookups, {} upstream, {} from cache; {:.0} ms",
            d.lookups, d.upstream, d.cache_hits, report.elapsed_ms
        );
    }
    out
}

fn render_domain(out: &mut String, report: &Report, domain: &DomainReport, opts: &RenderOptions) {
    let fails = domain_fails(&report.fail_on, domain);
    let verdict = if fails {
        paint("FAIL", RED, opts.color)
    } else {
        paint("ok", GREEN, opts.color)
    };
    let name = paint(&printable(&domain.domain), BOLD, opts.color);
    let _ = writeln!(out, "{name} — {} — {verdict}", domain_counts(domain));

    if domain.findings.is_empty() {
        out.push_str("  no findings\n");
    } else {
        out.push_str(&findings_table(&domain.findings, opts));
        out.push('\n');
    }
    if let Some(b) = &domain.baseline {
        let _ = writeln!(out, "  {}", paint("Baseline", BOLD, opts.color));
        for line in super::baseline_facts::lines(b) {
            let _ = writeln!(out, "    {line}");
        }
    }

    for section in facts::sections(&domain.facts) {
        let _ = writeln!(out, "  {}", paint(section.title, BOLD, opts.color));
        for item in section.items {
            match item {
                Item::Line(line) => {
                    let _ = writeln!(out, "    {line}");
                }
                Item::Block(lines) => {
                    for line in lines {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
        }
    }

    if opts.verbose {
        let _ = writeln!(
            out,
            "  {} ({}, {:.0} ms)",
            paint("DNS queries", BOLD, opts.color),
            domain.queries.len(),
            domain.elapsed_ms
        );
        if !domain.queries.is_empty() {
            out.push_str(&query_table(&domain.queries, opts));
            out.push('\n');
        }
    }
}

fn new_table(opts: &RenderOptions) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(opts.width.unwrap_or(DEFAULT_WIDTH).max(MIN_WIDTH));
    table
}

fn findings_table(findings: &[Finding], opts: &RenderOptions) -> String {
    let mut table = new_table(opts);
    table.set_header(vec!["severity", "code / subject", "finding / fix"]);
    for finding in findings {
        let mut severity = finding.severity.as_str().to_string();
        if finding.baseline == Some(crate::report::finding::BaselineState::Known) {
            severity.push_str("\n(known)");
        }
        if finding.allowed {
            severity.push_str("\n(allowed)");
        }
        let what = format!("{}\n{}", finding.code.id, printable(&finding.subject));
        let mut detail = printable(&finding.message).into_owned();
        // Notes are brief unless -v: they are facts worth knowing, not work to do.
        if (finding.severity != Severity::Note || opts.verbose) && !finding.remediation.is_empty() {
            let _ = write!(detail, "\n→ {}", printable(&finding.remediation));
        }
        if opts.verbose {
            for evidence in &finding.evidence {
                let _ = write!(detail, "\n• {}", evidence_line(evidence));
            }
        }
        table.add_row(vec![
            Cell::new(severity),
            Cell::new(what),
            Cell::new(detail),
        ]);
    }
    // The severity column keeps its word on one line; the code column fits most ids.
    let constraints = [
        ColumnConstraint::Absolute(Width::Fixed(11)),
        ColumnConstraint::LowerBoundary(Width::Fixed(20)),
    ];
    for (column, constraint) in table.column_iter_mut().zip(constraints) {
        column.set_constraint(constraint);
    }
    let rendered = table.to_string();
    if opts.color {
        color_severity_cells(&rendered)
    } else {
        rendered
    }
}

/// Colour the severity word at the start of each row. The table is laid out without
/// escape codes (so widths stay right), then the first cell of each row is painted:
/// with the UTF8_FULL preset a row line starts with `│ ` and the severity word.
fn color_severity_cells(rendered: &str) -> String {
    let mut out = String::with_capacity(rendered.len() + 64);
    for (i, line) in rendered.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let painted = line.strip_prefix("│ ").and_then(|rest| {
            [Severity::Error, Severity::Warning, Severity::Note]
                .into_iter()
                .find(|s| {
                    rest.strip_prefix(s.as_str())
                        .is_some_and(|after| after.starts_with(' '))
                })
                .map(|s| {
                    let word = s.as_str();
                    format!(
                        "│ {}{}",
                        paint(word, text::severity_color(s), true),
                        &rest[word.len()..]
                    )
                })
        });
        out.push_str(painted.as_deref().unwrap_or(line));
    }
    out
}

fn requirements_table(rows: &[[String; 4]], opts: &RenderOptions) -> String {
    let mut table = new_table(opts);
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec!["record", "expected", "found", "status"]);
    for row in rows {
        table.add_row(row.iter().map(Cell::new).collect::<Vec<_>>());
    }
    table.to_string()
}

fn query_table(queries: &[LoggedQuery], opts: &RenderOptions) -> String {
    let mut table = new_table(opts);
    // One line per query: no separators between rows.
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec!["name", "type", "outcome", "source", "cached", "ms"]);
    for query in queries {
        let answer = &query.answer;
        let source = match &answer.source {
            Source::Zone { file } => format!("zone {}", printable(file)),
            Source::Network => "network".to_string(),
        };
        table.add_row(vec![
            Cell::new(printable(&answer.name)),
            Cell::new(answer.rtype.as_str()),
            Cell::new(printable(&answer.outcome.label())),
            Cell::new(source),
            Cell::new(if query.cached { "yes" } else { "no" }),
            Cell::new(format!("{:.1}", super::millis(answer.elapsed))),
        ]);
    }
    table.to_string()
}
