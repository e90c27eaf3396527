//! For the phases' unit tests: a config read as the CLI reads it, and a scripted SMTP
//! server on loopback that answers each command with a given reply and records what the
//! probe sent. Each phase's tests drive the whole probe against it, so they test the phase
//! where it runs, after the phases before it.

use super::{ProbeInput, ProbeResult, run};
use crate::config::SecretOverrides;
use crate::config::nodemailer::{ConnectionPlan, default_ehlo_name};
use crate::dns::{Dns, DnsConfig};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The probe's input for a plaintext server on 127.0.0.1:`port`, `extra` merged over a
/// config the real connector accepts (a `null` removes the key).
pub fn input(port: u16, extra: Value) -> ProbeInput {
    let mut config = json!({
        "host": "127.0.0.1",
        "port": port,
        "auth": {"user": "probe@example.com", "pass": "pw-never-shown"},
        "fromEmail": "probe@example.com",
        "templates": [{"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "{{code}}"}],
        "secure": false,
    });
    let object = config.as_object_mut().expect("an object");
    for (key, value) in extra.as_object().expect("extra is an object") {
        match value {
            Value::Null => object.remove(key),
            v => object.insert(key.clone(), v.clone()),
        };
    }
    let bytes = serde_json::to_vec(&config).expect("serialisable");
    let loaded = crate::config::parse("test.json", &bytes, &SecretOverrides::default())
        .expect("the test config parses");
    let c = &loaded.config;
    ProbeInput {
        user: c.auth.user.clone(),
        password: c.auth.secret.clone(),
        oauth2_access_token: None,
        envelope_from: Some("probe@example.com".into()),
        envelope_problem: None,
        trust: crate::smtp::trust::node_trust(&[], &Default::default()),
        allow_plaintext_auth: true,
        ehlo_name: default_ehlo_name("probe-host"),
        step_cap: Duration::from_secs(5),
        banner_patience: Duration::from_secs(2),
        provider: None,
        plan: ConnectionPlan::from_config(c),
        delivery: None,
        rcpt_probe: None,
    }
}

/// What the server says: the banner, then for each command that starts with `.0` the reply
/// `.1` (CRLF-separated lines, sent as they are). A command no step expects gets `500`.
pub struct Script {
    pub banner: &'static str,
    pub steps: Vec<(&'static str, &'static str)>,
}

/// Serves one connection with `script` and returns its port and the commands received.
pub async fn serve(script: Script) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("bound").port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(script.banner.as_bytes()).await;
        // Bounded: a probe sends a handful of commands; a runaway loop ends the test.
        for _ in 0..64 {
            let Ok(Some(line)) = lines.next_line().await else {
                return;
            };
            log.lock().expect("not poisoned").push(line.clone());
            let upper = line.to_ascii_uppercase();
            let reply = script
                .steps
                .iter()
                .find(|(command, _)| upper.starts_with(command))
                .map_or("500 5.5.1 unexpected\r\n", |(_, reply)| reply);
            if write.write_all(reply.as_bytes()).await.is_err() || upper == "QUIT" {
                return;
            }
        }
    });
    (port, received)
}

/// Runs the probe with `extra` over the base config against a server playing `script`.
pub async fn probe(script: Script, extra: Value) -> (ProbeResult, Vec<String>) {
    let (port, received) = serve(script).await;
    let dns = Dns::new(DnsConfig {
        offline: true,
        ..DnsConfig::default()
    })
    .expect("an offline DNS layer");
    let result = run(&dns, &input(port, extra)).await;
    let commands = received.lock().expect("not poisoned").clone();
    (result, commands)
}

/// The ids of the findings, for assertions.
pub fn ids(result: &ProbeResult) -> Vec<&'static str> {
    result.findings.iter().map(|f| f.code.id).collect()
}

/// The usual EHLO of a submission server in clear, offering AUTH PLAIN LOGIN.
pub const EHLO_AUTH: &str = "250-test.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
