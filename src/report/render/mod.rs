//! Placeholder until the reporters land: JSON only. (Replaced by the reporters branch.)

use super::model::{DomainReport, Report};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Markdown,
    Sarif,
    Junit,
}

#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    pub color: bool,
    pub verbose: bool,
    pub width: Option<u16>,
}

pub fn render(_format: Format, report: &Report, _opts: &RenderOptions) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(report).unwrap_or_default();
    out.push(b'\n');
    out
}

pub fn render_jsonl_line(domain: &DomainReport) -> Vec<u8> {
    let mut out = serde_json::to_vec(domain).unwrap_or_default();
    out.push(b'\n');
    out
}
