//! The SMTP probe: connects as nodemailer would for this config (every resolved address,
//! implicit TLS or STARTTLS by its rules, its servername rule, its AUTH choice), times each
//! phase under its own timeout, and names the classic mistakes without waiting out
//! nodemailer's own timeouts. It never sends a message: it stops at `MAIL FROM` + `RSET`.

use super::codes;
use super::facts::{AuthFacts, Phase, Prediction, SmtpFacts, TlsFacts, Verdict};
use super::reply::ReplyError;
use super::session::{Session, StepError};
use super::transcript::Transcript;
use crate::config::Secret;
use crate::config::nodemailer::{AuthChoice, ConnectionPlan, messages};
use crate::config::providers::Provider;
use crate::dns::Dns;
use crate::report::{CodeInfo, Finding};
use std::time::{Duration, Instant};

mod auth;
mod connect;
mod envelope;
mod handshake;
#[cfg(test)]
mod testing;

pub use envelope::queue_id;
use handshake::Negotiated;

/// How a phase ends the probe early: with the session to QUIT, or `None` when the
/// connection is already gone (or must be dropped without QUIT, as nodemailer does).
type Ended = Option<Session>;

/// Everything the probe needs, already validated.
#[derive(Clone)]
pub struct ProbeInput {
    pub plan: ConnectionPlan,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub oauth2_access_token: Option<Secret>,
    /// The envelope sender nodemailer will use (`""` for `MAIL FROM:<>`); `None`: not known.
    pub envelope_from: Option<String>,
    /// Why the envelope is not what the operator wrote (e.g. fromEmail without a domain).
    pub envelope_problem: Option<String>,
    /// The certificate authorities Node would trust for this connector.
    pub trust: crate::smtp::trust::NodeTrust,
    pub allow_plaintext_auth: bool,
    pub ehlo_name: String,
    /// The longest the probe waits for any one step (connect, reply, handshake).
    pub step_cap: Duration,
    /// How long to wait for a banner before also trying TLS on a second connection.
    pub banner_patience: Duration,
    pub provider: Option<&'static Provider>,
    /// `send`: deliver this message to this one recipient instead of stopping at MAIL FROM.
    pub delivery: Option<Delivery>,
    /// Probe only: the recipient RCPT TO asks for (`--to`); `None`: the documented probe
    /// address (`envelope::RCPT_PROBE_ADDRESS`).
    pub rcpt_probe: Option<String>,
}

/// One message for one recipient: sent once, never retried.
#[derive(Clone)]
pub struct Delivery {
    pub to: String,
    pub message: Vec<u8>,
}

pub struct ProbeResult {
    pub facts: SmtpFacts,
    pub findings: Vec<Finding>,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 10.0
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

struct Probe<'a> {
    input: &'a ProbeInput,
    started: Instant,
    findings: Vec<Finding>,
    phases: Vec<Phase>,
    fatal: Option<(String, Option<String>)>,
    wrongly: Vec<String>,
    unknown: Vec<String>,
    facts_tls: Option<TlsFacts>,
    auth: AuthFacts,
    subject: String,
}

impl Probe<'_> {
    fn finding(&mut self, code: &'static CodeInfo, message: impl Into<String>) -> &mut Finding {
        self.findings
            .push(Finding::new(code, self.subject.clone(), message));
        self.findings.last_mut().expect("just pushed")
    }

    fn phase(&mut self, name: &'static str, since: Instant, outcome: impl Into<String>) {
        self.phases.push(Phase {
            name,
            elapsed_ms: ms(since.elapsed()),
            outcome: outcome.into(),
        });
    }

    /// The first fatal event decides the operator's message.
    fn fail(&mut self, message: impl Into<String>, shown_after: Option<String>) {
        if self.fatal.is_none() {
            self.fatal = Some((message.into(), shown_after));
        }
    }

    fn step(&self) -> Duration {
        self.input.plan.timeouts.socket.min(self.input.step_cap)
    }
}

fn step_failure(p: &mut Probe<'_>, what: &str, e: &StepError) {
    let endpoint = format!("{}:{}", p.input.plan.host, p.input.plan.port.unwrap_or(0));
    match e {
        StepError::Timeout(d) => {
            p.finding(
                &codes::PHASE_TIMEOUT,
                format!("{endpoint}: no reply to {what} within {}", secs(*d)),
            );
            let socket = p.input.plan.timeouts.socket;
            let mut after = format!("after socketTimeout ({})", secs(socket));
            if *d < socket {
                // --smtp-timeout cut the wait short, as in connect_any.
                after.push_str(&format!("; the probe gave up after {}", secs(*d)));
            }
            p.fail(messages::SOCKET_TIMEOUT, Some(after));
        }
        StepError::Reply(ReplyError::Closed) | StepError::Io(_) => {
            p.finding(
                &codes::CONNECTION_DROPPED,
                format!("{endpoint}: the server closed the connection during {what}"),
            );
            p.fail("Connection closed unexpectedly", None);
        }
        StepError::Reply(bound @ (ReplyError::LineTooLong | ReplyError::TooManyLines)) => {
            p.finding(
                &codes::PROTOCOL_ERROR,
                format!("{endpoint}: {what}: {bound}"),
            );
            // The bound is the probe's, not nodemailer's: nodemailer buffers without limit
            // and goes on if the reply ever ends, so no message of its own can be predicted.
            p.unknown.push(format!("the probe stopped reading at {bound}; nodemailer has no such limit and keeps waiting for the end of the reply (greetingTimeout, then socketTimeout), so what it does next depends on the server"));
        }
        StepError::Reply(other) => {
            p.finding(
                &codes::PROTOCOL_ERROR,
                format!("{endpoint}: {what}: {other}"),
            );
            p.fail(format!("Invalid response: {other}"), None);
        }
    }
}

/// Runs the probe. Never fails: every problem is a finding, and the prediction says what
/// the connector will do.
pub async fn run(dns: &Dns, input: &ProbeInput) -> ProbeResult {
    let started = Instant::now();
    let plan = &input.plan;
    let endpoint = format!(
        "{}:{}",
        plan.host,
        plan.port.map_or("(invalid)".to_string(), |p| p.to_string())
    );
    let mut p = Probe {
        input,
        started,
        findings: Vec::new(),
        phases: Vec::new(),
        fatal: None,
        wrongly: Vec::new(),
        unknown: Vec::new(),
        facts_tls: None,
        auth: AuthFacts::default(),
        subject: endpoint.clone(),
    };
    let mut t = Transcript::new(started);
    let mut facts = SmtpFacts {
        endpoint: endpoint.clone(),
        plan: plan.clone(),
        provider: input.provider.map(|p| p.name),
        addresses: Vec::new(),
        addresses_found_by: None,
        connected_to: None,
        banner: None,
        ehlo: Vec::new(),
        ehlo_after_starttls: None,
        tls: None,
        auth: AuthFacts::default(),
        mail_from: None,
        mail_from_reply: None,
        rcpt_to: None,
        rcpt_to_reply: None,
        delivery: None,
        phases: Vec::new(),
        prediction: Prediction {
            verdict: Verdict::CannotTell,
            operator_message: None,
            shown_after: None,
            reasons: Vec::new(),
        },
        transcript: Vec::new(),
        elapsed_ms: 0.0,
    };
    if let Some(why) = &input.envelope_problem {
        p.wrongly.push(why.clone());
    }
    for warning in &input.trust.warnings {
        p.finding(&codes::TLS_EXTRA_CA_UNUSABLE, warning.clone());
    }
    let session = session_phases(&mut p, dns, &mut facts, &mut t).await;
    if let Some(mut s) = session {
        s.quit().await;
        t = s.transcript;
    }
    facts.tls = p.facts_tls.take();
    facts.auth = std::mem::take(&mut p.auth);
    facts.phases = std::mem::take(&mut p.phases);
    facts.prediction = predict(&mut p);
    facts.transcript = t.lines;
    facts.elapsed_ms = ms(started.elapsed());
    ProbeResult {
        facts,
        findings: p.findings,
    }
}

fn predict(p: &mut Probe<'_>) -> Prediction {
    if let Some((message, after)) = p.fatal.take() {
        let mut reasons = std::mem::take(&mut p.wrongly);
        reasons.extend(std::mem::take(&mut p.unknown));
        return Prediction {
            verdict: Verdict::WillFail,
            operator_message: Some(message),
            shown_after: after,
            reasons,
        };
    }
    if !p.unknown.is_empty() {
        let mut reasons = std::mem::take(&mut p.unknown);
        reasons.extend(std::mem::take(&mut p.wrongly));
        return Prediction {
            verdict: Verdict::CannotTell,
            operator_message: None,
            shown_after: None,
            reasons,
        };
    }
    if !p.wrongly.is_empty() {
        return Prediction {
            verdict: Verdict::WillSendWrongly,
            operator_message: None,
            shown_after: None,
            reasons: std::mem::take(&mut p.wrongly),
        };
    }
    Prediction {
        verdict: Verdict::WillSend,
        operator_message: None,
        shown_after: None,
        reasons: vec!["connected, TLS and login as nodemailer will do them succeeded, and the server accepts the sender".into()],
    }
}

/// The session up to the point where the connector would send. Returns the open session
/// (for QUIT) when there is one.
async fn session_phases(
    p: &mut Probe<'_>,
    dns: &Dns,
    facts: &mut SmtpFacts,
    t: &mut Transcript,
) -> Option<Session> {
    // 1–4: resolve, connect, implicit TLS, banner.
    let (s, tls_active) = match connect::open(p, dns, facts, t).await {
        Ok(opened) => opened,
        Err(end) => return end,
    };
    // 5–6: EHLO, STARTTLS by nodemailer's rule, the certificate gate.
    let Negotiated {
        session: mut s,
        last_ehlo,
        tls_active,
        advertised,
    } = match handshake::negotiate(p, s, facts, t, tls_active).await {
        Ok(n) => n,
        Err(end) => return end,
    };

    // 7. AUTH as nodemailer would choose it.
    let logged_in = auth::auth(p, &mut s, &last_ehlo, tls_active, advertised).await;
    if p.fatal.is_some() {
        return Some(s);
    }

    // 8. The envelope sender, then RSET: nothing is sent.
    let skipped_login = matches!(p.auth.choice, Some(AuthChoice::Use { .. })) && !logged_in;
    if let Some(from) = p.input.envelope_from.clone()
        && !skipped_login
    {
        let delivering = p.input.delivery.is_some();
        let accepted = envelope::mail_from(p, &mut s, &from, facts, advertised, !delivering).await;
        if accepted && delivering {
            envelope::deliver(p, &mut s, facts).await;
        }
    } else if p.input.delivery.is_some() {
        p.auth.result.push_str("; nothing sent");
    }
    Some(s)
}

/// Ends the session without QUIT (nodemailer just closes the socket after an error),
/// keeping its transcript for the report.
fn abandon(s: Session, t: &mut Transcript) -> Option<Session> {
    *t = s.transcript;
    None
}

/// Bytes from the server as the report shows them: lossy text, at most 80 characters.
fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().take(80).collect()
}
