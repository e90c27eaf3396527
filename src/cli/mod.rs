//! The command line, as clap parses it. Raw arguments are validated once into the
//! settings types of [`settings`]; nothing else reads them.

pub mod settings;

use crate::report::render::Format;
use crate::report::sink::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  nothing at or above --fail-on
  1  findings at or above --fail-on
  2  usage or input error (bad flags, unreadable or malformed file)
  3  the audit could not run at all (e.g. no DNS configuration)";

#[derive(Debug, Parser)]
#[command(
    name = "mailpreflight",
    version,
    about = "Pre-flight an email sender: SPF, DKIM, DMARC, MX and related DNS records, judged by the RFCs",
    after_help = EXIT_CODES,
    propagate_version = true,
    term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// DNS-only audit of one or many domains (SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT, BIMI).
    #[command(after_help = EXIT_CODES)]
    Dns(Box<DnsArgs>),
    /// What a finding code means and how to fix it.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct DnsArgs {
    /// Domains to audit (results are printed in this order).
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,

    /// Read more domains from FILE, one per line (`#` starts a comment; `-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub domains_file: Option<PathBuf>,

    /// How many domains to audit at the same time.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub concurrency: usize,

    /// Evaluate SPF for this client IP address (the verdict and the term that decided it).
    #[arg(long, value_name = "IP")]
    pub sending_ip: Option<String>,

    /// HELO/EHLO name used for SPF evaluation with --sending-ip (default: the domain).
    #[arg(long, value_name = "NAME", requires = "sending_ip")]
    pub helo: Option<String>,

    /// A DKIM selector to check (repeatable); added to the built-in list of common selectors.
    #[arg(long = "selector", value_name = "SELECTOR")]
    pub selectors: Vec<String>,

    /// Check only the selectors given with --selector.
    #[arg(long)]
    pub no_default_selectors: bool,

    #[command(flatten)]
    pub dns: DnsOptions,

    #[command(flatten)]
    pub output: OutputOptions,
}

/// How DNS questions are answered.
#[derive(Debug, Args)]
pub struct DnsOptions {
    /// Ask this DNS server instead of the system's (repeatable; IP or IP:PORT, [IPv6]:PORT).
    #[arg(long, value_name = "IP[:PORT]")]
    pub nameserver: Vec<String>,

    /// Answer names inside this zone from an RFC 1035 zone file (repeatable). The origin comes
    /// from the file's $ORIGIN or SOA, or is given as ORIGIN=FILE. A directory loads every
    /// *.zone file in it.
    #[arg(long, value_name = "[ORIGIN=]FILE|DIR")]
    pub zone: Vec<String>,

    /// Answer from zone files only; nothing is asked on the network.
    #[arg(long)]
    pub offline: bool,

    /// Time to wait for one DNS answer, e.g. 5s, 800ms, 2.5 (seconds).
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub timeout: String,

    /// Retries after a DNS attempt that got no answer.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub retries: usize,
}

/// What is reported, how, and what fails the run.
#[derive(Debug, Args)]
pub struct OutputOptions {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with code 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,

    /// Lower this finding code to a note, marked allowed (repeatable).
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,

    /// Raise this finding code to an error (repeatable).
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,

    /// Colour in the table output (auto: only on a terminal, and never when NO_COLOR is set).
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,

    /// More detail: the DNS query log of each domain.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The finding code, e.g. spf-too-many-lookups.
    #[arg(value_name = "CODE", required_unless_present = "list")]
    pub code: Option<String>,

    /// List every finding code.
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
}
