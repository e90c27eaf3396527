//! Logto's other email connectors: SendGrid (API), Mailgun, Amazon SES, Postmark, Aliyun
//! DirectMail and the HTTP email connector. Each file reproduces that connector's config
//! guard (read from the published source, named in its header); [`run`] then audits the
//! From domain's DNS, the records the provider needs, alignment as the provider sends,
//! and, for the HTTP connector with `--probe-endpoint`, one POST of Logto's payload.
//! No provider API is called unless `--online` is given, and then only read-only calls
//! ([`online`]).

pub mod aliyun;
pub mod codes;
pub mod facts;
pub mod guard;
pub mod http_email;
pub mod http_probe;
pub mod http_response;
pub mod mailgun;
pub mod online;
pub mod postmark;
pub mod requirements;
pub mod run;
pub mod sendgrid;
pub mod ses;

use crate::config::Secret;
use crate::config::json_positions::{self, Positions};
use crate::config::{InputError, providers};
use crate::report::Finding;
use guard::Guard;
use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Smtp,
    // The names `--connector` takes (kebab-case alone would write `send-grid`).
    #[serde(rename = "sendgrid")]
    SendGrid,
    Mailgun,
    AwsSes,
    Postmark,
    AliyunDm,
    HttpEmail,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "smtp" => Kind::Smtp,
            "sendgrid" => Kind::SendGrid,
            "mailgun" => Kind::Mailgun,
            "aws-ses" | "ses" => Kind::AwsSes,
            "postmark" => Kind::Postmark,
            "aliyun-dm" => Kind::AliyunDm,
            "http-email" => Kind::HttpEmail,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Smtp => "smtp",
            Kind::SendGrid => "sendgrid",
            Kind::Mailgun => "mailgun",
            Kind::AwsSes => "aws-ses",
            Kind::Postmark => "postmark",
            Kind::AliyunDm => "aliyun-dm",
            Kind::HttpEmail => "http-email",
        }
    }

    /// The provider's row in the providers table (by its SMTP host), for alignment.
    pub fn provider(self) -> Option<&'static providers::Provider> {
        let host = match self {
            Kind::SendGrid => "smtp.sendgrid.net",
            Kind::Mailgun => "smtp.mailgun.org",
            Kind::AwsSes => "email-smtp.us-east-1.amazonaws.com",
            Kind::Postmark => "smtp.postmarkapp.com",
            Kind::AliyunDm => "smtpdm.aliyun.com",
            Kind::Smtp | Kind::HttpEmail => return None,
        };
        providers::recognise(host)
    }
}

/// Which connector a config is for, from the keys its guard requires.
pub fn detect(obj: &serde_json::Map<String, Value>) -> Option<Kind> {
    let has = |k: &str| obj.contains_key(k);
    Some(if has("host") {
        Kind::Smtp
    } else if has("apiKey") && (has("domain") || has("deliveries")) {
        Kind::Mailgun
    } else if has("apiKey") {
        Kind::SendGrid
    } else if has("accessKeyId") && has("region") {
        Kind::AwsSes
    } else if has("accessKeyId") && (has("accountName") || has("regionId")) {
        Kind::AliyunDm
    } else if has("serverToken") {
        Kind::Postmark
    } else if has("endpoint") {
        Kind::HttpEmail
    } else {
        return None;
    })
}

/// A config read and checked without the network.
#[derive(Debug)]
pub struct Checked {
    pub kind: Kind,
    pub from_address: Option<String>,
    pub from_domain: Option<String>,
    /// The key that holds the From address (for findings about it).
    pub from_key: &'static str,
    /// Mailgun's `domain`.
    pub sending_domain: Option<String>,
    pub region: Option<String>,
    pub api_endpoint: Option<String>,
    /// The HTTP connector's endpoint and authorization header.
    pub http: Option<(http_probe::Url, Option<String>)>,
    /// The credential `--online` uses: the API key or server token, or the access key secret.
    pub secret: Option<Secret>,
    /// The access key id that goes with `secret` (SES, DirectMail).
    pub key_id: Option<Secret>,
    /// SES's `emailAddressIdentityArn` (sending authorization: the identity may be another
    /// account's).
    pub identity_arn: Option<String>,
    pub findings: Vec<Finding>,
    pub source: String,
    pub root: String,
    pub positions: Positions,
}

impl Checked {
    pub fn new(kind: Kind, from: Option<String>, from_key: &'static str) -> Checked {
        Checked {
            kind,
            from_domain: from.as_deref().and_then(guard::domain_of),
            from_address: from,
            from_key,
            sending_domain: None,
            region: None,
            api_endpoint: None,
            http: None,
            secret: None,
            key_id: None,
            identity_arn: None,
            findings: Vec::new(),
            source: String::new(),
            root: "$".into(),
            positions: Positions::default(),
        }
    }
}

fn input_error(source: &str, message: String) -> InputError {
    InputError {
        source: source.to_string(),
        position: None,
        message,
    }
}

/// The JSON text's kind: `forced` (from `--connector`) or recognised from its shape
/// (SMTP when nothing matches).
/// Accepts the bare config or the Management API's connector object (`config` inside).
pub fn kind_of(source: &str, text: &str, forced: Option<Kind>) -> Result<Kind, InputError> {
    if let Some(k) = forced {
        return Ok(k);
    }
    // Malformed JSON, and a config no other connector's shape matches, go to the SMTP
    // reader, which reports them with line:column as before.
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(text) else {
        return Ok(Kind::Smtp);
    };
    let inner = match root.get("config") {
        Some(Value::Object(c)) if !root.contains_key("host") => c,
        _ => &root,
    };
    let _ = source;
    Ok(detect(inner).unwrap_or(Kind::Smtp))
}

/// Parses and checks a non-SMTP connector config (pure).
pub fn check(source: &str, text: &str, kind: Kind) -> Result<Checked, InputError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| input_error(source, format!("malformed JSON: {e}")))?;
    let positions = json_positions::scan(text).map_err(|e| input_error(source, e.to_string()))?;
    let Value::Object(outer) = &value else {
        return Err(input_error(source, "expected a JSON object".into()));
    };
    let (root, obj) = match outer.get("config") {
        Some(Value::Object(c)) if outer.contains_key("connectorId") || outer.contains_key("id") => {
            ("$.config", c)
        }
        _ => ("$", outer),
    };
    let mut g = Guard::new(source, &positions, root);
    let mut c = match kind {
        Kind::SendGrid => sendgrid::check(obj, &mut g),
        Kind::Mailgun => mailgun::check(obj, &mut g),
        Kind::AwsSes => ses::check(obj, &mut g),
        Kind::Postmark => postmark::check(obj, &mut g),
        Kind::AliyunDm => aliyun::check(obj, &mut g),
        Kind::HttpEmail => http_email::check(obj, &mut g),
        Kind::Smtp => {
            return Err(input_error(
                source,
                "the SMTP connector has its own reader".into(),
            ));
        }
    };
    if kind != Kind::HttpEmail && c.from_domain.is_none() {
        let p = g.path(c.from_key);
        let what = match &c.from_address {
            Some(_) => format!("{} has no valid domain part", c.from_key),
            None => format!("{} is not set", c.from_key),
        };
        g.push(
            &codes::NO_FROM,
            &p,
            format!("{what}: the From domain's SPF, DKIM and DMARC cannot be audited"),
        );
    }
    c.findings = g.findings;
    c.source = source.to_string();
    c.root = root.to_string();
    c.positions = positions;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_names_are_the_connector_flag_values() {
        for k in [
            Kind::Smtp,
            Kind::SendGrid,
            Kind::Mailgun,
            Kind::AwsSes,
            Kind::Postmark,
            Kind::AliyunDm,
            Kind::HttpEmail,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
            assert_eq!(Kind::parse(k.name()), Some(k));
        }
    }

    #[test]
    fn shapes_are_recognised() {
        let cases = [
            (json!({"host": "h"}), Some(Kind::Smtp)),
            (json!({"apiKey": "k", "domain": "d"}), Some(Kind::Mailgun)),
            (
                json!({"apiKey": "k", "fromEmail": "f"}),
                Some(Kind::SendGrid),
            ),
            (
                json!({"accessKeyId": "k", "region": "r"}),
                Some(Kind::AwsSes),
            ),
            (
                json!({"accessKeyId": "k", "accountName": "a"}),
                Some(Kind::AliyunDm),
            ),
            (json!({"serverToken": "t"}), Some(Kind::Postmark)),
            (json!({"endpoint": "e"}), Some(Kind::HttpEmail)),
            (json!({"nothing": 1}), None),
        ];
        for (v, want) in cases {
            assert_eq!(detect(v.as_object().unwrap()), want, "{v}");
        }
    }
}
