//! `Authentication-Results` (RFC 8601), `ARC-Authentication-Results` (RFC 8617 4.1.1) and
//! `Received-SPF` (RFC 7208 9.1): what the receiving side concluded. Pure; every problem
//! carries a byte offset into the value given.
//!
//! Real fields stray from the grammar (Microsoft 365 writes no authserv-id, Yahoo glues
//! comments to results, Fastmail adds `x-bits=2048`), so the parser keeps reading after a
//! problem: it skips to the next `;` and goes on.

use super::lex;
use serde::Serialize;
use std::net::IpAddr;

/// A field rarely states more than ten results; this bounds a hostile one.
pub const MAX_RESULTS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub offset: usize,
    pub message: String,
}

/// `ptype.property=value` (RFC 8601 2.3): `smtp.mailfrom=…`, `header.d=…`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Property {
    /// Lower-cased: `smtp`, `header`, `body`, `policy`.
    pub ptype: String,
    /// Lower-cased: `mailfrom`, `d`, `from`.
    pub name: String,
    /// As written, quotes removed.
    pub value: String,
    pub offset: usize,
}

/// `key=value` outside the grammar (`action=none`, `x-bits=2048`) or in `Received-SPF`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pair {
    /// Lower-cased.
    pub key: String,
    pub value: String,
    pub offset: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MethodResult {
    /// Lower-cased: `spf`, `dkim`, `dmarc`, `arc`, `iprev`, `auth`, …
    pub method: String,
    /// `dkim/1=pass`.
    pub method_version: Option<String>,
    /// Lower-cased: `pass`, `fail`, `none`, …
    pub result: String,
    /// One of the results RFC 8601 2.7 defines (`none pass fail softfail neutral policy
    /// temperror permerror`).
    pub known_result: bool,
    /// `reason=…`.
    pub reason: Option<String>,
    /// Comments, unescaped, in order: `(p=REJECT sp=REJECT dis=NONE)`, `(2048-bit rsa key)`.
    pub comments: Vec<String>,
    pub properties: Vec<Property>,
    pub extras: Vec<Pair>,
    pub offset: usize,
}

impl MethodResult {
    /// The first property named `ptype.name` (case-insensitive), e.g. `header.d`.
    pub fn property(&self, key: &str) -> Option<&str> {
        let (ptype, name) = key.split_once('.')?;
        self.properties
            .iter()
            .find(|p| p.ptype.eq_ignore_ascii_case(ptype) && p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuthResults {
    /// ARC's `i=` (1 to 50).
    pub instance: Option<u32>,
    /// Who made the checks (`mx.google.com`); a reader trusts only its own.
    pub authserv_id: Option<String>,
    pub version: Option<u32>,
    /// `; none`: no method was applied.
    pub none: bool,
    pub results: Vec<MethodResult>,
    /// Comments outside any result.
    pub comments: Vec<String>,
    pub problems: Vec<Problem>,
}

impl AuthResults {
    /// The results of one method (case-insensitive), in order.
    pub fn method<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s MethodResult> + 's {
        self.results
            .iter()
            .filter(move |r| r.method.eq_ignore_ascii_case(name))
    }
}

const RESULTS: [&str; 8] = [
    "none",
    "pass",
    "fail",
    "softfail",
    "neutral",
    "policy",
    "temperror",
    "permerror",
];

/// A cursor over a structured field value.
struct Cur<'a> {
    text: &'a str,
    i: usize,
    problems: Vec<Problem>,
}

impl<'a> Cur<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.i).copied()
    }
    fn problem(&mut self, offset: usize, message: String) {
        self.problems.push(Problem { offset, message });
    }
    /// Whitespace and comments; the comments go to `into`.
    fn cfws(&mut self, into: &mut Vec<String>) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                b'(' => match lex::comment_end(self.bytes(), self.i) {
                    Some(end) => {
                        into.push(lex::unescape(&self.text[self.i + 1..end - 1]));
                        self.i = end;
                    }
                    None => {
                        self.problem(self.i, "a comment that is never closed".to_string());
                        into.push(lex::unescape(&self.text[self.i + 1..]));
                        self.i = self.text.len();
                    }
                },
                _ => break,
            }
        }
    }
    /// A keyword-ish run: up to whitespace or one of `;=()"`.
    fn word(&mut self) -> &'a str {
        let start = self.i;
        while let Some(b) = self.peek() {
            if matches!(
                b,
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'=' | b'(' | b')' | b'"'
            ) {
                break;
            }
            self.i += 1;
        }
        &self.text[start..self.i]
    }
    /// A value: a quoted string, or a run up to whitespace, `;` or a comment (`=` allowed:
    /// base64 in `header.b=` ends with it).
    fn value(&mut self) -> String {
        if self.peek() == Some(b'"') {
            let start = self.i;
            return match lex::quoted_end(self.bytes(), start) {
                // pvalue (RFC 8601 2.2): a quoted local-part then `@domain`, kept as written.
                Some(end) if self.bytes().get(end) == Some(&b'@') => {
                    self.i = end;
                    self.run();
                    self.text[start..self.i].to_string()
                }
                Some(end) => {
                    self.i = end;
                    lex::unescape(&self.text[start + 1..end - 1])
                }
                None => {
                    self.problem(start, "a quoted string that is never closed".to_string());
                    self.i = self.text.len();
                    lex::unescape(&self.text[start + 1..])
                }
            };
        }
        let start = self.i;
        self.run();
        self.text[start..self.i].to_string()
    }
    fn run(&mut self) {
        while let Some(b) = self.peek() {
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')') {
                break;
            }
            self.i += 1;
        }
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Recovery: on to the next `;` outside comments and quotes.
    fn skip_to_semi(&mut self) {
        let b = self.bytes();
        while self.i < b.len() && b[self.i] != b';' {
            self.i = match b[self.i] {
                b'(' => lex::comment_end(b, self.i).unwrap_or(b.len()),
                b'"' => lex::quoted_end(b, self.i).unwrap_or(b.len()),
                _ => self.i + 1,
            };
        }
    }
}

/// `Authentication-Results` value.
pub fn parse(value: &str) -> AuthResults {
    parse_payload(value, false)
}

/// `ARC-Authentication-Results` value: `i=N;` then the same payload.
pub fn parse_arc(value: &str) -> AuthResults {
    parse_payload(value, true)
}

fn parse_payload(value: &str, arc: bool) -> AuthResults {
    let mut ar = AuthResults::default();
    let mut c = Cur {
        text: value,
        i: 0,
        problems: Vec::new(),
    };
    if arc {
        c.cfws(&mut ar.comments);
        let at = c.i;
        let tag = c.word();
        c.cfws(&mut ar.comments);
        let n = if tag.eq_ignore_ascii_case("i") && c.eat(b'=') {
            c.cfws(&mut ar.comments);
            c.word()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=50).contains(n))
        } else {
            None
        };
        c.cfws(&mut ar.comments);
        if n.is_none() || !c.eat(b';') {
            c.problem(
                at,
                "expected `i=` with an instance from 1 to 50, then `;`".to_string(),
            );
            c.skip_to_semi();
            c.eat(b';');
        }
        ar.instance = n;
    }
    c.cfws(&mut ar.comments);
    let id_at = c.i;
    let id = c.value();
    let after_id = c.i;
    let mut ignored = Vec::new();
    c.cfws(&mut ignored);
    if id.contains('=') || c.peek() == Some(b'=') {
        // Microsoft 365 starts with the first result.
        c.i = id_at;
        c.problem(id_at, "no authserv-id before the first result".to_string());
    } else {
        c.i = after_id;
        c.cfws(&mut ar.comments);
        if id.is_empty() {
            c.problem(id_at, "no authserv-id".to_string());
        } else {
            ar.authserv_id = Some(id);
        }
        if c.peek().is_some_and(|b| b.is_ascii_digit()) {
            let at = c.i;
            let v = c.word();
            match v.parse::<u32>() {
                Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => ar.version = Some(n),
                _ => c.problem(at, format!("`{v}` is not a version number")),
            }
            c.cfws(&mut ar.comments);
        }
        match c.peek() {
            Some(b';') => c.i += 1,
            None => c.problem(c.i, "no results, not even `none`".to_string()),
            Some(_) => {
                c.problem(c.i, "expected `;` after the authserv-id".to_string());
                c.skip_to_semi();
                c.eat(b';');
            }
        }
    }
    loop {
        c.cfws(&mut ar.comments);
        if c.peek().is_none() {
            break;
        }
        if c.eat(b';') {
            continue;
        }
        if ar.results.len() >= MAX_RESULTS {
            c.problem(
                c.i,
                format!("more than {MAX_RESULTS} results; the rest is not read"),
            );
            break;
        }
        let start = c.i;
        let method = c.word();
        if method.is_empty() {
            let ch = value[c.i..].chars().next().unwrap_or(' ');
            c.problem(c.i, format!("`{ch}` where a method was expected"));
            c.i += ch.len_utf8();
            c.skip_to_semi();
            continue;
        }
        let mut res = MethodResult {
            offset: start,
            ..MethodResult::default()
        };
        c.cfws(&mut res.comments);
        if !c.eat(b'=') {
            if method.eq_ignore_ascii_case("none") && matches!(c.peek(), None | Some(b';')) {
                ar.none = true;
                ar.comments.append(&mut res.comments);
            } else {
                c.problem(start, format!("`{method}` is not method=result"));
                c.skip_to_semi();
            }
            continue;
        }
        c.cfws(&mut res.comments);
        let result_at = c.i;
        let result = c.word();
        if result.is_empty() {
            c.problem(result_at, format!("`{method}=` without a result"));
        }
        let (name, version) = match method.split_once('/') {
            Some((m, v)) => (m.trim(), Some(v.trim().to_string())),
            None => (method, None),
        };
        res.method = name.to_ascii_lowercase();
        res.method_version = version;
        res.result = result.to_ascii_lowercase();
        res.known_result = RESULTS.contains(&res.result.as_str());
        loop {
            c.cfws(&mut res.comments);
            if matches!(c.peek(), None | Some(b';')) {
                break;
            }
            let at = c.i;
            let key = c.word();
            if key.is_empty() {
                let ch = value[c.i..].chars().next().unwrap_or(' ');
                c.problem(c.i, format!("`{ch}` where a property was expected"));
                c.skip_to_semi();
                break;
            }
            c.cfws(&mut res.comments);
            if !c.eat(b'=') {
                c.problem(at, format!("`{key}` without `=value`"));
                continue;
            }
            c.cfws(&mut res.comments);
            let v = c.value();
            if let Some((ptype, prop)) = key.split_once('.') {
                res.properties.push(Property {
                    ptype: ptype.to_ascii_lowercase(),
                    name: prop.to_ascii_lowercase(),
                    value: v,
                    offset: at,
                });
            } else if key.eq_ignore_ascii_case("reason") {
                res.reason = Some(v);
            } else {
                res.extras.push(Pair {
                    key: key.to_ascii_lowercase(),
                    value: v,
                    offset: at,
                });
            }
        }
        ar.results.push(res);
    }
    if ar.none && !ar.results.is_empty() {
        c.problem(0, "`none` together with results".to_string());
    }
    ar.problems = c.problems;
    ar
}

/// `Received-SPF` (RFC 7208 9.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReceivedSpf {
    /// Lower-cased.
    pub result: String,
    /// One of RFC 7208's seven results.
    pub known_result: bool,
    /// The comment after the result (`mybox.example.org: domain of … designates …`).
    pub comment: Option<String>,
    pub pairs: Vec<Pair>,
    pub client_ip: Option<IpAddr>,
    pub envelope_from: Option<String>,
    pub helo: Option<String>,
    pub problems: Vec<Problem>,
}

impl ReceivedSpf {
    /// The first pair of that key (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|p| p.key.eq_ignore_ascii_case(key))
            .map(|p| p.value.as_str())
    }
}

const SPF_RESULTS: [&str; 7] = [
    "pass",
    "fail",
    "softfail",
    "neutral",
    "none",
    "temperror",
    "permerror",
];

pub fn parse_received_spf(value: &str) -> ReceivedSpf {
    let mut out = ReceivedSpf::default();
    let mut c = Cur {
        text: value,
        i: 0,
        problems: Vec::new(),
    };
    let mut comments = Vec::new();
    c.cfws(&mut comments);
    let at = c.i;
    out.result = c.word().to_ascii_lowercase();
    out.known_result = SPF_RESULTS.contains(&out.result.as_str());
    if !out.known_result {
        c.problem(at, format!("`{}` is not an SPF result", out.result));
    }
    c.cfws(&mut comments);
    out.comment = comments.first().cloned();
    loop {
        c.cfws(&mut Vec::new());
        if c.peek().is_none() {
            break;
        }
        if c.eat(b';') {
            continue;
        }
        if out.pairs.len() >= MAX_RESULTS {
            c.problem(
                c.i,
                format!("more than {MAX_RESULTS} pairs; the rest is not read"),
            );
            break;
        }
        let at = c.i;
        let key = c.word();
        c.cfws(&mut Vec::new());
        if key.is_empty() || !c.eat(b'=') {
            c.problem(at, "expected key=value".to_string());
            // An empty key stands before one of `=)"` (ASCII): step over it.
            if c.i == at {
                c.i += 1;
            }
            c.skip_to_semi();
            continue;
        }
        c.cfws(&mut Vec::new());
        let v = c.value();
        out.pairs.push(Pair {
            key: key.to_ascii_lowercase(),
            value: v,
            offset: at,
        });
    }
    if let Some(ip) = out.get("client-ip").map(str::to_string) {
        match ip.parse() {
            Ok(addr) => out.client_ip = Some(addr),
            Err(_) => {
                let at = out
                    .pairs
                    .iter()
                    .find(|p| p.key == "client-ip")
                    .map_or(0, |p| p.offset);
                c.problem(at, format!("client-ip `{ip}` is not an IP address"));
            }
        }
    }
    out.envelope_from = out.get("envelope-from").map(str::to_string);
    out.helo = out.get("helo").map(str::to_string);
    out.problems = c.problems;
    out
}
