//! The RFC 7208 test suite (openspf.org, release 2014.04, and mail-auth's variant of it)
//! run against `mailpreflight::spf::eval::check_host`, every scenario served by the
//! in-process DNS server over UDP/TCP on 127.0.0.1 and resolved by the real resolver path.
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
use mailpreflight::dns::{Dns, DnsConfig, RType, Rdata, Zone, ZoneRecord};
use mailpreflight::spf::eval::{HostResult, check_host};
use serde_yaml::Value;
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

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
/// questions, so temperror cases are real timeouts seen by the real resolver path.
async fn serve(scenario: &Scenario) -> (Dns, LocalDnsServer) {
    let server = LocalDnsServer::start(ServerConfig {
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
    .expect("start the DNS server");
    let dns = Dns::new(DnsConfig {
        nameservers: vec![server.addr()],
        timeout: Duration::from_millis(300),
        attempts: 1,
        ..DnsConfig::default()
    })
    .expect("resolver on the test server");
    (dns, server)
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

async fn run_test(
    dns: &Dns,
    simulated: bool,
    scenario: &Scenario,
    name: &str,
    t: &Value,
) -> Verdict {
    if let Some((_, why)) = KNOWN_SKIPS.iter().find(|(n, _)| *n == name) {
        return Verdict::Skip(why.to_string());
    }
    let ip: IpAddr = t["host"].as_str().expect("host").parse().expect("ip");
    let helo = t["helo"].as_str().unwrap_or("");
    let mailfrom = t["mailfrom"].as_str().unwrap_or("");
    let (domain, sender) = if mailfrom.is_empty() {
        (helo.to_string(), format!("postmaster@{helo}"))
    } else {
        let domain = mailfrom.rsplit_once('@').map_or(mailfrom, |(_, d)| d);
        (domain.to_string(), mailfrom.to_string())
    };
    let view = dns.view();
    let got: HostResult = check_host(&view, ip, &domain, &sender, helo).await;
    let touched_timeout = view.log().iter().any(|q| {
        scenario
            .timeouts
            .contains(&(q.answer.name.clone(), q.answer.rtype))
    });
    if touched_timeout && !simulated {
        return Verdict::Skip(format!(
            "needs the DNS server (TIMEOUT); got {} here",
            got.result
        ));
    }
    let expected: Vec<String> = match &t["result"] {
        Value::Sequence(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(String::from))
            .collect(),
        v => vec![v.as_str().expect("result").to_string()],
    };
    if !expected.iter().any(|e| e == got.result.as_str()) {
        return Verdict::Disagree(format!(
            "expected {}, got {} ({}; decided by: {})",
            expected.join("|"),
            got.result,
            got.reason,
            got.decided_by()
        ));
    }
    if let Some(want) = t["explanation"].as_str() {
        let ok = match (want, &got.explanation) {
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
                "explanation: expected {want:?}, got {:?}",
                got.explanation
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
        let (dns, _server) = serve(&scenario).await;
        for (name, t) in &scenario.tests {
            match run_test(&dns, true, &scenario, name, t).await {
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

#[tokio::test]
async fn rfc7208_suite() {
    let (agree, disagree, _) = run_file("rfc7208-tests.yml").await;
    assert!(agree > 150, "only {agree} tests agree");
    assert!(disagree.is_empty(), "{} disagreements", disagree.len());
}

#[tokio::test]
async fn rfc7208_suite_mailauth_variant() {
    let (agree, disagree, _) = run_file("rfc7208-tests.mailauth-variant.yml").await;
    assert!(agree > 150, "only {agree} tests agree");
    assert!(disagree.is_empty(), "{} disagreements", disagree.len());
}
