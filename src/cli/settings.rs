//! Raw arguments turned into validated settings, once. Every input error is reported
//! here with what and where, and becomes exit code 2.

use super::domains_file::{self, DomainLine};
use super::{ColorChoice, DnsArgs, DnsOptions, OutputOptions};
use crate::check::CheckOptions;
use crate::dns::{DnsConfig, Zone, name, parse_zone_bytes};
use crate::report::baseline::Baseline;
use crate::report::render::{Format, RenderOptions};
use crate::report::sink::Policy;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Input the tool cannot use: exit code 2.
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for InputError {}

pub(crate) fn input_error(message: impl Into<String>) -> InputError {
    InputError(message.into())
}

pub struct DnsSettings {
    pub domains: Vec<String>,
    /// The DKIM selectors a line of --domains-file gives for its domain: for that domain
    /// they replace --selector as the expected ones (see [`DnsSettings::checks_for`]).
    pub domain_selectors: HashMap<String, Vec<String>>,
    pub concurrency: usize,
    pub checks: CheckOptions,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

pub struct OutputSettings {
    pub format: Format,
    pub path: Option<PathBuf>,
    pub policy: Policy,
    pub render: RenderOptions,
}

impl DnsSettings {
    pub fn from_args(args: Box<DnsArgs>) -> Result<DnsSettings, InputError> {
        let mut domains = Vec::new();
        for raw in &args.domains {
            domains.push(name::parse_target_domain(raw).map_err(input_error)?);
        }
        let mut domain_selectors: HashMap<String, Vec<String>> = HashMap::new();
        if let Some(path) = &args.domains_file {
            for line in read_domains_file(path)? {
                if !line.selectors.is_empty() {
                    // The same domain on two lines: both lists count.
                    let list = domain_selectors.entry(line.domain.clone()).or_default();
                    for s in line.selectors {
                        if !list.contains(&s) {
                            list.push(s);
                        }
                    }
                }
                domains.push(line.domain);
            }
        }
        if domains.is_empty() {
            return Err(input_error(
                "no domain given: name one or more domains, or --domains-file FILE",
            ));
        }
        // The same domain twice would be audited twice; keep the first occurrence.
        let mut seen = std::collections::HashSet::new();
        domains.retain(|d| seen.insert(d.clone()));

        if args.concurrency == 0 || args.concurrency > 4096 {
            return Err(input_error("--concurrency must be between 1 and 4096"));
        }
        let sending_ip = args
            .sending_ip
            .as_deref()
            .map(|ip| parse_client_ip("--sending-ip", ip))
            .transpose()?;
        // Any HELO name is evaluated, as a receiver must (RFC 7208 4.3: a malformed one
        // gives `none`); it is not an input error.
        let helo = args.helo.as_deref().map(|h| h.trim().to_string());
        let mail_from = args.mail_from.clone();
        if let Some(address) = &mail_from {
            let id = crate::spf::identity::SpfIdentity::mail_from(address, "");
            let at = id.domain.strip_suffix('.').unwrap_or(&id.domain);
            if let Some(other) = (id.kind == crate::spf::identity::IdentityKind::MailFrom)
                .then(|| domains.iter().find(|d| !d.eq_ignore_ascii_case(at)))
                .flatten()
            {
                return Err(input_error(format!(
                    "--mail-from {address}: the address is not at the audited domain {other}; \
                     use `mailpreflight spf --ip IP --mail-from ADDRESS` for any identity"
                )));
            }
        }
        let mut selectors = Vec::new();
        for s in &args.selectors {
            let s = s.trim().to_ascii_lowercase();
            name::validate_dns_name(&s).map_err(|e| input_error(format!("--selector {s}: {e}")))?;
            if !selectors.contains(&s) {
                selectors.push(s);
            }
        }
        if args.no_default_selectors
            && selectors.is_empty()
            && let Some(bare) = domains.iter().find(|d| !domain_selectors.contains_key(*d))
        {
            return Err(input_error(format!(
                "--no-default-selectors needs at least one --selector, or selectors for every domain in --domains-file ({bare} has none)"
            )));
        }
        Ok(DnsSettings {
            domains,
            domain_selectors,
            concurrency: args.concurrency,
            checks: CheckOptions {
                sending_ip,
                helo,
                mail_from,
                selectors,
                probe_selectors: Vec::new(),
                no_default_selectors: args.no_default_selectors,
            },
            // Cheap flag checks first, then the zone files (which may be large).
            output: output_settings(&args.output, "dns")?,
            dns: dns_config(&args.dns)?,
        })
    }
}

fn read_domains_file(path: &Path) -> Result<Vec<DomainLine>, InputError> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| input_error(format!("cannot read domains from standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| {
            input_error(format!(
                "cannot read --domains-file {}: {e}",
                path.display()
            ))
        })?
    };
    domains_file::parse(&text, &path.display().to_string())
}

impl DnsSettings {
    /// The check options for one domain. A domain with selectors of its own (its line of
    /// --domains-file) expects those: a missing key is reported for them only, and the
    /// --selector ones are probed like the built-in list (found or not, never "missing"),
    /// so that one --selector does not flood a batch. Any other domain expects --selector's.
    pub fn checks_for(&self, domain: &str) -> CheckOptions {
        let mut checks = self.checks.clone();
        if let Some(own) = self.domain_selectors.get(domain) {
            checks.probe_selectors = std::mem::replace(&mut checks.selectors, own.clone());
        }
        checks
    }
}

/// The SMTP client address SPF is evaluated for (`--sending-ip`, `spf --ip`).
pub(crate) fn parse_client_ip(flag: &str, raw: &str) -> Result<IpAddr, InputError> {
    raw.trim()
        .parse::<IpAddr>()
        .map_err(|_| input_error(format!("{flag} {raw}: not an IPv4 or IPv6 address")))
}

/// `IP`, `IP:PORT` or `[IPv6]:PORT`; port 53 when none is given.
pub fn parse_nameserver(raw: &str) -> Result<SocketAddr, InputError> {
    let raw = raw.trim();
    if let Ok(addr) = raw.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = raw
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(input_error(format!(
        "--nameserver {raw}: expected an IP address, IP:PORT or [IPv6]:PORT"
    )))
}

/// `5s`, `800ms`, `2.5` (seconds). Between 1 ms and 10 minutes.
pub fn parse_duration(raw: &str) -> Result<Duration, InputError> {
    let raw = raw.trim();
    let (number, scale) = if let Some(n) = raw.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = raw.strip_suffix('s') {
        (n, 1.0)
    } else {
        (raw, 1.0)
    };
    let value: f64 = number.trim().parse().map_err(|_| {
        input_error(format!(
            "--timeout {raw}: expected a duration like 5s or 800ms"
        ))
    })?;
    let seconds = value * scale;
    if !(0.001..=600.0).contains(&seconds) {
        return Err(input_error(format!(
            "--timeout {raw}: must be between 1ms and 600s"
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub(crate) fn dns_config(opts: &DnsOptions) -> Result<DnsConfig, InputError> {
    let nameservers = opts
        .nameserver
        .iter()
        .map(|n| parse_nameserver(n))
        .collect::<Result<Vec<_>, _>>()?;
    if opts.offline && !nameservers.is_empty() {
        return Err(input_error("--offline and --nameserver exclude each other"));
    }
    if opts.offline && opts.zone.is_empty() {
        return Err(input_error(
            "--offline needs at least one --zone FILE to answer from",
        ));
    }
    if opts.retries > 10 {
        return Err(input_error("--retries must be at most 10"));
    }
    let timeout = parse_duration(&opts.timeout)?;
    let mut zones = Vec::new();
    for spec in &opts.zone {
        zones.extend(load_zones(spec)?);
    }
    Ok(DnsConfig {
        nameservers,
        timeout,
        attempts: opts.retries + 1,
        zones,
        offline: opts.offline,
    })
}

/// Zone files larger than this are refused: a bound on what is read into memory.
const MAX_ZONE_BYTES: u64 = 64 * 1024 * 1024;

/// At most this many zone files from one directory.
const MAX_ZONE_FILES: usize = 10_000;

/// `FILE`, `ORIGIN=FILE`, or a directory: every `*.zone` file in it (not recursive), in name order.
fn load_zones(spec: &str) -> Result<Vec<Zone>, InputError> {
    let path = Path::new(spec);
    if !path.is_dir() {
        return Ok(vec![load_zone(spec)?]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| input_error(format!("cannot read zone directory {spec}: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "zone"))
        .take(MAX_ZONE_FILES + 1)
        .collect();
    if files.is_empty() {
        return Err(input_error(format!("no *.zone file in directory {spec}")));
    }
    if files.len() > MAX_ZONE_FILES {
        return Err(input_error(format!(
            "more than {MAX_ZONE_FILES} zone files in {spec}"
        )));
    }
    files.sort();
    files
        .iter()
        .map(|f| load_zone(&f.display().to_string()))
        .collect()
}

/// `FILE` or `ORIGIN=FILE`.
fn load_zone(spec: &str) -> Result<Zone, InputError> {
    let (origin, file) = match spec.split_once('=') {
        Some((origin, file)) if !origin.is_empty() && !Path::new(spec).exists() => {
            (Some(origin), file)
        }
        _ => (None, spec),
    };
    let meta = std::fs::metadata(file)
        .map_err(|e| input_error(format!("cannot read zone file {file}: {e}")))?;
    if meta.len() > MAX_ZONE_BYTES {
        return Err(input_error(format!(
            "zone file {file} is larger than {} MiB",
            MAX_ZONE_BYTES / 1024 / 1024
        )));
    }
    let bytes = std::fs::read(file)
        .map_err(|e| input_error(format!("cannot read zone file {file}: {e}")))?;
    let origin = origin.map(name::normalize);
    parse_zone_bytes(&bytes, file, origin.as_deref())
        .map_err(|e| input_error(format!("zone file {e}")))
}

/// `command` is the subcommand's name: a `--baseline` must be a report of the same one.
pub(crate) fn output_settings(
    opts: &OutputOptions,
    command: &str,
) -> Result<OutputSettings, InputError> {
    let mut policy = Policy::new(opts.fail_on, &opts.allow, &opts.deny).map_err(input_error)?;
    if let Some(path) = &opts.baseline {
        let baseline = Baseline::load(path, command).map_err(input_error)?;
        policy = policy.with_baseline(baseline);
    }
    let to_terminal = opts.output.is_none() && std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match opts.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && !no_color,
    };
    Ok(OutputSettings {
        format: opts.format,
        path: opts.output.clone(),
        policy,
        render: RenderOptions {
            color,
            verbose: opts.verbose,
            width: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameserver_forms() {
        assert_eq!(parse_nameserver("127.0.0.1").unwrap().port(), 53);
        assert_eq!(parse_nameserver("127.0.0.1:5300").unwrap().port(), 5300);
        assert_eq!(parse_nameserver("[::1]:5300").unwrap().port(), 5300);
        assert_eq!(parse_nameserver("::1").unwrap().port(), 53);
        assert!(parse_nameserver("dns.example").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("800ms").unwrap(), Duration::from_millis(800));
        assert_eq!(parse_duration("2.5").unwrap(), Duration::from_millis(2500));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1h").is_err());
    }
}
