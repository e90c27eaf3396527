//! Node's own trust rules, checked against Node itself: for each way of trusting a private
//! CA (none, NODE_EXTRA_CA_CERTS, tls.ca, tls.ca of another CA with NODE_EXTRA_CA_CERTS, an
//! unreadable NODE_EXTRA_CA_CERTS), `node` makes the TLS connection the connector would
//! (tls.connect with the config's `ca`) to an implicit-TLS aiosmtpd server, and the probe's
//! verdict must agree with Node's `authorized` / error message.
//! Skipped with a notice without node or aiosmtpd, except under CI=true.

mod common;
use common::TempDir;
use common::pki::{Ca, Kind};
use serde_json::{Value, json};
use std::process::{Command, Stdio};

const USER: &str = "alice@example.test";
const PASS: &str = "Node-Trust-3";
const PASS_VAR: &str = "MP_NODE_PASS";

/// Connects as Node's tls module does for nodemailer (`ca` only when given) and prints
/// `authorized` or the error's message.
const NODE_SCRIPT: &str = r#"
const tls = require('tls');
const fs = require('fs');
const [port, caFile] = process.argv.slice(1);
const options = { host: '127.0.0.1', port: Number(port), servername: 'localhost' };
if (caFile) options.ca = fs.readFileSync(caFile, 'utf8');
const socket = tls.connect(options, () => { console.log('authorized'); socket.destroy(); });
socket.on('error', e => { console.log(e.message); });
socket.setTimeout(5000, () => { console.log('timeout'); socket.destroy(); });
"#;

fn node_available() -> bool {
    let ok = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    common::outside_tool(
        ok,
        "node is required under CI=true (apt-get install nodejs)",
        "skipping the Node trust cross-check: no node",
    )
}

fn node_says(port: u16, ca: Option<&std::path::Path>, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("node");
    cmd.args(["-e", NODE_SCRIPT, &port.to_string()]);
    if let Some(ca) = ca {
        cmd.arg(ca);
    }
    let out = cmd
        .env_remove("NODE_EXTRA_CA_CERTS")
        .env_remove("NODE_OPTIONS")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

fn tool_says(dir: &TempDir, port: u16, ca_pem: Option<&str>, env: &[(&str, &str)]) -> Value {
    let templates: Vec<Value> = ["Register", "SignIn", "ForgotPassword", "Generic"]
        .iter()
        .map(|u| json!({"usageType": u, "contentType": "text/plain", "subject": "Code", "content": "{{code}}"}))
        .collect();
    let mut cfg = json!({
        "host": "127.0.0.1", "port": port, "secure": true, "servername": "localhost",
        "auth": {"user": USER}, "fromEmail": USER, "templates": templates,
    });
    if let Some(pem) = ca_pem {
        cfg["tls"] = json!({"ca": pem});
    }
    let path = dir.path().join("config.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let out = common::smtp_offline(&path, PASS_VAR, PASS)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["targets"][0]["facts"]["smtp"].clone()
}

#[test]
fn the_probe_trusts_what_node_trusts() {
    if !node_available() || !common::smtp_server::available() {
        return;
    }
    let dir = TempDir::new("node-trust");
    let ca = Ca::new("mailpreflight Node trust CA");
    let other = Ca::new("another throwaway CA");
    let cert = ca.issue(Kind::Valid, dir.path(), "server");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let other_file = dir.path().join("other.pem");
    std::fs::write(&other_file, &other.pem).unwrap();
    let server = common::smtp_server::start(common::smtp_server::Options {
        variant: "implicit-tls",
        cert: Some((cert.cert.as_path(), cert.key.as_path())),
        user: USER,
        pass_env: (PASS_VAR, PASS),
        delay_banner: None,
        store: &dir.path().join("store"),
    });
    let ca_path = ca_file.to_str().unwrap();
    let extra = [("NODE_EXTRA_CA_CERTS", ca_path)];
    let missing = [("NODE_EXTRA_CA_CERTS", "/nonexistent/extra.pem")];
    type Case<'a> = (
        &'a str,
        Option<(&'a std::path::Path, &'a str)>,
        &'a [(&'a str, &'a str)],
    );
    let cases: Vec<Case<'_>> = vec![
        ("no private CA", None, &[]),
        ("NODE_EXTRA_CA_CERTS", None, &extra),
        ("tls.ca", Some((ca_file.as_path(), ca.pem.as_str())), &[]),
        (
            "tls.ca of another CA, NODE_EXTRA_CA_CERTS of the right one",
            Some((other_file.as_path(), other.pem.as_str())),
            &extra,
        ),
        ("unreadable NODE_EXTRA_CA_CERTS", None, &missing),
    ];
    let mut node_results = Vec::new();
    for (name, ca_opt, env) in cases {
        let node = node_says(server.port, ca_opt.map(|(f, _)| f), env);
        let smtp = tool_says(&dir, server.port, ca_opt.map(|(_, p)| p), env);
        let predicted = match smtp["tls"]["node_message"].as_str() {
            None => "authorized".to_string(),
            Some(m) => m.to_string(),
        };
        assert_eq!(
            predicted, node,
            "{name}: the probe says {predicted:?}, Node says {node:?}"
        );
        println!("case {name}: Node and the probe both say {node:?}");
        node_results.push(node);
    }
    // The cases are not all alike (a broken probe or script could agree by saying the same).
    assert_eq!(
        node_results,
        [
            "unable to verify the first certificate",
            "authorized",
            "authorized",
            "unable to verify the first certificate",
            "unable to verify the first certificate"
        ]
    );
}
