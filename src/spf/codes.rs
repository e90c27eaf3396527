//! Finding codes raised by the SPF check.

use crate::report::{Area, CodeInfo, Severity, SeverityContext};

pub static SPF_MISSING: CodeInfo = CodeInfo {
    id: "spf-missing",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "The domain publishes no SPF record (no TXT record beginning with v=spf1).",
    remediation: "Publish one TXT record at the domain, e.g. \"v=spf1 include:<your provider> -all\"; receivers treat mail from a domain without SPF as unauthenticated (result none).",
    reference: "RFC 7208 4.5",
    contexts: &[],
};

pub static SPF_MULTIPLE_RECORDS: CodeInfo = CodeInfo {
    id: "spf-multiple-records",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "The name publishes more than one v=spf1 TXT record, which is a permerror for every message.",
    remediation: "Merge the records into a single v=spf1 TXT record (combine their mechanisms, keep one `all` at the end).",
    reference: "RFC 7208 4.5",
    contexts: &[],
};

pub static SPF_SYNTAX_ERROR: CodeInfo = CodeInfo {
    id: "spf-syntax-error",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "An SPF record in the tree does not parse, which is a permerror for every message it is evaluated for.",
    remediation: "Fix the term named in the message. TXT strings are joined without spaces, so a record split across strings must keep the spaces between terms.",
    reference: "RFC 7208 4.6, 12",
    contexts: &[],
};

pub static SPF_TOO_MANY_LOOKUPS: CodeInfo = CodeInfo {
    id: "spf-too-many-lookups",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "The SPF tree needs more than 10 DNS-querying terms (include, a, mx, ptr, exists, redirect), so receivers return permerror.",
    remediation: "Remove unused includes, replace a/mx with ip4/ip6 ranges, or point a provider's include at a flattened record; the message names the include that costs the most.",
    reference: "RFC 7208 4.6.4",
    contexts: &[],
};

pub static SPF_LOOKUPS_NEAR_LIMIT: CodeInfo = CodeInfo {
    id: "spf-lookups-near-limit",
    area: Area::Spf,
    default_severity: Severity::Note,
    summary: "The SPF tree uses 9 or 10 of its 10 DNS lookups: one more include (or a provider growing its record) breaks it.",
    remediation: "Make room before adding a sender: drop unused includes or replace a/mx terms with ip4/ip6.",
    reference: "RFC 7208 4.6.4",
    contexts: &[],
};

pub static SPF_TOO_MANY_VOID_LOOKUPS: CodeInfo = CodeInfo {
    id: "spf-too-many-void-lookups",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "More than two terms in the SPF tree look up names that do not exist or have no records (void lookups), so receivers may return permerror.",
    remediation: "Remove the terms that point at names with no records (the message lists them).",
    reference: "RFC 7208 4.6.4",
    contexts: &[],
};

pub static SPF_MX_TOO_MANY_HOSTS: CodeInfo = CodeInfo {
    id: "spf-mx-too-many-hosts",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "An mx term points at a domain with more than 10 MX hosts, which is a permerror.",
    remediation: "Replace the mx term with ip4/ip6 ranges for the outgoing servers, or reduce the MX set.",
    reference: "RFC 7208 4.6.4",
    contexts: &[],
};

pub static SPF_PTR_USED: CodeInfo = CodeInfo {
    id: "spf-ptr-used",
    area: Area::Spf,
    default_severity: Severity::Warning,
    summary: "The SPF tree uses the ptr mechanism, which is slow, unreliable and SHOULD NOT be used.",
    remediation: "Replace ptr with ip4/ip6 ranges (or a/mx) for the servers it was meant to cover.",
    reference: "RFC 7208 5.5",
    contexts: &[],
};

pub static SPF_INCLUDE_LOOP: CodeInfo = CodeInfo {
    id: "spf-include-loop",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "An include or redirect leads back to a record already being evaluated: evaluation loops until the lookup limit, a permerror.",
    remediation: "Remove the include/redirect that points back up the chain shown in the evidence.",
    reference: "RFC 7208 4.6.4, 5.2",
    contexts: &[],
};

pub static SPF_INCLUDE_MISSING: CodeInfo = CodeInfo {
    id: "spf-include-missing",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "An include points at a name with no SPF record, which is a permerror whenever the include is reached.",
    remediation: "Fix the include's name (a typo or a provider's retired record) or remove the include.",
    reference: "RFC 7208 5.2",
    contexts: &[],
};

pub static SPF_REDIRECT_MISSING: CodeInfo = CodeInfo {
    id: "spf-redirect-missing",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "The redirect= target has no SPF record, which is a permerror.",
    remediation: "Point redirect= at a name that publishes a v=spf1 record, or replace it with the mechanisms themselves.",
    reference: "RFC 7208 6.1",
    contexts: &[],
};

pub static SPF_REDIRECT_IGNORED: CodeInfo = CodeInfo {
    id: "spf-redirect-ignored",
    area: Area::Spf,
    default_severity: Severity::Note,
    summary: "The record has both an `all` mechanism and redirect=; the redirect is never used.",
    remediation: "Remove either the redirect= or the `all` term, depending on which policy you mean.",
    reference: "RFC 7208 5.1, 6.1",
    contexts: &[],
};

pub static SPF_ALL_PASS: CodeInfo = CodeInfo {
    id: "spf-all-pass",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "The SPF tree contains `+all` (or a bare `all`): every address on the Internet passes SPF for this domain.",
    remediation: "End the record with -all (or ~all while testing) instead of +all.",
    reference: "RFC 7208 5.1",
    contexts: &[],
};

pub static SPF_ALL_NEUTRAL: CodeInfo = CodeInfo {
    id: "spf-all-neutral",
    area: Area::Spf,
    default_severity: Severity::Warning,
    summary: "The record ends with `?all`: mail from unlisted servers gets neutral, which protects nothing.",
    remediation: "End the record with -all (or ~all while testing).",
    reference: "RFC 7208 5.1, 8.2",
    contexts: &[],
};

pub static SPF_NO_ALL: CodeInfo = CodeInfo {
    id: "spf-no-all",
    area: Area::Spf,
    default_severity: Severity::Warning,
    summary: "The record has neither an `all` mechanism nor redirect=: unlisted servers get neutral by default.",
    remediation: "Add -all (or ~all) at the end of the record.",
    reference: "RFC 7208 4.7",
    contexts: &[],
};

pub static SPF_RECORD_TOO_LONG: CodeInfo = CodeInfo {
    id: "spf-record-too-long",
    area: Area::Spf,
    default_severity: Severity::Warning,
    summary: "An SPF record is long enough that the DNS answer may not fit in 512 bytes (warning above 450 bytes, error above 512).",
    remediation: "Shorten the record: move ranges into an included record, or drop unused terms.",
    reference: "RFC 7208 3.4",
    contexts: &[SeverityContext {
        severity: Severity::Error,
        when: "the record is over 512 bytes: the answer may not fit a UDP response at all",
    }],
};

pub static SPF_MACRO_NOT_FOLLOWED: CodeInfo = CodeInfo {
    id: "spf-macro-not-followed",
    area: Area::Spf,
    default_severity: Severity::Note,
    summary: "A term's target depends on the sender (macros) and was not followed; its lookup is still counted.",
    remediation: "Give --sending-ip (and --helo) to expand the macros and follow the term.",
    reference: "RFC 7208 7",
    contexts: &[],
};

pub static SPF_TREE_TOO_DEEP: CodeInfo = CodeInfo {
    id: "spf-tree-too-deep",
    area: Area::Spf,
    default_severity: Severity::Warning,
    summary: "The include/redirect tree is too large or too deep to walk completely; the counts cover only what was walked.",
    remediation: "Flatten the include chain: receivers stop at 10 lookups anyway.",
    reference: "RFC 7208 4.6.4",
    contexts: &[],
};

pub static SPF_VERDICT_FAIL: CodeInfo = CodeInfo {
    id: "spf-verdict-fail",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "SPF fails for the given sending IP: receivers may reject the mail.",
    remediation: "Add the sending IP (or its provider's include) to the SPF record.",
    reference: "RFC 7208 2.6.4",
    contexts: &[],
};

pub static SPF_VERDICT_SOFTFAIL: CodeInfo = CodeInfo {
    id: "spf-verdict-softfail",
    area: Area::Spf,
    default_severity: Severity::Warning,
    summary: "SPF soft-fails for the given sending IP: receivers usually accept but mark the mail as suspicious.",
    remediation: "Add the sending IP (or its provider's include) to the SPF record.",
    reference: "RFC 7208 2.6.5",
    contexts: &[],
};

pub static SPF_VERDICT_NEUTRAL: CodeInfo = CodeInfo {
    id: "spf-verdict-neutral",
    area: Area::Spf,
    default_severity: Severity::Warning,
    summary: "SPF is neutral for the given sending IP: the domain makes no assertion, so SPF cannot help DMARC.",
    remediation: "Add the sending IP (or its provider's include) to the SPF record.",
    reference: "RFC 7208 2.6.2",
    contexts: &[],
};

pub static SPF_VERDICT_NONE: CodeInfo = CodeInfo {
    id: "spf-verdict-none",
    area: Area::Spf,
    default_severity: Severity::Warning,
    summary: "SPF gives none for the given sending IP: there is no SPF record to evaluate.",
    remediation: "Publish an SPF record that covers the sending IP.",
    reference: "RFC 7208 2.6.1",
    contexts: &[],
};

pub static SPF_VERDICT_PERMERROR: CodeInfo = CodeInfo {
    id: "spf-verdict-permerror",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "SPF evaluation for the given sending IP ends in permerror: the record set is broken for every receiver.",
    remediation: "Fix the error named in the message (syntax, lookup limit, missing include).",
    reference: "RFC 7208 2.6.7",
    contexts: &[],
};

pub static SPF_VERDICT_TEMPERROR: CodeInfo = CodeInfo {
    id: "spf-verdict-temperror",
    area: Area::Spf,
    default_severity: Severity::Error,
    summary: "SPF evaluation for the given sending IP ends in temperror: a DNS lookup failed; receivers may defer the mail.",
    remediation: "Check that the names in the message answer reliably (dig +trace).",
    reference: "RFC 7208 2.6.6",
    contexts: &[],
};

pub static ALL: &[&CodeInfo] = &[
    &SPF_MISSING,
    &SPF_MULTIPLE_RECORDS,
    &SPF_SYNTAX_ERROR,
    &SPF_TOO_MANY_LOOKUPS,
    &SPF_LOOKUPS_NEAR_LIMIT,
    &SPF_TOO_MANY_VOID_LOOKUPS,
    &SPF_MX_TOO_MANY_HOSTS,
    &SPF_PTR_USED,
    &SPF_INCLUDE_LOOP,
    &SPF_INCLUDE_MISSING,
    &SPF_REDIRECT_MISSING,
    &SPF_REDIRECT_IGNORED,
    &SPF_ALL_PASS,
    &SPF_ALL_NEUTRAL,
    &SPF_NO_ALL,
    &SPF_RECORD_TOO_LONG,
    &SPF_MACRO_NOT_FOLLOWED,
    &SPF_TREE_TOO_DEEP,
    &SPF_VERDICT_FAIL,
    &SPF_VERDICT_SOFTFAIL,
    &SPF_VERDICT_NEUTRAL,
    &SPF_VERDICT_NONE,
    &SPF_VERDICT_PERMERROR,
    &SPF_VERDICT_TEMPERROR,
];
