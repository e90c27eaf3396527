//! Every finding code against real DNS: the fixture zones in fixtures/zones/ are served by
//! the in-process DNS server (hickory-server on 127.0.0.1, UDP and TCP) and the binary is
//! run against each scenario. A scenario file says what it expects in its header:
//!
//! ```text
//! ; domain: spf-loop.test
//! ; expect: spf-include-loop
//! ; expect-absent: spf-too-many-lookups      (`*`: no finding at all)
//! ; args: --sending-ip 192.0.2.10
//! ; fault: slow.spf-timeout.test drop
//! ; mode: offline                 (run --offline on this file alone, not the server)
//! ; mode: unreachable             (the only nameserver is one no socket can be opened to)
//! ```
//!
//! The coverage test then requires, for every code in the catalogue, a scenario that raises it
//! (positive) and one that names it in `expect-absent` or is the clean demo domain (negative).

mod common;

use mailpreflight::dns::server::{Fault, LocalDnsServer, ServerConfig};
use mailpreflight::dns::{Zone, parse_zone};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
struct Scenario {
    file: PathBuf,
    domain: String,
    expect: Vec<String>,
    expect_absent: Vec<String>,
    args: Vec<String>,
    /// `; mode: offline`: run with --offline on this file alone, not the server.
    offline: bool,
    /// `; mode: unreachable`: the only nameserver is 255.255.255.255, to which connect(2)
    /// fails (EACCES without SO_BROADCAST), as a resolver in a namespace without a route.
    unreachable: bool,
    faults: Vec<(String, Fault)>,
}

fn zone_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            zone_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "zone") {
            out.push(path);
        }
    }
}

fn header(text: &str, key: &str) -> Vec<String> {
    let prefix = format!("; {key}:");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(&prefix))
        .flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn fault_lines(text: &str) -> Vec<(String, Fault)> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("; fault:"))
        .map(|v| {
            let mut words = v.split_whitespace();
            let name = words
                .next()
                .expect("fault name")
                .trim_end_matches('.')
                .to_ascii_lowercase();
            let fault = match words.next().expect("fault kind") {
                "drop" => Fault::Drop,
                "servfail" => Fault::ServFail,
                "refused" => Fault::Refused,
                other => panic!("unknown fault {other}"),
            };
            (name, fault)
        })
        .collect()
}

fn load() -> (Vec<Zone>, Vec<Scenario>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/zones");
    let mut files = Vec::new();
    zone_files(&root, &mut files);
    let mut zones = Vec::new();
    let mut scenarios = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let zone = parse_zone(&text, &file.display().to_string(), None)
            .unwrap_or_else(|e| panic!("fixture zone does not parse: {e}"));
        if zone.origin.is_empty() {
            continue; // the root zone is for Knot; the in-process server answers NXDOMAIN itself
        }
        zones.push(zone);
        if let Some(domain) = header(&text, "domain").into_iter().next() {
            scenarios.push(Scenario {
                file: file.clone(),
                domain,
                expect: header(&text, "expect"),
                expect_absent: header(&text, "expect-absent"),
                args: header(&text, "args"),
                offline: header(&text, "mode").iter().any(|m| m == "offline"),
                unreachable: header(&text, "mode").iter().any(|m| m == "unreachable"),
                faults: fault_lines(&text),
            });
        }
    }
    (zones, scenarios)
}

fn codes_raised(json: &serde_json::Value) -> BTreeSet<String> {
    json["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_raises_what_it_expects() {
    let (zones, scenarios) = load();
    assert!(
        scenarios.len() >= 10,
        "only {} scenarios found",
        scenarios.len()
    );
    let faults: HashMap<String, Fault> = scenarios
        .iter()
        .flat_map(|s| s.faults.iter().cloned())
        .collect();
    let server = LocalDnsServer::start(ServerConfig {
        zones,
        authoritative_root: true,
        delay: std::time::Duration::ZERO,
        faults,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let ns = server.addr().to_string();

    let mut failures = Vec::new();
    let mut positive: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut negative: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for scenario in &scenarios {
        let source: Vec<String> = if scenario.offline {
            vec![
                "--offline".into(),
                "--zone".into(),
                scenario.file.display().to_string(),
            ]
        } else if scenario.unreachable {
            vec!["--nameserver".into(), "255.255.255.255".into()]
        } else {
            vec!["--nameserver".into(), ns.clone()]
        };
        let mut args = vec!["dns".to_string(), scenario.domain.clone()];
        args.extend(source);
        args.extend([
            "--timeout".into(),
            "700ms".into(),
            "--retries".into(),
            "0".into(),
            "--format".into(),
            "json".into(),
        ]);
        args.extend(scenario.args.iter().cloned());
        let out = tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            common::run(&refs)
        })
        .await
        .unwrap();
        let name = scenario.file.display().to_string();
        let json: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(j) => j,
            Err(e) => {
                failures.push(format!(
                    "{name}: output is not JSON ({e}); stderr: {}",
                    common::stderr(&out)
                ));
                continue;
            }
        };
        common::assert_severities_documented(&json, &name);
        let raised = codes_raised(&json);
        for code in &scenario.expect {
            if raised.contains(code) {
                positive.entry(code.clone()).or_default().push(name.clone());
            } else {
                failures.push(format!("{name}: expected {code}, raised {raised:?}"));
            }
        }
        // `expect-absent: *` (the clean demo domain): nothing at all may be raised.
        let absent: Vec<String> = if scenario.expect_absent.iter().any(|c| c == "*") {
            mailpreflight::report::catalogue::all()
                .iter()
                .map(|c| c.id.to_string())
                .collect()
        } else {
            scenario.expect_absent.clone()
        };
        for code in &absent {
            if raised.contains(code) {
                failures.push(format!(
                    "{name}: {code} must not be raised, raised {raised:?}"
                ));
            } else {
                negative.entry(code.clone()).or_default().push(name.clone());
            }
        }
        let code = out.status.code();
        let has_error = json["summary"]["errors"].as_u64().unwrap_or(0) > 0;
        if code != Some(u8::from(has_error) as i32) {
            failures.push(format!(
                "{name}: exit code {code:?} with errors={has_error}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} scenario failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Coverage: every code has a positive and a negative case.
    let mut missing = Vec::new();
    // Config codes are covered by tests/config_validation.rs, SMTP and TLS codes by
    // tests/smtp_probe.rs (real SMTP servers), template and send codes by tests/send.rs,
    // not by DNS scenarios.
    use mailpreflight::report::Area;
    for code in mailpreflight::report::catalogue::all()
        .into_iter()
        .filter(|c| {
            !matches!(
                c.area,
                Area::Config
                    | Area::Smtp
                    | Area::Tls
                    | Area::Template
                    | Area::Send
                    | Area::Received
                    | Area::Audit
                    | Area::Inspect
                    | Area::Connector
            )
        })
    {
        if !positive.contains_key(code.id) {
            missing.push(format!("{}: no scenario raises it", code.id));
        }
        if !negative.contains_key(code.id) {
            missing.push(format!(
                "{}: no scenario shows it absent (expect-absent)",
                code.id
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "{} gaps in coverage:\n{}",
        missing.len(),
        missing.join("\n")
    );
}
