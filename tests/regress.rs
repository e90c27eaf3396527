//! Inputs that once hung or crawled, kept from the mutation fuzzing (tests/fuzz_inputs.rs and
//! the mutation runs of issue 16), each run through the binary: it must end quickly with an
//! input error at its file:line:column, or with findings. fixtures/regress/README.md says
//! what each case is and what it cost before.

mod common;

use common::{run, stderr, stdout};
use std::time::{Duration, Instant};

/// The debug binary answers these in milliseconds; they took 10 s to forever before.
const BOUND: Duration = Duration::from_secs(5);

fn timed(args: &[&str]) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = run(args);
    (out, started.elapsed())
}

/// `dns --offline --zone FILE`: exit 2 and the message at `want` (`FILE:LINE:COLUMN: ...`).
fn zone_case(file: &str, at: &str, message: &str) {
    let path = format!("fixtures/regress/zone/{file}");
    let (out, took) = timed(&["dns", "--offline", "--zone", &path, "x.test"]);
    assert!(took < BOUND, "{file}: {took:?}");
    assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{path}:{at}: {message}")),
        "{file}: {err}"
    );
}

#[test]
fn zone_nbsp_in_owner() {
    // `_mta-s<U+00A0>ts`: the lexer stopped on a white space it did not consume and grew
    // without end (over 20 s and 7.9 GB resident before it was killed).
    zone_case(
        "nbsp-in-owner.zone",
        "13:7",
        "character U+00A0 is not allowed",
    );
}

#[test]
fn zone_line_separator_in_directive() {
    zone_case(
        "line-separator-in-directive.zone",
        "7:2",
        "character U+2028 is not allowed",
    );
}

#[test]
fn zone_nbsp_in_origin() {
    zone_case(
        "nbsp-in-origin.zone",
        "4:14",
        "character U+00A0 is not allowed",
    );
}

#[test]
fn zone_vertical_tab_in_word() {
    zone_case(
        "vertical-tab-in-word.zone",
        "7:16",
        "character U+000B is not allowed",
    );
}

fn audit(config: &str) -> (serde_json::Value, Duration) {
    let path = format!("fixtures/regress/config/{config}");
    let (out, took) = timed(&[
        "audit",
        "--config",
        &path,
        "--offline",
        "--zone",
        "fixtures/zones/dkim/dkim-good.zone",
        "--smtp-timeout",
        "1s",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{config}: {}", stderr(&out));
    (serde_json::from_str(&stdout(&out)).unwrap(), took)
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().iter())
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn config_template_brace_run() {
    // 60,000 `{` in a template subject: every `{{` searched the rest for `}}` (11 s for
    // the 100,000 of the case as found).
    let (report, took) = audit("template-brace-run.json");
    assert!(took < BOUND, "{took:?}");
    assert!(codes(&report).contains(&"template-subject-long".to_string()));
}

#[test]
fn config_huge_from_domain() {
    // accountName `noreply@auth.example[[[…`: a 20,000-character "domain" was audited,
    // twenty DKIM selectors and all, and every name written into the report.
    let (report, took) = audit("huge-from-domain.json");
    assert!(took < BOUND, "{took:?}");
    let codes = codes(&report);
    assert!(
        codes.contains(&"connector-no-from-domain".to_string()),
        "{codes:?}"
    );
    assert!(
        report.to_string().len() < 100_000,
        "the domain is not echoed per query"
    );
}

#[test]
fn message_body_brace_run() {
    // 60,000 `{` in a body: the leftover-placeholder scan was quadratic (over 20 s for the
    // 500,000 of the case as found).
    let (out, took) = timed(&[
        "inspect",
        "fixtures/regress/message/body-brace-run.eml",
        "--offline",
        "--zone",
        "fixtures/zones/dkim/dkim-good.zone",
        "--format",
        "json",
    ]);
    assert!(took < BOUND, "{took:?}");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(codes(&report).contains(&"received-dkim-failed".to_string()));
}
