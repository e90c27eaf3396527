//! What every check receives and returns.
//!
//! A check never fails: what it could not verify is a finding. It returns its findings
//! and its facts; severity policy is applied later, in one place (`report::sink`).

use crate::report::Finding;
use std::net::IpAddr;
use std::time::Instant;

/// Options for the DNS checks of one domain, resolved from the command line.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// `--sending-ip`: evaluate SPF for this client address.
    pub sending_ip: Option<IpAddr>,
    /// `--helo`: the HELO/EHLO name for SPF evaluation (macros %{h}); defaults to the domain.
    pub helo: Option<String>,
    /// `--mail-from`: the MAIL FROM address SPF is evaluated for (its local part feeds %{l}
    /// and %{s}); empty for the null reverse-path, which checks the HELO identity.
    /// Default: `postmaster@<domain>`.
    pub mail_from: Option<String>,
    /// `--selector`: DKIM selectors to check besides the built-in list.
    pub selectors: Vec<String>,
    /// Selectors probed like the built-in list: reported when found, never "missing"
    /// (--selector's, for a domain whose --domains-file line names its own).
    pub probe_selectors: Vec<String>,
    /// `--no-default-selectors`: only the selectors given.
    pub no_default_selectors: bool,
}

/// A check's result.
#[derive(Clone, Debug, Default)]
pub struct Checked<F> {
    pub findings: Vec<Finding>,
    pub facts: F,
}

impl<F: Default> Checked<F> {
    pub fn new() -> Self {
        Checked {
            findings: Vec::new(),
            facts: F::default(),
        }
    }
}

impl<F> Checked<F> {
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }
}

/// Milliseconds since `since`, to a tenth: the elapsed times of the report.
pub fn millis(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 10_000.0).round() / 10.0
}
