//! The test passcode mail's facts as a text section (table and Markdown reporters).

use super::facts::{Item, Section};
use super::text::printable;
use crate::passcode::MessageFacts;

fn line(s: String) -> Item {
    Item::Line(printable(&s).into_owned())
}

pub fn section(m: &MessageFacts) -> Section {
    let mut items = vec![
        line(format!(
            "{} template, code {}: \"{}\" from {} to {} ({}, {} bytes)",
            m.usage_type, m.code, m.subject, m.from, m.to, m.content_type, m.bytes
        )),
        line(format!("Message-ID {}", m.message_id)),
    ];
    match (&m.dkim, &m.unsigned_reason) {
        (Some(d), _) => {
            items.push(line(format!(
                "DKIM: {} d={} s={} ({}{}; from {}); {} with the From domain",
                d.algorithm,
                d.domain,
                d.selector,
                if d.algorithm.starts_with("rsa") {
                    "RSA"
                } else {
                    "Ed25519"
                },
                d.key_bits.map_or(String::new(), |b| format!(" {b} bits")),
                d.key_source,
                if d.aligned_with_from {
                    "aligned"
                } else {
                    "not aligned"
                }
            )));
            for v in &d.verification {
                items.push(line(format!(
                    "Verified against DNS before sending: {} (key lookup {}){}",
                    v.result,
                    v.key_lookup,
                    v.reason
                        .as_deref()
                        .map_or(String::new(), |r| format!(": {r}"))
                )));
            }
            items.push(line(format!(
                "Record to publish at {}._domainkey.{}: {}",
                d.selector, d.domain, d.public_record
            )));
        }
        (None, Some(why)) => items.push(line(format!("Not signed: {why}"))),
        (None, None) => {}
    }
    if let Some(path) = &m.written_to {
        items.push(line(format!(
            "Written to {path} (dry run: nothing was sent)"
        )));
    }
    Section {
        title: "Test passcode mail",
        items,
    }
}
