//! In-memory zones for the async tests of the DKIM, DMARC, MX and policy-record checks.

use crate::dns::{Dns, DnsConfig, DnsView, Rdata, Zone, ZoneRecord};

pub fn txt(s: &str) -> Rdata {
    // Split as a zone file tool would: 255-byte character-strings.
    let strings = s.as_bytes().chunks(255).map(<[u8]>::to_vec).collect();
    Rdata::Txt { strings }
}

pub fn txt_strings(parts: &[&str]) -> Rdata {
    Rdata::Txt {
        strings: parts.iter().map(|p| p.as_bytes().to_vec()).collect(),
    }
}

pub fn mx(preference: u16, exchange: &str) -> Rdata {
    Rdata::Mx {
        preference,
        exchange: exchange.into(),
    }
}

pub fn a(ip: &str) -> Rdata {
    Rdata::A {
        address: ip.parse().unwrap(),
    }
}

pub fn cname(target: &str) -> Rdata {
    Rdata::Cname {
        target: target.into(),
    }
}

/// The SOA every test zone has at its apex.
pub fn soa() -> Rdata {
    Rdata::Soa {
        mname: "ns.test".into(),
        rname: "hostmaster.test".into(),
        serial: 1,
        minimum: 300,
    }
}

/// One zone (with an SOA at its apex) per origin, plus a root zone so that names outside
/// them (the tree walk's `_dmarc.test`) get NXDOMAIN, as on the real DNS.
pub fn view(zones: &[(&str, Vec<(&str, Rdata)>)]) -> DnsView {
    let mut all = vec![Zone {
        origin: String::new(),
        file: "root.zone".into(),
        records: vec![ZoneRecord {
            name: String::new(),
            ttl: 300,
            data: soa(),
            line: 1,
        }],
    }];
    for (origin, records) in zones {
        let mut recs = vec![ZoneRecord {
            name: origin.to_string(),
            ttl: 300,
            data: soa(),
            line: 1,
        }];
        for (i, (name, data)) in records.iter().enumerate() {
            recs.push(ZoneRecord {
                name: name.to_string(),
                ttl: 300,
                data: data.clone(),
                line: i + 2,
            });
        }
        all.push(Zone {
            origin: origin.to_string(),
            file: format!("{origin}.zone"),
            records: recs,
        });
    }
    Dns::new(DnsConfig {
        offline: true,
        zones: all,
        ..DnsConfig::default()
    })
    .unwrap()
    .view()
}

/// The codes raised, in order.
pub fn codes(findings: &[crate::report::Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.id).collect()
}
