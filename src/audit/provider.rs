//! The records the recognised provider needs, checked in DNS: its SPF include, its DKIM
//! selectors, and the custom Return-Path that makes SPF align where the provider supports one.
//! Where the provider's own token or subdomain is not knowable from here, the answer is
//! "cannot tell", never "missing".

use super::alignment::Tri;
use crate::config::providers::Provider;
use crate::dkim::DkimFacts;
use crate::dns::{Dns, RType};
use crate::spf::SpfNode;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Requirement {
    pub requirement: String,
    pub status: Tri,
    pub detail: String,
}

fn tree_contains(node: &SpfNode, domain: &str, depth: usize) -> bool {
    depth < 30
        && (node.domain.eq_ignore_ascii_case(domain)
            || node
                .children
                .iter()
                .any(|c| tree_contains(c, domain, depth + 1)))
}

pub fn spf_includes(tree: &SpfNode, domain: &str) -> bool {
    tree_contains(tree, domain, 0)
}

pub async fn check(
    dns: &Dns,
    p: &Provider,
    from: &str,
    spf: Option<&SpfNode>,
    dkim: Option<&DkimFacts>,
) -> Vec<Requirement> {
    let mut out = Vec::new();
    out.push(match (p.spf_include, spf) {
        (Some(inc), Some(tree)) if spf_includes(tree, inc) => Requirement {
            requirement: format!("SPF include:{inc}"),
            status: Tri::Yes,
            detail: format!("{from}'s SPF tree includes it"),
        },
        (Some(inc), Some(_)) => Requirement {
            requirement: format!("SPF include:{inc}"),
            status: Tri::No,
            detail: format!("not in {from}'s SPF tree ({})", p.spf_note),
        },
        (Some(inc), None) => Requirement {
            requirement: format!("SPF include:{inc}"),
            status: Tri::No,
            detail: format!("{from} has no SPF record"),
        },
        (None, _) => Requirement {
            requirement: "SPF".into(),
            status: Tri::CannotTell,
            detail: format!("{}: {}", p.name, p.spf_note),
        },
    });
    if p.dkim_selectors.is_empty() {
        out.push(Requirement {
            requirement: "DKIM".into(),
            status: Tri::CannotTell,
            detail: format!(
                "{}: {} (give --dkim-selector to check it)",
                p.name, p.dkim_note
            ),
        });
    } else {
        let found: Vec<String> = dkim
            .map(|d| {
                d.keys
                    .iter()
                    .filter(|k| p.dkim_selectors.contains(&k.selector.as_str()))
                    .map(|k| k.selector.clone())
                    .collect()
            })
            .unwrap_or_default();
        out.push(Requirement {
            requirement: format!(
                "DKIM at {}",
                p.dkim_selectors
                    .iter()
                    .map(|s| format!("{s}._domainkey.{from}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            status: if found.is_empty() { Tri::No } else { Tri::Yes },
            detail: if found.is_empty() {
                format!("no key at the selectors {} uses ({})", p.name, p.dkim_note)
            } else {
                format!("found at {}", found.join(", "))
            },
        });
    }
    // A custom Return-Path, where one is documented with a fixed target.
    match p.name {
        "Postmark" => {
            let name = format!("pm-bounces.{from}");
            let answer = dns.query(&name, RType::CNAME).await;
            let ok = answer.records.iter().any(|r| matches!(r, crate::dns::Rdata::Cname { target } if target.trim_end_matches('.').eq_ignore_ascii_case("pm.mtasv.net")));
            out.push(Requirement {
                requirement: format!("custom Return-Path CNAME {name} → pm.mtasv.net"),
                status: if ok { Tri::Yes } else { Tri::No },
                detail: if ok {
                    "present: SPF aligns under relaxed aspf".into()
                } else {
                    format!(
                        "{name}: {} (without it SPF never aligns; DKIM must carry DMARC)",
                        answer.outcome.label()
                    )
                },
            });
        }
        "Resend" => {
            let name = format!("send.{from}");
            let answer = dns.query(&name, RType::TXT).await;
            let ok = answer
                .txt_joined()
                .iter()
                .any(|t| t.contains("include:amazonses.com"));
            out.push(Requirement {
                requirement: format!("Return-Path subdomain {name} with SPF include:amazonses.com"),
                status: if ok { Tri::Yes } else { Tri::No },
                detail: if ok {
                    "present".into()
                } else {
                    format!("{name} TXT: {}", answer.outcome.label())
                },
            });
        }
        "Amazon SES" | "SendGrid" | "Mailgun" => out.push(Requirement {
            requirement: "custom MAIL FROM / Return-Path subdomain".into(),
            status: Tri::CannotTell,
            detail: format!(
                "{}: {} (the subdomain is chosen in the provider's console)",
                p.name, p.envelope_note
            ),
        }),
        _ => {}
    }
    out
}
