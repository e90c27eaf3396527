//! The facts of one domain as titled sections of text, shared by the table and
//! Markdown reporters. Every DNS-derived value goes through [`printable`] here.
//!
//! Facts structs are filled by the checks (other modules); a check that did not run
//! leaves `None`, and a check that ran but found nothing leaves empty fields, so every
//! field is rendered defensively.

use super::text::printable;
use crate::dkim::DkimFacts;
use crate::dmarc::DmarcFacts;
use crate::mx::MxFacts;
use crate::policy_records::PolicyRecordFacts;
use crate::report::model::DomainFacts;
use crate::spf::{SpfFacts, SpfNode};

/// RFC 7208 4.6.4, used when a check left the limit unset.
const SPF_LOOKUP_LIMIT: u32 = 10;
/// Deeper trees are cut (the SPF check bounds them already; this guards the renderer).
const MAX_TREE_DEPTH: usize = 24;
const MAX_TREE_LINES: usize = 400;

pub struct Section {
    pub title: &'static str,
    pub items: Vec<Item>,
}

pub enum Item {
    /// One line of prose (a list item in Markdown).
    Line(String),
    /// Preformatted lines (the SPF tree): a code block in Markdown.
    Block(Vec<String>),
}

pub fn sections(facts: &DomainFacts) -> Vec<Section> {
    let mut out = Vec::new();
    if let Some(spf) = &facts.spf {
        out.push(spf_section(spf));
    }
    if let Some(dkim) = &facts.dkim {
        out.push(dkim_section(dkim));
    }
    if let Some(dmarc) = &facts.dmarc {
        out.push(dmarc_section(dmarc));
    }
    if let Some(mx) = &facts.mx {
        out.push(mx_section(mx));
    }
    for (title, record) in [
        ("MTA-STS", &facts.mta_sts),
        ("TLS-RPT", &facts.tls_rpt),
        ("BIMI", &facts.bimi),
    ] {
        if let Some(record) = record {
            out.push(policy_record_section(title, record));
        }
    }
    if let Some(received) = &facts.received {
        out.push(super::received_facts::section(received));
    }
    if let Some(inspect) = &facts.inspect {
        out.extend(super::inspect_facts::sections(inspect));
    }
    if let Some(message) = &facts.message {
        out.push(super::message_facts::section(message));
    }
    if let Some(smtp) = &facts.smtp {
        out.extend(super::smtp_facts::sections(smtp));
    }
    out
}

fn spf_section(spf: &SpfFacts) -> Section {
    let mut items = Vec::new();
    match &spf.record {
        Some(record) => items.push(Item::Line(format!("record: {}", printable(record)))),
        // Absent, duplicated or not fetched (a failed lookup): the findings say which.
        None => items.push(Item::Line("record: none identified (see findings)".into())),
    }
    if let Some(tree) = &spf.tree {
        items.push(Item::Block(spf_tree_lines(tree)));
    }
    items.push(Item::Line(lookup_line(spf)));
    if let Some(verdict) = &spf.verdict {
        let identity = match verdict.identity.as_str() {
            "" => String::new(),
            "helo" => format!(" with HELO {} (null MAIL FROM)", printable(&verdict.helo)),
            _ => format!(
                " with MAIL FROM <{}> (HELO {})",
                printable(&verdict.sender),
                printable(&verdict.helo)
            ),
        };
        let mut line = format!(
            "verdict for {}{identity}: {}",
            printable(&verdict.ip),
            printable(&verdict.result)
        );
        if let Some(by) = &verdict.decided_by {
            line.push_str(&format!(" (decided by {})", printable(by)));
        }
        if let Some(exp) = &verdict.explanation {
            line.push_str(&format!("; explanation: \"{}\"", printable(exp)));
        }
        items.push(Item::Line(line));
    }
    Section {
        title: "SPF",
        items,
    }
}

/// `7/10 lookups, headroom 3; costliest: include:_spf.google.com (4); void lookups 0/2`.
fn lookup_line(spf: &SpfFacts) -> String {
    let (limit, headroom) = if spf.lookup_limit == 0 {
        (
            SPF_LOOKUP_LIMIT,
            i64::from(SPF_LOOKUP_LIMIT) - i64::from(spf.lookups),
        )
    } else {
        (spf.lookup_limit, i64::from(spf.headroom))
    };
    let mut line = format!("{}/{} lookups, headroom {}", spf.lookups, limit, headroom);
    if headroom < 0 {
        line.push_str(" (over the limit: permerror)");
    }
    if let Some(cost) = &spf.costliest {
        line.push_str(&format!(
            "; costliest: {} ({})",
            printable(&cost.term),
            cost.lookups
        ));
    }
    line.push_str(&format!("; void lookups {}/2", spf.void_lookups));
    line
}

/// The include/redirect tree, one line per node:
/// ```text
/// example.com (7 lookups, 3 own)
/// ├─ include:_spf.google.com (4 lookups)
/// │  └─ include:_netblocks.google.com (0 lookups)
/// └─ redirect=other.example (0 lookups) [NXDOMAIN]
/// ```
pub fn spf_tree_lines(root: &SpfNode) -> Vec<String> {
    let mut lines = vec![node_label(root, true)];
    let mut omitted = 0usize;
    draw_children(root, "", 1, &mut lines, &mut omitted);
    if omitted > 0 {
        lines.push(format!("… {omitted} more nodes not shown"));
    }
    lines
}

fn draw_children(
    node: &SpfNode,
    prefix: &str,
    depth: usize,
    lines: &mut Vec<String>,
    omitted: &mut usize,
) {
    let count = node.children.len();
    for (i, child) in node.children.iter().enumerate() {
        if depth > MAX_TREE_DEPTH || lines.len() >= MAX_TREE_LINES {
            *omitted += 1 + count_nodes(&child.children, 0);
            continue;
        }
        let last = i + 1 == count;
        let (branch, continuation) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        lines.push(format!("{prefix}{branch}{}", node_label(child, false)));
        let deeper = format!("{prefix}{continuation}");
        draw_children(child, &deeper, depth + 1, lines, omitted);
    }
}

/// Counts without recursing without bound: a pathological tree is cut at the depth limit.
fn count_nodes(nodes: &[SpfNode], depth: usize) -> usize {
    if depth > MAX_TREE_DEPTH {
        return 0;
    }
    nodes
        .iter()
        .map(|n| 1 + count_nodes(&n.children, depth + 1))
        .sum()
}

fn node_label(node: &SpfNode, root: bool) -> String {
    let name = if root || node.via.is_empty() || node.via == "root" {
        printable(&node.domain).into_owned()
    } else if node.via.ends_with(&node.domain) {
        printable(&node.via).into_owned()
    } else {
        // A macro-expanded or otherwise rewritten target: show where it led.
        format!("{} → {}", printable(&node.via), printable(&node.domain))
    };
    // The same count as the costliest-include message (SpfNode::cost): an include costs
    // its own term plus everything below it.
    let cost = node.cost();
    let mut label = format!("{name} ({}", plural_lookups(cost));
    let below: u32 = node.children.iter().map(|c| c.cost()).sum();
    if below > 0 && below < cost {
        label.push_str(&format!(": {} here, {below} below", cost - below));
    }
    label.push(')');
    if let Some(problem) = &node.problem {
        label.push_str(&format!(" [{}]", printable(problem)));
    }
    label
}

fn plural_lookups(n: u32) -> String {
    if n == 1 {
        "1 lookup".into()
    } else {
        format!("{n} lookups")
    }
}

fn dkim_section(dkim: &DkimFacts) -> Section {
    let mut items = Vec::new();
    if dkim.keys.is_empty() {
        items.push(Item::Line(match dkim.selectors_checked.len() {
            0 => "no selectors checked".to_string(),
            n => format!("no key found among {n} selectors"),
        }));
    }
    for key in &dkim.keys {
        let mut line = format!("{}: {}", printable(&key.name), printable(&key.key_type));
        if let Some(bits) = key.bits {
            line.push_str(&format!(" {bits} bits"));
        }
        let flags: Vec<&str> = [
            (key.revoked, "revoked"),
            (key.testing, "testing (t=y)"),
            (key.strict, "strict (t=s)"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if !flags.is_empty() {
            line.push_str(&format!(", {}", flags.join(", ")));
        }
        if !key.hashes.is_empty() {
            line.push_str(&format!(", h={}", printable(&key.hashes.join(":"))));
        }
        if !key.cnames.is_empty() {
            line.push_str(&format!(
                ", via CNAME {}",
                printable(&key.cnames.join(" → "))
            ));
        }
        items.push(Item::Line(line));
    }
    if !dkim.selectors_checked.is_empty() {
        items.push(Item::Line(format!(
            "selectors checked: {}",
            printable(&dkim.selectors_checked.join(", "))
        )));
    }
    Section {
        title: "DKIM",
        items,
    }
}

fn dmarc_section(dmarc: &DmarcFacts) -> Section {
    let mut items = Vec::new();
    match (&dmarc.record_name, &dmarc.record) {
        (Some(name), Some(record)) => items.push(Item::Line(format!(
            "record at {}: {}",
            printable(name),
            printable(record)
        ))),
        (None, Some(record)) => items.push(Item::Line(format!("record: {}", printable(record)))),
        (_, None) => items.push(Item::Line("record: none identified (see findings)".into())),
    }
    let tags: Vec<String> = [
        ("p", &dmarc.policy),
        ("sp", &dmarc.subdomain_policy),
        ("np", &dmarc.nonexistent_policy),
        ("adkim", &dmarc.adkim),
        ("aspf", &dmarc.aspf),
    ]
    .into_iter()
    .filter_map(|(tag, value)| value.as_ref().map(|v| format!("{tag}={}", printable(v))))
    .chain(dmarc.pct.map(|pct| format!("pct={pct}")))
    .chain(
        dmarc
            .testing
            .map(|t| format!("t={}", if t { "y" } else { "n" })),
    )
    .collect();
    if !tags.is_empty() {
        items.push(Item::Line(format!("policy: {}", tags.join(" "))));
    }
    for (label, uris) in [("rua", &dmarc.rua), ("ruf", &dmarc.ruf)] {
        if !uris.is_empty() {
            items.push(Item::Line(format!(
                "{label}: {}",
                printable(&uris.join(", "))
            )));
        }
    }
    if let Some(org) = &dmarc.org_domain_psl {
        items.push(Item::Line(format!(
            "organizational domain (PSL): {}",
            printable(org)
        )));
    }
    let (d7489, d9989) = (&dmarc.policy_domain_7489, &dmarc.policy_domain_9989);
    match (d7489, d9989) {
        (Some(a), Some(b)) if a == b => items.push(Item::Line(format!(
            "policy domain: {} (RFC 7489 and RFC 9989 agree)",
            printable(a)
        ))),
        _ => {
            let show = |d: &Option<String>| {
                d.as_deref()
                    .map_or("none".to_string(), |d| printable(d).into_owned())
            };
            if d7489.is_some() || d9989.is_some() {
                items.push(Item::Line(format!(
                    "policy domain: {} by RFC 7489, {} by RFC 9989",
                    show(d7489),
                    show(d9989)
                )));
            }
        }
    }
    Section {
        title: "DMARC",
        items,
    }
}

fn mx_section(mx: &MxFacts) -> Section {
    let mut items = Vec::new();
    if mx.null_mx {
        items.push(Item::Line(
            "null MX (0 .): the domain accepts no mail".into(),
        ));
    }
    // The null MX host itself (`0 .`) is said by the line above.
    for host in mx
        .hosts
        .iter()
        .filter(|h| !(mx.null_mx && h.exchange.is_empty()))
    {
        let exchange = if host.exchange.is_empty() {
            ".".to_string()
        } else {
            printable(&host.exchange).into_owned()
        };
        let mut line = format!("{} {}", host.preference, exchange);
        if !host.addresses.is_empty() {
            let addrs: Vec<String> = host.addresses.iter().map(|a| a.to_string()).collect();
            line.push_str(&format!(" ({})", addrs.join(", ")));
        }
        items.push(Item::Line(line));
        for r in &host.reverse_dns {
            let ptr = if r.ptr.is_empty() {
                "no PTR".to_string()
            } else {
                format!("PTR {}", printable(&r.ptr.join(", ")))
            };
            let verdict = if r.forward_confirmed {
                "forward-confirmed"
            } else {
                "not forward-confirmed"
            };
            items.push(Item::Line(format!(
                "reverse DNS of {} ({exchange}): {ptr}, {verdict}",
                printable(&r.ip)
            )));
        }
        if let Some(why) = &host.reverse_dns_skipped {
            items.push(Item::Line(format!(
                "reverse DNS of {exchange}: {}",
                printable(why)
            )));
        }
    }
    if items.is_empty() {
        items.push(Item::Line("no MX hosts".into()));
    }
    Section { title: "MX", items }
}

fn policy_record_section(title: &'static str, facts: &PolicyRecordFacts) -> Section {
    let line = match &facts.record {
        Some(record) => format!("{}: {}", printable(&facts.name), printable(record)),
        None => format!("none at {}", printable(&facts.name)),
    };
    Section {
        title,
        items: vec![Item::Line(line)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(via: &str, domain: &str, own: u32, total: u32, children: Vec<SpfNode>) -> SpfNode {
        SpfNode {
            domain: domain.into(),
            via: via.into(),
            own_lookups: own,
            total_lookups: total,
            children,
            ..Default::default()
        }
    }

    #[test]
    fn tree_lines_use_box_drawing_and_costs() {
        let tree = node(
            "root",
            "example.com",
            3,
            7,
            vec![
                node(
                    "include:_spf.google.com",
                    "_spf.google.com",
                    4,
                    4,
                    vec![node(
                        "include:_netblocks.google.com",
                        "_netblocks.google.com",
                        0,
                        0,
                        vec![],
                    )],
                ),
                SpfNode {
                    problem: Some("NXDOMAIN".into()),
                    ..node(
                        "redirect=%{d}.x.example",
                        "example.com.x.example",
                        0,
                        0,
                        vec![],
                    )
                },
            ],
        );
        assert_eq!(
            spf_tree_lines(&tree),
            [
                // Each include/redirect counts its own term (RFC 7208 4.6.4), as the
                // costliest-include message does.
                "example.com (7 lookups: 1 here, 6 below)",
                "├─ include:_spf.google.com (5 lookups: 4 here, 1 below)",
                "│  └─ include:_netblocks.google.com (1 lookup)",
                "└─ redirect=%{d}.x.example → example.com.x.example (1 lookup) [NXDOMAIN]",
            ]
        );
    }

    #[test]
    fn a_degenerate_deep_tree_is_cut_not_overflowed() {
        let mut tree = node("root", "d0.example", 0, 0, vec![]);
        for i in 1..200 {
            tree = node("include:x", &format!("d{i}.example"), 0, 0, vec![tree]);
        }
        let lines = spf_tree_lines(&tree);
        assert!(lines.len() <= MAX_TREE_DEPTH + 3, "{}", lines.len());
        assert!(lines.last().unwrap().contains("more nodes not shown"));
    }

    #[test]
    fn missing_limit_falls_back_to_ten() {
        let spf = SpfFacts {
            lookups: 4,
            ..Default::default()
        };
        assert_eq!(
            lookup_line(&spf),
            "4/10 lookups, headroom 6; void lookups 0/2"
        );
    }
}
