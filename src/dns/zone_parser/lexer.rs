//! Zone-file text to entries: comments dropped, parentheses joined, strings decoded,
//! every token with its line and column.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pos {
    pub(super) line: usize,
    pub(super) column: usize,
}

#[derive(Debug)]
pub(super) struct Token {
    /// Unquoted words keep their escapes (names and numbers are read from the raw text);
    /// quoted strings are already decoded.
    pub(super) text: String,
    pub(super) bytes: Vec<u8>,
    pub(super) quoted: bool,
    pub(super) pos: Pos,
}

/// One entry: the tokens of a logical line (parentheses joined).
pub(super) struct Entry {
    pub(super) tokens: Vec<Token>,
    /// The line began with a blank: the owner is the previous record's.
    pub(super) blank_owner: bool,
    pub(super) start: Pos,
    /// Just after the last token, for "missing ..." messages.
    pub(super) end: Pos,
}

/// At most this many tokens in one entry: the largest record data a message can carry
/// (RDLENGTH is 16 bits) holds at most 65,535 one-byte strings. A bound on hostile input.
pub(super) const MAX_ENTRY_TOKENS: usize = 65_536 + 16;

/// No field is longer: a name has at most 253 bytes, a character-string 255, a whole
/// record's data 65,535. A longer one is reported when it passes the bound, not at its end.
const MAX_TOKEN_BYTES: usize = 65_535;

/// Why lexing stopped: the text itself, or the consumer of an entry.
pub(super) enum Stop<E> {
    Lex(Pos, String),
    Entry(E),
}

/// Fields are separated by these (RFC 1035 5.1: "blank" is space or tab; CR ends a CRLF line).
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

/// A character no unquoted field may hold: other Unicode white space (U+00A0, U+2028...)
/// and control characters. Reported where it stands, rather than made part of a name.
fn is_stray(c: char) -> bool {
    !matches!(c, ' ' | '\t' | '\r' | '\n') && (c.is_whitespace() || c.is_control())
}

/// Where an unquoted word ends. Every character this accepts is consumed by an arm of
/// [`lex`]'s match, so that each turn of its loop consumes at least one character.
fn ends_word(c: char) -> bool {
    c == '\n' || is_blank(c) || is_stray(c) || matches!(c, '(' | ')' | ';' | '"')
}

/// Split the text into entries (comments dropped, parentheses joined, strings decoded) and
/// hand each to `on_entry` as soon as it is complete: memory holds one entry at a time.
/// Work is linear in the text: every turn of the loop consumes at least one character.
pub(super) fn lex<E>(
    text: &str,
    mut on_entry: impl FnMut(Entry) -> Result<(), E>,
) -> Result<(), Stop<E>> {
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
                        on_entry(done).map_err(Stop::Entry)?;
                    }
                    at_line_start = true;
                }
            }
            c if is_blank(c) => {
                chars.next();
                pos.column += 1;
            }
            c if is_stray(c) => {
                return Err(Stop::Lex(
                    here,
                    format!(
                        "character U+{:04X} is not allowed outside a quoted string: separate fields with spaces or tabs",
                        u32::from(c)
                    ),
                ));
            }
            ';' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                    pos.column += 1;
                }
            }
            '(' => {
                if let Some(first) = open_paren {
                    return Err(Stop::Lex(
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
                    return Err(Stop::Lex(
                        here,
                        "closing parenthesis without an opening one".into(),
                    ));
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
                            return Err(Stop::Lex(here, "unterminated quoted string".into()));
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
                    if bytes.len() > MAX_TOKEN_BYTES {
                        return Err(too_long(here));
                    }
                }
                let text = String::from_utf8_lossy(&bytes).into_owned();
                current.push(text, bytes, true, here, pos)?;
            }
            _ => {
                let mut raw = String::new();
                let mut bytes = Vec::new();
                while let Some(&c) = chars.peek() {
                    if ends_word(c) {
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
                    if bytes.len() > MAX_TOKEN_BYTES {
                        return Err(too_long(here));
                    }
                }
                current.push(raw, bytes, false, here, pos)?;
            }
        }
    }
    if let Some(open) = open_paren {
        return Err(Stop::Lex(
            open,
            format!("missing closing parenthesis opened at line {}", open.line),
        ));
    }
    if !current.tokens.is_empty() {
        on_entry(current).map_err(Stop::Entry)?;
    }
    Ok(())
}

impl<E> From<(Pos, String)> for Stop<E> {
    fn from((pos, message): (Pos, String)) -> Self {
        Stop::Lex(pos, message)
    }
}

impl Entry {
    /// Adds a token that starts at `at` and ends before `end`, within [`MAX_ENTRY_TOKENS`].
    fn push<E>(
        &mut self,
        text: String,
        bytes: Vec<u8>,
        quoted: bool,
        at: Pos,
        end: Pos,
    ) -> Result<(), Stop<E>> {
        if self.tokens.len() >= MAX_ENTRY_TOKENS {
            return Err(Stop::Lex(
                at,
                format!(
                    "more than {MAX_ENTRY_TOKENS} fields in one record (no record's data is that long)"
                ),
            ));
        }
        self.tokens.push(Token {
            text,
            bytes,
            quoted,
            pos: at,
        });
        self.end = end;
        Ok(())
    }
}

fn too_long<E>(at: Pos) -> Stop<E> {
    Stop::Lex(
        at,
        format!(
            "a field longer than {MAX_TOKEN_BYTES} bytes (no name, string or record data is that long)"
        ),
    )
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
