//! `inspect`: the DKIM vectors and real-world messages of fixtures/dkim-vectors and
//! fixtures/arc-vectors with their keys served by the in-process DNS server, header-only
//! input, malformed and oversized input, and one synthetic message per `inspect-…` code.

mod common;
use common::TempDir;
use mailpreflight::dns::parse_zone;
use mailpreflight::dns::server::{LocalDnsServer, ServerConfig};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

/// The in-process DNS server on a runtime of its own, serving `records` (name, TXT value);
/// every other name is NXDOMAIN.
struct Server {
    _rt: tokio::runtime::Runtime,
    server: LocalDnsServer,
}

impl Server {
    fn start(records: &[(String, String)]) -> Server {
        let mut zones = Vec::new();
        for (name, value) in records {
            let strings: Vec<String> = value
                .as_bytes()
                .chunks(255)
                .map(|c| format!("\"{}\"", String::from_utf8_lossy(c).replace('"', "\\\"")))
                .collect();
            let text = format!(
                "$ORIGIN {name}.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ TXT {}\n",
                strings.join(" ")
            );
            zones.push(parse_zone(&text, name, None).unwrap());
        }
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt
            .block_on(LocalDnsServer::start(ServerConfig {
                zones,
                authoritative_root: true,
                ..ServerConfig::default()
            }))
            .unwrap();
        Server { _rt: rt, server }
    }

    fn inspect(&self, message: &Path, extra: &[&str]) -> (i32, Value) {
        let ns = self.server.addr().to_string();
        let mut args = vec![
            "inspect",
            message.to_str().unwrap(),
            "--nameserver",
            &ns,
            "--timeout",
            "1s",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = common::run(&args);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
        (out.status.code().unwrap(), v)
    }
}

fn dns_json(path: &Path) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for (name, values) in v["txt"].as_object().unwrap() {
        for value in values.as_array().unwrap() {
            out.push((name.clone(), value.as_str().unwrap().to_string()));
        }
    }
    out
}

fn facts(v: &Value) -> &Value {
    &v["targets"][0]["facts"]["inspect"]
}

fn codes(v: &Value) -> Vec<String> {
    v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn results(v: &Value) -> Vec<String> {
    facts(v)["dkim"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} {}",
                d["domain"].as_str().unwrap(),
                d["selector"].as_str().unwrap(),
                d["result"].as_str().unwrap()
            )
        })
        .collect()
}

/// Every signature of the mail-auth vectors verifies with the keys they come with, except
/// 006's second signature (see the expected list).
#[test]
fn dkim_vectors_verify_against_the_local_dns_server() {
    let expected: &[(&str, &[&str])] = &[
        (
            "mail-auth-001",
            &[
                "football.example.com brisbane pass",
                "football.example.com test pass",
            ],
        ),
        ("mail-auth-002", &["example.com newengland pass"]),
        (
            "mail-auth-003",
            &["ietf.org ietf1 pass", "ietf.org ietf1 pass"],
        ),
        ("mail-auth-004", &["facebookmail.com s1024-2013-q3 pass"]),
        // x= is in the past: expired signatures are neutral (RFC 6376 3.5), not pass.
        ("mail-auth-005", &["topicbox.com sysmsg-1 neutral"]),
        ("mail-auth-006", &["github.com dk2016 pass"]),
    ];
    for (name, want) in expected {
        let dir = fixture("dkim-vectors");
        let server = Server::start(&dns_json(&dir.join(format!("{name}.dns.json"))));
        let (_, v) = server.inspect(&dir.join(format!("{name}.eml")), &[]);
        assert_eq!(results(&v), *want, "{name}");
        for d in facts(&v)["dkim"].as_array().unwrap() {
            assert!(d["key_bits"].as_u64().unwrap() >= 256, "{name}");
            assert_eq!(d["body_checked"], true);
        }
        assert_eq!(facts(&v)["headers_only"], false);
        // The local server serves no _dmarc records.
        assert!(
            codes(&v).contains(&"inspect-no-dmarc".to_string()),
            "{name}"
        );
    }
}

/// The RFC 6376 example signed by dkimpy with the RFC 8463 keys (simple/simple).
#[test]
fn dkimpy_rfc6376_vector() {
    let keys: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("dkim-vectors/rfc8463-keys.json")).unwrap(),
    )
    .unwrap();
    let records: Vec<(String, String)> = keys["dns"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, t)| (n.clone(), t.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(records.len(), 2);
    let server = Server::start(&records);
    let (_, v) = server.inspect(&fixture("dkim-vectors/dkimpy-rfc6376.signed.eml"), &[]);
    let r = results(&v);
    assert!(
        !r.is_empty() && r.iter().all(|r| r.ends_with("pass")),
        "{r:?}"
    );
}

#[test]
fn arc_vectors_validate() {
    for (name, want) in [("mail-auth-001", "pass"), ("mail-auth-002", "pass")] {
        let dir = fixture("arc-vectors");
        let server = Server::start(&dns_json(&dir.join(format!("{name}.dns.json"))));
        let (_, v) = server.inspect(&dir.join(format!("{name}.eml")), &[]);
        let arc = &facts(&v)["arc"];
        assert_eq!(arc["result"], want, "{name}: {arc}");
        assert!(!arc["sets"].as_array().unwrap().is_empty());
    }
}

/// The newest ARC-Seal altered (a=rsa-sha1: its own signature no longer verifies, and
/// RFC 8301 forbids the algorithm anyway): the chain fails and a finding says so. (The rules
/// mail-auth leaves out are exercised one by one by tests/arc_suite.rs.)
#[test]
fn a_broken_arc_chain_is_a_finding() {
    let dir = TempDir::new("inspect-arc");
    let vectors = fixture("arc-vectors");
    let server = Server::start(&dns_json(&vectors.join("mail-auth-002.dns.json")));
    let text = std::fs::read_to_string(vectors.join("mail-auth-002.eml")).unwrap();
    let seal = "ARC-Seal: i=2; a=rsa-sha256;";
    assert!(text.starts_with(seal));
    let broken = dir.path().join("broken.eml");
    std::fs::write(
        &broken,
        text.replacen(seal, "ARC-Seal: i=2; a=rsa-sha1;", 1),
    )
    .unwrap();
    let (_, v) = server.inspect(&broken, &[]);
    assert_eq!(facts(&v)["arc"]["result"], "fail", "{}", facts(&v)["arc"]);
    let finding = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "inspect-arc-failed")
        .unwrap_or_else(|| panic!("{:?}", codes(&v)));
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("does not validate: fail"),
        "{finding}"
    );
    assert_eq!(finding["subject"], "ARC i=2 d=manchego.org");
    // The untouched message still validates.
    let (_, v) = server.inspect(&vectors.join("mail-auth-002.eml"), &[]);
    assert_eq!(facts(&v)["arc"]["result"], "pass");
    assert!(!codes(&v).contains(&"inspect-arc-failed".to_string()));
}

/// Headers pasted from a webmail view: no body, LF endings, a leading mbox line. The
/// signed header fields still verify; the body hash is "not checked", never "fail".
#[test]
fn headers_only_input_verifies_the_signed_headers() {
    let dir = TempDir::new("inspect-headers");
    let raw = std::fs::read(fixture("dkim-vectors/mail-auth-001.eml")).unwrap();
    let text = String::from_utf8(raw).unwrap().replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap();
    let pasted = dir.path().join("pasted.txt");
    std::fs::write(
        &pasted,
        format!("From sender@example.com Mon Jan  1 00:00:00 2024\n{head}\n"),
    )
    .unwrap();
    let server = Server::start(&dns_json(&fixture("dkim-vectors/mail-auth-001.dns.json")));
    let (_, v) = server.inspect(&pasted, &[]);
    let f = facts(&v);
    assert_eq!(f["headers_only"], true);
    assert!(f["mbox_from"].is_string());
    assert_eq!(f["line_endings"], "lf");
    for d in f["dkim"].as_array().unwrap() {
        assert_eq!(d["result"], "pass", "{d}");
        assert_eq!(d["body_checked"], false);
    }
    assert!(codes(&v).contains(&"inspect-headers-only".to_string()));
    assert!(!codes(&v).contains(&"received-dkim-failed".to_string()));
    // The same file with its body altered fails the body hash when the body is there.
    let full = dir.path().join("altered.eml");
    std::fs::write(&full, text.replace("Joe.", "Joe!")).unwrap();
    let (code, v) = server.inspect(&full, &[]);
    assert!(
        codes(&v).contains(&"received-dkim-failed".to_string()),
        "{:?}",
        codes(&v)
    );
    assert_eq!(code, 1);
}

#[test]
fn unreadable_and_oversized_input_are_input_errors_naming_the_file() {
    let server = Server::start(&[]);
    let ns = server.server.addr().to_string();
    let out = common::run(&["inspect", "/nonexistent/msg.eml", "--nameserver", &ns]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("/nonexistent/msg.eml"));
    let dir = TempDir::new("inspect-big");
    let big = dir.path().join("big.eml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(25 * 1024 * 1024 + 1).unwrap();
    let out = common::run(&["inspect", big.to_str().unwrap(), "--nameserver", &ns]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("big.eml"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn malformed_input_is_findings() {
    let dir = TempDir::new("inspect-bad");
    let server = Server::start(&[]);
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(
        &garbage,
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let (code, v) = server.inspect(&garbage, &[]);
    assert_eq!(code, 1);
    assert!(codes(&v).contains(&"inspect-not-a-message".to_string()));
    assert_eq!(facts(&v)["verdict"]["outcome"], "cannot tell");
    let many = dir.path().join("many.eml");
    std::fs::write(&many, "X-A: b\n".repeat(1001) + "From: a@b.test\n\nbody\n").unwrap();
    let (code, v) = server.inspect(&many, &[]);
    assert_eq!(code, 1);
    assert!(codes(&v).contains(&"inspect-input-over-limit".to_string()));
    let nested = dir.path().join("nested.eml");
    let mut body = String::new();
    for i in 0..30 {
        body.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
        ));
    }
    body.push_str("Content-Type: text/plain\n\nhi\n");
    std::fs::write(
        &nested,
        format!("From: a@b.test\nMIME-Version: 1.0\n{body}"),
    )
    .unwrap();
    let (_, v) = server.inspect(&nested, &[]);
    assert!(
        codes(&v).contains(&"inspect-input-over-limit".to_string()),
        "{:?}",
        codes(&v)
    );
}

/// One synthetic message that trips most `inspect-…` codes, against a zone with SPF and a
/// p=reject DMARC record.
#[test]
fn synthetic_message_ranks_the_reasons() {
    let dir = TempDir::new("inspect-synth");
    let server = Server::start(&[
        ("_dmarc.shop.test".into(), "v=DMARC1; p=reject".into()),
        (
            "bounce.test".into(),
            "v=spf1 ip4:198.51.100.0/24 -all".into(),
        ),
    ]);
    let long = "x".repeat(1200);
    let msg = format!(
        "Return-Path: <b@bounce.test>\n\
Authentication-Results: mx.receiver.test; dkim=none; spf=fail smtp.mailfrom=bounce.test; dmarc=pass header.from=shop.test\n\
Authentication-Results: evil.test; dmarc=pass\n\
Received: from relay.receiver.test (relay.receiver.test [10.0.0.2]) by mx.receiver.test with ESMTPS id 2; Mon, 1 Jan 2024 10:20:00 +0000\n\
Received: from out.sender.test (out.sender.test [192.0.2.1]) by relay.receiver.test with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000\n\
From: Shop <noreply@shop.test>\n\
To: user@receiver.test\n\
Subject: Your code\n\
X-Long: {long}\n\
Content-Type: text/html\n\
\n\
<p>{{{{code}}}}</p>\n"
    );
    let path = dir.path().join("synth.eml");
    std::fs::write(&path, msg).unwrap();
    let (code, v) = server.inspect(&path, &["--trusted-authserv", "mx.receiver.test"]);
    assert_eq!(code, 1);
    let c = codes(&v);
    for want in [
        "inspect-line-too-long",
        "inspect-spf-not-pass",
        "inspect-dmarc-fail",
        "inspect-receiver-failed",
        "inspect-auth-results-disagree",
        "inspect-auth-results-untrusted",
        "inspect-slow-delivery",
        "inspect-hop-without-tls",
        "received-unsigned",
        "received-envelope-not-aligned",
        "received-unrendered-placeholder",
        "received-no-text-part",
    ] {
        assert!(c.contains(&want.to_string()), "{want} not in {c:?}");
    }
    let f = facts(&v);
    assert_eq!(f["sending_ip"]["ip"], "192.0.2.1");
    assert_eq!(f["spf"]["result"], "fail");
    assert_eq!(f["dmarc"]["result"], "fail");
    assert_eq!(f["dmarc"]["policy"], "reject");
    assert_eq!(f["verdict"]["outcome"], "likely rejected");
    assert_eq!(f["verdict"]["reasons"][0]["code"], "inspect-dmarc-fail");
    assert_eq!(f["received"]["hops"][1]["delay_seconds"], 1200);
    // --ip overrides the chain; no sending IP at all is a finding.
    let (_, v) = server.inspect(&path, &["--ip", "198.51.100.7"]);
    assert_eq!(facts(&v)["spf"]["result"], "pass");
    let bare = dir.path().join("bare.eml");
    std::fs::write(&bare, "From: a@shop.test\nSubject: x\n\nhi\n").unwrap();
    let (_, v) = server.inspect(&bare, &[]);
    assert!(codes(&v).contains(&"inspect-no-sending-ip".to_string()));
    // Every key of the report is documented.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-schema.md"))
        .unwrap();
    let mut keys = std::collections::BTreeSet::new();
    common::json_keys(&v["targets"][0]["facts"], &mut keys);
    let (_, v2) = server.inspect(&path, &["--trusted-authserv", "mx.receiver.test"]);
    common::json_keys(&v2["targets"][0]["facts"], &mut keys);
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("\"{k}\"")))
        .collect();
    assert!(missing.is_empty(), "undocumented: {missing:?}");
    // The table names the verdict first.
    let ns = server.server.addr().to_string();
    let out = common::run(&[
        "inspect",
        path.to_str().unwrap(),
        "--nameserver",
        &ns,
        "--color",
        "never",
    ]);
    assert!(common::stdout(&out).contains("likely rejected"));
}

/// Codes without a dedicated vector here, and why.
const NOT_COVERED: &[(&str, &str)] = &[
    (
        "inspect-dkim-weak",
        "no fixture is signed with rsa-sha1 or a key under 1024 bits",
    ),
    ("inspect-dkim-body-length", "no fixture carries l="),
];

#[test]
fn every_inspect_code_is_covered_or_explained() {
    let tested = [
        "inspect-input-over-limit",
        "inspect-not-a-message",
        "inspect-headers-only",
        "inspect-line-too-long",
        "inspect-no-sending-ip",
        "inspect-spf-not-pass",
        "inspect-no-dmarc",
        "inspect-dmarc-fail",
        "inspect-receiver-failed",
        "inspect-auth-results-disagree",
        "inspect-auth-results-untrusted",
        "inspect-slow-delivery",
        "inspect-hop-without-tls",
        "inspect-arc-failed",
    ];
    for code in mailpreflight::report::catalogue::all() {
        if code.id.starts_with("inspect-") {
            assert!(
                tested.contains(&code.id) || NOT_COVERED.iter().any(|(c, _)| *c == code.id),
                "{} has no test",
                code.id
            );
        }
    }
}
