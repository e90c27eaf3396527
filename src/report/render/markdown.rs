//! `--format markdown`: GitHub-flavoured Markdown for a pull-request comment or a CI
//! job summary. Every value from DNS is escaped: a TXT record must not be able to
//! break the table (`|`), start a link, or inject HTML.

use super::facts::{self, Item};
use super::text::{evidence_line, printable};
use super::{RenderOptions, domain_counts, domain_fails, summary_line};
use crate::report::Severity;
use crate::report::model::{DomainReport, Report};
use std::fmt::Write;

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let mut out = String::from("# mailpreflight report\n\n");
    let _ = writeln!(out, "**{}**\n", escape(&summary_line(report)));
    if let Some(audit) = &report.audit {
        let (headline, lines) = super::audit_facts::summary(audit);
        let _ = writeln!(out, "## {}\n", escape(&headline));
        for l in lines {
            let _ = writeln!(out, "- {}", escape(l.trim_start()));
        }
        out.push('\n');
        if let Some(rows) = super::audit_facts::requirement_rows(audit) {
            let title = super::audit_facts::requirements_title(audit);
            let _ = writeln!(out, "### {}\n", escape(&title));
            out.push_str("| record | expected | found | status |\n|---|---|---|---|\n");
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| escape(c)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            out.push('\n');
        }
    }
    for domain in &report.targets {
        render_domain(&mut out, report, domain, opts);
    }
    if let Some(note) = super::dns_note(report) {
        let _ = writeln!(out, "> {}", escape(&note));
    }
    out
}

fn render_domain(out: &mut String, report: &Report, domain: &DomainReport, opts: &RenderOptions) {
    let verdict = if domain_fails(&report.fail_on, domain) {
        "FAIL"
    } else {
        "ok"
    };
    let _ = writeln!(
        out,
        "## {} — {verdict}\n\n{}\n",
        escape(&domain.domain),
        domain_counts(domain)
    );
    if domain.findings.is_empty() {
        out.push_str("No findings.\n\n");
    } else {
        out.push_str("| severity | code | subject | finding | fix |\n");
        out.push_str("|---|---|---|---|---|\n");
        for f in &domain.findings {
            let mut severity = f.severity.as_str().to_string();
            if f.allowed {
                severity.push_str(" (allowed)");
            }
            if f.baseline == Some(crate::report::finding::BaselineState::Known) {
                severity.push_str(" (known)");
            }
            let mut message = escape(&f.message);
            if opts.verbose {
                for evidence in &f.evidence {
                    let _ = write!(message, "<br>• {}", escape(&evidence_line(evidence)));
                }
            }
            let fix = if f.severity == Severity::Note && !opts.verbose {
                String::new()
            } else {
                escape(&f.remediation)
            };
            let _ = writeln!(
                out,
                "| {severity} | `{}` | {} | {message} | {fix} |",
                f.code.id,
                escape(&f.subject),
            );
        }
        out.push('\n');
    }
    if let Some(b) = &domain.baseline {
        out.push_str("### Baseline\n\n");
        for line in super::baseline_facts::lines(b) {
            let _ = writeln!(out, "- {}", escape(line.trim_start()));
        }
        out.push('\n');
    }
    for section in facts::sections(&domain.facts) {
        let _ = writeln!(out, "### {}\n", section.title);
        for item in section.items {
            match item {
                // The facts text is already printable; escape the Markdown in it.
                Item::Line(line) => {
                    let _ = writeln!(out, "- {}", escape(&line));
                }
                Item::Block(lines) => {
                    let body = lines.join("\n");
                    let fence = fence_for(&body);
                    let _ = writeln!(out, "\n{fence}text\n{body}\n{fence}\n");
                }
            }
        }
        out.push('\n');
    }
    if opts.verbose && !domain.queries.is_empty() {
        let _ = writeln!(out, "### DNS queries\n");
        out.push_str("| name | type | outcome | cached | ms |\n|---|---|---|---|---|\n");
        for q in &domain.queries {
            let a = &q.answer;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.1} |",
                escape(&a.name),
                a.rtype,
                escape(&a.outcome.label()),
                if q.cached { "yes" } else { "no" },
                super::millis(a.elapsed)
            );
        }
        out.push('\n');
    }
}

/// Escape text for a Markdown table cell or list item: backslash-escape the characters
/// that start emphasis, code, links, HTML, headings or break a table; newlines (already
/// made visible by `printable`) cannot end the cell.
pub fn escape(s: &str) -> String {
    let s = printable(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '&' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code fence longer than any backtick run in the body, so the body cannot close it.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_table_breaking_and_markup_characters() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("<script>"), "\\<script\\>");
        assert_eq!(escape("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(escape("v=spf1 -all"), "v=spf1 -all");
        assert_eq!(escape("a\nb"), "a\\\\u{a}b");
    }

    #[test]
    fn fence_outgrows_backtick_runs() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
