//! Template checks (pure): what the user will actually receive from each template. Logto's
//! own required-usage-type rule is checked with the config (`config-template-missing`); these
//! look inside the templates.

use super::codes;
use super::render::placeholders;
use crate::config::model::Template;
use crate::dmarc::orgdomain::same_organization;
use crate::report::{Evidence, Finding};

/// Payload keys Logto fills (connector-kit's SendMessagePayload) and the context objects
/// newer Logto versions pass; anything else stays literally in the mail.
const KNOWN_KEYS: &[&str] = &["code", "link", "locale", "uiLocales"];
const KNOWN_PREFIXES: &[&str] = &["application.", "organization.", "user.", "inviter."];
/// Usage types whose mail exists to carry a passcode (OrganizationInvitation carries a link).
const LINK_USAGES: &[&str] = &["OrganizationInvitation"];

const MAX_SUBJECT_CHARS: usize = 100;
const MAX_TAGS: usize = 20_000;
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

fn finding(t: &Template, code: &'static crate::report::CodeInfo, message: String) -> Finding {
    Finding::new(code, t.path.clone(), message)
}

fn usage(t: &Template) -> &str {
    t.usage_type.as_deref().unwrap_or("(no usageType)")
}

/// Checks every template; `from_domain` is the organizational reference for links.
pub fn lint(templates: &[Template], from_domain: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in templates.iter().take(100) {
        let content = t.content.as_deref().unwrap_or("");
        let subject = t.subject.as_deref().unwrap_or("");
        let keys: Vec<String> = placeholders(content)
            .into_iter()
            .chain(placeholders(subject))
            .collect();
        let is_link_usage = LINK_USAGES.contains(&usage(t));
        if !is_link_usage && !keys.iter().any(|k| k == "code") {
            out.push(finding(
                t,
                &codes::MISSING_CODE,
                format!(
                    "the {} template has no {{{{code}}}}: the user gets no passcode",
                    usage(t)
                ),
            ));
        }
        for k in &keys {
            let known =
                KNOWN_KEYS.contains(&k.as_str()) || KNOWN_PREFIXES.iter().any(|p| k.starts_with(p));
            if !known {
                out.push(finding(t, &codes::UNKNOWN_PLACEHOLDER, format!("the {} template uses {{{{{k}}}}}, which Logto does not fill: it reaches the user literally", usage(t))));
            }
        }
        if subject.trim().is_empty() {
            out.push(finding(
                t,
                &codes::SUBJECT_EMPTY,
                format!("the {} template's subject is empty", usage(t)),
            ));
        } else if subject.chars().count() > MAX_SUBJECT_CHARS {
            out.push(finding(
                t,
                &codes::SUBJECT_LONG,
                format!(
                    "the {} template's subject has {} characters",
                    usage(t),
                    subject.chars().count()
                ),
            ));
        }
        if t.content_type.as_deref() == Some("text/html") {
            out.push(finding(
                t,
                &codes::HTML_NO_TEXT,
                format!(
                    "the {} template is HTML and Logto sends it without a text alternative",
                    usage(t)
                ),
            ));
            if let Err(why) = check_html(content) {
                out.push(finding(
                    t,
                    &codes::HTML_INVALID,
                    format!("the {} template's HTML: {why}", usage(t)),
                ));
            }
        }
        if let Some(from) = from_domain {
            for host in link_hosts(content) {
                if !same_organization(&host, from) {
                    out.push(
                        finding(
                            t,
                            &codes::FOREIGN_LINK,
                            format!("the {} template links to {host}, not to {from}", usage(t)),
                        )
                        .evidence(Evidence::Value {
                            label: "link-host".into(),
                            value: host,
                        }),
                    );
                }
            }
        }
    }
    out
}

/// Tag balance, bounded. Void elements, `/>`, comments, doctype and raw-text elements
/// (script, style) are understood; attributes are skipped, quotes respected.
pub fn check_html(html: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    let mut tags = 0;
    while let Some(open) = rest.find('<') {
        tags += 1;
        if tags > MAX_TAGS {
            return Err(format!("more than {MAX_TAGS} tags"));
        }
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            let end = after.find("-->").ok_or("an unclosed comment")?;
            rest = &after[end + 3..];
            continue;
        }
        if rest.starts_with('!') || rest.starts_with('?') {
            let end = rest.find('>').ok_or("an unclosed declaration")?;
            rest = &rest[end + 1..];
            continue;
        }
        let end = tag_end(rest).ok_or("an unclosed tag")?;
        let inner = &rest[..end];
        rest = &rest[end + 1..];
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            return Err(format!(
                "a stray '<' before \"{}\"",
                inner.chars().take(20).collect::<String>()
            ));
        }
        if closing {
            match stack.pop() {
                Some(top) if top == name => {}
                Some(top) => return Err(format!("</{name}> closes <{top}>")),
                None => return Err(format!("</{name}> closes nothing")),
            }
        } else if !VOID.contains(&name.as_str()) && !inner.ends_with('/') {
            if stack.len() >= 512 {
                return Err("nested deeper than 512 elements".into());
            }
            if name == "script" || name == "style" {
                // Raw text: skip to its end tag, which the next round pops.
                let close = format!("</{name}");
                // Searched in place: lower-casing the rest for each script made many
                // scripts quadratic in the template's size.
                let at = find_ascii_case_insensitive(rest, &close)
                    .ok_or(format!("<{name}> is never closed"))?;
                rest = &rest[at..];
            }
            stack.push(name);
        }
    }
    match stack.last() {
        // Browsers close these implicitly; mail clients too.
        Some(top)
            if !["p", "li", "td", "tr", "th", "html", "body", "head", "tbody"]
                .contains(&top.as_str()) =>
        {
            Err(format!("<{top}> is never closed"))
        }
        _ => Ok(()),
    }
}

/// Where `needle` (ASCII, lower-case) starts in `haystack`, ignoring ASCII case.
fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Hosts of the http(s) links in a template (href, src, or bare URLs), lower-cased, unique.
pub fn link_hosts(content: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    let lower = content.to_ascii_lowercase();
    for scheme in ["https://", "http://"] {
        for (at, _) in lower.match_indices(scheme).take(200) {
            let rest = &lower[at + scheme.len()..];
            let host: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .collect();
            let host = host.trim_end_matches('.').to_string();
            // `{{link}}` and friends are filled by Logto: not a host.
            if !host.is_empty() && host.contains('.') && !hosts.contains(&host) {
                hosts.push(host);
            }
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(usage: &str, ct: &str, subject: &str, content: &str) -> Template {
        Template {
            usage_type: Some(usage.into()),
            content_type: Some(ct.into()),
            subject: Some(subject.into()),
            content: Some(content.into()),
            path: format!("$.templates[{usage}]"),
        }
    }

    fn codes_of(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.code.id).collect()
    }

    #[test]
    fn a_clean_template_has_no_findings() {
        let f = lint(
            &[t(
                "SignIn",
                "text/plain",
                "Your code",
                "Code {{ code }}, see https://example.com/help",
            )],
            Some("example.com"),
        );
        assert!(f.is_empty(), "{:?}", codes_of(&f));
    }

    #[test]
    fn each_problem_is_named() {
        let f = lint(
            &[t(
                "SignIn",
                "text/plain",
                "",
                "Hi {{name}}, welcome https://evil.test/x",
            )],
            Some("example.com"),
        );
        assert_eq!(
            codes_of(&f),
            [
                "template-missing-code",
                "template-unknown-placeholder",
                "template-subject-empty",
                "template-foreign-link"
            ]
        );
        let f = lint(
            &[t(
                "Register",
                "text/html",
                &"x".repeat(101),
                "<p>{{code}}</div>",
            )],
            None,
        );
        assert_eq!(
            codes_of(&f),
            [
                "template-subject-long",
                "template-html-no-text",
                "template-html-invalid"
            ]
        );
        // An invitation carries a link, not a code.
        assert!(
            lint(
                &[t(
                    "OrganizationInvitation",
                    "text/plain",
                    "Join",
                    "{{link}}"
                )],
                None
            )
            .is_empty()
        );
        // Subdomains of the From domain's organization are fine.
        assert!(
            lint(
                &[t(
                    "SignIn",
                    "text/plain",
                    "c",
                    "{{code}} https://auth.example.com"
                )],
                Some("mail.example.com")
            )
            .is_empty()
        );
    }

    #[test]
    fn html_balance() {
        assert!(
            check_html(
                "<html><body><p>Hi<br>there<img src=\"a>b\"/></p><!-- <x> --></body></html>"
            )
            .is_ok()
        );
        assert!(check_html("<table><tr><td>1</td></tr></table><style>a>b{}</style>").is_ok());
        assert!(check_html("<div><span></div>").is_err());
        assert!(check_html("<div>").is_err());
        assert!(check_html("<a href='x'").is_err());
        assert!(check_html(&"<div>".repeat(600)).is_err());
        assert!(check_html("a < b").is_err());
        assert!(check_html("<SCRIPT>if (a<b) x()</ScRiPt>").is_ok());
        // Many scripts in a large template: each searched in place, not lower-cased anew.
        let started = std::time::Instant::now();
        let many = format!(
            "{}{}",
            "<script></script>".repeat(5_000),
            "x".repeat(1 << 20)
        );
        assert!(check_html(&many).is_ok());
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
