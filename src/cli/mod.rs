//! The command line, as clap parses it. Raw arguments are validated once into the
//! settings types of [`settings`]; nothing else reads them.

pub mod audit_settings;
pub mod domains_file;
pub mod layers;
mod options;
pub mod send_settings;
pub mod settings;
pub mod smtp_settings;
pub mod spf_settings;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub use options::{ColorChoice, DkimKeyArgs, DnsOptions, OutputOptions, ProbeArgs, SecretEnvArgs};

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
    about = "Pre-flight an email connector: SPF, DKIM, DMARC and related DNS records judged by the RFCs, and the SMTP server probed as nodemailer will use it",
    after_help = EXIT_CODES,
    propagate_version = true,
    term_width = 100,
    arg_required_else_help = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Print a commented mailpreflight.toml (the settings for repeated runs) and exit; the
    /// same as `mailpreflight init`.
    #[arg(long)]
    pub print_config_template: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole pre-flight of a Logto SMTP connector config: config and templates, the SMTP
    /// probe, the DNS audit of the From domain, DMARC alignment predicted, provider and
    /// mailbox-provider requirements; with --to, a DKIM-signed test passcode mail.
    #[command(after_help = EXIT_CODES)]
    Audit(Box<AuditArgs>),
    /// The full audit against a bundled example world served on loopback (no network):
    /// a correct setup, or --broken for one full of classic mistakes.
    #[command(after_help = EXIT_CODES)]
    Demo(DemoArgs),
    /// DNS-only audit of one or many domains (SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT, BIMI).
    #[command(after_help = EXIT_CODES)]
    Dns(Box<DnsArgs>),
    // The doc comment is the --help text (clap prints it as written): its brackets are not links.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// The SMTP probe alone: what nodemailer will do with a connector config (or HOST[:PORT]),
    /// and why it would fail.
    #[command(after_help = EXIT_CODES)]
    Smtp(Box<SmtpArgs>),
    /// Render a template, DKIM-sign, verify the signature against DNS, and send one test
    /// passcode mail to --to (or write it with --dry-run --out FILE).
    #[command(after_help = EXIT_CODES)]
    Send(Box<SendArgs>),
    /// An SMTP server to point a connector at during setup: stores and grades each message
    /// (DKIM, alignment, template rendering, TLS, AUTH); never relays.
    #[command(after_help = EXIT_CODES)]
    Sink(Box<SinkArgs>),
    /// A received message (.eml, `-` for stdin, or headers pasted from "show original"):
    /// DKIM and ARC verified against DNS, Authentication-Results compared, the Received chain
    /// with delays, SPF for the sending IP, DMARC alignment, and why it would land in spam.
    #[command(after_help = EXIT_CODES)]
    Inspect(Box<InspectArgs>),
    /// SPF check_host() for one SMTP identity, as a receiver computes it: the client IP, the
    /// MAIL FROM address and the HELO name (a null MAIL FROM checks the HELO identity).
    #[command(after_help = EXIT_CODES)]
    Spf(Box<SpfArgs>),
    /// What a finding code means and how to fix it.
    Explain(ExplainArgs),
    /// Print a commented mailpreflight.toml, the settings for repeated runs
    /// (`mailpreflight init > mailpreflight.toml`; also `--print-config-template`).
    Init,
    /// Print a shell completion script to standard output, e.g.
    /// `mailpreflight completions bash > /etc/bash_completion.d/mailpreflight`.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output, e.g. `mailpreflight man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The Logto SMTP connector config (JSON; `-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub config: String,

    /// The one recipient of the test mail (never any other address).
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,

    /// The template's usage type: Register, SignIn, ForgotPassword, Generic, ...
    #[arg(long, value_name = "TYPE", default_value = "SignIn")]
    pub usage: String,

    /// The passcode to render (default: six random digits).
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,

    /// Send without the `[test]` subject prefix and the X-Mailpreflight-Test header.
    #[arg(long)]
    pub no_test_marker: bool,

    #[command(flatten)]
    pub dkim: DkimKeyArgs,

    /// Build, sign and verify, but write the message to --out instead of sending it.
    #[arg(long, requires = "out")]
    pub dry_run: bool,

    /// With --dry-run: where to write the signed message (.eml).
    #[arg(long, value_name = "FILE", requires = "dry_run")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub secrets: SecretEnvArgs,

    #[command(flatten)]
    pub probe: ProbeArgs,

    #[command(flatten)]
    pub settings: SettingsFileArgs,

    #[command(flatten)]
    pub dns: DnsOptions,

    #[command(flatten)]
    pub output: OutputOptions,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The Logto SMTP connector config (JSON; `-` reads stdin; the Management API's connector
    /// object is accepted too).
    #[arg(long, value_name = "FILE")]
    pub config: String,

    /// Also send one DKIM-signed test passcode mail to this address (and only to it).
    /// For the HTTP email connector: the recipient in the payload sent by --probe-endpoint.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,

    /// Which connector the config is for (default: recognised from its keys).
    #[arg(long, value_name = "KIND", value_parser = ["smtp", "sendgrid", "mailgun", "aws-ses", "postmark", "aliyun-dm", "http-email"])]
    pub connector: Option<String>,

    /// HTTP email connector: POST Logto's payload (a test recipient and code) to the
    /// configured endpoint once and require a 2xx answer. Redirects are never followed.
    #[arg(long)]
    pub probe_endpoint: bool,

    /// The longest --probe-endpoint waits for the whole answer, e.g. 10s.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub endpoint_timeout: String,

    /// HTTP email connector: trust only the CA certificates in this PEM file for an https
    /// endpoint (they replace the public roots, like nodemailer's tls.ca).
    #[arg(long, value_name = "PEM")]
    pub endpoint_ca: Option<PathBuf>,

    /// API connectors: a DKIM selector the provider's console shows (Mailgun, Postmark), or
    /// one of SES's Easy DKIM tokens; its record is checked (repeatable).
    #[arg(long = "selector", value_name = "SELECTOR")]
    pub selectors: Vec<String>,

    /// API connectors: the custom Return-Path / MAIL FROM domain set up in the provider
    /// (SES's MAIL FROM subdomain, Postmark's Return-Path, SendGrid's emNNNN subdomain).
    #[arg(long, value_name = "DOMAIN")]
    pub return_path: Option<String>,

    /// Ask the provider's API, read-only, whether the config's key is valid and can send
    /// (SendGrid scopes, Mailgun domain state and DNS records, SES account and identity,
    /// Postmark server, DirectMail account). Never sends mail or changes anything.
    #[arg(long)]
    pub online: bool,

    /// The longest each --online API call waits for its whole answer, e.g. 10s.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub api_timeout: String,

    /// For tests and proxies: send --online's calls to this scheme://host:port instead of the
    /// provider's (paths kept; plain http only to loopback).
    #[arg(long, value_name = "URL", hide = true, env = "MAILPREFLIGHT_API_BASE")]
    pub api_base: Option<String>,

    /// The template's usage type for the test mail.
    #[arg(long, value_name = "TYPE", default_value = "SignIn")]
    pub usage: String,

    #[command(flatten)]
    pub dkim: DkimKeyArgs,

    #[command(flatten)]
    pub secrets: SecretEnvArgs,

    #[command(flatten)]
    pub probe: ProbeArgs,

    #[command(flatten)]
    pub settings: SettingsFileArgs,

    #[command(flatten)]
    pub dns: DnsOptions,

    #[command(flatten)]
    pub output: OutputOptions,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The bundled world full of classic mistakes instead of the correct one.
    #[arg(long)]
    pub broken: bool,

    #[command(flatten)]
    pub output: OutputOptions,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The message: an .eml file, only its header section, or `-` for standard input.
    #[arg(value_name = "MESSAGE")]
    pub message: PathBuf,

    /// Trust only Authentication-Results written by this authserv-id (the receiver's own,
    /// e.g. mx.google.com); repeatable. Without it the topmost one is assumed to be the
    /// receiver's.
    #[arg(long, value_name = "ID")]
    pub trusted_authserv: Vec<String>,

    /// The connecting IP to evaluate SPF for, instead of the one found in the Received chain.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,

    #[command(flatten)]
    pub settings: SettingsFileArgs,

    #[command(flatten)]
    pub dns: DnsOptions,

    #[command(flatten)]
    pub output: OutputOptions,
}

#[derive(Debug, Args)]
pub struct SinkArgs {
    /// Where to listen (loopback only, unless --public).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:2525")]
    pub listen: String,

    /// Listen on a non-loopback address too (the sink still never relays).
    #[arg(long)]
    pub public: bool,

    /// The certificate (PEM) for STARTTLS; default: a self-signed one made at start.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) for --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Accept only this login: USER:ENV, the password in environment variable ENV
    /// (default: any login is accepted and recorded).
    #[arg(long, value_name = "USER:PASS_ENV")]
    pub require_auth: Option<String>,

    /// The folder for the stored messages (`N.eml`) and the certificate (`sink-cert.pem`).
    #[arg(long, value_name = "DIR", default_value = "mailpreflight-sink")]
    pub store: PathBuf,

    /// Exit after the first message, with its report's exit code.
    #[arg(long)]
    pub once: bool,

    /// The largest message accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_size: usize,

    #[command(flatten)]
    pub settings: SettingsFileArgs,

    #[command(flatten)]
    pub dns: DnsOptions,

    #[command(flatten)]
    pub output: OutputOptions,
}

#[derive(Debug, Args)]
pub struct SmtpArgs {
    // The doc comment is the --help text (clap prints it as written): its brackets are not links.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Probe this server instead of a config: HOST, HOST:PORT or [IPv6]:PORT (port default:
    /// 465 with --secure, else 587, as nodemailer).
    #[arg(
        value_name = "HOST[:PORT]",
        conflicts_with = "config",
        required_unless_present = "config"
    )]
    pub target: Option<String>,

    /// The Logto SMTP connector config (JSON; `-` reads stdin). The Management API's
    /// connector object is accepted too.
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,

    #[command(flatten)]
    pub secrets: SecretEnvArgs,

    #[command(flatten)]
    pub probe: ProbeArgs,

    /// The recipient the probe's RCPT TO asks for (then RSET: no DATA, nothing is sent);
    /// default: mailpreflight-rcpt-probe@example.org, a reserved address at a domain that is
    /// not the server's own, which shows relays that refuse at RCPT.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,

    /// With HOST: implicit TLS from the first byte (nodemailer's `secure: true`).
    #[arg(long, conflicts_with = "config")]
    pub secure: bool,

    /// With HOST: `requireTLS` (STARTTLS even when not advertised; fail without it).
    #[arg(long, conflicts_with_all = ["config", "ignore_tls"])]
    pub require_tls: bool,

    /// With HOST: `ignoreTLS` (never STARTTLS).
    #[arg(long, conflicts_with = "config")]
    pub ignore_tls: bool,

    /// With HOST: the login user (the password comes from --pass-env).
    #[arg(
        long,
        value_name = "USER",
        conflicts_with = "config",
        requires = "pass_env"
    )]
    pub user: Option<String>,

    /// With HOST: the envelope sender to try with MAIL FROM (then RSET; nothing is sent).
    #[arg(long, value_name = "ADDRESS", conflicts_with = "config")]
    pub from: Option<String>,

    /// With HOST: the name the certificate is checked against (nodemailer's `servername`).
    #[arg(long, value_name = "NAME", conflicts_with = "config")]
    pub servername: Option<String>,

    /// With HOST: trust only the CA certificates in this PEM file (`tls.ca`).
    #[arg(long, value_name = "PEM", conflicts_with = "config")]
    pub ca: Option<PathBuf>,

    /// With HOST: do not verify the certificate (`tls.rejectUnauthorized: false`).
    #[arg(long, conflicts_with = "config")]
    pub insecure: bool,

    /// With HOST: the EHLO name (nodemailer's `name`).
    #[arg(long, value_name = "NAME", conflicts_with = "config")]
    pub ehlo: Option<String>,

    #[command(flatten)]
    pub settings: SettingsFileArgs,

    #[command(flatten)]
    pub dns: DnsOptions,

    #[command(flatten)]
    pub output: OutputOptions,
}

#[derive(Debug, Args)]
pub struct DnsArgs {
    /// Domains to audit (results are printed in this order).
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,

    #[command(flatten)]
    pub settings: SettingsFileArgs,

    /// Read more domains from FILE, one per line (`#` starts a comment; `-` reads stdin),
    /// each optionally followed by the DKIM selectors it signs with: `example.com s1,s2`.
    #[arg(long, value_name = "FILE")]
    pub domains_file: Option<PathBuf>,

    /// How many domains to audit at the same time. A domain waiting for a retransmission
    /// lends its place meanwhile, and finished domains wait for their turn in input order:
    /// up to N + max(N, 96) domains are under way, N of them asking.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub concurrency: usize,

    /// Evaluate SPF for this client IP address (the verdict and the term that decided it).
    #[arg(long, value_name = "IP")]
    pub sending_ip: Option<String>,

    /// HELO/EHLO name used for SPF evaluation with --sending-ip (default: the domain).
    #[arg(long, value_name = "NAME", requires = "sending_ip")]
    pub helo: Option<String>,

    /// The MAIL FROM address for SPF evaluation with --sending-ip (its local part feeds the
    /// %{l} and %{s} macros; "" is the null sender, which checks the HELO identity). It must
    /// be at the audited domain; `mailpreflight spf` takes any identity.
    #[arg(long, value_name = "ADDRESS", requires = "sending_ip")]
    pub mail_from: Option<String>,

    /// A DKIM selector to check (repeatable); added to the built-in list of common selectors.
    /// Expected (a missing key is reported) for every domain without selectors of its own in
    /// --domains-file; for those with their own, only probed like the built-in list.
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

#[derive(Debug, Args)]
pub struct SpfArgs {
    /// The connecting client's IP address (IPv4 or IPv6).
    #[arg(long, value_name = "IP")]
    pub ip: String,

    /// The MAIL FROM address (`local@domain`; `""` or `<>` is the null sender, which checks
    /// the HELO identity `postmaster@HELO`, RFC 7208 2.4). A malformed domain gives `none`.
    #[arg(long, value_name = "ADDRESS", required_unless_present = "helo")]
    pub mail_from: Option<String>,

    /// The HELO/EHLO name (the %{h} macro; the identity checked without --mail-from).
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,

    #[command(flatten)]
    pub settings: SettingsFileArgs,

    #[command(flatten)]
    pub dns: DnsOptions,

    #[command(flatten)]
    pub output: OutputOptions,
}

/// The settings file for repeated use (every report command).
#[derive(Debug, Args)]
pub struct SettingsFileArgs {
    /// Settings for repeated use (mailpreflight.toml: allowed codes, fail-on, format, DNS;
    /// for dns also domains and selectors), layered under the environment and the flags
    /// (default: ./mailpreflight.toml when it exists). Not the connector config.
    #[arg(long, value_name = "FILE")]
    pub config_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
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
