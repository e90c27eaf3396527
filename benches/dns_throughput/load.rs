//! The audit at default flags with real parts between it and the answers: a caching
//! resolver (Debian's unbound, default settings) forwarding to the bench's server, a path
//! with delay and a bounded queue (the bench's own shaper), and unbound rate-limiting its
//! client. What counts: false `dns-timeout` findings (the server answers every name), the
//! rate, the queries at the server, the peak RSS.

use super::blast::blast;
use super::shaper::Shaper;
use super::{RUNS, Served, domains_file, median, run_binary, serve};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Debian's unbound on a free loopback port, forwarding everything to `upstream`.
pub struct Unbound {
    child: Child,
    dir: std::path::PathBuf,
    pub addr: SocketAddr,
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Unbound {
    /// The CPU unbound has spent so far (user + system, from /proc).
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields 14 and 15 (utime, stime), counted after the command name's closing paren.
        let after = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = after.split(' ').collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        // USER_HZ is 100 on Linux.
        Some(ticks / 100.0)
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Unbound {
    /// `None` when unbound is not installed (the scenario is then skipped, said so).
    pub fn start(upstream: SocketAddr, ip_ratelimit: Option<u32>) -> Option<Unbound> {
        let port = free_udp_port();
        let dir = std::env::temp_dir().join(format!("mailpreflight-unbound-{port}"));
        std::fs::create_dir_all(&dir).ok()?;
        let limit = ip_ratelimit.map_or(String::new(), |q| format!("    ip-ratelimit: {q}\n"));
        let conf = format!(
            "server:\n    interface: 127.0.0.1\n    port: {port}\n    do-daemonize: no\n    use-syslog: no\n    logfile: \"\"\n    chroot: \"\"\n    username: \"\"\n    directory: \"{d}\"\n    pidfile: \"{d}/unbound.pid\"\n    do-not-query-localhost: no\n    access-control: 127.0.0.0/8 allow\n    do-ip6: no\n    local-zone: \"test.\" nodefault\n    local-zone: \"2.0.192.in-addr.arpa.\" nodefault\n    domain-insecure: \"test\"\n{limit}forward-zone:\n    name: \".\"\n    forward-addr: {ip}@{p}\n",
            d = dir.display(),
            ip = upstream.ip(),
            p = upstream.port(),
        );
        let conf_path = dir.join("unbound.conf");
        std::fs::write(&conf_path, conf).ok()?;
        let child = Command::new("unbound")
            .args(["-d", "-c"])
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let unbound = Unbound { child, dir, addr };
        // Ready when it answers a question (any answer).
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
        probe
            .set_read_timeout(Some(Duration::from_millis(200)))
            .ok()?;
        let query = [
            0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, b'd', b'0', 4, b't', b'e', b's', b't', 0,
            0, 1, 0, 1,
        ];
        for _ in 0..50 {
            let _ = probe.send_to(&query, addr);
            let mut buf = [0u8; 512];
            if probe.recv_from(&mut buf).is_ok() {
                return Some(unbound);
            }
        }
        None
    }
}

/// What a run goes through: the nameserver to give, and what keeps it alive (a fresh
/// unbound per run, so that every run starts with a cold cache).
type Path = (String, Box<dyn std::any::Any>);

/// The audit of `n` domains at default flags through `path()`, `runs` times: a table row.
fn measure(
    label: &str,
    path: &mut dyn FnMut() -> Option<Path>,
    n: usize,
    served: &Served,
    runs: usize,
) {
    let list = domains_file(n);
    let out = std::env::temp_dir().join(format!("mailpreflight-load-{}.jsonl", std::process::id()));
    let args: Vec<String> = [
        "dns",
        "--domains-file",
        list.as_str(),
        "--nameserver",
        "NS",
        "--format",
        "jsonl",
        "-o",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut walls = Vec::new();
    let mut rss = 0;
    let mut false_timeouts = 0usize;
    let mut other_failures = 0usize;
    let mut queries = Vec::new();
    let mut resolver_cpu: Vec<f64> = Vec::new();
    for _ in 0..runs {
        let Some((ns, guard)) = path() else {
            println!("| {label} | skipped: unbound is not installed (apt-get install unbound) |");
            return;
        };
        let args: Vec<String> = args
            .iter()
            .map(|a| if a == "NS" { ns.clone() } else { a.clone() })
            .collect();
        served.front.reset();
        let run = run_binary(&args);
        if let Some(cpu) = guard
            .downcast_ref::<Unbound>()
            .and_then(Unbound::cpu_seconds)
        {
            resolver_cpu.push(cpu);
        }
        drop(guard);
        assert!(run.ok, "{label}: the audit failed");
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        false_timeouts = false_timeouts.max(text.matches("\"dns-timeout\"").count());
        other_failures = other_failures.max(
            text.matches("\"dns-server-failure\"").count()
                + text.matches("\"dns-lookup-error\"").count(),
        );
        queries.push(served.front.counts().queries);
        walls.push(run.wall);
        rss = rss.max(run.max_rss_kib);
    }
    let _ = std::fs::remove_file(&out);
    let wall = median(walls.clone());
    let resolver = if resolver_cpu.is_empty() {
        String::new()
    } else {
        format!(
            "; unbound CPU {} s",
            resolver_cpu
                .iter()
                .map(|c| format!("{c:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    println!(
        "| {label}, {n} domains, default flags | median {:.2} s, **{:.0} domains/s** ({runs} runs: {:.2}–{:.2} s); **{false_timeouts} false `dns-timeout`** and {other_failures} other lookup failures (most in a run); {} queries at the server (median); peak RSS {:.1} MiB{resolver} |",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        walls.iter().min().unwrap().as_secs_f64(),
        walls.iter().max().unwrap().as_secs_f64(),
        {
            queries.sort();
            queries[queries.len() / 2]
        },
        rss as f64 / 1024.0
    );
}

pub async fn scenarios() {
    let n = 1000;
    let runs = RUNS.min(3);
    // 1. unbound, default settings, cold cache, forwarding to the server 20 ms away.
    let served = serve(n, Duration::from_millis(20)).await;
    let front = served.front.addr();
    let fresh_unbound = |limit: Option<u32>| {
        move || -> Option<Path> {
            let u = Unbound::start(front, limit)?;
            Some((u.addr.to_string(), Box::new(u)))
        }
    };
    tokio::task::block_in_place(|| {
        measure(
            "unbound (cold cache) forwarding to a server 20 ms away",
            &mut fresh_unbound(None),
            n,
            &served,
            runs,
        )
    });
    // 1b. unbound's own ceiling: the questions that run asked, from a bare client.
    let questions = served.front.questions();
    for in_flight in [256, 512, 1024] {
        let Some(unbound) = Unbound::start(front, None) else {
            break;
        };
        let cpu_before = unbound.cpu_seconds().unwrap_or(0.0);
        let b = tokio::task::block_in_place(|| blast(unbound.addr, &questions, in_flight));
        let cpu = unbound.cpu_seconds().map(|c| c - cpu_before);
        let per_domain = questions.len() as f64 / n as f64;
        let rate = b.answered as f64 / b.wall.as_secs_f64();
        // What unbound could answer with a whole core to itself: questions per CPU second.
        let cpu_bound = cpu.filter(|c| *c > 0.0).map_or("unknown".to_string(), |c| {
            format!(
                "{c:.2} s, so at most {:.0} q/s ≈ {:.0} domains/s on a whole core",
                questions.len() as f64 / c,
                n as f64 / c
            )
        });
        println!(
            "| unbound's own ceiling: the {} questions of that run from a bare client, {in_flight} in flight | {:.2} s, **{rate:.0} answered q/s ≈ {:.0} domains/s** at {per_domain:.1} questions per domain; unbound CPU {cpu_bound}; {} of {} answered, {} sent again |",
            questions.len(),
            b.wall.as_secs_f64(),
            rate / per_domain,
            b.answered,
            questions.len(),
            b.resent,
        );
    }
    drop(served);

    // 2. A 20 ms path (10 ms each way) whose queue holds 100 datagrams, served at 20,000/s.
    let served = serve(n, Duration::ZERO).await;
    let shaper = Shaper::twenty_ms_queue_of_100(served.front.addr()).await;
    let dropped = shaper.dropped.clone();
    let addr = shaper.addr().to_string();
    tokio::task::block_in_place(|| {
        measure(
            "20 ms path, queue of 100 datagrams at 20,000/s",
            &mut || Some((addr.clone(), Box::new(()))),
            n,
            &served,
            runs,
        )
    });
    println!(
        "| (the path above) | {} datagrams dropped by the full queue over the runs |",
        dropped.load(std::sync::atomic::Ordering::Relaxed)
    );
    drop(shaper);
    drop(served);

    // 3. unbound (cold cache) rate-limiting its client to 1,000 queries/s (ip-ratelimit).
    let n = 200;
    let served = serve(n, Duration::ZERO).await;
    let front = served.front.addr();
    let mut limited = move || -> Option<Path> {
        let u = Unbound::start(front, Some(1000))?;
        Some((u.addr.to_string(), Box::new(u)))
    };
    tokio::task::block_in_place(|| {
        measure(
            "unbound with ip-ratelimit: 1000 (cold cache)",
            &mut limited,
            n,
            &served,
            runs,
        )
    });
    drop(served);

    // 4. A resolver slower than any first guess of the retransmission timer: every answer
    //    1.6 s late (tries given up at 1 s are answered after they were sent again).
    let n = 100;
    let served = serve(n, Duration::from_millis(1600)).await;
    let addr = served.front.addr().to_string();
    tokio::task::block_in_place(|| {
        measure(
            "a resolver answering everything in 1.6 s",
            &mut || Some((addr.clone(), Box::new(()))),
            n,
            &served,
            runs,
        )
    });
}
