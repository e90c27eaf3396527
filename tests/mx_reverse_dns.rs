//! Forward-confirmed reverse DNS of the domain's own MX hosts, through the real resolver
//! path against the in-process DNS server on 127.0.0.1: a PTR missing, a PTR that does
//! not resolve back, a good FCrDNS, a provider's MX skipped by rule, a PTR lookup that
//! times out, and the bound on the work.

use mailpreflight::check::CheckOptions;
use mailpreflight::dns::server::{Fault, LocalDnsServer, ServerConfig};
use mailpreflight::dns::{Dns, DnsConfig, RType, Zone, parse_zone};
use mailpreflight::mx::{self, MxHost};
use mailpreflight::report::{Evidence, Finding};
use std::collections::HashMap;
use std::time::Duration;

const DOMAIN_ZONE: &str = "\
$ORIGIN rdns.test.
$TTL 300
@ IN SOA ns1.rdns.test. hostmaster.rdns.test. 1 3600 600 86400 300
@ IN NS ns1.rdns.test.
ns1 IN A 192.0.2.53
@ IN MX 10 good
@ IN MX 20 noptr
@ IN MX 30 wrong
@ IN MX 40 aspmx.l.google.com.
@ IN MX 50 slow
good IN A 192.0.2.10
good IN AAAA 2001:db8::10
noptr IN A 192.0.2.11
wrong IN A 192.0.2.12
other IN A 192.0.2.99
slow IN A 192.0.2.14
";

const GOOGLE_ZONE: &str = "\
$ORIGIN google.com.
$TTL 300
@ IN SOA ns1.google.com. hostmaster.google.com. 1 3600 600 86400 300
@ IN NS ns1.google.com.
aspmx.l IN A 192.0.2.13
";

const REVERSE_V4: &str = "\
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 300
@ IN SOA ns1.rdns.test. hostmaster.rdns.test. 1 3600 600 86400 300
@ IN NS ns1.rdns.test.
10 IN PTR good.rdns.test.
12 IN PTR other.rdns.test.
";

const REVERSE_V6: &str = "\
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 300
@ IN SOA ns1.rdns.test. hostmaster.rdns.test. 1 3600 600 86400 300
@ IN NS ns1.rdns.test.
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR good.rdns.test.
";

fn zone(text: &str) -> Zone {
    parse_zone(text, "inline.zone", None).expect("zone")
}

async fn serve(extra: &[(&str, &str)]) -> (Dns, LocalDnsServer) {
    let mut zones = vec![
        zone(DOMAIN_ZONE),
        zone(GOOGLE_ZONE),
        zone(REVERSE_V4),
        zone(REVERSE_V6),
    ];
    zones.extend(extra.iter().map(|(_, text)| zone(text)));
    let mut faults = HashMap::new();
    // The PTR of slow.rdns.test's address never answers.
    faults.insert(
        ("14.2.0.192.in-addr.arpa".to_string(), RType::PTR),
        Fault::Drop,
    );
    let server = LocalDnsServer::start(ServerConfig {
        zones,
        authoritative_root: true,
        type_faults: faults,
        ..ServerConfig::default()
    })
    .await
    .expect("DNS server");
    let dns = Dns::new(DnsConfig {
        nameservers: vec![server.addr()],
        timeout: Duration::from_millis(300),
        attempts: 1,
        ..DnsConfig::default()
    })
    .expect("resolver");
    (dns, server)
}

fn host<'a>(hosts: &'a [MxHost], name: &str) -> &'a MxHost {
    hosts
        .iter()
        .find(|h| h.exchange == name)
        .unwrap_or_else(|| panic!("no host {name}"))
}

fn for_subject<'a>(findings: &'a [Finding], subject: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.subject == subject).collect()
}

fn values(f: &Finding) -> Vec<String> {
    f.evidence
        .iter()
        .map(|e| match e {
            Evidence::Value { label, value } => format!("{label}={value}"),
            Evidence::DnsAnswer {
                name,
                rtype,
                outcome,
                data,
            } => format!("{name} {rtype} {outcome} {}", data.join(",")),
            other => format!("{other:?}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mx_hosts_reverse_dns_is_forward_confirmed() {
    let (dns, _server) = serve(&[]).await;
    let view = dns.view();
    let checked = mx::check(&view, "rdns.test", &CheckOptions::default()).await;
    let hosts = &checked.facts.hosts;
    let findings = &checked.findings;

    // Good FCrDNS, both families: no finding, and the facts say so.
    let good = host(hosts, "good.rdns.test");
    assert_eq!(good.reverse_dns.len(), 2);
    for r in &good.reverse_dns {
        assert!(r.forward_confirmed, "{r:?}");
        assert_eq!(r.ptr, vec!["good.rdns.test"]);
        assert_eq!(r.resolves_to, vec![r.ip.clone()]);
    }
    assert!(for_subject(findings, "good.rdns.test").is_empty());

    // No PTR: mx-ptr-missing with the address and the PTR answer (NXDOMAIN).
    let missing = for_subject(findings, "noptr.rdns.test");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].code.id, "mx-ptr-missing");
    assert!(
        missing[0].message.contains("192.0.2.11"),
        "{}",
        missing[0].message
    );
    let ev = values(missing[0]);
    assert!(ev.contains(&"address=192.0.2.11".to_string()), "{ev:?}");
    assert!(
        ev.iter()
            .any(|e| e.starts_with("11.2.0.192.in-addr.arpa PTR NXDOMAIN")),
        "{ev:?}"
    );
    assert!(!host(hosts, "noptr.rdns.test").reverse_dns[0].forward_confirmed);

    // PTR other.rdns.test resolves to 192.0.2.99, not back to 192.0.2.12.
    let wrong = for_subject(findings, "wrong.rdns.test");
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert_eq!(wrong[0].code.id, "mx-ptr-not-confirmed");
    for part in ["192.0.2.12", "other.rdns.test", "192.0.2.99"] {
        assert!(
            wrong[0].message.contains(part),
            "{part}: {}",
            wrong[0].message
        );
    }
    let ev = values(wrong[0]);
    assert!(ev.contains(&"address=192.0.2.12".to_string()), "{ev:?}");
    assert!(
        ev.iter()
            .any(|e| e == "other.rdns.test A NOERROR 192.0.2.99"),
        "{ev:?}"
    );
    let r = &host(hosts, "wrong.rdns.test").reverse_dns[0];
    assert_eq!(r.ptr, vec!["other.rdns.test"]);
    assert_eq!(r.resolves_to, vec!["192.0.2.99"]);

    // Google's MX: skipped by rule, said so, and its PTR never asked.
    let google = host(hosts, "aspmx.l.google.com");
    assert!(google.reverse_dns.is_empty());
    let why = google.reverse_dns_skipped.as_deref().unwrap_or("");
    assert!(why.contains("Google Workspace"), "{why}");
    assert!(for_subject(findings, "aspmx.l.google.com").is_empty());
    let log = view.log();
    assert!(
        !log.iter()
            .any(|q| q.answer.name == "13.2.0.192.in-addr.arpa"),
        "the provider's PTR was asked"
    );

    // A PTR lookup that times out is a dns-timeout, not "no PTR".
    let slow: Vec<_> = findings
        .iter()
        .filter(|f| f.subject == "14.2.0.192.in-addr.arpa")
        .collect();
    assert_eq!(slow.len(), 1, "{findings:?}");
    assert_eq!(slow[0].code.id, "dns-timeout");
    assert!(
        !findings
            .iter()
            .any(|f| f.subject == "slow.rdns.test" && f.code.id == "mx-ptr-missing")
    );

    // Through the shared layer: every PTR is in the query log, each asked once upstream.
    assert!(
        log.iter()
            .any(|q| q.answer.name == "10.2.0.192.in-addr.arpa" && q.answer.rtype == RType::PTR)
    );
    assert_eq!(dns.stats().duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverse_dns_work_is_bounded() {
    // Eight self-run MX hosts with six addresses each: only the 5 most preferred hosts and
    // 4 addresses of each are checked, and the facts say so.
    let mut text = String::from(
        "$ORIGIN many.test.\n$TTL 300\n@ IN SOA ns1.many.test. h.many.test. 1 3600 600 86400 300\n@ IN NS ns1.many.test.\nns1 IN A 192.0.2.53\n",
    );
    for h in 0..8 {
        text.push_str(&format!("@ IN MX {} mx{h}\n", 10 + h));
        for a in 0..6 {
            text.push_str(&format!("mx{h} IN A 198.51.100.{}\n", h * 10 + a + 1));
        }
    }
    let (dns, _server) = serve(&[("many", text.as_str())]).await;
    let view = dns.view();
    let checked = mx::check(&view, "many.test", &CheckOptions::default()).await;
    let hosts = &checked.facts.hosts;
    assert_eq!(hosts.len(), 8);
    for (i, h) in hosts.iter().enumerate() {
        if i < mx::reverse::MAX_HOSTS {
            assert_eq!(
                h.reverse_dns.len(),
                mx::reverse::MAX_ADDRESSES,
                "{}",
                h.exchange
            );
            assert!(
                h.reverse_dns_skipped
                    .as_deref()
                    .unwrap_or("")
                    .contains("first 4 of 6")
            );
        } else {
            assert!(h.reverse_dns.is_empty(), "{}", h.exchange);
            assert!(
                h.reverse_dns_skipped
                    .as_deref()
                    .unwrap_or("")
                    .contains("5 most preferred")
            );
        }
    }
    let ptr_questions = view
        .log()
        .iter()
        .filter(|q| q.answer.rtype == RType::PTR)
        .count();
    assert_eq!(
        ptr_questions,
        mx::reverse::MAX_HOSTS * mx::reverse::MAX_ADDRESSES
    );
    // Every one of the 20 addresses lacks a PTR (NXDOMAIN from the root).
    assert_eq!(
        checked
            .findings
            .iter()
            .filter(|f| f.code.id == "mx-ptr-missing")
            .count(),
        20
    );
}
