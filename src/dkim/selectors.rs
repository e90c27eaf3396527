//! The selectors tried when the user names none: a domain's selectors cannot be listed, so
//! the audit asks for the ones common providers use (knowledge/providers.md). Data, not logic:
//! extend the table, and let `--selector` / `--no-default-selectors` override it.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownSelector {
    pub selector: &'static str,
    /// Who publishes keys under this selector; "(unverified)" when from secondary sources.
    pub provider: &'static str,
}

const fn s(selector: &'static str, provider: &'static str) -> KnownSelector {
    KnownSelector { selector, provider }
}

pub const BUILT_IN: &[KnownSelector] = &[
    s("google", "Google Workspace (unverified)"),
    s(
        "selector1",
        "Microsoft 365 (CNAME to <tenant>.onmicrosoft.com)",
    ),
    s(
        "selector2",
        "Microsoft 365 (CNAME to <tenant>.onmicrosoft.com)",
    ),
    s("s1", "SendGrid (CNAME to sendgrid.net)"),
    s("s2", "SendGrid (CNAME to sendgrid.net)"),
    s("resend", "Resend"),
    s("mail", "Brevo (unverified); also a common choice"),
    s("k1", "Mailchimp / Mailgun (unverified)"),
    s("k2", "Mailchimp (unverified)"),
    s("k3", "Mailchimp (unverified)"),
    s("mandrill", "Mandrill (unverified)"),
    s("pm", "Postmark (unverified)"),
    s("smtp", "Mailgun (unverified)"),
    s("mx", "Mailgun (unverified)"),
    s("mxvault", "(unverified)"),
    s("everlytickey1", "Everlytic (unverified)"),
    s("everlytickey2", "Everlytic (unverified)"),
    s("sig1", "iCloud custom domains (unverified)"),
    s("default", "generic (OpenDKIM, cPanel)"),
    s("dkim", "generic"),
];

pub fn provider_of(selector: &str) -> Option<&'static str> {
    BUILT_IN
        .iter()
        .find(|k| k.selector.eq_ignore_ascii_case(selector))
        .map(|k| k.provider)
}

/// The selectors to ask for: the expected ones first, then the probed ones (both
/// deduplicated, lower-cased), then the table.
pub fn to_check(given: &[String], probed: &[String], no_defaults: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let builtin = BUILT_IN.iter().map(|k| k.selector.to_string());
    let all = given
        .iter()
        .chain(probed)
        .map(|s| crate::dns::name::normalize(s.trim()))
        .chain(builtin.filter(|_| !no_defaults));
    for s in all {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_first_then_builtin_without_duplicates() {
        let got = to_check(&["S1".into(), "custom".into()], &[], false);
        assert_eq!(got[0], "s1");
        assert_eq!(got[1], "custom");
        assert_eq!(got.len(), BUILT_IN.len() + 1);
        assert_eq!(to_check(&["x".into()], &[], true), vec!["x"]);
        assert!(to_check(&[], &[], true).is_empty());
        assert!((15..=20).contains(&BUILT_IN.len()));
        assert_eq!(
            provider_of("Selector1").map(|p| p.starts_with("Microsoft")),
            Some(true)
        );
    }
}
