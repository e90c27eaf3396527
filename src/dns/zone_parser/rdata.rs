//! The data part of the record types the audit reads (A, AAAA, MX, TXT, CNAME, PTR, NS,
//! SOA), and the types it recognises but skips.

use super::Parser;
use super::lexer::{Pos, Token};
use crate::dns::types::Rdata;
use crate::dns::zone::ZoneError;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A character-string on the wire holds at most 255 bytes (RFC 1035 3.3).
const MAX_STRING: usize = 255;
/// A record's data on the wire is at most 65,535 bytes (RDLENGTH, RFC 1035 3.2.1).
const MAX_RDATA: usize = 65_535;
/// Record types we recognise but do not keep (the audit never asks for them).
pub(super) const SKIPPED_TYPES: &[&str] = &[
    "SPF",
    "CAA",
    "SRV",
    "DS",
    "DNSKEY",
    "RRSIG",
    "NSEC",
    "NSEC3",
    "NSEC3PARAM",
    "TLSA",
    "SSHFP",
    "HINFO",
    "NAPTR",
    "DNAME",
    "SVCB",
    "HTTPS",
    "LOC",
    "RP",
    "URI",
    "OPENPGPKEY",
    "SMIMEA",
    "CDS",
    "CDNSKEY",
    "CSYNC",
    "ZONEMD",
    "AFSDB",
    "CERT",
    "KX",
    "DHCID",
    "IPSECKEY",
];

impl Parser<'_> {
    pub(super) fn rdata(&self, rtype: &str, args: &[&Token], end: Pos) -> Result<Rdata, ZoneError> {
        let mut args = args.iter().copied();
        let mut next = |what: &str| {
            args.next()
                .ok_or_else(|| self.error(end, format!("missing {what} in the {rtype} record")))
        };
        let data = match rtype {
            "A" => {
                let t = next("IPv4 address")?;
                Rdata::A {
                    address: t.text.parse::<Ipv4Addr>().map_err(|_| {
                        self.error(t.pos, format!("bad IPv4 address \"{}\"", t.text))
                    })?,
                }
            }
            "AAAA" => {
                let t = next("IPv6 address")?;
                Rdata::Aaaa {
                    address: t.text.parse::<Ipv6Addr>().map_err(|_| {
                        self.error(t.pos, format!("bad IPv6 address \"{}\"", t.text))
                    })?,
                }
            }
            "MX" => {
                let t = next("preference")?;
                let preference = t
                    .text
                    .parse::<u16>()
                    .map_err(|_| self.error(t.pos, format!("bad MX preference \"{}\"", t.text)))?;
                Rdata::Mx {
                    preference,
                    exchange: self.name(next("exchange")?)?,
                }
            }
            "CNAME" => Rdata::Cname {
                target: self.name(next("target")?)?,
            },
            "PTR" => Rdata::Ptr {
                target: self.name(next("target")?)?,
            },
            "NS" => Rdata::Ns {
                target: self.name(next("name server")?)?,
            },
            "SOA" => {
                let mname = self.name(next("primary server (MNAME)")?)?;
                let rname = self.name(next("mailbox (RNAME)")?)?;
                let t = next("serial")?;
                let serial = t
                    .text
                    .parse::<u32>()
                    .map_err(|_| self.error(t.pos, format!("bad SOA serial \"{}\"", t.text)))?;
                for what in ["refresh", "retry", "expire"] {
                    self.ttl(next(what)?)?;
                }
                let minimum = self.ttl(next("minimum")?)?;
                Rdata::Soa {
                    mname,
                    rname,
                    serial,
                    minimum,
                }
            }
            "TXT" => {
                let mut strings = Vec::new();
                let mut wire_len = 0usize;
                for t in args.by_ref() {
                    if t.bytes.len() > MAX_STRING {
                        return Err(self.error(
                            t.pos,
                            format!(
                                "character-string is {} bytes long (at most {MAX_STRING}): split it into several quoted strings",
                                t.bytes.len()
                            ),
                        ));
                    }
                    // Each string costs its bytes and a length byte on the wire.
                    wire_len += t.bytes.len() + 1;
                    if wire_len > MAX_RDATA {
                        return Err(self.error(
                            t.pos,
                            format!("the TXT record's data passes {MAX_RDATA} bytes here, more than a DNS record can hold"),
                        ));
                    }
                    strings.push(t.bytes.clone());
                }
                if strings.is_empty() {
                    return Err(
                        self.error(end, "missing character-string in the TXT record".into())
                    );
                }
                Rdata::Txt { strings }
            }
            other => return Err(self.error(end, format!("unsupported record type \"{other}\""))),
        };
        if let Some(extra) = args.next() {
            return Err(self.error(
                extra.pos,
                format!(
                    "unexpected \"{}\" after the {rtype} record data",
                    extra.text
                ),
            ));
        }
        Ok(data)
    }
}

/// RFC 3597 generic type names (`TYPE65`).
pub(super) fn is_generic_type(t: &str) -> bool {
    t.strip_prefix("TYPE")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
