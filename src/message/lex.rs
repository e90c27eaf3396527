//! Comments and quoted strings (RFC 5322 3.2.2, 3.2.4), shared by the field parsers.
//!
//! Comments nest; the depth is counted, never recursed into, so a hostile `((((…` costs a
//! loop and no stack.

/// From the `(` at `start`: the index just after its matching `)`, or `None` when the
/// comment is never closed. A backslash quotes the next byte.
pub fn comment_end(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// From the `"` at `start`: the index just after the closing quote, or `None`.
pub fn quoted_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The content of a comment or quoted string with its delimiters gone and quoted-pairs
/// resolved (`\)` → `)`); whitespace runs become one space.
pub fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    let mut space = false;
    while let Some(c) = chars.next() {
        let c = if c == '\\' {
            chars.next().unwrap_or('\\')
        } else {
            c
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// `text` with every comment (nested ones included) replaced by a space: what is left of
/// a structured value once CFWS is read as whitespace.
pub fn strip_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'"' => i = quoted_end(b, i).unwrap_or(b.len()),
            b'(' => {
                out.push_str(&text[copied..i]);
                out.push(' ');
                i = comment_end(b, i).unwrap_or(b.len());
                copied = i;
            }
            _ => i += 1,
        }
    }
    if copied < b.len() {
        out.push_str(&text[copied..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_nest_and_quote() {
        let cases: &[(&str, Option<usize>)] = &[
            ("(a)", Some(3)),
            ("(a (b) c) d", Some(9)),
            (r"(a \) b)", Some(8)),
            ("(a (b)", None),
            ("(", None),
            (r"(\", None),
        ];
        for (text, end) in cases {
            assert_eq!(comment_end(text.as_bytes(), 0), *end, "{text}");
        }
        assert_eq!(quoted_end(br#""a \" b" c"#, 0), Some(8));
        assert_eq!(quoted_end(b"\"open", 0), None);
        assert_eq!(unescape(r" a \) \\  b "), r"a ) \ b");
        assert_eq!(
            strip_comments("a (x (y)) b \"(q)\" (open"),
            "a   b \"(q)\"  "
        );
    }

    #[test]
    fn deep_nesting_costs_no_stack() {
        let deep = "(".repeat(100_000) + &")".repeat(100_000);
        assert_eq!(comment_end(deep.as_bytes(), 0), Some(deep.len()));
        assert_eq!(strip_comments(&deep), " ");
    }
}
