//! Amazon SES, through the SES API v2 the connector's `SESv2Client` uses (connector-aws-ses
//! src/utils.ts): `GetAccount` (`GET /v2/email/account`) and `GetEmailIdentity` (`GET
//! /v2/email/identities/{EmailIdentity}`) on `https://email.{region}.amazonaws.com`, SigV4
//! signed for service `ses` (the SES v2 API reference; the service model's endpoint prefix
//! `email` and signing name `ses`). GetAccount: `ProductionAccessEnabled` false is the
//! sandbox (verified recipients only, 200 a day), `SendingEnabled`, `EnforcementStatus`
//! (`HEALTHY`, `PROBATION`, `SHUTDOWN`), `SendQuota`. GetEmailIdentity:
//! `VerifiedForSendingStatus`, `DkimAttributes.Status`, `MailFromAttributes`; 404
//! `NotFoundException` when the identity is not in this account and region. The From domain
//! is asked first, then the From address (SES sends from either when verified). Errors carry
//! their type in `x-amzn-ErrorType` or the body's `code`/`__type`, read the way the AWS SDK's
//! rest-json protocol does (`loadRestJsonErrorCode`).

use super::{Session, codes, secret_or_note, sigv4, status_evidence};
use crate::audit::alignment::Tri;
use crate::connectors::Checked;
use crate::connectors::http_probe::Url;
use crate::connectors::http_response::Response;
use crate::report::{Evidence, Finding};
use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, Serialize)]
pub struct Facts {
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_access_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sending_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforcement_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_24_hour_send: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_send_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_last_24_hours: Option<f64>,
    /// The identities asked for, in order.
    pub identities: Vec<Identity>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Identity {
    pub identity: String,
    /// Whether SES has it in this account and region.
    pub found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_for_sending: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dkim_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dkim_signing_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from_domain_status: Option<String>,
}

/// `https://email.{region}.amazonaws.com` (`.com.cn` in the China regions).
pub fn endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://email.{region}.{suffix}")
}

/// The error type of an SES answer, as the AWS SDK's rest-json protocol reads it.
pub fn error_type(r: &Response) -> String {
    let raw = r
        .header("x-amzn-errortype")
        .map(str::to_string)
        .or_else(|| {
            let v: Value = serde_json::from_slice(&r.body).ok()?;
            ["code", "Code", "__type"]
                .iter()
                .find_map(|k| v.get(k).and_then(Value::as_str).map(str::to_string))
        })
        .unwrap_or_default();
    let raw = raw.split(':').next().unwrap_or_default();
    raw.rsplit('#').next().unwrap_or_default().to_string()
}

struct Signer<'a> {
    key_id: &'a str,
    secret: &'a str,
    region: &'a str,
}

impl Signer<'_> {
    fn headers(&self, url: &Url) -> Vec<(String, String)> {
        let amz_date = sigv4::amz_date(crate::passcode::build::now_unix() as i64);
        let host = url.host_header();
        let (path, query) = url.target.split_once('?').unwrap_or((&url.target, ""));
        let authorization = sigv4::authorization(&sigv4::Input {
            method: "GET",
            host: &host,
            path,
            query,
            amz_date: &amz_date,
            region: self.region,
            service: "ses",
            key_id: self.key_id,
            secret: self.secret,
        });
        vec![
            ("X-Amz-Date".into(), amz_date),
            ("Authorization".into(), authorization),
        ]
    }
}

/// How an error answer ends the check.
enum Refusal {
    /// The credential is wrong: stop.
    Invalid,
    /// Not allowed, or not known: go on with the next call.
    Other,
}

fn judge_error(s: &mut Session<'_>, action: &str, r: &Response) -> Refusal {
    let kind = error_type(r);
    let said = s.provider_message(&r.body).unwrap_or_default();
    let clock = said.to_ascii_lowercase().contains("expired") || kind == "RequestExpired";
    match kind.as_str() {
        _ if clock => s.push(Finding::new(
            &codes::UNEXPECTED_ANSWER,
            s.subject.clone(),
            format!("SES refused {action} as expired ({kind}: {said}): this machine's clock is more than 5 minutes off, nothing learnt"),
        ).evidence(status_evidence(r))),
        "UnrecognizedClientException" | "InvalidClientTokenId" => {
            s.facts.credentials_valid = Tri::No;
            s.facts.sending_ready = Tri::No;
            s.push(Finding::new(
                &codes::KEY_INVALID,
                s.subject.clone(),
                format!("SES does not know the access key id ({kind}: {said}): it is wrong or deleted, so every send fails"),
            ).evidence(status_evidence(r)).remediation("Create an access key for an IAM user allowed ses:SendEmail and put its id and secret in the config."));
            return Refusal::Invalid;
        }
        "SignatureDoesNotMatch" | "InvalidSignatureException" => {
            s.facts.credentials_valid = Tri::No;
            s.facts.sending_ready = Tri::No;
            s.push(Finding::new(
                &codes::KEY_INVALID,
                s.subject.clone(),
                format!("SES knows the access key id but the signature made with accessKeySecret does not match ({kind}): the secret is wrong, so every send fails"),
            ).evidence(status_evidence(r)).remediation("Paste the secret that belongs to this access key id (it is shown once, when the key is created; make a new key if it is lost)."));
            return Refusal::Invalid;
        }
        "AccessDeniedException" | "AccessDenied" => s.push(Finding::new(
            &codes::ACCESS_DENIED,
            s.subject.clone(),
            format!("the IAM user may not call ses:{action} ({said}); the key is valid but what {action} tells is unknown (sending needs ses:SendEmail, a different permission)"),
        ).evidence(status_evidence(r))),
        _ => s.unexpected(action, r),
    }
    Refusal::Other
}

pub async fn check(s: &mut Session<'_>, c: &Checked) {
    let Some(secret) = secret_or_note(s, c.secret.as_ref(), "accessKeySecret") else {
        return;
    };
    let Some(key_id) = secret_or_note(s, c.key_id.as_ref(), "accessKeyId") else {
        return;
    };
    let Some(region) = c
        .region
        .clone()
        .filter(|r| crate::connectors::ses::region_looks_valid(r))
    else {
        s.cannot_tell("region is not an AWS region name: SES's API was not called".into());
        return;
    };
    let Ok(base) = Url::parse(&endpoint(&region)) else {
        return;
    };
    let signer = Signer {
        key_id: key_id.expose(),
        secret: secret.expose(),
        region: &region,
    };
    let mut facts = Facts {
        region: region.clone(),
        production_access_enabled: None,
        sending_enabled: None,
        enforcement_status: None,
        max_24_hour_send: None,
        max_send_rate: None,
        sent_last_24_hours: None,
        identities: Vec::new(),
    };
    let mut account_ready = Tri::CannotTell;
    let mut u = base.clone();
    u.target = "/v2/email/account".into();
    // No answer at all: the identity calls would go the same way.
    let Some(r) = s.get("GetAccount", u, |u| signer.headers(u)).await else {
        s.facts.ses = Some(facts);
        return;
    };
    if r.status == 200 {
        if let Some(v) = s.json("GetAccount", &r) {
            s.facts.credentials_valid = Tri::Yes;
            account_ready = judge_account(s, &region, &v, &mut facts);
        }
    } else if let Refusal::Invalid = judge_error(s, "GetAccount", &r) {
        s.facts.ses = Some(facts);
        return;
    }
    let identity_ready = identities(s, c, &base, &signer, &mut facts).await;
    s.facts.sending_ready = match (account_ready, identity_ready) {
        (Tri::No, _) | (_, Tri::No) => Tri::No,
        (Tri::Yes, Tri::Yes) => Tri::Yes,
        _ => Tri::CannotTell,
    };
    s.facts.ses = Some(facts);
}

fn judge_account(s: &mut Session<'_>, region: &str, v: &Value, facts: &mut Facts) -> Tri {
    let flag = |k: &str| v.get(k).and_then(Value::as_bool);
    facts.production_access_enabled = flag("ProductionAccessEnabled");
    facts.sending_enabled = flag("SendingEnabled");
    facts.enforcement_status = v
        .get("EnforcementStatus")
        .and_then(Value::as_str)
        .map(str::to_string);
    let quota = |k: &str| {
        v.pointer(&format!("/SendQuota/{k}"))
            .and_then(Value::as_f64)
    };
    facts.max_24_hour_send = quota("Max24HourSend");
    facts.max_send_rate = quota("MaxSendRate");
    facts.sent_last_24_hours = quota("SentLast24Hours");
    let mut ready = Tri::Yes;
    let subject = s.subject.clone();
    if facts.production_access_enabled == Some(false) {
        ready = Tri::No;
        s.push(Finding::new(
            &codes::SANDBOX,
            subject.clone(),
            format!("the SES account is in the sandbox in {region} (ProductionAccessEnabled false): it sends only to verified addresses and domains, at most 200 messages a day, so passcodes to Logto's users are refused"),
        ).remediation(format!("Request production access for SES in {region} (SES console: Account dashboard > Request production access).")));
    }
    if facts.sending_enabled == Some(false) {
        ready = Tri::No;
        s.push(Finding::new(
            &codes::SENDING_DISABLED,
            subject.clone(),
            format!("SES sending is disabled for the account in {region} (SendingEnabled false): every send fails"),
        ));
    }
    match facts.enforcement_status.as_deref() {
        Some("SHUTDOWN") => {
            ready = Tri::No;
            s.push(Finding::new(
                &codes::SENDING_DISABLED,
                subject.clone(),
                format!("SES has paused the account's sending in {region} (EnforcementStatus SHUTDOWN) because of the mail it sent"),
            ));
        }
        Some("PROBATION") => s.push(Finding::new(
            &codes::ACCOUNT_AT_RISK,
            subject.clone(),
            format!("the SES account is on probation in {region} (EnforcementStatus PROBATION): it sends, but SES may pause it"),
        )),
        _ => {}
    }
    if let (Some(max), Some(sent)) = (facts.max_24_hour_send, facts.sent_last_24_hours) {
        // SES documents -1 as an unlimited quota.
        if max > 0.0 && sent >= max {
            ready = Tri::No;
            s.push(Finding::new(
                &codes::QUOTA_EXHAUSTED,
                subject,
                format!("SES has sent {sent} of its {max} messages in the last 24 hours in {region}: further sends are refused until the window frees up"),
            ));
        }
    }
    ready
}

fn bare_address(from: &str) -> Option<String> {
    let a = match (from.find('<'), from.rfind('>')) {
        (Some(i), Some(j)) if i < j => &from[i + 1..j],
        _ => from,
    };
    let a = a.trim();
    a.contains('@').then(|| a.to_string())
}

/// GetEmailIdentity for the identity ARN's name, or the From domain and then the address.
async fn identities(
    s: &mut Session<'_>,
    c: &Checked,
    base: &Url,
    signer: &Signer<'_>,
    facts: &mut Facts,
) -> Tri {
    let arn_identity = c
        .identity_arn
        .as_deref()
        .and_then(|a| a.split_once(":identity/").map(|(_, i)| i.to_string()));
    let mut names: Vec<String> = Vec::new();
    if let Some(i) = &arn_identity {
        names.push(i.clone());
    } else {
        names.extend(c.from_domain.clone());
        names.extend(c.from_address.as_deref().and_then(bare_address));
    }
    if names.is_empty() {
        s.cannot_tell("the config names no From address: no SES identity was looked up".into());
        return Tri::CannotTell;
    }
    for name in &names {
        let mut u = base.clone();
        u.target = format!("/v2/email/identities/{}", sigv4::path_segment(name));
        let Some(r) = s.get("GetEmailIdentity", u, |u| signer.headers(u)).await else {
            return Tri::CannotTell;
        };
        match r.status {
            200 => {
                let Some(v) = s.json("GetEmailIdentity", &r) else {
                    return Tri::CannotTell;
                };
                s.facts.credentials_valid = Tri::Yes;
                return judge_identity(s, name, &v, facts);
            }
            404 if error_type(&r) == "NotFoundException" || error_type(&r).is_empty() => {
                s.facts.credentials_valid = Tri::Yes;
                facts.identities.push(Identity {
                    identity: name.clone(),
                    found: false,
                    identity_type: None,
                    verified_for_sending: None,
                    verification_status: None,
                    dkim_status: None,
                    dkim_signing_enabled: None,
                    mail_from_domain: None,
                    mail_from_domain_status: None,
                });
            }
            _ => {
                judge_error(s, "GetEmailIdentity", &r);
                return Tri::CannotTell;
            }
        }
    }
    let region = &facts.region;
    if arn_identity.is_some() {
        s.cannot_tell(format!("emailAddressIdentityArn names {}, which these credentials cannot read in {region}: with sending authorization it belongs to the ARN's account, whose verification is not checked", names.join(", ")));
        return Tri::CannotTell;
    }
    let which = match names.as_slice() {
        [one] => format!("{one} is not"),
        _ => format!("neither {} is", names.join(" nor ")),
    };
    s.push(Finding::new(
        &codes::DOMAIN_NOT_FOUND,
        names[0].clone(),
        format!("{which} an SES identity of this account in {region}: SES refuses to send from it (identities are per region)"),
    ).remediation(format!("Create and verify the domain {} as an identity in SES in {region} (or use the region where it is verified).", names[0])));
    Tri::No
}

fn judge_identity(s: &mut Session<'_>, name: &str, v: &Value, facts: &mut Facts) -> Tri {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let id = Identity {
        identity: name.to_string(),
        found: true,
        identity_type: text("/IdentityType"),
        verified_for_sending: v.get("VerifiedForSendingStatus").and_then(Value::as_bool),
        verification_status: text("/VerificationStatus"),
        dkim_status: text("/DkimAttributes/Status"),
        dkim_signing_enabled: v
            .pointer("/DkimAttributes/SigningEnabled")
            .and_then(Value::as_bool),
        mail_from_domain: text("/MailFromAttributes/MailFromDomain"),
        mail_from_domain_status: text("/MailFromAttributes/MailFromDomainStatus"),
    };
    let region = facts.region.clone();
    let mut ready = Tri::Yes;
    match id.verified_for_sending {
        Some(true) => {}
        Some(false) => {
            ready = Tri::No;
            s.push(Finding::new(
                &codes::DOMAIN_UNVERIFIED,
                name,
                format!(
                    "SES has {name} in {region} but it is not verified for sending (VerificationStatus {}): SES refuses to send from it",
                    id.verification_status.as_deref().unwrap_or("not reported")
                ),
            ));
        }
        None => ready = Tri::CannotTell,
    }
    if id.identity_type.as_deref() == Some("DOMAIN") {
        let dkim_ok = id.dkim_status.as_deref() == Some("SUCCESS");
        if !dkim_ok || id.dkim_signing_enabled == Some(false) {
            let tokens: Vec<String> = v
                .pointer("/DkimAttributes/Tokens")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .take(10)
                        .filter_map(Value::as_str)
                        .map(|t| format!("{t}._domainkey.{name} CNAME {t}.dkim.amazonses.com"))
                        .collect()
                })
                .unwrap_or_default();
            let mut f = Finding::new(
                &codes::DNS_RECORD_INVALID,
                name,
                format!(
                    "SES's DKIM for {name} is {} (signing {}): mail is not DKIM-signed for {name}, and SES's default envelope never aligns SPF, so DMARC fails",
                    id.dkim_status.as_deref().unwrap_or("not reported"),
                    if id.dkim_signing_enabled == Some(false) {
                        "disabled"
                    } else {
                        "enabled"
                    }
                ),
            );
            if !tokens.is_empty() {
                f = f.evidence(Evidence::Chain { names: tokens });
            }
            s.push(f);
        }
    }
    if let (Some(domain), Some(status)) = (&id.mail_from_domain, &id.mail_from_domain_status)
        && status != "SUCCESS"
    {
        s.push(Finding::new(
            &codes::DNS_RECORD_INVALID,
            domain.clone(),
            format!("SES's custom MAIL FROM domain {domain} is {status}: SES falls back to (or refuses, by BehaviorOnMxFailure) its own amazonses.com envelope, which does not align SPF"),
        ).remediation(format!("Publish MX {domain} → feedback-smtp.{region}.amazonses.com and its SPF TXT `v=spf1 include:amazonses.com ~all`.")));
    }
    facts.identities.push(id);
    ready
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_error_types_and_addresses() {
        assert_eq!(
            endpoint("eu-west-1"),
            "https://email.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint("cn-northwest-1"),
            "https://email.cn-northwest-1.amazonaws.com.cn"
        );
        let mut r = Response {
            status: 403,
            headers: vec![(
                "x-amzn-errortype".into(),
                "UnrecognizedClientException:http://internal.amazon.com/coral/".into(),
            )],
            body: br#"{"__type":"ignored#Other"}"#.to_vec(),
            ..Response::default()
        };
        assert_eq!(error_type(&r), "UnrecognizedClientException");
        r.headers.clear();
        assert_eq!(error_type(&r), "Other");
        r.body = b"not json".to_vec();
        assert_eq!(error_type(&r), "");
        assert_eq!(
            bare_address("Example <noreply@auth.example.com>").as_deref(),
            Some("noreply@auth.example.com")
        );
        assert_eq!(bare_address("no-at-sign"), None);
    }
}
