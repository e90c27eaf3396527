//! A private Postfix instance (scripts/postfix.sh) for a test: started with fresh loopback
//! ports, stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether root, postfix and saslpasswd2 are here (skips with a notice otherwise, fails
/// under CI=true).
pub fn available() -> bool {
    let has = |cmd: &str| {
        Command::new("sh")
            .args([
                "-c",
                &format!("command -v {cmd} || test -x /usr/sbin/{cmd}"),
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let ok = super::is_root() && has("postfix") && has("saslpasswd2");
    super::outside_tool(
        ok,
        "Postfix with Cyrus SASL (and root) is required under CI=true: run scripts/postfix-install.sh",
        "skipping the Postfix tests: needs root, postfix and saslpasswd2 (scripts/postfix-install.sh)",
    )
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running instance: its ports (relay: 0 when not asked for).
pub struct Postfix {
    pub dir: PathBuf,
    pub submission: u16,
    pub smtps: u16,
    pub relay: u16,
}

impl Postfix {
    /// Starts an instance in `dir` with the certificate and one SASL user whose password
    /// is in `pass_var` = `pass`; `with_relay` adds the unauthenticated relay port.
    pub fn start(
        dir: &Path,
        cert: &super::pki::ServerCert,
        user: &str,
        (pass_var, pass): (&str, &str),
        with_relay: bool,
    ) -> Postfix {
        let (submission, smtps) = (free_port(), free_port());
        let relay = if with_relay { free_port() } else { 0 };
        let mut cmd = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/postfix.sh"));
        cmd.arg("start")
            .arg(dir)
            .args([submission.to_string(), smtps.to_string()])
            .arg(&cert.cert)
            .arg(&cert.key)
            .args([user, pass_var])
            .env(pass_var, pass);
        if with_relay {
            cmd.arg(relay.to_string());
        }
        let status = cmd.status().expect("run scripts/postfix.sh");
        assert!(status.success(), "scripts/postfix.sh start failed");
        Postfix {
            dir: dir.to_path_buf(),
            submission,
            smtps,
            relay,
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/postfix.sh"))
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}
