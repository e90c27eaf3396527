//! Finding codes raised by the MX check.

use crate::report::{Area, CodeInfo, Severity};

pub static MX_MISSING: CodeInfo = CodeInfo {
    id: "mx-missing",
    area: Area::Mx,
    default_severity: Severity::Warning,
    summary: "The domain has no MX record: replies and bounces to addresses at it depend on an address-record fallback or fail. Fine for a send-only subdomain whose Return-Path and Reply-To point elsewhere.",
    remediation: "Publish MX records for the mailboxes that receive replies and bounces (e.g. \"<domain>. MX 10 mx1.<provider>.\"), or a null MX \"<domain>. MX 0 .\" if the domain never receives mail.",
    reference: "RFC 5321 5.1",
    contexts: &[],
};

pub static MX_NULL: CodeInfo = CodeInfo {
    id: "mx-null",
    area: Area::Mx,
    default_severity: Severity::Warning,
    summary: "The domain publishes a null MX (MX 0 .): it accepts no mail, so replies and bounces are impossible, and receivers may reject mail from it.",
    remediation: "If mail is sent with this domain in From or the envelope sender, publish real MX records instead of the null MX.",
    reference: "RFC 7505 3, 4.2",
    contexts: &[],
};

pub static MX_NULL_MIXED: CodeInfo = CodeInfo {
    id: "mx-null-mixed",
    area: Area::Mx,
    default_severity: Severity::Error,
    summary: "A null MX (MX 0 .) is published beside other MX records; a null MX must be the only MX record.",
    remediation: "Remove either the null MX (the domain receives mail) or all the other MX records (it does not).",
    reference: "RFC 7505 3",
    contexts: &[],
};

pub static MX_EXCHANGE_CNAME: CodeInfo = CodeInfo {
    id: "mx-exchange-cname",
    area: Area::Mx,
    default_severity: Severity::Warning,
    summary: "An MX record points at an alias (CNAME); the exchange must be a name with address records. Most MTAs cope, some do not.",
    remediation: "Point the MX at the canonical name (the CNAME's target) instead of the alias.",
    reference: "RFC 5321 5.1, RFC 2181 10.3",
    contexts: &[],
};

pub static MX_EXCHANGE_NO_ADDRESS: CodeInfo = CodeInfo {
    id: "mx-exchange-no-address",
    area: Area::Mx,
    default_severity: Severity::Error,
    summary: "An MX host has no A or AAAA record (or does not exist): mail to it cannot be delivered.",
    remediation: "Publish A/AAAA records for the MX host, or point the MX at a host that has them.",
    reference: "RFC 5321 5.1",
    contexts: &[],
};

pub static MX_EXCHANGE_IP_LITERAL: CodeInfo = CodeInfo {
    id: "mx-exchange-ip-literal",
    area: Area::Mx,
    default_severity: Severity::Error,
    summary: "An MX record names an IP address instead of a host name; MX exchanges must be domain names.",
    remediation: "Create a host name (e.g. mx1.<domain>) with an A/AAAA record for the address and point the MX at it.",
    reference: "RFC 5321 5.1, RFC 1035 3.3.9",
    contexts: &[],
};

pub static MX_TOO_MANY: CodeInfo = CodeInfo {
    id: "mx-too-many",
    area: Area::Mx,
    default_severity: Severity::Note,
    summary: "More MX records than the audit checks (20); only the most preferred were checked.",
    remediation: "Few domains need more than a handful of MX hosts; remove stale ones.",
    reference: "RFC 5321 5.1",
    contexts: &[],
};

pub static MX_PTR_MISSING: CodeInfo = CodeInfo {
    id: "mx-ptr-missing",
    area: Area::Mx,
    default_severity: Severity::Warning,
    summary: "An address of a self-run MX host has no PTR record. Receivers and blocklists judge a mail host by its reverse DNS: mail it sends (bounces, replies, forwards) is often refused without one.",
    remediation: "Ask whoever owns the address (the hosting provider or ISP) to set its PTR to the host's name, e.g. \"25.2.0.192.in-addr.arpa. PTR mx1.<domain>.\", and keep that name's A/AAAA record pointing at the address.",
    reference: "RFC 1912 2.1, RFC 8461 3.4 (FCrDNS); Gmail/Yahoo sender requirements",
    contexts: &[],
};

pub static MX_PTR_NOT_CONFIRMED: CodeInfo = CodeInfo {
    id: "mx-ptr-not-confirmed",
    area: Area::Mx,
    default_severity: Severity::Warning,
    summary: "An address of a self-run MX host has a PTR record whose name does not resolve back to the address (no forward-confirmed reverse DNS, FCrDNS).",
    remediation: "Make the PTR name's A (or AAAA) record the address itself, or change the PTR to a name that has it (usually the MX host's own name).",
    reference: "RFC 1912 2.1; Gmail/Yahoo sender requirements",
    contexts: &[],
};

pub static ALL: &[&CodeInfo] = &[
    &MX_MISSING,
    &MX_NULL,
    &MX_NULL_MIXED,
    &MX_EXCHANGE_CNAME,
    &MX_EXCHANGE_NO_ADDRESS,
    &MX_EXCHANGE_IP_LITERAL,
    &MX_TOO_MANY,
    &MX_PTR_MISSING,
    &MX_PTR_NOT_CONFIRMED,
];
