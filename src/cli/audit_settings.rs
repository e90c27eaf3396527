//! `audit` arguments validated once into the config, the probe input and the test-mail plan.

use super::AuditArgs;
use super::send_settings::{SendPlan, key_choice, recipient};
use super::settings::parse_duration;
use super::settings::{InputError, OutputSettings, dns_config, output_settings};
use super::smtp_settings::{parse_config, probe_input};
use crate::config::Loaded;
use crate::connectors::http_probe::Url;
use crate::connectors::online::ApiOptions;
use crate::connectors::requirements::Hints;
use crate::connectors::run::Options;
use crate::connectors::{Checked, Kind};
use crate::dns::DnsConfig;
use crate::smtp::ProbeInput;

/// `audit` of the SMTP connector, or of one of the other connectors.
pub enum AuditSettings {
    Smtp(Box<SmtpAudit>),
    Other(Box<OtherAudit>),
}

pub struct OtherAudit {
    pub checked: Checked,
    pub options: Options,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

impl AuditSettings {
    pub fn output(&self) -> &OutputSettings {
        match self {
            AuditSettings::Smtp(s) => &s.output,
            AuditSettings::Other(o) => &o.output,
        }
    }

    pub fn from_args(args: Box<AuditArgs>) -> Result<AuditSettings, InputError> {
        let forced = args.connector.as_deref().and_then(Kind::parse);
        let (source, bytes) =
            crate::config::read_input(&args.config).map_err(|e| InputError(e.to_string()))?;
        let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
            .to_string();
        let kind = crate::connectors::kind_of(&source, &text, forced)
            .map_err(|e| InputError(e.to_string()))?;
        if kind == Kind::Smtp {
            let given = [
                ("--probe-endpoint", args.probe_endpoint),
                ("--endpoint-ca", args.endpoint_ca.is_some()),
                ("--selector", !args.selectors.is_empty()),
                ("--return-path", args.return_path.is_some()),
            ];
            if let Some((flag, _)) = given.iter().find(|(_, g)| *g) {
                return Err(InputError(format!(
                    "{flag} is for Logto's API connectors (SendGrid, Mailgun, SES, Postmark, Aliyun, HTTP email); {source} is an SMTP connector config"
                )));
            }
            return SmtpAudit::from_args(args, &source, &bytes)
                .map(|s| AuditSettings::Smtp(Box::new(s)));
        }
        if kind == Kind::HttpEmail && (!args.selectors.is_empty() || args.return_path.is_some()) {
            return Err(InputError(
                "--selector and --return-path name a mail provider's DNS records; the HTTP email connector has none".into(),
            ));
        }
        if kind != Kind::HttpEmail
            && let Some(flag) = [
                ("--endpoint-ca", args.endpoint_ca.is_some()),
                ("--probe-endpoint", args.probe_endpoint),
            ]
            .iter()
            .find_map(|(flag, given)| given.then_some(flag))
        {
            return Err(InputError(format!(
                "{flag} is for the HTTP email connector's endpoint; {source} is a {} config",
                kind.name()
            )));
        }
        let checked = crate::connectors::check(&source, &text, kind)
            .map_err(|e| InputError(e.to_string()))?;
        let timeout = parse_duration(&args.endpoint_timeout)?;
        if timeout.is_zero() || timeout > std::time::Duration::from_secs(600) {
            return Err(InputError(
                "--endpoint-timeout must be between 1ms and 600s".into(),
            ));
        }
        let to = args.to.as_deref().map(recipient).transpose()?;
        let api = api_options(&args)?;
        let ca_pem = match &args.endpoint_ca {
            Some(path) => vec![endpoint_ca(path)?],
            None => Vec::new(),
        };
        let hints = hints(&args)?;
        Ok(AuditSettings::Other(Box::new(OtherAudit {
            options: Options {
                probe_endpoint: args.probe_endpoint,
                online: args.online,
                api,
                timeout,
                to: to.unwrap_or_else(|| "test@example.invalid".into()),
                usage: args.usage.clone(),
                code: crate::passcode::build::random_code(),
                ca_pem,
                hints,
            },
            checked,
            dns: dns_config(&args.dns)?,
            output: output_settings(&args.output, "audit")?,
        })))
    }
}

/// `--api-timeout` and `--api-base`: a base is `scheme://host[:port]` only, and plain http
/// only to loopback (the calls carry the config's credential).
fn api_options(args: &AuditArgs) -> Result<ApiOptions, InputError> {
    let timeout = parse_duration(&args.api_timeout)?;
    if timeout.is_zero() || timeout > std::time::Duration::from_secs(600) {
        return Err(InputError(
            "--api-timeout must be between 1ms and 600s".into(),
        ));
    }
    let base = match args.api_base.as_deref() {
        None => None,
        Some(raw) => {
            let url =
                Url::parse(raw).map_err(|e| InputError(format!("--api-base {raw:?}: {e}")))?;
            if url.target != "/" {
                return Err(InputError(format!(
                    "--api-base {raw:?}: give scheme://host[:port] only; the providers' paths are kept"
                )));
            }
            if !url.https && !url.is_loopback() {
                return Err(InputError(format!(
                    "--api-base {raw:?}: plain http is allowed only to loopback (the calls carry the config's credential)"
                )));
            }
            Some(url)
        }
    };
    Ok(ApiOptions { base, timeout })
}

/// `--endpoint-ca`: read, and checked to hold usable CA certificates (a bad file is an input
/// error, not a failed probe).
fn endpoint_ca(path: &std::path::Path) -> Result<String, InputError> {
    let pem = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read --endpoint-ca {}: {e}", path.display())))?;
    crate::smtp::tls::root_store(&crate::smtp::trust::node_trust(
        std::slice::from_ref(&pem),
        &Default::default(),
    ))
    .map_err(|e| {
        InputError(format!(
            "--endpoint-ca {}: {}",
            path.display(),
            e.replace("tls.ca", "the file")
        ))
    })?;
    Ok(pem)
}

/// `--selector` and `--return-path`, validated as DNS names.
fn hints(args: &AuditArgs) -> Result<Hints, InputError> {
    let mut selectors = Vec::new();
    for s in &args.selectors {
        let s = s.trim().trim_end_matches('.').to_ascii_lowercase();
        crate::dns::name::validate_dns_name(&s)
            .map_err(|e| InputError(format!("--selector {s}: {e}")))?;
        // RFC 6376 3.1: dot-separated labels of letters, digits and hyphens (underscores
        // let through: some consoles show them).
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !s.split('.').all(label_ok) {
            return Err(InputError(format!(
                "--selector {s}: a selector is labels of letters, digits and hyphens, separated by dots"
            )));
        }
        if !selectors.contains(&s) {
            selectors.push(s);
        }
    }
    let return_path = args
        .return_path
        .as_deref()
        .map(|d| {
            crate::dns::name::parse_target_domain(d)
                .map_err(|e| InputError(format!("--return-path: {e}")))
        })
        .transpose()?;
    Ok(Hints {
        selectors,
        return_path,
    })
}

pub struct SmtpAudit {
    pub loaded: Loaded,
    pub probe: ProbeInput,
    pub plan: SendPlan,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

impl SmtpAudit {
    fn from_args(
        args: Box<AuditArgs>,
        source: &str,
        bytes: &[u8],
    ) -> Result<SmtpAudit, InputError> {
        let output = output_settings(&args.output, "audit")?;
        let to = args.to.as_deref().map(recipient).transpose()?;
        let loaded = parse_config(source, bytes, &args.secrets)?;
        let key = key_choice(
            args.dkim.dkim_key.as_ref(),
            args.dkim.dkim_selector.as_ref(),
            args.dkim.dkim_domain.as_ref(),
            &loaded,
        )?;
        let probe = probe_input(&loaded, &args.probe)?;
        Ok(SmtpAudit {
            plan: SendPlan {
                deliver: to.is_some(),
                // Without --to the message is still built, signed and verified, never sent.
                to: to.unwrap_or_else(|| "test@example.invalid".into()),
                usage: args.usage.clone(),
                code: crate::passcode::build::random_code(),
                test_marker: true,
                key,
                out: None,
            },
            probe,
            loaded,
            dns: dns_config(&args.dns)?,
            output,
        })
    }
}
