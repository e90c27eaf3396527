//! The verdict and the few fixes that matter most, ranked: errors before warnings, and within
//! them the order in which they block mail (the connector refuses the config, then the SMTP
//! session fails, then authentication, then deliverability).

use crate::report::{Area, Finding, Severity};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Fix {
    pub rank: usize,
    pub severity: Severity,
    pub code: &'static str,
    pub subject: String,
    pub problem: String,
    pub fix: String,
}

/// At most this many fixes in the summary (the details list every finding).
pub const MAX_FIXES: usize = 5;

fn area_rank(area: Area) -> u8 {
    match area {
        Area::Config | Area::Connector => 0,
        Area::Smtp => 1,
        Area::Tls => 2,
        Area::Send => 3,
        Area::Audit => 4,
        Area::Dmarc => 5,
        Area::Dkim => 6,
        Area::Spf => 7,
        Area::Template => 8,
        Area::Received => 9,
        Area::Dns => 10,
        Area::Mx => 11,
        _ => 12,
    }
}

pub fn verdict(findings: &[&Finding]) -> &'static str {
    let worst = findings
        .iter()
        .filter(|f| !f.allowed)
        .map(|f| f.severity)
        .max();
    match worst {
        Some(Severity::Error) => "NOT READY",
        Some(Severity::Warning) => "READY WITH WARNINGS",
        _ => "READY",
    }
}

pub fn ranked_fixes(findings: &[&Finding]) -> Vec<Fix> {
    let mut worth: Vec<&&Finding> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning && !f.allowed)
        .collect();
    worth.sort_by_key(|f| (std::cmp::Reverse(f.severity), area_rank(f.code.area)));
    let mut seen = std::collections::HashSet::new();
    worth
        .into_iter()
        .filter(|f| seen.insert(f.code.id))
        .take(MAX_FIXES)
        .enumerate()
        .map(|(i, f)| Fix {
            rank: i + 1,
            severity: f.severity,
            code: f.code.id,
            subject: f.subject.clone(),
            problem: f.message.clone(),
            fix: f.remediation.clone(),
        })
        .collect()
}
