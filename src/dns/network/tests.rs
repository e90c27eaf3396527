use super::*;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// The deadline bounds the whole lookup, below the per-try timeouts: a server that
/// never answers, 5 s per try and 3 tries, given up after the 300 ms left.
#[tokio::test]
async fn the_deadline_bounds_every_attempt() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let network = Network::new(&DnsConfig {
        nameservers: vec![silent.local_addr().unwrap()],
        timeout: Duration::from_secs(5),
        attempts: 3,
        ..DnsConfig::default()
    });
    let started = Instant::now();
    let answer = network
        .lookup(
            "example.test",
            RType::TXT,
            started + Duration::from_millis(300),
        )
        .await;
    assert_eq!(answer.outcome, Outcome::Timeout);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // The question was sent (the first try had time left), once.
    let mut buf = [0u8; 512];
    silent.set_nonblocking(true).unwrap();
    assert!(silent.recv(&mut buf).is_ok());
    assert!(silent.recv(&mut buf).is_err());
    // No time left: not even sent.
    let late = network
        .lookup("late.example.test", RType::TXT, Instant::now())
        .await;
    assert_eq!(late.outcome, Outcome::Timeout);
    assert!(silent.recv(&mut buf).is_err());
}

#[test]
fn echoed_questions_match_name_case_insensitively_and_type_exactly() {
    let (q, n) = encode(1, "ab.test", RecordType::A).unwrap();
    let ours = &q[12..12 + n];
    let mut echoed = ours.to_vec();
    echoed[1] = b'A';
    assert!(same_question(&echoed, ours));
    // Type 65 ('A') against type 97 ('a'): not the same question.
    let (q65, _) = encode(1, "ab.test", RecordType::Unknown(0x41)).unwrap();
    let (q97, _) = encode(1, "ab.test", RecordType::Unknown(0x61)).unwrap();
    assert!(!same_question(&q65[12..12 + n], &q97[12..12 + n]));
    assert!(!same_question(&ours[..n - 1], ours));
}

#[test]
fn slots_follow_the_receive_buffer() {
    assert_eq!(slots_for(0), 32);
    assert_eq!(slots_for(425_984), 184);
    assert_eq!(SOCKETS_PER_SERVER * MAX_SLOTS, 4096);
    assert_eq!(slots_for(8 << 20), MAX_SLOTS);
}

#[test]
fn special_use_names_are_answered_locally() {
    let mut r = Vec::new();
    assert_eq!(
        special_use("x.invalid", RType::TXT, &mut r),
        Some(Outcome::NxDomain)
    );
    assert_eq!(
        special_use("localhost", RType::A, &mut r),
        Some(Outcome::Records)
    );
    assert_eq!(
        r,
        vec![Rdata::A {
            address: Ipv4Addr::LOCALHOST
        }]
    );
    assert_eq!(special_use("example.com", RType::A, &mut r), None);
}

/// A server that, once asked a question twice (the retransmission from any of the client's
/// sockets), answers the first question with `first_rcode` and no records, then, if
/// `answer_again`, the second one (NOERROR) 50 ms later.
async fn answers_once_asked_again(
    first_rcode: u8,
    answer_again: bool,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let answering = tokio::spawn(async move {
        let mut first = [0u8; 512];
        let (n, client) = server.recv_from(&mut first).await.unwrap();
        let mut again = [0u8; 512];
        let (m, client_again) = server.recv_from(&mut again).await.unwrap();
        assert_ne!(first[..2], again[..2], "a retransmission reused the ID");
        first[2] |= 0x80;
        first[3] = (first[3] & 0xf0) | first_rcode;
        server.send_to(&first[..n], client).await.unwrap();
        if answer_again {
            tokio::time::sleep(Duration::from_millis(50)).await;
            again[2] |= 0x80;
            server.send_to(&again[..m], client_again).await.unwrap();
        }
    });
    (addr, answering)
}

fn one_server(addr: SocketAddr) -> Network {
    Network::new(&DnsConfig {
        nameservers: vec![addr],
        attempts: 3,
        ..DnsConfig::default()
    })
}

/// The answer to a try already given up is taken when it comes (a slow server, not a lost
/// question): the server here answers the first question only once it was asked again, and
/// never the second. Each try has its own ID, so that answer also times the server.
#[tokio::test]
async fn a_late_answer_to_an_earlier_try_is_taken() {
    let (addr, answering) = answers_once_asked_again(0, false).await;
    let network = one_server(addr);
    let deadline = Instant::now() + Duration::from_secs(5);
    let answer = network.lookup("slow.test", RType::TXT, deadline).await;
    answering.await.unwrap();
    assert_eq!(answer.outcome, Outcome::NoData);
    let c = network.counters();
    assert_eq!((c.sent, c.retransmissions, c.lost, c.late), (2, 1, 1, 1));
    // The late answer's round trip (~1 s, the first timer) was learnt: the only sample,
    // so the timer is now above its first guess of 1 s (~3 s).
    let learnt = network.servers[0].window.rto();
    assert!(learnt > Duration::from_secs(1), "{learnt:?}");
}

/// A late error rcode does not end the lookup while a later try may still do better: the
/// server answers the first question SERVFAIL once it was asked again, then the second.
#[tokio::test]
async fn a_late_servfail_waits_for_the_try_in_flight() {
    let (addr, answering) = answers_once_asked_again(2, true).await;
    let network = one_server(addr);
    let deadline = Instant::now() + Duration::from_secs(5);
    let answer = network.lookup("flaky.test", RType::TXT, deadline).await;
    answering.await.unwrap();
    assert_eq!(answer.outcome, Outcome::NoData);
    // The SERVFAIL was taken (a late answer), not ignored; no third try went out.
    let c = network.counters();
    assert_eq!((c.sent, c.late), (2, 1));
}

/// A lookup that waited its whole queue bound for room in the window of a server that
/// answers nothing was never sent: that is the tool's own queue, reported as such, not as
/// the server's timeout.
#[tokio::test(start_paused = true)]
async fn a_question_never_sent_is_not_a_server_timeout() {
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let network = Arc::new(Network::new(&DnsConfig {
        nameservers: vec![silent.local_addr().unwrap()],
        ..DnsConfig::default()
    }));
    let lookups: Vec<_> = (0..400)
        .map(|i| {
            let network = network.clone();
            tokio::spawn(async move {
                let deadline = Instant::now() + Duration::from_secs(5);
                network
                    .lookup(&format!("q{i}.test"), RType::TXT, deadline)
                    .await
                    .outcome
            })
        })
        .collect();
    let (mut timeouts, mut unsent) = (0, 0);
    for lookup in lookups {
        match lookup.await.unwrap() {
            Outcome::Timeout => timeouts += 1,
            Outcome::Error { message } if message.starts_with("not asked: ") => unsent += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(
        timeouts > 0 && unsent > 0,
        "{timeouts} timeouts, {unsent} never sent"
    );
    // Every question sent was lost; those never sent are not among them.
    let counters = network.counters();
    assert_eq!(counters.sent, counters.lost);
    assert!(counters.sent < 400 * 2, "{}", counters.sent);
}

/// A lookup's future is boxed once per question by the cache, and what it holds across an
/// await is its size: the rare paths (waiting for the window's room or a socket slot, a late
/// answer, a TCP retry) are boxed apart. Inline they made it 2.4 KiB instead of 1.3 (in this
/// test's build and in release), and the batch audit at `--concurrency 256` peaked 3.7 MiB
/// higher.
#[tokio::test]
async fn a_lookup_s_future_stays_small() {
    let network = Network::new(&DnsConfig {
        nameservers: vec!["127.0.0.1:9".parse().unwrap()],
        ..DnsConfig::default()
    });
    let exchange = network.exchange("example.test", RecordType::TXT, Instant::now());
    let size = std::mem::size_of_val(&exchange);
    assert!(size < 1600, "a lookup's future is {size} bytes");
}

/// A socket with every slot taken: the next question is not sent at once ([`Channel::send_now`]
/// says wait), the waiting send goes out only when a slot frees, and a question given up as
/// late frees its slot yet still takes its answer.
#[tokio::test]
async fn a_socket_with_every_slot_taken_sends_when_one_frees() {
    // As large a buffer as the channel's own, which its slots are sized by.
    let server = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    let _ = server.set_recv_buffer_size(4 << 20);
    server
        .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .unwrap();
    let server: std::net::UdpSocket = server.into();
    server
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let addr = server.local_addr().unwrap();
    // Answers d0.test, the first question, and waited.test, the one that had to wait.
    let answerer = std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        let mut seen = 0usize;
        while let Ok((n, from)) = server.recv_from(&mut buf) {
            seen += 1;
            let query = &buf[..n];
            let has = |label: &[u8]| query.windows(label.len()).any(|w| w == label);
            if has(b"\x02d0\x04test\x00") || has(b"\x06waited\x04test\x00") {
                let mut reply = query.to_vec();
                reply[2] |= 0x80;
                server.send_to(&reply, from).unwrap();
                if has(b"waited") {
                    return seen;
                }
            }
        }
        panic!("waited.test never came");
    });
    let channel = channel::Channel::open(addr).unwrap();
    let slots = channel.slots.available_permits();
    // A socket's writability is known once the reactor has polled it: until then tokio's
    // try_send says WouldBlock (so a socket's first question takes the waiting path). The
    // refused question is forgotten, its slot freed.
    assert!(channel.send_now("d0.test", RecordType::A).is_none());
    assert_eq!(channel.pending_len(), 0);
    assert_eq!(channel.slots.available_permits(), slots);
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let (mut asked, mut at_once) = (Vec::new(), 0);
    for i in 0..slots {
        let name = format!("d{i}.test");
        // Loopback charges a datagram to its sender until it is read, so the send buffer can
        // be full (WouldBlock): then the question waits, as a lookup's does.
        let sent = match channel.send_now(&name, RecordType::A) {
            Some(sent) => {
                at_once += 1;
                sent
            }
            None => channel.send(&name, RecordType::A).await,
        };
        asked.push(sent.expect("sent"));
    }
    assert!(at_once > 0, "nothing was sent at once");
    // A question the socket refused was forgotten, its slot freed.
    assert_eq!(channel.pending_len(), slots);
    assert!(
        channel.send_now("waited.test", RecordType::A).is_none(),
        "sent with no slot free"
    );
    let waiting = channel.send("waited.test", RecordType::A);
    tokio::pin!(waiting);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(50), &mut waiting)
            .await
            .is_err(),
        "sent with no slot free"
    );
    // d0's try is given up but stays pending: its slot goes to the waiting question.
    asked[0].stop_holding_a_slot();
    let mut waited = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
        .await
        .expect("sent once a slot freed")
        .expect("sent");
    let response = answer(&mut waited).await.expect("answered").unwrap();
    assert_eq!(response.response_code, ResponseCode::NoError);
    let late = answer(&mut asked[0])
        .await
        .expect("late answer taken")
        .unwrap();
    assert_eq!(late.response_code, ResponseCode::NoError);
    assert_eq!(
        answerer.join().unwrap(),
        slots + 1,
        "questions at the server"
    );
    assert_eq!(
        channel.slots.available_permits(),
        0,
        "the others hold theirs"
    );
    drop(asked);
    drop(waited);
    assert_eq!(channel.slots.available_permits(), slots);
    assert_eq!(channel.pending_len(), 0);
}

async fn answer(
    asked: &mut channel::Asked,
) -> Result<Result<Response, String>, tokio::time::error::Elapsed> {
    let future = std::future::poll_fn(|cx| asked.poll_answer(cx));
    tokio::time::timeout(std::time::Duration::from_secs(5), future).await
}
