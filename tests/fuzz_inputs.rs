//! Bounded mutation fuzzing of the three readers of hostile files: zone files, connector
//! configs and received messages. Byte-level mutations of the fixtures (flipped bits, stray
//! non-ASCII bytes and Unicode white space, spliced lines, one huge token), a fixed seed and
//! a fixed count, so that CI runs the same few thousand cases every time, in seconds.
//!
//! Every case must end quickly (a per-case bound) with a result or an input error that
//! names the file, line and column; a panic fails the test. A failing case is written to
//! target/fuzz-failures/ so that it can be kept under fixtures/regress/ with a test of its own
//! (tests/regress.rs). `FUZZ_CASES=N` scales the counts up for a longer local run.

use mailpreflight::check::CheckOptions;
use mailpreflight::dns::{Dns, DnsConfig, parse_zone_bytes};
use mailpreflight::inspect::{InspectOptions, inspect};
use mailpreflight::passcode::{lint, render};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The longest one case may take, in a debug build on a busy 2-core machine. The inputs
/// that hung took 10 s to forever; a healthy case takes milliseconds.
const PER_CASE: Duration = Duration::from_secs(2);
/// A case still running after this is taken for a hang: the watchdog keeps it and ends the
/// process, since a looping case cannot be stopped from outside.
const HANG: Duration = Duration::from_secs(6);

/// Or grows the process past this much memory (the zone lexer's loop grew by ~0.5 GiB/s).
const MAX_RESIDENT: u64 = 2 << 30;

/// Resident memory, from /proc on Linux (where CI runs); elsewhere not watched.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The case in progress, for the watchdog: its name, its input and when it started.
struct Current {
    name: String,
    data: Vec<u8>,
    started: Instant,
    done: bool,
}

fn failure_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Ends the process when the current case runs past [`HANG`] or the process past
/// [`MAX_RESIDENT`], after keeping the case's input.
fn watchdog(current: std::sync::Arc<std::sync::Mutex<Current>>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let Ok(c) = current.lock() else { return };
            if c.done {
                return;
            }
            let huge = resident_bytes().is_some_and(|b| b > MAX_RESIDENT);
            if c.started.elapsed() > HANG || huge {
                let kept = failure_dir().join(&c.name);
                let _ = std::fs::write(&kept, &c.data);
                eprintln!(
                    "{} hangs (over {HANG:?} or {} MiB); kept as {}",
                    c.name,
                    MAX_RESIDENT >> 20,
                    kept.display()
                );
                std::process::exit(101);
            }
        }
    });
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Characters that stopped or slowed a reader once, and others of their kind.
const STRAY: &[&str] = &[
    "\u{a0}", "\u{2028}", "\u{3000}", "\u{85}", "\u{b}", "\u{c}", "\0", "é", "€", "\u{feff}", "\\",
    "\"", "(", ")", ";", "$", "{{", "}}", "<", "[", "{",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if data.is_empty() {
            data.push(b'x');
        }
        let at = rng.below(data.len());
        match rng.below(7) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data.insert(at, 0x80 + rng.below(128) as u8),
            2 => {
                let s = STRAY[rng.below(STRAY.len())].as_bytes();
                data.splice(at..at, s.iter().copied());
            }
            3 => {
                // Splice: a copy of one line inserted before another.
                let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
                let from = lines[rng.below(lines.len())].to_vec();
                let to = rng.below(lines.len());
                let mut out = Vec::with_capacity(data.len() + from.len() + 1);
                for (i, line) in lines.iter().enumerate() {
                    if i == to {
                        out.extend_from_slice(&from);
                        out.push(b'\n');
                    }
                    out.extend_from_slice(line);
                    if i + 1 < lines.len() {
                        out.push(b'\n');
                    }
                }
                data = out;
            }
            4 => {
                let from = rng.below(data.len());
                let end = (from + 1 + rng.below(40)).min(data.len());
                let chunk = data[from..end].to_vec();
                data.splice(at..at, chunk);
            }
            5 => {
                data.truncate(at);
            }
            _ => {
                // One huge token: a run of one character, 1,000 to 60,000 long.
                let c = b"a1\"{[(\\<. "[rng.below(10)];
                let len = 1_000 + rng.below(59_000);
                data.splice(at..at, std::iter::repeat_n(c, len));
            }
        }
    }
    data
}

fn cases(default: usize) -> usize {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            // The kept cases are tested one by one (tests/regress.rs), not mutated again.
            if p.is_dir() && !p.ends_with("regress") {
                walk(&p, ext, out);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
        ext,
        &mut out,
    );
    out.sort();
    assert!(!out.is_empty(), "no *.{ext} under {dir}");
    out
}

/// Runs `case` on every mutated input; keeps what failed (slow or panicked) for a fixture.
fn fuzz(
    kind: &str,
    seed: u64,
    count: usize,
    corpus: &[PathBuf],
    mut case: impl FnMut(&[u8], &str),
) {
    let inputs: Vec<Vec<u8>> = corpus.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let started = Instant::now();
    let current = std::sync::Arc::new(std::sync::Mutex::new(Current {
        name: String::new(),
        data: Vec::new(),
        started,
        done: false,
    }));
    watchdog(current.clone());
    for n in 0..count {
        let which = rng.below(inputs.len());
        let data = mutate(&mut rng, &inputs[which]);
        let name = format!("{kind}-{seed}-{n}");
        if let Ok(mut c) = current.lock() {
            c.name = name.clone();
            c.data = data.clone();
            c.started = Instant::now();
        }
        let t = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&data, &name)));
        let took = t.elapsed();
        if outcome.is_err() || took > PER_CASE {
            let kept = failure_dir().join(&name);
            let _ = std::fs::write(&kept, &data);
            let why = if outcome.is_err() {
                "panicked"
            } else {
                "too slow"
            };
            failures.push(format!(
                "{name} (from {}): {why} after {took:?}, kept as {}",
                corpus[which].display(),
                kept.display()
            ));
        }
    }
    if let Ok(mut c) = current.lock() {
        c.done = true;
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{kind}: {count} cases in {:?}", started.elapsed());
}

fn offline(zones: Vec<mailpreflight::dns::Zone>) -> Dns {
    Dns::new(DnsConfig {
        nameservers: Vec::new(),
        timeout: Duration::from_millis(200),
        attempts: 1,
        zones,
        offline: true,
    })
    .expect("an offline DNS layer")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn mutated_zone_files_end_in_a_zone_or_a_positioned_error() {
    let corpus = files("fixtures/zones", "zone");
    let rt = runtime();
    let mut audited = 0;
    fuzz("zone", 0x5EED_2016, cases(1500), &corpus, |data, name| {
        match parse_zone_bytes(data, name, None) {
            Err(e) => {
                let lines = data.split(|&b| b == b'\n').count();
                assert_eq!(e.file, name);
                assert!((1..=lines + 1).contains(&e.line), "{e}");
                assert!(e.column >= 1 && !e.message.is_empty(), "{e}");
                assert!(
                    e.to_string()
                        .starts_with(&format!("{name}:{}:{}: ", e.line, e.column))
                );
            }
            // What parses is answered: one in three is audited offline, end to end.
            Ok(zone) => {
                audited += 1;
                if audited % 3 == 0 {
                    let origin = zone.origin.clone();
                    let dns = offline(vec![zone]);
                    let report = rt.block_on(mailpreflight::domain_audit::audit_domain(
                        &dns,
                        &origin,
                        &CheckOptions::default(),
                    ));
                    assert_eq!(report.domain, origin);
                }
            }
        }
    });
}

#[test]
fn mutated_connector_configs_end_in_findings_or_a_positioned_error() {
    let mut corpus = files("fixtures/configs", "json");
    corpus.extend(files("fixtures/connectors", "json"));
    fuzz("config", 0xC0_4F16, cases(1200), &corpus, |data, name| {
        let text = String::from_utf8_lossy(data);
        match mailpreflight::connectors::kind_of(name, &text, None) {
            Ok(mailpreflight::connectors::Kind::Smtp) | Err(_) => {
                match mailpreflight::config::parse(name, data, &Default::default()) {
                    Ok(loaded) => {
                        // What the audit does next with the templates: lint and render.
                        let _ = lint::lint(&loaded.config.templates, None);
                        for t in &loaded.config.templates {
                            let _ = render::render(
                                t.content.as_deref().unwrap_or(""),
                                &Default::default(),
                            );
                        }
                    }
                    Err(e) => {
                        let shown = e.to_string();
                        assert!(shown.starts_with(name), "{shown}");
                        // Too large is a property of the whole file; all else has a place.
                        assert!(
                            e.position.is_some() || shown.contains("larger than"),
                            "no line:column: {shown}"
                        );
                    }
                }
            }
            Ok(kind) => {
                if let Ok(checked) = mailpreflight::connectors::check(name, &text, kind) {
                    // A From domain handed to the DNS audit is a valid name.
                    if let Some(d) = &checked.from_domain {
                        assert!(
                            mailpreflight::dns::name::validate_dns_name(d).is_ok(),
                            "{d}"
                        );
                    }
                }
            }
        }
    });
}

#[test]
fn mutated_messages_end_in_findings() {
    let corpus = files("fixtures", "eml");
    let zones = files("fixtures/zones/dkim", "zone")
        .iter()
        .take(3)
        .map(|p| parse_zone_bytes(&std::fs::read(p).unwrap(), "z", None).unwrap())
        .collect();
    let dns = offline(zones);
    let rt = runtime();
    fuzz("message", 0xE_3A11, cases(600), &corpus, |data, name| {
        let (_findings, facts) =
            rt.block_on(inspect(&dns.view(), name, data, &InspectOptions::default()));
        assert_eq!(facts.source, name);
    });
}
