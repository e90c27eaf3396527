//! TLS for the probe: a rustls client that reports *why* a certificate would be refused
//! (as Node's TLS stack would refuse it) while still completing the handshake, so that the
//! probe can go on to see what the server offers after TLS. Credentials are never sent over
//! a connection whose certificate failed, unless the config itself turned verification off.

use super::trust::NodeTrust;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// What certificate verification (by Node's rules) concluded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CertVerdict {
    Trusted,
    /// A single self-signed certificate (Node: `self-signed certificate`).
    SelfSigned,
    /// The chain ends in a self-signed root nobody trusts (Node: `self-signed certificate in
    /// certificate chain`).
    SelfSignedInChain,
    /// Issued by a CA that is not trusted and not sent (Node: `unable to verify the first
    /// certificate`): typically a private CA, fixed with `tls.ca`.
    UntrustedIssuer,
    Expired,
    NotYetValid,
    /// Valid, but not for the name checked (Node: `Hostname/IP does not match…`).
    NameMismatch {
        expected: String,
    },
    Other {
        reason: String,
    },
}

impl CertVerdict {
    /// Node's `error.message` for this failure, as the operator sees it in Logto's console.
    pub fn node_message(&self, name: &str, altnames: &[String]) -> Option<String> {
        use crate::config::nodemailer::messages as m;
        Some(match self {
            CertVerdict::Trusted => return None,
            CertVerdict::SelfSigned => m::SELF_SIGNED_CERTIFICATE.to_string(),
            CertVerdict::SelfSignedInChain => "self-signed certificate in certificate chain".into(),
            CertVerdict::UntrustedIssuer => m::UNABLE_TO_VERIFY_FIRST_CERTIFICATE.to_string(),
            CertVerdict::Expired => m::CERTIFICATE_EXPIRED.to_string(),
            CertVerdict::NotYetValid => "certificate is not yet valid".into(),
            CertVerdict::NameMismatch { .. } => {
                let alt = altnames
                    .iter()
                    .map(|a| {
                        if a.parse::<std::net::IpAddr>().is_ok() {
                            format!("IP Address:{a}")
                        } else {
                            format!("DNS:{a}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                m::altnames_mismatch_host(name, &alt)
            }
            CertVerdict::Other { reason } => reason.clone(),
        })
    }
}

/// Wraps rustls' WebPKI verifier: records its verdict and the chain, then lets the
/// handshake finish. Signatures are still checked by the inner verifier (a server that
/// cannot prove it holds the key fails the handshake as it would anywhere).
#[derive(Debug)]
pub struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    /// The `tls.ca` certificates: OpenSSL (Node) trusts a leaf that is itself one of them,
    /// e.g. a self-signed certificate pinned this way; WebPKI refuses a CA as end entity.
    pinned: Vec<CertificateDer<'static>>,
    seen: Mutex<Option<(CertVerdict, Vec<CertificateDer<'static>>)>>,
}

impl RecordingVerifier {
    pub fn outcome(&self) -> Option<(CertVerdict, Vec<CertificateDer<'static>>)> {
        self.seen.lock().ok().and_then(|g| g.clone())
    }
}

fn self_issued(der: &[u8]) -> bool {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c.subject().as_raw() == c.issuer().as_raw())
        .unwrap_or(false)
}

fn classify(
    err: &rustls::Error,
    chain: &[CertificateDer<'static>],
    name: &ServerName<'_>,
) -> CertVerdict {
    match err {
        rustls::Error::InvalidCertificate(ce) => match ce {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                CertVerdict::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                CertVerdict::NotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                CertVerdict::NameMismatch {
                    expected: name.to_str().into_owned(),
                }
            }
            CertificateError::UnknownIssuer => {
                let leaf_self = chain.first().is_some_and(|c| self_issued(c));
                if leaf_self && chain.len() == 1 {
                    CertVerdict::SelfSigned
                } else if chain.len() > 1 && chain.last().is_some_and(|c| self_issued(c)) {
                    CertVerdict::SelfSignedInChain
                } else {
                    CertVerdict::UntrustedIssuer
                }
            }
            other => CertVerdict::Other {
                reason: format!("certificate rejected: {other:?}"),
            },
        },
        other => CertVerdict::Other {
            reason: other.to_string(),
        },
    }
}

/// A leaf trusted because it is in `tls.ca`: Node still checks its dates and its name.
fn pinned_verdict(der: &[u8], name: &ServerName<'_>, now: UnixTime) -> CertVerdict {
    use x509_parser::extensions::GeneralName;
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return CertVerdict::Other {
            reason: "the certificate does not parse".into(),
        };
    };
    let now = now.as_secs() as i64;
    if cert.validity().not_after.timestamp() < now {
        return CertVerdict::Expired;
    }
    if cert.validity().not_before.timestamp() > now {
        return CertVerdict::NotYetValid;
    }
    let wanted = name.to_str().to_ascii_lowercase();
    let wanted_ip = wanted.parse::<std::net::IpAddr>().ok();
    let matches = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .is_some_and(|san| {
            san.value
                .general_names
                .iter()
                .take(500)
                .any(|g| match (g, wanted_ip) {
                    (GeneralName::DNSName(d), None) => {
                        let d = d.to_ascii_lowercase();
                        match d.strip_prefix("*.") {
                            Some(parent) => wanted
                                .split_once('.')
                                .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
                            None => d == wanted,
                        }
                    }
                    (GeneralName::IPAddress(b), Some(ip)) => match ip {
                        std::net::IpAddr::V4(v4) => *b == v4.octets().as_slice(),
                        std::net::IpAddr::V6(v6) => *b == v6.octets().as_slice(),
                    },
                    _ => false,
                })
        });
    if matches {
        CertVerdict::Trusted
    } else {
        CertVerdict::NameMismatch { expected: wanted }
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<CertificateDer<'static>> = std::iter::once(end_entity)
            .chain(intermediates)
            .take(16)
            .map(|c| c.clone().into_owned())
            .collect();
        let verdict = match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(_) => CertVerdict::Trusted,
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                pinned_verdict(end_entity, server_name, now)
            }
            Err(e) => classify(&e, &chain, server_name),
        };
        if let Ok(mut g) = self.seen.lock() {
            *g = Some((verdict, chain));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The trust anchors Node would use ([`super::trust::node_trust`]): the bundled Mozilla
/// roots and/or further anchors (tls.ca, which replaces the rest; the extra certificates).
pub fn root_store(trust: &NodeTrust) -> Result<RootCertStore, String> {
    let mut store = if trust.bundled {
        RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }
    } else {
        RootCertStore::empty()
    };
    let config_ca = trust.config_ca;
    for cert in ca_certificates(&trust.anchors_pem)? {
        // A system bundle may hold a certificate rustls cannot use as an anchor: skipped,
        // as OpenSSL would never chain to it either. tls.ca must be usable as written.
        if let Err(e) = store.add(cert)
            && config_ca
        {
            return Err(format!(
                "tls.ca: certificate not usable as a trust anchor ({e})"
            ));
        }
    }
    if store.is_empty() {
        return Err(if config_ca {
            "tls.ca holds no PEM certificate".into()
        } else {
            "no trusted root certificate at all".into()
        });
    }
    Ok(store)
}

fn ca_certificates(ca_pem: &[String]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut out = Vec::new();
    for pem in ca_pem {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()).take(4096) {
            out.push(cert.map_err(|e| format!("tls.ca: not a PEM certificate ({e})"))?);
        }
    }
    Ok(out)
}

/// A client config for one probe connection, with its recording verifier.
/// `min_tls13`: the config's `tls.minVersion` is TLSv1.3.
pub fn client_config(
    trust: &NodeTrust,
    min_tls13: bool,
) -> Result<(Arc<ClientConfig>, Arc<RecordingVerifier>), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner =
        WebPkiServerVerifier::builder_with_provider(Arc::new(root_store(trust)?), provider.clone())
            .build()
            .map_err(|e| format!("cannot build the certificate verifier: {e}"))?;
    let verifier = Arc::new(RecordingVerifier {
        inner,
        pinned: ca_certificates(&trust.pinned_pem)?,
        seen: Mutex::new(None),
    });
    let versions: &[&rustls::SupportedProtocolVersion] = if min_tls13 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| format!("TLS setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    Ok((Arc::new(config), verifier))
}

/// Why a handshake did not complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HandshakeFailure {
    /// The server answered with something that is not TLS (typically a plaintext banner).
    NotTls,
    /// No protocol version or cipher in common (e.g. a server that speaks only TLS 1.0/1.1).
    Incompatible {
        detail: String,
    },
    /// The server closed the connection during the handshake.
    Closed,
    Other {
        detail: String,
    },
}

pub fn classify_handshake_error(e: &std::io::Error) -> HandshakeFailure {
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidMessage(_)) => HandshakeFailure::NotTls,
        Some(rustls::Error::AlertReceived(alert)) => {
            use rustls::AlertDescription as A;
            match alert {
                A::ProtocolVersion | A::HandshakeFailure | A::InsufficientSecurity => {
                    HandshakeFailure::Incompatible {
                        detail: format!("the server sent the TLS alert {alert:?}"),
                    }
                }
                other => HandshakeFailure::Other {
                    detail: format!("the server sent the TLS alert {other:?}"),
                },
            }
        }
        Some(rustls::Error::PeerIncompatible(p)) => HandshakeFailure::Incompatible {
            detail: format!("{p:?}"),
        },
        Some(other) => HandshakeFailure::Other {
            detail: other.to_string(),
        },
        None if e.kind() == std::io::ErrorKind::UnexpectedEof
            || e.kind() == std::io::ErrorKind::ConnectionReset =>
        {
            HandshakeFailure::Closed
        }
        None => HandshakeFailure::Other {
            detail: e.to_string(),
        },
    }
}

/// The facts of one certificate of the chain, for the report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CertificateFacts {
    pub subject: String,
    pub issuer: String,
    pub san_dns: Vec<String>,
    pub san_ip: Vec<String>,
    pub not_before: String,
    pub not_after: String,
    /// Whole days until `not_after` (negative when expired).
    pub days_left: i64,
    pub key: String,
    /// RSA modulus or EC field size in bits, when known.
    pub key_bits: Option<usize>,
    pub signature_algorithm: String,
    pub self_issued: bool,
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.3.101.112" => "Ed25519",
        other => return other.to_string(),
    }
    .to_string()
}

pub fn certificate_facts(der: &[u8], now_unix: i64) -> Option<CertificateFacts> {
    use x509_parser::extensions::GeneralName;
    use x509_parser::public_key::PublicKey;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let mut san_dns = Vec::new();
    let mut san_ip = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in san.value.general_names.iter().take(500) {
            match name {
                GeneralName::DNSName(d) => san_dns.push(d.to_string()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => san_ip.push(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
                    16 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(b);
                        san_ip.push(std::net::Ipv6Addr::from(a).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let (key, key_bits) = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA".to_string(), Some(rsa.key_size())),
        Ok(PublicKey::EC(ec)) => ("EC".to_string(), Some(ec.key_size())),
        Ok(other) => (format!("{other:?}").chars().take(20).collect(), None),
        Err(_) => ("unknown".to_string(), None),
    };
    let not_after = cert.validity().not_after.timestamp();
    Some(CertificateFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        san_dns,
        san_ip,
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
        days_left: (not_after - now_unix).div_euclid(86_400),
        key,
        key_bits,
        signature_algorithm: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_option_replaces_the_public_roots() {
        let inputs = super::super::trust::TrustInputs::default();
        let public = super::super::trust::node_trust(&[], &inputs);
        assert!(root_store(&public).unwrap().len() > 100);
        let bad = super::super::trust::node_trust(&["not pem".into()], &inputs);
        assert!(root_store(&bad).is_err());
    }

    #[test]
    fn node_messages() {
        assert_eq!(
            CertVerdict::SelfSigned.node_message("h", &[]).as_deref(),
            Some("self-signed certificate")
        );
        let m = CertVerdict::NameMismatch {
            expected: "smtp.example.com".into(),
        }
        .node_message(
            "smtp.example.com",
            &["mx.example.net".into(), "127.0.0.1".into()],
        )
        .unwrap();
        assert_eq!(
            m,
            "Hostname/IP does not match certificate's altnames: Host: smtp.example.com. is not in the cert's altnames: DNS:mx.example.net, IP Address:127.0.0.1"
        );
        assert_eq!(CertVerdict::Trusted.node_message("h", &[]), None);
    }
}
