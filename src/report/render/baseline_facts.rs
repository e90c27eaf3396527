//! The `--baseline` comparison as lines, shared by the table and Markdown reporters:
//! counts, fixed findings, and each changed record as old → new.

use super::text::printable;
use crate::report::model::DomainBaseline;

pub fn lines(b: &DomainBaseline) -> Vec<String> {
    let mut out = vec![format!(
        "{} new, {} known, {} fixed",
        b.new,
        b.known,
        b.fixed.len()
    )];
    for f in &b.fixed {
        out.push(format!(
            "fixed: {} {} ({})",
            f.code,
            printable(&f.subject),
            f.severity
        ));
    }
    for c in &b.changed {
        let show = |v: &Option<String>| {
            v.as_deref()
                .map_or_else(|| "(none)".to_string(), |t| printable(t).into_owned())
        };
        out.push(format!("changed {}: {}", c.record, show(&c.old)));
        out.push(format!("  → {}", show(&c.new)));
    }
    out
}
