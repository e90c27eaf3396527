//! Strict SPF record parser (RFC 7208 sections 4.5, 4.6, 5, 6, 7, 12 ABNF). Pure.
//!
//! Every error names the term and its byte offset in the record. Nothing is clamped or
//! silently dropped: `ip4:300.1.1.1` and `foo:bar` are errors, unknown *modifiers*
//! (`name=value`) are kept, as the RFC requires.

use super::macros::MacroString;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

/// `a` and `mx` prefix lengths; `None` means the whole address (/32, /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DualCidr {
    pub v4: Option<u8>,
    pub v6: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(MacroString),
    A {
        domain: Option<MacroString>,
        cidr: DualCidr,
    },
    Mx {
        domain: Option<MacroString>,
        cidr: DualCidr,
    },
    Ptr(Option<MacroString>),
    Ip4 {
        network: Ipv4Addr,
        prefix: u8,
    },
    Ip6 {
        network: Ipv6Addr,
        prefix: u8,
    },
    Exists(MacroString),
}

impl Mechanism {
    /// Costs one of the ten DNS lookups (4.6.4).
    pub fn costs_lookup(&self) -> bool {
        !matches!(
            self,
            Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermKind {
    Directive {
        qualifier: Qualifier,
        mechanism: Mechanism,
    },
    Redirect(MacroString),
    Exp(MacroString),
    /// A modifier this implementation does not know: kept, ignored (6).
    Unknown {
        name: String,
        value: MacroString,
    },
}

/// One term as written, with its byte offset in the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub position: usize,
    pub kind: TermKind,
}

/// A parsed `v=spf1` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfRecord {
    pub terms: Vec<Term>,
}

impl SpfRecord {
    pub fn directives(&self) -> impl Iterator<Item = (&Term, Qualifier, &Mechanism)> {
        self.terms.iter().filter_map(|t| match &t.kind {
            TermKind::Directive {
                qualifier,
                mechanism,
            } => Some((t, *qualifier, mechanism)),
            _ => None,
        })
    }

    pub fn redirect(&self) -> Option<(&Term, &MacroString)> {
        self.terms.iter().find_map(|t| match &t.kind {
            TermKind::Redirect(d) => Some((t, d)),
            _ => None,
        })
    }

    pub fn exp(&self) -> Option<(&Term, &MacroString)> {
        self.terms.iter().find_map(|t| match &t.kind {
            TermKind::Exp(d) => Some((t, d)),
            _ => None,
        })
    }

    /// The first `all` directive, if any (a `redirect=` is then ignored, 5.1).
    pub fn all(&self) -> Option<(&Term, Qualifier)> {
        self.directives()
            .find(|(_, _, m)| matches!(m, Mechanism::All))
            .map(|(t, q, _)| (t, q))
    }
}

/// Why a record does not parse: the offending term, its byte offset in the record, and
/// what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfParseError {
    pub term: String,
    pub position: usize,
    pub message: String,
}

impl fmt::Display for SpfParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} at byte {}",
            self.message, self.term, self.position
        )
    }
}

impl std::error::Error for SpfParseError {}

/// A TXT record is an SPF record when it begins with `v=spf1` (any case) followed by a
/// space or the end (4.5). Others, including `v=spf10`, are not SPF records at all.
pub fn is_spf_record(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 6 && b[..6].eq_ignore_ascii_case(b"v=spf1") && (b.len() == 6 || b[6] == b' ')
}

/// Parse a whole record (the TXT strings already joined).
pub fn parse_record(record: &str) -> Result<SpfRecord, SpfParseError> {
    if !is_spf_record(record) {
        let end = record.find(' ').unwrap_or(record.len());
        return Err(SpfParseError {
            term: record[..end].to_string(),
            position: 0,
            message: "the record does not begin with \"v=spf1\"".into(),
        });
    }
    let mut terms = Vec::new();
    let mut pos = 6;
    let bytes = record.as_bytes();
    while pos < bytes.len() {
        if bytes[pos] == b' ' {
            pos += 1;
            continue;
        }
        let end = record[pos..].find(' ').map_or(record.len(), |e| pos + e);
        let text = &record[pos..end];
        let kind = parse_term(text).map_err(|message| SpfParseError {
            term: text.to_string(),
            position: pos,
            message,
        })?;
        terms.push(Term {
            text: text.to_string(),
            position: pos,
            kind,
        });
        pos = end;
    }
    let mut seen_redirect = None;
    let mut seen_exp = None;
    for term in &terms {
        let (slot, name) = match term.kind {
            TermKind::Redirect(_) => (&mut seen_redirect, "redirect"),
            TermKind::Exp(_) => (&mut seen_exp, "exp"),
            _ => continue,
        };
        if let Some(first) = *slot {
            return Err(SpfParseError {
                term: term.text.clone(),
                position: term.position,
                message: format!(
                    "second {name}= modifier (the first is at byte {first}): at most one is allowed"
                ),
            });
        }
        *slot = Some(term.position);
    }
    Ok(SpfRecord { terms })
}

fn parse_term(text: &str) -> Result<TermKind, String> {
    if let Some(i) = text.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
        let c = text[i..].chars().next().unwrap_or('?');
        return Err(format!(
            "character {c:?} in term (SPF records are 7-bit ASCII, terms separated by spaces only)"
        ));
    }
    // A modifier: name "=" macro-string, where name = ALPHA *(ALPHA / DIGIT / "-" / "_" / ".").
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
        .count();
    if text.as_bytes().get(name_len) == Some(&b'=') {
        let name = &text[..name_len];
        let value = &text[name_len + 1..];
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(if name.is_empty() {
                "modifier without a name".into()
            } else {
                "modifier name must begin with a letter".into()
            });
        }
        let offset = name_len + 1;
        return match name.to_ascii_lowercase().as_str() {
            "redirect" => Ok(TermKind::Redirect(domain_spec(value, offset)?)),
            "exp" => Ok(TermKind::Exp(domain_spec(value, offset)?)),
            _ => Ok(TermKind::Unknown {
                name: name.to_string(),
                value: MacroString::parse(value, false).map_err(|e| {
                    format!(
                        "{} (at offset {} in the term)",
                        e.message,
                        offset + e.offset
                    )
                })?,
            }),
        };
    }
    let (qualifier, rest) = match text.as_bytes()[0] {
        b'+' => (Qualifier::Pass, &text[1..]),
        b'-' => (Qualifier::Fail, &text[1..]),
        b'~' => (Qualifier::SoftFail, &text[1..]),
        b'?' => (Qualifier::Neutral, &text[1..]),
        _ => (Qualifier::Pass, text),
    };
    let base = text.len() - rest.len();
    let name_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let name = rest[..name_len].to_ascii_lowercase();
    let arg = &rest[name_len..];
    let arg_offset = base + name_len;
    let mechanism = match name.as_str() {
        "all" => {
            no_argument(arg, "all")?;
            Mechanism::All
        }
        "include" => Mechanism::Include(required_domain(arg, arg_offset, "include")?),
        "exists" => Mechanism::Exists(required_domain(arg, arg_offset, "exists")?),
        "ptr" => {
            if arg.is_empty() {
                Mechanism::Ptr(None)
            } else {
                Mechanism::Ptr(Some(required_domain(arg, arg_offset, "ptr")?))
            }
        }
        "a" | "mx" => {
            let (domain_part, cidr) = split_dual_cidr(arg)?;
            let domain = match domain_part {
                "" => None,
                d => match d.strip_prefix(':') {
                    Some(spec) => Some(domain_spec(spec, arg_offset + 1)?),
                    None => {
                        return Err(format!("unknown mechanism (`{name}` is followed by {d:?})"));
                    }
                },
            };
            if name == "a" {
                Mechanism::A { domain, cidr }
            } else {
                Mechanism::Mx { domain, cidr }
            }
        }
        "ip4" => {
            let value = arg
                .strip_prefix(':')
                .ok_or("ip4 needs an address: ip4:192.0.2.0/24")?;
            let (addr, prefix) = split_prefix(value, 32)?;
            let network = parse_ip4(addr)?;
            Mechanism::Ip4 {
                network,
                prefix: prefix.unwrap_or(32),
            }
        }
        "ip6" => {
            let value = arg
                .strip_prefix(':')
                .ok_or("ip6 needs an address: ip6:2001:db8::/32")?;
            let (addr, prefix) = split_prefix(value, 128)?;
            let network: Ipv6Addr = addr
                .parse()
                .map_err(|_| format!("invalid IPv6 address {addr:?}"))?;
            Mechanism::Ip6 {
                network,
                prefix: prefix.unwrap_or(128),
            }
        }
        _ => return Err("unknown mechanism".into()),
    };
    Ok(TermKind::Directive {
        qualifier,
        mechanism,
    })
}

fn no_argument(arg: &str, name: &str) -> Result<(), String> {
    if arg.is_empty() {
        Ok(())
    } else {
        Err(format!("`{name}` takes no argument"))
    }
}

fn required_domain(arg: &str, offset: usize, name: &str) -> Result<MacroString, String> {
    match arg.strip_prefix(':') {
        Some(spec) => domain_spec(spec, offset + 1),
        None if arg.is_empty() => Err(format!("`{name}` needs a domain: {name}:example.com")),
        None => Err(format!("`{name}` takes no prefix length or other suffix")),
    }
}

/// Parse and validate a domain-spec: a macro-string ending in a macro or in `.toplabel`
/// with an optional trailing dot (RFC 7208 7.1, domain-end). Without macros the whole
/// name is checked (no empty labels, labels ≤ 63, name ≤ 253).
fn domain_spec(spec: &str, offset: usize) -> Result<MacroString, String> {
    if spec.is_empty() {
        return Err("empty domain".into());
    }
    let ms = MacroString::parse(spec, false).map_err(|e| {
        format!(
            "{} (at offset {} in the term)",
            e.message,
            offset + e.offset
        )
    })?;
    match ms.items.last() {
        Some(super::macros::MacroItem::Macro(_)) => {}
        _ => {
            // The tail after the last macro must hold ".toplabel" (with the dot).
            let tail = &spec[spec.rfind('}').map_or(0, |p| p + 1)..];
            let tail = tail.strip_suffix('.').unwrap_or(tail);
            let top = match tail.rsplit_once('.') {
                Some((_, top)) => top,
                None => {
                    return Err(format!(
                        "{spec:?} is not a domain name: it needs a dot and a top-level label"
                    ));
                }
            };
            if !is_toplabel(top) {
                return Err(format!(
                    "{top:?} is not a valid top-level label (letters, digits and inner hyphens, not all digits)"
                ));
            }
        }
    }
    if let Some(name) = ms.literal() {
        let name = name.strip_suffix('.').unwrap_or(&name);
        if name.len() > 253 {
            return Err(format!(
                "the domain is {} bytes long (at most 253)",
                name.len()
            ));
        }
        if let Some(label) = name.split('.').find(|l| l.is_empty() || l.len() > 63) {
            return Err(if label.is_empty() {
                "the domain has an empty label (two dots in a row)".to_string()
            } else {
                format!("the label {label:?} is longer than 63 bytes")
            });
        }
    }
    Ok(ms)
}

/// toplabel = (*alphanum ALPHA *alphanum) / (1*alphanum "-" *(alphanum / "-") alphanum)
fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
    } else {
        b.iter().any(u8::is_ascii_alphabetic)
    }
}

/// Split `[domain][/v4][//v6]` from the end.
fn split_dual_cidr(arg: &str) -> Result<(&str, DualCidr), String> {
    let mut rest = arg;
    let mut cidr = DualCidr::default();
    if let Some((head, digits)) = trailing_number(rest, "//") {
        cidr.v6 = Some(cidr_length(digits, 128, "ip6")?);
        rest = head;
    }
    if let Some((head, digits)) = trailing_number(rest, "/") {
        cidr.v4 = Some(cidr_length(digits, 32, "ip4")?);
        rest = head;
    }
    Ok((rest, cidr))
}

/// `text` ends with `sep` followed by digits only: (before sep, digits).
fn trailing_number<'a>(text: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let digits = text.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let head = &text[..text.len() - digits];
    let head = head.strip_suffix(sep)?;
    if sep == "/" && head.ends_with('/') {
        return None;
    }
    Some((head, &text[text.len() - digits..]))
}

/// ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT); ip6 allows up to three digits. No leading zeros.
fn cidr_length(digits: &str, max: u8, family: &str) -> Result<u8, String> {
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(format!(
            "{family} prefix length {digits:?} has a leading zero"
        ));
    }
    match digits.parse::<u16>() {
        Ok(n) if n <= max as u16 => Ok(n as u8),
        _ => Err(format!("{family} prefix length {digits} is over {max}")),
    }
}

/// `addr[/len]` for ip4/ip6 (a single prefix length only).
fn split_prefix(value: &str, max: u8) -> Result<(&str, Option<u8>), String> {
    let family = if max == 32 { "ip4" } else { "ip6" };
    match value.rsplit_once('/') {
        None => Ok((value, None)),
        Some((addr, digits)) => {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("invalid {family} prefix length {digits:?}"));
            }
            if addr.ends_with('/') {
                return Err(format!(
                    "{family} takes one prefix length (`//` is for a and mx)"
                ));
            }
            Ok((addr, Some(cidr_length(digits, max, family)?)))
        }
    }
}

/// ip4-network = qnum "." qnum "." qnum "." qnum; qnum 0-255 without leading zeros.
fn parse_ip4(text: &str) -> Result<Ipv4Addr, String> {
    let bad = || format!("invalid IPv4 address {text:?} (four numbers 0-255, no leading zeros)");
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return Err(bad());
    }
    let mut octets = [0u8; 4];
    for (slot, part) in octets.iter_mut().zip(&parts) {
        if part.is_empty()
            || part.len() > 3
            || !part.bytes().all(|b| b.is_ascii_digit())
            || (part.len() > 1 && part.starts_with('0'))
        {
            return Err(bad());
        }
        *slot = part.parse::<u8>().map_err(|_| bad())?;
    }
    Ok(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests;
