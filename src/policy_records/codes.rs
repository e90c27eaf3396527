//! Finding codes raised by the MTA-STS, TLS-RPT and BIMI record checks.

use crate::report::{Area, CodeInfo, Severity};

pub static MTA_STS_MISSING: CodeInfo = CodeInfo {
    id: "mta-sts-missing",
    area: Area::MtaSts,
    default_severity: Severity::Note,
    summary: "No MTA-STS record: senders deliver to this domain with opportunistic TLS that an attacker can strip. Not raised for a domain that takes no mail (null MX, or no MX and no address).",
    remediation: "Serve a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt (\"version: STSv1\", \"mode: testing\", \"mx: <your MX>\", \"max_age: 86400\") and publish TXT at _mta-sts.<domain>: \"v=STSv1; id=20250101000000\".",
    reference: "RFC 8461 3",
    contexts: &[],
};

pub static MTA_STS_MULTIPLE_RECORDS: CodeInfo = CodeInfo {
    id: "mta-sts-multiple-records",
    area: Area::MtaSts,
    default_severity: Severity::Error,
    summary: "More than one v=STSv1 record at _mta-sts: senders then assume the domain has no MTA-STS policy.",
    remediation: "Keep exactly one TXT record starting with v=STSv1 at _mta-sts.<domain>.",
    reference: "RFC 8461 3.1",
    contexts: &[],
};

pub static MTA_STS_INVALID_ID: CodeInfo = CodeInfo {
    id: "mta-sts-invalid-id",
    area: Area::MtaSts,
    default_severity: Severity::Error,
    summary: "The MTA-STS id= is missing or not 1 to 32 letters and digits: senders ignore the record.",
    remediation: "Use a timestamp such as id=20250101000000 (letters and digits only, at most 32) and change it whenever the policy changes.",
    reference: "RFC 8461 3.1",
    contexts: &[],
};

pub static MTA_STS_SYNTAX_ERROR: CodeInfo = CodeInfo {
    id: "mta-sts-syntax-error",
    area: Area::MtaSts,
    default_severity: Severity::Error,
    summary: "The _mta-sts TXT record is malformed (must start with v=STSv1, then field=value pairs separated by semicolons).",
    remediation: "Publish exactly \"v=STSv1; id=<policy id>\" at _mta-sts.<domain>.",
    reference: "RFC 8461 3.1",
    contexts: &[],
};

pub static TLS_RPT_MISSING: CodeInfo = CodeInfo {
    id: "tls-rpt-missing",
    area: Area::TlsRpt,
    default_severity: Severity::Note,
    summary: "The domain publishes MTA-STS but no TLS-RPT record, so nobody hears about TLS failures delivering to it.",
    remediation: "Publish TXT at _smtp._tls.<domain>: \"v=TLSRPTv1; rua=mailto:tls-reports@<domain>\".",
    reference: "RFC 8460 3",
    contexts: &[],
};

pub static TLS_RPT_MULTIPLE_RECORDS: CodeInfo = CodeInfo {
    id: "tls-rpt-multiple-records",
    area: Area::TlsRpt,
    default_severity: Severity::Error,
    summary: "More than one v=TLSRPTv1 record at _smtp._tls: senders then send no reports.",
    remediation: "Keep exactly one TXT record starting with v=TLSRPTv1; list several destinations in its rua= separated by commas.",
    reference: "RFC 8460 3",
    contexts: &[],
};

pub static TLS_RPT_SYNTAX_ERROR: CodeInfo = CodeInfo {
    id: "tls-rpt-syntax-error",
    area: Area::TlsRpt,
    default_severity: Severity::Error,
    summary: "The _smtp._tls TXT record is malformed (must start with v=TLSRPTv1 and have exactly one rua=).",
    remediation: "Publish \"v=TLSRPTv1; rua=mailto:tls-reports@<domain>\" at _smtp._tls.<domain>.",
    reference: "RFC 8460 3",
    contexts: &[],
};

pub static TLS_RPT_INVALID_RUA: CodeInfo = CodeInfo {
    id: "tls-rpt-invalid-rua",
    area: Area::TlsRpt,
    default_severity: Severity::Error,
    summary: "A TLS-RPT rua= destination is not a mailto: address or an https: URL.",
    remediation: "Write rua=mailto:tls-reports@<domain> or rua=https://reports.example/tlsrpt (comma-separated for several).",
    reference: "RFC 8460 3",
    contexts: &[],
};

pub static BIMI_MULTIPLE_RECORDS: CodeInfo = CodeInfo {
    id: "bimi-multiple-records",
    area: Area::Bimi,
    default_severity: Severity::Warning,
    summary: "More than one v=BIMI1 record at default._bimi: mailbox providers show no logo.",
    remediation: "Keep exactly one TXT record starting with v=BIMI1 at default._bimi.<domain>.",
    reference: "draft-brand-indicators-for-message-identification 4.2",
    contexts: &[],
};

pub static BIMI_SYNTAX_ERROR: CodeInfo = CodeInfo {
    id: "bimi-syntax-error",
    area: Area::Bimi,
    default_severity: Severity::Warning,
    summary: "The BIMI record is malformed: it must start with v=BIMI1, and l= (SVG logo) and a= (mark certificate) must be https: URLs or empty.",
    remediation: "Publish \"v=BIMI1; l=https://<domain>/logo.svg; a=https://<domain>/vmc.pem\" at default._bimi.<domain> (a= may be empty where no certificate is required).",
    reference: "draft-brand-indicators-for-message-identification 4.2",
    contexts: &[],
};

pub static ALL: &[&CodeInfo] = &[
    &MTA_STS_MISSING,
    &MTA_STS_MULTIPLE_RECORDS,
    &MTA_STS_INVALID_ID,
    &MTA_STS_SYNTAX_ERROR,
    &TLS_RPT_MISSING,
    &TLS_RPT_MULTIPLE_RECORDS,
    &TLS_RPT_SYNTAX_ERROR,
    &TLS_RPT_INVALID_RUA,
    &BIMI_MULTIPLE_RECORDS,
    &BIMI_SYNTAX_ERROR,
];
