//! Finding codes of `inspect` (`inspect-…`): what a received message's headers say about why
//! it was filtered. The content and DKIM findings shared with `sink` keep their `received-…`
//! codes (src/sink/codes.rs).

use crate::report::CodeInfo;

macro_rules! code {
    ($name:ident, $id:literal, $($rest:tt)*) => {
        crate::finding_code!($name, $id, Inspect, $($rest)*);
    };
}

code!(
    OVER_LIMIT,
    "inspect-input-over-limit",
    Error,
    "The message is beyond a bound of the inspector (header fields, field length, MIME nesting): it was not (fully) inspected.",
    "Check that the file is one message; receivers reject such messages too.",
    "RFC 5322 2.1.1; RFC 2046 5.1"
);
code!(
    NOT_A_MESSAGE,
    "inspect-not-a-message",
    Error,
    "The input has no From header field: it is not a message (or not its header section).",
    "Give the whole message (.eml, \"show original\" / \"download original\"), headers included.",
    "RFC 5322 3.6"
);
code!(
    HEADERS_ONLY,
    "inspect-headers-only",
    Note,
    "Only the header section was given: DKIM body hashes could not be checked, only the signed header fields.",
    "For a full check, save the whole message (\"download original\") and inspect that.",
    "RFC 6376 3.7"
);
code!(
    LINE_TOO_LONG,
    "inspect-line-too-long",
    Warning,
    "A header line is longer than 998 bytes: receivers may reject or rewrite the message (breaking DKIM).",
    "Fold long header fields; check the sending library's header encoding.",
    "RFC 5322 2.1.1"
);
code!(
    NO_SENDING_IP,
    "inspect-no-sending-ip",
    Warning,
    "The connecting IP could not be found in the Received chain: SPF was not evaluated.",
    "Give the sending IP with --ip (the receiver's topmost Received line names it).",
    "RFC 5321 4.4"
);
code!(
    SPF_NOT_PASS,
    "inspect-spf-not-pass",
    Error,
    "SPF for the sending IP and the envelope sender (Return-Path) does not pass.",
    "Authorize the sending server in the envelope domain's SPF record (the provider's include:), or send through a server it lists.",
    "RFC 7208 2.6",
    [(
        Warning,
        "the result is softfail, neutral, none or temperror (fail and permerror stay errors)"
    )]
);
code!(
    NO_DMARC,
    "inspect-no-dmarc",
    Warning,
    "The From domain publishes no DMARC record: Gmail, Yahoo and Outlook.com require one from bulk senders and score mail without it worse.",
    "Publish `_dmarc.<domain> TXT \"v=DMARC1; p=none; rua=mailto:…\"` and tighten p= once reports are clean.",
    "RFC 7489 6.1; Gmail/Yahoo sender requirements 2024"
);
code!(
    DMARC_FAIL,
    "inspect-dmarc-fail",
    Error,
    "DMARC fails: neither SPF nor DKIM passes with a domain aligned with the From domain.",
    "Sign with DKIM d= the From domain (or its organization), or send with a Return-Path in it whose SPF passes.",
    "RFC 7489 3.1, 6.6.2",
    [(
        Warning,
        "the policy in force is p=none: receivers still deliver the mail"
    )]
);
code!(
    RECEIVER_FAILED,
    "inspect-receiver-failed",
    Error,
    "The receiver recorded a failing authentication result (Authentication-Results) for this message.",
    "Fix what the result names (SPF, DKIM or DMARC); the rest of this report says why it failed.",
    "RFC 8601 2.7"
);
code!(
    RESULTS_DISAGREE,
    "inspect-auth-results-disagree",
    Warning,
    "The receiver's Authentication-Results disagree with this tool's own verification.",
    "A key changed since delivery, the message was altered after the receiver checked it, or the header is forged: compare the times and the keys.",
    "RFC 8601 7.2"
);
code!(
    RESULTS_UNTRUSTED,
    "inspect-auth-results-untrusted",
    Note,
    "Authentication-Results fields from other hosts than the trusted receiver were ignored (anyone can write them).",
    "Give the receiver's own authserv-id with --trusted-authserv (e.g. mx.google.com) to use its results.",
    "RFC 8601 5"
);
code!(
    DKIM_WEAK,
    "inspect-dkim-weak",
    Warning,
    "A DKIM signature uses rsa-sha1 or an RSA key under 1024 bits: verifiers treat it as unsigned.",
    "Sign with rsa-sha256 and a 2048-bit key (or ed25519-sha256 beside RSA).",
    "RFC 8301 3.1, 3.2"
);
code!(
    DKIM_BODY_LENGTH,
    "inspect-dkim-body-length",
    Warning,
    "A DKIM signature has l= (body length): anything appended after that many bytes is not covered, and filters distrust it.",
    "Sign the whole body (no l= tag).",
    "RFC 6376 8.2"
);
code!(
    SLOW_DELIVERY,
    "inspect-slow-delivery",
    Warning,
    "A hop of the Received chain took more than 5 minutes: a passcode may expire before it arrives.",
    "Look at the slow hop's host (queueing, greylisting, a retry after a temporary failure).",
    "RFC 5321 4.4"
);
code!(
    HOP_WITHOUT_TLS,
    "inspect-hop-without-tls",
    Warning,
    "A hop of the Received chain states that it was not encrypted (SMTP or ESMTP, not ESMTPS).",
    "Use STARTTLS or implicit TLS to the provider; Gmail flags mail received without TLS.",
    "RFC 3207; RFC 3848"
);
code!(
    ARC_FAILED,
    "inspect-arc-failed",
    Note,
    "The ARC chain does not validate: forwarders' authentication results cannot be trusted.",
    "Only an intermediary (mailing list, forwarder) can fix its ARC sealing; it matters when the message was forwarded.",
    "RFC 8617 5.2"
);

pub static ALL: &[&CodeInfo] = &[
    &OVER_LIMIT,
    &NOT_A_MESSAGE,
    &HEADERS_ONLY,
    &LINE_TOO_LONG,
    &NO_SENDING_IP,
    &SPF_NOT_PASS,
    &NO_DMARC,
    &DMARC_FAIL,
    &RECEIVER_FAILED,
    &RESULTS_DISAGREE,
    &RESULTS_UNTRUSTED,
    &DKIM_WEAK,
    &DKIM_BODY_LENGTH,
    &SLOW_DELIVERY,
    &HOP_WITHOUT_TLS,
    &ARC_FAILED,
];
