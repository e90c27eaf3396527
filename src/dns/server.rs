//! An in-process authoritative DNS server for zone files, on 127.0.0.1 (UDP and TCP on
//! the same port). The `demo` command, the integration tests and the benchmark use it so
//! that the real resolver path (hickory over sockets) is exercised end to end.
//!
//! Zone semantics (NXDOMAIN vs NODATA, empty non-terminals, CNAME chains, wildcards) come
//! from `Overlay`, the same code that answers `--zone` lookups: the server only turns
//! its [`Answer`](super::Answer) into a DNS message. hickory-server does the socket work
//! and truncates UDP answers that do not fit the client's payload size (TC bit), so the
//! client retries over TCP.

use super::name::is_subdomain_of;
use super::overlay::Overlay;
use super::types::{Outcome, RType, Rdata};
use super::zone::Zone;
use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Edns, Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, SOA, TXT};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};

/// How many (name, type) pairs [`LocalDnsServer::query_log`] keeps (the most recent).
const QUERY_LOG_LIMIT: usize = 100_000;
/// TTL for answers whose record has none we can find (wildcard synthesis).
const DEFAULT_TTL: u32 = 300;
/// Idle timeout of a TCP connection.
const TCP_TIMEOUT: Duration = Duration::from_secs(10);
/// Receive buffer asked for the UDP socket.
const UDP_RECV_BUFFER: usize = 4 << 20;
/// Outgoing responses buffered per TCP connection.
const TCP_BUFFER: usize = 64;

/// What the server serves and how it misbehaves.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    pub zones: Vec<Zone>,
    /// Answer NXDOMAIN for names outside every zone (as if we also served the root); else REFUSED.
    pub authoritative_root: bool,
    /// Added before every answer (simulated round-trip time, for the benchmark).
    pub delay: Duration,
    /// Per-name faults (name lower-case, no trailing dot; applies to all types).
    pub faults: HashMap<String, Fault>,
    /// Faults for one (name, type) only, e.g. the RFC 7208 suite's TIMEOUT entries, which
    /// may follow a record of another type at the same name. Checked before `faults`.
    pub type_faults: HashMap<(String, RType), Fault>,
    /// Share of queries never answered (0.0–1.0), as a lossy path or an overflowing
    /// resolver queue drops them; which ones is pseudo-random (a hash of the query count).
    pub drop_rate: f64,
    /// Queries answered per second at most (a token bucket of one second's worth); the
    /// rest are dropped, as a rate-limiting resolver does. `None`: no cap.
    pub max_qps: Option<u32>,
}

/// A failure injected for one name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Never answer: the client times out.
    Drop,
    ServFail,
    Refused,
}

/// A running server. Dropping it shuts it down.
pub struct LocalDnsServer {
    addr: SocketAddr,
    state: Arc<State>,
    server: Server<Handler>,
}

impl LocalDnsServer {
    /// Bind 127.0.0.1 on a free port (the same port for UDP and TCP) and start serving.
    pub async fn start(config: ServerConfig) -> std::io::Result<LocalDnsServer> {
        // The OS picks a free UDP port; TCP may be taken on that port by someone else,
        // so retry a few times before giving up.
        let mut last_error = None;
        for _ in 0..20 {
            let udp = bind_udp(SocketAddr::from(([127, 0, 0, 1], 0)))?;
            let addr = udp.local_addr()?;
            match TcpListener::bind(addr).await {
                Ok(tcp) => return Ok(Self::serve(udp, tcp, config)),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other("no free port")))
    }

    /// Serve on a given address (UDP and TCP).
    pub async fn start_on(
        addr: SocketAddr,
        config: ServerConfig,
    ) -> std::io::Result<LocalDnsServer> {
        let udp = bind_udp(addr)?;
        let addr = udp.local_addr()?;
        let tcp = TcpListener::bind(addr).await?;
        Ok(Self::serve(udp, tcp, config))
    }

    fn serve(udp: UdpSocket, tcp: TcpListener, config: ServerConfig) -> LocalDnsServer {
        let addr = udp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let state = Arc::new(State::new(config));
        let mut server = Server::new(Handler {
            state: state.clone(),
        });
        server.register_socket(udp);
        server.register_listener(tcp, TCP_TIMEOUT, TCP_BUFFER);
        LocalDnsServer {
            addr,
            state,
            server,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queries received (all types, including dropped ones).
    pub fn queries(&self) -> u64 {
        self.state.queries.load(Ordering::Relaxed)
    }

    /// The (name, type) questions received, in order (the last 100 000; questions for
    /// types the audit never asks about are counted but not logged).
    pub fn query_log(&self) -> Vec<(String, RType)> {
        self.state.log().iter().cloned().collect()
    }
}

impl Drop for LocalDnsServer {
    fn drop(&mut self) {
        // Stops the accept loops; their JoinSet is dropped with the server, which aborts
        // the tasks still running.
        self.server.shutdown_token().cancel();
    }
}

struct State {
    overlay: Overlay,
    /// Every zone's apex.
    origins: Vec<String>,
    /// (origin, SOA record) per zone, for the authority section of negative answers.
    soas: Vec<(String, Record)>,
    /// TTL per (owner, type) as written in the zone files.
    ttls: HashMap<(String, RType), u32>,
    authoritative_root: bool,
    delay: Duration,
    faults: HashMap<String, Fault>,
    type_faults: HashMap<(String, RType), Fault>,
    drop_rate: f64,
    rate_cap: Option<Mutex<TokenBucket>>,
    queries: AtomicU64,
    log: Mutex<VecDeque<(String, RType)>>,
}

/// Tokens refilled at `rate` per second, at most one second's worth banked.
struct TokenBucket {
    rate: f64,
    tokens: f64,
    at: std::time::Instant,
}

impl TokenBucket {
    fn new(qps: u32) -> TokenBucket {
        TokenBucket {
            rate: f64::from(qps.max(1)),
            tokens: f64::from(qps.max(1)),
            at: std::time::Instant::now(),
        }
    }
    fn take(&mut self) -> bool {
        let now = std::time::Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl State {
    /// Whether query number `n` is dropped by the configured loss or rate cap.
    fn drops(&self, n: u64) -> bool {
        if self.drop_rate > 0.0 {
            // SplitMix64 of the count: spread evenly, the same run after run.
            let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            if (z as f64 / u64::MAX as f64) < self.drop_rate {
                return true;
            }
        }
        self.rate_cap
            .as_ref()
            .is_some_and(|b| !b.lock().expect("rate cap lock").take())
    }

    fn new(config: ServerConfig) -> State {
        let mut soas = Vec::new();
        let mut ttls = HashMap::new();
        let origins = config.zones.iter().map(|z| z.origin.clone()).collect();
        for zone in &config.zones {
            for record in &zone.records {
                ttls.entry((record.name.clone(), record.data.rtype()))
                    .or_insert(record.ttl);
            }
            if let Some(soa) = zone.soa()
                && let Some(record) = to_record(&soa.name, soa.ttl, &soa.data)
            {
                soas.push((zone.origin.clone(), record));
            }
        }
        State {
            overlay: Overlay::new(config.zones),
            origins,
            soas,
            ttls,
            authoritative_root: config.authoritative_root,
            delay: config.delay,
            faults: config.faults,
            type_faults: config.type_faults,
            drop_rate: config.drop_rate.clamp(0.0, 1.0),
            rate_cap: config.max_qps.map(|qps| Mutex::new(TokenBucket::new(qps))),
            queries: AtomicU64::new(0),
            log: Mutex::new(VecDeque::new()),
        }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, RType)>> {
        // A poisoned log only means a panic elsewhere mid-push; the data is still usable.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ttl(&self, name: &str, rtype: RType) -> u32 {
        self.ttls
            .get(&(name.to_string(), rtype))
            .copied()
            .unwrap_or(DEFAULT_TTL)
    }

    /// The apex of the most specific zone holding `name`.
    fn zone_of(&self, name: &str) -> Option<&str> {
        self.origins
            .iter()
            .filter(|origin| is_subdomain_of(name, origin))
            .max_by_key(|origin| origin.len())
            .map(String::as_str)
    }

    /// The SOA of the most specific zone holding `name`.
    fn soa_for(&self, name: &str) -> Option<&Record> {
        let zone = self.zone_of(name)?;
        self.soas
            .iter()
            .find(|(o, _)| o == zone)
            .map(|(_, soa)| soa)
    }

    /// Build the response sections for one question.
    fn respond(&self, qname: &str, qtype: RecordType) -> Response {
        let mut response = Response::default();
        let Some(rtype) = our_type(qtype) else {
            // A type the audit never asks about: the name exists or not, but holds nothing
            // we serve.
            return self.respond_unknown_type(qname);
        };
        let Some(answer) = self.overlay.lookup(qname, rtype) else {
            response.rcode = if self.authoritative_root {
                ResponseCode::NXDomain
            } else {
                ResponseCode::Refused
            };
            response.authoritative = self.authoritative_root;
            return response;
        };
        response.authoritative = true;
        // The CNAME chain first, then the records at its end (RFC 1034 4.3.2). Like Knot
        // and BIND, follow it only inside the zone of the question: a target in another
        // zone is left to the resolver, which asks again.
        let zone = self.zone_of(qname);
        let mut owner = qname;
        for target in &answer.cnames {
            let data = Rdata::Cname {
                target: target.clone(),
            };
            if let Some(record) = to_record(owner, self.ttl(owner, RType::CNAME), &data) {
                response.answers.push(record);
            }
            if self.zone_of(target) != zone {
                return response;
            }
            owner = target;
        }
        match answer.outcome {
            // A loop (or an over-long chain) inside the zone: the chain as far as it goes,
            // as Knot answers it; the resolver sees the loop.
            Outcome::Error { .. } => return response,
            Outcome::NxDomain => response.rcode = ResponseCode::NXDomain,
            _ => {}
        }
        let ttl = self.ttl(owner, rtype);
        response.answers.extend(
            answer
                .records
                .iter()
                .filter_map(|d| to_record(owner, ttl, d)),
        );
        if matches!(answer.outcome, Outcome::NxDomain | Outcome::NoData) {
            response.soa = self.soa_for(owner).cloned();
        }
        response
    }

    fn respond_unknown_type(&self, qname: &str) -> Response {
        let mut response = Response::default();
        match self.overlay.lookup(qname, RType::CNAME) {
            None => {
                response.authoritative = self.authoritative_root;
                response.rcode = if self.authoritative_root {
                    ResponseCode::NXDomain
                } else {
                    ResponseCode::Refused
                };
            }
            Some(answer) => {
                response.authoritative = true;
                if answer.outcome == Outcome::NxDomain {
                    response.rcode = ResponseCode::NXDomain;
                }
                response.soa = self.soa_for(qname).cloned();
            }
        }
        response
    }
}

#[derive(Default)]
struct Response {
    rcode: ResponseCode,
    authoritative: bool,
    answers: Vec<Record>,
    soa: Option<Record>,
}

struct Handler {
    state: Arc<State>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let state = &self.state;
        let n = state.queries.fetch_add(1, Ordering::Relaxed);
        if state.drops(n) {
            return ResponseInfo::from(Header {
                metadata: Metadata::response_from_request(&request.metadata),
                counts: HeaderCounts::default(),
            });
        }
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let no_answer = ResponseInfo::from(Header {
            metadata,
            counts: HeaderCounts::default(),
        });
        let query = match request.queries.queries() {
            [query] => query,
            _ => {
                metadata.response_code = ResponseCode::FormErr;
                let response =
                    MessageResponseBuilder::new(&request.queries, None).build_no_records(metadata);
                return response_handle
                    .send_response(response)
                    .await
                    .unwrap_or(no_answer);
            }
        };
        let qname = super::name::from_wire(&Name::from(query.name().clone()));
        let qtype = query.query_type();
        if let Some(rtype) = our_type(qtype) {
            let mut log = state.log();
            if log.len() >= QUERY_LOG_LIMIT {
                log.pop_front();
            }
            log.push_back((qname.clone(), rtype));
        }
        let fault = our_type(qtype)
            .and_then(|rtype| state.type_faults.get(&(qname.clone(), rtype)))
            .or_else(|| state.faults.get(&qname))
            .copied();
        if fault == Some(Fault::Drop) {
            return no_answer;
        }
        if !state.delay.is_zero() {
            tokio::time::sleep(state.delay).await;
        }
        let response = match fault {
            Some(Fault::ServFail) => Response {
                rcode: ResponseCode::ServFail,
                ..Response::default()
            },
            Some(Fault::Refused) => Response {
                rcode: ResponseCode::Refused,
                ..Response::default()
            },
            _ => state.respond(&qname, qtype),
        };
        metadata.response_code = response.rcode;
        metadata.authoritative = response.authoritative;
        // Echo EDNS so that the client's payload size decides when UDP answers truncate.
        let edns = request.edns.as_ref().map(|req| {
            let mut edns = Edns::new();
            edns.set_max_payload(req.max_payload().max(512));
            edns
        });
        let message = MessageResponseBuilder::new(&request.queries, edns.as_ref()).build(
            metadata,
            response.answers.iter(),
            std::iter::empty(),
            response.soa.iter(),
            std::iter::empty(),
        );
        response_handle
            .send_response(message)
            .await
            .unwrap_or(no_answer)
    }
}

/// A UDP socket with a large receive buffer (as far as net.core.rmem_max allows): a client
/// that sends a burst of questions must not lose them in the kernel before we read them.
fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    let _ = socket.set_recv_buffer_size(UDP_RECV_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

fn our_type(qtype: RecordType) -> Option<RType> {
    Some(match qtype {
        RecordType::A => RType::A,
        RecordType::AAAA => RType::AAAA,
        RecordType::MX => RType::MX,
        RecordType::TXT => RType::TXT,
        RecordType::CNAME => RType::CNAME,
        RecordType::PTR => RType::PTR,
        RecordType::NS => RType::NS,
        RecordType::SOA => RType::SOA,
        _ => return None,
    })
}

fn fqdn(name: &str) -> Option<Name> {
    super::name::wire_name(name).ok()
}

/// Our record data as a hickory record; `None` for a name hickory cannot encode.
fn to_record(owner: &str, ttl: u32, data: &Rdata) -> Option<Record> {
    let rdata = match data {
        Rdata::A { address } => RData::A(A(*address)),
        Rdata::Aaaa { address } => RData::AAAA(AAAA(*address)),
        Rdata::Mx {
            preference,
            exchange,
        } => RData::MX(MX::new(*preference, fqdn(exchange)?)),
        // A TXT RR holds at least one character-string (RFC 1035 3.3.14): a record with
        // none goes out as one empty string, as a zone file would have to write it.
        Rdata::Txt { strings } if strings.is_empty() => RData::TXT(TXT::from_bytes(vec![&[][..]])),
        Rdata::Txt { strings } => {
            RData::TXT(TXT::from_bytes(strings.iter().map(Vec::as_slice).collect()))
        }
        Rdata::Cname { target } => RData::CNAME(CNAME(fqdn(target)?)),
        Rdata::Ptr { target } => RData::PTR(PTR(fqdn(target)?)),
        Rdata::Ns { target } => RData::NS(NS(fqdn(target)?)),
        Rdata::Soa {
            mname,
            rname,
            serial,
            minimum,
        } => RData::SOA(SOA::new(
            fqdn(mname)?,
            fqdn(rname)?,
            *serial,
            3600,
            600,
            604_800,
            *minimum,
        )),
    };
    Some(Record::from_rdata(fqdn(owner)?, ttl, rdata))
}
