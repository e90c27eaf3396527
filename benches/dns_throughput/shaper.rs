//! A path with delay and a bounded queue, between the audit and a DNS server: each
//! direction is a FIFO of at most `queue` datagrams waiting to be served at `rate`
//! datagrams per second, as a router's output queue or a resolver's input queue; a datagram
//! that finds the queue full is dropped. Once served, a datagram is delivered `delay` later
//! (the wire: it holds any number in flight, so the queue bounds only what waits for
//! service, and the path carries `rate` a second). Nothing else is changed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub struct Shaper {
    addr: SocketAddr,
    pub dropped: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Shaper {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|t| t.abort());
    }
}

/// A datagram on the line: when it was queued (in the queue) or is due (on the wire), its
/// bytes, where it goes, and the socket it leaves from.
type Item = (Instant, Vec<u8>, SocketAddr, Arc<UdpSocket>);

/// One direction: queued datagrams are served in order, no faster than `rate` a second,
/// and each is delivered `delay` after its service. (The delay once sat inside the queue:
/// 100 datagrams held for 10 ms each let through 10,000 a second, not the 20,000 stated.)
fn line(
    queue: usize,
    rate: u32,
    delay: Duration,
) -> (mpsc::Sender<Item>, Vec<tokio::task::JoinHandle<()>>) {
    let (tx, mut rx) = mpsc::channel::<Item>(queue);
    // The wire: unbounded (a path in flight drops nothing), in service order, which is also
    // delivery order (one delay for all).
    let (wire, mut arriving) = mpsc::unbounded_channel::<Item>();
    let service = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let serve = tokio::spawn(async move {
        let mut free_at = Instant::now();
        while let Some((_, bytes, to, socket)) = rx.recv().await {
            let now = Instant::now();
            let at = free_at.max(now);
            // Tokio's timer ticks in milliseconds: a sleep per datagram would serve one a
            // tick (1,000 a second). A service time less than a tick ahead is taken at once;
            // the datagram is still due `delay` after it, so the queue lets at most a tick's
            // worth (20 at 20,000 a second) more through than its size.
            if at > now + Duration::from_millis(1) {
                tokio::time::sleep_until(at).await;
            }
            free_at = at + service;
            if wire.send((at + delay, bytes, to, socket)).is_err() {
                break;
            }
        }
    });
    let deliver = tokio::spawn(async move {
        while let Some((due, bytes, to, socket)) = arriving.recv().await {
            tokio::time::sleep_until(due).await;
            let _ = socket.send_to(&bytes, to).await;
        }
    });
    (tx, vec![serve, deliver])
}

fn offer(q: &mpsc::Sender<Item>, item: Item, dropped: &AtomicU64) {
    if q.try_send(item).is_err() {
        dropped.fetch_add(1, Ordering::Relaxed);
    }
}

impl Shaper {
    /// The load scenario's path: 20 ms round trips (10 ms each way), a queue of 100
    /// datagrams served at 20,000 a second.
    pub async fn twenty_ms_queue_of_100(upstream: SocketAddr) -> Shaper {
        Shaper::start(upstream, Duration::from_millis(10), 100, 20_000).await
    }

    /// In front of `upstream`; one-way `delay` each way.
    pub async fn start(upstream: SocketAddr, delay: Duration, queue: usize, rate: u32) -> Shaper {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = front.local_addr().unwrap();
        let dropped = Arc::new(AtomicU64::new(0));
        let (to_clients, mut tasks) = line(queue, rate, delay);
        let (to_server, out_tasks) = line(queue, rate, delay);
        tasks.extend(out_tasks);
        let reader = {
            let (front, dropped) = (front.clone(), dropped.clone());
            tokio::spawn(async move {
                // One upstream socket per client address, so that answers find their way
                // back whatever the message IDs.
                let mut upstreams: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
                let mut buf = vec![0u8; 65_535];
                while let Ok((n, from)) = front.recv_from(&mut buf).await {
                    let socket = upstreams.entry(from).or_insert_with(|| {
                        let std = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                        std.set_nonblocking(true).unwrap();
                        let socket = Arc::new(UdpSocket::from_std(std).unwrap());
                        let (reply_from, to_clients, dropped, front) = (
                            socket.clone(),
                            to_clients.clone(),
                            dropped.clone(),
                            front.clone(),
                        );
                        tokio::spawn(async move {
                            let mut buf = vec![0u8; 65_535];
                            while let Ok((n, _)) = reply_from.recv_from(&mut buf).await {
                                offer(
                                    &to_clients,
                                    (Instant::now(), buf[..n].to_vec(), from, front.clone()),
                                    &dropped,
                                );
                            }
                        });
                        socket
                    });
                    offer(
                        &to_server,
                        (Instant::now(), buf[..n].to_vec(), upstream, socket.clone()),
                        &dropped,
                    );
                }
            })
        };
        tasks.push(reader);
        Shaper {
            addr,
            dropped,
            tasks,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
