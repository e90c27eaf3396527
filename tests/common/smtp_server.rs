//! The aiosmtpd test server (tests/servers/smtp_server.py) as a child process: one variant
//! per process, its stdin held open (the server exits when the test drops it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

pub struct SmtpServer {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    pub store: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether python3 with aiosmtpd is here. Absent on a developer's machine: the caller skips
/// with a notice. Under CI=true (.ci/run installs it) its absence fails the test.
pub fn available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    super::outside_tool(
        ok,
        "python3 with aiosmtpd is required under CI=true (pip install -r tests/servers/requirements.txt)",
        "skipping the aiosmtpd tests: python3 -c 'import aiosmtpd' failed (pip install -r tests/servers/requirements.txt)",
    )
}

pub struct Options<'a> {
    pub variant: &'a str,
    pub cert: Option<(&'a Path, &'a Path)>,
    pub user: &'a str,
    /// The environment variable that holds the password (never on argv).
    pub pass_env: (&'a str, &'a str),
    pub delay_banner: Option<f64>,
    pub store: &'a Path,
}

pub fn start(o: Options<'_>) -> SmtpServer {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/servers/smtp_server.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script)
        .args([
            "--variant",
            o.variant,
            "--user",
            o.user,
            "--pass-env",
            o.pass_env.0,
        ])
        .arg("--store")
        .arg(o.store)
        .env(o.pass_env.0, o.pass_env.1)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some((cert, key)) = o.cert {
        cmd.arg("--cert").arg(cert).arg("--key").arg(key);
    }
    if let Some(d) = o.delay_banner {
        cmd.args(["--delay-banner", &d.to_string()]);
    }
    let mut child = cmd.spawn().expect("start smtp_server.py");
    let stdin = child.stdin.take().expect("stdin");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read READY line");
    let port = line
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("smtp_server.py {}: no READY line (got {line:?})", o.variant));
    SmtpServer {
        child,
        _stdin: stdin,
        port,
        store: o.store.to_path_buf(),
    }
}
