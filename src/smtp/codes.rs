//! Finding codes raised by the SMTP probe (`smtp-…`) and its TLS step (`tls-…`).
//! Each wording that the probe adds lives next to the step that raises it (probe/).

use crate::report::CodeInfo;

const RFC5321: &str = "RFC 5321";
const NM: &str = "nodemailer lib/smtp-connection";
const RFC3207: &str = "RFC 3207 (STARTTLS)";
const RFC8314: &str = "RFC 8314 (implicit TLS for submission)";
const RFC4954: &str = "RFC 4954 (SMTP AUTH)";
const NODE_TLS: &str = "Node.js tls.connect certificate verification";

crate::finding_code!(
    HOST_UNRESOLVABLE,
    "smtp-host-unresolvable",
    Smtp,
    Error,
    "The SMTP host name does not resolve to an address, so the connector cannot connect.",
    "Check the spelling of host; publish an A/AAAA record for it, or use the provider's documented host name.",
    NM
);
crate::finding_code!(
    CONNECTION_REFUSED,
    "smtp-connection-refused",
    Smtp,
    Error,
    "Nothing listens on the SMTP port (the connection was refused).",
    "Check host and port against the provider's documentation (587 STARTTLS, 465 implicit TLS), and that the server is running.",
    NM
);
crate::finding_code!(
    CONNECT_TIMEOUT,
    "smtp-connect-timeout",
    Smtp,
    Error,
    "The TCP connection was not answered in time (dropped by a firewall, or outbound port blocked).",
    "Allow outbound traffic to this port (cloud providers often block port 25: use 587 or 465), or fix host/port.",
    NM
);
crate::finding_code!(
    CONNECTION_DROPPED,
    "smtp-connection-dropped",
    Smtp,
    Error,
    "The server closed the connection before the SMTP session could complete.",
    "Check the server's logs; the server may reject the client's address, or the port may belong to another service.",
    NM
);
crate::finding_code!(
    GREETING_TIMEOUT,
    "smtp-greeting-timeout",
    Smtp,
    Error,
    "The server accepted the connection but sent no 220 greeting within the connector's greetingTimeout.",
    "Check that the port speaks SMTP; if the server is just slow, raise greetingTimeout in the config.",
    NM
);
crate::finding_code!(
    SLOW_BANNER,
    "smtp-slow-banner",
    Smtp,
    Warning,
    "The 220 greeting arrived late: the connector still works, but close to its greetingTimeout.",
    "Find why the server delays its banner (reverse-DNS lookups, greylisting, tarpitting) or raise greetingTimeout.",
    RFC5321
);
crate::finding_code!(
    BAD_GREETING,
    "smtp-bad-greeting",
    Smtp,
    Error,
    "The server's greeting is not 220: it refuses the session.",
    "Read the greeting text: the server rejects this client (address blocklisted, service unavailable).",
    RFC5321
);
crate::finding_code!(
    SECURE_ON_STARTTLS_PORT,
    "smtp-secure-on-starttls-port",
    Smtp,
    Error,
    "secure: true on a port that speaks plaintext SMTP first (a STARTTLS port): the TLS handshake fails at once.",
    "Set \"secure\": false for a STARTTLS port (587, 25, 2525), or use the implicit-TLS port (465) with secure: true.",
    RFC8314
);
crate::finding_code!(
    PLAINTEXT_ON_TLS_PORT,
    "smtp-plaintext-on-tls-port",
    Smtp,
    Error,
    "secure: false on a port that speaks TLS from the first byte (implicit TLS): no greeting ever arrives.",
    "Set \"secure\": true for an implicit-TLS port (465), or use the STARTTLS port (587) with secure: false.",
    RFC8314
);
crate::finding_code!(
    STARTTLS_UNAVAILABLE,
    "smtp-starttls-unavailable",
    Smtp,
    Error,
    "requireTLS is set but the server does not offer STARTTLS (or refuses it): the connector fails.",
    "Use a port or server that offers STARTTLS, or the implicit-TLS port with secure: true.",
    RFC3207
);
crate::finding_code!(
    NO_TLS,
    "smtp-no-tls",
    Smtp,
    Warning,
    "The session stays unencrypted: mail (one-time passcodes) crosses the network in clear.",
    "Use STARTTLS (remove ignoreTLS; pick a server that offers it) or implicit TLS (secure: true on 465).",
    RFC3207
);
crate::finding_code!(
    IGNORE_TLS_BLOCKS_AUTH,
    "smtp-ignore-tls-blocks-auth",
    Smtp,
    Error,
    "ignoreTLS is set, but the server offers AUTH only after STARTTLS: the connector never logs in and the server refuses the mail.",
    "Remove \"ignoreTLS\" (nodemailer then upgrades with STARTTLS and logs in).",
    NM
);
crate::finding_code!(
    STARTTLS_INJECTION,
    "smtp-starttls-injection",
    Smtp,
    Error,
    "The server sent more data right after its STARTTLS reply, before the handshake (a command-injection risk, CVE-2011-0411 class).",
    "Fix or replace the server (or the middlebox in front of it); data before the handshake must be discarded by clients.",
    RFC3207
);
crate::finding_code!(
    EHLO_REJECTED,
    "smtp-ehlo-rejected",
    Smtp,
    Error,
    "The server rejected EHLO (and HELO): the session cannot go on.",
    "Set the config's \"name\" to a valid fully qualified host name (ASCII) that the server accepts.",
    RFC5321
);
crate::finding_code!(
    AUTH_NOT_ADVERTISED,
    "smtp-auth-not-advertised",
    Smtp,
    Error,
    "Credentials are configured but the server offers no AUTH, so nodemailer sends without logging in, silently: the password is never checked, and the host is an open relay or not the submission service; a wrong password goes unnoticed until the host's network changes.",
    "Point host and port at the provider's authenticated submission service (587 with STARTTLS, or 465), where AUTH is offered; if the relay really needs no login, remove the credentials from the config.",
    RFC4954,
    [(
        Warning,
        "the server does offer AUTH, after STARTTLS, and ignoreTLS keeps nodemailer from it (smtp-ignore-tls-blocks-auth says what the server then does)"
    )]
);
crate::finding_code!(
    RECIPIENT_REFUSED,
    "smtp-recipient-refused",
    Smtp,
    Error,
    "The server accepts MAIL FROM but refuses the recipient at RCPT TO (relay access denied, a sender that does not match the login, a relay for authenticated senders only): every passcode mail fails.",
    "Log in (a relay that refuses unauthenticated senders: use the submission port with AUTH), use a fromEmail the account may send as (Postfix reject_sender_login_mismatch), or ask the relay's operator to allow this sender.",
    "RFC 5321 3.3, 4.2.2"
);
crate::finding_code!(
    RECIPIENT_PROBE_INCONCLUSIVE,
    "smtp-recipient-probe-inconclusive",
    Smtp,
    Warning,
    "The probe address was refused for a reason about the address itself (its domain has no mail service, or the mailbox does not exist), so RCPT-time refusals could not be checked.",
    "Run again with --to set to a real mailbox at another domain than the server's own: the probe still sends RSET and QUIT, never DATA.",
    "RFC 5321 3.3"
);
crate::finding_code!(
    AUTH_NO_COMMON_MECHANISM,
    "smtp-auth-no-common-mechanism",
    Smtp,
    Error,
    "The server offers only AUTH mechanisms nodemailer does not implement (e.g. NTLM, GSSAPI).",
    "Enable AUTH PLAIN or LOGIN on the server (over TLS), or use another submission server.",
    RFC4954
);
crate::finding_code!(
    AUTH_IN_CLEAR,
    "smtp-auth-in-clear",
    Smtp,
    Error,
    "The connector would send its credentials over an unencrypted connection.",
    "Use STARTTLS (remove ignoreTLS, or pick a server that offers it) or implicit TLS (secure: true on 465).",
    RFC8314
);
crate::finding_code!(
    AUTH_FAILED,
    "smtp-auth-failed",
    Smtp,
    Error,
    "The server refused the credentials.",
    "Check user and password (many providers need an app password or an API key as the password).",
    RFC4954
);
crate::finding_code!(
    AUTH_MISSING_CREDENTIALS,
    "smtp-auth-missing-credentials",
    Smtp,
    Error,
    "A user is configured without a password (or the reverse): nodemailer fails before any AUTH command.",
    "Give both auth.user and auth.pass, or remove auth for a server that needs no login.",
    NM
);
crate::finding_code!(
    AUTH_UNTESTED,
    "smtp-auth-untested",
    Smtp,
    Warning,
    "The credentials could not be tested, so the probe cannot tell whether login will succeed.",
    "See the message for why; run again with what it asks for.",
    RFC4954
);
crate::finding_code!(
    AUTH_REQUIRED,
    "smtp-auth-required",
    Smtp,
    Error,
    "The server refuses mail without a login, and the connector will not log in.",
    "Give credentials (auth.user, auth.pass), and make sure AUTH happens (see the other findings).",
    RFC4954
);
crate::finding_code!(
    SENDER_REJECTED,
    "smtp-sender-rejected",
    Smtp,
    Error,
    "The server refuses the envelope sender (fromEmail) at MAIL FROM.",
    "Use a fromEmail the account may send as (the mailbox itself, a verified alias or a verified domain).",
    RFC5321
);
crate::finding_code!(
    PROTOCOL_ERROR,
    "smtp-protocol-error",
    Smtp,
    Error,
    "The server's reply broke SMTP's syntax or the probe's bounds (line length, number of lines).",
    "Check that the port speaks SMTP; a proxy or another service may sit on it.",
    RFC5321
);
crate::finding_code!(
    PHASE_TIMEOUT,
    "smtp-phase-timeout",
    Smtp,
    Error,
    "The server stopped answering in the middle of the session.",
    "Check the server's health and logs; nodemailer gives up after socketTimeout.",
    NM
);

crate::finding_code!(
    TLS_SELF_SIGNED,
    "tls-certificate-self-signed",
    Tls,
    Error,
    "The server's certificate is self-signed: the connector refuses it.",
    "Install a certificate from a public CA (e.g. Let's Encrypt). Trusting this one with tls.ca (its PEM) works; tls.rejectUnauthorized: false also works but lets anyone intercept the passcode mail and the password.",
    NODE_TLS
);
crate::finding_code!(
    TLS_UNTRUSTED,
    "tls-certificate-untrusted",
    Tls,
    Error,
    "The server's certificate is issued by a CA the connector does not trust (a private CA, or a missing intermediate).",
    "Set NODE_EXTRA_CA_CERTS=/path/ca.pem for the Logto process (adds the private CA to Node's roots), or add the CA's PEM to tls.ca in the config (this trusts only that CA), or have the server send the full chain.",
    NODE_TLS
);
crate::finding_code!(
    TLS_EXTRA_CA_UNUSABLE,
    "tls-extra-ca-unusable",
    Tls,
    Warning,
    "The extra CA file (NODE_EXTRA_CA_CERTS or --extra-ca) cannot be read or holds no certificate: Node warns once and goes on without it.",
    "Point NODE_EXTRA_CA_CERTS at a readable PEM file of CA certificates, readable by the user Logto runs as; Node reads it only when the process starts.",
    NODE_TLS
);
crate::finding_code!(
    TLS_EXPIRED,
    "tls-certificate-expired",
    Tls,
    Error,
    "The server's certificate has expired: the connector refuses it.",
    "Renew the certificate on the server.",
    NODE_TLS
);
crate::finding_code!(
    TLS_NOT_YET_VALID,
    "tls-certificate-not-yet-valid",
    Tls,
    Error,
    "The server's certificate is not valid yet (or a clock is wrong).",
    "Check the server's certificate dates and both machines' clocks.",
    NODE_TLS
);
crate::finding_code!(
    TLS_NAME_MISMATCH,
    "tls-certificate-name-mismatch",
    Tls,
    Error,
    "The certificate is not valid for the host name the connector checks.",
    "Use as host a name the certificate covers, or set \"servername\" (or tls.servername) to it.",
    NODE_TLS
);
crate::finding_code!(
    TLS_VERIFY_FAILED,
    "tls-certificate-invalid",
    Tls,
    Error,
    "The server's certificate failed verification for another reason.",
    "Read the message; renew or fix the certificate on the server.",
    NODE_TLS
);
crate::finding_code!(
    TLS_EXPIRES_SOON,
    "tls-certificate-expires-soon",
    Tls,
    Warning,
    "The server's certificate expires within 21 days.",
    "Renew it (and check that automatic renewal works).",
    NODE_TLS
);
crate::finding_code!(
    TLS_WEAK_KEY,
    "tls-weak-key",
    Tls,
    Warning,
    "The certificate's RSA key is shorter than 2048 bits.",
    "Reissue the certificate with a 2048-bit (or larger) RSA key, or an ECDSA key.",
    "NIST SP 800-131A; CA/Browser Forum Baseline Requirements"
);
crate::finding_code!(
    TLS_LEGACY_ONLY,
    "tls-legacy-only",
    Tls,
    Error,
    "The server completes no handshake at TLS 1.2 or 1.3 (it offers only TLS 1.0/1.1, or no usable cipher).",
    "Enable TLS 1.2 or 1.3 on the server; TLS 1.0 and 1.1 are deprecated (RFC 8996) and Node refuses them by default.",
    "RFC 8996"
);
crate::finding_code!(
    TLS_HANDSHAKE_FAILED,
    "tls-handshake-failed",
    Tls,
    Error,
    "The TLS handshake failed.",
    "Read the message; check the server's TLS configuration.",
    "RFC 8446"
);
crate::finding_code!(
    TLS_NOT_VERIFIED,
    "tls-not-verified",
    Tls,
    Warning,
    "Certificate verification is off in the config: the probe saw a certificate the connector would not check.",
    "Remove tls.rejectUnauthorized: false once the certificate is fixed (or trust a private CA with tls.ca).",
    NODE_TLS,
    [(
        Error,
        "the certificate would fail verification: anyone on the path can read the mail and the password"
    )]
);

pub static ALL: &[&CodeInfo] = &[
    &HOST_UNRESOLVABLE,
    &CONNECTION_REFUSED,
    &CONNECT_TIMEOUT,
    &CONNECTION_DROPPED,
    &GREETING_TIMEOUT,
    &SLOW_BANNER,
    &BAD_GREETING,
    &SECURE_ON_STARTTLS_PORT,
    &PLAINTEXT_ON_TLS_PORT,
    &STARTTLS_UNAVAILABLE,
    &NO_TLS,
    &IGNORE_TLS_BLOCKS_AUTH,
    &STARTTLS_INJECTION,
    &EHLO_REJECTED,
    &AUTH_NOT_ADVERTISED,
    &RECIPIENT_REFUSED,
    &RECIPIENT_PROBE_INCONCLUSIVE,
    &AUTH_NO_COMMON_MECHANISM,
    &AUTH_IN_CLEAR,
    &AUTH_FAILED,
    &AUTH_MISSING_CREDENTIALS,
    &AUTH_UNTESTED,
    &AUTH_REQUIRED,
    &SENDER_REJECTED,
    &PROTOCOL_ERROR,
    &PHASE_TIMEOUT,
    &TLS_SELF_SIGNED,
    &TLS_UNTRUSTED,
    &TLS_EXTRA_CA_UNUSABLE,
    &TLS_EXPIRED,
    &TLS_NOT_YET_VALID,
    &TLS_NAME_MISMATCH,
    &TLS_VERIFY_FAILED,
    &TLS_EXPIRES_SOON,
    &TLS_WEAK_KEY,
    &TLS_LEGACY_ONLY,
    &TLS_HANDSHAKE_FAILED,
    &TLS_NOT_VERIFIED,
];
