//! What the audit learned besides findings: the verdict, the ranked fixes and the
//! cross-checks' results, for the `audit` block of the report. Data only, below the report
//! model, so that the report knows these types and not the audit run.

use super::alignment::AlignmentPrediction;
use super::{profile, provider, summary};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ReverseDns {
    pub ip: String,
    pub ptr: Vec<String>,
    /// A PTR name resolves back to the IP.
    pub forward_confirmed: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditFacts {
    /// `READY`, `READY WITH WARNINGS` or `NOT READY`.
    pub verdict: &'static str,
    pub fixes: Vec<summary::Fix>,
    /// What the probe predicts for the connector (`will-send`, `will-fail`…).
    pub smtp_verdict: Option<crate::smtp::Verdict>,
    pub alignment: AlignmentPrediction,
    pub mailbox_providers: Vec<profile::Rule>,
    pub provider: Option<&'static str>,
    pub reverse_dns: Vec<ReverseDns>,
    /// The records the recognised provider needs, checked in DNS.
    pub provider_requirements: Vec<provider::Requirement>,
    /// Whether a test passcode mail was sent (`--to`) and accepted.
    pub test_mail: Option<String>,
    /// A non-SMTP connector (SendGrid, Mailgun, SES, Postmark, Aliyun, HTTP): its facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector: Option<crate::connectors::facts::ConnectorFacts>,
}
