//! The RFC 7208 test suite (openspf.org, release 2014.04, and mail-auth's variant of it)
//! run through the binary as a user would: `mailpreflight spf --ip IP --mail-from ADDRESS
//! --helo NAME --nameserver 127.0.0.1:PORT --format json`, every scenario served by the
//! in-process DNS server over UDP/TCP on 127.0.0.1, and the verdict read from the report's
//! `facts.spf.verdict`.
//!
//! Each scenario's `zonedata` becomes one root zone (origin ""), served by [`serve`].
//! Conventions of the suite's own drivers (pyspf's testspf.py), followed here:
//! - `SPF` (type 99) records are turned into TXT records when a name has no TXT entry at
//!   all (`TXT: NONE` counts as one and blocks this); the SPF type itself is ignored, as
//!   RFC 7208 says.
//! - `TIMEOUT` in a name's list: a question for that name times out unless a record of the
//!   asked type comes before `TIMEOUT` in the list.
//! - An identity without MAIL FROM checks the HELO name as `postmaster@helo`.
//! - `explanation: DEFAULT` means the receiver's own text: we must have produced none.

use mailpreflight::dns::server::{Fault, LocalDnsServer, ServerConfig};
use mailpreflight::dns::{RType, Rdata, Zone, ZoneRecord};
use serde_yaml::Value;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

struct Scenario {
    description: String,
    tests: Vec<(String, Value)>,
    zone: Zone,
    /// (name, type) questions that must time out.
    timeouts: HashSet<(String, RType)>,
}

/// Cases left out, with the reason. Each is explained in the report.
const KNOWN_SKIPS: &[(&str, &str)] = &[];

/// Explanations compared without regard to case, with the reason.
const EXPLANATION_ANY_CASE: &[(&str, &str)] = &[(
    "v-macro-ip6",
    "the suite expects upper-case hex nibbles from %{ir} for an IPv6 client; \
     RFC 7208 7.4's own example expands %{ir} to lower-case nibbles, which we follow",
)];

/// Serve one scenario from the in-process DNS server (hickory-server on 127.0.0.1, UDP
/// and TCP): its zonedata as one root zone, its TIMEOUT entries as dropped (name, type)
/// questions, so temperror cases are real timeouts seen by the binary's resolver.
async fn serve(scenario: &Scenario) -> LocalDnsServer {
    LocalDnsServer::start(ServerConfig {
        zones: vec![scenario.zone.clone()],
        authoritative_root: true,
        type_faults: scenario
            .timeouts
            .iter()
            .map(|key| (key.clone(), Fault::Drop))
            .collect(),
        ..ServerConfig::default()
    })
    .await
    .expect("start the DNS server")
}

fn load(file: &str) -> Vec<Scenario> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/spf-suite")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("suite file");
    let mut scenarios = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let doc = Value::deserialize(doc).expect("yaml document");
        scenarios.push(scenario(&doc, file));
    }
    scenarios
}

use serde::Deserialize;

fn scenario(doc: &Value, file: &str) -> Scenario {
    let description = doc["description"].as_str().unwrap_or("").to_string();
    let tests = doc["tests"]
        .as_mapping()
        .expect("tests")
        .iter()
        .map(|(k, v)| (k.as_str().expect("test name").to_string(), v.clone()))
        .collect();
    let mut records = Vec::new();
    let mut timeouts = HashSet::new();
    if let Some(zonedata) = doc["zonedata"].as_mapping() {
        for (name, list) in zonedata {
            let name = normalize(name.as_str().expect("owner"));
            let list = list.as_sequence().expect("record list");
            zone_name(&name, list, &mut records, &mut timeouts);
        }
    }
    Scenario {
        description: description.clone(),
        tests,
        zone: Zone {
            origin: String::new(),
            file: format!("{file}#{description}"),
            records,
        },
        timeouts,
    }
}

fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

fn strings(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::String(s) => vec![s.as_bytes().to_vec()],
        Value::Sequence(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or("").as_bytes().to_vec())
            .collect(),
        other => vec![other.as_str().unwrap_or("").as_bytes().to_vec()],
    }
}

/// One owner's list of records, in the suite's conventions (see the module comment).
fn zone_name(
    name: &str,
    list: &[Value],
    records: &mut Vec<ZoneRecord>,
    timeouts: &mut HashSet<(String, RType)>,
) {
    let has_txt = list.iter().any(|r| r.get("TXT").is_some());
    // Types seen before TIMEOUT (synthesised TXT come last, as in pyspf's driver).
    let mut seen = HashSet::new();
    let mut timeout = false;
    let mut synthesised = Vec::new();
    for entry in list {
        if entry.as_str() == Some("TIMEOUT") {
            timeout = true;
            continue;
        }
        let map = entry.as_mapping().expect("record");
        for (rtype, value) in map {
            let rtype = rtype.as_str().expect("type");
            let data = match rtype {
                "SPF" => {
                    if !has_txt {
                        synthesised.push(Rdata::Txt {
                            strings: strings(value),
                        });
                    }
                    continue;
                }
                "TXT" if value.as_str() == Some("NONE") => continue,
                "TXT" => Rdata::Txt {
                    strings: strings(value),
                },
                "A" => Rdata::A {
                    address: value.as_str().unwrap().parse().expect("A"),
                },
                "AAAA" => Rdata::Aaaa {
                    address: value.as_str().unwrap().parse().expect("AAAA"),
                },
                "MX" => Rdata::Mx {
                    preference: value[0].as_u64().expect("pref") as u16,
                    exchange: normalize(value[1].as_str().expect("exchange")),
                },
                "PTR" => Rdata::Ptr {
                    target: normalize(value.as_str().expect("PTR")),
                },
                "CNAME" => Rdata::Cname {
                    target: normalize(value.as_str().expect("CNAME")),
                },
                other => panic!("record type {other} in the suite"),
            };
            if !timeout {
                seen.insert(data.rtype());
            }
            records.push(ZoneRecord {
                name: name.to_string(),
                ttl: 3600,
                data,
                line: 0,
            });
        }
    }
    for data in synthesised {
        records.push(ZoneRecord {
            name: name.to_string(),
            ttl: 3600,
            data,
            line: 0,
        });
    }
    if timeout {
        for rtype in [
            RType::A,
            RType::AAAA,
            RType::MX,
            RType::TXT,
            RType::PTR,
            RType::CNAME,
        ] {
            if !seen.contains(&rtype) {
                timeouts.insert((name.to_string(), rtype));
            }
        }
    }
}

enum Verdict {
    Agree,
    Disagree(String),
    Skip(String),
}

/// The flags a user gives for this test's SMTP identity: the client IP, the MAIL FROM as
/// the session carried it (empty for the null sender) and the HELO name.
fn identity_args(t: &Value) -> Vec<String> {
    let field = |k: &str| t[k].as_str().unwrap_or("").to_string();
    vec![
        "--ip".into(),
        field("host"),
        "--mail-from".into(),
        field("mailfrom"),
        "--helo".into(),
        field("helo"),
    ]
}

/// `mailpreflight spf` for one test against the scenario's server; the report's verdict.
async fn run_binary(server: SocketAddr, t: &Value) -> Result<serde_json::Value, String> {
    let mut args = vec!["spf".to_string()];
    args.extend(identity_args(t));
    args.extend(
        [
            "--nameserver",
            &server.to_string(),
            "--timeout",
            "300ms",
            "--retries",
            "0",
            "--format",
            "json",
        ]
        .map(String::from),
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
            .args(&args)
            .env_remove("MAILPREFLIGHT_NAMESERVER")
            .output()
    })
    .await
    .expect("join")
    .map_err(|e| format!("cannot run the binary: {e}"))?;
    // 0: nothing at --fail-on error, 1: a fail/permerror verdict is an error finding.
    if !matches!(output.status.code(), Some(0 | 1)) {
        return Err(format!(
            "exit {:?}: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("JSON report: {e}"))?;
    let verdict = report["targets"][0]["facts"]["spf"]["verdict"].clone();
    if verdict.is_null() {
        return Err("no verdict in the report".into());
    }
    Ok(verdict)
}

async fn run_test(server: SocketAddr, name: &str, t: &Value) -> Verdict {
    if let Some((_, why)) = KNOWN_SKIPS.iter().find(|(n, _)| *n == name) {
        return Verdict::Skip(why.to_string());
    }
    let verdict = match run_binary(server, t).await {
        Ok(v) => v,
        Err(why) => return Verdict::Disagree(why),
    };
    let got = verdict["result"].as_str().unwrap_or("?");
    let explanation = verdict["explanation"].as_str();
    let expected: Vec<String> = match &t["result"] {
        Value::Sequence(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(String::from))
            .collect(),
        v => vec![v.as_str().expect("result").to_string()],
    };
    if !expected.iter().any(|e| e == got) {
        return Verdict::Disagree(format!(
            "expected {}, got {got} (decided by: {})",
            expected.join("|"),
            verdict["decided_by"].as_str().unwrap_or("")
        ));
    }
    if let Some(want) = t["explanation"].as_str() {
        let ok = match (want, explanation) {
            ("DEFAULT", None) => true,
            (want, Some(have)) => {
                want == have
                    || (EXPLANATION_ANY_CASE.iter().any(|(n, _)| *n == name)
                        && want.eq_ignore_ascii_case(have))
            }
            _ => false,
        };
        if !ok {
            return Verdict::Disagree(format!(
                "explanation: expected {want:?}, got {explanation:?}"
            ));
        }
    }
    Verdict::Agree
}

async fn run_file(file: &str) -> (usize, Vec<String>, Vec<String>) {
    let mut agree = 0;
    let mut disagree = Vec::new();
    let mut skipped = Vec::new();
    for scenario in load(file) {
        let server = serve(&scenario).await;
        for (name, t) in &scenario.tests {
            match run_test(server.addr(), name, t).await {
                Verdict::Agree => agree += 1,
                Verdict::Disagree(why) => {
                    disagree.push(format!("{} / {name}: {why}", scenario.description))
                }
                Verdict::Skip(why) => {
                    skipped.push(format!("{} / {name}: {why}", scenario.description))
                }
            }
        }
    }
    println!(
        "{file}: {agree} agree, {} disagree, {} skipped",
        disagree.len(),
        skipped.len()
    );
    for d in &disagree {
        println!("  DISAGREE {d}");
    }
    for s in &skipped {
        println!("  SKIPPED  {s}");
    }
    (agree, disagree, skipped)
}

/// Every test of the file is run or named in KNOWN_SKIPS: none is lost on the way.
fn assert_complete(file: &str, agree: usize, skipped: &[String]) {
    let total: usize = load(file).iter().map(|s| s.tests.len()).sum();
    assert_eq!(
        agree + skipped.len(),
        total,
        "{file}: tests unaccounted for"
    );
    assert!(total >= 200, "{file}: only {total} tests read");
}

// Multi-threaded: the binary runs on a blocking thread while the DNS server answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc7208_suite() {
    let file = "rfc7208-tests.yml";
    let (agree, disagree, skipped) = run_file(file).await;
    assert!(disagree.is_empty(), "{} disagreements", disagree.len());
    assert_complete(file, agree, &skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc7208_suite_mailauth_variant() {
    let file = "rfc7208-tests.mailauth-variant.yml";
    let (agree, disagree, skipped) = run_file(file).await;
    assert!(disagree.is_empty(), "{} disagreements", disagree.len());
    assert_complete(file, agree, &skipped);
}
