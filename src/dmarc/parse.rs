//! Strict DMARC record parser (RFC 7489 6.3–6.4, RFC 9989 tags `np`, `t`, `psd`).
//!
//! Pure: text in, a record plus every problem (with the tag and its byte span) out. What a
//! problem means for the audit (its code and severity) is decided in `assess.rs`.

use crate::dkim::taglist::{self, Tag};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
}

/// `psd=` (RFC 9989): the record is (y) or is not (n) a public suffix domain's; `u` unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Psd {
    Yes,
    No,
    Unknown,
}

/// One `mailto:` destination of rua= or ruf=.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportUri {
    /// The URI as published (without the size suffix).
    pub uri: String,
    /// The mailbox's domain, lower-case.
    pub domain: String,
    /// `!10m` and the like, as published.
    pub size: Option<String>,
    pub span: (usize, usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DmarcRecord {
    pub tags: Vec<Tag>,
    pub p: Option<Policy>,
    pub sp: Option<Policy>,
    pub np: Option<Policy>,
    /// `true` = strict (s).
    pub adkim_strict: Option<bool>,
    pub aspf_strict: Option<bool>,
    pub pct: Option<u8>,
    pub t: Option<bool>,
    pub psd: Option<Psd>,
    pub rua: Vec<ReportUri>,
    pub ruf: Vec<ReportUri>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The record does not start with `v=DMARC1`.
    VersionNotFirst,
    /// Not tag=value syntax.
    Syntax,
    DuplicateTag,
    /// A known tag with a value outside its grammar.
    BadValue,
    /// A rua/ruf URI that is not a usable mailto: address.
    BadReportUri,
    /// Ignored by receivers; reported so a typo (`adkm=s`) does not go unnoticed.
    UnknownTag,
    /// Two tags run together without `;` (`v=DMARC1 p=reject`): the first tag's value
    /// swallows the rest.
    MissingSeparator,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The tag concerned, when there is one.
    pub tag: Option<String>,
    pub span: (usize, usize),
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub record: DmarcRecord,
    pub problems: Vec<Problem>,
}

/// Whether a TXT record is a DMARC record at all (RFC 7489 6.6.3: records that do not start
/// with `v=DMARC1` are discarded). Whitespace around `=` is tolerated, the value is exact.
pub fn is_dmarc_record(text: &str) -> bool {
    let (tags, _) = taglist::tokenize(text);
    let first = text.trim_start();
    first.starts_with('v')
        && tags.first().is_some_and(|t| {
            t.name == "v" && t.value == "DMARC1" && t.name_span.0 == text.len() - first.len()
        })
}

/// A TXT record that looks like a failed attempt at DMARC: mentions `v=DMARC1` somewhere.
pub fn mentions_dmarc(text: &str) -> bool {
    text.to_ascii_lowercase()
        .replace(' ', "")
        .contains("v=dmarc1")
}

/// Where a tag's value holds the start of another tag (`reject rua=…` in
/// `p=reject rua=…`): the byte offset of that tag's name after white space, if any.
fn next_tag_in_value(value: &str) -> Option<usize> {
    let mut prev_ws = false;
    for (i, c) in value.char_indices() {
        if prev_ws && c.is_ascii_alphabetic() && starts_with_tag(&value[i..]) {
            return Some(i);
        }
        prev_ws = c.is_ascii_whitespace();
    }
    None
}

/// `name=` (letters, digits, `_`; white space allowed before `=`) at the start of `s`.
fn starts_with_tag(s: &str) -> bool {
    let name_len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    name_len > 0 && s[name_len..].trim_start().starts_with('=')
}

/// The record with a `; ` put wherever two tags run together (`v=DMARC1 p=reject` →
/// `v=DMARC1; p=reject`); otherwise unchanged.
pub fn with_separators(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_value = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ';' => in_value = false,
            '=' if !in_value => in_value = true,
            c if in_value && c.is_ascii_whitespace() => {
                let rest = text[i..].trim_start();
                if rest.starts_with(|c: char| c.is_ascii_alphabetic()) && starts_with_tag(rest) {
                    out.push_str("; ");
                    in_value = false;
                    while chars.peek().is_some_and(|(_, c)| c.is_ascii_whitespace()) {
                        chars.next();
                    }
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Bounded: a record with more report URIs than this is cut off (receivers use a few).
const MAX_URIS: usize = 16;

pub fn parse(text: &str) -> Parsed {
    let (tags, syntax) = taglist::tokenize(text);
    let mut out = Parsed::default();
    for e in syntax {
        out.problems.push(Problem {
            kind: ProblemKind::Syntax,
            tag: None,
            span: e.span,
            message: e.message,
        });
    }
    // Tags run together without `;`: each such tag's value swallowed the tags after it.
    let run_on: Vec<usize> = tags
        .iter()
        .enumerate()
        .filter(|(_, t)| next_tag_in_value(&t.value).is_some())
        .map(|(i, _)| i)
        .collect();
    for &i in &run_on {
        let t = &tags[i];
        let at = next_tag_in_value(&t.value).unwrap_or(0);
        let swallowed = t.value[at..].split_whitespace().next().unwrap_or("");
        out.problems.push(Problem {
            kind: ProblemKind::MissingSeparator,
            tag: Some(t.name.clone()),
            span: (t.name_span.0, t.value_span.1),
            message: format!(
                "`{}={} {swallowed}` runs two tags together: a `;` is missing before `{}=`, so receivers read `{swallowed}` as part of {}='s value{}",
                t.name,
                &t.value[..at].trim_end(),
                swallowed.split('=').next().unwrap_or(swallowed),
                t.name,
                if i == 0 && t.name == "v" {
                    " and discard the record (its version is not exactly DMARC1)"
                } else {
                    ""
                }
            ),
        });
    }
    match tags.first() {
        Some(t) if t.name == "v" && t.value == "DMARC1" => {}
        // Reported above as missing separators: the version itself is right.
        Some(t) if t.name == "v" && run_on.contains(&0) && t.value.starts_with("DMARC1") => {}
        Some(t) => {
            let where_v = taglist::get(&tags, "v");
            out.problems.push(Problem {
                kind: ProblemKind::VersionNotFirst,
                tag: Some("v".into()),
                span: where_v.map_or(t.name_span, |v| (v.name_span.0, v.value_span.1)),
                message: match where_v {
                    Some(v) if v.value == "DMARC1" => {
                        "`v=DMARC1` must be the first tag; receivers discard this record".into()
                    }
                    Some(v) => format!(
                        "the version is `{}`, not `DMARC1` (case-sensitive); receivers discard this record",
                        v.value
                    ),
                    None => {
                        "the record does not start with `v=DMARC1`; receivers discard it".into()
                    }
                },
            });
        }
        None => out.problems.push(Problem {
            kind: ProblemKind::VersionNotFirst,
            tag: None,
            span: (0, text.len()),
            message: "empty record; a DMARC record starts with `v=DMARC1`".into(),
        }),
    }
    for dup in taglist::duplicates(&tags) {
        out.problems.push(Problem {
            kind: ProblemKind::DuplicateTag,
            tag: Some(dup.name.clone()),
            span: (dup.name_span.0, dup.value_span.1),
            message: format!(
                "`{}` appears more than once; receivers may discard the record or use either value",
                dup.name
            ),
        });
    }
    let mut seen: Vec<String> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let lname = tag.name.to_ascii_lowercase();
        if seen.contains(&lname) {
            continue; // the first occurrence counts; the duplicate is already reported
        }
        seen.push(lname.clone());
        let rec = &mut out.record;
        let bad = |message: String| Problem {
            kind: ProblemKind::BadValue,
            tag: Some(tag.name.clone()),
            span: tag.value_span,
            message,
        };
        let v = tag.value.as_str();
        if run_on.contains(&i) {
            continue; // its value holds other tags: reported above, not judged as a value
        }
        let result: Result<(), Problem> = match lname.as_str() {
            "v" if i == 0 => Ok(()),
            "v" => Ok(()), // reported above
            "p" | "sp" | "np" => match policy(v) {
                Some(p) => {
                    match lname.as_str() {
                        "p" => rec.p = Some(p),
                        "sp" => rec.sp = Some(p),
                        _ => rec.np = Some(p),
                    }
                    Ok(())
                }
                None => Err(bad(format!(
                    "{}=`{v}` is not none, quarantine or reject",
                    tag.name
                ))),
            },
            "adkim" | "aspf" => match v {
                "r" | "s" => {
                    let strict = Some(v == "s");
                    if lname == "adkim" {
                        rec.adkim_strict = strict;
                    } else {
                        rec.aspf_strict = strict;
                    }
                    Ok(())
                }
                _ => Err(bad(format!("{}=`{v}` is not r or s", tag.name))),
            },
            "pct" => match v.parse::<u8>() {
                Ok(n) if n <= 100 && !v.starts_with('+') => {
                    rec.pct = Some(n);
                    Ok(())
                }
                _ => Err(bad(format!(
                    "pct=`{v}` is not a whole number from 0 to 100"
                ))),
            },
            "t" => match v {
                "y" | "n" => {
                    rec.t = Some(v == "y");
                    Ok(())
                }
                _ => Err(bad(format!("t=`{v}` is not y or n"))),
            },
            "psd" => {
                let psd = match v {
                    "y" => Some(Psd::Yes),
                    "n" => Some(Psd::No),
                    "u" => Some(Psd::Unknown),
                    _ => None,
                };
                match psd {
                    Some(_) => {
                        rec.psd = psd;
                        Ok(())
                    }
                    None => Err(bad(format!("psd=`{v}` is not y, n or u"))),
                }
            }
            "rua" | "ruf" => {
                let (uris, problems) = report_uris(tag);
                if lname == "rua" {
                    rec.rua = uris;
                } else {
                    rec.ruf = uris;
                }
                out.problems.extend(problems);
                Ok(())
            }
            "fo" => {
                let ok = !v.is_empty()
                    && v.split(':')
                        .all(|o| matches!(o.trim(), "0" | "1" | "d" | "s"));
                if ok {
                    Ok(())
                } else {
                    Err(bad(format!(
                        "fo=`{v}` is not a colon-separated list of 0, 1, d, s"
                    )))
                }
            }
            "rf" => {
                let ok = !v.is_empty()
                    && v.split(':').all(|f| {
                        let f = f.trim();
                        !f.is_empty() && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    });
                if ok {
                    Ok(())
                } else {
                    Err(bad(format!(
                        "rf=`{v}` is not a colon-separated list of report formats (afrf)"
                    )))
                }
            }
            "ri" => match v.parse::<u32>() {
                Ok(_) if !v.starts_with('+') => Ok(()),
                _ => Err(bad(format!("ri=`{v}` is not a number of seconds"))),
            },
            _ => Err(Problem {
                kind: ProblemKind::UnknownTag,
                tag: Some(tag.name.clone()),
                span: tag.name_span,
                message: format!("unknown tag `{}` is ignored by receivers", tag.name),
            }),
        };
        if let Err(p) = result {
            out.problems.push(p);
        }
    }
    out.record.tags = tags;
    out
}

/// Values are case-insensitive in practice; RFC 7489's ABNF lists lower-case.
fn policy(v: &str) -> Option<Policy> {
    match v.to_ascii_lowercase().as_str() {
        "none" => Some(Policy::None),
        "quarantine" => Some(Policy::Quarantine),
        "reject" => Some(Policy::Reject),
        _ => None,
    }
}

/// RFC 7489 6.4: dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ], comma-separated.
/// Only `mailto:` is defined for delivery.
fn report_uris(tag: &Tag) -> (Vec<ReportUri>, Vec<Problem>) {
    let mut uris = Vec::new();
    let mut problems = Vec::new();
    let mut offset = tag.value_span.0;
    for (n, piece) in tag.value.split(',').enumerate() {
        let start = offset + (piece.len() - piece.trim_start().len());
        offset += piece.len() + 1;
        let item = piece.trim();
        let span = (start, start + item.len());
        let mut bad = |message: String| {
            problems.push(Problem {
                kind: ProblemKind::BadReportUri,
                tag: Some(tag.name.clone()),
                span,
                message,
            })
        };
        if n >= MAX_URIS {
            bad(format!(
                "more than {MAX_URIS} URIs; the rest is not checked"
            ));
            break;
        }
        if item.is_empty() {
            bad(format!("{}= has an empty URI", tag.name));
            continue;
        }
        let (uri, size) = match item.rsplit_once('!') {
            Some((u, s)) => (u, Some(s)),
            None => (item, None),
        };
        if let Some(s) = size {
            let digits = s.trim_end_matches(['k', 'm', 'g', 't', 'K', 'M', 'G', 'T']);
            let unit_len = s.len() - digits.len();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || unit_len > 1 {
                bad(format!(
                    "`!{s}` is not a size limit (digits, then optionally k, m, g or t)"
                ));
                continue;
            }
        }
        let Some(address) = uri
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("mailto:"))
            .and_then(|_| uri.get(7..))
        else {
            bad(format!(
                "`{uri}` is not a mailto: URI; receivers send reports only by email"
            ));
            continue;
        };
        // Drop a ?query (rare) before judging the address.
        let address = address.split('?').next().unwrap_or("");
        let Some((local, domain)) = address.rsplit_once('@') else {
            bad(format!("`{uri}` has no @ in its address"));
            continue;
        };
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if local.is_empty() || local.bytes().any(|b| b.is_ascii_whitespace()) || !domain_ok {
            bad(format!("`{uri}` is not a valid email address"));
            continue;
        }
        uris.push(ReportUri {
            uri: uri.to_string(),
            domain,
            size: size.map(str::to_string),
            span,
        });
    }
    (uris, problems)
}

#[cfg(test)]
mod tests;
