//! Reading one HTTP/1.1 response off a stream, with every part bounded: the head at
//! [`MAX_HEAD`] bytes and [`MAX_HEADERS`] fields, the body at the caller's limit, a chunk-size
//! line at `MAX_CHUNK_LINE` bytes. The body is framed as RFC 9112 section 6.3 says:
//! `Transfer-Encoding: chunked`, else `Content-Length`, else until the connection closes.
//! A read error once the head is in counts as the end of the body (TLS peers often close
//! without close_notify); a body cut short is marked `truncated`.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Header bytes read before giving up on the response.
pub const MAX_HEAD: usize = 16 * 1024;
/// Header fields kept.
pub const MAX_HEADERS: usize = 100;
/// The longest chunk-size line accepted (extensions included).
const MAX_CHUNK_LINE: usize = 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// Field names lower-cased, values trimmed, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked), at most the caller's limit.
    pub body: Vec<u8>,
    /// The body was longer than the limit, or ended before its declared length.
    pub truncated: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Buffered reads over the stream, stopping for good at the first EOF or error.
struct Reader<'s, S> {
    s: &'s mut S,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<S: AsyncRead + Unpin> Reader<'_, S> {
    /// Reads more; false when nothing more will come.
    async fn fill(&mut self) -> bool {
        if self.done {
            return false;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let mut chunk = [0u8; 4096];
        match self.s.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                self.done = true;
                false
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Up to `n` bytes (fewer only at the end of the stream).
    async fn take(&mut self, n: usize, out: &mut Vec<u8>) {
        let mut left = n;
        while left > 0 {
            if self.available().is_empty() && !self.fill().await {
                return;
            }
            let k = left.min(self.available().len());
            out.extend_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
            left -= k;
        }
    }

    /// Skips `n` bytes; false if the stream ended first.
    async fn skip(&mut self, n: usize) -> bool {
        let mut left = n;
        while left > 0 {
            if self.available().is_empty() && !self.fill().await {
                return false;
            }
            let k = left.min(self.available().len());
            self.pos += k;
            left -= k;
        }
        true
    }

    /// A CRLF-terminated line, without the CRLF; None past the end or over `max`.
    async fn line(&mut self, max: usize) -> Option<String> {
        loop {
            if let Some(i) = self.available().windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.pos..self.pos + i]).to_string();
                self.pos += i + 2;
                return Some(line);
            }
            if self.available().len() > max || !self.fill().await {
                return None;
            }
        }
    }
}

/// The status line and the fields: a [`Response`] without its body yet.
fn parse_head(head: &str) -> Result<Response, String> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("not an HTTP/1.x response: {status_line:.60}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .filter(|c| (100..1000).contains(c))
        .ok_or_else(|| format!("bad status line: {status_line:.60}"))?;
    let reason = parts.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .take(MAX_HEADERS)
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Response {
        status,
        reason,
        headers,
        ..Response::default()
    })
}

/// Reads the response: the whole head, and at most `max_body` bytes of the body.
pub async fn read<S: AsyncRead + Unpin>(s: &mut S, max_body: usize) -> Result<Response, String> {
    let mut r = Reader {
        s,
        buf: Vec::new(),
        pos: 0,
        done: false,
    };
    let head_end = loop {
        let end = r.buf.windows(4).position(|w| w == b"\r\n\r\n");
        if end.unwrap_or(r.buf.len()) > MAX_HEAD {
            return Err(format!("response headers longer than {MAX_HEAD} bytes"));
        }
        if let Some(i) = end {
            break i;
        }
        if !r.fill().await {
            return Err("the connection closed before a complete HTTP response".into());
        }
    };
    let head = String::from_utf8_lossy(&r.buf[..head_end]).to_string();
    r.pos = head_end + 4;
    let mut response = parse_head(&head)?;
    let status = response.status;
    if status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(response);
    }
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let length = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    let mut body = Vec::new();
    if chunked {
        loop {
            let Some(line) = r.line(MAX_CHUNK_LINE).await else {
                response.truncated = true;
                break;
            };
            let size_text = line.split(';').next().unwrap_or_default().trim();
            let Ok(size) = usize::from_str_radix(size_text, 16) else {
                return Err(format!("bad chunk size line: {line:.40}"));
            };
            if size == 0 {
                break;
            }
            let room = max_body - body.len();
            r.take(size.min(room), &mut body).await;
            if size > room {
                response.truncated = true;
                break;
            }
            if !r.skip(2).await {
                response.truncated = body.len() < max_body;
                break;
            }
        }
    } else if let Some(len) = length {
        r.take(len.min(max_body), &mut body).await;
        response.truncated = len > max_body || body.len() < len;
    } else {
        r.take(max_body, &mut body).await;
        if body.len() == max_body && (!r.available().is_empty() || r.fill().await) {
            response.truncated = true;
        }
    }
    response.body = body;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(raw: &[u8], max: usize) -> Result<Response, String> {
        let mut s = raw;
        read(&mut s, max).await
    }

    #[tokio::test]
    async fn content_length_chunked_and_close_framing() {
        let r = parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA",
            100,
        )
        .await
        .unwrap();
        assert_eq!((r.status, r.reason.as_str()), (200, "OK"));
        assert_eq!(r.body, b"hello");
        assert_eq!(r.header("x-a"), Some("b"));
        assert!(!r.truncated);

        let r = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
            100,
        )
        .await
        .unwrap();
        assert_eq!(r.body, b"{\"a\":1}");
        assert!(!r.truncated);

        let r = parse(b"HTTP/1.0 500 Oops\r\n\r\nuntil close", 100)
            .await
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (500, &b"until close"[..]));
    }

    #[tokio::test]
    async fn bodies_are_bounded() {
        let r = parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
            4,
        )
        .await
        .unwrap();
        assert_eq!((r.body.as_slice(), r.truncated), (&b"0123"[..], true));
        let r = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n",
            4,
        )
        .await
        .unwrap();
        assert_eq!((r.body.as_slice(), r.truncated), (&b"0123"[..], true));
        let r = parse(b"HTTP/1.1 200 OK\r\n\r\n0123456789", 4)
            .await
            .unwrap();
        assert!(r.truncated);
        // A declared length the peer never sends is marked too.
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01", 100)
            .await
            .unwrap();
        assert_eq!((r.body.as_slice(), r.truncated), (&b"01"[..], true));
    }

    #[tokio::test]
    async fn hostile_heads_are_refused() {
        assert!(parse(b"SSH-2.0-x\r\n\r\n", 10).await.is_err());
        assert!(parse(b"HTTP/1.1 abc\r\n\r\n", 10).await.is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\n", 10).await.is_err());
        let long = format!(
            "HTTP/1.1 200 OK\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEAD + 10)
        );
        let err = parse(long.as_bytes(), 10)
            .await
            .map(|r| r.status)
            .unwrap_err();
        assert!(err.contains("longer"), "{err}");
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert!(parse(bad, 10).await.unwrap_err().contains("chunk"));
        let endless = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            "1".repeat(5000)
        );
        let r = parse(endless.as_bytes(), 10).await.unwrap();
        assert!(r.truncated && r.body.is_empty());
    }
}
