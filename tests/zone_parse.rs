//! Zone files through the public `parse_zone`: every fixture zone parses and is servable
//! (SOA and NS at its apex, as Knot requires), and malformed files are reported with
//! file:line:column.

use mailpreflight::dns::{RType, Rdata, parse_zone};
use std::path::{Path, PathBuf};

fn zone_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            zone_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "zone") {
            out.push(path);
        }
    }
}

/// The `; origin:` header of a fixture, if any.
fn origin_header(text: &str) -> Option<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(';'))
        .find_map(|l| l.trim().strip_prefix("origin:"))
        .map(str::trim)
}

#[test]
fn every_fixture_zone_parses_and_has_soa_and_ns_at_its_apex() {
    let mut files = Vec::new();
    zone_files(Path::new("fixtures/zones"), &mut files);
    assert!(files.len() >= 3, "fixture zones found: {files:?}");
    let mut origins = std::collections::HashMap::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.display().to_string();
        let zone = parse_zone(&text, &file, None).unwrap_or_else(|e| panic!("{e}"));
        if let Some(header) = origin_header(&text) {
            let header = header.strip_suffix('.').unwrap_or(header).to_lowercase();
            assert_eq!(
                zone.origin, header,
                "{file}: `; origin:` header vs zone apex"
            );
        }
        let at_apex: Vec<RType> = zone
            .records_at(&zone.origin)
            .map(|r| r.data.rtype())
            .collect();
        assert!(at_apex.contains(&RType::SOA), "{file}: no SOA at the apex");
        assert!(at_apex.contains(&RType::NS), "{file}: no NS at the apex");
        if let Some(other) = origins.insert(zone.origin.clone(), file.clone()) {
            panic!("{file} and {other} both serve {}", zone.origin);
        }
    }
}

#[test]
fn demo_domain_has_a_2048_bit_dkim_key_split_in_255_byte_strings() {
    let text = std::fs::read_to_string("fixtures/zones/demo/example-good.test.zone").unwrap();
    let zone = parse_zone(&text, "example-good.test.zone", None).unwrap();
    assert_eq!(zone.origin, "example-good.test");
    let dkim = zone
        .records_at("s1._domainkey.example-good.test")
        .find_map(|r| match &r.data {
            Rdata::Txt { strings } => Some(strings.clone()),
            _ => None,
        })
        .expect("DKIM record");
    assert_eq!(dkim.len(), 2);
    assert_eq!(dkim[0].len(), 255);
    let joined = String::from_utf8(dkim.concat()).unwrap();
    let p = joined.split("p=").nth(1).unwrap();
    // A 2048-bit RSA SubjectPublicKeyInfo is 294 bytes: 392 base64 characters.
    assert_eq!(p.len(), 392);
    assert!(p.starts_with("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"));
}

#[test]
fn malformed_files_are_reported_with_file_line_and_column() {
    let cases = [
        (
            "$ORIGIN t.test.\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 300.1.1.1\n",
            "z.zone:4:6: bad IPv4 address \"300.1.1.1\"",
        ),
        (
            "$ORIGIN t.test.\n@ TXT \"v=spf1 -all\n",
            "z.zone:2:7: unterminated quoted string",
        ),
        (
            "$ORIGIN t.test.\n\n@ SOA ns hm ( 1 2 3\n 4 5\n",
            "z.zone:3:13: missing closing parenthesis opened at line 3",
        ),
        (
            "$ORIGIN t.test.\n@ AXFR ns\n",
            "z.zone:2:3: unknown record type \"AXFR\"",
        ),
        (
            "$ORIGIN t.test.\n$INCLUDE other.zone\n",
            "z.zone:2:1: $INCLUDE is not supported: put the records in this file",
        ),
        (
            "www A 192.0.2.1\n",
            "z.zone:1:1: relative name \"www\" but no origin is known (add $ORIGIN or write it with a trailing dot)",
        ),
    ];
    for (text, expected) in cases {
        let err = parse_zone(text, "z.zone", None).expect_err(text);
        assert_eq!(err.to_string(), expected);
    }
    let long = format!(
        "$ORIGIN t.test.\n@ TXT ( \"ok\"\n  \"{}\" )\n",
        "x".repeat(300)
    );
    let err = parse_zone(&long, "z.zone", None).unwrap_err();
    assert_eq!((err.line, err.column), (3, 3));
    assert!(
        err.message
            .starts_with("character-string is 300 bytes long (at most 255)")
    );
}
