//! The SMTP conversation as evidence: every line with its direction and time. Credentials
//! never enter it: the session gives the masked form of each secret-bearing line itself
//! (see `Session::send_secret`), so there is nothing to scrub afterwards.

use serde::Serialize;
use std::time::Instant;

/// A transcript keeps at most this many lines (a hostile server cannot grow it).
pub const MAX_LINES: usize = 400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Sent by the probe.
    Client,
    /// Received from the server.
    Server,
    /// What happened in between (connect, TLS handshake, a timeout).
    Event,
}

#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub at_ms: f64,
    pub dir: Direction,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Transcript {
    started: Instant,
    pub lines: Vec<Line>,
    pub truncated: bool,
}

impl Transcript {
    pub fn new(started: Instant) -> Self {
        Transcript {
            started,
            lines: Vec::new(),
            truncated: false,
        }
    }

    fn push(&mut self, dir: Direction, text: String) {
        if self.lines.len() >= MAX_LINES {
            self.truncated = true;
            return;
        }
        let at_ms = (self.started.elapsed().as_secs_f64() * 1e4).round() / 10.0;
        self.lines.push(Line { at_ms, dir, text });
    }

    /// A command as sent. Never call this with a line that carries a credential.
    pub fn client(&mut self, text: &str) {
        self.push(Direction::Client, text.to_string());
    }

    pub fn server(&mut self, wire_lines: Vec<String>) {
        for l in wire_lines {
            self.push(Direction::Server, l);
        }
    }

    pub fn event(&mut self, text: impl Into<String>) {
        self.push(Direction::Event, text.into());
    }

    /// `C: EHLO x` / `S: 250 …` / `*  connected…` lines for the text reports.
    pub fn render(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                let tag = match l.dir {
                    Direction::Client => "C:",
                    Direction::Server => "S:",
                    Direction::Event => "* ",
                };
                format!("{:>8.1} ms {tag} {}", l.at_ms, l.text)
            })
            .collect();
        if self.truncated {
            out.push(format!("(transcript cut at {MAX_LINES} lines)"));
        }
        out
    }
}
