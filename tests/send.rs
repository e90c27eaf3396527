//! `send`: the test passcode mail rendered, DKIM-signed (RSA and Ed25519; PKCS#1 and PKCS#8),
//! verified against DNS before sending, checked by an independent verifier (dkimpy), and
//! delivered to a real SMTP server on loopback whose stored copy must verify too.
//! The RFC 6376 / RFC 8463 vectors are verified by the same verification path.

mod common;
use common::TempDir;
use common::pki::{Ca, Kind};
use common::smtp_server::{self, Options};
use mailpreflight::dns::{Dns, DnsConfig, parse_zone};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const FROM: &str = "Example <noreply@example-send.test>";
const DOMAIN: &str = "example-send.test";

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn templates() -> Value {
    json!([
        {"usageType": "Register", "contentType": "text/plain", "subject": "Welcome", "content": "Your code: {{code}}"},
        {"usageType": "SignIn", "contentType": "text/plain", "subject": "Sign-in code", "content": "Hello,\n\nyour sign-in code is {{ code }}.\n.\nA line that starts with a dot.\n"},
        {"usageType": "ForgotPassword", "contentType": "text/html", "subject": "Réinitialiser", "content": "<p>Code <b>{{code}}</b></p>"},
        {"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "{{code}}"},
    ])
}

fn config(port: u16, extra: Value) -> Value {
    let mut c = json!({
        "host": "localhost", "port": port, "secure": false,
        "auth": {"type": "login", "user": "alice@example.test"},
        "fromEmail": FROM, "templates": templates(),
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// A zone for example-send.test with these TXT records (long ones split into 255-byte strings).
fn zone(dir: &Path, records: &[(&str, &str)]) -> PathBuf {
    let mut text =
        format!("$ORIGIN {DOMAIN}.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n");
    for (name, value) in records {
        let strings: Vec<String> = value
            .as_bytes()
            .chunks(255)
            .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
            .collect();
        text.push_str(&format!("{name} TXT {}\n", strings.join(" ")));
    }
    let path = dir.join(format!("zone-{}.zone", records.len()));
    std::fs::write(&path, text).unwrap();
    path
}

fn send(dir: &Path, cfg: &Value, zone: &Path, args: &[&str]) -> (i32, Value) {
    let cfg_path = dir.join("config.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .args(["send", "--config"])
        .arg(&cfg_path)
        .args([
            "--to",
            "bob@example.org",
            "--format",
            "json",
            "--offline",
            "--zone",
        ])
        .arg(zone)
        .args(args)
        .env("MP_SEND_PASS", "Send-Pass-Word")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

/// The signing and delivery findings (the template and config ones are tested elsewhere).
fn codes(v: &Value) -> Vec<String> {
    v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .filter(|c| {
            c.starts_with("send-")
                || c.starts_with("dkim-")
                || c.starts_with("smtp-")
                || c.starts_with("tls-")
                || c == "template-html-no-text"
                || c == "template-usage-missing"
        })
        .collect()
}

fn message(v: &Value) -> &Value {
    &v["targets"][0]["facts"]["message"]
}

/// dkimpy's verdicts for a message, with DNS answered from `records`. None: not installed.
fn dkimpy(message: &Path, records: &[(&str, &str)], dir: &Path) -> Option<Vec<bool>> {
    let ok = Command::new("python3")
        .args(["-c", "import dkim, nacl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "dkimpy is required under CI=true"
        );
        common::notice(
            "skipping dkimpy verification (pip install -r tests/servers/requirements.txt)",
        );
        return None;
    }
    let map: serde_json::Map<String, Value> = records
        .iter()
        .map(|(n, v)| (format!("{n}.{DOMAIN}"), json!(v)))
        .collect();
    let rec = dir.join("records.json");
    std::fs::write(&rec, Value::Object(map).to_string()).unwrap();
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/servers/dkim_verify.py"
        ))
        .arg(message)
        .arg(&rec)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("dkim_verify.py output");
    Some(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect(),
    )
}

/// Signs with `key`, first with no key in DNS (the tool names the record to publish), then
/// with that record published: our verification and dkimpy's must both pass.
fn sign_round_trip(key: &str, expect_alg: &str) {
    let dir = TempDir::new("send");
    let out = dir.path().join("msg.eml");
    let out_s = out.display().to_string();
    let key_path = fixture(&format!("keys/{key}")).display().to_string();
    let args = [
        "--dry-run",
        "--out",
        &out_s,
        "--dkim-key",
        &key_path,
        "--dkim-selector",
        "s1",
        "--code",
        "424242",
    ];
    let empty = zone(dir.path(), &[]);
    let (code, v) = send(dir.path(), &config(2525, json!({})), &empty, &args);
    assert_eq!(code, 1, "{:?}", codes(&v));
    assert!(
        codes(&v).contains(&"send-dkim-no-key".to_string()),
        "{:?}",
        codes(&v)
    );
    let record = message(&v)["dkim"]["public_record"]
        .as_str()
        .unwrap()
        .to_string();
    let missing = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "send-dkim-no-key")
        .unwrap();
    assert!(
        missing["remediation"].as_str().unwrap().contains(&record),
        "the fix names the record to publish"
    );

    let published = zone(dir.path(), &[("s1._domainkey", &record)]);
    let (code, v) = send(dir.path(), &config(2525, json!({})), &published, &args);
    let m = message(&v);
    assert_eq!(m["dkim"]["algorithm"], expect_alg);
    assert_eq!(
        m["dkim"]["verification"][0]["result"], "pass",
        "{:#}",
        m["dkim"]
    );
    assert!(
        !codes(&v).iter().any(|c| c.starts_with("send-")),
        "{:?}",
        codes(&v)
    );
    assert_eq!(code, 0, "{:?}", codes(&v));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("DKIM-Signature: v=1; a=") && text.contains("c=relaxed/relaxed"));
    assert!(
        text.contains("Subject: [test] Sign-in code\r\n")
            && text.contains("your sign-in code is 424242.")
    );
    if let Some(results) = dkimpy(&out, &[("s1._domainkey", &record)], dir.path()) {
        assert_eq!(
            results,
            [true],
            "dkimpy verifies our {expect_alg} signature"
        );
    }
    // `inspect` reads the message `send` wrote and verifies the same signature.
    let inspected = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .arg("inspect")
        .arg(&out)
        .args(["--format", "json", "--offline", "--zone"])
        .arg(&published)
        .output()
        .unwrap();
    let iv: Value = serde_json::from_slice(&inspected.stdout).expect("inspect JSON");
    let dkim = &iv["targets"][0]["facts"]["inspect"]["dkim"][0];
    assert_eq!(dkim["result"], "pass", "{dkim:#}");
    assert_eq!(dkim["algorithm"], expect_alg);
    assert_eq!(dkim["from_signed"], true);
    // A published key that is not this private key's: the signature fails, named as such.
    let other = if expect_alg == "ed25519-sha256" {
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    } else {
        "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
    };
    let wrong = zone(dir.path(), &[("s1._domainkey", other), ("unused", "x")]);
    let (_, v) = send(dir.path(), &config(2525, json!({})), &wrong, &args);
    assert!(
        codes(&v).contains(&"send-dkim-key-mismatch".to_string()),
        "{:?}",
        codes(&v)
    );
}

#[test]
fn rsa_pkcs8_signs_and_verifies() {
    sign_round_trip("test-rsa2048-pkcs8.pem", "rsa-sha256");
}

#[test]
fn rsa_pkcs1_signs_and_verifies() {
    sign_round_trip("test-rsa2048-pkcs1.pem", "rsa-sha256");
}

#[test]
fn ed25519_signs_and_verifies() {
    sign_round_trip("test-ed25519.pem", "ed25519-sha256");
}

#[test]
fn the_published_record_is_the_keys_public_key() {
    // Independent of our DER code: openssl's SubjectPublicKeyInfo for the same key.
    let Ok(out) = Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(fixture("keys/test-rsa2048-pkcs8.pem"))
        .output()
    else {
        common::notice("openssl not found; skipping");
        return;
    };
    use base64::Engine;
    let spki = base64::engine::general_purpose::STANDARD.encode(&out.stdout);
    let pem = std::fs::read_to_string(fixture("keys/test-rsa2048-pkcs1.pem")).unwrap();
    let key = mailpreflight::dkim::signing::load_private_key(&pem).unwrap();
    assert_eq!(key.public_record(), format!("v=DKIM1; k=rsa; p={spki}"));
    assert_eq!(key.rsa_bits, Some(2048));
    assert!(
        !format!("{key:?}").contains("MII"),
        "Debug never shows key material"
    );
}

#[test]
fn alignment_wrong_keys_and_missing_templates() {
    let dir = TempDir::new("send-bad");
    let out = dir.path().join("m.eml").display().to_string();
    let z = zone(dir.path(), &[]);
    let rsa = fixture("keys/test-rsa2048-pkcs8.pem").display().to_string();
    // d= outside the From domain's organization.
    let (_, v) = send(
        dir.path(),
        &config(2525, json!({})),
        &z,
        &[
            "--dry-run",
            "--out",
            &out,
            "--dkim-key",
            &rsa,
            "--dkim-selector",
            "s1",
            "--dkim-domain",
            "other.test",
        ],
    );
    assert!(
        codes(&v).contains(&"send-dkim-not-aligned".to_string()),
        "{:?}",
        codes(&v)
    );
    // A certificate is not a private key: a finding, and the mail is not signed.
    let cert = fixture("keys/not-a-key.crt.pem").display().to_string();
    let (code, v) = send(
        dir.path(),
        &config(2525, json!({})),
        &z,
        &[
            "--dry-run",
            "--out",
            &out,
            "--dkim-key",
            &cert,
            "--dkim-selector",
            "s1",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        codes(&v).contains(&"send-dkim-key-unreadable".to_string()),
        "{:?}",
        codes(&v)
    );
    assert!(
        !std::fs::read_to_string(&out)
            .unwrap()
            .contains("DKIM-Signature")
    );
    // An unreadable key file is an input error (exit 2).
    let (code, _) = (
        Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
            .args([
                "send",
                "--config",
                "/nonexistent.json",
                "--to",
                "a@b.test",
                "--dry-run",
                "--out",
                &out,
                "--dkim-key",
                "/nonexistent.pem",
                "--dkim-selector",
                "s1",
            ])
            .output()
            .unwrap()
            .status
            .code(),
        (),
    );
    assert_eq!(code, Some(2));
    // The config's own dkim option with an Ed25519 key: nodemailer would send unsigned.
    let ed = std::fs::read_to_string(fixture("keys/test-ed25519.pem")).unwrap();
    let cfg = config(
        2525,
        json!({"dkim": {"domainName": DOMAIN, "keySelector": "s1", "privateKey": ed}}),
    );
    let (_, v) = send(dir.path(), &cfg, &z, &["--dry-run", "--out", &out]);
    assert!(
        codes(&v).contains(&"send-nodemailer-sends-unsigned".to_string()),
        "{:?}",
        codes(&v)
    );
    assert!(
        message(&v)["unsigned_reason"]
            .as_str()
            .unwrap()
            .contains("Ed25519")
    );
    // No template for the usage type: nothing is built.
    let (code, v) = send(
        dir.path(),
        &config(2525, json!({})),
        &z,
        &["--dry-run", "--out", &out, "--usage", "MfaVerification"],
    );
    assert_eq!(code, 1);
    assert!(codes(&v).contains(&"template-usage-missing".to_string()));
    assert!(message(&v).is_null());
    // HTML template, non-ASCII subject: encoded, and the lint names the missing text part.
    let (_, v) = send(
        dir.path(),
        &config(2525, json!({})),
        &z,
        &[
            "--dry-run",
            "--out",
            &out,
            "--usage",
            "ForgotPassword",
            "--no-test-marker",
        ],
    );
    assert!(codes(&v).contains(&"template-html-no-text".to_string()));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("Subject: =?UTF-8?B?")
            && text.contains("Content-Type: text/html; charset=utf-8")
    );
    assert!(!text.contains("X-Mailpreflight-Test"));
}

/// The RFC 8463 A.3 example and the RFC 6376 example signed with the RFC 8463 keys verify
/// through the same path `send` uses (our DNS layer feeding mail-auth).
#[test]
fn rfc_vectors_verify() {
    let dns_json: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("dkim-vectors/mail-auth-001.dns.json")).unwrap(),
    )
    .unwrap();
    let mut text =
        "$ORIGIN football.example.com.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n"
            .to_string();
    for (name, values) in dns_json["txt"].as_object().unwrap() {
        let label = name.trim_end_matches(".football.example.com");
        text.push_str(&format!(
            "{label} TXT \"{}\"\n",
            values[0].as_str().unwrap()
        ));
    }
    let zone = parse_zone(&text, "vectors", None).unwrap();
    let dns = Dns::new(DnsConfig {
        nameservers: vec![],
        timeout: std::time::Duration::from_secs(1),
        attempts: 1,
        zones: vec![zone],
        offline: true,
    })
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for file in ["dkimpy-rfc6376.signed.eml", "mail-auth-001.eml"] {
        let bytes = std::fs::read(fixture(&format!("dkim-vectors/{file}"))).unwrap();
        let checks = rt
            .block_on(mailpreflight::dkim::verify_mail::verify(&dns, &bytes))
            .unwrap();
        assert_eq!(checks.len(), 2, "{file}");
        for c in &checks {
            assert_eq!(c.result, "pass", "{file}: {c:?}");
        }
        let algs: Vec<&str> = checks.iter().map(|c| c.algorithm.as_str()).collect();
        assert!(
            algs.contains(&"ed25519-sha256") && algs.contains(&"rsa-sha256"),
            "{file}: {algs:?}"
        );
    }
}

/// Sent to a real SMTP server: the stored copy is byte-for-byte what was signed, and its
/// signature verifies (mail-auth through our DNS layer, and dkimpy).
#[test]
fn delivered_copy_verifies() {
    if !smtp_server::available() {
        return;
    }
    let dir = TempDir::new("send-live");
    let ca = Ca::new("mailpreflight send test CA");
    let cert = ca.issue(Kind::Valid, dir.path(), "srv");
    let store = dir.path().join("store");
    let s = smtp_server::start(Options {
        variant: "starttls-auth-after-tls",
        cert: Some((cert.cert.as_path(), cert.key.as_path())),
        user: "alice@example.test",
        pass_env: ("MP_SEND_PASS", "Send-Pass-Word"),
        delay_banner: None,
        store: &store,
    });
    // The first run names the record; publish it, then send for real.
    let key = fixture("keys/test-rsa2048-pkcs8.pem").display().to_string();
    let cfg = config(
        s.port,
        json!({"fromEmail": "alice@example.test", "tls": {"ca": ca.pem}}),
    );
    let dry = dir.path().join("dry.eml").display().to_string();
    let empty = zone(dir.path(), &[]);
    let (_, v) = send(
        dir.path(),
        &cfg,
        &empty,
        &[
            "--dry-run",
            "--out",
            &dry,
            "--dkim-key",
            &key,
            "--dkim-selector",
            "s1",
            "--dkim-domain",
            DOMAIN,
        ],
    );
    let record = message(&v)["dkim"]["public_record"]
        .as_str()
        .unwrap()
        .to_string();
    let z = zone(dir.path(), &[("s1._domainkey", &record)]);
    let (code, v) = send(
        dir.path(),
        &cfg,
        &z,
        &[
            "--pass-env",
            "MP_SEND_PASS",
            "--dkim-key",
            &key,
            "--dkim-selector",
            "s1",
            "--dkim-domain",
            DOMAIN,
        ],
    );
    let smtp = &v["targets"][0]["facts"]["smtp"];
    assert_eq!(
        smtp["delivery"]["accepted"], true,
        "{:#}",
        smtp["prediction"]
    );
    assert!(
        smtp["delivery"]["final_reply"]
            .as_str()
            .unwrap()
            .starts_with("250")
    );
    // The test mail's From (alice@example.test) is not in example-send.test's organization.
    let c = codes(&v);
    assert!(c.contains(&"send-dkim-not-aligned".to_string()), "{c:?}");
    assert!(
        !c.iter().any(|c| c.starts_with("smtp-")
            || c.starts_with("tls-")
            || c == "send-dkim-no-key"
            || c == "send-dkim-key-mismatch"),
        "{c:?}"
    );
    assert_eq!(code, 0);
    let stored = std::fs::read(store.join("1.eml")).expect("the server stored the message");
    assert!(!store.join("2.eml").exists(), "sent exactly once");
    let meta: Value =
        serde_json::from_slice(&std::fs::read(store.join("1.json")).unwrap()).unwrap();
    assert_eq!(meta["rcpt_tos"], json!(["bob@example.org"]));
    assert_eq!(meta["mail_from"], "alice@example.test");
    assert_eq!(meta["tls"], true);
    let text = String::from_utf8_lossy(&stored);
    assert!(text.contains(&format!(
        "Message-ID: {}",
        message(&v)["message_id"].as_str().unwrap()
    )));
    assert_eq!(
        stored.len(),
        message(&v)["bytes"].as_u64().unwrap() as usize,
        "byte-for-byte"
    );
    let zone_text = std::fs::read_to_string(&z).unwrap();
    let dns = Dns::new(DnsConfig {
        nameservers: vec![],
        timeout: std::time::Duration::from_secs(1),
        attempts: 1,
        zones: vec![parse_zone(&zone_text, "z", None).unwrap()],
        offline: true,
    })
    .unwrap();
    let checks = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(mailpreflight::dkim::verify_mail::verify(&dns, &stored))
        .unwrap();
    assert_eq!(checks[0].result, "pass", "{checks:?}");
    let copy = dir.path().join("stored.eml");
    std::fs::write(&copy, &stored).unwrap();
    if let Some(results) = dkimpy(&copy, &[("s1._domainkey", &record)], dir.path()) {
        assert_eq!(results, [true]);
    }
    let all = v.to_string();
    assert!(!all.contains("Send-Pass-Word"));
    // Every field of the send report is documented.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-schema.md"))
        .unwrap();
    let mut keys = std::collections::BTreeSet::new();
    common::json_keys(&v["targets"][0]["facts"], &mut keys);
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("\"{k}\"")))
        .collect();
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

/// A refused recipient: a finding with nodemailer's text, nothing stored, nothing retried.
#[test]
fn refused_recipient_is_named_and_nothing_is_sent() {
    if !smtp_server::available() {
        return;
    }
    let dir = TempDir::new("send-rcpt");
    let ca = Ca::new("mailpreflight rcpt test CA");
    let cert = ca.issue(Kind::Valid, dir.path(), "srv");
    let store = dir.path().join("store");
    let s = smtp_server::start(Options {
        variant: "refuse-recipient",
        cert: Some((cert.cert.as_path(), cert.key.as_path())),
        user: "alice@example.test",
        pass_env: ("MP_SEND_PASS", "Send-Pass-Word"),
        delay_banner: None,
        store: &store,
    });
    let cfg = config(
        s.port,
        json!({"fromEmail": "alice@example.test", "tls": {"ca": ca.pem}}),
    );
    let z = zone(dir.path(), &[]);
    let (code, v) = send(dir.path(), &cfg, &z, &["--pass-env", "MP_SEND_PASS"]);
    assert_eq!(code, 1);
    assert!(
        codes(&v).contains(&"send-recipient-rejected".to_string()),
        "{:?}",
        codes(&v)
    );
    let smtp = &v["targets"][0]["facts"]["smtp"];
    assert_eq!(smtp["delivery"]["accepted"], false);
    assert!(
        smtp["prediction"]["operator_message"]
            .as_str()
            .unwrap()
            .starts_with("Can't send mail - all recipients were rejected: 550 5.1.1"),
        "{:#}",
        smtp["prediction"]
    );
    let sent: Vec<&str> = smtp["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["dir"] == "client")
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        sent.iter().filter(|l| l.starts_with("RCPT TO")).count(),
        1,
        "{sent:?}"
    );
    assert!(!sent.contains(&"DATA"), "{sent:?}");
    assert!(
        std::fs::read_dir(&store).map(|d| d.count()).unwrap_or(0) == 0,
        "nothing stored"
    );
}
