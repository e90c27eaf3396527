//! Just enough DER to size an RSA public key from a DKIM `p=` value: a SubjectPublicKeyInfo
//! (what RFC 6376 3.6.1 specifies) or a bare PKCS#1 RSAPublicKey (which some publish and most
//! verifiers accept). Every length is checked against the bytes left; nothing panics.

/// How the key was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaEncoding {
    SubjectPublicKeyInfo,
    Pkcs1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsaKeyInfo {
    pub bits: u32,
    pub encoding: RsaEncoding,
}

/// Why the bytes are not an RSA public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DerError {
    /// The data ends before a length says it should: typical of a key cut at 255 bytes.
    Truncated,
    /// An Ed25519 (or other non-RSA) SubjectPublicKeyInfo.
    NotRsa(String),
    Malformed(String),
}

impl std::fmt::Display for DerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DerError::Truncated => f.write_str("the key data ends early (truncated)"),
            DerError::NotRsa(what) => write!(f, "the key is not an RSA key ({what})"),
            DerError::Malformed(m) => f.write_str(m),
        }
    }
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
/// 1.2.840.113549.1.1.1
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// 1.3.101.112
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// One tag-length-value; returns the tag and the contents.
    fn tlv(&mut self) -> Result<(u8, &'a [u8]), DerError> {
        let (&tag, rest) = self.data.split_first().ok_or(DerError::Truncated)?;
        let (&first, mut rest) = rest.split_first().ok_or(DerError::Truncated)?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 {
                return Err(DerError::Malformed(format!(
                    "unsupported DER length form 0x{first:02x}"
                )));
            }
            if rest.len() < n {
                return Err(DerError::Truncated);
            }
            let mut len = 0usize;
            for &b in &rest[..n] {
                len = (len << 8) | b as usize;
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err(DerError::Truncated);
        }
        let (contents, after) = rest.split_at(len);
        self.data = after;
        Ok((tag, contents))
    }

    fn expect(&mut self, want: u8, what: &str) -> Result<&'a [u8], DerError> {
        let (tag, contents) = self.tlv()?;
        if tag != want {
            return Err(DerError::Malformed(format!(
                "expected {what} (tag 0x{want:02x}), found tag 0x{tag:02x}"
            )));
        }
        Ok(contents)
    }
}

/// The size of an RSA public key given as DER (SPKI or PKCS#1).
pub fn rsa_key_info(der: &[u8]) -> Result<RsaKeyInfo, DerError> {
    let mut outer = Reader { data: der };
    let body = outer.expect(SEQUENCE, "a SEQUENCE")?;
    if !outer.is_empty() {
        return Err(DerError::Malformed(format!(
            "{} bytes after the key",
            outer.data.len()
        )));
    }
    let mut inner = Reader { data: body };
    match inner.peek_tag() {
        Some(SEQUENCE) => {
            let alg = inner.expect(SEQUENCE, "an AlgorithmIdentifier")?;
            let mut alg = Reader { data: alg };
            let oid = alg.expect(OID, "an algorithm OID")?;
            if oid == ED25519 {
                return Err(DerError::NotRsa("an Ed25519 SubjectPublicKeyInfo".into()));
            }
            if oid != RSA_ENCRYPTION {
                return Err(DerError::NotRsa(format!("algorithm OID {}", oid_text(oid))));
            }
            let bits = inner.expect(BIT_STRING, "a BIT STRING")?;
            let (&unused, key) = bits.split_first().ok_or(DerError::Truncated)?;
            if unused != 0 {
                return Err(DerError::Malformed("BIT STRING with unused bits".into()));
            }
            let info = pkcs1(key)?;
            Ok(RsaKeyInfo {
                bits: info,
                encoding: RsaEncoding::SubjectPublicKeyInfo,
            })
        }
        Some(INTEGER) => Ok(RsaKeyInfo {
            bits: pkcs1_body(body)?,
            encoding: RsaEncoding::Pkcs1,
        }),
        Some(t) => Err(DerError::Malformed(format!(
            "unexpected tag 0x{t:02x} inside the key"
        ))),
        None => Err(DerError::Truncated),
    }
}

/// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
fn pkcs1(der: &[u8]) -> Result<u32, DerError> {
    let mut r = Reader { data: der };
    let body = r.expect(SEQUENCE, "an RSAPublicKey SEQUENCE")?;
    pkcs1_body(body)
}

fn pkcs1_body(body: &[u8]) -> Result<u32, DerError> {
    let mut r = Reader { data: body };
    let modulus = r.expect(INTEGER, "the modulus INTEGER")?;
    let exponent = r.expect(INTEGER, "the exponent INTEGER")?;
    if exponent.is_empty() || exponent.iter().all(|&b| b == 0) {
        return Err(DerError::Malformed("the public exponent is zero".into()));
    }
    if modulus.first().is_some_and(|&b| b & 0x80 != 0) {
        return Err(DerError::Malformed("the modulus is negative".into()));
    }
    let significant: &[u8] = {
        let skip = modulus.iter().take_while(|&&b| b == 0).count();
        &modulus[skip..]
    };
    let Some(&top) = significant.first() else {
        return Err(DerError::Malformed("the modulus is zero".into()));
    };
    let bits = (significant.len() as u64 - 1) * 8 + (8 - top.leading_zeros() as u64);
    u32::try_from(bits).map_err(|_| DerError::Malformed("the modulus is absurdly large".into()))
}

fn oid_text(oid: &[u8]) -> String {
    oid.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }

    // openssl genrsa 1024 | openssl rsa -pubout -outform DER | base64
    const RSA1024_SPKI: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCu1xx+yNAgA33a9QQoO9A8pXDkLtqqZ6V9odjAYnkpmSQux4l6oG/lupk6mwcDNagg1dwy26JkU5KH9pbI4IyZIx3Ba8cgcKZusyriu2c1f2zsw2Hitps5xeKineXtPonTKbQTYXMigsZ1Jo8ZhL6+WWa8+OzLrkaV8T6hKaz9xQIDAQAB";

    #[test]
    fn sizes_spki_and_pkcs1() {
        let spki = b64(RSA1024_SPKI);
        assert_eq!(
            rsa_key_info(&spki),
            Ok(RsaKeyInfo {
                bits: 1024,
                encoding: RsaEncoding::SubjectPublicKeyInfo
            })
        );
        // The PKCS#1 structure sits inside the BIT STRING after 22 bytes of SPKI header.
        let pkcs1 = &spki[22..];
        assert_eq!(
            rsa_key_info(pkcs1),
            Ok(RsaKeyInfo {
                bits: 1024,
                encoding: RsaEncoding::Pkcs1
            })
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let spki = b64(RSA1024_SPKI);
        for n in 0..spki.len() {
            assert!(rsa_key_info(&spki[..n]).is_err(), "prefix {n}");
        }
        assert_eq!(rsa_key_info(&spki[..150]), Err(DerError::Truncated));
    }

    #[test]
    fn hostile_inputs() {
        let cases: &[&[u8]] = &[
            &[],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x00],
            &[0x30, 0x02, 0x05, 0x00],
            &[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x03], // zero modulus
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x03], // negative modulus
            &[0x30, 0x06, 0x02, 0x01, 0x7f, 0x02, 0x01, 0x00], // zero exponent
            &[0x30, 0x03, 0x02, 0x01, 0x7f, 0x00],             // trailing byte
        ];
        for c in cases {
            assert!(rsa_key_info(c).is_err(), "{c:02x?}");
        }
        // A tiny but well-formed key: modulus 0x00ff → 8 bits.
        assert_eq!(
            rsa_key_info(&[0x30, 0x07, 0x02, 0x02, 0x00, 0xff, 0x02, 0x01, 0x03]).map(|k| k.bits),
            Ok(8)
        );
    }

    #[test]
    fn ed25519_spki_is_named() {
        // openssl genpkey -algorithm ed25519 | openssl pkey -pubout -outform DER
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend([7u8; 32]);
        assert!(matches!(rsa_key_info(&der), Err(DerError::NotRsa(_))));
    }
}
