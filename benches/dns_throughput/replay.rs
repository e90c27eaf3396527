//! A replaying front for the bench's DNS server, so that the server is not what is measured.
//!
//! hickory-server costs 10–17 µs of CPU per answer, about as much as the audit itself spends
//! per question: on 2 cores the two compete, and the audit's figures say as much about the
//! server as about the client. The front answers UDP questions from responses recorded off
//! the real server (hickory-server with the synthetic zones): a question it has not seen is
//! passed to the server once and its response kept, so the first (warm-up) run records and
//! the measured run replays — a hash lookup per answer, questions and answers moved in
//! batches (see [`Batch`]). The responses are the server's own bytes with the query's ID and
//! question copied in; the audited client does exactly the same work either way. TCP (after a truncated answer) is passed straight
//! through to the server. The round-trip delay is added here: answers wait in a FIFO for a
//! sender thread (the delay is constant, so arrival order is due order).
//!
//! It also counts every question and every repeated (name, type) over the whole measured
//! run, which the server's own log (the last 100 000 questions) cannot for 10,000 domains.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Questions seen since the last [`Replay::reset`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub queries: u64,
    /// (name, type) asked more than once.
    pub duplicates: u64,
    /// Questions that had to be passed to the real server (none in a replayed run).
    pub passed_on: u64,
    pub tcp_connections: u64,
}

#[derive(Default)]
struct Stats {
    counts: Counts,
    seen: HashSet<Vec<u8>>,
}

pub struct Replay {
    addr: SocketAddr,
    stats: Arc<Mutex<Stats>>,
}

impl Replay {
    /// Listen on 127.0.0.1 (UDP and TCP, one port) in front of `upstream`.
    pub fn start(upstream: SocketAddr, rtt: Duration) -> std::io::Result<Replay> {
        let (udp, tcp) = bind_pair()?;
        let addr = udp.local_addr()?;
        let stats = Arc::new(Mutex::new(Stats::default()));
        let (delayed, due) = mpsc::channel::<(Instant, Vec<u8>, SocketAddr)>();
        if !rtt.is_zero() {
            let out = udp.try_clone()?;
            std::thread::spawn(move || {
                for (at, answer, peer) in due {
                    if let Some(wait) = at.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let _ = out.send_to(&answer, peer);
                }
            });
        }
        let upstream_udp = UdpSocket::bind("127.0.0.1:0")?;
        upstream_udp.connect(upstream)?;
        upstream_udp.set_read_timeout(Some(Duration::from_secs(3)))?;
        let udp_stats = stats.clone();
        std::thread::spawn(move || {
            let mut answers: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            let mut batch = Batch::new();
            loop {
                let Ok(n) = batch.receive(&udp) else {
                    continue;
                };
                let mut replies: Vec<(Vec<u8>, usize)> = Vec::with_capacity(n);
                for i in 0..n {
                    let query = batch.query(i);
                    let Some(question_end) = question_end(query) else {
                        continue;
                    };
                    let key = query[12..question_end].to_ascii_lowercase();
                    {
                        let mut s = udp_stats.lock().unwrap();
                        s.counts.queries += 1;
                        if !s.seen.insert(key.clone()) {
                            s.counts.duplicates += 1;
                        }
                    }
                    let mut answer = match answers.get(&key) {
                        Some(a) => a.clone(),
                        None => {
                            udp_stats.lock().unwrap().counts.passed_on += 1;
                            let Some(a) = ask(&upstream_udp, query) else {
                                continue;
                            };
                            answers.insert(key, a.clone());
                            a
                        }
                    };
                    if answer.len() < question_end {
                        continue;
                    }
                    answer[..2].copy_from_slice(&query[..2]);
                    answer[12..question_end].copy_from_slice(&query[12..question_end]);
                    replies.push((answer, i));
                }
                if rtt.is_zero() {
                    batch.send(&udp, &replies);
                } else {
                    for (answer, i) in replies {
                        let _ = delayed.send((Instant::now() + rtt, answer, batch.peer(i)));
                    }
                }
            }
        });
        let tcp_stats = stats.clone();
        std::thread::spawn(move || {
            for client in tcp.incoming().flatten() {
                tcp_stats.lock().unwrap().counts.tcp_connections += 1;
                std::thread::spawn(move || pass_through(client, upstream));
            }
        });
        Ok(Replay { addr, stats })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn counts(&self) -> Counts {
        self.stats.lock().unwrap().counts
    }

    /// The distinct questions (the wire question section, lower-cased) asked since the last
    /// reset.
    pub fn questions(&self) -> Vec<Vec<u8>> {
        self.stats.lock().unwrap().seen.iter().cloned().collect()
    }

    /// Forget what was asked (not the recorded answers): the measured run starts here.
    pub fn reset(&self) {
        let mut s = self.stats.lock().unwrap();
        *s = Stats::default();
    }
}

/// Questions taken and answers sent [`BATCH`] at a time (`recvmmsg` / `sendmmsg`), as Knot
/// and other production servers do: one system call and one wake-up for every question that
/// queued while the last batch was answered, instead of two calls per question. Without it
/// the front spent 0.2–0.35 ms of the second core per audited domain, mostly in `recvfrom` /
/// `sendto`, and left the audited client less of the machine than a real server would.
const BATCH: usize = 64;
/// Questions are small (a name and a type); a longer datagram is cut and dropped.
const QUERY_BUFFER: usize = 1536;

struct Batch {
    buffers: Vec<[u8; QUERY_BUFFER]>,
    peers: Vec<libc::sockaddr_storage>,
    headers: Vec<libc::mmsghdr>,
    iovecs: Vec<libc::iovec>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            buffers: vec![[0u8; QUERY_BUFFER]; BATCH],
            // SAFETY: all-zero is a valid (empty) sockaddr_storage, mmsghdr and iovec.
            peers: vec![unsafe { std::mem::zeroed() }; BATCH],
            headers: vec![unsafe { std::mem::zeroed() }; BATCH],
            iovecs: vec![unsafe { std::mem::zeroed() }; BATCH],
        }
    }

    /// Block for one question, then take every other one already queued (up to BATCH).
    fn receive(&mut self, socket: &UdpSocket) -> std::io::Result<usize> {
        for i in 0..BATCH {
            self.iovecs[i] = libc::iovec {
                iov_base: self.buffers[i].as_mut_ptr().cast(),
                iov_len: QUERY_BUFFER,
            };
            let h = &mut self.headers[i].msg_hdr;
            h.msg_name = (&raw mut self.peers[i]).cast();
            h.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &raw mut self.iovecs[i];
            h.msg_iovlen = 1;
            h.msg_control = std::ptr::null_mut();
            h.msg_controllen = 0;
            h.msg_flags = 0;
            self.headers[i].msg_len = 0;
        }
        // SAFETY: every header points at live buffers of this struct, sized as declared.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                self.headers.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(n as usize)
    }

    /// The i-th question of the last receive (empty if it was cut).
    fn query(&self, i: usize) -> &[u8] {
        let h = &self.headers[i];
        if h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
            return &[];
        }
        &self.buffers[i][..h.msg_len as usize]
    }

    fn peer(&self, i: usize) -> SocketAddr {
        let sa = &self.peers[i];
        // The socket is IPv4 (bound to 127.0.0.1).
        // SAFETY: recvmmsg filled an AF_INET address here.
        let sin: &libc::sockaddr_in = unsafe { &*(sa as *const _ as *const libc::sockaddr_in) };
        SocketAddr::from((
            u32::from_be(sin.sin_addr.s_addr).to_be_bytes(),
            u16::from_be(sin.sin_port),
        ))
    }

    /// Send each answer to the peer of the question it answers, as few calls as it takes.
    fn send(&mut self, socket: &UdpSocket, replies: &[(Vec<u8>, usize)]) {
        let mut iovecs: Vec<libc::iovec> = replies
            .iter()
            .map(|(answer, _)| libc::iovec {
                iov_base: answer.as_ptr() as *mut libc::c_void,
                iov_len: answer.len(),
            })
            .collect();
        let mut headers: Vec<libc::mmsghdr> = replies
            .iter()
            .zip(iovecs.iter_mut())
            .map(|((_, i), iov)| {
                // SAFETY: all-zero is a valid mmsghdr; the fields that matter are set below.
                let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
                m.msg_hdr.msg_name = (&raw mut self.peers[*i]).cast();
                m.msg_hdr.msg_namelen = self.headers[*i].msg_hdr.msg_namelen;
                m.msg_hdr.msg_iov = iov;
                m.msg_hdr.msg_iovlen = 1;
                m
            })
            .collect();
        let mut sent = 0;
        while sent < headers.len() {
            // SAFETY: the headers point at the answers and addresses, alive for this call.
            let n = unsafe {
                libc::sendmmsg(
                    socket.as_raw_fd(),
                    headers[sent..].as_mut_ptr(),
                    (headers.len() - sent) as libc::c_uint,
                    0,
                )
            };
            if n <= 0 {
                // A datagram the kernel will not take (the client went away): skip it.
                sent += 1;
            } else {
                sent += n as usize;
            }
        }
    }
}

/// UDP and TCP on the same free loopback port.
fn bind_pair() -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = bind_udp()?;
        match TcpListener::bind(udp.local_addr()?) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}

/// A 4 MiB receive buffer: the client's bursts of questions at 0 ms overflow the default.
fn bind_udp() -> std::io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    let _ = socket.set_recv_buffer_size(4 << 20);
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    Ok(socket.into())
}

/// The end of the (single, uncompressed) question of a query, or None if it is not one.
fn question_end(query: &[u8]) -> Option<usize> {
    if query.len() < 12 || query[4..6] != [0, 1] {
        return None;
    }
    let mut at = 12;
    loop {
        let len = *query.get(at)? as usize;
        if len == 0 {
            break;
        }
        if len > 63 || at > 12 + 255 {
            return None;
        }
        at += 1 + len;
    }
    let end = at + 1 + 4;
    (end <= query.len()).then_some(end)
}

/// One question to the real server; its response (matched by ID).
fn ask(upstream: &UdpSocket, query: &[u8]) -> Option<Vec<u8>> {
    upstream.send(query).ok()?;
    let mut buf = vec![0u8; 65535];
    loop {
        let n = upstream.recv(&mut buf).ok()?;
        if n >= 12 && buf[..2] == query[..2] {
            return Some(buf[..n].to_vec());
        }
    }
}

/// TCP is rare (truncated answers only): copy both ways to the real server.
fn pass_through(mut client: TcpStream, upstream: SocketAddr) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let (Ok(mut client_read), Ok(mut server_write)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let forward = std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = client_read.read(&mut buf) {
            if n == 0 || server_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = server_write.shutdown(std::net::Shutdown::Write);
    });
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = server.read(&mut buf) {
        if n == 0 || client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = forward.join();
}
