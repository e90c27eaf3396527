//! `audit` of Logto's API email connectors through the binary: each provider's records set
//! up right and wrong in a fixture zone (served offline beside the providers' own zones in
//! fixtures/connectors/world/), with the exact findings, the `connector.requirements`, the
//! predicted alignment and the region checks; and the HTTP email connector's
//! `--probe-endpoint` against real HTTP and HTTPS servers on loopback.

mod common;

use common::{TempDir, run, stderr, stdout};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SES_TOKENS: [&str; 3] = [
    "tok1aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "tok2bbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "tok3cccccccccccccccccccccccccccc",
];

fn fixture(rel: &str) -> String {
    format!("{}/fixtures/connectors/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// `audit --config CONFIG (a fixture, or an absolute path) --offline --zone world/ --zone zones/ZONE.zone --format json`.
fn audit(config: &str, zone: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let config = if Path::new(config).is_absolute() {
        config.to_string()
    } else {
        fixture(config)
    };
    let (world, zone) = (fixture("world"), fixture(&format!("zones/{zone}.zone")));
    let mut args = vec![
        "audit",
        "--config",
        &config,
        "--offline",
        "--zone",
        &world,
        "--zone",
        &zone,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    if !extra.iter().any(|a| *a == "--allow" || *a == "--deny") {
        common::assert_severities_documented(&v, &format!("audit {config} {zone}"));
    }
    (out.status.code(), v)
}

fn ses_hints() -> Vec<&'static str> {
    let mut args = Vec::new();
    for t in SES_TOKENS {
        args.extend(["--selector", t]);
    }
    args.extend(["--return-path", "mail.auth.example.com"]);
    args
}

/// (code, subject) of one target's findings, sorted.
fn findings(v: &Value, target: usize) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["targets"][target]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = expected
        .iter()
        .map(|(c, s)| (c.to_string(), s.to_string()))
        .collect();
    out.sort();
    out
}

fn message<'a>(v: &'a Value, code: &str, subject: &str) -> &'a str {
    v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap())
        .find(|f| f["code"] == code && f["subject"] == subject)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("no {code} at {subject}"))
}

/// (record, status, found) of `connector.requirements`.
fn requirements(v: &Value) -> Vec<(String, String, String)> {
    v["audit"]["connector"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["expected"].as_str().is_some_and(|e| !e.is_empty()), "{r}");
            (
                r["record"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["found"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts the requirements' records and statuses, and a piece of each `found`.
fn assert_requirements(v: &Value, expected: &[(&str, &str, &str)]) {
    let got = requirements(v);
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for ((record, status, found), (want_record, want_status, want_found)) in
        got.iter().zip(expected)
    {
        assert_eq!(
            (record.as_str(), status.as_str()),
            (*want_record, *want_status),
            "{got:#?}"
        );
        assert!(
            found.contains(want_found),
            "{record}: {found:?} lacks {want_found:?}"
        );
    }
}

/// Every field of the report is documented in docs/json-schema.md.
fn assert_documented(v: &Value) {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-schema.md"))
        .unwrap();
    let mut keys = BTreeSet::new();
    common::json_keys(v, &mut keys);
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("\"{k}\"")))
        .collect();
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

/// The prediction as the provider sends: the identities and the verdicts.
fn alignment(v: &Value) -> Value {
    let a = &v["audit"]["alignment"];
    json!({
        "from": a["identities"]["from_domain"],
        "envelope": a["identities"]["envelope_domain"],
        "dkim_d": a["identities"]["dkim_domain"],
        "spf": [a["spf_pass"], a["spf_aligned"]],
        "dkim": [a["dkim_pass"], a["dkim_aligned"]],
        "dmarc": a["dmarc_pass"],
    })
}

#[test]
fn sendgrid_set_up_right() {
    let (code, v) = audit(
        "sendgrid-valid.json",
        "sendgrid-good",
        &["--return-path", "em1234.auth.example.com"],
    );
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["audit"]["connector"]["connector"], "sendgrid");
    assert_eq!(v["audit"]["verdict"], "READY WITH WARNINGS");
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-template-unsupported", "$.templates")])
    );
    assert_eq!(v["targets"][1]["domain"], "auth.example.com");
    assert_eq!(
        findings(&v, 1),
        pairs(&[("mta-sts-missing", "_mta-sts.auth.example.com")])
    );
    // The provider's own lookups are in the connector target's query log.
    let asked: Vec<(String, String)> = v["targets"][0]["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["name"].as_str().unwrap().into(),
                q["rtype"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (name, rtype) in [
        ("s1._domainkey.auth.example.com", "CNAME"),
        ("em1234.auth.example.com", "CNAME"),
    ] {
        assert!(
            asked.contains(&(name.into(), rtype.into())),
            "{name} {rtype} not in {asked:?}"
        );
    }
    assert_requirements(
        &v,
        &[
            (
                "s1._domainkey.auth.example.com CNAME",
                "yes",
                "→ s1.domainkey.u1234.wl123.sendgrid.net: rsa 2048-bit key",
            ),
            (
                "s2._domainkey.auth.example.com CNAME",
                "yes",
                "→ s2.domainkey.u1234.wl123.sendgrid.net: rsa 2048-bit key",
            ),
            (
                "em1234.auth.example.com CNAME",
                "yes",
                "→ u1234.wl123.sendgrid.net",
            ),
        ],
    );
    assert_eq!(
        alignment(&v),
        json!({"from": "auth.example.com", "envelope": "em1234.auth.example.com",
               "dkim_d": "auth.example.com", "spf": ["yes", "yes"], "dkim": ["yes", "yes"],
               "dmarc": "yes"})
    );
    assert_documented(&v);
    // The provider's keys were judged by the DKIM audit of the From domain too.
    let keys = v["targets"][1]["facts"]["dkim"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{keys:#?}");

    // Without --return-path the em subdomain is "cannot tell", never "missing".
    let (code, v) = audit("sendgrid-valid.json", "sendgrid-good", &[]);
    assert_eq!(code, Some(0));
    let reqs = requirements(&v);
    assert_eq!(
        (reqs[2].0.as_str(), reqs[2].1.as_str()),
        ("emNNNN.auth.example.com CNAME", "cannot-tell")
    );
    assert!(reqs[2].2.contains("--return-path"), "{reqs:?}");
    assert_eq!(alignment(&v)["spf"], json!(["cannot-tell", "yes"]));
    assert_eq!(alignment(&v)["dmarc"], "yes");
}

#[test]
fn sendgrid_half_set_up() {
    let (code, v) = audit(
        "sendgrid-valid.json",
        "sendgrid-bad",
        &["--return-path", "em1234.auth.example.com"],
    );
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(v["audit"]["verdict"], "NOT READY");
    assert_eq!(
        findings(&v, 0),
        pairs(&[
            ("audit-dmarc-will-fail", "auth.example.com"),
            (
                "connector-provider-dkim-missing",
                "s1._domainkey.auth.example.com"
            ),
            (
                "connector-provider-dkim-missing",
                "s2._domainkey.auth.example.com"
            ),
            (
                "connector-return-path-not-aligned",
                "em1234.auth.example.com"
            ),
            ("connector-template-unsupported", "$.templates"),
        ])
    );
    assert_eq!(
        findings(&v, 1),
        pairs(&[
            ("dkim-no-selector-found", "_domainkey.auth.example.com"),
            ("dmarc-strict-alignment", "_dmarc.auth.example.com"),
            ("mta-sts-missing", "_mta-sts.auth.example.com"),
        ])
    );
    assert_requirements(
        &v,
        &[
            (
                "s1._domainkey.auth.example.com CNAME",
                "no",
                "no CNAME (NXDOMAIN)",
            ),
            (
                "s2._domainkey.auth.example.com CNAME",
                "no",
                // the classic: a CNAME target written without its trailing dot
                "CNAME to s2.domainkey.u1234.wl123.sendgrid.net.example.com, not to sendgrid.net",
            ),
            ("em1234.auth.example.com CNAME", "no", "no CNAME (NXDOMAIN)"),
        ],
    );
    // Until s1 and s2 validate SendGrid signs as itself; aspf=s breaks the em subdomain.
    assert_eq!(
        alignment(&v),
        json!({"from": "auth.example.com", "envelope": null, "dkim_d": "sendgrid.net",
               "spf": ["cannot-tell", "no"], "dkim": ["no", "no"], "dmarc": "no"})
    );
}

#[test]
fn mailgun_eu_set_up_right() {
    let (code, v) = audit("mailgun-valid.json", "mailgun-good", &["--selector", "pic"]);
    assert_eq!(code, Some(0), "{v:#}");
    let c = &v["audit"]["connector"];
    assert_eq!(
        (&c["region"], &c["api_endpoint"], &c["sending_domain"]),
        (
            &json!("eu"),
            &json!("https://api.eu.mailgun.net"),
            &json!("mg.example.com")
        )
    );
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-template-unsupported", "$.deliveries")])
    );
    assert_eq!(
        findings(&v, 1),
        pairs(&[("mta-sts-missing", "_mta-sts.mg.example.com")])
    );
    assert_requirements(
        &v,
        &[
            ("mg.example.com TXT (SPF)", "yes", "include:mailgun.org"),
            (
                "pic._domainkey.mg.example.com TXT",
                "yes",
                "rsa 2048-bit key",
            ),
            (
                "mg.example.com MX",
                "yes",
                "mxa.eu.mailgun.org, mxb.eu.mailgun.org",
            ),
        ],
    );
    // Mailgun bounces as the sending domain itself: aligned even under aspf=s.
    assert_eq!(
        alignment(&v),
        json!({"from": "mg.example.com", "envelope": "mg.example.com",
               "dkim_d": "mg.example.com", "spf": ["yes", "yes"], "dkim": ["yes", "yes"],
               "dmarc": "yes"})
    );

    // From the organization's other name: the records are still the sending domain's, the
    // selector is not asked of the From domain, and aspf=s on auth.example.com leaves DKIM
    // (relaxed) to carry DMARC.
    let dir = TempDir::new("mailgun-from");
    let text = std::fs::read_to_string(fixture("mailgun-valid.json"))
        .unwrap()
        .replace("noreply@mg.example.com", "noreply@auth.example.com");
    let config = dir.path().join("mailgun-auth.json");
    std::fs::write(&config, text).unwrap();
    let (code, v) = audit(
        config.to_str().unwrap(),
        "mailgun-good",
        &["--selector", "pic"],
    );
    assert_eq!(code, Some(0), "{v:#}");
    // No DKIM key on the From domain itself is what this setup looks like (Mailgun signs
    // as mg.example.com); the domain audit cannot know that, so it says so.
    assert_eq!(
        findings(&v, 1),
        pairs(&[
            ("dkim-no-selector-found", "_domainkey.auth.example.com"),
            ("dmarc-strict-alignment", "_dmarc.auth.example.com"),
            ("mta-sts-missing", "_mta-sts.auth.example.com"),
        ])
    );
    // The sending domain is audited as its own target, with the selector given.
    assert_eq!(v["targets"][2]["domain"], "mg.example.com");
    assert_eq!(
        findings(&v, 2),
        pairs(&[("mta-sts-missing", "_mta-sts.mg.example.com")])
    );
    assert_eq!(
        v["targets"][2]["facts"]["dkim"]["keys"][0]["selector"],
        "pic"
    );
    let statuses: Vec<String> = requirements(&v).into_iter().map(|r| r.1).collect();
    assert_eq!(statuses, ["yes", "yes", "yes"]);
    assert_eq!(
        alignment(&v),
        json!({"from": "auth.example.com", "envelope": "mg.example.com",
               "dkim_d": "mg.example.com", "spf": ["yes", "no"], "dkim": ["yes", "yes"],
               "dmarc": "yes"})
    );
}

#[test]
fn mailgun_wrong_region_and_records() {
    // EU endpoint (and a From outside the sending domain), domain set up in the US region.
    let (code, v) = audit("mailgun-broken.json", "mailgun-bad", &["--selector", "pic"]);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(
        findings(&v, 0),
        pairs(&[
            ("audit-dmarc-will-fail", "other.example.org"),
            ("audit-provider-spf-missing", "mg.example.com"),
            ("connector-invalid", "$.deliveries.MfaVerification"),
            ("connector-invalid", "$.deliveries.SignIn"),
            ("connector-invalid", "$.endpoint"),
            ("connector-key-format", "$.apiKey"),
            (
                "connector-provider-dkim-missing",
                "pic._domainkey.mg.example.com"
            ),
            ("connector-region-mismatch", "$.endpoint"),
            ("connector-sending-domain-mismatch", "other.example.org"),
            ("connector-template-unsupported", "$.deliveries"),
            ("connector-template-unsupported", "$.deliveries"),
        ])
    );
    assert_eq!(
        findings(&v, 1),
        pairs(&[("domain-does-not-exist", "other.example.org")])
    );
    let m = message(&v, "connector-region-mismatch", "$.endpoint");
    assert!(
        m.contains("Mailgun's US region") && m.contains("https://api.eu.mailgun.net/"),
        "{m}"
    );
    let fix = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "connector-region-mismatch")
        .unwrap()["remediation"]
        .clone();
    assert_eq!(fix, "Set endpoint to https://api.mailgun.net");
    assert_requirements(
        &v,
        &[
            (
                "mg.example.com TXT (SPF)",
                "no",
                "not in mg.example.com's SPF record (v=spf1 ip4:192.0.2.25 -all)",
            ),
            (
                "pic._domainkey.mg.example.com TXT",
                "no",
                "no key (NXDOMAIN)",
            ),
            (
                "mg.example.com MX",
                "no",
                "mxa.mailgun.org, mxb.mailgun.org",
            ),
        ],
    );
    assert_eq!(
        alignment(&v),
        json!({"from": "other.example.org", "envelope": "mg.example.com",
               "dkim_d": "mg.example.com", "spf": ["no", "no"], "dkim": ["no", "no"],
               "dmarc": "no"})
    );
}

#[test]
fn ses_set_up_right_in_its_region() {
    let (code, v) = audit("aws-ses-valid.json", "aws-ses-good", &ses_hints());
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["audit"]["connector"]["region"], "eu-west-1");
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-template-unsupported", "$.templates")])
    );
    assert_eq!(
        findings(&v, 1),
        pairs(&[("mta-sts-missing", "_mta-sts.auth.example.com")])
    );
    let mut want: Vec<(String, &str, String)> = SES_TOKENS
        .iter()
        .map(|t| {
            (
                format!("{t}._domainkey.auth.example.com CNAME"),
                "yes",
                format!("→ {t}.dkim.amazonses.com: rsa 2048-bit key"),
            )
        })
        .collect();
    want.push((
        "mail.auth.example.com MX".into(),
        "yes",
        "feedback-smtp.eu-west-1.amazonses.com".into(),
    ));
    want.push((
        "mail.auth.example.com TXT (SPF)".into(),
        "yes",
        "include:amazonses.com".into(),
    ));
    let want: Vec<(&str, &str, &str)> = want
        .iter()
        .map(|(a, b, c)| (a.as_str(), *b, c.as_str()))
        .collect();
    assert_requirements(&v, &want);
    assert_eq!(
        alignment(&v),
        json!({"from": "auth.example.com", "envelope": "mail.auth.example.com",
               "dkim_d": "auth.example.com", "spf": ["yes", "yes"], "dkim": ["yes", "yes"],
               "dmarc": "yes"})
    );

    // Without the tokens and the MAIL FROM name: cannot tell, and the default envelope.
    let (code, v) = audit("aws-ses-valid.json", "aws-ses-good", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        findings(&v, 0),
        pairs(&[
            ("audit-dmarc-cannot-tell", "auth.example.com"),
            ("connector-provider-dkim-cannot-tell", "auth.example.com"),
            ("connector-return-path-not-aligned", "auth.example.com"),
            ("connector-template-unsupported", "$.templates"),
        ])
    );
    let statuses: Vec<String> = requirements(&v).into_iter().map(|r| r.1).collect();
    assert_eq!(statuses, ["cannot-tell", "cannot-tell"]);
    assert_eq!(alignment(&v)["spf"], json!(["cannot-tell", "no"]));
    assert_eq!(alignment(&v)["dmarc"], "cannot-tell");
}

#[test]
fn ses_records_of_other_regions() {
    let (code, v) = audit("aws-ses-valid.json", "aws-ses-bad", &ses_hints());
    assert_eq!(code, Some(1), "{v:#}");
    let tok = |i: usize| format!("{}._domainkey.auth.example.com", SES_TOKENS[i]);
    let (t0, t1) = (tok(0), tok(1));
    assert_eq!(
        findings(&v, 0),
        pairs(&[
            ("audit-dmarc-will-fail", "auth.example.com"),
            ("audit-provider-spf-missing", "mail.auth.example.com"),
            ("connector-provider-dkim-missing", &t1),
            ("connector-region-mismatch", &t0),
            ("connector-region-mismatch", "mail.auth.example.com"),
            ("connector-template-unsupported", "$.templates"),
        ])
    );
    assert_eq!(
        findings(&v, 1),
        pairs(&[
            ("dkim-selector-missing", &t1),
            ("mta-sts-missing", "_mta-sts.auth.example.com"),
        ])
    );
    let m = message(&v, "connector-region-mismatch", &t0);
    assert!(
        m.contains("region af-south-1") && m.contains("the connector's region is eu-west-1"),
        "{m}"
    );
    let m = message(&v, "connector-region-mismatch", "mail.auth.example.com");
    assert!(
        m.contains("feedback host for region us-east-1") && m.contains("eu-west-1"),
        "{m}"
    );
    let t2 = tok(2);
    assert_requirements(
        &v,
        &[
            (
                &format!("{t0} CNAME"),
                "no",
                "dkim.af-south-1.amazonses.com (region af-south-1)",
            ),
            (&format!("{t1} CNAME"), "no", "no CNAME (NXDOMAIN)"),
            (&format!("{t2} CNAME"), "yes", "rsa 2048-bit key"),
            (
                "mail.auth.example.com MX",
                "no",
                "feedback-smtp.us-east-1.amazonses.com",
            ),
            (
                "mail.auth.example.com TXT (SPF)",
                "no",
                "not in mail.auth.example.com's SPF record (v=spf1 -all)",
            ),
        ],
    );
    // Easy DKIM does not verify: SES signs as amazonses.com; the MAIL FROM is not used.
    assert_eq!(
        alignment(&v),
        json!({"from": "auth.example.com", "envelope": null, "dkim_d": "amazonses.com",
               "spf": ["cannot-tell", "no"], "dkim": ["no", "no"], "dmarc": "no"})
    );
}

#[test]
fn postmark_set_up_right() {
    let (code, v) = audit(
        "postmark-valid.json",
        "postmark-good",
        &["--selector", "20260101000000pm"],
    );
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["audit"]["connector"]["connector"], "postmark");
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-template-unsupported", "$.templates")])
    );
    assert_eq!(
        findings(&v, 1),
        pairs(&[("mta-sts-missing", "_mta-sts.auth.example.com")])
    );
    assert_requirements(
        &v,
        &[
            ("pm-bounces.auth.example.com CNAME", "yes", "→ pm.mtasv.net"),
            (
                "20260101000000pm._domainkey.auth.example.com TXT",
                "yes",
                "rsa 2048-bit key",
            ),
        ],
    );
    assert_eq!(
        alignment(&v),
        json!({"from": "auth.example.com", "envelope": "pm-bounces.auth.example.com",
               "dkim_d": "auth.example.com", "spf": ["yes", "yes"], "dkim": ["yes", "yes"],
               "dmarc": "yes"})
    );
}

#[test]
fn postmark_without_return_path_or_key() {
    let (code, v) = audit(
        "postmark-valid.json",
        "postmark-bad",
        &["--selector", "20260101000000pm"],
    );
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(
        findings(&v, 0),
        pairs(&[
            ("audit-dmarc-will-fail", "auth.example.com"),
            (
                "connector-provider-dkim-missing",
                "20260101000000pm._domainkey.auth.example.com"
            ),
            ("connector-return-path-not-aligned", "auth.example.com"),
            ("connector-template-unsupported", "$.templates"),
        ])
    );
    assert_eq!(
        findings(&v, 1),
        pairs(&[
            ("dkim-no-selector-found", "_domainkey.auth.example.com"),
            ("mta-sts-missing", "_mta-sts.auth.example.com"),
        ])
    );
    assert_requirements(
        &v,
        &[
            (
                "pm-bounces.auth.example.com CNAME",
                "no",
                "no CNAME (NXDOMAIN)",
            ),
            (
                "20260101000000pm._domainkey.auth.example.com TXT",
                "no",
                "no key (NXDOMAIN)",
            ),
        ],
    );
    assert_eq!(
        alignment(&v),
        json!({"from": "auth.example.com", "envelope": null, "dkim_d": "pm.mtasv.net",
               "spf": ["cannot-tell", "no"], "dkim": ["no", "no"], "dmarc": "no"})
    );
}

#[test]
fn aliyun_set_up_right_in_hangzhou() {
    let (code, v) = audit("aliyun-dm-valid.json", "aliyun-dm-good", &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["audit"]["connector"]["connector"], "aliyun-dm");
    assert_eq!(v["audit"]["connector"]["region"], "cn-hangzhou");
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-template-unsupported", "$.templates")])
    );
    assert_eq!(
        findings(&v, 1),
        pairs(&[("mta-sts-missing", "_mta-sts.auth.example.com")])
    );
    assert_requirements(
        &v,
        &[
            (
                "auth.example.com TXT (SPF)",
                "yes",
                "include:spf1.dm.aliyun.com",
            ),
            (
                "aliyun-cn-hangzhou._domainkey.auth.example.com TXT",
                "yes",
                "rsa 2048-bit key",
            ),
        ],
    );
    // DirectMail's envelope sender is not known (providers.md: unverified).
    assert_eq!(
        alignment(&v),
        json!({"from": "auth.example.com", "envelope": null, "dkim_d": "auth.example.com",
               "spf": ["yes", "cannot-tell"], "dkim": ["yes", "yes"], "dmarc": "yes"})
    );
}

#[test]
fn aliyun_domain_registered_in_another_region() {
    let (code, v) = audit("aliyun-dm-valid.json", "aliyun-dm-bad", &[]);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(
        findings(&v, 0),
        pairs(&[
            ("audit-dmarc-will-fail", "auth.example.com"),
            ("audit-provider-spf-missing", "auth.example.com"),
            ("connector-region-mismatch", "$.regionId"),
            ("connector-template-unsupported", "$.templates"),
        ])
    );
    let m = message(&v, "connector-region-mismatch", "$.regionId");
    assert!(
        m.contains("region ap-southeast-1") && m.contains("uses region cn-hangzhou"),
        "{m}"
    );
    let m = message(&v, "audit-provider-spf-missing", "auth.example.com");
    assert!(m.contains("spfdm-ap-southeast-1.aliyun.com"), "{m}");
    assert_requirements(
        &v,
        &[
            (
                "auth.example.com TXT (SPF)",
                "no",
                "include:spfdm-ap-southeast-1.aliyun.com",
            ),
            (
                "aliyun-cn-hangzhou._domainkey.auth.example.com TXT",
                "no",
                "no key (NXDOMAIN)",
            ),
        ],
    );
    assert_eq!(alignment(&v)["dmarc"], "no");
    assert_eq!(alignment(&v)["dkim"], json!(["no", "cannot-tell"]));
}

#[test]
fn connector_flags_are_checked() {
    let dir = TempDir::new("conn-flags");
    let bad_ca = dir.path().join("not-a-ca.pem");
    std::fs::write(&bad_ca, "not a certificate\n").unwrap();
    let http = fixture("http-email-valid.json");
    let out = run(&[
        "audit",
        "--config",
        &http,
        "--endpoint-ca",
        bad_ca.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--endpoint-ca"), "{}", stderr(&out));
    let sendgrid = fixture("sendgrid-valid.json");
    let out = run(&[
        "audit",
        "--config",
        &sendgrid,
        "--return-path",
        "not a domain",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--return-path: `not a domain`"),
        "{}",
        stderr(&out)
    );
    let out = run(&["audit", "--config", &sendgrid, "--selector", "bad selector"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--selector bad selector"),
        "{}",
        stderr(&out)
    );
    // Each flag only where it means something.
    let out = run(&["audit", "--config", &http, "--selector", "s1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the HTTP email connector has none"),
        "{}",
        stderr(&out)
    );
    let ca = common::pki::Ca::new("flags CA");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, &ca.pem).unwrap();
    let out = run(&[
        "audit",
        "--config",
        &sendgrid,
        "--endpoint-ca",
        ca_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is a sendgrid config"),
        "{}",
        stderr(&out)
    );
    // The SMTP connector has no use for them: an input error, not silently ignored.
    let smtp = format!("{}/fixtures/configs/valid.json", env!("CARGO_MANIFEST_DIR"));
    let out = run(&["audit", "--config", &smtp, "--selector", "s1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--selector is for Logto's API connectors"),
        "{}",
        stderr(&out)
    ); // --probe-endpoint calls the HTTP email connector's endpoint: nothing to call elsewhere.
    for config in [&smtp, &sendgrid] {
        let out = run(&["audit", "--config", config, "--probe-endpoint"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("--probe-endpoint is for"),
            "{}",
            stderr(&out)
        );
    }
}

// --- The HTTP email connector's probe, against real servers on loopback ---

const SECRET: &str = "Bearer s3cr3t-probe-token-never-printed";

/// A loopback HTTP(S) server: one request per connection, the answer chosen by path.
/// Requests that arrive (headers and body) are kept for the test to read.
struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

fn answer(path: &str) -> (Duration, String) {
    let ok = |status: &str, headers: &str, body: &str| {
        format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    match path {
        "/ok" => (Duration::ZERO, ok("200 OK", "", "queued: 1 message")),
        "/no-content" => (Duration::ZERO, ok("204 No Content", "", "")),
        "/fail" => (
            Duration::ZERO,
            ok("500 Internal Server Error", "", "mail service down"),
        ),
        "/moved" => (
            Duration::ZERO,
            ok(
                "302 Found",
                "Location: https://elsewhere.example/send\r\n",
                "",
            ),
        ),
        _ => (Duration::from_secs(3), ok("200 OK", "", "late")),
    }
}

fn read_request(s: &mut impl Read) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(i) = text.find("\r\n\r\n") {
            let len: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= i + 4 + len {
                return Some(text);
            }
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
}

fn serve(stream: &mut (impl Read + Write), requests: &Mutex<Vec<String>>) {
    let Some(req) = read_request(stream) else {
        return;
    };
    let path = req.split(' ').nth(1).unwrap_or("/").to_string();
    requests.lock().unwrap().push(req);
    let (delay, reply) = answer(&path);
    std::thread::sleep(delay);
    let _ = stream.write_all(reply.as_bytes());
    let _ = stream.flush();
}

impl Server {
    fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let kept = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut tcp) = conn else { break };
                let (tls, kept) = (tls.clone(), kept.clone());
                std::thread::spawn(move || {
                    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                    match tls {
                        None => serve(&mut tcp, &kept),
                        Some(cfg) => {
                            let conn = rustls::ServerConnection::new(cfg).unwrap();
                            let mut s = rustls::StreamOwned::new(conn, tcp);
                            serve(&mut s, &kept);
                            s.conn.send_close_notify();
                            let _ = s.flush();
                        }
                    }
                });
            }
        });
        Server { port, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn http_config(dir: &Path, endpoint: &str) -> String {
    let path = dir.join("http-email.json");
    let config = json!({ "endpoint": endpoint, "authorization": SECRET });
    std::fs::write(&path, config.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

/// `audit --config … --probe-endpoint --to probe@example.org`, in JSON and as a table.
fn probe(config: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let root = fixture("world/root.zone");
    let mut args = vec![
        "audit",
        "--config",
        config,
        "--probe-endpoint",
        "--to",
        "probe@example.org",
        "--offline",
        "--zone",
        &root,
    ];
    args.extend_from_slice(extra);
    let json_out = run(&[args.as_slice(), &["--format", "json"]].concat());
    let table = run(&[args.as_slice(), &["--color", "never"]].concat());
    let all = format!(
        "{}{}{}{}",
        stdout(&json_out),
        stderr(&json_out),
        stdout(&table),
        stderr(&table)
    );
    assert!(
        !all.contains("s3cr3t"),
        "the authorization value leaked:\n{all}"
    );
    assert_eq!(json_out.status.code(), table.status.code());
    let v: Value =
        serde_json::from_slice(&json_out.stdout).unwrap_or_else(|e| panic!("{e}: {all}"));
    (json_out.status.code(), v, stdout(&table))
}

fn http_facts(v: &Value) -> &Value {
    &v["audit"]["connector"]["http_probe"]
}

#[test]
fn http_probe_statuses() {
    let server = Server::start(None);
    let dir = TempDir::new("http-probe");
    let url = |p: &str| format!("http://127.0.0.1:{}{p}", server.port);

    // 200: no finding, exit 0; the payload Logto sends, with the authorization header.
    let (code, v, table) = probe(&http_config(dir.path(), &url("/ok")), &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(findings(&v, 0), pairs(&[]));
    let f = http_facts(&v);
    assert_eq!(f["status"], 200);
    assert_eq!(f["reason"], "OK");
    assert_eq!(f["body_start"], "queued: 1 message");
    assert_eq!(f["endpoint"], url("/ok"));
    assert_eq!(f["address"], format!("127.0.0.1:{}", server.port));
    assert!(f["latency_ms"].as_f64().unwrap() > 0.0, "{f}");
    assert_eq!(f["payload"]["to"], "probe@example.org");
    assert_eq!(f["payload"]["type"], "SignIn");
    let code_sent = f["payload"]["payload"]["code"].as_str().unwrap();
    assert!(code_sent.len() == 6 && code_sent.bytes().all(|b| b.is_ascii_digit()));
    assert!(f.get("tls_version").is_none() && f.get("certificate").is_none());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "one request per run (json and table)");
    assert!(reqs[0].starts_with("POST /ok HTTP/1.1\r\n"), "{}", reqs[0]);
    assert!(reqs[0].contains(&format!("Authorization: {SECRET}\r\n")));
    let body: Value = serde_json::from_str(reqs[0].split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body, f["payload"]);
    assert!(table.contains("HTTP probe: POST"), "{table}");
    assert!(table.contains("200 OK"), "{table}");

    // 204: accepted by Logto, but the docs ask for 200.
    let (code, v, _) = probe(&http_config(dir.path(), &url("/no-content")), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-http-not-200", "http-email connector")])
    );
    assert_eq!(http_facts(&v)["status"], 204);
    assert!(http_facts(&v).get("body_start").is_none());

    // 500: the send fails; the body is Logto's error text.
    let (code, v, _) = probe(&http_config(dir.path(), &url("/fail")), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-http-status", "http-email connector")])
    );
    assert_eq!(http_facts(&v)["status"], 500);
    assert_eq!(http_facts(&v)["body_start"], "mail service down");
    let m = message(&v, "connector-http-status", "http-email connector");
    assert!(m.contains("answered 500 Internal Server Error"), "{m}");

    // A redirect: reported, never followed.
    let (code, v, _) = probe(&http_config(dir.path(), &url("/moved")), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-http-redirect", "http-email connector")])
    );
    assert_eq!(http_facts(&v)["location"], "https://elsewhere.example/send");
    let m = message(&v, "connector-http-redirect", "http-email connector");
    assert!(m.contains("302") && m.contains("(not followed)"), "{m}");

    // Too slow: the whole exchange is under --endpoint-timeout.
    let (code, v, _) = probe(
        &http_config(dir.path(), &url("/slow")),
        &["--endpoint-timeout", "300ms"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-http-unreachable", "http-email connector")])
    );
    let f = http_facts(&v);
    assert!(f.get("status").is_none(), "{f}");
    assert_eq!(f["error"], "no complete answer within 300 ms");
    let ms = f["latency_ms"].as_f64().unwrap();
    assert!((300.0..2500.0).contains(&ms), "{ms}");

    // Without --probe-endpoint nothing is called.
    let before = server.requests().len();
    let out = run(&[
        "audit",
        "--config",
        &http_config(dir.path(), &url("/ok")),
        "--offline",
        "--zone",
        &fixture("world/root.zone"),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-http-not-probed", "http-email connector")])
    );
    assert_eq!(server.requests().len(), before);
}

fn tls_server_config(cert: &common::pki::ServerCert) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert.pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(&cert.key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    )
}

#[test]
fn https_probe_trusts_only_the_given_ca() {
    let dir = TempDir::new("https-probe");
    let ca = common::pki::Ca::new("mailpreflight test CA");
    let leaf = ca.issue(common::pki::Kind::Valid, dir.path(), "endpoint");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, &ca.pem).unwrap();
    let server = Server::start(Some(tls_server_config(&leaf)));
    let config = http_config(dir.path(), &format!("https://127.0.0.1:{}/ok", server.port));

    // The private CA given: verified, the exchange completes, TLS facts reported.
    let (code, v, table) = probe(&config, &["--endpoint-ca", ca_path.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(findings(&v, 0), pairs(&[]));
    let f = http_facts(&v);
    assert_eq!(f["status"], 200);
    assert_eq!(f["body_start"], "queued: 1 message");
    assert_eq!(f["certificate"]["kind"], "trusted");
    assert!(
        f["tls_version"].as_str().unwrap().starts_with("TLSv1_"),
        "{f}"
    );
    assert!(
        f["tls_cipher"].as_str().is_some_and(|c| !c.is_empty()),
        "{f}"
    );
    assert!(table.contains("TLSv1_"), "{table}");
    assert_documented(&v);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].contains(&format!("Authorization: {SECRET}\r\n")));

    // The public roots (no --endpoint-ca): Node would refuse the certificate, so the probe
    // stops after the handshake and sends nothing, not even the authorization header.
    let (code, v, _) = probe(&config, &[]);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(
        findings(&v, 0),
        pairs(&[("connector-http-unreachable", "http-email connector")])
    );
    let f = http_facts(&v);
    assert_eq!(f["certificate"]["kind"], "untrusted-issuer");
    assert!(f.get("status").is_none(), "{f}");
    let m = message(&v, "connector-http-unreachable", "http-email connector");
    assert!(
        m.contains("fails verification against the public roots Node trusts")
            && m.contains("unable to verify the first certificate")
            && m.contains("nothing was sent"),
        "{m}"
    );
    let fix = v["targets"][0]["findings"][0]["remediation"]
        .as_str()
        .unwrap();
    assert!(fix.contains("--endpoint-ca"), "{fix}");
    assert_eq!(
        server.requests().len(),
        2,
        "nothing sent over the untrusted connection"
    );

    // Another CA given instead: refused against that CA alone.
    let other = common::pki::Ca::new("some other CA");
    let other_path = dir.path().join("other.pem");
    std::fs::write(&other_path, &other.pem).unwrap();
    let (code, v, _) = probe(&config, &["--endpoint-ca", other_path.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    let m = message(&v, "connector-http-unreachable", "http-email connector");
    assert!(m.contains("the CAs given with --endpoint-ca"), "{m}");
    assert_eq!(server.requests().len(), 2);
}

/// Every connector code is raised by one of these audits and absent from another (or the
/// reason it is not is listed), as tests/scenarios.rs demands of the DNS codes.
#[test]
fn every_connector_code_is_raised_and_absent_somewhere() {
    use mailpreflight::connectors::codes::ALL;
    // Raised only against a live endpoint: covered by http_probe_statuses and
    // https_probe_trusts_only_the_given_ca above.
    let probe_codes = [
        "connector-http-unreachable",
        "connector-http-status",
        "connector-http-not-200",
        "connector-http-redirect",
    ];
    let mut raised = BTreeSet::new();
    let mut absent = BTreeSet::new();
    let mut record = |v: &Value| {
        let here: BTreeSet<String> = v["targets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["findings"].as_array().unwrap().clone())
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        for c in ALL {
            if here.contains(c.id) {
                raised.insert(c.id.to_string());
            } else {
                absent.insert(c.id.to_string());
            }
        }
    };
    let ses = ses_hints();
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("sendgrid-valid.json", "sendgrid-good", vec![]),
        ("sendgrid-broken.json", "sendgrid-good", vec!["--online"]),
        (
            "mailgun-broken.json",
            "mailgun-bad",
            vec!["--selector", "pic"],
        ),
        ("aws-ses-valid.json", "aws-ses-good", ses.clone()),
        ("aws-ses-broken.json", "aws-ses-bad", ses),
        ("postmark-broken.json", "postmark-bad", vec![]),
        ("aliyun-dm-broken.json", "aliyun-dm-bad", vec![]),
    ];
    for (config, zone, extra) in &cases {
        record(&audit(config, zone, extra).1);
    }
    let dir = TempDir::new("coverage");
    for endpoint in ["http://mail.example.net/send", "mail.example.net/send"] {
        let out = run(&[
            "audit",
            "--config",
            &http_config(dir.path(), endpoint),
            "--offline",
            "--zone",
            &fixture("world/root.zone"),
            "--format",
            "json",
        ]);
        record(&serde_json::from_slice(&out.stdout).unwrap());
    }
    let mut gaps = Vec::new();
    for c in ALL {
        if !raised.contains(c.id) && !probe_codes.contains(&c.id) {
            gaps.push(format!("{}: no audit here raises it", c.id));
        }
        if !absent.contains(c.id) {
            gaps.push(format!("{}: no audit here is free of it", c.id));
        }
    }
    assert!(gaps.is_empty(), "{gaps:#?}");
}

/// The table and Markdown reports show the provider's records (record, expected, found,
/// status) up front, and no mailbox-provider heading for an API connector.
#[test]
fn table_and_markdown_show_the_requirements() {
    let (config, world, zone) = (
        fixture("sendgrid-valid.json"),
        fixture("world"),
        fixture("zones/sendgrid-bad.zone"),
    );
    for (format, snapshot, row) in [
        (
            "table",
            "connector_table.txt",
            "│ s1._domainkey.auth.example. ┆ CNAME s1.domainkey.uNNNN.wl ┆ no CNAME (NXDOMAIN)         ┆ no     │",
        ),
        (
            "markdown",
            "connector_markdown.txt",
            "| s1.\\_domainkey.auth.example.com CNAME | CNAME s1.domainkey.uNNNN.wlNNN.sendgrid.net | no CNAME (NXDOMAIN) | no |",
        ),
    ] {
        let out = run(&[
            "audit",
            "--config",
            &config,
            "--offline",
            "--zone",
            &world,
            "--zone",
            &zone,
            "--return-path",
            "em1234.auth.example.com",
            "--format",
            format,
            "--color",
            "never",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("DNS records sendgrid needs"), "{text}");
        assert!(text.contains(row), "{format}: no row {row:?} in\n{text}");
        assert!(!text.contains("Mailbox providers"), "{text}");
        common::snapshot::assert_snapshot(snapshot, &text);
    }
}
