//! A received message's facts as a text section (sink, inspect).

use super::facts::{Item, Section};
use super::text::printable;
use crate::sink::grade::ReceivedFacts;

fn line(s: String) -> Item {
    Item::Line(printable(&s).into_owned())
}

pub fn section(r: &ReceivedFacts) -> Section {
    let s = &r.session;
    let mut items = vec![
        line(format!(
            "From {} — \"{}\" ({} bytes; parts: {})",
            r.from.as_deref().unwrap_or("(none)"),
            r.subject.as_deref().unwrap_or(""),
            r.bytes,
            r.parts.join(", ")
        )),
        line(format!(
            "Session: from {} (HELO {}), {}, {}; MAIL FROM:<{}> RCPT TO:{}",
            s.peer,
            s.helo.as_deref().unwrap_or("none"),
            s.tls.as_deref().map_or("no TLS".to_string(), |t| format!(
                "TLS {}",
                t.trim_start_matches("TLS ")
            )),
            match (&s.auth_mechanism, &s.auth_user) {
                (Some(m), Some(u)) => format!("AUTH {m} as {u}"),
                _ => "no AUTH".to_string(),
            },
            s.mail_from,
            s.rcpt_to
                .iter()
                .map(|r| format!("<{r}>"))
                .collect::<Vec<_>>()
                .join(",")
        )),
    ];
    for d in &r.dkim {
        items.push(line(format!(
            "DKIM d={} s={} {}: {}{}",
            d.domain,
            d.selector,
            d.algorithm,
            d.result,
            d.reason
                .as_deref()
                .map_or(String::new(), |x| format!(" ({x})"))
        )));
    }
    if let Some(p) = &r.stored_as {
        items.push(line(format!("Stored as {p}")));
    }
    Section {
        title: "Received message",
        items,
    }
}
