//! The findings ranked into one answer for a support person: what a receiver would most
//! likely do with this message, and the reasons in the order to fix them.

use super::identity::DmarcFact;
use crate::report::{Finding, Severity};
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Verdict {
    /// `likely rejected`, `likely spam`, `at risk`, `no problem found`, `cannot tell`.
    pub outcome: String,
    /// One sentence.
    pub summary: String,
    /// Most important first.
    pub reasons: Vec<Reason>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Reason {
    pub rank: usize,
    pub code: String,
    pub severity: Severity,
    pub why: String,
    pub fix: String,
}

/// How much a kind of finding weighs in a receiver's decision (higher first); codes not
/// listed weigh least.
fn weight(code: &str) -> u32 {
    match code {
        "inspect-dmarc-fail" => 100,
        "inspect-receiver-failed" => 90,
        "received-dkim-failed" => 80,
        "inspect-spf-not-pass" => 70,
        "received-unsigned" => 65,
        "inspect-no-dmarc" => 60,
        "received-dkim-not-aligned" => 55,
        "received-envelope-not-aligned" => 50,
        "received-unrendered-placeholder" => 45,
        "inspect-dkim-weak" => 40,
        "inspect-dkim-body-length" => 35,
        "received-no-text-part" => 30,
        "inspect-slow-delivery" => 25,
        "inspect-hop-without-tls" => 20,
        "inspect-auth-results-disagree" => 15,
        _ => 10,
    }
}

pub fn verdict(findings: &[Finding], dmarc: Option<&DmarcFact>) -> Verdict {
    let mut ranked: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity > Severity::Note)
        .collect();
    ranked.sort_by_key(|f| std::cmp::Reverse((f.severity, weight(f.code.id))));
    let reasons: Vec<Reason> = ranked
        .iter()
        .enumerate()
        .map(|(i, f)| Reason {
            rank: i + 1,
            code: f.code.id.to_string(),
            severity: f.severity,
            why: f.message.clone(),
            fix: f.remediation.clone(),
        })
        .collect();
    let unreadable = findings.iter().any(|f| {
        matches!(
            f.code.id,
            "inspect-input-over-limit" | "inspect-not-a-message"
        )
    });
    let dmarc_fail = dmarc.filter(|d| d.result == "fail");
    let policy = dmarc_fail.and_then(|d| d.policy.as_deref());
    let (outcome, summary) = if unreadable {
        (
            "cannot tell",
            "The input could not be read as a message; see the findings.".to_string(),
        )
    } else if let (Some(d), Some("reject")) = (dmarc_fail, policy) {
        (
            "likely rejected",
            format!(
                "DMARC fails for {} and its policy is reject: receivers that honour DMARC refuse this message.",
                d.from_domain
            ),
        )
    } else if let (Some(d), Some("quarantine")) = (dmarc_fail, policy) {
        (
            "likely spam",
            format!(
                "DMARC fails for {} and its policy is quarantine: receivers put this message in spam.",
                d.from_domain
            ),
        )
    } else if let Some(first) = reasons.iter().find(|r| r.severity == Severity::Error) {
        ("likely spam", format!("The main problem: {}.", first.why))
    } else if let Some(first) = reasons.first() {
        (
            "at risk",
            format!(
                "Nothing here forces spam, but filters score this down: {}.",
                first.why
            ),
        )
    } else {
        (
            "no problem found",
            "Authentication passes and aligns; if it still lands in spam, look at content and sender reputation.".to_string(),
        )
    };
    Verdict {
        outcome: outcome.into(),
        summary,
        reasons,
    }
}
