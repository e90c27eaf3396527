//! The policy-record check against in-memory zones.
#![allow(clippy::type_complexity)]

use super::*;
use crate::dkim::testdns::{codes, txt, view};
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
    let c = run(vec![]).await;
    assert_eq!(codes(&c.findings), vec!["mta-sts-missing"]);
    assert!(c.facts.mta_sts.unwrap().record.is_none());
    let c = run(vec![("_mta-sts.example.test", txt("v=STSv1; id=1"))]).await;
    assert_eq!(codes(&c.findings), vec!["tls-rpt-missing"]);
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
