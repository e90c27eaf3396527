//! `audit --online`: for each provider whose config the tool reads, the documented read-only
//! API calls (GET, or a Describe action) that check the config's credential and what can be
//! learnt about sending readiness. Nothing that sends mail or changes state is ever called;
//! each provider's file names the documentation it follows.
//!
//! Every call goes through [`http_probe::send`]: DNS through the run's [`Dns`], one timeout
//! (`--api-timeout`) over the whole exchange, at most [`MAX_API_BODY`] bytes of the answer.
//! Credentials go on the wire only: no fact, finding or error quotes a request, the URLs
//! recorded carry no query, and the provider's error text is scrubbed of the credential
//! before it is quoted. `--api-base` (tests, proxies) replaces scheme, host and port of every
//! call and keeps the path.

pub mod aliyun;
pub mod codes;
pub mod mailgun;
pub mod postmark;
pub mod sendgrid;
pub mod ses;
pub mod sigv4;

use super::http_probe::{self, Request, Url};
use super::http_response::Response;
use super::{Checked, Kind};
use crate::audit::alignment::Tri;
use crate::config::Secret;
use crate::dns::Dns;
use crate::report::{Evidence, Finding};
use serde::Serialize;
use std::time::Duration;

/// Body bytes kept from an API answer: the largest documented answers (a Mailgun domain with
/// its DNS records) are a few KiB.
pub const MAX_API_BODY: usize = 256 * 1024;
/// Characters of a provider's error text quoted in a finding.
const MAX_QUOTE: usize = 200;

pub struct ApiOptions {
    /// `--api-base`: replaces scheme://host:port of every call.
    pub base: Option<Url>,
    pub timeout: Duration,
}

/// What `--online` learnt, in the connector block of the report.
#[derive(Clone, Debug, Serialize)]
pub struct ApiFacts {
    /// The read-only calls made, in order.
    pub calls: Vec<ApiCall>,
    /// Whether the provider accepted the credential.
    pub credentials_valid: Tri,
    /// Whether the account (and, where the call tells, the sending domain) can send now.
    pub sending_ready: Tri,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sendgrid: Option<sendgrid::Facts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailgun: Option<mailgun::Facts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postmark: Option<postmark::Facts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ses: Option<ses::Facts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aliyun: Option<aliyun::Facts>,
}

/// One call as made: never its headers or query.
#[derive(Clone, Debug, Serialize)]
pub struct ApiCall {
    /// The provider's name for the operation, e.g. `GetAccount`.
    pub action: &'static str,
    pub method: &'static str,
    /// scheme://host:port/path, without the query.
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// What failed, when there is no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The state of one connector's `--online` check: the calls, the findings and facts so far.
pub struct Session<'a> {
    dns: &'a Dns,
    opts: &'a ApiOptions,
    ca_pem: &'a [String],
    secrets: Vec<&'a Secret>,
    /// `sendgrid API`: the subject of findings about the account and the credential.
    pub subject: String,
    pub findings: Vec<Finding>,
    pub facts: ApiFacts,
}

impl<'a> Session<'a> {
    fn new(dns: &'a Dns, c: &'a Checked, opts: &'a ApiOptions, ca_pem: &'a [String]) -> Self {
        Session {
            dns,
            opts,
            ca_pem,
            secrets: [c.secret.as_ref(), c.key_id.as_ref()]
                .into_iter()
                .flatten()
                .collect(),
            subject: format!("{} API", c.kind.name()),
            findings: Vec::new(),
            facts: ApiFacts {
                calls: Vec::new(),
                credentials_valid: Tri::CannotTell,
                sending_ready: Tri::CannotTell,
                sendgrid: None,
                mailgun: None,
                postmark: None,
                ses: None,
                aliyun: None,
            },
        }
    }

    /// The provider's URL with `--api-base`'s scheme, host and port.
    pub fn rebase(&self, url: Url) -> Url {
        match &self.opts.base {
            Some(b) => Url {
                https: b.https,
                host: b.host.clone(),
                port: b.port,
                target: url.target,
            },
            None => url,
        }
    }

    /// One GET of `url` (rebased), with the headers `sign` builds for the final URL. The
    /// answer, whatever its status; None (and a `connector-api-unreachable` finding) when
    /// there is none.
    pub async fn get(
        &mut self,
        action: &'static str,
        url: Url,
        sign: impl FnOnce(&Url) -> Vec<(String, String)>,
    ) -> Option<Response> {
        let url = self.rebase(url);
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        headers.extend(sign(&url));
        let req = Request {
            method: "GET",
            url: url.clone(),
            headers,
            body: Vec::new(),
            content_type: "application/json",
        };
        let sent =
            http_probe::send(self.dns, &req, self.opts.timeout, self.ca_pem, MAX_API_BODY).await;
        let error = sent.result.as_ref().err().map(|e| self.scrub(e));
        self.facts.calls.push(ApiCall {
            action,
            method: "GET",
            url: url.display(),
            address: sent.address,
            status: sent.result.as_ref().ok().map(|r| r.status),
            latency_ms: sent.latency_ms,
            tls_version: sent.tls_version,
            error: error.clone(),
        });
        match sent.result {
            Ok(r) => Some(r),
            Err(_) => {
                let e = error.unwrap_or_default();
                let finding = Finding::new(
                    &codes::UNREACHABLE,
                    self.subject.clone(),
                    format!("{action} (GET {}) failed: {e}", url.display()),
                );
                self.findings.push(finding);
                None
            }
        }
    }

    /// `text` with every credential of the config replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if !s.is_empty() {
                out = out.replace(s.expose(), crate::config::secret::MASK);
            }
        }
        out
    }

    /// The provider's error text in a body (JSON `message`/`Message`/`errors[0].message`, or
    /// short plain text), scrubbed and cut to `MAX_QUOTE` characters.
    pub fn provider_message(&self, body: &[u8]) -> Option<String> {
        let text = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => ["message", "Message", "error"]
                .iter()
                .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_string))
                .or_else(|| {
                    v.pointer("/errors/0/message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })?,
            Err(_) => String::from_utf8_lossy(body).trim().to_string(),
        };
        if text.is_empty() {
            return None;
        }
        let text: String = self.scrub(&text).chars().take(MAX_QUOTE).collect();
        Some(text.replace(['\r', '\n'], " "))
    }

    /// The body as JSON, or an unexpected-answer finding.
    pub fn json(&mut self, action: &str, r: &Response) -> Option<serde_json::Value> {
        let why = if r.truncated {
            format!("its body is longer than {MAX_API_BODY} bytes (or cut short)")
        } else {
            match serde_json::from_slice::<serde_json::Value>(&r.body) {
                Ok(v) if v.is_object() => return Some(v),
                Ok(_) => "its body is not a JSON object".to_string(),
                Err(e) => format!("its body is not JSON ({e})"),
            }
        };
        self.push(Finding::new(
            &codes::UNEXPECTED_ANSWER,
            self.subject.clone(),
            format!("{action} answered {} but {why}: nothing learnt", r.status),
        ));
        None
    }

    /// An answer this check does not know: a 5xx, a 429, or another status.
    pub fn unexpected(&mut self, action: &str, r: &Response) {
        let quoted = self
            .provider_message(&r.body)
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let hint = match r.status {
            429 => " (rate limited)",
            500..=599 => " (a server error at the provider)",
            _ => "",
        };
        self.push(
            Finding::new(
                &codes::UNEXPECTED_ANSWER,
                self.subject.clone(),
                format!(
                    "{action} answered {} {}{hint}{quoted}: nothing learnt",
                    r.status, r.reason
                ),
            )
            .evidence(status_evidence(r)),
        );
    }

    /// A part that could not be checked, and why.
    pub fn cannot_tell(&mut self, message: String) {
        self.push(Finding::new(
            &codes::CANNOT_TELL,
            self.subject.clone(),
            message,
        ));
    }

    pub fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }
}

pub fn status_evidence(r: &Response) -> Evidence {
    Evidence::Value {
        label: "status".into(),
        value: format!("{} {}", r.status, r.reason),
    }
}

/// The credential, or a cannot-tell finding naming the missing key.
pub fn secret_or_note<'s>(
    s: &mut Session<'_>,
    secret: Option<&'s Secret>,
    key: &str,
) -> Option<&'s Secret> {
    match secret {
        Some(v) if !v.is_empty() => Some(v),
        _ => {
            s.cannot_tell(format!(
                "{key} is not set (or not a string): the provider's API was not called"
            ));
            None
        }
    }
}

/// RFC 3986 percent-encoding as AWS SigV4 and Aliyun's RPC signature both require:
/// unreserved characters stay, everything else is `%XX` (upper-case hex, so a space is
/// `%20`); `/` stays when `keep_slash`.
pub fn percent_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Parses a URL this module builds from constants and config values checked before.
pub fn url(s: &str) -> Option<Url> {
    Url::parse(s).ok()
}

/// Runs the connector's read-only calls. The HTTP email connector has none.
pub async fn check(
    dns: &Dns,
    c: &Checked,
    opts: &ApiOptions,
    ca_pem: &[String],
) -> (Vec<Finding>, Option<ApiFacts>) {
    let mut s = Session::new(dns, c, opts, ca_pem);
    match c.kind {
        Kind::SendGrid => sendgrid::check(&mut s, c).await,
        Kind::Mailgun => mailgun::check(&mut s, c).await,
        Kind::Postmark => postmark::check(&mut s, c).await,
        Kind::AwsSes => ses::check(&mut s, c).await,
        Kind::AliyunDm => aliyun::check(&mut s, c).await,
        Kind::HttpEmail | Kind::Smtp => {
            let f = Finding::new(
                &codes::ONLINE_NOT_APPLICABLE,
                format!("{} connector", c.kind.name()),
                "--online: the HTTP email connector has no provider API to ask; nothing was called (use --probe-endpoint to POST Logto's payload)",
            );
            return (vec![f], None);
        }
    }
    (s.findings, Some(s.facts))
}
