//! The SMTP probe against Postfix with Cyrus SASL: a private instance (scripts/postfix.sh)
//! started and stopped by this test, with a submission port (STARTTLS, AUTH only after TLS)
//! and an smtps port (implicit TLS), certificates from a throwaway CA made here.
//! Needs root and the Debian packages postfix, sasl2-bin, libsasl2-modules
//! (scripts/postfix-install.sh). Skipped with a notice without them, except under CI=true.

mod common;
use common::TempDir;
use common::pki::{Ca, Kind};
use common::postfix::Postfix;
use serde_json::{Value, json};
use std::process::Command;

const USER: &str = "alice@example.test";
const PASS: &str = "P0stfix-Sasl-Secret";
const PASS_VAR: &str = "MP_TEST_POSTFIX_PASS";

fn templates() -> Value {
    json!(["Register", "SignIn", "ForgotPassword", "Generic"]
        .iter()
        .map(|u| json!({"usageType": u, "contentType": "text/plain", "subject": "Code", "content": "{{code}}"}))
        .collect::<Vec<_>>())
}

fn probe(dir: &std::path::Path, cfg: Value, password: &str) -> Value {
    let path = dir.join(format!("cfg-{}.json", common::postfix::free_port()));
    std::fs::write(&path, cfg.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .args(["smtp", "--config"])
        .arg(&path)
        .args(["--pass-env", PASS_VAR, "--format", "json"])
        .env(PASS_VAR, password)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains(password) || password.is_empty());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn summary(v: &Value) -> (String, Vec<String>, String) {
    let t = &v["targets"][0];
    let smtp = &t["facts"]["smtp"];
    (
        smtp["prediction"]["verdict"]
            .as_str()
            .unwrap_or("?")
            .to_string(),
        t["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect(),
        smtp["prediction"]["operator_message"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

#[test]
fn postfix_submission_and_smtps() {
    if !common::postfix::available() {
        return;
    }
    let work = TempDir::new("postfix");
    let ca = Ca::new("mailpreflight throwaway Postfix CA");
    let cert = ca.issue(Kind::Valid, work.path(), "postfix");
    let instance = Postfix::start(
        &work.path().join("instance"),
        &cert,
        USER,
        (PASS_VAR, PASS),
        false,
    );
    let (sub, smtps) = (instance.submission, instance.smtps);
    let base = |port: u16, extra: Value| {
        let mut c = json!({
            "host": "localhost", "port": port, "secure": false,
            "auth": {"type": "login", "user": USER},
            "fromEmail": USER, "templates": templates(),
            "tls": {"ca": ca.pem},
        });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };

    // Submission: STARTTLS, then AUTH PLAIN (nodemailer's first choice), then MAIL FROM.
    let v = probe(work.path(), base(sub, json!({})), PASS);
    let (verdict, codes, _) = summary(&v);
    assert_eq!(
        verdict, "will-send",
        "{codes:?} {:#}",
        v["targets"][0]["facts"]["smtp"]["prediction"]
    );
    let smtp = &v["targets"][0]["facts"]["smtp"];
    assert_eq!(smtp["auth"]["offered_before_tls"], Value::Null);
    assert_eq!(smtp["auth"]["offered_after_tls"], json!(["PLAIN", "LOGIN"]));
    assert_eq!(smtp["auth"]["result"], "accepted (PLAIN)");

    let (verdict, codes, message) = summary(&probe(work.path(), base(sub, json!({})), "wrong"));
    assert_eq!(verdict, "will-fail");
    assert!(codes.contains(&"smtp-auth-failed".to_string()), "{codes:?}");
    assert!(message.starts_with("Invalid login: 535 5.7.8"), "{message}");

    // ignoreTLS: Postfix offers AUTH only after STARTTLS and refuses MAIL without it.
    let (verdict, codes, message) = summary(&probe(
        work.path(),
        base(sub, json!({"ignoreTLS": true})),
        PASS,
    ));
    assert_eq!(verdict, "will-fail");
    assert!(
        codes.contains(&"smtp-ignore-tls-blocks-auth".to_string()),
        "{codes:?}"
    );
    assert_eq!(
        message,
        "Mail command failed: 530 5.7.0 Must issue a STARTTLS command first"
    );

    // secure: true on the submission port; secure: false on the smtps port.
    let (verdict, codes, message) = summary(&probe(
        work.path(),
        base(sub, json!({"secure": true})),
        PASS,
    ));
    assert_eq!(verdict, "will-fail");
    assert!(
        codes.contains(&"smtp-secure-on-starttls-port".to_string()),
        "{codes:?}"
    );
    assert!(message.contains("wrong version number"));
    let (verdict, codes, message) = summary(&probe(work.path(), base(smtps, json!({})), PASS));
    assert_eq!(verdict, "will-fail");
    assert!(
        codes.contains(&"smtp-plaintext-on-tls-port".to_string()),
        "{codes:?}"
    );
    assert_eq!(message, "Greeting never received");

    // smtps with secure: true.
    let v = probe(work.path(), base(smtps, json!({"secure": true})), PASS);
    let (verdict, codes, _) = summary(&v);
    assert_eq!(verdict, "will-send", "{codes:?}");
    assert_eq!(v["targets"][0]["facts"]["smtp"]["tls"]["mode"], "implicit");
}
