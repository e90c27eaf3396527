//! Authentication-Results, ARC-Authentication-Results and Received-SPF as the big receivers
//! write them (from real messages, names and addresses changed).

use super::auth_results::*;

/// `method=result` pairs in order.
fn summary(ar: &AuthResults) -> Vec<(String, String)> {
    ar.results
        .iter()
        .map(|r| (r.method.clone(), r.result.clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn gmail() {
    let ar = parse(
        "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 header.b=AbCdEf12;\r\n       arc=pass (i=1 spf=pass spfdomain=example.com dkim=pass dkdomain=example.com dmarc=pass fromdomain=example.com);\r\n       spf=pass (google.com: domain of bounce@example.com designates 198.51.100.7 as permitted sender) smtp.mailfrom=bounce@example.com;\r\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com",
    );
    assert!(ar.problems.is_empty(), "{:?}", ar.problems);
    assert_eq!(ar.authserv_id.as_deref(), Some("mx.google.com"));
    assert_eq!(
        summary(&ar),
        pairs(&[
            ("dkim", "pass"),
            ("arc", "pass"),
            ("spf", "pass"),
            ("dmarc", "pass")
        ])
    );
    let dkim = ar.method("DKIM").next().unwrap();
    assert_eq!(dkim.property("header.i"), Some("@example.com"));
    assert_eq!(dkim.property("header.s"), Some("s1"));
    assert_eq!(dkim.property("header.b"), Some("AbCdEf12"));
    let spf = ar.method("spf").next().unwrap();
    assert_eq!(spf.property("smtp.mailfrom"), Some("bounce@example.com"));
    assert!(spf.comments[0].starts_with("google.com: domain of"));
    let dmarc = ar.method("dmarc").next().unwrap();
    assert_eq!(dmarc.comments, ["p=REJECT sp=REJECT dis=NONE"]);
    assert_eq!(dmarc.property("header.from"), Some("example.com"));
    assert!(ar.results.iter().all(|r| r.known_result));
}

#[test]
fn microsoft_365_has_no_authserv_id() {
    let ar = parse(
        "spf=pass (sender IP is 198.51.100.7)\r\n smtp.mailfrom=example.com; dkim=pass (signature was verified)\r\n header.d=example.com;dmarc=pass action=none\r\n header.from=example.com;compauth=pass reason=100",
    );
    assert_eq!(ar.authserv_id, None);
    assert_eq!(ar.problems.len(), 1, "{:?}", ar.problems);
    assert_eq!(ar.problems[0].offset, 0);
    assert_eq!(
        summary(&ar),
        pairs(&[
            ("spf", "pass"),
            ("dkim", "pass"),
            ("dmarc", "pass"),
            ("compauth", "pass")
        ])
    );
    let dmarc = &ar.results[2];
    assert_eq!(dmarc.extras[0].key, "action");
    assert_eq!(dmarc.extras[0].value, "none");
    assert_eq!(ar.results[3].reason.as_deref(), Some("100"));
    // compauth is Microsoft's own method; its results are RFC words all the same.
    let ar = parse(
        "spf=fail (sender IP is 203.0.113.5) smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=fail action=quarantine header.from=example.com;compauth=fail reason=000",
    );
    assert_eq!(ar.results[1].comments, ["message not signed"]);
    assert_eq!(ar.results[1].property("header.d"), Some("none"));
    assert_eq!(ar.results[3].reason.as_deref(), Some("000"));
}

#[test]
fn fastmail() {
    let ar = parse(
        "mx3.messagingengine.com;\n    dkim=pass (2048-bit rsa key sha256) header.d=example.com header.i=@example.com header.b=AbCdEfGh header.a=rsa-sha256 header.s=fm1 x-bits=2048;\n    dmarc=pass policy.published-domain-policy=reject policy.applied-disposition=none policy.evaluated-disposition=none (p=reject,d=none,d.eval=none) policy.policy-from=p header.from=example.com;\n    iprev=pass smtp.remote-ip=198.51.100.7 (mail.example.com);\n    spf=pass smtp.mailfrom=bounce@example.com smtp.helo=mail.example.com;\n    x-aligned-from=pass (Address match);\n    x-me-sender=none;\n    x-ptr=pass smtp.helo=mail.example.com policy.ptr=mail.example.com",
    );
    assert!(ar.problems.is_empty(), "{:?}", ar.problems);
    assert_eq!(ar.results.len(), 7);
    let dkim = &ar.results[0];
    assert_eq!(dkim.comments, ["2048-bit rsa key sha256"]);
    assert_eq!(dkim.property("header.a"), Some("rsa-sha256"));
    assert_eq!(
        (dkim.extras[0].key.as_str(), dkim.extras[0].value.as_str()),
        ("x-bits", "2048")
    );
    let dmarc = &ar.results[1];
    assert_eq!(
        dmarc.property("policy.published-domain-policy"),
        Some("reject")
    );
    assert_eq!(dmarc.property("header.from"), Some("example.com"));
    assert_eq!(dmarc.comments, ["p=reject,d=none,d.eval=none"]);
    let iprev = &ar.results[2];
    assert_eq!(iprev.property("smtp.remote-ip"), Some("198.51.100.7"));
    assert_eq!(iprev.comments, ["mail.example.com"]);
    assert_eq!(ar.results[5].method, "x-me-sender");
}

#[test]
fn yahoo() {
    let ar = parse(
        "atlas220.free.mail.bf1.yahoo.com;\r\n dkim=perm_fail header.i=@example.com header.s=s1;\r\n spf=pass smtp.mailfrom=example.com;\r\n dmarc=pass(p=REJECT) header.from=example.com;",
    );
    assert!(ar.problems.is_empty(), "{:?}", ar.problems);
    assert_eq!(ar.results[0].result, "perm_fail");
    assert!(!ar.results[0].known_result);
    assert_eq!(ar.results[2].result, "pass");
    assert_eq!(ar.results[2].comments, ["p=REJECT"]);
}

#[test]
fn rfc_8601_forms() {
    let ar = parse("example.com; none");
    assert!(ar.none && ar.results.is_empty() && ar.problems.is_empty());
    let ar = parse(
        "example.org 1; auth=pass (cram-md5) smtp.auth=sender@example.net; spf=pass smtp.mailfrom=example.net",
    );
    assert_eq!(ar.version, Some(1));
    assert_eq!(
        ar.results[0].property("smtp.auth"),
        Some("sender@example.net")
    );
    let ar = parse(
        "\"quoted.example\" (the server) ; dkim/1 = pass reason=\"good \\\"sig\\\"\" header.d = example.com ; spf=pass smtp.mailfrom=\"a b\"@example.com",
    );
    assert!(ar.problems.is_empty(), "{:?}", ar.problems);
    assert_eq!(ar.authserv_id.as_deref(), Some("quoted.example"));
    assert_eq!(ar.comments, ["the server"]);
    let dkim = &ar.results[0];
    assert_eq!(
        (dkim.method.as_str(), dkim.method_version.as_deref()),
        ("dkim", Some("1"))
    );
    assert_eq!(dkim.reason.as_deref(), Some("good \"sig\""));
    assert_eq!(dkim.property("header.d"), Some("example.com"));
    // A quoted local part then the domain (RFC 8601 pvalue): kept as written.
    assert_eq!(
        ar.results[1].property("smtp.mailfrom"),
        Some("\"a b\"@example.com")
    );
    // Nested comments and base64 padding in a value.
    let ar = parse("mx.example; dkim=fail (bad (really) signature) header.b=ab+/cd==");
    assert_eq!(ar.results[0].comments, ["bad (really) signature"]);
    assert_eq!(ar.results[0].property("header.b"), Some("ab+/cd=="));
}

#[test]
fn arc_instance() {
    let ar = parse_arc(
        "i=1; mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 header.b=AbCd;\r\n       spf=pass (google.com: domain of a@example.com designates 198.51.100.7 as permitted sender) smtp.mailfrom=a@example.com;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com",
    );
    assert!(ar.problems.is_empty(), "{:?}", ar.problems);
    assert_eq!(ar.instance, Some(1));
    assert_eq!(ar.authserv_id.as_deref(), Some("mx.google.com"));
    assert_eq!(ar.results.len(), 3);
    for bad in [
        "mx.google.com; spf=pass",
        "i=0; mx; spf=pass",
        "i=x; mx; spf=pass",
        "i=51; mx; spf=pass",
    ] {
        let ar = parse_arc(bad);
        assert_eq!(ar.instance, None, "{bad}");
        assert!(ar.problems[0].message.contains("i="), "{bad}");
    }
    // Recovery: the rest is still read.
    assert_eq!(parse_arc("i=0; mx; spf=pass").results.len(), 1);
}

#[test]
fn hostile_input_is_reported_and_bounded() {
    // (value, substring of a problem, offset)
    let cases: &[(&str, &str, usize)] = &[
        ("", "no authserv-id", 0),
        ("mx", "no results", 2),
        ("mx junk; spf=pass", "expected `;`", 3),
        ("mx; spf", "not method=result", 4),
        ("mx; spf=", "without a result", 8),
        ("mx; spf=pass smtp.mailfrom", "without `=value`", 13),
        ("mx; spf=pass (open", "never closed", 13),
        ("mx; spf=pass x=\"open", "never closed", 15),
        ("mx; =pass", "where a method", 4),
        ("mx; spf=pass =x", "where a property", 13),
        ("mx; none; spf=pass", "together", 0),
        ("mx 1x; spf=pass", "version", 3),
    ];
    for (value, needle, offset) in cases {
        let ar = parse(value);
        let p = ar
            .problems
            .iter()
            .find(|p| p.message.contains(needle))
            .unwrap_or_else(|| panic!("{value:?}: {:?}", ar.problems));
        assert_eq!(p.offset, *offset, "{value:?}: {p:?}");
    }
    let many = format!("mx;{}", " a=b;".repeat(MAX_RESULTS + 5));
    let ar = parse(&many);
    assert_eq!(ar.results.len(), MAX_RESULTS);
    assert!(ar.problems[0].message.contains("not read"));
    // Recovery keeps the results after a broken one.
    let ar = parse("mx; spf; dkim=pass; ) ; dmarc=fail");
    assert_eq!(summary(&ar), pairs(&[("dkim", "pass"), ("dmarc", "fail")]));
}

#[test]
fn received_spf() {
    let r = parse_received_spf(
        "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; helo=foo.example.com;",
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.result, "pass");
    assert!(
        r.comment
            .as_deref()
            .unwrap()
            .contains("designates 192.0.2.1")
    );
    assert_eq!(r.client_ip.unwrap().to_string(), "192.0.2.1");
    assert_eq!(r.envelope_from.as_deref(), Some("myname@example.com"));
    assert_eq!(r.helo.as_deref(), Some("foo.example.com"));
    assert_eq!(r.get("Receiver"), Some("mybox.example.org"));

    // Microsoft 365 capitalises the result and adds its own keys.
    let r = parse_received_spf(
        "Pass (protection.outlook.com: domain of example.com designates 198.51.100.7 as permitted sender)\r\n receiver=protection.outlook.com; client-ip=198.51.100.7; helo=mail.example.com; pr=C",
    );
    assert_eq!((r.result.as_str(), r.known_result), ("pass", true));
    assert_eq!(r.get("pr"), Some("C"));
    let r = parse_received_spf(
        "None (protection.outlook.com: example.com does not designate permitted sender hosts)",
    );
    assert_eq!(r.result, "none");
    assert!(r.pairs.is_empty() && r.problems.is_empty());
    // Gmail.
    let r = parse_received_spf(
        "pass (google.com: domain of bounce@example.com designates 2a00:1450:4864:20::535 as permitted sender) client-ip=2a00:1450:4864:20::535;",
    );
    assert_eq!(r.client_ip.unwrap().to_string(), "2a00:1450:4864:20::535");
    // A nested comment (older libspf2).
    let r = parse_received_spf(
        "softfail (example.com: transitioning domain of a@b.example does not designate 192.0.2.9 as permitted sender (mechanism '~all' matched)) identity=mailfrom; client-ip=192.0.2.9",
    );
    assert!(
        r.comment
            .as_deref()
            .unwrap()
            .ends_with("(mechanism '~all' matched)")
    );
    assert_eq!(r.get("identity"), Some("mailfrom"));
}

#[test]
fn received_spf_nonsense() {
    let r = parse_received_spf("bogus client-ip=not-an-ip; =x; helo; envelope-from=\"open");
    let messages: Vec<&str> = r.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages[0].contains("`bogus` is not an SPF result"),
        "{messages:?}"
    );
    assert!(
        messages.iter().filter(|m| m.contains("key=value")).count() == 2,
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("never closed")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("not-an-ip")),
        "{messages:?}"
    );
    assert_eq!(r.client_ip, None);
    assert_eq!(parse_received_spf("").result, "");
}
