//! `--format junit`: JUnit XML for CI test-report views. A test suite per domain, a
//! test case per finding code raised there (several findings of one code share a case);
//! errors and warnings are failures, notes pass with their text in `system-out`, and a
//! clean domain has one passing "no findings" case.

use super::domain_counts;
use super::text::evidence_line;
use crate::report::Severity;
use crate::report::finding::Finding;
use crate::report::model::{DomainReport, Report};
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let suites: Vec<Suite> = report.targets.iter().map(suite).collect();
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">",
        escape(&format!("mailpreflight {}", report.command))
    );
    for suite in &suites {
        suite.write(&mut out);
    }
    out.push_str("</testsuites>\n");
    out
}

struct Suite<'a> {
    domain: &'a DomainReport,
    cases: Vec<Case<'a>>,
}

struct Case<'a> {
    name: &'a str,
    findings: Vec<&'a Finding>,
}

impl Case<'_> {
    /// The worst severity among this code's findings (none for the "no findings" case).
    fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    fn failed(&self) -> bool {
        self.worst().is_some_and(|s| s >= Severity::Warning)
    }
}

fn suite(domain: &DomainReport) -> Suite<'_> {
    let mut cases: Vec<Case> = Vec::new();
    for finding in &domain.findings {
        match cases.iter_mut().find(|c| c.name == finding.code.id) {
            Some(case) => case.findings.push(finding),
            None => cases.push(Case {
                name: finding.code.id,
                findings: vec![finding],
            }),
        }
    }
    if cases.is_empty() {
        cases.push(Case {
            name: "no findings",
            findings: Vec::new(),
        });
    }
    Suite { domain, cases }
}

impl Suite<'_> {
    fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.failed()).count()
    }

    fn write(&self, out: &mut String) {
        let domain = escape(&self.domain.domain);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{domain}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            self.cases.len(),
            self.failures()
        );
        let _ = writeln!(
            out,
            "    <properties><property name=\"counts\" value=\"{}\"/></properties>",
            escape(&domain_counts(self.domain))
        );
        for case in &self.cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{domain}\"",
                escape(case.name)
            );
            let Some(worst) = case.worst() else {
                out.push_str("/>\n");
                continue;
            };
            out.push_str(">\n");
            let details = escape_text(&details(&case.findings));
            if case.failed() {
                let first = case.findings.first().map_or("", |f| f.message.as_str());
                let _ = writeln!(
                    out,
                    "      <failure type=\"{worst}\" message=\"{}\">{details}</failure>",
                    escape(first)
                );
            } else {
                let _ = writeln!(out, "      <system-out>{details}</system-out>");
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
}

/// Every finding of one code: severity, subject, message, fix and evidence.
fn details(findings: &[&Finding]) -> String {
    let mut text = String::new();
    for f in findings {
        let allowed = if f.allowed { " (allowed)" } else { "" };
        let _ = writeln!(
            text,
            "{}{allowed}: {}: {}",
            f.severity, f.subject, f.message
        );
        if !f.remediation.is_empty() {
            let _ = writeln!(text, "  fix: {}", f.remediation);
        }
        for evidence in &f.evidence {
            let _ = writeln!(text, "  evidence: {}", evidence_line(evidence));
        }
    }
    text
}

/// Escape for XML 1.0 text and attribute values. Characters XML 1.0 cannot carry at
/// all (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF), which hostile DNS data may
/// contain, become U+FFFD; tab, LF and CR are written as character references so that
/// attribute values keep them.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// As [`escape`], for element content: tab and newline stay as they are (readable in
/// the file; only attribute values need them as references).
pub fn escape_text(s: &str) -> String {
    escape(s).replace("&#9;", "\t").replace("&#10;", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
        assert_eq!(escape("a\u{1b}b\u{0}c"), "a\u{fffd}b\u{fffd}c");
        assert_eq!(escape("x\ty\nz\r"), "x&#9;y&#10;z&#13;");
        assert_eq!(escape("é\u{ffff}"), "é\u{fffd}");
        assert_eq!(escape("plain.example"), "plain.example");
        assert_eq!(escape_text("a\tb\nc\r<"), "a\tb\nc&#13;&lt;");
    }
}
