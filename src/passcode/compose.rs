//! Composing the test passcode mail: render the template as Logto does, build the message
//! as nodemailer would, DKIM-sign it, verify the signature against DNS *before* anything is
//! sent, then deliver it once through the same SMTP session the probe uses (or write it
//! with `--dry-run --out`). Shared by `send` and `audit --to`.
//!
//! Why not lettre for the delivery (checked against lettre 0.11.23's source; the details are
//! in docs/architecture.md): its connection reads and drops the greeting and sends EHLO itself
//! (no HELO fallback), upgrades with STARTTLS only when EHLO advertised it (nodemailer sends it
//! blind under requireTLS), takes no rustls `ClientConfig` (no recording verifier, no pinned
//! self-signed leaf) and tells neither the TLS version nor the cipher suite. lettre could take
//! tls.ca as the only roots and nodemailer's AUTH choice, but the delivery session's facts are
//! in the report: sending through the probe's session keeps them, and the mail goes exactly
//! the way the prediction was made.

use super::plan::{KeyChoice, SendPlan};
use super::{MessageFacts, SigningFacts, build, codes, lint, render};
use crate::check::CheckOptions;
use crate::config::Loaded;
use crate::config::address::parse_mailbox;
use crate::dkim::signing::{self, KeyAlgorithm};
use crate::dkim::verify_mail;
use crate::dmarc::orgdomain::same_organization;
use crate::dns::DnsView;
use crate::report::{Evidence, Finding};
use crate::smtp::probe::Delivery;
use crate::smtp::{ProbeInput, SmtpFacts};
use std::collections::BTreeMap;

/// Gmail clips messages above 102 KiB.
const CLIP_BYTES: usize = 100 * 1024;

/// What composing (and sending) the test mail produced.
pub struct Composed {
    pub findings: Vec<Finding>,
    pub message: Option<MessageFacts>,
    /// The delivery session, unless `--dry-run`.
    pub smtp: Option<SmtpFacts>,
}

/// Renders, builds, signs, verifies and (unless `plan.out`) delivers the test mail once.
/// `Err` is an input error (a message above the size limit, an unwritable --out).
pub async fn compose(
    loaded: &Loaded,
    plan: &SendPlan,
    probe: &ProbeInput,
    view: &DnsView,
) -> Result<Composed, String> {
    let c = &loaded.config;
    let mut findings: Vec<Finding> = Vec::new();
    let from_raw = c.from_email.clone().unwrap_or_default();
    let from_domain = parse_mailbox(&from_raw)
        .ok()
        .map(|m| m.domain.to_ascii_lowercase());
    findings.extend(lint::lint(&c.templates, from_domain.as_deref()));

    let template = c
        .templates
        .iter()
        .find(|t| t.usage_type.as_deref() == Some(plan.usage.as_str()));
    let mut message_facts = None;
    let mut smtp_facts = None;
    match template {
        None => findings.push(Finding::new(
            &codes::USAGE_NOT_CONFIGURED,
            c.path_of("templates"),
            format!("no template has usageType \"{}\": nothing to send (the real flow fails with TemplateNotFound)", plan.usage),
        )),
        Some(t) => {
            let payload: BTreeMap<String, String> = [
                ("code".to_string(), plan.code.clone()),
                ("locale".to_string(), "en".to_string()),
            ]
            .into_iter()
            .collect();
            let subject = render::render(t.subject.as_deref().unwrap_or(""), &payload);
            let body = render::render(t.content.as_deref().unwrap_or(""), &payload);
            let html = t.content_type.as_deref() == Some("text/html");
            let token = format!("{:016x}.{:x}", build::random_u64(), build::now_unix());
            let built = build::build(&build::MessageSpec {
                from: &from_raw,
                from_domain: from_domain.as_deref().unwrap_or("localhost"),
                to: &plan.to,
                reply_to: c.reply_to.as_deref(),
                subject: &subject,
                body: &body,
                html,
                custom_headers: &c.custom_headers,
                test_marker: plan.test_marker,
                now: build::now_unix(),
                token: &token,
            });
            if built.bytes.len() > build::MAX_MESSAGE_BYTES {
                return Err(format!(
                    "the rendered message is {} bytes, above the {} byte limit",
                    built.bytes.len(),
                    build::MAX_MESSAGE_BYTES
                ));
            }
            if built.bytes.len() > CLIP_BYTES {
                findings.push(Finding::new(&codes::TOO_LARGE, t.path.clone(), format!("the rendered {} mail is {} bytes", plan.usage, built.bytes.len())));
            }
            let (bytes, dkim, unsigned_reason) =
                sign_and_verify(loaded, plan, view, &built.bytes, from_domain.as_deref(), &mut findings).await;
            let mut facts = MessageFacts {
                usage_type: plan.usage.clone(),
                code: plan.code.clone(),
                from: from_raw.clone(),
                to: plan.to.clone(),
                subject: built.subject.clone(),
                message_id: built.message_id.clone(),
                content_type: t.content_type.clone().unwrap_or_default(),
                bytes: bytes.len(),
                placeholders: render::placeholders(t.content.as_deref().unwrap_or("")),
                dkim,
                unsigned_reason,
                written_to: None,
            };
            match &plan.out {
                Some(path) => {
                    if let Err(e) = std::fs::write(path, &bytes) {
                        return Err(format!("cannot write {}: {e}", path.display()));
                    }
                    facts.written_to = Some(path.display().to_string());
                }
                None if !plan.deliver => {}
                None => {
                    let mut input = probe.clone();
                    input.delivery = Some(Delivery {
                        to: plan.to.clone(),
                        message: bytes,
                    });
                    let result = crate::smtp::probe::run(view.dns(), &input).await;
                    findings.extend(result.findings);
                    smtp_facts = Some(result.facts);
                }
            }
            message_facts = Some(facts);
        }
    }

    Ok(Composed {
        findings,
        message: message_facts,
        smtp: smtp_facts,
    })
}

/// Signs as configured and verifies the signature against DNS. Returns the bytes to send,
/// the signing facts, and why the mail is unsigned when it is.
async fn sign_and_verify(
    loaded: &Loaded,
    plan: &SendPlan,
    view: &DnsView,
    message: &[u8],
    from_domain: Option<&str>,
    findings: &mut Vec<Finding>,
) -> (Vec<u8>, Option<SigningFacts>, Option<String>) {
    let c = &loaded.config;
    let (pem, selector, domain, source) = match &plan.key {
        KeyChoice::None => {
            return (message.to_vec(), None, Some("no DKIM key given (--dkim-key) and no dkim option in the config: the mail is signed only if the provider signs it".into()));
        }
        KeyChoice::Flags {
            pem,
            selector,
            domain,
        } => (
            Some(pem.clone()),
            Some(selector.clone()),
            domain.clone(),
            "--dkim-key",
        ),
        KeyChoice::Config {
            pem,
            selector,
            domain,
        } => (
            pem.clone(),
            selector.clone(),
            domain.clone(),
            "config dkim option",
        ),
    };
    let from_config = source == "config dkim option";
    let dkim_path = c.path_of("dkim");
    let unusable = |why: String, findings: &mut Vec<Finding>| {
        if from_config {
            findings.push(Finding::new(
                &codes::NODEMAILER_UNSIGNED,
                dkim_path.clone(),
                format!("{why}: nodemailer sends every message unsigned, and says nothing"),
            ));
        } else {
            findings.push(Finding::new(
                &codes::DKIM_KEY_UNREADABLE,
                "--dkim-key",
                why.clone(),
            ));
        }
        why
    };
    let Some(pem) = pem else {
        let why = unusable("the dkim option has no privateKey".into(), findings);
        return (message.to_vec(), None, Some(why));
    };
    let key = match signing::load_private_key(pem.expose()) {
        Ok(k) => k,
        Err(e) => {
            let why = unusable(format!("the DKIM private key is {e}"), findings);
            return (message.to_vec(), None, Some(why));
        }
    };
    if from_config && key.algorithm == KeyAlgorithm::Ed25519Sha256 {
        let why = unusable(
            "the dkim option's key is Ed25519, which nodemailer cannot sign with".into(),
            findings,
        );
        return (message.to_vec(), None, Some(why));
    }
    let Some(selector) = selector else {
        let why = unusable("the dkim option has no keySelector".into(), findings);
        return (message.to_vec(), None, Some(why));
    };
    let domain = domain
        .or_else(|| from_domain.map(str::to_string))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (algorithm, key_bits, public_record) =
        (key.algorithm.tag(), key.rsa_bits, key.public_record());
    let signed = match signing::sign(message, key, &domain, &selector) {
        Ok(s) => s,
        Err(e) => {
            let why = unusable(e, findings);
            return (message.to_vec(), None, Some(why));
        }
    };
    // The key record as published: its own checks (size, t=y, revoked, missing).
    let key_name = format!("{selector}._domainkey.{domain}");
    let opts = CheckOptions {
        selectors: vec![selector.clone()],
        no_default_selectors: true,
        ..CheckOptions::default()
    };
    let checked = crate::dkim::check(view, &domain, &opts).await;
    // A missing key is this mail's error (send-dkim-no-key below), not a note about a domain.
    findings.extend(
        checked.findings.into_iter().filter(|f| {
            f.code.id != "dkim-selector-missing" && f.code.id != "dkim-no-selector-found"
        }),
    );
    let verification = verify_mail::verify(view.dns(), &signed)
        .await
        .unwrap_or_default();
    let key_present = verification.iter().any(|v| v.key_lookup == "NOERROR");
    for v in &verification {
        if !key_present && matches!(v.key_lookup.as_str(), "NXDOMAIN" | "NODATA") {
            findings.push(
                Finding::new(&codes::DKIM_NO_KEY_IN_DNS, key_name.clone(), format!("the mail is signed with s={selector}, d={domain}, but {key_name} has no TXT record ({})", v.key_lookup))
                    .remediation(format!("Publish TXT at {key_name}: \"{public_record}\" (split into 255-byte strings)"))
                    .evidence(Evidence::Value { label: "record-to-publish".into(), value: public_record.clone() }),
            );
            continue;
        }
        match v.result.as_str() {
            "pass" => {}
            "fail" | "neutral" | "permerror" if key_present => findings.push(
                Finding::new(&codes::DKIM_KEY_MISMATCH, key_name.clone(), format!("the signature ({}, d={}, s={}) does not verify against the key at {key_name}: {}", v.algorithm, v.domain, v.selector, v.reason.clone().unwrap_or_default()))
                    .remediation(format!("Publish the public key of the key you sign with at {key_name}: \"{public_record}\""))
                    .evidence(Evidence::Value { label: "expected-record".into(), value: public_record.clone() }),
            ),
            "temperror" => findings.push(Finding::new(&codes::DKIM_VERIFY_ERROR, key_name.clone(), format!("the signature could not be verified: {} (key lookup: {})", v.reason.clone().unwrap_or_default(), v.key_lookup))),
            _ => {}
        }
    }
    let aligned = from_domain.is_some_and(|f| same_organization(f, &domain));
    if !aligned {
        findings.push(Finding::new(
            &codes::DKIM_NOT_ALIGNED,
            key_name.clone(),
            format!(
                "d={domain} is not in the From domain's organization ({})",
                from_domain.unwrap_or("no From domain")
            ),
        ));
    }
    let facts = SigningFacts {
        domain,
        selector,
        algorithm,
        key_bits,
        key_source: source,
        public_record,
        aligned_with_from: aligned,
        verification,
    };
    (signed, Some(facts), None)
}
