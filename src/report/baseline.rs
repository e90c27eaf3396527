//! `--baseline report.json`: an earlier JSON report of the same command, so that CI fails
//! only on what a change made worse. Findings are matched by (target, code, subject); the
//! message is left out of the key on purpose, since it carries numbers (lookup counts, key
//! sizes) that move without the problem being new.
//!
//! Only the few fields compared are read (derived `Deserialize` on small types of our own):
//! the report types themselves hold `&'static` catalogue entries and are write-only.

use super::model::{BaselineChange, BaselineFixed, DomainFacts, SCHEMA_VERSION};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Baselines larger than this are refused: a bound on what is read into memory.
const MAX_BASELINE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Baseline {
    /// The file, as named on the command line (shown in the report).
    pub path: String,
    targets: BTreeMap<String, OldTarget>,
}

#[derive(Debug, Deserialize)]
struct OldReport {
    schema_version: u32,
    command: String,
    #[serde(default)]
    targets: Vec<OldTarget>,
}

#[derive(Debug, Default, Deserialize)]
struct OldTarget {
    domain: String,
    #[serde(default)]
    findings: Vec<OldFinding>,
    #[serde(default)]
    facts: OldFacts,
}

#[derive(Debug, Clone, Deserialize)]
struct OldFinding {
    code: String,
    subject: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    message: String,
}

/// The records a baseline diff shows. A section that is absent means "not checked then",
/// which is not the same as "no record" and is never reported as a change.
#[derive(Debug, Default, Deserialize)]
struct OldFacts {
    spf: Option<OldRecord>,
    dmarc: Option<OldRecord>,
    dkim: Option<OldDkim>,
}

#[derive(Debug, Default, Deserialize)]
struct OldRecord {
    record: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct OldDkim {
    #[serde(default)]
    keys: Vec<OldKey>,
}

#[derive(Debug, Default, Deserialize)]
struct OldKey {
    selector: String,
    #[serde(default)]
    key_type: String,
    bits: Option<u32>,
    #[serde(default)]
    revoked: bool,
}

impl Baseline {
    /// Read and validate the file; every failure names it (an input error, exit 2).
    pub fn load(path: &Path, command: &str) -> Result<Baseline, String> {
        let shown = path.display();
        let meta =
            std::fs::metadata(path).map_err(|e| format!("cannot read --baseline {shown}: {e}"))?;
        if meta.len() > MAX_BASELINE_BYTES {
            return Err(format!("--baseline {shown} is larger than 256 MiB"));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --baseline {shown}: {e}"))?;
        Baseline::parse(&text, &shown.to_string(), command)
    }

    pub fn parse(text: &str, path: &str, command: &str) -> Result<Baseline, String> {
        // The version first, so an old or future report says so rather than "missing field".
        let version = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| format!("--baseline {path}: not a JSON report: {e}"))?
            .get("schema_version")
            .and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "--baseline {path}: schema_version {v}, but this mailpreflight writes and reads {SCHEMA_VERSION}"
                ));
            }
            None => {
                return Err(format!(
                    "--baseline {path}: no schema_version (is it a `--format json` report?)"
                ));
            }
        }
        let old: OldReport = serde_json::from_str(text)
            .map_err(|e| format!("--baseline {path}: not a mailpreflight JSON report: {e}"))?;
        debug_assert_eq!(old.schema_version, SCHEMA_VERSION);
        if old.command != command {
            return Err(format!(
                "--baseline {path}: a report of `{}`, not of `{command}`",
                old.command
            ));
        }
        Ok(Baseline {
            path: path.to_string(),
            targets: old
                .targets
                .into_iter()
                .map(|t| (t.domain.clone(), t))
                .collect(),
        })
    }

    /// Whether the baseline had this finding for this target.
    pub fn knows(&self, target: &str, code: &str, subject: &str) -> bool {
        self.targets.get(target).is_some_and(|t| {
            t.findings
                .iter()
                .any(|f| f.code == code && f.subject == subject)
        })
    }

    /// Whether the baseline audited this target at all (a target new to the run has
    /// nothing fixed and no record diff: everything about it is new).
    pub fn has_target(&self, target: &str) -> bool {
        self.targets.contains_key(target)
    }

    /// The baseline's findings for `target` that are gone now.
    pub fn fixed(&self, target: &str, now: &BTreeSet<(&str, &str)>) -> Vec<BaselineFixed> {
        let Some(old) = self.targets.get(target) else {
            return Vec::new();
        };
        let mut seen = BTreeSet::new();
        old.findings
            .iter()
            .filter(|f| !now.contains(&(f.code.as_str(), f.subject.as_str())))
            .filter(|f| seen.insert((f.code.clone(), f.subject.clone())))
            .map(|f| BaselineFixed {
                code: f.code.clone(),
                subject: f.subject.clone(),
                severity: f.severity.clone(),
                message: f.message.clone(),
            })
            .collect()
    }

    /// Records that differ between the baseline and now: the SPF record, the DMARC record,
    /// and each DKIM selector's key (type and size).
    pub fn changes(&self, target: &str, facts: &DomainFacts) -> Vec<BaselineChange> {
        let Some(old) = self.targets.get(target) else {
            return Vec::new();
        };
        let mut changes = Vec::new();
        let mut push = |record: String, old: Option<String>, new: Option<String>| {
            if old != new {
                changes.push(BaselineChange { record, old, new });
            }
        };
        if let (Some(o), Some(n)) = (&old.facts.spf, &facts.spf) {
            push("spf".into(), o.record.clone(), n.record.clone());
        }
        if let (Some(o), Some(n)) = (&old.facts.dmarc, &facts.dmarc) {
            push("dmarc".into(), o.record.clone(), n.record.clone());
        }
        if let (Some(o), Some(n)) = (&old.facts.dkim, &facts.dkim) {
            let mut keys: BTreeMap<&str, (Option<String>, Option<String>)> = BTreeMap::new();
            for k in &o.keys {
                let entry = keys.entry(&k.selector).or_default();
                entry.0 = Some(join(
                    entry.0.take(),
                    key_text(&k.key_type, k.bits, k.revoked),
                ));
            }
            for k in &n.keys {
                let entry = keys.entry(&k.selector).or_default();
                entry.1 = Some(join(
                    entry.1.take(),
                    key_text(&k.key_type, k.bits, k.revoked),
                ));
            }
            for (selector, (o, n)) in keys {
                push(format!("dkim:{selector}"), o, n);
            }
        }
        changes
    }
}

/// `rsa 2048`, `ed25519 256`, `revoked`: what a reviewer needs to see change.
fn key_text(key_type: &str, bits: Option<u32>, revoked: bool) -> String {
    if revoked {
        return "revoked".into();
    }
    match bits {
        Some(b) => format!("{key_type} {b}"),
        None => key_type.to_string(),
    }
}

/// Several records at one selector are shown together.
fn join(before: Option<String>, next: String) -> String {
    match before {
        Some(b) => format!("{b}; {next}"),
        None => next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"{"schema_version":1,"command":"dns","targets":[{"domain":"example.com",
        "findings":[{"code":"spf-soft-all","subject":"example.com","severity":"warning","message":"m"}],
        "facts":{"spf":{"record":"v=spf1 ~all"},"dkim":{"keys":[{"selector":"s1","key_type":"rsa","bits":1024,"revoked":false}]}}}]}"#;

    #[test]
    fn matches_by_target_code_and_subject() {
        let b = Baseline::parse(OLD, "old.json", "dns").unwrap();
        assert!(b.knows("example.com", "spf-soft-all", "example.com"));
        assert!(!b.knows("example.com", "spf-soft-all", "other.example.com"));
        assert!(!b.knows("example.org", "spf-soft-all", "example.com"));
        let fixed = b.fixed("example.com", &BTreeSet::new());
        assert_eq!(fixed.len(), 1);
        assert!(
            b.fixed("example.com", &[("spf-soft-all", "example.com")].into())
                .is_empty()
        );
    }

    #[test]
    fn wrong_version_command_or_shape_is_an_error_naming_the_file() {
        let v2 = OLD.replace("\"schema_version\":1", "\"schema_version\":2");
        let e = Baseline::parse(&v2, "old.json", "dns").unwrap_err();
        assert!(
            e.contains("old.json") && e.contains("schema_version 2"),
            "{e}"
        );
        let e = Baseline::parse(OLD, "old.json", "audit").unwrap_err();
        assert!(e.contains("old.json") && e.contains("`dns`"), "{e}");
        assert!(
            Baseline::parse("{", "old.json", "dns")
                .unwrap_err()
                .contains("old.json")
        );
        assert!(
            Baseline::parse("[]", "x.json", "dns")
                .unwrap_err()
                .contains("x.json")
        );
    }

    #[test]
    fn record_changes_are_diffed() {
        let b = Baseline::parse(OLD, "old.json", "dns").unwrap();
        let mut facts = DomainFacts {
            spf: Some(crate::spf::SpfFacts {
                record: Some("v=spf1 -all".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let changes = b.changes("example.com", &facts);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].record, "spf");
        assert_eq!(changes[0].old.as_deref(), Some("v=spf1 ~all"));
        // DKIM: s1 gone, s2 new; DMARC not checked then, so no change is claimed.
        facts.dkim = Some(crate::dkim::DkimFacts {
            selectors_checked: vec![],
            keys: vec![crate::dkim::DkimKeyFact {
                selector: "s2".into(),
                key_type: "rsa".into(),
                bits: Some(2048),
                ..Default::default()
            }],
        });
        let changes = b.changes("example.com", &facts);
        let names: Vec<_> = changes.iter().map(|c| c.record.as_str()).collect();
        assert_eq!(names, ["spf", "dkim:s1", "dkim:s2"]);
        assert_eq!(changes[2].new.as_deref(), Some("rsa 2048"));
    }
}
