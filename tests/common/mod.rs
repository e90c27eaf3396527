//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod snapshot;

use std::process::{Command, Output};

/// Run the built binary with `args`; never reaches a non-loopback resolver because every
/// test passes --nameserver 127.0.0.1:PORT or --offline.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run mailpreflight")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
