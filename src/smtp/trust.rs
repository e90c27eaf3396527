//! Which certificate authorities the connector trusts: Node's rule, since Logto runs on Node.
//!
//! - `tls.ca` in the config: **only** those certificates. Node's documentation for
//!   `NODE_EXTRA_CA_CERTS` (v22): "Neither the well known nor extra certificates are used
//!   when the ca options property is explicitly specified".
//! - Otherwise Node's bundled Mozilla roots (webpki-roots is the same Mozilla list), extended
//!   with the certificates in the file named by `NODE_EXTRA_CA_CERTS` (or `--extra-ca`, for a
//!   run on another machine than Logto's). A file that is missing or malformed gets a warning
//!   from Node (`process.emitWarning`) and is otherwise ignored; so here.
//! - `NODE_OPTIONS=--use-openssl-ca`: OpenSSL's store (`SSL_CERT_FILE`, else the
//!   distribution's bundle) *instead of* the bundled roots; `--use-system-ca` (Node 22.15+):
//!   the system store *as well as* the bundled roots. The extra certificates apply to both.

use std::path::{Path, PathBuf};

/// The distribution's CA bundle (Debian, Ubuntu, Alpine), OpenSSL's default file there.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// A CA file larger than this is not read (a bundle is ~200 KiB).
const MAX_CA_FILE: u64 = 8 << 20;

/// Where the extra certificates come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtraSource {
    /// `NODE_EXTRA_CA_CERTS`, as the Logto process would see it.
    Env(PathBuf),
    /// `--extra-ca FILE`: the same, for a run from another machine.
    Flag(PathBuf),
}

/// What decides the trust, read from the environment and flags (pure input: testable).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustInputs {
    pub extra: Option<ExtraSource>,
    /// `NODE_OPTIONS`, as the Logto process would see it.
    pub node_options: Option<String>,
    /// `SSL_CERT_FILE` (OpenSSL's override of its default file).
    pub ssl_cert_file: Option<PathBuf>,
}

impl TrustInputs {
    /// From this process's environment, `--extra-ca` winning over `NODE_EXTRA_CA_CERTS`.
    pub fn from_env(extra_ca_flag: Option<&Path>) -> TrustInputs {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let extra = match extra_ca_flag {
            Some(path) => Some(ExtraSource::Flag(path.to_path_buf())),
            None => var("NODE_EXTRA_CA_CERTS").map(|p| ExtraSource::Env(PathBuf::from(p))),
        };
        TrustInputs {
            extra,
            node_options: var("NODE_OPTIONS").map(|v| v.to_string_lossy().into_owned()),
            ssl_cert_file: var("SSL_CERT_FILE").map(PathBuf::from),
        }
    }
}

/// The trust Node would use for this connector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeTrust {
    /// Node's bundled Mozilla roots are trusted.
    pub bundled: bool,
    /// `tls.ca` is set: its certificates are the only anchors.
    pub config_ca: bool,
    /// Further trust anchors (tls.ca, the extra certificates, a system store), PEM.
    pub anchors_pem: Vec<String>,
    /// Certificates the operator named (tls.ca, the extra file): a self-signed server
    /// certificate among them is trusted as itself.
    pub pinned_pem: Vec<String>,
    /// Which roots, in one sentence for the TLS facts.
    pub described: String,
    /// What Node would warn about (an unreadable extra file), one sentence each.
    pub warnings: Vec<String>,
}

/// Node's trust for a config whose `tls.ca` is `config_ca` (empty: not set).
pub fn node_trust(config_ca: &[String], inputs: &TrustInputs) -> NodeTrust {
    if !config_ca.is_empty() {
        let mut described = format!(
            "only the {} PEM block(s) in tls.ca: Node ignores its bundled roots",
            config_ca.len()
        );
        if let Some(extra) = &inputs.extra {
            described.push_str(&format!(" and {}", extra_label(extra)));
        }
        described.push_str(" when the ca option is set");
        return NodeTrust {
            bundled: false,
            config_ca: true,
            anchors_pem: config_ca.to_vec(),
            pinned_pem: config_ca.to_vec(),
            described,
            warnings: Vec::new(),
        };
    }
    let options = inputs.node_options.as_deref().unwrap_or("");
    let flag = |f: &str| options.split_whitespace().any(|o| o == f);
    let (openssl, system) = (flag("--use-openssl-ca"), flag("--use-system-ca"));
    let mut trust = NodeTrust {
        bundled: !openssl,
        ..NodeTrust::default()
    };
    let mut parts: Vec<String> = Vec::new();
    if trust.bundled {
        parts.push("Node's bundled Mozilla roots".into());
    }
    if openssl || system {
        let file = inputs
            .ssl_cert_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(SYSTEM_BUNDLE));
        let why = if openssl {
            "NODE_OPTIONS=--use-openssl-ca: OpenSSL's store instead of the bundled roots"
        } else {
            "NODE_OPTIONS=--use-system-ca"
        };
        match read_pem_certificates(&file) {
            Ok((pem, n)) => {
                trust.anchors_pem.push(pem);
                parts.push(format!(
                    "{n} system certificate(s) from {} ({why})",
                    file.display()
                ));
            }
            Err(e) => {
                trust.warnings.push(format!(
                    "{why}, but the store {} cannot be used: {e}",
                    file.display()
                ));
                parts.push(format!(
                    "no system certificates ({why}; {} unusable)",
                    file.display()
                ));
            }
        }
    }
    if let Some(extra) = &inputs.extra {
        let path = extra_path(extra);
        match read_pem_certificates(path) {
            Ok((pem, n)) => {
                trust.anchors_pem.push(pem.clone());
                trust.pinned_pem.push(pem);
                parts.push(format!("{n} certificate(s) from {}", extra_label(extra)));
            }
            Err(e) => {
                // Node: "Warning: Ignoring extra certs from `FILE`, load failed: …".
                trust.warnings.push(format!(
                    "Ignoring extra certs from `{}`, load failed: {e} (Node warns the same way and goes on without them)",
                    path.display()
                ));
            }
        }
    }
    trust.described = parts.join(" + ");
    trust
}

fn extra_path(extra: &ExtraSource) -> &Path {
    match extra {
        ExtraSource::Env(p) | ExtraSource::Flag(p) => p,
    }
}

fn extra_label(extra: &ExtraSource) -> String {
    match extra {
        ExtraSource::Env(p) => format!("NODE_EXTRA_CA_CERTS={}", p.display()),
        ExtraSource::Flag(p) => format!("--extra-ca {}", p.display()),
    }
}

/// The certificates of a PEM file, and how many there are. Private keys and other blocks
/// in the file are never kept.
fn read_pem_certificates(path: &Path) -> Result<(String, usize), String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_CA_FILE {
        return Err(format!("larger than {} MiB", MAX_CA_FILE >> 20));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut pem = String::new();
    let mut n = 0;
    for cert in CertificateDer::pem_slice_iter(&bytes).take(4096) {
        let cert = cert.map_err(|e| format!("not a PEM certificate file ({e})"))?;
        pem.push_str(&der_to_pem(&cert));
        n += 1;
    }
    if n == 0 {
        return Err("no PEM certificate in it".into());
    }
    Ok((pem, n))
}

fn der_to_pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_file(dir: &Path) -> (PathBuf, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        let path = dir.join("extra.pem");
        std::fs::write(&path, &pem).unwrap();
        (path, pem)
    }

    /// A scratch directory, removed when the test ends (pass or fail).
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn temp(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("mp-trust-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    #[test]
    fn extra_certificates_extend_the_bundled_roots() {
        let dir = temp("extend");
        let (path, _) = ca_file(&dir);
        let t = node_trust(
            &[],
            &TrustInputs {
                extra: Some(ExtraSource::Env(path.clone())),
                ..TrustInputs::default()
            },
        );
        assert!(t.bundled);
        assert_eq!(t.anchors_pem.len(), 1);
        assert!(
            t.described.starts_with(
                "Node's bundled Mozilla roots + 1 certificate(s) from NODE_EXTRA_CA_CERTS="
            ),
            "{}",
            t.described
        );
        assert!(t.warnings.is_empty());
    }

    #[test]
    fn tls_ca_replaces_bundled_and_extra_certificates() {
        let dir = temp("replace");
        let (path, pem) = ca_file(&dir);
        let t = node_trust(
            std::slice::from_ref(&pem),
            &TrustInputs {
                extra: Some(ExtraSource::Env(path)),
                ..TrustInputs::default()
            },
        );
        assert!(!t.bundled && t.config_ca);
        assert_eq!(t.anchors_pem, vec![pem]);
        assert!(
            t.described.contains("NODE_EXTRA_CA_CERTS"),
            "{}",
            t.described
        );
    }

    #[test]
    fn an_unreadable_extra_file_is_a_warning_not_a_stop() {
        let t = node_trust(
            &[],
            &TrustInputs {
                extra: Some(ExtraSource::Flag("/nonexistent/ca.pem".into())),
                ..TrustInputs::default()
            },
        );
        assert!(t.bundled && t.anchors_pem.is_empty());
        assert!(
            t.warnings[0]
                .starts_with("Ignoring extra certs from `/nonexistent/ca.pem`, load failed:"),
            "{:?}",
            t.warnings
        );
    }

    #[test]
    fn node_options_choose_the_store() {
        let dir = temp("store");
        let (path, _) = ca_file(&dir);
        let openssl = node_trust(
            &[],
            &TrustInputs {
                node_options: Some("--max-old-space-size=4096 --use-openssl-ca".into()),
                ssl_cert_file: Some(path.clone()),
                ..TrustInputs::default()
            },
        );
        assert!(!openssl.bundled);
        assert_eq!(openssl.anchors_pem.len(), 1);
        assert!(openssl.described.contains("instead of the bundled roots"));
        let system = node_trust(
            &[],
            &TrustInputs {
                node_options: Some("--use-system-ca".into()),
                ssl_cert_file: Some(path),
                ..TrustInputs::default()
            },
        );
        assert!(system.bundled && system.anchors_pem.len() == 1);
        assert!(system.pinned_pem.is_empty());
    }
}
