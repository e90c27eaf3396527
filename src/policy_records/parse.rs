//! Pure parsers for the MTA-STS (RFC 8461 3.1), TLS-RPT (RFC 8460 3) and BIMI TXT records.
//! Each returns the tags and every problem with its code and byte span.

use super::codes::*;
use crate::dkim::taglist::{self, Tag};
use crate::report::CodeInfo;

#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub code: &'static CodeInfo,
    pub span: (usize, usize),
    pub message: String,
}

/// The three kinds of record, with what distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    MtaSts,
    TlsRpt,
    Bimi,
}

impl Kind {
    pub fn version(self) -> &'static str {
        match self {
            Kind::MtaSts => "STSv1",
            Kind::TlsRpt => "TLSRPTv1",
            Kind::Bimi => "BIMI1",
        }
    }

    pub fn syntax_code(self) -> &'static CodeInfo {
        match self {
            Kind::MtaSts => &MTA_STS_SYNTAX_ERROR,
            Kind::TlsRpt => &TLS_RPT_SYNTAX_ERROR,
            Kind::Bimi => &BIMI_SYNTAX_ERROR,
        }
    }

    pub fn multiple_code(self) -> &'static CodeInfo {
        match self {
            Kind::MtaSts => &MTA_STS_MULTIPLE_RECORDS,
            Kind::TlsRpt => &TLS_RPT_MULTIPLE_RECORDS,
            Kind::Bimi => &BIMI_MULTIPLE_RECORDS,
        }
    }

    /// The record is of this kind: its first tag is `v=<version>` (exact, case-sensitive).
    pub fn is_record(self, text: &str) -> bool {
        let (tags, _) = taglist::tokenize(text);
        tags.first()
            .is_some_and(|t| t.name == "v" && t.value == self.version())
    }

    /// A record that tries to be of this kind but would be discarded.
    pub fn is_near_miss(self, text: &str) -> bool {
        !self.is_record(text)
            && text
                .to_ascii_lowercase()
                .contains(&self.version().to_ascii_lowercase())
    }

    pub fn parse(self, text: &str) -> (Vec<Tag>, Vec<Problem>) {
        let (tags, syntax) = taglist::tokenize(text);
        let mut problems: Vec<Problem> = syntax
            .into_iter()
            .map(|e| Problem {
                code: self.syntax_code(),
                span: e.span,
                message: e.message,
            })
            .collect();
        if !self.is_record(text) {
            problems.push(Problem {
                code: self.syntax_code(),
                span: tags
                    .first()
                    .map_or((0, text.len()), |t| (t.name_span.0, t.value_span.1)),
                message: format!(
                    "the record must start with v={} (exact case); receivers discard it",
                    self.version()
                ),
            });
        }
        for d in taglist::duplicates(&tags) {
            problems.push(Problem {
                code: self.syntax_code(),
                span: (d.name_span.0, d.value_span.1),
                message: format!("`{}` appears more than once", d.name),
            });
        }
        match self {
            Kind::MtaSts => mta_sts(text, &tags, &mut problems),
            Kind::TlsRpt => tls_rpt(text, &tags, &mut problems),
            Kind::Bimi => bimi(&tags, &mut problems),
        }
        (tags, problems)
    }
}

/// RFC 8461 3.1: sts-id = 1*32(ALPHA / DIGIT).
fn mta_sts(text: &str, tags: &[Tag], problems: &mut Vec<Problem>) {
    match taglist::get(tags, "id") {
        None => problems.push(Problem {
            code: &MTA_STS_INVALID_ID,
            span: (0, text.len()),
            message: "no id= field: senders cannot tell when the policy changes".into(),
        }),
        Some(t) => {
            let v = &t.value;
            if v.is_empty() || v.len() > 32 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
                problems.push(Problem {
                    code: &MTA_STS_INVALID_ID,
                    span: t.value_span,
                    message: format!("id=`{v}` is not 1 to 32 letters and digits"),
                });
            }
        }
    }
}

/// RFC 8460 3: tlsrpt-rua = "rua=" uri *("," uri), each mailto: or https:.
fn tls_rpt(text: &str, tags: &[Tag], problems: &mut Vec<Problem>) {
    let Some(rua) = taglist::get(tags, "rua") else {
        problems.push(Problem {
            code: &TLS_RPT_SYNTAX_ERROR,
            span: (0, text.len()),
            message: "no rua= field: there is nowhere to send reports".into(),
        });
        return;
    };
    let mut offset = rua.value_span.0;
    for (n, piece) in rua.value.split(',').enumerate() {
        let start = offset + (piece.len() - piece.trim_start().len());
        offset += piece.len() + 1;
        let uri = piece.trim();
        if n >= 16 {
            break; // bounded; receivers use one or two
        }
        let lower = uri.to_ascii_lowercase();
        let ok = if let Some(addr) = lower.strip_prefix("mailto:") {
            addr.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains(' '))
        } else if let Some(rest) = lower.strip_prefix("https://") {
            rest.split('/')
                .next()
                .is_some_and(|host| host.contains('.'))
        } else {
            false
        };
        if !ok {
            problems.push(Problem {
                code: &TLS_RPT_INVALID_RUA,
                span: (start, start + uri.len()),
                message: format!("`{uri}` is not a mailto: address or an https: URL"),
            });
        }
    }
}

/// BIMI: l= and a= are https: URLs or empty (declination); the logo is an SVG.
fn bimi(tags: &[Tag], problems: &mut Vec<Problem>) {
    for name in ["l", "a"] {
        let Some(t) = taglist::get(tags, name) else {
            continue;
        };
        if t.value.is_empty() {
            continue;
        }
        let lower = t.value.to_ascii_lowercase();
        let message = if !lower.starts_with("https://") {
            Some(format!("{name}=`{}` is not an https: URL", t.value))
        } else if name == "l"
            && !lower
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .ends_with(".svg")
        {
            Some(format!(
                "l=`{}` does not name an SVG file (BIMI logos are SVG Tiny PS)",
                t.value
            ))
        } else {
            None
        };
        if let Some(message) = message {
            problems.push(Problem {
                code: &BIMI_SYNTAX_ERROR,
                span: t.value_span,
                message,
            });
        }
    }
    if taglist::get(tags, "l").is_none() {
        problems.push(Problem {
            code: &BIMI_SYNTAX_ERROR,
            span: (0, 0),
            message: "no l= tag (the logo URL, or empty to decline BIMI)".into(),
        });
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;

    fn got(kind: Kind, text: &str) -> Vec<(&'static str, (usize, usize))> {
        kind.parse(text)
            .1
            .into_iter()
            .map(|p| (p.code.id, p.span))
            .collect()
    }

    #[test]
    fn mta_sts_table() {
        let cases: Vec<(&str, Vec<(&str, (usize, usize))>)> = vec![
            ("v=STSv1; id=20240101T000000", vec![]),
            ("v=STSv1;id=abc;", vec![]),
            ("v=STSv1; id=", vec![("mta-sts-invalid-id", (12, 12))]),
            (
                "v=STSv1; id=2024-01-01",
                vec![("mta-sts-invalid-id", (12, 22))],
            ),
            (
                "v=STSv1; id=123456789012345678901234567890123",
                vec![("mta-sts-invalid-id", (12, 45))],
            ),
            ("v=STSv1", vec![("mta-sts-invalid-id", (0, 7))]),
            ("id=1; v=STSv1", vec![("mta-sts-syntax-error", (0, 4))]),
            ("v=stsv1; id=1", vec![("mta-sts-syntax-error", (0, 7))]),
            (
                "v=STSv1; id=1; id=2",
                vec![("mta-sts-syntax-error", (15, 19))],
            ),
            (
                "v=STSv1; id=1; junk",
                vec![("mta-sts-syntax-error", (15, 19))],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(got(Kind::MtaSts, text), want, "{text}");
        }
    }

    #[test]
    fn tls_rpt_table() {
        let cases: Vec<(&str, Vec<(&str, (usize, usize))>)> = vec![
            ("v=TLSRPTv1; rua=mailto:tls@example.com", vec![]),
            (
                "v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.net/tls",
                vec![],
            ),
            ("v=TLSRPTv1", vec![("tls-rpt-syntax-error", (0, 10))]),
            (
                "v=TLSRPTv1; rua=tls@example.com",
                vec![("tls-rpt-invalid-rua", (16, 31))],
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com, http://x.example",
                vec![("tls-rpt-invalid-rua", (38, 54))],
            ),
            (
                "rua=mailto:a@example.com; v=TLSRPTv1",
                vec![("tls-rpt-syntax-error", (0, 24))],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(got(Kind::TlsRpt, text), want, "{text}");
        }
    }

    #[test]
    fn bimi_table() {
        let cases: Vec<(&str, Vec<(&str, (usize, usize))>)> = vec![
            (
                "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem",
                vec![],
            ),
            ("v=BIMI1; l=https://example.com/logo.svg; a=", vec![]),
            ("v=BIMI1; l=; a=", vec![]),
            (
                "v=BIMI1; l=http://example.com/logo.svg",
                vec![("bimi-syntax-error", (11, 38))],
            ),
            (
                "v=BIMI1; l=https://example.com/logo.png",
                vec![("bimi-syntax-error", (11, 39))],
            ),
            (
                "v=BIMI1; l=https://example.com/l.svg; a=ftp://x",
                vec![("bimi-syntax-error", (40, 47))],
            ),
            ("v=BIMI1; a=", vec![("bimi-syntax-error", (0, 0))]),
        ];
        for (text, want) in cases {
            assert_eq!(got(Kind::Bimi, text), want, "{text}");
        }
    }

    #[test]
    fn recognition() {
        assert!(Kind::MtaSts.is_record("v=STSv1; id=1"));
        assert!(!Kind::MtaSts.is_record("v=STSv10; id=1"));
        assert!(Kind::MtaSts.is_near_miss("id=1; v=STSv1"));
        assert!(!Kind::MtaSts.is_near_miss("v=spf1 -all"));
        assert!(Kind::Bimi.is_record("v=BIMI1; l="));
    }
}
