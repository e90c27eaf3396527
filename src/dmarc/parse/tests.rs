#![allow(clippy::type_complexity)]
use super::*;

fn kinds(text: &str) -> Vec<(ProblemKind, Option<String>, (usize, usize))> {
    parse(text)
        .problems
        .into_iter()
        .map(|p| (p.kind, p.tag, p.span))
        .collect()
}

#[test]
fn a_full_record_parses() {
    let r = parse(
        "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; pct=50; t=y; psd=n; \
         rua=mailto:a@example.com,mailto:b@r.example.net!10m; ruf=mailto:f@example.com; fo=1:d; rf=afrf; ri=86400",
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let rec = r.record;
    assert_eq!(rec.p, Some(Policy::Reject));
    assert_eq!(rec.sp, Some(Policy::Quarantine));
    assert_eq!(rec.np, Some(Policy::Reject));
    assert_eq!(rec.adkim_strict, Some(true));
    assert_eq!(rec.aspf_strict, Some(false));
    assert_eq!(rec.pct, Some(50));
    assert_eq!(rec.t, Some(true));
    assert_eq!(rec.psd, Some(Psd::No));
    assert_eq!(rec.rua.len(), 2);
    assert_eq!(rec.rua[1].domain, "r.example.net");
    assert_eq!(rec.rua[1].size.as_deref(), Some("10m"));
    assert_eq!(rec.ruf[0].uri, "mailto:f@example.com");
}

#[test]
fn problems_name_tag_and_position() {
    use ProblemKind::*;
    let s = |t: &str| Some(t.to_string());
    let cases: Vec<(&str, Vec<(ProblemKind, Option<String>, (usize, usize))>)> = vec![
        ("v=DMARC1; p=reject", vec![]),
        ("v=DMARC1;p=reject;", vec![]),
        ("v=DMARC1; p=block", vec![(BadValue, s("p"), (12, 17))]),
        (
            "v=DMARC1; p=none; p=reject",
            vec![(DuplicateTag, s("p"), (18, 26))],
        ),
        ("p=none; v=DMARC1", vec![(VersionNotFirst, s("v"), (8, 16))]),
        ("v=dmarc1; p=none", vec![(VersionNotFirst, s("v"), (0, 8))]),
        (
            "v=DMARC1; p=none; pct=101",
            vec![(BadValue, s("pct"), (22, 25))],
        ),
        (
            "v=DMARC1; p=none; pct=-1",
            vec![(BadValue, s("pct"), (22, 24))],
        ),
        (
            "v=DMARC1; p=none; adkim=strict",
            vec![(BadValue, s("adkim"), (24, 30))],
        ),
        (
            "v=DMARC1; p=none; t=yes",
            vec![(BadValue, s("t"), (20, 23))],
        ),
        (
            "v=DMARC1; p=none; psd=x",
            vec![(BadValue, s("psd"), (22, 23))],
        ),
        (
            "v=DMARC1; p=none; fo=2",
            vec![(BadValue, s("fo"), (21, 22))],
        ),
        (
            "v=DMARC1; p=none; ri=soon",
            vec![(BadValue, s("ri"), (21, 25))],
        ),
        (
            "v=DMARC1; p=none; foo=bar",
            vec![(UnknownTag, s("foo"), (18, 21))],
        ),
        (
            "v=DMARC1; p=none; rua=a@example.com",
            vec![(BadReportUri, s("rua"), (22, 35))],
        ),
        (
            "v=DMARC1; p=none; rua=mailto:a@example.com, https://x.example/r",
            vec![(BadReportUri, s("rua"), (44, 63))],
        ),
        (
            "v=DMARC1; p=none; rua=mailto:a@example.com!10x",
            vec![(BadReportUri, s("rua"), (22, 46))],
        ),
        (
            "v=DMARC1; p=none; rua=mailto:example.com",
            vec![(BadReportUri, s("rua"), (22, 40))],
        ),
        (
            "v=DMARC1; p=none; rua=",
            vec![(BadReportUri, s("rua"), (22, 22))],
        ),
        ("v=DMARC1; p=none; junk", vec![(Syntax, None, (18, 22))]),
        ("", vec![(VersionNotFirst, None, (0, 0))]),
    ];
    for (text, want) in cases {
        assert_eq!(kinds(text), want, "{text}");
    }
}

#[test]
fn missing_p_is_not_a_parse_problem_but_is_visible() {
    let r = parse("v=DMARC1; rua=mailto:a@example.com");
    assert!(r.problems.is_empty());
    assert_eq!(r.record.p, None);
}

#[test]
fn recognises_dmarc_records() {
    for (text, yes) in [
        ("v=DMARC1; p=none", true),
        ("v = DMARC1; p=none", true),
        ("v=DMARC1", true),
        ("  v=DMARC1;p=none", true),
        ("v=DMARC1p=none", false),
        ("v=spf1 -all", false),
        ("p=none; v=DMARC1", false),
        ("v=DMARC10; p=none", false),
    ] {
        assert_eq!(is_dmarc_record(text), yes, "{text}");
    }
    assert!(mentions_dmarc("p=none; v = DMARC1"));
    assert!(!mentions_dmarc("v=spf1 -all"));
}

#[test]
fn tags_run_together_are_missing_separators_not_a_wrong_version() {
    let text = "v=DMARC1 p=reject rua=mailto:d@example.com";
    let r = parse(text);
    let got: Vec<_> = r.problems.iter().map(|p| (p.kind, p.tag.clone())).collect();
    assert_eq!(
        got,
        vec![(ProblemKind::MissingSeparator, Some("v".to_string()))],
        "{:?}",
        r.problems
    );
    assert!(
        r.problems[0].message.contains("before `p=`"),
        "{}",
        r.problems[0].message
    );
    assert_eq!(
        with_separators(text),
        "v=DMARC1; p=reject; rua=mailto:d@example.com"
    );
    // Inside a later tag: that tag is not judged as a value (no bad p= on top).
    let r = parse("v=DMARC1; p=reject rua=mailto:d@example.com");
    let got: Vec<_> = r.problems.iter().map(|p| (p.kind, p.tag.clone())).collect();
    assert_eq!(
        got,
        vec![(ProblemKind::MissingSeparator, Some("p".to_string()))]
    );
    // A list of URIs, or white space around `=`, is not a run-together tag.
    for fine in [
        "v=DMARC1; p=none; rua=mailto:a@example.com, mailto:b@example.org",
        "v = DMARC1; p = none",
    ] {
        assert!(
            parse(fine).problems.is_empty(),
            "{fine}: {:?}",
            parse(fine).problems
        );
        assert_eq!(with_separators(fine), fine);
    }
}
