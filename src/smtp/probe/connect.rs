//! Reaching the server: the host's addresses, the TCP connection, implicit TLS, the banner.

use super::handshake::{handshake, handshake_failure_finding, server_name, tls_connector};
use super::{Ended, Probe, abandon, secs, step_failure};
use crate::config::nodemailer::messages;
use crate::dns::Dns;
use crate::report::{CodeInfo, Evidence};
use crate::smtp::codes;
use crate::smtp::facts::SmtpFacts;
use crate::smtp::host_address;
use crate::smtp::reply::Reply;
use crate::smtp::session::{Io, Session, StepError};
use crate::smtp::tls::HandshakeFailure;
use crate::smtp::transcript::Transcript;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Steps 1–4: resolve the host, connect, the implicit-TLS handshake when `secure`, and the
/// banner. `Ok` is a greeted session and whether TLS is already up; `Err` ends the probe
/// (with the session to QUIT, when there is one).
pub(super) async fn open(
    p: &mut Probe<'_>,
    dns: &Dns,
    facts: &mut SmtpFacts,
    t: &mut Transcript,
) -> Result<(Session, bool), Ended> {
    let plan = p.input.plan.clone();
    let Some(port) = plan.port else {
        p.finding(&codes::CONNECTION_REFUSED, "the port is not a usable TCP port (nodemailer's Number(port) gives no port between 1 and 65535)");
        p.fail("connect: invalid port", None);
        return Err(None);
    };
    // 1. Resolve.
    let since = Instant::now();
    let limit = plan.timeouts.connection.min(p.input.step_cap);
    let ips = match host_address::resolve(
        dns,
        &plan.host,
        host_address::Families::of_this_host(),
        limit,
    )
    .await
    {
        Ok(found) => {
            facts.addresses_found_by = Some(found.found_by);
            found.addresses
        }
        Err(unresolved) => {
            let why = unresolved.why;
            p.phase("resolve", since, format!("failed: {why}"));
            p.finding(
                &codes::HOST_UNRESOLVABLE,
                format!("{} has no address ({why})", plan.host),
            );
            p.fail(unresolved.node_message, None);
            return Err(None);
        }
    };
    p.phase("resolve", since, format!("ok ({} address(es))", ips.len()));
    facts.addresses = ips.iter().map(ToString::to_string).collect();

    // 2. Connect.
    let (stream, addr) = match connect_any(p, &ips, port, t).await {
        Connected::Stream(s, a) => (s, a),
        Connected::Failed => return Err(None),
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
                return Err(None);
            }
            Err(other) => {
                handshake_failure_finding(p, &other, "implicit");
                return Err(None);
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
            return Err(Some(s));
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
            return Err(Some(s));
        }
        BannerOutcome::Failed(e) => {
            p.phase("banner", since, format!("failed: {e}"));
            step_failure(p, "the greeting", &e);
            return Err(abandon(s, t));
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
        return Err(Some(s));
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

    Ok((s, tls_active))
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

#[cfg(test)]
mod tests {
    use super::super::testing::{Script, ids, probe};
    use super::*;
    use crate::smtp::facts::Verdict;
    use serde_json::json;

    #[tokio::test]
    async fn a_refusing_greeting_is_nodemailers_invalid_greeting() {
        let script = Script {
            banner: "554 5.3.2 no service here\r\n",
            steps: vec![("QUIT", "221 bye\r\n")],
        };
        let (result, commands) = probe(script, json!({})).await;
        assert!(ids(&result).contains(&codes::BAD_GREETING.id));
        let prediction = &result.facts.prediction;
        assert_eq!(prediction.verdict, Verdict::WillFail);
        assert_eq!(
            prediction.operator_message.as_deref(),
            Some(messages::invalid_greeting("554 5.3.2 no service here").as_str())
        );
        assert!(
            !commands.iter().any(|c| c.starts_with("EHLO")),
            "no EHLO after a refused greeting: {commands:?}"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_econnrefused_on_the_address_tried() {
        // Bind, learn the port, close: nothing listens there any more.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let dns = Dns::new(crate::dns::DnsConfig {
            offline: true,
            ..Default::default()
        })
        .unwrap();
        let result = super::super::run(&dns, &super::super::testing::input(port, json!({}))).await;
        assert!(ids(&result).contains(&codes::CONNECTION_REFUSED.id));
        assert_eq!(
            result.facts.prediction.operator_message.as_deref(),
            Some(messages::connection_refused("127.0.0.1", port).as_str())
        );
    }

    #[tokio::test]
    async fn the_plaintext_banner_of_a_starttls_port_is_read_once() {
        let (port, _) = super::super::testing::serve(Script {
            banner: "220 plain.example ESMTP\r\n",
            steps: vec![("QUIT", "221 bye\r\n")],
        })
        .await;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let banner = plaintext_banner(addr, Duration::from_secs(2)).await;
        assert_eq!(banner.as_deref(), Some("220 plain.example ESMTP"));
    }
}
