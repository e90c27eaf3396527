//! DKIM key record parser (RFC 6376 3.6.1, RFC 8301, RFC 8463). Pure, with byte positions.

use super::der::{self, DerError};
use super::taglist::{self, Tag};
use base64::Engine;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// Tag-list syntax, `v=` not first or not `DKIM1`, missing `p=`, duplicate tags, bad t=/h=/s=.
    Syntax,
    /// k= other than rsa or ed25519.
    UnknownKeyType,
    /// p= is not base64, not an RSA key, or not a 32-byte Ed25519 key.
    KeyData,
    /// h= allows only sha1 (RFC 8301: verifiers must not accept rsa-sha1).
    Sha1Only,
    /// s= excludes email.
    NotForEmail,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub tag: Option<String>,
    pub span: (usize, usize),
    pub message: String,
    /// For key data: the DER error, so callers can tell a truncated key.
    pub der: Option<DerError>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRecord {
    pub tags: Vec<Tag>,
    /// k=, lower-cased; `rsa` when absent.
    pub key_type: String,
    /// h=, when present.
    pub hashes: Vec<String>,
    /// p= is empty: the key is revoked.
    pub revoked: bool,
    pub testing: bool,
    pub strict: bool,
    /// RSA modulus bits, or 256 for Ed25519, when p= decoded.
    pub bits: Option<u32>,
    /// p= decoded from base64 (whitespace removed), when it decodes.
    pub key_bytes: Option<Vec<u8>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub record: KeyRecord,
    pub problems: Vec<Problem>,
}

impl Parsed {
    pub fn has(&self, kind: ProblemKind) -> bool {
        self.problems.iter().any(|p| p.kind == kind)
    }
}

/// Whether a TXT record is meant as a DKIM key at all: `v=DKIM1` first or a `p=` tag.
/// (A wildcard TXT such as an SPF record at `*.example.com` answers every selector.)
pub fn looks_like_key(text: &str) -> bool {
    let (tags, _) = taglist::tokenize(text);
    tags.first()
        .is_some_and(|t| t.name == "v" && t.value.eq_ignore_ascii_case("DKIM1"))
        || taglist::get(&tags, "p").is_some()
}

/// Padding is optional in practice: verifiers (OpenSSL's base64 reader) accept both.
const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Decode a p= value: folding whitespace inside is allowed (RFC 6376 3.6.1).
pub fn decode_key(value: &str) -> Result<Vec<u8>, String> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if let Some((i, c)) = compact
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
    {
        return Err(format!(
            "{c:?} is not a base64 character (at offset {i} of the key)"
        ));
    }
    B64.decode(compact.as_bytes())
        .map_err(|e| format!("not valid base64: {e}"))
}

pub fn parse(text: &str) -> Parsed {
    let (tags, syntax) = taglist::tokenize(text);
    let mut out = Parsed::default();
    let problem = |out: &mut Parsed, kind, tag: Option<&Tag>, span, message: String| {
        out.problems.push(Problem {
            kind,
            tag: tag.map(|t| t.name.clone()),
            span,
            message,
            der: None,
        })
    };
    for e in syntax {
        problem(&mut out, ProblemKind::Syntax, None, e.span, e.message);
    }
    for (i, t) in tags.iter().enumerate() {
        if t.name == "v" {
            if i != 0 {
                problem(
                    &mut out,
                    ProblemKind::Syntax,
                    Some(t),
                    t.name_span,
                    "v= must be the first tag when present".into(),
                );
            } else if t.value != "DKIM1" {
                problem(
                    &mut out,
                    ProblemKind::Syntax,
                    Some(t),
                    t.value_span,
                    format!("v=`{}` is not DKIM1: verifiers discard the key", t.value),
                );
            }
        }
    }
    for d in taglist::duplicates(&tags) {
        problem(
            &mut out,
            ProblemKind::Syntax,
            Some(d),
            (d.name_span.0, d.value_span.1),
            format!(
                "`{}` appears more than once: verifiers discard the key (RFC 6376 3.2)",
                d.name
            ),
        );
    }
    let rec = &mut out.record;
    rec.key_type = "rsa".into();
    let mut problems = Vec::new();
    if let Some(k) = taglist::get(&tags, "k") {
        rec.key_type = k.value.to_ascii_lowercase();
        if !matches!(rec.key_type.as_str(), "rsa" | "ed25519") {
            problems.push((
                ProblemKind::UnknownKeyType,
                k,
                k.value_span,
                format!(
                    "k=`{}` is not rsa or ed25519: verifiers cannot use this key",
                    k.value
                ),
            ));
        }
    }
    if let Some(h) = taglist::get(&tags, "h") {
        rec.hashes = h
            .value
            .split(':')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        if !rec.hashes.iter().any(|x| x == "sha256") {
            if rec.hashes.iter().any(|x| x == "sha1") {
                problems.push((
                    ProblemKind::Sha1Only,
                    h,
                    h.value_span,
                    format!(
                        "h={} allows only SHA-1, which verifiers must not accept (RFC 8301)",
                        h.value
                    ),
                ));
            } else {
                problems.push((
                    ProblemKind::Syntax,
                    h,
                    h.value_span,
                    format!("h=`{}` lists no hash verifiers know (sha256)", h.value),
                ));
            }
        }
    }
    if let Some(t) = taglist::get(&tags, "t") {
        for flag in t.value.split(':').map(str::trim) {
            match flag {
                "y" => rec.testing = true,
                "s" => rec.strict = true,
                _ => {} // unknown flags are ignored (RFC 6376 3.6.1)
            }
        }
    }
    if let Some(s) = taglist::get(&tags, "s") {
        let email = s
            .value
            .split(':')
            .map(str::trim)
            .any(|x| x == "*" || x.eq_ignore_ascii_case("email"));
        if !email {
            problems.push((
                ProblemKind::NotForEmail,
                s,
                s.value_span,
                format!(
                    "s=`{}` does not include email or *: verifiers ignore this key for mail",
                    s.value
                ),
            ));
        }
    }
    let mut der_error = None;
    match taglist::get(&tags, "p") {
        None => {
            let span = (0, text.len());
            out.problems.push(Problem {
                kind: ProblemKind::Syntax,
                tag: Some("p".into()),
                span,
                message: "no p= tag: this is not a usable key record".into(),
                der: None,
            });
        }
        Some(p) if p.value.trim().is_empty() => rec.revoked = true,
        Some(p) => match decode_key(&p.value) {
            Err(e) => problems.push((ProblemKind::KeyData, p, p.value_span, format!("p= {e}"))),
            Ok(bytes) => {
                match rec.key_type.as_str() {
                    "ed25519" => {
                        if bytes.len() == 32 {
                            rec.bits = Some(256);
                        } else {
                            problems.push((ProblemKind::KeyData, p, p.value_span, format!(
                                "an Ed25519 p= must be the bare 32-byte key (RFC 8463), this one is {} bytes{}",
                                bytes.len(),
                                if bytes.len() == 44 { " (a SubjectPublicKeyInfo: publish only its last 32 bytes)" } else { "" }
                            )));
                        }
                    }
                    "rsa" => match der::rsa_key_info(&bytes) {
                        Ok(info) => rec.bits = Some(info.bits),
                        Err(e) => {
                            let hint = if bytes.len() == 32 {
                                " (32 bytes: an Ed25519 key published without k=ed25519?)"
                            } else {
                                ""
                            };
                            problems.push((
                                ProblemKind::KeyData,
                                p,
                                p.value_span,
                                format!("p= is not an RSA public key: {e}{hint}"),
                            ));
                            der_error = Some(e);
                        }
                    },
                    _ => {}
                }
                rec.key_bytes = Some(bytes);
            }
        },
    }
    for (kind, tag, span, message) in problems {
        let der = if kind == ProblemKind::KeyData {
            der_error.clone()
        } else {
            None
        };
        out.problems.push(Problem {
            kind,
            tag: Some(tag.name.clone()),
            span,
            message,
            der,
        });
    }
    out.record.tags = tags;
    out
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;

    pub const RSA1024: &str = include_str!("../../fixtures/zones/dkim/keys/rsa1024.b64");
    pub const RSA2048: &str = include_str!("../../fixtures/zones/dkim/keys/rsa2048.b64");
    pub const ED25519: &str = include_str!("../../fixtures/zones/dkim/keys/ed25519.b64");

    fn kinds(text: &str) -> Vec<(ProblemKind, Option<String>, (usize, usize))> {
        parse(text)
            .problems
            .into_iter()
            .map(|p| (p.kind, p.tag, p.span))
            .collect()
    }

    #[test]
    fn good_keys() {
        let r = parse(&format!("v=DKIM1; k=rsa; p={}", RSA2048.trim()));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.record.bits, Some(2048));
        let r = parse(&format!("p={}", RSA1024.trim()));
        assert!(r.problems.is_empty());
        assert_eq!(r.record.bits, Some(1024));
        assert_eq!(r.record.key_type, "rsa");
        let r = parse(&format!("v=DKIM1; k=ed25519; p={}", ED25519.trim()));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.record.bits, Some(256));
        // whitespace inside p= is folding whitespace
        let k = RSA1024.trim();
        let r = parse(&format!("v=DKIM1; p={} {}", &k[..100], &k[100..]));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let r = parse("v=DKIM1; k=rsa; t=y:s; h=sha256:sha1; s=email; n=hi; zz=ignored; p=");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.record.revoked && r.record.testing && r.record.strict);
        assert_eq!(r.record.hashes, vec!["sha256", "sha1"]);
    }

    #[test]
    fn problems_with_positions() {
        use ProblemKind::*;
        let s = |t: &str| Some(t.to_string());
        let cases: Vec<(&str, Vec<(ProblemKind, Option<String>, (usize, usize))>)> = vec![
            ("k=rsa; v=DKIM1; p=", vec![(Syntax, s("v"), (7, 8))]),
            ("v=DKIM2; p=", vec![(Syntax, s("v"), (2, 7))]),
            (
                "v=DKIM1; k=dsa; p=",
                vec![(UnknownKeyType, s("k"), (11, 14))],
            ),
            ("v=DKIM1; h=sha1; p=", vec![(Sha1Only, s("h"), (11, 15))]),
            ("v=DKIM1; h=md5; p=", vec![(Syntax, s("h"), (11, 14))]),
            (
                "v=DKIM1; s=tlsrpt; p=",
                vec![(NotForEmail, s("s"), (11, 17))],
            ),
            ("v=DKIM1; s=email:tlsrpt; p=", vec![]),
            ("v=DKIM1; k=rsa", vec![(Syntax, s("p"), (0, 14))]),
            ("v=DKIM1; p=; p=", vec![(Syntax, s("p"), (13, 15))]),
            ("v=DKIM1; p=abc$def", vec![(KeyData, s("p"), (11, 18))]),
            ("v=DKIM1; p=\"abc\"", vec![(KeyData, s("p"), (11, 16))]),
            ("v=DKIM1; p=AAAA", vec![(KeyData, s("p"), (11, 15))]),
            (
                "v=DKIM1; k=ed25519; p=AAAA",
                vec![(KeyData, s("p"), (22, 26))],
            ),
            ("v=DKIM1; garbage; p=", vec![(Syntax, None, (9, 16))]),
        ];
        for (text, want) in cases {
            assert_eq!(kinds(text), want, "{text}");
        }
    }

    #[test]
    fn truncated_rsa_key_reports_truncation() {
        let k = RSA2048.trim();
        let r = parse(&format!("v=DKIM1; k=rsa; p={}", &k[..200]));
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].der, Some(DerError::Truncated));
    }

    #[test]
    fn ed25519_as_spki_is_explained() {
        let spki = "MCowBQYDK2VwAyEA".to_string() + &"A".repeat(43) + "=";
        let r = parse(&format!("v=DKIM1; k=ed25519; p={spki}"));
        assert!(
            r.problems[0].message.contains("SubjectPublicKeyInfo"),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn recognises_key_records() {
        assert!(looks_like_key("v=DKIM1; p=abc"));
        assert!(looks_like_key("k=rsa; p=abc"));
        assert!(looks_like_key("v=DKIM1"));
        assert!(!looks_like_key("v=spf1 -all"));
        assert!(!looks_like_key("google-site-verification=abc"));
    }

    /// Every parser of this area on noise: no input may panic. A small xorshift keeps it
    /// deterministic without a dependency.
    #[test]
    fn no_parser_panics_on_noise() {
        let alphabet: Vec<char> =
            "v=DKIM1DMARC1STSv1TLSRPTv1BIMI1;:,!@. \t\"=pkhtsnrua/+é€0123456789mailto:https://"
                .chars()
                .collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let len = (next() % 120) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = parse(&text);
            let _ = crate::dmarc::parse::parse(&text);
            for kind in [
                crate::policy_records::parse::Kind::MtaSts,
                crate::policy_records::parse::Kind::TlsRpt,
                crate::policy_records::parse::Kind::Bimi,
            ] {
                let _ = kind.parse(&text);
            }
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = der::rsa_key_info(&bytes);
            let mut seq = vec![0x30, (len as u8) & 0x7f];
            seq.extend(&bytes);
            let _ = der::rsa_key_info(&seq);
        }
    }
}
