//! `audit` arguments validated once into the config, the probe input and the test-mail plan.

use super::AuditArgs;
use super::send_settings::{SendPlan, key_choice, recipient};
use super::settings::{InputError, OutputSettings, dns_config, output_settings};
use super::smtp_settings::{load_config, probe_input};
use crate::config::Loaded;
use crate::dns::DnsConfig;
use crate::smtp::ProbeInput;

pub struct AuditSettings {
    pub loaded: Loaded,
    pub probe: ProbeInput,
    pub plan: SendPlan,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

impl AuditSettings {
    pub fn from_args(args: Box<AuditArgs>) -> Result<AuditSettings, InputError> {
        let output = output_settings(&args.output, "audit")?;
        let to = args.to.as_deref().map(recipient).transpose()?;
        let loaded = load_config(&args.config, &args.secrets)?;
        let key = key_choice(
            args.dkim_key.as_ref(),
            args.dkim_selector.as_ref(),
            args.dkim_domain.as_ref(),
            &loaded,
        )?;
        let probe = probe_input(&loaded, &args.probe)?;
        Ok(AuditSettings {
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
