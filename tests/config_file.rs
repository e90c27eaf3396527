//! `mailpreflight.toml` for repeated `dns` runs, layered: flags > environment > file > defaults.

mod common;
use common::TempDir;
use std::process::Command;

const BROKEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo/broken");

fn dns(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut all = vec!["dns"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--offline", "--zone", BROKEN]);
    run(dir, &all, env)
}

#[test]
fn file_environment_and_flags_are_layered() {
    let dir = TempDir::new("settings");
    let file = dir.path().join("ci.toml");
    std::fs::write(
        &file,
        "domains = [\"example-broken.test\"]\nfail_on = \"never\"\nformat = \"json\"\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    // The broken domain has errors: the default --fail-on error fails the run.
    assert_eq!(
        dns(dir.path(), &["example-broken.test"], &[]).status.code(),
        Some(1)
    );
    // The file: domains, fail_on never, format json.
    let out = dns(dir.path(), &["--config-file", f], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("json from the file's format");
    assert_eq!(v["targets"][0]["domain"], "example-broken.test");
    // The environment wins over the file; a flag wins over both.
    assert_eq!(
        dns(
            dir.path(),
            &["--config-file", f],
            &[("MAILPREFLIGHT_FAIL_ON", "error")]
        )
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        dns(
            dir.path(),
            &["--config-file", f, "--fail-on", "error"],
            &[("MAILPREFLIGHT_FAIL_ON", "never")]
        )
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        dns(
            dir.path(),
            &["--config-file", f, "--fail-on", "never"],
            &[("MAILPREFLIGHT_FAIL_ON", "error")]
        )
        .status
        .code(),
        Some(0)
    );
    // ./mailpreflight.toml is read without --config-file.
    std::fs::write(
        dir.path().join("mailpreflight.toml"),
        "domains = [\"example-broken.test\"]\nfail_on = \"never\"\n",
    )
    .unwrap();
    assert_eq!(dns(dir.path(), &[], &[]).status.code(), Some(0));
}

#[test]
fn a_bad_file_is_an_input_error_with_line_and_column() {
    let dir = TempDir::new("settings-bad");
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "domains = [\"example-broken.test\"]\nfail_onn = \"never\"\n",
    )
    .unwrap();
    let out = dns(dir.path(), &["--config-file", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:2:1:"), "{err}");
    std::fs::write(&file, "fail_on = \"sometimes\"\n").unwrap();
    let out = dns(
        dir.path(),
        &[
            "--config-file",
            file.to_str().unwrap(),
            "example-broken.test",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fail_on"));
}

#[test]
fn the_printed_template_is_a_valid_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let dir = TempDir::new("settings-template");
    let file = dir.path().join("t.toml");
    std::fs::write(&file, &out.stdout).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for key in [
        "domains",
        "selectors",
        "allow",
        "deny",
        "fail_on",
        "format",
        "nameservers",
        "zones",
        "timeout",
    ] {
        assert!(text.contains(&format!("\n{key} = ")), "{key}");
    }
    // The template's example.com is not in the offline zones: a lookup finding, not an input error.
    let out = dns(dir.path(), &["--config-file", file.to_str().unwrap()], &[]);
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailpreflight"));
    cmd.current_dir(dir).args(args);
    cmd.env_remove("MAILPREFLIGHT_FAIL_ON")
        .env_remove("MAILPREFLIGHT_FORMAT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn print_config_template_is_the_same_as_init() {
    let dir = TempDir::new("settings-print");
    let init = run(dir.path(), &["init"], &[]);
    let flag = run(dir.path(), &["--print-config-template"], &[]);
    assert_eq!(flag.status.code(), Some(0));
    assert!(!flag.stdout.is_empty());
    assert_eq!(flag.stdout, init.stdout);
    // It takes no subcommand with it.
    let both = run(
        dir.path(),
        &["--print-config-template", "dns", "a.test"],
        &[],
    );
    assert_eq!(both.status.code(), Some(2));
}

/// The file's output settings reach the other report commands too, not only `dns`.
#[test]
fn audit_and_smtp_read_the_settings_file() {
    let dir = TempDir::new("settings-audit");
    let broken = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/connectors/sendgrid-broken.json"
    );
    let audit = |env: &[(&str, &str)]| {
        run(
            dir.path(),
            &["audit", "--config", broken, "--offline", "--zone", BROKEN],
            env,
        )
    };
    // Without a settings file: table output, errors fail the run.
    let out = audit(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_err());
    std::fs::write(
        dir.path().join("mailpreflight.toml"),
        "fail_on = \"never\"\nformat = \"json\"\nallow = [\"connector-invalid\"]\n",
    )
    .unwrap();
    let out = audit(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json from the file");
    let allowed: Vec<_> = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "connector-invalid")
        .map(|f| f["allowed"].clone())
        .collect();
    assert!(!allowed.is_empty(), "{v}");
    assert!(allowed.iter().all(|a| a == true), "{allowed:?}");
    // The environment wins over the file for smtp as well (HOST mode; nothing listens there).
    let out = run(
        dir.path(),
        &["smtp", "127.0.0.1:9", "--smtp-timeout", "1s"],
        &[("MAILPREFLIGHT_FORMAT", "markdown")],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with('#'), "markdown expected: {text}");
    assert_eq!(out.status.code(), Some(0), "fail_on never from the file");
}
