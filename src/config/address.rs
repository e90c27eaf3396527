//! The checks on fromEmail/replyTo that predict what nodemailer's address parser makes of
//! them. Logto 1.5.4 checks only that they are strings, so these mistakes reach the wire.

/// A mailbox as nodemailer will use it: `Name <local@domain>` or `local@domain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    pub display_name: Option<String>,
    pub local: String,
    pub domain: String,
}

impl Mailbox {
    pub fn address(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressIssue {
    /// No `@`: nodemailer sends `MAIL FROM:<>`.
    NoDomain,
    /// A space inside the address: nodemailer keeps only the word with the `@` (`kept`).
    HasSpace {
        kept: String,
    },
    TwoAt,
    Invalid {
        reason: String,
    },
}

impl AddressIssue {
    pub fn describe(&self) -> String {
        match self {
            AddressIssue::NoDomain => "has no @domain".into(),
            AddressIssue::HasSpace { kept } => {
                format!("contains a space; nodemailer keeps only \"{kept}\"")
            }
            AddressIssue::TwoAt => "contains more than one @".into(),
            AddressIssue::Invalid { reason } => reason.clone(),
        }
    }
}

const MAX_LEN: usize = 320;

/// Parses a From/Reply-To value the way an operator writes it in the connector config.
pub fn parse_mailbox(raw: &str) -> Result<Mailbox, AddressIssue> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(AddressIssue::Invalid {
            reason: "is empty".into(),
        });
    }
    if raw.len() > MAX_LEN {
        return Err(AddressIssue::Invalid {
            reason: format!("is longer than {MAX_LEN} bytes"),
        });
    }
    // `Name <addr>`: the address is inside the last angle brackets.
    let (display_name, addr) = match (raw.rfind('<'), raw.ends_with('>')) {
        (Some(open), true) => {
            let name = raw
                .get(..open)
                .unwrap_or_default()
                .trim()
                .trim_matches('"')
                .trim();
            let inner = raw.get(open + 1..raw.len() - 1).unwrap_or_default().trim();
            ((!name.is_empty()).then(|| name.to_string()), inner)
        }
        (Some(_), false) => {
            return Err(AddressIssue::Invalid {
                reason: "has a `<` without a closing `>` at the end".into(),
            });
        }
        (None, _) => (None, raw),
    };
    let ats = addr.matches('@').count();
    if ats == 0 {
        return Err(AddressIssue::NoDomain);
    }
    if ats > 1 {
        return Err(AddressIssue::TwoAt);
    }
    if addr.chars().any(char::is_whitespace) {
        let kept = addr
            .split_whitespace()
            .find(|w| w.contains('@'))
            .unwrap_or_default()
            .to_string();
        return Err(AddressIssue::HasSpace { kept });
    }
    let (local, domain) = addr.split_once('@').unwrap_or((addr, ""));
    if local.is_empty() {
        return Err(AddressIssue::Invalid {
            reason: "has nothing before the @".into(),
        });
    }
    if domain.is_empty() {
        return Err(AddressIssue::Invalid {
            reason: "has nothing after the @".into(),
        });
    }
    if let Some(c) = local
        .chars()
        .find(|c| "(),:;<>[]\\\"".contains(*c) || c.is_control())
    {
        return Err(AddressIssue::Invalid {
            reason: format!("has the character '{c}' in the local part"),
        });
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(AddressIssue::Invalid {
            reason: "has a misplaced dot in the local part".into(),
        });
    }
    if let Some(c) = domain
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(AddressIssue::Invalid {
            reason: format!("has the character '{c}' in the domain"),
        });
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels
        .iter()
        .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
    {
        return Err(AddressIssue::Invalid {
            reason: "has an empty or malformed label in the domain".into(),
        });
    }
    if labels.len() < 2 {
        return Err(AddressIssue::Invalid {
            reason: format!(
                "has the domain \"{domain}\" with no dot, which cannot pass SPF, DKIM or DMARC on the Internet"
            ),
        });
    }
    Ok(Mailbox {
        display_name,
        local: local.to_string(),
        domain: domain.to_ascii_lowercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let ok = |s: &str, addr: &str, name: Option<&str>| {
            let m = parse_mailbox(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
            assert_eq!(m.address(), addr, "{s}");
            assert_eq!(m.display_name.as_deref(), name, "{s}");
        };
        ok("noreply@auth.example.com", "noreply@auth.example.com", None);
        ok("  noreply@Example.COM ", "noreply@example.com", None);
        ok(
            "Acme <noreply@example.com>",
            "noreply@example.com",
            Some("Acme"),
        );
        ok(
            "\"Acme Inc\" <no.reply+otp@example.com>",
            "no.reply+otp@example.com",
            Some("Acme Inc"),
        );

        let err = |s: &str, want: AddressIssue| assert_eq!(parse_mailbox(s), Err(want), "{s}");
        err("noreply", AddressIssue::NoDomain);
        err("Acme <noreply>", AddressIssue::NoDomain);
        err(
            "no reply@example.com",
            AddressIssue::HasSpace {
                kept: "reply@example.com".into(),
            },
        );
        err("a@b@example.com", AddressIssue::TwoAt);
        for bad in [
            "",
            "@example.com",
            "a@",
            "a@localhost",
            "a@exa_mple.com",
            "a@-x.com",
            "a..b@x.com",
            "a,b@x.com",
            "Acme <a@b.com",
        ] {
            assert!(
                matches!(parse_mailbox(bad), Err(AddressIssue::Invalid { .. })),
                "{bad}"
            );
        }
    }
}
