//! RFC 1035 section 5 zone-file text to a [`Zone`].
//!
//! Supported: `$ORIGIN`, `$TTL`, `@`, relative and absolute names, an omitted owner
//! (the previous one), optional TTL and class `IN` in either order, parentheses spanning
//! lines, `;` comments, quoted strings with escapes (`\"`, `\\`, `\DDD`), and the record
//! types the audit reads: A, AAAA, MX, TXT, CNAME, PTR, NS, SOA.
//!
//! Choices: `$INCLUDE` is rejected (a zone is one file, so that every message points into
//! it); other known record types (SPF, CAA, SRV, DS, ...) are skipped without error since
//! the audit never asks for them; an owner outside the zone is an error (real servers such
//! as Knot refuse such files too). Positions are 1-based, columns counted in characters.

use super::name::{is_subdomain_of, validate_dns_name};
use super::types::Rdata;
use super::zone::{Zone, ZoneError, ZoneRecord};
use std::net::{Ipv4Addr, Ipv6Addr};

/// A character-string on the wire holds at most 255 bytes (RFC 1035 3.3).
const MAX_STRING: usize = 255;
/// TTL when neither the record, `$TTL`, nor an earlier record gives one.
const FALLBACK_TTL: u32 = 3600;
/// Record types we recognise but do not keep (the audit never asks for them).
const SKIPPED_TYPES: &[&str] = &[
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
}

#[derive(Debug)]
struct Token {
    /// Unquoted words keep their escapes (names and numbers are read from the raw text);
    /// quoted strings are already decoded.
    text: String,
    bytes: Vec<u8>,
    quoted: bool,
    pos: Pos,
}

/// One entry: the tokens of a logical line (parentheses joined).
struct Entry {
    tokens: Vec<Token>,
    /// The line began with a blank: the owner is the previous record's.
    blank_owner: bool,
    start: Pos,
    /// Just after the last token, for "missing ..." messages.
    end: Pos,
}

struct Parser<'a> {
    file: &'a str,
    /// Origin for relative names (`$ORIGIN`, else the argument, else the SOA owner).
    origin: Option<String>,
    /// The zone's apex: the first origin known.
    apex: Option<String>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<String>,
    records: Vec<ZoneRecord>,
    /// Where each record's owner was written, to report owners outside the zone.
    owner_pos: Vec<Pos>,
}

pub fn parse(text: &str, file: &str, origin: Option<&str>) -> Result<Zone, ZoneError> {
    let given = origin.map(|o| o.strip_suffix('.').unwrap_or(o).to_ascii_lowercase());
    let mut parser = Parser {
        file,
        origin: given.clone(),
        apex: given,
        default_ttl: None,
        last_ttl: None,
        last_owner: None,
        records: Vec::new(),
        owner_pos: Vec::new(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for entry in lex(text).map_err(|(pos, m)| parser.error(pos, m))? {
        parser.entry(entry)?;
    }
    let Some(apex) = parser.apex.clone() else {
        return Err(parser.error(
            Pos { line: 1, column: 1 },
            "no origin: add $ORIGIN, an SOA record with an absolute owner, or give the zone's name"
                .into(),
        ));
    };
    for (record, pos) in parser.records.iter().zip(&parser.owner_pos) {
        if !is_subdomain_of(&record.name, &apex) {
            return Err(parser.error(
                *pos,
                format!("owner \"{}\" is outside the zone \"{apex}\"", record.name),
            ));
        }
    }
    Ok(Zone {
        origin: apex,
        file: file.to_string(),
        records: parser.records,
    })
}

impl Parser<'_> {
    fn error(&self, pos: Pos, message: String) -> ZoneError {
        ZoneError {
            file: self.file.to_string(),
            line: pos.line,
            column: pos.column,
            message,
        }
    }

    fn entry(&mut self, entry: Entry) -> Result<(), ZoneError> {
        let Some(first) = entry.tokens.first() else {
            return Ok(());
        };
        if !entry.blank_owner && !first.quoted && first.text.starts_with('$') {
            return self.directive(&entry);
        }
        let mut tokens = entry.tokens.iter();
        let written_owner = if entry.blank_owner {
            None
        } else {
            tokens.next()
        };
        let (owner, owner_pos) = match (written_owner, &self.last_owner) {
            (Some(token), _) => (self.name(token)?, token.pos),
            (None, Some(owner)) if entry.blank_owner => (owner.clone(), entry.start),
            _ => {
                return Err(self.error(
                    entry.start,
                    "no owner name: the first record starts with a blank".into(),
                ));
            }
        };
        // TTL and class, in either order, each at most once.
        let mut ttl = None;
        let mut class_seen = false;
        let rtype = loop {
            let Some(token) = tokens.next() else {
                return Err(self.error(entry.end, "missing record type".into()));
            };
            let word = token.text.to_ascii_uppercase();
            if ttl.is_none() && word.starts_with(|c: char| c.is_ascii_digit()) {
                ttl = Some(self.ttl(token)?);
            } else if !class_seen && matches!(word.as_str(), "IN" | "CH" | "HS" | "CS") {
                if word != "IN" {
                    return Err(self.error(
                        token.pos,
                        format!("class {word} is not supported (only IN)"),
                    ));
                }
                class_seen = true;
            } else {
                break token;
            }
        };
        let type_name = rtype.text.to_ascii_uppercase();
        if type_name == "SOA" && self.origin.is_none() {
            // The SOA's owner is the apex when nothing else said so, and the origin for
            // its own relative names. It is absolute: without an origin, relative names
            // and `@` were already refused.
            self.apex = Some(owner.clone());
            self.origin = Some(owner.clone());
        }
        let rest: Vec<&Token> = tokens.collect();
        let data = match type_name.as_str() {
            "A" | "AAAA" | "MX" | "TXT" | "CNAME" | "PTR" | "NS" | "SOA" => {
                self.rdata(&type_name, &rest, entry.end)?
            }
            t if SKIPPED_TYPES.contains(&t) || is_generic_type(t) => {
                self.last_owner = Some(owner);
                return Ok(());
            }
            _ => {
                return Err(
                    self.error(rtype.pos, format!("unknown record type \"{}\"", rtype.text))
                );
            }
        };
        if let Rdata::Soa { minimum, .. } = &data
            && self.default_ttl.is_none()
            && ttl.is_none()
            && self.last_ttl.is_none()
        {
            self.last_ttl = Some(*minimum);
        }
        let ttl = ttl
            .or(self.default_ttl)
            .or(self.last_ttl)
            .unwrap_or(FALLBACK_TTL);
        self.last_ttl = Some(ttl);
        self.last_owner = Some(owner.clone());
        self.records.push(ZoneRecord {
            name: owner,
            ttl,
            data,
            line: entry.start.line,
        });
        self.owner_pos.push(owner_pos);
        Ok(())
    }

    fn directive(&mut self, entry: &Entry) -> Result<(), ZoneError> {
        let Some((directive, args)) = entry.tokens.split_first() else {
            return Ok(());
        };
        match directive.text.to_ascii_uppercase().as_str() {
            "$ORIGIN" => {
                let [arg] = args else {
                    return Err(self.error(directive.pos, "$ORIGIN takes one name".into()));
                };
                let origin = self.name(arg)?;
                self.apex.get_or_insert_with(|| origin.clone());
                self.origin = Some(origin);
            }
            "$TTL" => {
                let [arg] = args else {
                    return Err(self.error(directive.pos, "$TTL takes one value".into()));
                };
                self.default_ttl = Some(self.ttl(arg)?);
            }
            "$INCLUDE" => {
                return Err(self.error(
                    directive.pos,
                    "$INCLUDE is not supported: put the records in this file".into(),
                ));
            }
            _ => {
                return Err(self.error(
                    directive.pos,
                    format!("unknown directive \"{}\"", directive.text),
                ));
            }
        }
        Ok(())
    }

    /// A domain name: `@`, absolute (trailing dot) or relative to the origin.
    fn name(&self, token: &Token) -> Result<String, ZoneError> {
        let text = token.text.as_str();
        if token.quoted || text.contains('\\') {
            return Err(self.error(
                token.pos,
                format!("name \"{text}\": quotes and escapes in names are not supported"),
            ));
        }
        let name = if text == "@" {
            match &self.origin {
                Some(origin) => origin.clone(),
                None => return Err(self.error(token.pos, "\"@\" but no origin is known".into())),
            }
        } else if text == "." {
            String::new()
        } else if let Some(absolute) = text.strip_suffix('.') {
            absolute.to_ascii_lowercase()
        } else {
            match &self.origin {
                Some(origin) if origin.is_empty() => text.to_ascii_lowercase(),
                Some(origin) => format!("{}.{origin}", text.to_ascii_lowercase()),
                None => {
                    return Err(self.error(
                        token.pos,
                        format!("relative name \"{text}\" but no origin is known (add $ORIGIN or write it with a trailing dot)"),
                    ));
                }
            }
        };
        if !name.is_empty() {
            validate_dns_name(&name)
                .map_err(|e| self.error(token.pos, format!("bad name \"{text}\": {e}")))?;
        }
        Ok(name)
    }

    /// A TTL or SOA timer: seconds, or BIND units (`1h30m`, `2d`, `1w`).
    fn ttl(&self, token: &Token) -> Result<u32, ZoneError> {
        let bad = || self.error(token.pos, format!("bad TTL \"{}\"", token.text));
        let text = token.text.to_ascii_lowercase();
        if let Ok(n) = text.parse::<u32>() {
            return Ok(n);
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit: u64 = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return Err(bad()),
            };
            let n: u64 = digits.parse().map_err(|_| bad())?;
            total = total.saturating_add(n.saturating_mul(unit));
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(bad());
        }
        u32::try_from(total).map_err(|_| bad())
    }

    fn rdata(&self, rtype: &str, args: &[&Token], end: Pos) -> Result<Rdata, ZoneError> {
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
fn is_generic_type(t: &str) -> bool {
    t.strip_prefix("TYPE")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Split the text into entries: comments dropped, parentheses joined, strings decoded.
fn lex(text: &str) -> Result<Vec<Entry>, (Pos, String)> {
    let mut entries = Vec::new();
    let mut chars = text.chars().peekable();
    let mut pos = Pos { line: 1, column: 1 };
    let mut open_paren: Option<Pos> = None;
    let mut current = Entry {
        tokens: Vec::new(),
        blank_owner: false,
        start: pos,
        end: pos,
    };
    let mut at_line_start = true;
    while let Some(&c) = chars.peek() {
        let here = pos;
        if at_line_start && open_paren.is_none() {
            current.blank_owner = c == ' ' || c == '\t';
            current.start = here;
            at_line_start = false;
        }
        match c {
            '\n' => {
                chars.next();
                pos = Pos {
                    line: pos.line + 1,
                    column: 1,
                };
                if open_paren.is_none() {
                    let done = std::mem::replace(
                        &mut current,
                        Entry {
                            tokens: Vec::new(),
                            blank_owner: false,
                            start: pos,
                            end: pos,
                        },
                    );
                    if !done.tokens.is_empty() {
                        entries.push(done);
                    }
                    at_line_start = true;
                }
            }
            ' ' | '\t' | '\r' => {
                chars.next();
                pos.column += 1;
            }
            ';' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                    pos.column += 1;
                }
            }
            '(' => {
                if let Some(first) = open_paren {
                    return Err((
                        here,
                        format!(
                            "nested parenthesis (one is already open since line {})",
                            first.line
                        ),
                    ));
                }
                open_paren = Some(here);
                chars.next();
                pos.column += 1;
            }
            ')' => {
                if open_paren.take().is_none() {
                    return Err((here, "closing parenthesis without an opening one".into()));
                }
                chars.next();
                pos.column += 1;
            }
            '"' => {
                chars.next();
                pos.column += 1;
                let mut bytes = Vec::new();
                loop {
                    match chars.next() {
                        None | Some('\n') => {
                            return Err((here, "unterminated quoted string".into()));
                        }
                        Some('"') => {
                            pos.column += 1;
                            break;
                        }
                        Some('\\') => {
                            let escape_pos = pos;
                            pos.column += 1;
                            unescape(&mut chars, &mut pos, &mut bytes, escape_pos)?;
                        }
                        Some(c) => {
                            pos.column += 1;
                            let mut buf = [0; 4];
                            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                }
                current.tokens.push(Token {
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    bytes,
                    quoted: true,
                    pos: here,
                });
                current.end = pos;
            }
            _ => {
                let mut raw = String::new();
                let mut bytes = Vec::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ';' | '"') {
                        break;
                    }
                    chars.next();
                    if c == '\\' {
                        let escape_pos = pos;
                        pos.column += 1;
                        raw.push('\\');
                        let before = bytes.len();
                        unescape(&mut chars, &mut pos, &mut bytes, escape_pos)?;
                        // Keep the raw form for names: escapes in names are reported later.
                        raw.push_str(&String::from_utf8_lossy(&bytes[before..]));
                    } else {
                        pos.column += 1;
                        raw.push(c);
                        let mut buf = [0; 4];
                        bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                }
                current.tokens.push(Token {
                    text: raw,
                    bytes,
                    quoted: false,
                    pos: here,
                });
                current.end = pos;
            }
        }
    }
    if let Some(open) = open_paren {
        return Err((
            open,
            format!("missing closing parenthesis opened at line {}", open.line),
        ));
    }
    if !current.tokens.is_empty() {
        entries.push(current);
    }
    Ok(entries)
}

/// After a backslash: `\DDD` (a byte in decimal) or `\X` (X itself).
fn unescape(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    pos: &mut Pos,
    bytes: &mut Vec<u8>,
    escape_pos: Pos,
) -> Result<(), (Pos, String)> {
    match chars.peek().copied() {
        None | Some('\n') => Err((escape_pos, "backslash at the end of a line".into())),
        Some(d) if d.is_ascii_digit() => {
            let mut value: u32 = 0;
            let mut digits = String::new();
            for _ in 0..3 {
                match chars.peek().copied() {
                    Some(d) if d.is_ascii_digit() => {
                        chars.next();
                        pos.column += 1;
                        digits.push(d);
                        value = value * 10 + d.to_digit(10).unwrap_or(0);
                    }
                    _ => {
                        return Err((
                            escape_pos,
                            format!("bad escape \"\\{digits}\": \\DDD needs three digits"),
                        ));
                    }
                }
            }
            let byte = u8::try_from(value)
                .map_err(|_| (escape_pos, format!("bad escape \"\\{digits}\": above 255")))?;
            bytes.push(byte);
            Ok(())
        }
        Some(c) => {
            chars.next();
            pos.column += 1;
            let mut buf = [0; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txt(strings: &[&[u8]]) -> Rdata {
        Rdata::Txt {
            strings: strings.iter().map(|s| s.to_vec()).collect(),
        }
    }

    fn ok(text: &str, origin: Option<&str>) -> Zone {
        parse(text, "t.zone", origin).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn good_files() {
        let z = ok(
            "$ORIGIN Example.COM.\n$TTL 1h\n\
             @ IN SOA ns1 hostmaster.example.com. ( 2024010101 ; serial\n 7200 3600\n 1209600 300 )\n\
             \tNS ns1\n\
             ns1 300 IN A 192.0.2.1\n\
             www IN 60 CNAME @\n\
             @ MX 10 mx.other.test.\n\
             @ TXT \"v=spf1 \" \"include:_spf.example.com \\\"x\\\\y\\\" -all\"\n\
             \tTXT unquoted\n\
             _dmarc TXT \"a\\059b\" ; a comment with \"quotes\"\n\
             v6 AAAA 2001:db8::1\n\
             1.2 PTR host.example.com.\n\
             @ CAA 0 issue \"letsencrypt.org\"\n\
             @ SPF \"v=spf1 -all\"\n",
            None,
        );
        assert_eq!(z.origin, "example.com");
        let got: Vec<(&str, u32, &Rdata)> = z
            .records
            .iter()
            .map(|r| (r.name.as_str(), r.ttl, &r.data))
            .collect();
        let soa = Rdata::Soa {
            mname: "ns1.example.com".into(),
            rname: "hostmaster.example.com".into(),
            serial: 2024010101,
            minimum: 300,
        };
        let ns = Rdata::Ns {
            target: "ns1.example.com".into(),
        };
        let a = Rdata::A {
            address: "192.0.2.1".parse().unwrap(),
        };
        let cname = Rdata::Cname {
            target: "example.com".into(),
        };
        let mx = Rdata::Mx {
            preference: 10,
            exchange: "mx.other.test".into(),
        };
        let spf = txt(&[b"v=spf1 ", b"include:_spf.example.com \"x\\y\" -all"]);
        let word = txt(&[b"unquoted"]);
        let dmarc = txt(&[b"a;b"]);
        let aaaa = Rdata::Aaaa {
            address: "2001:db8::1".parse().unwrap(),
        };
        let ptr = Rdata::Ptr {
            target: "host.example.com".into(),
        };
        assert_eq!(
            got,
            vec![
                ("example.com", 3600, &soa),
                ("example.com", 3600, &ns),
                ("ns1.example.com", 300, &a),
                ("www.example.com", 60, &cname),
                ("example.com", 3600, &mx),
                ("example.com", 3600, &spf),
                ("example.com", 3600, &word),
                ("_dmarc.example.com", 3600, &dmarc),
                ("v6.example.com", 3600, &aaaa),
                ("1.2.example.com", 3600, &ptr),
            ]
        );
        assert_eq!(z.records[4].line, 9, "line of the record's start");
    }

    #[test]
    fn origin_comes_from_argument_then_origin_then_soa() {
        let text = "@ 300 IN SOA ns hm 1 2 3 4 5\n@ NS ns\n";
        assert_eq!(ok(text, Some("a.test.")).origin, "a.test");
        assert_eq!(ok(text, Some("A.test")).records[1].name, "a.test");
        let soa_first = "b.test. 300 IN SOA ns hm 1 2 3 4 5\nwww A 192.0.2.1\n";
        let z = ok(soa_first, None);
        assert_eq!(z.origin, "b.test");
        assert_eq!(z.records[1].name, "www.b.test");
        // With no $TTL and no TTL on the record, the previous record's TTL carries over.
        assert_eq!(z.records[1].ttl, 300);
        // $ORIGIN may change the origin for relative names; the apex stays the first one.
        let z = ok(
            "$ORIGIN c.test.\n@ SOA ns hm 1 2 3 4 5\n$ORIGIN sub.c.test.\nx A 192.0.2.2\n",
            None,
        );
        assert_eq!(
            (z.origin.as_str(), z.records[1].name.as_str()),
            ("c.test", "x.sub.c.test")
        );
        // A root zone.
        let z = ok(
            ". 86400 IN SOA a.root-servers.test. hm.test. 1 2 3 4 5\n. NS a.root-servers.test.\n",
            None,
        );
        assert_eq!((z.origin.as_str(), z.records[1].name.as_str()), ("", ""));
    }

    #[test]
    fn txt_strings_stay_separate_and_long_ones_fit() {
        let s255 = "x".repeat(255);
        let z = ok(
            &format!("@ TXT ( \"{s255}\"\n \"{s255}\" )\n"),
            Some("t.test"),
        );
        assert_eq!(z.records[0].data, txt(&[s255.as_bytes(), s255.as_bytes()]));
        let z = ok("@ TXT \"\" \"\\255\\000\"\n", Some("t.test"));
        assert_eq!(z.records[0].data, txt(&[b"", &[255, 0]]));
    }

    #[test]
    fn errors_name_the_problem_and_its_position() {
        let s256 = "y".repeat(256);
        let cases: Vec<(String, (usize, usize), &str)> = vec![
            (
                "@ A 300.1.1.1\n".into(),
                (1, 5),
                "bad IPv4 address \"300.1.1.1\"",
            ),
            (
                "@ AAAA 2001:db8::g\n".into(),
                (1, 8),
                "bad IPv6 address \"2001:db8::g\"",
            ),
            ("@ TXT \"abc\n".into(), (1, 7), "unterminated quoted string"),
            ("@ TXT \"abc".into(), (1, 7), "unterminated quoted string"),
            (
                "\n\n@ TXT ( \"a\"\n".into(),
                (3, 7),
                "missing closing parenthesis opened at line 3",
            ),
            ("@ AXFR x\n".into(), (1, 3), "unknown record type \"AXFR\""),
            (
                "@ TXT a )\n".into(),
                (1, 9),
                "closing parenthesis without an opening one",
            ),
            (
                format!("@ TXT \"a\" \"{s256}\"\n"),
                (1, 11),
                "character-string is 256 bytes long",
            ),
            (
                format!("@ TXT {s256}\n"),
                (1, 7),
                "character-string is 256 bytes long",
            ),
            (
                "@ MX 70000 mx\n".into(),
                (1, 6),
                "bad MX preference \"70000\"",
            ),
            (
                "@ MX 10\n".into(),
                (1, 8),
                "missing exchange in the MX record",
            ),
            (
                "@ A\n".into(),
                (1, 4),
                "missing IPv4 address in the A record",
            ),
            (
                "@ A 192.0.2.1 extra\n".into(),
                (1, 15),
                "unexpected \"extra\" after the A record data",
            ),
            ("@ 300 IN\n".into(), (1, 9), "missing record type"),
            (
                "@ CH TXT \"x\"\n".into(),
                (1, 3),
                "class CH is not supported",
            ),
            (
                "$INCLUDE other.zone\n".into(),
                (1, 1),
                "$INCLUDE is not supported",
            ),
            ("$FOO x\n".into(), (1, 1), "unknown directive \"$FOO\""),
            ("$TTL 1x\n".into(), (1, 6), "bad TTL \"1x\""),
            ("  A 192.0.2.1\n".into(), (1, 1), "no owner name"),
            (
                "@ TXT \"\\256\"\n".into(),
                (1, 8),
                "bad escape \"\\256\": above 255",
            ),
            ("@ TXT \"\\25\"\n".into(), (1, 8), "bad escape"),
            ("a..b A 192.0.2.1\n".into(), (1, 1), "bad name \"a..b\""),
            (
                "@ SOA ns hm x 1 2 3 4\n".into(),
                (1, 13),
                "bad SOA serial \"x\"",
            ),
            (
                "@ CNAME\n".into(),
                (1, 8),
                "missing target in the CNAME record",
            ),
            (
                "other.test. A 192.0.2.1\n".into(),
                (1, 1),
                "owner \"other.test\" is outside the zone \"z.test\"",
            ),
            (
                "@ TXT ( \"a\" ( \"b\" ) )\n".into(),
                (1, 13),
                "nested parenthesis",
            ),
        ];
        for (text, (line, column), message) in &cases {
            let err = parse(text, "t.zone", Some("z.test")).expect_err(text);
            assert_eq!((err.line, err.column), (*line, *column), "{text:?}: {err}");
            assert!(err.message.contains(message), "{text:?}: {err}");
            assert_eq!(err.file, "t.zone");
        }
        // Without any origin.
        let cases = [
            (
                "www A 192.0.2.1\n",
                (1, 1),
                "relative name \"www\" but no origin is known",
            ),
            ("@ A 192.0.2.1\n", (1, 1), "\"@\" but no origin is known"),
            ("a.test. A 192.0.2.1\n", (1, 1), "no origin"),
        ];
        for (text, (line, column), message) in cases {
            let err = parse(text, "t.zone", None).expect_err(text);
            assert_eq!((err.line, err.column), (line, column), "{text:?}: {err}");
            assert!(err.message.contains(message), "{text:?}: {err}");
        }
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples = [
            "",
            "(",
            ")",
            "\"",
            "\\",
            "@ TXT \\",
            "$ORIGIN",
            "$TTL",
            "@ SOA",
            "\u{feff}@ A 1.2.3.4",
            "@ TXT \"\\",
            "@ TXT \"\\9",
            "é A 1.2.3.4",
            "@ 99999999999 A 1.2.3.4",
            "@ TYPE65 \\# 0",
            "@ IN IN A 1.2.3.4",
            "@ 1 2 A 1.2.3.4",
            ";only a comment",
            "\t\n\t\n",
        ];
        for s in samples {
            let _ = parse(s, "t.zone", Some("z.test"));
            let _ = parse(s, "t.zone", None);
        }
    }
}
