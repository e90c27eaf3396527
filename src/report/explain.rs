//! `mailpreflight explain CODE`, `explain --list`, and the docs page docs/codes.md, all
//! generated from the code catalogue so that they cannot drift from it.

use super::catalogue;
use super::finding::{Area, CodeInfo};
use std::fmt::Write;

/// Terminal text is wrapped at this many columns.
const WRAP: usize = 80;

/// The full text for one code.
pub fn explain(code: &CodeInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", code.id);
    let _ = writeln!(out, "  area:             {}", code.area.title());
    let _ = writeln!(out, "  default severity: {}", code.default_severity);
    for c in code.contexts {
        let line = wrap(&format!("{} when {}", c.severity, c.when), WRAP - 20);
        let _ = writeln!(
            out,
            "                    {}",
            line.replace('\n', "\n                      ")
        );
    }
    let _ = writeln!(out, "  reference:        {}", code.reference);
    let _ = writeln!(out, "\n{}", wrap(code.summary, WRAP));
    let _ = writeln!(out, "\nHow to fix:\n{}", wrap(code.remediation, WRAP));
    let _ = writeln!(out, "\nPolicy:");
    let _ = writeln!(
        out,
        "  --allow {}\n      keep it in the report as a note; it never fails the run",
        code.id
    );
    let _ = writeln!(out, "  --deny {}\n      raise it to an error", code.id);
    out
}

/// `note`, or `note/warning` for a code a check also raises at another severity (the
/// default first).
fn severities(code: &CodeInfo) -> String {
    let mut out = code.default_severity.as_str().to_string();
    for c in code.contexts {
        if !out.split('/').any(|s| s == c.severity.as_str()) {
            out.push('/');
            out.push_str(c.severity.as_str());
        }
    }
    out
}

/// Every code, one per line, grouped by area: `  id  severities  summary`.
pub fn list() -> String {
    let groups = grouped();
    let width = groups
        .iter()
        .flat_map(|(_, codes)| codes.iter().map(|c| c.id.len()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, (area, codes)) in groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", area.title());
        for code in codes {
            let _ = writeln!(
                out,
                "  {:width$}  {:13}  {}",
                code.id,
                severities(code),
                code.summary
            );
        }
    }
    out
}

/// docs/codes.md. Regenerate with `UPDATE_DOCS=1 cargo test --test render_docs`.
pub fn codes_markdown() -> String {
    let groups = grouped();
    let mut out = String::from(
        "# Finding codes\n\n\
         <!-- Generated from the code catalogue by `UPDATE_DOCS=1 cargo test --test render_docs`; do not edit by hand. -->\n\n\
         Every finding mailpreflight reports has one of these stable codes. \
         `mailpreflight explain CODE` prints the same text in the terminal, and \
         `mailpreflight explain --list` lists them all.\n\n\
         Severity policy: `--allow CODE` keeps a finding in the report as a note that never fails \
         the run; `--deny CODE` raises it to an error; `--fail-on error|warning|never` decides \
         which severity fails the run (exit code 1). A check raises a code at its default \
         severity except in the occurrences listed under it (\"**warning** when ...\"), and never \
         at another: a test runs every fixture and compares each finding's severity with this \
         page.\n\n",
    );
    for (area, codes) in &groups {
        let ids: Vec<String> = codes
            .iter()
            .map(|c| format!("[`{0}`](#{0})", c.id))
            .collect();
        let _ = writeln!(
            out,
            "- [{}](#{}): {}",
            area.title(),
            area_anchor(*area),
            ids.join(", ")
        );
    }
    for (area, codes) in &groups {
        let _ = writeln!(
            out,
            "\n<a id=\"{}\"></a>\n\n## {}\n",
            area_anchor(*area),
            area.title()
        );
        for code in codes {
            let _ = writeln!(out, "<a id=\"{0}\"></a>\n\n### `{0}`\n", code.id);
            let _ = writeln!(out, "- Default severity: **{}**", code.default_severity);
            for c in code.contexts {
                let _ = writeln!(out, "- **{}** when {}", c.severity, markdown_text(c.when));
            }
            let _ = writeln!(out, "- Reference: {}\n", code.reference);
            let _ = writeln!(out, "{}\n", markdown_text(code.summary));
            let _ = writeln!(out, "**How to fix:** {}\n", markdown_text(code.remediation));
        }
    }
    // One trailing newline, however the last section ended.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// Greedy word wrap; a word longer than the width gets a line of its own.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_len = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

/// Catalogue text in Markdown: `<selector>` outside a code span would be swallowed as
/// an HTML tag, so angle brackets are written as entities there; code spans are kept.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `area-spf`, `area-mta-sts`: from the area's serialised (kebab-case) name.
fn area_anchor(area: Area) -> String {
    let name = serde_json::to_value(area)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{area:?}").to_lowercase());
    format!("area-{name}")
}

/// Codes grouped by area in the areas' order, catalogue order within an area.
fn grouped() -> Vec<(Area, Vec<&'static CodeInfo>)> {
    let mut groups: Vec<(Area, Vec<&'static CodeInfo>)> = Vec::new();
    for code in catalogue::all() {
        match groups.iter_mut().find(|(area, _)| *area == code.area) {
            Some((_, codes)) => codes.push(code),
            None => groups.push((code.area, vec![code])),
        }
    }
    groups.sort_by_key(|(area, _)| *area);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_names_everything_a_user_needs() {
        let code = &crate::dns::codes::DNS_TIMEOUT;
        let text = explain(code);
        // Wrapped text: compare with whitespace normalised.
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for long in [code.summary, code.remediation] {
            assert!(flat.contains(long), "missing {long:?} in\n{text}");
        }
        assert!(text.lines().all(|l| l.chars().count() <= WRAP), "{text}");
        for part in [
            code.id,
            code.reference,
            "default severity: error",
            "DNS lookups",
            "--allow dns-timeout",
            "--deny dns-timeout",
        ] {
            assert!(text.contains(part), "missing {part:?} in\n{text}");
        }
    }

    #[test]
    fn list_has_every_code_once_under_its_area() {
        let text = list();
        for code in catalogue::all() {
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| l.split_whitespace().next() == Some(code.id))
                .collect();
            assert_eq!(lines.len(), 1, "{}", code.id);
        }
        assert!(text.starts_with("DNS lookups\n"));
    }

    #[test]
    fn wrap_breaks_between_words() {
        assert_eq!(wrap("aa bb cc", 5), "aa bb\ncc");
        assert_eq!(wrap("a verylongword b", 4), "a\nverylongword\nb");
        assert_eq!(wrap("", 10), "");
    }

    #[test]
    fn angle_brackets_outside_code_spans_are_entities() {
        assert_eq!(
            markdown_text("publish <sel>._domainkey, e.g. `<sel>` & more"),
            "publish &lt;sel&gt;._domainkey, e.g. `<sel>` & more"
        );
    }

    #[test]
    fn codes_page_has_an_anchor_and_section_per_code() {
        let page = codes_markdown();
        for code in catalogue::all() {
            assert!(page.contains(&format!("<a id=\"{}\"></a>", code.id)));
            assert!(page.contains(&format!("### `{}`", code.id)));
            assert!(
                page.contains(&markdown_text(code.remediation)),
                "{}",
                code.id
            );
        }
        assert!(page.contains("<a id=\"area-dns\"></a>"));
    }
}
