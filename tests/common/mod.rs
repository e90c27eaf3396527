//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod pki;
pub mod postfix;
pub mod smtp_server;
pub mod snapshot;

use std::io::Write;
use std::process::{Command, Output};

/// A skip notice the person running `cargo test` sees: written to the process's standard
/// error directly, past the test harness, which swallows `eprintln!` of a passing test.
pub fn notice(message: &str) {
    let _ = writeln!(std::io::stderr(), "NOTICE: {message}");
}

/// An outside tool or server a test needs: absent on a developer's machine, the test skips
/// with `skipping` as notice; under CI=true (.ci/run installs it) its absence fails with
/// `required`.
pub fn outside_tool(ok: bool, required: &str, skipping: &str) -> bool {
    if !ok {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{required}");
        notice(skipping);
    }
    ok
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Run the built binary with `args`; never reaches a non-loopback resolver because every
/// test passes --nameserver 127.0.0.1:PORT or --offline.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run mailpreflight")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "mailpreflight-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every object key anywhere in a JSON value (for the "every field is documented" tests).
pub fn json_keys(value: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                json_keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_keys(v, out)),
        _ => {}
    }
}

/// Every finding of a JSON report (run without --allow/--deny) has a severity its code's
/// catalogue entry documents: the default or one of its declared contexts, as `explain`
/// and docs/codes.md print them.
pub fn assert_severities_documented(report: &serde_json::Value, what: &str) {
    let mut wrong = Vec::new();
    for target in report["targets"].as_array().into_iter().flatten() {
        for f in target["findings"].as_array().into_iter().flatten() {
            let id = f["code"].as_str().unwrap_or("");
            let severity = f["severity"].as_str().unwrap_or("");
            let Some(code) = mailpreflight::report::catalogue::find(id) else {
                wrong.push(format!("{id}: not in the catalogue"));
                continue;
            };
            if !documented_severities(code).contains(&severity) {
                wrong.push(format!(
                    "{id} emitted as {severity}, documented as {:?}: {}",
                    documented_severities(code),
                    f["message"].as_str().unwrap_or("")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{what}: {}", wrong.join("\n"));
}

/// The severities `explain CODE` lists for a code.
pub fn documented_severities(code: &mailpreflight::report::CodeInfo) -> Vec<&'static str> {
    std::iter::once(code.default_severity.as_str())
        .chain(code.contexts.iter().map(|c| c.severity.as_str()))
        .collect()
}

/// `mailpreflight smtp --config CONFIG` offline against the demo zone, the password in
/// `pass_var`, JSON out, and none of the Node trust settings of the environment the tests
/// run in (the caller adds its own): the probe tests' one way to run the binary.
pub fn smtp_offline(config: &std::path::Path, pass_var: &str, password: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailpreflight"));
    cmd.args(["smtp", "--config"])
        .arg(config)
        .args([
            "--pass-env",
            pass_var,
            "--format",
            "json",
            "--offline",
            "--zone",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/zones/demo"))
        .env(pass_var, password)
        .env_remove("NODE_EXTRA_CA_CERTS")
        .env_remove("NODE_OPTIONS");
    cmd
}
