//! `mailpreflight demo [--broken]`: the full audit against a bundled world, with no network.
//! Bundled zone files are served by the in-process DNS server on 127.0.0.1, the sink on
//! 127.0.0.1 is the SMTP server (its certificate made at start, trusted through the config's
//! tls.ca), and the bundled DKIM key signs the test passcode mail that is sent into the sink
//! and graded when it arrives.

use super::Outcome;
use crate::cli::DemoArgs;
use crate::cli::ProbeArgs;
use crate::cli::send_settings::{KeyChoice, SendPlan};
use crate::cli::settings::output_settings;
use crate::cli::smtp_settings::probe_input;
use crate::config::{Secret, SecretOverrides};
use crate::dns::server::{LocalDnsServer, ServerConfig};
use crate::dns::{Dns, DnsConfig, parse_zone};
use crate::sink::server::SinkConfig;
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

const GOOD: &[(&str, &str)] = &[
    (
        "example-good.test.zone",
        include_str!("../../fixtures/demo/good/example-good.test.zone"),
    ),
    (
        "mailer.test.zone",
        include_str!("../../fixtures/demo/good/mailer.test.zone"),
    ),
    (
        "127.in-addr.arpa.zone",
        include_str!("../../fixtures/demo/good/127.in-addr.arpa.zone"),
    ),
    (
        "2.0.192.in-addr.arpa.zone",
        include_str!("../../fixtures/demo/good/2.0.192.in-addr.arpa.zone"),
    ),
    (
        "8.b.d.0.1.0.0.2.ip6.arpa.zone",
        include_str!("../../fixtures/demo/good/8.b.d.0.1.0.0.2.ip6.arpa.zone"),
    ),
    (
        "root.zone",
        include_str!("../../fixtures/demo/good/root.zone"),
    ),
];
const BROKEN: &[(&str, &str)] = &[
    (
        "example-broken.test.zone",
        include_str!("../../fixtures/demo/broken/example-broken.test.zone"),
    ),
    (
        "mailer.test.zone",
        include_str!("../../fixtures/demo/broken/mailer.test.zone"),
    ),
    (
        "root.zone",
        include_str!("../../fixtures/demo/broken/root.zone"),
    ),
];
/// The demo domain's DKIM private key (selector s1); a throwaway key for this demo only.
const DKIM_KEY: &str = include_str!("../../fixtures/zones/demo/s1.example-good.test.private.pem");
const DEMO_PASSWORD: &str = "demo-password-not-secret";

fn connector(domain: &str, port: u16, ca: &str, broken: bool) -> serde_json::Value {
    use crate::config::logto::{OPTIONAL_USAGE_TYPES, REQUIRED_USAGE_TYPES};
    let templates: Vec<_> = REQUIRED_USAGE_TYPES
        .iter()
        .chain(OPTIONAL_USAGE_TYPES.iter())
        .filter(|u| !broken || ["Register", "SignIn", "ForgotPassword", "Generic"].contains(u))
        .map(|u| {
            let content = match (*u, broken) {
                ("OrganizationInvitation", _) => "You are invited: {{link}}".to_string(),
                ("SignIn", true) => "Welcome back, {{name}}! Sign in with the code we sent.".to_string(),
                _ => "Your verification code is {{code}}. It expires in 10 minutes.".to_string(),
            };
            json!({"usageType": u, "contentType": "text/plain", "subject": "Your Example code", "content": content})
        })
        .collect();
    let mut c = json!({
        "host": format!("smtp.{domain}"),
        "port": port,
        "secure": broken,
        "name": format!("idp.{domain}"),
        "auth": {"type": "login", "user": format!("noreply@{domain}")},
        "fromEmail": format!("Example <noreply@{domain}>"),
        "templates": templates,
        "tls": {"ca": ca},
    });
    if broken {
        c["greetingTimeout"] = json!(3000);
    }
    c
}

pub async fn run(args: DemoArgs, out: &mut dyn Write) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let output = match output_settings(
        &args.output,
        if args.broken { "demo --broken" } else { "demo" },
    ) {
        Ok(o) => o,
        Err(e) => return Ok(Outcome::InputError(e.0)),
    };
    let (world, domain) = if args.broken {
        (BROKEN, "example-broken.test")
    } else {
        (GOOD, "example-good.test")
    };
    let mut zones = Vec::new();
    for (name, text) in world {
        match parse_zone(text, name, None) {
            Ok(z) => zones.push(z),
            Err(e) => return Ok(Outcome::CannotRun(format!("bundled zone {e}"))),
        }
    }
    let server = match LocalDnsServer::start(ServerConfig {
        zones,
        authoritative_root: true,
        ..ServerConfig::default()
    })
    .await
    {
        Ok(s) => s,
        Err(e) => {
            return Ok(Outcome::CannotRun(format!(
                "cannot start the demo DNS server: {e}"
            )));
        }
    };
    let store = std::env::temp_dir().join(format!("mailpreflight-demo-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&store);
    let names = vec![format!("smtp.{domain}")];
    let mut sink = match crate::sink::start(
        "127.0.0.1:0".parse().expect("literal"),
        None,
        &names,
        |tls| SinkConfig {
            hostname: format!("smtp.{domain}"),
            tls,
            require_auth: Some((format!("noreply@{domain}"), Secret::new(DEMO_PASSWORD))),
            store: store.clone(),
            max_message_bytes: 1024 * 1024,
            idle: Duration::from_secs(10),
        },
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            return Ok(Outcome::CannotRun(format!(
                "cannot start the demo sink: {e}"
            )));
        }
    };
    let config = connector(domain, sink.addr.port(), &sink.cert_pem, args.broken);
    let bytes = serde_json::to_vec_pretty(&config).unwrap_or_default();
    let overrides = SecretOverrides {
        pass: Some(Secret::new(DEMO_PASSWORD)),
        ..SecretOverrides::default()
    };
    let loaded = match crate::config::parse("demo connector.json", &bytes, &overrides) {
        Ok(l) => l,
        Err(e) => return Ok(Outcome::CannotRun(format!("bundled config: {e}"))),
    };
    let probe = match probe_input(
        &loaded,
        &ProbeArgs {
            allow_plaintext_auth: false,
            smtp_timeout: "5s".into(),
            extra_ca: None,
        },
    ) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::CannotRun(e.0)),
    };
    let dns = match Dns::new(DnsConfig {
        nameservers: vec![server.addr()],
        timeout: Duration::from_secs(2),
        attempts: 1,
        zones: Vec::new(),
        offline: false,
    }) {
        Ok(d) => d,
        Err(e) => return Ok(Outcome::CannotRun(e.to_string())),
    };
    let plan = SendPlan {
        to: "new-user@example.org".into(),
        usage: "SignIn".into(),
        code: crate::passcode::build::random_code(),
        test_marker: true,
        key: KeyChoice::Flags {
            pem: Secret::new(DKIM_KEY),
            selector: "s1".into(),
            domain: None,
        },
        out: None,
        deliver: true,
    };
    eprintln!(
        "mailpreflight demo: the {} world — DNS on {}, the sink (SMTP) on {}; nothing leaves this machine",
        if args.broken { "broken" } else { "example" },
        server.addr(),
        sink.addr
    );
    let mut run = crate::audit::run(&dns, &loaded, &probe, &plan, false).await;
    // The test mail as the sink received it, graded like any received message.
    if let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), sink.messages.recv()).await
    {
        let mut target = super::sink::report_for(&dns, 1, msg).await;
        target.domain = format!(
            "the test passcode mail, as the sink received it ({})",
            target.domain
        );
        run.targets.push(target);
    }
    let outcome = super::audit::finish(
        run,
        &dns,
        &output,
        started,
        if args.broken { "demo --broken" } else { "demo" },
        out,
    );
    let _ = std::fs::remove_dir_all(&store);
    outcome
}
