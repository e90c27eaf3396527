//! An inspected message's facts as text sections: the verdict first (what a support person
//! reads), then authentication, then the Received chain.

use super::facts::{Item, Section};
use super::text::printable;
use crate::inspect::InspectFacts;

fn line(s: String) -> Item {
    Item::Line(printable(&s).into_owned())
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("(none)")
}

pub fn sections(f: &InspectFacts) -> Vec<Section> {
    let v = &f.verdict;
    let mut verdict = vec![line(format!("{}: {}", v.outcome, v.summary))];
    for r in &v.reasons {
        verdict.push(line(format!(
            "{}. [{}] {} — fix: {}",
            r.rank, r.code, r.why, r.fix
        )));
    }
    let mut auth = vec![line(format!(
        "{} ({} bytes, {} header fields{}{})",
        f.source,
        f.bytes,
        f.header_fields,
        if f.headers_only {
            "; headers only: DKIM body hashes not checked"
        } else {
            ""
        },
        if f.mbox_from.is_some() {
            "; mbox From line"
        } else {
            ""
        }
    ))];
    auth.push(line(format!(
        "From {} · Return-Path <{}> · Subject \"{}\" · Date {}",
        opt(&f.from),
        opt(&f.return_path),
        f.subject.as_deref().unwrap_or(""),
        opt(&f.date)
    )));
    for d in &f.dkim {
        auth.push(line(format!(
            "DKIM d={} s={} {}{}: {}{}; l={}; From signed: {}; h={}",
            d.domain,
            d.selector,
            d.algorithm,
            d.key_bits.map_or(String::new(), |b| format!(" {b} bits")),
            d.result,
            d.reason
                .as_deref()
                .map_or(String::new(), |x| format!(" ({x})")),
            d.body_length_limit
                .map_or("none".to_string(), |l| l.to_string()),
            if d.from_signed { "yes" } else { "no" },
            d.signed_headers.join(":")
        )));
    }
    if let Some(a) = &f.arc {
        auth.push(line(format!(
            "ARC: {}{} ({} sets{})",
            a.result,
            a.reason
                .as_deref()
                .map_or(String::new(), |x| format!(": {x}")),
            a.sets.len(),
            a.sets
                .iter()
                .map(|s| format!("; i={} d={} cv={}", s.instance, s.seal_domain, s.cv))
                .collect::<String>()
        )));
    }
    match (&f.sending_ip, &f.spf) {
        (Some(ip), Some(spf)) => auth.push(line(format!(
            "Sending IP {} (from {}{}); SPF {} for {} {}: {}",
            ip.ip,
            ip.source,
            ip.hop.map_or(String::new(), |h| format!(" hop {h}")),
            spf.result,
            spf.identity,
            spf.domain.as_deref().unwrap_or("(none)"),
            spf.decided_by
        ))),
        _ => auth.push(line(
            "Sending IP: not found (give --ip); SPF not evaluated".into(),
        )),
    }
    if let Some(d) = &f.dmarc {
        auth.push(line(format!(
            "DMARC for {}: {} (policy {} at {}; SPF aligned {}, DKIM aligned {}; adkim={} aspf={})",
            d.from_domain,
            d.result,
            d.policy.as_deref().unwrap_or("none"),
            d.policy_domain.as_deref().unwrap_or("(no record)"),
            d.spf_aligned,
            d.dkim_aligned,
            d.adkim,
            d.aspf
        )));
    }
    for ar in &f.auth_results {
        let results: Vec<String> = ar
            .parsed
            .results
            .iter()
            .map(|r| format!("{}={}", r.method, r.result))
            .collect();
        auth.push(line(format!(
            "{} by {}{}: {}",
            ar.field,
            ar.parsed
                .authserv_id
                .as_deref()
                .unwrap_or("(no authserv-id)"),
            if ar.trusted { " (trusted)" } else { "" },
            results.join(" ")
        )));
    }
    for c in &f.comparisons {
        auth.push(line(format!(
            "  {} {}: receiver {}, this check {}",
            c.method,
            c.subject.as_deref().unwrap_or(""),
            c.receiver,
            c.ours.as_deref().unwrap_or("(not checked)")
        )));
    }
    let mut hops = Vec::new();
    for h in &f.received.hops {
        let r = &h.received;
        let from = r.from.as_ref().map_or("?".to_string(), |x| {
            format!(
                "{}{}",
                x.helo.as_deref().or(x.rdns.as_deref()).unwrap_or("?"),
                x.ip.map_or(String::new(), |ip| format!(" [{ip}]"))
            )
        });
        let by =
            r.by.as_ref()
                .and_then(|b| b.host.clone())
                .unwrap_or_else(|| "?".into());
        hops.push(format!(
            "{:>2}  {} → {}  {}  {}  {}",
            h.index,
            from,
            by,
            r.date
                .as_ref()
                .map_or("(no date)".to_string(), |d| d.utc.clone()),
            h.delay_seconds.map_or("".to_string(), |d| format!("+{d}s")),
            match r.encrypted {
                Some(true) => r
                    .tls
                    .as_ref()
                    .and_then(|t| t.version.clone())
                    .unwrap_or_else(|| "TLS".into()),
                Some(false) => "no TLS".into(),
                None => "".into(),
            }
        ));
    }
    let hops: Vec<String> = hops
        .into_iter()
        .map(|h| printable(&h).into_owned())
        .collect();
    let mut received = Vec::new();
    if !hops.is_empty() {
        received.push(Item::Block(hops));
    }
    received.push(line(format!(
        "{} hops{}; total {}",
        f.received.hops.len(),
        if f.received.omitted > 0 {
            format!(" ({} more omitted)", f.received.omitted)
        } else {
            String::new()
        },
        f.received
            .total_seconds
            .map_or("unknown".to_string(), |t| format!("{t} s"))
    )));
    vec![
        Section {
            title: "Verdict",
            items: verdict,
        },
        Section {
            title: "Authentication",
            items: auth,
        },
        Section {
            title: "Received chain",
            items: received,
        },
    ]
}
