//! Where each JSON value starts (line:column), keyed by its JSON path.
//!
//! serde_json reports positions only for syntax errors; validation findings need the
//! position of a *valid* value (`$.templates[2].usageType`). This scanner walks the text
//! once, after serde_json has accepted it, and records the start of every value.
//! Bounded: nesting depth ≤ [`MAX_DEPTH`]; the caller keeps the input ≤ [`MAX_BYTES`].
//! Duplicate keys keep the last position, as `JSON.parse` (and serde_json) keep the last value.

use std::collections::HashMap;
use std::fmt;

/// Deepest nesting accepted (objects and arrays).
pub const MAX_DEPTH: usize = 64;
/// Largest config file accepted.
pub const MAX_BYTES: usize = 1 << 20;

/// 1-based line and column; the column counts characters (Unicode scalar values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[derive(Debug, Default)]
pub struct Positions {
    map: HashMap<String, Position>,
    /// Paths of keys that occur more than once in the same object (reported once each).
    duplicates: Vec<(String, Position)>,
}

impl Positions {
    pub fn get(&self, path: &str) -> Option<Position> {
        self.map.get(path).copied()
    }

    /// The position of `path`, else of its nearest ancestor that exists (a missing key is
    /// reported at the object that lacks it).
    pub fn nearest(&self, path: &str) -> Position {
        let mut p = path;
        loop {
            if let Some(pos) = self.map.get(p) {
                return *pos;
            }
            match parent(p) {
                Some(up) => p = up,
                None => return Position { line: 1, column: 1 },
            }
        }
    }

    pub fn duplicates(&self) -> &[(String, Position)] {
        &self.duplicates
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// `$.a.b[2]` → `$.a.b`; `$` → None.
fn parent(path: &str) -> Option<&str> {
    if path == "$" {
        return None;
    }
    if path.ends_with(']') {
        // `[n]` or `["key"]`: the bracket that opens it is the last `[` outside a quoted key.
        // Keys with brackets are quoted, so search for `["` first, then `[`.
        let cut = path.rfind("[\"").filter(|_| path.ends_with("\"]"));
        let cut = cut.or_else(|| path.rfind('['))?;
        return path.get(..cut);
    }
    path.rfind('.').and_then(|i| path.get(..i))
}

/// The path of member `key` of the object at `parent`: `.key` for identifier-like keys,
/// `["key"]` (JSON-escaped) otherwise.
pub fn member(parent: &str, key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if simple {
        format!("{parent}.{key}")
    } else {
        let quoted = serde_json::to_string(key).unwrap_or_else(|_| "\"?\"".to_string());
        format!("{parent}[{quoted}]")
    }
}

/// The path of element `index` of the array at `parent`.
pub fn element(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

#[derive(Debug, PartialEq, Eq)]
pub enum ScanError {
    TooDeep {
        position: Position,
    },
    /// Should not happen after serde_json accepted the text; kept so that a bug is an error, not a panic.
    Unexpected {
        position: Position,
        what: &'static str,
    },
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::TooDeep { position } => write!(
                f,
                "nesting deeper than {MAX_DEPTH} levels at line {} column {}",
                position.line, position.column
            ),
            ScanError::Unexpected { position, what } => write!(
                f,
                "unexpected {what} at line {} column {}",
                position.line, position.column
            ),
        }
    }
}

/// Records the start position of every value in `text`, keyed by JSON path (`$` is the root).
pub fn scan(text: &str) -> Result<Positions, ScanError> {
    let mut s = Scanner {
        chars: text.chars().peekable(),
        line: 1,
        column: 1,
        out: Positions::default(),
    };
    s.skip_ws();
    s.value("$".to_string(), 0)?;
    Ok(s.out)
}

struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    column: usize,
    out: Positions,
}

impl Scanner<'_> {
    fn pos(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.chars.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn unexpected(&self, what: &'static str) -> ScanError {
        ScanError::Unexpected {
            position: self.pos(),
            what,
        }
    }

    fn expect(&mut self, want: char, what: &'static str) -> Result<(), ScanError> {
        self.skip_ws();
        if self.chars.peek() == Some(&want) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn value(&mut self, path: String, depth: usize) -> Result<(), ScanError> {
        self.skip_ws();
        let start = self.pos();
        self.out.map.insert(path.clone(), start);
        match self.chars.peek().copied() {
            Some('{') => {
                if depth >= MAX_DEPTH {
                    return Err(ScanError::TooDeep { position: start });
                }
                self.bump();
                self.object(&path, depth + 1)
            }
            Some('[') => {
                if depth >= MAX_DEPTH {
                    return Err(ScanError::TooDeep { position: start });
                }
                self.bump();
                self.array(&path, depth + 1)
            }
            Some('"') => self.string().map(drop),
            Some(_) => {
                // number, true, false, null: consume up to a delimiter.
                let mut any = false;
                while let Some(&c) = self.chars.peek() {
                    if matches!(c, ',' | '}' | ']' | ' ' | '\t' | '\n' | '\r') {
                        break;
                    }
                    any = true;
                    self.bump();
                }
                if any {
                    Ok(())
                } else {
                    Err(self.unexpected("character"))
                }
            }
            None => Err(self.unexpected("end of input")),
        }
    }

    fn object(&mut self, path: &str, depth: usize) -> Result<(), ScanError> {
        let mut seen: Vec<String> = Vec::new();
        self.skip_ws();
        if self.chars.peek() == Some(&'}') {
            self.bump();
            return Ok(());
        }
        loop {
            self.skip_ws();
            let key_pos = self.pos();
            if self.chars.peek() != Some(&'"') {
                return Err(self.unexpected("object key"));
            }
            let key = self.string()?;
            let child = member(path, &key);
            if seen.contains(&key) {
                if !self.out.duplicates.iter().any(|(p, _)| p == &child) {
                    self.out.duplicates.push((child.clone(), key_pos));
                }
            } else {
                seen.push(key);
            }
            self.expect(':', "character (expected ':')")?;
            self.value(child, depth)?;
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some('}') => return Ok(()),
                _ => return Err(self.unexpected("character (expected ',' or '}')")),
            }
        }
    }

    fn array(&mut self, path: &str, depth: usize) -> Result<(), ScanError> {
        self.skip_ws();
        if self.chars.peek() == Some(&']') {
            self.bump();
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            self.value(element(path, index), depth)?;
            index += 1;
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some(']') => return Ok(()),
                _ => return Err(self.unexpected("character (expected ',' or ']')")),
            }
        }
    }

    /// Reads a string starting at its opening quote; returns the decoded text.
    fn string(&mut self) -> Result<String, ScanError> {
        self.bump(); // opening quote
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.unexpected("end of input in a string")),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('u') => {
                        let high = self.hex4()?;
                        let c = if (0xD800..0xDC00).contains(&high)
                            && self.chars.peek() == Some(&'\\')
                        {
                            self.bump();
                            if self.bump() != Some('u') {
                                return Err(self.unexpected("escape"));
                            }
                            let low = self.hex4()?;
                            let code = 0x10000
                                + ((high - 0xD800) << 10)
                                + (low.wrapping_sub(0xDC00) & 0x3FF);
                            char::from_u32(code)
                        } else {
                            char::from_u32(high)
                        };
                        out.push(c.unwrap_or('\u{FFFD}'));
                    }
                    Some(c) => out.push(c), // \" \\ \/
                    None => return Err(self.unexpected("end of input in a string")),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ScanError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .bump()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.unexpected("\\u escape"))?;
            v = v * 16 + d;
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn maps_paths_to_value_starts() {
        let text = "{\n  \"host\": \"smtp.example.com\",\n  \"port\": 587,\n  \"auth\": { \"pass\": \"x\" },\n  \"templates\": [\n    {\"usageType\": \"SignIn\"},\n    {\"usageType\": 1}\n  ]\n}";
        let p = scan(text).unwrap();
        let cases = [
            ("$", at(1, 1)),
            ("$.host", at(2, 11)),
            ("$.port", at(3, 11)),
            ("$.auth", at(4, 11)),
            ("$.auth.pass", at(4, 21)),
            ("$.templates", at(5, 16)),
            ("$.templates[0]", at(6, 5)),
            ("$.templates[0].usageType", at(6, 19)),
            ("$.templates[1].usageType", at(7, 19)),
        ];
        for (path, want) in cases {
            assert_eq!(p.get(path), Some(want), "{path}");
        }
        assert_eq!(p.get("$.nope"), None);
        assert_eq!(p.nearest("$.auth.user"), at(4, 11));
        assert_eq!(p.nearest("$.templates[1].content"), at(7, 5));
        assert_eq!(p.nearest("$.missing[\"a.b\"]"), at(1, 1));
    }

    #[test]
    fn columns_count_characters_and_escapes_decode() {
        let text = "{\"é\\u00e9\": \"ü\", \"a b\": [true, null], \"k\\\"q\": 1}";
        let p = scan(text).unwrap();
        assert_eq!(p.get("$[\"éé\"]"), Some(at(1, 13)));
        assert_eq!(p.get("$[\"a b\"][1]"), Some(at(1, 32)));
        assert_eq!(p.get("$[\"k\\\"q\"]"), Some(at(1, 47)));
    }

    #[test]
    fn duplicate_keys_keep_the_last_position() {
        let p = scan("{\"port\": 1,\n \"port\": 2}").unwrap();
        assert_eq!(p.get("$.port"), Some(at(2, 10)));
        assert_eq!(p.duplicates(), &[("$.port".to_string(), at(2, 2))]);
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(scan(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(matches!(scan(&deep), Err(ScanError::TooDeep { .. })));
    }

    #[test]
    fn malformed_text_is_an_error_not_a_panic() {
        for text in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":}",
            "[1,",
            "\"abc",
            "{\"a\":1 \"b\":2}",
            "\"\\u12\"",
        ] {
            assert!(scan(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn paths_quote_non_identifier_keys() {
        assert_eq!(member("$", "host"), "$.host");
        assert_eq!(member("$", "a b"), "$[\"a b\"]");
        assert_eq!(member("$", "2x"), "$[\"2x\"]");
        assert_eq!(element("$.templates", 3), "$.templates[3]");
        assert_eq!(parent("$.a[\"x]\"]"), Some("$.a"));
        assert_eq!(parent("$.a[2]"), Some("$.a"));
        assert_eq!(parent("$.a"), Some("$"));
        assert_eq!(parent("$"), None);
    }
}
