//! `audit`: the whole pre-flight of a connector config in one run. The SMTP probe and the DNS
//! audit of the From domain run concurrently on one DNS layer; then the cross-checks
//! (alignment, provider requirements, reverse DNS, mailbox providers' rules, the docs'
//! advice); then, with `--to`, the test passcode mail. The summary comes first.

pub mod alignment;
pub mod codes;
pub mod facts;
pub mod profile;
pub mod provider;
pub mod summary;

use crate::check::CheckOptions;
use crate::config::Loaded;
use crate::config::address::parse_mailbox;
use crate::dmarc::orgdomain::organizational_domain;
use crate::dns::Dns;
use crate::passcode::plan::{KeyChoice, SendPlan};
use crate::report::{DomainFacts, DomainReport, Finding};
use crate::smtp::{ProbeInput, SmtpFacts};
use alignment::{Identities, Tri};
pub use facts::{AuditFacts, ReverseDns};
use std::net::IpAddr;
use std::time::Instant;

/// Marketing email services whose SPF include marks a domain as shared with marketing mail.
const MARKETING_SPF: &[(&str, &str)] = &[
    ("servers.mcsv.net", "Mailchimp"),
    ("mcsv.net", "Mailchimp"),
    ("spf.mandrillapp.com", "Mailchimp Transactional"),
    ("_spf.hubspotemail.net", "HubSpot"),
    ("hubspotemail.net", "HubSpot"),
    ("spf.constantcontact.com", "Constant Contact"),
    ("mktomail.com", "Marketo"),
    ("_spf.salesforce.com", "Salesforce"),
    ("spf.sendinblue.com", "Brevo (Sendinblue)"),
    ("_spf.klaviyo.com", "Klaviyo"),
];

pub struct AuditRun {
    pub targets: Vec<DomainReport>,
    pub facts: AuditFacts,
}

async fn reverse_dns(dns: &Dns, ip: IpAddr) -> ReverseDns {
    let found = crate::dns::reverse::forward_confirm(&dns.view(), ip).await;
    ReverseDns {
        ip: ip.to_string(),
        forward_confirmed: found.forward_confirmed(),
        ptr: found.ptr,
    }
}

/// The addresses the connector will send from, found as the probe finds them (nodemailer's
/// rule: IP literal, resolve4, resolve6, /etc/hosts).
async fn host_ips(dns: &Dns, host: &str, lookup_timeout: std::time::Duration) -> Vec<IpAddr> {
    let families = crate::smtp::host_address::Families::of_this_host();
    crate::smtp::host_address::resolve(dns, host, families, lookup_timeout)
        .await
        .map(|found| found.addresses.into_iter().take(4).collect())
        .unwrap_or_default()
}

/// Runs the pre-flight. `plan`: the test mail (sent when `plan.deliver`).
pub async fn run(
    dns: &Dns,
    loaded: &Loaded,
    probe: &ProbeInput,
    plan: &SendPlan,
    progress: bool,
) -> AuditRun {
    let started = Instant::now();
    let c = &loaded.config;
    let from_domain = c
        .from_email
        .as_deref()
        .and_then(|f| parse_mailbox(f).ok())
        .map(|m| m.domain.to_ascii_lowercase());
    let provider = probe.provider;
    let self_run = provider.is_none();
    let (key_selector, key_domain) = match &plan.key {
        KeyChoice::Flags {
            selector, domain, ..
        } => (Some(selector.clone()), domain.clone()),
        KeyChoice::Config {
            selector, domain, ..
        } => (selector.clone(), domain.clone()),
        KeyChoice::None => (None, None),
    };
    let mut selectors: Vec<String> = key_selector.iter().cloned().collect();
    if let Some(p) = provider {
        selectors.extend(p.dkim_selectors.iter().map(|s| s.to_string()));
    }
    // A server we run ourselves sends from its own address: SPF is evaluated for it.
    let ips = if self_run {
        host_ips(dns, &probe.plan.host, probe.plan.timeouts.connection).await
    } else {
        Vec::new()
    };
    // SPF is evaluated for the identity the connector's session carries: nodemailer's
    // MAIL FROM (the fromEmail address, whose local part feeds %{l} and %{s}) and its EHLO
    // name (%{h}), not a stand-in postmaster@ address.
    let opts = CheckOptions {
        sending_ip: ips.first().copied(),
        helo: Some(probe.ehlo_name.clone()),
        mail_from: probe.envelope_from.clone(),
        selectors,
        probe_selectors: Vec::new(),
        no_default_selectors: false,
    };
    if progress {
        eprintln!(
            "mailpreflight: probing {}:{} and auditing {} …",
            probe.plan.host,
            probe.plan.port.unwrap_or(0),
            from_domain.as_deref().unwrap_or("(no From domain)")
        );
    }
    let domain_audit = async {
        match &from_domain {
            Some(d) => Some(crate::domain_audit::audit_domain(dns, d, &opts).await),
            None => None,
        }
    };
    let reverse = async {
        let mut out = Vec::new();
        for ip in &ips {
            out.push(reverse_dns(dns, *ip).await);
        }
        out
    };
    let (probed, domain_report, reverse) =
        tokio::join!(crate::smtp::probe::run(dns, probe), domain_audit, reverse);

    // The test mail (or, without --to, the same message signed and verified in memory).
    if progress && plan.deliver {
        eprintln!(
            "mailpreflight: sending the test passcode mail to {} …",
            plan.to
        );
    }
    let view = dns.view();
    let composed = crate::passcode::compose::compose(loaded, plan, probe, &view)
        .await
        .ok();

    let empty = DomainFacts::default();
    let facts = domain_report.as_ref().map_or(&empty, |r| &r.facts);
    let dmarc = facts.dmarc.as_ref();
    let adkim_strict = dmarc.and_then(|d| d.adkim.as_deref()) == Some("s");
    let aspf_strict = dmarc.and_then(|d| d.aspf.as_deref()) == Some("s");
    let dmarc_record = dmarc.is_some_and(|d| d.record.is_some());
    let spf = facts.spf.as_ref();
    let mut findings: Vec<Finding> = Vec::new();
    let subject = from_domain
        .clone()
        .unwrap_or_else(|| "(no From domain)".into());

    // SPF: for a self-run server, check_host() for its address; for a provider, its include.
    let spf_pass = if self_run {
        match spf
            .and_then(|s| s.verdict.as_ref())
            .map(|v| v.result.as_str())
        {
            Some("pass") => Tri::Yes,
            Some(other) => {
                let ip = ips.first().map(ToString::to_string).unwrap_or_default();
                findings.push(Finding::new(
                    &codes::SPF_FAILS_FOR_SERVER,
                    subject.clone(),
                    format!(
                        "SPF for {ip} (the SMTP server {}) is {other}",
                        probe.plan.host
                    ),
                ));
                Tri::No
            }
            None => Tri::CannotTell,
        }
    } else {
        match (
            provider.and_then(|p| p.spf_include),
            spf.and_then(|s| s.tree.as_ref()),
        ) {
            (Some(include), Some(tree)) => {
                if provider::spf_includes(tree, include) {
                    Tri::Yes
                } else {
                    findings.push(
                        Finding::new(
                            &codes::PROVIDER_SPF_MISSING,
                            subject.clone(),
                            format!(
                                "{}'s SPF does not include {include} ({})",
                                subject,
                                provider.map_or("", |p| p.name)
                            ),
                        )
                        .remediation(format!(
                            "Add include:{include} to the SPF record of the envelope domain ({})",
                            provider.map_or("", |p| p.spf_note)
                        )),
                    );
                    Tri::No
                }
            }
            _ => Tri::CannotTell,
        }
    };
    // DKIM: the signature made with the key given (verified against DNS), else a key found
    // at one of the provider's selectors on the From domain.
    let signing = composed
        .as_ref()
        .and_then(|c| c.message.as_ref())
        .and_then(|m| m.dkim.clone());
    let (dkim_pass, dkim_domain, dkim_note) = match &signing {
        Some(s) => (
            if s.verification.iter().any(|v| v.result == "pass") {
                Tri::Yes
            } else {
                Tri::No
            },
            Some(s.domain.clone()),
            format!(
                "the mail is signed d={} s={} ({})",
                s.domain, s.selector, s.key_source
            ),
        ),
        None => match (provider, facts.dkim.as_ref()) {
            (Some(p), Some(d))
                if d.keys
                    .iter()
                    .any(|k| p.dkim_selectors.contains(&k.selector.as_str()) && !k.revoked) =>
            {
                (
                    Tri::Yes,
                    from_domain.clone(),
                    format!("{} signs with the key at a selector it uses", p.name),
                )
            }
            (_, Some(d)) if d.keys.is_empty() => (
                Tri::No,
                None,
                "no signing key given, and no DKIM key found at the common selectors".into(),
            ),
            _ => (
                Tri::CannotTell,
                key_domain.clone(),
                "no signing key given (--dkim-key, or the config's dkim option)".into(),
            ),
        },
    };
    let prediction_dkim_domain = dkim_domain.clone();
    let (envelope_domain, envelope_note) =
        alignment::envelope_identity(from_domain.as_deref(), provider);
    let prediction = alignment::predict(alignment::Inputs {
        identities: Identities {
            from_domain: from_domain.clone(),
            envelope_domain,
            envelope_note,
            dkim_domain,
            dkim_note,
        },
        provider,
        adkim_strict,
        aspf_strict,
        dmarc_record,
        spf_pass,
        dkim_pass,
    });
    match prediction.dmarc_pass {
        Tri::No => findings.push(Finding::new(&codes::DMARC_WILL_FAIL, subject.clone(), format!("DMARC will fail for {subject}: SPF {} aligned {}, DKIM {} aligned {}", prediction.spf_pass.word(), prediction.spf_aligned.word(), prediction.dkim_pass.word(), prediction.dkim_aligned.word())).remediation(prediction.shortest_fix.clone().unwrap_or_default())),
        Tri::CannotTell => findings.push(Finding::new(&codes::DMARC_CANNOT_TELL, subject.clone(), format!("DMARC for {subject} cannot be predicted: SPF {} aligned {}, DKIM {} aligned {}", prediction.spf_pass.word(), prediction.spf_aligned.word(), prediction.dkim_pass.word(), prediction.dkim_aligned.word())).remediation(prediction.shortest_fix.clone().unwrap_or_default())),
        Tri::Yes => {}
    }
    if prediction.spf_aligned == Tri::No {
        findings.push(Finding::new(
            &codes::SPF_NOT_ALIGNED,
            subject.clone(),
            format!(
                "{} (aspf={})",
                prediction.identities.envelope_note,
                if aspf_strict { "s" } else { "r" }
            ),
        ));
    }
    if prediction.dkim_aligned == Tri::No {
        findings.push(Finding::new(
            &codes::DKIM_NOT_ALIGNED,
            subject.clone(),
            format!(
                "d={} vs From {subject} (adkim={})",
                prediction.identities.dkim_domain.as_deref().unwrap_or("?"),
                if adkim_strict { "s" } else { "r" }
            ),
        ));
    }
    for r in &reverse {
        if !r.forward_confirmed {
            let what = if r.ptr.is_empty() {
                "has no PTR record".to_string()
            } else {
                format!(
                    "has PTR {} which does not resolve back to it",
                    r.ptr.join(", ")
                )
            };
            findings.push(Finding::new(
                &codes::REVERSE_DNS,
                r.ip.clone(),
                format!("the SMTP server's address {} {what}", r.ip),
            ));
        }
    }
    let fcrdns = if !self_run || reverse.is_empty() {
        Tri::CannotTell
    } else if reverse.iter().all(|r| r.forward_confirmed) {
        Tri::Yes
    } else {
        Tri::No
    };
    let tls = match probed.facts.tls.as_ref() {
        Some(_) => Tri::Yes,
        None if probed.facts.banner.is_some() => Tri::No,
        None => Tri::CannotTell,
    };
    let key_bits = signing.as_ref().and_then(|s| s.key_bits).or_else(|| {
        facts
            .dkim
            .as_ref()
            .and_then(|d| d.keys.iter().filter_map(|k| k.bits).max())
    });
    let rules = profile::judge(&profile::Evidence {
        alignment: &prediction,
        tls,
        fcrdns,
        dkim_key_bits: key_bits,
        dmarc_policy: dmarc.and_then(|d| d.policy.clone()),
    });
    for r in rules.iter().filter(|r| !r.bulk_only && r.status == Tri::No) {
        findings.push(Finding::new(
            &codes::MAILBOX_RULE,
            r.providers,
            format!("{}: {} ({})", r.providers, r.rule, r.why),
        ));
    }
    if let Some(d) = &from_domain {
        if organizational_domain(d) == *d {
            findings.push(Finding::new(
                &codes::NO_DEDICATED_SUBDOMAIN,
                d.clone(),
                format!(
                    "passcodes are sent from {d} itself, not from a subdomain such as auth.{d}"
                ),
            ));
        }
        if let Some(tree) = spf.and_then(|s| s.tree.as_ref()) {
            for (include, name) in MARKETING_SPF {
                if provider::spf_includes(tree, include) {
                    findings.push(Finding::new(
                        &codes::MARKETING_IN_SPF,
                        d.clone(),
                        format!("{d}'s SPF includes {include} ({name})"),
                    ));
                    break;
                }
            }
        }
    }

    let provider_requirements = match (provider, &from_domain) {
        (Some(p), Some(d)) => {
            provider::check(
                dns,
                p,
                d,
                spf.and_then(|s| s.tree.as_ref()),
                facts.dkim.as_ref(),
            )
            .await
        }
        _ => Vec::new(),
    };
    for r in provider_requirements
        .iter()
        .filter(|r| r.status == Tri::No && !r.requirement.starts_with("SPF"))
    {
        findings.push(Finding::new(
            &codes::PROVIDER_RECORD_MISSING,
            subject.clone(),
            format!("{}: {}", r.requirement, r.detail),
        ));
    }

    // The connector's own target: config, probe, cross-checks, and the test mail.
    let mut connector_findings = loaded.findings.clone();
    connector_findings.extend(probed.findings);
    let mut test_mail = None;
    let (mut message, mut send_smtp): (Option<crate::passcode::MessageFacts>, Option<SmtpFacts>) =
        (None, None);
    if let Some(composed) = composed {
        connector_findings.extend(composed.findings.into_iter().filter(|f| {
            // The config's findings were added once already, and the probe's session
            // findings repeat for the delivery session: keep the send- and template- ones.
            matches!(
                f.code.area,
                crate::report::Area::Send
                    | crate::report::Area::Template
                    | crate::report::Area::Dkim
            )
        }));
        if plan.deliver {
            test_mail = Some(
                match composed.smtp.as_ref().and_then(|s| s.delivery.as_ref()) {
                    Some(d) if d.accepted => format!(
                        "sent to {} and accepted: {}",
                        d.to,
                        d.final_reply.as_deref().unwrap_or("")
                    ),
                    Some(d) => format!(
                        "sent to {} and refused: {}",
                        d.to,
                        d.final_reply
                            .as_deref()
                            .or(d.rcpt_reply.as_deref())
                            .unwrap_or("")
                    ),
                    None => format!(
                        "not sent to {}: {}",
                        plan.to,
                        composed
                            .smtp
                            .as_ref()
                            .and_then(|s| s.prediction.operator_message.clone())
                            .unwrap_or_else(|| "the session failed before the message".into())
                    ),
                },
            );
        }
        message = composed.message;
        send_smtp = composed.smtp;
    }
    connector_findings.extend(findings);
    let mut smtp_facts = probed.facts;
    if let Some(s) = send_smtp {
        smtp_facts.delivery = s.delivery;
    }
    let smtp_verdict = Some(smtp_facts.prediction.verdict);
    let mut connector = DomainReport {
        domain: format!("connector {}", smtp_facts.endpoint),
        worst: None,
        findings: connector_findings,
        facts: DomainFacts {
            smtp: Some(smtp_facts),
            message,
            ..DomainFacts::default()
        },
        queries: view.log(),
        elapsed_ms: crate::domain_audit::millis(started),
        baseline: None,
    };
    connector.recompute_worst();
    let mut targets = vec![connector];
    targets.extend(domain_report);
    // The DKIM signing domain, when it is not the From domain: its key record is what
    // receivers will fetch.
    if let (Some(d), Some(sel)) = (&prediction_dkim_domain, &key_selector)
        && Some(d) != from_domain.as_ref()
    {
        let opts = CheckOptions {
            selectors: vec![sel.clone()],
            no_default_selectors: true,
            ..CheckOptions::default()
        };
        targets.push(crate::domain_audit::audit_domain(dns, d, &opts).await);
    }
    AuditRun {
        targets,
        facts: AuditFacts {
            verdict: "READY",
            fixes: Vec::new(),
            smtp_verdict,
            alignment: prediction,
            mailbox_providers: rules,
            provider: provider.map(|p| p.name),
            reverse_dns: reverse,
            provider_requirements,
            test_mail,
            connector: None,
        },
    }
}

/// The verdict and ranked fixes, from the findings after the user's policy was applied.
pub fn conclude(facts: &mut AuditFacts, targets: &[DomainReport]) {
    let all: Vec<&Finding> = targets.iter().flat_map(|t| t.findings.iter()).collect();
    facts.verdict = summary::verdict(&all);
    facts.fixes = summary::ranked_fixes(&all);
}
