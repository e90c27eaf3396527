//! The DMARC check against in-memory zones.

use super::*;
use crate::dkim::testdns::{codes, txt, view};
use crate::dns::Rdata;

async fn run(zones: &[(&str, Vec<(&str, Rdata)>)], domain: &str) -> Checked<DmarcFacts> {
    check(&view(zones), domain, &CheckOptions::default()).await
}

const GOOD: &str = "v=DMARC1; p=reject; rua=mailto:dmarc@example.test";

#[tokio::test]
async fn record_at_the_domain() {
    let c = run(
        &[("example.test", vec![("_dmarc.example.test", txt(GOOD))])],
        "example.test",
    )
    .await;
    assert!(c.findings.is_empty(), "{:?}", codes(&c.findings));
    assert_eq!(c.facts.record_name.as_deref(), Some("_dmarc.example.test"));
    assert_eq!(c.facts.policy.as_deref(), Some("reject"));
    assert_eq!(c.facts.effective_policy.as_deref(), Some("reject"));
    assert_eq!(c.facts.adkim.as_deref(), Some("r"));
    assert_eq!(c.facts.policy_domain_7489.as_deref(), Some("example.test"));
    assert_eq!(c.facts.policy_domain_9989.as_deref(), Some("example.test"));
    assert_eq!(c.facts.org_domain_9989.as_deref(), Some("example.test"));
}

#[tokio::test]
async fn missing_everywhere() {
    let c = run(
        &[("example.test", vec![("example.test", txt("v=spf1 -all"))])],
        "mail.example.test",
    )
    .await;
    assert_eq!(codes(&c.findings), vec!["dmarc-missing"]);
    assert!(c.findings[0].message.contains("_dmarc.example.test"));
    assert!(
        c.findings[0]
            .remediation
            .contains("_dmarc.mail.example.test TXT \"v=DMARC1; p=none")
    );
}

#[tokio::test]
async fn org_domain_fallback_agrees() {
    let c = run(
        &[(
            "example.test",
            vec![(
                "_dmarc.example.test",
                txt("v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.test"),
            )],
        )],
        "mail.example.test",
    )
    .await;
    assert_eq!(codes(&c.findings), vec!["dmarc-subdomain-policy-weaker"]);
    assert_eq!(c.facts.record_name.as_deref(), Some("_dmarc.example.test"));
    assert_eq!(c.facts.effective_policy.as_deref(), Some("quarantine"));
    assert_eq!(c.facts.org_domain_psl.as_deref(), Some("example.test"));
}

#[tokio::test]
async fn intermediate_record_makes_the_methods_disagree() {
    let c = run(
        &[(
            "example.test",
            vec![
                ("_dmarc.example.test", txt(GOOD)),
                (
                    "_dmarc.dept.example.test",
                    txt("v=DMARC1; p=none; rua=mailto:d@example.test"),
                ),
            ],
        )],
        "mail.dept.example.test",
    )
    .await;
    assert_eq!(codes(&c.findings), vec!["dmarc-discovery-disagrees"]);
    assert_eq!(c.facts.policy_domain_7489.as_deref(), Some("example.test"));
    assert_eq!(
        c.facts.policy_domain_9989.as_deref(),
        Some("dept.example.test")
    );
    assert_eq!(c.facts.org_domain_9989.as_deref(), Some("example.test"));
}

#[tokio::test]
async fn psd_record_is_found_only_by_the_tree_walk() {
    let c = run(
        &[
            (
                "test",
                vec![("_dmarc.test", txt("v=DMARC1; p=reject; psd=y"))],
            ),
            ("example.test", vec![("example.test", txt("v=spf1 -all"))]),
        ],
        "example.test",
    )
    .await;
    assert_eq!(
        codes(&c.findings),
        vec!["dmarc-discovery-disagrees", "dmarc-no-rua"]
    );
    assert_eq!(c.facts.policy_domain_9989.as_deref(), Some("test"));
    assert_eq!(c.facts.org_domain_9989.as_deref(), Some("example.test"));
    assert_eq!(c.facts.record_name.as_deref(), Some("_dmarc.test"));
}

#[tokio::test]
async fn several_records_apply_no_dmarc() {
    let c = run(
        &[(
            "example.test",
            vec![
                ("_dmarc.example.test", txt(GOOD)),
                ("_dmarc.example.test", txt("v=DMARC1; p=none")),
            ],
        )],
        "example.test",
    )
    .await;
    assert_eq!(codes(&c.findings), vec!["dmarc-multiple-records"]);
    assert!(c.facts.record.is_none());
}

#[tokio::test]
async fn version_not_first_is_not_reported_as_missing() {
    let c = run(
        &[(
            "example.test",
            vec![("_dmarc.example.test", txt("p=reject; v=DMARC1"))],
        )],
        "example.test",
    )
    .await;
    assert_eq!(codes(&c.findings), vec!["dmarc-version-not-first"]);
    assert_eq!(
        c.findings[0].evidence,
        vec![Evidence::Record {
            name: "_dmarc.example.test".into(),
            text: "p=reject; v=DMARC1".into(),
            span: Some((10, 18))
        }]
    );
}

#[tokio::test]
async fn a_failed_lookup_is_not_missing() {
    // The name is in no zone: offline mode answers with an error outcome.
    let v = crate::dkim::testdns::view(&[]);
    let c = check(&v, "elsewhere.example", &CheckOptions::default()).await;
    // root zone answers NXDOMAIN for everything → missing; now make the domain's zone fail
    assert_eq!(codes(&c.findings), vec!["dmarc-missing"]);
    let dns = crate::dns::Dns::new(crate::dns::DnsConfig {
        offline: true,
        ..Default::default()
    })
    .unwrap();
    let c = check(&dns.view(), "example.test", &CheckOptions::default()).await;
    assert!(
        codes(&c.findings).iter().all(|c| *c == "dns-lookup-error"),
        "{:?}",
        codes(&c.findings)
    );
    assert!(!c.findings.is_empty());
    assert!(
        c.findings[0]
            .message
            .contains("the DMARC record could not be verified")
    );
}

#[tokio::test]
async fn external_destinations_must_authorise() {
    let rec =
        "v=DMARC1; p=reject; rua=mailto:a@example.test,mailto:x@reports.test,mailto:y@other.test";
    let c = run(
        &[
            ("example.test", vec![("_dmarc.example.test", txt(rec))]),
            (
                "reports.test",
                vec![("example.test._report._dmarc.reports.test", txt("v=DMARC1"))],
            ),
            ("other.test", vec![("other.test", txt("v=spf1 -all"))]),
        ],
        "example.test",
    )
    .await;
    assert_eq!(
        codes(&c.findings),
        vec!["dmarc-external-report-unauthorized"]
    );
    assert_eq!(
        c.findings[0].subject,
        "example.test._report._dmarc.other.test"
    );
    assert!(
        c.findings[0]
            .remediation
            .contains("example.test._report._dmarc.other.test. TXT \"v=DMARC1\"")
    );
    assert_eq!(c.facts.rua.len(), 3);
}

#[tokio::test]
async fn parse_problems_become_findings_with_positions() {
    let rec = "v=DMARC1; p=reject; p=none; adkim=x; rua=mailto:d@example.test";
    let c = run(
        &[("example.test", vec![("_dmarc.example.test", txt(rec))])],
        "example.test",
    )
    .await;
    assert_eq!(
        codes(&c.findings),
        vec!["dmarc-duplicate-tag", "dmarc-invalid-tag-value"]
    );
    assert!(
        c.findings[0].message.contains("at byte 20"),
        "{}",
        c.findings[0].message
    );
}

/// Only the domain's own zone, offline: the policy is found at `_dmarc.example.test`; the
/// walk's `_dmarc.test` (psd= only) cannot be asked — a warning, not a lost policy.
#[tokio::test]
async fn a_failed_lookup_above_the_policy_domain_is_a_warning() {
    let zone = crate::dns::Zone {
        origin: "example.test".into(),
        file: "example.test.zone".into(),
        records: vec![crate::dns::ZoneRecord {
            name: "_dmarc.example.test".into(),
            ttl: 300,
            data: txt(GOOD),
            line: 2,
        }],
    };
    let dns = crate::dns::Dns::new(crate::dns::DnsConfig {
        offline: true,
        zones: vec![zone],
        ..Default::default()
    })
    .unwrap();
    let c = check(&dns.view(), "example.test", &CheckOptions::default()).await;
    let failed: Vec<_> = c
        .findings
        .iter()
        .filter(|f| f.code.id == "dns-lookup-error")
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", codes(&c.findings));
    assert_eq!(failed[0].subject, "_dmarc.test");
    assert_eq!(failed[0].severity, crate::report::Severity::Warning);
    assert!(failed[0].message.contains("organizational domain"));
    assert_eq!(c.facts.policy.as_deref(), Some("reject"));
    assert_eq!(c.facts.org_domain_9989, None);
    // The policy domain's own lookup failing is still an error (a_failed_lookup_is_not_missing).
}
