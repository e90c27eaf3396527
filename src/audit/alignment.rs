//! DMARC alignment predicted before anything is sent (RFC 7489 3.1): the three identities
//! (From domain, the envelope sender's domain as the connector or its provider will produce
//! it, the DKIM d=), the DMARC record's adkim/aspf, and whether SPF and DKIM will pass.

use crate::config::providers::{EnvelopeAlignment, Provider};
use crate::dmarc::orgdomain::same_organization;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tri {
    Yes,
    No,
    CannotTell,
}

impl Tri {
    pub fn word(self) -> &'static str {
        match self {
            Tri::Yes => "yes",
            Tri::No => "no",
            Tri::CannotTell => "cannot tell",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Identities {
    pub from_domain: Option<String>,
    /// The envelope sender's domain; `None` when the provider chooses it (e.g. a bounce
    /// subdomain we cannot know from here).
    pub envelope_domain: Option<String>,
    pub envelope_note: String,
    /// The DKIM signing domain, when known (flags, the config's dkim option, or a key found
    /// at one of the provider's selectors on the From domain).
    pub dkim_domain: Option<String>,
    pub dkim_note: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AlignmentPrediction {
    pub identities: Identities,
    pub adkim_strict: bool,
    pub aspf_strict: bool,
    pub dmarc_record: bool,
    pub spf_pass: Tri,
    pub spf_aligned: Tri,
    pub dkim_pass: Tri,
    pub dkim_aligned: Tri,
    pub dmarc_pass: Tri,
    /// The shortest change that makes DMARC pass, when it would not.
    pub shortest_fix: Option<String>,
}

/// Where the envelope sender (Return-Path) will be, for this provider.
pub fn envelope_identity(
    from_domain: Option<&str>,
    provider: Option<&Provider>,
) -> (Option<String>, String) {
    let from = from_domain.map(str::to_string);
    match provider.map(|p| (p.envelope, p.name, p.envelope_note)) {
        None => (from, "Logto sends with MAIL FROM = fromEmail".into()),
        Some((EnvelopeAlignment::Mailbox, name, _)) => {
            (from, format!("{name} keeps the mailbox as envelope sender"))
        }
        Some((EnvelopeAlignment::RelaxedSubdomain, name, note)) => (
            None,
            format!("{name} rewrites the envelope sender to a subdomain ({note})"),
        ),
        Some((EnvelopeAlignment::NotAlignedByDefault, name, note)) => (
            None,
            format!("{name} uses its own bounce domain by default ({note})"),
        ),
        Some((EnvelopeAlignment::Unknown, name, _)) => {
            (None, format!("{name}: envelope sender not known"))
        }
    }
}

fn aligned(a: &str, b: &str, strict: bool) -> bool {
    let (a, b) = (
        a.trim_end_matches('.').to_ascii_lowercase(),
        b.trim_end_matches('.').to_ascii_lowercase(),
    );
    if strict {
        a == b
    } else {
        same_organization(&a, &b)
    }
}

pub struct Inputs<'a> {
    pub identities: Identities,
    pub provider: Option<&'a Provider>,
    pub adkim_strict: bool,
    pub aspf_strict: bool,
    pub dmarc_record: bool,
    /// check_host() for the sending IP (self-run server), or whether the provider's SPF
    /// include is in the envelope domain's SPF tree (ESP).
    pub spf_pass: Tri,
    pub dkim_pass: Tri,
}

pub fn predict(i: Inputs<'_>) -> AlignmentPrediction {
    let ids = &i.identities;
    let from = ids.from_domain.as_deref();
    let spf_aligned = match (
        from,
        ids.envelope_domain.as_deref(),
        i.provider.map(|p| p.envelope),
    ) {
        (Some(f), Some(e), _) => {
            if aligned(f, e, i.aspf_strict) {
                Tri::Yes
            } else {
                Tri::No
            }
        }
        (_, None, Some(EnvelopeAlignment::RelaxedSubdomain)) => {
            if i.aspf_strict {
                Tri::No
            } else {
                Tri::Yes
            }
        }
        (_, None, Some(EnvelopeAlignment::NotAlignedByDefault)) => Tri::No,
        _ => Tri::CannotTell,
    };
    let dkim_aligned = match (from, ids.dkim_domain.as_deref()) {
        (Some(f), Some(d)) => {
            if aligned(f, d, i.adkim_strict) {
                Tri::Yes
            } else {
                Tri::No
            }
        }
        _ => Tri::CannotTell,
    };
    let both = |a: Tri, b: Tri| match (a, b) {
        (Tri::Yes, Tri::Yes) => Tri::Yes,
        (Tri::No, _) | (_, Tri::No) => Tri::No,
        _ => Tri::CannotTell,
    };
    let via_spf = both(i.spf_pass, spf_aligned);
    let via_dkim = both(i.dkim_pass, dkim_aligned);
    let dmarc_pass = match (via_spf, via_dkim) {
        (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
        (Tri::No, Tri::No) => Tri::No,
        _ => Tri::CannotTell,
    };
    let shortest_fix = (dmarc_pass != Tri::Yes).then(|| {
        let f = from.unwrap_or("the From domain");
        if i.dkim_pass != Tri::Yes && ids.dkim_domain.is_none() {
            format!("sign with DKIM as d={f}: publish a key at <selector>._domainkey.{f} and set the config's dkim option (or the provider's DKIM setup)")
        } else if dkim_aligned == Tri::No {
            format!("sign with d={f} (or a domain of its organization) instead of d={}", ids.dkim_domain.as_deref().unwrap_or("?"))
        } else if i.dkim_pass == Tri::No {
            format!("publish the signing key's public record so that DKIM passes for d={f}")
        } else if spf_aligned == Tri::No && i.aspf_strict {
            format!("relax SPF alignment (aspf=r in _dmarc.{f}) or use a MAIL FROM at {f} itself")
        } else if i.spf_pass == Tri::No {
            format!("authorise the sending servers in {f}'s SPF record")
        } else {
            "run with --dkim-key and --dkim-selector so the prediction can check DKIM".into()
        }
    });
    AlignmentPrediction {
        adkim_strict: i.adkim_strict,
        aspf_strict: i.aspf_strict,
        dmarc_record: i.dmarc_record,
        spf_pass: i.spf_pass,
        spf_aligned,
        dkim_pass: i.dkim_pass,
        dkim_aligned,
        dmarc_pass,
        shortest_fix,
        identities: i.identities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(from: &str, env: Option<&str>, d: Option<&str>) -> Identities {
        Identities {
            from_domain: Some(from.into()),
            envelope_domain: env.map(Into::into),
            envelope_note: String::new(),
            dkim_domain: d.map(Into::into),
            dkim_note: String::new(),
        }
    }

    fn run(
        i: Identities,
        provider: Option<&Provider>,
        strict: (bool, bool),
        spf: Tri,
        dkim: Tri,
    ) -> AlignmentPrediction {
        predict(Inputs {
            identities: i,
            provider,
            adkim_strict: strict.0,
            aspf_strict: strict.1,
            dmarc_record: true,
            spf_pass: spf,
            dkim_pass: dkim,
        })
    }

    #[test]
    fn self_run_aligned_by_both() {
        let p = run(
            ids("example.com", Some("example.com"), Some("example.com")),
            None,
            (false, false),
            Tri::Yes,
            Tri::Yes,
        );
        assert_eq!(
            (p.spf_aligned, p.dkim_aligned, p.dmarc_pass),
            (Tri::Yes, Tri::Yes, Tri::Yes)
        );
        assert!(p.shortest_fix.is_none());
    }

    #[test]
    fn strict_alignment_and_subdomains() {
        let p = run(
            ids(
                "example.com",
                Some("auth.example.com"),
                Some("auth.example.com"),
            ),
            None,
            (true, true),
            Tri::Yes,
            Tri::Yes,
        );
        assert_eq!(
            (p.spf_aligned, p.dkim_aligned, p.dmarc_pass),
            (Tri::No, Tri::No, Tri::No)
        );
        assert!(p.shortest_fix.unwrap().contains("sign with d=example.com"));
        let p = run(
            ids("example.com", Some("auth.example.com"), None),
            None,
            (false, false),
            Tri::Yes,
            Tri::CannotTell,
        );
        assert_eq!(
            p.dmarc_pass,
            Tri::Yes,
            "relaxed SPF alignment carries DMARC"
        );
    }

    #[test]
    fn esp_bounce_domains() {
        let ses =
            crate::config::providers::recognise("email-smtp.eu-west-1.amazonaws.com").unwrap();
        let (env, note) = envelope_identity(Some("example.com"), Some(ses));
        assert!(env.is_none() && note.contains("Amazon SES"));
        let p = run(
            ids("example.com", None, None),
            Some(ses),
            (false, false),
            Tri::Yes,
            Tri::CannotTell,
        );
        assert_eq!((p.spf_aligned, p.dmarc_pass), (Tri::No, Tri::CannotTell));
        let sg = crate::config::providers::recognise("smtp.sendgrid.net").unwrap();
        let p = run(
            ids("example.com", None, Some("example.com")),
            Some(sg),
            (false, true),
            Tri::Yes,
            Tri::No,
        );
        assert_eq!(
            (p.spf_aligned, p.dmarc_pass),
            (Tri::No, Tri::No),
            "aspf=s breaks SendGrid's subdomain"
        );
    }
}
