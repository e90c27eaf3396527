//! What the stub knows without asking: the system's nameservers (resolv.conf) and the
//! RFC 6761 special-use names it answers itself.

use crate::dns::types::{Outcome, RType, Rdata};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

/// The system's nameservers (resolv.conf on Unix), UDP port 53 unless configured otherwise.
pub(super) fn system_nameservers() -> Result<Vec<SocketAddr>, String> {
    let (config, _) = hickory_resolver::system_conf::read_system_conf().map_err(|e| {
        format!(
            "cannot read the system's DNS configuration ({e}); give --nameserver IP or --offline"
        )
    })?;
    let mut servers: Vec<SocketAddr> = Vec::new();
    for ns in config.name_servers() {
        let port = ns
            .connections
            .iter()
            .find(|c| matches!(c.protocol, hickory_resolver::config::ProtocolConfig::Udp))
            .map_or(53, |c| c.port);
        let addr = SocketAddr::new(ns.ip, port);
        if !servers.contains(&addr) {
            servers.push(addr);
        }
    }
    if servers.is_empty() {
        return Err(
            "the system's DNS configuration names no nameserver; give --nameserver IP or --offline"
                .into(),
        );
    }
    Ok(servers)
}

/// RFC 6761 special-use names answered locally, never sent: `localhost` (loopback
/// addresses) and `invalid` (NXDOMAIN), as hickory-resolver did.
pub(super) fn special_use(name: &str, rtype: RType, records: &mut Vec<Rdata>) -> Option<Outcome> {
    use crate::dns::name::is_subdomain_of;
    if is_subdomain_of(name, "invalid") {
        return Some(Outcome::NxDomain);
    }
    if !is_subdomain_of(name, "localhost") {
        return None;
    }
    match rtype {
        RType::A => records.push(Rdata::A {
            address: Ipv4Addr::LOCALHOST,
        }),
        RType::AAAA => records.push(Rdata::Aaaa {
            address: Ipv6Addr::LOCALHOST,
        }),
        _ => return Some(Outcome::NoData),
    }
    Some(Outcome::Records)
}
