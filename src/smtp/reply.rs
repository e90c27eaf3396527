//! SMTP replies (RFC 5321 4.2), read with hard bounds: a hostile or broken server can send
//! endless lines, endless continuations or no line end at all, and none of that may cost
//! more than a few KiB or hang past the phase's timeout (the caller wraps every read).

use serde::Serialize;
use std::fmt;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers stay far below. We
/// accept up to 2 KiB so as not to fail on a verbose banner.
pub const MAX_LINE_BYTES: usize = 2048;
/// Continuation lines in one reply (a long EHLO list has ~20).
pub const MAX_LINES: usize = 100;

/// One complete reply: the code and the text of each line (after `250-` / `250 `).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    pub fn class(&self) -> u16 {
        self.code / 100
    }

    /// The reply as nodemailer quotes it in its error messages: every line as sent, code
    /// and separator included, joined with `\n` — its `_onData` appends each continuation
    /// line to the pending response with `'\n' + line`, and `_formatError` appends that
    /// whole string (`Invalid login: 535-5.7.8 …\n535 5.7.8 …`).
    pub fn nodemailer_text(&self) -> String {
        match self.lines.len() {
            0 => self.code.to_string(),
            1 => self.summary(),
            _ => self.wire_lines().join("\n"),
        }
    }

    /// One line for our own messages: `535 5.7.8 Bad credentials` (the code and the last
    /// line's text).
    pub fn summary(&self) -> String {
        match self.lines.last() {
            Some(text) if !text.is_empty() => format!("{} {}", self.code, text),
            _ => self.code.to_string(),
        }
    }

    /// Every line as sent on the wire (`250-…`, last one `250 …`), for the transcript.
    pub fn wire_lines(&self) -> Vec<String> {
        let n = self.lines.len();
        self.lines
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let sep = if i + 1 == n { ' ' } else { '-' };
                format!("{}{}{}", self.code, sep, text)
            })
            .collect()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum ReplyError {
    /// The server closed the connection (before or in the middle of a reply).
    Closed,
    LineTooLong,
    TooManyLines,
    /// Not `DDD` followed by space, dash or the line end; or the code changed mid-reply.
    Malformed(String),
    Io(String),
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::Closed => f.write_str("the server closed the connection"),
            ReplyError::LineTooLong => write!(f, "a reply line longer than {MAX_LINE_BYTES} bytes"),
            ReplyError::TooManyLines => write!(f, "a reply of more than {MAX_LINES} lines"),
            ReplyError::Malformed(line) => write!(f, "not an SMTP reply line: {line:?}"),
            ReplyError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// One line without its CRLF (a bare LF is tolerated), at most [`MAX_LINE_BYTES`].
/// `Ok(None)` at a clean end of stream before any byte of the line.
pub async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<Option<Vec<u8>>, ReplyError> {
    let mut line = Vec::new();
    loop {
        let buf = r
            .fill_buf()
            .await
            .map_err(|e| ReplyError::Io(e.to_string()))?;
        if buf.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(ReplyError::Closed)
            };
        }
        let (take, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if line.len() + take > MAX_LINE_BYTES + 2 {
            return Err(ReplyError::LineTooLong);
        }
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if done {
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            return Ok(Some(line));
        }
    }
}

/// Parses one reply line: `(code, is_last, text)`.
pub fn parse_line(line: &[u8]) -> Result<(u16, bool, String), ReplyError> {
    let text = String::from_utf8_lossy(line);
    let malformed = || ReplyError::Malformed(text.chars().take(80).collect());
    let digits = line.get(..3).ok_or_else(malformed)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&digits[0]) {
        return Err(malformed());
    }
    let code = u16::from(digits[0] - b'0') * 100
        + u16::from(digits[1] - b'0') * 10
        + u16::from(digits[2] - b'0');
    let (last, rest) = match line.get(3) {
        None => (true, &[][..]),
        Some(b' ') => (true, &line[4..]),
        Some(b'-') => (false, &line[4..]),
        Some(_) => return Err(malformed()),
    };
    Ok((code, last, String::from_utf8_lossy(rest).into_owned()))
}

/// Reads one whole reply, continuation lines included, within the bounds.
pub async fn read_reply<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<Reply, ReplyError> {
    let mut lines = Vec::new();
    let mut code = None;
    loop {
        let line = read_line(r).await?.ok_or(ReplyError::Closed)?;
        let (c, last, text) = parse_line(&line)?;
        if *code.get_or_insert(c) != c {
            return Err(ReplyError::Malformed(
                String::from_utf8_lossy(&line).into_owned(),
            ));
        }
        if lines.len() == MAX_LINES {
            return Err(ReplyError::TooManyLines);
        }
        lines.push(text);
        if last {
            return Ok(Reply { code: c, lines });
        }
    }
}

/// EHLO keywords (upper-cased first word of each line after the greeting line).
pub fn ehlo_keywords(reply: &Reply) -> Vec<String> {
    reply
        .lines
        .iter()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(|w| w.split('=').next().unwrap_or(w).to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(bytes: &[u8]) -> Result<Reply, ReplyError> {
        let mut r = tokio::io::BufReader::new(bytes);
        read_reply(&mut r).await
    }

    #[tokio::test]
    async fn multi_line_reply() {
        let r = read(b"250-mx.test Hello\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n")
            .await
            .unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.lines, ["mx.test Hello", "STARTTLS", "AUTH PLAIN LOGIN"]);
        assert_eq!(ehlo_keywords(&r), ["STARTTLS", "AUTH"]);
        assert_eq!(r.summary(), "250 AUTH PLAIN LOGIN");
        assert_eq!(r.wire_lines()[0], "250-mx.test Hello");
        assert_eq!(r.wire_lines()[2], "250 AUTH PLAIN LOGIN");
        assert_eq!(
            r.nodemailer_text(),
            "250-mx.test Hello\n250-STARTTLS\n250 AUTH PLAIN LOGIN"
        );
    }

    /// Gmail's refusal as nodemailer quotes it: both lines, with their codes.
    #[tokio::test]
    async fn nodemailer_quotes_every_line() {
        let r = read(b"535-5.7.8 Username and Password not accepted.\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials\r\n")
            .await
            .unwrap();
        assert_eq!(
            r.nodemailer_text(),
            "535-5.7.8 Username and Password not accepted.\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials"
        );
        let one = read(b"535 5.7.8 no\r\n").await.unwrap();
        assert_eq!(one.nodemailer_text(), "535 5.7.8 no");
        assert_eq!(read(b"220\n").await.unwrap().nodemailer_text(), "220");
    }

    #[tokio::test]
    async fn bare_code_and_lf_only() {
        let r = read(b"220\n").await.unwrap();
        assert_eq!((r.code, r.summary()), (220, "220".to_string()));
    }

    #[tokio::test]
    async fn bounds_and_malformed() {
        let long = [b"220 ".to_vec(), vec![b'x'; 5000], b"\r\n".to_vec()].concat();
        assert_eq!(read(&long).await, Err(ReplyError::LineTooLong));
        let many: Vec<u8> = (0..200).flat_map(|_| b"250-x\r\n".to_vec()).collect();
        assert_eq!(read(&many).await, Err(ReplyError::TooManyLines));
        assert!(matches!(
            read(b"HTTP/1.1 400\r\n").await,
            Err(ReplyError::Malformed(_))
        ));
        assert!(matches!(
            read(b"250-a\r\n251 b\r\n").await,
            Err(ReplyError::Malformed(_))
        ));
        assert_eq!(read(b"").await, Err(ReplyError::Closed));
        assert_eq!(read(b"250-half").await, Err(ReplyError::Closed));
        // A TLS ServerHello where a banner was expected is not a reply.
        assert!(matches!(
            read(b"\x16\x03\x03\x00\x31\n").await,
            Err(ReplyError::Malformed(_))
        ));
    }
}
