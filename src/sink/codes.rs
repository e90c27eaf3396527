//! Finding codes about a received message (`received-…`): what `sink` (and later `inspect`)
//! sees in mail that a connector actually sent.

use crate::report::CodeInfo;

/// Every code here is in one area: the shared declaration with that area filled in.
macro_rules! code {
    ($name:ident, $id:literal, $($rest:tt)*) => {
        crate::finding_code!($name, $id, Received, $($rest)*);
    };
}

code!(
    UNSIGNED,
    "received-unsigned",
    Warning,
    "The message carries no DKIM signature: DMARC can pass only through SPF, which forwarding breaks.",
    "Sign with DKIM (the config's dkim option, or the provider's DKIM setup) with d= the From domain.",
    "RFC 6376; RFC 7489 4"
);
code!(
    DKIM_FAILED,
    "received-dkim-failed",
    Error,
    "A DKIM signature on the message does not verify.",
    "Publish the signing key's public record at the selector, and make sure nothing rewrites the message after signing.",
    "RFC 6376 6"
);
code!(
    DKIM_NOT_ALIGNED,
    "received-dkim-not-aligned",
    Warning,
    "The message's DKIM signature verifies, but its d= is not aligned with the From domain.",
    "Sign with d= the From domain (or a domain of its organization, under relaxed alignment).",
    "RFC 7489 3.1.1"
);
code!(
    UNRENDERED_PLACEHOLDER,
    "received-unrendered-placeholder",
    Error,
    "The message still contains a {{placeholder}}: the template was not filled (the user sees braces, maybe no code).",
    "Use only placeholders Logto fills ({{code}}, {{link}}); check the template's spelling.",
    "@logto/connector-kit replaceSendMessageHandlebars"
);
code!(
    NO_TEXT_PART,
    "received-no-text-part",
    Warning,
    "The message is HTML only, with no text/plain part.",
    "Spam filters score HTML-only mail worse; prefer contentType text/plain for passcodes.",
    "Gmail sender guidelines"
);
code!(
    NO_TLS,
    "received-no-tls",
    Warning,
    "The message arrived over an unencrypted session.",
    "Use STARTTLS or implicit TLS in the connector (see the smtp command).",
    "RFC 3207; RFC 8314"
);
code!(
    ENVELOPE_NOT_ALIGNED,
    "received-envelope-not-aligned",
    Warning,
    "The envelope sender (MAIL FROM) is not in the From domain's organization: SPF cannot align.",
    "Send with a MAIL FROM in the From domain (for Logto: fromEmail is both), or rely on aligned DKIM.",
    "RFC 7489 3.1.2"
);
code!(
    EMPTY_ENVELOPE,
    "received-empty-envelope",
    Error,
    "The envelope sender is empty (MAIL FROM:<>): bounces are impossible and SPF checks only the HELO.",
    "Give fromEmail a full address with a domain.",
    "RFC 5321 4.5.5"
);

pub static ALL: &[&CodeInfo] = &[
    &UNSIGNED,
    &DKIM_FAILED,
    &DKIM_NOT_ALIGNED,
    &UNRENDERED_PLACEHOLDER,
    &NO_TEXT_PART,
    &NO_TLS,
    &ENVELOPE_NOT_ALIGNED,
    &EMPTY_ENVELOPE,
];
