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

/// One `--format jsonl` line: a `targets` element with the schema version inside, since a
/// line is read on its own: `{"schema_version":N,` then the domain's own fields. The domain's
/// object is serialised as it is and its opening brace turned into the comma after the
/// version. A `#[serde(flatten)]` wrapper writes the same bytes, but through serde's map path
/// (every field a map entry through its `FlatMapSerializer`), which cost more.
pub fn line(domain: &DomainReport) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * 1024);
    out.extend_from_slice(format!("{{\"schema_version\":{SCHEMA_VERSION}").as_bytes());
    let body = out.len();
    if let Err(e) = serde_json::to_writer(&mut out, domain) {
        let mut out = failure(&e);
        out.push(b'\n');
        return out;
    }
    if out.len() == body + 2 {
        // `{}`: nothing to add after the version.
        out.truncate(body);
        out.push(b'}');
    } else {
        out[body] = b',';
    }
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
