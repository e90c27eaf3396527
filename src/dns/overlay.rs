//! Answers for names inside the zones given with `--zone`, as an authoritative server
//! for those zones would give them (NXDOMAIN vs NODATA, empty non-terminals, CNAMEs,
//! wildcards), so that a DNS change can be audited before it is published.

use super::name::is_subdomain_of;
use super::types::{Answer, Outcome, RType, Rdata, Source};
use super::zone::Zone;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// CNAME hops followed inside the zones before giving up with an error.
const MAX_CNAME_HOPS: usize = 8;

pub struct Overlay {
    zones: Vec<IndexedZone>,
}

struct IndexedZone {
    origin: String,
    file: String,
    by_name: HashMap<String, Vec<Rdata>>,
    /// Every name that exists: owners and their ancestors inside the zone (empty non-terminals).
    existing: HashSet<String>,
}

impl IndexedZone {
    fn new(zone: Zone) -> Self {
        let mut by_name: HashMap<String, Vec<Rdata>> = HashMap::new();
        let mut existing = HashSet::new();
        for record in zone.records {
            let mut n = record.name.as_str();
            loop {
                // An existing name's ancestors are in already: the walk is linear in the
                // names' length, not in their depth times their length.
                if existing.contains(n) {
                    break;
                }
                existing.insert(n.to_string());
                if n == zone.origin {
                    break;
                }
                match n.split_once('.') {
                    Some((_, parent)) if is_subdomain_of(parent, &zone.origin) => n = parent,
                    _ => break,
                }
            }
            by_name.entry(record.name).or_default().push(record.data);
        }
        IndexedZone {
            origin: zone.origin,
            file: zone.file,
            by_name,
            existing,
        }
    }

    /// The records at `name`, or at the wildcard that covers it (RFC 4592, simplified:
    /// the closest existing ancestor's `*` child).
    fn rrs_at(&self, name: &str) -> Option<&Vec<Rdata>> {
        if self.existing.contains(name) {
            return self.by_name.get(name);
        }
        let mut n = name;
        while let Some((_, parent)) = n.split_once('.') {
            if !is_subdomain_of(parent, &self.origin) {
                break;
            }
            if self.existing.contains(parent) {
                return self.by_name.get(&format!("*.{parent}"));
            }
            n = parent;
        }
        None
    }
}

impl Overlay {
    pub fn new(zones: Vec<Zone>) -> Self {
        Overlay {
            zones: zones.into_iter().map(IndexedZone::new).collect(),
        }
    }

    /// The most specific zone holding `name`.
    fn zone_for(&self, name: &str) -> Option<&IndexedZone> {
        self.zones
            .iter()
            .filter(|z| is_subdomain_of(name, &z.origin))
            .max_by_key(|z| z.origin.len())
    }

    /// `None` when `name` is in no zone (ask the network). A CNAME chain that leaves the
    /// zones is returned as far as it goes, with outcome NODATA and the chain in `cnames`;
    /// the caller continues it on the network (see [`Overlay::continuation`]).
    pub fn lookup(&self, name: &str, rtype: RType) -> Option<Answer> {
        let first = self.zone_for(name)?;
        let mut cnames = Vec::new();
        let mut current = name.to_string();
        let mut zone = first;
        loop {
            let outcome;
            let mut records = Vec::new();
            match zone.rrs_at(&current) {
                None => outcome = Outcome::NxDomain,
                Some(rrs) => {
                    records = rrs.iter().filter(|r| r.rtype() == rtype).cloned().collect();
                    let cname = rrs.iter().find_map(|r| match r {
                        Rdata::Cname { target } if rtype != RType::CNAME => Some(target.clone()),
                        _ => None,
                    });
                    if let (true, Some(target)) = (records.is_empty(), cname) {
                        if cnames.len() >= MAX_CNAME_HOPS || cnames.contains(&target) {
                            return Some(answer(
                                name,
                                rtype,
                                Outcome::Error {
                                    message: format!(
                                        "CNAME chain loops or is longer than {MAX_CNAME_HOPS}"
                                    ),
                                },
                                Vec::new(),
                                cnames,
                                &first.file,
                            ));
                        }
                        cnames.push(target.clone());
                        match self.zone_for(&target) {
                            Some(next) => {
                                zone = next;
                                current = target;
                                continue;
                            }
                            None => {
                                return Some(answer(
                                    name,
                                    rtype,
                                    Outcome::NoData,
                                    Vec::new(),
                                    cnames,
                                    &first.file,
                                ));
                            }
                        }
                    }
                    outcome = if records.is_empty() {
                        Outcome::NoData
                    } else {
                        Outcome::Records
                    };
                }
            }
            // An empty non-terminal exists but owns nothing: NODATA, not NXDOMAIN.
            let outcome = if outcome == Outcome::NxDomain && zone.existing.contains(&current) {
                Outcome::NoData
            } else {
                outcome
            };
            return Some(answer(name, rtype, outcome, records, cnames, &first.file));
        }
    }

    /// Where a CNAME chain left the zones: the target to ask on the network.
    pub fn continuation(&self, answer: &Answer) -> Option<String> {
        let last = answer.cnames.last()?;
        (answer.outcome == Outcome::NoData && self.zone_for(last).is_none()).then(|| last.clone())
    }
}

fn answer(
    name: &str,
    rtype: RType,
    outcome: Outcome,
    records: Vec<Rdata>,
    cnames: Vec<String>,
    file: &str,
) -> Answer {
    Answer {
        name: name.to_string(),
        rtype,
        outcome,
        records,
        cnames,
        source: Source::Zone {
            file: file.to_string(),
        },
        elapsed: Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::zone::ZoneRecord;

    fn zone(records: &[(&str, Rdata)]) -> Zone {
        Zone {
            origin: "example.com".into(),
            file: "test.zone".into(),
            records: records
                .iter()
                .map(|(n, d)| ZoneRecord {
                    name: n.to_string(),
                    ttl: 300,
                    data: d.clone(),
                    line: 1,
                })
                .collect(),
        }
    }

    fn txt(s: &str) -> Rdata {
        Rdata::Txt {
            strings: vec![s.as_bytes().to_vec()],
        }
    }

    #[test]
    fn nxdomain_nodata_and_empty_non_terminal_differ() {
        let o = Overlay::new(vec![zone(&[
            ("example.com", txt("v=spf1 -all")),
            ("a.b.example.com", txt("x")),
        ])]);
        assert_eq!(
            o.lookup("example.com", RType::TXT).unwrap().outcome,
            Outcome::Records
        );
        assert_eq!(
            o.lookup("example.com", RType::MX).unwrap().outcome,
            Outcome::NoData
        );
        assert_eq!(
            o.lookup("b.example.com", RType::TXT).unwrap().outcome,
            Outcome::NoData
        );
        assert_eq!(
            o.lookup("c.example.com", RType::TXT).unwrap().outcome,
            Outcome::NxDomain
        );
        assert!(o.lookup("example.org", RType::TXT).is_none());
    }

    #[test]
    fn cnames_are_followed_and_loops_stop() {
        let o = Overlay::new(vec![zone(&[
            (
                "a.example.com",
                Rdata::Cname {
                    target: "b.example.com".into(),
                },
            ),
            ("b.example.com", txt("hello")),
            (
                "l1.example.com",
                Rdata::Cname {
                    target: "l2.example.com".into(),
                },
            ),
            (
                "l2.example.com",
                Rdata::Cname {
                    target: "l1.example.com".into(),
                },
            ),
            (
                "out.example.com",
                Rdata::Cname {
                    target: "elsewhere.test".into(),
                },
            ),
        ])]);
        let a = o.lookup("a.example.com", RType::TXT).unwrap();
        assert_eq!(a.outcome, Outcome::Records);
        assert_eq!(a.cnames, vec!["b.example.com"]);
        assert!(matches!(
            o.lookup("l1.example.com", RType::TXT).unwrap().outcome,
            Outcome::Error { .. }
        ));
        let out = o.lookup("out.example.com", RType::TXT).unwrap();
        assert_eq!(o.continuation(&out).as_deref(), Some("elsewhere.test"));
    }

    #[test]
    fn wildcards_cover_missing_names_only() {
        let o = Overlay::new(vec![zone(&[
            ("*.example.com", txt("wild")),
            ("x.example.com", txt("exact")),
        ])]);
        assert_eq!(
            o.lookup("y.example.com", RType::TXT).unwrap().txt_joined(),
            vec!["wild"]
        );
        assert_eq!(
            o.lookup("x.example.com", RType::TXT).unwrap().txt_joined(),
            vec!["exact"]
        );
        assert_eq!(
            o.lookup("x.example.com", RType::A).unwrap().outcome,
            Outcome::NoData
        );
    }
}
