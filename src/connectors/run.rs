//! The pre-flight of a non-SMTP connector: the checked config, the From domain's DNS audit,
//! the provider's records, alignment as the provider sends, the HTTP probe, and with
//! `--online` the provider's read-only API calls.

use super::facts::ConnectorFacts;
use super::requirements;
use super::{Checked, Kind, codes, http_probe, online};
use crate::audit::alignment::{self, Identities, Tri};
use crate::audit::{AuditFacts, AuditRun};
use crate::check::CheckOptions;
use crate::dns::Dns;
use crate::report::{DomainFacts, DomainReport, Evidence, Finding};
use crate::smtp::tls::CertVerdict;
use std::time::{Duration, Instant};

pub struct Options {
    pub probe_endpoint: bool,
    pub online: bool,
    /// `--online`'s calls: `--api-timeout` and `--api-base`.
    pub api: online::ApiOptions,
    pub timeout: Duration,
    pub to: String,
    pub usage: String,
    pub code: String,
    /// `--endpoint-ca`: the only CAs trusted for an https endpoint (empty: the public roots).
    pub ca_pem: Vec<String>,
    /// `--selector`, `--return-path`: names only the provider's console knows.
    pub hints: requirements::Hints,
}

fn judge_http(f: &http_probe::HttpProbeFacts, subject: &str) -> Option<Finding> {
    let ev = |label: &str, v: String| Evidence::Value {
        label: label.into(),
        value: v,
    };
    let finding = match (f.status, &f.error) {
        (_, Some(e)) if f.certificate.as_ref().is_some_and(|c| *c != CertVerdict::Trusted) => {
            Finding::new(
                &codes::HTTP_UNREACHABLE,
                subject,
                format!("POST {} failed: {e}", f.endpoint),
            )
            .remediation("Serve a certificate from a public CA for the endpoint's name (with its intermediates). If Logto is set to trust a private CA (NODE_EXTRA_CA_CERTS), give that CA with --endpoint-ca PEM")
        }
        (_, Some(e)) => Finding::new(
            &codes::HTTP_UNREACHABLE,
            subject,
            format!("POST {} failed: {e}", f.endpoint),
        ),
        (Some(s), _) if (300..400).contains(&s) => Finding::new(
            &codes::HTTP_REDIRECT,
            subject,
            format!(
                "POST {} answered {s} redirecting to {} (not followed)",
                f.endpoint,
                f.location.as_deref().unwrap_or("(no Location)")
            ),
        ),
        (Some(200), _) => return None,
        (Some(s), _) if (200..300).contains(&s) => Finding::new(
            &codes::HTTP_NOT_200,
            subject,
            format!("POST {} answered {s}", f.endpoint),
        ),
        (Some(s), _) => Finding::new(
            &codes::HTTP_STATUS,
            subject,
            format!(
                "POST {} answered {s} {}: Logto's send fails with the body as its error",
                f.endpoint,
                f.reason.as_deref().unwrap_or("")
            ),
        ),
        (None, None) => return None,
    };
    let mut finding = finding.evidence(ev("latency_ms", f.latency_ms.to_string()));
    if let Some(b) = &f.body_start {
        finding = finding.evidence(ev("body_start", b.clone()));
    }
    Some(finding)
}

pub async fn run(dns: &Dns, c: &Checked, opts: &Options) -> AuditRun {
    let started = Instant::now();
    let view = dns.view();
    let mut findings = c.findings.clone();
    let subject = format!("{} connector", c.kind.name());
    let mut api = None;
    if opts.online {
        let (f, facts) = online::check(dns, c, &opts.api, &opts.ca_pem).await;
        findings.extend(f);
        api = facts;
    }
    let provider = c.kind.provider();
    let from = c.from_domain.clone();
    let check_opts = CheckOptions {
        sending_ip: None,
        helo: None,
        mail_from: None,
        selectors: requirements::selectors(c, &opts.hints),
        probe_selectors: Vec::new(),
        no_default_selectors: false,
    };
    let domain_report = match &from {
        Some(d) => Some(crate::domain_audit::audit_domain(dns, d, &check_opts).await),
        None => None,
    };
    let empty = DomainFacts::default();
    let facts = domain_report.as_ref().map_or(&empty, |r| &r.facts);
    let mut reqs = requirements::Outcome::default();
    if let Some(d) = &from {
        reqs = requirements::check(c, &view, facts.spf.as_ref(), d, &opts.hints).await;
    }
    findings.extend(reqs.findings);

    let mut http = None;
    if let Some((url, auth)) = &c.http {
        if opts.probe_endpoint {
            let payload = http_probe::payload(&opts.to, &opts.usage, &opts.code);
            let f = http_probe::probe(
                dns,
                url,
                auth.as_deref(),
                payload,
                opts.timeout,
                &opts.ca_pem,
            )
            .await;
            findings.extend(judge_http(&f, &subject));
            http = Some(f);
        } else {
            findings.push(Finding::new(
                &codes::HTTP_NOT_PROBED,
                subject.clone(),
                format!("{} was not called", url.display()),
            ));
        }
    }

    let dmarc = facts.dmarc.as_ref();
    let adkim_strict = dmarc.and_then(|d| d.adkim.as_deref()) == Some("s");
    let aspf_strict = dmarc.and_then(|d| d.aspf.as_deref()) == Some("s");
    // Where the records showed the envelope (Mailgun's sending domain, a custom Return-Path
    // or MAIL FROM), it is known; otherwise the providers table says how the provider sends.
    let (envelope_domain, envelope_note) = match reqs.envelope.clone() {
        Some((domain, note)) => (Some(domain), note),
        None => alignment::envelope_identity(from.as_deref(), provider),
    };
    let prediction = alignment::predict(alignment::Inputs {
        identities: Identities {
            from_domain: from.clone(),
            envelope_domain,
            envelope_note,
            dkim_domain: reqs.dkim_domain.clone(),
            dkim_note: format!(
                "{} signs with its own key for the domain set up in its console",
                provider.map_or("the service", |p| p.name)
            ),
        },
        provider,
        adkim_strict,
        aspf_strict,
        dmarc_record: dmarc.is_some_and(|d| d.record.is_some()),
        spf_pass: reqs.spf_pass.unwrap_or(Tri::CannotTell),
        dkim_pass: reqs.dkim_pass.unwrap_or(Tri::CannotTell),
    });
    let dsubject = from.clone().unwrap_or_else(|| subject.clone());
    if c.kind != Kind::HttpEmail {
        let line = format!(
            "SPF {} aligned {}, DKIM {} aligned {}",
            prediction.spf_pass.word(),
            prediction.spf_aligned.word(),
            prediction.dkim_pass.word(),
            prediction.dkim_aligned.word()
        );
        match prediction.dmarc_pass {
            Tri::No => findings.push(
                Finding::new(
                    &crate::audit::codes::DMARC_WILL_FAIL,
                    dsubject.clone(),
                    format!("DMARC will fail for {dsubject}: {line}"),
                )
                .remediation(prediction.shortest_fix.clone().unwrap_or_default()),
            ),
            Tri::CannotTell => findings.push(
                Finding::new(
                    &crate::audit::codes::DMARC_CANNOT_TELL,
                    dsubject.clone(),
                    format!("DMARC for {dsubject} cannot be predicted: {line}"),
                )
                .remediation(prediction.shortest_fix.clone().unwrap_or_default()),
            ),
            Tri::Yes => {}
        }
    }
    let mut connector = DomainReport {
        domain: format!("connector {}", c.kind.name()),
        worst: None,
        findings,
        facts: DomainFacts::default(),
        queries: view.log(),
        elapsed_ms: crate::domain_audit::millis(started),
        baseline: None,
    };
    connector.recompute_worst();
    let mut targets = vec![connector];
    targets.extend(domain_report);
    // Mailgun signs and bounces as its sending domain: when that is not the From domain,
    // its records are what receivers check, so it is audited too (as `audit` does for a
    // DKIM signing domain that is not the From domain).
    if let (Some(sending), Some(f)) = (&c.sending_domain, &from)
        && sending != f
    {
        let opts = CheckOptions {
            selectors: opts.hints.selectors.clone(),
            ..CheckOptions::default()
        };
        targets.push(crate::domain_audit::audit_domain(dns, sending, &opts).await);
    }
    AuditRun {
        targets,
        facts: AuditFacts {
            verdict: "READY",
            fixes: Vec::new(),
            smtp_verdict: None,
            alignment: prediction,
            mailbox_providers: Vec::new(),
            provider: provider.map(|p| p.name),
            reverse_dns: Vec::new(),
            // The provider's records are in `connector.requirements` for these connectors.
            provider_requirements: Vec::new(),
            test_mail: None,
            connector: Some(ConnectorFacts {
                connector: c.kind,
                from_domain: from,
                sending_domain: c.sending_domain.clone(),
                region: c.region.clone(),
                api_endpoint: c.api_endpoint.clone(),
                requirements: reqs.requirements,
                http_probe: http,
                api,
            }),
        },
    }
}
