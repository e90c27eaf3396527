//! Runs `check()` over every fixture zone in fixtures/zones/spf/ (offline, from memory)
//! and holds it to the file's `; expect:` and `; expect-absent:` headers; also checks that
//! every SPF code has at least one positive fixture.
//!
//! The shared zone parser is not in this branch yet, so the fixtures are read with a small
//! reader for exactly their format (one record per line, no parentheses or escapes).

use super::codes::ALL;
use crate::check::CheckOptions;
use crate::dns::{Dns, DnsConfig, Rdata, Zone, ZoneRecord};
use std::collections::BTreeSet;
use std::path::Path;

struct Fixture {
    file: String,
    domain: String,
    expect: Vec<String>,
    absent: Vec<String>,
    sending_ip: Option<std::net::IpAddr>,
    zone: Zone,
}

fn absolute(name: &str, origin: &str) -> String {
    match name {
        "@" => origin.to_string(),
        n if n.ends_with('.') => n.trim_end_matches('.').to_ascii_lowercase(),
        n => format!("{}.{origin}", n.to_ascii_lowercase()),
    }
}

fn read_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path).expect("fixture");
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut f = Fixture {
        file: file.clone(),
        domain: String::new(),
        expect: Vec::new(),
        absent: Vec::new(),
        sending_ip: None,
        zone: Zone {
            origin: String::new(),
            file,
            records: Vec::new(),
        },
    };
    let mut origin = String::new();
    for (n, line) in text.lines().enumerate() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        if let Some(v) = line.strip_prefix("; domain:") {
            f.domain = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("; expect:") {
            f.expect = words(v);
        } else if let Some(v) = line.strip_prefix("; expect-absent:") {
            f.absent = words(v);
        } else if let Some(v) = line.strip_prefix("; args:") {
            let w = words(v);
            assert_eq!(w[0], "--sending-ip", "{}", f.file);
            f.sending_ip = Some(w[1].parse().unwrap());
        } else if let Some(v) = line.strip_prefix("$ORIGIN") {
            origin = absolute(v.trim(), "");
            f.zone.origin = origin.clone();
        } else if line.starts_with(';') || line.starts_with('$') || line.trim().is_empty() {
        } else {
            let (head, quoted) = line.split_once('"').map_or((line, ""), |(h, q)| (h, q));
            let w = words(head);
            let owner = absolute(&w[0], &origin);
            assert_eq!(w[1], "IN", "{}:{}", f.file, n + 1);
            let data = match w[2].as_str() {
                "SOA" => Rdata::Soa {
                    mname: absolute(&w[3], &origin),
                    rname: absolute(&w[4], &origin),
                    serial: 1,
                    minimum: 300,
                },
                "NS" => Rdata::Ns {
                    target: absolute(&w[3], &origin),
                },
                "A" => Rdata::A {
                    address: w[3].parse().unwrap(),
                },
                "AAAA" => Rdata::Aaaa {
                    address: w[3].parse().unwrap(),
                },
                "MX" => Rdata::Mx {
                    preference: w[3].parse().unwrap(),
                    exchange: absolute(&w[4], &origin),
                },
                "CNAME" => Rdata::Cname {
                    target: absolute(&w[3], &origin),
                },
                "TXT" => Rdata::Txt {
                    strings: format!("\"{quoted}")
                        .split('"')
                        .enumerate()
                        .filter(|(i, _)| i % 2 == 1)
                        .map(|(_, s)| s.as_bytes().to_vec())
                        .collect(),
                },
                t => panic!("{}:{}: type {t}", f.file, n + 1),
            };
            f.zone.records.push(ZoneRecord {
                name: owner,
                ttl: 300,
                data,
                line: n + 1,
            });
        }
    }
    assert!(
        crate::dns::name::is_subdomain_of(&f.domain, &f.zone.origin) && !f.domain.is_empty(),
        "{}: domain outside the origin",
        f.file
    );
    f
}

fn fixtures() -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/zones/spf");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures/zones/spf")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zone"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read_fixture(p)).collect()
}

#[tokio::test]
async fn fixtures_raise_what_they_expect() {
    let mut failures = Vec::new();
    let all = fixtures();
    assert!(all.len() >= 30);
    for f in &all {
        let dns = Dns::new(DnsConfig {
            offline: true,
            zones: vec![f.zone.clone()],
            ..DnsConfig::default()
        })
        .unwrap();
        let opts = CheckOptions {
            sending_ip: f.sending_ip,
            ..CheckOptions::default()
        };
        let out = super::check(&dns.view(), &f.domain, &opts).await;
        let raised: BTreeSet<&str> = out.findings.iter().map(|x| x.code.id).collect();
        println!(
            "{} lookups={} voids={} raised={raised:?} verdict={:?}",
            f.file,
            out.facts.lookups,
            out.facts.void_lookups,
            out.facts
                .verdict
                .as_ref()
                .map(|v| (&v.result, &v.decided_by))
        );
        for code in &f.expect {
            if !raised.contains(code.as_str()) {
                failures.push(format!(
                    "{}: {code} not raised (raised: {raised:?})",
                    f.file
                ));
            }
        }
        for code in &f.absent {
            if raised.contains(code.as_str()) {
                let msgs: Vec<_> = out
                    .findings
                    .iter()
                    .filter(|x| x.code.id == code)
                    .map(|x| &x.message)
                    .collect();
                failures.push(format!("{}: {code} raised: {msgs:?}", f.file));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_has_a_positive_fixture() {
    let expected: BTreeSet<String> = fixtures().into_iter().flat_map(|f| f.expect).collect();
    let missing: Vec<&str> = ALL
        .iter()
        .map(|c| c.id)
        .filter(|id| !expected.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a positive fixture: {missing:?}"
    );
}

#[tokio::test]
async fn facts_keep_the_whole_tree_over_the_limit() {
    let f = fixtures()
        .into_iter()
        .find(|f| f.file == "spf-lookups-over.zone")
        .unwrap();
    let dns = Dns::new(DnsConfig {
        offline: true,
        zones: vec![f.zone.clone()],
        ..DnsConfig::default()
    })
    .unwrap();
    let out = super::check(&dns.view(), &f.domain, &CheckOptions::default()).await;
    let facts = out.facts;
    assert_eq!(
        (facts.lookups, facts.lookup_limit, facts.headroom),
        (11, 10, -1)
    );
    let tree = facts.tree.expect("tree");
    assert_eq!(tree.own_lookups, 4);
    assert_eq!(tree.total_lookups, 11);
    let vias: Vec<&str> = tree.children.iter().map(|c| c.via.as_str()).collect();
    assert_eq!(
        vias,
        [
            "include:_a.spf-lookups-over.test",
            "include:_b.spf-lookups-over.test"
        ]
    );
    assert_eq!(tree.children[0].total_lookups, 4);
    let costliest = facts.costliest.expect("costliest");
    assert_eq!(
        (costliest.term.as_str(), costliest.lookups),
        ("include:_a.spf-lookups-over.test", 5)
    );
    let finding = out
        .findings
        .iter()
        .find(|x| x.code.id == "spf-too-many-lookups")
        .unwrap();
    assert!(
        finding
            .message
            .contains("include:_a.spf-lookups-over.test (5 lookups)")
    );
}

#[tokio::test]
async fn a_hostile_record_is_counted_but_not_queried_term_by_term() {
    let terms: Vec<String> = (0..500).map(|i| format!("a:h{i}.hostile.test")).collect();
    let record = format!("v=spf1 {} -all", terms.join(" "));
    let zone = Zone {
        origin: "hostile.test".into(),
        file: "memory".into(),
        records: vec![ZoneRecord {
            name: "hostile.test".into(),
            ttl: 300,
            data: Rdata::Txt {
                strings: record.as_bytes().chunks(255).map(<[u8]>::to_vec).collect(),
            },
            line: 1,
        }],
    };
    let dns = Dns::new(DnsConfig {
        offline: true,
        zones: vec![zone],
        ..DnsConfig::default()
    })
    .unwrap();
    let view = dns.view();
    let out = super::check(&view, "hostile.test", &CheckOptions::default()).await;
    assert_eq!(out.facts.lookups, 500);
    let queries = view.log().len();
    assert!(
        queries <= 1 + 2 * super::walk::MAX_TERM_QUERIES,
        "{queries} queries"
    );
    let codes: BTreeSet<&str> = out.findings.iter().map(|x| x.code.id).collect();
    assert!(codes.contains("spf-too-many-lookups") && codes.contains("spf-too-many-void-lookups"));
}
