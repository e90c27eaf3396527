//! Batch DKIM through the binary: a --domains-file line gives the selectors its domain
//! signs with, and "missing" is raised only for the selectors given for that domain.

mod common;

use common::{TempDir, run, stderr, stdout};
use serde_json::Value;

const ZONES: [&str; 3] = [
    "fixtures/zones/dkim/dkim-given-missing.zone", // key at `default` only
    "fixtures/zones/dkim/dkim-good.zone",          // keys at `default` and `s1`
    "fixtures/zones/dkim/dkim-1024.zone",          // keys at `default` and `s1`
];

fn batch(domains: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let dir = TempDir::new("batch-dkim");
    let file = dir.path().join("domains.txt");
    std::fs::write(&file, domains).unwrap();
    let file = file.display().to_string();
    let mut args = vec![
        "dns",
        "--offline",
        "--format",
        "json",
        "--domains-file",
        &file,
    ];
    for z in ZONES {
        args.extend(["--zone", z]);
    }
    args.extend(extra);
    let out = run(&args);
    let json = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    (out.status.code(), json, stderr(&out))
}

/// (domain, subjects of dkim-selector-missing, selectors checked)
fn dkim_of(report: &Value) -> Vec<(String, Vec<String>, Vec<String>)> {
    report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            let missing = t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == "dkim-selector-missing")
                .map(|f| f["subject"].as_str().unwrap().to_string())
                .collect();
            let checked = t["facts"]["dkim"]["selectors_checked"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            (t["domain"].as_str().unwrap().to_string(), missing, checked)
        })
        .collect()
}

#[test]
fn missing_is_raised_only_for_the_selectors_given_for_that_domain() {
    let domains = "# per-domain selectors\n\
                   dkim-given-missing.test custom,default\n\
                   dkim-good.test S1 # found: nothing missing\n\
                   dkim-1024.test\n";
    let (code, report, err) = batch(domains, &["--selector", "corp"]);
    assert_ne!(code, Some(2), "{err}");
    let got = dkim_of(&report);
    assert_eq!(got.len(), 3);
    // Its own list: `custom` is missing; --selector's `corp` is only probed.
    assert_eq!(got[0].0, "dkim-given-missing.test");
    assert_eq!(got[0].1, ["custom._domainkey.dkim-given-missing.test"]);
    assert_eq!(got[0].2[..3], ["custom", "default", "corp"]);
    // Its own list, all present: no finding although `corp` is absent there too.
    assert_eq!(got[1].0, "dkim-good.test");
    assert!(got[1].1.is_empty(), "{:?}", got[1]);
    assert_eq!(got[1].2[..2], ["s1", "corp"]);
    // No list of its own: --selector is what it expects.
    assert_eq!(got[2].0, "dkim-1024.test");
    assert_eq!(got[2].1, ["corp._domainkey.dkim-1024.test"]);

    // Without --selector the batch raises "missing" for the first domain alone.
    let (_, report, _) = batch(domains, &[]);
    let missing: Vec<_> = dkim_of(&report).into_iter().map(|d| d.1).collect();
    assert_eq!(
        missing,
        [
            vec!["custom._domainkey.dkim-given-missing.test".to_string()],
            vec![],
            vec![]
        ]
    );
}

#[test]
fn only_the_given_selectors_with_no_default_selectors() {
    let domains = "dkim-good.test s1\ndkim-1024.test default,s1\n";
    let (code, report, err) = batch(domains, &["--no-default-selectors"]);
    assert_eq!(code, Some(0), "{err}");
    let checked: Vec<_> = dkim_of(&report).into_iter().map(|d| d.2).collect();
    assert_eq!(checked, [vec!["s1"], vec!["default", "s1"]]);
    // A domain with nothing to ask for is an input error that names it.
    let (code, _, err) = batch(
        "dkim-good.test s1\ndkim-1024.test\n",
        &["--no-default-selectors"],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("dkim-1024.test has none"), "{err}");
}

#[test]
fn a_malformed_line_is_exit_2_with_file_line_and_column() {
    for (text, want) in [
        ("dkim-good.test s1,,s2\n", ":1:18: an empty selector"),
        ("dkim-good.test\n# c\n  bad..name s1\n", ":3:3: "),
        ("dkim-good.test s1 s(2)\n", ":1:19: selector \"s(2)\""),
    ] {
        let (code, _, err) = batch(text, &[]);
        assert_eq!(code, Some(2), "{text:?}: {err}");
        assert!(
            err.contains(&format!("domains.txt{want}")),
            "{text:?}: {err}"
        );
    }
}
