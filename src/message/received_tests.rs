//! `Received:` as the big MTAs write it (from real messages, addresses and ids changed).

use super::headers;
use super::received::*;

/// What one field should yield; `None` fields are not checked.
#[derive(Default)]
struct Want {
    helo: Option<&'static str>,
    rdns: Option<Option<&'static str>>,
    ip: Option<&'static str>,
    by: Option<&'static str>,
    by_ip: Option<&'static str>,
    with: Option<&'static str>,
    protocol: Option<&'static str>,
    id: Option<&'static str>,
    for_addr: Option<&'static str>,
    tls_version: Option<&'static str>,
    cipher: Option<&'static str>,
    encrypted: Option<Option<bool>>,
    authenticated: Option<Option<bool>>,
    utc: Option<&'static str>,
}

fn check(name: &str, value: &str, w: &Want) {
    let r = parse(value);
    let from = r.from.clone().unwrap_or_default();
    let ctx = format!("{name}: {r:#?}");
    if let Some(h) = w.helo {
        assert_eq!(from.helo.as_deref(), Some(h), "helo {ctx}");
    }
    if let Some(n) = w.rdns {
        assert_eq!(from.rdns.as_deref(), n, "rdns {ctx}");
    }
    if let Some(ip) = w.ip {
        assert_eq!(
            from.ip.map(|i| i.to_string()).as_deref(),
            Some(ip),
            "ip {ctx}"
        );
    }
    if let Some(b) = w.by {
        assert_eq!(
            r.by.as_ref().and_then(|b| b.host.as_deref()),
            Some(b),
            "by {ctx}"
        );
    }
    if let Some(ip) = w.by_ip {
        let got = r.by.as_ref().and_then(|b| b.ip).map(|i| i.to_string());
        assert_eq!(got.as_deref(), Some(ip), "by ip {ctx}");
    }
    if let Some(x) = w.with {
        assert_eq!(r.with.as_deref(), Some(x), "with {ctx}");
    }
    if let Some(p) = w.protocol {
        assert_eq!(
            r.protocol.as_ref().map(|p| p.name.as_str()),
            Some(p),
            "protocol {ctx}"
        );
    }
    if let Some(id) = w.id {
        assert_eq!(r.id.as_deref(), Some(id), "id {ctx}");
    }
    if let Some(f) = w.for_addr {
        assert_eq!(r.for_addr.as_deref(), Some(f), "for {ctx}");
    }
    if let Some(v) = w.tls_version {
        assert_eq!(
            r.tls.as_ref().and_then(|t| t.version.as_deref()),
            Some(v),
            "tls {ctx}"
        );
    }
    if let Some(c) = w.cipher {
        assert_eq!(
            r.tls.as_ref().and_then(|t| t.cipher.as_deref()),
            Some(c),
            "cipher {ctx}"
        );
    }
    if let Some(e) = w.encrypted {
        assert_eq!(r.encrypted, e, "encrypted {ctx}");
    }
    if let Some(a) = w.authenticated {
        assert_eq!(r.authenticated, a, "authenticated {ctx}");
    }
    if let Some(u) = w.utc {
        assert_eq!(
            r.date.as_ref().map(|d| d.utc.as_str()),
            Some(u),
            "date {ctx}"
        );
    }
}

#[test]
fn gmail() {
    check(
        "gmail inbound",
        "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id a640c23a62f3a-a7a9b5b8c2esor2153466b.1.2024.07.09.03.12.34\r\n        for <user@example.com>\r\n        (Google Transport Security);\r\n        Tue, 09 Jul 2024 03:12:34 -0700 (PDT)",
        &Want {
            helo: Some("mail-sor-f41.google.com"),
            rdns: Some(Some("mail-sor-f41.google.com")),
            ip: Some("209.85.220.41"),
            by: Some("mx.google.com"),
            protocol: Some("SMTPS"),
            id: Some("a640c23a62f3a-a7a9b5b8c2esor2153466b.1.2024.07.09.03.12.34"),
            for_addr: Some("user@example.com"),
            encrypted: Some(Some(true)),
            authenticated: Some(Some(false)),
            utc: Some("2024-07-09T10:12:34Z"),
            ..Want::default()
        },
    );
    check(
        "gmail from another provider",
        "from e226-55.smtp-out.us-west-2.amazonses.com (e226-55.smtp-out.us-west-2.amazonses.com. [54.240.27.55]) by mx.google.com with ESMTPS id d9443c01a7336-1fb3a4f2b1esi9871235ad.512.2024.07.09.03.12.30 for <user@gmail.com> (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128); Tue, 09 Jul 2024 03:12:30 -0700 (PDT)",
        &Want {
            rdns: Some(Some("e226-55.smtp-out.us-west-2.amazonses.com")),
            ip: Some("54.240.27.55"),
            protocol: Some("ESMTPS"),
            tls_version: Some("TLS1_3"),
            cipher: Some("TLS_AES_128_GCM_SHA256"),
            utc: Some("2024-07-09T10:12:30Z"),
            ..Want::default()
        },
    );
    check(
        "gmail submission",
        "from [192.168.1.20] ([203.0.113.9]) by smtp.gmail.com with ESMTPSA id 5b1f17b1804b1-4266f6e5a4bsm123456f9.11.2024.07.09.03.12.20 (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Tue, 09 Jul 2024 03:12:20 -0700 (PDT)",
        &Want {
            helo: Some("[192.168.1.20]"),
            rdns: Some(None),
            ip: Some("203.0.113.9"),
            authenticated: Some(Some(true)),
            encrypted: Some(Some(true)),
            ..Want::default()
        },
    );
    check(
        "gmail internal, IPv6 by, no from",
        "by 2002:a05:6402:2554:b0:57c:6b3f:2d3a with SMTP id a20csp123456edb; Tue, 9 Jul 2024 03:12:35 -0700 (PDT)",
        &Want {
            by: Some("2002:a05:6402:2554:b0:57c:6b3f:2d3a"),
            by_ip: Some("2002:a05:6402:2554:b0:57c:6b3f:2d3a"),
            encrypted: Some(Some(false)),
            ..Want::default()
        },
    );
}

#[test]
fn microsoft_365() {
    check(
        "exchange online inbound",
        "from mail.example.com (203.0.113.5) by DB8EUR05FT012.mail.protection.outlook.com (10.233.238.126) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7741.18 via Frontend Transport; Tue, 9 Jul 2024 10:12:33 +0000",
        &Want {
            helo: Some("mail.example.com"),
            rdns: Some(None),
            ip: Some("203.0.113.5"),
            by: Some("DB8EUR05FT012.mail.protection.outlook.com"),
            by_ip: Some("10.233.238.126"),
            with: Some("Microsoft SMTP Server"),
            id: Some("15.20.7741.18"),
            tls_version: Some("TLS1_2"),
            cipher: Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            encrypted: Some(Some(true)),
            authenticated: Some(None),
            ..Want::default()
        },
    );
    let r = parse(
        "from AM6PR01MB1234.eurprd01.prod.exchangelabs.com\r\n (2603:10a6:20b:1::12) by AM6PR01MB5678.eurprd01.prod.exchangelabs.com\r\n with HTTPS; Tue, 9 Jul 2024 10:12:34 +0000",
    );
    assert_eq!(
        r.from.unwrap().ip.unwrap().to_string(),
        "2603:10a6:20b:1::12"
    );
    assert_eq!(r.protocol.as_ref().unwrap().base, "HTTP");
    assert_eq!(r.encrypted, Some(true));
    assert_eq!(r.via, None);
    let r = parse(
        "from DB8EUR05FT012.eop-eur05.prod.protection.outlook.com (2603:10a6:10:1:cafe::1) by AM6P192CA0012.outlook.office365.com (2603:10a6:209:83::25) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7741.34 via Frontend Transport; Tue, 9 Jul 2024 10:12:33 +0000",
    );
    assert_eq!(r.via.as_deref(), Some("Frontend Transport"));
    assert_eq!(
        r.by.unwrap().ip.unwrap().to_string(),
        "2603:10a6:209:83::25"
    );
}

#[test]
fn postfix() {
    check(
        "postfix inbound with TLS",
        "from mail.example.org (mail.example.org [198.51.100.7])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n\t(No client certificate requested)\r\n\tby mx.example.net (Postfix) with ESMTPS id 4WJ1x23abcz9sT\r\n\tfor <bob@example.net>; Tue,  9 Jul 2024 12:12:34 +0200 (CEST)",
        &Want {
            helo: Some("mail.example.org"),
            rdns: Some(Some("mail.example.org")),
            ip: Some("198.51.100.7"),
            by: Some("mx.example.net"),
            protocol: Some("ESMTPS"),
            id: Some("4WJ1x23abcz9sT"),
            for_addr: Some("bob@example.net"),
            tls_version: Some("TLSv1.3"),
            cipher: Some("TLS_AES_256_GCM_SHA384"),
            utc: Some("2024-07-09T10:12:34Z"),
            ..Want::default()
        },
    );
    let r = parse(
        "from helo.invalid (unknown [198.51.100.8]) by mx.example.net (Postfix) with ESMTP id 4WJ1x; Tue, 9 Jul 2024 10:12:34 +0000",
    );
    let from = r.from.clone().unwrap();
    assert_eq!(
        (from.helo.as_deref(), from.rdns),
        (Some("helo.invalid"), None)
    );
    assert_eq!(r.encrypted, Some(false));
    let r = parse(
        "from [127.0.0.1] (localhost [127.0.0.1]) (Authenticated sender: alice@example.org) by smtp.example.org (Postfix) with ESMTPSA id 4WJ2y; Tue, 9 Jul 2024 10:12:30 +0000",
    );
    assert_eq!(r.authenticated_sender.as_deref(), Some("alice@example.org"));
    assert_eq!(r.authenticated, Some(true));
    assert_eq!(r.tls.as_ref().and_then(|t| t.bits.as_deref()), None);
    let r = parse(
        "from mx.example.net (mail.example.org [IPv6:2001:db8::25]) (using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)) by mx2.example.net (Postfix) with ESMTPS id 4WJ3z; Tue, 9 Jul 2024 10:12:30 +0000",
    );
    assert_eq!(r.from.unwrap().ip.unwrap().to_string(), "2001:db8::25");
    assert_eq!(r.tls.unwrap().bits.as_deref(), Some("256/256"));
    // Local pickup: no from clause.
    let r = parse(
        "by mx.example.net (Postfix, from userid 1000) id 4WJ4; Tue, 9 Jul 2024 10:12:30 +0000",
    );
    assert!(r.from.is_none() && r.protocol.is_none() && r.encrypted.is_none());
    assert!(r.problems.is_empty(), "{:?}", r.problems);
}

#[test]
fn exim() {
    check(
        "exim with helo and TLS",
        "from mail.example.org ([198.51.100.7]:42424 helo=smtp.example.org)\n\tby mx.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from <bounce@example.org>)\n\tid 1sR3aB-0001Xy-2k\n\tfor bob@example.net; Tue, 09 Jul 2024 10:12:34 +0000",
        &Want {
            helo: Some("smtp.example.org"),
            rdns: Some(Some("mail.example.org")),
            ip: Some("198.51.100.7"),
            protocol: Some("esmtps"),
            id: Some("1sR3aB-0001Xy-2k"),
            for_addr: Some("bob@example.net"),
            tls_version: Some("TLS1.3"),
            cipher: Some("TLS_AES_256_GCM_SHA384"),
            encrypted: Some(Some(true)),
            ..Want::default()
        },
    );
    let r = parse(
        "from [198.51.100.9] (port=51234 helo=client.example)\n\tby mx.example.net with esmtpa (Exim 4.96)\n\t(envelope-from <alice@example.net>)\n\tid 1sR3aC-0002; Tue, 09 Jul 2024 10:12:34 +0000",
    );
    let from = r.from.clone().unwrap();
    assert_eq!(from.helo.as_deref(), Some("client.example"));
    assert_eq!(from.rdns, None);
    assert_eq!(from.ip.unwrap().to_string(), "198.51.100.9");
    assert_eq!(r.envelope_from.as_deref(), Some("alice@example.net"));
    assert_eq!((r.authenticated, r.encrypted), (Some(true), Some(false)));
    // Older Exim: version, cipher and bits in one comment.
    let r = parse(
        "from x.example ([198.51.100.10]) by mx.example.net with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256) (Exim 4.92) id 1a; Tue, 09 Jul 2024 10:12:34 +0000",
    );
    let tls = r.tls.unwrap();
    assert_eq!(
        (
            tls.version.as_deref(),
            tls.cipher.as_deref(),
            tls.bits.as_deref()
        ),
        (
            Some("TLS1.2"),
            Some("ECDHE_RSA_AES_256_GCM_SHA384"),
            Some("256")
        )
    );
    let r = parse(
        "from user by host.example.net with local (Exim 4.96) (envelope-from <user@host.example.net>) id 1b; Tue, 09 Jul 2024 10:12:34 +0000",
    );
    assert_eq!((r.with.as_deref(), r.encrypted), (Some("local"), None));
}

#[test]
fn sendmail_ses_qmail() {
    check(
        "sendmail",
        "from host.example.com (host.example.com [192.0.2.44] (may be forged))\n\tby mx.example.net (8.15.2/8.15.2) with ESMTPS id 469AC123456789\n\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT)\n\tfor <bob@example.net>; Tue, 9 Jul 2024 10:12:34 GMT",
        &Want {
            rdns: Some(Some("host.example.com")),
            ip: Some("192.0.2.44"),
            tls_version: Some("TLSv1.3"),
            id: Some("469AC123456789"),
            utc: Some("2024-07-09T10:12:34Z"),
            ..Want::default()
        },
    );
    let r = parse(
        "from localhost (root@localhost [IPv6:::1]) by host.example.com (8.15.2/8.15.2/Submit) id 469AD; Tue, 9 Jul 2024 10:12:34 -0700",
    );
    let from = r.from.unwrap();
    assert_eq!(
        (from.rdns.as_deref(), from.ip.unwrap().to_string()),
        (Some("localhost"), "::1".to_string())
    );
    let r = parse(
        "from a8-30.smtp-out.amazonses.com (a8-30.smtp-out.amazonses.com [54.240.8.30]) by inbound-smtp.us-east-1.amazonaws.com with SMTP id 5o2kqv8g9 for bob@example.net; Tue, 09 Jul 2024 10:12:34 +0000 (UTC)",
    );
    assert_eq!(r.from.unwrap().ip.unwrap().to_string(), "54.240.8.30");
    assert_eq!(r.encrypted, Some(false));
    let r = parse(
        "from [10.0.0.12] by email-smtp.amazonaws.com with SMTP (SimpleEmailService-d-ABCDEF123) id Ab12Cd34 for bob@example.net; Tue, 09 Jul 2024 10:12:33 +0000 (UTC)",
    );
    assert_eq!(r.from.unwrap().ip.unwrap().to_string(), "10.0.0.12");
    assert!(r.tls.is_none());
    let r = parse(
        "from unknown (HELO mail.example.com) (198.51.100.7)\n  by mail.example.net with SMTP; 9 Jul 2024 10:12:34 -0000",
    );
    let from = r.from.unwrap();
    assert_eq!(
        (
            from.helo.as_deref(),
            from.rdns.as_deref(),
            from.ip.unwrap().to_string()
        ),
        (Some("mail.example.com"), None, "198.51.100.7".to_string())
    );
    assert!(r.date.unwrap().zone_unknown);
    let r = parse("(qmail 12345 invoked by uid 89); 9 Jul 2024 10:12:34 -0000");
    assert!(r.from.is_none() && r.date.is_some() && r.problems.is_empty());
    assert_eq!(r.comments, ["qmail 12345 invoked by uid 89"]);
}

#[test]
fn nonsense_is_reported_not_fatal() {
    // (value, substring of a problem)
    let cases: &[(&str, &str)] = &[
        ("", "no `;`"),
        ("from x by y", "no `;`"),
        ("from x by y; yesterday", "date"),
        ("garbage; Tue, 9 Jul 2024 10:12:34 +0000", "before any"),
        (
            "from x (unclosed by y; Tue, 9 Jul 2024 10:12:34 +0000",
            "never closed",
        ),
        (
            "from x from y; Tue, 9 Jul 2024 10:12:34 +0000",
            "second `from`",
        ),
        (
            "from x; id y; Tue, 9 Jul 2024 10:12:34 +0000",
            "a `;` before",
        ),
        (";;;;", "date"),
    ];
    for (value, needle) in cases {
        let r = parse(value);
        assert!(
            r.problems.iter().any(|p| p.message.contains(needle)),
            "{value:?}: {:?}",
            r.problems
        );
        for p in &r.problems {
            assert!(p.offset <= value.len(), "{value:?}: {p:?}");
        }
    }
    let r = parse("from x by y; Tue, 9 Jul 2024 10:12:34 +0000 junk");
    assert_eq!(r.problems[0].offset, 44, "{:?}", r.problems);
    let r = parse("from [not-an-ip] ([999.1.1.1]) by y with SMTPQ; Tue, 9 Jul 2024 10:12:34 +0000");
    assert_eq!(r.from.unwrap().ip, None);
    assert_eq!(r.protocol, None);
}

fn message_of(received: &[&str]) -> String {
    received
        .iter()
        .map(|r| format!("Received: {r}\r\n"))
        .collect::<String>()
        + "Subject: x\r\n\r\n"
}

#[test]
fn chain_is_chronological_with_signed_delays() {
    let text = message_of(&[
        "from mx.example.net by imap.example.net with LMTP id 3; Tue, 9 Jul 2024 10:12:40 +0000",
        "from mail.example.org (mail.example.org [198.51.100.7]) by mx.example.net with ESMTPS id 2; Tue, 9 Jul 2024 12:12:30 +0200",
        "from [10.0.0.5] (client [203.0.113.1]) by mail.example.org with ESMTPSA id 1; Tue, 9 Jul 2024 03:12:34 -0700",
    ]);
    let m = headers::parse(text.as_bytes()).unwrap();
    let c = chain(&m);
    let ids: Vec<&str> = c
        .hops
        .iter()
        .map(|h| h.received.id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    let delays: Vec<Option<i64>> = c.hops.iter().map(|h| h.delay_seconds).collect();
    assert_eq!(delays, [None, Some(-4), Some(10)]);
    assert!(c.hops[1].clock_skew && !c.hops[2].clock_skew);
    assert_eq!((c.total_seconds, c.clock_skews, c.omitted), (Some(6), 1, 0));
    assert_eq!(c.hops[0].offset, m.fields[2].offset);
    assert_eq!(c.hops[2].index, 2);
}

#[test]
fn undated_hops_are_skipped_for_delays() {
    let c = chain_of(&[
        (30, "by c; Tue, 9 Jul 2024 10:00:09 +0000"),
        (20, "by b"),
        (10, "by a; Tue, 9 Jul 2024 10:00:00 +0000"),
    ]);
    assert_eq!(c.hops[1].delay_seconds, None);
    assert_eq!(
        (c.hops[2].delay_seconds, c.hops[2].since_hop),
        (Some(9), Some(0))
    );
    assert_eq!(c.total_seconds, Some(9));
    assert_eq!(chain_of(&[]).total_seconds, None);
}

#[test]
fn chain_is_bounded_and_keeps_the_top() {
    let fields: Vec<(usize, String)> = (0..MAX_HOPS + 20)
        .map(|i| (i, format!("by h{i}; Tue, 9 Jul 2024 10:00:00 +0000")))
        .collect();
    let refs: Vec<(usize, &str)> = fields.iter().map(|(o, v)| (*o, v.as_str())).collect();
    let c = chain_of(&refs);
    assert_eq!((c.hops.len(), c.omitted), (MAX_HOPS, 20));
    // The newest (top) field is the last hop.
    assert_eq!(c.hops.last().unwrap().offset, 0);
}

#[test]
fn serialises_for_the_report() {
    let r = parse(
        "from a (a [192.0.2.1]) by b with ESMTPS id 1 for <x@y>; Tue, 9 Jul 2024 10:00:00 +0000",
    );
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["from"]["ip"], "192.0.2.1");
    assert_eq!(v["for"], "x@y");
    assert_eq!(v["date"]["utc"], "2024-07-09T10:00:00Z");
    let c = chain_of(&[(0, "by b; Tue, 9 Jul 2024 10:00:00 +0000")]);
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["hops"][0]["by"]["host"], "b");
}
