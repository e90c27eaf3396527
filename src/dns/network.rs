//! Questions that go to real DNS servers: a lean stub client over a few shared UDP sockets
//! (hickory-proto encodes and decodes the messages), with TCP when an answer is truncated.
//!
//! Why not hickory-resolver: it opens, registers and closes one UDP socket per question and
//! keeps ~17 KiB of state per question in flight; a batch audit asks ~30 questions per domain
//! for hundreds of domains at once, so that was most of the run's CPU time and memory.
//!
//! Per server there are [`SOCKETS_PER_SERVER`] connected UDP sockets, each with one reader
//! task that hands datagrams to the waiting question by message ID. A datagram is accepted
//! only if it comes from the server (the socket is connected), is a response, carries a
//! pending ID and echoes the question exactly; anything else is dropped and the question keeps
//! waiting. IDs come from a keyed hash (SipHash with a random key), never reused while pending.
//! Each socket bounds its questions in flight to what its kernel receive buffer can hold, so a
//! burst of answers is not dropped by the kernel.
//!
//! Every step is bounded: each attempt by the per-try timeout (TCP connect, write and read
//! included), answers by the UDP buffer or the 16-bit TCP length, CNAME chains by
//! [`MAX_CNAME_HOPS`]. The outcomes stay distinct: NXDOMAIN, NODATA, an error rcode
//! (SERVFAIL, REFUSED…) and no answer at all (timeout).

use super::DnsConfig;
use super::types::{Answer, Outcome, RType, Rdata, Source};
use super::wire::{Response, decode, encode};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RecordType;
use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// UDP sockets per nameserver: enough for the questions in flight to fit the sockets'
/// receive buffers (see [`slots_for`]), and for the readers to spread over a multi-threaded
/// runtime's threads.
const SOCKETS_PER_SERVER: usize = 4;
/// Receive buffer asked for each UDP socket (the kernel may grant less: see [`slots_for`]).
const RECV_BUFFER: usize = 4 << 20;
/// Kernel memory one queued datagram of up to [`super::wire::EDNS_PAYLOAD`] bytes can take (skb overhead
/// included), to size the questions in flight per socket.
const DATAGRAM_TRUESIZE: usize = 2304;
/// Questions in flight on one socket, at most (4096 per server with [`SOCKETS_PER_SERVER`]).
/// The receive buffer usually bounds it first: with Linux's default `net.core.rmem_max`
/// (208 KiB) a socket gets 184 slots, 736 per server. How many are used is up to
/// `--concurrency` (~27 questions per domain at once); 1024 per server made the batch
/// benchmark at 20 ms RTT wait for slots (~30% slower at `--concurrency 256`).
const MAX_SLOTS: usize = 1024;
/// The longest one lookup waits, in all, for room in a server's congestion window (its own
/// queue, outside the budget): a bound for a server that stops answering everything.
const QUEUE_BOUND: Duration = Duration::from_secs(60);
/// CNAME hops followed across answers before giving up with an error.
const MAX_CNAME_HOPS: usize = 8;

pub struct Network {
    servers: Vec<Server>,
    /// Why no server can be asked at all (no nameserver configured, or none whose socket
    /// could be opened): every question then fails at once with this message.
    unreachable: Option<String>,
    attempts: usize,
}

struct Server {
    addr: SocketAddr,
    channels: Vec<Channel>,
    /// Why this server's sockets could not be opened (`Network is unreachable` in a
    /// namespace with only loopback): its questions fail at once, as an outcome.
    unusable: Option<String>,
    next: AtomicUsize,
    /// The congestion window and the measured round trips.
    window: congestion::Window,
}

/// What the network did over a run (see [`super::DnsStats`]): counted per server under its
/// window's lock, which each try takes anyway (shared atomics cost more on two threads).
#[derive(Clone, Copy, Default)]
pub struct Counters {
    /// UDP tries sent (first tries and retransmissions).
    pub sent: u64,
    /// Tries sent again after an earlier one got no answer in time.
    pub retransmissions: u64,
    /// Tries that got no answer before their retransmission timeout.
    pub lost: u64,
    /// Of those, tries whose answer came after all (a slow server, not a lost question).
    pub late: u64,
}

/// One connected UDP socket and the questions waiting on it.
struct Channel {
    socket: Arc<UdpSocket>,
    pending: Arc<Mutex<PendingTable>>,
    slots: Arc<Semaphore>,
    ids: IdSource,
    serials: AtomicU64,
    reader: JoinHandle<()>,
}

/// Questions waiting on a socket, by message ID.
type PendingTable = HashMap<u16, Pending, std::hash::BuildHasherDefault<IdHasher>>;

/// The pending table's hasher: a multiplication. Its keys are our own unpredictable IDs
/// ([`IdSource`]), so SipHash's protection against chosen keys buys nothing, and it was ~2%
/// of a batch audit (five table operations per question). A datagram's ID only looks up.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u16(u16::from(b));
        }
    }
    fn write_u16(&mut self, id: u16) {
        // Fibonacci hashing: spreads the 16 bits over the high bits the table uses too.
        self.0 = (self.0 ^ u64::from(id)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

struct Pending {
    /// Which question holds the ID (an ID is used again once free; see [`Forget`]).
    serial: u64,
    /// The question section as sent (name, type, class), compared with the answer's.
    question: Box<[u8]>,
    reply: oneshot::Sender<Vec<u8>>,
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Unpredictable message IDs: SipHash of a counter under a random per-run key.
struct IdSource {
    key: std::collections::hash_map::RandomState,
    counter: AtomicU64,
}

impl IdSource {
    fn new() -> IdSource {
        IdSource {
            key: std::collections::hash_map::RandomState::new(),
            counter: AtomicU64::new(0),
        }
    }
    fn next(&self) -> u16 {
        self.key
            .hash_one(self.counter.fetch_add(1, Ordering::Relaxed)) as u16
    }
}

impl Network {
    /// Must be called inside a tokio runtime (the sockets' reader tasks are spawned).
    /// Never fails: a resolver that cannot be configured or reached is an outcome of each
    /// question (the run goes on and reports what it could not verify), not the end of it.
    pub fn new(config: &DnsConfig) -> Network {
        let addrs = if config.nameservers.is_empty() {
            system_nameservers()
        } else {
            Ok(config.nameservers.clone())
        };
        let (servers, mut unreachable) = match addrs {
            Ok(addrs) => (
                addrs.into_iter().map(Server::open).collect::<Vec<_>>(),
                None,
            ),
            Err(why) => (Vec::new(), Some(why)),
        };
        if unreachable.is_none() && servers.iter().all(|s| s.unusable.is_some()) {
            let reasons: Vec<&str> = servers
                .iter()
                .filter_map(|s| s.unusable.as_deref())
                .collect();
            unreachable = Some(reasons.join("; "));
        }
        Network {
            servers,
            unreachable,
            attempts: config.attempts.max(1),
        }
    }

    /// What went out and came back, over every server.
    pub fn counters(&self) -> Counters {
        self.servers
            .iter()
            .fold(Counters::default(), |sum, server| {
                let t = server.window.totals();
                Counters {
                    sent: sum.sent + t.sent,
                    retransmissions: sum.retransmissions + t.retransmissions,
                    lost: sum.lost + t.lost,
                    late: sum.late + t.late,
                }
            })
    }

    /// Why no nameserver can be asked at all, if so.
    pub fn unreachable(&self) -> Option<&str> {
        self.unreachable.as_deref()
    }

    /// Ask `name`/`rtype`, following CNAMEs that the answer leaves open (a target in another
    /// zone), giving up at `deadline` (the whole lookup, retries and CNAME hops included).
    /// Never fails: every failure is an [`Outcome`].
    pub async fn lookup(&self, name: &str, rtype: RType, deadline: Instant) -> Answer {
        let mut answer = Answer {
            name: name.to_string(),
            rtype,
            outcome: Outcome::Records,
            records: Vec::new(),
            cnames: Vec::new(),
            source: Source::Network,
            elapsed: Duration::ZERO,
        };
        if let Some(outcome) = special_use(name, rtype, &mut answer.records) {
            answer.outcome = outcome;
            return answer;
        }
        // Names stay our strings (lower-case, no trailing dot): building hickory `Name`s
        // for the question cost more than the rest of the encoding. The name asked is
        // copied only when a CNAME sends us to another one.
        let mut ask: std::borrow::Cow<'_, str> = name.into();
        let qtype = record_type(rtype);
        for _hop in 0..=MAX_CNAME_HOPS {
            let message = match self.exchange(&ask, qtype, deadline).await {
                Ok(message) => message,
                Err(outcome) => {
                    answer.outcome = outcome;
                    return answer;
                }
            };
            // Walk the CNAME chain inside this answer, from the name asked; `owner` is
            // where it ends (None: the name asked, else an index into `answer.cnames`).
            let mut owner: Option<usize> = None;
            if rtype != RType::CNAME {
                let mut hops = 0;
                loop {
                    let from = owner.map_or(&*ask, |i| answer.cnames[i].as_str());
                    let Some(target) = message.answers.iter().find_map(|r| match &r.data {
                        Some(Rdata::Cname { target }) if r.owner == from => Some(target.clone()),
                        _ => None,
                    }) else {
                        break;
                    };
                    hops += 1;
                    if hops + answer.cnames.len() > MAX_CNAME_HOPS
                        || target == *ask
                        || answer.cnames.contains(&target)
                    {
                        answer.outcome = Outcome::Error {
                            message: format!(
                                "CNAME chain loops or is longer than {MAX_CNAME_HOPS}"
                            ),
                        };
                        return answer;
                    }
                    answer.cnames.push(target);
                    owner = Some(answer.cnames.len() - 1);
                }
            }
            let at = owner.map_or(&*ask, |i| answer.cnames[i].as_str());
            for record in message.answers.into_iter().filter(|r| r.owner == at) {
                if let Some(data) = record.data
                    && data.rtype() == rtype
                {
                    answer.records.push(data);
                }
            }
            let rcode = message.response_code;
            answer.outcome = match rcode {
                ResponseCode::NoError if !answer.records.is_empty() => Outcome::Records,
                ResponseCode::NoError => Outcome::NoData,
                ResponseCode::NXDomain => Outcome::NxDomain,
                other => Outcome::ServerFailure {
                    rcode: rcode_name(other),
                },
            };
            // A CNAME whose target the server left to us (another zone): ask for the target.
            if rcode == ResponseCode::NoError
                && answer.records.is_empty()
                && let Some(i) = owner
            {
                ask = answer.cnames[i].clone().into();
                continue;
            }
            return answer;
        }
        answer.outcome = Outcome::Error {
            message: format!("CNAME chain loops or is longer than {MAX_CNAME_HOPS}"),
        };
        answer
    }
}

impl Server {
    fn open(addr: SocketAddr) -> Server {
        let opened = (0..SOCKETS_PER_SERVER)
            .map(|_| Channel::open(addr))
            .collect::<std::io::Result<Vec<_>>>();
        let (channels, unusable) = match opened {
            Ok(channels) => (channels, None),
            Err(e) => (
                Vec::new(),
                Some(format!(
                    "cannot reach the nameserver {addr}: cannot open a UDP socket towards it: {e}"
                )),
            ),
        };
        let ceiling = channels.iter().map(|c| c.slots.available_permits()).sum();
        Server {
            addr,
            channels,
            unusable,
            next: AtomicUsize::new(0),
            window: congestion::Window::new(ceiling),
        }
    }

    /// One UDP try, sent now if it can go without waiting (see [`Channel::send_now`]); None:
    /// send it with [`Server::send_udp`]. The answer may be truncated.
    fn send_udp_now(&self, name: &str, qtype: RecordType) -> Option<Result<Asked, String>> {
        if let Some(why) = &self.unusable {
            return Some(Err(why.clone()));
        }
        self.channel().send_now(name, qtype)
    }

    /// One UDP try, sent after waiting for a socket slot and for the socket (unbounded: the
    /// caller bounds the wait for them and for the answer).
    async fn send_udp(&self, name: &str, qtype: RecordType) -> Result<Asked, String> {
        if let Some(why) = &self.unusable {
            return Err(why.clone());
        }
        self.channel().send(name, qtype).await
    }

    /// The next socket, in turn.
    fn channel(&self) -> &Channel {
        &self.channels[self.next.fetch_add(1, Ordering::Relaxed) % self.channels.len()]
    }

    /// The question over a fresh TCP connection, after a truncated UDP answer.
    async fn ask_tcp(&self, name: &str, qtype: RecordType) -> Result<Response, String> {
        let id = IdSource::new().next();
        let (query, question) = encode(id, name, qtype)?;
        let bytes = tcp_exchange(self.addr, &query)
            .await
            .map_err(|e| format!("TCP to {}: {e}", self.addr))?;
        let question = &query[12..12 + question];
        if !bytes
            .get(12..12 + question.len())
            .is_some_and(|q| same_question(q, question))
        {
            return Err(format!(
                "TCP answer from {} does not match the question",
                self.addr
            ));
        }
        decode(&bytes, id)
    }
}

impl Channel {
    fn open(server: SocketAddr) -> std::io::Result<Channel> {
        let local: SocketAddr = if server.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(server),
            socket2::Type::DGRAM,
            Some(socket2::Protocol::UDP),
        )?;
        // Best effort: the kernel caps it at net.core.rmem_max; what we got sizes the slots.
        let _ = socket.set_recv_buffer_size(RECV_BUFFER);
        let granted = socket.recv_buffer_size().unwrap_or(0);
        socket.set_nonblocking(true)?;
        socket.bind(&local.into())?;
        socket.connect(&server.into())?;
        let socket = Arc::new(UdpSocket::from_std(socket.into())?);
        let pending: Arc<Mutex<PendingTable>> = Arc::default();
        let reader = tokio::spawn(read_loop(socket.clone(), pending.clone()));
        Ok(Channel {
            socket,
            pending,
            slots: Arc::new(Semaphore::new(slots_for(granted))),
            ids: IdSource::new(),
            serials: AtomicU64::new(0),
            reader,
        })
    }

    /// Send one question now, if a slot in the socket's receive buffer is free and the
    /// socket takes the datagram at once (nearly always): its answer is then awaited on the
    /// [`Asked`] (unbounded: the caller times out; dropping it forgets the question). None:
    /// wait with [`Channel::send`]. Not async: the waits' futures are ~600 bytes, and inline
    /// they sat in every lookup's future (boxed by the cache, one allocation per question).
    fn send_now(&self, name: &str, qtype: RecordType) -> Option<Result<Asked, String>> {
        let slot = self.slots.clone().try_acquire_owned().ok()?;
        let (asked, query) = match self.register(slot, name, qtype) {
            Ok(registered) => registered,
            Err(e) => return Some(Err(e)),
        };
        match self.socket.try_send(&query) {
            Ok(_) => Some(Ok(asked)),
            // Dropped: the question is forgotten and its slot freed.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) => Some(Err(format!("cannot send the question: {e}"))),
        }
    }

    /// [`Channel::send_now`], waiting for a slot and for the socket.
    async fn send(&self, name: &str, qtype: RecordType) -> Result<Asked, String> {
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| "the DNS client is shutting down".to_string())?;
        let (asked, query) = self.register(slot, name, qtype)?;
        self.socket
            .send(&query)
            .await
            .map_err(|e| format!("cannot send the question: {e}"))?;
        Ok(asked)
    }

    /// The question encoded under a fresh message ID and entered in the pending table,
    /// holding `slot`.
    fn register(
        &self,
        slot: tokio::sync::OwnedSemaphorePermit,
        name: &str,
        qtype: RecordType,
    ) -> Result<(Asked, super::wire::QueryMessage), String> {
        let (reply, answer) = oneshot::channel();
        let serial = self.serials.fetch_add(1, Ordering::Relaxed);
        let (id, query) = {
            let mut pending = self.pending.lock().expect("dns pending lock");
            let id = loop {
                let id = self.ids.next();
                if !pending.contains_key(&id) {
                    break id;
                }
            };
            let (query, question) = encode(id, name, qtype)?;
            let question = query[12..12 + question].into();
            pending.insert(
                id,
                Pending {
                    serial,
                    question,
                    reply,
                },
            );
            (id, query)
        };
        let asked = Asked {
            slot: Some(slot),
            answer,
            forget: Forget {
                pending: self.pending.clone(),
                id,
                serial,
            },
        };
        Ok((asked, query))
    }
}

/// A question sent on a socket, waiting for its answer.
struct Asked {
    /// Its place in the socket's receive buffer, while it is expected to be answered soon.
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
    answer: oneshot::Receiver<Vec<u8>>,
    forget: Forget,
}

impl Asked {
    /// The try was given up and asked again, but a late answer is still taken: the question
    /// stays pending without holding a receive-buffer slot (a server that answers nothing
    /// must not fill the sockets with questions nobody waits for closely).
    fn stop_holding_a_slot(&mut self) {
        self.slot = None;
    }

    /// The answer, once it came (an error when it is malformed, or when it never will come
    /// because the client shuts down). Not to be polled again once ready.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<Response, String>> {
        match Pin::new(&mut self.answer).poll(cx) {
            Poll::Ready(Ok(bytes)) => Poll::Ready(decode(&bytes, self.forget.id)),
            Poll::Ready(Err(_)) => Poll::Ready(Err("the DNS client is shutting down".into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Removes a question from the pending table when its lookup no longer waits for it (another
/// try was answered, the budget ran out, or the lookup was cancelled), so that a later answer
/// is dropped and the ID can be used again. An answered
/// question's entry is already gone and its ID may hold a newer question: leave that one.
struct Forget {
    pending: Arc<Mutex<PendingTable>>,
    id: u16,
    serial: u64,
}

impl Drop for Forget {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.pending.lock()
            && pending
                .get(&self.id)
                .is_some_and(|p| p.serial == self.serial)
        {
            pending.remove(&self.id);
        }
    }
}

/// Questions in flight on a socket whose receive buffer is `granted` bytes.
fn slots_for(granted: usize) -> usize {
    (granted / DATAGRAM_TRUESIZE).clamp(32, MAX_SLOTS)
}

async fn read_loop(socket: Arc<UdpSocket>, pending: Arc<Mutex<PendingTable>>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = match socket.recv(&mut buf).await {
            Ok(n) => n,
            // ICMP errors (port unreachable) surface here on a connected socket; the
            // questions concerned time out. Anything else: keep reading, but do not spin.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let datagram = &buf[..n];
        // A response (QR set), one question.
        if n < 12 || datagram[2] & 0x80 == 0 || datagram[4..6] != [0, 1] {
            continue;
        }
        let id = u16::from_be_bytes([datagram[0], datagram[1]]);
        let mut table = pending.lock().expect("dns pending lock");
        let matches = table.get(&id).is_some_and(|p| {
            datagram
                .get(12..12 + p.question.len())
                .is_some_and(|q| same_question(q, &p.question))
        });
        if matches && let Some(p) = table.remove(&id) {
            drop(table);
            let _ = p.reply.send(datagram.to_vec());
        }
    }
}

/// One question over a fresh TCP connection (RFC 7766 framing); the caller bounds the time.
async fn tcp_exchange(server: SocketAddr, query: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(server).await?;
    let _ = stream.set_nodelay(true);
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&(query.len() as u16).to_be_bytes());
    framed.extend_from_slice(query);
    stream.write_all(&framed).await?;
    let len = stream.read_u16().await? as usize;
    let mut bytes = vec![0u8; len];
    stream.read_exact(&mut bytes).await?;
    Ok(bytes)
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

/// An echoed question section equals ours: the name ignoring ASCII case (servers may
/// change it), type and class exactly. Both are the same length, ours uncompressed.
fn same_question(echoed: &[u8], ours: &[u8]) -> bool {
    let name = ours.len().saturating_sub(4);
    echoed.len() == ours.len()
        && echoed[..name].eq_ignore_ascii_case(&ours[..name])
        && echoed[name..] == ours[name..]
}

mod congestion;
mod exchange;
mod local;
mod rtt;
use local::{special_use, system_nameservers};

#[cfg(test)]
mod tests;
