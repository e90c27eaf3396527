//! Split a raw message into its header fields and body (RFC 5322 2.1, 2.2).
//!
//! Pure and bounded. Tolerant of what support people actually hold: an `.eml` saved with a
//! leading mbox `From ` line, bare LF line endings, or only the header section pasted from a
//! webmail "show original" view (no blank line, no body). Each field keeps its raw bytes (the
//! DKIM verifier hashes them as they are) next to its unfolded value.

use serde::Serialize;

/// Larger than any provider accepts (Gmail and Microsoft 365 stop at 25 and 35 MiB with
/// encoding): anything bigger is not a message somebody received.
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;
/// Real messages carry tens of fields, a long mailing-list trail a few hundred.
pub const MAX_FIELDS: usize = 1_000;
/// One unfolded field, name and colon included. RFC 5322 2.1.1 caps a line at 998 bytes;
/// folded fields (long `DKIM-Signature`, `ARC-Seal`) stay far below this.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The input as a whole, for the report: bare LF means the file was saved by a tool that
/// rewrote line endings, which matters for DKIM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineEndings {
    Crlf,
    Lf,
    Mixed,
    /// A single line without an ending (or nothing at all).
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeaderField<'a> {
    /// As written (case kept); look fields up with [`Message::get`].
    pub name: String,
    /// Unfolded (every line break before whitespace removed, RFC 5322 2.2.3), with the
    /// whitespace after the colon and at the end trimmed. Bytes that are not UTF-8 are
    /// replaced (U+FFFD); `raw` has them as sent.
    pub value: String,
    /// The field as it stands in the message, from its name to the end of its last line,
    /// without that line's ending; folds inside keep their CRLF or LF.
    #[serde(skip)]
    pub raw: &'a [u8],
    /// Byte offset of the field's first byte in the input.
    pub offset: usize,
    /// Physical lines (1 + the number of folds).
    pub lines: usize,
}

impl HeaderField<'_> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Something tolerated that a strict reader would not have accepted; reported, not fatal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefectKind {
    /// Blank lines before the first field (text pasted with an empty first line).
    LeadingBlankLines,
    /// `Name : value` (RFC 5322 4.5, obsolete syntax).
    WhitespaceBeforeColon,
    /// A line that is neither a field nor a fold ended the header section without the
    /// blank line; everything from it on is taken as the body.
    NotAField,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Defect {
    pub kind: DefectKind,
    pub offset: usize,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderErrorKind {
    MessageTooLarge,
    TooManyFields,
    FieldTooLong,
}

/// The input is beyond a bound: nothing is returned rather than a silently cut message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeaderError {
    pub kind: HeaderErrorKind,
    /// Where the bound was crossed (for a field: where the field starts).
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for HeaderError {}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message<'a> {
    /// The mbox separator line (`From sender date`), without its line ending.
    pub mbox_from: Option<String>,
    /// In the order of the message (top first).
    pub fields: Vec<HeaderField<'a>>,
    /// After the blank line; `None` when there was no blank line (headers only).
    #[serde(skip)]
    pub body: Option<&'a [u8]>,
    pub body_offset: Option<usize>,
    pub line_endings: LineEndings,
    pub defects: Vec<Defect>,
}

impl<'a> Message<'a> {
    /// The first (topmost) field of that name, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&HeaderField<'a>> {
        self.fields.iter().find(|f| f.is(name))
    }

    /// Every field of that name, top first.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s HeaderField<'a>> + 's {
        self.fields.iter().filter(move |f| f.is(name))
    }
}

/// One physical line: where it starts, where its content ends (before CR LF or LF) and where
/// the next line starts.
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

fn line_at(input: &[u8], start: usize) -> Line {
    match input[start..].iter().position(|&b| b == b'\n') {
        Some(i) => {
            let nl = start + i;
            let end = if nl > start && input[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            Line {
                start,
                end,
                next: nl + 1,
            }
        }
        None => Line {
            start,
            end: input.len(),
            next: input.len(),
        },
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `Name:` at the start of a line: the name's end (whitespace before the colon excluded) and
/// the colon's position. RFC 5322 3.6.8: field-name = 1*ftext, printable ASCII but colon.
fn field_start(line: &[u8]) -> Option<(usize, usize)> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name_end = line[..colon]
        .iter()
        .rposition(|&b| !is_wsp(b))
        .map_or(0, |i| i + 1);
    let name = &line[..name_end];
    (!name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b))).then_some((name_end, colon))
}

/// An mbox separator, not a `From :` field written with the obsolete space before the colon.
fn is_mbox_from(line: &[u8]) -> bool {
    line.starts_with(b"From ")
        && line[5..]
            .iter()
            .find(|&&b| !is_wsp(b))
            .is_some_and(|&b| b != b':')
}

/// The field being read: its start, the end of its latest line, and its unfolded bytes.
struct Open {
    start: usize,
    end: usize,
    name_end: usize,
    colon: usize,
    unfolded: Vec<u8>,
    lines: usize,
}

impl Open {
    fn close<'a>(self, input: &'a [u8]) -> HeaderField<'a> {
        let name = String::from_utf8_lossy(&self.unfolded[..self.name_end]).into_owned();
        let value = String::from_utf8_lossy(&self.unfolded[self.colon + 1..]);
        HeaderField {
            name,
            value: value.trim_matches(|c| c == ' ' || c == '\t').to_string(),
            raw: &input[self.start..self.end],
            offset: self.start,
            lines: self.lines,
        }
    }
}

pub fn parse(input: &[u8]) -> Result<Message<'_>, HeaderError> {
    if input.len() > MAX_MESSAGE_BYTES {
        return Err(HeaderError {
            kind: HeaderErrorKind::MessageTooLarge,
            offset: MAX_MESSAGE_BYTES,
            message: format!(
                "the message is {} bytes, more than the {MAX_MESSAGE_BYTES} read",
                input.len()
            ),
        });
    }
    let mut msg = Message {
        mbox_from: None,
        fields: Vec::new(),
        body: None,
        body_offset: None,
        line_endings: LineEndings::None,
        defects: Vec::new(),
    };
    let (mut crlf, mut lf) = (0usize, 0usize);
    let mut count = |line: &Line| {
        if line.next > line.end + 1 {
            crlf += 1;
        } else if line.next > line.end {
            lf += 1;
        }
    };
    let mut pos = 0;
    let first = line_at(input, 0);
    if is_mbox_from(&input[first.start..first.end]) {
        count(&first);
        msg.mbox_from = Some(String::from_utf8_lossy(&input[first.start..first.end]).into_owned());
        pos = first.next;
    }
    let mut open: Option<Open> = None;
    while pos < input.len() {
        let line = line_at(input, pos);
        count(&line);
        let content = &input[line.start..line.end];
        if content.is_empty() {
            if msg.fields.is_empty() && open.is_none() {
                // An empty first line means "no header section" (RFC 5322 2.1), unless what
                // follows the blank lines is a field: then it was pasted with a gap on top.
                let mut next = line.next;
                while next < input.len() {
                    let l = line_at(input, next);
                    if l.end > l.start {
                        break;
                    }
                    next = l.next;
                }
                let l = line_at(input, next);
                if next < input.len() && field_start(&input[l.start..l.end]).is_some() {
                    msg.defects.push(Defect {
                        kind: DefectKind::LeadingBlankLines,
                        offset: line.start,
                        message: "blank lines before the first header field were skipped"
                            .to_string(),
                    });
                    pos = next;
                    continue;
                }
            }
            msg.body = Some(&input[line.next..]);
            msg.body_offset = Some(line.next);
            break;
        }
        if is_wsp(content[0]) {
            if let Some(o) = open.as_mut() {
                o.unfolded.extend_from_slice(content);
                o.end = line.end;
                o.lines += 1;
                if o.unfolded.len() > MAX_FIELD_BYTES {
                    return Err(too_long(o.start));
                }
                pos = line.next;
                continue;
            }
        } else if let Some((name_end, colon)) = field_start(content) {
            if let Some(o) = open.take() {
                msg.fields.push(o.close(input));
            }
            if msg.fields.len() >= MAX_FIELDS {
                return Err(HeaderError {
                    kind: HeaderErrorKind::TooManyFields,
                    offset: line.start,
                    message: format!("more than {MAX_FIELDS} header fields"),
                });
            }
            if content.len() > MAX_FIELD_BYTES {
                return Err(too_long(line.start));
            }
            if name_end < colon {
                msg.defects.push(Defect {
                    kind: DefectKind::WhitespaceBeforeColon,
                    offset: line.start + name_end,
                    message: "whitespace between a field name and its colon (obsolete syntax)"
                        .to_string(),
                });
            }
            open = Some(Open {
                start: line.start,
                end: line.end,
                name_end,
                colon,
                unfolded: content.to_vec(),
                lines: 1,
            });
            pos = line.next;
            continue;
        }
        // Neither a field nor a fold of one: the body starts here, without its blank line.
        msg.defects.push(Defect {
            kind: DefectKind::NotAField,
            offset: line.start,
            message: "a line that is not a header field ends the header section (no blank line before it)"
                .to_string(),
        });
        msg.body = Some(&input[line.start..]);
        msg.body_offset = Some(line.start);
        break;
    }
    if let Some(o) = open.take() {
        msg.fields.push(o.close(input));
    }
    msg.line_endings = match (crlf, lf) {
        (0, 0) => LineEndings::None,
        (_, 0) => LineEndings::Crlf,
        (0, _) => LineEndings::Lf,
        _ => LineEndings::Mixed,
    };
    Ok(msg)
}

fn too_long(offset: usize) -> HeaderError {
    HeaderError {
        kind: HeaderErrorKind::FieldTooLong,
        offset,
        message: format!("a header field longer than {MAX_FIELD_BYTES} bytes once unfolded"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<'a>(m: &'a Message) -> Vec<&'a str> {
        m.fields.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn splits_fields_and_body_with_offsets() {
        let text = b"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n";
        let m = parse(text).unwrap();
        assert_eq!(names(&m), ["From", "To", "Subject"]);
        assert_eq!(m.fields[1].offset, 21);
        assert_eq!(m.fields[1].raw, b"To: b@example.net");
        assert_eq!(m.fields[2].value, "hi");
        assert_eq!(m.body, Some(&b"body\r\n"[..]));
        assert_eq!(m.body_offset, Some(55));
        assert_eq!(m.line_endings, LineEndings::Crlf);
        assert!(m.defects.is_empty());
        for f in &m.fields {
            assert_eq!(&text[f.offset..f.offset + f.raw.len()], f.raw);
        }
    }

    #[test]
    fn unfolds_and_keeps_raw_folds() {
        let text = b"Subject: a\r\n  long\r\n\tsubject\r\nTo: x\r\n\r\n";
        let m = parse(text).unwrap();
        let s = m.get("subject").unwrap();
        assert_eq!(s.value, "a  long\tsubject");
        assert_eq!(s.raw, b"Subject: a\r\n  long\r\n\tsubject");
        assert_eq!(s.lines, 3);
        assert_eq!(m.get("TO").unwrap().offset, 30);
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn tolerated_shapes() {
        // (input, field names, body, line endings, defects)
        let cases: &[(&[u8], &[&str], Option<&[u8]>, LineEndings, &[DefectKind])] = &[
            // Bare LF, as saved by many tools.
            (
                b"A: 1\nB: 2\n\nbody",
                &["A", "B"],
                Some(b"body"),
                LineEndings::Lf,
                &[],
            ),
            // Headers only, pasted from "show original": no blank line, no final newline.
            (b"A: 1\r\nB: 2", &["A", "B"], None, LineEndings::Crlf, &[]),
            (b"A: 1\nB: 2\n", &["A", "B"], None, LineEndings::Lf, &[]),
            // A blank line then nothing: an empty body, not a missing one.
            (b"A: 1\r\n\r\n", &["A"], Some(b""), LineEndings::Crlf, &[]),
            (
                b"A: 1\r\nB: 2\n",
                &["A", "B"],
                None,
                LineEndings::Mixed,
                &[],
            ),
            // mbox separator.
            (
                b"From alice@example.com Tue Jul  9 10:12:34 2024\nFrom: a\n\nx",
                &["From"],
                Some(b"x"),
                LineEndings::Lf,
                &[],
            ),
            // Pasted with blank lines on top.
            (
                b"\n\nA: 1\n\nb",
                &["A"],
                Some(b"b"),
                LineEndings::Lf,
                &[DefectKind::LeadingBlankLines],
            ),
            // An empty first line with no field after it: no headers, all body (RFC 5322).
            (b"\nhello\n", &[], Some(b"hello\n"), LineEndings::Lf, &[]),
            (
                b"From : obsolete\n\n",
                &["From"],
                Some(b""),
                LineEndings::Lf,
                &[DefectKind::WhitespaceBeforeColon],
            ),
            // The body starts without its blank line.
            (
                b"A: 1\nhello there\n",
                &["A"],
                Some(b"hello there\n"),
                LineEndings::Lf,
                &[DefectKind::NotAField],
            ),
            // A fold before any field is not a field.
            (
                b" A: 1\n",
                &[],
                Some(b" A: 1\n"),
                LineEndings::Lf,
                &[DefectKind::NotAField],
            ),
            // A line of whitespace is a fold (obs-FWS), not the separator.
            (
                b"A: 1\n \nB: 2\n\nx",
                &["A", "B"],
                Some(b"x"),
                LineEndings::Lf,
                &[],
            ),
            (b"", &[], None, LineEndings::None, &[]),
            (b"A:", &["A"], None, LineEndings::None, &[]),
        ];
        for (input, want_names, body, endings, defects) in cases {
            let m = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(
                names(&m),
                *want_names,
                "{:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(m.body, *body, "{:?}", String::from_utf8_lossy(input));
            assert_eq!(
                m.line_endings,
                *endings,
                "{:?}",
                String::from_utf8_lossy(input)
            );
            let kinds: Vec<DefectKind> = m.defects.iter().map(|d| d.kind).collect();
            assert_eq!(kinds, *defects, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn mbox_line_is_kept_and_offsets_stay_absolute() {
        let text = b"From MAILER-DAEMON Fri Jul  5 10:00:00 2024\r\nSubject: x\r\n";
        let m = parse(text).unwrap();
        assert_eq!(
            m.mbox_from.as_deref(),
            Some("From MAILER-DAEMON Fri Jul  5 10:00:00 2024")
        );
        assert_eq!(m.fields[0].offset, 45);
    }

    #[test]
    fn lookup_is_case_insensitive_and_ordered() {
        let m = parse(b"Received: 1\nreceived: 2\nX: y\nRECEIVED: 3\n").unwrap();
        let got: Vec<&str> = m.get_all("Received").map(|f| f.value.as_str()).collect();
        assert_eq!(got, ["1", "2", "3"]);
        assert_eq!(m.get("x").unwrap().value, "y");
        assert!(m.get("Received-SPF").is_none());
    }

    #[test]
    fn not_utf8_is_replaced_in_value_and_kept_in_raw() {
        let m = parse(b"Subject: caf\xe9\n").unwrap();
        assert_eq!(m.fields[0].value, "caf\u{fffd}");
        assert_eq!(m.fields[0].raw, b"Subject: caf\xe9");
        // RFC 6532: UTF-8 in header values is legitimate.
        let m = parse("Subject: café\n".as_bytes()).unwrap();
        assert_eq!(m.fields[0].value, "café");
    }

    #[test]
    fn names_must_be_printable_ascii() {
        for bad in [
            &b"Fo o: x\n"[..],
            b"F\xc3\xa9: x\n",
            b": x\n",
            b"F\x01: x\n",
        ] {
            let m = parse(bad).unwrap();
            assert!(m.fields.is_empty(), "{bad:?}");
            assert_eq!(m.defects[0].kind, DefectKind::NotAField);
        }
    }

    /// The error, without printing a huge message on failure.
    fn error_of(r: Result<Message, HeaderError>) -> HeaderError {
        match r {
            Err(e) => e,
            Ok(m) => panic!("parsed ({} fields) instead of an error", m.fields.len()),
        }
    }

    #[test]
    fn bounds_are_errors_with_offsets() {
        let many = "X: y\n".repeat(MAX_FIELDS + 1);
        let e = error_of(parse(many.as_bytes()));
        assert_eq!(e.kind, HeaderErrorKind::TooManyFields);
        assert_eq!(e.offset, MAX_FIELDS * 5);
        assert!(parse("X: y\n".repeat(MAX_FIELDS).as_bytes()).is_ok());

        let long = format!("A: 1\nX: {}\n", "y".repeat(MAX_FIELD_BYTES));
        let e = error_of(parse(long.as_bytes()));
        assert_eq!((e.kind, e.offset), (HeaderErrorKind::FieldTooLong, 5));

        // Folds count towards the unfolded length.
        let folded = format!(
            "A: 1\nX: y\n{}",
            " 123456789\n".repeat(MAX_FIELD_BYTES / 10 + 1)
        );
        let e = error_of(parse(folded.as_bytes()));
        assert_eq!((e.kind, e.offset), (HeaderErrorKind::FieldTooLong, 5));

        // A long body is not a long field.
        let body = format!("A: 1\n\n{}", "z".repeat(MAX_FIELD_BYTES * 2));
        assert!(parse(body.as_bytes()).is_ok());

        let huge = vec![b'a'; MAX_MESSAGE_BYTES + 1];
        let e = error_of(parse(&huge));
        assert_eq!(e.kind, HeaderErrorKind::MessageTooLarge);
    }
}
