//! DKIM verification of a whole message with mail-auth, fed by the run's own DNS layer: each
//! signature's key record is looked up through `Dns` (so `--zone` and `--nameserver` apply,
//! and the four DNS outcomes stay distinct) and handed to mail-auth pre-seeded in its cache.
//! mail-auth's own resolver points at a closed loopback port: it never reaches the network.

use crate::dns::{Dns, Outcome, RType};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::{
    AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt,
};
use serde::Serialize;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

/// At most this many signatures are checked in one message (hostile input).
pub const MAX_SIGNATURES: usize = 16;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SignatureCheck {
    pub domain: String,
    pub selector: String,
    pub algorithm: String,
    /// `pass`, `fail`, `neutral`, `temperror`, `permerror`.
    pub result: String,
    pub reason: Option<String>,
    /// The outcome of the key lookup (`records`, `nxdomain`, `nodata`, `timeout`…).
    pub key_lookup: String,
    pub signed_headers: Vec<String>,
    pub body_length_limit: Option<u64>,
    /// Whether `From` is among the signed headers (DMARC needs it; RFC 6376 5.4).
    pub from_signed: bool,
    /// The public key's size (RSA modulus bits, 256 for Ed25519), when the key was found.
    pub key_bits: Option<u32>,
    /// `false` when the body was not there to hash (headers-only input): the result then
    /// covers the signed header fields only.
    pub body_checked: bool,
}

/// A mail-auth TXT cache holding exactly the answers our DNS layer gave.
struct Seeded(Mutex<HashMap<Box<str>, Txt>>);

impl ResolverCache<Box<str>, Txt> for Seeded {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.get(name).cloned()
    }
    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.remove(name)
    }
    fn insert(&self, key: Box<str>, value: Txt, _valid_until: std::time::Instant) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, value);
        }
    }
}

fn offline_authenticator() -> Option<MessageAuthenticator> {
    // Port 9 (discard) on loopback: nothing listens, so an unseeded lookup fails at once.
    let ns = NameServerConfig::udp(std::net::IpAddr::from([127, 0, 0, 1]));
    let mut ns = ns;
    for c in &mut ns.connections {
        c.port = 9;
    }
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_millis(200);
    opts.attempts = 1;
    MessageAuthenticator::new(ResolverConfig::from_name_servers(vec![ns]), opts).ok()
}

/// On the wire every line ends in CRLF; a message saved to disk often lost its CRs, and
/// `simple` canonicalization would then fail for that reason alone. Bare LFs become CRLF.
pub fn wire_form(message: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let bare = message
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'\n' && (i == 0 || message[i - 1] != b'\r'));
    if !bare {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = Vec::with_capacity(message.len() + message.len() / 40);
    for (i, b) in message.iter().enumerate() {
        if *b == b'\n' && (i == 0 || message[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*b);
    }
    std::borrow::Cow::Owned(out)
}

/// Looks up `<selector>._domainkey.<domain>` through our DNS layer and seeds mail-auth's
/// cache with the answer. Returns the lookup's outcome label and the key size.
async fn seed_key(
    dns: &Dns,
    seeded: &Seeded,
    selector: &str,
    domain: &str,
) -> (String, Option<u32>) {
    let name = format!("{selector}._domainkey.{domain}").to_ascii_lowercase();
    let answer = dns.query(&name, RType::TXT).await;
    let mut bits = None;
    let txt = match &answer.outcome {
        Outcome::Records => {
            let joined = answer.txt_joined();
            bits = joined
                .iter()
                .find_map(|t| crate::dkim::parse::parse(t).record.bits);
            let parsed = joined
                .iter()
                .map(|t| DomainKey::parse(t.as_bytes()))
                .find(Result::is_ok)
                .unwrap_or_else(|| {
                    DomainKey::parse(joined.first().map_or(&b""[..], |t| t.as_bytes()))
                });
            match parsed {
                Ok(k) => Txt::DomainKey(std::sync::Arc::new(k)),
                Err(e) => Txt::Error(e),
            }
        }
        Outcome::NxDomain => Txt::Error(mail_auth::Error::Dns(
            mail_auth::DnsError::RecordNotFound(ResponseCode::NXDomain),
        )),
        Outcome::NoData => Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(
            ResponseCode::NoError,
        ))),
        other => Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::Resolver(
            other.label(),
        ))),
    };
    seeded.insert(
        format!("{name}.").into_boxed_str(),
        txt,
        std::time::Instant::now() + Duration::from_secs(300),
    );
    (answer.outcome.label(), bits)
}

fn algorithm_name(a: mail_auth::common::crypto::Algorithm) -> &'static str {
    match a {
        mail_auth::common::crypto::Algorithm::RsaSha1 => "rsa-sha1",
        mail_auth::common::crypto::Algorithm::RsaSha256 => "rsa-sha256",
        mail_auth::common::crypto::Algorithm::Ed25519Sha256 => "ed25519-sha256",
    }
}

fn result_parts(r: &DkimResult) -> (&'static str, Option<String>) {
    match r {
        DkimResult::Pass => ("pass", None),
        DkimResult::Neutral(e) => ("neutral", Some(e.to_string())),
        DkimResult::Fail(e) => ("fail", Some(e.to_string())),
        DkimResult::PermError(e) => ("permerror", Some(e.to_string())),
        DkimResult::TempError(e) => ("temperror", Some(e.to_string())),
        DkimResult::None => ("none", None),
    }
}

/// Verifies every DKIM signature of `message` (in its wire form, see [`wire_form`]).
/// `None` when the message does not parse.
pub async fn verify(dns: &Dns, message: &[u8]) -> Option<Vec<SignatureCheck>> {
    verify_with(dns, message, false).await
}

/// As [`verify`]; with `headers_only` (the input had no body: headers pasted from a
/// webmail view) the body hashes cannot be compared, so each signature's own `bh=` is
/// taken as the body's and only the signed header fields are verified (`body_checked`
/// false): a body-hash mismatch there means "cannot tell", never "fail".
pub async fn verify_with(
    dns: &Dns,
    message: &[u8],
    headers_only: bool,
) -> Option<Vec<SignatureCheck>> {
    let wire = wire_form(message);
    let mut parsed = AuthenticatedMessage::parse(&wire)?;
    if headers_only {
        let sigs: Vec<_> = parsed
            .dkim_headers
            .iter()
            .map(|h| (h.header.cb, h.header.a, h.header.l, h.header.bh.clone()))
            .collect();
        for (cb, a, l, bh) in sigs {
            let ha = mail_auth::common::crypto::HashAlgorithm::from(a);
            for entry in parsed.body_hashes.iter_mut() {
                if entry.0 == cb && entry.1 == ha && entry.2 == l {
                    entry.3 = bh.clone();
                }
            }
        }
    }
    let seeded = Seeded(Mutex::new(HashMap::new()));
    let mut lookups = HashMap::new();
    for h in parsed.dkim_headers.iter().take(MAX_SIGNATURES) {
        let sig = &h.header;
        let key = (sig.s.to_ascii_lowercase(), sig.d.to_ascii_lowercase());
        if let std::collections::hash_map::Entry::Vacant(slot) = lookups.entry(key) {
            let (s, d) = slot.key().clone();
            slot.insert(seed_key(dns, &seeded, &s, &d).await);
        }
    }
    let auth = offline_authenticator()?;
    let outputs = auth
        .verify_dkim(Parameters::new(&parsed).with_txt_cache(&seeded))
        .await;
    let mut checks = Vec::new();
    for out in outputs.iter().take(MAX_SIGNATURES) {
        let (result, reason) = result_parts(out.result());
        let (domain, selector, algorithm, headers, l) = match out.signature() {
            Some(s) => (
                s.d.clone(),
                s.s.clone(),
                algorithm_name(s.a).to_string(),
                s.h.iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect::<Vec<_>>(),
                (s.l > 0).then_some(s.l),
            ),
            None => (
                String::new(),
                String::new(),
                String::new(),
                Vec::new(),
                None,
            ),
        };
        let found = lookups.get(&(selector.to_ascii_lowercase(), domain.to_ascii_lowercase()));
        checks.push(SignatureCheck {
            key_lookup: found
                .map(|f| f.0.clone())
                .unwrap_or_else(|| "not looked up".into()),
            key_bits: found.and_then(|f| f.1),
            from_signed: headers.iter().any(|h| h == "from"),
            domain,
            selector,
            algorithm,
            result: result.to_string(),
            reason,
            signed_headers: headers,
            body_length_limit: l,
            body_checked: !headers_only,
        });
    }
    Some(checks)
}

/// One ARC set (RFC 8617 4.1): the seal and the message signature of instance `i`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ArcSet {
    pub instance: u32,
    pub seal_domain: String,
    pub seal_selector: String,
    /// The seal's `cv=`: `none` (first set), `pass` or `fail`.
    pub cv: String,
    pub signature_domain: String,
    pub signature_selector: String,
}

/// The ARC chain as mail-auth validates it (RFC 8617 5.2), keys from our DNS layer.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ArcCheck {
    /// `pass`, `fail`, `neutral` (a broken or expired chain), `temperror`, `permerror`.
    pub result: String,
    pub reason: Option<String>,
    pub sets: Vec<ArcSet>,
    /// As [`SignatureCheck::body_checked`], for the newest ARC-Message-Signature.
    pub body_checked: bool,
}

/// Validates the ARC chain; `None` when the message carries no ARC header fields (or does
/// not parse).
pub async fn verify_arc(dns: &Dns, message: &[u8], headers_only: bool) -> Option<ArcCheck> {
    let wire = wire_form(message);
    let mut parsed = AuthenticatedMessage::parse(&wire)?;
    if parsed.as_headers.is_empty() && parsed.ams_headers.is_empty() && !parsed.has_arc_errors {
        return None;
    }
    if headers_only && let Some(last) = parsed.ams_headers.last() {
        let s = &last.header;
        let (cb, ha, l, bh) = (
            s.cb,
            mail_auth::common::crypto::HashAlgorithm::from(s.a),
            s.l,
            s.bh.clone(),
        );
        for entry in parsed.body_hashes.iter_mut() {
            if entry.0 == cb && entry.1 == ha && entry.2 == l {
                entry.3 = bh.clone();
            }
        }
    }
    let seeded = Seeded(Mutex::new(HashMap::new()));
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut weak_key: Option<String> = None;
    for (s, d, a) in parsed
        .as_headers
        .iter()
        .map(|h| (&h.header.s, &h.header.d, h.header.a))
        .chain(
            parsed
                .ams_headers
                .iter()
                .map(|h| (&h.header.s, &h.header.d, h.header.a)),
        )
        .take(2 * MAX_SIGNATURES)
    {
        let key = (s.to_ascii_lowercase(), d.to_ascii_lowercase());
        if !keys.contains(&key) {
            let (_, bits) = seed_key(dns, &seeded, &key.0, &key.1).await;
            // RFC 8301 3.2: verifiers must not accept RSA keys under 1024 bits (mail-auth
            // verifies with any size).
            let rsa = a != mail_auth::common::crypto::Algorithm::Ed25519Sha256;
            if let Some(bits) = bits.filter(|&b| rsa && b < 1024) {
                weak_key.get_or_insert(format!(
                    "the key {}._domainkey.{} is {bits} bits: RSA keys under 1024 bits are not accepted (RFC 8301 3.2)",
                    key.0, key.1
                ));
            }
            keys.push(key);
        }
    }
    let sets = parsed
        .as_headers
        .iter()
        .take(50)
        .map(|seal| {
            let seal = &seal.header;
            let ams = parsed.ams_headers.iter().find(|a| a.header.i == seal.i);
            ArcSet {
                instance: seal.i,
                seal_domain: seal.d.clone(),
                seal_selector: seal.s.clone(),
                cv: format!("{:?}", seal.cv).to_ascii_lowercase(),
                signature_domain: ams.map(|a| a.header.d.clone()).unwrap_or_default(),
                signature_selector: ams.map(|a| a.header.s.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let auth = offline_authenticator()?;
    let out = auth
        .verify_arc(Parameters::new(&parsed).with_txt_cache(&seeded))
        .await;
    let (mut result, mut reason) = result_parts(out.result());
    // Rules mail-auth does not enforce make a chain it passed (or found incomplete) fail.
    if matches!(result, "pass" | "none" | "neutral")
        && let Some(problem) = super::arc_rules::structural_problem(&wire).or(weak_key)
    {
        result = "fail";
        reason = Some(problem);
    }
    Some(ArcCheck {
        result: result.to_string(),
        reason,
        sets,
        body_checked: !headers_only,
    })
}
