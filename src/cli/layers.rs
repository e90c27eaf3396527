//! Settings for repeated use (`dns`): a `mailpreflight.toml` file and a few environment
//! variables, layered as DESIGN.md says — command-line flags win over the environment, which
//! wins over the file, which wins over the defaults. Applied to the raw arguments once, before
//! they are validated into `DnsSettings`, so there is still one validated settings type.

use super::DnsArgs;
use super::settings::{InputError, input_error};
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

pub const TEMPLATE: &str = r#"# mailpreflight.toml: settings for `mailpreflight dns`, read from the working directory (or
# --config-file FILE). Command-line flags win over environment variables (MAILPREFLIGHT_FAIL_ON,
# MAILPREFLIGHT_FORMAT, MAILPREFLIGHT_NAMESERVER, MAILPREFLIGHT_TIMEOUT), which win over this file.
# Lists given on the command line replace the file's.

# The domains to audit when none is named on the command line.
domains = ["example.com"]

# DKIM selectors to check besides the built-in list.
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

timeout = "5s"
retries = 1
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

/// Layers the environment (`env`) and the file over the defaults of `args`, never over what
/// the command line gave. `env` is `std::env::var` in the binary, a map in tests.
pub fn apply(
    args: &mut DnsArgs,
    m: &ArgMatches,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(), InputError> {
    let path: Option<PathBuf> = match &args.config_file {
        Some(p) => Some(p.clone()),
        None => Path::new(DEFAULT_FILE)
            .is_file()
            .then(|| PathBuf::from(DEFAULT_FILE)),
    };
    let file = match &path {
        Some(p) => read(p)?,
        None => FileSettings::default(),
    };
    let src = |name: &str| {
        path.as_ref()
            .map_or(name.to_string(), |p| format!("{} ({name})", p.display()))
    };
    if args.domains.is_empty() && args.domains_file.is_none() {
        args.domains = file.domains.clone();
    }
    if !from_cli(m, "selectors") && !file.selectors.is_empty() {
        args.selectors = file.selectors.clone();
    }
    if !from_cli(m, "allow") && !file.allow.is_empty() {
        args.output.allow = file.allow.clone();
    }
    if !from_cli(m, "deny") && !file.deny.is_empty() {
        args.output.deny = file.deny.clone();
    }
    if !from_cli(m, "fail_on") {
        if let Some(v) = env("MAILPREFLIGHT_FAIL_ON") {
            args.output.fail_on = enum_value::<FailOn>(&v, "MAILPREFLIGHT_FAIL_ON")?;
        } else if let Some(v) = &file.fail_on {
            args.output.fail_on = enum_value::<FailOn>(v, &src("fail_on"))?;
        }
    }
    if !from_cli(m, "format") {
        if let Some(v) = env("MAILPREFLIGHT_FORMAT") {
            args.output.format = enum_value::<Format>(&v, "MAILPREFLIGHT_FORMAT")?;
        } else if let Some(v) = &file.format {
            args.output.format = enum_value::<Format>(v, &src("format"))?;
        }
    }
    if !from_cli(m, "nameserver") {
        if let Some(v) = env("MAILPREFLIGHT_NAMESERVER") {
            args.dns.nameserver = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        } else if !file.nameservers.is_empty() {
            args.dns.nameserver = file.nameservers.clone();
        }
    }
    if !from_cli(m, "zone") && !file.zones.is_empty() {
        args.dns.zone = file.zones.clone();
    }
    if !from_cli(m, "timeout") {
        if let Some(v) = env("MAILPREFLIGHT_TIMEOUT") {
            args.dns.timeout = v;
        } else if let Some(v) = &file.timeout {
            args.dns.timeout = v.clone();
        }
    }
    if !from_cli(m, "retries")
        && let Some(v) = file.retries
    {
        args.dns.retries = v;
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
