//! `smtp` arguments turned into one validated probe input: from a connector config (read
//! and checked by `config`), or from `HOST[:PORT]` and flags, which are written as the
//! equivalent config object so that both paths share nodemailer's rules.

use super::settings::{
    InputError, OutputSettings, dns_config, input_error, output_settings, parse_duration,
};
use super::{ProbeArgs, SecretEnvArgs, SmtpArgs};
use crate::config::address::{AddressIssue, parse_mailbox};
use crate::config::nodemailer::{ConnectionPlan, EhloName, default_ehlo_name};
use crate::config::{self, Loaded, SecretOverrides, providers};
use crate::dns::DnsConfig;
use crate::smtp::ProbeInput;
use serde_json::{Map, Value, json};
use std::time::Duration;

pub struct SmtpSettings {
    /// The config as read and checked (config mode); its findings go into the report.
    pub loaded: Loaded,
    /// `--config` was given (else HOST mode: the synthetic config's findings are dropped).
    pub from_config: bool,
    pub probe: ProbeInput,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

/// `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT`.
fn split_target(raw: &str) -> Result<(String, Option<u16>), InputError> {
    let raw = raw.trim();
    let bad = |why: &str| {
        input_error(format!(
            "{raw}: {why} (expected HOST, HOST:PORT or [IPv6]:PORT)"
        ))
    };
    if raw.is_empty() {
        return Err(bad("empty"));
    }
    let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| bad("unclosed ["))?;
        match after.strip_prefix(':') {
            Some(p) => (h.to_string(), Some(p)),
            None if after.is_empty() => (h.to_string(), None),
            None => return Err(bad("junk after ]")),
        }
    } else if raw.matches(':').count() > 1 {
        (raw.to_string(), None) // a bare IPv6 address
    } else {
        match raw.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (raw.to_string(), None),
        }
    };
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("the port is not 1-65535"))
        })
        .transpose()?;
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("not a host name"));
    }
    Ok((host, port))
}

fn host_mode_config(args: &SmtpArgs, target: &str) -> Result<Vec<u8>, InputError> {
    let (host, port) = split_target(target)?;
    let mut obj = Map::new();
    obj.insert("host".into(), json!(host));
    if let Some(p) = port {
        obj.insert("port".into(), json!(p));
    }
    if args.secure {
        obj.insert("secure".into(), json!(true));
    }
    if args.require_tls {
        obj.insert("requireTLS".into(), json!(true));
    }
    if args.ignore_tls {
        obj.insert("ignoreTLS".into(), json!(true));
    }
    if let Some(n) = &args.ehlo {
        obj.insert("name".into(), json!(n));
    }
    if let Some(n) = &args.servername {
        obj.insert("servername".into(), json!(n));
    }
    let mut tls = Map::new();
    if args.insecure {
        tls.insert("rejectUnauthorized".into(), json!(false));
    }
    if let Some(path) = &args.ca {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| input_error(format!("cannot read --ca {}: {e}", path.display())))?;
        tls.insert("ca".into(), json!(pem));
    }
    if !tls.is_empty() {
        obj.insert("tls".into(), Value::Object(tls));
    }
    let mut auth = Map::new();
    if let Some(u) = &args.user {
        auth.insert("user".into(), json!(u));
    }
    obj.insert("auth".into(), Value::Object(auth));
    if let Some(f) = &args.from {
        obj.insert("fromEmail".into(), json!(f));
    }
    Ok(serde_json::to_vec(&Value::Object(obj)).unwrap_or_default())
}

/// nodemailer's default EHLO name: `os.hostname()` if it has a dot, else `[127.0.0.1]`.
fn os_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// The envelope sender nodemailer derives from fromEmail, and why it differs when it does.
pub fn envelope_of(from_email: &str) -> (String, Option<String>) {
    match parse_mailbox(from_email) {
        Ok(mb) => (mb.address(), None),
        Err(AddressIssue::NoDomain) => (
            String::new(),
            Some(format!(
                "fromEmail \"{from_email}\" has no domain: nodemailer sends MAIL FROM:<>"
            )),
        ),
        Err(AddressIssue::HasSpace { kept }) => (
            kept.clone(),
            Some(format!(
                "fromEmail \"{from_email}\" contains a space: nodemailer sends as <{kept}>"
            )),
        ),
        Err(issue) => (
            from_email.trim().to_string(),
            Some(format!("fromEmail \"{from_email}\" {}", issue.describe())),
        ),
    }
}

/// The secrets given by environment variable (an unset variable is an input error).
pub fn secret_overrides(args: &SecretEnvArgs) -> Result<SecretOverrides, InputError> {
    let from_env = |name: &Option<String>| {
        name.as_deref()
            .map(|n| {
                config::pass_from_env(n, |v| std::env::var(v).ok())
                    .map_err(|e| input_error(e.to_string()))
            })
            .transpose()
    };
    Ok(SecretOverrides {
        pass: from_env(&args.pass_env)?,
        oauth2_client_secret: from_env(&args.client_secret_env)?,
        oauth2_refresh_token: from_env(&args.refresh_token_env)?,
        oauth2_access_token: from_env(&args.access_token_env)?,
        oauth2_private_key: from_env(&args.private_key_env)?,
    })
}

/// Reads and checks a config file (`-`: stdin) with the secrets from the environment.
pub fn load_config(path: &str, secrets: &SecretEnvArgs) -> Result<Loaded, InputError> {
    let (source, bytes) = config::read_input(path).map_err(|e| input_error(e.to_string()))?;
    parse_config(&source, &bytes, secrets)
}

/// [`load_config`] for bytes already read.
pub fn parse_config(
    source: &str,
    bytes: &[u8],
    secrets: &SecretEnvArgs,
) -> Result<Loaded, InputError> {
    let overrides = secret_overrides(secrets)?;
    config::parse(source, bytes, &overrides).map_err(|e| input_error(e.to_string()))
}

use crate::smtp::trust;

/// What the probe needs, from a checked config: nodemailer's plan and the credentials.
pub fn probe_input(loaded: &Loaded, probe: &ProbeArgs) -> Result<ProbeInput, InputError> {
    let step_cap = parse_duration(&probe.smtp_timeout)?;
    if step_cap.is_zero() || step_cap > Duration::from_secs(600) {
        return Err(input_error("--smtp-timeout must be between 1ms and 600s"));
    }
    let c = &loaded.config;
    let plan = ConnectionPlan::from_config(c);
    let ehlo_name = match &plan.ehlo_name {
        EhloName::Configured(n) => n.clone(),
        EhloName::Default => default_ehlo_name(&os_hostname()),
    };
    let (envelope_from, envelope_problem) = match &c.from_email {
        Some(f) => {
            let (addr, problem) = envelope_of(f);
            (Some(addr), problem)
        }
        None => (None, None),
    };
    let provider = providers::recognise(&plan.host);
    Ok(ProbeInput {
        user: c.auth.user.clone(),
        password: c.auth.secret.clone(),
        oauth2_access_token: c.auth.oauth2.as_ref().and_then(|o| o.access_token.clone()),
        envelope_from,
        envelope_problem,
        trust: trust::node_trust(
            &c.tls.ca_pem,
            &trust::TrustInputs::from_env(probe.extra_ca.as_deref()),
        ),
        allow_plaintext_auth: probe.allow_plaintext_auth,
        ehlo_name,
        step_cap,
        banner_patience: Duration::from_millis(1500).min(step_cap),
        provider,
        plan,
        delivery: None,
        rcpt_probe: None,
    })
}

impl SmtpSettings {
    pub fn from_args(args: Box<SmtpArgs>) -> Result<SmtpSettings, InputError> {
        let output = output_settings(&args.output, "smtp")?;
        let loaded = match (&args.config, &args.target) {
            (Some(path), _) => load_config(path, &args.secrets)?,
            (None, Some(target)) => {
                let bytes = host_mode_config(&args, target)?;
                let overrides = secret_overrides(&args.secrets)?;
                config::parse("<command line>", &bytes, &overrides)
                    .map_err(|e| input_error(e.to_string()))?
            }
            (None, None) => return Err(input_error("give --config FILE or HOST[:PORT]")),
        };
        let mut probe = probe_input(&loaded, &args.probe)?;
        probe.rcpt_probe = args
            .to
            .as_deref()
            .map(super::send_settings::recipient)
            .transpose()?;
        Ok(SmtpSettings {
            from_config: args.config.is_some(),
            loaded,
            probe,
            dns: dns_config(&args.dns)?,
            output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            split_target("smtp.example.com").unwrap(),
            ("smtp.example.com".into(), None)
        );
        assert_eq!(
            split_target("smtp.example.com:465").unwrap(),
            ("smtp.example.com".into(), Some(465))
        );
        assert_eq!(
            split_target("[::1]:2525").unwrap(),
            ("::1".into(), Some(2525))
        );
        assert_eq!(split_target("::1").unwrap(), ("::1".into(), None));
        assert!(split_target("host:0").is_err());
        assert!(split_target("host:99999").is_err());
        assert!(split_target("[::1").is_err());
        assert!(split_target("").is_err());
    }

    #[test]
    fn envelopes_as_nodemailer_builds_them() {
        assert_eq!(
            envelope_of("Logto <noreply@example.com>").0,
            "noreply@example.com"
        );
        assert_eq!(envelope_of("noreply").0, "");
        assert!(envelope_of("noreply").1.unwrap().contains("MAIL FROM:<>"));
        assert_eq!(envelope_of("no reply@example.com").0, "reply@example.com");
    }
}
