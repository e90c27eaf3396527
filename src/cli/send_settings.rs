//! `send` arguments validated once: the config, the recipient, the template choice, the
//! DKIM key (flags or the config's own `dkim` option), and where the mail goes.

use super::SendArgs;
use super::settings::{InputError, OutputSettings, dns_config, input_error, output_settings};
use super::smtp_settings::{load_config, probe_input};
use crate::config::Loaded;
use crate::config::address::parse_mailbox;
use crate::dns::DnsConfig;
use crate::smtp::ProbeInput;
use std::path::PathBuf;

/// Where the signing key comes from.
pub enum KeyChoice {
    /// `--dkim-key FILE --dkim-selector S [--dkim-domain D]` (PEM text, a secret).
    Flags {
        pem: crate::config::Secret,
        selector: String,
        domain: Option<String>,
    },
    /// The config's `dkim: {domainName, keySelector, privateKey}`, as nodemailer uses it.
    Config {
        pem: Option<crate::config::Secret>,
        selector: Option<String>,
        domain: Option<String>,
    },
    None,
}

pub struct SendSettings {
    pub loaded: Loaded,
    pub to: String,
    pub usage: String,
    pub code: String,
    pub test_marker: bool,
    pub key: KeyChoice,
    pub out: Option<PathBuf>,
    pub probe: ProbeInput,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

const MAX_KEY_BYTES: u64 = 64 * 1024;

impl SendSettings {
    pub fn from_args(args: Box<SendArgs>) -> Result<SendSettings, InputError> {
        let output = output_settings(&args.output)?;
        let to = match parse_mailbox(&args.to) {
            Ok(mb) if mb.display_name.is_none() => mb.address(),
            _ => {
                return Err(input_error(format!(
                    "--to {}: not a plain email address (local@domain)",
                    args.to
                )));
            }
        };
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
        let key = match (&args.dkim_key, &args.dkim_selector) {
            (Some(path), Some(selector)) => {
                let meta = std::fs::metadata(path).map_err(|e| {
                    input_error(format!("cannot read --dkim-key {}: {e}", path.display()))
                })?;
                if meta.len() > MAX_KEY_BYTES {
                    return Err(input_error(format!(
                        "--dkim-key {}: larger than 64 KiB, not a key",
                        path.display()
                    )));
                }
                let pem = std::fs::read_to_string(path).map_err(|e| {
                    input_error(format!("cannot read --dkim-key {}: {e}", path.display()))
                })?;
                KeyChoice::Flags {
                    pem: crate::config::Secret::new(pem),
                    selector: selector.trim().to_ascii_lowercase(),
                    domain: args
                        .dkim_domain
                        .as_ref()
                        .map(|d| d.trim().to_ascii_lowercase()),
                }
            }
            _ => KeyChoice::None,
        };
        let loaded = load_config(&args.config, &args.secrets)?;
        let key = match key {
            KeyChoice::None => match &loaded.config.nodemailer.dkim {
                Some(d) => KeyChoice::Config {
                    pem: d.private_key.clone(),
                    selector: d.key_selector.clone(),
                    domain: d.domain_name.clone(),
                },
                None => KeyChoice::None,
            },
            k => k,
        };
        let probe = probe_input(&loaded, &args.probe)?;
        Ok(SendSettings {
            to,
            usage: args.usage.clone(),
            code,
            test_marker: !args.no_test_marker,
            key,
            out: if args.dry_run { args.out.clone() } else { None },
            probe,
            loaded,
            dns: dns_config(&args.dns)?,
            output,
        })
    }
}
