//! The MX check against in-memory zones.

use super::*;
use crate::dkim::testdns::{a, cname, mx, txt, view};

/// The codes raised, less the MX hosts' reverse DNS: these worlds have no reverse zones
/// (so every self-run host lacks a PTR); reverse DNS has its own tests against the DNS
/// server (tests/mx_reverse_dns.rs) and `no_ptr_in_a_world_without_reverse_zones` below.
fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings
        .iter()
        .map(|f| f.code.id)
        .filter(|id| !id.starts_with("mx-ptr-"))
        .collect()
}

async fn run(records: Vec<(&str, Rdata)>) -> Checked<MxFacts> {
    check(
        &view(&[("example.test", records)]),
        "example.test",
        &CheckOptions::default(),
    )
    .await
}

#[tokio::test]
async fn good_mx() {
    let c = run(vec![
        ("example.test", mx(20, "mx2.example.test")),
        ("example.test", mx(10, "mx1.example.test")),
        ("mx1.example.test", a("192.0.2.1")),
        ("mx2.example.test", a("192.0.2.2")),
    ])
    .await;
    assert!(codes(&c.findings).is_empty(), "{:?}", codes(&c.findings));
    assert_eq!(c.facts.hosts.len(), 2);
    assert_eq!(c.facts.hosts[0].exchange, "mx1.example.test");
    assert_eq!(
        c.facts.hosts[0].addresses,
        vec!["192.0.2.1".parse::<IpAddr>().unwrap()]
    );
    assert!(!c.facts.null_mx);
}

#[tokio::test]
async fn no_mx() {
    let c = run(vec![("example.test", txt("v=spf1 -all"))]).await;
    assert_eq!(codes(&c.findings), vec!["mx-missing"]);
    assert!(c.findings[0].message.contains("cannot be delivered"));
    let c = run(vec![("example.test", a("192.0.2.9"))]).await;
    assert!(c.findings[0].message.contains("implicit MX"));
}

#[tokio::test]
async fn null_mx() {
    let c = run(vec![("example.test", mx(0, ""))]).await;
    assert_eq!(codes(&c.findings), vec!["mx-null"]);
    assert!(c.facts.null_mx);
    let c = run(vec![
        ("example.test", mx(0, "")),
        ("example.test", mx(10, "mx1.example.test")),
        ("mx1.example.test", a("192.0.2.1")),
    ])
    .await;
    assert_eq!(codes(&c.findings), vec!["mx-null-mixed"]);
    assert_eq!(c.facts.hosts.len(), 1);
}

#[tokio::test]
async fn bad_exchanges() {
    let c = run(vec![
        ("example.test", mx(10, "alias.example.test")),
        ("example.test", mx(20, "gone.example.test")),
        ("example.test", mx(30, "192.0.2.7")),
        ("example.test", mx(40, "v6only.example.test")),
        ("alias.example.test", cname("real.example.test")),
        ("real.example.test", a("192.0.2.1")),
        (
            "v6only.example.test",
            Rdata::Aaaa {
                address: "2001:db8::1".parse().unwrap(),
            },
        ),
    ])
    .await;
    assert_eq!(
        codes(&c.findings),
        vec![
            "mx-exchange-cname",
            "mx-exchange-no-address",
            "mx-exchange-ip-literal"
        ]
    );
    assert!(
        c.findings[0]
            .remediation
            .contains("MX 10 real.example.test.")
    );
    assert_eq!(c.facts.hosts.len(), 4);
    assert_eq!(c.facts.hosts[3].addresses.len(), 1);
}

#[tokio::test]
async fn bounded_and_failures_are_not_missing() {
    let mut records = vec![];
    let names: Vec<String> = (0..25).map(|i| format!("mx{i}.example.test")).collect();
    for (i, n) in names.iter().enumerate() {
        records.push(("example.test", mx(i as u16, n)));
        records.push((n.as_str(), a("192.0.2.1")));
    }
    let c = run(records).await;
    assert_eq!(codes(&c.findings), vec!["mx-too-many"]);
    assert_eq!(c.facts.hosts.len(), MAX_HOSTS);
    // An exchange outside every zone: offline lookups fail → a DNS failure, not "no address".
    let dns = crate::dns::Dns::new(crate::dns::DnsConfig {
        offline: true,
        zones: vec![crate::dns::Zone {
            origin: "example.test".into(),
            file: "t".into(),
            records: vec![crate::dns::ZoneRecord {
                name: "example.test".into(),
                ttl: 1,
                data: mx(10, "mx.elsewhere.example"),
                line: 1,
            }],
        }],
        ..Default::default()
    })
    .unwrap();
    let c = check(&dns.view(), "example.test", &CheckOptions::default()).await;
    assert_eq!(
        codes(&c.findings),
        vec!["dns-lookup-error", "dns-lookup-error"]
    );
}

#[tokio::test]
async fn no_ptr_in_a_world_without_reverse_zones() {
    let c = run(vec![
        ("example.test", mx(10, "mx1.example.test")),
        ("example.test", mx(20, "aspmx.l.google.com")),
        ("mx1.example.test", a("192.0.2.1")),
    ])
    .await;
    let all: Vec<_> = c.findings.iter().map(|f| f.code.id).collect();
    // Google's host has no address here (and would be skipped anyway).
    assert_eq!(all, vec!["mx-exchange-no-address", "mx-ptr-missing"]);
    assert_eq!(c.findings[1].subject, "mx1.example.test");
}

#[test]
fn ip_literals() {
    for (s, yes) in [
        ("192.0.2.1", true),
        ("[192.0.2.1]", true),
        ("2001:db8::1", true),
        ("mx1.example.com", false),
        ("1.2.3.4.example", false),
    ] {
        assert_eq!(ip_literal(s).is_some(), yes, "{s}");
    }
}
