//! What a received message says about the connector that sent it: DKIM (verified through
//! the run's DNS layer), alignment of From, DKIM d= and the envelope sender, the template as
//! rendered (placeholders left, HTML without text), and the SMTP session it came in on.

use super::codes;
use crate::dkim::verify_mail::{self, SignatureCheck};
use crate::dmarc::orgdomain::same_organization;
use crate::dns::Dns;
use crate::report::{Evidence, Finding};
use mail_parser::MimeHeaders;
use serde::Serialize;

/// The SMTP session a message came in on, as the sink saw it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SessionFacts {
    pub peer: String,
    pub helo: Option<String>,
    /// The TLS version, when the session was encrypted.
    pub tls: Option<String>,
    pub auth_mechanism: Option<String>,
    pub auth_user: Option<String>,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReceivedFacts {
    pub session: SessionFacts,
    pub bytes: usize,
    pub stored_as: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// Content types of the message's parts (`text/plain`, `text/html`…).
    pub parts: Vec<String>,
    pub dkim: Vec<SignatureCheck>,
    pub placeholders_left: Vec<String>,
}

/// The domain of `local@domain` (or `<local@domain>`), lower-case.
pub fn domain_of(addr: &str) -> Option<String> {
    addr.rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').to_ascii_lowercase())
}

/// Placeholders still in the text (`{{ code }}`), at most 20, read as the template
/// renderer reads them (a search for `}}` from every `{{` was quadratic in the text).
fn leftover_placeholders(text: &str) -> Vec<String> {
    crate::passcode::render::placeholders(text)
        .into_iter()
        .filter(|key| key.len() <= 64)
        .take(20)
        .map(|key| format!("{{{{{key}}}}}"))
        .collect()
}

/// What the message's text shows: its parts, and the findings about the template as
/// rendered (placeholders left, HTML without text). Shared by `sink` and `inspect`.
pub struct Content {
    pub findings: Vec<Finding>,
    pub parts: Vec<String>,
    pub placeholders_left: Vec<String>,
}

/// At most this many MIME parts are looked at (hostile input).
pub const MAX_PARTS: usize = 100;

pub fn content(parsed: Option<&mail_parser::Message>, subject_id: &str) -> Content {
    let mut findings = Vec::new();
    let mut parts = Vec::new();
    let mut texts = Vec::new();
    if let Some(m) = parsed {
        for part in m.parts.iter().take(MAX_PARTS) {
            let ct = part.content_type().map_or("text/plain".to_string(), |c| {
                format!("{}/{}", c.c_type, c.c_subtype.as_deref().unwrap_or(""))
                    .to_ascii_lowercase()
            });
            if ct.starts_with("text/")
                && let Some(t) = part.text_contents()
            {
                texts.push(t.to_string());
            }
            if !ct.starts_with("multipart/") {
                parts.push(ct);
            }
        }
        if let Some(s) = m.subject() {
            texts.push(s.to_string());
        }
    }
    let placeholders_left = leftover_placeholders(&texts.join("\n"));
    if !placeholders_left.is_empty() {
        findings.push(Finding::new(
            &codes::UNRENDERED_PLACEHOLDER,
            subject_id,
            format!(
                "the message contains {} unrendered",
                placeholders_left.join(", ")
            ),
        ));
    }
    if parts.iter().any(|p| p == "text/html") && !parts.iter().any(|p| p == "text/plain") {
        findings.push(Finding::new(
            &codes::NO_TEXT_PART,
            subject_id,
            "the message is text/html only".to_string(),
        ));
    }
    Content {
        findings,
        parts,
        placeholders_left,
    }
}

/// The envelope sender against the From domain: empty, or outside its organization.
pub fn envelope(from_domain: Option<&str>, mail_from: &str, subject_id: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    if mail_from.is_empty() {
        findings.push(Finding::new(
            &codes::EMPTY_ENVELOPE,
            subject_id,
            "MAIL FROM:<> (empty envelope sender)".to_string(),
        ));
    } else if let (Some(fd), Some(ed)) = (from_domain, domain_of(mail_from))
        && !same_organization(fd, &ed)
    {
        findings.push(Finding::new(
            &codes::ENVELOPE_NOT_ALIGNED,
            subject_id,
            format!("MAIL FROM <{mail_from}> is not in the organization of the From domain {fd}"),
        ));
    }
    findings
}

/// The DKIM verdicts against the From domain: none, failed, passing but not aligned.
pub fn dkim_findings(
    from_domain: Option<&str>,
    dkim: &[SignatureCheck],
    subject_id: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if dkim.is_empty() {
        findings.push(Finding::new(
            &codes::UNSIGNED,
            subject_id,
            "no DKIM-Signature header".to_string(),
        ));
    }
    for c in dkim {
        if c.result != "pass" {
            findings.push(
                Finding::new(
                    &codes::DKIM_FAILED,
                    format!("{}._domainkey.{}", c.selector, c.domain),
                    format!(
                        "d={} s={} {}: {} (key lookup {})",
                        c.domain,
                        c.selector,
                        c.result,
                        c.reason.clone().unwrap_or_default(),
                        c.key_lookup
                    ),
                )
                .evidence(Evidence::Value {
                    label: "signed-headers".into(),
                    value: c.signed_headers.join(":"),
                }),
            );
        } else if let Some(fd) = from_domain
            && !same_organization(fd, &c.domain)
        {
            findings.push(Finding::new(
                &codes::DKIM_NOT_ALIGNED,
                subject_id,
                format!(
                    "d={} passes but is not aligned with the From domain {fd}",
                    c.domain
                ),
            ));
        }
    }
    findings
}

pub async fn grade(
    dns: &Dns,
    message: &[u8],
    session: SessionFacts,
    stored_as: Option<String>,
) -> (Vec<Finding>, ReceivedFacts) {
    let parsed = mail_parser::MessageParser::default().parse(message);
    let from = parsed
        .as_ref()
        .and_then(|m| m.from())
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_string);
    let subject = parsed
        .as_ref()
        .and_then(|m| m.subject())
        .map(str::to_string);
    let message_id = parsed
        .as_ref()
        .and_then(|m| m.message_id())
        .map(str::to_string);
    let subject_id = from.clone().unwrap_or_else(|| "(no From)".into());
    let Content {
        mut findings,
        parts,
        placeholders_left,
    } = content(parsed.as_ref(), &subject_id);
    if session.tls.is_none() {
        findings.push(Finding::new(
            &codes::NO_TLS,
            session.peer.clone(),
            format!("the message from {} arrived without TLS", session.peer),
        ));
    }
    let from_domain = from.as_deref().and_then(domain_of);
    findings.extend(envelope(
        from_domain.as_deref(),
        &session.mail_from,
        &subject_id,
    ));
    let dkim = verify_mail::verify(dns, message).await.unwrap_or_default();
    findings.extend(dkim_findings(from_domain.as_deref(), &dkim, &subject_id));
    let facts = ReceivedFacts {
        session,
        bytes: message.len(),
        stored_as,
        from,
        subject,
        message_id,
        parts,
        dkim,
        placeholders_left,
    };
    (findings, facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_left_in_text() {
        assert_eq!(
            leftover_placeholders("code {{ code }} and {{link}} {{code}}"),
            ["{{code}}", "{{link}}"]
        );
        assert!(leftover_placeholders("{ {code} } {{ a b }} {{").is_empty());
        assert_eq!(leftover_placeholders("{{{code}}}"), ["{{code}}"]);
        // Linear: half a million braces, and 100,000 different placeholders.
        let started = std::time::Instant::now();
        assert!(leftover_placeholders(&"{".repeat(500_000)).is_empty());
        let many: String = (0..100_000).map(|i| format!("{{{{k{i}}}}}")).collect();
        assert_eq!(leftover_placeholders(&many).len(), 20);
        assert!(started.elapsed() < std::time::Duration::from_secs(3));
    }
}
