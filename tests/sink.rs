//! `sink` with real clients: Python's smtplib (STARTTLS, AUTH PLAIN and LOGIN), swaks, and the
//! project's own `send` with DKIM. The stored bytes must equal what was sent, and the
//! report's verdicts must match the message.

mod common;
use common::TempDir;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Sink {
    child: Child,
    port: u16,
    store: std::path::PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    fn start(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Sink {
        let store = dir.join("store");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailpreflight"));
        cmd.args([
            "sink",
            "--listen",
            "127.0.0.1:0",
            "--once",
            "--format",
            "json",
            "--store",
        ])
        .arg(&store)
        .args(["--offline", "--zone"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/zones/demo"))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split("listening on 127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no listening line: {line}"));
        Sink { child, port, store }
    }

    /// Waits for the --once exit; returns (exit code, the message's JSON report line).
    fn report(mut self) -> (i32, Value) {
        let mut out = String::new();
        std::io::Read::read_to_string(self.child.stdout.as_mut().unwrap(), &mut out).unwrap();
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        (
            code,
            serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}")),
        )
    }
}

fn python_available() -> bool {
    Command::new("python3")
        .arg("-c")
        .arg("import smtplib, ssl")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

const MESSAGE: &str = "From: Logto <noreply@example-good.test>\r\nTo: you@example.org\r\nSubject: Your code {{code}}\r\n\r\nHello,\r\n.a line that starts with a dot\r\nno final newline";

fn smtplib(port: u16, store: &Path, mechanism: &str, user: &str, password: &str) -> String {
    let script = format!(
        r#"
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile={cafile:?})
s = smtplib.SMTP("127.0.0.1", {port}, timeout=10)
s.ehlo("client.test")
s.starttls(context=ctx)
s.ehlo("client.test")
try:
    if {mech:?} == "PLAIN":
        s.login({user:?}, {password:?})
    else:
        s.user, s.password = {user:?}, {password:?}
        s.auth("LOGIN", s.auth_login, initial_response_ok=False)
except smtplib.SMTPAuthenticationError as e:
    print("AUTHFAIL", e.smtp_code); sys.exit(0)
s.sendmail("noreply@example-good.test", ["you@example.org"], {msg:?}.encode())
s.quit()
print("SENT")
"#,
        cafile = store.join("sink-cert.pem").display().to_string(),
        mech = mechanism,
        msg = MESSAGE,
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn smtplib_starttls_plain_is_stored_byte_for_byte_and_graded() {
    if !python_available() {
        common::notice("python3 not found; skipping");
        return;
    }
    let dir = TempDir::new("sink");
    let sink = Sink::start(dir.path(), &[], &[]);
    let store = sink.store.clone();
    assert_eq!(
        smtplib(
            sink.port,
            &store,
            "PLAIN",
            "noreply@example-good.test",
            "pw-not-kept"
        ),
        "SENT"
    );
    let (code, v) = sink.report();
    let stored = std::fs::read_to_string(store.join("1.eml")).unwrap();
    // smtplib adds the final CRLF; the dot-stuffed line is restored.
    assert_eq!(stored, format!("{MESSAGE}\r\n"));
    let r = &v["facts"]["received"];
    assert!(r["session"]["tls"].as_str().unwrap().starts_with("TLS 1."));
    assert_eq!(r["session"]["auth_mechanism"], "PLAIN");
    assert_eq!(r["session"]["auth_user"], "noreply@example-good.test");
    assert_eq!(
        r["session"]["rcpt_to"],
        serde_json::json!(["you@example.org"])
    );
    let c = codes(&v);
    assert!(
        c.contains(&"received-unrendered-placeholder".to_string()),
        "{c:?}"
    );
    assert!(c.contains(&"received-unsigned".to_string()), "{c:?}");
    assert!(!c.contains(&"received-no-tls".to_string()), "{c:?}");
    assert_eq!(code, 1, "an error finding fails --once");
    assert!(!v.to_string().contains("pw-not-kept"));
}

#[test]
fn require_auth_refuses_other_credentials() {
    if !python_available() {
        return;
    }
    let dir = TempDir::new("sink-auth");
    let sink = Sink::start(
        dir.path(),
        &["--require-auth", "alice@example.test:MP_SINK_PASS"],
        &[("MP_SINK_PASS", "right")],
    );
    let store = sink.store.clone();
    assert_eq!(
        smtplib(sink.port, &store, "PLAIN", "alice@example.test", "wrong"),
        "AUTHFAIL 535"
    );
    assert_eq!(
        smtplib(sink.port, &store, "LOGIN", "alice@example.test", "right"),
        "SENT"
    );
    let (_, v) = sink.report();
    assert_eq!(v["facts"]["received"]["session"]["auth_mechanism"], "LOGIN");
}

#[test]
fn swaks_delivers_over_starttls() {
    let has_swaks = Command::new("swaks")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_swaks {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "swaks is required under CI=true (apt-get install swaks)"
        );
        common::notice("swaks not found; skipping (apt-get install swaks)");
        return;
    }
    let dir = TempDir::new("sink-swaks");
    let sink = Sink::start(dir.path(), &[], &[]);
    let out = Command::new("swaks")
        .args([
            "--server",
            &format!("127.0.0.1:{}", sink.port),
            "--tls",
            "--auth",
            "LOGIN",
            "--auth-user",
            "bob",
            "--auth-password",
            "pw",
        ])
        .args([
            "--from",
            "bob@example-good.test",
            "--to",
            "you@example.org",
            "--header",
            "Subject: swaks test",
            "--body",
            "plain body",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (_, v) = sink.report();
    let r = &v["facts"]["received"];
    assert_eq!(r["session"]["auth_mechanism"], "LOGIN");
    assert_eq!(r["session"]["mail_from"], "bob@example-good.test");
    assert!(r["subject"].as_str().unwrap().contains("swaks test"));
}

#[test]
fn refuses_a_public_address_without_public() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .args(["sink", "--listen", "0.0.0.0:0", "--offline", "--zone"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/zones/demo"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public"));
}
