//! `Received:` fields (RFC 5321 4.4, RFC 5322 3.6.7) and the hop chain they describe.
//!
//! The grammar is loose and every MTA fills it its own way, so the parser reads clauses
//! (`from`, `by`, `via`, `with`, `id`, `for`) and comments, then interprets the comments the
//! big MTAs write: `(rdns [ip])` (Postfix, Sendmail, Gmail), `([ip] helo=…)` (Exim),
//! `(HELO …) (ip)` (qmail), `(ip)` (Microsoft 365), and TLS details in their various forms.
//! Nothing here is trusted: a sender can forge every field below the receiver's own.

use super::date::{self, MailDate};
use super::headers::Message;
use super::lex;
use serde::Serialize;
use std::net::IpAddr;

/// Real chains have under 15 hops; a mail loop is cut off by MTAs at 25 to 100.
pub const MAX_HOPS: usize = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FromPart {
    /// What the client said in HELO/EHLO (possibly an address literal such as `[10.0.0.2]`).
    pub helo: Option<String>,
    /// The name the receiver found for the IP by reverse DNS; `None` when the receiver wrote
    /// `unknown` or nothing. The trailing dot of an absolute name is dropped.
    pub rdns: Option<String>,
    /// The connecting IP as the receiver saw it.
    pub ip: Option<IpAddr>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ByPart {
    pub host: Option<String>,
    /// The receiving host's own address, when stated (Microsoft 365, Gmail's internal hops).
    pub ip: Option<IpAddr>,
}

/// The `with` protocol, read with RFC 3848 (`S` = TLS, `A` = SMTP AUTH) and RFC 6531
/// (`UTF8` prefix) in mind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Protocol {
    /// As written (`ESMTPSA`, `esmtps`, `SMTP`).
    pub name: String,
    /// `SMTP`, `ESMTP`, `LMTP` or `HTTP`.
    pub base: String,
    pub tls: bool,
    pub authenticated: bool,
    pub utf8: bool,
}

/// TLS as the receiver described it; each part only when stated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlsDetails {
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub bits: Option<String>,
    /// Sendmail's `verify=` (the client certificate check): `NO`, `NOT`, `OK`, `FAIL`.
    pub verify: Option<String>,
    /// The text the details came from.
    pub stated: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Byte offset into the field's value.
    pub offset: usize,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Received {
    pub from: Option<FromPart>,
    pub by: Option<ByPart>,
    /// `via` words as written (`Frontend Transport`).
    pub via: Option<String>,
    /// `with` words as written (`ESMTPS`, `Microsoft SMTP Server`).
    pub with: Option<String>,
    /// The recognised protocol, when `with` names one.
    pub protocol: Option<Protocol>,
    pub id: Option<String>,
    /// The recipient, without angle brackets.
    #[serde(rename = "for")]
    pub for_addr: Option<String>,
    /// Exim's `(envelope-from <…>)`.
    pub envelope_from: Option<String>,
    /// Postfix's `(Authenticated sender: …)`.
    pub authenticated_sender: Option<String>,
    pub tls: Option<TlsDetails>,
    /// Some(true): TLS stated (protocol or details); Some(false): a known protocol without
    /// `S` and no details; None: nothing to go by (`with local`, no `with`).
    pub encrypted: Option<bool>,
    /// The same rule for SMTP AUTH (`A`, or an authenticated sender stated).
    pub authenticated: Option<bool>,
    pub date: Option<MailDate>,
    /// The text after the last `;`, as written.
    pub date_text: Option<String>,
    /// Every comment, unescaped, in order.
    pub comments: Vec<String>,
    pub problems: Vec<Problem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    /// The inside of a comment, delimiters removed.
    Comment(&'a str),
    Semi,
}

fn tokens<'a>(text: &'a str, problems: &mut Vec<Problem>) -> Vec<(usize, Tok<'a>)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b';' => {
                out.push((i, Tok::Semi));
                i += 1;
            }
            b'(' => {
                let (end, inner_end) = match lex::comment_end(b, i) {
                    Some(end) => (end, end - 1),
                    None => {
                        problems.push(Problem {
                            offset: i,
                            message: "a comment that is never closed".to_string(),
                        });
                        (b.len(), b.len())
                    }
                };
                out.push((i, Tok::Comment(&text[i + 1..inner_end])));
                i = end;
            }
            _ => {
                let start = i;
                while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n' | b'(' | b';') {
                    i = if b[i] == b'"' {
                        lex::quoted_end(b, i).unwrap_or(b.len())
                    } else {
                        i + 1
                    };
                }
                out.push((start, Tok::Word(&text[start..i])));
            }
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    From,
    By,
    Via,
    With,
    Id,
    For,
}

fn keyword(w: &str) -> Option<Kw> {
    Some(match w.to_ascii_lowercase().as_str() {
        "from" => Kw::From,
        "by" => Kw::By,
        "via" => Kw::Via,
        "with" => Kw::With,
        "id" => Kw::Id,
        "for" => Kw::For,
        _ => return None,
    })
}

#[derive(Default)]
struct Clause<'a> {
    words: Vec<&'a str>,
    comments: Vec<&'a str>,
}

/// Parse one field value (unfolded).
pub fn parse(value: &str) -> Received {
    let mut r = Received::default();
    let toks = tokens(value, &mut r.problems);
    let last_semi = toks.iter().rposition(|t| t.1 == Tok::Semi);
    let clause_toks = match last_semi {
        Some(k) => {
            let text = value[toks[k].0 + 1..].trim();
            match date::parse(text) {
                Ok(d) => r.date = Some(d),
                Err(e) => r.problems.push(Problem {
                    offset: value.len() - value[toks[k].0 + 1..].trim_start().len() + e.offset,
                    message: format!("date: {}", e.message),
                }),
            }
            r.date_text = Some(text.to_string());
            &toks[..k]
        }
        None => {
            r.problems.push(Problem {
                offset: value.len(),
                message: "no `;` and date at the end".to_string(),
            });
            &toks[..]
        }
    };

    let mut clauses: Vec<(Kw, Clause)> = Vec::new();
    // Which keywords were seen: a flag each, so that `from from from …` stays linear.
    let mut seen = [false; 6];
    for &(offset, tok) in clause_toks {
        match tok {
            Tok::Word(w) => match keyword(w) {
                Some(kw) => {
                    if std::mem::replace(&mut seen[kw as usize], true) {
                        r.problems.push(Problem {
                            offset,
                            message: format!("a second `{w}` clause; the first one is used"),
                        });
                    }
                    clauses.push((kw, Clause::default()));
                }
                None => match clauses.last_mut() {
                    Some(c) => c.1.words.push(w),
                    None => r.problems.push(Problem {
                        offset,
                        message: format!("`{w}` before any from/by/with clause"),
                    }),
                },
            },
            Tok::Comment(c) => {
                r.comments.push(lex::unescape(c));
                if let Some(last) = clauses.last_mut() {
                    last.1.comments.push(c);
                }
            }
            Tok::Semi => r.problems.push(Problem {
                offset,
                message: "a `;` before the one that introduces the date".to_string(),
            }),
        }
    }
    let clause = |kw: Kw| clauses.iter().find(|c| c.0 == kw).map(|c| &c.1);
    let joined = |kw: Kw| {
        clause(kw)
            .map(|c| c.words.join(" "))
            .filter(|s| !s.is_empty())
    };

    r.from = clause(Kw::From).map(from_part);
    r.by = clause(Kw::By).map(|c| {
        let host = c.words.first().map(|w| w.to_string());
        let ip = c
            .words
            .first()
            .and_then(|w| parse_ip(w))
            .or_else(|| c.comments.iter().find_map(|c| first_ip(c)));
        ByPart { host, ip }
    });
    r.via = joined(Kw::Via);
    r.with = joined(Kw::With);
    r.id = clause(Kw::Id).and_then(|c| c.words.first().map(|w| w.to_string()));
    r.for_addr = clause(Kw::For).and_then(|c| c.words.first().map(|w| angle_stripped(w)));
    let with_words = clause(Kw::With).map_or(&[][..], |c| &c.words[..]);
    // Only the first word: in `Microsoft SMTP Server` the SMTP names the software, and says
    // nothing about AUTH.
    r.protocol = with_words.first().and_then(|w| protocol(w));
    for c in &r.comments {
        let lower = c.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("envelope-from ") {
            r.envelope_from = Some(angle_stripped(&c[c.len() - rest.len()..]));
        } else if let Some(rest) = lower.strip_prefix("authenticated sender: ") {
            r.authenticated_sender = Some(c[c.len() - rest.len()..].trim().to_string());
        }
    }
    r.tls = tls_details(&r.comments, with_words);
    r.encrypted = match (&r.tls, &r.protocol) {
        (Some(_), _) => Some(true),
        (None, Some(p)) => Some(p.tls),
        (None, None) => None,
    };
    r.authenticated = match (&r.authenticated_sender, &r.protocol) {
        (Some(_), _) => Some(true),
        (None, Some(p)) => Some(p.authenticated),
        (None, None) => None,
    };
    r
}

fn angle_stripped(w: &str) -> String {
    w.trim()
        .trim_start_matches('<')
        .trim_end_matches(['>', ';', ','])
        .to_string()
}

/// `[192.0.2.1]`, `[192.0.2.1]:25`, `[IPv6:2001:db8::1]`, or a bare address.
fn parse_ip(token: &str) -> Option<IpAddr> {
    if let Some(rest) = token.strip_prefix('[') {
        let inner = &rest[..rest.find(']')?];
        let inner = match inner.get(..5) {
            Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => &inner[5..],
            _ => inner,
        };
        return inner.parse().ok();
    }
    token.parse().ok()
}

fn first_ip(comment: &str) -> Option<IpAddr> {
    lex::strip_comments(comment)
        .split(|c: char| c.is_whitespace() || c == ',')
        .find_map(parse_ip)
}

/// The `from` clause: the HELO name, then the TCP-info comment (RFC 5321 4.4) in whichever
/// shape this MTA writes it. The comment's address wins over a HELO address literal: the
/// literal is what the client claimed, the comment what the server saw.
fn from_part(c: &Clause) -> FromPart {
    let first = c.words.first().copied();
    let mut ip = None;
    let mut rdns = None;
    let mut stated_helo = None;
    for comment in &c.comments {
        let plain = lex::strip_comments(comment);
        let toks: Vec<&str> = plain
            .split(|ch: char| ch.is_whitespace() || ch == ',')
            .filter(|t| !t.is_empty())
            .collect();
        for (k, t) in toks.iter().enumerate() {
            if let Some(h) = t.strip_prefix("helo=") {
                stated_helo.get_or_insert(h.to_string());
            } else if (t.eq_ignore_ascii_case("helo") || t.eq_ignore_ascii_case("ehlo"))
                && k + 1 < toks.len()
            {
                stated_helo.get_or_insert(toks[k + 1].to_string());
            } else if ip.is_none()
                && let Some(addr) = parse_ip(t)
            {
                ip = Some(addr);
                // `(name [ip])`: the name right before the address is the reverse DNS;
                // Sendmail may write `ident@name`.
                if k > 0 && !toks[k - 1].contains('=') && !toks[k - 1].starts_with('[') {
                    let name = toks[k - 1].rsplit('@').next().unwrap_or(toks[k - 1]);
                    rdns = Some(name.to_string());
                }
            }
        }
    }
    let literal = first.and_then(parse_ip);
    let helo = match &stated_helo {
        // Exim and qmail write the verified name first and the HELO name inside.
        Some(h) => {
            if literal.is_none() && rdns.is_none() {
                rdns = first.map(str::to_string);
            }
            Some(h.clone())
        }
        None => first.map(str::to_string),
    };
    FromPart {
        helo,
        rdns: rdns
            .filter(|n| !n.eq_ignore_ascii_case("unknown"))
            .map(|n| n.trim_end_matches('.').to_string()),
        ip: ip.or(literal),
    }
}

/// `ESMTPSA`, `UTF8SMTPS`, `LMTP`, Gmail's `SMTPS`, Microsoft's `HTTPS`.
fn protocol(word: &str) -> Option<Protocol> {
    let upper = word.to_ascii_uppercase();
    let (utf8, rest) = match upper.strip_prefix("UTF8") {
        Some(r) => (true, r),
        None => (false, upper.as_str()),
    };
    let base = ["ESMTP", "SMTP", "LMTP", "HTTP"]
        .into_iter()
        .find(|b| rest.starts_with(b))?;
    let (tls, authenticated) = match &rest[base.len()..] {
        "" => (false, false),
        "S" => (true, false),
        "A" => (false, true),
        "SA" => (true, true),
        _ => return None,
    };
    Some(Protocol {
        name: word.to_string(),
        base: base.to_string(),
        tls,
        authenticated,
        utf8,
    })
}

/// TLS details in the forms the big MTAs write, merged: the first source to state a part
/// gives it.
fn tls_details(comments: &[String], with_words: &[&str]) -> Option<TlsDetails> {
    let mut found: Option<TlsDetails> = None;
    let mut add = |d: TlsDetails| match &mut found {
        None => found = Some(d),
        Some(f) => {
            f.version = f.version.take().or(d.version);
            f.cipher = f.cipher.take().or(d.cipher);
            f.bits = f.bits.take().or(d.bits);
            f.verify = f.verify.take().or(d.verify);
            f.stated = format!("{}; {}", f.stated, d.stated);
        }
    };
    for c in comments {
        let lower = c.to_ascii_lowercase();
        let mut d = TlsDetails {
            stated: c.clone(),
            ..TlsDetails::default()
        };
        if lower.contains("version=") || lower.contains("cipher=") {
            // Gmail, Sendmail: `version=TLS1_3 cipher=… bits=128/128`; Microsoft with commas.
            for pair in c.split(|ch: char| ch.is_whitespace() || ch == ',') {
                let Some((k, v)) = pair.split_once('=') else {
                    continue;
                };
                let v = Some(v.to_string()).filter(|v| !v.is_empty());
                match k.to_ascii_lowercase().as_str() {
                    "version" => d.version = v,
                    "cipher" => d.cipher = v,
                    "bits" => d.bits = v,
                    "verify" => d.verify = v,
                    _ => {}
                }
            }
        } else if lower.starts_with("using tls") || lower.starts_with("using ssl") {
            // Postfix: `using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) …`.
            let words: Vec<&str> = c.split_whitespace().collect();
            d.version = words.get(1).map(|w| w.to_string());
            d.cipher = words
                .iter()
                .position(|w| w.eq_ignore_ascii_case("cipher"))
                .and_then(|k| words.get(k + 1))
                .map(|w| w.to_string());
            d.bits = words
                .iter()
                .position(|w| w.eq_ignore_ascii_case("bits)"))
                .filter(|&k| k > 0)
                .map(|k| words[k - 1].trim_start_matches('(').to_string());
        } else if lower == "google transport security" {
        } else if is_tls_version(&lower) {
            // Exim: `(TLS1.3)`, older `(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)`.
            let mut parts = c.split(':');
            d.version = parts.next().map(str::to_string);
            d.cipher = parts.next().map(str::to_string);
            d.bits = parts.next().map(str::to_string);
        } else {
            continue;
        }
        add(d);
    }
    // Exim: `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384`.
    if let Some(k) = with_words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("tls"))
        && let Some(cipher) = with_words.get(k + 1)
    {
        add(TlsDetails {
            cipher: Some(cipher.to_string()),
            stated: format!("tls {cipher}"),
            ..TlsDetails::default()
        });
    }
    found
}

fn is_tls_version(lower: &str) -> bool {
    let rest = lower
        .strip_prefix("tls")
        .or_else(|| lower.strip_prefix("ssl"))
        .unwrap_or("");
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    rest.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// One hop of the chain, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// 0 is the first hop: the bottom `Received` field.
    pub index: usize,
    /// Byte offset of the field in the message.
    pub offset: usize,
    #[serde(flatten)]
    pub received: Received,
    /// Seconds since the nearest earlier hop that has a date (`since_hop`). Negative when
    /// the two hosts' clocks disagree: kept as it is, and flagged.
    pub delay_seconds: Option<i64>,
    pub since_hop: Option<usize>,
    pub clock_skew: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Chain {
    pub hops: Vec<Hop>,
    /// Bottom fields left out beyond [`MAX_HOPS`] (the top ones, written by the receiving
    /// side, are the ones kept).
    pub omitted: usize,
    /// From the first dated hop to the last; may be negative.
    pub total_seconds: Option<i64>,
    /// Hops whose delay is negative.
    pub clock_skews: usize,
}

/// The chain of a parsed message's `Received` fields.
pub fn chain(message: &Message) -> Chain {
    let fields: Vec<(usize, &str)> = message
        .get_all("Received")
        .map(|f| (f.offset, f.value.as_str()))
        .collect();
    chain_of(&fields)
}

/// The chain of `(offset, value)` pairs given top first, as they stand in the message.
pub fn chain_of(fields: &[(usize, &str)]) -> Chain {
    let kept = &fields[..fields.len().min(MAX_HOPS)];
    let mut out = Chain {
        omitted: fields.len() - kept.len(),
        ..Chain::default()
    };
    let mut last_dated: Option<(usize, i64)> = None;
    let mut first_date = None;
    for (index, &(offset, value)) in kept.iter().rev().enumerate() {
        let received = parse(value);
        let when = received.date.as_ref().map(|d| d.unix);
        let (mut delay, mut since) = (None, None);
        if let Some(t) = when {
            if let Some((k, prev)) = last_dated {
                delay = Some(t - prev);
                since = Some(k);
            }
            last_dated = Some((index, t));
            first_date.get_or_insert(t);
        }
        let clock_skew = delay.is_some_and(|d| d < 0);
        out.clock_skews += usize::from(clock_skew);
        out.hops.push(Hop {
            index,
            offset,
            received,
            delay_seconds: delay,
            since_hop: since,
            clock_skew,
        });
    }
    out.total_seconds = first_date
        .zip(last_dated)
        .map(|(first, (_, last))| last - first);
    out
}
