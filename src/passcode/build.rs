//! The RFC 5322 message nodemailer builds for Logto's `sendMail({from, replyTo, to, subject,
//! text|html, headers})`: From = fromEmail, a single text/plain or text/html part (Logto gives
//! no text alternative for HTML), Subject encoded when not ASCII, Date, Message-ID on the From
//! domain, MIME-Version, and the config's customHeaders.

use std::time::{SystemTime, UNIX_EPOCH};

/// The header that marks mailpreflight's test mail (unless `--no-test-marker`).
pub const TEST_HEADER: &str = "X-Mailpreflight-Test";
/// Messages larger than this are refused before signing or sending.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

pub struct MessageSpec<'a> {
    /// fromEmail as written (`noreply@example.com` or `Name <noreply@example.com>`).
    pub from: &'a str,
    /// The From domain (for the Message-ID).
    pub from_domain: &'a str,
    pub to: &'a str,
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    pub html: bool,
    pub custom_headers: &'a [(String, Vec<String>)],
    pub test_marker: bool,
    /// Seconds since the epoch (the Date header), and a random token for the Message-ID.
    pub now: u64,
    pub token: &'a str,
}

pub struct Built {
    pub bytes: Vec<u8>,
    pub message_id: String,
    pub subject: String,
}

/// Random bytes from the OS (Linux `/dev/urandom`); a hash of the time as a fallback. Used
/// for the test passcode and the Message-ID, not for secrets.
pub fn random_u64() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
    {
        return u64::from_le_bytes(b);
    }
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(SystemTime::now())
}

/// Six random digits, as Logto's passcodes.
pub fn random_code() -> String {
    format!("{:06}", random_u64() % 1_000_000)
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// RFC 5322 date-time in UTC, e.g. `Wed, 02 Dec 2026 03:04:09 +0000`.
pub fn rfc5322_date(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// RFC 2047 encoded-word (UTF-8, base64) when the text is not plain ASCII.
pub fn encode_header_text(text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.to_string();
    }
    use base64::Engine;
    // Encoded words stay under 75 characters: split the text on character boundaries.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// Quoted-printable (RFC 2045 6.7) with CRLF line ends and soft breaks at 76 characters.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut width = 0;
        let bytes = line.as_bytes();
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
            let piece = if (b == b' ' || b == b'\t') && last
                || b == b'='
                || !(0x20..0x7f).contains(&b) && b != b'\t'
            {
                format!("={b:02X}")
            } else {
                (b as char).to_string()
            };
            if width + piece.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
    }
    out
}

fn needs_qp(body: &str) -> bool {
    !body.is_ascii() || body.lines().any(|l| l.len() > 998)
}

/// Builds the message bytes (CRLF line ends).
pub fn build(spec: &MessageSpec<'_>) -> Built {
    let subject = if spec.test_marker {
        format!("[test] {}", spec.subject)
    } else {
        spec.subject.to_string()
    };
    let message_id = format!("<{}@{}>", spec.token, spec.from_domain);
    let kind = if spec.html { "html" } else { "plain" };
    let qp = needs_qp(spec.body);
    let mut h: Vec<String> = vec![
        format!("Content-Type: text/{kind}; charset=utf-8"),
        format!("From: {}", spec.from.trim()),
        format!("To: {}", spec.to),
    ];
    if let Some(r) = spec.reply_to {
        h.push(format!("Reply-To: {}", r.trim()));
    }
    h.push(format!("Subject: {}", encode_header_text(&subject)));
    h.push(format!("Message-ID: {message_id}"));
    h.push(format!(
        "Content-Transfer-Encoding: {}",
        if qp { "quoted-printable" } else { "7bit" }
    ));
    h.push(format!("Date: {}", rfc5322_date(spec.now)));
    h.push("MIME-Version: 1.0".into());
    for (name, values) in spec.custom_headers.iter().take(100) {
        // A header name with CR/LF or a colon would inject headers: skip it (the config
        // check reports customHeaders that are not plain strings).
        if name.is_empty() || name.contains([':', '\r', '\n', ' ']) {
            continue;
        }
        for v in values.iter().take(20) {
            let v = v.replace(['\r', '\n'], " ");
            h.push(format!("{name}: {}", encode_header_text(&v)));
        }
    }
    if spec.test_marker {
        h.push(format!(
            "{TEST_HEADER}: yes (a test passcode mail sent by mailpreflight)"
        ));
    }
    let body = if qp {
        quoted_printable(spec.body)
    } else {
        spec.body.replace("\r\n", "\n").replace('\n', "\r\n")
    };
    let mut text = h.join("\r\n");
    text.push_str("\r\n\r\n");
    text.push_str(&body);
    if !text.ends_with("\r\n") {
        text.push_str("\r\n");
    }
    Built {
        bytes: text.into_bytes(),
        message_id,
        subject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_796_180_649),
            "Wed, 02 Dec 2026 03:04:09 +0000"
        );
        assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn encodings() {
        assert_eq!(encode_header_text("Your code"), "Your code");
        assert_eq!(encode_header_text("Código"), "=?UTF-8?B?Q8OzZGlnbw==?=");
        assert_eq!(quoted_printable("a=b é"), "a=3Db =C3=A9");
        assert_eq!(quoted_printable("trailing \nx"), "trailing=20\r\nx");
        let long = "x".repeat(200);
        assert!(quoted_printable(&long).lines().all(|l| l.len() <= 76));
    }

    #[test]
    fn message_shape() {
        let built = build(&MessageSpec {
            from: "Logto <noreply@example.com>",
            from_domain: "example.com",
            to: "user@example.org",
            reply_to: Some("help@example.com"),
            subject: "Your code",
            body: "Code: 123456\n",
            html: false,
            custom_headers: &[
                ("X-Tag".into(), vec!["otp".into()]),
                ("Bad:Name".into(), vec!["x".into()]),
            ],
            test_marker: true,
            now: 0,
            token: "abc",
        });
        let text = String::from_utf8(built.bytes).unwrap();
        assert!(text.starts_with("Content-Type: text/plain; charset=utf-8\r\nFrom: Logto <noreply@example.com>\r\nTo: user@example.org\r\nReply-To: help@example.com\r\nSubject: [test] Your code\r\nMessage-ID: <abc@example.com>\r\n"));
        assert!(text.contains("\r\nX-Tag: otp\r\n"));
        assert!(!text.contains("Bad:Name"));
        assert!(text.contains("\r\nX-Mailpreflight-Test: yes"));
        assert!(text.ends_with("\r\n\r\nCode: 123456\r\n"));
        assert_eq!(built.message_id, "<abc@example.com>");
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..50 {
            let c = random_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
