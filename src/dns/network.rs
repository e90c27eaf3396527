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
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// UDP sockets per nameserver: enough for the questions in flight to fit the sockets'
/// receive buffers (see [`channel::slots_for`]), and for the readers to spread over a multi-threaded
/// runtime's threads.
const SOCKETS_PER_SERVER: usize = 4;
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

mod channel;
mod congestion;
mod exchange;
mod local;
mod rtt;
use channel::{Asked, Channel, IdSource};
#[cfg(test)]
use channel::{MAX_SLOTS, slots_for};
use local::{special_use, system_nameservers};

#[cfg(test)]
mod tests;
