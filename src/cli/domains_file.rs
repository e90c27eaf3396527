//! `--domains-file`: one domain a line, optionally followed by the DKIM selectors that
//! domain signs with (`example.com s1,s2`). `#` starts a comment; blank lines are skipped.
//! A line the tool cannot use is an input error naming the file, line and column.

use super::settings::{InputError, input_error};
use crate::dns::name;

/// At most this many domains from one file: a bound on hostile or mistaken input.
const MAX_DOMAINS: usize = 1_000_000;
/// At most this many selectors on one line: each costs a DNS question for that domain.
pub const MAX_SELECTORS_PER_DOMAIN: usize = 64;

#[derive(Debug, PartialEq, Eq)]
pub struct DomainLine {
    /// A-label form, lower-case, no trailing dot.
    pub domain: String,
    /// The selectors given on the line (lower-case, deduplicated, in order); empty when none.
    pub selectors: Vec<String>,
}

/// `file` names the source in messages (`-` for standard input).
pub fn parse(text: &str, file: &str) -> Result<Vec<DomainLine>, InputError> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let at = |byte: usize, message: String| {
            let column = line[..byte].chars().count() + 1;
            input_error(format!("{file}:{}:{column}: {message}", index + 1))
        };
        let entry = line.split('#').next().unwrap_or("");
        let Some(domain_start) = entry.find(|c: char| !c.is_whitespace()) else {
            continue;
        };
        if out.len() >= MAX_DOMAINS {
            return Err(input_error(format!(
                "{file}:{}: more than {MAX_DOMAINS} domains",
                index + 1
            )));
        }
        let domain_len = entry[domain_start..]
            .find(char::is_whitespace)
            .unwrap_or(entry.len() - domain_start);
        let domain_end = domain_start + domain_len;
        let domain = name::parse_target_domain(&entry[domain_start..domain_end])
            .map_err(|e| at(domain_start, e))?;
        let selectors = selectors(entry, domain_end, &at)?;
        out.push(DomainLine { domain, selectors });
    }
    Ok(out)
}

/// The selector list after the domain: items separated by commas and/or blanks
/// (`s1,s2`, `s1, s2`, `s1 s2`). An empty item between commas is an error at its comma.
fn selectors(
    entry: &str,
    from: usize,
    at: &impl Fn(usize, String) -> InputError,
) -> Result<Vec<String>, InputError> {
    let rest = &entry[from..];
    let mut out: Vec<String> = Vec::new();
    if rest.trim().is_empty() {
        return Ok(out);
    }
    let mut piece_start = from;
    for (piece_index, piece) in rest.split(',').enumerate() {
        // The comma before this piece (none before the first).
        let comma = piece_start.saturating_sub(1);
        if piece.trim().is_empty() {
            let where_ = if piece_index == 0 {
                from + rest.find(',').unwrap_or(0)
            } else {
                comma
            };
            return Err(at(
                where_,
                "an empty selector in the list (write `DOMAIN s1,s2`)".into(),
            ));
        }
        let mut offset = 0;
        for item in piece.split_whitespace() {
            let item_at = piece_start + offset + piece[offset..].find(item).unwrap_or(0);
            offset = item_at - piece_start + item.len();
            let selector = item.to_ascii_lowercase();
            check_selector(&selector)
                .map_err(|e| at(item_at, format!("selector \"{item}\": {e}")))?;
            if !out.contains(&selector) {
                if out.len() >= MAX_SELECTORS_PER_DOMAIN {
                    return Err(at(
                        item_at,
                        format!("more than {MAX_SELECTORS_PER_DOMAIN} selectors for one domain"),
                    ));
                }
                out.push(selector);
            }
        }
        piece_start += piece.len() + 1;
    }
    Ok(out)
}

/// RFC 6376 3.1: a selector is dot-separated sub-domains (letters, digits, hyphens);
/// underscores are accepted too, as DNS itself and some providers allow them.
fn check_selector(selector: &str) -> Result<(), String> {
    if let Some(bad) = selector
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "'{bad}' is not allowed (letters, digits, '-', '_' and '.')"
        ));
    }
    name::validate_dns_name(selector).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(domain: &str, selectors: &[&str]) -> DomainLine {
        DomainLine {
            domain: domain.into(),
            selectors: selectors.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn domains_with_and_without_selectors() {
        let text = "# batch\n\nexample.com s1,S2\n  other.test  # no selectors\nthird.test k1, mandrill  20230601 # three\nBücher.example sig1\n";
        assert_eq!(
            parse(text, "d.txt").unwrap(),
            vec![
                line("example.com", &["s1", "s2"]),
                line("other.test", &[]),
                line("third.test", &["k1", "mandrill", "20230601"]),
                line("xn--bcher-kva.example", &["sig1"]),
            ]
        );
        assert_eq!(
            parse("a.test s1,s1 s1\n", "d").unwrap(),
            vec![line("a.test", &["s1"])]
        );
    }

    #[test]
    fn a_malformed_line_names_file_line_and_column() {
        for (text, want) in [
            ("ok.test\nbad..domain s1\n", "d.txt:2:1: "),
            ("  a.test s1,,s2\n", "d.txt:1:12: an empty selector"),
            ("a.test s1,\n", "d.txt:1:10: an empty selector"),
            ("a.test ,s1\n", "d.txt:1:8: an empty selector"),
            ("a.test s1,b_d!\n", "d.txt:1:11: selector \"b_d!\""),
            ("é.test s1 s%\n", "d.txt:1:11: selector \"s%\""),
            (
                "a.test s1, s2 ,  bad..sel\n",
                "d.txt:1:18: selector \"bad..sel\"",
            ),
        ] {
            let err = parse(text, "d.txt").unwrap_err().0;
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
        let many: Vec<String> = (0..=MAX_SELECTORS_PER_DOMAIN)
            .map(|i| format!("s{i}"))
            .collect();
        let err = parse(&format!("a.test {}\n", many.join(",")), "d")
            .unwrap_err()
            .0;
        assert!(err.contains("more than 64 selectors"), "{err}");
    }
}
