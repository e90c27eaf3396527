//! Finding codes raised by the DKIM check.

use crate::report::{Area, CodeInfo, Severity, SeverityContext};

pub static DKIM_NO_SELECTOR_FOUND: CodeInfo = CodeInfo {
    id: "dkim-no-selector-found",
    area: Area::Dkim,
    default_severity: Severity::Note,
    summary: "No DKIM key was found at any selector checked. Selectors cannot be listed in DNS: only the common ones and those given with --selector were tried.",
    remediation: "Run again with --selector NAME (the s= of your sender's DKIM-Signature header). If there is no key, enable DKIM at your sender and publish the TXT (or CNAME) record it gives you at NAME._domainkey.<domain>.",
    reference: "RFC 6376 3.6.2.1",
    contexts: &[SeverityContext {
        severity: Severity::Warning,
        when: "selectors were given with --selector (or are the provider's own): mail signed with them fails DKIM",
    }],
};

pub static DKIM_SELECTOR_MISSING: CodeInfo = CodeInfo {
    id: "dkim-selector-missing",
    area: Area::Dkim,
    default_severity: Severity::Warning,
    summary: "A selector given with --selector has no key record (other selectors do).",
    remediation: "Publish the key your sender gives you at <selector>._domainkey.<domain>, or correct the selector name.",
    reference: "RFC 6376 3.6.2.1",
    contexts: &[],
};

pub static DKIM_MULTIPLE_RECORDS: CodeInfo = CodeInfo {
    id: "dkim-multiple-records",
    area: Area::Dkim,
    default_severity: Severity::Error,
    summary: "Several key records at one selector: verifiers may pick either one, so signatures fail at random.",
    remediation: "Keep exactly one TXT record at <selector>._domainkey.<domain>; rotate keys by using a new selector.",
    reference: "RFC 6376 3.6.2.2",
    contexts: &[],
};

pub static DKIM_SYNTAX_ERROR: CodeInfo = CodeInfo {
    id: "dkim-syntax-error",
    area: Area::Dkim,
    default_severity: Severity::Error,
    summary: "The key record is malformed (tag syntax, v= not first or not DKIM1, duplicate tags, missing p=, unknown h=).",
    remediation: "Publish the record exactly as your sender gives it: \"v=DKIM1; k=rsa; p=<base64 key>\".",
    reference: "RFC 6376 3.6.1",
    contexts: &[],
};

pub static DKIM_UNKNOWN_KEY_TYPE: CodeInfo = CodeInfo {
    id: "dkim-unknown-key-type",
    area: Area::Dkim,
    default_severity: Severity::Error,
    summary: "k= names a key type verifiers do not know (only rsa and ed25519 are defined).",
    remediation: "Set k=rsa (or k=ed25519 for an Ed25519 key), or remove k= (rsa is the default).",
    reference: "RFC 6376 3.6.1, RFC 8463",
    contexts: &[],
};

pub static DKIM_INVALID_KEY_DATA: CodeInfo = CodeInfo {
    id: "dkim-invalid-key-data",
    area: Area::Dkim,
    default_severity: Severity::Error,
    summary: "p= is not a usable public key (not base64, not an RSA key, or not a 32-byte Ed25519 key): every signature with this selector fails.",
    remediation: "Copy the public key again from your sender or from `openssl rsa -pubout` (the base64 between the PEM lines, without line breaks or quotes).",
    reference: "RFC 6376 3.6.1, RFC 8463 4.2",
    contexts: &[],
};

pub static DKIM_BROKEN_STRING_SPLIT: CodeInfo = CodeInfo {
    id: "dkim-broken-string-split",
    area: Area::Dkim,
    default_severity: Severity::Error,
    summary: "A long key record was split wrongly (quotes inside the record, cut at 255 bytes, or spread over several TXT records), so the key does not decode.",
    remediation: "Publish ONE TXT record whose text is split into strings of at most 255 bytes, each quoted separately in the zone file: \"v=DKIM1; k=rsa; p=MIIB...\" \"...IDAQAB\". In web DNS panels paste the value without any quotes.",
    reference: "RFC 6376 3.6.2.2, RFC 7208 3.3",
    contexts: &[],
};

pub static DKIM_KEY_TOO_SHORT: CodeInfo = CodeInfo {
    id: "dkim-key-too-short",
    area: Area::Dkim,
    default_severity: Severity::Error,
    summary: "The RSA key is shorter than 2048 bits: below 1024 verifiers reject it (error); 1024 is accepted but 2048 is recommended (note).",
    remediation: "Generate a 2048-bit key at your sender (or `openssl genrsa 2048`) and publish it under a new selector; switch signing over, then revoke the old selector (empty p=).",
    reference: "RFC 8301 3.2",
    contexts: &[SeverityContext {
        severity: Severity::Note,
        when: "the key has 1024 to 2047 bits: accepted by verifiers, but 2048 is recommended (under 1024 bits stays an error)",
    }],
};

pub static DKIM_KEY_TOO_LONG: CodeInfo = CodeInfo {
    id: "dkim-key-too-long",
    area: Area::Dkim,
    default_severity: Severity::Warning,
    summary: "The RSA key is longer than 4096 bits: verifiers are only required to handle up to 4096, some fail larger keys.",
    remediation: "Use a 2048-bit (or at most 4096-bit) key.",
    reference: "RFC 8301 3.2",
    contexts: &[],
};

pub static DKIM_TESTING_MODE: CodeInfo = CodeInfo {
    id: "dkim-testing-mode",
    area: Area::Dkim,
    default_severity: Severity::Warning,
    summary: "t=y: the domain says it is testing DKIM, and verifiers may treat failures (and passes) as if unsigned.",
    remediation: "Remove y from t= once signing works (keep t=s if you want strict identity).",
    reference: "RFC 6376 3.6.1",
    contexts: &[],
};

pub static DKIM_KEY_REVOKED: CodeInfo = CodeInfo {
    id: "dkim-key-revoked",
    area: Area::Dkim,
    default_severity: Severity::Note,
    summary: "The key record has an empty p=: the key is revoked, signatures with this selector fail.",
    remediation: "Nothing if the selector is retired; if you still sign with it, publish the current public key in p=.",
    reference: "RFC 6376 3.6.1",
    contexts: &[SeverityContext {
        severity: Severity::Warning,
        when: "the selector was given with --selector (or is the provider's own): mail signed with it fails DKIM",
    }],
};

pub static DKIM_SHA1_ONLY: CodeInfo = CodeInfo {
    id: "dkim-sha1-only",
    area: Area::Dkim,
    default_severity: Severity::Error,
    summary: "h= allows only SHA-1: rsa-sha1 signatures must not be accepted, so nothing signed with this key verifies.",
    remediation: "Remove h= (all hashes allowed) or set h=sha256, and sign with rsa-sha256.",
    reference: "RFC 8301 3.1",
    contexts: &[],
};

pub static DKIM_NOT_FOR_EMAIL: CodeInfo = CodeInfo {
    id: "dkim-not-for-email",
    area: Area::Dkim,
    default_severity: Severity::Error,
    summary: "s= restricts the key to services other than email, so mail verifiers ignore it.",
    remediation: "Remove s= (default *) or set s=email.",
    reference: "RFC 6376 3.6.1",
    contexts: &[],
};

pub static ALL: &[&CodeInfo] = &[
    &DKIM_NO_SELECTOR_FOUND,
    &DKIM_SELECTOR_MISSING,
    &DKIM_MULTIPLE_RECORDS,
    &DKIM_SYNTAX_ERROR,
    &DKIM_UNKNOWN_KEY_TYPE,
    &DKIM_INVALID_KEY_DATA,
    &DKIM_BROKEN_STRING_SPLIT,
    &DKIM_KEY_TOO_SHORT,
    &DKIM_KEY_TOO_LONG,
    &DKIM_TESTING_MODE,
    &DKIM_KEY_REVOKED,
    &DKIM_SHA1_ONLY,
    &DKIM_NOT_FOR_EMAIL,
];

// The severity declaration is tested on a real code here, not in report::finding: the
// vocabulary layer does not know the checks' codes (docs/architecture.md).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::finding::Finding;

    #[test]
    fn declared_severities_are_allowed() {
        let revoked = &DKIM_KEY_REVOKED;
        assert!(revoked.allows(Severity::Note));
        assert!(revoked.allows(Severity::Warning));
        assert!(!revoked.allows(Severity::Error));
        let f = Finding::new(revoked, "s._domainkey.example.com", "m").severity(Severity::Warning);
        assert_eq!(f.severity, Severity::Warning);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "does not declare")]
    fn an_undeclared_severity_trips_the_assertion() {
        let _ = Finding::new(&DKIM_KEY_REVOKED, "s", "m").severity(Severity::Error);
    }
}
