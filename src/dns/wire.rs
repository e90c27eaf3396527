//! The DNS wire format as the stub client needs it: a query written, a response read down
//! to the records of its answer section.
//!
//! Both by hand. hickory's general `Message` encoder (name compression table and all) cost
//! several thousand instructions per question; its decoder builds a `Name` per owner and a
//! `Record` per answer that we then converted to our own [`Rdata`], with an allocation per
//! label on the way: ~10% of a batch audit's instructions. Here an answer's owner and the
//! names in its data become our strings directly (raw labels, lower-cased, joined by dots;
//! see [`super::name::from_wire`]), and records of types the audit never asks about are
//! stepped over.
//!
//! Everything read from the network is hostile until checked: every read is bounds-checked,
//! compression pointers must point strictly backwards (so they cannot loop), a name is at
//! most 255 bytes, and a record's data must be exactly as long as its RDLENGTH says.

use super::types::Rdata;
use hickory_resolver::proto::op::{Header, MessageType, ResponseCode};
use hickory_resolver::proto::rr::RecordType;
use hickory_resolver::proto::serialize::binary::{BinDecodable, BinDecoder};
use std::net::{Ipv4Addr, Ipv6Addr};

/// EDNS payload size we advertise (the DNS flag day 2020 value); larger answers come truncated
/// and are asked again over TCP.
pub const EDNS_PAYLOAD: u16 = 1232;
/// The longest query [`encode`] writes: header, a 255-byte name with type and class, OPT.
const MAX_QUERY: usize = 12 + 255 + 4 + 11;

/// A query message, on the stack: one heap allocation less per question.
pub struct QueryMessage {
    bytes: [u8; MAX_QUERY],
    len: usize,
}

impl std::ops::Deref for QueryMessage {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl QueryMessage {
    fn put(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

/// The query message (RD set, one question, an EDNS OPT record advertising
/// [`EDNS_PAYLOAD`]) and the length of its question section, which starts at byte 12.
pub fn encode(id: u16, name: &str, qtype: RecordType) -> Result<(QueryMessage, usize), String> {
    // On the wire each label has a length byte and the root a zero: the name's length + 2.
    if name.len() + 2 > 255 {
        return Err("cannot encode the question: the name is longer than 255 bytes".into());
    }
    let mut query = QueryMessage {
        bytes: [0; MAX_QUERY],
        len: 0,
    };
    query.put(&id.to_be_bytes());
    // RD; QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 1 (the OPT record).
    query.put(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    for label in name.as_bytes().split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 {
            return Err("cannot encode the question: bad label length".into());
        }
        query.put(&[label.len() as u8]);
        query.put(label);
    }
    query.put(&[0]);
    query.put(&u16::from(qtype).to_be_bytes());
    query.put(&[0, 1]); // class IN
    let question = query.len - 12;
    // OPT: root owner, type 41, class = payload size, TTL = extended rcode/version/flags 0.
    query.put(&[0, 0, 41]);
    query.put(&EDNS_PAYLOAD.to_be_bytes());
    query.put(&[0, 0, 0, 0, 0, 0]);
    Ok((query, question))
}

/// What the audit reads of a response.
#[derive(Debug)]
pub struct Response {
    /// With the extended RCODE of an OPT record merged in (RFC 6891 6.1.3).
    pub response_code: ResponseCode,
    pub truncated: bool,
    pub answers: Vec<WireRecord>,
}

/// One record of the answer section.
#[derive(Debug, PartialEq, Eq)]
pub struct WireRecord {
    /// Raw labels, lower-cased, joined by dots; the root is "".
    pub owner: String,
    /// `None` for a type the audit never asks about.
    pub data: Option<Rdata>,
}

/// Decodes the header, steps over the question, reads the answers; the authority section
/// (an SOA with every negative answer) is stepped over, and of the additional section only
/// an OPT record's extended RCODE is kept.
pub fn decode(bytes: &[u8], id: u16) -> Result<Response, String> {
    let malformed = |e: &dyn std::fmt::Display| format!("malformed answer: {e}");
    let Header {
        mut metadata,
        counts,
    } = Header::read(&mut BinDecoder::new(bytes)).map_err(|e| malformed(&e))?;
    if metadata.id != id || metadata.message_type != MessageType::Response {
        return Err("malformed answer: not a response to the question".into());
    }
    let mut wire = Cursor { msg: bytes, at: 12 };
    for _ in 0..counts.queries {
        wire.skip_name().map_err(|e| malformed(&e))?;
        wire.take(4).map_err(|e| malformed(&e))?;
    }
    let mut answers = Vec::with_capacity(usize::from(counts.answers).min(64));
    for _ in 0..counts.answers {
        answers.push(wire.record().map_err(|e| malformed(&e))?);
    }
    for _ in 0..counts.authorities {
        wire.skip_record().map_err(|e| malformed(&e))?;
    }
    for _ in 0..counts.additionals {
        let (rtype, ttl) = wire.skip_record().map_err(|e| malformed(&e))?;
        if rtype == u16::from(RecordType::OPT) {
            // The OPT TTL's high byte is the upper 8 bits of the extended RCODE.
            metadata.merge_response_code((ttl >> 24) as u8);
        }
    }
    Ok(Response {
        response_code: metadata.response_code,
        truncated: metadata.truncation,
        answers,
    })
}

/// A position in a message; every read checks the bounds.
struct Cursor<'a> {
    msg: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.msg.len())
            .ok_or("the message ends early")?;
        let bytes = &self.msg[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Steps over a name in place: labels, ending with the root label or a pointer.
    fn skip_name(&mut self) -> Result<(), String> {
        // A name has at most 128 labels; a longer run is not a name.
        for _ in 0..128 {
            match self.u8()? {
                0 => return Ok(()),
                l if l & 0xC0 == 0xC0 => {
                    self.u8()?;
                    return Ok(());
                }
                l if l & 0xC0 != 0 => return Err(format!("bad label type {l:#x}")),
                l => {
                    self.take(usize::from(l))?;
                }
            }
        }
        Err("name longer than 128 labels".into())
    }

    /// Reads a name, following compression pointers (each strictly backwards, so that
    /// they cannot loop), as our string: raw labels joined by dots, lower-cased.
    fn name(&mut self) -> Result<String, String> {
        let mut out = String::new();
        let mut wire_len = 1; // the root label
        let mut at = self.at;
        // Where the cursor goes on: after the first pointer, or after the root label.
        let mut resume = None;
        loop {
            let len = *self.msg.get(at).ok_or("the message ends inside a name")?;
            match len & 0xC0 {
                0x00 if len == 0 => {
                    at += 1;
                    break;
                }
                0x00 => {
                    let label = self
                        .msg
                        .get(at + 1..at + 1 + usize::from(len))
                        .ok_or("the message ends inside a name")?;
                    wire_len += 1 + label.len();
                    if wire_len > 255 {
                        return Err("name longer than 255 bytes".into());
                    }
                    if !out.is_empty() {
                        out.push('.');
                    }
                    match std::str::from_utf8(label) {
                        Ok(text) => out.push_str(text),
                        Err(_) => out.push_str(&String::from_utf8_lossy(label)),
                    }
                    at += 1 + label.len();
                }
                0xC0 => {
                    let low = *self
                        .msg
                        .get(at + 1)
                        .ok_or("the message ends inside a name")?;
                    let target = usize::from(len & 0x3F) << 8 | usize::from(low);
                    if target >= at {
                        return Err("a compression pointer that does not point back".into());
                    }
                    resume.get_or_insert(at + 2);
                    at = target;
                }
                _ => return Err(format!("bad label type {len:#x}")),
            }
        }
        self.at = resume.unwrap_or(at);
        out.make_ascii_lowercase();
        Ok(out)
    }

    /// One resource record of the answer section.
    fn record(&mut self) -> Result<WireRecord, String> {
        let owner = self.name()?;
        let rtype = self.u16()?;
        let _class = self.u16()?;
        let _ttl = self.u32()?;
        let len = usize::from(self.u16()?);
        let end = self
            .at
            .checked_add(len)
            .filter(|&end| end <= self.msg.len())
            .ok_or("record data runs past the end of the message")?;
        let data = match RecordType::from(rtype) {
            RecordType::A => {
                let b: [u8; 4] = self
                    .take(len)?
                    .try_into()
                    .map_err(|_| "an A record not 4 bytes long")?;
                Some(Rdata::A {
                    address: Ipv4Addr::from(b),
                })
            }
            RecordType::AAAA => {
                let b: [u8; 16] = self
                    .take(len)?
                    .try_into()
                    .map_err(|_| "an AAAA record not 16 bytes long")?;
                Some(Rdata::Aaaa {
                    address: Ipv6Addr::from(b),
                })
            }
            RecordType::MX => Some(Rdata::Mx {
                preference: self.u16()?,
                exchange: self.name()?,
            }),
            RecordType::TXT => {
                let mut strings = Vec::new();
                while self.at < end {
                    let n = usize::from(self.u8()?);
                    strings.push(self.take(n)?.to_vec());
                }
                Some(Rdata::Txt { strings })
            }
            RecordType::CNAME => Some(Rdata::Cname {
                target: self.name()?,
            }),
            RecordType::PTR => Some(Rdata::Ptr {
                target: self.name()?,
            }),
            RecordType::NS => Some(Rdata::Ns {
                target: self.name()?,
            }),
            RecordType::SOA => {
                let mname = self.name()?;
                let rname = self.name()?;
                let serial = self.u32()?;
                // refresh, retry, expire
                self.take(12)?;
                Some(Rdata::Soa {
                    mname,
                    rname,
                    serial,
                    minimum: self.u32()?,
                })
            }
            _ => {
                self.at = end;
                None
            }
        };
        if self.at != end {
            return Err(format!(
                "a {} record's data is not the {len} bytes its length says",
                RecordType::from(rtype)
            ));
        }
        Ok(WireRecord { owner, data })
    }

    /// Steps over one resource record; its type and TTL.
    fn skip_record(&mut self) -> Result<(u16, u32), String> {
        self.skip_name()?;
        let rtype = self.u16()?;
        let _class = self.u16()?;
        let ttl = self.u32()?;
        let len = usize::from(self.u16()?);
        self.take(len)?;
        Ok((rtype, ttl))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::{Edns, Message, OpCode, Query};
    use hickory_resolver::proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, SOA, TXT};
    use hickory_resolver::proto::rr::{Name, RData, Record};

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    /// A response as hickory writes it (names compressed against each other).
    fn response(answers: Vec<Record>) -> Message {
        let mut m = Message::new(0x1234, MessageType::Response, OpCode::Query);
        m.add_query(Query::query(name("a.Example."), RecordType::TXT));
        for a in answers {
            m.add_answer(a);
        }
        m.add_authority(Record::from_rdata(
            name("example."),
            60,
            RData::SOA(SOA::new(
                name("ns.example."),
                name("hostmaster.example."),
                1,
                2,
                3,
                4,
                5,
            )),
        ));
        m.set_edns(Edns::new());
        m
    }

    /// What the client read of each answer through hickory's decoder before this module:
    /// `from_wire` of the owner, and hickory's record data converted field by field.
    fn as_hickory_reads_it(bytes: &[u8]) -> Vec<WireRecord> {
        let from_wire = super::super::name::from_wire;
        Message::from_vec(bytes)
            .unwrap()
            .answers
            .iter()
            .map(|r| WireRecord {
                owner: from_wire(&r.name),
                data: match &r.data {
                    RData::A(a) => Some(Rdata::A { address: a.0 }),
                    RData::AAAA(a) => Some(Rdata::Aaaa { address: a.0 }),
                    RData::MX(mx) => Some(Rdata::Mx {
                        preference: mx.preference,
                        exchange: from_wire(&mx.exchange),
                    }),
                    RData::TXT(t) => Some(Rdata::Txt {
                        strings: t.txt_data.iter().map(|s| s.to_vec()).collect(),
                    }),
                    RData::CNAME(c) => Some(Rdata::Cname {
                        target: from_wire(&c.0),
                    }),
                    RData::PTR(p) => Some(Rdata::Ptr {
                        target: from_wire(&p.0),
                    }),
                    RData::NS(n) => Some(Rdata::Ns {
                        target: from_wire(&n.0),
                    }),
                    RData::SOA(s) => Some(Rdata::Soa {
                        mname: from_wire(&s.mname),
                        rname: from_wire(&s.rname),
                        serial: s.serial,
                        minimum: s.minimum,
                    }),
                    _ => None,
                },
            })
            .collect()
    }

    #[test]
    fn answers_read_as_hickory_reads_them() {
        let owner = name("a.Example.");
        let records = vec![
            Record::from_rdata(owner.clone(), 60, RData::CNAME(CNAME(name("b.example.")))),
            Record::from_rdata(
                name("b.example."),
                60,
                RData::TXT(TXT::new(vec![
                    "v=spf1 -all".into(),
                    "".into(),
                    "x".repeat(255),
                ])),
            ),
            Record::from_rdata(owner.clone(), 60, RData::A(A::new(192, 0, 2, 1))),
            Record::from_rdata(
                owner.clone(),
                60,
                RData::AAAA(AAAA::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            ),
            Record::from_rdata(
                owner.clone(),
                60,
                RData::MX(MX::new(10, name("Mx.B.example."))),
            ),
            Record::from_rdata(owner.clone(), 60, RData::NS(NS(name("ns.example.")))),
            Record::from_rdata(
                owner.clone(),
                60,
                RData::PTR(PTR(super::super::name::wire_name("a b.example").unwrap())),
            ),
            Record::from_rdata(
                owner.clone(),
                60,
                RData::SOA(SOA::new(
                    name("ns.example."),
                    name("h.example."),
                    7,
                    2,
                    3,
                    4,
                    9,
                )),
            ),
            // A type the audit never asks for: stepped over, the next record still read.
            Record::from_rdata(
                owner.clone(),
                60,
                RData::CAA(hickory_resolver::proto::rr::rdata::CAA::new_issue(
                    false,
                    Some(name("ca.example.")),
                    vec![],
                )),
            ),
            Record::from_rdata(name("."), 60, RData::MX(MX::new(0, Name::root()))),
        ];
        let bytes = response(records).to_vec().unwrap();
        // hickory compressed the repeated names: the reader follows pointers.
        assert!(bytes.windows(2).any(|w| w[0] & 0xC0 == 0xC0));
        let r = decode(&bytes, 0x1234).unwrap();
        assert_eq!(r.answers, as_hickory_reads_it(&bytes));
        assert_eq!(r.answers.len(), 10);
        assert_eq!(r.answers[0].owner, "a.example");
        assert_eq!(r.answers[9].owner, "");
        assert_eq!(r.response_code, ResponseCode::NoError);
        assert!(!r.truncated);
    }

    #[test]
    fn the_opt_records_extended_rcode_is_merged() {
        // BADVERS (16): 0 in the header, 1 in the OPT record's extended RCODE.
        let mut m = response(vec![]);
        m.metadata.response_code = ResponseCode::BADVERS;
        let bytes = m.to_vec().unwrap();
        assert_eq!(bytes[3] & 0x0f, 0, "the header's RCODE bits say NOERROR");
        let r = decode(&bytes, 0x1234).unwrap();
        assert_eq!(
            r.response_code,
            Message::from_vec(&bytes).unwrap().metadata.response_code
        );
        assert_eq!(u16::from(r.response_code), 16);
    }

    #[test]
    fn not_our_response_or_broken_is_an_error_never_a_panic() {
        let record = Record::from_rdata(
            name("a.example."),
            60,
            RData::MX(MX::new(5, name("mx.a.example."))),
        );
        let bytes = response(vec![record]).to_vec().unwrap();
        assert!(decode(&bytes, 0x4321).is_err());
        let (query, _) = encode(0x1234, "a.example", RecordType::TXT).unwrap();
        assert!(decode(&query, 0x1234).is_err());
        // Every truncation and every single-byte change: a result, never a panic.
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len], 0x1234).is_err(), "cut at {len}");
        }
        for at in 0..bytes.len() {
            for value in [0x00, 0x3F, 0x40, 0xC0, 0xFF] {
                let mut b = bytes.clone();
                b[at] = value;
                let _ = decode(&b, 0x1234);
            }
        }
    }

    /// A hand-made answer: header, question `a.` TXT, one TXT record with this owner and data.
    fn with_owner(owner: &[u8], rdata: &[u8]) -> Vec<u8> {
        let mut b = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        b.extend_from_slice(&[1, b'a', 0, 0, 16, 0, 1]);
        b.extend_from_slice(owner);
        b.extend_from_slice(&[0, 16, 0, 1, 0, 0, 0, 60]);
        b.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        b.extend_from_slice(rdata);
        b
    }

    #[test]
    fn hostile_names_and_lengths_are_refused() {
        // The question's name at 12: a pointer back to it is fine.
        let ok = with_owner(&[0xC0, 12], &[3, b'a', b'b', b'c']);
        let r = decode(&ok, 0x1234).unwrap();
        assert_eq!(r.answers[0].owner, "a");
        // A pointer to itself, and one pointing forwards: refused (no loop).
        let at = 12 + 7;
        assert!(decode(&with_owner(&[0xC0, at as u8], &[]), 0x1234).is_err());
        assert!(decode(&with_owner(&[0xC0, 0xFF], &[]), 0x1234).is_err());
        // A pointer back to the start of its own name repeats it: stopped by the 255 bytes.
        let looped = with_owner(&[1, b'x', 0xC0, at as u8], &[]);
        assert!(decode(&looped, 0x1234).is_err());
        // A name over 255 bytes.
        let mut long = Vec::new();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'x'; 63]);
        }
        long.push(0);
        assert!(decode(&with_owner(&long, &[]), 0x1234).is_err());
        // Extended label types (0x40, 0x80) are not names.
        assert!(decode(&with_owner(&[0x41, 0], &[]), 0x1234).is_err());
        // TXT strings that run past the record's data, or data past the message.
        assert!(decode(&with_owner(&[0], &[5, b'a']), 0x1234).is_err());
        let mut past = with_owner(&[0], &[1, b'a']);
        let n = past.len();
        past[n - 3] = 9;
        assert!(decode(&past, 0x1234).is_err());
        // A non-UTF-8 label reads as U+FFFD, as from_wire has it.
        let odd = with_owner(&[2, 0xFF, b'A', 0], &[]);
        assert_eq!(decode(&odd, 0x1234).unwrap().answers[0].owner, "\u{fffd}a");
    }

    #[test]
    fn queries_are_what_hickory_reads() {
        let wire = super::super::name::wire_name("a.Bc").unwrap();
        let (query, question) = encode(0xbeef, "a.Bc", RecordType::TXT).unwrap();
        // 1 a 2 B c 0 + type + class
        assert_eq!(question, 1 + 1 + 1 + 2 + 1 + 4);
        let m = Message::from_vec(&query).unwrap();
        assert_eq!(m.metadata.id, 0xbeef);
        assert_eq!(m.metadata.message_type, MessageType::Query);
        assert!(m.metadata.recursion_desired);
        assert_eq!(m.queries.len(), 1);
        assert_eq!(m.queries[0].name(), &wire);
        assert_eq!(m.queries[0].query_type(), RecordType::TXT);
        assert_eq!(m.edns.as_ref().map(|e| e.max_payload()), Some(EDNS_PAYLOAD));
        assert!(m.answers.is_empty() && m.authorities.is_empty() && m.additionals.is_empty());
    }

    #[test]
    fn names_up_to_255_wire_bytes_encode_longer_ones_do_not() {
        // 4 labels of 63 and one of 1: 4 × 64 + 2 + 1 = 259 wire bytes; 3 × 64 + 62 + 1 = 255.
        let long = format!("{0}.{0}.{0}.{0}.a", "x".repeat(63));
        assert!(encode(1, &long, RecordType::TXT).is_err());
        let longest = format!("{0}.{0}.{0}.{1}", "x".repeat(63), "y".repeat(61));
        let (query, question) = encode(1, &longest, RecordType::TXT).unwrap();
        assert_eq!(question, 255 + 4);
        assert_eq!(query.len(), MAX_QUERY);
        let m = Message::from_vec(&query).unwrap();
        assert_eq!(m.queries[0].name().to_string(), format!("{longest}."));
        assert!(encode(1, "a..b", RecordType::TXT).is_err());
        assert!(encode(1, "", RecordType::TXT).is_err());
    }
}
