use super::*;

fn ok(record: &str) -> SpfRecord {
    parse_record(record).unwrap_or_else(|e| panic!("{record}: {e}"))
}

fn mech(term: &str) -> Mechanism {
    let r = ok(&format!("v=spf1 {term}"));
    match &r.terms[0].kind {
        TermKind::Directive { mechanism, .. } => mechanism.clone(),
        k => panic!("{term}: {k:?}"),
    }
}

#[test]
fn version_selection() {
    assert!(is_spf_record("v=spf1"));
    assert!(is_spf_record("V=SpF1 -all"));
    assert!(!is_spf_record("v=spf10"));
    assert!(!is_spf_record("v=spf1mx"));
    assert!(!is_spf_record(" v=spf1 -all"));
    assert!(!is_spf_record("spf1"));
    assert!(!is_spf_record("v=spf1\t-all"));
}

#[test]
fn good_records() {
    let r = ok("v=spf1 a  -all ");
    assert_eq!(r.terms.len(), 2);
    assert_eq!(r.terms[1].position, 10);
    assert_eq!(ok("v=spf1").terms.len(), 0);
    let r = ok(
        "v=spf1 ip4:192.0.2.0/24 ~include:_spf.example.net ?mx -all exp=explain.%{d} moo.cow-far_out=man:dog/cat redirect=x.example.com",
    );
    assert_eq!(r.directives().count(), 4);
    assert!(r.redirect().is_some() && r.exp().is_some());
    assert_eq!(r.all().map(|(_, q)| q), Some(Qualifier::Fail));
    assert!(
        matches!(&r.terms[5].kind, TermKind::Unknown { name, .. } if name == "moo.cow-far_out")
    );
    ok("v=spf1 default=pass");
    ok("v=spf1 REDIRECT=example.com");
    ok("v=spf1 a:foo:bar/baz.example.com");
    ok("v=spf1 a:foo.example.xn--zckzah -all");
    ok("v=spf1 a:example.com.");
    ok("v=spf1 redirect=%{d}.d.spf.example.com.");
    ok("v=spf1 exists:%{i}.%{l2r-}.user.%{d2}");
    ok("v=spf1 a:macro%%percent%_%_space%-url-space.example.com");
    ok("v=spf1 a:123-456.example.123-456");
}

#[test]
fn mechanisms_and_cidrs() {
    assert_eq!(
        mech("a/24//64"),
        Mechanism::A {
            domain: None,
            cidr: DualCidr {
                v4: Some(24),
                v6: Some(64)
            }
        }
    );
    assert_eq!(
        mech("mx//0"),
        Mechanism::Mx {
            domain: None,
            cidr: DualCidr {
                v4: None,
                v6: Some(0)
            }
        }
    );
    match mech("a:foo.example.com/24") {
        Mechanism::A { domain, cidr } => {
            assert_eq!(domain.unwrap().literal().unwrap(), "foo.example.com");
            assert_eq!(
                cidr,
                DualCidr {
                    v4: Some(24),
                    v6: None
                }
            );
        }
        m => panic!("{m:?}"),
    }
    assert_eq!(
        mech("ip4:1.1.1.1/0"),
        Mechanism::Ip4 {
            network: "1.1.1.1".parse().unwrap(),
            prefix: 0
        }
    );
    assert_eq!(
        mech("ip4:192.0.2.1"),
        Mechanism::Ip4 {
            network: "192.0.2.1".parse().unwrap(),
            prefix: 32
        }
    );
    assert_eq!(
        mech("ip6:::1.1.1.1/0"),
        Mechanism::Ip6 {
            network: "::1.1.1.1".parse().unwrap(),
            prefix: 0
        }
    );
    assert_eq!(
        mech("ip6:Cafe:Babe:8000::/33"),
        Mechanism::Ip6 {
            network: "cafe:babe:8000::".parse().unwrap(),
            prefix: 33
        }
    );
    assert_eq!(mech("ptr"), Mechanism::Ptr(None));
    assert!(matches!(mech("PTR:example.Com"), Mechanism::Ptr(Some(_))));
    assert_eq!(mech("ALL"), Mechanism::All);
    assert!(matches!(
        mech("exists:%{ir}.%{v}._spf.%{d2}"),
        Mechanism::Exists(_)
    ));
}

#[test]
fn qualifiers() {
    let r = ok("v=spf1 +a -a ~a ?a a");
    let q: Vec<Qualifier> = r.directives().map(|(_, q, _)| q).collect();
    use Qualifier::*;
    assert_eq!(q, vec![Pass, Fail, SoftFail, Neutral, Pass]);
}

#[test]
fn errors_name_the_term_and_its_byte_offset() {
    // (record, offending term, byte offset)
    let cases = [
        ("v=spf1 -all foo:bar", "foo:bar", 12),
        ("v=spf1 ip4:1.2.3.4 -all moo", "moo", 24),
        (
            "v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all",
            "moo.cow/far_out=man:dog/cat",
            7,
        ),
        (
            "v=spf1 moo.cow:far_out=man:dog/cat -all",
            "moo.cow:far_out=man:dog/cat",
            7,
        ),
        (
            "v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
            "redirect:t2.example.com",
            19,
        ),
        ("v=spf1 a:foo-bar -all", "a:foo-bar", 7),
        (
            "v=spf1 a:mail.example...com -all",
            "a:mail.example...com",
            7,
        ),
        ("v=spf1 -all.", "-all.", 7),
        ("v=spf1 -all:foobar", "-all:foobar", 7),
        ("v=spf1 -all/8", "-all/8", 7),
        ("v=spf1 ptr/0 -all", "ptr/0", 7),
        ("v=spf1 ptr:", "ptr:", 7),
        ("v=spf1 a/33 -all", "a/33", 7),
        ("v=spf1 a//129 -all", "a//129", 7),
        ("v=spf1 a/24/64 -all", "a/24/64", 7),
        ("v=spf1 a:111.222.33.44", "a:111.222.33.44", 7),
        ("v=spf1 a:abc.123", "a:abc.123", 7),
        ("v=spf1 a:museum", "a:museum", 7),
        ("v=spf1 a:museum.", "a:museum.", 7),
        ("v=spf1 a:example.com:8080", "a:example.com:8080", 7),
        ("v=spf1 a:example.-com", "a:example.-com", 7),
        ("v=spf1 a:", "a:", 7),
        ("v=spf1 include +all", "include", 7),
        ("v=spf1 include: -all", "include:", 7),
        (
            "v=spf1 include:ip5.example.com/24 -all",
            "include:ip5.example.com/24",
            7,
        ),
        ("v=spf1 exists", "exists", 7),
        (
            "v=spf1 exists:mail.example.com/24",
            "exists:mail.example.com/24",
            7,
        ),
        ("v=spf1 ip4:1.2.3.4/33 -all", "ip4:1.2.3.4/33", 7),
        ("v=spf1 ip4:1.2.3.4/032 -all", "ip4:1.2.3.4/032", 7),
        ("v=spf1 ip4", "ip4", 7),
        ("v=spf1 ip4:1.2.3.4//32", "ip4:1.2.3.4//32", 7),
        ("v=spf1 ip4:1.2.3.4:8080", "ip4:1.2.3.4:8080", 7),
        ("v=spf1 ip4:1.2.3", "ip4:1.2.3", 7),
        ("v=spf1 ip4:300.1.1.1", "ip4:300.1.1.1", 7),
        ("v=spf1 ip4:01.1.1.1", "ip4:01.1.1.1", 7),
        ("v=spf1 -all ip6", "ip6", 12),
        ("v=spf1 ip6:::1.1.1.1/129", "ip6:::1.1.1.1/129", 7),
        ("v=spf1 ip6:::1.1.1.1//33", "ip6:::1.1.1.1//33", 7),
        ("v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE", 7),
        ("v=spf1 1up=foo", "1up=foo", 7),
        ("v=spf1 =all", "=all", 7),
        ("v=spf1 -all foo=%abc", "foo=%abc", 12),
        ("v=spf1 exp= -all", "exp=", 7),
        ("v=spf1 exp=-all", "exp=-all", 7),
        ("v=spf1 redirect=-all ?all", "redirect=-all", 7),
        ("v=spf1 ?all redirect=", "redirect=", 12),
        (
            "v=spf1 exp=a.example.com -all exp=b.example.com",
            "exp=b.example.com",
            30,
        ),
        (
            "v=spf1 redirect=a.example.com redirect=a.example.com",
            "redirect=a.example.com",
            30,
        ),
        (
            "v=spf1 -all exp=%{r}.example.com",
            "exp=%{r}.example.com",
            12,
        ),
        (
            "v=spf1 -exists:%(ir).sbl.example.com ?all",
            "-exists:%(ir).sbl.example.com",
            7,
        ),
        ("v=spf1 a:%{a}.example.com -all", "a:%{a}.example.com", 7),
        (
            "v=spf1 a:ctrl.example.com\rptr -all",
            "a:ctrl.example.com\rptr",
            7,
        ),
        ("v=spf1 \u{80}a:example.net -all", "\u{80}a:example.net", 7),
        ("v=spf1 a:foo.example.com\0", "a:foo.example.com\0", 7),
        (
            "v=spf1 +redirect=a.example.com",
            "+redirect=a.example.com",
            7,
        ),
        (
            "v=spf1 a:a123456789012345678901234567890123456789012345678901234567890123.example.com",
            "a:a123456789012345678901234567890123456789012345678901234567890123.example.com",
            7,
        ),
        ("v=spf2 -all", "v=spf2", 0),
    ];
    for (record, term, position) in cases {
        match parse_record(record) {
            Ok(r) => panic!("{record:?} parsed: {r:?}"),
            Err(e) => {
                assert_eq!(
                    (e.term.as_str(), e.position),
                    (term, position),
                    "{record:?}: {e}"
                );
            }
        }
    }
}

#[test]
fn error_display() {
    let e = parse_record("v=spf1 -all foo:bar").unwrap_err();
    assert_eq!(e.to_string(), "unknown mechanism \"foo:bar\" at byte 12");
}
