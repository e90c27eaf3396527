//! Every reporter, on a report built by hand: structural checks per format, plus golden
//! files in tests/snapshots/render_<format>.txt (`UPDATE_SNAPSHOTS=1` rewrites them).
//!
//! Facts structs are built with `..Default::default()` even where every field is given:
//! the checks may add fields, and these tests must keep compiling when they do.
#![allow(clippy::needless_update)]

mod common;

use mailpreflight::dkim::{DkimFacts, DkimKeyFact};
use mailpreflight::dmarc::DmarcFacts;
use mailpreflight::dns::{Answer, DnsStats, LoggedQuery, Outcome, RType, Rdata, Source};
use mailpreflight::mx::{MxFacts, MxHost};
use mailpreflight::policy_records::PolicyRecordFacts;
use mailpreflight::report::render::{Format, RenderOptions, render, render_jsonl_line};
use mailpreflight::report::{
    Area, CodeInfo, DomainFacts, DomainReport, Evidence, Finding, Report, Severity, Summary,
};
use mailpreflight::spf::{SpfCost, SpfFacts, SpfNode, SpfVerdict};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

// Test-only codes, so that codes added to the catalogue by the checks do not change
// what these tests render.
static SPF_LOOKUPS: CodeInfo = CodeInfo {
    id: "spf-example-lookups",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "The SPF record needs more than 10 DNS lookups.",
    remediation: "Remove or flatten includes.",
    reference: "RFC 7208 4.6.4",
    contexts: &[],
};
static DMARC_NONE: CodeInfo = CodeInfo {
    id: "dmarc-example-policy-none",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "The DMARC policy is p=none.",
    remediation: "Move to p=quarantine, then p=reject.",
    reference: "RFC 7489 6.3",
    contexts: &[],
};
static DKIM_TESTING: CodeInfo = CodeInfo {
    id: "dkim-example-testing",
    area: Area::Dkim,
    default_severity: Severity::Note,
    summary: "A DKIM key is in testing mode.",
    remediation: "Remove t=y once signing works.",
    reference: "RFC 6376 3.6.1",
    contexts: &[],
};
static MX_MISSING: CodeInfo = CodeInfo {
    id: "mx-example-missing",
    area: Area::Mx,
    default_severity: Severity::Warning,
    summary: "The domain has no MX record.",
    remediation: "Publish an MX, or a null MX.",
    reference: "RFC 5321 5.1",
    contexts: &[],
};

fn node(via: &str, domain: &str, own: u32, total: u32, children: Vec<SpfNode>) -> SpfNode {
    SpfNode {
        domain: domain.into(),
        via: via.into(),
        record: Some(format!("v=spf1 … {domain}")),
        problem: None,
        own_lookups: own,
        total_lookups: total,
        children,
        ..Default::default()
    }
}

fn query(
    name: &str,
    rtype: RType,
    outcome: Outcome,
    records: Vec<Rdata>,
    source: Source,
) -> LoggedQuery {
    LoggedQuery {
        answer: Arc::new(Answer {
            name: name.into(),
            rtype,
            outcome,
            records,
            cnames: Vec::new(),
            source,
            elapsed: Duration::from_micros(1250),
        }),
        cached: false,
    }
}

fn txt(s: &str) -> Rdata {
    Rdata::Txt {
        strings: vec![s.as_bytes().to_vec()],
    }
}

const ZONE_FILE: &str = "fixtures/zones/example.com.zone";
const SPF_RECORD: &str = "v=spf1 a mx include:_spf.google.com include:mail.zendesk.com ~all";

/// A domain with findings of every severity (one allowed), hostile characters in
/// messages, and every kind of fact; then a clean domain.
fn report() -> Report {
    let tree = node(
        "root",
        "example.com",
        4,
        12,
        vec![
            node(
                "include:_spf.google.com",
                "_spf.google.com",
                3,
                6,
                vec![
                    node(
                        "include:_netblocks.google.com",
                        "_netblocks.google.com",
                        0,
                        0,
                        vec![],
                    ),
                    node(
                        "include:_netblocks2.google.com",
                        "_netblocks2.google.com",
                        0,
                        0,
                        vec![],
                    ),
                    node(
                        "include:_netblocks3.google.com",
                        "_netblocks3.google.com",
                        0,
                        0,
                        vec![],
                    ),
                ],
            ),
            node(
                "include:mail.zendesk.com",
                "mail.zendesk.com",
                1,
                2,
                vec![SpfNode {
                    problem: Some("NXDOMAIN".into()),
                    record: None,
                    ..node("include:gone.zendesk.com", "gone.zendesk.com", 0, 0, vec![])
                }],
            ),
        ],
    );
    let spf = SpfFacts {
        record: Some(SPF_RECORD.into()),
        tree: Some(tree),
        lookups: 12,
        lookup_limit: 10,
        headroom: -2,
        void_lookups: 1,
        costliest: Some(SpfCost {
            term: "include:_spf.google.com".into(),
            lookups: 7,
            ..Default::default()
        }),
        verdict: Some(SpfVerdict {
            ip: "192.0.2.10".into(),
            identity: "mail-from".into(),
            domain: "example.com".into(),
            sender: "postmaster@example.com".into(),
            helo: "example.com".into(),
            result: "permerror".into(),
            decided_by: Some("too many DNS lookups".into()),
            explanation: None,
            ..Default::default()
        }),
        ..Default::default()
    };
    let dkim = DkimFacts {
        selectors_checked: vec!["google".into(), "s1".into(), "default".into()],
        keys: vec![
            DkimKeyFact {
                selector: "google".into(),
                name: "google._domainkey.example.com".into(),
                key_type: "rsa".into(),
                bits: Some(2048),
                ..Default::default()
            },
            DkimKeyFact {
                selector: "s1".into(),
                name: "s1._domainkey.example.com".into(),
                cnames: vec!["s1.domainkey.u123.wl.sendgrid.net".into()],
                key_type: "ed25519".into(),
                bits: Some(256),
                testing: true,
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let dmarc = DmarcFacts {
        record_name: Some("_dmarc.example.com".into()),
        record: Some("v=DMARC1; p=none; rua=mailto:dmarc@example.com".into()),
        policy: Some("none".into()),
        subdomain_policy: None,
        nonexistent_policy: None,
        adkim: Some("r".into()),
        aspf: Some("r".into()),
        pct: Some(100),
        testing: None,
        rua: vec!["mailto:dmarc@example.com".into()],
        ruf: vec![],
        org_domain_psl: Some("example.com".into()),
        policy_domain_7489: Some("example.com".into()),
        policy_domain_9989: Some("example.com".into()),
        ..Default::default()
    };
    let mx = MxFacts {
        hosts: vec![
            MxHost {
                preference: 10,
                exchange: "mx1.example.com".into(),
                addresses: vec![
                    "192.0.2.25".parse().unwrap(),
                    "2001:db8::25".parse().unwrap(),
                ],
                ..Default::default()
            },
            MxHost {
                preference: 20,
                exchange: "mx2.example.com".into(),
                addresses: vec![],
                ..Default::default()
            },
        ],
        null_mx: false,
        ..Default::default()
    };
    let findings = vec![
        Finding::new(
            &SPF_LOOKUPS,
            "example.com",
            "The SPF record needs 12 DNS lookups; the limit is 10 | receivers return permerror",
        )
        .remediation("Drop include:mail.zendesk.com (2 lookups) or flatten _spf.google.com (7).")
        .evidence(Evidence::Record {
            name: "example.com".into(),
            text: SPF_RECORD.into(),
            span: Some((12, 35)),
        }),
        Finding::new(
            &DMARC_NONE,
            "_dmarc.example.com",
            "p=none: <spoofed> mail is still delivered & reported",
        )
        .evidence(Evidence::DnsAnswer {
            name: "_dmarc.example.com".into(),
            rtype: "TXT".into(),
            outcome: "NOERROR".into(),
            data: vec!["\"v=DMARC1; p=none; rua=mailto:dmarc@example.com\"".into()],
        }),
        Finding::new(
            &DKIM_TESTING,
            "s1._domainkey.example.com",
            "Key s1 has t=y; a hostile TXT said \u{1b}[31mred\u{1b}[0m",
        ),
        Finding {
            severity: Severity::Note,
            allowed: true,
            ..Finding::new(
                &MX_MISSING,
                "mx2.example.com",
                "mx2.example.com has no address",
            )
            .evidence(Evidence::Chain {
                names: vec!["example.com".into(), "mx2.example.com".into()],
            })
        },
    ];
    let first = DomainReport {
        domain: "example.com".into(),
        worst: Some(Severity::Error),
        findings,
        facts: DomainFacts {
            spf: Some(spf),
            dkim: Some(dkim),
            dmarc: Some(dmarc),
            mx: Some(mx),
            mta_sts: Some(PolicyRecordFacts {
                name: "_mta-sts.example.com".into(),
                record: Some("v=STSv1; id=20240101".into()),
                tags: vec![
                    ("v".into(), "STSv1".into()),
                    ("id".into(), "20240101".into()),
                ],
                ..Default::default()
            }),
            tls_rpt: Some(PolicyRecordFacts {
                name: "_smtp._tls.example.com".into(),
                record: None,
                tags: vec![],
                ..Default::default()
            }),
            bimi: None,
            ..Default::default()
        },
        queries: vec![
            query(
                "example.com",
                RType::TXT,
                Outcome::Records,
                vec![txt(SPF_RECORD)],
                Source::Zone {
                    file: ZONE_FILE.into(),
                },
            ),
            query(
                "_dmarc.example.com",
                RType::TXT,
                Outcome::Records,
                vec![txt("v=DMARC1; p=none; rua=mailto:dmarc@example.com")],
                Source::Zone {
                    file: ZONE_FILE.into(),
                },
            ),
            LoggedQuery {
                cached: true,
                ..query(
                    "gone.zendesk.com",
                    RType::TXT,
                    Outcome::NxDomain,
                    vec![],
                    Source::Network,
                )
            },
            query(
                "mx2.example.com",
                RType::A,
                Outcome::ServerFailure {
                    rcode: "SERVFAIL".into(),
                },
                vec![],
                Source::Network,
            ),
        ],
        elapsed_ms: 42.0,
        baseline: None,
    };
    let clean = DomainReport {
        domain: "clean.example".into(),
        worst: None,
        findings: vec![],
        facts: DomainFacts {
            spf: Some(SpfFacts {
                record: Some("v=spf1 -all".into()),
                tree: Some(node("root", "clean.example", 0, 0, vec![])),
                lookups: 0,
                lookup_limit: 10,
                headroom: 10,
                ..Default::default()
            }),
            mx: Some(MxFacts {
                hosts: vec![MxHost {
                    preference: 0,
                    exchange: String::new(),
                    addresses: vec![],
                    ..Default::default()
                }],
                null_mx: true,
                ..Default::default()
            }),
            ..Default::default()
        },
        queries: vec![],
        elapsed_ms: 3.0,
        baseline: None,
    };
    let mut report = Report::new("dns", "error");
    report.tool_version = "0.0.0-test";
    report.summary = Summary {
        domains: 2,
        errors: 1,
        warnings: 1,
        notes: 2,
        failed: true,
        ..Default::default()
    };
    report.targets = vec![first, clean];
    report.dns = DnsStats {
        lookups: 5,
        upstream: 4,
        cache_hits: 1,
        duplicates: 0,
        sent: 4,
        retransmissions: 0,
        lost: 0,
        late: 0,
    };
    report.elapsed_ms = 45.0;
    report
}

fn plain() -> RenderOptions {
    RenderOptions {
        color: false,
        verbose: false,
        width: Some(100),
    }
}

fn text(format: Format, opts: &RenderOptions) -> String {
    String::from_utf8(render(format, &report(), opts)).expect("utf-8 output")
}

fn assert_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}: run with UPDATE_SNAPSHOTS=1", path.display()));
    assert!(
        expected == actual,
        "snapshot {} differs (UPDATE_SNAPSHOTS=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

// ---- table ----

#[test]
fn table_shows_findings_tree_headroom_and_summary() {
    let out = text(Format::Table, &plain());
    for expected in [
        "example.com — 1 error, 1 warning, 2 notes — FAIL",
        "clean.example — 0 errors, 0 warnings, 0 notes — ok",
        "example.com (12 lookups: 2 here, 10 below)",
        // The same count as the costliest line below (7): the include term and what it pulls in.
        "├─ include:_spf.google.com (7 lookups: 4 here, 3 below)",
        "│  ├─ include:_netblocks.google.com (1 lookup)",
        "│  └─ include:_netblocks3.google.com (1 lookup)",
        "└─ include:mail.zendesk.com (3 lookups: 2 here, 1 below)",
        "   └─ include:gone.zendesk.com (1 lookup) [NXDOMAIN]",
        "12/10 lookups, headroom -2 (over the limit: permerror); costliest: include:_spf.google.com (7); void lookups 1/2",
        "verdict for 192.0.2.10 with MAIL FROM <postmaster@example.com> (HELO example.com): permerror (decided by too many DNS lookups)",
        "google._domainkey.example.com: rsa 2048 bits",
        "s1._domainkey.example.com: ed25519 256 bits, testing (t=y), via CNAME s1.domainkey.u123.wl.sendgrid.net",
        "policy: p=none adkim=r aspf=r pct=100",
        "policy domain: example.com (RFC 7489 and RFC 9989 agree)",
        "10 mx1.example.com (192.0.2.25, 2001:db8::25)",
        "null MX (0 .): the domain accepts no mail",
        "_smtp._tls.example.com",
        "(allowed)",
        "2 domains: 1 error, 1 warning, 2 notes — FAIL (--fail-on error)",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    // The error's specific remediation is shown; a note's is not without -v.
    assert!(out.contains("Drop include:mail.zendesk.com"));
    assert!(!out.contains("Remove t=y"));
    assert!(!out.contains("DNS queries"));
}

#[test]
fn table_without_color_has_no_escape_codes_even_from_hostile_data() {
    for verbose in [false, true] {
        let out = text(Format::Table, &RenderOptions { verbose, ..plain() });
        assert!(!out.contains('\u{1b}'), "escape code in\n{out}");
        assert!(
            out.contains("\\u{1b}[31mred"),
            "hostile ESC not shown escaped"
        );
    }
}

#[test]
fn table_with_color_paints_severities_and_verdicts() {
    let out = text(
        Format::Table,
        &RenderOptions {
            color: true,
            ..plain()
        },
    );
    assert!(out.contains("\x1b[31merror\x1b[0m"), "{out}");
    assert!(out.contains("\x1b[33mwarning\x1b[0m"));
    assert!(out.contains("\x1b[36mnote\x1b[0m"));
    assert!(out.contains("\x1b[31mFAIL\x1b[0m"));
    // Colour does not change the layout: strip the codes and get the plain output.
    assert_eq!(strip_ansi(&out), text(Format::Table, &plain()));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn table_fits_the_width() {
    for width in [80u16, 100, 120] {
        let out = text(
            Format::Table,
            &RenderOptions {
                width: Some(width),
                ..plain()
            },
        );
        for line in out
            .lines()
            .filter(|l| l.starts_with(['│', '╞', '├', '┌', '└']))
        {
            assert!(
                line.chars().count() <= width as usize,
                "{} > {width}: {line}",
                line.chars().count()
            );
        }
    }
}

#[test]
fn verbose_table_adds_query_log_evidence_and_note_details() {
    let out = text(
        Format::Table,
        &RenderOptions {
            verbose: true,
            ..plain()
        },
    );
    for expected in [
        "DNS queries (4, 42 ms)",
        "gone.zendesk.com",
        "NXDOMAIN",
        "SERVFAIL",
        "zone fixtures/zones/example.com.zone",
        "1.3",
        "Remove t=y",
        "chain: example.com → mx2.example.com",
        "dns: 5 lookups, 4 upstream, 1 from cache; 45 ms",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
}

#[test]
fn table_snapshot() {
    assert_snapshot("render_table.txt", &text(Format::Table, &plain()));
    let verbose = RenderOptions {
        verbose: true,
        ..plain()
    };
    assert_snapshot("render_table_verbose.txt", &text(Format::Table, &verbose));
}

// ---- json / jsonl ----

#[test]
fn json_round_trips_with_schema_version() {
    let out = text(Format::Json, &plain());
    let value: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["summary"]["failed"], true);
    let targets = value["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    let first = &targets[0];
    assert_eq!(first["findings"][0]["code"], "spf-example-lookups");
    assert_eq!(first["findings"][0]["severity"], "error");
    assert_eq!(first["findings"][3]["allowed"], true);
    assert_eq!(
        first["facts"]["spf"]["tree"]["children"][0]["children"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(first["queries"][0]["source"]["zone"]["file"], ZONE_FILE);
    assert!(out.ends_with("}\n"));
    assert_snapshot("render_json.txt", &out);
}

#[test]
fn jsonl_is_one_valid_line_per_domain() {
    let out = text(Format::Jsonl, &plain());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(out.ends_with('\n'));
    let whole: Value = serde_json::from_str(&text(Format::Json, &plain())).unwrap();
    for (i, line) in lines.iter().enumerate() {
        let mut value: Value = serde_json::from_str(line).expect("valid JSON line");
        assert_eq!(value["schema_version"], 1);
        // Apart from the version, a line is exactly an element of `targets`.
        value.as_object_mut().unwrap().remove("schema_version");
        assert_eq!(value, whole["targets"][i]);
    }
    let report = report();
    let single = render_jsonl_line(&report.targets[1]);
    assert_eq!(single.iter().filter(|&&b| b == b'\n').count(), 1);
    assert_eq!(
        String::from_utf8(single).unwrap(),
        format!("{}\n", lines[1])
    );
    assert_snapshot("render_jsonl.txt", &out);
}

// ---- markdown ----

#[test]
fn markdown_escapes_values_and_keeps_the_table_intact() {
    let out = text(Format::Markdown, &plain());
    assert!(out.contains("limit is 10 \\| receivers"), "{out}");
    assert!(out.contains("\\<spoofed\\> mail is still delivered \\& reported"));
    assert!(!out.contains('\u{1b}'));
    // Every findings-table row has exactly the 6 unescaped pipes of 5 columns.
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| name"))
        .collect();
    assert_eq!(rows.len(), 1 + 4, "{out}");
    for row in rows {
        let unescaped = row
            .char_indices()
            .filter(|&(i, c)| c == '|' && (i == 0 || row.as_bytes()[i - 1] != b'\\'))
            .count();
        assert_eq!(unescaped, 6, "{row}");
    }
    assert!(out.contains(
        "```text\nexample.com (12 lookups: 2 here, 10 below)\n├─ include:_spf.google.com"
    ));
    assert!(out.contains("## clean.example — ok"));
    assert!(out.contains("No findings."));
    assert_snapshot("render_markdown.txt", &out);
}

// ---- sarif ----

#[test]
fn sarif_is_structurally_valid() {
    let out = text(Format::Sarif, &plain());
    let log: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "mailpreflight");
    assert_eq!(driver["version"], "0.0.0-test");
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for code in mailpreflight::report::catalogue::all() {
        assert!(
            ids.contains(&code.id),
            "catalogue code {} has no rule",
            code.id
        );
    }
    for rule in rules {
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        assert!(!rule["properties"]["tags"][0].as_str().unwrap().is_empty());
    }
    let results = runs[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for result in results {
        let rule_id = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], rule_id);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let logical = &result["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["kind"], "resource");
        assert!(logical["fullyQualifiedName"].is_string());
    }
    let by_rule = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    let spf = by_rule("spf-example-lookups");
    assert_eq!(spf["level"], "error");
    assert_eq!(
        spf["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "example.com"
    );
    let artifact = &spf["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], ZONE_FILE);
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    assert!(artifact.get("region").is_none());
    assert!(
        spf["message"]["text"]
            .as_str()
            .unwrap()
            .contains("Fix: Drop include")
    );
    // No lookup of the subject came from a zone file: no file to point at.
    let dkim = by_rule("dkim-example-testing");
    assert!(dkim["locations"][0].get("physicalLocation").is_none());
    // The subject was asked on the network, but the evidence chain starts at a name
    // the zone file answered (the MX record that names it lives there).
    let mx = by_rule("mx-example-missing");
    assert_eq!(
        mx["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ZONE_FILE
    );
    assert_eq!(mx["level"], "note");
    assert_eq!(mx["suppressions"][0]["kind"], "external");
    assert_eq!(by_rule("dmarc-example-policy-none")["level"], "warning");
}

/// The snapshot keeps only the rules the results use (the catalogue grows as checks
/// are added; the full rule list is checked above), and drops `ruleIndex` with them.
#[test]
fn sarif_snapshot() {
    let out = text(Format::Sarif, &plain());
    let mut log: Value = serde_json::from_str(&out).unwrap();
    let run = &mut log["runs"][0];
    let used: Vec<Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].clone())
        .collect();
    run["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap()
        .retain(|rule| used.contains(&rule["id"]));
    for result in run["results"].as_array_mut().unwrap() {
        result.as_object_mut().unwrap().remove("ruleIndex");
    }
    assert_snapshot(
        "render_sarif.txt",
        &format!("{}\n", serde_json::to_string_pretty(&log).unwrap()),
    );
}

// ---- junit ----

#[test]
fn junit_is_well_formed_and_counts_failures() {
    let out = text(Format::Junit, &plain());
    check_xml(&out);
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    assert!(out.contains(
        "<testsuites name=\"mailpreflight dns\" tests=\"5\" failures=\"2\" errors=\"0\">"
    ));
    assert!(out.contains("<testsuite name=\"example.com\" tests=\"4\" failures=\"2\""));
    assert!(out.contains("<testcase name=\"no findings\" classname=\"clean.example\"/>"));
    assert!(out.contains("<failure type=\"error\" message=\"The SPF record needs 12 DNS lookups"));
    assert!(out.contains("&lt;spoofed&gt; mail is still delivered &amp; reported"));
    // The hostile ESC cannot appear in XML 1.0 at all.
    assert!(!out.contains('\u{1b}'));
    assert!(out.contains("\u{fffd}[31mred"));
    // Notes pass, with their text kept.
    assert!(out.contains("<system-out>note: s1._domainkey.example.com: Key s1 has t=y"));
    assert_snapshot("render_junit.txt", &out);
}

/// A small well-formedness check: tags balance, attribute values are quoted, text and
/// attributes contain no raw `<` and only known entities, no characters XML 1.0 forbids.
fn check_xml(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("XML declaration");
    for c in body.chars() {
        assert!(
            !c.is_control()
                || matches!(c, '\t' | '\n' | '\r')
                || ('\u{80}'..='\u{9f}').contains(&c),
            "forbidden character {c:?}"
        );
    }
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("unterminated tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "bad tag name {name:?}"
        );
        while !attrs.trim().is_empty() {
            let (key, after) = attrs
                .trim_start()
                .split_once("=\"")
                .expect("quoted attribute");
            assert!(
                key.chars().all(|c| c.is_ascii_alphanumeric()),
                "bad attribute {key:?}"
            );
            let end = after.find('"').expect("closing quote");
            check_text(&after[..end]);
            attrs = &after[end + 1..];
        }
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

fn check_text(text: &str) {
    assert!(!text.contains('<'), "raw < in {text:?}");
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let end = rest[amp..].find(';').expect("unterminated entity") + amp;
        let entity = &rest[amp + 1..end];
        assert!(
            ["lt", "gt", "amp", "quot", "apos"].contains(&entity)
                || entity
                    .strip_prefix('#')
                    .is_some_and(|n| n.parse::<u32>().is_ok()),
            "unknown entity &{entity};"
        );
        rest = &rest[end + 1..];
    }
}

#[test]
fn the_xml_checker_rejects_broken_documents() {
    let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    for bad in [
        "<a><b></a></b>",
        "<a>x & y</a>",
        "<a name=\"x\"y\"></a>",
        "<a>\u{1b}</a>",
        "<a>",
    ] {
        let doc = format!("{decl}{bad}");
        assert!(
            std::panic::catch_unwind(|| check_xml(&doc)).is_err(),
            "accepted {bad:?}"
        );
    }
    check_xml(&format!("{decl}<a k=\"&lt;&#10;\"><b/>t &amp; u</a>"));
}

// ---- docs/json-schema.md ----

/// Every field name the JSON output uses is documented, and the example parses.
#[test]
fn json_schema_doc_covers_every_field() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/json-schema.md"),
    )
    .unwrap();
    let mut all = std::collections::BTreeSet::new();
    common::json_keys(
        &serde_json::from_str(&text(Format::Json, &plain())).unwrap(),
        &mut all,
    );
    let undocumented: Vec<_> = all
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("\"{k}\"")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "fields missing from docs/json-schema.md: {undocumented:?}"
    );
    let example = doc
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a json example");
    let example: Value = serde_json::from_str(example).expect("the example is valid JSON");
    assert_eq!(example["schema_version"], 1);
}

#[test]
fn an_empty_run_renders_in_every_format() {
    let report = Report::new("dns", "warning");
    for format in [
        Format::Table,
        Format::Json,
        Format::Jsonl,
        Format::Markdown,
        Format::Sarif,
        Format::Junit,
    ] {
        let out = String::from_utf8(render(format, &report, &plain())).unwrap();
        match format {
            Format::Jsonl => assert_eq!(out, ""),
            Format::Json | Format::Sarif => {
                serde_json::from_str::<Value>(&out).unwrap();
            }
            Format::Junit => check_xml(&out),
            Format::Table => assert_eq!(
                out,
                "0 domains: 0 errors, 0 warnings, 0 notes — ok (--fail-on warning)\n"
            ),
            Format::Markdown => assert!(out.contains("0 domains")),
        }
    }
}
