//! Aliyun DirectMail (providers.md): the From domain's SPF includes DirectMail's servers and
//! its DKIM key sits at `aliyun-<region>._domainkey`. Both depend on the region the domain
//! was registered in: `include:spf1.dm.aliyun.com` for cn-hangzhou, and
//! `include:spfdm-<region>.aliyun.com` elsewhere (observed in DirectMail's console records
//! for ap-southeast-1 and eu-central-1, as quoted by public setup notes; not read from
//! Alibaba Cloud's documentation: unverified). A key published for another region than the
//! connector's means the domain was set up in that region's console.

use super::{Outcome, dkim_key, location, spf_found};
use crate::audit::alignment::Tri;
use crate::connectors::{Checked, codes};
use crate::dns::DnsView;
use crate::report::Finding;
use crate::spf::SpfFacts;

/// Regions whose selector is tried when the configured one has no key (the regions
/// DirectMail is known to be offered in; see `connectors::aliyun`).
const REGIONS: &[&str] = &[
    "cn-hangzhou",
    "ap-southeast-1",
    "ap-southeast-2",
    "eu-central-1",
];

fn region_of(region: Option<&str>) -> &str {
    region.unwrap_or("cn-hangzhou")
}

pub fn selector(region: Option<&str>) -> String {
    format!("aliyun-{}", region_of(region))
}

pub fn spf_include(region: &str) -> String {
    if region == "cn-hangzhou" {
        "spf1.dm.aliyun.com".into()
    } else {
        format!("spfdm-{region}.aliyun.com")
    }
}

pub async fn check(
    out: &mut Outcome,
    c: &Checked,
    dns: &DnsView,
    spf: Option<&SpfFacts>,
    from: &str,
) {
    let region = region_of(c.region.as_deref()).to_string();
    let include = spf_include(&region);
    let tree = spf.and_then(|s| s.tree.as_ref());
    let (status, found) = spf_found(tree, from, &include);
    out.require(
        format!("{from} TXT (SPF)"),
        format!("include:{include}"),
        found,
        status,
    );
    if status == Tri::No {
        let other = REGIONS
            .iter()
            .map(|r| spf_include(r))
            .find(|inc| tree.is_some_and(|t| crate::audit::provider::spf_includes(t, inc)));
        let also = other.map_or(String::new(), |inc| {
            format!(" (it includes {inc}, another DirectMail region's)")
        });
        out.findings.push(
            Finding::new(
                &crate::audit::codes::PROVIDER_SPF_MISSING,
                from.to_string(),
                format!("{from}'s SPF does not include {include}, Aliyun DirectMail's for region {region}{also}"),
            )
            .remediation(format!("Add include:{include} to the SPF record")),
        );
    }
    out.spf_pass = Some(status);

    let sel = selector(Some(&region));
    let name = format!("{sel}._domainkey.{from}");
    let expected = "the DKIM key DirectMail's console shows";
    match dkim_key(dns, &sel, from).await {
        Ok(key) => {
            out.require(format!("{name} TXT"), expected, key, Tri::Yes);
            out.dkim_pass = Some(Tri::Yes);
            out.dkim_domain = Some(from.to_string());
            return;
        }
        Err(why) => out.require(format!("{name} TXT"), expected, why, Tri::No),
    }
    out.dkim_pass = Some(Tri::No);
    // Published for another region instead?
    for r in REGIONS.iter().filter(|r| **r != region) {
        if dkim_key(dns, &selector(Some(r)), from).await.is_ok() {
            let (p, at) = location(c, "regionId");
            out.findings.push(
                Finding::new(&codes::REGION_MISMATCH, p, format!("{from}'s DKIM key is published for DirectMail's region {r} (aliyun-{r}._domainkey), but the connector uses region {region}: the domain is set up in the {r} console, where this connector does not send"))
                    .remediation(format!("Set regionId to {r}, or register {from} in DirectMail's {region} console and publish the records it shows"))
                    .evidence(at),
            );
            return;
        }
    }
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
}
