//! One connected UDP socket to a nameserver and the questions waiting on it: a reader task
//! hands each datagram to its question by message ID, and the socket's receive buffer
//! bounds the questions in flight (its slots).

use super::same_question;
use crate::dns::wire::{QueryMessage, Response, decode, encode};
use hickory_resolver::proto::rr::RecordType;
use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;

/// Receive buffer asked for each UDP socket (the kernel may grant less: see [`slots_for`]).
const RECV_BUFFER: usize = 4 << 20;
/// Kernel memory one queued datagram of up to [`crate::dns::wire::EDNS_PAYLOAD`] bytes can take (skb overhead
/// included), to size the questions in flight per socket.
const DATAGRAM_TRUESIZE: usize = 2304;
/// Questions in flight on one socket, at most (4096 per server with [`super::SOCKETS_PER_SERVER`]).
/// The receive buffer usually bounds it first: with Linux's default `net.core.rmem_max`
/// (208 KiB) a socket gets 184 slots, 736 per server. How many are used is up to
/// `--concurrency` (~27 questions per domain at once); 1024 per server made the batch
/// benchmark at 20 ms RTT wait for slots (~30% slower at `--concurrency 256`).
pub(super) const MAX_SLOTS: usize = 1024;
/// One connected UDP socket and the questions waiting on it.
pub(super) struct Channel {
    socket: Arc<UdpSocket>,
    pending: Arc<Mutex<PendingTable>>,
    pub(super) slots: Arc<Semaphore>,
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
pub(super) struct IdSource {
    key: std::collections::hash_map::RandomState,
    counter: AtomicU64,
}

impl IdSource {
    pub(super) fn new() -> IdSource {
        IdSource {
            key: std::collections::hash_map::RandomState::new(),
            counter: AtomicU64::new(0),
        }
    }
    pub(super) fn next(&self) -> u16 {
        self.key
            .hash_one(self.counter.fetch_add(1, Ordering::Relaxed)) as u16
    }
}

impl Channel {
    pub(super) fn open(server: SocketAddr) -> std::io::Result<Channel> {
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
    pub(super) fn send_now(&self, name: &str, qtype: RecordType) -> Option<Result<Asked, String>> {
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
    pub(super) async fn send(&self, name: &str, qtype: RecordType) -> Result<Asked, String> {
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

    /// Questions waiting for an answer now.
    #[cfg(test)]
    pub(super) fn pending_len(&self) -> usize {
        self.pending.lock().expect("dns pending lock").len()
    }

    /// The question encoded under a fresh message ID and entered in the pending table,
    /// holding `slot`.
    fn register(
        &self,
        slot: tokio::sync::OwnedSemaphorePermit,
        name: &str,
        qtype: RecordType,
    ) -> Result<(Asked, QueryMessage), String> {
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
pub(super) struct Asked {
    /// Its place in the socket's receive buffer, while it is expected to be answered soon.
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
    answer: oneshot::Receiver<Vec<u8>>,
    forget: Forget,
}

impl Asked {
    /// The try was given up and asked again, but a late answer is still taken: the question
    /// stays pending without holding a receive-buffer slot (a server that answers nothing
    /// must not fill the sockets with questions nobody waits for closely).
    pub(super) fn stop_holding_a_slot(&mut self) {
        self.slot = None;
    }

    /// The answer, once it came (an error when it is malformed, or when it never will come
    /// because the client shuts down). Not to be polled again once ready.
    pub(super) fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<Response, String>> {
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
pub(super) fn slots_for(granted: usize) -> usize {
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
