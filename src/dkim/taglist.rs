//! The `tag=value; tag=value` syntax shared by DKIM key records (RFC 6376 3.2), DMARC
//! (RFC 7489 6.4), MTA-STS, TLS-RPT and BIMI TXT records.
//!
//! The tokenizer only splits and locates: each record's parser judges names and values.
//! Every position is a byte offset into the text given, so findings can point at the term.

/// One `name=value` pair with the byte spans of its name and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// As published (case kept); compare with `eq_ignore_ascii_case` where the syntax says so.
    pub name: String,
    /// Trimmed of surrounding whitespace.
    pub value: String,
    /// Byte span (start, end) of the name.
    pub name_span: (usize, usize),
    /// Byte span of the value (start == end for an empty value).
    pub value_span: (usize, usize),
}

/// A piece of the text that is not `name=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagSyntaxError {
    pub span: (usize, usize),
    pub message: String,
}

/// Records are short; a hostile one is cut off here rather than tokenized forever.
pub const MAX_TAGS: usize = 64;

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Split `text` into tags. Empty segments (`;;`, a trailing `;`) are skipped, as receivers do.
pub fn tokenize(text: &str) -> (Vec<Tag>, Vec<TagSyntaxError>) {
    let mut tags = Vec::new();
    let mut errors = Vec::new();
    let mut start = 0usize;
    for segment in text.split(';') {
        let seg_start = start;
        start += segment.len() + 1;
        if segment.bytes().all(is_ws) {
            continue;
        }
        if tags.len() >= MAX_TAGS {
            errors.push(TagSyntaxError {
                span: (seg_start, text.len()),
                message: format!("more than {MAX_TAGS} tags; the rest is not read"),
            });
            break;
        }
        let (lead, trail) = trim_offsets(segment);
        let body_span = (seg_start + lead, seg_start + segment.len() - trail);
        let Some(eq) = segment.find('=') else {
            errors.push(TagSyntaxError {
                span: body_span,
                message: format!(
                    "`{}` is not a tag=value pair",
                    &segment[lead..segment.len() - trail]
                ),
            });
            continue;
        };
        let raw_name = &segment[..eq];
        let (nl, nt) = trim_offsets(raw_name);
        let name = &raw_name[nl..raw_name.len() - nt];
        let name_span = (seg_start + nl, seg_start + raw_name.len() - nt);
        if !valid_tag_name(name) {
            errors.push(TagSyntaxError {
                span: if name.is_empty() {
                    body_span
                } else {
                    name_span
                },
                message: if name.is_empty() {
                    "a value without a tag name before `=`".to_string()
                } else {
                    format!(
                        "`{name}` is not a valid tag name (a letter, then letters, digits or _)"
                    )
                },
            });
            continue;
        }
        let raw_value = &segment[eq + 1..];
        let (vl, vt) = trim_offsets(raw_value);
        let value = &raw_value[vl..raw_value.len() - vt];
        let vstart = seg_start + eq + 1 + vl;
        tags.push(Tag {
            name: name.to_string(),
            value: value.to_string(),
            name_span,
            value_span: (vstart, vstart + value.len()),
        });
    }
    (tags, errors)
}

/// RFC 6376 3.2: tag-name = ALPHA *ALNUMPUNC (ALNUMPUNC = ALPHA / DIGIT / "_").
fn valid_tag_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Bytes of leading and trailing whitespace.
fn trim_offsets(s: &str) -> (usize, usize) {
    let lead = s.bytes().take_while(|&b| is_ws(b)).count();
    if lead == s.len() {
        return (lead, 0);
    }
    let trail = s.bytes().rev().take_while(|&b| is_ws(b)).count();
    (lead, trail)
}

/// Tags whose name (case-insensitively) occurs earlier in the list: each later occurrence.
pub fn duplicates(tags: &[Tag]) -> Vec<&Tag> {
    let mut out = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        if tags[..i]
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(&tag.name))
        {
            out.push(tag);
        }
    }
    out
}

/// The first tag of that name (case-insensitive).
pub fn get<'a>(tags: &'a [Tag], name: &str) -> Option<&'a Tag> {
    tags.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_locates() {
        let text = "v=DMARC1; p = reject ;rua=mailto:a@b.c;";
        let (tags, errors) = tokenize(text);
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<(&str, &str, (usize, usize), (usize, usize))> = tags
            .iter()
            .map(|t| (t.name.as_str(), t.value.as_str(), t.name_span, t.value_span))
            .collect();
        assert_eq!(
            got,
            vec![
                ("v", "DMARC1", (0, 1), (2, 8)),
                ("p", "reject", (10, 11), (14, 20)),
                ("rua", "mailto:a@b.c", (22, 25), (26, 38)),
            ]
        );
        for t in &tags {
            assert_eq!(&text[t.value_span.0..t.value_span.1], t.value);
            assert_eq!(&text[t.name_span.0..t.name_span.1], t.name);
        }
    }

    #[test]
    fn errors_name_the_term_and_position() {
        let cases: &[(&str, (usize, usize), &str)] = &[
            ("v=DKIM1; garbage; p=", (9, 16), "`garbage`"),
            ("v=DKIM1; =x", (9, 11), "without a tag name"),
            ("v=DKIM1; 1a=x", (9, 11), "`1a`"),
            ("v=DKIM1; a-b=x", (9, 12), "`a-b`"),
        ];
        for (text, span, needle) in cases {
            let (_, errors) = tokenize(text);
            assert_eq!(errors.len(), 1, "{text}: {errors:?}");
            assert_eq!(errors[0].span, *span, "{text}");
            assert!(
                errors[0].message.contains(needle),
                "{text}: {}",
                errors[0].message
            );
        }
    }

    #[test]
    fn empty_values_and_segments() {
        let (tags, errors) = tokenize(";; p= ;  ;");
        assert!(errors.is_empty());
        assert_eq!(tags.len(), 1);
        assert_eq!(tags[0].value, "");
        assert_eq!(tags[0].value_span.0, tags[0].value_span.1);
    }

    #[test]
    fn duplicates_are_found_case_insensitively() {
        let (tags, _) = tokenize("p=none; P=reject; sp=none; p=quarantine");
        let d: Vec<&str> = duplicates(&tags).iter().map(|t| t.value.as_str()).collect();
        assert_eq!(d, vec!["reject", "quarantine"]);
    }

    #[test]
    fn bounded() {
        let text = "a=1;".repeat(1000);
        let (tags, errors) = tokenize(&text);
        assert_eq!(tags.len(), MAX_TAGS);
        assert_eq!(errors.len(), 1);
    }
}
