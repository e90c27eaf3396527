//! Mailbox providers' sender rules (Gmail, Yahoo, Microsoft; 2024-2025), each judged pass /
//! fail / cannot tell for a transactional sender (one-click unsubscribe is not required of
//! passcode mail).

use super::alignment::{AlignmentPrediction, Tri};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub providers: &'static str,
    pub rule: &'static str,
    pub status: Tri,
    /// `true`: applies to bulk senders (about 5,000 messages a day) only.
    pub bulk_only: bool,
    pub why: String,
}

pub struct Evidence<'a> {
    pub alignment: &'a AlignmentPrediction,
    /// The session to the server used TLS (probe).
    pub tls: Tri,
    /// PTR and forward-confirmed reverse DNS of the sending IP (self-run servers).
    pub fcrdns: Tri,
    pub dkim_key_bits: Option<u32>,
    pub dmarc_policy: Option<String>,
}

pub fn judge(e: &Evidence<'_>) -> Vec<Rule> {
    let a = e.alignment;
    let any_auth = match (a.spf_pass, a.dkim_pass) {
        (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
        (Tri::No, Tri::No) => Tri::No,
        _ => Tri::CannotTell,
    };
    let both_auth = match (a.spf_pass, a.dkim_pass) {
        (Tri::Yes, Tri::Yes) => Tri::Yes,
        (Tri::No, _) | (_, Tri::No) => Tri::No,
        _ => Tri::CannotTell,
    };
    let dmarc = if a.dmarc_record { Tri::Yes } else { Tri::No };
    let key = match e.dkim_key_bits {
        Some(b) if b >= 1024 => Tri::Yes,
        Some(_) => Tri::No,
        None => Tri::CannotTell,
    };
    let w = |t: Tri, yes: &str, no: &str| match t {
        Tri::Yes => yes.to_string(),
        Tri::No => no.to_string(),
        Tri::CannotTell => {
            "not enough evidence (see the SPF/DKIM lines of the prediction)".to_string()
        }
    };
    vec![
        Rule {
            providers: "Gmail, Yahoo",
            rule: "SPF or DKIM passes",
            status: any_auth,
            bulk_only: false,
            why: w(
                any_auth,
                "at least one of them passes",
                "neither SPF nor DKIM passes",
            ),
        },
        Rule {
            providers: "Gmail, Yahoo",
            rule: "valid forward and reverse DNS for the sending IP",
            status: e.fcrdns,
            bulk_only: false,
            why: w(
                e.fcrdns,
                "PTR present and it resolves back",
                "no PTR, or it does not resolve back to the IP",
            ),
        },
        Rule {
            providers: "Gmail",
            rule: "TLS for the connection",
            status: e.tls,
            bulk_only: false,
            why: w(e.tls, "the session uses TLS", "the session is unencrypted"),
        },
        Rule {
            providers: "Gmail, Yahoo",
            rule: "DKIM key at least 1024 bits",
            status: key,
            bulk_only: false,
            why: e
                .dkim_key_bits
                .map_or("no key known".into(), |b| format!("{b}-bit key")),
        },
        Rule {
            providers: "Gmail, Yahoo, Outlook.com",
            rule: "SPF and DKIM both pass",
            status: both_auth,
            bulk_only: true,
            why: w(both_auth, "both pass", "one of them does not pass"),
        },
        Rule {
            providers: "Gmail, Yahoo, Outlook.com",
            rule: "a DMARC record (at least p=none)",
            status: dmarc,
            bulk_only: true,
            why: e
                .dmarc_policy
                .as_ref()
                .map_or("no DMARC record".into(), |p| format!("p={p}")),
        },
        Rule {
            providers: "Gmail, Yahoo, Outlook.com",
            rule: "From aligned with SPF or DKIM (DMARC passes)",
            status: a.dmarc_pass,
            bulk_only: true,
            why: w(a.dmarc_pass, "DMARC will pass", "DMARC will fail"),
        },
        Rule {
            providers: "Gmail, Yahoo",
            rule: "one-click unsubscribe",
            status: Tri::Yes,
            bulk_only: true,
            why: "not required of transactional mail (passcodes, password resets)".into(),
        },
    ]
}
