//! AWS Signature Version 4 for a GET with no body, as AWS documents it ("Create a signed AWS
//! API request", IAM User Guide; the Signature Version 4 test suite): canonical request →
//! string to sign → signing key (HMAC-SHA256 chain over date, region, service,
//! `aws4_request`) → hex signature in the `Authorization` header. Only `host` and
//! `x-amz-date` are signed: SES needs nothing else for a read. Paths are URI-encoded once
//! more for the canonical request, as every service but S3 requires.

use super::percent_encode as uri_encode;
use ring::{digest, hmac};

/// What one request is signed over: `path` as sent on the request line (encoded once),
/// `query` as plain `name=value` pairs joined by `&` (not yet encoded).
pub struct Input<'a> {
    pub method: &'a str,
    /// The Host field as sent (with the port when it is not the scheme's default).
    pub host: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub key_id: &'a str,
    pub secret: &'a str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

/// Query parameters encoded and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(k, false), uri_encode(v, false))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn canonical_request(i: &Input<'_>) -> String {
    let path = if i.path.is_empty() { "/" } else { i.path };
    format!(
        "{}\n{}\n{}\nhost:{}\nx-amz-date:{}\n\nhost;x-amz-date\n{}",
        i.method,
        uri_encode(path, true),
        canonical_query(i.query),
        i.host.trim(),
        i.amz_date,
        sha256_hex(b"")
    )
}

fn scope(i: &Input<'_>) -> String {
    format!(
        "{}/{}/{}/aws4_request",
        &i.amz_date[..8.min(i.amz_date.len())],
        i.region,
        i.service
    )
}

pub fn string_to_sign(i: &Input<'_>) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        i.amz_date,
        scope(i),
        sha256_hex(canonical_request(i).as_bytes())
    )
}

/// The `Authorization` header's value.
pub fn authorization(i: &Input<'_>) -> String {
    let date = &i.amz_date[..8.min(i.amz_date.len())];
    let mut key = hmac_sha256(format!("AWS4{}", i.secret).as_bytes(), date.as_bytes());
    for part in [i.region, i.service, "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    let signature = hex(&hmac_sha256(&key, string_to_sign(i).as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders=host;x-amz-date, Signature={signature}",
        i.key_id,
        scope(i)
    )
}

/// `20150830T123600Z` for a Unix time.
pub fn amz_date(unix: i64) -> String {
    crate::message::date::rfc3339(unix).replace(['-', ':'], "")
}

/// A path segment as the request line carries it (encoded once).
pub fn path_segment(s: &str) -> String {
    uri_encode(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The credentials and request of AWS's Signature Version 4 test suite
    /// (aws-sig-v4-test-suite: `get-vanilla`, `get-vanilla-query-order-key-case`).
    fn suite(query: &str) -> Input<'_> {
        Input {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            query,
            amz_date: "20150830T123600Z",
            region: "us-east-1",
            service: "service",
            key_id: "AKIDEXAMPLE",
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        }
    }

    #[test]
    fn get_vanilla() {
        let i = suite("");
        assert_eq!(
            canonical_request(&i),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(&i),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(
            authorization(&i),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn get_vanilla_query_order_key_case() {
        let a = authorization(&suite("Param2=value2&Param1=value1"));
        assert!(
            a.ends_with(
                "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
            ),
            "{a}"
        );
    }

    #[test]
    fn paths_are_encoded_again_and_dates_formatted() {
        // An address identity goes on the wire as a%40b.example; AWS signs it encoded twice.
        let mut i = suite("");
        let path = format!("/v2/email/identities/{}", path_segment("a@b.example"));
        assert_eq!(path, "/v2/email/identities/a%40b.example");
        i.path = &path;
        assert!(
            canonical_request(&i).starts_with("GET\n/v2/email/identities/a%2540b.example\n"),
            "{}",
            canonical_request(&i)
        );
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
    }
}
