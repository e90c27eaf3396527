//! `--format json` (the whole run) and `--format jsonl` (one domain per line).
//! Both are the derived `Serialize` of the report types; the schema is documented in
//! docs/json-schema.md.

use crate::report::model::{DomainReport, Report, SCHEMA_VERSION};
use serde::Serialize;

pub fn render(report: &Report) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(report).unwrap_or_else(|e| failure(&e));
    out.push(b'\n');
    out
}

/// One `--format jsonl` line: a `targets` element with the schema version inside,
/// since a line is read on its own.
#[derive(Serialize)]
struct JsonlLine<'a> {
    schema_version: u32,
    #[serde(flatten)]
    domain: &'a DomainReport,
}

pub fn line(domain: &DomainReport) -> Vec<u8> {
    let line = JsonlLine {
        schema_version: SCHEMA_VERSION,
        domain,
    };
    let mut out = serde_json::to_vec(&line).unwrap_or_else(|e| failure(&e));
    out.push(b'\n');
    out
}

/// The report types serialise without error (string keys, no fallible impls); should
/// that ever change, say so in valid JSON rather than print nothing.
fn failure(error: &serde_json::Error) -> Vec<u8> {
    #[derive(Serialize)]
    struct Failure {
        schema_version: u32,
        error: String,
    }
    serde_json::to_vec(&Failure {
        schema_version: SCHEMA_VERSION,
        error: format!("could not serialise the report: {error}"),
    })
    .unwrap_or_default()
}
