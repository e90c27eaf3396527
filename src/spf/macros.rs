//! SPF macro-strings (RFC 7208 section 7): parsing (pure, with byte positions) and expansion.
//!
//! Parsing is strict: `%{letter digits r delimiters}`, `%%`, `%_`, `%-`; any other `%` is an
//! error. The letters `c`, `r` and `t` are accepted only in explanation text (7.1).
//!
//! `%{p}` needs DNS (the validated name of 5.5); expansion stays pure by taking the
//! validated name, computed by the caller, in [`MacroContext::validated`]. We implement the
//! validated name (see `eval.rs`); "unknown" is used only when no PTR name validates.

use std::net::IpAddr;

/// A parsed macro-string: literal text and macro expansions, in order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MacroString {
    pub items: Vec<MacroItem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MacroItem {
    /// Literal text (`%%`, `%_`, `%-` already turned into `%`, space, `%20`).
    Literal(String),
    Macro(Macro),
}

/// One `%{...}` expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Macro {
    /// The letter, lower-case (`s l o d i p h c r t v`).
    pub letter: char,
    /// The letter was upper-case: URL-escape the result (7.3).
    pub url_escape: bool,
    /// Keep this many right-hand parts (after reversal); `None` = all.
    pub digits: Option<usize>,
    pub reverse: bool,
    /// Split characters; empty means the default `.`.
    pub delimiters: String,
}

/// A macro-string syntax error: byte offset inside the parsed text, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroError {
    pub offset: usize,
    pub message: String,
}

const DELIMITERS: &[u8] = b".-+,/_=";
/// Transformer digits beyond this are pointless (a name has at most 127 labels).
const MAX_DIGITS: usize = 128;

impl MacroString {
    /// Parse a macro-string. `explanation`: text of an explanation TXT record (spaces and the
    /// letters `c r t` allowed); otherwise a term's domain-spec or modifier value.
    pub fn parse(text: &str, explanation: bool) -> Result<MacroString, MacroError> {
        let bytes = text.as_bytes();
        let mut items = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b != b'%' {
                let allowed = (0x21..=0x7e).contains(&b) || (explanation && b == b' ');
                if !allowed {
                    return Err(MacroError {
                        offset: i,
                        message: format!("character {:?} is not allowed", printable(text, i)),
                    });
                }
                literal.push(b as char);
                i += 1;
                continue;
            }
            match bytes.get(i + 1) {
                Some(b'%') => literal.push('%'),
                Some(b'_') => literal.push(' '),
                Some(b'-') => literal.push_str("%20"),
                Some(b'{') => {
                    let close = bytes[i + 2..]
                        .iter()
                        .position(|&c| c == b'}')
                        .map(|p| p + i + 2)
                        .ok_or_else(|| MacroError {
                            offset: i,
                            message: "`%{` without a closing `}`".into(),
                        })?;
                    let body = &text[i + 2..close];
                    let mac = parse_macro_body(body, explanation)
                        .map_err(|message| MacroError { offset: i, message })?;
                    if !literal.is_empty() {
                        items.push(MacroItem::Literal(std::mem::take(&mut literal)));
                    }
                    items.push(MacroItem::Macro(mac));
                    i = close + 1;
                    continue;
                }
                _ => {
                    return Err(MacroError {
                        offset: i,
                        message: "`%` must be followed by `{`, `%`, `_` or `-` (write `%%` for a literal percent sign)".into(),
                    });
                }
            }
            i += 2;
        }
        if !literal.is_empty() {
            items.push(MacroItem::Literal(literal));
        }
        Ok(MacroString { items })
    }

    pub fn has_macros(&self) -> bool {
        self.items.iter().any(|i| matches!(i, MacroItem::Macro(_)))
    }

    pub fn uses_letter(&self, letter: char) -> bool {
        self.items
            .iter()
            .any(|i| matches!(i, MacroItem::Macro(m) if m.letter == letter))
    }

    /// The text when there are no macros.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for item in &self.items {
            match item {
                MacroItem::Literal(s) => out.push_str(s),
                MacroItem::Macro(_) => return None,
            }
        }
        Some(out)
    }

    /// Expand with `ctx`.
    pub fn expand(&self, ctx: &MacroContext<'_>) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                MacroItem::Literal(s) => out.push_str(s),
                MacroItem::Macro(m) => out.push_str(&expand_macro(m, ctx)),
            }
        }
        out
    }
}

fn printable(text: &str, i: usize) -> char {
    text[i..].chars().next().unwrap_or('?')
}

fn parse_macro_body(body: &str, explanation: bool) -> Result<Macro, String> {
    let mut chars = body.chars();
    let first = chars
        .next()
        .ok_or_else(|| "empty macro `%{}`".to_string())?;
    let letter = first.to_ascii_lowercase();
    if !"slodiphcrtv".contains(letter) || !first.is_ascii_alphabetic() {
        return Err(format!("unknown macro letter {first:?}"));
    }
    if !explanation && "crt".contains(letter) {
        return Err(format!(
            "macro letter {first:?} is allowed only in explanation text (exp=)"
        ));
    }
    let rest = &body[first.len_utf8()..];
    let digit_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let digits = if digit_len == 0 {
        None
    } else {
        let n: usize = rest[..digit_len]
            .parse()
            .unwrap_or(MAX_DIGITS)
            .min(MAX_DIGITS);
        if n == 0 {
            return Err("the number of parts in a macro must not be zero".into());
        }
        Some(n)
    };
    let mut rest = &rest[digit_len..];
    let reverse = match rest.as_bytes().first() {
        Some(b'r') | Some(b'R') => {
            rest = &rest[1..];
            true
        }
        _ => false,
    };
    if let Some(bad) = rest.bytes().find(|b| !DELIMITERS.contains(b)) {
        return Err(format!(
            "invalid character {:?} in macro (delimiters are . - + , / _ =)",
            bad as char
        ));
    }
    Ok(Macro {
        letter,
        url_escape: first.is_ascii_uppercase(),
        digits,
        reverse,
        delimiters: rest.to_string(),
    })
}

/// The values macros expand to (RFC 7208 7.2).
#[derive(Clone, Debug)]
pub struct MacroContext<'a> {
    /// `s`: the sender, `local-part@domain`.
    pub sender: &'a str,
    /// `d`: the current domain.
    pub domain: &'a str,
    /// `i`, `c`, `v`: the client address (IPv4-mapped IPv6 already turned into IPv4).
    pub ip: IpAddr,
    /// `h`: the HELO/EHLO name.
    pub helo: &'a str,
    /// `p`: the validated name; `None` expands to "unknown".
    pub validated: Option<&'a str>,
    /// `r`: the receiving host; we are not one, so "unknown".
    pub receiver: &'a str,
    /// `t`: seconds since the epoch.
    pub timestamp: u64,
}

impl MacroContext<'_> {
    fn local_part(&self) -> &str {
        match self.sender.rsplit_once('@') {
            Some((local, _)) if !local.is_empty() => local,
            Some(_) => "postmaster",
            None => self.sender,
        }
    }
    fn sender_domain(&self) -> &str {
        match self.sender.rsplit_once('@') {
            Some((_, domain)) => domain,
            None => self.domain,
        }
    }
}

fn expand_macro(m: &Macro, ctx: &MacroContext<'_>) -> String {
    let value: String = match m.letter {
        's' => ctx.sender.to_string(),
        'l' => ctx.local_part().to_string(),
        'o' => ctx.sender_domain().to_string(),
        'd' => ctx.domain.to_string(),
        'i' => dotted_ip(ctx.ip),
        'p' => ctx.validated.unwrap_or("unknown").to_string(),
        'v' => match ctx.ip {
            IpAddr::V4(_) => "in-addr".into(),
            IpAddr::V6(_) => "ip6".into(),
        },
        'h' => ctx.helo.to_string(),
        'c' => ctx.ip.to_string(),
        'r' => ctx.receiver.to_string(),
        't' => ctx.timestamp.to_string(),
        _ => String::new(),
    };
    let transformed = transform(&value, m);
    if m.url_escape {
        url_escape(&transformed)
    } else {
        transformed
    }
}

/// `i`: IPv4 dotted quad, IPv6 as dot-separated nibbles (7.3).
pub fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let mut parts = Vec::with_capacity(32);
            for byte in v6.octets() {
                parts.push(format!("{:x}", byte >> 4));
                parts.push(format!("{:x}", byte & 0xf));
            }
            parts.join(".")
        }
    }
}

fn transform(value: &str, m: &Macro) -> String {
    let delimiters: &[u8] = if m.delimiters.is_empty() {
        b"."
    } else {
        m.delimiters.as_bytes()
    };
    if m.digits.is_none() && !m.reverse && delimiters == b"." {
        return value.to_string();
    }
    let mut parts: Vec<&str> = value
        .split(|c: char| c.is_ascii() && delimiters.contains(&(c as u8)))
        .collect();
    if m.reverse {
        parts.reverse();
    }
    if let Some(n) = m.digits
        && n < parts.len()
    {
        parts = parts.split_off(parts.len() - n);
    }
    parts.join(".")
}

/// URL-escape everything but RFC 3986 unreserved characters (7.3).
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A domain produced by expansion, made ready to ask (7.3): one trailing dot dropped, and
/// when longer than 253 characters, labels removed from the left until it fits.
pub fn truncate_domain(expanded: &str) -> String {
    let mut name = expanded.strip_suffix('.').unwrap_or(expanded);
    while name.len() > 253 {
        match name.split_once('.') {
            Some((_, rest)) => name = rest,
            None => break,
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ip: &str) -> MacroContext<'static> {
        MacroContext {
            sender: "strong-bad@email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            helo: "mx.example.org",
            validated: None,
            receiver: "unknown",
            timestamp: 1_400_000_000,
        }
    }

    fn exp(text: &str, ip: &str) -> String {
        MacroString::parse(text, false).unwrap().expand(&ctx(ip))
    }

    #[test]
    fn rfc7208_section_7_4_examples() {
        let v4 = "192.0.2.3";
        assert_eq!(exp("%{s}", v4), "strong-bad@email.example.com");
        assert_eq!(exp("%{o}", v4), "email.example.com");
        assert_eq!(exp("%{d}", v4), "email.example.com");
        assert_eq!(exp("%{d4}", v4), "email.example.com");
        assert_eq!(exp("%{d3}", v4), "email.example.com");
        assert_eq!(exp("%{d2}", v4), "example.com");
        assert_eq!(exp("%{d1}", v4), "com");
        assert_eq!(exp("%{dr}", v4), "com.example.email");
        assert_eq!(exp("%{d2r}", v4), "example.email");
        assert_eq!(exp("%{l}", v4), "strong-bad");
        assert_eq!(exp("%{l-}", v4), "strong.bad");
        assert_eq!(exp("%{lr}", v4), "strong-bad");
        assert_eq!(exp("%{lr-}", v4), "bad.strong");
        assert_eq!(exp("%{l1r-}", v4), "strong");
        assert_eq!(
            exp("%{ir}.%{v}._spf.%{d2}", v4),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            exp("%{lr-}.lp._spf.%{d2}", v4),
            "bad.strong.lp._spf.example.com"
        );
        assert_eq!(
            exp("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", v4),
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            exp("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", v4),
            "3.2.0.192.in-addr.strong.lp._spf.example.com"
        );
        assert_eq!(
            exp("%{d2}.trusted-domains.example.net", v4),
            "example.com.trusted-domains.example.net"
        );
        assert_eq!(
            exp("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn escapes_and_url_encoding() {
        assert_eq!(exp("a%%b%_c%-d", "192.0.2.3"), "a%b c%20d");
        let c = MacroContext {
            sender: "~jack&jill=up-a_b3.c@example.com",
            ..ctx("192.0.2.3")
        };
        let m = MacroString::parse("%{L}", false).unwrap();
        assert_eq!(m.expand(&c), "~jack%26jill%3Dup-a_b3.c");
        assert_eq!(exp("%{l2r+-}", "192.0.2.3"), "bad.strong");
    }

    #[test]
    fn explanation_letters_and_spaces() {
        let m = MacroString::parse("%{c} is queried as %{ir}.%{v}.arpa", true).unwrap();
        assert_eq!(
            m.expand(&ctx("2001:db8::1")),
            "2001:db8::1 is queried as 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(
            MacroString::parse("%{p} %{t} %{r}", true)
                .unwrap()
                .expand(&ctx("192.0.2.3")),
            "unknown 1400000000 unknown"
        );
        assert!(MacroString::parse("%{c}", false).is_err());
        assert!(MacroString::parse("%{r}.example.com", false).is_err());
        assert!(MacroString::parse("a b", false).is_err());
    }

    #[test]
    fn syntax_errors_name_their_offset() {
        let cases = [
            ("%(ir).sbl.example.com", 0),
            ("foo%(ir).sbl", 3),
            ("foo%.sbl", 3),
            ("x%{a}", 1),
            ("%{d0}", 0),
            ("%{d", 0),
            ("%{}", 0),
            ("%{d2x}", 0),
            ("%", 0),
            ("ab%{ir:}", 2),
        ];
        for (text, offset) in cases {
            let err = MacroString::parse(text, false).unwrap_err();
            assert_eq!(err.offset, offset, "{text}: {err:?}");
        }
    }

    #[test]
    fn parses_transformers() {
        let m = MacroString::parse("%{L12r-+}", false).unwrap();
        assert_eq!(
            m.items,
            vec![MacroItem::Macro(Macro {
                letter: 'l',
                url_escape: true,
                digits: Some(12),
                reverse: true,
                delimiters: "-+".into()
            })]
        );
        assert!(m.has_macros() && m.uses_letter('l') && !m.uses_letter('p'));
        assert_eq!(
            MacroString::parse("example.com", false)
                .unwrap()
                .literal()
                .as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn long_domains_are_truncated_from_the_left() {
        let long = format!("{}example.com.", "abcdefghi.".repeat(30));
        let t = truncate_domain(&long);
        assert!(t.len() <= 253 && t.ends_with("example.com") && !t.starts_with('.'));
        assert_eq!(truncate_domain("a.example.com."), "a.example.com");
    }
}
