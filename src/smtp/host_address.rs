//! The SMTP host's addresses, found the way nodemailer finds them (`resolveHostname` in
//! nodemailer's `lib/shared/index.js`), so that `localhost`, names in /etc/hosts and
//! hosts in a container without a reachable resolver work exactly when they work for Logto:
//!
//! 1. An IP literal (`net.isIP`) is used as is: no DNS at all.
//! 2. `resolve4` (c-ares, the resolver in resolv.conf), but only when a non-loopback
//!    interface has an IPv4 address (`isFamilySupported`); NODATA, NOTFOUND, NOTIMP,
//!    SERVFAIL, REFUSED, ECONNREFUSED (a resolver that cannot be reached) and EAI_AGAIN mean
//!    "no address, go on"; any other error (a timeout: `queryA ETIMEOUT host`) ends the send.
//! 3. The same with `resolve6` and IPv6.
//! 4. `dns.lookup(host, {all: true})`: getaddrinfo, i.e. /etc/hosts and nsswitch. When no
//!    address it gives is of a family with a non-loopback interface, nodemailer passes the
//!    name itself to `net.connect`, which looks it up once more and connects anyway.
//!
//! Nodemailer then connects to one address (a random one of several); the probe tries them
//! in order and says so.

use crate::dns::{Dns, Outcome, RType};
use std::net::IpAddr;
use std::time::Duration;

/// At most this many addresses are kept (a hostile answer cannot make the probe loop).
const MAX_ADDRESSES: usize = 16;

/// The addresses, and how they were found (said in the SMTP facts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAddresses {
    pub addresses: Vec<IpAddr>,
    pub found_by: String,
}

/// Why nodemailer gets no address: its error text, and what the probe saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    /// nodemailer's `error.message` (`getaddrinfo ENOTFOUND host`, `queryA ETIMEOUT host`).
    pub node_message: String,
    pub why: String,
}

/// Which address families have an interface that is up, running and not loopback
/// (libuv's `uv_interface_addresses` as nodemailer's `isFamilySupported` filters it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Families {
    pub v4: bool,
    pub v6: bool,
}

impl Families {
    /// This host's interfaces. When they cannot be listed, both families (nodemailer:
    /// "hope for the best").
    pub fn of_this_host() -> Families {
        external_families().unwrap_or(Families { v4: true, v6: true })
    }
    fn supports(self, ip: &IpAddr) -> bool {
        if ip.is_ipv4() { self.v4 } else { self.v6 }
    }
}

/// Resolve `host` as nodemailer does; `lookup_timeout` bounds the getaddrinfo step.
pub async fn resolve(
    dns: &Dns,
    host: &str,
    families: Families,
    lookup_timeout: Duration,
) -> Result<HostAddresses, Unresolved> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(HostAddresses {
            addresses: vec![ip],
            found_by: "an IP address: no DNS lookup".into(),
        });
    }
    let mut skipped: Vec<String> = Vec::new();
    for (rtype, supported, call) in [
        (RType::A, families.v4, "resolve4"),
        (RType::AAAA, families.v6, "resolve6"),
    ] {
        if !supported {
            skipped.push(format!(
                "{call} skipped (no non-loopback IPv{} interface)",
                if rtype == RType::A { 4 } else { 6 }
            ));
            continue;
        }
        let answer = dns.query(bare, rtype).await;
        let query = if rtype == RType::A {
            "queryA"
        } else {
            "queryAaaa"
        };
        match &answer.outcome {
            Outcome::Records => {
                let mut addresses = answer.ips();
                addresses.truncate(MAX_ADDRESSES);
                if !addresses.is_empty() {
                    return Ok(HostAddresses {
                        addresses,
                        found_by: format!("DNS {rtype} ({call}, the resolver in resolv.conf)"),
                    });
                }
                skipped.push(format!("{call}: no {rtype} record"));
            }
            Outcome::NoData | Outcome::NxDomain => {
                skipped.push(format!("{call}: {}", answer.outcome.label()));
            }
            Outcome::ServerFailure { rcode } if passes_on(rcode) => {
                skipped.push(format!("{call}: {rcode}"));
            }
            Outcome::ServerFailure { rcode } => {
                return Err(Unresolved {
                    node_message: format!("{query} E{rcode} {bare}"),
                    why: format!("{call}: the resolver answered {rcode}"),
                });
            }
            Outcome::Error { message } if dns.resolver_unreachable().is_some() => {
                // c-ares reports a resolver it cannot reach as ECONNREFUSED: passed over.
                skipped.push(format!("{call}: no resolver reachable ({message})"));
            }
            Outcome::Error { .. } if dns.is_offline() => {
                // --offline and the name is in no zone file: the run has no DNS answer to
                // give, so it goes on to getaddrinfo as nodemailer does for "no address".
                skipped.push(format!("{call}: not in the zone files (--offline)"));
            }
            Outcome::Error { message } => {
                return Err(Unresolved {
                    node_message: format!("{query} EBADRESP {bare}"),
                    why: format!("{call}: {message}"),
                });
            }
            Outcome::Timeout => {
                return Err(Unresolved {
                    node_message: format!("{query} ETIMEOUT {bare}"),
                    why: format!(
                        "{call}: the resolver did not answer (nodemailer does not fall back to /etc/hosts after a timeout)"
                    ),
                });
            }
        }
    }
    let looked_up = tokio::time::timeout(lookup_timeout, tokio::net::lookup_host((bare, 0))).await;
    let mut addresses: Vec<IpAddr> = match looked_up {
        Ok(Ok(found)) => found.map(|a| a.ip()).take(MAX_ADDRESSES).collect(),
        Ok(Err(e)) => {
            skipped.push(format!("getaddrinfo: {e}"));
            Vec::new()
        }
        Err(_) => {
            skipped.push("getaddrinfo: no answer in time".into());
            Vec::new()
        }
    };
    dedup(&mut addresses);
    if addresses.is_empty() {
        return Err(Unresolved {
            node_message: format!("getaddrinfo ENOTFOUND {bare}"),
            why: skipped.join("; "),
        });
    }
    let mut found_by = String::from("getaddrinfo (/etc/hosts, nsswitch: Node's dns.lookup)");
    if !skipped.is_empty() {
        found_by.push_str(&format!(" after {}", skipped.join(", ")));
    }
    if !addresses.iter().any(|ip| families.supports(ip)) {
        found_by.push_str(
            "; no address of a family with a non-loopback interface, so nodemailer hands the name to net.connect, which looks it up again",
        );
    }
    Ok(HostAddresses {
        addresses,
        found_by,
    })
}

/// The resolver errors nodemailer passes over (no address from this family, try the next).
fn passes_on(rcode: &str) -> bool {
    matches!(rcode, "SERVFAIL" | "REFUSED" | "NOTIMP")
}

fn dedup(addresses: &mut Vec<IpAddr>) {
    let mut seen = std::collections::HashSet::new();
    addresses.retain(|a| seen.insert(*a));
}

/// The families of interfaces that are up, running and not loopback.
fn external_families() -> Option<Families> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list we free below with freeifaddrs;
    // every node is only read while the list is alive.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return None;
    }
    let mut families = Families {
        v4: false,
        v6: false,
    };
    let mut node = list;
    let wanted = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_uint;
    while !node.is_null() {
        // SAFETY: `node` is a non-null element of the list getifaddrs returned.
        let entry = unsafe { &*node };
        let flags = entry.ifa_flags;
        if !entry.ifa_addr.is_null()
            && flags & wanted == wanted
            && flags & libc::IFF_LOOPBACK as libc::c_uint == 0
        {
            // SAFETY: ifa_addr is non-null and points at a sockaddr of the list.
            match i32::from(unsafe { (*entry.ifa_addr).sa_family }) {
                libc::AF_INET => families.v4 = true,
                libc::AF_INET6 => families.v6 = true,
                _ => {}
            }
        }
        node = entry.ifa_next;
    }
    // SAFETY: `list` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    Some(families)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::DnsConfig;

    const BOTH: Families = Families { v4: true, v6: true };
    const NONE: Families = Families {
        v4: false,
        v6: false,
    };

    fn offline() -> Dns {
        Dns::new(DnsConfig {
            offline: true,
            ..DnsConfig::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn an_ip_literal_needs_no_dns() {
        // A silent nameserver: asking it would time out.
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let dns = Dns::new(DnsConfig {
            nameservers: vec![silent.local_addr().unwrap()],
            timeout: Duration::from_secs(5),
            ..DnsConfig::default()
        })
        .unwrap();
        for (host, ip) in [("127.0.0.1", "127.0.0.1"), ("[::1]", "::1")] {
            let found = resolve(&dns, host, BOTH, Duration::from_secs(1))
                .await
                .unwrap();
            assert_eq!(found.addresses, vec![ip.parse::<IpAddr>().unwrap()]);
            assert!(found.found_by.contains("no DNS"), "{}", found.found_by);
        }
        assert_eq!(dns.stats().lookups, 0);
    }

    #[tokio::test]
    async fn a_silent_resolver_ends_the_send_as_nodemailer_does() {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let dns = Dns::new(DnsConfig {
            nameservers: vec![silent.local_addr().unwrap()],
            timeout: Duration::from_millis(100),
            attempts: 1,
            ..DnsConfig::default()
        })
        .unwrap();
        let err = resolve(&dns, "smtp.example.test", BOTH, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(err.node_message, "queryA ETIMEOUT smtp.example.test");
    }

    #[tokio::test]
    async fn etc_hosts_answers_when_dns_has_nothing() {
        // With no interface families nodemailer never asks DNS; getaddrinfo reads /etc/hosts.
        let found = resolve(&offline(), "localhost", NONE, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(
            found.addresses.iter().all(IpAddr::is_loopback) && !found.addresses.is_empty(),
            "{found:?}"
        );
        assert!(
            found.found_by.starts_with("getaddrinfo"),
            "{}",
            found.found_by
        );
        assert!(
            found.found_by.contains("resolve4 skipped"),
            "{}",
            found.found_by
        );
        assert!(found.found_by.contains("net.connect"), "{}", found.found_by);
    }

    #[tokio::test]
    async fn a_name_nobody_knows_is_enotfound() {
        let err = resolve(
            &offline(),
            "no-such-host.invalid",
            NONE,
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.node_message,
            "getaddrinfo ENOTFOUND no-such-host.invalid"
        );
        assert!(err.why.contains("getaddrinfo"), "{}", err.why);
    }

    #[test]
    fn only_the_errors_nodemailer_lists_pass_on() {
        assert!(passes_on("SERVFAIL") && passes_on("REFUSED") && passes_on("NOTIMP"));
        assert!(!passes_on("FORMERR"));
    }

    #[test]
    fn interfaces_can_be_listed() {
        // Whatever this host has, listing must work (None would mean "hope for the best").
        assert!(external_families().is_some());
    }
}
