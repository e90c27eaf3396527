//! Template rendering exactly as Logto's connector kit does it: `{{ key }}` (whitespace
//! allowed inside the braces) is replaced by the payload's value for `key`; a placeholder
//! with no value in the payload stays in the mail literally.

use std::collections::BTreeMap;

/// A template's placeholders, in order of appearance (keys as written, without braces).
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    scan(template, |key, _| {
        if seen.insert(key.to_string()) {
            out.push(key.to_string());
        }
        None
    });
    out
}

/// Renders `template` with `payload`. Bounded: one pass, output grows by the values only.
pub fn render(template: &str, payload: &BTreeMap<String, String>) -> String {
    scan(template, |key, _| payload.get(key).cloned())
}

/// Walks `{{ key }}` occurrences; `replace` returns the replacement, or `None` to keep the
/// placeholder as written. Keys are word characters and dots (`{{ user.name }}`).
fn scan(template: &str, mut replace: impl FnMut(&str, &str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let parsed = placeholder_at(after);
        match parsed {
            Some((key, end)) => {
                let whole = &rest[start..start + 2 + end + 2];
                match replace(key, whole) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(whole),
                }
                rest = &after[end + 2..];
            }
            None => {
                // Not a placeholder here; one may start at the next brace (`{{{code}}}`).
                out.push('{');
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// After `{{`: white space, a key (word characters and dots), white space, `}}` → the key
/// and the length before the `}}`. Reads only as far as the key runs (a search for the
/// next `}}` from every `{{` made a run of braces quadratic: 10 s for 500 KB of `{`).
fn placeholder_at(after: &str) -> Option<(&str, usize)> {
    let key_start = after.len() - after.trim_start().len();
    let key_len = after[key_start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(after.len() - key_start);
    if key_len == 0 {
        return None;
    }
    let key_end = key_start + key_len;
    let tail = &after[key_end..];
    let end = key_end + (tail.len() - tail.trim_start().len());
    after[end..]
        .starts_with("}}")
        .then(|| (&after[key_start..key_end], end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> BTreeMap<String, String> {
        [
            ("code".to_string(), "123456".to_string()),
            ("locale".to_string(), "en".to_string()),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn replaces_like_logto() {
        let p = payload();
        assert_eq!(render("Code: {{code}}", &p), "Code: 123456");
        assert_eq!(render("Code: {{  code }}!", &p), "Code: 123456!");
        assert_eq!(render("{{code}}{{code}} {{locale}}", &p), "123456123456 en");
        // No value: left literally, as the real connector leaves it.
        assert_eq!(render("Hi {{name}}, {{code}}", &p), "Hi {{name}}, 123456");
        // Not placeholders at all.
        assert_eq!(render("{{ }} {{a b}} {{code", &p), "{{ }} {{a b}} {{code");
        assert_eq!(render("{{{code}}}", &p), "{123456}");
        assert_eq!(render("{{\tcode\n}} {{code }x}}", &p), "123456 {{code }x}}");
    }

    #[test]
    fn a_run_of_braces_is_read_once() {
        // 500,000 braces took 10 s when each `{{` searched the rest for `}}`.
        let braces = "{".repeat(500_000);
        let started = std::time::Instant::now();
        let text = format!("{braces}{{{{code}}}}");
        assert_eq!(render(&text, &payload()), format!("{braces}123456"));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn lists_placeholders() {
        assert_eq!(
            placeholders("{{code}} {{ link }} {{code}} {{x.y}}"),
            ["code", "link", "x.y"]
        );
        assert!(placeholders("no braces").is_empty());
    }
}
