//! Our in-process server and Knot DNS, serving the same fixture zone files, must give the
//! same answers through our resolver path: it keeps the in-process server (and the zone
//! parser and overlay behind it) honest against a real authoritative server.
//!
//! Start Knot with `scripts/knot.sh start DIR PORT`, then run with
//! `MAILPREFLIGHT_KNOT=127.0.0.1:PORT`. Without the variable the test is skipped, except
//! under CI=true, where it fails.

mod common;

use mailpreflight::dns::server::{LocalDnsServer, ServerConfig};
use mailpreflight::dns::{Answer, Dns, DnsConfig, RType, Zone, parse_zone};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TYPES: [RType; 8] = [
    RType::A,
    RType::AAAA,
    RType::MX,
    RType::TXT,
    RType::CNAME,
    RType::PTR,
    RType::NS,
    RType::SOA,
];

fn zone_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            zone_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "zone") {
            out.push(path);
        }
    }
}

fn load_zones() -> Vec<Zone> {
    // The same override as scripts/knot.sh, to compare on other zone sets.
    let dir = std::env::var("MAILPREFLIGHT_ZONES").unwrap_or_else(|_| "fixtures/zones".into());
    let mut files = Vec::new();
    zone_files(Path::new(&dir), &mut files);
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            parse_zone(&text, &path.display().to_string(), None).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

/// Names worth asking about in a zone: every owner (a wildcard through a made-up name
/// it covers), every empty non-terminal, and a name that does not exist.
fn probe_names(zone: &Zone) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for record in &zone.records {
        let name = match record.name.strip_prefix("*.") {
            Some(parent) => format!("wildcard-probe.{parent}"),
            None => record.name.clone(),
        };
        let mut n = name.as_str();
        while let Some((_, parent)) = n.split_once('.') {
            if parent.len() < zone.origin.len() {
                break;
            }
            names.insert(parent.to_string());
            n = parent;
        }
        names.insert(name);
    }
    let missing = if zone.origin.is_empty() {
        "no-such-name-probe".to_string()
    } else {
        format!("no-such-name-probe.{}", zone.origin)
    };
    names.insert(missing);
    names.remove("");
    names
}

/// What must agree: the outcome, the records (as a set: servers may reorder an RRset) and
/// the CNAME chain.
fn essence(answer: &Answer) -> (String, BTreeSet<String>, Vec<String>) {
    (
        answer.outcome.label(),
        answer.records.iter().map(|r| format!("{r:?}")).collect(),
        answer.cnames.clone(),
    )
}

fn dns_for(addr: SocketAddr) -> Dns {
    Dns::new(DnsConfig {
        nameservers: vec![addr],
        timeout: Duration::from_secs(2),
        attempts: 2,
        ..DnsConfig::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knot_and_the_in_process_server_agree_on_every_fixture_zone() {
    let knot: SocketAddr = match std::env::var("MAILPREFLIGHT_KNOT") {
        Ok(addr) => addr.parse().expect("MAILPREFLIGHT_KNOT is HOST:PORT"),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "MAILPREFLIGHT_KNOT not set under CI: start Knot with scripts/knot.sh"
            );
            common::notice(
                "skipping the Knot interop test: MAILPREFLIGHT_KNOT not set (scripts/knot.sh)",
            );
            return;
        }
    };
    let zones = load_zones();
    let questions: Vec<(String, RType)> = zones
        .iter()
        .flat_map(probe_names)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .flat_map(|name| TYPES.map(|t| (name.clone(), t)))
        .collect();
    let ours = LocalDnsServer::start(ServerConfig {
        zones,
        authoritative_root: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let via_knot = dns_for(knot);
    let via_ours = dns_for(ours.addr());
    let mut disagreements = Vec::new();
    for chunk in questions.chunks(64) {
        let pairs = futures::future::join_all(chunk.iter().map(|(name, rtype)| {
            let (k, o) = (via_knot.clone(), via_ours.clone());
            async move { (k.query(name, *rtype).await, o.query(name, *rtype).await) }
        }))
        .await;
        for (k, o) in pairs {
            if essence(&k) != essence(&o) {
                disagreements.push(format!(
                    "{} {}:\n  knot: {:?}\n  ours: {:?}",
                    k.name,
                    k.rtype,
                    essence(&k),
                    essence(&o)
                ));
            }
        }
    }
    eprintln!(
        "{} questions compared, {} disagreements",
        questions.len(),
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
