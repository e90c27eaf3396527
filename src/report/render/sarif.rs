//! `--format sarif`: SARIF 2.1.0 for code-scanning tools (GitHub code scanning).
//!
//! One run; one rule per catalogue code; one result per finding, located by the DNS
//! name it is about (a logical location) and, when the answer came from a zone file
//! given with `--zone`, by that file (a physical location without a region: answers do
//! not carry line numbers).

use crate::dns::Source;
use crate::report::catalogue;
use crate::report::finding::{CodeInfo, Evidence, Finding, Severity};
use crate::report::model::{DomainReport, Report};
use serde::Serialize;
use std::collections::HashMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const VERSION: &str = "2.1.0";

pub fn render(report: &Report) -> Vec<u8> {
    let log = build(report);
    let mut out = serde_json::to_vec_pretty(&log).unwrap_or_default();
    out.push(b'\n');
    out
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Text,
    full_description: Text,
    help: Text,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    reference: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    /// SARIF's own baseline field (3.27.24), set under `--baseline`: `new` or `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
struct ResultProperties {
    /// The audited domain the finding belongs to (the subject may be a name below it).
    domain: String,
    /// The finding's specific remediation (the rule's help is the generic one).
    remediation: String,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `CARGO_PKG_HOMEPAGE`, else `CARGO_PKG_REPOSITORY`, when Cargo.toml sets one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|uri| !uri.is_empty())
}

fn rule(code: &'static CodeInfo) -> Rule {
    let area = serde_json::to_value(code.area)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Rule {
        id: code.id,
        short_description: Text {
            text: code.summary.to_string(),
        },
        full_description: Text {
            text: format!("{} ({})", code.summary, code.reference),
        },
        help: Text {
            text: code.remediation.to_string(),
        },
        default_configuration: Configuration {
            level: level(code.default_severity),
        },
        properties: RuleProperties {
            tags: vec![area],
            reference: code.reference,
        },
    }
}

fn build(report: &Report) -> Log {
    let mut rules: Vec<Rule> = Vec::new();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut add_rule = |code: &'static CodeInfo, rules: &mut Vec<Rule>| {
        *index.entry(code.id).or_insert_with(|| {
            rules.push(rule(code));
            rules.len() - 1
        })
    };
    for code in catalogue::all() {
        add_rule(code, &mut rules);
    }
    let mut results = Vec::new();
    for domain in &report.targets {
        for finding in &domain.findings {
            // A code missing from the catalogue still gets a rule: results must resolve.
            let rule_index = add_rule(finding.code, &mut rules);
            results.push(result(domain, finding, rule_index));
        }
    }
    Log {
        schema: SCHEMA,
        version: VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "mailpreflight",
                    version: report.tool_version.to_string(),
                    information_uri: information_uri(),
                    rules,
                },
            },
            results,
        }],
    }
}

fn result(domain: &DomainReport, finding: &Finding, rule_index: usize) -> SarifResult {
    let mut text = finding.message.clone();
    if !finding.remediation.is_empty() && finding.remediation != finding.code.remediation {
        text.push_str("\nFix: ");
        text.push_str(&finding.remediation);
    }
    let suppressions = if finding.allowed {
        vec![Suppression {
            kind: "external",
            justification: format!("--allow {}", finding.code.id),
        }]
    } else {
        Vec::new()
    };
    SarifResult {
        rule_id: finding.code.id,
        rule_index,
        level: level(finding.severity),
        message: Text { text },
        locations: vec![Location {
            physical_location: zone_file(domain, finding).map(|file| PhysicalLocation {
                artifact_location: artifact(file),
            }),
            logical_locations: vec![LogicalLocation {
                fully_qualified_name: finding.subject.clone(),
                kind: "resource",
            }],
        }],
        suppressions,
        baseline_state: finding.baseline.map(|b| match b {
            crate::report::finding::BaselineState::Known => "unchanged",
            crate::report::finding::BaselineState::New => "new",
        }),
        properties: ResultProperties {
            domain: domain.domain.clone(),
            remediation: finding.remediation.clone(),
        },
    }
}

/// The zone file that answered for the finding's subject or one of the names in its
/// evidence, found in the domain's query log.
fn zone_file<'a>(domain: &'a DomainReport, finding: &Finding) -> Option<&'a str> {
    let mut names = vec![finding.subject.as_str()];
    for evidence in &finding.evidence {
        match evidence {
            Evidence::DnsAnswer { name, .. } | Evidence::Record { name, .. } => names.push(name),
            Evidence::Chain { names: chain } => names.extend(chain.iter().map(String::as_str)),
            Evidence::Value { .. } => {}
        }
    }
    names.iter().find_map(|name| {
        domain.queries.iter().find_map(|q| match &q.answer.source {
            Source::Zone { file } if q.answer.name.eq_ignore_ascii_case(name) => {
                Some(file.as_str())
            }
            _ => None,
        })
    })
}

/// A file path as a SARIF URI: relative paths stay relative to the checkout
/// (`%SRCROOT%`, as GitHub expects); absolute ones become `file://` URIs.
fn artifact(path: &str) -> ArtifactLocation {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    if path.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", percent_encode(path)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: percent_encode(path),
            uri_base_id: Some("%SRCROOT%"),
        }
    }
}

fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris() {
        let rel = artifact("./zones/a b.zone");
        assert_eq!(rel.uri, "zones/a%20b.zone");
        assert_eq!(rel.uri_base_id, Some("%SRCROOT%"));
        let abs = artifact("/srv/zones/ex.zone");
        assert_eq!(abs.uri, "file:///srv/zones/ex.zone");
        assert_eq!(abs.uri_base_id, None);
    }
}
