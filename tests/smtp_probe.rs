//! The SMTP probe against real SMTP servers on loopback (aiosmtpd variants from
//! tests/servers/smtp_server.py), with certificates from a throwaway CA made here. Each
//! classic mistake: the verdict, the finding code, and the text the operator would see.
//! Skipped with a notice when python3/aiosmtpd is absent, except under CI=true.

mod common;
use common::TempDir;
use common::pki::{self, Ca, Kind};
use common::smtp_server::{self, Options, SmtpServer};
use serde_json::{Value, json};
use std::process::Command;

const USER: &str = "alice@example.test";
const PASS: &str = "Corr3ct-H0rse-Battery";
const PASS_VAR: &str = "MP_TEST_SMTP_PASS";

fn templates() -> Value {
    json!(["Register", "SignIn", "ForgotPassword", "Generic"]
        .iter()
        .map(|u| json!({"usageType": u, "contentType": "text/plain", "subject": "Code", "content": "Your code is {{code}}"}))
        .collect::<Vec<_>>())
}

/// A config the real connector accepts, pointed at `port`, with `extra` merged over it.
fn config(port: u16, extra: Value) -> Value {
    let mut c = json!({
        "host": "localhost",
        "port": port,
        "auth": {"type": "login", "user": USER},
        "fromEmail": USER,
        "templates": templates(),
        "secure": false,
    });
    let obj = c.as_object_mut().unwrap();
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    c
}

struct World {
    dir: TempDir,
    ca: Ca,
}

impl World {
    fn new() -> Option<World> {
        if !smtp_server::available() {
            return None;
        }
        Some(World {
            dir: TempDir::new("smtp"),
            ca: Ca::new("mailpreflight throwaway test CA"),
        })
    }

    fn server(
        &self,
        variant: &str,
        cert: Option<&pki::ServerCert>,
        delay: Option<f64>,
    ) -> SmtpServer {
        let store = self
            .dir
            .path()
            .join(format!("store-{variant}-{}", rand_tag()));
        smtp_server::start(Options {
            variant,
            cert: cert.map(|c| (c.cert.as_path(), c.key.as_path())),
            user: USER,
            pass_env: (PASS_VAR, PASS),
            delay_banner: delay,
            store: &store,
        })
    }

    fn valid_cert(&self) -> pki::ServerCert {
        self.ca.issue(
            Kind::Valid,
            self.dir.path(),
            &format!("valid-{}", rand_tag()),
        )
    }

    /// Runs `smtp --config` with the password in the environment; returns (exit code, JSON).
    fn probe(&self, cfg: &Value, extra_args: &[&str], password: &str) -> (i32, Value) {
        self.probe_env(cfg, extra_args, password, &[])
    }

    /// [`World::probe`] with Node's trust variables set as given (and only as given: this
    /// machine's own NODE_EXTRA_CA_CERTS / NODE_OPTIONS are removed).
    fn probe_env(
        &self,
        cfg: &Value,
        extra_args: &[&str],
        password: &str,
        env: &[(&str, &str)],
    ) -> (i32, Value) {
        let path = self.dir.path().join(format!("config-{}.json", rand_tag()));
        std::fs::write(&path, serde_json::to_vec_pretty(cfg).unwrap()).unwrap();
        let out = common::smtp_offline(&path, PASS_VAR, password)
            .args(extra_args)
            .envs(env.iter().copied())
            .output()
            .expect("run mailpreflight");
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {text}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }

    fn with_ca(&self, port: u16, extra: Value) -> Value {
        let mut c = config(port, extra);
        c.as_object_mut()
            .unwrap()
            .insert("tls".into(), json!({"ca": self.ca.pem}));
        c
    }
}

fn rand_tag() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

fn smtp(v: &Value) -> &Value {
    &v["targets"][0]["facts"]["smtp"]
}

fn verdict(v: &Value) -> &str {
    smtp(v)["prediction"]["verdict"].as_str().unwrap_or("?")
}

fn operator_message(v: &Value) -> String {
    smtp(v)["prediction"]["operator_message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn codes(v: &Value) -> Vec<String> {
    v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn assert_code(v: &Value, code: &str) {
    assert!(
        codes(v).iter().any(|c| c == code),
        "expected {code} in {:?}\n{:#}",
        codes(v),
        smtp(v)["prediction"]
    );
}

#[test]
fn starttls_with_trusted_private_ca_will_send() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let (code, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-send", "{:#}", smtp(&v));
    assert_eq!(code, 0, "{:?}", codes(&v));
    let f = smtp(&v);
    assert_eq!(f["tls"]["mode"], "starttls");
    assert!(f["tls"]["version"].as_str().unwrap().starts_with("TLS 1."));
    assert_eq!(f["tls"]["certificate"]["kind"], "trusted");
    assert_eq!(
        f["auth"]["offered_before_tls"],
        Value::Null,
        "AUTH only after STARTTLS"
    );
    assert_eq!(f["auth"]["offered_after_tls"], json!(["LOGIN", "PLAIN"]));
    // nodemailer prefers PLAIN whenever offered, whatever auth.type says.
    assert_eq!(f["auth"]["result"], "accepted (PLAIN)");
    assert!(f["mail_from_reply"].as_str().unwrap().starts_with("250"));
    // Nothing was sent: MAIL FROM then RSET.
    assert_eq!(
        std::fs::read_dir(&s.store).map(|d| d.count()).unwrap_or(0),
        0
    );
}

#[test]
fn wrong_password_is_invalid_login() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let (code, v) = w.probe(&w.with_ca(s.port, json!({})), &[], "wrong-password");
    assert_eq!((verdict(&v), code), ("will-fail", 1));
    assert_code(&v, "smtp-auth-failed");
    assert_eq!(
        operator_message(&v),
        "Invalid login: 535 5.7.8 Authentication credentials invalid"
    );
}

#[test]
fn login_only_server_gets_auth_login() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("login-only", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-send");
    assert_eq!(smtp(&v)["auth"]["result"], "accepted (LOGIN)");
}

#[test]
fn secure_false_on_implicit_tls_port_is_named_at_once() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("implicit-tls", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-plaintext-on-tls-port");
    assert_eq!(operator_message(&v), "Greeting never received");
    assert_eq!(
        smtp(&v)["prediction"]["shown_after"],
        "after greetingTimeout (30 s)"
    );
    // Named by the TLS race, not by waiting out the 30-second greetingTimeout.
    assert!(smtp(&v)["elapsed_ms"].as_f64().unwrap() < 15_000.0);
}

#[test]
fn implicit_tls_with_secure_true_will_send() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("implicit-tls", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({"secure": true})), &[], PASS);
    assert_eq!(verdict(&v), "will-send", "{:#}", smtp(&v));
    assert_eq!(smtp(&v)["tls"]["mode"], "implicit");
}

#[test]
fn secure_true_on_starttls_port_is_wrong_version_number() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({"secure": true})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-secure-on-starttls-port");
    assert!(
        operator_message(&v).contains("wrong version number"),
        "{}",
        operator_message(&v)
    );
}

#[test]
fn require_tls_without_starttls() {
    let Some(w) = World::new() else { return };
    let s = w.server("no-starttls", None, None);
    let (_, v) = w.probe(&config(s.port, json!({"requireTLS": true})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-starttls-unavailable");
    assert_eq!(
        operator_message(&v),
        "Error upgrading connection with STARTTLS: 454 4.7.0 TLS not available"
    );
}

#[test]
fn ignore_tls_where_auth_needs_starttls() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({"ignoreTLS": true})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-ignore-tls-blocks-auth");
    assert_code(&v, "config-password-unused");
    assert_code(&v, "smtp-no-tls");
    assert_eq!(
        operator_message(&v),
        "Mail command failed: 530 5.7.0 Authentication required"
    );
}

#[test]
fn no_auth_advertised_sends_without_login() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("no-auth", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], "any-password-goes");
    assert_eq!(verdict(&v), "will-send-wrongly", "{:#}", smtp(&v));
    assert_code(&v, "config-password-unused");
}

#[test]
fn ntlm_only_server_gets_plain_and_504() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("ntlm-only", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-auth-no-common-mechanism");
    assert_eq!(
        operator_message(&v),
        "Invalid login: 504 5.5.4 Unrecognized authentication type"
    );
}

#[test]
fn tls_legacy_only_server() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("tls-legacy", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert_code(&v, "tls-legacy-only");
    assert_eq!(
        operator_message(&v),
        "Client network socket disconnected before secure TLS connection was established"
    );
}

#[test]
fn certificate_faults_name_the_config_key_that_fixes_them() {
    let Some(w) = World::new() else { return };
    let dir = w.dir.path();
    let cases: Vec<(pki::ServerCert, bool, &str, String)> = vec![
        (pki::self_signed(dir, "self"), false, "tls-certificate-self-signed", "self-signed certificate".into()),
        (w.ca.issue(Kind::Expired, dir, "expired"), true, "tls-certificate-expired", "certificate has expired".into()),
        (w.ca.issue(Kind::WrongName, dir, "wrongname"), true, "tls-certificate-name-mismatch",
            "Hostname/IP does not match certificate's altnames: Host: localhost. is not in the cert's altnames: DNS:mail.other.test".into()),
        (w.valid_cert(), false, "tls-certificate-untrusted", "unable to verify the first certificate".into()),
    ];
    for (cert, trust_ca, code, message) in cases {
        let s = w.server("starttls-auth-after-tls", Some(&cert), None);
        let cfg = if trust_ca {
            w.with_ca(s.port, json!({}))
        } else {
            config(s.port, json!({}))
        };
        let (_, v) = w.probe(&cfg, &[], PASS);
        assert_eq!(verdict(&v), "will-fail", "{code}");
        assert_code(&v, code);
        assert_eq!(operator_message(&v), message, "{code}");
        // Credentials are withheld from a server whose certificate fails.
        assert!(
            smtp(&v)["auth"]["result"]
                .as_str()
                .unwrap()
                .contains("credentials withheld"),
            "{code}"
        );
        // rejectUnauthorized: false turns the same certificate into a warning-level risk.
        let mut insecure = cfg.clone();
        insecure["tls"]["rejectUnauthorized"] = json!(false);
        let (_, v) = w.probe(&insecure, &[], PASS);
        assert_eq!(verdict(&v), "will-send", "{code} with verification off");
        assert_code(&v, "tls-not-verified");
    }
}

#[test]
fn credentials_never_cross_in_clear_unless_allowed() {
    let Some(w) = World::new() else { return };
    let s = w.server("plaintext-auth", None, None);
    let cfg = config(s.port, json!({}));
    let (_, v) = w.probe(&cfg, &[], PASS);
    assert_eq!(verdict(&v), "cannot-tell");
    assert_code(&v, "smtp-auth-in-clear");
    let sent: Vec<&str> = smtp(&v)["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["dir"] == "client")
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(!sent.iter().any(|l| l.starts_with("AUTH")), "{sent:?}");
    let (_, v) = w.probe(&cfg, &["--allow-plaintext-auth"], PASS);
    assert_eq!(smtp(&v)["auth"]["result"], "accepted (PLAIN)");
    assert_eq!(verdict(&v), "will-send-wrongly");
    assert_code(&v, "smtp-auth-in-clear");
}

#[test]
fn refused_sender() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("refuse-sender", Some(&cert), None);
    let (_, v) = w.probe(
        &w.with_ca(s.port, json!({"fromEmail": "noreply@other.test"})),
        &[],
        PASS,
    );
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-sender-rejected");
    assert_eq!(
        operator_message(&v),
        "Mail command failed: 553 5.7.1 Sender address rejected: not owned by user alice@example.test"
    );
}

#[test]
fn slow_silent_and_dropping_servers() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("slow-banner", Some(&cert), Some(3.5));
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-send");
    assert_code(&v, "smtp-slow-banner");

    let s = w.server("silent", None, None);
    let (_, v) = w.probe(&config(s.port, json!({"greetingTimeout": 2500})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-greeting-timeout");
    assert_eq!(operator_message(&v), "Greeting never received");

    let s = w.server("drop-after-connect", None, None);
    let (_, v) = w.probe(&config(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-connection-dropped");
}

#[test]
fn closed_port_and_missing_password() {
    let Some(w) = World::new() else { return };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let (_, v) = w.probe(&config(port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-connection-refused");
    assert_eq!(
        operator_message(&v),
        format!("connect ECONNREFUSED 127.0.0.1:{port}")
    );

    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], "");
    assert_eq!(operator_message(&v), "Missing credentials for \"PLAIN\"");
    assert_code(&v, "smtp-auth-missing-credentials");
}

#[test]
fn the_password_never_appears_in_any_output_format() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let cfg_path = w.dir.path().join("secret-config.json");
    let mut cfg = w.with_ca(s.port, json!({}));
    cfg["auth"]["pass"] = json!("F1le-Secret-Value"); // in the file too: both must stay hidden
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let forbidden = [
        PASS.to_string(),
        "F1le-Secret-Value".to_string(),
        b64(PASS),
        b64(&format!("\0{USER}\0{PASS}")),
    ];
    for format in ["table", "json", "jsonl", "markdown", "sarif", "junit"] {
        let out = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
            .args(["smtp", "--config"])
            .arg(&cfg_path)
            .args(["--pass-env", PASS_VAR, "--format", format, "-v"])
            .env(PASS_VAR, PASS)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            all.contains("AUTH PLAIN ***") || format != "table",
            "{format}: masked AUTH line expected"
        );
        for secret in &forbidden {
            assert!(
                !all.contains(secret.as_str()),
                "{format} output contains a secret"
            );
        }
    }
}

/// Codes the tests above assert against a real server, and those they cannot, with why.
/// Every SMTP and TLS code of the catalogue must be in one list.
const COVERED: &[&str] = &[
    "smtp-recipient-refused",
    "smtp-recipient-probe-inconclusive",
    "tls-extra-ca-unusable",
    "smtp-host-unresolvable",
    "smtp-connection-refused",
    "smtp-connect-timeout",
    "smtp-connection-dropped",
    "smtp-greeting-timeout",
    "smtp-slow-banner",
    "smtp-bad-greeting",
    "smtp-secure-on-starttls-port",
    "smtp-plaintext-on-tls-port",
    "smtp-starttls-unavailable",
    "smtp-no-tls",
    "smtp-ignore-tls-blocks-auth",
    "smtp-starttls-injection",
    "smtp-ehlo-rejected",
    "smtp-auth-no-common-mechanism",
    "smtp-auth-in-clear",
    "smtp-auth-failed",
    "smtp-auth-missing-credentials",
    "smtp-auth-untested",
    "smtp-auth-required",
    "smtp-sender-rejected",
    "smtp-protocol-error",
    "smtp-phase-timeout",
    "tls-certificate-self-signed",
    "tls-certificate-untrusted",
    "tls-certificate-expired",
    "tls-certificate-not-yet-valid",
    "tls-certificate-name-mismatch",
    "tls-certificate-expires-soon",
    "tls-legacy-only",
    "tls-handshake-failed",
    "tls-not-verified",
];
const NOT_COVERED: &[(&str, &str)] = &[
    (
        "smtp-auth-not-advertised",
        "replaced by config-password-unused with --config (asserted); raised in HOST mode only",
    ),
    (
        "tls-certificate-invalid",
        "rustls' other certificate errors need hand-made broken certificates",
    ),
    (
        "tls-weak-key",
        "unreachable for now: rustls (ring) refuses handshake signatures by RSA keys under 2048 bits, so a 1024-bit server (made with the openssl CLI) ends as tls-handshake-failed `BadSignature` before the key is looked at; the probe must handle that first",
    ),
];

#[test]
fn every_smtp_and_tls_code_is_covered_or_explained() {
    use mailpreflight::report::Area;
    for code in mailpreflight::report::catalogue::all() {
        if matches!(code.area, Area::Smtp | Area::Tls) {
            let listed =
                COVERED.contains(&code.id) || NOT_COVERED.iter().any(|(c, _)| *c == code.id);
            assert!(
                listed,
                "{}: neither covered by a test here nor explained",
                code.id
            );
        }
    }
}

#[test]
fn unresolvable_host_oauth_without_token_and_no_credentials() {
    let Some(w) = World::new() else { return };
    // The bundled demo zones answer NXDOMAIN for this name (offline: nothing leaves the machine).
    let (_, v) = w.probe(
        &config(25, json!({"host": "nosuchhost.example-good.test"})),
        &[],
        PASS,
    );
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "smtp-host-unresolvable");
    assert_eq!(
        operator_message(&v),
        "getaddrinfo ENOTFOUND nosuchhost.example-good.test"
    );

    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let oauth = json!({"auth": {"type": "OAuth2", "user": USER, "clientId": "id", "clientSecret": "cs", "refreshToken": "rt"}});
    let (_, v) = w.probe(&w.with_ca(s.port, oauth), &[], PASS);
    assert_eq!(verdict(&v), "cannot-tell", "{:#}", smtp(&v));
    assert_code(&v, "smtp-auth-untested");

    let (_, v) = w.probe(
        &w.with_ca(s.port, json!({"auth": {"type": "login"}})),
        &[],
        "",
    );
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert_code(&v, "smtp-auth-required");
    assert_eq!(
        operator_message(&v),
        "Mail command failed: 530 5.7.0 Authentication required"
    );
}

#[test]
fn certificate_not_yet_valid() {
    let Some(w) = World::new() else { return };
    let cert = w.ca.issue(Kind::Future, w.dir.path(), "future");
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "tls-certificate-not-yet-valid");
}

/// Every key of a real `smtp` JSON report is documented in docs/json-schema.md.
#[test]
fn smtp_json_fields_are_documented() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-schema.md"))
        .unwrap();
    let mut all = std::collections::BTreeSet::new();
    common::json_keys(smtp(&v), &mut all);
    let missing: Vec<_> = all
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("\"{k}\"")))
        .collect();
    assert!(missing.is_empty(), "undocumented smtp fields: {missing:?}");
}

/// Node trusts a self-signed certificate pinned in tls.ca, even one marked CA:TRUE (as
/// `openssl req -x509` makes them), which WebPKI alone would refuse as an end entity.
#[test]
fn self_signed_certificate_pinned_in_tls_ca_is_trusted() {
    let Some(w) = World::new() else { return };
    for (i, cert) in [
        pki::self_signed(w.dir.path(), "pin-plain"),
        pki::self_signed_ca_flag(w.dir.path(), "pin-ca"),
    ]
    .into_iter()
    .enumerate()
    {
        let s = w.server("starttls-auth-after-tls", Some(&cert), None);
        let mut cfg = config(s.port, json!({}));
        cfg["tls"] = json!({"ca": cert.pem});
        let (_, v) = w.probe(&cfg, &[], PASS);
        assert_eq!(verdict(&v), "will-send", "case {i}: {:#}", smtp(&v)["tls"]);
        // The pinned certificate's name is still checked.
        cfg["servername"] = json!("other.test");
        let (_, v) = w.probe(&cfg, &[], PASS);
        assert_code(&v, "tls-certificate-name-mismatch");
    }
}

/// A zone file points smtp.gmail.com at the loopback test server (nothing leaves the
/// machine): the provider is recognised from the host and its 535 5.7.8 rule is applied.
/// The OAuth2 access token comes from the environment and never shows.
#[test]
fn provider_rules_apply_to_the_servers_reply() {
    let Some(w) = World::new() else { return };
    let zone = w.dir.path().join("gmail.com.zone");
    std::fs::write(
        &zone,
        "$ORIGIN gmail.com.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\nsmtp A 127.0.0.1\n",
    )
    .unwrap();
    let cert =
        w.ca.issue(Kind::Named("smtp.gmail.com"), w.dir.path(), "gmail");
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let cfg = w.with_ca(s.port, json!({"host": "smtp.gmail.com"}));
    let zone_arg = zone.display().to_string();
    let (_, v) = w.probe(&cfg, &["--zone", &zone_arg], "account-password");
    assert_eq!(
        smtp(&v)["provider"],
        "Gmail / Google Workspace",
        "{:#}",
        smtp(&v)
    );
    let failed = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "smtp-auth-failed")
        .expect("smtp-auth-failed");
    assert!(
        failed["remediation"]
            .as_str()
            .unwrap()
            .contains("App Password"),
        "{failed:#}"
    );

    // XOAUTH2 with the access token from --access-token-env: sent, masked, refused here.
    let oauth = w.with_ca(s.port, json!({"auth": {"type": "OAuth2", "user": USER, "clientId": "id", "clientSecret": "cs", "refreshToken": "rt"}, "authMethod": "XOAUTH2", "host": "smtp.gmail.com"}));
    let path = w.dir.path().join("oauth.json");
    std::fs::write(&path, oauth.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .args(["smtp", "--config"])
        .arg(&path)
        .args([
            "--access-token-env",
            "MP_TEST_TOKEN",
            "--format",
            "json",
            "--zone",
            &zone_arg,
        ])
        .env("MP_TEST_TOKEN", "ya29.Secret-Token")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("ya29.Secret-Token"));
    assert!(text.contains("AUTH XOAUTH2 ***"), "{text}");
}

/// The finding with this code (the first one).
fn finding<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", codes(v)))
}

/// What the probe sent, in order (credentials masked).
fn client_lines(v: &Value) -> Vec<String> {
    smtp(v)["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["dir"] == "client")
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect()
}

fn elapsed_ms(v: &Value) -> f64 {
    smtp(v)["elapsed_ms"].as_f64().unwrap()
}

/// nodemailer's `_formatError` appends the reply to a message that already quotes it.
#[test]
fn bad_greeting_is_an_invalid_greeting() {
    let Some(w) = World::new() else { return };
    let s = w.server("bad-greeting", None, None);
    let (code, v) = w.probe(&config(s.port, json!({})), &[], PASS);
    assert_eq!((verdict(&v), code), ("will-fail", 1), "{:#}", smtp(&v));
    assert_code(&v, "smtp-bad-greeting");
    let g = "554 5.7.1 mx.test.invalid ESMTP not accepting connections from you";
    assert_eq!(
        operator_message(&v),
        format!("Invalid greeting. response={g}: {g}")
    );
    assert_eq!(smtp(&v)["banner"], g);
    assert!(!client_lines(&v).iter().any(|l| l.starts_with("EHLO")));
}

#[test]
fn rejected_ehlo_then_helo_or_require_tls() {
    let Some(w) = World::new() else { return };
    let s = w.server("reject-ehlo", None, None);
    let r = "501 5.5.4 HELO/EHLO argument invalid";
    let (_, v) = w.probe(&config(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert_code(&v, "smtp-ehlo-rejected");
    assert_eq!(
        operator_message(&v),
        format!("Invalid HELO. response={r}: {r}")
    );
    let sent = client_lines(&v);
    assert!(sent.iter().any(|l| l.starts_with("HELO ")), "{sent:?}");

    // requireTLS: nodemailer gives up after EHLO, without HELO.
    let (_, v) = w.probe(&config(s.port, json!({"requireTLS": true})), &[], PASS);
    assert_code(&v, "smtp-ehlo-rejected");
    assert_eq!(
        operator_message(&v),
        format!("EHLO failed but HELO does not support required STARTTLS. response={r}: {r}")
    );
    assert!(!client_lines(&v).iter().any(|l| l.starts_with("HELO ")));
}

/// A non-ASCII `name` goes out as UTF-8 (as nodemailer sends it); aiosmtpd without
/// SMTPUTF8 refuses it in EHLO and HELO alike.
#[test]
fn non_ascii_name_is_refused_by_a_strict_server() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let cfg = w.with_ca(s.port, json!({"name": "mäil.example.test"}));
    let (_, v) = w.probe(&cfg, &[], PASS);
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert_code(&v, "smtp-ehlo-rejected");
    assert_code(&v, "config-name-not-ascii");
    let r = "500 Error: strict ASCII mode";
    assert_eq!(
        operator_message(&v),
        format!("Invalid HELO. response={r}: {r}")
    );
    assert!(client_lines(&v).contains(&"EHLO mäil.example.test".to_string()));
}

/// The wait for a reply is --smtp-timeout (or socketTimeout if smaller), never more.
#[test]
fn server_that_stalls_after_ehlo_is_a_timeout() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("stall-after-ehlo", Some(&cert), None);
    let started = std::time::Instant::now();
    let (_, v) = w.probe(
        &w.with_ca(s.port, json!({})),
        &["--smtp-timeout", "2s"],
        PASS,
    );
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert_code(&v, "smtp-phase-timeout");
    assert!(
        finding(&v, "smtp-phase-timeout")["message"]
            .as_str()
            .unwrap()
            .contains("no reply to STARTTLS within 2 s")
    );
    assert_eq!(operator_message(&v), "Timeout");
    // nodemailer would wait its default socketTimeout; the probe says it stopped sooner.
    assert_eq!(
        smtp(&v)["prediction"]["shown_after"],
        "after socketTimeout (600 s); the probe gave up after 2 s"
    );
    assert!(client_lines(&v).contains(&"STARTTLS".to_string()));
    assert!(elapsed_ms(&v) < 8_000.0, "{}", elapsed_ms(&v));
    assert!(started.elapsed().as_secs() < 15);

    // socketTimeout smaller than --smtp-timeout decides; with ignoreTLS the stall is MAIL.
    let cfg = w.with_ca(s.port, json!({"socketTimeout": 1500, "ignoreTLS": true}));
    let (_, v) = w.probe(&cfg, &[], PASS);
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert!(
        finding(&v, "smtp-phase-timeout")["message"]
            .as_str()
            .unwrap()
            .contains("no reply to MAIL FROM within 1.5 s")
    );
    assert_eq!(operator_message(&v), "Timeout");
    assert_eq!(
        smtp(&v)["prediction"]["shown_after"],
        "after socketTimeout (1.5 s)"
    );
    assert!(elapsed_ms(&v) < 6_000.0, "{}", elapsed_ms(&v));
}

/// nodemailer queues the line that came with the 220 and, with no command waiting for it,
/// fails with `Unexpected Response`; the probe stops there too, before any handshake.
#[test]
fn data_after_the_starttls_220_is_an_injection_and_fatal() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-injection", Some(&cert), None);
    let (code, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!((verdict(&v), code), ("will-fail", 1), "{:#}", smtp(&v));
    let f = finding(&v, "smtp-starttls-injection");
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("sent 14 more byte(s) after \"220\" to STARTTLS"),
        "{f:#}"
    );
    assert_eq!(operator_message(&v), "Unexpected Response: 250 injected");
    assert_eq!(smtp(&v)["tls"], Value::Null);
    let sent = client_lines(&v);
    assert_eq!(
        sent.last().map(String::as_str),
        Some("STARTTLS"),
        "{sent:?}"
    );
}

/// The server says 220 to STARTTLS, then answers the ClientHello in plaintext.
#[test]
fn plaintext_after_the_starttls_220_fails_the_handshake() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("tls-garbage", Some(&cert), None);
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert!(
        finding(&v, "tls-handshake-failed")["message"]
            .as_str()
            .unwrap()
            .contains("answered the TLS handshake (STARTTLS) with something that is not TLS")
    );
    assert!(
        operator_message(&v).contains("wrong version number"),
        "{}",
        operator_message(&v)
    );
    assert!(!codes(&v).contains(&"smtp-starttls-injection".to_string()));
}

/// Bounded in time and memory, whatever the server sends. The bound is the probe's own,
/// so no nodemailer message is predicted.
#[test]
fn hostile_lines_stop_at_the_probes_bounds() {
    let Some(w) = World::new() else { return };
    for (variant, what) in [
        (
            "hostile-long-line",
            "the greeting: a reply line longer than 2048 bytes",
        ),
        ("hostile-many-lines", "EHLO: a reply of more than 100 lines"),
    ] {
        let s = w.server(variant, None, None);
        let started = std::time::Instant::now();
        let (_, v) = w.probe(&config(s.port, json!({})), &[], PASS);
        assert_eq!(verdict(&v), "cannot-tell", "{variant}: {:#}", smtp(&v));
        let f = finding(&v, "smtp-protocol-error");
        assert!(
            f["message"].as_str().unwrap().ends_with(what),
            "{variant}: {f:#}"
        );
        assert_eq!(operator_message(&v), "", "{variant}");
        assert!(
            smtp(&v)["prediction"]["reasons"][0]
                .as_str()
                .unwrap()
                .contains("nodemailer has no such limit"),
            "{variant}"
        );
        assert!(elapsed_ms(&v) < 5_000.0, "{variant}: {}", elapsed_ms(&v));
        assert!(started.elapsed().as_secs() < 10, "{variant}");
    }
}

#[test]
fn certificate_expiring_soon_is_a_warning() {
    let Some(w) = World::new() else { return };
    let cert = w.ca.issue(Kind::ExpiresInDays(10), w.dir.path(), "soon");
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let (code, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!((verdict(&v), code), ("will-send", 0), "{:#}", smtp(&v));
    let f = finding(&v, "tls-certificate-expires-soon");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("the certificate expires in 10 days ("),
        "{f:#}"
    );
    assert_eq!(smtp(&v)["tls"]["chain"][0]["days_left"], 10);
}

/// A listener whose accept queue is full: Linux drops the next SYN, so connect() hangs as
/// behind a dropping firewall (no root, loopback only). Skipped where that does not hold.
#[cfg(target_os = "linux")]
#[test]
fn unanswered_syn_is_a_connect_timeout() {
    use std::os::fd::AsRawFd;
    let Some(w) = World::new() else { return };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // Backlog 0: the accept queue holds one connection, which `_filler` takes.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let _filler = std::net::TcpStream::connect(addr).unwrap();
    let dropped =
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500))
            .is_err_and(|e| e.kind() == std::io::ErrorKind::TimedOut);
    if !dropped {
        common::notice("skipping: this kernel does not drop SYNs to a full accept queue");
        return;
    }
    let cfg = config(addr.port(), json!({"connectionTimeout": 1500}));
    let (_, v) = w.probe(&cfg, &[], PASS);
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert_code(&v, "smtp-connect-timeout");
    assert_eq!(operator_message(&v), "Connection timeout");
    assert_eq!(
        smtp(&v)["prediction"]["shown_after"],
        "after connectionTimeout (1.5 s)"
    );
    assert!(elapsed_ms(&v) < 6_000.0, "{}", elapsed_ms(&v));
}

/// Servers often refuse at RCPT, not at MAIL FROM: the probe asks RCPT TO (--to, else the
/// documented probe address), then RSET; never DATA.
#[test]
fn a_refusal_at_rcpt_is_all_recipients_rejected() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    // refuse-recipient: 550 5.1.1 for any recipient outside example.test.
    let s = w.server("refuse-recipient", Some(&cert), None);
    let (code, v) = w.probe(
        &w.with_ca(s.port, json!({})),
        &["--to", "bob@other.test"],
        PASS,
    );
    assert_eq!(verdict(&v), "will-fail", "{:#}", smtp(&v));
    assert_eq!(code, 1);
    assert_code(&v, "smtp-recipient-refused");
    assert_eq!(
        operator_message(&v),
        "Can't send mail - all recipients were rejected: 550 5.1.1 <bob@other.test>: Recipient address rejected: not verified"
    );
    assert_eq!(smtp(&v)["rcpt_to"], "bob@other.test");
    // The default probe address refused as an unknown mailbox says nothing about the sender.
    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_code(&v, "smtp-recipient-probe-inconclusive");
    assert!(!codes(&v).contains(&"smtp-recipient-refused".to_string()));
    assert_ne!(verdict(&v), "will-fail");
    assert_eq!(smtp(&v)["rcpt_to"], "mailpreflight-rcpt-probe@example.org");
    // An accepted recipient: nothing was stored (RSET, no DATA).
    let (_, v) = w.probe(
        &w.with_ca(s.port, json!({})),
        &["--to", "carol@example.test"],
        PASS,
    );
    assert_eq!(verdict(&v), "will-send", "{:#}", smtp(&v));
    assert_eq!(
        std::fs::read_dir(&s.store).map(|d| d.count()).unwrap_or(0),
        0
    );
}

/// Node's trust: a private CA is trusted through NODE_EXTRA_CA_CERTS (or --extra-ca, the
/// same from another machine), through tls.ca, or not at all; tls.ca replaces the rest.
#[test]
fn private_ca_trusted_as_node_trusts_it() {
    let Some(w) = World::new() else { return };
    let cert = w.valid_cert();
    let s = w.server("starttls-auth-after-tls", Some(&cert), None);
    let ca_file = w.dir.path().join("private-ca.pem");
    std::fs::write(&ca_file, &w.ca.pem).unwrap();
    let ca = ca_file.to_str().unwrap();
    let plain = config(s.port, json!({}));

    let (_, v) = w.probe(&plain, &[], PASS);
    assert_eq!(verdict(&v), "will-fail");
    assert_code(&v, "tls-certificate-untrusted");
    assert_eq!(
        operator_message(&v),
        "unable to verify the first certificate"
    );
    assert_eq!(
        smtp(&v)["tls"]["trusted_roots"],
        "Node's bundled Mozilla roots"
    );

    let (code, v) = w.probe_env(&plain, &[], PASS, &[("NODE_EXTRA_CA_CERTS", ca)]);
    assert_eq!(verdict(&v), "will-send", "{:#}", smtp(&v));
    assert_eq!(code, 0);
    let roots = smtp(&v)["tls"]["trusted_roots"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        roots,
        format!("Node's bundled Mozilla roots + 1 certificate(s) from NODE_EXTRA_CA_CERTS={ca}")
    );

    let (_, v) = w.probe(&plain, &["--extra-ca", ca], PASS);
    assert_eq!(verdict(&v), "will-send", "{:#}", smtp(&v));

    let (_, v) = w.probe(&w.with_ca(s.port, json!({})), &[], PASS);
    assert_eq!(verdict(&v), "will-send");
    assert!(
        smtp(&v)["tls"]["trusted_roots"]
            .as_str()
            .unwrap()
            .starts_with("only the 1 PEM block(s) in tls.ca")
    );

    // tls.ca set to another CA: NODE_EXTRA_CA_CERTS no longer counts, as in Node.
    let other = Ca::new("another throwaway CA");
    let mut cfg = config(s.port, json!({}));
    cfg["tls"] = json!({"ca": other.pem});
    let (_, v) = w.probe_env(&cfg, &[], PASS, &[("NODE_EXTRA_CA_CERTS", ca)]);
    assert_eq!(verdict(&v), "will-fail");
    assert_eq!(
        operator_message(&v),
        "unable to verify the first certificate"
    );

    // An unreadable extra file: Node warns and goes on without it.
    let (_, v) = w.probe_env(
        &plain,
        &[],
        PASS,
        &[("NODE_EXTRA_CA_CERTS", "/nonexistent/ca.pem")],
    );
    assert_code(&v, "tls-extra-ca-unusable");
    assert_eq!(
        operator_message(&v),
        "unable to verify the first certificate"
    );
}
