//! Amazon SES (providers.md): Easy DKIM publishes three CNAMEs `<token>._domainkey.<domain>`
//! → `<token>.<DKIM domain of the region>` and signs as the domain; the envelope is an
//! amazonses.com address (not aligned) unless a custom MAIL FROM subdomain has MX
//! `feedback-smtp.<region>.amazonses.com` and SPF `include:amazonses.com`. Identities are per
//! region, so a token or an MX of another region means the domain was set up elsewhere.
//! The tokens and the MAIL FROM name are known only to SES: `--selector` and
//! `--return-path` name them.

use super::{Hints, Outcome, cname, dkim_key, mx_hosts, spf_found};
use crate::audit::alignment::Tri;
use crate::connectors::{Checked, codes};
use crate::dns::DnsView;
use crate::report::Finding;

/// Regions whose Easy DKIM CNAMEs point at a regional domain `dkim.<region>.amazonses.com`;
/// every other region uses `dkim.amazonses.com`. From the AWS General Reference ("Amazon
/// SES endpoints and quotas", DKIM domains) as quoted by infrastructure code that uses it;
/// the page itself was not read (unverified; AWS adds regions).
const REGIONAL_DKIM: &[&str] = &[
    "af-south-1",
    "ap-northeast-3",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "il-central-1",
    "me-central-1",
    "us-gov-east-1",
];

pub fn dkim_domain(region: &str) -> String {
    if REGIONAL_DKIM.contains(&region) {
        format!("dkim.{region}.amazonses.com")
    } else {
        "dkim.amazonses.com".into()
    }
}

/// The region an Easy DKIM target belongs to: `Some(None)` for the default domain,
/// `Some(Some(r))` for a regional one, `None` when it is not SES's.
fn target_region(target: &str) -> Option<Option<String>> {
    let rest = target.strip_suffix(".amazonses.com")?;
    let (_, after_token) = rest.split_once('.')?;
    match after_token.strip_prefix("dkim") {
        Some("") => Some(None),
        Some(r) => r.strip_prefix('.').map(|r| Some(r.to_string())),
        None => None,
    }
}

pub async fn check(out: &mut Outcome, c: &Checked, dns: &DnsView, from: &str, hints: &Hints) {
    let region = c.region.clone().unwrap_or_else(|| "<region>".into());
    out.dkim_domain = Some(from.to_string());
    dkim(out, dns, from, &region, hints).await;
    match &hints.return_path {
        Some(rp) => mail_from(out, dns, from, &region, rp).await,
        None => {
            out.require(
                format!("<MAIL FROM subdomain of {from}> MX, TXT (SPF)"),
                format!("MX feedback-smtp.{region}.amazonses.com, include:amazonses.com"),
                "not checked: the MAIL FROM subdomain is set in SES, not in the config (give --return-path)",
                Tri::CannotTell,
            );
            out.findings.push(Finding::new(&codes::RETURN_PATH_NOT_ALIGNED, from.to_string(), format!("SES's default envelope sender is an amazonses.com address; unless a custom MAIL FROM subdomain of {from} is set up (MX feedback-smtp.{region}.amazonses.com, SPF include:amazonses.com), SPF does not align and DKIM alone carries DMARC")).remediation("Set up a custom MAIL FROM domain in SES and check it with --return-path MAILFROM.DOMAIN"));
            out.spf_pass = Some(Tri::CannotTell);
        }
    }
}

async fn dkim(out: &mut Outcome, dns: &DnsView, from: &str, region: &str, hints: &Hints) {
    let domain = dkim_domain(region);
    if hints.selectors.is_empty() {
        out.require(
            format!("<token>._domainkey.{from} CNAME (×3)"),
            format!("CNAME <token>.{domain}"),
            "not checked: the Easy DKIM tokens are known only to SES (give them with --selector)",
            Tri::CannotTell,
        );
        out.findings.push(Finding::new(&codes::PROVIDER_DKIM_UNKNOWN, from.to_string(), format!("SES's three Easy DKIM CNAMEs (<token>._domainkey.{from} → <token>.{domain}) carry tokens only SES knows: whether they are published cannot be told")).remediation(format!("Check the identity's DKIM status in the SES console of region {region}, or give the three tokens it shows with --selector")));
        out.dkim_pass = Some(Tri::CannotTell);
        return;
    }
    let mut all = true;
    for token in &hints.selectors {
        let name = format!("{token}._domainkey.{from}");
        let expected = format!("{token}.{domain}");
        let record = format!("{name} CNAME");
        let need = format!("CNAME {expected}");
        let found = match cname(dns, &name).await {
            Ok(t) if t == expected => match dkim_key(dns, token, from).await {
                Ok(key) => {
                    out.require(record, need, format!("→ {t}: {key}"), Tri::Yes);
                    continue;
                }
                Err(why) => format!("→ {t}, but SES publishes no usable key there: {why}"),
            },
            Ok(t) => {
                let their_domain = t.split_once('.').map_or("", |(_, d)| d);
                if let Some(other) = target_region(&t).filter(|_| their_domain != domain) {
                    let theirs = other.as_deref().map_or_else(
                        || "regions using dkim.amazonses.com".to_string(),
                        |r| format!("region {r}"),
                    );
                    all = false;
                    out.require(record, need, format!("CNAME to {t} ({theirs})"), Tri::No);
                    out.findings.push(Finding::new(&codes::REGION_MISMATCH, name.clone(), format!("{name} points at {t}, SES's DKIM domain for {theirs}, but the connector's region is {region} (DKIM domain {domain}): the identity was set up in another region, and SES in {region} does not sign for it")).remediation(format!("Verify {from} in SES region {region} and publish the CNAMEs it shows, or set region to the one where it is verified")));
                    continue;
                }
                format!("CNAME to {t}")
            }
            Err(why) => why,
        };
        all = false;
        out.require(record, need, found.clone(), Tri::No);
        out.findings.push(
            Finding::new(&codes::PROVIDER_DKIM_MISSING, name.clone(), format!("{name}: {found}, where SES needs CNAME {expected}. Until its records verify, SES's Easy DKIM for {from} fails and SES signs as amazonses.com"))
                .remediation(format!("Publish {name} CNAME {expected} (the SES console of region {region} shows the three records)")),
        );
    }
    if !all {
        // Until Easy DKIM verifies, SES signs as its own amazonses.com.
        out.dkim_domain = Some("amazonses.com".into());
    }
    out.dkim_pass = Some(if all { Tri::Yes } else { Tri::No });
}

async fn mail_from(out: &mut Outcome, dns: &DnsView, from: &str, region: &str, rp: &str) {
    let want_mx = format!("feedback-smtp.{region}.amazonses.com");
    let mut ok = crate::dns::name::is_subdomain_of(rp, from) && rp != from;
    if !ok {
        out.findings.push(Finding::new(&codes::RETURN_PATH_NOT_ALIGNED, rp.to_string(), format!("the MAIL FROM domain {rp} is not a subdomain of {from}: SES requires one, and only then does SPF align")));
    }
    match mx_hosts(dns, rp).await {
        Ok(hosts) if hosts.contains(&want_mx) => {
            out.require(
                format!("{rp} MX"),
                format!("MX 10 {want_mx}"),
                hosts.join(", "),
                Tri::Yes,
            );
        }
        other => {
            ok = false;
            let found = match &other {
                Ok(hosts) => hosts.join(", "),
                Err(why) => why.clone(),
            };
            let elsewhere = other.as_ref().ok().and_then(|hosts| {
                hosts.iter().find_map(|h| {
                    h.strip_prefix("feedback-smtp.")?
                        .strip_suffix(".amazonses.com")
                        .map(str::to_string)
                })
            });
            out.require(
                format!("{rp} MX"),
                format!("MX 10 {want_mx}"),
                found.clone(),
                Tri::No,
            );
            let finding = match elsewhere {
                Some(r) => Finding::new(
                    &codes::REGION_MISMATCH,
                    rp.to_string(),
                    format!(
                        "{rp}'s MX is SES's feedback host for region {r}, but the connector's region is {region}: SES in {region} finds no MX of its own there, so the custom MAIL FROM fails and mail goes out as amazonses.com (or is refused, per the identity's MX-failure setting)"
                    ),
                ),
                None => Finding::new(
                    &codes::RETURN_PATH_NOT_ALIGNED,
                    rp.to_string(),
                    format!(
                        "{rp} has no MX {want_mx} ({found}): SES does not use the custom MAIL FROM domain, so mail goes out as amazonses.com and SPF does not align with {from}"
                    ),
                ),
            };
            out.findings
                .push(finding.remediation(format!("Publish {rp} MX 10 {want_mx}")));
        }
    }
    let walk = crate::spf::walk::walk(dns, rp, None, "").await;
    let tree = walk.tree.record.is_some().then_some(walk.tree);
    let (status, found) = spf_found(tree.as_ref(), rp, "amazonses.com");
    out.require(
        format!("{rp} TXT (SPF)"),
        "include:amazonses.com",
        found,
        status,
    );
    if status != Tri::Yes {
        ok = false;
        out.findings.push(
            Finding::new(
                &crate::audit::codes::PROVIDER_SPF_MISSING,
                rp.to_string(),
                format!("{rp}'s SPF does not include amazonses.com (Amazon SES's MAIL FROM domain): SPF fails for mail SES sends as {rp}"),
            )
            .remediation(format!("Publish {rp} TXT \"v=spf1 include:amazonses.com ~all\"")),
        );
    }
    if ok {
        out.spf_pass = Some(Tri::Yes);
        out.envelope = Some((
            rp.to_string(),
            format!("SES bounces as {rp} (--return-path: its custom MAIL FROM domain)"),
        ));
    } else {
        out.spf_pass = Some(Tri::CannotTell);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dkim_domains_and_target_regions() {
        assert_eq!(dkim_domain("eu-west-1"), "dkim.amazonses.com");
        assert_eq!(dkim_domain("af-south-1"), "dkim.af-south-1.amazonses.com");
        assert_eq!(target_region("tok.dkim.amazonses.com"), Some(None));
        assert_eq!(
            target_region("tok.dkim.af-south-1.amazonses.com"),
            Some(Some("af-south-1".into()))
        );
        assert_eq!(target_region("tok.sendgrid.net"), None);
        assert_eq!(target_region("feedback-smtp.us-east-1.amazonses.com"), None);
    }
}
