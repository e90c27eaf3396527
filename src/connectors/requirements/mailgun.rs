//! Mailgun (providers.md): the sending domain (`domain` in the config) carries
//! `include:mailgun.org` and the DKIM key at a selector chosen in Mailgun's panel; Mailgun
//! bounces as `bounce+…@<sending domain>`, so that domain is the envelope. Its MX shows the
//! region: `mxa.eu.mailgun.org` for a domain in the EU region, `mxa.mailgun.org` in the US;
//! the API endpoint must be the same region's or Mailgun answers 404 "Domain not found".

use super::{Hints, Outcome, dkim_key, location, mx_hosts, spf_found, spf_tree};
use crate::audit::alignment::Tri;
use crate::connectors::{Checked, codes};
use crate::dns::DnsView;
use crate::report::Finding;
use crate::spf::SpfFacts;

pub async fn check(
    out: &mut Outcome,
    c: &Checked,
    dns: &DnsView,
    spf: Option<&SpfFacts>,
    from: &str,
    hints: &Hints,
) {
    let sending = c.sending_domain.clone().unwrap_or_else(|| from.to_string());
    if !crate::dmarc::orgdomain::same_organization(&sending, from) {
        out.findings.push(Finding::new(&codes::SENDING_DOMAIN_MISMATCH, from.to_string(), format!("from is in {from}, but the Mailgun domain is {sending}: Mailgun signs and bounces as {sending}, which does not align with {from}")));
    }
    out.envelope = Some((
        sending.clone(),
        format!("Mailgun bounces as bounce+…@{sending} (the config's domain)"),
    ));

    let tree = spf_tree(dns, spf, from, &sending).await;
    let (status, found) = spf_found(tree.as_ref(), &sending, "mailgun.org");
    out.require(
        format!("{sending} TXT (SPF)"),
        "include:mailgun.org",
        found,
        status,
    );
    if status == Tri::No {
        out.findings.push(
            Finding::new(
                &crate::audit::codes::PROVIDER_SPF_MISSING,
                sending.clone(),
                format!("{sending}'s SPF does not include mailgun.org (Mailgun)"),
            )
            .remediation("Add include:mailgun.org to the sending domain's SPF record"),
        );
    }
    out.spf_pass = Some(status);

    out.dkim_domain = Some(sending.clone());
    if hints.selectors.is_empty() {
        out.require(
            format!("<selector>._domainkey.{sending} TXT"),
            "the DKIM key Mailgun's panel shows",
            "not checked: the selector is chosen in Mailgun's panel (give --selector)",
            Tri::CannotTell,
        );
        out.findings.push(Finding::new(&codes::PROVIDER_DKIM_UNKNOWN, sending.clone(), format!("Mailgun's DKIM selector for {sending} is not in the config: whether its key is published cannot be told")));
        out.dkim_pass = Some(Tri::CannotTell);
    } else {
        let mut any = false;
        for s in &hints.selectors {
            let name = format!("{s}._domainkey.{sending}");
            match dkim_key(dns, s, &sending).await {
                Ok(key) => {
                    any = true;
                    out.require(
                        format!("{name} TXT"),
                        "the DKIM key Mailgun's panel shows",
                        key,
                        Tri::Yes,
                    );
                }
                Err(why) => {
                    out.require(
                        format!("{name} TXT"),
                        "the DKIM key Mailgun's panel shows",
                        why.clone(),
                        Tri::No,
                    );
                    out.findings.push(Finding::new(&codes::PROVIDER_DKIM_MISSING, name.clone(), format!("{name}: {why}. It is the selector given for Mailgun, so Mailgun cannot sign as {sending}")).remediation(format!("Publish the TXT record Mailgun's panel shows for {name}")));
                }
            }
        }
        out.dkim_pass = Some(if any { Tri::Yes } else { Tri::No });
    }

    region(out, c, dns, &sending).await;
}

/// The region the sending domain's MX shows, against the endpoint's.
async fn region(out: &mut Outcome, c: &Checked, dns: &DnsView, sending: &str) {
    let configured = c.region.as_deref().unwrap_or("us");
    let endpoint = c
        .api_endpoint
        .as_deref()
        .unwrap_or("https://api.mailgun.net");
    let (want, fix) = if configured == "eu" {
        (
            "mxa.eu.mailgun.org, mxb.eu.mailgun.org (EU region)",
            "https://api.mailgun.net",
        )
    } else {
        (
            "mxa.mailgun.org, mxb.mailgun.org (US region)",
            "https://api.eu.mailgun.net",
        )
    };
    let hosts = match mx_hosts(dns, sending).await {
        Ok(h) => h,
        Err(why) => {
            out.require(
                format!("{sending} MX"),
                want,
                format!("{why}: the region cannot be told from DNS"),
                Tri::CannotTell,
            );
            return;
        }
    };
    let eu = hosts.iter().any(|h| h.ends_with(".eu.mailgun.org"));
    let us = hosts
        .iter()
        .any(|h| h.ends_with(".mailgun.org") && !h.ends_with(".eu.mailgun.org"));
    let found = hosts.join(", ");
    let dns_region = match (eu, us) {
        (true, false) => "eu",
        (false, true) => "us",
        _ => {
            out.require(
                format!("{sending} MX"),
                want,
                format!("{found}: not Mailgun's, so the region cannot be told from DNS"),
                Tri::CannotTell,
            );
            return;
        }
    };
    if dns_region == configured {
        out.require(format!("{sending} MX"), want, found, Tri::Yes);
        return;
    }
    out.require(format!("{sending} MX"), want, found, Tri::No);
    let (p, at) = location(c, "endpoint");
    let named = if dns_region == "eu" { "EU" } else { "US" };
    out.findings.push(
        Finding::new(&codes::REGION_MISMATCH, p, format!("{sending}'s MX points at Mailgun's {named} region, but the connector calls {endpoint}: Mailgun answers 404 Domain not found"))
            .remediation(format!("Set endpoint to {fix}"))
            .evidence(at),
    );
}
