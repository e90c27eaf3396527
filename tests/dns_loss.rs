//! DNS under loss: a loopback server (in-process) that drops a share of the queries, or
//! caps them per second, must not make the tool report its own lost queries as the
//! domains' `dns-timeout`. A batch audit at default flags gives the same report as a
//! lossless run; only a name the server never answers times out, after the budget.

mod common;

use mailpreflight::dns::parse_zone;
use mailpreflight::dns::server::{Fault, LocalDnsServer, ServerConfig};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const DOMAINS: usize = 40;
/// The name nobody answers (one domain's DMARC record).
const SILENT: &str = "_dmarc.d7.loss.test";

fn world() -> String {
    let mut z = String::from(
        "$ORIGIN loss.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n_spf IN TXT \"v=spf1 ip4:192.0.2.0/24 include:_n.loss.test ~all\"\n_n IN TXT \"v=spf1 ip4:198.51.100.0/24 ~all\"\n",
    );
    for i in 0..DOMAINS {
        z.push_str(&format!(
            "d{i} IN TXT \"v=spf1 a mx include:_spf.loss.test -all\"\nd{i} IN MX 10 mx.d{i}\nd{i} IN A 192.0.2.{i}\nmx.d{i} IN A 192.0.2.{}\n_dmarc.d{i} IN TXT \"v=DMARC1; p=reject; rua=mailto:r@d{i}.loss.test\"\n",
            i + 100
        ));
    }
    z
}

async fn serve(drop_rate: f64, max_qps: Option<u32>, silent: bool) -> LocalDnsServer {
    serve_with(drop_rate, max_qps, silent, Duration::ZERO).await
}

/// As [`serve`], every answer `delay` late.
async fn serve_with(
    drop_rate: f64,
    max_qps: Option<u32>,
    silent: bool,
    delay: Duration,
) -> LocalDnsServer {
    let zone = parse_zone(&world(), "loss.zone", None).unwrap();
    let mut faults = HashMap::new();
    if silent {
        faults.insert(SILENT.to_string(), Fault::Drop);
    }
    LocalDnsServer::start(ServerConfig {
        zones: vec![zone],
        authoritative_root: true,
        faults,
        drop_rate,
        max_qps,
        delay,
        ..ServerConfig::default()
    })
    .await
    .unwrap()
}

/// The batch audit at default flags (only the server and the list given).
fn audit(server: &LocalDnsServer, dir: &common::TempDir) -> (Value, Duration) {
    audit_first(DOMAINS, server, dir)
}

/// The batch audit of the first `count` domains.
fn audit_first(count: usize, server: &LocalDnsServer, dir: &common::TempDir) -> (Value, Duration) {
    let (out, took) = audit_as("json", count, server, dir);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    (v, took)
}

/// The batch audit of the first `count` domains in `format`.
fn audit_as(
    format: &str,
    count: usize,
    server: &LocalDnsServer,
    dir: &common::TempDir,
) -> (std::process::Output, Duration) {
    let list = dir.path().join("domains.txt");
    let text: String = (0..count).map(|i| format!("d{i}.loss.test\n")).collect();
    std::fs::write(&list, text).unwrap();
    let ns = server.addr().to_string();
    let started = Instant::now();
    let out = common::run(&[
        "dns",
        "--domains-file",
        list.to_str().unwrap(),
        "--nameserver",
        &ns,
        "--format",
        format,
    ]);
    (out, started.elapsed())
}

/// The report without what differs between two runs of the same audit: timings, the
/// network's counters of tries (the lookups, upstream questions, cache hits and duplicates
/// stay), and the order in which lookups finished (the query log's order and which of two
/// askers found the answer in the cache).
fn comparable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("elapsed_ms");
                map.remove("cached");
                map.values_mut().for_each(strip);
                if let Some(Value::Array(queries)) = map.get_mut("queries") {
                    queries.sort_by_key(|q| q.to_string());
                }
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let dns = v["dns"].as_object_mut().unwrap();
    for tries in ["sent", "retransmissions", "lost", "late"] {
        assert!(dns.remove(tries).is_some(), "no {tries} in {dns:?}");
    }
    strip(&mut v);
    v
}

fn timeouts(v: &Value) -> Vec<String> {
    v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == "dns-timeout")
        .map(|f| f["subject"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_queries_are_retried_not_reported() {
    let dir = common::TempDir::new("dns-loss");
    let clean = serve(0.0, None, false).await;
    let (lossless, _) = tokio::task::block_in_place(|| audit(&clean, &dir));
    assert!(timeouts(&lossless).is_empty());
    assert_eq!(lossless["dns"]["lost"], 0);

    // A tenth of the queries dropped (at random: ~1 lookup in a million loses all six
    // tries its budget leaves room for).
    let lossy = serve(0.1, None, false).await;
    let (v, took) = tokio::task::block_in_place(|| audit(&lossy, &dir));
    assert_eq!(timeouts(&v), Vec::<String>::new(), "{:#}", v["dns"]);
    assert!(v["dns"]["lost"].as_u64().unwrap() > 0, "{:#}", v["dns"]);
    assert!(v["dns"]["retransmissions"].as_u64().unwrap() > 0);
    assert_eq!(comparable(v.clone()), comparable(lossless.clone()));
    // Generous: 10× what a 5 s budget could ever need for 40 domains.
    assert!(took < Duration::from_secs(60), "{took:?}");
    // The run says what the resolver did: in the table and Markdown, on stderr for JSON lines.
    let (table, _) = tokio::task::block_in_place(|| audit_as("table", DOMAINS, &lossy, &dir));
    let note = "note: the resolver left ";
    assert!(
        common::stdout(&table).contains(note),
        "{}",
        common::stdout(&table)
    );
    let (md, _) = tokio::task::block_in_place(|| audit_as("markdown", DOMAINS, &lossy, &dir));
    assert!(
        common::stdout(&md).contains(note),
        "{}",
        common::stdout(&md)
    );
    let (lines, _) = tokio::task::block_in_place(|| audit_as("jsonl", DOMAINS, &lossy, &dir));
    assert!(
        common::stderr(&lines).contains(note),
        "{}",
        common::stderr(&lines)
    );
    assert!(!common::stdout(&lines).contains(note));

    // A resolver that answers 400 queries per second at most (~1,500 are asked).
    let capped = serve(0.0, Some(400), false).await;
    let (v, _) = tokio::task::block_in_place(|| audit(&capped, &dir));
    assert_eq!(timeouts(&v), Vec::<String>::new(), "{:#}", v["dns"]);
    // The cap was met (the first window alone is over it), and paced to.
    assert!(v["dns"]["lost"].as_u64().unwrap() > 0, "{:#}", v["dns"]);
    assert_eq!(comparable(v), comparable(lossless));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_name_never_answered_times_out() {
    let dir = common::TempDir::new("dns-silent");
    let server = serve(0.1, None, true).await;
    let (v, took) = tokio::task::block_in_place(|| audit(&server, &dir));
    // Given up only after the lookup's whole budget (5 s), not after a try's timeout.
    assert!(took >= Duration::from_secs(5), "{took:?}");
    let timed_out = timeouts(&v);
    assert!(!timed_out.is_empty());
    assert!(
        timed_out.iter().all(|s| s == SILENT),
        "only {SILENT} may time out: {timed_out:?}"
    );
}

/// A resolver slower than any retransmission timer's first guess (1.6 s for every answer,
/// as a far-away or overloaded recursive resolver): the answer to an earlier try is taken
/// when it comes, even after the try was given up and sent again, so nothing times out
/// within the 5 s budget; the late answers teach the timer the server's round trip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_s_late_answers_are_taken() {
    let dir = common::TempDir::new("dns-slow");
    let domains = 3;
    let clean = serve(0.0, None, false).await;
    let (quick, _) = tokio::task::block_in_place(|| audit_first(domains, &clean, &dir));
    let slow = serve_with(0.0, None, false, Duration::from_millis(1600)).await;
    let (v, _) = tokio::task::block_in_place(|| audit_first(domains, &slow, &dir));
    assert_eq!(timeouts(&v), Vec::<String>::new(), "{:#}", v["dns"]);
    // The first tries were given up (the timer starts at 1 s), yet answered late.
    assert!(v["dns"]["lost"].as_u64().unwrap() > 0, "{:#}", v["dns"]);
    assert!(v["dns"]["late"].as_u64().unwrap() > 0, "{:#}", v["dns"]);
    assert_eq!(comparable(v), comparable(quick));
}
