//! `--baseline`: only findings new since an earlier report fail the run; fixed findings and
//! changed records are reported; a bad baseline is an input error naming the file.

mod common;
use common::{run, stderr, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};

const DOMAIN: &str = "example-good.test";
const ZONES: &str = "fixtures/zones/demo";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the demo zones with the SPF record given a `ptr` (a new warning) and DMARC at
/// p=none (another), so the two runs differ in findings and in records.
fn changed_zones(dir: &Path) -> String {
    let zones = dir.join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    for entry in std::fs::read_dir(root().join(ZONES)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "zone") {
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text
                .replace("v=spf1 ", "v=spf1 ptr ")
                .replace("p=reject", "p=none");
            std::fs::write(zones.join(path.file_name().unwrap()), text).unwrap();
        }
    }
    zones.display().to_string()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mailpreflight-baseline-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn dns(zones: &str, extra: &[&str]) -> std::process::Output {
    let zones_abs = if Path::new(zones).is_absolute() {
        zones.to_string()
    } else {
        root().join(zones).display().to_string()
    };
    let mut args = vec!["dns", DOMAIN, "--zone", &zones_abs, "--offline"];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn only_new_findings_fail_and_changes_are_listed() {
    let dir = tempdir("flow");
    let changed = changed_zones(&dir);
    let old = dir.join("old.json").display().to_string();
    // The baseline is the changed world itself: everything is known, nothing fails.
    let out = dns(&changed, &["--format", "json", "-o", &old]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = dns(&changed, &["--fail-on", "warning"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "warnings fail without a baseline"
    );
    let out = dns(
        &changed,
        &[
            "--fail-on",
            "warning",
            "--baseline",
            &old,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["summary"]["baseline"], old.as_str());
    let target = &report["targets"][0];
    assert!(
        target["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["baseline"] == "known")
    );
    assert_eq!(target["baseline"]["new"], 0);

    // Against the good world's report the two warnings are new (and fail), and the records diff.
    let good = dir.join("good.json").display().to_string();
    assert_eq!(
        dns(ZONES, &["--format", "json", "-o", &good]).status.code(),
        Some(0)
    );
    let out = dns(
        &changed,
        &[
            "--fail-on",
            "warning",
            "--baseline",
            &good,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let b = &report["targets"][0]["baseline"];
    // ptr in the included mailer.test record too: at least the two warnings.
    assert!(b["new"].as_u64().unwrap() >= 2, "{b}");
    let changed_records: Vec<_> = b["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["record"].as_str().unwrap())
        .collect();
    assert_eq!(changed_records, ["spf", "dmarc"]);
    assert!(
        b["changed"][1]["old"]
            .as_str()
            .unwrap()
            .contains("p=reject")
    );

    // The other way round, the two warnings are fixed.
    let out = dns(ZONES, &["--baseline", &old, "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let fixed: Vec<_> = report["targets"][0]["baseline"]["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert!(
        fixed.contains(&"dmarc-policy-none".to_string()),
        "{fixed:?}"
    );
    assert!(fixed.contains(&"spf-ptr-used".to_string()), "{fixed:?}");

    // The table shows the diff; SARIF carries SARIF's own baselineState.
    let table = stdout(&dns(&changed, &["--baseline", &good]));
    assert!(table.contains("changed spf: v=spf1 mx"), "{table}");
    assert!(table.contains("→ v=spf1 ptr mx"), "{table}");
    let md = stdout(&dns(ZONES, &["--baseline", &old, "--format", "markdown"]));
    assert!(
        md.contains("### Baseline") && md.contains("fixed: spf-ptr-used"),
        "{md}"
    );
    let sarif = stdout(&dns(&changed, &["--baseline", &good, "--format", "sarif"]));
    assert!(sarif.contains("\"baselineState\": \"new\""), "{sarif}");

    // Every key of a baseline report is documented.
    let doc = std::fs::read_to_string(root().join("docs/json-schema.md")).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    common::json_keys(&report, &mut keys);
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("\"{k}\"")))
        .collect();
    assert!(missing.is_empty(), "undocumented: {missing:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_baseline_is_an_input_error_naming_the_file() {
    let dir = tempdir("bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let cases = [
        (
            dir.join("missing.json").display().to_string(),
            "cannot read",
        ),
        (write("garbage.json", "not json"), "not a JSON report"),
        (
            write(
                "v9.json",
                r#"{"schema_version":9,"command":"dns","targets":[]}"#,
            ),
            "schema_version 9",
        ),
        (
            write(
                "audit.json",
                r#"{"schema_version":1,"command":"audit","targets":[]}"#,
            ),
            "`audit`",
        ),
        (
            write(
                "shape.json",
                r#"{"schema_version":1,"command":"dns","targets":3}"#,
            ),
            "not a mailpreflight JSON report",
        ),
    ];
    for (path, needle) in cases {
        let out = dns(ZONES, &["--baseline", &path]);
        assert_eq!(out.status.code(), Some(2), "{path}");
        let err = stderr(&out);
        assert!(err.contains(&path) && err.contains(needle), "{path}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
