//! The report: what a run found (findings) and what it learned (facts), per domain.
//! Serialised as the JSON schema documented in `docs/json-schema.md`; bump
//! [`SCHEMA_VERSION`] on any incompatible change.

use super::finding::{Finding, Severity};
use crate::dns::{DnsStats, LoggedQuery};
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

/// Facts gathered for one domain: the things that are not problems but are worth
/// keeping as a record (the SPF tree and its lookup count, DKIM selectors found,
/// the DMARC policy in force…). `None` where the check did not run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DomainFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spf: Option<crate::spf::SpfFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dkim: Option<crate::dkim::DkimFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<crate::dmarc::DmarcFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mx: Option<crate::mx::MxFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<crate::policy_records::PolicyRecordFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_rpt: Option<crate::policy_records::PolicyRecordFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bimi: Option<crate::policy_records::PolicyRecordFacts>,
    /// The SMTP probe of the connector's server (`smtp` and `audit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<crate::smtp::SmtpFacts>,
    /// The test passcode mail (`send`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<crate::passcode::MessageFacts>,
    /// A received message (`sink`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<crate::sink::grade::ReceivedFacts>,
    /// A message given to `inspect`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspect: Option<crate::inspect::InspectFacts>,
}

/// One audited domain.
#[derive(Clone, Debug, Serialize)]
pub struct DomainReport {
    pub domain: String,
    /// The highest effective severity among the findings, or `None` when there are none.
    pub worst: Option<Severity>,
    pub findings: Vec<Finding>,
    pub facts: DomainFacts,
    /// Every lookup this domain's checks made, in completion order.
    pub queries: Vec<LoggedQuery>,
    pub elapsed_ms: f64,
    /// `--baseline`: what changed since the earlier report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<DomainBaseline>,
}

/// One target compared with `--baseline`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DomainBaseline {
    /// Findings not in the baseline (these alone can fail the run).
    pub new: usize,
    /// Findings the baseline had too.
    pub known: usize,
    /// Findings in the baseline that are gone now.
    pub fixed: Vec<BaselineFixed>,
    /// Records that differ from the baseline's facts.
    pub changed: Vec<BaselineChange>,
}

/// A baseline finding that is gone, as the baseline described it.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineFixed {
    pub code: String,
    pub subject: String,
    pub severity: String,
    pub message: String,
}

/// A record that changed: `spf`, `dmarc` or `dkim:SELECTOR`; `None` where there was none.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineChange {
    pub record: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl DomainReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    pub fn recompute_worst(&mut self) {
        self.worst = self.findings.iter().map(|f| f.severity).max();
    }

    /// The highest severity among the findings that can fail the run: all of them, less
    /// those `--baseline` knew. The sink and the reporters' verdicts both use this.
    pub fn failing_worst(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.baseline != Some(super::finding::BaselineState::Known))
            .map(|f| f.severity)
            .max()
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub domains: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// Whether the run fails under `--fail-on` (exit code 1).
    pub failed: bool,
    /// The `--baseline` file the run was compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
}

/// A whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool_version: &'static str,
    pub command: String,
    pub fail_on: String,
    pub summary: Summary,
    pub targets: Vec<DomainReport>,
    pub dns: DnsStats,
    pub elapsed_ms: f64,
    /// `audit` and `demo`: the verdict, the ranked fixes and the cross-checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::audit::facts::AuditFacts>,
}

impl Report {
    pub fn new(command: &str, fail_on: &str) -> Self {
        Report {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            command: command.to_string(),
            fail_on: fail_on.to_string(),
            summary: Summary::default(),
            targets: Vec::new(),
            dns: DnsStats::default(),
            elapsed_ms: 0.0,
            audit: None,
        }
    }
}
