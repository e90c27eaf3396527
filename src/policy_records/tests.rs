//! The policy-record check against in-memory zones.
#![allow(clippy::type_complexity)]

use super::*;
use crate::dkim::testdns::{codes, mx, txt, view};
use crate::dns::Rdata;

async fn run(records: Vec<(&str, Rdata)>) -> Checked<PolicyRecords> {
    check(
        &view(&[("example.test", records)]),
        "example.test",
        &CheckOptions::default(),
    )
    .await
}

#[tokio::test]
async fn all_three_good() {
    let c = run(vec![
        ("_mta-sts.example.test", txt("v=STSv1; id=20240101")),
        (
            "_smtp._tls.example.test",
            txt("v=TLSRPTv1; rua=mailto:tls@example.test"),
        ),
        (
            "default._bimi.example.test",
            txt("v=BIMI1; l=https://example.test/logo.svg; a="),
        ),
        ("_mta-sts.example.test", txt("some-verification=abc")),
    ])
    .await;
    assert!(c.findings.is_empty(), "{:?}", codes(&c.findings));
    let sts = c.facts.mta_sts.unwrap();
    assert_eq!(sts.record.as_deref(), Some("v=STSv1; id=20240101"));
    assert_eq!(sts.tags[1], ("id".to_string(), "20240101".to_string()));
    assert_eq!(c.facts.bimi.unwrap().name, "default._bimi.example.test");
}

#[tokio::test]
async fn absent_records() {
    let c = run(vec![("example.test", mx(10, "mx.example.test"))]).await;
    assert_eq!(codes(&c.findings), vec!["mta-sts-missing"]);
    assert!(c.facts.mta_sts.unwrap().record.is_none());
    let c = run(vec![("_mta-sts.example.test", txt("v=STSv1; id=1"))]).await;
    assert_eq!(codes(&c.findings), vec!["tls-rpt-missing"]);
}

/// MTA-STS only matters for a domain that takes mail: by MX, or by its own address (implicit
/// MX). A send-only subdomain with neither, or a null MX, gets no mta-sts-missing.
#[tokio::test]
async fn mta_sts_missing_only_where_mail_is_accepted() {
    let a = Rdata::A {
        address: std::net::Ipv4Addr::new(192, 0, 2, 1),
    };
    let raised = |c: &Checked<PolicyRecords>| codes(&c.findings).contains(&"mta-sts-missing");
    assert!(raised(
        &run(vec![("example.test", mx(10, "mx.example.test"))]).await
    ));
    // Implicit MX: the domain's own address takes mail.
    assert!(raised(&run(vec![("example.test", a)]).await));
    // No MX and no address: nothing is delivered to it.
    assert!(!raised(
        &run(vec![("example.test", txt("v=spf1 -all"))]).await
    ));
    // A null MX says so explicitly; beside a real MX it does not.
    assert!(!raised(&run(vec![("example.test", mx(0, ""))]).await));
    assert!(raised(
        &run(vec![
            ("example.test", mx(0, "")),
            ("example.test", mx(10, "mx.example.test"))
        ])
        .await
    ));
    // The MX lookup failed: whether it takes mail is unknown, so the note stays.
    // (Offline with only a zone at _mta-sts: that record is absent, every other lookup an
    // error.)
    let dns = crate::dns::Dns::new(crate::dns::DnsConfig {
        offline: true,
        zones: vec![crate::dns::Zone {
            origin: "_mta-sts.example.test".into(),
            file: "sts.zone".into(),
            records: vec![crate::dns::ZoneRecord {
                name: "_mta-sts.example.test".into(),
                ttl: 300,
                data: crate::dkim::testdns::soa(),
                line: 1,
            }],
        }],
        ..Default::default()
    })
    .unwrap();
    let c = check(&dns.view(), "example.test", &CheckOptions::default()).await;
    assert!(raised(&c), "{:?}", codes(&c.findings));
}

#[tokio::test]
async fn problems() {
    let cases: Vec<(Vec<(&str, Rdata)>, Vec<&str>)> = vec![
        (
            vec![
                ("_mta-sts.example.test", txt("v=STSv1; id=1")),
                ("_mta-sts.example.test", txt("v=STSv1; id=2")),
            ],
            vec!["mta-sts-multiple-records", "tls-rpt-missing"],
        ),
        (
            vec![("_mta-sts.example.test", txt("v=STSv1; id=2024-01-01"))],
            vec!["mta-sts-invalid-id", "tls-rpt-missing"],
        ),
        (
            vec![("_mta-sts.example.test", txt("id=1; v=STSv1"))],
            vec!["mta-sts-syntax-error"],
        ),
        (
            vec![
                ("_mta-sts.example.test", txt("v=STSv1; id=1")),
                (
                    "_smtp._tls.example.test",
                    txt("v=TLSRPTv1; rua=tls@example.test"),
                ),
            ],
            vec!["tls-rpt-invalid-rua"],
        ),
        (
            vec![
                ("_mta-sts.example.test", txt("v=STSv1; id=1")),
                ("_smtp._tls.example.test", txt("v=TLSRPTv1")),
            ],
            vec!["tls-rpt-syntax-error"],
        ),
        (
            vec![
                ("_mta-sts.example.test", txt("v=STSv1; id=1")),
                (
                    "_smtp._tls.example.test",
                    txt("v=TLSRPTv1; rua=mailto:a@example.test"),
                ),
                (
                    "_smtp._tls.example.test",
                    txt("v=TLSRPTv1; rua=mailto:b@example.test"),
                ),
            ],
            vec!["tls-rpt-multiple-records"],
        ),
        (
            vec![
                ("_mta-sts.example.test", txt("v=STSv1; id=1")),
                (
                    "_smtp._tls.example.test",
                    txt("v=TLSRPTv1; rua=mailto:a@example.test"),
                ),
                (
                    "default._bimi.example.test",
                    txt("v=BIMI1; l=http://example.test/logo.svg"),
                ),
            ],
            vec!["bimi-syntax-error"],
        ),
        (
            vec![
                ("_mta-sts.example.test", txt("v=STSv1; id=1")),
                (
                    "_smtp._tls.example.test",
                    txt("v=TLSRPTv1; rua=mailto:a@example.test"),
                ),
                ("default._bimi.example.test", txt("v=BIMI1; l=")),
                (
                    "default._bimi.example.test",
                    txt("v=BIMI1; l=https://example.test/l.svg"),
                ),
            ],
            vec!["bimi-multiple-records"],
        ),
    ];
    for (records, want) in cases {
        let c = run(records).await;
        assert_eq!(codes(&c.findings), want);
    }
}

#[tokio::test]
async fn failures_are_not_absence() {
    let dns = crate::dns::Dns::new(crate::dns::DnsConfig {
        offline: true,
        ..Default::default()
    })
    .unwrap();
    let c = check(&dns.view(), "example.test", &CheckOptions::default()).await;
    assert_eq!(codes(&c.findings), vec!["dns-lookup-error"; 3]);
}
