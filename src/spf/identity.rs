//! The identity check_host() is evaluated for (RFC 7208 2.3, 2.4, 4.3): the MAIL FROM
//! address an SMTP session carries, or, for a null MAIL FROM (`<>`), the HELO identity
//! `postmaster@HELO`.
//!
//! Nothing here rejects an identity: a receiver meets malformed ones (a domain literal,
//! an empty or over-long label, a single label) and RFC 7208 4.3 says what they give,
//! `none`, which check_host() decides. Only the split into local part and domain is done here.

use serde::Serialize;

/// Which of the two identities of 2.3/2.4 is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    MailFrom,
    Helo,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::MailFrom => "mail-from",
            IdentityKind::Helo => "helo",
        }
    }
}

/// check_host()'s `<domain>` and `<sender>`, with the HELO name for `%{h}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfIdentity {
    pub kind: IdentityKind,
    /// The domain whose record is evaluated (as given: it may be malformed).
    pub domain: String,
    /// `local@domain`; `postmaster@domain` when there is no local part (4.3).
    pub sender: String,
    /// The HELO/EHLO name (`%{h}`).
    pub helo: String,
}

impl SpfIdentity {
    /// The identity of `MAIL FROM:<mail_from>` after `HELO helo`. An empty (or `<>`) MAIL
    /// FROM is the null reverse-path: the HELO identity is checked instead (2.4). Angle
    /// brackets as written in SMTP are accepted. Without an `@`, the whole is the domain.
    pub fn mail_from(mail_from: &str, helo: &str) -> SpfIdentity {
        let trimmed = mail_from.trim();
        let address = trimmed
            .strip_prefix('<')
            .and_then(|a| a.strip_suffix('>'))
            .unwrap_or(trimmed);
        if address.is_empty() {
            return SpfIdentity::helo(helo);
        }
        let (local, domain) = address.rsplit_once('@').unwrap_or(("", address));
        let local = if local.is_empty() {
            "postmaster"
        } else {
            local
        };
        SpfIdentity {
            kind: IdentityKind::MailFrom,
            domain: domain.to_string(),
            sender: format!("{local}@{domain}"),
            helo: helo.to_string(),
        }
    }

    /// The HELO identity (2.3): `postmaster@helo`, checking the HELO name's record.
    pub fn helo(helo: &str) -> SpfIdentity {
        let helo = helo.trim();
        SpfIdentity {
            kind: IdentityKind::Helo,
            domain: helo.to_string(),
            sender: format!("postmaster@{helo}"),
            helo: helo.to_string(),
        }
    }

    /// How the identity reads in a message: `MAIL FROM <a@b> (HELO h)` or `HELO h`.
    pub fn describe(&self) -> String {
        match self.kind {
            IdentityKind::MailFrom => format!("MAIL FROM <{}> (HELO {})", self.sender, self.helo),
            IdentityKind::Helo => format!("HELO {} (null MAIL FROM)", self.helo),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_from_splits_at_the_last_at() {
        let id = SpfIdentity::mail_from("\"a@b\"@example.com", "mx.example.net");
        assert_eq!(id.kind, IdentityKind::MailFrom);
        assert_eq!(id.domain, "example.com");
        assert_eq!(id.sender, "\"a@b\"@example.com");
        assert_eq!(id.helo, "mx.example.net");
    }

    #[test]
    fn no_local_part_is_postmaster() {
        let id = SpfIdentity::mail_from("@example.net", "h");
        assert_eq!(id.sender, "postmaster@example.net");
        assert_eq!(id.domain, "example.net");
        let id = SpfIdentity::mail_from("example.org", "h");
        assert_eq!(id.sender, "postmaster@example.org");
    }

    #[test]
    fn null_reverse_path_checks_the_helo_identity() {
        for null in ["", "<>", "  "] {
            let id = SpfIdentity::mail_from(null, "mail.example.com");
            assert_eq!(id.kind, IdentityKind::Helo, "{null:?}");
            assert_eq!(id.domain, "mail.example.com");
            assert_eq!(id.sender, "postmaster@mail.example.com");
        }
    }

    #[test]
    fn malformed_domains_are_kept_for_check_host_to_judge() {
        let id = SpfIdentity::mail_from("foo@[1.2.3.5]", "h");
        assert_eq!(id.domain, "[1.2.3.5]");
        let id = SpfIdentity::mail_from("<bob@a..b>", "h");
        assert_eq!(id.domain, "a..b");
        assert_eq!(id.sender, "bob@a..b");
    }
}
