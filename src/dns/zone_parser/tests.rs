use super::*;

fn txt(strings: &[&[u8]]) -> Rdata {
    Rdata::Txt {
        strings: strings.iter().map(|s| s.to_vec()).collect(),
    }
}

fn ok(text: &str, origin: Option<&str>) -> Zone {
    parse(text, "t.zone", origin).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn good_files() {
    let z = ok(
        "$ORIGIN Example.COM.\n$TTL 1h\n\
         @ IN SOA ns1 hostmaster.example.com. ( 2024010101 ; serial\n 7200 3600\n 1209600 300 )\n\
         \tNS ns1\n\
         ns1 300 IN A 192.0.2.1\n\
         www IN 60 CNAME @\n\
         @ MX 10 mx.other.test.\n\
         @ TXT \"v=spf1 \" \"include:_spf.example.com \\\"x\\\\y\\\" -all\"\n\
         \tTXT unquoted\n\
         _dmarc TXT \"a\\059b\" ; a comment with \"quotes\"\n\
         v6 AAAA 2001:db8::1\n\
         1.2 PTR host.example.com.\n\
         @ CAA 0 issue \"letsencrypt.org\"\n\
         @ SPF \"v=spf1 -all\"\n",
        None,
    );
    assert_eq!(z.origin, "example.com");
    let got: Vec<(&str, u32, &Rdata)> = z
        .records
        .iter()
        .map(|r| (r.name.as_str(), r.ttl, &r.data))
        .collect();
    let soa = Rdata::Soa {
        mname: "ns1.example.com".into(),
        rname: "hostmaster.example.com".into(),
        serial: 2024010101,
        minimum: 300,
    };
    let ns = Rdata::Ns {
        target: "ns1.example.com".into(),
    };
    let a = Rdata::A {
        address: "192.0.2.1".parse().unwrap(),
    };
    let cname = Rdata::Cname {
        target: "example.com".into(),
    };
    let mx = Rdata::Mx {
        preference: 10,
        exchange: "mx.other.test".into(),
    };
    let spf = txt(&[b"v=spf1 ", b"include:_spf.example.com \"x\\y\" -all"]);
    let word = txt(&[b"unquoted"]);
    let dmarc = txt(&[b"a;b"]);
    let aaaa = Rdata::Aaaa {
        address: "2001:db8::1".parse().unwrap(),
    };
    let ptr = Rdata::Ptr {
        target: "host.example.com".into(),
    };
    assert_eq!(
        got,
        vec![
            ("example.com", 3600, &soa),
            ("example.com", 3600, &ns),
            ("ns1.example.com", 300, &a),
            ("www.example.com", 60, &cname),
            ("example.com", 3600, &mx),
            ("example.com", 3600, &spf),
            ("example.com", 3600, &word),
            ("_dmarc.example.com", 3600, &dmarc),
            ("v6.example.com", 3600, &aaaa),
            ("1.2.example.com", 3600, &ptr),
        ]
    );
    assert_eq!(z.records[4].line, 9, "line of the record's start");
}

#[test]
fn origin_comes_from_argument_then_origin_then_soa() {
    let text = "@ 300 IN SOA ns hm 1 2 3 4 5\n@ NS ns\n";
    assert_eq!(ok(text, Some("a.test.")).origin, "a.test");
    assert_eq!(ok(text, Some("A.test")).records[1].name, "a.test");
    let soa_first = "b.test. 300 IN SOA ns hm 1 2 3 4 5\nwww A 192.0.2.1\n";
    let z = ok(soa_first, None);
    assert_eq!(z.origin, "b.test");
    assert_eq!(z.records[1].name, "www.b.test");
    // With no $TTL and no TTL on the record, the previous record's TTL carries over.
    assert_eq!(z.records[1].ttl, 300);
    // $ORIGIN may change the origin for relative names; the apex stays the first one.
    let z = ok(
        "$ORIGIN c.test.\n@ SOA ns hm 1 2 3 4 5\n$ORIGIN sub.c.test.\nx A 192.0.2.2\n",
        None,
    );
    assert_eq!(
        (z.origin.as_str(), z.records[1].name.as_str()),
        ("c.test", "x.sub.c.test")
    );
    // A root zone.
    let z = ok(
        ". 86400 IN SOA a.root-servers.test. hm.test. 1 2 3 4 5\n. NS a.root-servers.test.\n",
        None,
    );
    assert_eq!((z.origin.as_str(), z.records[1].name.as_str()), ("", ""));
}

#[test]
fn txt_strings_stay_separate_and_long_ones_fit() {
    let s255 = "x".repeat(255);
    let z = ok(
        &format!("@ TXT ( \"{s255}\"\n \"{s255}\" )\n"),
        Some("t.test"),
    );
    assert_eq!(z.records[0].data, txt(&[s255.as_bytes(), s255.as_bytes()]));
    let z = ok("@ TXT \"\" \"\\255\\000\"\n", Some("t.test"));
    assert_eq!(z.records[0].data, txt(&[b"", &[255, 0]]));
}

#[test]
fn errors_name_the_problem_and_its_position() {
    let s256 = "y".repeat(256);
    let cases: Vec<(String, (usize, usize), &str)> = vec![
        (
            "@ A 300.1.1.1\n".into(),
            (1, 5),
            "bad IPv4 address \"300.1.1.1\"",
        ),
        (
            "@ AAAA 2001:db8::g\n".into(),
            (1, 8),
            "bad IPv6 address \"2001:db8::g\"",
        ),
        ("@ TXT \"abc\n".into(), (1, 7), "unterminated quoted string"),
        ("@ TXT \"abc".into(), (1, 7), "unterminated quoted string"),
        (
            "\n\n@ TXT ( \"a\"\n".into(),
            (3, 7),
            "missing closing parenthesis opened at line 3",
        ),
        ("@ AXFR x\n".into(), (1, 3), "unknown record type \"AXFR\""),
        (
            "@ TXT a )\n".into(),
            (1, 9),
            "closing parenthesis without an opening one",
        ),
        (
            format!("@ TXT \"a\" \"{s256}\"\n"),
            (1, 11),
            "character-string is 256 bytes long",
        ),
        (
            format!("@ TXT {s256}\n"),
            (1, 7),
            "character-string is 256 bytes long",
        ),
        (
            "@ MX 70000 mx\n".into(),
            (1, 6),
            "bad MX preference \"70000\"",
        ),
        (
            "@ MX 10\n".into(),
            (1, 8),
            "missing exchange in the MX record",
        ),
        (
            "@ A\n".into(),
            (1, 4),
            "missing IPv4 address in the A record",
        ),
        (
            "@ A 192.0.2.1 extra\n".into(),
            (1, 15),
            "unexpected \"extra\" after the A record data",
        ),
        ("@ 300 IN\n".into(), (1, 9), "missing record type"),
        (
            "@ CH TXT \"x\"\n".into(),
            (1, 3),
            "class CH is not supported",
        ),
        (
            "$INCLUDE other.zone\n".into(),
            (1, 1),
            "$INCLUDE is not supported",
        ),
        ("$FOO x\n".into(), (1, 1), "unknown directive \"$FOO\""),
        ("$TTL 1x\n".into(), (1, 6), "bad TTL \"1x\""),
        ("  A 192.0.2.1\n".into(), (1, 1), "no owner name"),
        (
            "@ TXT \"\\256\"\n".into(),
            (1, 8),
            "bad escape \"\\256\": above 255",
        ),
        ("@ TXT \"\\25\"\n".into(), (1, 8), "bad escape"),
        ("a..b A 192.0.2.1\n".into(), (1, 1), "bad name \"a..b\""),
        (
            "@ SOA ns hm x 1 2 3 4\n".into(),
            (1, 13),
            "bad SOA serial \"x\"",
        ),
        (
            "@ CNAME\n".into(),
            (1, 8),
            "missing target in the CNAME record",
        ),
        (
            "other.test. A 192.0.2.1\n".into(),
            (1, 1),
            "owner \"other.test\" is outside the zone \"z.test\"",
        ),
        (
            "@ TXT ( \"a\" ( \"b\" ) )\n".into(),
            (1, 13),
            "nested parenthesis",
        ),
    ];
    for (text, (line, column), message) in &cases {
        let err = parse(text, "t.zone", Some("z.test")).expect_err(text);
        assert_eq!((err.line, err.column), (*line, *column), "{text:?}: {err}");
        assert!(err.message.contains(message), "{text:?}: {err}");
        assert_eq!(err.file, "t.zone");
    }
    // Without any origin.
    let cases = [
        (
            "www A 192.0.2.1\n",
            (1, 1),
            "relative name \"www\" but no origin is known",
        ),
        ("@ A 192.0.2.1\n", (1, 1), "\"@\" but no origin is known"),
        ("a.test. A 192.0.2.1\n", (1, 1), "no origin"),
    ];
    for (text, (line, column), message) in cases {
        let err = parse(text, "t.zone", None).expect_err(text);
        assert_eq!((err.line, err.column), (line, column), "{text:?}: {err}");
        assert!(err.message.contains(message), "{text:?}: {err}");
    }
}

#[test]
fn hostile_input_never_panics() {
    let samples = [
        "",
        "(",
        ")",
        "\"",
        "\\",
        "@ TXT \\",
        "$ORIGIN",
        "$TTL",
        "@ SOA",
        "\u{feff}@ A 1.2.3.4",
        "@ TXT \"\\",
        "@ TXT \"\\9",
        "é A 1.2.3.4",
        "@ 99999999999 A 1.2.3.4",
        "@ TYPE65 \\# 0",
        "@ IN IN A 1.2.3.4",
        "@ 1 2 A 1.2.3.4",
        ";only a comment",
        "\t\n\t\n",
    ];
    for s in samples {
        let _ = parse(s, "t.zone", Some("z.test"));
        let _ = parse(s, "t.zone", None);
    }
}

#[test]
fn stray_white_space_and_control_characters_are_errors_where_they_stand() {
    // Non-ASCII white space (U+00A0, U+2028), vertical tab and form feed (a flipped bit
    // in '+' or ','), NUL: outside quotes each stopped the lexer's progress once.
    for (text, column, code) in [
        ("x\u{a0}IN A 192.0.2.1\n", 2, "U+00A0"),
        ("$\u{2028}TTL 300\n", 2, "U+2028"),
        ("@ TXT a\u{b}b\n", 8, "U+000B"),
        ("@ A 192.0.2.1\u{c}\n", 14, "U+000C"),
        ("w\u{0} A 192.0.2.1\n", 2, "U+0000"),
        ("@ MX 10 mx\u{3000}.z.test.\n", 11, "U+3000"),
    ] {
        let err = parse(text, "t.zone", Some("z.test")).expect_err(text);
        assert_eq!((err.line, err.column), (1, column), "{text:?}: {err}");
        assert!(err.message.contains(code), "{text:?}: {err}");
    }
    // Inside a quoted string they are data.
    let z = ok("@ TXT \"a\u{a0}b\"\n", Some("z.test"));
    assert_eq!(z.records[0].data, txt(&["a\u{a0}b".as_bytes()]));
}

#[test]
fn one_record_is_bounded_by_what_dns_can_carry() {
    // 300 strings of 255 bytes: 76,800 bytes of data, more than RDLENGTH allows.
    let big = format!(
        "@ TXT {}\n",
        format!("\"{}\" ", "z".repeat(255)).repeat(300)
    );
    let err = parse(&big, "t.zone", Some("z.test")).unwrap_err();
    assert!(err.message.contains("65535 bytes"), "{err}");
    // The 256th string (each takes 258 columns) brings the data to 65,536 bytes.
    assert_eq!(err.column, 7 + 255 * 258, "{err}");
    // One field longer than any record's data is an error at its start.
    for long in [
        format!("@ TXT {}\n", "a".repeat(70_000)),
        format!("@ TXT \"{}\"\n", "b".repeat(70_000)),
    ] {
        let err = parse(&long, "t.zone", Some("z.test")).unwrap_err();
        assert!(err.message.contains("longer than 65535 bytes"), "{err}");
        assert_eq!((err.line, err.column), (1, 7));
    }
    // Many tokens in one entry stop at the bound, not at the end of memory.
    let many = format!("@ TXT ( {} )\n", "a ".repeat(lexer::MAX_ENTRY_TOKENS + 5));
    let err = parse(&many, "t.zone", Some("z.test")).unwrap_err();
    assert!(err.message.contains("fields in one record"), "{err}");
}
