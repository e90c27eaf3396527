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

mod lexer;
mod rdata;

use super::name::{is_subdomain_of, validate_dns_name};
use super::types::Rdata;
use super::zone::{Zone, ZoneError, ZoneRecord};
use lexer::{Entry, Pos, Stop, Token, lex};
use rdata::{SKIPPED_TYPES, is_generic_type};

/// TTL when neither the record, `$TTL`, nor an earlier record gives one.
const FALLBACK_TTL: u32 = 3600;

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
    lex(text, |entry| parser.entry(entry)).map_err(|stop| match stop {
        Stop::Lex(pos, message) => parser.error(pos, message),
        Stop::Entry(e) => e,
    })?;
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
}

#[cfg(test)]
mod tests;
