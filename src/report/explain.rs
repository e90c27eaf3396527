//! Placeholder until the reporters land.
use super::finding::CodeInfo;

pub fn explain(code: &CodeInfo) -> String {
    format!("{}\n{}\n", code.id, code.summary)
}

pub fn list() -> String {
    super::catalogue::all()
        .iter()
        .map(|c| format!("{}\n", c.id))
        .collect()
}
