//! The pre-flight's summary as text, printed before the details: the verdict, the ranked
//! fixes, the alignment prediction and the mailbox providers' rules.

use super::text::printable;
use crate::audit::alignment::Tri;
use crate::audit::facts::AuditFacts;
use crate::connectors::facts::ConnectorFacts;

/// (headline, lines): the headline is `READY` / `READY WITH WARNINGS` / `NOT READY`.
pub fn summary(a: &AuditFacts) -> (String, Vec<String>) {
    let mut lines = Vec::new();
    if let Some(v) = a.smtp_verdict {
        lines.push(format!("SMTP: {}", v.headline()));
    }
    let p = &a.alignment;
    let id = &p.identities;
    lines.push(format!(
        "DMARC prediction: {} — SPF {} (aligned {}), DKIM {} (aligned {}); From {}, envelope {}, DKIM d={}",
        match p.dmarc_pass {
            Tri::Yes => "will pass",
            Tri::No => "will FAIL",
            Tri::CannotTell => "cannot tell",
        },
        p.spf_pass.word(),
        p.spf_aligned.word(),
        p.dkim_pass.word(),
        p.dkim_aligned.word(),
        id.from_domain.as_deref().unwrap_or("?"),
        id.envelope_domain.as_deref().unwrap_or("(chosen by the provider)"),
        id.dkim_domain.as_deref().unwrap_or("?")
    ));
    if let Some(c) = &a.connector {
        lines.extend(connector_lines(c));
    }
    if let Some(t) = &a.test_mail {
        lines.push(format!("Test passcode mail: {t}"));
    }
    if a.fixes.is_empty() {
        lines.push("Nothing to fix.".into());
    } else {
        lines.push("Fix first:".into());
        for f in &a.fixes {
            lines.push(format!(
                "  {}. [{}] {} — {}",
                f.rank, f.code, f.problem, f.fix
            ));
        }
    }
    let rules: Vec<String> = a
        .mailbox_providers
        .iter()
        .map(|r| {
            format!(
                "  {:<11} {}{}: {} ({})",
                match r.status {
                    Tri::Yes => "pass",
                    Tri::No => "FAIL",
                    Tri::CannotTell => "cannot tell",
                },
                r.rule,
                if r.bulk_only { " [bulk senders]" } else { "" },
                r.providers,
                r.why
            )
        })
        .collect();
    // The API connectors' audits judge no mailbox-provider rules: no empty heading.
    if !rules.is_empty() {
        lines.push("Mailbox providers' sender rules (transactional sender):".into());
        lines.extend(rules);
    }
    (
        a.verdict.to_string(),
        lines
            .into_iter()
            .map(|l| printable(&l).into_owned())
            .collect(),
    )
}

/// The connector (API connectors): which one, its region or endpoint, and the HTTP probe.
fn connector_lines(c: &ConnectorFacts) -> Vec<String> {
    let mut parts = vec![format!("Connector: {}", c.connector.name())];
    if let Some(d) = &c.sending_domain {
        parts.push(format!("sending domain {d}"));
    }
    if let Some(r) = &c.region {
        parts.push(format!("region {r}"));
    }
    if let Some(e) = &c.api_endpoint {
        parts.push(format!("endpoint {e}"));
    }
    let mut lines = vec![parts.join(", ")];
    if let Some(h) = &c.http_probe {
        let tls = match (&h.tls_version, &h.tls_cipher) {
            (Some(v), Some(c)) => format!(" over {v} ({c})"),
            (Some(v), None) => format!(" over {v}"),
            _ => String::new(),
        };
        let mut line = match (h.status, &h.error) {
            (_, Some(e)) => format!(
                "HTTP probe: POST {} failed after {:.0} ms: {e}",
                h.endpoint, h.latency_ms
            ),
            (Some(s), None) => format!(
                "HTTP probe: POST {} → {s} {} in {:.0} ms{tls}",
                h.endpoint,
                h.reason.as_deref().unwrap_or(""),
                h.latency_ms
            ),
            (None, None) => format!("HTTP probe: POST {}: no answer", h.endpoint),
        };
        if let Some(l) = &h.location {
            line.push_str(&format!("; Location: {l} (not followed)"));
        }
        if let Some(b) = &h.body_start {
            line.push_str(&format!("; body: {b}"));
        }
        lines.push(line);
    }
    lines
}

/// The records the connector's provider needs, as table rows (record, expected, found,
/// status); `None` when the audit checked none.
pub fn requirement_rows(a: &AuditFacts) -> Option<Vec<[String; 4]>> {
    let c = a.connector.as_ref()?;
    if c.requirements.is_empty() {
        return None;
    }
    Some(
        c.requirements
            .iter()
            .map(|r| {
                [
                    printable(&r.record).into_owned(),
                    printable(&r.expected).into_owned(),
                    printable(&r.found).into_owned(),
                    r.status.word().to_string(),
                ]
            })
            .collect(),
    )
}

/// The heading above [`requirement_rows`].
pub fn requirements_title(a: &AuditFacts) -> String {
    let name = a
        .connector
        .as_ref()
        .map_or("the connector", |c| c.connector.name());
    format!("DNS records {name} needs")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::alignment::{self, Identities};
    use crate::connectors::Kind;
    use crate::connectors::http_probe::HttpProbeFacts;
    use crate::connectors::requirements::Requirement;

    fn facts(connector: ConnectorFacts) -> AuditFacts {
        let alignment = alignment::predict(alignment::Inputs {
            identities: Identities {
                from_domain: Some("auth.example.com".into()),
                envelope_domain: None,
                envelope_note: String::new(),
                dkim_domain: None,
                dkim_note: String::new(),
            },
            provider: None,
            adkim_strict: false,
            aspf_strict: false,
            dmarc_record: true,
            spf_pass: Tri::CannotTell,
            dkim_pass: Tri::CannotTell,
        });
        AuditFacts {
            verdict: "READY",
            fixes: Vec::new(),
            smtp_verdict: None,
            alignment,
            mailbox_providers: Vec::new(),
            provider: None,
            reverse_dns: Vec::new(),
            provider_requirements: Vec::new(),
            test_mail: None,
            connector: Some(connector),
        }
    }

    fn connector(requirements: Vec<Requirement>, http: Option<HttpProbeFacts>) -> ConnectorFacts {
        ConnectorFacts {
            connector: Kind::Mailgun,
            from_domain: Some("mg.example.com".into()),
            sending_domain: Some("mg.example.com".into()),
            region: Some("eu".into()),
            api_endpoint: Some("https://api.eu.mailgun.net".into()),
            requirements,
            http_probe: http,
            api: None,
        }
    }

    #[test]
    fn connector_summary_has_its_facts_and_no_empty_mailbox_heading() {
        let (_, lines) = summary(&facts(connector(Vec::new(), None)));
        assert!(
            lines.contains(&"Connector: mailgun, sending domain mg.example.com, region eu, endpoint https://api.eu.mailgun.net".to_string()),
            "{lines:#?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("Mailbox providers")),
            "{lines:#?}"
        );
        assert_eq!(requirement_rows(&facts(connector(Vec::new(), None))), None);
    }

    #[test]
    fn http_probe_line_and_requirement_rows() {
        let http = HttpProbeFacts {
            endpoint: "https://mail.example.com:443/send".into(),
            status: Some(204),
            reason: Some("No Content".into()),
            latency_ms: 12.4,
            tls_version: Some("TLSv1_3".into()),
            tls_cipher: Some("TLS13_AES_128_GCM_SHA256".into()),
            body_start: Some("ok\u{1b}[31m".into()),
            ..HttpProbeFacts::default()
        };
        let reqs = vec![Requirement {
            record: "mg.example.com MX".into(),
            expected: "mxa.eu.mailgun.org".into(),
            found: "mx.evil\u{1b}[2J".into(),
            status: Tri::No,
        }];
        let a = facts(connector(reqs, Some(http)));
        let (_, lines) = summary(&a);
        let probe = lines.iter().find(|l| l.starts_with("HTTP probe:")).unwrap();
        assert_eq!(
            probe,
            "HTTP probe: POST https://mail.example.com:443/send → 204 No Content in 12 ms over TLSv1_3 (TLS13_AES_128_GCM_SHA256); body: ok\\u{1b}[31m"
        );
        let rows = requirement_rows(&a).unwrap();
        assert_eq!(
            rows,
            vec![[
                "mg.example.com MX".to_string(),
                "mxa.eu.mailgun.org".to_string(),
                "mx.evil\\u{1b}[2J".to_string(),
                "no".to_string()
            ]]
        );
        assert_eq!(requirements_title(&a), "DNS records mailgun needs");
    }
}
