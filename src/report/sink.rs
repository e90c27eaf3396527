//! Severity policy in one place: `--allow`, `--deny`, `--baseline` and `--fail-on` are
//! applied here and nowhere else, after the checks have run.

use super::baseline::Baseline;
use super::catalogue;
use super::finding::{BaselineState, Severity};
use super::model::{DomainBaseline, DomainReport, Summary};
use std::collections::BTreeSet;
use std::sync::Arc;

/// When a run fails (exit code 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

impl FailOn {
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Never => "never",
        }
    }

    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Never => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub fail_on: FailOn,
    allow: BTreeSet<&'static str>,
    deny: BTreeSet<&'static str>,
    baseline: Option<Arc<Baseline>>,
}

impl Policy {
    /// Validate the codes named by the user against the catalogue (an unknown code is a
    /// usage error: a typo would otherwise silently allow nothing).
    pub fn new(fail_on: FailOn, allow: &[String], deny: &[String]) -> Result<Policy, String> {
        let lookup = |code: &String, flag: &str| {
            catalogue::find(code).map(|c| c.id).ok_or_else(|| {
                format!("{flag} {code}: no such finding code (see `mailpreflight explain --list`)")
            })
        };
        let allow = allow
            .iter()
            .map(|c| lookup(c, "--allow"))
            .collect::<Result<BTreeSet<_>, _>>()?;
        let deny = deny
            .iter()
            .map(|c| lookup(c, "--deny"))
            .collect::<Result<BTreeSet<_>, _>>()?;
        if let Some(both) = allow.intersection(&deny).next() {
            return Err(format!("{both} is given to both --allow and --deny"));
        }
        Ok(Policy {
            fail_on,
            allow,
            deny,
            baseline: None,
        })
    }

    /// Compare with an earlier report: findings it had no longer fail the run.
    pub fn with_baseline(mut self, baseline: Baseline) -> Policy {
        self.baseline = Some(Arc::new(baseline));
        self
    }

    /// `--allow` lowers a code to a note (kept in the report, marked allowed);
    /// `--deny` raises it to an error.
    pub fn apply(&self, report: &mut DomainReport) {
        for finding in &mut report.findings {
            if self.allow.contains(finding.code.id) {
                finding.severity = Severity::Note;
                finding.allowed = true;
            } else if self.deny.contains(finding.code.id) {
                finding.severity = Severity::Error;
            }
        }
        report
            .findings
            .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.id.cmp(b.code.id)));
        report.recompute_worst();
        if let Some(baseline) = &self.baseline {
            compare(baseline, report);
        }
    }

    pub fn fails(&self, report: &DomainReport) -> bool {
        match (self.fail_on.threshold(), report.failing_worst()) {
            (Some(threshold), Some(worst)) => worst >= threshold,
            _ => false,
        }
    }

    /// Add one domain's counts to a run summary.
    pub fn tally(&self, summary: &mut Summary, report: &DomainReport) {
        summary.domains += 1;
        summary.errors += report.count(Severity::Error);
        summary.warnings += report.count(Severity::Warning);
        summary.notes += report.count(Severity::Note);
        summary.failed |= self.fails(report);
        if let Some(baseline) = &self.baseline {
            summary.baseline = Some(baseline.path.clone());
        }
    }
}

/// Mark each finding known or new, and list what the baseline had that is gone.
fn compare(baseline: &Baseline, report: &mut DomainReport) {
    let target = report.domain.clone();
    let mut result = DomainBaseline::default();
    for finding in &mut report.findings {
        let state = if baseline.knows(&target, finding.code.id, &finding.subject) {
            result.known += 1;
            BaselineState::Known
        } else {
            result.new += 1;
            BaselineState::New
        };
        finding.baseline = Some(state);
    }
    let now: BTreeSet<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.code.id, f.subject.as_str()))
        .collect();
    result.fixed = baseline.fixed(&target, &now);
    result.changed = baseline.changes(&target, &report.facts);
    report.baseline = Some(result);
}
