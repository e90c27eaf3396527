//! The DNS layer every check shares: zone-file overlay, resolver, one cache per run
//! with in-flight de-duplication, and a query log.
//!
//! Checks ask through a [`DnsView`] (one per audited domain) so that each domain's
//! report can list the lookups it depended on, while the cache behind all views is
//! shared: no (name, type) goes upstream twice in a run.

pub mod codes;
pub mod name;
mod network;
mod overlay;
pub mod places;
pub mod reverse;
pub mod server;
pub mod types;
mod wire;
pub mod zone;
mod zone_parser;

pub use types::{Answer, Outcome, RType, Rdata, Source};
pub use zone::{Zone, ZoneError, ZoneRecord, parse_zone, parse_zone_bytes};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Everything needed to build the DNS layer, already validated.
#[derive(Clone, Debug)]
pub struct DnsConfig {
    /// Servers to ask (`--nameserver`); empty means the system configuration.
    pub nameservers: Vec<SocketAddr>,
    /// The whole budget of one lookup, every try and server included (`--timeout`).
    pub timeout: Duration,
    /// Tries per server at most (`--retries` + 1); the budget usually ends them first.
    pub attempts: usize,
    /// Zones answered from files (`--zone`).
    pub zones: Vec<Zone>,
    /// Answer from zone files only; names outside them get an error outcome.
    pub offline: bool,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(5),
            attempts: 2,
            zones: Vec::new(),
            offline: false,
        }
    }
}

/// The cache key: the name with its labels in reverse order (`test.d1.mx` for `mx.d1.test`),
/// so that every name at or below a domain is one range of the ordered map (see
/// [`Dns::retire`]).
type Key = (String, RType);

/// The labels of `name` in reverse order, lower-cased (the cache key: names are compared
/// case-insensitively, RFC 4343).
fn reversed(name: &str) -> String {
    // Byte-wise: '.' is ASCII, so the label boundaries are char boundaries.
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut end = bytes.len();
    for i in (0..bytes.len()).rev() {
        if bytes[i] == b'.' {
            out.push_str(&name[i + 1..end]);
            out.push('.');
            end = i;
        }
    }
    out.push_str(&name[..end]);
    out.make_ascii_lowercase();
    out
}

/// Counters over a whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DnsStats {
    /// Questions asked by checks (including those answered from the cache).
    pub lookups: u64,
    /// Questions answered by the network or a zone file (each distinct (name, type) once).
    pub upstream: u64,
    /// Questions answered from the cache or joined to one in flight.
    pub cache_hits: u64,
    /// Distinct (name, type) asked upstream more than once: zero by construction, counted to prove it.
    pub duplicates: u64,
    /// UDP tries sent to nameservers (first tries and retransmissions).
    pub sent: u64,
    /// Tries sent again because an earlier one got no answer within its retransmission timeout.
    pub retransmissions: u64,
    /// Tries that got no answer in time: lost on the path or dropped by the server.
    pub lost: u64,
    /// Of `lost`, tries whose answer came after all, after the try was given up (and was
    /// taken): the server is slow, not losing questions.
    pub late: u64,
}

impl DnsStats {
    /// Tries never answered at all (lost, not late).
    pub fn dropped(&self) -> u64 {
        self.lost.saturating_sub(self.late)
    }

    /// The share of tries never answered at all.
    pub fn dropped_rate(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.dropped() as f64 / self.sent as f64
        }
    }
}

struct Inner {
    overlay: overlay::Overlay,
    network: Option<network::Network>,
    cache: Mutex<BTreeMap<Key, Arc<OnceCell<Arc<Answer>>>>>,
    /// Hashes of the keys already sent upstream, to count duplicates even after
    /// [`Dns::retire`] evicted the answers (8 bytes a key, not the name).
    sent: Mutex<std::collections::HashSet<u64, std::hash::BuildHasherDefault<PreHashed>>>,
    lookups: AtomicU64,
    upstream: AtomicU64,
    duplicates: AtomicU64,
    /// The whole budget of one question (`--timeout`), retransmissions included: a stuck
    /// transport cannot hang a run.
    deadline: Duration,
}

/// The shared DNS layer of one run. Cheap to clone.
#[derive(Clone)]
pub struct Dns {
    inner: Arc<Inner>,
}

/// Failure to set up the DNS layer at all (exit code 3).
#[derive(Debug)]
pub struct DnsSetupError(pub String);

impl std::fmt::Display for DnsSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for DnsSetupError {}

impl Dns {
    /// Build the layer. Must be called inside a tokio runtime.
    pub fn new(config: DnsConfig) -> Result<Dns, DnsSetupError> {
        let network = if config.offline {
            None
        } else {
            Some(network::Network::new(&config))
        };
        Ok(Dns {
            inner: Arc::new(Inner {
                overlay: overlay::Overlay::new(config.zones),
                network,
                cache: Mutex::new(BTreeMap::new()),
                sent: Mutex::new(Default::default()),
                lookups: AtomicU64::new(0),
                upstream: AtomicU64::new(0),
                duplicates: AtomicU64::new(0),
                deadline: config.timeout,
            }),
        })
    }

    /// Ask a question. Never fails: every failure is an [`Outcome`].
    pub async fn query(&self, name: &str, rtype: RType) -> Arc<Answer> {
        self.query_traced(name, rtype).await.0
    }

    /// As [`Dns::query`], also telling whether the answer came from the cache.
    pub async fn query_traced(&self, name: &str, rtype: RType) -> (Arc<Answer>, bool) {
        let inner = &self.inner;
        inner.lookups.fetch_add(1, Ordering::Relaxed);
        // The key straight from the name as given (one allocation); the normalised name
        // itself is made only by the one caller that asks upstream.
        let key = (reversed(name.strip_suffix('.').unwrap_or(name)), rtype);
        let hash = key_hash(&key);
        let cell = inner
            .cache
            .lock()
            .expect("dns cache lock")
            .entry(key)
            .or_default()
            .clone();
        let mut fetched = false;
        let answer = cell
            .get_or_init(|| {
                fetched = true;
                // Boxed: the fetch (network exchange, timers) is ~1.8 KiB of future state,
                // needed only by the one caller that asks upstream; inline, it made every
                // lookup future that size, copied around by join_all and friends.
                Box::pin(self.fetch(name::normalize(name), rtype))
            })
            .await
            .clone();
        if fetched {
            inner.upstream.fetch_add(1, Ordering::Relaxed);
            let mut sent = inner.sent.lock().expect("dns sent lock");
            if !sent.insert(hash) {
                inner.duplicates.fetch_add(1, Ordering::Relaxed);
            }
        }
        (answer, !fetched)
    }

    async fn fetch(&self, name: String, rtype: RType) -> Arc<Answer> {
        let started = Instant::now();
        if let Err(e) = name::validate_dns_name(&name) {
            return Arc::new(Answer {
                name,
                rtype,
                outcome: Outcome::Error {
                    message: format!("not a valid DNS name: {e}"),
                },
                records: Vec::new(),
                cnames: Vec::new(),
                source: Source::Network,
                elapsed: started.elapsed(),
            });
        }
        let mut via_zone: Option<(Answer, String)> = None;
        if let Some(answer) = self.inner.overlay.lookup(&name, rtype) {
            match self.inner.overlay.continuation(&answer) {
                // A CNAME in a zone file points outside the zones: follow it on the network.
                Some(target) => via_zone = Some((answer, target)),
                None => return Arc::new(answer),
            }
        }
        let ask = via_zone
            .as_ref()
            .map_or(name.as_str(), |(_, target)| target);
        let answer = self.ask_network(ask, rtype).await;
        let answer = match via_zone {
            None => answer,
            Some((head, _)) => Answer {
                name: head.name,
                cnames: head.cnames.into_iter().chain(answer.cnames).collect(),
                source: head.source,
                ..answer
            },
        };
        Arc::new(Answer {
            elapsed: started.elapsed(),
            ..answer
        })
    }

    async fn ask_network(&self, name: &str, rtype: RType) -> Answer {
        match &self.inner.network {
            None => Answer {
                name: name.to_string(),
                rtype,
                outcome: Outcome::Error {
                    message: "offline: the name is in no zone file given with --zone".into(),
                },
                records: Vec::new(),
                cnames: Vec::new(),
                source: Source::Network,
                elapsed: Duration::ZERO,
            },
            Some(network) => {
                let deadline = tokio::time::Instant::now() + self.inner.deadline;
                network.lookup(name, rtype, deadline).await
            }
        }
    }

    pub fn stats(&self) -> DnsStats {
        let i = &self.inner;
        let lookups = i.lookups.load(Ordering::Relaxed);
        let upstream = i.upstream.load(Ordering::Relaxed);
        let counters = i
            .network
            .as_ref()
            .map(network::Network::counters)
            .unwrap_or_default();
        DnsStats {
            lookups,
            upstream,
            cache_hits: lookups.saturating_sub(upstream),
            duplicates: i.duplicates.load(Ordering::Relaxed),
            sent: counters.sent,
            retransmissions: counters.retransmissions,
            lost: counters.lost,
            late: counters.late,
        }
    }

    /// Forget cached answers for names at or below `domain` once its audit is done, so that
    /// memory stays flat over thousands of domains. Names shared across domains (provider
    /// includes) live elsewhere in the tree and stay cached.
    ///
    /// Costs the number of names under `domain` (a range of the ordered map), not the
    /// size of the cache. Answers still in flight stay, as before.
    pub fn retire(&self, domain: &str) {
        let apex = reversed(&name::normalize(domain));
        // `apex` itself, then `apex.` ..= `apex.<anything>`: '/' is the byte after '.'.
        let below = (format!("{apex}."), RType::A)..(format!("{apex}/"), RType::A);
        let at = (apex.clone(), RType::A)..=(apex, RType::SOA);
        let mut cache = self.inner.cache.lock().expect("dns cache lock");
        cache
            .extract_if(at, |_, cell| cell.initialized())
            .for_each(drop);
        cache
            .extract_if(below, |_, cell| cell.initialized())
            .for_each(drop);
    }

    /// `--offline`: only zone files answer; a name in none of them is a lookup error.
    pub fn is_offline(&self) -> bool {
        self.inner.network.is_none()
    }

    /// Why no nameserver can be asked at all (none configured, or none reachable: a
    /// namespace with only loopback), if so. Lookups then fail at once with this reason;
    /// callers that emulate a client (nodemailer's host resolution) treat it as that
    /// client's "connection refused".
    pub fn resolver_unreachable(&self) -> Option<&str> {
        self.inner
            .network
            .as_ref()
            .and_then(network::Network::unreachable)
    }

    /// A per-domain view that records the lookups made through it.
    pub fn view(&self) -> DnsView {
        DnsView {
            dns: self.clone(),
            // A domain's audit asks ~35 questions: room for them without regrowing.
            log: Arc::new(Mutex::new(Vec::with_capacity(48))),
        }
    }
}

/// FNV-1a over the key: the set only counts re-asked keys, so a keyed hash (SipHash) buys
/// nothing here, and a 64-bit collision would at worst count one false duplicate.
fn key_hash(key: &Key) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in key.0.as_bytes().iter().chain(&[0, key.1 as u8]) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The set of [`key_hash`]es hashes its elements as they are: they are hashes already.
#[derive(Default)]
struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One line of a domain's query log: the answer's fields, then `cached`.
#[derive(Clone, Debug)]
pub struct LoggedQuery {
    pub answer: Arc<Answer>,
    /// Answered from the run's cache (another check or domain asked first).
    pub cached: bool,
}

/// By hand, not `#[serde(flatten)]` (see [`Answer`]'s `Serialize`): the same JSON.
impl serde::Serialize for LoggedQuery {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("LoggedQuery", self.answer.field_count() + 1)?;
        self.answer.serialize_fields(&mut st)?;
        st.serialize_field("cached", &self.cached)?;
        st.end()
    }
}

/// The DNS layer as seen by the checks of one audited domain.
#[derive(Clone)]
pub struct DnsView {
    dns: Dns,
    log: Arc<Mutex<Vec<LoggedQuery>>>,
}

impl DnsView {
    pub async fn query(&self, name: &str, rtype: RType) -> Arc<Answer> {
        let (answer, cached) = self.dns.query_traced(name, rtype).await;
        self.log.lock().expect("dns log lock").push(LoggedQuery {
            answer: answer.clone(),
            cached,
        });
        answer
    }

    /// The lookups made through this view, in the order they completed.
    pub fn log(&self) -> Vec<LoggedQuery> {
        self.log.lock().expect("dns log lock").clone()
    }

    pub fn dns(&self) -> &Dns {
        &self.dns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offline_dns() -> Dns {
        let zone = Zone {
            origin: "example.com".into(),
            file: "t.zone".into(),
            records: vec![ZoneRecord {
                name: "example.com".into(),
                ttl: 60,
                data: Rdata::Txt {
                    strings: vec![b"v=spf1 -all".to_vec()],
                },
                line: 1,
            }],
        };
        Dns::new(DnsConfig {
            zones: vec![zone],
            offline: true,
            ..DnsConfig::default()
        })
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_questions_share_one_upstream_lookup() {
        let dns = offline_dns();
        let answers = futures::future::join_all((0..50).map(|_| {
            let dns = dns.clone();
            async move { dns.query("EXAMPLE.com.", RType::TXT).await }
        }))
        .await;
        assert!(answers.iter().all(|a| a.txt_joined() == ["v=spf1 -all"]));
        let stats = dns.stats();
        assert_eq!(
            (
                stats.lookups,
                stats.upstream,
                stats.cache_hits,
                stats.duplicates
            ),
            (50, 1, 49, 0)
        );
    }

    #[tokio::test]
    async fn a_view_logs_its_own_lookups_and_cache_hits() {
        let dns = offline_dns();
        let first = dns.view();
        let second = dns.view();
        first.query("example.com", RType::TXT).await;
        second.query("example.com", RType::TXT).await;
        second.query("nope.example.com", RType::MX).await;
        assert_eq!(first.log().len(), 1);
        assert!(!first.log()[0].cached);
        let log = second.log();
        assert_eq!(log.len(), 2);
        assert!(log[0].cached);
        assert_eq!(log[1].answer.outcome, Outcome::NxDomain);
    }

    #[test]
    fn keys_reverse_the_labels() {
        assert_eq!(reversed("mx.d1.test"), "test.d1.mx");
        assert_eq!(reversed("test"), "test");
        assert_eq!(reversed(""), "");
        assert_eq!(reversed("a b.é.x"), "x.é.a b");
        assert_eq!(reversed("a..b"), "b..a");
        assert_eq!(reversed("MX.D1.Test"), "test.d1.mx");
    }

    #[tokio::test]
    async fn names_differing_in_case_or_final_dot_are_one_question() {
        let dns = offline_dns();
        let first = dns.query("Example.COM.", RType::TXT).await;
        let (again, cached) = dns.query_traced("example.com", RType::TXT).await;
        assert!(cached);
        assert!(Arc::ptr_eq(&first, &again));
        // The answer names the question normalised.
        assert_eq!(first.name, "example.com");
        assert_eq!(dns.stats().upstream, 1);
    }

    #[tokio::test]
    async fn retire_forgets_the_domain_and_below_only() {
        let dns = offline_dns();
        for name in [
            "d1.test",
            "mx.d1.test",
            "a.b.d1.test",
            "d10.test",
            "mx.d10.test",
            "d1-x.test",
            "xd1.test",
            "d1.testx",
        ] {
            dns.query(name, RType::TXT).await;
            dns.query(name, RType::MX).await;
        }
        dns.retire("D1.test.");
        let left: Vec<String> = dns
            .inner
            .cache
            .lock()
            .unwrap()
            .keys()
            .map(|(n, t)| format!("{n} {t}"))
            .collect();
        assert_eq!(
            left,
            [
                "test.d1-x MX",
                "test.d1-x TXT",
                "test.d10 MX",
                "test.d10 TXT",
                "test.d10.mx MX",
                "test.d10.mx TXT",
                "test.xd1 MX",
                "test.xd1 TXT",
                "testx.d1 MX",
                "testx.d1 TXT",
            ]
        );
    }

    #[tokio::test]
    async fn retired_answers_are_asked_again_and_counted_as_duplicates() {
        let dns = offline_dns();
        dns.query("example.com", RType::TXT).await;
        dns.retire("example.com");
        dns.query("example.com", RType::TXT).await;
        assert_eq!(dns.stats().upstream, 2);
        assert_eq!(dns.stats().duplicates, 1);
    }

    #[tokio::test]
    async fn offline_names_outside_the_zones_are_errors_not_absent() {
        let dns = offline_dns();
        let a = dns.query("example.org", RType::TXT).await;
        assert!(a.outcome.is_failure(), "{:?}", a.outcome);
        let bad = dns.query("a..b", RType::TXT).await;
        assert!(matches!(bad.outcome, Outcome::Error { .. }));
    }
}
