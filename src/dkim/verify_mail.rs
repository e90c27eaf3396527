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

/// Verifies every DKIM signature of `message` (in its wire form, see [`wire_form`]).
/// `None` when the message does not parse.
pub async fn verify(dns: &Dns, message: &[u8]) -> Option<Vec<SignatureCheck>> {
    let wire = wire_form(message);
    let parsed = AuthenticatedMessage::parse(&wire)?;
    let seeded = Seeded(Mutex::new(HashMap::new()));
    let mut lookups = HashMap::new();
    for h in parsed.dkim_headers.iter().take(MAX_SIGNATURES) {
        let sig = &h.header;
        let name = format!("{}._domainkey.{}", sig.s, sig.d).to_ascii_lowercase();
        let answer = dns.query(&name, RType::TXT).await;
        let txt = match &answer.outcome {
            Outcome::Records => {
                let joined = answer.txt_joined();
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
            Outcome::NoData => Txt::Error(mail_auth::Error::Dns(
                mail_auth::DnsError::RecordNotFound(ResponseCode::NoError),
            )),
            other => Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::Resolver(
                other.label(),
            ))),
        };
        lookups.insert(name.clone(), answer.outcome.label());
        seeded.insert(
            format!("{name}.").into_boxed_str(),
            txt,
            std::time::Instant::now() + Duration::from_secs(300),
        );
    }
    let auth = offline_authenticator()?;
    let outputs = auth
        .verify_dkim(Parameters::new(&parsed).with_txt_cache(&seeded))
        .await;
    let mut checks = Vec::new();
    for out in outputs.iter().take(MAX_SIGNATURES) {
        let (result, reason) = match out.result() {
            DkimResult::Pass => ("pass", None),
            DkimResult::Neutral(e) => ("neutral", Some(e.to_string())),
            DkimResult::Fail(e) => ("fail", Some(e.to_string())),
            DkimResult::PermError(e) => ("permerror", Some(e.to_string())),
            DkimResult::TempError(e) => ("temperror", Some(e.to_string())),
            DkimResult::None => ("none", None),
        };
        let (domain, selector, algorithm, headers, l) = match out.signature() {
            Some(s) => (
                s.d.clone(),
                s.s.clone(),
                match s.a {
                    mail_auth::common::crypto::Algorithm::RsaSha1 => "rsa-sha1",
                    mail_auth::common::crypto::Algorithm::RsaSha256 => "rsa-sha256",
                    mail_auth::common::crypto::Algorithm::Ed25519Sha256 => "ed25519-sha256",
                }
                .to_string(),
                s.h.iter().map(|h| h.to_ascii_lowercase()).collect(),
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
        let key_name = format!("{selector}._domainkey.{domain}").to_ascii_lowercase();
        checks.push(SignatureCheck {
            key_lookup: lookups
                .get(&key_name)
                .cloned()
                .unwrap_or_else(|| "not looked up".into()),
            domain,
            selector,
            algorithm,
            result: result.to_string(),
            reason,
            signed_headers: headers,
            body_length_limit: l,
        });
    }
    Some(checks)
}
