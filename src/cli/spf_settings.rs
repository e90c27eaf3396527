//! `spf` arguments turned into one validated identity. Only the client IP can be an input
//! error: every MAIL FROM and HELO is evaluated, since a receiver must (RFC 7208 4.3).

use super::SpfArgs;
use super::settings::{InputError, OutputSettings, dns_config, output_settings, parse_client_ip};
use crate::dns::DnsConfig;
use crate::spf::identity::SpfIdentity;
use std::net::IpAddr;

pub struct SpfSettings {
    pub ip: IpAddr,
    pub identity: SpfIdentity,
    pub dns: DnsConfig,
    pub output: OutputSettings,
}

impl SpfSettings {
    pub fn from_args(args: Box<SpfArgs>) -> Result<SpfSettings, InputError> {
        let ip = parse_client_ip("--ip", &args.ip)?;
        let helo = args.helo.as_deref().unwrap_or("");
        // clap requires --helo when --mail-from is absent.
        let identity = match &args.mail_from {
            Some(mail_from) => SpfIdentity::mail_from(mail_from, helo),
            None => SpfIdentity::helo(helo),
        };
        Ok(SpfSettings {
            ip,
            identity,
            output: output_settings(&args.output, "spf")?,
            dns: dns_config(&args.dns)?,
        })
    }
}
