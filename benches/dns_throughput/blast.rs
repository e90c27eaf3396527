//! unbound's own ceiling on this machine: the questions an audit asks, sent by the leanest
//! client there is (one socket, a fixed number in flight, no window, no parsing beyond the
//! ID), to a fresh (cold) unbound. What no client can pass through this resolver here, so a
//! figure of the audit's can be read against it.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// A question not answered in this long is sent again (the same ID).
const RESEND_AFTER: Duration = Duration::from_secs(1);
/// The whole blast gives up after this (a resolver that stopped answering).
const GIVE_UP: Duration = Duration::from_secs(60);

pub struct Blasted {
    pub wall: Duration,
    pub answered: usize,
    pub resent: usize,
}

/// Every one of `questions` (wire question sections, at most 65,536: the index is the ID)
/// asked of `server` with `in_flight` outstanding at most, until all are answered.
pub fn blast(server: SocketAddr, questions: &[Vec<u8>], in_flight: usize) -> Blasted {
    assert!(questions.len() <= 1 << 16, "more questions than IDs");
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(server).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let query = |id: usize| {
        let mut q = Vec::with_capacity(12 + questions[id].len());
        // ID, RD, one question.
        q.extend_from_slice(&(id as u16).to_be_bytes());
        q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        q.extend_from_slice(&questions[id]);
        q
    };
    let start = Instant::now();
    let mut outstanding: HashMap<u16, Instant> = HashMap::new();
    let mut next = 0;
    let mut answered = 0;
    let mut resent = 0;
    let mut last_scan = start;
    let mut buf = [0u8; 4096];
    while answered < questions.len() && start.elapsed() < GIVE_UP {
        while outstanding.len() < in_flight && next < questions.len() {
            let _ = socket.send(&query(next));
            outstanding.insert(next as u16, Instant::now());
            next += 1;
        }
        if let Ok(n) = socket.recv(&mut buf)
            && n >= 2
            && outstanding
                .remove(&u16::from_be_bytes([buf[0], buf[1]]))
                .is_some()
        {
            answered += 1;
        }
        let now = Instant::now();
        if now.duration_since(last_scan) >= Duration::from_millis(100) {
            last_scan = now;
            for (id, sent) in outstanding.iter_mut() {
                if now.duration_since(*sent) >= RESEND_AFTER {
                    let _ = socket.send(&query(usize::from(*id)));
                    *sent = now;
                    resent += 1;
                }
            }
        }
    }
    Blasted {
        wall: start.elapsed(),
        answered,
        resent,
    }
}
