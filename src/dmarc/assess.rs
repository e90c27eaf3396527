//! Judging the DMARC record in force (pure): parse problems, then policy choices.

use super::codes::*;
use super::parse::{self, Parsed, Policy, ProblemKind};
use crate::report::{Evidence, Finding, Severity};

/// The record in force and where it applies.
pub struct InForce<'a> {
    /// The audited (From) domain.
    pub domain: &'a str,
    /// Where the record was found (the domain itself, or an ancestor).
    pub policy_domain: &'a str,
    pub text: &'a str,
}

impl InForce<'_> {
    fn record_name(&self) -> String {
        format!("_dmarc.{}", self.policy_domain)
    }

    fn evidence(&self, span: Option<(usize, usize)>) -> Evidence {
        Evidence::Record {
            name: self.record_name(),
            text: self.text.to_string(),
            span,
        }
    }

    fn inherited(&self) -> bool {
        self.domain != self.policy_domain
    }
}

/// Advice for one parse problem, naming the tag it is about (the catalogue's is general).
fn problem_advice(p: &parse::Problem, name: &str, text: &str) -> Option<String> {
    match (p.kind, p.tag.as_deref()) {
        (ProblemKind::MissingSeparator, _) => Some(format!(
            "Separate the tags with semicolons in {name}: \"{}\".",
            parse::with_separators(text)
        )),
        (ProblemKind::BadValue, Some("pct")) => Some(format!(
            "Set pct= in {name} to a whole number from 0 to 100, or remove it (100 is the default; RFC 9989 dropped pct and uses t=y for testing). Receivers discard an invalid pct and use its default, 100: the policy applies to all failing mail."
        )),
        (ProblemKind::BadValue, Some("t")) => {
            Some(format!("Set t= in {name} to y or n, or remove it."))
        }
        (ProblemKind::BadValue, Some("psd")) => {
            Some(format!("Set psd= in {name} to y, n or u, or remove it."))
        }
        (ProblemKind::BadValue, Some(tag @ ("fo" | "rf" | "ri"))) => Some(format!(
            "Correct {tag}= in {name} (fo: 0, 1, d or s joined by ':'; rf: afrf; ri: seconds), or remove it: receivers use its default."
        )),
        (ProblemKind::BadValue, Some(tag @ ("p" | "sp" | "np"))) => Some(format!(
            "Set {tag}= in {name} to none, quarantine or reject: receivers ignore an invalid {tag}= (an invalid p= leaves the domain without a DMARC policy)."
        )),
        (ProblemKind::BadValue, Some(tag @ ("adkim" | "aspf"))) => Some(format!(
            "Set {tag}= in {name} to r (relaxed, the default) or s (strict)."
        )),
        _ => None,
    }
}

pub fn assess(rec: &InForce<'_>, parsed: &Parsed) -> Vec<Finding> {
    let mut out = Vec::new();
    let name = rec.record_name();
    for p in &parsed.problems {
        let (code, severity) = match p.kind {
            ProblemKind::VersionNotFirst => (&DMARC_VERSION_NOT_FIRST, None),
            ProblemKind::Syntax | ProblemKind::MissingSeparator => (&DMARC_SYNTAX_ERROR, None),
            ProblemKind::DuplicateTag => (&DMARC_DUPLICATE_TAG, None),
            // Receivers fall back to defaults for the reporting tags; p/sp/np/adkim/aspf matter.
            ProblemKind::BadValue => match p.tag.as_deref() {
                Some("fo" | "rf" | "ri" | "pct" | "t" | "psd") => {
                    (&DMARC_INVALID_TAG_VALUE, Some(Severity::Warning))
                }
                _ => (&DMARC_INVALID_TAG_VALUE, None),
            },
            ProblemKind::BadReportUri => (&DMARC_INVALID_REPORT_URI, None),
            ProblemKind::UnknownTag => (&DMARC_UNKNOWN_TAG, None),
        };
        let mut f = Finding::new(
            code,
            name.clone(),
            format!("{name}: {} (at byte {})", p.message, p.span.0),
        )
        .evidence(rec.evidence(Some(p.span)));
        if let Some(s) = severity {
            f = f.severity(s);
        }
        if let Some(advice) = problem_advice(p, &name, rec.text) {
            f = f.remediation(advice);
        }
        out.push(f);
    }

    let r = &parsed.record;
    let Some(p) = r.p else {
        let has_valid_rua = !r.rua.is_empty();
        out.push(
            Finding::new(
                &DMARC_MISSING_POLICY,
                name.clone(),
                format!(
                    "{name} has no valid p= tag. RFC 7489 6.6.3: receivers act as if p=none only when rua= holds a valid \
                     address ({}), otherwise they apply no DMARC at all; some receivers treat the record as invalid either way.",
                    if has_valid_rua {
                        "it does, so most will treat this as p=none"
                    } else {
                        "it does not, so receivers ignore this record"
                    }
                ),
            )
            .remediation(format!(
                "Publish {name} TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@{}\" (then quarantine/reject once reports are clean).",
                rec.policy_domain
            ))
            .evidence(rec.evidence(None)),
        );
        return out;
    };

    // The policy that applies to the audited domain: a record inherited from an ancestor
    // applies its sp= (default p=) to subdomains.
    let (effective, via) = match (rec.inherited(), r.sp) {
        (true, Some(sp)) => (sp, "sp"),
        _ => (p, "p"),
    };
    if effective == Policy::None {
        out.push(
            Finding::new(
                &DMARC_POLICY_NONE,
                name.clone(),
                format!(
                    "{}'s DMARC policy is {via}=none (from {name}): receivers report failures but still deliver spoofed mail",
                    rec.domain
                ),
            )
            .remediation(format!(
                "When the aggregate reports show all legitimate mail passing, change {via}=none to {via}=quarantine, then {via}=reject in {name}."
            ))
            .evidence(rec.evidence(tag_span(parsed, via))),
        );
    }
    if let Some(pct) = r.pct.filter(|&n| n < 100) {
        let sev = if effective == Policy::None {
            Severity::Note // pct has no effect on p=none
        } else {
            Severity::Warning
        };
        out.push(
            Finding::new(
                &DMARC_PCT_PARTIAL,
                name.clone(),
                format!(
                    "pct={pct}: RFC 7489 receivers apply {} to {pct}% of failing mail and one level lower to the rest; \
                     RFC 9989 removed pct (its receivers ignore it, treating pct<100 like t=y at most)",
                    effective.as_str()
                ),
            )
            .severity(sev)
            .remediation(format!(
                "Remove pct= (or set pct=100) in {name} once the reports are clean; for RFC 9989 testing use t=y."
            ))
            .evidence(rec.evidence(tag_span(parsed, "pct"))),
        );
    }
    if r.t == Some(true) {
        let (message, severity) = match effective {
            Policy::None => (
                "t=y has no effect with a none policy (RFC 9989 testing lowers the policy one level)".to_string(),
                Severity::Note,
            ),
            Policy::Quarantine | Policy::Reject => (
                format!(
                    "t=y: RFC 9989 receivers apply {} as one level lower ({})",
                    effective.as_str(),
                    if effective == Policy::Reject { "quarantine" } else { "none" }
                ),
                Severity::Warning,
            ),
        };
        out.push(
            Finding::new(&DMARC_TESTING_MODE, name.clone(), message)
                .severity(severity)
                .remediation(format!(
                    "Remove t=y from {name} when the reports show your mail passing."
                ))
                .evidence(rec.evidence(tag_span(parsed, "t"))),
        );
    }
    if let Some(sp) = r.sp.filter(|&sp| sp < p) {
        out.push(
            Finding::new(
                &DMARC_SUBDOMAIN_POLICY_WEAKER,
                name.clone(),
                format!(
                    "sp={} is weaker than p={}: mail claiming to come from subdomains of {} is treated more leniently",
                    sp.as_str(),
                    p.as_str(),
                    rec.policy_domain
                ),
            )
            .remediation(format!(
                "Set sp={} in {name} (or remove sp=) once every subdomain's mail passes DMARC.",
                p.as_str()
            ))
            .evidence(rec.evidence(tag_span(parsed, "sp"))),
        );
    }
    let sub = r.sp.unwrap_or(p);
    if let Some(np) = r.np.filter(|&np| np < sub) {
        out.push(
            Finding::new(
                &DMARC_NONEXISTENT_POLICY_WEAKER,
                name.clone(),
                format!(
                    "np={} is weaker than the subdomain policy {}: names under {} that do not exist can be spoofed more easily",
                    np.as_str(),
                    sub.as_str(),
                    rec.policy_domain
                ),
            )
            .remediation(format!("Set np=reject in {name}."))
            .evidence(rec.evidence(tag_span(parsed, "np"))),
        );
    }
    let strict: Vec<&str> = [("adkim", r.adkim_strict), ("aspf", r.aspf_strict)]
        .into_iter()
        .filter(|(_, s)| *s == Some(true))
        .map(|(t, _)| t)
        .collect();
    if !strict.is_empty() {
        let tags = strict
            .iter()
            .map(|t| format!("{t}=s"))
            .collect::<Vec<_>>()
            .join(" and ");
        out.push(
            Finding::new(
                &DMARC_STRICT_ALIGNMENT,
                name.clone(),
                format!(
                    "{tags}: only an identical domain aligns. ESPs that use a subdomain envelope sender \
                     (SendGrid em123.{d}, Mailgun, Resend send.{d}, SES custom MAIL FROM) {} fail DMARC alignment",
                    if strict.contains(&"adkim") {
                        "or sign with d= a subdomain"
                    } else {
                        "then"
                    },
                    d = rec.domain
                ),
            )
            .remediation(format!(
                "Remove {} from {name} (relaxed is the default) unless every sender uses exactly {}.",
                strict.join("/"),
                rec.domain
            ))
            .evidence(rec.evidence(tag_span(parsed, strict[0]))),
        );
    }
    if r.rua.is_empty()
        && !parsed
            .problems
            .iter()
            .any(|p| p.tag.as_deref() == Some("rua"))
    {
        out.push(
            Finding::new(
                &DMARC_NO_RUA,
                name.clone(),
                format!("{name} has no rua=: nobody receives aggregate reports about mail sent as {}", rec.policy_domain),
            )
            .remediation(format!(
                "Add rua=mailto:dmarc-reports@{} to {name} (a mailbox you read, or a report service's address).",
                rec.policy_domain
            ))
            .evidence(rec.evidence(None)),
        );
    }
    out
}

/// The span of a tag's value, for evidence.
fn tag_span(parsed: &Parsed, tag: &str) -> Option<(usize, usize)> {
    crate::dkim::taglist::get(&parsed.record.tags, tag).map(|t| (t.name_span.0, t.value_span.1))
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;
    use crate::dmarc::parse::parse;

    fn codes(domain: &str, policy_domain: &str, text: &str) -> Vec<(&'static str, Severity)> {
        let rec = InForce {
            domain,
            policy_domain,
            text,
        };
        assess(&rec, &parse(text))
            .into_iter()
            .map(|f| (f.code.id, f.severity))
            .collect()
    }

    #[test]
    fn policy_choices() {
        use Severity::*;
        let d = "example.com";
        let cases: Vec<(&str, &str, Vec<(&str, Severity)>)> = vec![
            (d, "v=DMARC1; p=reject; rua=mailto:r@example.com", vec![]),
            (
                d,
                "v=DMARC1; p=none; rua=mailto:r@example.com",
                vec![("dmarc-policy-none", Warning)],
            ),
            (d, "v=DMARC1; p=reject", vec![("dmarc-no-rua", Note)]),
            (
                d,
                "v=DMARC1; rua=mailto:r@example.com",
                vec![("dmarc-missing-policy", Error)],
            ),
            (
                d,
                "v=DMARC1; p=reject; pct=50; rua=mailto:r@example.com",
                vec![("dmarc-pct-partial", Warning)],
            ),
            (
                d,
                "v=DMARC1; p=none; pct=50; rua=mailto:r@example.com",
                vec![("dmarc-policy-none", Warning), ("dmarc-pct-partial", Note)],
            ),
            (
                d,
                "v=DMARC1; p=reject; pct=100; rua=mailto:r@example.com",
                vec![],
            ),
            (
                d,
                "v=DMARC1; p=reject; t=y; rua=mailto:r@example.com",
                vec![("dmarc-testing-mode", Warning)],
            ),
            (
                d,
                "v=DMARC1; p=reject; t=n; rua=mailto:r@example.com",
                vec![],
            ),
            (
                d,
                "v=DMARC1; p=reject; sp=none; rua=mailto:r@example.com",
                vec![("dmarc-subdomain-policy-weaker", Warning)],
            ),
            (
                d,
                "v=DMARC1; p=reject; sp=reject; np=quarantine; rua=mailto:r@example.com",
                vec![("dmarc-nonexistent-policy-weaker", Note)],
            ),
            (
                d,
                "v=DMARC1; p=reject; adkim=s; aspf=s; rua=mailto:r@example.com",
                vec![("dmarc-strict-alignment", Note)],
            ),
            (
                d,
                "v=DMARC1; p=reject; adkim=r; aspf=r; rua=mailto:r@example.com",
                vec![],
            ),
            (
                d,
                "v=DMARC1; p=reject; fo=9; rua=mailto:r@example.com",
                vec![("dmarc-invalid-tag-value", Warning)],
            ),
            (
                d,
                "v=DMARC1; p=rejected; rua=mailto:r@example.com",
                vec![
                    ("dmarc-invalid-tag-value", Error),
                    ("dmarc-missing-policy", Error),
                ],
            ),
            (
                d,
                "v=DMARC1; p=reject; rua=r@example.com",
                vec![("dmarc-invalid-report-uri", Warning)],
            ),
            // inherited from the organizational domain: sp= is what applies
            (
                "mail.example.com",
                "v=DMARC1; p=reject; sp=none; rua=mailto:r@example.com",
                vec![
                    ("dmarc-policy-none", Warning),
                    ("dmarc-subdomain-policy-weaker", Warning),
                ],
            ),
            (
                "mail.example.com",
                "v=DMARC1; p=none; sp=reject; rua=mailto:r@example.com",
                vec![],
            ),
        ];
        for (domain, text, want) in cases {
            assert_eq!(codes(domain, "example.com", text), want, "{domain}: {text}");
        }
    }

    #[test]
    fn missing_policy_explains_both_readings() {
        let text = "v=DMARC1; rua=mailto:r@example.com";
        let rec = InForce {
            domain: "example.com",
            policy_domain: "example.com",
            text,
        };
        let f = assess(&rec, &parse(text));
        assert!(f[0].message.contains("p=none"), "{}", f[0].message);
        assert!(f[0].message.contains("invalid"), "{}", f[0].message);
        assert!(
            f[0].remediation
                .contains("_dmarc.example.com TXT \"v=DMARC1; p=none")
        );
    }
}
