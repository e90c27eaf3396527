//! Finding codes of the test passcode mail: its templates (`template-…`) and its signing,
//! verification and delivery (`send-…`).

use crate::report::CodeInfo;

const LOGTO_KIT: &str = "@logto/connector-kit replaceSendMessageHandlebars";
const RFC6376: &str = "RFC 6376";
const GMAIL: &str = "Gmail sender guidelines";

crate::finding_code!(
    MISSING_CODE,
    "template-missing-code",
    Template,
    Error,
    "A passcode template has no {{code}} placeholder: the user receives no code.",
    "Put {{code}} in the template's content (whitespace inside the braces is allowed).",
    LOGTO_KIT
);
crate::finding_code!(
    UNKNOWN_PLACEHOLDER,
    "template-unknown-placeholder",
    Template,
    Warning,
    "A placeholder Logto fills with nothing: it reaches the user literally, braces and all.",
    "Remove it, or use one Logto provides ({{code}}, {{link}}, {{locale}}).",
    LOGTO_KIT
);
crate::finding_code!(
    HTML_INVALID,
    "template-html-invalid",
    Template,
    Warning,
    "The HTML content does not parse cleanly (unclosed or mismatched tags).",
    "Fix the markup; mail clients and spam filters treat broken HTML badly.",
    "HTML Living Standard"
);
crate::finding_code!(
    HTML_NO_TEXT,
    "template-html-no-text",
    Template,
    Warning,
    "An HTML template is sent without a text/plain alternative (Logto sends a single part).",
    "Spam filters score HTML-only mail worse; keep the HTML simple, or use contentType text/plain.",
    GMAIL
);
crate::finding_code!(
    SUBJECT_LONG,
    "template-subject-long",
    Template,
    Warning,
    "The subject is longer than 100 characters: mail clients cut it, and the code may not show.",
    "Shorten the subject; put the code early if it is in the subject.",
    "RFC 5322 2.1.1"
);
crate::finding_code!(
    SUBJECT_EMPTY,
    "template-subject-empty",
    Template,
    Warning,
    "The subject is empty.",
    "Give the template a subject; empty subjects look like spam.",
    GMAIL
);
crate::finding_code!(
    FOREIGN_LINK,
    "template-foreign-link",
    Template,
    Warning,
    "The content links to a domain other than the From domain: phishing filters notice.",
    "Link only to the From domain (or its organization's domains).",
    "Gmail sender guidelines; M3AAWG sender best practices"
);
crate::finding_code!(
    TOO_LARGE,
    "template-too-large",
    Template,
    Warning,
    "The rendered message is larger than 100 KiB: Gmail clips messages above 102 KiB.",
    "Slim the template (inline images and styles are the usual cause).",
    GMAIL
);
crate::finding_code!(
    USAGE_NOT_CONFIGURED,
    "template-usage-missing",
    Template,
    Error,
    "There is no template for the usage type asked for: that flow fails with TemplateNotFound.",
    "Add a template with this usageType to the config.",
    "@logto/connector-smtp"
);

crate::finding_code!(
    DKIM_KEY_UNREADABLE,
    "send-dkim-key-unreadable",
    Send,
    Error,
    "The DKIM private key cannot be used: the mail would go out unsigned.",
    "Give a PEM private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`, RSA or Ed25519).",
    RFC6376
);
crate::finding_code!(
    NODEMAILER_UNSIGNED,
    "send-nodemailer-sends-unsigned",
    Send,
    Error,
    "The config's dkim key is one nodemailer cannot use (unreadable, or Ed25519): it sends every message unsigned, raising no error.",
    "Use an RSA private key in PEM for nodemailer's dkim option.",
    "nodemailer lib/dkim"
);
crate::finding_code!(
    DKIM_NO_KEY_IN_DNS,
    "send-dkim-no-key",
    Send,
    Error,
    "No DKIM key is published at the selector the mail is signed with: receivers fail the signature.",
    "Publish the public key as TXT at <selector>._domainkey.<domain> (the message gives the record).",
    RFC6376
);
crate::finding_code!(
    DKIM_KEY_MISMATCH,
    "send-dkim-key-mismatch",
    Send,
    Error,
    "The signature does not verify against the key in DNS: the published key is not this private key's.",
    "Publish the public key of the private key you sign with (the message gives the record).",
    RFC6376
);
crate::finding_code!(
    DKIM_NOT_ALIGNED,
    "send-dkim-not-aligned",
    Send,
    Warning,
    "The signing domain d= is not aligned with the From domain: the signature cannot carry DMARC.",
    "Sign with d= the From domain (or its organizational domain, under relaxed alignment).",
    "RFC 7489 3.1.1"
);
crate::finding_code!(
    DKIM_VERIFY_ERROR,
    "send-dkim-verify-error",
    Send,
    Error,
    "The signature could not be verified (a DNS failure, or a temporary error).",
    "Read the message; run again when DNS answers.",
    RFC6376
);
crate::finding_code!(
    RECIPIENT_REJECTED,
    "send-recipient-rejected",
    Send,
    Error,
    "The server refused the recipient.",
    "Check the address given with --to; some servers refuse recipients outside a verified list (e.g. the SES sandbox).",
    "RFC 5321 3.3"
);
crate::finding_code!(
    DATA_REJECTED,
    "send-data-rejected",
    Send,
    Error,
    "The server refused the message after DATA.",
    "Read the server's reply (content or policy rejection).",
    "RFC 5321 3.3"
);

pub static ALL: &[&CodeInfo] = &[
    &MISSING_CODE,
    &UNKNOWN_PLACEHOLDER,
    &HTML_INVALID,
    &HTML_NO_TEXT,
    &SUBJECT_LONG,
    &SUBJECT_EMPTY,
    &FOREIGN_LINK,
    &TOO_LARGE,
    &USAGE_NOT_CONFIGURED,
    &DKIM_KEY_UNREADABLE,
    &NODEMAILER_UNSIGNED,
    &DKIM_NO_KEY_IN_DNS,
    &DKIM_KEY_MISMATCH,
    &DKIM_NOT_ALIGNED,
    &DKIM_VERIFY_ERROR,
    &RECIPIENT_REJECTED,
    &DATA_REJECTED,
];
