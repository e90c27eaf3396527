//! Questions that go to real DNS servers, through hickory-resolver.

use super::types::{Answer, Outcome, RType, Rdata, Source};
use super::{DnsConfig, DnsSetupError};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use std::time::Duration;

pub struct Network {
    resolver: TokioResolver,
}

impl Network {
    pub fn new(config: &DnsConfig) -> Result<Network, DnsSetupError> {
        let mut builder = if config.nameservers.is_empty() {
            TokioResolver::builder_tokio().map_err(|e| {
                DnsSetupError(format!(
                    "cannot read the system's DNS configuration ({e}); give --nameserver IP or --offline"
                ))
            })?
        } else {
            let servers = config
                .nameservers
                .iter()
                .map(|addr| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                    ns.connections = vec![udp, tcp];
                    ns
                })
                .collect();
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            )
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = config.timeout;
        opts.attempts = config.attempts.max(1);
        // Our own per-run cache de-duplicates; hickory's would only hold a second copy.
        opts.cache_size = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.preserve_intermediates = true;
        opts.edns0 = true;
        opts.ndots = 0;
        opts.max_active_requests = 1024;
        let resolver = builder
            .build()
            .map_err(|e| DnsSetupError(format!("cannot build the DNS resolver: {e}")))?;
        Ok(Network { resolver })
    }

    pub async fn lookup(&self, name: &str, rtype: RType) -> Answer {
        let mut answer = Answer {
            name: name.to_string(),
            rtype,
            outcome: Outcome::Records,
            records: Vec::new(),
            cnames: Vec::new(),
            source: Source::Network,
            elapsed: Duration::ZERO,
        };
        let fqdn = match super::name::wire_name(name) {
            Ok(n) => n,
            Err(e) => {
                answer.outcome = Outcome::Error {
                    message: format!("not a valid DNS name: {e}"),
                };
                return answer;
            }
        };
        match self.resolver.lookup(fqdn, record_type(rtype)).await {
            Ok(lookup) => {
                for record in lookup.answers() {
                    match (&record.data, convert(&record.data)) {
                        (RData::CNAME(target), _) if rtype != RType::CNAME => {
                            answer.cnames.push(name_string(&target.0));
                        }
                        (_, Some(data)) if data.rtype() == rtype => answer.records.push(data),
                        _ => {}
                    }
                }
                if answer.records.is_empty() {
                    answer.outcome = Outcome::NoData;
                }
            }
            Err(e) => answer.outcome = classify(&e),
        }
        answer
    }
}

fn classify(error: &NetError) -> Outcome {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => {
            if nr.response_code == ResponseCode::NXDomain {
                Outcome::NxDomain
            } else if nr.response_code == ResponseCode::NoError {
                Outcome::NoData
            } else {
                Outcome::ServerFailure {
                    rcode: rcode_name(nr.response_code),
                }
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => Outcome::ServerFailure {
            rcode: rcode_name(*code),
        },
        NetError::Timeout => Outcome::Timeout,
        other => Outcome::Error {
            message: other.to_string(),
        },
    }
}

/// The rcode's mnemonic as in RFC 1035 / IANA (`SERVFAIL`, `REFUSED`), not hickory's prose.
fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::Unknown(n) => format!("RCODE{n}"),
        // The derived Debug is the mnemonic in camel case (ServFail, NXDomain, NotImp).
        known => format!("{known:?}").to_uppercase(),
    }
}

fn record_type(rtype: RType) -> RecordType {
    match rtype {
        RType::A => RecordType::A,
        RType::AAAA => RecordType::AAAA,
        RType::MX => RecordType::MX,
        RType::TXT => RecordType::TXT,
        RType::CNAME => RecordType::CNAME,
        RType::PTR => RecordType::PTR,
        RType::NS => RecordType::NS,
        RType::SOA => RecordType::SOA,
    }
}

fn name_string(name: &Name) -> String {
    super::name::from_wire(name)
}

/// hickory record data to ours; `None` for types the audit never asks about.
pub(crate) fn convert(data: &RData) -> Option<Rdata> {
    Some(match data {
        RData::A(a) => Rdata::A { address: a.0 },
        RData::AAAA(a) => Rdata::Aaaa { address: a.0 },
        RData::MX(mx) => Rdata::Mx {
            preference: mx.preference,
            exchange: name_string(&mx.exchange),
        },
        RData::TXT(txt) => Rdata::Txt {
            strings: txt.txt_data.iter().map(|s| s.to_vec()).collect(),
        },
        RData::CNAME(c) => Rdata::Cname {
            target: name_string(&c.0),
        },
        RData::PTR(p) => Rdata::Ptr {
            target: name_string(&p.0),
        },
        RData::NS(n) => Rdata::Ns {
            target: name_string(&n.0),
        },
        RData::SOA(soa) => Rdata::Soa {
            mname: name_string(&soa.mname),
            rname: name_string(&soa.rname),
            serial: soa.serial,
            minimum: soa.minimum,
        },
        _ => return None,
    })
}
