//! Postmark (providers.md): SPF aligns only with a custom Return-Path, a subdomain of the
//! From domain with CNAME `pm.mtasv.net` (`pm-bounces` is the name Postmark's console
//! suggests; `--return-path` names another); the DKIM key sits at a selector Postmark's
//! console chooses (`<YYYYMMDDhhmmss>pm`), checked when `--selector` names it.

use super::{Hints, Outcome, cname, dkim_key};
use crate::audit::alignment::Tri;
use crate::connectors::codes;
use crate::dns::DnsView;
use crate::report::Finding;

pub async fn check(out: &mut Outcome, dns: &DnsView, from: &str, hints: &Hints) {
    let (name, named) = match &hints.return_path {
        Some(rp) => (rp.clone(), "--return-path"),
        None => (format!("pm-bounces.{from}"), "the name Postmark suggests"),
    };
    let expected = "CNAME pm.mtasv.net";
    match cname(dns, &name).await {
        Ok(t) if t == "pm.mtasv.net" => {
            out.require(
                format!("{name} CNAME"),
                expected,
                format!("→ {t}"),
                Tri::Yes,
            );
            // Postmark answers SPF for its Return-Path hosts through the CNAME.
            out.spf_pass = Some(Tri::Yes);
            out.envelope = Some((
                name.clone(),
                format!("Postmark bounces as {name} (its custom Return-Path, CNAME pm.mtasv.net)"),
            ));
        }
        other => {
            let found = match other {
                Ok(t) => format!("CNAME to {t}"),
                Err(why) => why,
            };
            out.require(format!("{name} CNAME"), expected, found.clone(), Tri::No);
            let also = if hints.return_path.is_none() {
                "; another name may be in use: give it with --return-path"
            } else {
                ""
            };
            out.findings.push(Finding::new(&codes::RETURN_PATH_NOT_ALIGNED, from.to_string(), format!("no custom Return-Path at {name} ({named}: {found}{also}): Postmark bounces as pm.mtasv.net, which does not align with {from}, so DKIM alone carries DMARC")).remediation(format!("Publish {name} CNAME pm.mtasv.net and set it as the Return-Path domain in Postmark")));
            out.spf_pass = Some(Tri::CannotTell);
        }
    }

    out.dkim_domain = Some(from.to_string());
    let expected = "the DKIM key Postmark's console shows";
    if hints.selectors.is_empty() {
        out.require(
            format!("<YYYYMMDDhhmmss>pm._domainkey.{from} TXT"),
            expected,
            "not checked: the selector is chosen in Postmark's console (give --selector)",
            Tri::CannotTell,
        );
        out.findings.push(Finding::new(&codes::PROVIDER_DKIM_UNKNOWN, from.to_string(), format!("Postmark's DKIM selector for {from} is not in the config: whether its key is published cannot be told")));
        out.dkim_pass = Some(Tri::CannotTell);
        return;
    }
    let mut any = false;
    for s in &hints.selectors {
        let rec = format!("{s}._domainkey.{from}");
        match dkim_key(dns, s, from).await {
            Ok(key) => {
                any = true;
                out.require(format!("{rec} TXT"), expected, key, Tri::Yes);
            }
            Err(why) => {
                out.require(format!("{rec} TXT"), expected, why.clone(), Tri::No);
                out.findings.push(Finding::new(&codes::PROVIDER_DKIM_MISSING, rec.clone(), format!("{rec}: {why}. It is the selector given for Postmark, so Postmark signs as pm.mtasv.net instead, which does not align with {from}")).remediation(format!("Publish the TXT record Postmark's Sender Signatures / Domains page shows for {rec}")));
            }
        }
    }
    if !any {
        // Without its DKIM for the domain, Postmark signs as its own pm.mtasv.net.
        out.dkim_domain = Some("pm.mtasv.net".to_string());
    }
    out.dkim_pass = Some(if any { Tri::Yes } else { Tri::No });
}
