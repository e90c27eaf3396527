//! Securing the session: EHLO, STARTTLS, the TLS handshake and the certificate's verdict.

use super::{Ended, Probe, abandon, secs, shown, step_failure};
use crate::config::nodemailer::{ConnectionPlan, StartTlsPolicy, advertised_mechanisms, messages};
use crate::report::Evidence;
use crate::smtp::codes;
use crate::smtp::facts::{SmtpFacts, TlsFacts};
use crate::smtp::reply::{Reply, ehlo_keywords};
use crate::smtp::session::{Io, Session};
use crate::smtp::tls::{self, CertVerdict, HandshakeFailure, RecordingVerifier};
use crate::smtp::transcript::Transcript;
use rustls::pki_types::ServerName;
use std::sync::Arc;
use std::time::Instant;
use tokio_rustls::TlsConnector;

/// What the session knows after EHLO and STARTTLS.
pub(super) struct Negotiated {
    pub session: Session,
    /// The last EHLO reply's lines (after STARTTLS when it ran): what AUTH chooses from.
    pub last_ehlo: Vec<String>,
    pub tls_active: bool,
    /// Whether the first EHLO offered STARTTLS.
    pub advertised: bool,
}

/// Steps 5–6: EHLO (HELO fallback unless requireTLS), STARTTLS by nodemailer's rule, and
/// the certificate gate before any credential is offered.
pub(super) async fn negotiate(
    p: &mut Probe<'_>,
    mut s: Session,
    facts: &mut SmtpFacts,
    t: &mut Transcript,
    mut tls_active: bool,
) -> Result<Negotiated, Ended> {
    let plan = p.input.plan.clone();
    let step = p.step();
    // 5. EHLO (HELO fallback unless requireTLS).
    let first = match ehlo(p, &mut s, plan.starttls != StartTlsPolicy::Always).await {
        Some(r) => r,
        None => return Err(Some(s)),
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
                return Err(abandon(s, t));
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
            return Err(Some(s));
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
            return Err(abandon(s, t));
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
                return Err(None);
            }
        }
        let Some(ehlo2) = ehlo(p, &mut s, plan.starttls != StartTlsPolicy::Always).await else {
            return Err(Some(s));
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
        return Err(Some(s));
    }

    Ok(Negotiated {
        session: s,
        last_ehlo,
        tls_active,
        advertised,
    })
}

pub(super) fn server_name(plan: &ConnectionPlan) -> Option<ServerName<'static>> {
    let name = plan
        .verify_name
        .trim_start_matches('[')
        .trim_end_matches(']');
    ServerName::try_from(name.to_string()).ok()
}

pub(super) fn tls_connector(
    p: &Probe<'_>,
) -> Result<(TlsConnector, Arc<RecordingVerifier>), String> {
    let min13 = p
        .input
        .plan
        .tls_min_version
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("TLSv1.3"));
    let (config, verifier) = tls::client_config(&p.input.trust, min13)?;
    Ok((TlsConnector::from(config), verifier))
}

/// Handshakes, records the TLS facts and the certificate verdict. `Err` = no TLS session.
pub(super) async fn handshake(
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
        trusted_roots: p.input.trust.described.clone(),
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
            let trusted_by = &p.input.trust.described;
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

pub(super) fn handshake_failure_finding(p: &mut Probe<'_>, failure: &HandshakeFailure, mode: &str) {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{EHLO_AUTH, Script, ids, probe};
    use super::*;
    use crate::smtp::facts::Verdict;
    use serde_json::json;

    #[tokio::test]
    async fn require_tls_without_starttls_stops_before_auth() {
        let script = Script {
            banner: "220 relay.example ESMTP\r\n",
            steps: vec![
                ("EHLO", EHLO_AUTH),
                ("STARTTLS", "454 4.7.0 TLS not available\r\n"),
                ("QUIT", "221 bye\r\n"),
            ],
        };
        let (result, commands) = probe(script, json!({"requireTLS": true})).await;
        assert!(ids(&result).contains(&codes::STARTTLS_UNAVAILABLE.id));
        assert_eq!(result.facts.prediction.verdict, Verdict::WillFail);
        assert_eq!(
            result.facts.prediction.operator_message.as_deref(),
            Some(messages::starttls_failed("454 4.7.0 TLS not available").as_str())
        );
        assert!(
            !commands.iter().any(|c| c.starts_with("AUTH")),
            "credentials withheld without TLS: {commands:?}"
        );
    }

    #[tokio::test]
    async fn data_pipelined_after_starttls_220_is_unexpected_response() {
        let script = Script {
            banner: "220 relay.example ESMTP\r\n",
            steps: vec![
                ("EHLO", "250-relay.example\r\n250 STARTTLS\r\n"),
                ("STARTTLS", "220 go ahead\r\n250 injected\r\n"),
            ],
        };
        let (result, _) = probe(script, json!({})).await;
        assert!(ids(&result).contains(&codes::STARTTLS_INJECTION.id));
        assert_eq!(
            result.facts.prediction.operator_message.as_deref(),
            Some(messages::unexpected_response("250 injected").as_str())
        );
        assert!(result.facts.tls.is_none(), "no handshake is attempted");
    }

    #[tokio::test]
    async fn ehlo_refused_falls_back_to_helo_unless_tls_is_required() {
        let script = Script {
            banner: "220 old.example\r\n",
            steps: vec![
                ("EHLO", "502 5.5.2 what\r\n"),
                ("HELO", "250 old.example\r\n"),
                ("MAIL FROM", "250 ok\r\n"),
                ("RSET", "250 ok\r\n"),
                ("QUIT", "221 bye\r\n"),
            ],
        };
        let (_, commands) = probe(script, json!({})).await;
        assert!(
            commands.iter().any(|c| c.starts_with("HELO ")),
            "{commands:?}"
        );
    }

    #[test]
    fn the_servername_drops_the_brackets_of_an_address_literal() {
        let mut plan = super::super::testing::input(25, json!({})).plan;
        plan.verify_name = "[192.0.2.1]".into();
        let name = server_name(&plan).expect("an IP address is a server name");
        assert_eq!(name.to_str(), "192.0.2.1");
    }
}
