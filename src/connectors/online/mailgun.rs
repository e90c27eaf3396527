//! Mailgun: `GET {endpoint}/v4/domains/{domain}` with HTTP basic auth `api:KEY`, following
//! Mailgun's API reference "Get domain details" (GET /v4/domains/{name}; 200 `{domain,
//! receiving_dns_records, sending_dns_records}`, 401 and 404 `{message}`) and its domains
//! documentation (mailgun/documentation source/api-domains.rst: `state` is `active`,
//! `unverified` or `disabled`; `type` `sandbox` or `custom`; each DNS record's `valid` is
//! `valid`, `invalid` or `unknown`). The endpoint is the config's (Logto posts to
//! `{endpoint}/v3/{domain}/messages`, default `https://api.mailgun.net`); domains live in one
//! region, so a 404 may mean the other one. Mailgun's domain sending keys may only POST
//! messages (Mailgun API reference, "Authentication"), so a refusal here does not prove the
//! key cannot send.

use super::{Session, codes, secret_or_note, status_evidence};
use crate::audit::alignment::Tri;
use crate::connectors::Checked;
use crate::connectors::http_probe::Url;
use crate::report::{Evidence, Finding};
use base64::Engine;
use serde::Serialize;
use serde_json::Value;

const ACTION: &str = "GetDomain";
const US: &str = "https://api.mailgun.net";
const EU: &str = "https://api.eu.mailgun.net";

#[derive(Clone, Debug, Serialize)]
pub struct Facts {
    pub domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `sandbox` or `custom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_disabled: Option<bool>,
    pub sending_dns_records: Vec<Record>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Record {
    pub record_type: String,
    pub name: String,
    /// `valid`, `invalid` or `unknown`, as Mailgun last saw it.
    pub valid: String,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub async fn check(s: &mut Session<'_>, c: &Checked) {
    let Some(key) = secret_or_note(s, c.secret.as_ref(), "apiKey") else {
        return;
    };
    let Some(domain) = c.sending_domain.clone().filter(|d| !d.is_empty()) else {
        s.cannot_tell("domain is not set: Mailgun's API was not called".into());
        return;
    };
    let endpoint = c.api_endpoint.clone().unwrap_or_else(|| US.into());
    let Ok(mut u) = Url::parse(&endpoint) else {
        s.cannot_tell(format!(
            "endpoint `{endpoint}` is not a URL: Mailgun's API was not called"
        ));
        return;
    };
    u.target = format!("/v4/domains/{}", super::sigv4::path_segment(&domain));
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("api:{}", key.expose()));
    let Some(r) = s
        .get(ACTION, u.clone(), |_| {
            vec![("Authorization".into(), format!("Basic {basic}"))]
        })
        .await
    else {
        return;
    };
    let eu = c.region.as_deref() == Some("eu");
    let (here, other) = if eu { ("EU", "US") } else { ("US", "EU") };
    match r.status {
        200 => judge_domain(s, &domain, &r),
        401 | 403 => {
            let said = s.provider_message(&r.body).unwrap_or_default();
            s.push(Finding::new(
                &codes::ACCESS_DENIED,
                s.subject.clone(),
                format!("Mailgun refused the key for GetDomain ({} {said}): either the key is wrong (Logto's sends then fail with 401), or it is a domain sending key, which may only send messages, so this check cannot tell", r.status),
            ).evidence(status_evidence(&r)).remediation("If Logto's sends fail with 401 too, create a new key in Mailgun's console (API Security, or the domain's Sending API keys) for this region's account."));
        }
        404 => {
            // Whether Mailgun checks the key before looking the domain up is not documented:
            // credentials_valid stays cannot-tell.
            s.facts.sending_ready = Tri::No;
            let suggest = if eu { US } else { EU };
            s.push(
                Finding::new(
                    &codes::DOMAIN_NOT_FOUND,
                    domain.clone(),
                    format!("Mailgun's {here} region ({}) has no domain {domain} in this account: Logto's sends fail with 404. Mailgun keeps domains per region: if it was added in the {other} region, set endpoint to {suggest}", u.display()),
                )
                .evidence(status_evidence(&r))
                .remediation(format!("Add {domain} in Mailgun's {here} region, or set the connector's endpoint to {suggest} if the domain is there.")),
            );
        }
        _ => s.unexpected(ACTION, &r),
    }
}

fn judge_domain(s: &mut Session<'_>, domain: &str, r: &crate::connectors::http_response::Response) {
    let Some(v) = s.json(ACTION, r) else { return };
    let Some(d) = v.get("domain").filter(|d| d.is_object()) else {
        s.push(Finding::new(
            &codes::UNEXPECTED_ANSWER,
            s.subject.clone(),
            "GetDomain answered 200 without a `domain` object: nothing learnt",
        ));
        return;
    };
    s.facts.credentials_valid = Tri::Yes;
    let state = d.get("state").and_then(Value::as_str).map(str::to_string);
    let domain_type = d.get("type").and_then(Value::as_str).map(str::to_string);
    let is_disabled = d.get("is_disabled").and_then(Value::as_bool);
    let records: Vec<&Value> = v
        .get("sending_dns_records")
        .and_then(Value::as_array)
        .map(|a| a.iter().take(100).collect())
        .unwrap_or_default();
    let mut ready = Tri::Yes;
    match state.as_deref() {
        Some("active") => {}
        Some("unverified") => {
            ready = Tri::No;
            s.push(Finding::new(
                &codes::DOMAIN_UNVERIFIED,
                domain,
                format!("Mailgun has {domain} but its state is `unverified`: Mailgun does not send from it until its DNS records verify"),
            ));
        }
        Some("disabled") => {
            ready = Tri::No;
            s.push(Finding::new(
                &codes::SENDING_DISABLED,
                domain,
                format!("Mailgun has {domain} in state `disabled`: sends from it are refused"),
            ));
        }
        other => {
            ready = Tri::CannotTell;
            s.cannot_tell(format!(
                "Mailgun reports {domain} in state {:?}, which this check does not know",
                other.unwrap_or("(none)")
            ));
        }
    }
    if is_disabled == Some(true) && state.as_deref() != Some("disabled") {
        ready = Tri::No;
        s.push(Finding::new(
            &codes::SENDING_DISABLED,
            domain,
            format!("Mailgun marks {domain} as disabled (is_disabled): sends from it are refused"),
        ));
    }
    if domain_type.as_deref() == Some("sandbox") {
        ready = Tri::No;
        s.push(Finding::new(
            &codes::SANDBOX,
            domain,
            format!("{domain} is a Mailgun sandbox domain: it delivers only to authorized recipients, so Logto's users get no passcode"),
        ).remediation("Add and verify your own sending domain in Mailgun and use it as the connector's domain."));
    }
    let mut kept = Vec::new();
    for rec in records {
        let record = Record {
            record_type: text(rec, "record_type"),
            name: text(rec, "name"),
            valid: text(rec, "valid").to_ascii_lowercase(),
        };
        if record.valid != "valid" {
            let expected: String = text(rec, "value").chars().take(300).collect();
            let subject = if record.name.is_empty() {
                domain.to_string()
            } else {
                record.name.clone()
            };
            s.push(
                Finding::new(
                    &codes::DNS_RECORD_INVALID,
                    subject.clone(),
                    format!(
                        "Mailgun reports its {} record at {subject} as `{}`",
                        record.record_type,
                        if record.valid.is_empty() {
                            "unknown"
                        } else {
                            &record.valid
                        }
                    ),
                )
                .evidence(Evidence::Record {
                    name: subject,
                    text: expected,
                    span: None,
                }),
            );
        }
        kept.push(record);
    }
    s.facts.sending_ready = ready;
    s.facts.mailgun = Some(Facts {
        domain: domain.to_string(),
        state,
        domain_type,
        is_disabled,
        sending_dns_records: kept,
    });
}
