//! The DNS records each provider needs (providers.md), checked on the audit's DNS layer.
//! Each returns findings and whether SPF/DKIM will pass as the provider sends.

use super::{Checked, Kind, codes};
use crate::audit::alignment::Tri;
use crate::audit::provider::spf_includes;
use crate::dns::{Dns, RType, Rdata};
use crate::report::{DomainFacts, Evidence, Finding};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Requirement {
    /// The record, e.g. `s1._domainkey.example.com CNAME`.
    pub record: String,
    pub status: Tri,
    pub note: String,
}

#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub requirements: Vec<Requirement>,
    pub spf_pass: Option<Tri>,
    pub dkim_pass: Option<Tri>,
    pub dkim_domain: Option<String>,
}

async fn cname(dns: &Dns, name: &str) -> (Option<String>, String) {
    let a = dns.query(name, RType::CNAME).await;
    let target = a.records.iter().find_map(|r| match r {
        Rdata::Cname { target } => Some(target.trim_end_matches('.').to_ascii_lowercase()),
        _ => None,
    });
    (target, format!("{:?}", a.outcome))
}

async fn txt_exists(dns: &Dns, name: &str) -> bool {
    let a = dns.query(name, RType::TXT).await;
    a.records.iter().any(|r| matches!(r, Rdata::Txt { .. }))
}

fn req(out: &mut Outcome, record: String, status: Tri, note: impl Into<String>) {
    out.requirements.push(Requirement {
        record,
        status,
        note: note.into(),
    });
}

pub async fn check(c: &Checked, dns: &Dns, facts: &DomainFacts, from: &str) -> Outcome {
    let mut out = Outcome::default();
    match c.kind {
        Kind::SendGrid => sendgrid(&mut out, dns, from).await,
        Kind::Mailgun => mailgun(&mut out, c, dns, facts, from).await,
        Kind::AwsSes => ses(&mut out, c, from),
        Kind::Postmark => postmark(&mut out, dns, from).await,
        Kind::AliyunDm => aliyun(&mut out, c, dns, facts, from).await,
        Kind::Smtp | Kind::HttpEmail => {}
    }
    out
}

async fn sendgrid(out: &mut Outcome, dns: &Dns, from: &str) {
    let mut ok = 0;
    for s in ["s1", "s2"] {
        let name = format!("{s}._domainkey.{from}");
        let (target, outcome) = cname(dns, &name).await;
        match target {
            Some(t) if t.ends_with(".sendgrid.net") => {
                ok += 1;
                req(out, format!("{name} CNAME"), Tri::Yes, format!("→ {t}"));
            }
            other => {
                let seen = other.map_or(outcome, |t| format!("CNAME to {t}, not sendgrid.net"));
                req(out, format!("{name} CNAME"), Tri::No, seen.clone());
                out.findings.push(
                    Finding::new(&codes::PROVIDER_DKIM_MISSING, name.clone(), format!("{name} has no CNAME to SendGrid ({seen}): SendGrid signs with its own d= and DKIM will not align"))
                        .remediation(format!("Authenticate {from} in SendGrid (Settings → Sender Authentication) and publish {name} CNAME {s}.domainkey.uNNNN.wlNNN.sendgrid.net as it shows")),
                );
            }
        }
    }
    out.dkim_pass = Some(if ok == 2 { Tri::Yes } else { Tri::No });
    out.dkim_domain = (ok == 2).then(|| from.to_string());
    // The envelope is on emNNNN.<domain>, whose number only SendGrid's console knows.
    req(
        out,
        format!("emNNNN.{from} CNAME → uNNNN.wlNNN.sendgrid.net"),
        Tri::CannotTell,
        "the em subdomain's number is not in the config",
    );
    out.spf_pass = Some(Tri::CannotTell);
}

async fn mailgun(out: &mut Outcome, c: &Checked, dns: &Dns, facts: &DomainFacts, from: &str) {
    let sending = c.sending_domain.clone().unwrap_or_else(|| from.to_string());
    if !crate::dmarc::orgdomain::same_organization(&sending, from) {
        out.findings.push(Finding::new(&codes::SENDING_DOMAIN_MISMATCH, from.to_string(), format!("from is in {from}, but the Mailgun domain is {sending}: Mailgun signs and bounces as {sending}, which does not align with {from}")));
    }
    // SPF include:mailgun.org on the sending domain (the envelope domain).
    let spf_tree = if sending == from {
        facts.spf.as_ref().and_then(|s| s.tree.clone())
    } else {
        None
    };
    match spf_tree {
        Some(tree) if spf_includes(&tree, "mailgun.org") => {
            req(
                out,
                format!("{sending} SPF include:mailgun.org"),
                Tri::Yes,
                "present",
            );
            out.spf_pass = Some(Tri::Yes);
        }
        Some(_) => {
            req(
                out,
                format!("{sending} SPF include:mailgun.org"),
                Tri::No,
                "missing",
            );
            out.findings.push(
                Finding::new(
                    &crate::audit::codes::PROVIDER_SPF_MISSING,
                    sending.clone(),
                    format!("{sending}'s SPF does not include mailgun.org (Mailgun)"),
                )
                .remediation("Add include:mailgun.org to the sending domain's SPF record"),
            );
            out.spf_pass = Some(Tri::No);
        }
        None => {
            req(
                out,
                format!("{sending} SPF include:mailgun.org"),
                Tri::CannotTell,
                "the sending domain is not the From domain, or it has no SPF tree",
            );
            out.spf_pass = Some(Tri::CannotTell);
        }
    }
    req(
        out,
        format!("<selector>._domainkey.{sending} TXT"),
        Tri::CannotTell,
        "Mailgun's selector is chosen in its panel",
    );
    out.findings.push(Finding::new(&codes::PROVIDER_DKIM_UNKNOWN, sending.clone(), format!("Mailgun's DKIM selector for {sending} is not in the config: whether its key is published cannot be told")));
    out.dkim_domain = Some(sending.clone());
    // Region: Mailgun's receiving MX for an EU domain is mxa.eu.mailgun.org (providers.md: EU
    // vs US endpoints); an EU domain called through the US API (or the reverse) is unknown there.
    let mx = dns.query(&sending, RType::MX).await;
    let eu_mx = mx.records.iter().any(|r| matches!(r, Rdata::Mx { exchange, .. } if exchange.trim_end_matches('.').ends_with(".eu.mailgun.org")));
    let us_mx = mx.records.iter().any(|r| matches!(r, Rdata::Mx { exchange, .. } if { let e = exchange.trim_end_matches('.'); e.ends_with(".mailgun.org") && !e.ends_with(".eu.mailgun.org") }));
    let region = c.region.as_deref().unwrap_or("us");
    let mismatch = (eu_mx && region == "us")
        .then_some(("EU", "https://api.eu.mailgun.net"))
        .or((us_mx && region == "eu").then_some(("US", "https://api.mailgun.net")));
    if let Some((dns_region, fix)) = mismatch {
        let p = crate::config::json_positions::member(&c.root, "endpoint");
        let location = format!("{}:{}", c.source, c.positions.nearest(&p));
        out.findings.push(
            Finding::new(&codes::REGION_MISMATCH, p, format!("{sending}'s MX points at Mailgun's {dns_region} region, but the connector calls {}: Mailgun answers 404 Domain not found", c.api_endpoint.as_deref().unwrap_or("https://api.mailgun.net")))
                .remediation(format!("Set endpoint to {fix}"))
                .evidence(Evidence::Value { label: "location".into(), value: location }),
        );
    }
}

fn ses(out: &mut Outcome, c: &Checked, from: &str) {
    req(
        out,
        format!("<token>._domainkey.{from} CNAME → <token>.dkim.amazonses.com (×3)"),
        Tri::CannotTell,
        "the Easy DKIM tokens are known only to SES",
    );
    out.findings.push(Finding::new(&codes::PROVIDER_DKIM_UNKNOWN, from.to_string(), format!("SES's three Easy DKIM CNAMEs (<token>._domainkey.{from} → <token>.dkim.amazonses.com) carry tokens only SES knows: whether they are published cannot be told")).remediation("Check the identity's DKIM status in the SES console of region ".to_string() + c.region.as_deref().unwrap_or("?") + ", or audit the names it shows with `mailpreflight dns DOMAIN --selector TOKEN`"));
    let region = c.region.as_deref().unwrap_or("<region>");
    req(
        out,
        format!(
            "custom MAIL FROM: MX feedback-smtp.{region}.amazonses.com + SPF include:amazonses.com"
        ),
        Tri::CannotTell,
        "the MAIL FROM subdomain is set in SES, not in the config",
    );
    out.findings.push(Finding::new(&codes::RETURN_PATH_NOT_ALIGNED, from.to_string(), format!("SES's default envelope sender is an amazonses.com address; unless a custom MAIL FROM subdomain of {from} is set up (MX feedback-smtp.{region}.amazonses.com, SPF include:amazonses.com), SPF does not align and DKIM alone carries DMARC")));
    out.spf_pass = Some(Tri::CannotTell);
}

async fn postmark(out: &mut Outcome, dns: &Dns, from: &str) {
    // `pm-bounces` is the Return-Path host Postmark's console suggests (unverified).
    let name = format!("pm-bounces.{from}");
    let (target, outcome) = cname(dns, &name).await;
    if target.as_deref() == Some("pm.mtasv.net") {
        req(
            out,
            format!("{name} CNAME → pm.mtasv.net"),
            Tri::Yes,
            "custom Return-Path",
        );
        out.spf_pass = Some(Tri::Yes);
    } else {
        req(
            out,
            format!("{name} CNAME → pm.mtasv.net"),
            Tri::No,
            outcome,
        );
        out.findings.push(Finding::new(&codes::RETURN_PATH_NOT_ALIGNED, from.to_string(), format!("no custom Return-Path ({name} CNAME pm.mtasv.net, the name Postmark suggests; another name may be in use): Postmark's bounce domain does not align with {from}")).remediation(format!("Publish {name} CNAME pm.mtasv.net and set it as the Return-Path in Postmark")));
        out.spf_pass = Some(Tri::CannotTell);
    }
    req(
        out,
        format!("<YYYYMMDDhhmmss>pm._domainkey.{from} TXT"),
        Tri::CannotTell,
        "Postmark's selector is chosen in its console",
    );
    out.findings.push(Finding::new(&codes::PROVIDER_DKIM_UNKNOWN, from.to_string(), format!("Postmark's DKIM selector for {from} is not in the config: whether its key is published cannot be told")));
    out.dkim_domain = Some(from.to_string());
}

async fn aliyun(out: &mut Outcome, c: &Checked, dns: &Dns, facts: &DomainFacts, from: &str) {
    match facts.spf.as_ref().and_then(|s| s.tree.as_ref()) {
        Some(tree) if spf_includes(tree, "spf1.dm.aliyun.com") => {
            req(
                out,
                format!("{from} SPF include:spf1.dm.aliyun.com"),
                Tri::Yes,
                "present",
            );
            out.spf_pass = Some(Tri::Yes);
        }
        Some(_) => {
            req(
                out,
                format!("{from} SPF include:spf1.dm.aliyun.com"),
                Tri::No,
                "missing",
            );
            out.findings.push(
                Finding::new(
                    &crate::audit::codes::PROVIDER_SPF_MISSING,
                    from.to_string(),
                    format!("{from}'s SPF does not include spf1.dm.aliyun.com (Aliyun DirectMail)"),
                )
                .remediation("Add include:spf1.dm.aliyun.com to the SPF record"),
            );
            out.spf_pass = Some(Tri::No);
        }
        None => out.spf_pass = Some(Tri::CannotTell),
    }
    let region = c.region.as_deref().unwrap_or("cn-hangzhou");
    let name = format!("aliyun-{region}._domainkey.{from}");
    if txt_exists(dns, &name).await {
        req(out, format!("{name} TXT"), Tri::Yes, "present");
        out.dkim_pass = Some(Tri::Yes);
        out.dkim_domain = Some(from.to_string());
    } else {
        req(out, format!("{name} TXT"), Tri::No, "missing");
        out.findings.push(
            Finding::new(
                &codes::PROVIDER_DKIM_MISSING,
                name.clone(),
                format!("no DKIM key at {name}, the selector DirectMail uses for region {region}"),
            )
            .remediation(format!(
                "Publish the TXT record DirectMail's console shows for {name}"
            )),
        );
        out.dkim_pass = Some(Tri::No);
    }
}
