//! `mailpreflight inspect MESSAGE`: a received message, for a support person asking why it
//! landed in spam. Input → identities (From, Return-Path, the sending IP from the Received
//! chain) → checks (DKIM and ARC against DNS, SPF, DMARC, the receiver's own
//! Authentication-Results compared with ours) → findings, ranked into a verdict.
//!
//! The parsers are the pure ones of `crate::message`; the DNS-bound checks reuse the
//! project's own (SPF `check_host`, DMARC discovery, mail-auth fed by our DNS layer).

pub mod auth;
pub mod codes;
pub mod identity;
pub mod verdict;

use crate::dkim::verify_mail::{self, ArcCheck, SignatureCheck};
use crate::dns::DnsView;
use crate::message::auth_results::ReceivedSpf;
use crate::message::headers::{self, Defect, LineEndings};
use crate::message::received::{self, Chain};
use crate::report::Finding;
use crate::sink::grade::{self, domain_of};
use serde::Serialize;
use std::net::IpAddr;

/// MIME multipart nesting deeper than this is not inspected (real mail nests 3 or 4 deep).
pub const MAX_MIME_DEPTH: usize = 20;
/// RFC 5322 2.1.1: a line is at most 998 bytes (without CRLF).
pub const MAX_LINE: usize = 998;
/// A hop slower than this can make a passcode expire on the way.
pub const SLOW_HOP_SECONDS: i64 = 300;

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct InspectOptions {
    /// Only Authentication-Results with one of these authserv-ids are trusted (lower-case).
    pub trusted_authserv: Vec<String>,
    /// The connecting IP, instead of the one found in the Received chain.
    pub ip: Option<IpAddr>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InspectFacts {
    /// The file name, or `standard input`.
    pub source: String,
    pub bytes: usize,
    /// No blank line and no body: headers pasted from a webmail view.
    pub headers_only: bool,
    pub line_endings: LineEndings,
    pub mbox_from: Option<String>,
    pub header_fields: usize,
    pub defects: Vec<Defect>,
    pub from: Option<String>,
    pub from_domain: Option<String>,
    /// The topmost Return-Path (`""` for `<>`).
    pub return_path: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub date: Option<String>,
    pub parts: Vec<String>,
    pub dkim: Vec<SignatureCheck>,
    pub arc: Option<ArcCheck>,
    pub auth_results: Vec<auth::AuthResultsFact>,
    pub comparisons: Vec<auth::Comparison>,
    pub received_spf: Vec<ReceivedSpf>,
    pub received: Chain,
    pub sending_ip: Option<identity::SendingIp>,
    pub spf: Option<identity::SpfFact>,
    pub dmarc: Option<identity::DmarcFact>,
    pub verdict: verdict::Verdict,
}

/// Depth of the MIME tree (1 for a single-part message).
fn mime_depth(m: &mail_parser::Message) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(0usize, 1usize)];
    let mut visited = 0;
    while let Some((id, depth)) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            break;
        }
        deepest = deepest.max(depth);
        if let Some(part) = m.parts.get(id)
            && let mail_parser::PartType::Multipart(children) = &part.body
        {
            stack.extend(children.iter().map(|c| (*c as usize, depth + 1)));
        }
    }
    deepest
}

fn empty_facts(source: &str, input: &[u8]) -> InspectFacts {
    InspectFacts {
        source: source.to_string(),
        bytes: input.len(),
        headers_only: false,
        line_endings: LineEndings::None,
        mbox_from: None,
        header_fields: 0,
        defects: Vec::new(),
        from: None,
        from_domain: None,
        return_path: None,
        subject: None,
        message_id: None,
        date: None,
        parts: Vec::new(),
        dkim: Vec::new(),
        arc: None,
        auth_results: Vec::new(),
        comparisons: Vec::new(),
        received_spf: Vec::new(),
        received: Chain::default(),
        sending_ip: None,
        spf: None,
        dmarc: None,
        verdict: verdict::Verdict::default(),
    }
}

/// Inspects one message. Never fails: what cannot be read becomes a finding.
pub async fn inspect(
    view: &DnsView,
    source: &str,
    input: &[u8],
    opts: &InspectOptions,
) -> (Vec<Finding>, InspectFacts) {
    let mut findings = Vec::new();
    let mut facts = empty_facts(source, input);
    let msg = match headers::parse(input) {
        Ok(m) => m,
        Err(e) => {
            findings.push(Finding::new(
                &codes::OVER_LIMIT,
                source,
                format!("{source}: {e}"),
            ));
            facts.verdict = verdict::verdict(&findings, None);
            return (findings, facts);
        }
    };
    facts.headers_only = msg.body.is_none();
    facts.line_endings = msg.line_endings;
    facts.mbox_from = msg.mbox_from.clone();
    facts.header_fields = msg.fields.len();
    facts.defects = msg.defects.clone();
    if let Some(f) = msg.fields.iter().find(|f| {
        f.raw
            .split(|b| *b == b'\n')
            .any(|l| l.strip_suffix(b"\r").unwrap_or(l).len() > MAX_LINE)
    }) {
        findings.push(Finding::new(
            &codes::LINE_TOO_LONG,
            f.name.clone(),
            format!(
                "the {} field (byte {}) has a line over {MAX_LINE} bytes",
                f.name, f.offset
            ),
        ));
    }
    let parsed = mail_parser::MessageParser::default().parse(input);
    if let Some(m) = &parsed {
        let depth = mime_depth(m);
        if depth > MAX_MIME_DEPTH {
            findings.push(Finding::new(
                &codes::OVER_LIMIT,
                source,
                format!("MIME parts nested {depth} deep (at most {MAX_MIME_DEPTH} are inspected)"),
            ));
            facts.verdict = verdict::verdict(&findings, None);
            return (findings, facts);
        }
    }
    facts.from = parsed
        .as_ref()
        .and_then(|m| m.from())
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_string);
    facts.from_domain = facts.from.as_deref().and_then(domain_of);
    facts.subject = parsed
        .as_ref()
        .and_then(|m| m.subject())
        .map(str::to_string);
    facts.message_id = parsed
        .as_ref()
        .and_then(|m| m.message_id())
        .map(str::to_string);
    facts.date = msg.get("Date").map(|f| f.value.clone());
    facts.return_path = msg.get("Return-Path").map(|f| {
        let v = f.value.trim();
        v.trim_start_matches('<')
            .split('>')
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    });
    let subject_id = facts.from.clone().unwrap_or_else(|| source.to_string());
    if let Some(rp) = &facts.return_path {
        findings.extend(grade::envelope(
            facts.from_domain.as_deref(),
            rp,
            &subject_id,
        ));
    }
    if facts.from_domain.is_none() {
        findings.push(Finding::new(
            &codes::NOT_A_MESSAGE,
            source,
            format!(
                "{source}: no From header field with an address ({} header fields read)",
                msg.fields.len()
            ),
        ));
    }
    if facts.headers_only {
        findings.push(Finding::new(
            &codes::HEADERS_ONLY,
            source,
            "no body: DKIM body hashes were not checked, only the signed header fields",
        ));
    } else {
        let content = grade::content(parsed.as_ref(), &subject_id);
        findings.extend(content.findings);
        facts.parts = content.parts;
    }

    // DKIM and ARC, keys through our DNS layer.
    let dns = view.dns();
    facts.dkim = verify_mail::verify_with(dns, input, facts.headers_only)
        .await
        .unwrap_or_default();
    findings.extend(grade::dkim_findings(
        facts.from_domain.as_deref(),
        &facts.dkim,
        &subject_id,
    ));
    for c in &facts.dkim {
        let subject = format!("{}._domainkey.{}", c.selector, c.domain);
        if c.algorithm == "rsa-sha1"
            || (c.algorithm.starts_with("rsa") && c.key_bits.is_some_and(|b| b < 1024))
        {
            findings.push(Finding::new(
                &codes::DKIM_WEAK,
                subject.clone(),
                format!(
                    "d={} s={}: {}{}",
                    c.domain,
                    c.selector,
                    c.algorithm,
                    c.key_bits
                        .map_or(String::new(), |b| format!(", {b}-bit key"))
                ),
            ));
        }
        if let Some(l) = c.body_length_limit {
            findings.push(Finding::new(
                &codes::DKIM_BODY_LENGTH,
                subject,
                format!(
                    "d={} s={} signs only the first {l} bytes of the body (l={l})",
                    c.domain, c.selector
                ),
            ));
        }
    }
    facts.arc = verify_mail::verify_arc(dns, input, facts.headers_only).await;
    if let Some(arc) = &facts.arc
        && arc.result != "pass"
    {
        findings.push(Finding::new(
            &codes::ARC_FAILED,
            arc.sets.last().map_or_else(
                || "ARC".to_string(),
                |s| format!("ARC i={} d={}", s.instance, s.seal_domain),
            ),
            format!(
                "the ARC chain ({} sets) does not validate: {}{}",
                arc.sets.len(),
                arc.result,
                arc.reason
                    .as_deref()
                    .map_or(String::new(), |r| format!(" ({r})"))
            ),
        ));
    }

    // The Received chain, the sending IP, SPF and DMARC.
    facts.received = received::chain(&msg);
    findings.extend(identity::hop_findings(&facts.received));
    facts.received_spf = msg
        .get_all("Received-SPF")
        .take(crate::message::auth_results::MAX_RESULTS)
        .map(|f| crate::message::auth_results::parse_received_spf(&f.value))
        .collect();
    let (ars, ar_findings) = auth::collect(&msg, opts);
    facts.auth_results = ars;
    findings.extend(ar_findings);
    facts.sending_ip = identity::sending_ip(&facts, opts);
    if let Some(sip) = &facts.sending_ip {
        let spf = identity::spf(view, sip, facts.return_path.as_deref()).await;
        findings.extend(identity::spf_findings(&spf));
        facts.spf = Some(spf);
    } else if facts.from_domain.is_some() {
        findings.push(Finding::new(
            &codes::NO_SENDING_IP,
            source,
            format!(
                "none of the {} Received hops names a connecting IP outside the receiver",
                facts.received.hops.len()
            ),
        ));
    }
    if let Some(fd) = facts.from_domain.clone() {
        let dmarc = identity::dmarc(view, &fd, facts.spf.as_ref(), &facts.dkim).await;
        findings.extend(identity::dmarc_findings(&dmarc));
        facts.dmarc = Some(dmarc);
    }
    let (comparisons, cmp_findings) = auth::compare(&facts);
    facts.comparisons = comparisons;
    findings.extend(cmp_findings);
    facts.verdict = verdict::verdict(&findings, facts.dmarc.as_ref());
    (findings, facts)
}
