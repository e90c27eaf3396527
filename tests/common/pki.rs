//! A throwaway CA made at test time (rcgen), and server certificates from it: valid,
//! expired, for the wrong name, about to expire, self-signed. Written as PEM files into a
//! temp directory.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType, date_time_ymd,
};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

pub struct Ca {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

pub struct ServerCert {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub pem: String,
}

pub enum Kind {
    /// localhost and 127.0.0.1, valid 2025–2035.
    Valid,
    Expired,
    /// Valid, but for mail.other.test only.
    WrongName,
    /// Valid from 2099 on.
    Future,
    /// Valid, for this one DNS name.
    Named(&'static str),
    /// localhost and 127.0.0.1, expiring this many days (and 12 hours) from now: whole
    /// days left stay exactly this many for the rest of the test.
    ExpiresInDays(i64),
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.not_before = date_time_ymd(2024, 1, 1);
        params.not_after = date_time_ymd(2040, 1, 1);
        let cert = params.self_signed(&key).expect("CA cert");
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    pub fn issue(&self, kind: Kind, dir: &Path, file_stem: &str) -> ServerCert {
        let year = |y| date_time_ymd(y, 1, 1);
        let localhost = || vec!["localhost".to_string()];
        let (names, ip, from, to) = match kind {
            Kind::Valid => (localhost(), true, year(2025), year(2035)),
            Kind::Expired => (localhost(), true, year(2020), year(2021)),
            Kind::WrongName => (
                vec!["mail.other.test".to_string()],
                false,
                year(2025),
                year(2035),
            ),
            Kind::Future => (localhost(), true, year(2099), year(2100)),
            Kind::Named(name) => (vec![name.to_string()], false, year(2025), year(2035)),
            Kind::ExpiresInDays(days) => (localhost(), true, year(2025), days_from_now(days)),
        };
        let mut params = CertificateParams::new(names.clone()).expect("leaf params");
        if ip {
            params
                .subject_alt_names
                .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        }
        params
            .distinguished_name
            .push(DnType::CommonName, names[0].as_str());
        params.not_before = from;
        params.not_after = to;
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("leaf cert");
        write(dir, file_stem, &cert.pem(), &key.serialize_pem())
    }
}

fn days_from_now(days: i64) -> time::OffsetDateTime {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    time::OffsetDateTime::from_unix_timestamp(now + days * 86_400 + 43_200).expect("a date")
}

/// A self-signed server certificate for localhost and 127.0.0.1.
pub fn self_signed(dir: &Path, file_stem: &str) -> ServerCert {
    self_signed_with(dir, file_stem, false)
}

/// Self-signed with `basicConstraints CA:TRUE`, as `openssl req -x509` makes them.
pub fn self_signed_ca_flag(dir: &Path, file_stem: &str) -> ServerCert {
    self_signed_with(dir, file_stem, true)
}

fn self_signed_with(dir: &Path, file_stem: &str, ca_flag: bool) -> ServerCert {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    if ca_flag {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.not_before = date_time_ymd(2025, 1, 1);
    params.not_after = date_time_ymd(2035, 1, 1);
    let cert = params.self_signed(&key).expect("cert");
    write(dir, file_stem, &cert.pem(), &key.serialize_pem())
}

fn write(dir: &Path, stem: &str, cert: &str, key: &str) -> ServerCert {
    let cert_path = dir.join(format!("{stem}.crt"));
    let key_path = dir.join(format!("{stem}.key"));
    std::fs::write(&cert_path, cert).expect("write cert");
    std::fs::write(&key_path, key).expect("write key");
    ServerCert {
        cert: cert_path,
        key: key_path,
        pem: cert.to_string(),
    }
}
