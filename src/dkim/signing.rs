//! DKIM signing with mail-auth (RSA-SHA256 or Ed25519-SHA256, relaxed/relaxed as nodemailer
//! signs), from a PEM private key: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`).

use base64::Engine;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde::Serialize;

/// Headers signed, when present (lower-case; the From header always).
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "X-Mailpreflight-Test",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyAlgorithm {
    RsaSha256,
    Ed25519Sha256,
}

impl KeyAlgorithm {
    pub fn tag(self) -> &'static str {
        match self {
            KeyAlgorithm::RsaSha256 => "rsa-sha256",
            KeyAlgorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }
}

enum KeyImpl {
    Rsa(RsaKey<Sha256>),
    Ed25519(Ed25519Key),
}

/// A usable private key. Its Debug never shows key material.
pub struct PrivateKey {
    inner: KeyImpl,
    pub algorithm: KeyAlgorithm,
    /// RSA modulus size (None for Ed25519).
    pub rsa_bits: Option<u32>,
    /// The `p=` value of the matching public key record.
    pub public_p: String,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({}, ***)", self.algorithm.tag())
    }
}

impl PrivateKey {
    /// The TXT record to publish at `<selector>._domainkey.<domain>` for this key.
    pub fn public_record(&self) -> String {
        let k = match self.algorithm {
            KeyAlgorithm::RsaSha256 => "rsa",
            KeyAlgorithm::Ed25519Sha256 => "ed25519",
        };
        format!("v=DKIM1; k={k}; p={}", self.public_p)
    }
}

/// Reads a PEM private key. The error never quotes the input (it is a secret).
pub fn load_private_key(pem: &str) -> Result<PrivateKey, String> {
    let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
        "not a PEM private key (expected BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)".to_string()
    })?;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match der {
        PrivateKeyDer::Pkcs1(_) => rsa_key(der),
        PrivateKeyDer::Pkcs8(p8) => {
            let bytes = p8.secret_pkcs8_der().to_vec();
            match rsa_key(PrivateKeyDer::Pkcs8(p8)) {
                Ok(k) => Ok(k),
                Err(_) => {
                    let key = Ed25519Key::from_pkcs8_maybe_unchecked_der(&bytes)
                        .map_err(|_| "a PKCS#8 key that is neither RSA nor Ed25519".to_string())?;
                    let public_p = b64(&key.public_key());
                    Ok(PrivateKey {
                        inner: KeyImpl::Ed25519(key),
                        algorithm: KeyAlgorithm::Ed25519Sha256,
                        rsa_bits: None,
                        public_p,
                    })
                }
            }
        }
        PrivateKeyDer::Sec1(_) => {
            Err("an EC (SEC1) key: DKIM signs with RSA or Ed25519 only".into())
        }
        _ => Err("an unsupported private key format".into()),
    }
}

fn rsa_key(der: PrivateKeyDer<'_>) -> Result<PrivateKey, String> {
    let key =
        RsaKey::<Sha256>::from_key_der(der).map_err(|_| "not a usable RSA key".to_string())?;
    // mail-auth gives PKCS#1 RSAPublicKey; DNS records carry SubjectPublicKeyInfo, which
    // every verifier accepts (RFC 6376 3.6.1).
    let pkcs1 = key.public_key();
    let spki = spki_from_pkcs1(&pkcs1);
    let rsa_bits = super::der::rsa_key_info(&spki).ok().map(|i| i.bits);
    Ok(PrivateKey {
        inner: KeyImpl::Rsa(key),
        algorithm: KeyAlgorithm::RsaSha256,
        rsa_bits,
        public_p: base64::engine::general_purpose::STANDARD.encode(&spki),
    })
}

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else if n < 0x100 {
        vec![0x81, n as u8]
    } else {
        vec![0x82, (n >> 8) as u8, n as u8]
    }
}

/// SubjectPublicKeyInfo { rsaEncryption, BIT STRING { RSAPublicKey } }.
fn spki_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    const ALG: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bit = vec![0x03];
    bit.extend(der_len(pkcs1.len() + 1));
    bit.push(0);
    bit.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    out.extend(der_len(ALG.len() + bit.len()));
    out.extend_from_slice(ALG);
    out.extend(bit);
    out
}

/// Signs `message` and returns the signed message (the DKIM-Signature header prepended).
/// Takes the key by value: mail-auth's signer owns its key.
pub fn sign(
    message: &[u8],
    key: PrivateKey,
    domain: &str,
    selector: &str,
) -> Result<Vec<u8>, String> {
    let headers = SIGNED_HEADERS.iter().copied();
    let signature = match key.inner {
        KeyImpl::Rsa(k) => DkimSigner::from_key(k)
            .domain(domain)
            .selector(selector)
            .headers(headers)
            .header_canonicalization(Canonicalization::Relaxed)
            .body_canonicalization(Canonicalization::Relaxed)
            .sign(message),
        KeyImpl::Ed25519(k) => DkimSigner::from_key(k)
            .domain(domain)
            .selector(selector)
            .headers(headers)
            .header_canonicalization(Canonicalization::Relaxed)
            .body_canonicalization(Canonicalization::Relaxed)
            .sign(message),
    }
    .map_err(|e| format!("DKIM signing failed: {e}"))?;
    let mut out = signature.to_header().into_bytes();
    out.extend_from_slice(message);
    Ok(out)
}
