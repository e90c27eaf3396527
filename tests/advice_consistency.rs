//! Advice that matches what is emitted (issue 16): one lookup count per SPF include in the
//! message, the facts and the drawn tree; the record as evidence of spf-all-pass and
//! spf-ptr-used; DMARC tags without `;` diagnosed as missing separators, not as a missing
//! version. Through the binary, on the fixture zones, offline.

mod common;
use common::{run, stdout};
use serde_json::Value;

fn fixture(path: &str) -> String {
    format!("{}/fixtures/zones/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn dns(domain: &str, zone: &str, format: &str) -> String {
    let out = run(&[
        "dns",
        domain,
        "--offline",
        "--zone",
        zone,
        "--no-default-selectors",
        "--selector",
        "s1",
        "--color",
        "never",
        "--format",
        format,
    ]);
    stdout(&out)
}

fn finding<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))
}

/// The include that costs most: the same number in the finding, the facts and the tree.
#[test]
fn one_lookup_count_per_include() {
    let zone = fixture("spf/spf-lookups-over.zone");
    let report: Value = serde_json::from_str(&dns("spf-lookups-over.test", &zone, "json")).unwrap();
    let costliest = &report["targets"][0]["facts"]["spf"]["costliest"];
    let term = costliest["term"].as_str().unwrap().to_string();
    let lookups = costliest["lookups"].as_u64().unwrap();
    // RFC 7208 4.6.4: the include term counts one, plus every DNS-querying term below it.
    let node = report["targets"][0]["facts"]["spf"]["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["via"] == term.as_str())
        .unwrap();
    assert_eq!(lookups, 1 + node["total_lookups"].as_u64().unwrap());
    let message = finding(&report, "spf-too-many-lookups")["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains(&format!("the costliest is {term} ({lookups} lookups)")),
        "{message}"
    );
    let table = dns("spf-lookups-over.test", &zone, "table");
    assert!(
        table.contains(&format!("{term} ({lookups} lookups")),
        "the drawn tree counts {term} differently from the message ({lookups}):\n{table}"
    );
    assert!(
        table.contains(&format!("costliest: {term} ({lookups})")),
        "{table}"
    );
}

/// spf-all-pass and spf-ptr-used quote the record, pointing at the term.
#[test]
fn spf_all_pass_and_ptr_used_carry_the_record() {
    for (domain, file, code, term) in [
        (
            "spf-all-pass.test",
            "spf/spf-all-pass.zone",
            "spf-all-pass",
            "+all",
        ),
        ("spf-ptr.test", "spf/spf-ptr.zone", "spf-ptr-used", "ptr"),
    ] {
        let report: Value = serde_json::from_str(&dns(domain, &fixture(file), "json")).unwrap();
        let record = report["targets"][0]["facts"]["spf"]["record"]
            .as_str()
            .unwrap()
            .to_string();
        let f = finding(&report, code);
        let evidence = f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "record")
            .unwrap_or_else(|| panic!("{code}: no record evidence: {f:#}"));
        assert_eq!(evidence["text"], record.as_str(), "{code}");
        assert_eq!(evidence["name"], domain);
        let (start, end) = (
            evidence["span"][0].as_u64().unwrap() as usize,
            evidence["span"][1].as_u64().unwrap() as usize,
        );
        assert!(
            record[start..end].starts_with(term),
            "{code}: span {start}..{end} of {record}"
        );
    }
}

/// `v=DMARC1 p=reject rua=…`: the version is right, the `;` are missing.
#[test]
fn dmarc_tags_without_separators_are_diagnosed_as_such() {
    let dir = common::TempDir::new("separators");
    let zone = dir.path().join("sep.zone");
    std::fs::write(
        &zone,
        "$ORIGIN sep.test.\n$TTL 300\n@ IN SOA ns1.sep.test. h.sep.test. 1 3600 600 86400 300\n@ IN NS ns1.sep.test.\n_dmarc IN TXT \"v=DMARC1 p=reject rua=mailto:d@sep.test\"\n",
    )
    .unwrap();
    let report: Value =
        serde_json::from_str(&dns("sep.test", &zone.display().to_string(), "json")).unwrap();
    let codes: Vec<&str> = report["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&"dmarc-version-not-first"), "{codes:?}");
    let f = finding(&report, "dmarc-syntax-error");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("a `;` is missing before `p=`"),
        "{message}"
    );
    let remediation = f["remediation"].as_str().unwrap();
    assert!(
        remediation.contains("\"v=DMARC1; p=reject; rua=mailto:d@sep.test\""),
        "{remediation}"
    );
    assert!(
        !remediation.contains("Start the record with"),
        "{remediation}"
    );
}
