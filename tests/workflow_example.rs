//! The GitHub Actions example (examples/github-actions/mailpreflight.yml) is valid YAML, and
//! the mailpreflight command lines it runs work: run here against a fixture zone, offline.

use serde_yaml::Value;
use std::process::Command;

fn steps() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/github-actions/mailpreflight.yml"
    ))
    .unwrap();
    let doc: Value = serde_yaml::from_str(&text).expect("valid YAML");
    assert!(doc["on"]["pull_request"].is_mapping());
    assert_eq!(doc["permissions"]["security-events"], Value::from("write"));
    doc["jobs"]["dns-audit"]["steps"]
        .as_sequence()
        .unwrap()
        .clone()
}

#[test]
fn the_example_workflow_runs_against_a_fixture_zone() {
    let steps = steps();
    assert!(steps.iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
    }));
    let dir = std::env::temp_dir().join(format!("mailpreflight-workflow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zone = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/zones/demo/example-good.test.zone"
    );
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/zones/demo/root.zone");
    let mailer = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/zones/demo/mailer.test.zone"
    );
    let mut ran = 0;
    for step in &steps {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        for line in script
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("mailpreflight "))
        {
            // The workflow's variables, as a fixture: the demo domain and its zone, offline.
            let line = line
                .replace("\"$DOMAIN\"", "example-good.test")
                .replace("\"$ZONE\"", zone)
                .replace("base.zone", zone)
                .replace("base.json", dir.join("base.json").to_str().unwrap())
                .replace(
                    "mailpreflight.sarif",
                    dir.join("out.sarif").to_str().unwrap(),
                );
            let args: Vec<&str> = line.split_whitespace().skip(1).collect();
            let out = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
                .args(&args)
                .args(["--offline", "--zone", root, "--zone", mailer])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{line}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert_eq!(ran, 2, "the baseline and the audit");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let _ = std::fs::remove_dir_all(&dir);
}
