//! The SMTP probe: connects as nodemailer would for this config (every resolved address,
//! implicit TLS or STARTTLS by its rules, its servername rule, its AUTH choice), times each
//! phase under its own timeout, and names the classic mistakes without waiting out
//! nodemailer's own timeouts. It never sends a message: it stops at `MAIL FROM` + `RSET`.

use super::codes;
use super::facts::{AuthFacts, Phase, Prediction, SmtpFacts, TlsFacts, Verdict};
use super::reply::{Reply, ReplyError, ehlo_keywords};
use super::session::{Io, Session, StepError};
use super::tls::{self, CertVerdict, HandshakeFailure, RecordingVerifier};
use super::transcript::Transcript;
use crate::config::Secret;
use crate::config::nodemailer::{
    AuthChoice, ConnectionPlan, Mechanism, PlannedAuth, StartTlsPolicy, advertised_mechanisms,
    choose_auth_mechanism, messages,
};
use crate::config::providers::Provider;
use crate::dns::{Dns, Outcome, RType};
use crate::report::{CodeInfo, Evidence, Finding};
use base64::Engine;
use rustls::pki_types::ServerName;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

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
    pub ca_pem: Vec<String>,
    pub allow_plaintext_auth: bool,
    pub ehlo_name: String,
    /// The longest the probe waits for any one step (connect, reply, handshake).
    pub step_cap: Duration,
    /// How long to wait for a banner before also trying TLS on a second connection.
    pub banner_patience: Duration,
    pub provider: Option<&'static Provider>,
    /// `send`: deliver this message to this one recipient instead of stopping at MAIL FROM.
    pub delivery: Option<Delivery>,
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

/// Resolves the host as nodemailer does: an IP literal as is, `localhost` to loopback,
/// anything else through the run's DNS layer (so `--zone` and `--nameserver` apply).
async fn resolve(dns: &Dns, host: &str) -> Result<Vec<IpAddr>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    if bare.eq_ignore_ascii_case("localhost") {
        return Ok(vec![IpAddr::from([127, 0, 0, 1])]);
    }
    let (a, aaaa) = tokio::join!(dns.query(bare, RType::A), dns.query(bare, RType::AAAA));
    let mut ips: Vec<IpAddr> = a.ips();
    ips.extend(aaaa.ips());
    ips.truncate(16);
    if !ips.is_empty() {
        return Ok(ips);
    }
    let why = |o: &Outcome| o.label();
    Err(format!(
        "A: {}, AAAA: {}",
        why(&a.outcome),
        why(&aaaa.outcome)
    ))
}

enum Connected {
    Stream(TcpStream, SocketAddr),
    Failed,
}

async fn connect_any(
    p: &mut Probe<'_>,
    ips: &[IpAddr],
    port: u16,
    t: &mut Transcript,
) -> Connected {
    let limit = p.input.plan.timeouts.connection.min(p.input.step_cap);
    let mut last: Option<(&'static CodeInfo, String, Option<String>)> = None;
    for ip in ips {
        let addr = SocketAddr::new(*ip, port);
        let since = Instant::now();
        t.event(format!("connecting to {addr}"));
        match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                p.phase("connect", since, format!("ok ({addr})"));
                t.event(format!("connected to {addr}"));
                return Connected::Stream(stream, addr);
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                p.phase("connect", since, format!("refused ({addr})"));
                t.event(format!("{addr}: connection refused"));
                last = Some((
                    &codes::CONNECTION_REFUSED,
                    messages::connection_refused(&ip.to_string(), port),
                    None,
                ));
            }
            Ok(Err(e)) => {
                p.phase("connect", since, format!("{e} ({addr})"));
                t.event(format!("{addr}: {e}"));
                last = Some((
                    &codes::CONNECTION_REFUSED,
                    format!("connect {e} {addr}"),
                    None,
                ));
            }
            Err(_) => {
                p.phase(
                    "connect",
                    since,
                    format!("timed out after {} ({addr})", secs(limit)),
                );
                t.event(format!("{addr}: no answer within {}", secs(limit)));
                let full = p.input.plan.timeouts.connection;
                let shown =
                    (limit >= full).then(|| format!("after connectionTimeout ({})", secs(full)));
                last = Some((
                    &codes::CONNECT_TIMEOUT,
                    messages::CONNECTION_TIMEOUT.to_string(),
                    shown.or_else(|| {
                        Some(format!(
                            "after connectionTimeout ({}); the probe gave up after {}",
                            secs(full),
                            secs(limit)
                        ))
                    }),
                ));
            }
        }
    }
    if let Some((code, message, after)) = last {
        let endpoint = format!("{}:{port}", p.input.plan.host);
        let tried = ips
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        p.finding(code, format!("{endpoint}: {message} (tried {tried})"));
        p.fail(message, after);
    }
    Connected::Failed
}

fn server_name(plan: &ConnectionPlan) -> Option<ServerName<'static>> {
    let name = plan
        .verify_name
        .trim_start_matches('[')
        .trim_end_matches(']');
    ServerName::try_from(name.to_string()).ok()
}

fn tls_connector(p: &Probe<'_>) -> Result<(TlsConnector, Arc<RecordingVerifier>), String> {
    let min13 = p
        .input
        .plan
        .tls_min_version
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("TLSv1.3"));
    let (config, verifier) = tls::client_config(&p.input.ca_pem, min13)?;
    Ok((TlsConnector::from(config), verifier))
}

/// Handshakes, records the TLS facts and the certificate verdict. `Err` = no TLS session.
async fn handshake(
    p: &mut Probe<'_>,
    io: Box<dyn Io>,
    mode: &'static str,
    t: &mut Transcript,
) -> Result<Box<dyn Io>, HandshakeFailure> {
    let since = Instant::now();
    let (connector, verifier) = match tls_connector(p) {
        Ok(c) => c,
        Err(e) => {
            p.finding(&codes::TLS_HANDSHAKE_FAILED, e.clone());
            p.fail(e.clone(), None);
            return Err(HandshakeFailure::Other { detail: e });
        }
    };
    let Some(name) = server_name(&p.input.plan) else {
        let e = format!(
            "{} is not a valid TLS server name",
            p.input.plan.verify_name
        );
        p.finding(&codes::TLS_HANDSHAKE_FAILED, e.clone());
        p.fail(e.clone(), None);
        return Err(HandshakeFailure::Other { detail: e });
    };
    let limit = p.step();
    t.event(format!(
        "TLS handshake ({mode}), checking the certificate for {}",
        p.input.plan.verify_name
    ));
    let result = tokio::time::timeout(limit, connector.connect(name, io)).await;
    let stream = match result {
        Err(_) => {
            p.phase("tls", since, format!("timed out after {}", secs(limit)));
            t.event("TLS handshake timed out");
            return Err(HandshakeFailure::Other {
                detail: format!("no handshake within {}", secs(limit)),
            });
        }
        Ok(Err(e)) => {
            let failure = tls::classify_handshake_error(&e);
            p.phase("tls", since, format!("failed: {e}"));
            t.event(format!("TLS handshake failed: {e}"));
            return Err(failure);
        }
        Ok(Ok(s)) => s,
    };
    let (_, conn) = stream.get_ref();
    let version = conn.protocol_version().map_or("unknown".to_string(), |v| {
        format!("{v:?}").replace("TLSv1_", "TLS 1.")
    });
    let cipher = conn
        .negotiated_cipher_suite()
        .map_or("unknown".to_string(), |c| format!("{:?}", c.suite()));
    p.phase("tls", since, format!("ok ({version}, {cipher})"));
    t.event(format!("TLS established: {version}, {cipher}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (verdict, chain_der) = verifier.outcome().unwrap_or((
        CertVerdict::Other {
            reason: "no certificate seen".into(),
        },
        Vec::new(),
    ));
    let chain: Vec<_> = chain_der
        .iter()
        .filter_map(|c| tls::certificate_facts(c, now))
        .collect();
    let plan = &p.input.plan;
    let altnames: Vec<String> = chain
        .first()
        .map(|c| c.san_dns.iter().chain(&c.san_ip).cloned().collect())
        .unwrap_or_default();
    let node_message = verdict.node_message(&plan.verify_name, &altnames);
    let facts = TlsFacts {
        mode,
        version,
        cipher,
        checked_name: plan.verify_name.clone(),
        sni: plan.sni.clone(),
        certificate: verdict.clone(),
        node_message: node_message.clone(),
        verification_enabled: plan.verify_certificates,
        chain,
    };
    certificate_findings(p, &facts, node_message);
    p.facts_tls = Some(facts);
    Ok(Box::new(stream))
}

fn certificate_findings(p: &mut Probe<'_>, facts: &TlsFacts, node_message: Option<String>) {
    let leaf = facts.chain.first();
    let desc = leaf.map_or(String::new(), |c| {
        format!(
            " (subject {}, issuer {}, names [{}], valid until {})",
            c.subject,
            c.issuer,
            c.san_dns
                .iter()
                .chain(&c.san_ip)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            c.not_after
        )
    });
    if let Some(message) = node_message {
        let code = match &facts.certificate {
            CertVerdict::SelfSigned | CertVerdict::SelfSignedInChain => &codes::TLS_SELF_SIGNED,
            CertVerdict::UntrustedIssuer => &codes::TLS_UNTRUSTED,
            CertVerdict::Expired => &codes::TLS_EXPIRED,
            CertVerdict::NotYetValid => &codes::TLS_NOT_YET_VALID,
            CertVerdict::NameMismatch { .. } => &codes::TLS_NAME_MISMATCH,
            _ => &codes::TLS_VERIFY_FAILED,
        };
        if facts.verification_enabled {
            let trusted_by = if p.input.ca_pem.is_empty() {
                "the public roots Node trusts"
            } else {
                "the CAs in tls.ca (which replace the public roots)"
            };
            let name = facts.checked_name.clone();
            p.finding(code, format!("the certificate for {name} fails verification against {trusted_by}: {message}{desc}"))
                .evidence
                .push(Evidence::Value { label: "node-error".into(), value: message.clone() });
            p.fail(message, None);
        } else {
            p.finding(&codes::TLS_NOT_VERIFIED, format!("tls.rejectUnauthorized is false, and the certificate would fail verification: {message}{desc}; anyone on the path can read the passcode mail and the password"))
                .set_severity(crate::report::Severity::Error);
        }
    }
    if let Some(leaf) = leaf {
        if (0..21).contains(&leaf.days_left) {
            let days = leaf.days_left;
            p.finding(
                &codes::TLS_EXPIRES_SOON,
                format!(
                    "the certificate expires in {days} days ({})",
                    leaf.not_after
                ),
            );
        }
        if leaf.key == "RSA" && leaf.key_bits.is_some_and(|b| b < 2048) {
            let bits = leaf.key_bits.unwrap_or_default();
            p.finding(
                &codes::TLS_WEAK_KEY,
                format!("the certificate has a {bits}-bit RSA key"),
            );
        }
    }
}

/// After a failed implicit-TLS handshake: does the port speak plaintext SMTP instead?
async fn plaintext_banner(addr: SocketAddr, wait: Duration) -> Option<String> {
    let stream = tokio::time::timeout(wait, TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    let mut s = Session::new(Box::new(stream), Transcript::new(Instant::now()), wait);
    let reply = s.reply().await.ok()?;
    s.quit().await;
    Some(reply.summary())
}

/// While no banner arrives: does the port speak TLS from the first byte instead?
async fn speaks_tls(p: &Probe<'_>, addr: SocketAddr) -> Option<String> {
    let limit = p.input.step_cap;
    let (connector, _) = tls_connector(p).ok()?;
    let name = server_name(&p.input.plan)?;
    let stream = tokio::time::timeout(limit, TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    let tls = tokio::time::timeout(limit, connector.connect(name, stream))
        .await
        .ok()?
        .ok()?;
    let version = tls.get_ref().1.protocol_version().map(|v| format!("{v:?}"));
    version.map(|v| v.replace("TLSv1_", "TLS 1."))
}

fn handshake_failure_finding(p: &mut Probe<'_>, failure: &HandshakeFailure, mode: &str) {
    let endpoint = format!("{}:{}", p.input.plan.host, p.input.plan.port.unwrap_or(0));
    match failure {
        HandshakeFailure::Incompatible { detail } | HandshakeFailure::Other { detail }
            if matches!(failure, HandshakeFailure::Incompatible { .. }) =>
        {
            let legacy_allowed = p.input.plan.tls_min_version.as_deref().is_some_and(|v| {
                v.eq_ignore_ascii_case("TLSv1") || v.eq_ignore_ascii_case("TLSv1.1")
            });
            p.finding(
                &codes::TLS_LEGACY_ONLY,
                format!("{endpoint} completes no TLS 1.2/1.3 handshake ({mode}): {detail}"),
            );
            if legacy_allowed {
                p.unknown.push("tls.minVersion allows TLS 1.0/1.1, which this probe cannot speak: Node may still connect".into());
            } else {
                p.fail(messages::TLS_DISCONNECTED, None);
            }
        }
        HandshakeFailure::Closed => {
            p.finding(&codes::TLS_LEGACY_ONLY, format!("{endpoint} closed the connection during the TLS handshake ({mode}); servers that speak only TLS 1.0/1.1 do this"));
            p.fail(messages::TLS_DISCONNECTED, None);
        }
        HandshakeFailure::NotTls => {
            p.finding(
                &codes::TLS_HANDSHAKE_FAILED,
                format!(
                    "{endpoint} answered the TLS handshake ({mode}) with something that is not TLS"
                ),
            );
            p.fail(messages::WRONG_VERSION_NUMBER, None);
        }
        HandshakeFailure::Incompatible { detail } | HandshakeFailure::Other { detail } => {
            p.finding(
                &codes::TLS_HANDSHAKE_FAILED,
                format!("{endpoint}: TLS handshake ({mode}) failed: {detail}"),
            );
            p.fail(format!("TLS handshake failed: {detail}"), None);
        }
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
        connected_to: None,
        banner: None,
        ehlo: Vec::new(),
        ehlo_after_starttls: None,
        tls: None,
        auth: AuthFacts::default(),
        mail_from: None,
        mail_from_reply: None,
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
    let plan = p.input.plan.clone();
    let Some(port) = plan.port else {
        p.finding(&codes::CONNECTION_REFUSED, "the port is not a usable TCP port (nodemailer's Number(port) gives no port between 1 and 65535)");
        p.fail("connect: invalid port", None);
        return None;
    };
    // 1. Resolve.
    let since = Instant::now();
    let ips = match resolve(dns, &plan.host).await {
        Ok(ips) => ips,
        Err(why) => {
            p.phase("resolve", since, format!("failed: {why}"));
            p.finding(
                &codes::HOST_UNRESOLVABLE,
                format!("{} has no address ({why})", plan.host),
            );
            p.fail(format!("getaddrinfo ENOTFOUND {}", plan.host), None);
            return None;
        }
    };
    p.phase("resolve", since, format!("ok ({} address(es))", ips.len()));
    facts.addresses = ips.iter().map(ToString::to_string).collect();

    // 2. Connect.
    let (stream, addr) = match connect_any(p, &ips, port, t).await {
        Connected::Stream(s, a) => (s, a),
        Connected::Failed => return None,
    };
    facts.connected_to = Some(addr.to_string());
    let step = p.step();

    // 3. Implicit TLS first, or the plaintext banner.
    let mut tls_active = false;
    let io: Box<dyn Io> = if plan.implicit_tls {
        match handshake(p, Box::new(stream), "implicit", t).await {
            Ok(io) => {
                tls_active = true;
                io
            }
            Err(HandshakeFailure::NotTls) => {
                match plaintext_banner(addr, p.input.step_cap).await {
                    Some(banner) => {
                        t.event(format!("a plaintext connection gets the banner: {banner}"));
                        p.finding(&codes::SECURE_ON_STARTTLS_PORT, format!("secure: true, but {} speaks plaintext SMTP first (banner \"{banner}\"): it is a STARTTLS port", p.subject))
                            .evidence
                            .push(Evidence::Value { label: "plaintext-banner".into(), value: banner });
                        p.fail(
                            format!(
                                "…SSL routines::{} (OpenSSL)",
                                messages::WRONG_VERSION_NUMBER
                            ),
                            Some("at once".into()),
                        );
                    }
                    None => handshake_failure_finding(p, &HandshakeFailure::NotTls, "implicit"),
                }
                return None;
            }
            Err(other) => {
                handshake_failure_finding(p, &other, "implicit");
                return None;
            }
        }
    } else {
        Box::new(stream)
    };
    let mut s = Session::new(io, std::mem::replace(t, Transcript::new(p.started)), step);

    // 4. Banner (racing a TLS attempt when it is late, to name a TLS port at once).
    let since = Instant::now();
    let greeting = plan.timeouts.greeting.min(Duration::from_secs(120));
    let outcome = if tls_active {
        match s.reply_within(greeting).await {
            Ok(r) => BannerOutcome::Reply(r),
            Err(e) => BannerOutcome::Failed(e),
        }
    } else {
        let patience = p.input.banner_patience;
        let probe: &Probe<'_> = p;
        let race = async {
            tokio::time::sleep(patience).await;
            speaks_tls(probe, addr).await
        };
        tokio::pin!(race);
        let read = s.reply_within(greeting);
        tokio::pin!(read);
        let mut raced = false;
        loop {
            tokio::select! {
                r = &mut read => break match r {
                    Ok(r) => BannerOutcome::Reply(r),
                    Err(e) => BannerOutcome::Failed(e),
                },
                v = &mut race, if !raced => {
                    raced = true;
                    if let Some(version) = v {
                        break BannerOutcome::TlsPort(version);
                    }
                }
            }
        }
    };
    let banner = match outcome {
        BannerOutcome::Reply(reply) => reply,
        BannerOutcome::TlsPort(version) => {
            p.phase("banner", since, "none: the port speaks TLS first");
            s.transcript.event(format!("no banner after {}; a second connection completes a TLS handshake ({version}) at once", secs(p.input.banner_patience)));
            p.finding(&codes::PLAINTEXT_ON_TLS_PORT, format!("secure: false, but {} speaks TLS from the first byte ({version}): it is an implicit-TLS port", p.subject));
            greeting_never_received(p);
            return Some(s);
        }
        BannerOutcome::Failed(StepError::Timeout(d)) => {
            p.phase("banner", since, format!("none within {}", secs(d)));
            p.finding(
                &codes::GREETING_TIMEOUT,
                format!(
                    "{} accepted the connection but sent no greeting within {} (greetingTimeout)",
                    p.subject,
                    secs(d)
                ),
            );
            greeting_never_received(p);
            return Some(s);
        }
        BannerOutcome::Failed(e) => {
            p.phase("banner", since, format!("failed: {e}"));
            step_failure(p, "the greeting", &e);
            return abandon(s, t);
        }
    };
    let waited = since.elapsed();
    p.phase(
        "banner",
        since,
        format!(
            "{} after {}",
            banner.code,
            secs(Duration::from_millis(waited.as_millis() as u64))
        ),
    );
    facts.banner = Some(banner.summary());
    if banner.code != 220 {
        p.finding(
            &codes::BAD_GREETING,
            format!("{} greets with \"{}\"", p.subject, banner.summary()),
        );
        p.fail(messages::invalid_greeting(&banner.nodemailer_text()), None);
        return Some(s);
    }
    if waited >= Duration::from_secs(3) || waited * 3 >= plan.timeouts.greeting {
        p.finding(
            &codes::SLOW_BANNER,
            format!(
                "the greeting took {:.1} s; greetingTimeout is {}",
                waited.as_secs_f64(),
                secs(plan.timeouts.greeting)
            ),
        );
    }

    // 5. EHLO (HELO fallback unless requireTLS).
    let first = match ehlo(p, &mut s, plan.starttls != StartTlsPolicy::Always).await {
        Some(r) => r,
        None => return Some(s),
    };
    facts.ehlo = ehlo_keywords(&first);
    let mut last_ehlo = first.lines.clone();
    p.auth.offered_before_tls = advertised_mechanisms(&first.lines);
    let advertised = facts.ehlo.iter().any(|k| k == "STARTTLS");

    // 6. STARTTLS by nodemailer's rule.
    if !tls_active && plan.sends_starttls(advertised) {
        let since = Instant::now();
        let reply = match s.command("STARTTLS").await {
            Ok(r) => r,
            Err(e) => {
                p.phase("starttls", since, format!("failed: {e}"));
                step_failure(p, "STARTTLS", &e);
                return abandon(s, t);
            }
        };
        if reply.code != 220 {
            p.phase("starttls", since, format!("refused: {}", reply.summary()));
            let why = if advertised {
                "refuses STARTTLS"
            } else {
                "does not offer STARTTLS"
            };
            p.finding(
                &codes::STARTTLS_UNAVAILABLE,
                format!(
                    "requireTLS is set and {} {why} (\"{}\")",
                    p.subject,
                    reply.summary()
                ),
            );
            p.fail(messages::starttls_failed(&reply.nodemailer_text()), None);
            return Some(s);
        }
        if s.buffered() > 0 {
            p.phase(
                "starttls",
                since,
                "220, with more data before the handshake",
            );
            let extra = s.reader.buffer().to_vec();
            starttls_injection(p, &extra);
            s.transcript.event(format!(
                "{} byte(s) after the 220: {:?}",
                extra.len(),
                shown(&extra)
            ));
            return abandon(s, t);
        }
        p.phase("starttls", since, "220");
        let mut transcript = std::mem::replace(&mut s.transcript, Transcript::new(p.started));
        let io = s.reader.into_inner();
        match handshake(p, io, "starttls", &mut transcript).await {
            Ok(io) => {
                s = Session::new(io, transcript, step);
                tls_active = true;
            }
            Err(f) => {
                *t = transcript;
                handshake_failure_finding(p, &f, "STARTTLS");
                return None;
            }
        }
        let Some(ehlo2) = ehlo(p, &mut s, plan.starttls != StartTlsPolicy::Always).await else {
            return Some(s);
        };
        facts.ehlo_after_starttls = Some(ehlo_keywords(&ehlo2));
        p.auth.offered_after_tls = advertised_mechanisms(&ehlo2.lines);
        last_ehlo = ehlo2.lines.clone();
    } else if !tls_active {
        let why = match plan.starttls {
            StartTlsPolicy::Never if advertised => {
                "ignoreTLS is set, so nodemailer never upgrades although the server offers STARTTLS"
            }
            StartTlsPolicy::Never => "ignoreTLS is set and the server offers no STARTTLS",
            _ => "the server offers no STARTTLS",
        };
        p.finding(
            &codes::NO_TLS,
            format!(
                "{}: {why}; the passcode mail crosses the network in clear",
                p.subject
            ),
        );
        p.wrongly.push(format!("no encryption: {why}"));
    }
    let tls_ok = tls_active
        && p.facts_tls
            .as_ref()
            .is_some_and(|f| f.certificate == CertVerdict::Trusted || !f.verification_enabled);
    if tls_active && !tls_ok {
        // nodemailer stops at the certificate; credentials are not offered to this server.
        p.auth.result = "not attempted: the certificate fails verification, so the connector stops before AUTH (credentials withheld)".into();
        return Some(s);
    }

    // 7. AUTH as nodemailer would choose it.
    let logged_in = auth(p, &mut s, &last_ehlo, tls_active, advertised).await;
    if p.fatal.is_some() {
        return Some(s);
    }

    // 8. The envelope sender, then RSET: nothing is sent.
    let skipped_login = matches!(p.auth.choice, Some(AuthChoice::Use { .. })) && !logged_in;
    if let Some(from) = p.input.envelope_from.clone()
        && !skipped_login
    {
        let delivering = p.input.delivery.is_some();
        let accepted = mail_from(p, &mut s, &from, facts, advertised, !delivering).await;
        if accepted && delivering {
            deliver(p, &mut s, facts).await;
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

/// Data that came with STARTTLS's 220, before the handshake. nodemailer does not discard
/// it: `_onData` has already queued every complete line of the chunk, `_actionSTARTTLS`
/// starts the handshake, and the next `_processResponse` finds a line with no command
/// waiting for it: `Unexpected Response: <line>`, and the connection is closed. So the
/// probe stops here too (no handshake, no credentials to a server that does this).
/// Without a complete line, or with a `250-` continuation, nodemailer keeps the bytes and
/// the outcome depends on what follows, which the probe does not guess.
fn starttls_injection(p: &mut Probe<'_>, extra: &[u8]) {
    let text = String::from_utf8_lossy(extra);
    let mut lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    lines.pop(); // what follows the last line end: not a line (yet)
    p.finding(
        &codes::STARTTLS_INJECTION,
        format!(
            "{} sent {} more byte(s) after \"220\" to STARTTLS, before the TLS handshake: {:?}",
            p.subject,
            extra.len(),
            shown(extra)
        ),
    );
    let continued = lines.iter().any(|l| {
        l.len() > 3 && l.as_bytes()[..3].iter().all(u8::is_ascii_digit) && l.as_bytes()[3] == b'-'
    });
    match lines.first() {
        Some(first) if !continued => p.fail(messages::unexpected_response(first), None),
        _ => p.unknown.push("the server sent data after STARTTLS's 220 that nodemailer keeps for later; what it then does depends on that data".into()),
    }
}

/// nodemailer's verdict when no greeting arrives: shown only once greetingTimeout has passed.
fn greeting_never_received(p: &mut Probe<'_>) {
    let after = format!(
        "after greetingTimeout ({})",
        secs(p.input.plan.timeouts.greeting)
    );
    p.fail(messages::GREETING_NEVER_RECEIVED, Some(after));
}

enum BannerOutcome {
    Reply(Reply),
    /// No banner, but a second connection completed a TLS handshake (version).
    TlsPort(String),
    Failed(StepError),
}

async fn ehlo(p: &mut Probe<'_>, s: &mut Session, helo_fallback: bool) -> Option<Reply> {
    let since = Instant::now();
    let name = p.input.ehlo_name.clone();
    match s.command(&format!("EHLO {name}")).await {
        Ok(r) if r.code == 250 => {
            p.phase("ehlo", since, "250");
            Some(r)
        }
        Ok(r) => {
            if helo_fallback {
                match s.command(&format!("HELO {name}")).await {
                    Ok(h) if h.code == 250 => {
                        p.phase(
                            "ehlo",
                            since,
                            format!("EHLO refused ({}), HELO accepted", r.summary()),
                        );
                        return Some(Reply {
                            code: 250,
                            lines: vec![h.lines.first().cloned().unwrap_or_default()],
                        });
                    }
                    Ok(h) => {
                        p.finding(
                            &codes::EHLO_REJECTED,
                            format!(
                                "EHLO {name} → \"{}\", HELO → \"{}\"",
                                r.summary(),
                                h.summary()
                            ),
                        );
                        p.fail(messages::invalid_helo(&h.nodemailer_text()), None);
                    }
                    Err(e) => step_failure(p, "HELO", &e),
                }
            } else {
                p.finding(
                    &codes::EHLO_REJECTED,
                    format!(
                        "EHLO {name} → \"{}\"; requireTLS is set, so nodemailer does not try HELO",
                        r.summary()
                    ),
                );
                p.fail(
                    messages::ehlo_failed_require_tls(&r.nodemailer_text()),
                    None,
                );
            }
            p.phase("ehlo", since, format!("refused: {}", r.summary()));
            None
        }
        Err(e) => {
            p.phase("ehlo", since, format!("failed: {e}"));
            step_failure(p, "EHLO", &e);
            None
        }
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// Returns whether the probe logged in.
async fn auth(
    p: &mut Probe<'_>,
    s: &mut Session,
    last_ehlo: &[String],
    tls_active: bool,
    starttls_offered: bool,
) -> bool {
    let plan = p.input.plan.clone();
    let choice = choose_auth_mechanism(&plan, last_ehlo);
    p.auth.choice = Some(choice.clone());
    let endpoint = p.subject.clone();
    match choice {
        AuthChoice::NotConfigured => {
            p.auth.result = "not attempted: no credentials configured".into();
            false
        }
        AuthChoice::SkippedNotAdvertised => {
            let before_tls = p.auth.offered_before_tls.is_some();
            let why = if plan.starttls == StartTlsPolicy::Never && starttls_offered && !before_tls {
                "ignoreTLS is set and AUTH is not offered before STARTTLS".to_string()
            } else {
                format!(
                    "the {}EHLO offers no AUTH",
                    if tls_active && !plan.implicit_tls {
                        "second "
                    } else {
                        ""
                    }
                )
            };
            p.auth.result = format!("not attempted: {why}");
            p.finding(&codes::AUTH_NOT_ADVERTISED, format!("{endpoint}: {why}: nodemailer skips AUTH and sends without logging in, so a wrong password would go unnoticed"));
            p.wrongly.push(format!("no login: {why}"));
            false
        }
        AuthChoice::MissingCredentials { mechanism } => {
            p.auth.result = format!("not attempted: credentials incomplete for {mechanism}");
            p.finding(
                &codes::AUTH_MISSING_CREDENTIALS,
                format!(
                    "the server offers AUTH, but the config has {}",
                    match &plan.auth {
                        PlannedAuth::Password { user: None, .. } => "a password without auth.user",
                        _ => "auth.user without a password",
                    }
                ),
            );
            p.fail(messages::missing_credentials(&mechanism), None);
            false
        }
        AuthChoice::UnknownForcedMethod { method } => {
            p.auth.result = format!(
                "not attempted: authMethod {method} is not a mechanism nodemailer implements"
            );
            p.finding(
                &codes::AUTH_NO_COMMON_MECHANISM,
                format!("authMethod \"{method}\" is not one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2"),
            );
            p.fail(
                format!("Unsupported authentication method \"{method}\""),
                None,
            );
            false
        }
        AuthChoice::Use { mechanism, offered } => {
            if !offered && !plan.force_auth && plan.forced_auth_method.is_none() {
                let list = p
                    .auth
                    .offered_after_tls
                    .clone()
                    .or(p.auth.offered_before_tls.clone())
                    .unwrap_or_default()
                    .join(" ");
                p.finding(&codes::AUTH_NO_COMMON_MECHANISM, format!("{endpoint} offers AUTH {list}, none of which nodemailer implements; it will try AUTH PLAIN anyway"));
            }
            if !tls_active {
                p.finding(&codes::AUTH_IN_CLEAR, format!("{endpoint}: AUTH {} would be sent without TLS; the password crosses the network in clear", mechanism.name()));
                if !p.input.allow_plaintext_auth {
                    p.auth.result = "not attempted: it would cross the network in clear (--allow-plaintext-auth tests it anyway)".into();
                    p.unknown.push("the credentials were not tested: nodemailer would send them in clear, and the probe does not (--allow-plaintext-auth)".into());
                    return false;
                }
            }
            try_login(p, s, mechanism).await
        }
    }
}

async fn try_login(p: &mut Probe<'_>, s: &mut Session, mechanism: Mechanism) -> bool {
    let since = Instant::now();
    let user = p.input.user.clone().unwrap_or_default();
    let reply = match mechanism {
        Mechanism::Plain => {
            let Some(pass) = p.input.password.clone() else {
                return false;
            };
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("\0{user}\0{}", pass.expose()));
            s.command_secret(&format!("AUTH PLAIN {token}"), "AUTH PLAIN ***")
                .await
        }
        Mechanism::Login => {
            let Some(pass) = p.input.password.clone() else {
                return false;
            };
            match s.command("AUTH LOGIN").await {
                Ok(r) if r.code == 334 => match s.command(&b64(&user)).await {
                    Ok(r) if r.code == 334 => s.command_secret(&b64(pass.expose()), "***").await,
                    other => other,
                },
                other => other,
            }
        }
        Mechanism::XOAuth2 => match p.input.oauth2_access_token.clone() {
            Some(token) => {
                let raw = format!("user={user}\x01auth=Bearer {}\x01\x01", token.expose());
                s.command_secret(&format!("AUTH XOAUTH2 {}", b64(&raw)), "AUTH XOAUTH2 ***")
                    .await
            }
            None => {
                p.auth.result = "not attempted: XOAUTH2 needs an access token, which nodemailer fetches from the provider with the refresh token or service key; the probe does not call the provider".into();
                p.finding(&codes::AUTH_UNTESTED, "XOAUTH2 login not tested: no accessToken in the config (nodemailer would obtain one from the provider)");
                p.unknown.push("the OAuth2 login was not tested".into());
                return false;
            }
        },
        Mechanism::CramMd5 => {
            p.auth.result = "not attempted: CRAM-MD5 is not tested by the probe".into();
            p.finding(
                &codes::AUTH_UNTESTED,
                "nodemailer would log in with CRAM-MD5, which the probe does not test",
            );
            p.unknown.push("the CRAM-MD5 login was not tested".into());
            return false;
        }
    };
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            p.phase("auth", since, format!("failed: {e}"));
            step_failure(p, "AUTH", &e);
            return false;
        }
    };
    if reply.code == 235 {
        p.phase("auth", since, format!("235 ({})", mechanism.name()));
        p.auth.result = format!("accepted ({})", mechanism.name());
        return true;
    }
    p.phase("auth", since, format!("refused: {}", reply.summary()));
    p.auth.result = format!("rejected: {}", reply.summary());
    let hint = p
        .input
        .provider
        .and_then(|pr| pr.hint_for(&reply.summary()));
    let code = if reply.code == 504 {
        &codes::AUTH_NO_COMMON_MECHANISM
    } else {
        &codes::AUTH_FAILED
    };
    let message = format!(
        "AUTH {} as \"{user}\" → \"{}\"",
        mechanism.name(),
        reply.summary()
    );
    let f = p.finding(code, message);
    if let Some(h) = hint {
        f.remediation = h.to_string();
    }
    p.fail(messages::invalid_login(&reply.nodemailer_text()), None);
    false
}

/// `MAIL FROM`; then `RSET` when `rset` (probe only). Returns whether the server accepted.
async fn mail_from(
    p: &mut Probe<'_>,
    s: &mut Session,
    from: &str,
    facts: &mut SmtpFacts,
    starttls_offered: bool,
    rset: bool,
) -> bool {
    let since = Instant::now();
    facts.mail_from = Some(from.to_string());
    let reply = match s.command(&format!("MAIL FROM:<{from}>")).await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "MAIL FROM", &e);
            return false;
        }
    };
    facts.mail_from_reply = Some(reply.summary());
    if reply.class() == 2 {
        p.phase("mail-from", since, reply.code.to_string());
        if rset {
            let _ = s.command("RSET").await;
        }
        return true;
    }
    p.phase("mail-from", since, format!("refused: {}", reply.summary()));
    let text = reply.summary().to_ascii_lowercase();
    let wants_auth = reply.code == 530
        || text.contains("auth")
        || text.contains("not logged in")
        || text.contains("starttls");
    let logged_in = p.auth.result.starts_with("accepted");
    let plan = &p.input.plan;
    if wants_auth && !logged_in {
        if plan.starttls == StartTlsPolicy::Never && starttls_offered {
            p.finding(&codes::IGNORE_TLS_BLOCKS_AUTH, format!("ignoreTLS is set; {} offers AUTH only after STARTTLS, so nodemailer never logs in, and MAIL FROM gets \"{}\"", p.subject, reply.summary()));
        } else {
            p.finding(
                &codes::AUTH_REQUIRED,
                format!(
                    "{} refuses MAIL FROM without a login: \"{}\"",
                    p.subject,
                    reply.summary()
                ),
            );
        }
    } else {
        p.finding(
            &codes::SENDER_REJECTED,
            format!("MAIL FROM:<{from}> → \"{}\"", reply.summary()),
        );
    }
    p.fail(
        messages::mail_command_failed(&reply.nodemailer_text()),
        None,
    );
    false
}

/// The queue id in a final reply: Postfix `queued as 4Xyz`, Exim `id=1abc`, else None.
pub fn queue_id(reply: &str) -> Option<String> {
    let lower = reply.to_ascii_lowercase();
    for marker in ["queued as ", "id=", "ok: "] {
        if let Some(at) = lower.find(marker) {
            let id: String = reply[at + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-._@<>".contains(*c))
                .take(128)
                .collect();
            if !id.is_empty() {
                return Some(id.trim_matches(['<', '>']).to_string());
            }
        }
    }
    None
}

/// RCPT TO the one recipient, DATA, the message. Once: never retried, so never sent twice.
async fn deliver(p: &mut Probe<'_>, s: &mut Session, facts: &mut SmtpFacts) {
    let Some(d) = p.input.delivery.as_ref() else {
        return;
    };
    let (to, message) = (d.to.clone(), d.message.clone());
    let mut out = super::facts::DeliveryFacts {
        to: to.clone(),
        rcpt_reply: None,
        final_reply: None,
        queue_id: None,
        accepted: false,
        bytes: message.len(),
    };
    let since = Instant::now();
    let rcpt = match s.command(&format!("RCPT TO:<{to}>")).await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "RCPT TO", &e);
            facts.delivery = Some(out);
            return;
        }
    };
    out.rcpt_reply = Some(rcpt.summary());
    if rcpt.class() != 2 {
        p.phase("rcpt-to", since, format!("refused: {}", rcpt.summary()));
        p.finding(
            &crate::passcode::codes::RECIPIENT_REJECTED,
            format!("RCPT TO:<{to}> → \"{}\"", rcpt.summary()),
        );
        p.fail(
            messages::all_recipients_rejected(&rcpt.nodemailer_text()),
            None,
        );
        facts.delivery = Some(out);
        return;
    }
    p.phase("rcpt-to", since, rcpt.code.to_string());
    let since = Instant::now();
    let data = match s.command("DATA").await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "DATA", &e);
            facts.delivery = Some(out);
            return;
        }
    };
    if data.code != 354 {
        p.phase("data", since, format!("refused: {}", data.summary()));
        p.finding(
            &crate::passcode::codes::DATA_REJECTED,
            format!("DATA → \"{}\"", data.summary()),
        );
        p.fail(format!("Data command failed: {}", data.summary()), None);
        facts.delivery = Some(out);
        return;
    }
    let done = match s.send_data(&message).await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "the message", &e);
            facts.delivery = Some(out);
            return;
        }
    };
    out.final_reply = Some(done.summary());
    if done.class() == 2 {
        p.phase("data", since, format!("{} (accepted)", done.code));
        out.queue_id = queue_id(&done.summary());
        out.accepted = true;
    } else {
        p.phase("data", since, format!("refused: {}", done.summary()));
        p.finding(
            &crate::passcode::codes::DATA_REJECTED,
            format!("the message → \"{}\"", done.summary()),
        );
        p.fail(format!("Message failed: {}", done.summary()), None);
    }
    facts.delivery = Some(out);
}
