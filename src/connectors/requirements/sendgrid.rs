//! SendGrid's domain authentication (providers.md): `s1`/`s2._domainkey` CNAMEs to
//! `sN.domainkey.uNNNN.wlNNN.sendgrid.net` (SendGrid hosts the keys and signs as the From
//! domain), and the envelope on `emNNNN.<domain>` CNAME `uNNNN.wlNNN.sendgrid.net`, whose
//! number only SendGrid's console shows (`--return-path` names it).

use super::{Hints, Outcome, cname, dkim_key};
use crate::audit::alignment::Tri;
use crate::connectors::codes;
use crate::report::Finding;

pub async fn check(out: &mut Outcome, dns: &crate::dns::DnsView, from: &str, hints: &Hints) {
    let mut signed = 0;
    for s in ["s1", "s2"] {
        let name = format!("{s}._domainkey.{from}");
        let expected = format!("CNAME {s}.domainkey.uNNNN.wlNNN.sendgrid.net");
        let problem = match cname(dns, &name).await {
            Ok(t) if t.ends_with(".sendgrid.net") => match dkim_key(dns, s, from).await {
                Ok(key) => {
                    signed += 1;
                    out.require(
                        format!("{name} CNAME"),
                        expected,
                        format!("→ {t}: {key}"),
                        Tri::Yes,
                    );
                    continue;
                }
                Err(why) => format!("→ {t}, but SendGrid publishes no usable key there: {why}"),
            },
            Ok(t) => format!("CNAME to {t}, not to sendgrid.net"),
            Err(why) => why,
        };
        out.require(format!("{name} CNAME"), expected, problem.clone(), Tri::No);
        out.findings.push(
            Finding::new(&codes::PROVIDER_DKIM_MISSING, name.clone(), format!("{name}: {problem}. Until both s1 and s2 point at SendGrid, its domain authentication fails and it signs as sendgrid.net, which does not align with {from}"))
                .remediation(format!("Authenticate {from} in SendGrid (Settings → Sender Authentication) and publish {name} CNAME {s}.domainkey.uNNNN.wlNNN.sendgrid.net as it shows")),
        );
    }
    out.dkim_pass = Some(if signed == 2 { Tri::Yes } else { Tri::No });
    // SendGrid signs as the From domain only once both records validate; until then it
    // signs as its own domain.
    out.dkim_domain = Some(if signed == 2 { from } else { "sendgrid.net" }.to_string());

    let expected = "CNAME uNNNN.wlNNN.sendgrid.net";
    match &hints.return_path {
        None => {
            out.require(
                format!("emNNNN.{from} CNAME"),
                expected,
                "not checked: the em subdomain's number is not in the config (give --return-path emNNNN.DOMAIN)",
                Tri::CannotTell,
            );
            out.spf_pass = Some(Tri::CannotTell);
        }
        Some(rp) => match cname(dns, rp).await {
            Ok(t) if t.ends_with(".sendgrid.net") => {
                out.require(format!("{rp} CNAME"), expected, format!("→ {t}"), Tri::Yes);
                // SendGrid answers SPF for the em subdomain through the CNAME.
                out.spf_pass = Some(Tri::Yes);
                out.envelope = Some((
                    rp.clone(),
                    format!("SendGrid bounces as {rp} (--return-path, CNAME to SendGrid)"),
                ));
            }
            other => {
                let found = match other {
                    Ok(t) => format!("CNAME to {t}, not to sendgrid.net"),
                    Err(why) => why,
                };
                out.require(format!("{rp} CNAME"), expected, found.clone(), Tri::No);
                out.findings.push(
                    Finding::new(&codes::RETURN_PATH_NOT_ALIGNED, rp.clone(), format!("{rp} ({found}) does not point at SendGrid: SendGrid's branded envelope domain is not set up, so it bounces as its own domain and SPF does not align with {from}"))
                        .remediation(format!("Publish {rp} CNAME uNNNN.wlNNN.sendgrid.net as SendGrid's Sender Authentication page shows")),
                );
                out.spf_pass = Some(Tri::CannotTell);
            }
        },
    }
}
