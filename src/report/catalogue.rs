//! Every finding code the tool can raise, gathered from the check modules.

use super::finding::CodeInfo;

/// All codes, grouped by area in a stable order.
pub fn all() -> Vec<&'static CodeInfo> {
    [
        crate::dns::codes::ALL,
        crate::spf::codes::ALL,
        crate::dkim::codes::ALL,
        crate::dmarc::codes::ALL,
        crate::mx::codes::ALL,
        crate::policy_records::codes::ALL,
        crate::config::codes::ALL,
        crate::smtp::codes::ALL,
        crate::passcode::codes::ALL,
        crate::sink::codes::ALL,
        crate::audit::codes::ALL,
        crate::inspect::codes::ALL,
        crate::connectors::codes::ALL,
        crate::connectors::online::codes::ALL,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect()
}

pub fn find(id: &str) -> Option<&'static CodeInfo> {
    all().into_iter().find(|c| c.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case_and_described() {
        let mut seen = HashSet::new();
        for code in all() {
            assert!(seen.insert(code.id), "duplicate code {}", code.id);
            assert!(
                code.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} is not kebab-case",
                code.id
            );
            assert!(!code.summary.is_empty(), "{} has no summary", code.id);
            assert!(
                !code.remediation.is_empty(),
                "{} has no remediation",
                code.id
            );
            assert!(!code.reference.is_empty(), "{} has no reference", code.id);
        }
    }
}
