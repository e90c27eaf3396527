//! The DKIM check against in-memory zones, with real keys.
#![allow(clippy::type_complexity)]

use super::*;
use crate::dkim::testdns::{cname, codes, txt, txt_strings, view};
use crate::dns::Rdata;
use crate::report::Severity;

const RSA512: &str = include_str!("../../fixtures/zones/dkim/keys/rsa512.b64");
const RSA1024: &str = include_str!("../../fixtures/zones/dkim/keys/rsa1024.b64");
const RSA1024_PKCS1: &str = include_str!("../../fixtures/zones/dkim/keys/rsa1024-pkcs1.b64");
const RSA2048: &str = include_str!("../../fixtures/zones/dkim/keys/rsa2048.b64");
const RSA4096: &str = include_str!("../../fixtures/zones/dkim/keys/rsa4096.b64");
const RSA8192: &str = include_str!("../../fixtures/zones/dkim/keys/rsa8192.b64");
const ED25519: &str = include_str!("../../fixtures/zones/dkim/keys/ed25519.b64");

fn key(k: &str) -> String {
    format!("v=DKIM1; k=rsa; p={}", k.trim())
}

fn opts(selectors: &[&str], no_defaults: bool) -> CheckOptions {
    CheckOptions {
        selectors: selectors.iter().map(|s| s.to_string()).collect(),
        no_default_selectors: no_defaults,
        ..Default::default()
    }
}

async fn run(records: Vec<(&str, Rdata)>, o: &CheckOptions) -> Checked<DkimFacts> {
    check(&view(&[("example.test", records)]), "example.test", o).await
}

#[tokio::test]
async fn key_sizes() {
    let cases: Vec<(&str, Option<u32>, Vec<(&str, Severity)>)> = vec![
        (
            RSA512,
            Some(512),
            vec![("dkim-key-too-short", Severity::Error)],
        ),
        (
            RSA1024,
            Some(1024),
            vec![("dkim-key-too-short", Severity::Note)],
        ),
        (
            RSA1024_PKCS1,
            Some(1024),
            vec![("dkim-key-too-short", Severity::Note)],
        ),
        (RSA2048, Some(2048), vec![]),
        (RSA4096, Some(4096), vec![]),
        (
            RSA8192,
            Some(8192),
            vec![("dkim-key-too-long", Severity::Warning)],
        ),
    ];
    for (k, bits, want) in cases {
        let c = run(
            vec![("s1._domainkey.example.test", txt(&key(k)))],
            &opts(&[], false),
        )
        .await;
        let got: Vec<_> = c.findings.iter().map(|f| (f.code.id, f.severity)).collect();
        assert_eq!(got, want, "{bits:?}");
        assert_eq!(c.facts.keys.len(), 1);
        assert_eq!(c.facts.keys[0].bits, bits);
        assert_eq!(c.facts.keys[0].selector, "s1");
        assert!(
            c.facts.keys[0]
                .provider
                .as_deref()
                .unwrap()
                .contains("SendGrid")
        );
    }
}

#[tokio::test]
async fn ed25519_key() {
    let rec = format!("v=DKIM1; k=ed25519; p={}", ED25519.trim());
    let c = run(
        vec![("google._domainkey.example.test", txt(&rec))],
        &opts(&[], false),
    )
    .await;
    assert!(c.findings.is_empty(), "{:?}", codes(&c.findings));
    assert_eq!(c.facts.keys[0].key_type, "ed25519");
    assert_eq!(c.facts.keys[0].bits, Some(256));
}

#[tokio::test]
async fn no_key_at_builtin_selectors_is_a_note() {
    // A wildcard TXT answers every selector with an SPF record: that is not a key.
    let c = run(
        vec![("*.example.test", txt("v=spf1 -all"))],
        &opts(&[], false),
    )
    .await;
    assert_eq!(codes(&c.findings), vec!["dkim-no-selector-found"]);
    assert_eq!(c.findings[0].severity, Severity::Note);
    assert!(c.findings[0].message.contains("pass --selector"));
    assert_eq!(c.facts.selectors_checked.len(), selectors::BUILT_IN.len());
}

#[tokio::test]
async fn a_given_selector_without_key() {
    let c = run(vec![], &opts(&["custom"], true)).await;
    assert_eq!(codes(&c.findings), vec!["dkim-no-selector-found"]);
    assert_eq!(c.findings[0].severity, Severity::Warning);
    assert!(
        c.findings[0]
            .message
            .contains("custom._domainkey.example.test")
    );
    // With a key elsewhere, the given selector is reported on its own.
    let c = run(
        vec![("google._domainkey.example.test", txt(&key(RSA2048)))],
        &opts(&["custom"], false),
    )
    .await;
    assert_eq!(codes(&c.findings), vec!["dkim-selector-missing"]);
    assert_eq!(c.facts.selectors_checked[0], "custom");
}

#[tokio::test]
async fn cname_to_provider_key_is_followed_and_recorded() {
    let c = run(
        vec![
            (
                "selector1._domainkey.example.test",
                cname("selector1-example-test._domainkey.tenant.example.test"),
            ),
            (
                "selector1-example-test._domainkey.tenant.example.test",
                txt(&key(RSA2048)),
            ),
        ],
        &opts(&[], false),
    )
    .await;
    assert!(c.findings.is_empty(), "{:?}", codes(&c.findings));
    assert_eq!(
        c.facts.keys[0].cnames,
        vec!["selector1-example-test._domainkey.tenant.example.test"]
    );
}

#[tokio::test]
async fn record_flags() {
    let cases: Vec<(String, &[&str], Vec<(&str, Severity)>)> = vec![
        (
            "v=DKIM1; p=".into(),
            &[],
            vec![("dkim-key-revoked", Severity::Note)],
        ),
        (
            "v=DKIM1; p=".into(),
            &["s1"],
            vec![("dkim-key-revoked", Severity::Warning)],
        ),
        (
            format!("v=DKIM1; t=y; p={}", RSA2048.trim()),
            &[],
            vec![("dkim-testing-mode", Severity::Warning)],
        ),
        (format!("v=DKIM1; t=s; p={}", RSA2048.trim()), &[], vec![]),
        (
            format!("v=DKIM1; h=sha1; p={}", RSA2048.trim()),
            &[],
            vec![("dkim-sha1-only", Severity::Error)],
        ),
        (
            format!("v=DKIM1; h=sha1:sha256; p={}", RSA2048.trim()),
            &[],
            vec![],
        ),
        (
            format!("v=DKIM1; k=dsa; p={}", RSA2048.trim()),
            &[],
            vec![("dkim-unknown-key-type", Severity::Error)],
        ),
        (
            format!("v=DKIM1; s=tlsrpt; p={}", RSA2048.trim()),
            &[],
            vec![("dkim-not-for-email", Severity::Error)],
        ),
        (
            format!("k=rsa; v=DKIM1; p={}", RSA2048.trim()),
            &[],
            vec![("dkim-syntax-error", Severity::Error)],
        ),
        (
            "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".into(),
            &[],
            vec![("dkim-invalid-key-data", Severity::Error)],
        ),
        (
            format!("v=DKIM1; k=ed25519; p={}", RSA2048.trim()),
            &[],
            vec![("dkim-invalid-key-data", Severity::Error)],
        ),
    ];
    for (rec, given, want) in cases {
        let c = run(
            vec![("s1._domainkey.example.test", txt(&rec))],
            &opts(given, false),
        )
        .await;
        let got: Vec<_> = c.findings.iter().map(|f| (f.code.id, f.severity)).collect();
        assert_eq!(got, want, "{rec}");
    }
}

#[tokio::test]
async fn several_records_at_one_selector() {
    let c = run(
        vec![
            ("s1._domainkey.example.test", txt(&key(RSA2048))),
            ("s1._domainkey.example.test", txt(&key(RSA4096))),
        ],
        &opts(&[], false),
    )
    .await;
    assert_eq!(codes(&c.findings), vec!["dkim-multiple-records"]);
    assert_eq!(c.facts.keys.len(), 2);
}

#[tokio::test]
async fn broken_splits_are_diagnosed() {
    let rec = key(RSA2048);
    let (a, b) = rec.split_at(200);
    // Quotes pasted into the value.
    let quoted = format!("{a}\" \"{b}");
    // Two TXT records instead of two strings.
    // Cut at 255 bytes, the rest lost.
    let cases: Vec<(Vec<Rdata>, &str)> = vec![
        (vec![txt_strings(&[&quoted])], "quote characters"),
        (
            vec![txt_strings(&[a]), txt_strings(&[b])],
            "separate TXT records",
        ),
        (vec![txt_strings(&[&rec[..255]])], "255-byte"),
    ];
    for (records, why) in cases {
        let c = run(
            records
                .into_iter()
                .map(|r| ("s1._domainkey.example.test", r))
                .collect(),
            &opts(&[], false),
        )
        .await;
        assert_eq!(
            codes(&c.findings),
            vec!["dkim-broken-string-split"],
            "{why}"
        );
        assert!(
            c.findings[0].message.contains(why),
            "{}",
            c.findings[0].message
        );
    }
    // A correct split into two strings of one record is fine.
    let c = run(
        vec![("s1._domainkey.example.test", txt_strings(&[a, b]))],
        &opts(&[], false),
    )
    .await;
    assert!(c.findings.is_empty(), "{:?}", codes(&c.findings));
    assert_eq!(c.facts.keys[0].bits, Some(2048));
}

#[tokio::test]
async fn a_failed_lookup_is_not_a_missing_key() {
    let dns = crate::dns::Dns::new(crate::dns::DnsConfig {
        offline: true,
        ..Default::default()
    })
    .unwrap();
    let c = check(&dns.view(), "example.test", &opts(&["s1"], true)).await;
    assert_eq!(codes(&c.findings), vec!["dns-lookup-error"]);
    assert!(c.findings[0].message.contains("DKIM key for selector s1"));
}
