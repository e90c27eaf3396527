//! The option groups several subcommands share (flattened into each): secrets from the
//! environment, the DKIM key, the SMTP probe, DNS, and output.

use crate::report::render::Format;
use crate::report::sink::FailOn;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Secrets given by environment variable (never on the command line); they win over the file.
#[derive(Debug, Args)]
pub struct SecretEnvArgs {
    /// Take the password (auth.pass) from this environment variable; it wins over the file.
    #[arg(long, value_name = "NAME")]
    pub pass_env: Option<String>,

    /// Take the OAuth2 access token (auth.accessToken) from this environment variable.
    #[arg(long, value_name = "NAME")]
    pub access_token_env: Option<String>,

    /// Take the OAuth2 refresh token (auth.refreshToken) from this environment variable.
    #[arg(long, value_name = "NAME")]
    pub refresh_token_env: Option<String>,

    /// Take the OAuth2 client secret (auth.clientSecret) from this environment variable.
    #[arg(long, value_name = "NAME")]
    pub client_secret_env: Option<String>,

    /// Take the OAuth2 service key (auth.privateKey) from this environment variable.
    #[arg(long, value_name = "NAME")]
    pub private_key_env: Option<String>,
}

/// The DKIM key to sign the test passcode mail with (`send`, `audit`).
#[derive(Debug, Args)]
pub struct DkimKeyArgs {
    /// Sign with this DKIM private key (PEM: PKCS#1 or PKCS#8, RSA or Ed25519) instead of
    /// the config's own `dkim` option.
    #[arg(long, value_name = "FILE", requires = "dkim_selector")]
    pub dkim_key: Option<PathBuf>,

    /// The selector for --dkim-key.
    #[arg(long, value_name = "SELECTOR", requires = "dkim_key")]
    pub dkim_selector: Option<String>,

    /// The signing domain d= (default: the From domain).
    #[arg(long, value_name = "DOMAIN", requires = "dkim_key")]
    pub dkim_domain: Option<String>,
}

/// How the SMTP session is run.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Test the credentials even where they would cross the network unencrypted.
    #[arg(long)]
    pub allow_plaintext_auth: bool,

    /// The longest the probe waits for one step (connect, a reply, a TLS handshake), e.g. 10s.
    /// The connector's own timeouts still decide the prediction.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub smtp_timeout: String,

    /// Trust the CA certificates in this PEM file besides Node's bundled roots, as
    /// NODE_EXTRA_CA_CERTS does for the Logto process (which this run also honours; the flag
    /// wins). Like Node, ignored when the config sets tls.ca.
    #[arg(long, value_name = "PEM")]
    pub extra_ca: Option<std::path::PathBuf>,
}

/// How DNS questions are answered.
#[derive(Debug, Args)]
pub struct DnsOptions {
    // The doc comment is the --help text (clap prints it as written): its brackets are not links.
    #[allow(rustdoc::broken_intra_doc_links)]
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

    /// The whole budget the servers get to answer one DNS lookup, every try included, e.g.
    /// 5s, 800ms, 2.5 (seconds). Within it a question is asked again when its answer is
    /// overdue (the retransmission timeout follows the server's measured round trips,
    /// doubling per try, a try waiting at most 1.5 s or the timeout when longer); an earlier
    /// try's late answer is still taken. Waiting for room among the questions in flight to a
    /// server (its congestion window, under loss) is the tool's own queue and is not
    /// counted, up to 60 s per question.
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub timeout: String,

    /// At most this many retransmissions per server within the budget.
    #[arg(long, value_name = "N", default_value_t = 5)]
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

    /// Compare with an earlier `--format json` report of the same command: findings it had
    /// are marked known and do not fail the run; fixed findings and changed records are listed.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,

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
