//! Aliyun DirectMail: the read-only `DescAccountSummary` action (Alibaba Cloud Direct Mail
//! API reference, DescAccountSummary: RAM access level "get", no parameters; answers
//! `UserStatus` — 0 normal, 1 frozen, 2 overdue, 4 outbound mail restricted, 8 deleted —,
//! `DailyQuota`, `MonthQuota`, `RemainFreeQuota`, `Domains`, `MailAddresses`, `QuotaLevel`),
//! sent as a GET to the region's endpoint Logto uses (connector-aliyun-dm src/constant.ts
//! `regionConfigs`) with the RPC common parameters and an HMAC-SHA1 signature (Direct Mail
//! "Request signatures": parameters sorted by name, RFC 3986 percent-encoding with `%20`
//! for spaces, StringToSign = `GET&%2F&` + the encoded canonical query, key = secret + `&`,
//! base64). The signature is tested against the vector in Logto's own connector tests
//! (src/utils.test.ts, built on the example parameters of Aliyun's signature page); the
//! page's own worked example was not readable here. Errors are JSON `{Code, Message}`:
//! `InvalidAccessKeyId.*` (404), `SignatureDoesNotMatch`, `Forbidden*` (the RAM user lacks
//! the permission). Whether `accountName` is one of the account's sender addresses, and
//! verified, is not asked.

use super::{Session, codes, secret_or_note, status_evidence};
use crate::audit::alignment::Tri;
use crate::connectors::Checked;
use crate::connectors::http_probe::Url;
use crate::report::Finding;
use base64::Engine;
use ring::hmac;
use serde::Serialize;
use serde_json::Value;

const ACTION: &str = "DescAccountSummary";

#[derive(Clone, Debug, Serialize)]
pub struct Facts {
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_status: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remain_free_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domains: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_addresses: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota_level: Option<i64>,
}

/// Aliyun's percent-encoding (RFC 3986, `/` encoded too).
pub fn percent_encode(s: &str) -> String {
    super::percent_encode(s, false)
}

/// The canonical query (encoded, sorted by name) and its signature.
pub fn sign(params: &[(&str, String)], method: &str, secret: &str) -> (String, String) {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    let canonical = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical)
    );
    let key = hmac::Key::new(
        hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        format!("{secret}&").as_bytes(),
    );
    let signature =
        base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, to_sign.as_bytes()));
    (canonical, signature)
}

fn nonce() -> String {
    let r = crate::passcode::build::random_u64;
    format!("{:016x}{:016x}", r(), r())
}

pub async fn check(s: &mut Session<'_>, c: &Checked) {
    let Some(secret) = secret_or_note(s, c.secret.as_ref(), "accessKeySecret") else {
        return;
    };
    let Some(key_id) = secret_or_note(s, c.key_id.as_ref(), "accessKeyId") else {
        return;
    };
    let region = c.region.clone().unwrap_or_else(|| "cn-hangzhou".into());
    let Some(endpoint) = crate::connectors::aliyun::endpoint_of(&region) else {
        s.cannot_tell(format!(
            "regionId `{region}` has no DirectMail endpoint in Logto's list: its API was not called"
        ));
        return;
    };
    let Ok(mut u) = Url::parse(endpoint) else {
        return;
    };
    let timestamp = crate::message::date::rfc3339(crate::passcode::build::now_unix() as i64);
    let params = [
        ("AccessKeyId", key_id.expose().to_string()),
        ("Action", ACTION.to_string()),
        ("Format", "JSON".to_string()),
        ("RegionId", region.clone()),
        ("SignatureMethod", "HMAC-SHA1".to_string()),
        ("SignatureNonce", nonce()),
        ("SignatureVersion", "1.0".to_string()),
        ("Timestamp", timestamp),
        ("Version", "2015-11-23".to_string()),
    ];
    let (query, signature) = sign(&params, "GET", secret.expose());
    u.target = format!("/?{query}&Signature={}", percent_encode(&signature));
    let Some(r) = s.get(ACTION, u, |_| Vec::new()).await else {
        return;
    };
    let mut facts = Facts {
        region: region.clone(),
        user_status: None,
        daily_quota: None,
        month_quota: None,
        remain_free_quota: None,
        domains: None,
        mail_addresses: None,
        quota_level: None,
    };
    if r.status == 200 {
        if let Some(v) = s.json(ACTION, &r) {
            judge_summary(s, c, &v, &mut facts);
        }
    } else {
        judge_error(s, &r);
    }
    s.facts.aliyun = Some(facts);
}

fn judge_summary(s: &mut Session<'_>, c: &Checked, v: &Value, facts: &mut Facts) {
    let int = |k: &str| v.get(k).and_then(Value::as_i64);
    facts.user_status = int("UserStatus");
    facts.daily_quota = int("DailyQuota");
    facts.month_quota = int("MonthQuota");
    facts.remain_free_quota = int("RemainFreeQuota");
    facts.domains = int("Domains");
    facts.mail_addresses = int("MailAddresses");
    facts.quota_level = int("QuotaLevel");
    s.facts.credentials_valid = Tri::Yes;
    let mut ready = Tri::CannotTell;
    let status = facts.user_status.unwrap_or(0);
    if status != 0 {
        let names: Vec<&str> = [
            (1, "frozen"),
            (2, "overdue payment"),
            (4, "outbound mail restricted"),
            (8, "deleted"),
        ]
        .iter()
        .filter(|(bit, _)| status & bit != 0)
        .map(|(_, n)| *n)
        .collect();
        ready = Tri::No;
        s.push(Finding::new(
            &codes::SENDING_DISABLED,
            s.subject.clone(),
            format!(
                "DirectMail reports the account's UserStatus {status} ({}): sends are refused",
                if names.is_empty() {
                    "unknown".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ));
    }
    let account = c.from_address.as_deref().unwrap_or("accountName");
    if facts.mail_addresses == Some(0) {
        ready = Tri::No;
        s.push(Finding::new(
            &codes::DOMAIN_NOT_FOUND,
            account,
            format!("the DirectMail account has no sender address in {} (MailAddresses 0): accountName {account} cannot be one, so SingleSendMail fails", facts.region),
        ).remediation("Create the sender address in the DirectMail console (Sender Addresses) in the connector's region, under a verified domain."));
    } else {
        s.cannot_tell(format!(
            "the key is valid; whether {account} is one of the account's {} sender addresses in {}, under a verified domain, is not checked (DescAccountSummary only counts them)",
            facts.mail_addresses.map_or("?".to_string(), |n| n.to_string()),
            facts.region
        ));
    }
    s.facts.sending_ready = ready;
}

fn judge_error(s: &mut Session<'_>, r: &crate::connectors::http_response::Response) {
    let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    let code = v.get("Code").and_then(Value::as_str).unwrap_or_default();
    let said = s.provider_message(&r.body).unwrap_or_default();
    if code.starts_with("InvalidAccessKeyId") {
        s.facts.credentials_valid = Tri::No;
        s.facts.sending_ready = Tri::No;
        s.push(Finding::new(
            &codes::KEY_INVALID,
            s.subject.clone(),
            format!("Aliyun does not accept the AccessKey id ({code}: {said}): it is wrong, disabled or deleted, so Logto's sends fail"),
        ).evidence(status_evidence(r)));
    } else if code == "SignatureDoesNotMatch" || code == "IncompleteSignature" {
        s.facts.credentials_valid = Tri::No;
        s.facts.sending_ready = Tri::No;
        s.push(Finding::new(
            &codes::KEY_INVALID,
            s.subject.clone(),
            format!("Aliyun knows the AccessKey id but the signature made with accessKeySecret does not match ({code}): the secret is most likely wrong (this tool's signing is tested against Logto's vector only)"),
        ).evidence(status_evidence(r)));
    } else if code.starts_with("Forbidden") || code == "NoPermission" {
        s.push(Finding::new(
            &codes::ACCESS_DENIED,
            s.subject.clone(),
            format!("the RAM user may not call dm:DescAccountSummary ({code}: {said}); the key is valid but the account's status is unknown (AliyunDirectMailReadOnlyAccess grants it)"),
        ).evidence(status_evidence(r)));
    } else {
        s.unexpected(ACTION, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector of Logto's connector-aliyun-dm src/utils.test.ts (`getSignature` with
    /// src/mock.ts's parameters, secret `testsecret`, POST): the parameters of the example in
    /// Aliyun's Direct Mail signature documentation.
    #[test]
    fn signature_matches_logtos_vector() {
        let p = |v: &str| v.to_string();
        let params = [
            ("AccessKeyId", p("testid")),
            ("AccountName", p("<a%b'>")),
            ("Action", p("SingleSendMail")),
            ("AddressType", p("1")),
            ("Format", p("XML")),
            ("HtmlBody", p("4")),
            ("RegionId", p("cn-hangzhou")),
            ("ReplyToAddress", p("true")),
            ("SignatureMethod", p("HMAC-SHA1")),
            ("SignatureVersion", p("1.0")),
            ("Subject", p("3")),
            ("TagName", p("2")),
            ("ToAddress", p("1@test.com")),
            ("Version", p("2015-11-23")),
            ("SignatureNonce", p("c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c")),
            ("Timestamp", p("2016-10-20T06:27:56Z")),
        ];
        let (canonical, signature) = sign(&params, "POST", "testsecret");
        assert_eq!(signature, "llJfXJjBW3OacrVgxxsITgYaYm0=");
        assert!(canonical.starts_with("AccessKeyId=testid&AccountName=%3Ca%25b%27%3E&Action="));
        // GET signs the same parameters differently.
        assert_ne!(sign(&params, "GET", "testsecret").1, signature);
    }

    #[test]
    fn encoding_is_rfc3986() {
        assert_eq!(percent_encode("a b*c~d+e/é"), "a%20b%2Ac~d%2Be%2F%C3%A9");
    }
}
