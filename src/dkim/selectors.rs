//! The selectors tried when the user names none: a domain's selectors cannot be listed, so
//! the audit asks for the ones common providers use. Data, not logic: extend the table, and
//! let `--selector` / `--no-default-selectors` override it. Each entry costs one TXT
//! question per domain audited (a provider's CNAME is followed inside that answer), so the
//! table stays at 20: a selector earns its place by a provider's documentation naming it.
//!
//! Not probed, by reason (README "DKIM selectors"): Amazon SES's three Easy DKIM tokens and
//! HubSpot's, SparkPost's (`scph` + a date) selectors are made per account or domain and
//! cannot be guessed; Google's dated selectors (`20230601`, `20210112`, `20161025`) sign
//! Google's own domains (d=gmail.com), while Workspace customers' default is `google`.

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
    // Google Admin help, "DKIM selectors": the prefix selector defaults to `google`.
    s("google", "Google Workspace (the default prefix)"),
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
    s("k1", "Mailchimp (CNAME to dkim.mcsv.net)"),
    s("k2", "Mailchimp (CNAME to dkim2.mcsv.net; unverified)"),
    // Mailchimp's release note of 2023-12-19: from 2024-03-15 Mandrill signs with these.
    s(
        "mte1",
        "Mailchimp Transactional / Mandrill (CNAME to dkim1.mandrillapp.com)",
    ),
    s(
        "mte2",
        "Mailchimp Transactional / Mandrill (CNAME to dkim2.mandrillapp.com)",
    ),
    // Mailgun's docs, Automatic Sender Security: pdk1/pdk2 CNAMEs to <id>.dkim1.mailgun.com.
    s("pdk1", "Mailgun automatic sender security (CNAME)"),
    s("pdk2", "Mailgun automatic sender security (CNAME)"),
    s("mx", "Mailgun, a key it generates (unverified)"),
    s("zendesk1", "Zendesk (CNAME; unverified)"),
    s("zendesk2", "Zendesk (CNAME; unverified)"),
    s("pm", "Postmark (unverified)"),
    s("resend", "Resend"),
    s("mail", "Brevo (unverified); also a common choice"),
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
        // The table's size is its cost: one question per selector per domain.
        assert_eq!(BUILT_IN.len(), 20);
        assert_eq!(
            provider_of("Selector1").map(|p| p.starts_with("Microsoft")),
            Some(true)
        );
    }
}
