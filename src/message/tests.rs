//! Every parser of this module on noise: no input may panic, every offset and span stays
//! inside its input, and hostile shapes stay cheap. A small xorshift keeps it deterministic
//! without a dependency (as in `dkim::parse`'s noise test).

use super::{auth_results, date, dkim_signature, headers, received};

struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A realistic message, the base the mutations start from.
const SAMPLE: &str = "From bounce@example.com Tue Jul  9 10:12:40 2024\r\n\
Received: from mail.example.org (mail.example.org [198.51.100.7])\r\n\
\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n\
\tby mx.example.net (Postfix) with ESMTPS id 4WJ1x for <bob@example.net>;\r\n\
\tTue,  9 Jul 2024 12:12:34 +0200 (CEST)\r\n\
Received: from [10.0.0.5] ([203.0.113.1]:4242 helo=client) by mail.example.org\r\n\
\twith esmtpsa (TLS1.3) tls TLS_AES_128_GCM_SHA256 (Exim 4.96) id 1a;\r\n\
\tTue, 09 Jul 2024 03:12:30 -0700 (PDT)\r\n\
Authentication-Results: mx.example.net; dkim=pass (2048-bit key) header.d=example.org\r\n\
\theader.s=s1 header.b=AbCd; spf=pass smtp.mailfrom=\"a b\"@example.org;\r\n\
\tdmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.org\r\n\
ARC-Authentication-Results: i=1; mx.example.net; arc=none\r\n\
Received-SPF: pass (mx.example.net: domain of a@example.org designates 198.51.100.7\r\n\
\tas permitted sender) client-ip=198.51.100.7; envelope-from=\"a@example.org\"; helo=client;\r\n\
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=example.org; s=s1;\r\n\
\tt=1720519954; x=1721124754; l=10; h=from:to:subject:from;\r\n\
\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGhp\r\n\
\tcw==\r\n\
From: Alice <a@example.org>\r\n\
Subject: =?utf-8?q?caf=C3=A9?=\r\n\
Date: Tue, 9 Jul 2024 10:12:30 +0000\r\n\
\r\n\
Hello.\r\n";

/// Bytes that change the structure of a field when inserted.
const SPECIALS: &[u8] = b"();:\"\\\r\n ([=@<>";

/// Every field parser on one value, with the invariants they promise.
fn all_field_parsers(value: &str) {
    let r = received::parse(value);
    for p in &r.problems {
        assert!(p.offset <= value.len(), "received {value:?}: {p:?}");
    }
    for ar in [auth_results::parse(value), auth_results::parse_arc(value)] {
        for p in &ar.problems {
            assert!(p.offset <= value.len(), "auth-results {value:?}: {p:?}");
        }
        for res in &ar.results {
            assert!(res.offset <= value.len());
        }
    }
    for p in &auth_results::parse_received_spf(value).problems {
        assert!(p.offset <= value.len(), "received-spf {value:?}: {p:?}");
    }
    let sig = dkim_signature::parse(value);
    for p in &sig.problems {
        assert!(
            p.span.0 <= p.span.1 && p.span.1 <= value.len(),
            "dkim {value:?}: {p:?}"
        );
    }
    let _ = dkim_signature::assess(&sig, 1_720_519_954);
    if let Err(e) = date::parse(value) {
        assert!(e.offset <= value.len(), "date {value:?}: {e:?}");
    }
}

fn whole_message(bytes: &[u8]) {
    let Ok(m) = headers::parse(bytes) else {
        return;
    };
    for f in &m.fields {
        assert_eq!(&bytes[f.offset..f.offset + f.raw.len()], f.raw);
        all_field_parsers(&f.value);
    }
    if let (Some(body), Some(at)) = (m.body, m.body_offset) {
        assert_eq!(&bytes[at..], body);
    }
    let _ = received::chain(&m);
}

#[test]
fn no_parser_panics_on_noise() {
    let alphabet: Vec<char> =
        "fromby withidfor;:()[]<>\"\\=@.,/+- \t\r\n0123456789ESMTPSAv=1a;h=bdkimspfdmarcpassfailnoneTueJul+0000GMTIPv6:é€\u{0}"
            .chars()
            .collect();
    let mut n = Noise(0x9e37_79b9_7f4a_7c15);
    for _ in 0..4000 {
        let len = n.below(160);
        let text: String = (0..len)
            .map(|_| alphabet[n.below(alphabet.len())])
            .collect();
        all_field_parsers(&text);
        whole_message(text.as_bytes());
        let bytes: Vec<u8> = (0..len).map(|_| n.next() as u8).collect();
        whole_message(&bytes);
        all_field_parsers(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn no_parser_panics_on_mutated_messages() {
    let mut n = Noise(0x2545_f491_4f6c_dd1d);
    let base = SAMPLE.as_bytes();
    whole_message(base);
    for _ in 0..1500 {
        let mut bytes = base.to_vec();
        for _ in 0..1 + n.below(8) {
            let at = n.below(bytes.len());
            match n.below(5) {
                0 => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, SPECIALS[n.below(SPECIALS.len())]),
                2 => bytes[at] = n.next() as u8,
                3 => bytes.truncate(at),
                _ => {
                    // Duplicate a slice: repeated clauses, tags and fields.
                    let end = (at + n.below(40)).min(bytes.len());
                    let piece = bytes[at..end].to_vec();
                    bytes.splice(at..at, piece);
                }
            }
            if bytes.is_empty() {
                bytes.push(b'x');
            }
        }
        whole_message(&bytes);
    }
}

#[test]
fn hostile_shapes_stay_bounded() {
    // Deep comments, runs of semicolons and quotes at the field size limit.
    let limit = headers::MAX_FIELD_BYTES - 20;
    for value in [
        "(".repeat(limit),
        "(".repeat(limit / 2) + &")".repeat(limit / 2),
        ";".repeat(limit),
        "\"".repeat(limit),
        "a=".repeat(limit / 2),
        "from ".repeat(limit / 5),
        "\\".repeat(limit),
    ] {
        all_field_parsers(&value);
    }
    // A thousand Received fields: the chain keeps the top MAX_HOPS.
    let text = "Received: from a by b with ESMTP id 1; Tue, 9 Jul 2024 10:12:34 +0000\r\n"
        .repeat(headers::MAX_FIELDS);
    let m = headers::parse(text.as_bytes()).unwrap();
    let c = received::chain(&m);
    assert_eq!(c.hops.len(), received::MAX_HOPS);
    assert_eq!(c.omitted, headers::MAX_FIELDS - received::MAX_HOPS);
}

/// The base of the mutations reads as intended, so the mutations start from a message that
/// reaches every parser's deep paths.
#[test]
fn sample_reaches_every_parser() {
    let m = headers::parse(SAMPLE.as_bytes()).unwrap();
    assert!(m.mbox_from.is_some() && m.defects.is_empty());
    let c = received::chain(&m);
    assert_eq!(c.hops.len(), 2);
    assert_eq!(
        c.hops[0].received.from.as_ref().unwrap().helo.as_deref(),
        Some("client")
    );
    assert_eq!(
        (c.hops[1].delay_seconds, c.total_seconds),
        (Some(4), Some(4))
    );
    assert!(c.hops.iter().all(|h| h.received.encrypted == Some(true)));
    let ar = auth_results::parse(&m.get("authentication-results").unwrap().value);
    assert!(ar.problems.is_empty(), "{:?}", ar.problems);
    assert_eq!(ar.results.len(), 3);
    let arc = auth_results::parse_arc(&m.get("arc-authentication-results").unwrap().value);
    assert_eq!(
        (arc.instance, arc.results[0].result.as_str()),
        (Some(1), "none")
    );
    let spf = auth_results::parse_received_spf(&m.get("received-spf").unwrap().value);
    assert!(spf.problems.is_empty(), "{:?}", spf.problems);
    assert_eq!(spf.helo.as_deref(), Some("client"));
    let sig = dkim_signature::parse(&m.get("dkim-signature").unwrap().value);
    assert!(sig.problems.is_empty(), "{:?}", sig.problems);
    assert_eq!(sig.signature.as_deref(), Some("dGhpcw=="));
    let facts = dkim_signature::assess(&sig, 1_720_519_954);
    assert!(facts.from_signed && facts.body_length_limited && sig.from_oversigned);
    assert!(date::parse(&m.get("date").unwrap().value).is_ok());
}
