//! What the probe learned, as report facts (serialised in the JSON report, drawn by the
//! text reporters), and the prediction of what the real connector will do.

use super::tls::{CertVerdict, CertificateFacts};
use super::transcript::Line;
use crate::config::nodemailer::{AuthChoice, ConnectionPlan};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The connector will connect, log in as configured, and the server accepts the sender.
    WillSend,
    /// It will send, but not as the operator meant (no login, empty MAIL FROM, in clear…).
    WillSendWrongly,
    WillFail,
    /// Something decisive could not be checked (said in `reasons`).
    CannotTell,
}

impl Verdict {
    pub fn headline(self) -> &'static str {
        match self {
            Verdict::WillSend => "the connector will send",
            Verdict::WillSendWrongly => "the connector will send, but wrongly",
            Verdict::WillFail => "the connector will fail",
            Verdict::CannotTell => "cannot tell whether the connector will send",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    pub verdict: Verdict,
    /// The `error.message` the operator would see in Logto's console (nodemailer's text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_message: Option<String>,
    /// When the operator would see it, e.g. "after greetingTimeout (30 s)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown_after: Option<String>,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub elapsed_ms: f64,
    /// `ok`, or what went wrong.
    pub outcome: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TlsFacts {
    /// `implicit` or `starttls`.
    pub mode: &'static str,
    pub version: String,
    pub cipher: String,
    /// The name the certificate was checked against (nodemailer's servername rule).
    pub checked_name: String,
    pub sni: Option<String>,
    pub certificate: CertVerdict,
    /// What Node would say about the certificate (None when trusted).
    pub node_message: Option<String>,
    /// Whether the connector checks certificates at all (tls.rejectUnauthorized).
    pub verification_enabled: bool,
    /// Which roots the certificate was checked against (Node's rule: tls.ca alone, or the
    /// bundled roots plus NODE_EXTRA_CA_CERTS, or a system store per NODE_OPTIONS).
    pub trusted_roots: String,
    pub chain: Vec<CertificateFacts>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct AuthFacts {
    /// Mechanisms advertised before TLS (None: no AUTH line).
    pub offered_before_tls: Option<Vec<String>>,
    /// Mechanisms advertised after STARTTLS (None: no AUTH line, or no STARTTLS).
    pub offered_after_tls: Option<Vec<String>>,
    /// What nodemailer does about AUTH after the last EHLO.
    pub choice: Option<AuthChoice>,
    /// `accepted`, `rejected: <reply>`, `not attempted: <why>`.
    pub result: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeliveryFacts {
    pub to: String,
    /// RCPT TO's reply, then the final reply after the message (with the queue id).
    pub rcpt_reply: Option<String>,
    pub final_reply: Option<String>,
    /// The server's queue id when its reply names one (`queued as X`, `id=X`).
    pub queue_id: Option<String>,
    pub accepted: bool,
    pub bytes: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct SmtpFacts {
    /// `host:port` as nodemailer will connect.
    pub endpoint: String,
    pub plan: ConnectionPlan,
    pub provider: Option<&'static str>,
    pub addresses: Vec<String>,
    /// How the addresses were found (nodemailer's order: IP literal, resolve4, resolve6,
    /// getaddrinfo).
    pub addresses_found_by: Option<String>,
    pub connected_to: Option<String>,
    pub banner: Option<String>,
    /// EHLO keywords before TLS (after it for implicit TLS).
    pub ehlo: Vec<String>,
    pub ehlo_after_starttls: Option<Vec<String>>,
    pub tls: Option<TlsFacts>,
    pub auth: AuthFacts,
    /// The envelope sender tried with `MAIL FROM` (then `RSET`: nothing is sent).
    pub mail_from: Option<String>,
    pub mail_from_reply: Option<String>,
    /// The probe's RCPT TO (`--to`, else the documented probe address) and its reply; RSET
    /// follows, never DATA.
    pub rcpt_to: Option<String>,
    pub rcpt_to_reply: Option<String>,
    /// `send`: what happened to the one message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryFacts>,
    pub phases: Vec<Phase>,
    pub prediction: Prediction,
    /// The session, credentials masked as `***`.
    pub transcript: Vec<Line>,
    pub elapsed_ms: f64,
}
