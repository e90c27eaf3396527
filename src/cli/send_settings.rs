//! `send` arguments validated once: the config, the recipient, the template choice, the
//! DKIM key (flags or the config's own `dkim` option), and where the mail goes.

use super::SendArgs;
use super::settings::{InputError, OutputSettings, dns_config, input_error, output_settings};
use super::smtp_settings::{load_config, probe_input};
use crate::config::Loaded;
use crate::config::address::parse_mailbox;
use crate::dns::DnsConfig;
pub use crate::passcode::plan::{KeyChoice, SendPlan};
use crate::smtp::ProbeInput;
use std::path::PathBuf;

pub struct SendSettings {
    pub loaded: Loaded,
    pub plan: SendPlan,
    pub probe: ProbeInput,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

/// `--to` as a plain address.
pub fn recipient(raw: &str) -> Result<String, InputError> {
    match parse_mailbox(raw) {
        Ok(mb) if mb.display_name.is_none() => Ok(mb.address()),
        _ => Err(input_error(format!(
            "--to {raw}: not a plain email address (local@domain)"
        ))),
    }
}

/// `--dkim-key FILE --dkim-selector S [--dkim-domain D]` read once (bounded), or the
/// config's own `dkim` option when no key is given.
pub fn key_choice(
    key: Option<&PathBuf>,
    selector: Option<&String>,
    domain: Option<&String>,
    loaded: &Loaded,
) -> Result<KeyChoice, InputError> {
    if let (Some(path), Some(selector)) = (key, selector) {
        let meta = std::fs::metadata(path)
            .map_err(|e| input_error(format!("cannot read --dkim-key {}: {e}", path.display())))?;
        if meta.len() > MAX_KEY_BYTES {
            return Err(input_error(format!(
                "--dkim-key {}: larger than 64 KiB, not a key",
                path.display()
            )));
        }
        let pem = std::fs::read_to_string(path)
            .map_err(|e| input_error(format!("cannot read --dkim-key {}: {e}", path.display())))?;
        return Ok(KeyChoice::Flags {
            pem: crate::config::Secret::new(pem),
            selector: selector.trim().to_ascii_lowercase(),
            domain: domain.map(|d| d.trim().to_ascii_lowercase()),
        });
    }
    Ok(match &loaded.config.nodemailer.dkim {
        Some(d) => KeyChoice::Config {
            pem: d.private_key.clone(),
            selector: d.key_selector.clone(),
            domain: d.domain_name.clone(),
        },
        None => KeyChoice::None,
    })
}

const MAX_KEY_BYTES: u64 = 64 * 1024;

impl SendSettings {
    pub fn from_args(args: Box<SendArgs>) -> Result<SendSettings, InputError> {
        let output = output_settings(&args.output, "send")?;
        let to = recipient(&args.to)?;
        let code = match &args.code {
            Some(c)
                if !c.is_empty() && c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_graphic()) =>
            {
                c.clone()
            }
            Some(c) => {
                return Err(input_error(format!(
                    "--code {c:?}: 1 to 64 printable ASCII characters"
                )));
            }
            None => crate::passcode::build::random_code(),
        };
        // The key file is read before the config so that an unreadable key is named first.
        if let Some(path) = &args.dkim.dkim_key {
            std::fs::metadata(path).map_err(|e| {
                input_error(format!("cannot read --dkim-key {}: {e}", path.display()))
            })?;
        }
        let loaded = load_config(&args.config, &args.secrets)?;
        let key = key_choice(
            args.dkim.dkim_key.as_ref(),
            args.dkim.dkim_selector.as_ref(),
            args.dkim.dkim_domain.as_ref(),
            &loaded,
        )?;
        let probe = probe_input(&loaded, &args.probe)?;
        Ok(SendSettings {
            plan: SendPlan {
                to,
                usage: args.usage.clone(),
                code,
                test_marker: !args.no_test_marker,
                key,
                out: if args.dry_run { args.out.clone() } else { None },
                deliver: !args.dry_run,
            },
            probe,
            loaded,
            dns: dns_config(&args.dns)?,
            output,
        })
    }
}
