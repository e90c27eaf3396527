//! DNS audit throughput, latency and memory, against synthetic domains served on loopback.
//!
//!     cargo bench --bench dns_throughput            # everything (about a minute)
//!     cargo bench --bench dns_throughput -- single  # or: batch, memory
//!     cargo bench --bench dns_throughput -- serve 1000 20   # serve the world for profiling
//!
//! The domains have realistic SPF include chains (a per-domain include and a shared
//! ESP include that itself includes two netblock records), a 2048-bit DKIM key at `s1`,
//! DMARC, MX with an address, MTA-STS and TLS-RPT. They are served by the project's
//! in-process DNS server (hickory-server) behind a replaying front (`replay.rs`: a warm-up
//! run records the server's answers, the measured run is answered from them, so the
//! server's own CPU does not compete with the audit), with a per-answer delay standing in
//! for the round-trip time; the audited binary is the release build, run as a child process.
//! Each batch scenario is measured several times ([`RUNS`]) and reported as the median with
//! the range: this VM's speed drifts from run to run. Results are printed as Markdown rows
//! for BENCHMARKS.md.

mod blast;
mod load;
mod replay;
mod shaper;

use mailpreflight::dns::server::{LocalDnsServer, ServerConfig};
use mailpreflight::dns::{Rdata, Zone, ZoneRecord};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Dependent lookup rounds of one synthetic domain: apex TXT → ESP include → netblock include.
const ROUNDS: u32 = 3;
const ESPS: usize = 5;

fn txt(s: &str) -> Rdata {
    Rdata::Txt {
        strings: s.as_bytes().chunks(255).map(<[u8]>::to_vec).collect(),
    }
}

fn record(name: String, data: Rdata) -> ZoneRecord {
    ZoneRecord {
        name,
        ttl: 300,
        data,
        line: 0,
    }
}

pub fn world(domains: usize) -> Zone {
    let key = include_str!("../../fixtures/bench/dkim-2048.pub.b64").trim();
    let mut records = Vec::with_capacity(domains * 10 + ESPS * 3);
    for j in 0..ESPS {
        records.push(record(
            format!("_spf.esp{j}.test"),
            txt(&format!(
                "v=spf1 include:_n1.esp{j}.test include:_n2.esp{j}.test ~all"
            )),
        ));
        records.push(record(
            format!("_n1.esp{j}.test"),
            txt("v=spf1 ip4:203.0.113.0/24 ip6:2001:db8::/32 ~all"),
        ));
        records.push(record(
            format!("_n2.esp{j}.test"),
            txt("v=spf1 ip4:198.51.100.0/24 ~all"),
        ));
    }
    for i in 0..domains {
        let d = format!("d{i}.test");
        records.push(record(
            d.clone(),
            txt(&format!(
                "v=spf1 ip4:192.0.2.{}/32 include:_spf.{d} include:_spf.esp{}.test -all",
                i % 250,
                i % ESPS
            )),
        ));
        records.push(record(
            d.clone(),
            Rdata::Mx {
                preference: 10,
                exchange: format!("mx.{d}"),
            },
        ));
        records.push(record(
            format!("mx.{d}"),
            Rdata::A {
                address: [192, 0, 2, 25].into(),
            },
        ));
        records.push(record(
            format!("_spf.{d}"),
            txt("v=spf1 ip4:198.51.100.7 -all"),
        ));
        records.push(record(
            format!("s1._domainkey.{d}"),
            txt(&format!("v=DKIM1; k=rsa; p={key}")),
        ));
        records.push(record(
            format!("_dmarc.{d}"),
            txt(&format!("v=DMARC1; p=reject; rua=mailto:dmarc@{d}")),
        ));
        records.push(record(
            format!("_mta-sts.{d}"),
            txt("v=STSv1; id=20260101T000000"),
        ));
        records.push(record(
            format!("_smtp._tls.{d}"),
            txt(&format!("v=TLSRPTv1; rua=mailto:tls@{d}")),
        ));
    }
    records.push(record(
        "test".into(),
        Rdata::Soa {
            mname: "ns.test".into(),
            rname: "hostmaster.test".into(),
            serial: 1,
            minimum: 300,
        },
    ));
    Zone {
        origin: "test".into(),
        file: "bench".into(),
        records,
    }
}

struct Run {
    wall: Duration,
    /// User + system CPU time of the audited process.
    cpu: Duration,
    max_rss_kib: i64,
    ok: bool,
}

/// Run the release binary and wait for it with wait4, for its CPU time.
///
/// Peak RSS is read from the child's own `/proc/PID/status` (VmHWM), polled while it runs:
/// wait4's `ru_maxrss` is no good here, because Linux carries the parent's high-water mark
/// into the child across the vfork+exec that spawns it (`exec_mmap` keeps the old mm's
/// maximum), so it reports at least the bench's own RSS: the DNS server and its zones.
fn run_binary(args: &[String]) -> Run {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_mailpreflight"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn mailpreflight");
    let pid = child.id() as libc::pid_t;
    let watcher = std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        let mut peak = 0i64;
        // Stops when the child has exited (a zombie has no VmHWM) or was reaped.
        while let Some(kib) = std::fs::read_to_string(&path).ok().and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<i64>().ok()
        }) {
            peak = peak.max(kib);
            std::thread::sleep(Duration::from_millis(2));
        }
        peak
    });
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // WNOWAIT first: the child stays a zombie until the watcher has seen it exit, so that
    // its PID cannot be reused under the watcher.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child, with valid pointers to locals.
    unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        )
    };
    let wall = started.elapsed();
    let max_rss_kib = watcher.join().unwrap_or(0);
    // SAFETY: as above; reaps the child.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    std::mem::forget(child); // already reaped by wait4
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Run {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib,
        ok: waited == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) <= 1,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn audit_args(ns: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "dns",
        "--nameserver",
        ns,
        "--timeout",
        "3s",
        "--retries",
        "0",
        "--selector",
        "s1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn domains_file(n: usize) -> tempfile_path::TempPath {
    let text: String = (0..n).map(|i| format!("d{i}.test\n")).collect();
    tempfile_path::TempPath::write(&text)
}

/// A tiny temp-file helper (no extra dependency).
mod tempfile_path {
    pub struct TempPath(pub std::path::PathBuf);
    impl TempPath {
        pub fn write(text: &str) -> TempPath {
            let path = std::env::temp_dir()
                .join(format!("mailpreflight-bench-{}.txt", std::process::id()));
            std::fs::write(&path, text).expect("write domains file");
            TempPath(path)
        }
        pub fn as_str(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// The world served by hickory-server, behind the replaying front that adds the delay.
struct Served {
    _server: LocalDnsServer,
    front: replay::Replay,
}

impl Served {
    fn nameserver(&self) -> String {
        self.front.addr().to_string()
    }

    /// One unmeasured run to record the server's answers, then counts from zero.
    fn warm_up(&self, args: &[String]) {
        let r = run_binary(args);
        assert!(r.ok, "warm-up audit failed");
        self.front.reset();
    }
}

async fn serve(domains: usize, rtt: Duration) -> Served {
    let server = LocalDnsServer::start(ServerConfig {
        zones: vec![world(domains)],
        authoritative_root: true,
        ..ServerConfig::default()
    })
    .await
    .expect("start DNS server");
    let front = replay::Replay::start(server.addr(), rtt).expect("start the replaying front");
    Served {
        _server: server,
        front,
    }
}

/// User + system CPU time of this (the bench's) process so far: the DNS server's work.
fn own_cpu() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a local.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Questions at the front since the warm-up, repeated (name, type) among them, and a note
/// when some were not replayed (the run then also measured hickory-server).
fn duplicates(served: &Served) -> (u64, u64, String) {
    let c = served.front.counts();
    let note = match (c.passed_on, c.tcp_connections) {
        (0, 0) => String::new(),
        (p, t) => format!(" ({p} not replayed, {t} TCP connections passed through)"),
    };
    (c.queries, c.duplicates, note)
}

async fn single() {
    let starts: Vec<Duration> = (0..15)
        .map(|_| run_binary(&["--version".to_string()]).wall)
        .collect();
    let start = median(starts);
    let rtt = Duration::from_millis(20);
    let served = serve(10, rtt).await;
    let ns = served.nameserver();
    served.warm_up(&audit_args(&ns, &["d1.test", "--format", "json"]));
    let runs: Vec<Duration> = (0..15)
        .map(|_| {
            let r = run_binary(&audit_args(&ns, &["d1.test", "--format", "json"]));
            assert!(r.ok, "audit failed");
            r.wall
        })
        .collect();
    let wall = median(runs);
    let floor = rtt * ROUNDS;
    println!(
        "| one domain, 20 ms RTT | median wall {:.1} ms; floor {} rounds × 20 ms = {} ms; process start {:.1} ms; ratio wall / (floor + start) = {:.2} |",
        wall.as_secs_f64() * 1e3,
        ROUNDS,
        floor.as_millis(),
        start.as_secs_f64() * 1e3,
        wall.as_secs_f64() / (floor + start).as_secs_f64()
    );
}

/// Measured runs per scenario: this VM's speed drifts from run to run (±25% for the same
/// binary), so each figure is the median of several runs, with the range.
const RUNS: usize = 7;
const MEMORY_RUNS: usize = 3;

/// Measured jsonl runs over `n` domains (after one warm-up run), and what they cost.
struct Measured {
    runs: Vec<Run>,
    /// The DNS server's CPU time (the bench process's own) during each run.
    server_cpu: Vec<Duration>,
    /// Questions at the server in one run (the same in every run).
    queries: u64,
    /// The most repeated (name, type) questions seen in any one run.
    duplicates: u64,
    note: String,
}

impl Measured {
    fn median_run(&self) -> &Run {
        let mut by_wall: Vec<&Run> = self.runs.iter().collect();
        by_wall.sort_by_key(|r| r.wall);
        by_wall[by_wall.len() / 2]
    }
    fn walls(&self) -> (Duration, Duration) {
        let walls = self.runs.iter().map(|r| r.wall);
        (walls.clone().min().unwrap(), walls.max().unwrap())
    }
    fn peak_rss_mib(&self) -> f64 {
        self.runs.iter().map(|r| r.max_rss_kib).max().unwrap_or(0) as f64 / 1024.0
    }
    /// `median 0.22 s, 4545 domains/s (7 runs: 0.21–0.24 s, 4167–4762/s); audit CPU …`.
    fn summary(&self, n: usize) -> String {
        let m = self.median_run();
        let (fastest, slowest) = self.walls();
        let rate = |d: Duration| n as f64 / d.as_secs_f64();
        format!(
            "median {:.3} s, **{:.0} domains/s** ({} runs: {:.3}–{:.3} s, {:.0}–{:.0}/s); audit process CPU {:.3} s in the median run (DNS server {:.3} s)",
            m.wall.as_secs_f64(),
            rate(m.wall),
            self.runs.len(),
            fastest.as_secs_f64(),
            slowest.as_secs_f64(),
            rate(slowest),
            rate(fastest),
            m.cpu.as_secs_f64(),
            median(self.server_cpu.clone()).as_secs_f64(),
        )
    }
}

async fn measure(n: usize, rtt: Duration, concurrency: usize, runs: usize) -> Measured {
    let served = serve(n, rtt).await;
    let ns = served.nameserver();
    let list = domains_file(n);
    let conc = concurrency.to_string();
    let args = audit_args(
        &ns,
        &[
            "--domains-file",
            list.as_str(),
            "--concurrency",
            &conc,
            "--format",
            "jsonl",
        ],
    );
    served.warm_up(&args);
    let mut measured = Measured {
        runs: Vec::new(),
        server_cpu: Vec::new(),
        queries: 0,
        duplicates: 0,
        note: String::new(),
    };
    for _ in 0..runs {
        served.front.reset();
        let cpu_before = own_cpu();
        let run = run_binary(&args);
        measured.server_cpu.push(own_cpu() - cpu_before);
        assert!(run.ok, "the audit of {n} domains failed");
        let (queries, duplicates, note) = duplicates(&served);
        measured.queries = queries;
        measured.duplicates = measured.duplicates.max(duplicates);
        if measured.note.is_empty() {
            measured.note = note;
        }
        measured.runs.push(run);
    }
    measured
}

async fn batch(n: usize, rtt_ms: u64, concurrency: usize) {
    let m = measure(n, Duration::from_millis(rtt_ms), concurrency, RUNS).await;
    println!(
        "| {n} domains, {rtt_ms} ms RTT, --concurrency {concurrency} | {}; {} queries at the server per run{}, {} duplicate (name, type); peak RSS {:.1} MiB |",
        m.summary(n),
        m.queries,
        m.note,
        m.duplicates,
        m.peak_rss_mib()
    );
}

async fn memory() {
    let n = 10_000;
    let m = measure(n, Duration::ZERO, 256, MEMORY_RUNS).await;
    println!(
        "| {n} domains, jsonl, 0 ms RTT, --concurrency 256 | **peak RSS {:.1} MiB** (highest of the runs); {}; {} queries per run{}, {} duplicate (name, type) |",
        m.peak_rss_mib(),
        m.summary(n),
        m.queries,
        m.note,
        m.duplicates
    );
}

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| which.is_empty() || which.iter().any(|w| w == name || w == "all");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    if which.first().map(String::as_str) == Some("serve") {
        // Serve the synthetic world until stdin closes, for profiling the binary by hand;
        // `serve N 0 shaped`: behind the load scenario's shaping path (20 ms, a queue of 100).
        let n: usize = which.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
        let rtt: u64 = which.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
        let shaped = which.get(3).is_some_and(|s| s == "shaped");
        runtime.block_on(async {
            let served = serve(n, Duration::from_millis(rtt)).await;
            let shaper = if shaped {
                Some(shaper::Shaper::twenty_ms_queue_of_100(served.front.addr()).await)
            } else {
                None
            };
            let list = std::env::temp_dir().join(format!("mailpreflight-bench-{n}.txt"));
            let text: String = (0..n).map(|i| format!("d{i}.test\n")).collect();
            std::fs::write(&list, text).expect("write domains file");
            let nameserver = shaper
                .as_ref()
                .map_or_else(|| served.nameserver(), |s| s.addr().to_string());
            println!("nameserver {nameserver} domains-file {}", list.display());
            let _ = tokio::task::spawn_blocking(|| {
                let mut sink = String::new();
                let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut sink);
            })
            .await;
            let (queries, dupes, note) = duplicates(&served);
            println!("{queries} queries{note}, {dupes} duplicate (name, type)");
            if let Some(path) = shaper {
                let dropped = path.dropped.load(std::sync::atomic::Ordering::Relaxed);
                println!("{dropped} datagrams dropped by the full queue");
            }
        });
        return;
    }
    println!("| scenario | result |\n|---|---|");
    runtime.block_on(async {
        if want("single") {
            single().await;
        }
        if want("batch") {
            batch(1000, 20, 256).await;
            // At 0 ms there is no latency to hide: the default concurrency (32) keeps the
            // domains in flight within the caches and costs less CPU per domain than 256.
            batch(1000, 0, 32).await;
            batch(1000, 0, 256).await;
        }
        if want("memory") {
            memory().await;
        }
        if want("load") {
            load::scenarios().await;
        }
    });
}
