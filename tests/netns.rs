//! Where Logto often runs: a network namespace with only loopback (many CI runners,
//! air-gapped hosts, locked-down pods), so no resolver can be reached. The probe must give
//! the same verdicts there as nodemailer does: an IP address needs no DNS, `localhost` comes
//! from /etc/hosts, an unreachable resolver is a finding, never exit 3.
//!
//! `everything_works_without_a_resolver` re-runs this test binary's `inside` test under
//! `unshare --net` (lo up, nothing else), where the servers (aiosmtpd, Postfix) are started
//! too, so they live in the same namespace. Needs root, unshare and ip; skipped with a notice
//! without them, except under CI=true (.ci/run installs them and runs as root).

mod common;
use common::TempDir;
use common::pki::{Ca, Kind};
use serde_json::{Value, json};
use std::process::{Command, Stdio};

const INSIDE: &str = "MAILPREFLIGHT_TEST_IN_NETNS";
const USER: &str = "alice@example.test";
const PASS: &str = "Netns-Pass-7";
const PASS_VAR: &str = "MP_NETNS_PASS";

fn namespaces_available() -> bool {
    let works = common::is_root()
        && Command::new("unshare")
            .args(["--net", "--", "ip", "link", "set", "lo", "up"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    common::outside_tool(
        works,
        "root, unshare and ip (util-linux, iproute2) are required under CI=true",
        "skipping the network-namespace tests: needs root, unshare and ip (util-linux, iproute2)",
    )
}

#[test]
fn everything_works_without_a_resolver() {
    if std::env::var_os(INSIDE).is_some() || !namespaces_available() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("unshare")
        .args(["--net", "--", "sh", "-c"])
        .arg("ip link set lo up && exec \"$0\" --exact inside --ignored --nocapture --test-threads=1")
        .arg(&exe)
        .env(INSIDE, "1")
        .output()
        .expect("run unshare");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "inside the namespace:\n{text}");
    assert!(
        text.contains("1 passed"),
        "the inner test did not run:\n{text}"
    );
}

fn templates() -> Value {
    json!(["Register", "SignIn", "ForgotPassword", "Generic"]
        .iter()
        .map(|u| json!({"usageType": u, "contentType": "text/plain", "subject": "Code", "content": "Your code is {{code}}"}))
        .collect::<Vec<_>>())
}

fn config(host: &str, port: u16, extra: Value) -> Value {
    let mut c = json!({
        "host": host, "port": port, "secure": false,
        "auth": {"type": "login", "user": USER},
        "fromEmail": USER, "templates": templates(),
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// One run of the binary in the namespace: exit code and JSON report. Node's trust variables
/// are only those given.
fn run(dir: &TempDir, args: &[&str], cfg: Option<&Value>, env: &[(&str, &str)]) -> (i32, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailpreflight"));
    cmd.args(args);
    if let Some(cfg) = cfg {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.path().join(format!("config-{n}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(cfg).unwrap()).unwrap();
        cmd.arg("--config").arg(path).args(["--pass-env", PASS_VAR]);
    }
    let out = cmd
        .args(["--format", "json"])
        .env(PASS_VAR, PASS)
        .env_remove("NODE_EXTRA_CA_CERTS")
        .env_remove("NODE_OPTIONS")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(!text.contains(PASS), "the password leaked");
    (out.status.code().unwrap_or(-1), v)
}

fn smtp_facts(v: &Value) -> &Value {
    let targets = v["targets"].as_array().unwrap();
    targets
        .iter()
        .find_map(|t| t["facts"].get("smtp"))
        .expect("SMTP facts")
}

fn findings(v: &Value) -> Vec<(String, String)> {
    v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().iter())
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The verdict and the predicted operator text, asserted together.
fn assert_prediction(v: &Value, verdict: &str, message: Option<&str>, case: &str) {
    let p = &smtp_facts(v)["prediction"];
    assert_eq!(p["verdict"], verdict, "{case}: {p:#}\n{:?}", findings(v));
    assert_eq!(p["operator_message"].as_str(), message, "{case}: {p:#}");
    println!("case {case}: {verdict}; operator text {message:?}");
}

#[test]
#[ignore = "runs inside the network namespace made by everything_works_without_a_resolver"]
fn inside() {
    if std::env::var_os(INSIDE).is_none() {
        return;
    }
    // The premise: no resolver can be reached from here.
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    assert!(
        probe.connect("192.0.2.53:53").is_err(),
        "a route leaves the namespace"
    );

    let dir = TempDir::new("netns");
    let ca = Ca::new("mailpreflight netns throwaway CA");
    let cert = ca.issue(Kind::Valid, dir.path(), "netns");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let ca_path = ca_file.to_str().unwrap();
    let extra = [("NODE_EXTRA_CA_CERTS", ca_path)];
    let smtp = ["smtp"];

    if common::smtp_server::available() {
        let server = |variant: &str| {
            common::smtp_server::start(common::smtp_server::Options {
                variant,
                cert: Some((cert.cert.as_path(), cert.key.as_path())),
                user: USER,
                pass_env: (PASS_VAR, PASS),
                delay_banner: None,
                store: &dir.path().join(format!("store-{variant}")),
            })
        };
        let starttls = server("starttls-auth-after-tls");
        let with_ca = json!({"tls": {"ca": ca.pem}});

        // localhost: nodemailer skips resolve4/resolve6 (no non-loopback interface) and
        // getaddrinfo reads /etc/hosts.
        let (code, v) = run(
            &dir,
            &smtp,
            Some(&config("localhost", starttls.port, with_ca.clone())),
            &[],
        );
        assert_prediction(
            &v,
            "will-send",
            None,
            "aiosmtpd STARTTLS, localhost, tls.ca",
        );
        assert_eq!(code, 0, "{:?}", findings(&v));
        let found = smtp_facts(&v)["addresses_found_by"].as_str().unwrap();
        assert!(
            found.starts_with("getaddrinfo") && found.contains("resolve4 skipped"),
            "{found}"
        );

        // An IP address: no DNS at all.
        let (_, v) = run(
            &dir,
            &smtp,
            Some(&config("127.0.0.1", starttls.port, with_ca.clone())),
            &[],
        );
        assert_prediction(
            &v,
            "will-send",
            None,
            "aiosmtpd STARTTLS, 127.0.0.1, tls.ca",
        );
        assert_eq!(
            smtp_facts(&v)["addresses_found_by"],
            "an IP address: no DNS lookup"
        );

        // The private CA through NODE_EXTRA_CA_CERTS, and not trusted at all.
        let plain = config("localhost", starttls.port, json!({}));
        let (_, v) = run(&dir, &smtp, Some(&plain), &extra);
        assert_prediction(
            &v,
            "will-send",
            None,
            "aiosmtpd STARTTLS, NODE_EXTRA_CA_CERTS",
        );
        let (code, v) = run(&dir, &smtp, Some(&plain), &[]);
        assert_prediction(
            &v,
            "will-fail",
            Some("unable to verify the first certificate"),
            "aiosmtpd STARTTLS, untrusted CA",
        );
        assert_eq!(code, 1);

        // Implicit TLS (the 465 behaviour, on the server's own port).
        let implicit = server("implicit-tls");
        let (_, v) = run(
            &dir,
            &smtp,
            Some(&config("localhost", implicit.port, json!({"secure": true}))),
            &extra,
        );
        assert_prediction(
            &v,
            "will-send",
            None,
            "aiosmtpd implicit TLS, NODE_EXTRA_CA_CERTS",
        );
        assert_eq!(smtp_facts(&v)["tls"]["mode"], "implicit");

        // No AUTH offered while a password is configured: nodemailer sends without logging
        // in, silently; an error here.
        let no_auth = server("no-auth");
        let (code, v) = run(
            &dir,
            &smtp,
            Some(&config("localhost", no_auth.port, with_ca.clone())),
            &[],
        );
        assert_prediction(
            &v,
            "will-send-wrongly",
            None,
            "aiosmtpd without AUTH, password set",
        );
        assert!(
            findings(&v).contains(&("config-password-unused".into(), "error".into())),
            "{:?}",
            findings(&v)
        );
        assert_eq!(code, 1);

        // audit: the From domain's DNS cannot be asked; the SMTP verdict still stands.
        let (code, v) = run(
            &dir,
            &["audit"],
            Some(&config("localhost", starttls.port, with_ca)),
            &[],
        );
        assert_eq!(code, 1, "{:?}", findings(&v));
        assert_eq!(smtp_facts(&v)["prediction"]["verdict"], "will-send");
        assert!(
            findings(&v)
                .iter()
                .any(|(c, _)| c == "dns-resolver-unreachable"),
            "{:?}",
            findings(&v)
        );
        println!("case audit: exit 1, dns-resolver-unreachable, SMTP will-send");

        // send: delivered; the DKIM check against DNS cannot be made and says so.
        let key = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/keys/test-rsa2048-pkcs8.pem"
        );
        let send = [
            "send",
            "--to",
            "carol@example.test",
            "--dkim-key",
            key,
            "--dkim-selector",
            "s1",
        ];
        let mut cfg = config("localhost", starttls.port, json!({"tls": {"ca": ca.pem}}));
        cfg["fromEmail"] = json!(USER);
        let (code, v) = run(&dir, &send, Some(&cfg), &[]);
        assert_eq!(code, 1, "{:?}", findings(&v));
        assert_eq!(
            smtp_facts(&v)["delivery"]["accepted"],
            true,
            "{:?}",
            findings(&v)
        );
        assert!(
            findings(&v)
                .iter()
                .any(|(c, _)| c == "send-dkim-verify-error"),
            "{:?}",
            findings(&v)
        );
        let stored = std::fs::read_dir(dir.path().join("store-starttls-auth-after-tls"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert!(stored >= 1, "the message was not stored");
        println!("case send: delivered, send-dkim-verify-error (DNS unreachable), exit 1");
    }

    // dns: every domain reported with the failure, exit 1, not 3; the system resolver and
    // one given with --nameserver alike.
    for source in [vec![], vec!["--nameserver", "192.0.2.53"]] {
        let mut args = vec!["dns", "example.com", "example.org"];
        args.extend(source.iter().copied());
        let (code, v) = run(&dir, &args, None, &[]);
        let targets = v["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 2);
        for t in targets {
            let codes: Vec<&str> = t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap())
                .collect();
            // A resolver on loopback that nobody serves (127.0.0.53 without systemd-resolved)
            // refuses or times out instead: also a DNS finding, never the end of the run.
            assert!(
                codes.contains(&"dns-resolver-unreachable")
                    || (source.is_empty() && codes.iter().all(|c| c.starts_with("dns-"))),
                "{source:?}: {codes:?}"
            );
        }
        assert_eq!(code, 1, "{source:?}");
        println!("case dns {source:?}: exit 1, every domain reported");
    }

    postfix_cases(&dir, &cert, &ca, ca_path);
}

fn postfix_cases(dir: &TempDir, cert: &common::pki::ServerCert, ca: &Ca, ca_path: &str) {
    if !common::postfix::available() {
        return;
    }
    let instance = common::postfix::Postfix::start(
        &dir.path().join("postfix"),
        cert,
        USER,
        (PASS_VAR, PASS),
        true,
    );
    let (sub, smtps, relay) = (instance.submission, instance.smtps, instance.relay);
    let extra = [("NODE_EXTRA_CA_CERTS", ca_path)];
    let smtp = ["smtp"];

    let (_, v) = run(
        dir,
        &smtp,
        Some(&config("localhost", sub, json!({"tls": {"ca": ca.pem}}))),
        &[],
    );
    assert_prediction(
        &v,
        "will-send",
        None,
        "Postfix submission STARTTLS, localhost, tls.ca",
    );
    let (_, v) = run(
        dir,
        &smtp,
        Some(&config("127.0.0.1", smtps, json!({"secure": true}))),
        &extra,
    );
    assert_prediction(
        &v,
        "will-send",
        None,
        "Postfix smtps, 127.0.0.1, NODE_EXTRA_CA_CERTS",
    );
    let (_, v) = run(
        dir,
        &smtp,
        Some(&config("localhost", smtps, json!({"secure": true}))),
        &[],
    );
    assert_prediction(
        &v,
        "will-fail",
        Some("unable to verify the first certificate"),
        "Postfix smtps, untrusted CA",
    );

    // The unauthenticated relay: no AUTH offered (the password is never used) and every
    // recipient refused at RCPT, after MAIL FROM was accepted.
    let (code, v) = run(
        dir,
        &smtp,
        Some(&config("localhost", relay, json!({"tls": {"ca": ca.pem}}))),
        &[],
    );
    assert_prediction(
        &v,
        "will-fail",
        Some(
            "Can't send mail - all recipients were rejected: 554 5.7.1 <mailpreflight-rcpt-probe@example.org>: Recipient address rejected: Access denied",
        ),
        "Postfix relay refusing at RCPT, password set",
    );
    let found = findings(&v);
    assert!(
        found.contains(&("smtp-recipient-refused".into(), "error".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("config-password-unused".into(), "error".into())),
        "{found:?}"
    );
    assert!(
        smtp_facts(&v)["mail_from_reply"]
            .as_str()
            .unwrap()
            .starts_with("250")
    );
    assert_eq!(code, 1);
}
