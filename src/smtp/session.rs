//! One SMTP connection: a bounded reply reader over plain TCP or TLS, every read and write
//! under a timeout, every line in the transcript (credentials only in masked form).

use super::reply::{Reply, ReplyError, read_reply};
use super::transcript::Transcript;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

#[derive(Debug, PartialEq, Eq)]
pub enum StepError {
    Timeout(Duration),
    Reply(ReplyError),
    Io(String),
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepError::Timeout(d) => write!(f, "no answer within {:.1} s", d.as_secs_f64()),
            StepError::Reply(e) => write!(f, "{e}"),
            StepError::Io(e) => write!(f, "{e}"),
        }
    }
}

pub struct Session {
    pub reader: BufReader<Box<dyn Io>>,
    pub transcript: Transcript,
    /// Per-read/-write limit: the connector's socketTimeout, capped by the probe's own.
    pub step: Duration,
}

impl Session {
    pub fn new(io: Box<dyn Io>, transcript: Transcript, step: Duration) -> Session {
        Session {
            reader: BufReader::with_capacity(8192, io),
            transcript,
            step,
        }
    }

    /// Reads one reply within `wait`.
    pub async fn reply_within(&mut self, wait: Duration) -> Result<Reply, StepError> {
        match tokio::time::timeout(wait, read_reply(&mut self.reader)).await {
            Err(_) => {
                self.transcript
                    .event(format!("no reply within {:.1} s", wait.as_secs_f64()));
                Err(StepError::Timeout(wait))
            }
            Ok(Err(e)) => {
                self.transcript.event(format!("reply error: {e}"));
                Err(StepError::Reply(e))
            }
            Ok(Ok(reply)) => {
                self.transcript.server(reply.wire_lines());
                Ok(reply)
            }
        }
    }

    pub async fn reply(&mut self) -> Result<Reply, StepError> {
        self.reply_within(self.step).await
    }

    async fn write_line(&mut self, wire: &str) -> Result<(), StepError> {
        let bytes = format!("{wire}\r\n");
        let write = async {
            self.reader.get_mut().write_all(bytes.as_bytes()).await?;
            self.reader.get_mut().flush().await
        };
        match tokio::time::timeout(self.step, write).await {
            Err(_) => Err(StepError::Timeout(self.step)),
            Ok(Err(e)) => Err(StepError::Io(e.to_string())),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Sends a message after DATA's 354: dot-stuffed (RFC 5321 4.5.2), CRLF line ends, then
    /// the terminating `.`; the transcript gets its size only. Reads the final reply.
    pub async fn send_data(&mut self, message: &[u8]) -> Result<Reply, StepError> {
        let mut wire = Vec::with_capacity(message.len() + message.len() / 50 + 8);
        for line in message.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.first() == Some(&b'.') {
                wire.push(b'.');
            }
            wire.extend_from_slice(line);
            wire.extend_from_slice(b"\r\n");
        }
        // split() yields an empty last piece after a final newline: drop its CRLF.
        if message.ends_with(b"\n") {
            wire.truncate(wire.len() - 2);
        }
        wire.extend_from_slice(b".\r\n");
        self.transcript
            .client(&format!("(message, {} bytes on the wire) .", wire.len()));
        // The whole body gets one socketTimeout-bounded write per 64 KiB.
        for chunk in wire.chunks(64 * 1024) {
            let write = self.reader.get_mut().write_all(chunk);
            match tokio::time::timeout(self.step, write).await {
                Err(_) => return Err(StepError::Timeout(self.step)),
                Ok(Err(e)) => return Err(StepError::Io(e.to_string())),
                Ok(Ok(())) => {}
            }
        }
        let _ = tokio::time::timeout(self.step, self.reader.get_mut().flush()).await;
        self.reply().await
    }

    /// Sends a command (recorded as is) and reads its reply.
    pub async fn command(&mut self, line: &str) -> Result<Reply, StepError> {
        self.transcript.client(line);
        self.write_line(line).await?;
        self.reply().await
    }

    /// Sends a line that carries a credential; only `shown` reaches the transcript.
    pub async fn command_secret(&mut self, wire: &str, shown: &str) -> Result<Reply, StepError> {
        self.transcript.client(shown);
        self.write_line(wire).await?;
        self.reply().await
    }

    /// Bytes the server sent beyond the last reply (must be none right after STARTTLS's 220).
    pub fn buffered(&self) -> usize {
        self.reader.buffer().len()
    }

    /// Best effort, bounded: QUIT and close.
    pub async fn quit(&mut self) {
        let wait = self.step.min(Duration::from_secs(2));
        self.transcript.client("QUIT");
        if tokio::time::timeout(wait, self.write_line("QUIT"))
            .await
            .is_ok()
        {
            let _ = self.reply_within(wait).await;
        }
        let _ = tokio::time::timeout(wait, self.reader.get_mut().shutdown()).await;
    }
}
