//! Finding codes raised by the DMARC check.

use crate::report::{Area, CodeInfo, Severity, SeverityContext};

pub static DMARC_MISSING: CodeInfo = CodeInfo {
    id: "dmarc-missing",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "No DMARC record applies to the domain: neither at _dmarc.<domain> nor at its organizational domain.",
    remediation: "Publish TXT at _dmarc.<domain>: \"v=DMARC1; p=none; rua=mailto:dmarc-reports@<domain>\", read the reports, then move to p=quarantine or p=reject. Gmail, Yahoo and Outlook.com require DMARC (at least p=none) from bulk senders.",
    reference: "RFC 7489 6.1, 6.6.3; RFC 9989",
    contexts: &[],
};

pub static DMARC_MULTIPLE_RECORDS: CodeInfo = CodeInfo {
    id: "dmarc-multiple-records",
    area: Area::Dmarc,
    default_severity: Severity::Error,
    summary: "More than one v=DMARC1 record at one name: receivers then apply no DMARC policy at all.",
    remediation: "Keep exactly one TXT record starting with v=DMARC1 at the name; merge the tags you need into it.",
    reference: "RFC 7489 6.6.3",
    contexts: &[],
};

pub static DMARC_VERSION_NOT_FIRST: CodeInfo = CodeInfo {
    id: "dmarc-version-not-first",
    area: Area::Dmarc,
    default_severity: Severity::Error,
    summary: "A TXT record at _dmarc mentions DMARC but does not start with exactly v=DMARC1, so receivers discard it.",
    remediation: "Start the record with v=DMARC1 (upper-case, first tag), e.g. \"v=DMARC1; p=none; rua=mailto:dmarc-reports@<domain>\".",
    reference: "RFC 7489 6.4, 6.6.3",
    contexts: &[],
};

pub static DMARC_SYNTAX_ERROR: CodeInfo = CodeInfo {
    id: "dmarc-syntax-error",
    area: Area::Dmarc,
    default_severity: Severity::Error,
    summary: "Part of the DMARC record is not tag=value syntax.",
    remediation: "Write the record as tag=value pairs separated by semicolons, e.g. \"v=DMARC1; p=reject; rua=mailto:dmarc-reports@<domain>\".",
    reference: "RFC 7489 6.4",
    contexts: &[],
};

pub static DMARC_DUPLICATE_TAG: CodeInfo = CodeInfo {
    id: "dmarc-duplicate-tag",
    area: Area::Dmarc,
    default_severity: Severity::Error,
    summary: "A tag appears twice in the DMARC record; receivers may reject the whole record or pick either value.",
    remediation: "Keep one occurrence of each tag.",
    reference: "RFC 7489 6.4 (tag-list syntax of RFC 6376 3.2)",
    contexts: &[],
};

pub static DMARC_INVALID_TAG_VALUE: CodeInfo = CodeInfo {
    id: "dmarc-invalid-tag-value",
    area: Area::Dmarc,
    default_severity: Severity::Error,
    summary: "A DMARC tag has a value outside its grammar (p/sp/np: none|quarantine|reject; adkim/aspf: r|s; pct: 0-100; t: y|n; psd: y|n|u).",
    remediation: "Fix the value named in the message; an invalid p= makes receivers ignore the policy.",
    reference: "RFC 7489 6.3; RFC 9989",
    contexts: &[SeverityContext {
        severity: Severity::Warning,
        when: "the tag is a reporting or rollout tag (pct, t, fo, rf, ri, psd): receivers fall back to its default and still apply the policy; an invalid p=, sp=, np=, adkim= or aspf= stays an error",
    }],
};

pub static DMARC_UNKNOWN_TAG: CodeInfo = CodeInfo {
    id: "dmarc-unknown-tag",
    area: Area::Dmarc,
    default_severity: Severity::Note,
    summary: "The DMARC record has a tag receivers do not know; it is ignored (often a typo of a real tag).",
    remediation: "Remove the tag, or correct its spelling (p, sp, np, adkim, aspf, pct, t, psd, rua, ruf, fo, rf, ri).",
    reference: "RFC 7489 6.3",
    contexts: &[],
};

pub static DMARC_MISSING_POLICY: CodeInfo = CodeInfo {
    id: "dmarc-missing-policy",
    area: Area::Dmarc,
    default_severity: Severity::Error,
    summary: "The DMARC record has no p= tag; receivers disagree on what that means.",
    remediation: "Add p=none (monitoring), p=quarantine or p=reject right after v=DMARC1.",
    reference: "RFC 7489 6.3, 6.6.3; RFC 9989",
    contexts: &[],
};

pub static DMARC_POLICY_NONE: CodeInfo = CodeInfo {
    id: "dmarc-policy-none",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "The DMARC policy in force is p=none: monitoring only, spoofed mail is still delivered.",
    remediation: "Once the aggregate reports show your legitimate mail passing, move to p=quarantine, then p=reject.",
    reference: "RFC 7489 6.3",
    contexts: &[],
};

pub static DMARC_PCT_PARTIAL: CodeInfo = CodeInfo {
    id: "dmarc-pct-partial",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "pct= below 100: the policy is applied only to that share of failing mail (RFC 7489; RFC 9989 removed pct).",
    remediation: "Raise pct to 100 (or remove it) once the reports are clean; RFC 9989 replaces pct<100 with t=y.",
    reference: "RFC 7489 6.3; RFC 9989 (pct removed)",
    contexts: &[SeverityContext {
        severity: Severity::Note,
        when: "the policy in force is none: pct has no effect on it",
    }],
};

pub static DMARC_TESTING_MODE: CodeInfo = CodeInfo {
    id: "dmarc-testing-mode",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "t=y (RFC 9989 testing): receivers apply the policy one level lower (reject as quarantine, quarantine as none).",
    remediation: "Remove t=y (or set t=n) when the reports show your mail passing.",
    reference: "RFC 9989",
    contexts: &[SeverityContext {
        severity: Severity::Note,
        when: "the policy in force is none: t=y has nothing to lower",
    }],
};

pub static DMARC_SUBDOMAIN_POLICY_WEAKER: CodeInfo = CodeInfo {
    id: "dmarc-subdomain-policy-weaker",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "sp= is weaker than p=: subdomains can be spoofed more easily than the domain itself.",
    remediation: "Set sp= to the same policy as p= (or remove sp=, which then defaults to p=) unless a subdomain's mail still fails DMARC.",
    reference: "RFC 7489 6.3",
    contexts: &[],
};

pub static DMARC_NONEXISTENT_POLICY_WEAKER: CodeInfo = CodeInfo {
    id: "dmarc-nonexistent-policy-weaker",
    area: Area::Dmarc,
    default_severity: Severity::Note,
    summary: "np= (RFC 9989) is weaker than the subdomain policy: mail from names that do not exist is treated more leniently.",
    remediation: "Set np=reject: a name that does not exist in DNS sends no legitimate mail.",
    reference: "RFC 9989",
    contexts: &[],
};

pub static DMARC_STRICT_ALIGNMENT: CodeInfo = CodeInfo {
    id: "dmarc-strict-alignment",
    area: Area::Dmarc,
    default_severity: Severity::Note,
    summary: "adkim=s or aspf=s: only an identical domain aligns. ESPs that send with a subdomain envelope sender (SendGrid, Mailgun, Resend, SES custom MAIL FROM) or sign with a subdomain then fail DMARC.",
    remediation: "Use relaxed alignment (remove adkim=/aspf= or set them to r) unless every sender uses exactly the From domain.",
    reference: "RFC 7489 3.1",
    contexts: &[],
};

pub static DMARC_NO_RUA: CodeInfo = CodeInfo {
    id: "dmarc-no-rua",
    area: Area::Dmarc,
    default_severity: Severity::Note,
    summary: "The DMARC record has no rua=: no aggregate reports, so you cannot see who sends as your domain or what fails.",
    remediation: "Add rua=mailto:dmarc-reports@<domain> (or a report-processing service's address).",
    reference: "RFC 7489 6.3, 7.2",
    contexts: &[],
};

pub static DMARC_INVALID_REPORT_URI: CodeInfo = CodeInfo {
    id: "dmarc-invalid-report-uri",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "A rua= or ruf= destination is not a valid mailto: URI (with an optional !size limit); receivers skip it.",
    remediation: "Write each destination as mailto:local@domain, comma-separated, e.g. rua=mailto:dmarc@example.com,mailto:x@reports.example.net!10m.",
    reference: "RFC 7489 6.2, 6.4",
    contexts: &[],
};

pub static DMARC_EXTERNAL_REPORT_UNAUTHORIZED: CodeInfo = CodeInfo {
    id: "dmarc-external-report-unauthorized",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "A report destination in another organization has not authorised receiving this domain's reports, so receivers will not send them.",
    remediation: "The destination domain's owner publishes TXT \"v=DMARC1\" at <policy-domain>._report._dmarc.<destination-domain> (report services do this when you register the domain with them).",
    reference: "RFC 7489 7.1",
    contexts: &[],
};

pub static DMARC_DISCOVERY_DISAGREES: CodeInfo = CodeInfo {
    id: "dmarc-discovery-disagrees",
    area: Area::Dmarc,
    default_severity: Severity::Warning,
    summary: "RFC 7489 discovery (Public Suffix List) and the RFC 9989 DNS tree walk find different DMARC records, so receivers will apply different policies.",
    remediation: "Publish a DMARC record at _dmarc.<domain> itself: then both methods find the same record.",
    reference: "RFC 7489 6.6.3; RFC 9989 (DNS tree walk)",
    contexts: &[],
};

pub static ALL: &[&CodeInfo] = &[
    &DMARC_MISSING,
    &DMARC_MULTIPLE_RECORDS,
    &DMARC_VERSION_NOT_FIRST,
    &DMARC_SYNTAX_ERROR,
    &DMARC_DUPLICATE_TAG,
    &DMARC_INVALID_TAG_VALUE,
    &DMARC_UNKNOWN_TAG,
    &DMARC_MISSING_POLICY,
    &DMARC_POLICY_NONE,
    &DMARC_PCT_PARTIAL,
    &DMARC_TESTING_MODE,
    &DMARC_SUBDOMAIN_POLICY_WEAKER,
    &DMARC_NONEXISTENT_POLICY_WEAKER,
    &DMARC_STRICT_ALIGNMENT,
    &DMARC_NO_RUA,
    &DMARC_INVALID_REPORT_URI,
    &DMARC_EXTERNAL_REPORT_UNAUTHORIZED,
    &DMARC_DISCOVERY_DISAGREES,
];
