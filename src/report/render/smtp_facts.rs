//! The SMTP probe's facts as text sections (table and Markdown reporters): the prediction
//! first, then the session phase by phase, TLS and the certificate, and the transcript.

use super::facts::{Item, Section};
use super::text::printable;
use crate::smtp::SmtpFacts;

fn line(s: String) -> Item {
    Item::Line(printable(&s).into_owned())
}

pub fn sections(smtp: &SmtpFacts) -> Vec<Section> {
    let mut out = Vec::new();
    let p = &smtp.prediction;
    let mut items = vec![line(format!(
        "Verdict: {}",
        p.verdict.headline().to_uppercase()
    ))];
    if let Some(m) = &p.operator_message {
        let when = p
            .shown_after
            .as_deref()
            .map_or(String::new(), |w| format!(" ({w})"));
        items.push(line(format!("The operator would see: \"{m}\"{when}")));
    }
    for r in &p.reasons {
        items.push(line(format!("Why: {r}")));
    }
    out.push(Section {
        title: "SMTP prediction",
        items,
    });

    let plan = &smtp.plan;
    let mut items = Vec::new();
    let mode = if plan.implicit_tls {
        "implicit TLS".to_string()
    } else {
        format!("plaintext, then STARTTLS: {:?}", plan.starttls)
            .replace("IfAdvertised", "if advertised")
    };
    items.push(line(format!(
        "Endpoint {} ({mode}){}",
        smtp.endpoint,
        smtp.provider
            .map_or(String::new(), |p| format!("; provider {p}"))
    )));
    for r in &plan.reasons {
        items.push(line(format!("Plan: {r}")));
    }
    if !smtp.addresses.is_empty() {
        items.push(line(format!(
            "Addresses: {}{}",
            smtp.addresses.join(", "),
            smtp.connected_to
                .as_deref()
                .map_or(String::new(), |c| format!("; connected to {c}"))
        )));
    }
    if let Some(how) = &smtp.addresses_found_by {
        items.push(line(format!("Address found by: {how}")));
    }
    if let Some(b) = &smtp.banner {
        items.push(line(format!("Banner: {b}")));
    }
    if !smtp.ehlo.is_empty() {
        items.push(line(format!("EHLO: {}", smtp.ehlo.join(" "))));
    }
    if let Some(e) = &smtp.ehlo_after_starttls {
        items.push(line(format!("EHLO after STARTTLS: {}", e.join(" "))));
    }
    let mechs = |m: &Option<Vec<String>>| m.as_ref().map_or("none".to_string(), |v| v.join(" "));
    items.push(line(format!(
        "AUTH offered: before TLS {}; after STARTTLS {}; result: {}",
        mechs(&smtp.auth.offered_before_tls),
        mechs(&smtp.auth.offered_after_tls),
        if smtp.auth.result.is_empty() {
            "not reached"
        } else {
            &smtp.auth.result
        }
    )));
    if let (Some(from), reply) = (&smtp.mail_from, &smtp.mail_from_reply) {
        items.push(line(format!(
            "MAIL FROM:<{from}> → {}{}",
            reply.as_deref().unwrap_or("no reply"),
            if smtp.delivery.is_some() || smtp.rcpt_to.is_some() {
                ""
            } else {
                " (then RSET: nothing was sent)"
            }
        )));
    }
    if let Some(to) = &smtp.rcpt_to {
        items.push(line(format!(
            "RCPT TO:<{to}> → {} (then RSET: no DATA, nothing was sent)",
            smtp.rcpt_to_reply.as_deref().unwrap_or("no reply"),
        )));
    }
    if let Some(d) = &smtp.delivery {
        items.push(line(format!(
            "Delivery to <{}>: RCPT {}; final {}{}",
            d.to,
            d.rcpt_reply.as_deref().unwrap_or("not reached"),
            d.final_reply.as_deref().unwrap_or("not reached"),
            d.queue_id
                .as_deref()
                .map_or(String::new(), |q| format!(" (queue id {q})"))
        )));
    }
    let phases: Vec<String> = smtp
        .phases
        .iter()
        .map(|ph| format!("{} {:.0} ms: {}", ph.name, ph.elapsed_ms, ph.outcome))
        .collect();
    if !phases.is_empty() {
        items.push(Item::Block(
            phases.iter().map(|s| printable(s).into_owned()).collect(),
        ));
    }
    out.push(Section {
        title: "SMTP session",
        items,
    });

    if let Some(tls) = &smtp.tls {
        let mut items = vec![line(format!(
            "{} via {}: {}, {}; certificate checked for {} ({})",
            if tls.mode == "implicit" {
                "Implicit TLS"
            } else {
                "TLS"
            },
            tls.mode,
            tls.version,
            tls.cipher,
            tls.checked_name,
            match &tls.node_message {
                None => "trusted".to_string(),
                Some(m) if tls.verification_enabled => format!("refused: {m}"),
                Some(m) => format!("would be refused: {m}; verification is off"),
            }
        ))];
        items.push(line(format!("Trusted roots: {}", tls.trusted_roots)));
        for (i, c) in tls.chain.iter().enumerate().take(6) {
            items.push(line(format!(
                "Certificate {i}: {}; issuer {}; names [{}]; {} {} bits; {}; valid {} to {} ({} days left)",
                c.subject,
                c.issuer,
                c.san_dns.iter().chain(&c.san_ip).cloned().collect::<Vec<_>>().join(", "),
                c.key,
                c.key_bits.map_or("?".to_string(), |b| b.to_string()),
                c.signature_algorithm,
                c.not_before,
                c.not_after,
                c.days_left
            )));
        }
        out.push(Section {
            title: "TLS",
            items,
        });
    }
    let transcript: Vec<String> = smtp
        .transcript
        .iter()
        .map(|l| {
            let tag = match l.dir {
                crate::smtp::transcript::Direction::Client => "C:",
                crate::smtp::transcript::Direction::Server => "S:",
                crate::smtp::transcript::Direction::Event => "* ",
            };
            printable(&format!("{:>8.1} ms {tag} {}", l.at_ms, l.text)).into_owned()
        })
        .collect();
    if !transcript.is_empty() {
        out.push(Section {
            title: "SMTP transcript (credentials masked)",
            items: vec![Item::Block(transcript)],
        });
    }
    out
}
