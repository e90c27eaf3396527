//! Settings for repeated use: a `mailpreflight.toml` file and a few environment variables,
//! layered as DESIGN.md says — command-line flags win over the environment, which wins over
//! the file, which wins over the defaults. Applied to the raw arguments once, before they are
//! validated into each command's settings type, so there is still one validated type each.
//! Output and DNS settings apply to every report command; domains, selectors and concurrency
//! only to `dns` (the other commands take their domain from the connector config or message).

use super::settings::{InputError, input_error};
use super::{DnsArgs, DnsOptions, OutputOptions};
use crate::report::render::Format;
use crate::report::sink::FailOn;
use clap::ArgMatches;
use clap::ValueEnum;
use clap::parser::ValueSource;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file read when `--config-file` is not given, if it exists in the working directory.
pub const DEFAULT_FILE: &str = "mailpreflight.toml";
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// `mailpreflight.toml`. Unknown keys are errors (a typo must not be silently ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub selectors: Vec<String>,
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    pub fail_on: Option<String>,
    pub format: Option<String>,
    #[serde(default)]
    pub nameservers: Vec<String>,
    #[serde(default)]
    pub zones: Vec<String>,
    pub timeout: Option<String>,
    pub retries: Option<usize>,
    pub concurrency: Option<usize>,
}

pub const TEMPLATE: &str = r#"# mailpreflight.toml: settings for repeated runs, read from the working directory (or
# --config-file FILE) by dns, audit, smtp, send, inspect and sink. Command-line flags win over
# environment variables (MAILPREFLIGHT_FAIL_ON, MAILPREFLIGHT_FORMAT, MAILPREFLIGHT_NAMESERVER,
# MAILPREFLIGHT_TIMEOUT), which win over this file. Lists given on the command line replace the
# file's.

# dns only: the domains to audit when none is named on the command line.
domains = ["example.com"]

# dns only: DKIM selectors to check besides the built-in list.
selectors = []

# Finding codes lowered to notes (--allow) or raised to errors (--deny).
allow = []
deny = []

# What makes the exit code 1: "error", "warning" or "never".
fail_on = "error"

# table, json, jsonl, markdown, sarif or junit.
format = "table"

# DNS servers to ask (IP or IP:PORT); empty: the system's.
nameservers = []

# Zone files (or directories of *.zone) answering the names inside them.
zones = []

# The whole budget of one DNS lookup (every try included), and the most retransmissions
# per server within it (each waits as long as the server's measured round trips say).
timeout = "5s"
retries = 5

# dns only: how many domains to audit at the same time.
concurrency = 32
"#;

fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Reads and parses a settings file; errors name the file, line and column.
pub fn read(path: &Path) -> Result<FileSettings, InputError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| input_error(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(input_error(format!(
            "{}: larger than 1 MiB",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| input_error(format!("cannot read {}: {e}", path.display())))?;
    parse(&text, &path.display().to_string())
}

pub fn parse(text: &str, source: &str) -> Result<FileSettings, InputError> {
    toml::from_str::<FileSettings>(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| position(text, s.start));
        input_error(format!("{source}:{line}:{column}: {}", e.message()))
    })
}

fn from_cli(m: &ArgMatches, id: &str) -> bool {
    matches!(m.value_source(id), Some(ValueSource::CommandLine))
}

fn enum_value<T: ValueEnum>(raw: &str, what: &str) -> Result<T, InputError> {
    T::from_str(raw.trim(), true)
        .map_err(|_| input_error(format!("{what}: {raw:?} is not one of the accepted values")))
}

/// Which settings file applies: `--config-file`, else `./mailpreflight.toml` if it exists.
fn settings_path(given: Option<&PathBuf>) -> Option<PathBuf> {
    match given {
        Some(p) => Some(p.clone()),
        None => Path::new(DEFAULT_FILE)
            .is_file()
            .then(|| PathBuf::from(DEFAULT_FILE)),
    }
}

/// Layers the environment (`env`) and the settings file over the defaults of the output and
/// DNS options every report command shares, never over what the command line gave. `m` are
/// the subcommand's matches; `env` is `std::env::var` in the binary, a map in tests. Returns
/// the file read (empty when there is none) for the command's own settings.
pub fn apply_common(
    config_file: Option<&PathBuf>,
    output: &mut OutputOptions,
    dns: &mut DnsOptions,
    m: &ArgMatches,
    env: impl Fn(&str) -> Option<String>,
) -> Result<FileSettings, InputError> {
    let path = settings_path(config_file);
    let file = match &path {
        Some(p) => read(p)?,
        None => FileSettings::default(),
    };
    let src = |name: &str| {
        path.as_ref()
            .map_or(name.to_string(), |p| format!("{} ({name})", p.display()))
    };
    if !from_cli(m, "allow") && !file.allow.is_empty() {
        output.allow = file.allow.clone();
    }
    if !from_cli(m, "deny") && !file.deny.is_empty() {
        output.deny = file.deny.clone();
    }
    if !from_cli(m, "fail_on") {
        if let Some(v) = env("MAILPREFLIGHT_FAIL_ON") {
            output.fail_on = enum_value::<FailOn>(&v, "MAILPREFLIGHT_FAIL_ON")?;
        } else if let Some(v) = &file.fail_on {
            output.fail_on = enum_value::<FailOn>(v, &src("fail_on"))?;
        }
    }
    if !from_cli(m, "format") {
        if let Some(v) = env("MAILPREFLIGHT_FORMAT") {
            output.format = enum_value::<Format>(&v, "MAILPREFLIGHT_FORMAT")?;
        } else if let Some(v) = &file.format {
            output.format = enum_value::<Format>(v, &src("format"))?;
        }
    }
    if !from_cli(m, "nameserver") {
        if let Some(v) = env("MAILPREFLIGHT_NAMESERVER") {
            dns.nameserver = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        } else if !file.nameservers.is_empty() {
            dns.nameserver = file.nameservers.clone();
        }
    }
    if !from_cli(m, "zone") && !file.zones.is_empty() {
        dns.zone = file.zones.clone();
    }
    if !from_cli(m, "timeout") {
        if let Some(v) = env("MAILPREFLIGHT_TIMEOUT") {
            dns.timeout = v;
        } else if let Some(v) = &file.timeout {
            dns.timeout = v.clone();
        }
    }
    if !from_cli(m, "retries")
        && let Some(v) = file.retries
    {
        dns.retries = v;
    }
    Ok(file)
}

/// `dns`: the shared layers, then the file's domains, selectors and concurrency.
pub fn apply(
    args: &mut DnsArgs,
    m: &ArgMatches,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(), InputError> {
    let file = apply_common(
        args.settings.config_file.as_ref(),
        &mut args.output,
        &mut args.dns,
        m,
        env,
    )?;
    if args.domains.is_empty() && args.domains_file.is_none() {
        args.domains = file.domains.clone();
    }
    if !from_cli(m, "selectors") && !file.selectors.is_empty() {
        args.selectors = file.selectors.clone();
    }
    if !from_cli(m, "concurrency")
        && let Some(v) = file.concurrency
    {
        args.concurrency = v;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses() {
        let f = parse(TEMPLATE, "template").unwrap();
        assert_eq!(f.domains, ["example.com"]);
        assert_eq!(f.concurrency, Some(32));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("domains = [\"a.test\"]\nfail_onn = \"warning\"\n", "m.toml").unwrap_err();
        assert!(e.0.starts_with("m.toml:2:1: "), "{}", e.0);
        let e = parse("retries = \"x\"\n", "m.toml").unwrap_err();
        assert!(e.0.starts_with("m.toml:1:11: "), "{}", e.0);
    }
}
