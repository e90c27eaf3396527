//! The finding model: a stable code catalogue entry, a severity, and the evidence behind it.
//!
//! Checks build findings; they never decide what fails a run. Severity policy
//! (`--allow`, `--deny`, `--fail-on`) lives in [`crate::report::sink`].

use serde::Serialize;
use std::fmt;

/// Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol or area a code belongs to; the docs page groups codes by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Dns,
    Spf,
    Dkim,
    Dmarc,
    Mx,
    MtaSts,
    TlsRpt,
    Bimi,
    Config,
    Smtp,
    Tls,
    Template,
    Send,
    Received,
    Audit,
    Inspect,
    Connector,
}

impl Area {
    pub fn title(self) -> &'static str {
        match self {
            Area::Dns => "DNS lookups",
            Area::Spf => "SPF (RFC 7208)",
            Area::Dkim => "DKIM (RFC 6376, 8301, 8463)",
            Area::Dmarc => "DMARC (RFC 7489, RFC 9989)",
            Area::Mx => "MX (RFC 5321, RFC 7505)",
            Area::MtaSts => "MTA-STS (RFC 8461)",
            Area::TlsRpt => "TLS-RPT (RFC 8460)",
            Area::Bimi => "BIMI",
            Area::Config => "Connector config (Logto SMTP, nodemailer)",
            Area::Smtp => "SMTP probe (what nodemailer will do)",
            Area::Tls => "TLS and certificates",
            Area::Template => "Templates (Logto's passcode mail)",
            Area::Send => "The test passcode mail: DKIM signing, verification and delivery",
            Area::Received => "Received mail (sink, inspect)",
            Area::Audit => {
                "The pre-flight's cross-checks (alignment, providers, mailbox providers)"
            }
            Area::Inspect => "Inspecting a received message (inspect)",
            Area::Connector => {
                "Logto's other email connectors (SendGrid, Mailgun, SES, Postmark, Aliyun, HTTP)"
            }
        }
    }
}

/// One entry of the code catalogue. Declared as a `static` next to the check that
/// raises it (see `codes.rs` in each check module) and listed in [`crate::report::catalogue`].
#[derive(Debug, Serialize)]
pub struct CodeInfo {
    /// Stable kebab-case identifier, e.g. `spf-too-many-lookups`. Never renamed once shipped.
    pub id: &'static str,
    pub area: Area,
    pub default_severity: Severity,
    /// One line: what the finding means.
    pub summary: &'static str,
    /// How to fix it, in general terms (a finding may add specifics in its message).
    pub remediation: &'static str,
    /// The rule's source, e.g. "RFC 7208 4.6.4".
    pub reference: &'static str,
    /// The other severities a check may give this code, each with the occurrence that
    /// warrants it; `explain` and docs/codes.md print them. A check that gives any other
    /// severity trips [`Finding::severity`]'s assertion (in debug builds, i.e. every test run).
    pub contexts: &'static [SeverityContext],
}

/// A severity other than the default, and when a check gives it.
#[derive(Debug, Serialize)]
pub struct SeverityContext {
    pub severity: Severity,
    /// The occurrence, completing "a `<severity>` when ...".
    pub when: &'static str,
}

impl CodeInfo {
    /// Whether a check may raise this code at `severity` (its default or a declared context).
    pub fn allows(&self, severity: Severity) -> bool {
        severity == self.default_severity || self.contexts.iter().any(|c| c.severity == severity)
    }
}

/// Declares one catalogue entry as a `static` beside the check that raises it:
/// `finding_code!(NAME, "kebab-id", Area, Severity, "summary", "remediation", reference)`.
#[macro_export]
macro_rules! finding_code {
    ($name:ident, $id:literal, $area:ident, $sev:ident, $summary:literal, $remediation:literal, $reference:expr) => {
        $crate::finding_code!($name, $id, $area, $sev, $summary, $remediation, $reference, []);
    };
    ($name:ident, $id:literal, $area:ident, $sev:ident, $summary:literal, $remediation:literal, $reference:expr, [$(($other:ident, $when:literal)),* $(,)?]) => {
        pub static $name: $crate::report::CodeInfo = $crate::report::CodeInfo {
            id: $id,
            area: $crate::report::Area::$area,
            default_severity: $crate::report::Severity::$sev,
            summary: $summary,
            remediation: $remediation,
            reference: $reference,
            contexts: &[$($crate::report::SeverityContext {
                severity: $crate::report::Severity::$other,
                when: $when,
            }),*],
        };
    };
}

impl PartialEq for CodeInfo {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for CodeInfo {}

/// Structured evidence behind a finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    /// A DNS answer as seen (outcome and data), e.g. a SERVFAIL or the TXT strings of a record.
    DnsAnswer {
        name: String,
        rtype: String,
        outcome: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        data: Vec<String>,
    },
    /// A record's text, with the byte span (start, end) of the offending part when known.
    Record {
        name: String,
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        span: Option<(usize, usize)>,
    },
    /// A path through a tree of records, e.g. the include chain that leads to a loop.
    Chain { names: Vec<String> },
    /// A free-form fact (a number, a key size) with its label.
    Value { label: String, value: String },
}

/// One problem (or noteworthy fact at `note` level) found by a check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    #[serde(serialize_with = "serialize_code")]
    pub code: &'static CodeInfo,
    /// Effective severity: the code's default until the sink applies the user's policy.
    pub severity: Severity,
    /// The DNS name (or other subject) the finding is about.
    pub subject: String,
    /// One line, specific to this occurrence.
    pub message: String,
    pub remediation: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// Set by the sink when `--allow` lowered this finding.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allowed: bool,
    /// Set by the sink under `--baseline`: whether the earlier report had this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
}

/// A finding compared with `--baseline`. A `known` finding stays in the report but does not
/// fail the run: CI fails on what a change made worse, not on debt it inherited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    Known,
    New,
}

fn serialize_code<S: serde::Serializer>(code: &&'static CodeInfo, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.id)
}

impl Finding {
    pub fn new(
        code: &'static CodeInfo,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            severity: code.default_severity,
            subject: subject.into(),
            message: message.into(),
            remediation: code.remediation.to_string(),
            evidence: Vec::new(),
            allowed: false,
            baseline: None,
        }
    }

    /// Replace the catalogue's generic remediation with a specific one (e.g. the exact record to publish).
    pub fn remediation(mut self, text: impl Into<String>) -> Self {
        self.remediation = text.into();
        self
    }

    pub fn evidence(mut self, item: Evidence) -> Self {
        self.evidence.push(item);
        self
    }

    /// Checks may raise a code above or below its default where the occurrence warrants it
    /// (e.g. a 1024-bit key is a note, a 512-bit key an error under one code); the code's
    /// catalogue entry declares each such severity and when (`contexts`), so that `explain`
    /// and the docs say what is emitted.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.set_severity(severity);
        self
    }

    /// [`Finding::severity`] for a finding already pushed.
    pub fn set_severity(&mut self, severity: Severity) {
        debug_assert!(
            self.code.allows(severity),
            "{} raised as {severity}, which its catalogue entry does not declare",
            self.code.id
        );
        self.severity = severity;
    }
}
