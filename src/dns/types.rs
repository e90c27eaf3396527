//! DNS data as the checks see it: our own small types, independent of the resolver
//! library, so that zone files, the network and tests all produce the same thing.

use serde::Serialize;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// The record types the audit asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RType {
    A,
    AAAA,
    MX,
    TXT,
    CNAME,
    PTR,
    NS,
    SOA,
}

impl RType {
    pub fn as_str(self) -> &'static str {
        match self {
            RType::A => "A",
            RType::AAAA => "AAAA",
            RType::MX => "MX",
            RType::TXT => "TXT",
            RType::CNAME => "CNAME",
            RType::PTR => "PTR",
            RType::NS => "NS",
            RType::SOA => "SOA",
        }
    }
}

impl fmt::Display for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Record data. Names are lower-case, fully qualified, without the trailing dot
/// (the root is the empty string, as in a null MX `0 .`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum Rdata {
    A {
        address: Ipv4Addr,
    },
    Aaaa {
        address: Ipv6Addr,
    },
    Mx {
        preference: u16,
        exchange: String,
    },
    /// The character-strings as published (each at most 255 bytes on the wire), not joined:
    /// checks need to see how a long record was split.
    Txt {
        #[serde(serialize_with = "serialize_strings")]
        strings: Vec<Vec<u8>>,
    },
    Cname {
        target: String,
    },
    Ptr {
        target: String,
    },
    Ns {
        target: String,
    },
    Soa {
        mname: String,
        rname: String,
        serial: u32,
        minimum: u32,
    },
}

fn serialize_strings<S: serde::Serializer>(strings: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(strings.len()))?;
    for string in strings {
        seq.serialize_element(&String::from_utf8_lossy(string))?;
    }
    seq.end()
}

impl Rdata {
    pub fn rtype(&self) -> RType {
        match self {
            Rdata::A { .. } => RType::A,
            Rdata::Aaaa { .. } => RType::AAAA,
            Rdata::Mx { .. } => RType::MX,
            Rdata::Txt { .. } => RType::TXT,
            Rdata::Cname { .. } => RType::CNAME,
            Rdata::Ptr { .. } => RType::PTR,
            Rdata::Ns { .. } => RType::NS,
            Rdata::Soa { .. } => RType::SOA,
        }
    }

    /// A TXT record's strings concatenated without separators (RFC 7208 3.3, RFC 6376 3.6.2.2).
    pub fn txt_joined(&self) -> Option<String> {
        match self {
            Rdata::Txt { strings } => {
                let bytes: Vec<u8> = strings.iter().flatten().copied().collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => None,
        }
    }

    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Rdata::A { address } => Some(IpAddr::V4(*address)),
            Rdata::Aaaa { address } => Some(IpAddr::V6(*address)),
            _ => None,
        }
    }
}

impl fmt::Display for Rdata {
    /// Presentation format, as in a zone file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rdata::A { address } => write!(f, "{address}"),
            Rdata::Aaaa { address } => write!(f, "{address}"),
            Rdata::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {exchange}."),
            Rdata::Txt { strings } => {
                let mut first = true;
                for s in strings {
                    if !first {
                        f.write_str(" ")?;
                    }
                    first = false;
                    f.write_str("\"")?;
                    for &b in s {
                        match b {
                            b'"' | b'\\' => write!(f, "\\{}", b as char)?,
                            0x20..=0x7e => write!(f, "{}", b as char)?,
                            _ => write!(f, "\\{b:03}")?,
                        }
                    }
                    f.write_str("\"")?;
                }
                Ok(())
            }
            Rdata::Cname { target } | Rdata::Ptr { target } | Rdata::Ns { target } => {
                write!(f, "{target}.")
            }
            Rdata::Soa {
                mname,
                rname,
                serial,
                minimum,
            } => write!(f, "{mname}. {rname}. {serial} ... {minimum}"),
        }
    }
}

/// How a lookup ended. Four failure classes are kept apart on purpose: a failed
/// lookup is never reported as "no record".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// NOERROR with at least one record of the asked type.
    Records,
    /// NXDOMAIN: the name does not exist.
    NxDomain,
    /// NOERROR with no record of the asked type ("NODATA").
    NoData,
    /// SERVFAIL, REFUSED or another error rcode.
    ServerFailure { rcode: String },
    /// No answer within the timeout (after retries).
    Timeout,
    /// Anything else: a malformed answer, a CNAME loop, a network error.
    Error { message: String },
}

impl Outcome {
    pub fn label(&self) -> String {
        match self {
            Outcome::Records => "NOERROR".into(),
            Outcome::NxDomain => "NXDOMAIN".into(),
            Outcome::NoData => "NODATA".into(),
            Outcome::ServerFailure { rcode } => rcode.clone(),
            Outcome::Timeout => "TIMEOUT".into(),
            Outcome::Error { message } => format!("ERROR ({message})"),
        }
    }

    /// NXDOMAIN or NODATA: a "void lookup" in RFC 7208 4.6.4 terms.
    pub fn is_void(&self) -> bool {
        matches!(self, Outcome::NxDomain | Outcome::NoData)
    }

    /// The lookup itself failed (the data is unknown, not absent): temperror territory.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Outcome::ServerFailure { .. } | Outcome::Timeout | Outcome::Error { .. }
        )
    }
}

/// Where an answer came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A zone file given with `--zone`.
    Zone { file: String },
    /// The resolver (system configuration or `--nameserver`).
    Network,
}

/// The answer to one (name, type) question. Serialised as one flat object (the outcome's tag
/// and fields inline, see `Answer::serialize_fields`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub name: String,
    pub rtype: RType,
    pub outcome: Outcome,
    /// Records of the asked type (empty unless `outcome` is `Records`).
    pub records: Vec<Rdata>,
    /// The CNAME targets followed from `name`, in order.
    pub cnames: Vec<String>,
    pub source: Source,
    pub elapsed: Duration,
}

/// Written out by hand rather than derived with `#[serde(flatten)]` on the outcome: flatten
/// turns the struct into serde's map path (every field a map entry through its
/// `FlatMapSerializer`), and every query log line of every domain paid for it. The JSON is
/// the same:
/// `name, rtype, outcome[, rcode | message], records[, cnames], source, elapsed_ms`.
impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Answer", self.field_count())?;
        self.serialize_fields(&mut st)?;
        st.end()
    }
}

impl Answer {
    /// How many fields [`Answer::serialize_fields`] writes.
    pub(crate) fn field_count(&self) -> usize {
        let outcome_fields = match self.outcome {
            Outcome::ServerFailure { .. } | Outcome::Error { .. } => 2,
            _ => 1,
        };
        5 + outcome_fields + usize::from(!self.cnames.is_empty())
    }

    /// The answer's fields into an object being written (also by the query log's lines,
    /// which add their own).
    pub(crate) fn serialize_fields<S: serde::ser::SerializeStruct>(
        &self,
        st: &mut S,
    ) -> Result<(), S::Error> {
        st.serialize_field("name", &self.name)?;
        st.serialize_field("rtype", &self.rtype)?;
        match &self.outcome {
            Outcome::Records => st.serialize_field("outcome", "records")?,
            Outcome::NxDomain => st.serialize_field("outcome", "nx-domain")?,
            Outcome::NoData => st.serialize_field("outcome", "no-data")?,
            Outcome::ServerFailure { rcode } => {
                st.serialize_field("outcome", "server-failure")?;
                st.serialize_field("rcode", rcode)?;
            }
            Outcome::Timeout => st.serialize_field("outcome", "timeout")?,
            Outcome::Error { message } => {
                st.serialize_field("outcome", "error")?;
                st.serialize_field("message", message)?;
            }
        }
        st.serialize_field("records", &self.records)?;
        if !self.cnames.is_empty() {
            st.serialize_field("cnames", &self.cnames)?;
        }
        st.serialize_field("source", &self.source)?;
        st.serialize_field("elapsed_ms", &Millis(self.elapsed))
    }
}

/// A duration as milliseconds with one decimal.
struct Millis(Duration);

impl Serialize for Millis {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((self.0.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)
    }
}

impl Answer {
    pub fn txt_records(&self) -> impl Iterator<Item = &Rdata> {
        self.records
            .iter()
            .filter(|r| matches!(r, Rdata::Txt { .. }))
    }

    /// Each TXT record's strings joined, in answer order.
    pub fn txt_joined(&self) -> Vec<String> {
        self.records.iter().filter_map(Rdata::txt_joined).collect()
    }

    pub fn ips(&self) -> Vec<IpAddr> {
        self.records.iter().filter_map(Rdata::ip).collect()
    }

    /// Evidence for a finding that quotes this answer.
    pub fn evidence(&self) -> crate::report::Evidence {
        crate::report::Evidence::DnsAnswer {
            name: self.name.clone(),
            rtype: self.rtype.to_string(),
            outcome: self.outcome.label(),
            data: self.records.iter().map(|r| r.to_string()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `#[serde(flatten)]` on the outcome wrote (the derive this hand-written impl
    /// replaced), for every outcome, with and without CNAMEs.
    #[derive(Serialize)]
    struct Derived<'a> {
        name: &'a str,
        rtype: RType,
        #[serde(flatten)]
        outcome: &'a Outcome,
        records: &'a [Rdata],
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        cnames: &'a [String],
        source: &'a Source,
        elapsed_ms: f64,
    }

    #[test]
    fn answers_serialise_as_the_flattened_derive_did() {
        let outcomes = [
            Outcome::Records,
            Outcome::NxDomain,
            Outcome::NoData,
            Outcome::ServerFailure {
                rcode: "SERVFAIL".into(),
            },
            Outcome::Timeout,
            Outcome::Error {
                message: "a \"quoted\" reason".into(),
            },
        ];
        for outcome in outcomes {
            for cnames in [vec![], vec!["target.example".to_string()]] {
                let answer = Answer {
                    name: "example.com".into(),
                    rtype: RType::TXT,
                    outcome: outcome.clone(),
                    records: vec![Rdata::Txt {
                        strings: vec![b"v=spf1 -all".to_vec()],
                    }],
                    cnames,
                    source: Source::Zone {
                        file: "z.zone".into(),
                    },
                    elapsed: Duration::from_micros(12_345),
                };
                let derived = Derived {
                    name: &answer.name,
                    rtype: answer.rtype,
                    outcome: &answer.outcome,
                    records: &answer.records,
                    cnames: &answer.cnames,
                    source: &answer.source,
                    elapsed_ms: 12.3,
                };
                assert_eq!(
                    serde_json::to_string(&answer).unwrap(),
                    serde_json::to_string(&derived).unwrap(),
                    "{outcome:?}"
                );
            }
        }
    }
}
