//! `DKIM-Signature` tag list (RFC 6376 3.5, RFC 8301, RFC 8463): what the signer claims,
//! before any key is fetched or hash computed. Pure; the tag-list syntax is the one DKIM key
//! records use, so it is read by [`crate::dkim::taglist`], and every problem carries the
//! byte span of its tag in the value given.

use crate::dkim::taglist::{self, Tag};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Canon {
    Simple,
    Relaxed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub tag: Option<String>,
    pub span: (usize, usize),
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DkimSignature {
    #[serde(skip)]
    pub tags: Vec<Tag>,
    /// v=, as written (must be `1`).
    pub version: Option<String>,
    /// a=, lower-cased: `rsa-sha256`, `ed25519-sha256`, `rsa-sha1`.
    pub algorithm: Option<String>,
    /// c= header part; `simple` when c= is absent.
    pub header_canon: Canon,
    /// c= body part; `simple` when absent or when c= names only the header part.
    pub body_canon: Canon,
    /// d=, lower-cased.
    pub domain: Option<String>,
    /// s=, as written.
    pub selector: Option<String>,
    /// h=, lower-cased, in order (repeats kept: they matter for over-signing).
    pub signed_headers: Vec<String>,
    /// `from` is in h= (RFC 6376 5.4 requires it).
    pub from_signed: bool,
    /// `from` is at least twice in h= ("over-signed"): a From field added in transit then
    /// breaks the signature instead of being shown to the reader unsigned.
    pub from_oversigned: bool,
    /// l=: only this many body bytes are signed; anything appended is not.
    pub body_length: Option<u64>,
    /// t=, seconds since the epoch.
    pub timestamp: Option<u64>,
    /// x=, seconds since the epoch.
    pub expiration: Option<u64>,
    /// i=, as written; `@d` by default (not filled in here).
    pub identity: Option<String>,
    /// q=, as written.
    pub query: Option<String>,
    /// bh=, whitespace removed.
    pub body_hash: Option<String>,
    /// b=, whitespace removed (not serialised: long, and of no use to a reader).
    #[serde(skip)]
    pub signature: Option<String>,
    pub problems: Vec<Problem>,
}

/// What a support person should hear about a signature at a given moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureFacts {
    pub from_signed: bool,
    /// l= is present: content can be appended without breaking the signature.
    pub body_length_limited: bool,
    /// x= is before `now`: verifiers treat the signature as failing (RFC 6376 6.1.1).
    pub expired: bool,
    /// t= is after `now`: the signer's clock is ahead (or the field is forged).
    pub timestamp_in_future: bool,
    /// t= minus `now` when t= is in the future.
    pub timestamp_ahead_seconds: Option<u64>,
}

const REQUIRED: [&str; 7] = ["v", "a", "b", "bh", "d", "h", "s"];

pub fn parse(value: &str) -> DkimSignature {
    let (tags, errors) = taglist::tokenize(value);
    let mut problems: Vec<Problem> = errors
        .into_iter()
        .map(|e| Problem {
            tag: None,
            span: e.span,
            message: e.message,
        })
        .collect();
    for dup in taglist::duplicates(&tags) {
        problems.push(problem(
            dup,
            format!(
                "`{}=` appears more than once (RFC 6376 3.2: the signature fails)",
                dup.name
            ),
        ));
    }
    for name in REQUIRED {
        if taglist::get(&tags, name).is_none() {
            problems.push(Problem {
                tag: Some(name.to_string()),
                span: (value.len(), value.len()),
                message: format!("the required `{name}=` tag is missing"),
            });
        }
    }
    let get = |name: &str| taglist::get(&tags, name);

    if let Some(v) = get("v")
        && v.value != "1"
    {
        problems.push(problem(
            v,
            format!("v={} is not the only version, 1", v.value),
        ));
    }
    let algorithm = get("a").map(|a| a.value.to_ascii_lowercase());
    if let (Some(tag), Some(alg)) = (get("a"), &algorithm) {
        match alg.as_str() {
            "rsa-sha256" | "ed25519-sha256" => {}
            "rsa-sha1" => problems.push(problem(
                tag,
                "rsa-sha1: verifiers must not accept SHA-1 signatures (RFC 8301)".to_string(),
            )),
            _ => problems.push(problem(
                tag,
                format!("`{alg}` is not a DKIM signing algorithm"),
            )),
        }
    }
    let (mut header_canon, mut body_canon) = (Canon::Simple, Canon::Simple);
    if let Some(c) = get("c") {
        let (h, b) = match c.value.split_once('/') {
            Some((h, b)) => (h, Some(b)),
            None => (c.value.as_str(), None),
        };
        match canon(h) {
            Some(x) => header_canon = x,
            None => problems.push(problem(
                c,
                format!("`{h}` is not a header canonicalization (simple or relaxed)"),
            )),
        }
        match b.map(canon) {
            None => {}
            Some(Some(x)) => body_canon = x,
            Some(None) => problems.push(problem(
                c,
                format!(
                    "`{}` is not a body canonicalization (simple or relaxed)",
                    b.unwrap_or("")
                ),
            )),
        }
    }
    let domain = get("d").map(|d| d.value.to_ascii_lowercase());
    let mut signed_headers = Vec::new();
    if let Some(h) = get("h") {
        for name in h.value.split(':') {
            let name = name.trim_matches(|c: char| c.is_ascii_whitespace());
            if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b)) {
                problems.push(problem(
                    h,
                    format!("`{name}` in h= is not a header field name"),
                ));
                continue;
            }
            signed_headers.push(name.to_ascii_lowercase());
        }
    }
    let from_count = signed_headers.iter().filter(|h| *h == "from").count();
    if let Some(h) = get("h")
        && from_count == 0
    {
        problems.push(problem(
            h,
            "h= does not include From (RFC 6376 5.4 requires it)".to_string(),
        ));
    }
    let body_length = number(get("l"), 76, &mut problems);
    let timestamp = number(get("t"), 12, &mut problems);
    let expiration = number(get("x"), 12, &mut problems);
    if let (Some(t), Some(x), Some(tag)) = (timestamp, expiration, get("x"))
        && x <= t
    {
        problems.push(problem(
            tag,
            format!("x={x} is not after t={t} (RFC 6376 3.5)"),
        ));
    }
    let identity = get("i").map(|i| i.value.clone());
    if let (Some(tag), Some(i), Some(d)) = (get("i"), &identity, &domain) {
        let idomain = i.rsplit_once('@').map(|(_, dom)| dom.to_ascii_lowercase());
        match idomain {
            None => problems.push(problem(tag, format!("i={i} has no `@`"))),
            Some(id) if id == *d || id.ends_with(&format!(".{d}")) => {}
            Some(id) => problems.push(problem(
                tag,
                format!("i= domain `{id}` is not d={d} or a subdomain of it (RFC 6376 3.5)"),
            )),
        }
    }
    let query = get("q").map(|q| q.value.clone());
    if let (Some(tag), Some(q)) = (get("q"), &query)
        && !q
            .split(':')
            .any(|m| m.trim().eq_ignore_ascii_case("dns/txt"))
    {
        problems.push(problem(
            tag,
            format!("q={q} does not include dns/txt, the only query method"),
        ));
    }
    let body_hash = get("bh").map(|t| base64_value(t, &mut problems));
    let signature = get("b").map(|t| base64_value(t, &mut problems));
    if let (Some(tag), Some(b)) = (get("b"), &signature)
        && b.is_empty()
    {
        problems.push(problem(tag, "b= is empty".to_string()));
    }
    DkimSignature {
        version: get("v").map(|v| v.value.clone()),
        algorithm,
        header_canon,
        body_canon,
        domain,
        selector: get("s").map(|s| s.value.clone()),
        from_signed: from_count > 0,
        from_oversigned: from_count > 1,
        signed_headers,
        body_length,
        timestamp,
        expiration,
        identity,
        query,
        body_hash,
        signature,
        problems,
        tags,
    }
}

/// The facts at `now_unix` (the caller's clock: the parser reads none).
pub fn assess(sig: &DkimSignature, now_unix: i64) -> SignatureFacts {
    let now = u64::try_from(now_unix).unwrap_or(0);
    let ahead = sig.timestamp.filter(|&t| t > now).map(|t| t - now);
    SignatureFacts {
        from_signed: sig.from_signed,
        body_length_limited: sig.body_length.is_some(),
        expired: sig.expiration.is_some_and(|x| x < now),
        timestamp_in_future: ahead.is_some(),
        timestamp_ahead_seconds: ahead,
    }
}

fn problem(tag: &Tag, message: String) -> Problem {
    Problem {
        tag: Some(tag.name.to_ascii_lowercase()),
        span: tag.value_span,
        message,
    }
}

fn canon(s: &str) -> Option<Canon> {
    match s.trim().to_ascii_lowercase().as_str() {
        "simple" => Some(Canon::Simple),
        "relaxed" => Some(Canon::Relaxed),
        _ => None,
    }
}

/// RFC 6376 3.5: t= and x= are at most 12 digits, l= at most 76.
fn number(tag: Option<&Tag>, max_digits: usize, problems: &mut Vec<Problem>) -> Option<u64> {
    let tag = tag?;
    let v = &tag.value;
    if v.is_empty() || v.len() > max_digits || !v.bytes().all(|b| b.is_ascii_digit()) {
        problems.push(problem(
            tag,
            format!("`{v}` is not a number of at most {max_digits} digits"),
        ));
        return None;
    }
    match v.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            problems.push(problem(tag, format!("`{v}` is too large")));
            None
        }
    }
}

/// Folding whitespace is allowed inside b= and bh= (RFC 6376 3.5); anything else must be
/// base64.
fn base64_value(tag: &Tag, problems: &mut Vec<Problem>) -> String {
    let compact: String = tag
        .value
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if let Some(c) = compact
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
    {
        problems.push(problem(tag, format!("`{c}` is not base64")));
    }
    compact
}

#[cfg(test)]
mod tests {
    use super::*;

    const GMAIL: &str = "v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n        d=example.com; s=20230601; t=1720519954; x=1721124754; darn=example.net;\r\n        h=to:subject:message-id:date:from:mime-version:from:to:cc:subject\r\n         :date:message-id:reply-to;\r\n        bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n        b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ\r\n         ==";

    #[test]
    fn gmail_signature() {
        let s = parse(GMAIL);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.algorithm.as_deref(), Some("rsa-sha256"));
        assert_eq!(
            (s.header_canon, s.body_canon),
            (Canon::Relaxed, Canon::Relaxed)
        );
        assert_eq!(s.domain.as_deref(), Some("example.com"));
        assert_eq!(s.selector.as_deref(), Some("20230601"));
        assert_eq!(
            &s.signed_headers[..5],
            ["to", "subject", "message-id", "date", "from"]
        );
        assert_eq!(s.signed_headers.len(), 13);
        assert!(s.from_signed && s.from_oversigned);
        assert_eq!(
            (s.timestamp, s.expiration),
            (Some(1_720_519_954), Some(1_721_124_754))
        );
        assert_eq!(
            s.body_hash.as_deref(),
            Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        );
        assert_eq!(
            s.signature.as_deref(),
            Some("dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==")
        );
        let f = assess(&s, 1_720_520_000);
        assert!(!f.expired && !f.timestamp_in_future && !f.body_length_limited && f.from_signed);
        let f = assess(&s, 1_721_124_755);
        assert!(f.expired);
        let f = assess(&s, 1_720_519_900);
        assert_eq!(
            (f.timestamp_in_future, f.timestamp_ahead_seconds),
            (true, Some(54))
        );
    }

    #[test]
    fn defaults_and_other_signers() {
        // Amazon SES: no c= (simple/simple), capital From in h=.
        let s = parse(
            "v=1; a=rsa-sha256; q=dns/txt; s=ug7nbtf4gccmlpwj322ax3p6ow6yfsug; d=amazonses.com; t=1720519954; h=From:To:Subject:Date:Message-ID:Feedback-ID; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=abc=",
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(
            (s.header_canon, s.body_canon),
            (Canon::Simple, Canon::Simple)
        );
        assert!(s.from_signed && !s.from_oversigned);
        assert_eq!(s.signed_headers[0], "from");
        // c=relaxed alone: the body stays simple (RFC 6376 3.5).
        let s = parse(
            "v=1; a=ed25519-sha256; c=relaxed; d=example.org; s=ed; h=from; bh=x; b=y; i=@mail.example.org; l=1200",
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(
            (s.header_canon, s.body_canon),
            (Canon::Relaxed, Canon::Simple)
        );
        assert_eq!(s.body_length, Some(1200));
        assert!(assess(&s, 0).body_length_limited);
        assert_eq!(s.identity.as_deref(), Some("@mail.example.org"));
    }

    #[test]
    fn problems_name_the_tag_and_span() {
        let base = "v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=aa; b=bb";
        // (value, tag, substring)
        let cases: &[(String, &str, &str)] = &[
            (base.replace("v=1", "v=2"), "v", "version"),
            (base.replace("rsa-sha256", "rsa-sha1"), "a", "RFC 8301"),
            (base.replace("rsa-sha256", "rsa-md5"), "a", "not a DKIM"),
            (
                base.replace("h=from", "h=to:subject"),
                "h",
                "does not include From",
            ),
            (
                base.replace("h=from", "h=from::to"),
                "h",
                "not a header field name",
            ),
            (
                format!("{base}; c=loose/simple"),
                "c",
                "header canonicalization",
            ),
            (
                format!("{base}; c=relaxed/loose"),
                "c",
                "body canonicalization",
            ),
            (format!("{base}; l=12a"), "l", "not a number"),
            (format!("{base}; t=1234567890123"), "t", "at most 12"),
            (format!("{base}; t=200; x=100"), "x", "not after"),
            (
                format!("{base}; i=user@evil.example"),
                "i",
                "not d=example.com",
            ),
            (
                format!("{base}; i=user@notexample.com"),
                "i",
                "not d=example.com",
            ),
            (format!("{base}; i=nobody"), "i", "no `@`"),
            (format!("{base}; q=http/well-known"), "q", "dns/txt"),
            (base.replace("bh=aa", "bh=a!a"), "bh", "not base64"),
            (base.replace("b=bb", "b="), "b", "empty"),
            (format!("{base}; d=other.example"), "d", "more than once"),
            (base.replace("s=s; ", ""), "s", "missing"),
        ];
        for (value, tag, needle) in cases {
            let s = parse(value);
            let p = s
                .problems
                .iter()
                .find(|p| p.message.contains(needle))
                .unwrap_or_else(|| panic!("{value}: {:?}", s.problems));
            assert_eq!(p.tag.as_deref(), Some(*tag), "{value}");
            assert!(
                p.span.0 <= p.span.1 && p.span.1 <= value.len(),
                "{value}: {p:?}"
            );
        }
        let value = format!("{base}; x=5x ");
        let p = &parse(&value).problems[0];
        assert_eq!(&value[p.span.0..p.span.1], "5x");
    }

    #[test]
    fn nonsense_and_extremes() {
        let s = parse("");
        assert_eq!(s.problems.len(), REQUIRED.len());
        let s = parse("garbage");
        assert!(s.problems[0].message.contains("not a tag=value"));
        let s = parse("v=1; l=99999999999999999999999999");
        assert!(s.problems.iter().any(|p| p.message.contains("too large")));
        // A clock before the epoch or far ahead must not overflow.
        let s = parse("v=1; t=999999999999; x=999999999999");
        assert!(assess(&s, i64::MIN).timestamp_in_future);
        assert!(assess(&s, i64::MAX).expired);
        let json = serde_json::to_value(parse(GMAIL)).unwrap();
        assert_eq!(json["header_canon"], "relaxed");
        assert!(json.get("signature").is_none());
    }
}
