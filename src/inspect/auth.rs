//! Authentication-Results (and ARC-Authentication-Results) as the receivers wrote them,
//! which of them to trust, and how they compare with this tool's own verdicts.

use super::{InspectFacts, InspectOptions, codes};
use crate::message::auth_results::{self, AuthResults};
use crate::message::headers::Message;
use crate::report::Finding;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct AuthResultsFact {
    /// `Authentication-Results` or `ARC-Authentication-Results`.
    pub field: String,
    pub offset: usize,
    /// `true`: written by the trusted receiver (`--trusted-authserv`), or, without that
    /// flag, the topmost Authentication-Results (assumed to be the receiver's). Only trusted
    /// ones are compared.
    pub trusted: bool,
    #[serde(flatten)]
    pub parsed: AuthResults,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// `dkim`, `spf` or `dmarc`.
    pub method: String,
    /// `header.d=` for DKIM, the checked domain otherwise.
    pub subject: Option<String>,
    pub receiver: String,
    /// Our verdict; null when we have none to compare (e.g. SPF without a sending IP).
    pub ours: Option<String>,
    pub agrees: Option<bool>,
}

const FAILING: [&str; 4] = ["fail", "softfail", "permerror", "temperror"];

pub fn collect(msg: &Message, opts: &InspectOptions) -> (Vec<AuthResultsFact>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut ignored = Vec::new();
    let mut first_ar = true;
    for f in msg.fields.iter().take(4 * auth_results::MAX_RESULTS) {
        let arc = f.is("ARC-Authentication-Results");
        if !arc && !f.is("Authentication-Results") {
            continue;
        }
        let parsed = if arc {
            auth_results::parse_arc(&f.value)
        } else {
            auth_results::parse(&f.value)
        };
        let id = parsed
            .authserv_id
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let trusted = if arc {
            false
        } else if opts.trusted_authserv.is_empty() {
            std::mem::take(&mut first_ar)
        } else {
            let t = opts.trusted_authserv.contains(&id);
            if !t {
                ignored.push(if id.is_empty() {
                    "(none)".to_string()
                } else {
                    id
                });
            }
            t
        };
        out.push(AuthResultsFact {
            field: f.name.clone(),
            offset: f.offset,
            trusted,
            parsed,
        });
    }
    let mut findings = Vec::new();
    if !ignored.is_empty() {
        ignored.dedup();
        findings.push(Finding::new(
            &codes::RESULTS_UNTRUSTED,
            ignored.join(", "),
            format!(
                "{} Authentication-Results from authserv-id {} ignored (trusted: {})",
                ignored.len(),
                ignored.join(", "),
                opts.trusted_authserv.join(", ")
            ),
        ));
    }
    (out, findings)
}

fn same(receiver: &str, ours: &str) -> bool {
    receiver.eq_ignore_ascii_case(ours) || (receiver != "pass" && ours != "pass")
}

/// The trusted receivers' dkim, spf and dmarc results against ours; findings for failing
/// receiver results and for disagreements.
pub fn compare(facts: &InspectFacts) -> (Vec<Comparison>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut findings = Vec::new();
    for ar in facts.auth_results.iter().filter(|a| a.trusted) {
        let id = ar.parsed.authserv_id.clone().unwrap_or_default();
        let mut failing = Vec::new();
        for r in &ar.parsed.results {
            let method = r.method.to_ascii_lowercase();
            let (subject, ours) = match method.as_str() {
                "dkim" => {
                    let d = r
                        .property("header.d")
                        .or(r.property("header.i"))
                        .map(|d| d.rsplit('@').next().unwrap_or(d).to_ascii_lowercase());
                    let s = r.property("header.s");
                    let ours = d.as_ref().and_then(|d| {
                        facts
                            .dkim
                            .iter()
                            .find(|c| {
                                c.domain.eq_ignore_ascii_case(d)
                                    && s.is_none_or(|s| c.selector.eq_ignore_ascii_case(s))
                            })
                            .map(|c| c.result.clone())
                    });
                    (d, ours)
                }
                "spf" => (
                    r.property("smtp.mailfrom")
                        .map(|m| m.rsplit('@').next().unwrap_or(m).to_ascii_lowercase()),
                    facts.spf.as_ref().map(|s| s.result.clone()),
                ),
                "dmarc" => (
                    r.property("header.from").map(str::to_ascii_lowercase),
                    facts.dmarc.as_ref().map(|d| d.result.clone()),
                ),
                _ => continue,
            };
            let receiver = r.result.to_ascii_lowercase();
            if FAILING.contains(&receiver.as_str()) {
                failing.push(format!(
                    "{method}={receiver}{}",
                    subject
                        .as_deref()
                        .map_or(String::new(), |s| format!(" ({s})"))
                ));
            }
            let agrees = ours.as_deref().map(|o| same(&receiver, o));
            if agrees == Some(false) {
                findings.push(Finding::new(
                    &codes::RESULTS_DISAGREE,
                    id.clone(),
                    format!(
                        "{id} recorded {method}={receiver}{} but this check finds {}",
                        subject
                            .as_deref()
                            .map_or(String::new(), |s| format!(" for {s}")),
                        ours.as_deref().unwrap_or("")
                    ),
                ));
            }
            out.push(Comparison {
                method,
                subject,
                receiver,
                ours,
                agrees,
            });
        }
        if !failing.is_empty() {
            findings.push(Finding::new(
                &codes::RECEIVER_FAILED,
                id.clone(),
                format!(
                    "{} recorded {}",
                    if id.is_empty() { "the receiver" } else { &id },
                    failing.join(", ")
                ),
            ));
        }
    }
    (out, findings)
}
