//! Text helpers shared by the human formats: making hostile DNS data safe to print,
//! and ANSI colour.

use crate::report::Severity;
use std::borrow::Cow;

/// DNS data is attacker-controlled (a TXT record can hold ESC, CR, or a bidi override
/// that reorders what the reader sees): show such characters as `\u{..}` escapes instead
/// of letting them reach the terminal or the Markdown.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width spaces and marks, LRM/RLM
            | '\u{2028}'..='\u{202e}' // separators and bidi embeddings/overrides
            | '\u{2060}'..='\u{2069}' // word joiner, bidi isolates
            | '\u{feff}')
}

pub const RESET: &str = "\x1b[0m";
pub const BOLD: &str = "\x1b[1m";
pub const RED: &str = "\x1b[31m";
pub const GREEN: &str = "\x1b[32m";
pub const YELLOW: &str = "\x1b[33m";
pub const CYAN: &str = "\x1b[36m";

pub fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => RED,
        Severity::Warning => YELLOW,
        Severity::Note => CYAN,
    }
}

/// Wrap `text` in `style` … reset when colour is on; the text unchanged otherwise.
pub fn paint(text: &str, style: &str, color: bool) -> String {
    if color {
        format!("{style}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// One line describing a piece of evidence, DNS data made printable.
pub fn evidence_line(evidence: &crate::report::Evidence) -> String {
    use crate::report::Evidence;
    match evidence {
        Evidence::DnsAnswer {
            name,
            rtype,
            outcome,
            data,
        } => {
            let mut line = format!(
                "{} {} {}",
                printable(name),
                printable(rtype),
                printable(outcome)
            );
            if !data.is_empty() {
                line.push_str(": ");
                line.push_str(&printable(&data.join(" | ")));
            }
            line
        }
        Evidence::Record { name, text, span } => {
            let mut line = format!("{}: {}", printable(name), printable(text));
            if let Some((start, end)) = span
                && let Some(part) = text.get(*start..*end)
            {
                line.push_str(&format!(" (bytes {start}..{end}: {})", printable(part)));
            }
            line
        }
        Evidence::Chain { names } => {
            let names: Vec<_> = names.iter().map(|n| printable(n).into_owned()).collect();
            format!("chain: {}", names.join(" → "))
        }
        Evidence::Value { label, value } => format!("{}: {}", printable(label), printable(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(printable("v=spf1 -all"), "v=spf1 -all");
        assert_eq!(printable("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(printable("x\r\ny"), "x\\u{d}\\u{a}y");
        assert_eq!(printable("ab\u{202e}cd"), "ab\\u{202e}cd");
        assert_eq!(printable("é ü"), "é ü");
    }

    #[test]
    fn paint_only_with_color() {
        assert_eq!(paint("x", RED, false), "x");
        assert_eq!(paint("x", RED, true), "\x1b[31mx\x1b[0m");
    }
}
