//! Reverse DNS of an address and its forward confirmation (FCrDNS): the PTR names of the
//! address, and whether one of them resolves back to it. Used for the sending IP (`audit`)
//! and for the domain's own MX hosts (`dns`); every question goes through the run's shared
//! cache and the caller's query log.

use super::{Answer, DnsView, RType, Rdata};
use std::net::IpAddr;
use std::sync::Arc;

/// PTR names checked per address: an address with more is misconfigured anyway, and each
/// costs one forward lookup (RFC 7208 5.5 stops at 10 for the same reason).
pub const MAX_PTR_NAMES: usize = 10;

/// What the reverse lookup of one address found.
#[derive(Clone, Debug)]
pub struct ReverseLookup {
    pub ip: IpAddr,
    /// The PTR answer, as seen (its outcome tells a missing PTR from a failed lookup).
    pub ptr_answer: Arc<Answer>,
    /// The PTR names, without the trailing dot, at most [`MAX_PTR_NAMES`].
    pub ptr: Vec<String>,
    /// Each PTR name asked forward (A for IPv4, AAAA for IPv6) with its answer, in order,
    /// up to the first that confirms.
    pub forward: Vec<Arc<Answer>>,
    /// The PTR name that resolves back to the address, when one does.
    pub confirmed_by: Option<String>,
}

impl ReverseLookup {
    pub fn forward_confirmed(&self) -> bool {
        self.confirmed_by.is_some()
    }

    /// Every address the PTR names resolved to, in order, without repeats.
    pub fn resolved(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        for ip in self.forward.iter().flat_map(|a| a.ips()) {
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
        out
    }
}

/// The PTR of `ip`, then each PTR name forward until one gives `ip` back.
pub async fn forward_confirm(dns: &DnsView, ip: IpAddr) -> ReverseLookup {
    let ptr_answer = dns.query(&reverse_name(ip), RType::PTR).await;
    let ptr: Vec<String> = ptr_answer
        .records
        .iter()
        .filter_map(|r| match r {
            Rdata::Ptr { target } => Some(target.trim_end_matches('.').to_string()),
            _ => None,
        })
        .take(MAX_PTR_NAMES)
        .collect();
    let rtype = if ip.is_ipv4() { RType::A } else { RType::AAAA };
    let mut forward = Vec::new();
    let mut confirmed_by = None;
    for name in &ptr {
        let answer = dns.query(name, rtype).await;
        let back = answer.ips().contains(&ip);
        forward.push(answer);
        if back {
            confirmed_by = Some(name.clone());
            break;
        }
    }
    ReverseLookup {
        ip,
        ptr_answer,
        ptr,
        forward,
        confirmed_by,
    }
}

/// The in-addr.arpa / ip6.arpa name of an address.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut nibbles = Vec::with_capacity(32);
            for byte in v6.octets().iter().rev() {
                nibbles.push(format!("{:x}", byte & 0xf));
                nibbles.push(format!("{:x}", byte >> 4));
            }
            format!("{}.ip6.arpa", nibbles.join("."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.25".parse().unwrap()),
            "25.2.0.192.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }
}
