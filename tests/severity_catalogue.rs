//! Severities that match what is emitted. Each code's catalogue entry declares its default
//! severity and every other severity a check may give it, with when (`contexts`); `explain`
//! and docs/codes.md print them. Checked three ways:
//! - `Finding::severity`/`set_severity` assert (debug builds: every test run) that the
//!   severity is declared, so every test that reaches an emission site checks it;
//! - the fixture runs (tests/scenarios.rs, tests/connectors_audit.rs, tests/audit_demo.rs)
//!   compare each emitted finding's severity with the documented ones;
//! - this file: no check writes `.severity =` past those methods, the declarations are
//!   sound, `explain` says when, and the cases of issue 16 come out as documented.

mod common;
use common::{documented_severities, run, stdout};
use mailpreflight::report::catalogue;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Only the sink (the user's --allow/--deny) and the finding model itself may assign a
/// severity directly; checks go through `Finding::severity`, which checks the declaration.
#[test]
fn no_check_assigns_a_severity_directly() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap().display().to_string();
        if rel.starts_with("report/") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let assigns = code
                .match_indices(".severity =")
                .any(|(i, m)| !code[i + m.len()..].starts_with('='));
            let literal = code.contains("severity: Severity::") && !rel.ends_with("codes.rs");
            if assigns || literal {
                offenders.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "severities set past Finding::severity (use .severity(..)/.set_severity(..)):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn declared_contexts_are_other_severities_with_a_reason() {
    for code in catalogue::all() {
        let severities = documented_severities(code);
        for (i, c) in code.contexts.iter().enumerate() {
            assert_ne!(
                c.severity, code.default_severity,
                "{}: context repeats the default",
                code.id
            );
            assert!(
                !code.contexts[..i].iter().any(|o| o.severity == c.severity),
                "{}: {} declared twice; say both occurrences in one context",
                code.id,
                c.severity
            );
            assert!(c.when.len() > 10, "{}: say when", code.id);
        }
        assert_eq!(severities.len(), code.contexts.len() + 1);
    }
}

#[test]
fn explain_and_docs_say_when_a_code_has_another_severity() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/codes.md")).unwrap();
    for code in catalogue::all()
        .into_iter()
        .filter(|c| !c.contexts.is_empty())
    {
        let text = stdout(&run(&["explain", code.id]));
        for c in code.contexts {
            let first_words: String = c
                .when
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                text.contains(&format!("{} when", c.severity)) && text.contains(&first_words),
                "explain {} lacks its {} context:\n{text}",
                code.id,
                c.severity
            );
            assert!(
                docs.contains(&format!(
                    "**{}** when {}",
                    c.severity,
                    c.when.split_whitespace().next().unwrap()
                )),
                "docs/codes.md lacks {}'s {} context",
                code.id,
                c.severity
            );
        }
    }
}

fn zone(dir: &common::TempDir, text: &str) -> String {
    let path = dir.path().join("t.zone");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn findings(args: &[&str]) -> Vec<(String, String, String, String)> {
    let out = run(args);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    common::assert_severities_documented(&v, &format!("{args:?}"));
    v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["remediation"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const HEAD: &str = "$ORIGIN sev.test.\n$TTL 300\n@ IN SOA ns1.sev.test. h.sev.test. 1 3600 600 86400 300\n@ IN NS ns1.sev.test.\nns1 IN A 192.0.2.53\n@ IN MX 0 .\n@ IN TXT \"v=spf1 -all\"\n";

/// Issue 16's cases: a revoked key at a selector given with --selector, no key at a given
/// selector, and pct=150: each emitted at a documented severity, and the pct advice about pct.
#[test]
fn issue_16_cases_come_out_as_documented() {
    let dir = common::TempDir::new("severity");
    let z = zone(
        &dir,
        &format!(
            "{HEAD}_dmarc IN TXT \"v=DMARC1; p=reject; pct=150; rua=mailto:d@sev.test\"\nrevoked._domainkey IN TXT \"v=DKIM1; k=rsa; p=\"\n"
        ),
    );
    let base = [
        "dns",
        "sev.test",
        "--offline",
        "--zone",
        &z,
        "--format",
        "json",
    ];
    let got = findings(
        &[
            &base[..],
            &["--selector", "revoked", "--no-default-selectors"],
        ]
        .concat(),
    );
    let revoked = got
        .iter()
        .find(|f| f.0 == "dkim-key-revoked")
        .expect("revoked");
    assert_eq!(revoked.1, "warning");
    let pct = got
        .iter()
        .find(|f| f.0 == "dmarc-invalid-tag-value")
        .expect("pct");
    assert_eq!(pct.1, "warning");
    assert!(pct.3.contains("pct"), "{}", pct.3);
    assert!(
        !pct.3.contains("p="),
        "the pct advice speaks of p=: {}",
        pct.3
    );

    let got = findings(
        &[
            &base[..],
            &["--selector", "absent", "--no-default-selectors"],
        ]
        .concat(),
    );
    let none = got
        .iter()
        .find(|f| f.0 == "dkim-no-selector-found")
        .expect("none found");
    assert_eq!(none.1, "warning");
    // Without --selector, the same code is the documented default (note).
    let got = findings(&base);
    let none = got
        .iter()
        .find(|f| f.0 == "dkim-no-selector-found")
        .expect("none found");
    assert_eq!(none.1, "note");
}
