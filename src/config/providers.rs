//! Mail providers as data (knowledge/providers.md): how to recognise each from the SMTP
//! host, what it offers and requires, and the config rules that need no network.
//! Facts marked "unverified" in the knowledge file are kept as notes, never as checks.

use super::Ctx;
use super::codes;
use super::model::{AuthKind, ConnectorConfig};
use super::nodemailer::ConnectionPlan;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// TLS from the first byte (`secure: true`).
    Implicit,
    /// Plaintext, then STARTTLS (`secure: false`).
    StartTls,
}

#[derive(Debug, Serialize)]
pub struct ProviderPort {
    pub port: u16,
    pub mode: TlsMode,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum UsernameRule {
    /// Literally this string (the password is then an API key).
    Fixed(&'static str),
    /// The mailbox's full address.
    MailboxAddress,
    /// Free-form rule, shown to the operator but not checked.
    Described,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvelopeAlignment {
    /// The envelope sender is the mailbox itself: aligned when From is the mailbox.
    Mailbox,
    /// A subdomain of the From domain: SPF aligns only under relaxed alignment (`aspf=r`).
    RelaxedSubdomain,
    /// The provider's own domain by default: SPF never aligns; DKIM must carry DMARC.
    NotAlignedByDefault,
    Unknown,
}

#[derive(Debug, Serialize)]
pub struct ErrorHint {
    /// Case-insensitive substring of the server's reply.
    pub contains: &'static str,
    pub hint: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Provider {
    pub name: &'static str,
    /// Host patterns; `*` stands for one DNS label or the rest of one (`smtpdm-*`).
    pub hosts: &'static [&'static str],
    pub ports: &'static [ProviderPort],
    pub username: UsernameRule,
    pub username_note: &'static str,
    /// The SPF include the provider documents (None when unknown or unverified).
    pub spf_include: Option<&'static str>,
    pub spf_note: &'static str,
    pub dkim_selectors: &'static [&'static str],
    pub dkim_note: &'static str,
    pub envelope: EnvelopeAlignment,
    pub envelope_note: &'static str,
    /// A mailbox provider refuses or rewrites a From that is not the account's own.
    pub from_must_be_mailbox: bool,
    pub error_hints: &'static [ErrorHint],
    /// Ports commonly blocked for outbound traffic where this provider's customers run.
    pub blocked_ports: &'static [(u16, &'static str)],
}

const fn p(port: u16, mode: TlsMode) -> ProviderPort {
    ProviderPort { port, mode }
}
use TlsMode::{Implicit as I, StartTls as S};

pub static PROVIDERS: &[Provider] = &[
    Provider {
        name: "Gmail / Google Workspace",
        hosts: &["smtp.gmail.com", "smtp-relay.gmail.com"],
        ports: &[p(465, I), p(587, S), p(25, S)],
        username: UsernameRule::MailboxAddress,
        username_note: "the full address with an App Password (needs 2-step verification), or XOAUTH2",
        spf_include: Some("_spf.google.com"),
        spf_note: "include:_spf.google.com (unverified)",
        dkim_selectors: &["google"],
        dkim_note: "selector google, TXT (unverified)",
        envelope: EnvelopeAlignment::Mailbox,
        envelope_note: "the mailbox; From must be the account or a verified alias",
        from_must_be_mailbox: true,
        error_hints: &[ErrorHint {
            contains: "5.7.8",
            hint: "Gmail refuses the account password for SMTP: create an App Password (requires 2-step verification) and use it as pass, or use XOAUTH2",
        }],
        blocked_ports: &[],
    },
    Provider {
        name: "Microsoft 365",
        hosts: &["smtp.office365.com"],
        ports: &[p(587, S)],
        username: UsernameRule::MailboxAddress,
        username_note: "the mailbox UPN; SMTP AUTH must be enabled for the mailbox (off for tenants created after 2020)",
        spf_include: Some("spf.protection.outlook.com"),
        spf_note: "include:spf.protection.outlook.com",
        dkim_selectors: &["selector1", "selector2"],
        dkim_note: "selector1/selector2._domainkey CNAME → selectorN-<domain-with-dashes>._domainkey.<tenant>.onmicrosoft.com",
        envelope: EnvelopeAlignment::Mailbox,
        envelope_note: "the mailbox; From must be the mailbox or have Send-As",
        from_must_be_mailbox: true,
        error_hints: &[
            ErrorHint {
                contains: "5.7.139",
                hint: "SMTP AUTH is disabled for the tenant or mailbox: enable Authenticated SMTP for this mailbox in the Microsoft 365 admin center (Security defaults also block it)",
            },
            ErrorHint {
                contains: "5.7.3",
                hint: "Microsoft 365 refused the login: check the UPN and password, and that SMTP AUTH is enabled for the mailbox",
            },
        ],
        blocked_ports: &[],
    },
    Provider {
        name: "SendGrid",
        hosts: &["smtp.sendgrid.net"],
        ports: &[p(25, S), p(587, S), p(2525, S), p(465, I)],
        username: UsernameRule::Fixed("apikey"),
        username_note: "literally apikey; the password is the API key",
        spf_include: Some("sendgrid.net"),
        spf_note: "on the emNNNN.<domain> subdomain (CNAME → uNNNN.wlNNN.sendgrid.net), not the apex",
        dkim_selectors: &["s1", "s2"],
        dkim_note: "s1/s2._domainkey CNAME → sN.domainkey.uNNNN.wlNNN.sendgrid.net",
        envelope: EnvelopeAlignment::RelaxedSubdomain,
        envelope_note: "emNNNN.<domain>: SPF aligns only under relaxed alignment",
        from_must_be_mailbox: false,
        error_hints: &[],
        blocked_ports: &[],
    },
    Provider {
        name: "Mailgun",
        hosts: &["smtp.mailgun.org", "smtp.eu.mailgun.org"],
        ports: &[p(25, S), p(587, S), p(2525, S), p(465, I)],
        username: UsernameRule::Described,
        username_note: "postmaster@<sending domain>; credentials are per domain",
        spf_include: Some("mailgun.org"),
        spf_note: "include:mailgun.org on the sending domain",
        dkim_selectors: &[],
        dkim_note: "TXT <selector>._domainkey.<sending domain>, selector chosen in the panel",
        envelope: EnvelopeAlignment::RelaxedSubdomain,
        envelope_note: "the sending (sub)domain; relaxed alignment",
        from_must_be_mailbox: false,
        error_hints: &[],
        blocked_ports: &[],
    },
    Provider {
        name: "Amazon SES",
        hosts: &["email-smtp.*.amazonaws.com"],
        ports: &[p(25, S), p(587, S), p(2587, S), p(465, I), p(2465, I)],
        username: UsernameRule::Described,
        username_note: "SMTP credentials (not IAM access keys), separate per region",
        spf_include: Some("amazonses.com"),
        spf_note: "include:amazonses.com on a custom MAIL FROM subdomain",
        dkim_selectors: &[],
        dkim_note: "3 CNAMEs <token>._domainkey → <token>.dkim.amazonses.com",
        envelope: EnvelopeAlignment::NotAlignedByDefault,
        envelope_note: "an amazonses.com address by default (not aligned); a custom MAIL FROM subdomain (MX feedback-smtp.<region>.amazonses.com + SPF) fixes it. Sandbox: verified recipients only, 200/24 h",
        from_must_be_mailbox: false,
        error_hints: &[ErrorHint {
            contains: "not verified",
            hint: "SES refuses unverified identities: verify the From domain (and, in the sandbox, each recipient) in this region",
        }],
        blocked_ports: &[(25, "EC2 throttles outbound port 25 by default")],
    },
    Provider {
        name: "Postmark",
        hosts: &["smtp.postmarkapp.com"],
        ports: &[p(25, S), p(587, S), p(2525, S)],
        username: UsernameRule::Described,
        username_note: "the Server API token as both user and password",
        spf_include: None,
        spf_note: "(unverified)",
        dkim_selectors: &[],
        dkim_note: "TXT, selector from the panel (unverified)",
        envelope: EnvelopeAlignment::NotAlignedByDefault,
        envelope_note: "aligned only with a custom Return-Path CNAME → pm.mtasv.net",
        from_must_be_mailbox: false,
        error_hints: &[],
        blocked_ports: &[],
    },
    Provider {
        name: "Aliyun DirectMail",
        hosts: &["smtpdm.aliyun.com", "smtpdm-*.aliyuncs.com"],
        ports: &[p(25, S), p(80, S), p(465, I)],
        username: UsernameRule::MailboxAddress,
        username_note: "the sender address created in the console, with the SMTP password set there",
        spf_include: Some("spf1.dm.aliyun.com"),
        spf_note: "include:spf1.dm.aliyun.com",
        dkim_selectors: &[],
        dkim_note: "TXT aliyun-<region>._domainkey",
        envelope: EnvelopeAlignment::Unknown,
        envelope_note: "the registered sending domain (unverified)",
        from_must_be_mailbox: false,
        error_hints: &[],
        blocked_ports: &[(25, "Aliyun ECS blocks outbound port 25; use 465 or 80")],
    },
    Provider {
        name: "Brevo",
        hosts: &["smtp-relay.brevo.com", "smtp-relay.sendinblue.com"],
        ports: &[p(587, S), p(2525, S), p(465, I)],
        username: UsernameRule::Described,
        username_note: "the SMTP login with an SMTP key (not the API key)",
        spf_include: None,
        spf_note: "(unverified)",
        dkim_selectors: &["mail"],
        dkim_note: "mail._domainkey TXT, plus a brevo-code TXT (unverified)",
        envelope: EnvelopeAlignment::Unknown,
        envelope_note: "(unverified)",
        from_must_be_mailbox: false,
        error_hints: &[],
        blocked_ports: &[],
    },
    Provider {
        name: "Resend",
        hosts: &["smtp.resend.com"],
        ports: &[p(465, I), p(2465, I), p(25, S), p(587, S), p(2587, S)],
        username: UsernameRule::Fixed("resend"),
        username_note: "literally resend; the password is the API key",
        spf_include: Some("amazonses.com"),
        spf_note: "include:amazonses.com on send.<domain>",
        dkim_selectors: &["resend"],
        dkim_note: "resend._domainkey TXT",
        envelope: EnvelopeAlignment::RelaxedSubdomain,
        envelope_note: "send.<domain>: relaxed alignment only",
        from_must_be_mailbox: false,
        error_hints: &[],
        blocked_ports: &[],
    },
    Provider {
        name: "Zoho",
        hosts: &[
            "smtp.zoho.com",
            "smtp.zoho.*",
            "smtppro.zoho.com",
            "smtppro.zoho.*",
        ],
        ports: &[p(465, I), p(587, S)],
        username: UsernameRule::MailboxAddress,
        username_note: "the full address",
        spf_include: Some("zoho.com"),
        spf_note: "include:zoho.com (unverified)",
        dkim_selectors: &[],
        dkim_note: "user-chosen selector",
        envelope: EnvelopeAlignment::Mailbox,
        envelope_note: "the mailbox",
        from_must_be_mailbox: true,
        error_hints: &[],
        blocked_ports: &[],
    },
    Provider {
        name: "QQ / Tencent Exmail",
        hosts: &["smtp.qq.com", "smtp.exmail.qq.com"],
        ports: &[p(465, I), p(587, S)],
        username: UsernameRule::MailboxAddress,
        username_note: "QQ uses an authorization code, not the account password",
        spf_include: None,
        spf_note: "(unverified)",
        dkim_selectors: &[],
        dkim_note: "(unverified)",
        envelope: EnvelopeAlignment::Mailbox,
        envelope_note: "the mailbox",
        from_must_be_mailbox: true,
        error_hints: &[ErrorHint {
            contains: "535",
            hint: "QQ Mail needs the authorization code generated in its settings (POP3/SMTP service), not the account password",
        }],
        blocked_ports: &[],
    },
];

fn label_glob(pattern: &str, host: &str) -> bool {
    let pl: Vec<&str> = pattern.split('.').collect();
    let hl: Vec<&str> = host.split('.').collect();
    pl.len() == hl.len() && pl.iter().zip(&hl).all(|(p, h)| label_matches(p, h))
}

/// One label: `*` alone matches any label; `pre*suf` matches labels with that prefix and suffix.
fn label_matches(pattern: &str, label: &str) -> bool {
    let label = label.to_ascii_lowercase();
    match pattern.split_once('*') {
        None => pattern.eq_ignore_ascii_case(&label),
        Some((pre, suf)) => {
            label.len() > pre.len() + suf.len() && label.starts_with(pre) && label.ends_with(suf)
        }
    }
}

/// The provider whose SMTP host this is.
pub fn recognise(host: &str) -> Option<&'static Provider> {
    let host = host.trim().trim_end_matches('.');
    if host.len() > 253 {
        return None;
    }
    PROVIDERS
        .iter()
        .find(|p| p.hosts.iter().any(|pat| label_glob(pat, host)))
}

impl Provider {
    pub fn port_mode(&self, port: u16) -> Option<TlsMode> {
        self.ports.iter().find(|p| p.port == port).map(|p| p.mode)
    }

    /// A hint for a server reply (e.g. Gmail's `535 5.7.8`), for the probe's findings.
    pub fn hint_for(&self, reply: &str) -> Option<&'static str> {
        let reply = reply.to_ascii_lowercase();
        self.error_hints
            .iter()
            .find(|h| reply.contains(&h.contains.to_ascii_lowercase()))
            .map(|h| h.hint)
    }

    fn ports_text(&self) -> String {
        self.ports
            .iter()
            .map(|p| {
                format!(
                    "{} ({})",
                    p.port,
                    if p.mode == TlsMode::Implicit {
                        "implicit TLS"
                    } else {
                        "STARTTLS"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Provider rules on the config alone (the host as nodemailer will use it).
pub(crate) fn check(ctx: &mut Ctx<'_>, c: &ConnectorConfig) {
    let plan = ConnectionPlan::from_config(c);
    let Some(provider) = recognise(&plan.host) else {
        return;
    };
    let auth_path = c.path_of("auth");
    let user_path = super::json_positions::member(&auth_path, "user");
    if let UsernameRule::Fixed(want) = provider.username
        && matches!(c.auth.kind, AuthKind::Login | AuthKind::Unrecognised)
    {
        match c.auth.user.as_deref() {
            Some(u) if u == want => {}
            Some(u) => {
                let shown: String = u.chars().take(60).collect();
                ctx.push(
                    &codes::PROVIDER_USERNAME,
                    &user_path,
                    format!("{} expects the user \"{want}\" ({}), not \"{shown}\"; the login will fail with 535", provider.name, provider.username_note),
                );
            }
            None => {
                ctx.push(
                    &codes::PROVIDER_USERNAME,
                    &auth_path,
                    format!(
                        "{} expects auth.user \"{want}\" ({})",
                        provider.name, provider.username_note
                    ),
                );
            }
        }
    }
    let port_path = c.path_of("port");
    let Some(port) = plan.port else {
        return;
    };
    match provider.port_mode(port) {
        None => {
            ctx.push(
                &codes::PROVIDER_PORT,
                &port_path,
                format!(
                    "{} does not offer SMTP on port {port}; it offers {}",
                    provider.name,
                    provider.ports_text()
                ),
            );
        }
        Some(mode) => {
            let mismatch = match (mode, plan.implicit_tls) {
                (TlsMode::Implicit, false) => Some(
                    "runs implicit TLS there but the config connects in plaintext (secure is false): nodemailer waits 30 s and fails with `Greeting never received`",
                ),
                (TlsMode::StartTls, true) => Some(
                    "runs STARTTLS there but the config starts TLS at once (secure is true): the handshake fails with `wrong version number`",
                ),
                _ => None,
            };
            if let Some(why) = mismatch {
                let f = ctx.push(
                    &codes::PROVIDER_SECURE_MISMATCH,
                    &c.path_of("secure"),
                    format!("{} on port {port} {why}", provider.name),
                );
                f.remediation = format!(
                    "Set secure to {} for port {port}, or pick another of {}'s ports: {}.",
                    mode == TlsMode::Implicit,
                    provider.name,
                    provider.ports_text()
                );
            }
        }
    }
    if let Some((_, why)) = provider.blocked_ports.iter().find(|(p, _)| *p == port) {
        ctx.push(
            &codes::PROVIDER_PORT_BLOCKED,
            &port_path,
            format!("port {port} with {}: {why}", provider.name),
        );
    }
    if provider.from_must_be_mailbox
        && let (Some(from), Some(user)) = (c.from_email.as_deref(), c.auth.user.as_deref())
        && let Ok(mailbox) = super::address::parse_mailbox(from)
        && user.contains('@')
        && !mailbox.address().eq_ignore_ascii_case(user.trim())
    {
        ctx.push(
            &codes::PROVIDER_FROM_NOT_MAILBOX,
            &c.path_of("fromEmail"),
            format!(
                "{} sends as the logged-in mailbox: fromEmail {} differs from auth.user, so the server refuses it (553) or rewrites From unless it is a verified alias or Send-As address",
                provider.name,
                mailbox.address()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_hosts() {
        let cases = [
            ("smtp.gmail.com", Some("Gmail / Google Workspace")),
            ("SMTP.GMAIL.COM.", Some("Gmail / Google Workspace")),
            ("smtp.office365.com", Some("Microsoft 365")),
            ("smtp.sendgrid.net", Some("SendGrid")),
            ("email-smtp.eu-west-1.amazonaws.com", Some("Amazon SES")),
            ("email-smtp.amazonaws.com", None),
            (
                "smtpdm-ap-southeast-1.aliyuncs.com",
                Some("Aliyun DirectMail"),
            ),
            ("smtp.zoho.eu", Some("Zoho")),
            ("smtp.resend.com", Some("Resend")),
            ("mail.example.com", None),
            ("gmail.com", None),
        ];
        for (host, want) in cases {
            assert_eq!(recognise(host).map(|p| p.name), want, "{host}");
        }
    }

    #[test]
    fn error_hints() {
        let gmail = recognise("smtp.gmail.com").unwrap();
        assert!(
            gmail
                .hint_for("535-5.7.8 Username and Password not accepted")
                .unwrap()
                .contains("App Password")
        );
        let m365 = recognise("smtp.office365.com").unwrap();
        assert!(
            m365.hint_for(
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled"
            )
            .unwrap()
            .contains("SMTP AUTH is disabled")
        );
        assert_eq!(m365.hint_for("250 OK"), None);
        assert_eq!(m365.port_mode(587), Some(TlsMode::StartTls));
        assert_eq!(m365.port_mode(465), None);
    }
}
