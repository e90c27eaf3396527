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

/// Split the text into entries: comments dropped, parentheses joined, strings decoded.
pub(super) fn lex(text: &str) -> Result<Vec<Entry>, (Pos, String)> {
    let mut entries = Vec::new();
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
                        entries.push(done);
                    }
                    at_line_start = true;
                }
            }
            ' ' | '\t' | '\r' => {
                chars.next();
                pos.column += 1;
            }
            ';' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                    pos.column += 1;
                }
            }
            '(' => {
                if let Some(first) = open_paren {
                    return Err((
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
                    return Err((here, "closing parenthesis without an opening one".into()));
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
                            return Err((here, "unterminated quoted string".into()));
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
                }
                current.tokens.push(Token {
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    bytes,
                    quoted: true,
                    pos: here,
                });
                current.end = pos;
            }
            _ => {
                let mut raw = String::new();
                let mut bytes = Vec::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ';' | '"') {
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
                }
                current.tokens.push(Token {
                    text: raw,
                    bytes,
                    quoted: false,
                    pos: here,
                });
                current.end = pos;
            }
        }
    }
    if let Some(open) = open_paren {
        return Err((
            open,
            format!("missing closing parenthesis opened at line {}", open.line),
        ));
    }
    if !current.tokens.is_empty() {
        entries.push(current);
    }
    Ok(entries)
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
