//! `mailpreflight sink`: listen, store, grade each message as it arrives, and print its
//! report (one JSON line per message with --format json/jsonl). `--once` exits after the
//! first message with that report's exit code, so CI can run a real connector against it.

use super::Outcome;
use crate::cli::SinkArgs;
use crate::cli::settings::{dns_config, input_error, output_settings};
use crate::dns::Dns;
use crate::report::render::{self, Format};
use crate::report::{DomainFacts, DomainReport, Report};
use crate::sink::server::{Received, SinkConfig};
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Grades one received message into a report target.
pub async fn report_for(dns: &Dns, n: usize, msg: Received) -> DomainReport {
    let started = Instant::now();
    let view = dns.view();
    let stored = msg.stored_as.display().to_string();
    let peer = msg.session.peer.clone();
    let (findings, facts) =
        crate::sink::grade::grade(view.dns(), &msg.bytes, msg.session, Some(stored)).await;
    let mut target = DomainReport {
        domain: format!("message {n} from {peer}"),
        worst: None,
        findings,
        facts: DomainFacts {
            received: Some(facts),
            ..DomainFacts::default()
        },
        queries: view.log(),
        elapsed_ms: crate::domain_audit::millis(started),
        baseline: None,
    };
    target.recompute_worst();
    target
}

pub async fn run(args: Box<SinkArgs>, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let output = match output_settings(&args.output, "sink") {
        Ok(o) => o,
        Err(e) => return Ok(Outcome::InputError(e.0)),
    };
    let listen: SocketAddr = match args.listen.parse() {
        Ok(a) => a,
        Err(_) => {
            return Ok(Outcome::InputError(format!(
                "--listen {}: not IP:PORT",
                args.listen
            )));
        }
    };
    if !listen.ip().is_loopback() && !args.public {
        return Ok(Outcome::InputError(format!(
            "--listen {listen}: not a loopback address; the sink listens beyond this machine only with --public"
        )));
    }
    let require_auth = match args
        .require_auth
        .as_deref()
        .map(|spec| match spec.split_once(':') {
            Some((user, var)) if !user.is_empty() => {
                crate::config::pass_from_env(var, |v| std::env::var(v).ok())
                    .map(|p| (user.to_string(), p))
                    .map_err(|e| input_error(e.to_string()))
            }
            _ => Err(input_error(format!(
                "--require-auth {spec}: expected USER:PASS_ENV"
            ))),
        }) {
        None => None,
        Some(Ok(pair)) => Some(pair),
        Some(Err(e)) => return Ok(Outcome::InputError(e.0)),
    };
    let tls_files = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => match (std::fs::read_to_string(c), std::fs::read_to_string(k)) {
            (Ok(c), Ok(k)) => Some((c, k)),
            (Err(e), _) => {
                return Ok(Outcome::InputError(format!(
                    "cannot read --tls-cert {}: {e}",
                    c.display()
                )));
            }
            (_, Err(e)) => {
                return Ok(Outcome::InputError(format!(
                    "cannot read --tls-key {}: {e}",
                    k.display()
                )));
            }
        },
        _ => None,
    };
    let dns = match dns_config(&args.dns)
        .map_err(|e| e.0)
        .and_then(|c| Dns::new(c).map_err(|e| e.to_string()))
    {
        Ok(d) => d,
        Err(e) => return Ok(Outcome::InputError(e)),
    };
    if let Err(e) = std::fs::create_dir_all(&args.store) {
        return Ok(Outcome::InputError(format!(
            "cannot create --store {}: {e}",
            args.store.display()
        )));
    }
    let names = vec!["localhost".to_string(), listen.ip().to_string()];
    let store = args.store.clone();
    let max = args.max_message_bytes();
    let auth_user = require_auth.as_ref().map(|(u, _)| u.clone());
    let mut running = match crate::sink::start(listen, tls_files, &names, |tls| SinkConfig {
        hostname: "mailpreflight-sink.localhost".into(),
        tls,
        require_auth: require_auth.clone(),
        store: store.clone(),
        max_message_bytes: max,
        idle: Duration::from_secs(60),
    })
    .await
    {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::CannotRun(e)),
    };
    let cert_path = store.join("sink-cert.pem");
    let _ = std::fs::write(&cert_path, &running.cert_pem);
    eprintln!(
        "mailpreflight sink: listening on {} (STARTTLS certificate SHA-256 {}; PEM in {} for the connector's tls.ca); AUTH {}; messages stored in {}; nothing is relayed",
        running.addr,
        running.fingerprint,
        cert_path.display(),
        auth_user.map_or(
            "accepts any login (after STARTTLS)".to_string(),
            |u| format!("only as {u}")
        ),
        store.display()
    );
    let mut n = 0;
    let mut any_failed = false;
    loop {
        let msg = tokio::select! {
            m = running.messages.recv() => m,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(msg) = msg else {
            return Ok(Outcome::Completed { failed: any_failed });
        };
        n += 1;
        let mut session_end = msg.session_end.clone();
        let mut target = report_for(&dns, n, msg).await;
        output.policy.apply(&mut target);
        let mut report = Report::new("sink", output.policy.fail_on.as_str());
        output.policy.tally(&mut report.summary, &target);
        any_failed |= report.summary.failed;
        if matches!(output.format, Format::Json | Format::Jsonl) {
            out.write_all(&render::render_jsonl_line(&target))?;
        } else {
            report.targets.push(target);
            out.write_all(&render::render(output.format, &report, &output.render))?;
        }
        out.flush()?;
        if args.once {
            // Let the client finish its session (QUIT) before the process exits.
            let _ = tokio::time::timeout(Duration::from_secs(5), session_end.changed()).await;
            return Ok(Outcome::Completed {
                failed: report.summary.failed,
            });
        }
    }
}

impl SinkArgs {
    fn max_message_bytes(&self) -> usize {
        self.max_size.clamp(1024, 100 * 1024 * 1024)
    }
}
