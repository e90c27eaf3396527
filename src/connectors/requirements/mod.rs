//! The DNS records each provider needs (providers.md), checked on the audit's DNS layer,
//! one file per provider. Each check records every requirement (the record, what the
//! provider needs there, what DNS holds, and the verdict), raises findings, and says what
//! that means for alignment: whether SPF and DKIM will pass as the provider sends, the DKIM
//! d=, and the envelope (Return-Path) domain where the records show one under the From
//! domain. Names only the provider's console knows (SES's DKIM tokens, a chosen selector,
//! the bounce subdomain) are checked when the operator names them (`--selector`,
//! `--return-path`), and are "cannot tell" otherwise, never "missing".

mod aliyun;
mod mailgun;
mod postmark;
mod sendgrid;
mod ses;

use super::{Checked, Kind};
use crate::audit::alignment::Tri;
use crate::dkim::assess::{State, assess_selector};
use crate::dns::{DnsView, RType, Rdata};
use crate::report::Finding;
use crate::spf::{SpfFacts, SpfNode};
use serde::Serialize;

/// One record the provider needs.
#[derive(Clone, Debug, Serialize)]
pub struct Requirement {
    /// The name and type, e.g. `s1._domainkey.example.com CNAME`.
    pub record: String,
    /// What the provider needs there.
    pub expected: String,
    /// What DNS holds (or why it was not checked).
    pub found: String,
    pub status: Tri,
}

/// What the operator names that only the provider's console knows.
#[derive(Clone, Debug, Default)]
pub struct Hints {
    /// `--selector`: DKIM selectors (Mailgun, Postmark) or SES's Easy DKIM tokens.
    pub selectors: Vec<String>,
    /// `--return-path`: the custom Return-Path / MAIL FROM domain set up in the provider.
    pub return_path: Option<String>,
}

#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub requirements: Vec<Requirement>,
    pub spf_pass: Option<Tri>,
    pub dkim_pass: Option<Tri>,
    pub dkim_domain: Option<String>,
    /// The envelope domain and where it comes from, when the records show the provider
    /// bounces under the From domain's organization (otherwise the providers table decides).
    pub envelope: Option<(String, String)>,
}

impl Outcome {
    fn require(
        &mut self,
        record: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
        status: Tri,
    ) {
        self.requirements.push(Requirement {
            record: record.into(),
            expected: expected.into(),
            found: found.into(),
            status,
        });
    }
}

/// Selectors the From domain's DKIM audit asks first (beside its built-in list), so that
/// the provider's key is judged like any other (size, revocation, syntax).
pub fn selectors(c: &Checked, hints: &Hints) -> Vec<String> {
    match c.kind {
        Kind::SendGrid => vec!["s1".into(), "s2".into()],
        Kind::AliyunDm => vec![aliyun::selector(c.region.as_deref())],
        // Mailgun signs for the sending domain: its selectors belong to the From domain's
        // audit only when the two are the same (requirements check the sending domain).
        Kind::Mailgun if c.sending_domain != c.from_domain => Vec::new(),
        Kind::Mailgun | Kind::Postmark | Kind::AwsSes => hints.selectors.clone(),
        Kind::Smtp | Kind::HttpEmail => Vec::new(),
    }
}

pub async fn check(
    c: &Checked,
    dns: &DnsView,
    spf: Option<&SpfFacts>,
    from: &str,
    hints: &Hints,
) -> Outcome {
    let mut out = Outcome::default();
    match c.kind {
        Kind::SendGrid => sendgrid::check(&mut out, dns, from, hints).await,
        Kind::Mailgun => mailgun::check(&mut out, c, dns, spf, from, hints).await,
        Kind::AwsSes => ses::check(&mut out, c, dns, from, hints).await,
        Kind::Postmark => postmark::check(&mut out, dns, from, hints).await,
        Kind::AliyunDm => aliyun::check(&mut out, c, dns, spf, from).await,
        Kind::Smtp | Kind::HttpEmail => {}
    }
    out
}

/// The CNAME at `name` (lower-case, no trailing dot), or how the lookup ended.
async fn cname(dns: &DnsView, name: &str) -> Result<String, String> {
    let a = dns.query(name, RType::CNAME).await;
    a.records
        .iter()
        .find_map(|r| match r {
            Rdata::Cname { target } => Some(target.trim_end_matches('.').to_ascii_lowercase()),
            _ => None,
        })
        .ok_or_else(|| match a.outcome.label().as_str() {
            "NOERROR" | "NODATA" => "no CNAME (NODATA)".to_string(),
            other => format!("no CNAME ({other})"),
        })
}

/// The MX hosts of `name`, or how the lookup ended.
async fn mx_hosts(dns: &DnsView, name: &str) -> Result<Vec<String>, String> {
    let a = dns.query(name, RType::MX).await;
    let hosts: Vec<String> = a
        .records
        .iter()
        .filter_map(|r| match r {
            Rdata::Mx { exchange, .. } => Some(exchange.trim_end_matches('.').to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    if hosts.is_empty() {
        Err(format!("no MX ({})", a.outcome.label()))
    } else {
        Ok(hosts)
    }
}

/// The DKIM key at `<selector>._domainkey.<domain>` (following CNAMEs): a short
/// description of it, or why there is none usable.
async fn dkim_key(dns: &DnsView, selector: &str, domain: &str) -> Result<String, String> {
    let name = format!("{selector}._domainkey.{domain}");
    let answer = dns.query(&name, RType::TXT).await;
    let judged = assess_selector(selector, &answer, true);
    match judged.state {
        State::Failed => Err(format!("lookup failed ({})", answer.outcome.label())),
        State::Absent if answer.outcome.is_void() => {
            Err(format!("no key ({})", answer.outcome.label()))
        }
        State::Absent => Err("TXT records, none of them a DKIM key".into()),
        State::Found => {
            let Some(key) = judged.keys.first() else {
                return Err("a key record that does not parse".into());
            };
            if key.revoked {
                return Err("a revoked key (empty p=)".into());
            }
            Ok(match key.bits {
                Some(b) => format!("{} {b}-bit key", key.key_type),
                None => format!("{} key", key.key_type),
            })
        }
    }
}

/// The SPF tree of `domain`: the From domain's from the audit's facts, another's walked.
async fn spf_tree(
    dns: &DnsView,
    spf: Option<&SpfFacts>,
    from: &str,
    domain: &str,
) -> Option<SpfNode> {
    if domain == from {
        return spf.and_then(|s| s.tree.clone());
    }
    let walk = crate::spf::walk::walk(dns, domain, None, "").await;
    walk.tree.record.is_some().then_some(walk.tree)
}

/// What an SPF tree shows about `include` (for a requirement's "found").
fn spf_found(tree: Option<&SpfNode>, domain: &str, include: &str) -> (Tri, String) {
    match tree {
        Some(t) if crate::audit::provider::spf_includes(t, include) => (
            Tri::Yes,
            format!("include:{include} in {domain}'s SPF tree"),
        ),
        Some(t) => (
            Tri::No,
            format!(
                "not in {domain}'s SPF record ({})",
                t.record.as_deref().unwrap_or("?")
            ),
        ),
        None => (Tri::No, format!("{domain} has no SPF record")),
    }
}

/// The location evidence of a config key, for findings about the config.
fn location(c: &Checked, key: &str) -> (String, crate::report::Evidence) {
    let p = crate::config::json_positions::member(&c.root, key);
    let value = format!("{}:{}", c.source, c.positions.nearest(&p));
    (
        p,
        crate::report::Evidence::Value {
            label: "location".into(),
            value,
        },
    )
}
