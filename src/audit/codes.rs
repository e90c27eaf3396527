//! Finding codes of the pre-flight's cross-checks (`audit-…`): alignment, provider
//! requirements, mailbox providers' rules, reverse DNS, and the deliverability advice.

use crate::report::CodeInfo;

/// Every code here is in one area: the shared declaration with that area filled in.
macro_rules! code {
    ($name:ident, $id:literal, $($rest:tt)*) => {
        crate::finding_code!($name, $id, Audit, $($rest)*);
    };
}

code!(
    DMARC_WILL_FAIL,
    "audit-dmarc-will-fail",
    Error,
    "Neither SPF nor DKIM will pass aligned with the From domain: DMARC fails, and the domain's policy decides the mail's fate.",
    "Apply the shortest fix named in the finding.",
    "RFC 7489 3.1, 4.2"
);
code!(
    DMARC_CANNOT_TELL,
    "audit-dmarc-cannot-tell",
    Warning,
    "Whether DMARC will pass cannot be predicted from here (the signing key or the provider's envelope domain is not known).",
    "Give --dkim-key and --dkim-selector (or the config's dkim option), or check the provider's domain setup.",
    "RFC 7489 3.1"
);
code!(
    SPF_NOT_ALIGNED,
    "audit-spf-not-aligned",
    Warning,
    "The envelope sender's domain will not be aligned with the From domain: SPF cannot carry DMARC.",
    "Use a MAIL FROM in the From domain (with relaxed aspf, a subdomain will do), or rely on aligned DKIM.",
    "RFC 7489 3.1.2"
);
code!(
    DKIM_NOT_ALIGNED,
    "audit-dkim-not-aligned",
    Warning,
    "The DKIM signing domain will not be aligned with the From domain: DKIM cannot carry DMARC.",
    "Sign with d= the From domain (or a domain of its organization under relaxed adkim).",
    "RFC 7489 3.1.1"
);
code!(
    SPF_FAILS_FOR_SERVER,
    "audit-spf-fails-for-server",
    Error,
    "The From domain's SPF does not authorise the SMTP server's address (it sends directly, not through a provider).",
    "Add the server's address to the SPF record (ip4:/ip6:, or a: with its name).",
    "RFC 7208 2.4"
);
code!(
    PROVIDER_SPF_MISSING,
    "audit-provider-spf-missing",
    Error,
    "The provider's SPF include is not in the domain's SPF record.",
    "Add the provider's include (the message names it) to the SPF record of the envelope domain.",
    "provider documentation (see the providers table)"
);
code!(
    PROVIDER_RECORD_MISSING,
    "audit-provider-record-missing",
    Warning,
    "A record the recognised provider needs (its DKIM selectors, its Return-Path CNAME) is not in DNS.",
    "Publish the record the message names, as the provider's domain setup shows it.",
    "provider documentation (see the providers table)"
);
code!(
    REVERSE_DNS,
    "audit-reverse-dns",
    Warning,
    "The sending address has no PTR record, or its PTR name does not resolve back to it (no forward-confirmed reverse DNS).",
    "Ask the address's owner (hosting provider) to set a PTR to a name whose A/AAAA record is this address.",
    "Gmail and Yahoo sender requirements"
);
code!(
    MAILBOX_RULE,
    "audit-mailbox-provider-rule",
    Warning,
    "A rule Gmail, Yahoo or Microsoft apply to every sender is not met.",
    "See the rule in the mailbox-provider profile and the other findings.",
    "Gmail/Yahoo sender requirements (2024), Outlook.com (2025)"
);
code!(
    NO_DEDICATED_SUBDOMAIN,
    "audit-no-dedicated-subdomain",
    Note,
    "Passcode mail is sent from the organization's main domain; a problem with any other mail from it (marketing, staff) affects passcodes too.",
    "Send authentication mail from a dedicated subdomain such as auth.example.com, with its own SPF, DKIM and DMARC.",
    "Logto docs: email deliverability"
);
code!(
    MARKETING_IN_SPF,
    "audit-marketing-in-spf",
    Warning,
    "The From domain's SPF includes a marketing email service: passcode mail shares its reputation with marketing mail.",
    "Send passcodes from a dedicated subdomain whose SPF names only the transactional sender.",
    "Logto docs: email deliverability; M3AAWG"
);

pub static ALL: &[&CodeInfo] = &[
    &DMARC_WILL_FAIL,
    &DMARC_CANNOT_TELL,
    &SPF_NOT_ALIGNED,
    &DKIM_NOT_ALIGNED,
    &SPF_FAILS_FOR_SERVER,
    &PROVIDER_SPF_MISSING,
    &PROVIDER_RECORD_MISSING,
    &REVERSE_DNS,
    &MAILBOX_RULE,
    &NO_DEDICATED_SUBDOMAIN,
    &MARKETING_IN_SPF,
];
