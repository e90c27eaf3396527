//! The in-process DNS server, queried through the real resolver path (`Dns` with
//! `nameservers = [server.addr()]`, hickory over UDP/TCP sockets).

use mailpreflight::dns::server::{Fault, LocalDnsServer, ServerConfig};
use mailpreflight::dns::{Dns, DnsConfig, Outcome, RType, Rdata, Zone, ZoneRecord};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn record(name: &str, data: Rdata) -> ZoneRecord {
    ZoneRecord {
        name: name.into(),
        ttl: 300,
        data,
        line: 1,
    }
}

fn txt(strings: &[&str]) -> Rdata {
    Rdata::Txt {
        strings: strings.iter().map(|s| s.as_bytes().to_vec()).collect(),
    }
}

fn soa_ns(origin: &str) -> Vec<ZoneRecord> {
    vec![
        record(
            origin,
            Rdata::Soa {
                mname: format!("ns.{origin}"),
                rname: format!("hostmaster.{origin}"),
                serial: 1,
                minimum: 60,
            },
        ),
        record(
            origin,
            Rdata::Ns {
                target: format!("ns.{origin}"),
            },
        ),
    ]
}

/// 60 KiB of TXT in one record: 240 strings of 255 bytes.
fn big_txt() -> Rdata {
    Rdata::Txt {
        strings: (0..240u32)
            .map(|i| {
                let mut s = format!("{i:03}").into_bytes();
                s.resize(255, b'a' + (i % 26) as u8);
                s
            })
            .collect(),
    }
}

fn example_zone() -> Zone {
    let mut records = soa_ns("example.test");
    records.extend([
        record("example.test", txt(&["v=spf1 ", "-all"])),
        record(
            "example.test",
            Rdata::Mx {
                preference: 10,
                exchange: "mx.example.test".into(),
            },
        ),
        record(
            "mx.example.test",
            Rdata::A {
                address: Ipv4Addr::new(192, 0, 2, 25),
            },
        ),
        record("a.b.example.test", txt(&["deep"])),
        record(
            "www.example.test",
            Rdata::Cname {
                target: "mx.example.test".into(),
            },
        ),
        record("big.example.test", big_txt()),
        record("dead.example.test", txt(&["never seen"])),
        record("fail.example.test", txt(&["never seen"])),
        record("refuse.example.test", txt(&["never seen"])),
    ]);
    Zone {
        origin: "example.test".into(),
        file: "example.test.zone".into(),
        records,
    }
}

async fn start() -> LocalDnsServer {
    let faults = HashMap::from([
        ("dead.example.test".to_string(), Fault::Drop),
        ("fail.example.test".to_string(), Fault::ServFail),
        ("refuse.example.test".to_string(), Fault::Refused),
    ]);
    LocalDnsServer::start(ServerConfig {
        zones: vec![example_zone()],
        authoritative_root: false,
        delay: Duration::ZERO,
        faults,
        ..ServerConfig::default()
    })
    .await
    .expect("server starts")
}

fn dns_for(addr: SocketAddr) -> Dns {
    Dns::new(DnsConfig {
        nameservers: vec![addr],
        timeout: Duration::from_millis(300),
        attempts: 1,
        ..DnsConfig::default()
    })
    .expect("resolver")
}

#[tokio::test]
async fn records_nxdomain_nodata_and_empty_non_terminal() {
    let server = start().await;
    let dns = dns_for(server.addr());

    let spf = dns.query("example.test", RType::TXT).await;
    assert_eq!(spf.outcome, Outcome::Records);
    assert_eq!(spf.records, vec![txt(&["v=spf1 ", "-all"])]);

    let mx = dns.query("EXAMPLE.test.", RType::MX).await;
    assert_eq!(
        mx.records,
        vec![Rdata::Mx {
            preference: 10,
            exchange: "mx.example.test".into()
        }]
    );

    assert_eq!(
        dns.query("example.test", RType::AAAA).await.outcome,
        Outcome::NoData
    );
    assert_eq!(
        dns.query("nope.example.test", RType::TXT).await.outcome,
        Outcome::NxDomain
    );
    // b.example.test owns nothing but has a child: it exists.
    assert_eq!(
        dns.query("b.example.test", RType::TXT).await.outcome,
        Outcome::NoData
    );
    assert_eq!(
        dns.query("a.b.example.test", RType::TXT).await.txt_joined(),
        vec!["deep"]
    );
}

#[tokio::test]
async fn cname_is_followed_within_the_answer() {
    let server = start().await;
    let dns = dns_for(server.addr());
    let a = dns.query("www.example.test", RType::A).await;
    assert_eq!(a.outcome, Outcome::Records);
    assert_eq!(a.cnames, vec!["mx.example.test"]);
    assert_eq!(a.ips(), vec![Ipv4Addr::new(192, 0, 2, 25)]);
    // One question on the wire: the target came in the same answer.
    assert_eq!(server.queries(), 1);
    let cname = dns.query("www.example.test", RType::CNAME).await;
    assert_eq!(
        cname.records,
        vec![Rdata::Cname {
            target: "mx.example.test".into()
        }]
    );
}

#[tokio::test]
async fn faults_give_their_failure_class() {
    let server = start().await;
    let dns = dns_for(server.addr());
    let started = std::time::Instant::now();
    assert_eq!(
        dns.query("dead.example.test", RType::TXT).await.outcome,
        Outcome::Timeout
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        dns.query("fail.example.test", RType::TXT).await.outcome,
        Outcome::ServerFailure {
            rcode: "SERVFAIL".into()
        }
    );
    assert_eq!(
        dns.query("refuse.example.test", RType::TXT).await.outcome,
        Outcome::ServerFailure {
            rcode: "REFUSED".into()
        }
    );
}

#[tokio::test]
async fn outside_the_zones_is_refused_or_nxdomain_as_configured() {
    let server = start().await;
    let dns = dns_for(server.addr());
    assert_eq!(
        dns.query("other.test", RType::TXT).await.outcome,
        Outcome::ServerFailure {
            rcode: "REFUSED".into()
        }
    );
    let root = LocalDnsServer::start(ServerConfig {
        zones: vec![example_zone()],
        authoritative_root: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let dns = dns_for(root.addr());
    assert_eq!(
        dns.query("_dmarc.test", RType::TXT).await.outcome,
        Outcome::NxDomain
    );
}

/// Build a query message by hand: id 0x1234, RD, one question, class IN.
fn raw_query(name: &str, qtype: u16) -> Vec<u8> {
    let mut msg = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        msg.push(label.len() as u8);
        msg.extend_from_slice(label.as_bytes());
    }
    msg.push(0);
    msg.extend_from_slice(&qtype.to_be_bytes());
    msg.extend_from_slice(&1u16.to_be_bytes());
    msg
}

fn header(msg: &[u8]) -> (u16, bool, bool, u8, u16) {
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let aa = msg[2] & 0x04 != 0;
    let tc = msg[2] & 0x02 != 0;
    let rcode = msg[3] & 0x0f;
    let ancount = u16::from_be_bytes([msg[6], msg[7]]);
    (id, aa, tc, rcode, ancount)
}

async fn ask_tcp(addr: SocketAddr, query: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(&(query.len() as u16).to_be_bytes())
        .await
        .unwrap();
    stream.write_all(query).await.unwrap();
    let len = stream.read_u16().await.unwrap();
    let mut buf = vec![0; len as usize];
    stream.read_exact(&mut buf).await.unwrap();
    buf
}

async fn ask_udp(addr: SocketAddr, query: &[u8]) -> Vec<u8> {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(query, addr).await.unwrap();
    let mut buf = vec![0; 65535];
    let (n, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf))
        .await
        .expect("udp answer")
        .unwrap();
    buf.truncate(n);
    buf
}

#[tokio::test]
async fn udp_and_tcp_both_answer_on_the_same_port() {
    let server = start().await;
    let query = raw_query("mx.example.test", 1);
    let udp = ask_udp(server.addr(), &query).await;
    let tcp = ask_tcp(server.addr(), &query).await;
    assert_eq!(header(&udp), (0x1234, true, false, 0, 1));
    assert_eq!(header(&tcp), (0x1234, true, false, 0, 1));
    assert_eq!(&udp[udp.len() - 4..], &[192, 0, 2, 25]);
    assert_eq!(udp, tcp);
    // NXDOMAIN carries the zone's SOA in the authority section.
    let nx = ask_udp(server.addr(), &raw_query("nope.example.test", 16)).await;
    assert_eq!(header(&nx), (0x1234, true, false, 3, 0));
    assert_eq!(u16::from_be_bytes([nx[8], nx[9]]), 1, "NSCOUNT");
    assert_eq!(server.queries(), 3);
    assert_eq!(
        server.query_log(),
        vec![
            ("mx.example.test".to_string(), RType::A),
            ("mx.example.test".to_string(), RType::A),
            ("nope.example.test".to_string(), RType::TXT),
        ]
    );
}

#[tokio::test]
async fn big_answers_truncate_over_udp_and_arrive_whole_over_tcp() {
    let server = start().await;
    // Without EDNS the UDP answer is cut at 512 bytes with TC set.
    let udp = ask_udp(server.addr(), &raw_query("big.example.test", 16)).await;
    let (_, _, tc, rcode, ancount) = header(&udp);
    assert!(tc, "TC bit set");
    assert_eq!((rcode, ancount), (0, 0));
    assert!(udp.len() <= 512);

    let dns = dns_for(server.addr());
    let answer = dns.query("big.example.test", RType::TXT).await;
    assert_eq!(answer.outcome, Outcome::Records);
    assert_eq!(answer.records, vec![big_txt()]);
    // UDP first (truncated), then the same question again over TCP.
    assert_eq!(server.queries(), 3, "raw UDP, resolver UDP, resolver TCP");
}

#[tokio::test]
async fn concurrent_identical_questions_go_upstream_once() {
    let server = start().await;
    let dns = dns_for(server.addr());
    let answers = futures::future::join_all((0..50).map(|_| {
        let dns = dns.clone();
        async move { dns.query("example.test", RType::MX).await }
    }))
    .await;
    assert!(answers.iter().all(|a| a.outcome == Outcome::Records));
    assert_eq!(server.queries(), 1);
    let stats = dns.stats();
    assert_eq!(stats.duplicates, 0);
    assert_eq!(stats.lookups, 50);
    assert_eq!(stats.upstream, 1);
}

#[tokio::test]
async fn delay_does_not_serialise_queries() {
    let server = LocalDnsServer::start(ServerConfig {
        zones: vec![example_zone()],
        delay: Duration::from_millis(200),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let dns = Dns::new(DnsConfig {
        nameservers: vec![server.addr()],
        timeout: Duration::from_secs(2),
        attempts: 1,
        ..DnsConfig::default()
    })
    .unwrap();
    let started = std::time::Instant::now();
    let names: Vec<String> = (0..40).map(|i| format!("n{i}.example.test")).collect();
    let answers = futures::future::join_all(names.iter().map(|n| dns.query(n, RType::A))).await;
    assert!(answers.iter().all(|a| a.outcome == Outcome::NxDomain));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "40 delayed queries took {:?}",
        started.elapsed()
    );
}

/// Raw UDP load: 16 clients, each keeping 32 questions in flight, for 2 seconds.
/// `cargo test --release --test dns_server -- --ignored --nocapture throughput`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a check"]
async fn throughput() {
    let server = start().await;
    let addr = server.addr();
    let duration = Duration::from_secs(2);
    let clients = (0..16u16).map(|c| {
        tokio::spawn(async move {
            let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.connect(addr).await.unwrap();
            let mut query = raw_query("mx.example.test", 1);
            let mut buf = vec![0; 1500];
            let mut answered = 0u64;
            let mut in_flight = 0;
            let deadline = tokio::time::Instant::now() + duration;
            let mut id = c.wrapping_mul(4096);
            while tokio::time::Instant::now() < deadline {
                while in_flight < 32 {
                    id = id.wrapping_add(1);
                    query[..2].copy_from_slice(&id.to_be_bytes());
                    socket.send(&query).await.unwrap();
                    in_flight += 1;
                }
                let reply =
                    tokio::time::timeout(Duration::from_millis(200), socket.recv(&mut buf)).await;
                if let Ok(Ok(_)) = reply {
                    answered += 1;
                }
                in_flight -= 1;
            }
            answered
        })
    });
    let answered: u64 = futures::future::join_all(clients)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .sum();
    eprintln!(
        "{answered} answers in {duration:?}: {:.0} qps (server saw {} queries)",
        answered as f64 / duration.as_secs_f64(),
        server.queries()
    );
    assert!(answered > 0);
}

#[tokio::test]
async fn cname_into_another_zone_is_left_to_the_resolver() {
    let mut other = soa_ns("other.test");
    other.push(record(
        "host.other.test",
        Rdata::A {
            address: Ipv4Addr::new(192, 0, 2, 99),
        },
    ));
    let mut zone = example_zone();
    zone.records.push(record(
        "away.example.test",
        Rdata::Cname {
            target: "host.other.test".into(),
        },
    ));
    let server = LocalDnsServer::start(ServerConfig {
        zones: vec![
            zone,
            Zone {
                origin: "other.test".into(),
                file: "other.test.zone".into(),
                records: other,
            },
        ],
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let dns = dns_for(server.addr());
    let a = dns.query("away.example.test", RType::A).await;
    assert_eq!(a.outcome, Outcome::Records);
    assert_eq!(a.cnames, vec!["host.other.test"]);
    assert_eq!(a.ips(), vec![Ipv4Addr::new(192, 0, 2, 99)]);
    // As from Knot: the CNAME first, then the resolver asks for its target.
    assert_eq!(
        server.query_log(),
        vec![
            ("away.example.test".to_string(), RType::A),
            ("host.other.test".to_string(), RType::A),
        ]
    );
}
