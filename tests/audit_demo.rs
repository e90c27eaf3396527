//! `demo` and `audit` end to end: the bundled worlds (DNS served in-process on loopback, the
//! sink as SMTP server), and `audit` against a fixture world with classic mistakes.

mod common;
use common::{TempDir, run};
use serde_json::Value;

/// The JSON report; every finding's severity must be one its code documents.
fn json(out: &std::process::Output) -> Value {
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    common::assert_severities_documented(&v, "demo/audit");
    v
}

#[test]
fn demo_is_ready_and_sends_a_verified_mail_into_the_sink() {
    let out = run(&["demo", "--color", "never"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("READY\n"), "{text}");
    assert!(text.contains("DMARC prediction: will pass"));
    assert!(text.contains("Test passcode mail: sent to new-user@example.org and accepted"));
    assert!(
        !text.contains("demo-password-not-secret"),
        "the demo's password never shows"
    );

    let out = run(&["demo", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["audit"]["verdict"], "READY");
    assert_eq!(v["audit"]["alignment"]["dmarc_pass"], "yes");
    // The copy the sink received verifies (DKIM pass, aligned, TLS, AUTH).
    let received = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["facts"]["received"].is_object())
        .expect("the sink's report");
    let r = &received["facts"]["received"];
    assert_eq!(r["dkim"][0]["result"], "pass", "{r:#}");
    assert_eq!(r["dkim"][0]["domain"], "example-good.test");
    assert_eq!(r["session"]["auth_mechanism"], "PLAIN");
    assert!(r["session"]["tls"].as_str().unwrap().starts_with("TLS 1."));
    assert_eq!(
        received["findings"].as_array().unwrap().len(),
        0,
        "{:#}",
        received["findings"]
    );
    // Every field of the audit report is documented.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-schema.md"))
        .unwrap();
    let mut keys = std::collections::BTreeSet::new();
    common::json_keys(&v, &mut keys);
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("\"{k}\"")))
        .collect();
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

#[test]
fn broken_demo_ranks_the_classic_mistakes() {
    let out = run(&["demo", "--broken", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["audit"]["verdict"], "NOT READY");
    let fixes: Vec<&str> = v["audit"]["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    // The connector cannot even connect: that comes first.
    assert_eq!(fixes[0], "smtp-secure-on-starttls-port", "{fixes:?}");
    assert!(fixes.contains(&"audit-dmarc-will-fail"), "{fixes:?}");
    assert!(fixes.len() <= 5);
    let all: Vec<String> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap().to_string())
        })
        .collect();
    for code in [
        "send-dkim-key-mismatch",
        "template-missing-code",
        "template-unknown-placeholder",
        "audit-marketing-in-spf",
        "dmarc-policy-none",
        "dkim-testing-mode",
        "audit-reverse-dns",
    ] {
        assert!(all.iter().any(|c| c == code), "{code} missing from {all:?}");
    }
    assert_eq!(v["audit"]["alignment"]["dmarc_pass"], "no");
    assert!(
        v["audit"]["test_mail"]
            .as_str()
            .unwrap()
            .starts_with("not sent")
    );
}

/// `audit --config` against a world from files: a zone that does not authorise the server
/// and a sink-less port (closed), named in the ranked fixes.
#[test]
fn audit_of_a_config_with_a_closed_port_and_unaligned_dkim() {
    let dir = TempDir::new("audit");
    let zone = dir.path().join("z.zone");
    std::fs::write(&zone, "$ORIGIN example-audit.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ TXT \"v=spf1 -all\"\n_dmarc TXT \"v=DMARC1; p=reject; adkim=s\"\nsmtp A 127.0.0.1\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let templates: Vec<Value> = ["Register", "SignIn", "ForgotPassword", "Generic"].iter().map(|u| serde_json::json!({"usageType": u, "contentType": "text/plain", "subject": "Code", "content": "{{code}}"})).collect();
    let cfg = serde_json::json!({"host": "smtp.example-audit.test", "port": port, "auth": {"user": "a@example-audit.test", "pass": "x"}, "fromEmail": "a@example-audit.test", "templates": templates});
    let cfg_path = dir.path().join("c.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/keys/test-rsa2048-pkcs8.pem"
    );
    let out = run(&[
        "audit",
        "--config",
        cfg_path.to_str().unwrap(),
        "--offline",
        "--zone",
        zone.to_str().unwrap(),
        "--dkim-key",
        key,
        "--dkim-selector",
        "s1",
        "--dkim-domain",
        "mail.example-audit.test",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["audit"]["verdict"], "NOT READY");
    assert_eq!(v["audit"]["fixes"][0]["code"], "smtp-connection-refused");
    let a = &v["audit"]["alignment"];
    assert_eq!(a["dkim_aligned"], "no", "adkim=s and d= a subdomain: {a:#}");
    assert_eq!(a["spf_pass"], "no");
    assert_eq!(a["dmarc_pass"], "no");
    assert!(
        a["shortest_fix"]
            .as_str()
            .unwrap()
            .contains("sign with d=example-audit.test")
    );
    // The signing domain is audited too: it is where receivers fetch the key.
    let domains: Vec<&str> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["domain"].as_str().unwrap())
        .collect();
    assert!(domains.contains(&"mail.example-audit.test"), "{domains:?}");
}

/// The audit evaluates SPF for the session's real identity: the fromEmail local part feeds
/// `%{l}`, so a record that authorises per local part passes for `noreply@` (it would fail
/// for a stand-in `postmaster@`).
#[test]
fn audit_evaluates_spf_for_the_configured_envelope_sender() {
    let dir = TempDir::new("audit-spf-identity");
    let zone = dir.path().join("z.zone");
    std::fs::write(&zone, "$ORIGIN example-audit.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ TXT \"v=spf1 exists:%{l}.ok.%{d} -all\"\nnoreply.ok A 127.0.0.2\n_dmarc TXT \"v=DMARC1; p=reject\"\nsmtp A 127.0.0.1\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let templates: Vec<Value> = ["Register", "SignIn", "ForgotPassword", "Generic"].iter().map(|u| serde_json::json!({"usageType": u, "contentType": "text/plain", "subject": "Code", "content": "{{code}}"})).collect();
    let spf_pass = |from: &str| {
        let cfg = serde_json::json!({"host": "smtp.example-audit.test", "port": port, "auth": {"user": from, "pass": "x"}, "fromEmail": from, "templates": templates});
        let cfg_path = dir.path().join("c.json");
        std::fs::write(&cfg_path, cfg.to_string()).unwrap();
        let out = run(&[
            "audit",
            "--config",
            cfg_path.to_str().unwrap(),
            "--offline",
            "--zone",
            zone.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let v = json(&out);
        v["audit"]["alignment"]["spf_pass"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(spf_pass("noreply@example-audit.test"), "yes");
    assert_eq!(spf_pass("other@example-audit.test"), "no");
}

/// Classic mistakes against real aiosmtpd servers: each makes the audit NOT READY with the
/// mistake ranked first and exit code 1.
#[test]
fn audit_ranks_each_smtp_mistake_first() {
    if !common::smtp_server::available() {
        return;
    }
    let dir = TempDir::new("audit-smtp");
    let ca = common::pki::Ca::new("audit test CA");
    let cert = ca.issue(common::pki::Kind::Valid, dir.path(), "srv");
    let zone = dir.path().join("z.zone");
    std::fs::write(&zone, "$ORIGIN example-audit.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ TXT \"v=spf1 ip4:127.0.0.1 -all\"\n_dmarc TXT \"v=DMARC1; p=reject\"\n").unwrap();
    let templates: Vec<Value> = ["Register", "SignIn", "ForgotPassword", "Generic"]
        .iter()
        .map(|u| serde_json::json!({"usageType": u, "contentType": "text/plain", "subject": "Code", "content": "{{code}}"}))
        .collect();
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "starttls-auth-after-tls",
            serde_json::json!({}),
            "wrong",
            "smtp-auth-failed",
        ),
        (
            "starttls-auth-after-tls",
            serde_json::json!({"ignoreTLS": true}),
            "Audit-Pass-1",
            "smtp-ignore-tls-blocks-auth",
        ),
        (
            "no-starttls",
            serde_json::json!({"requireTLS": true}),
            "Audit-Pass-1",
            "smtp-starttls-unavailable",
        ),
        (
            "implicit-tls",
            serde_json::json!({}),
            "Audit-Pass-1",
            "smtp-plaintext-on-tls-port",
        ),
    ];
    for (variant, extra, password, first) in cases {
        let store = dir.path().join(format!("store-{first}"));
        let server = common::smtp_server::start(common::smtp_server::Options {
            variant,
            cert: Some((cert.cert.as_path(), cert.key.as_path())),
            user: "alice@example-audit.test",
            pass_env: ("MP_AUDIT_PASS", "Audit-Pass-1"),
            delay_banner: None,
            store: &store,
        });
        let mut cfg = serde_json::json!({"host": "127.0.0.1", "port": server.port, "secure": false, "auth": {"user": "alice@example-audit.test"}, "fromEmail": "alice@example-audit.test", "templates": templates, "servername": "localhost", "tls": {"ca": ca.pem}});
        for (k, val) in extra.as_object().unwrap() {
            cfg[k] = val.clone();
        }
        let path = dir.path().join(format!("{first}.json"));
        std::fs::write(&path, cfg.to_string()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
            .args([
                "audit",
                "--config",
                path.to_str().unwrap(),
                "--pass-env",
                "MP_AUDIT_PASS",
                "--offline",
                "--zone",
                zone.to_str().unwrap(),
                "--format",
                "json",
            ])
            .env("MP_AUDIT_PASS", password)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{first}");
        let v = json(&out);
        assert_eq!(v["audit"]["verdict"], "NOT READY", "{first}");
        assert_eq!(
            v["audit"]["fixes"][0]["code"], first,
            "{:#}",
            v["audit"]["fixes"]
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains("Audit-Pass-1"));
    }
}

/// A recognised provider (Postmark, its host mapped to a closed loopback port by a zone):
/// its SPF include, DKIM selector and custom Return-Path are checked in the From domain's DNS.
#[test]
fn provider_requirements_are_checked_in_dns() {
    let dir = TempDir::new("audit-provider");
    let zones = dir.path().join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    std::fs::write(zones.join("from.zone"), "$ORIGIN example-pm.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ TXT \"v=spf1 -all\"\n_dmarc TXT \"v=DMARC1; p=quarantine\"\n").unwrap();
    std::fs::write(zones.join("pm.zone"), "$ORIGIN postmarkapp.com.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\nsmtp A 127.0.0.1\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let templates: Vec<Value> = ["Register", "SignIn", "ForgotPassword", "Generic"].iter().map(|u| serde_json::json!({"usageType": u, "contentType": "text/plain", "subject": "Code", "content": "{{code}}"})).collect();
    let cfg = serde_json::json!({"host": "smtp.postmarkapp.com", "port": port, "auth": {"user": "token", "pass": "token"}, "fromEmail": "a@example-pm.test", "templates": templates});
    let path = dir.path().join("c.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let out = run(&[
        "audit",
        "--config",
        path.to_str().unwrap(),
        "--offline",
        "--zone",
        zones.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v = json(&out);
    assert_eq!(v["audit"]["provider"], "Postmark");
    let reqs = v["audit"]["provider_requirements"].as_array().unwrap();
    let return_path = reqs
        .iter()
        .find(|r| {
            r["requirement"]
                .as_str()
                .unwrap()
                .contains("pm-bounces.example-pm.test")
        })
        .expect("the Return-Path requirement");
    assert_eq!(return_path["status"], "no");
    let all: Vec<&str> = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(all.contains(&"audit-provider-record-missing"), "{all:?}");
    // Postmark without a custom Return-Path never aligns SPF.
    assert_eq!(v["audit"]["alignment"]["spf_aligned"], "no");
}
