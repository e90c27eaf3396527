//! Finding codes raised on a connector config (`config-…`).
//!
//! Two families: what Logto's own validation rejects (the real connector refuses the
//! config: always errors), and what Logto accepts but nodemailer then does differently
//! from what the operator meant (beyond Logto).

use crate::report::CodeInfo;

const LOGTO: &str = "@logto/connector-smtp 1.5.4 config guard";
const NM_CONN: &str = "nodemailer lib/smtp-connection";
const NM_TRANSPORT: &str = "nodemailer lib/smtp-transport";
const NM_ADDR: &str = "nodemailer lib/addressparser";
const PROVIDERS: &str = "provider documentation (see the providers table)";

/// Every code here is in one area: the shared declaration with that area filled in.
macro_rules! code {
    ($name:ident, $id:literal, $($rest:tt)*) => {
        crate::finding_code!($name, $id, Config, $($rest)*);
    };
}

// ---- Logto's validation: the real connector refuses these configs ----
code!(
    MISSING_FIELD,
    "config-missing-field",
    Error,
    "A key Logto requires is missing; the connector refuses the config.",
    "Add the key (host, port, auth, fromEmail, templates; each template needs usageType, contentType, subject and content).",
    LOGTO
);
code!(
    WRONG_TYPE,
    "config-wrong-type",
    Error,
    "A key has a type Logto's validation rejects; the connector refuses the config.",
    "Give the key the type Logto expects (strings quoted, numbers and booleans unquoted, objects and arrays as such).",
    LOGTO
);
code!(
    PORT_NOT_NUMBER,
    "config-port-not-number",
    Error,
    "The port is a string; Logto rejects it with `port: Expected number, received string`.",
    "Write the port as a JSON number without quotes, e.g. \"port\": 587.",
    LOGTO
);
code!(
    AUTH_SHAPE,
    "config-auth-shape",
    Error,
    "The auth object matches none of the three shapes Logto accepts; the connector refuses the config.",
    "Use {\"type\": \"login\", \"user\": \"…\", \"pass\": \"…\"} (no other keys), or an OAuth2 object with user plus privateKey and serviceClient, or user plus clientId/clientSecret/refreshToken/accessToken.",
    LOGTO
);
code!(
    TEMPLATE_MISSING,
    "config-template-missing",
    Error,
    "A template usage type Logto requires (Register, SignIn, ForgotPassword, Generic) is missing.",
    "Add a template for each of Register, SignIn, ForgotPassword and Generic; a Generic template does not stand in for the others.",
    LOGTO
);
code!(
    TEMPLATE_CONTENT_TYPE,
    "config-template-content-type",
    Error,
    "A template's contentType is neither text/plain nor text/html; the connector refuses the config.",
    "Set contentType to \"text/plain\" or \"text/html\" (exactly, lower case).",
    LOGTO
);

// ---- Beyond Logto: accepted, then wrong at send time ----
code!(
    AUTH_EMPTY_DROPPED,
    "config-auth-empty-dropped",
    Error,
    "auth is {}: nodemailer sends without logging in, and Logto's console drops the empty object on save, after which the config no longer validates.",
    "Give auth a user and pass; for an open relay that needs no login, keep the server's policy in mind and save the config through the Management API, not the console.",
    "Logto console (empty values stripped on save); nodemailer lib/smtp-transport"
);
code!(
    AUTH_INCOMPLETE,
    "config-auth-incomplete",
    Warning,
    "The login auth has a user without a password (or a password without a user): nodemailer fails with `Missing credentials for \"PLAIN\"` when the server asks for AUTH.",
    "Set both user and pass (pass preferably through --pass-env and the deployment's secret store).",
    NM_CONN
);
code!(
    FROM_NO_DOMAIN,
    "config-from-no-domain",
    Error,
    "fromEmail has no @domain: nodemailer sends `MAIL FROM:<>` and permissive servers accept it, so the mail goes out with an empty envelope sender.",
    "Use a full address on a domain you authenticate (SPF, DKIM, DMARC), e.g. noreply@auth.example.com.",
    NM_ADDR
);
code!(
    FROM_HAS_SPACE,
    "config-from-has-space",
    Error,
    "fromEmail contains a space in the address: nodemailer silently keeps only the last word (`no reply@example.com` becomes `reply@example.com`).",
    "Remove the space, or write a display name in the form `Name <address@example.com>`.",
    NM_ADDR
);
code!(
    FROM_TWO_AT,
    "config-from-two-at",
    Error,
    "fromEmail contains more than one @: the address nodemailer builds is not the one written.",
    "Use exactly one @ in the address.",
    NM_ADDR
);
code!(
    FROM_INVALID,
    "config-from-invalid",
    Error,
    "fromEmail is not a usable mailbox address.",
    "Use an address such as noreply@auth.example.com, optionally as `Name <noreply@auth.example.com>`.",
    "RFC 5322 3.4.1; nodemailer lib/addressparser",
    [(
        Warning,
        "the domain has no dot (e.g. a single-label host name): nodemailer sends, but receivers are likely to refuse it"
    )]
);
code!(
    REPLY_TO_INVALID,
    "config-reply-to-invalid",
    Warning,
    "replyTo is not a usable address; replies go nowhere or to a mangled address.",
    "Use a full address such as support@example.com, or remove replyTo.",
    "RFC 5322 3.6.2; nodemailer lib/addressparser"
);
code!(
    TLS_VERIFICATION_DISABLED,
    "config-tls-verification-disabled",
    Warning,
    "tls.rejectUnauthorized is false: any certificate is accepted, so the SMTP password can be sent to an impostor.",
    "Remove rejectUnauthorized: false; trust a private CA with tls.ca (PEM), or fix the name with servername.",
    "Node.js tls.connect options; nodemailer lib/smtp-connection"
);
code!(
    IGNORE_TLS_WITH_AUTH,
    "config-ignore-tls-with-auth",
    Warning,
    "ignoreTLS is true with credentials: the password travels in clear text, or servers that offer AUTH only after STARTTLS never log in and reject the mail with 530.",
    "Remove ignoreTLS (or set requireTLS: true) so that STARTTLS protects the login.",
    NM_CONN
);
code!(
    TIMEOUT_ZERO,
    "config-timeout-zero",
    Note,
    "A timeout of 0 does not disable the timeout: nodemailer uses its default instead.",
    "Remove the key, or give a value in milliseconds.",
    NM_CONN,
    [(
        Error,
        "the timeout is negative or above 2147483647 ms: Node turns it into 1 ms and every connection times out at once"
    )]
);
code!(
    PORT_OUT_OF_RANGE,
    "config-port-out-of-range",
    Error,
    "The port is not a whole number between 1 and 65535.",
    "Use the submission port your provider documents: 587 (STARTTLS) or 465 (implicit TLS).",
    NM_CONN,
    [(
        Warning,
        "the port is 0: nodemailer falls back to 465 or 587, which may not be the port meant"
    )]
);
code!(
    SECURE_PORT_MISMATCH,
    "config-secure-port-mismatch",
    Warning,
    "secure does not fit the port: implicit TLS on a STARTTLS port fails with `wrong version number`; plaintext on port 465 waits 30 s for `Greeting never received`.",
    "Use secure: true with port 465, secure: false with 587 or 25.",
    NM_CONN
);
code!(
    NAME_NOT_ASCII,
    "config-name-not-ascii",
    Warning,
    "name (the EHLO argument) is not plain ASCII; Gmail answers `501 5.5.4 HELO/EHLO argument invalid`.",
    "Use the host's fully qualified ASCII name, or remove name.",
    "RFC 5321 4.1.1.1; nodemailer lib/smtp-connection"
);
code!(
    NODEMAILER_ONLY_KEY,
    "config-nodemailer-only-key",
    Note,
    "A key Logto's form does not show but nodemailer honours (Logto passes the raw config through).",
    "Keep it only if you mean it; it changes how mail is sent and the console will not show it.",
    NM_TRANSPORT,
    [(
        Warning,
        "the key changes how nodemailer authenticates or connects (authMethod, auth.method, forceAuth, opportunisticTLS, proxy, lmtp)"
    )]
);
code!(
    UNKNOWN_KEY,
    "config-unknown-key",
    Warning,
    "A key neither Logto nor nodemailer knows; it is ignored (often a misspelling).",
    "Fix the spelling (keys are case-sensitive, e.g. requireTLS) or remove the key.",
    LOGTO
);
code!(
    DUPLICATE_KEY,
    "config-duplicate-key",
    Warning,
    "A key appears twice in the same object; only the last value counts.",
    "Keep one occurrence of the key.",
    "RFC 8259 4; ECMAScript JSON.parse"
);
code!(
    SERVICE_OVERRIDES_HOST,
    "config-service-overrides-host",
    Warning,
    "The `service` key makes nodemailer replace host, port and secure with its own values for that service.",
    "Remove `service` and keep host/port/secure, or remove host/port/secure and keep `service`.",
    "nodemailer lib/well-known/services.json",
    [(
        Note,
        "the service's host, port and secure are the ones configured anyway"
    )]
);
code!(
    SERVICE_UNKNOWN,
    "config-service-unknown",
    Warning,
    "The `service` name is not one nodemailer knows; it is ignored.",
    "Remove `service`, or use a name from nodemailer's well-known services list.",
    "nodemailer lib/well-known/services.json"
);
code!(
    DKIM_OPTION,
    "config-dkim-option",
    Warning,
    "nodemailer's `dkim` option signs every message; a key it cannot load sends the mail unsigned with no error.",
    "Check the key loads (PEM, RSA) and that <keySelector>._domainkey.<domainName> publishes its public key; the DNS audit checks the latter.",
    "nodemailer lib/dkim"
);
code!(
    SECRET_IN_FILE,
    "config-secret-in-file",
    Note,
    "The config file holds a password or OAuth2 secret.",
    "Keep the secret out of files you share: pass it with --pass-env NAME (the variable holds the password).",
    "mailpreflight"
);
code!(
    TEMPLATE_OPTIONAL_MISSING,
    "config-template-optional-missing",
    Note,
    "A usage type Logto can send has no template; that flow fails at send time with TemplateNotFound.",
    "Add templates for the flows you use (OrganizationInvitation, UserPermissionValidation, BindNewIdentifier, MfaVerification, BindMfa).",
    "@logto/connector-smtp 1.5.4 sendMessage"
);
code!(
    TEMPLATE_DUPLICATE,
    "config-template-duplicate",
    Note,
    "Two templates have the same usageType; Logto uses the first one.",
    "Keep one template per usage type.",
    "@logto/connector-smtp 1.5.4 sendMessage"
);
code!(
    PASSWORD_UNUSED,
    "config-password-unused",
    Error,
    "A password is configured but the server never asks for it: nodemailer skips AUTH when the last EHLO does not offer it, and the mail is sent without logging in. The password is never checked (a wrong one goes unnoticed until the host's network changes), and the host is an open relay or not the submission service.",
    "Check that host and port point at the authenticated submission service, and that STARTTLS is not ignored when AUTH is offered only after it.",
    NM_TRANSPORT,
    [(
        Warning,
        "the server does offer AUTH, after STARTTLS, and ignoreTLS keeps nodemailer from it (smtp-ignore-tls-blocks-auth says what the server then does)"
    )]
);

// ---- Provider rules (no network) ----
code!(
    PROVIDER_USERNAME,
    "config-provider-username",
    Error,
    "The provider expects a fixed SMTP user name and the config uses another.",
    "Use the user name the provider documents (SendGrid: apikey; Resend: resend) with the API key as password.",
    PROVIDERS
);
code!(
    PROVIDER_PORT,
    "config-provider-port",
    Warning,
    "The provider does not offer SMTP on this port.",
    "Use one of the provider's documented ports.",
    PROVIDERS
);
code!(
    PROVIDER_SECURE_MISMATCH,
    "config-provider-secure-mismatch",
    Warning,
    "secure does not match the TLS mode the provider runs on this port.",
    "Use secure: true on the provider's implicit-TLS ports, secure: false on its STARTTLS ports.",
    PROVIDERS
);
code!(
    PROVIDER_FROM_NOT_MAILBOX,
    "config-provider-from-not-mailbox",
    Warning,
    "A mailbox provider sends only as the logged-in mailbox, and fromEmail is another address.",
    "Use the mailbox address (auth.user) as fromEmail, or make fromEmail a verified alias / Send-As address of that mailbox.",
    PROVIDERS
);
code!(
    PROVIDER_PORT_BLOCKED,
    "config-provider-port-blocked",
    Note,
    "This port is commonly blocked for outbound traffic where the connector runs (e.g. port 25 on Aliyun ECS and most clouds).",
    "Prefer the provider's submission port (465 or 587, Aliyun also 80).",
    PROVIDERS
);

pub static ALL: &[&CodeInfo] = &[
    &MISSING_FIELD,
    &WRONG_TYPE,
    &PORT_NOT_NUMBER,
    &AUTH_SHAPE,
    &TEMPLATE_MISSING,
    &TEMPLATE_CONTENT_TYPE,
    &AUTH_EMPTY_DROPPED,
    &AUTH_INCOMPLETE,
    &FROM_NO_DOMAIN,
    &FROM_HAS_SPACE,
    &FROM_TWO_AT,
    &FROM_INVALID,
    &REPLY_TO_INVALID,
    &TLS_VERIFICATION_DISABLED,
    &IGNORE_TLS_WITH_AUTH,
    &TIMEOUT_ZERO,
    &PORT_OUT_OF_RANGE,
    &SECURE_PORT_MISMATCH,
    &NAME_NOT_ASCII,
    &NODEMAILER_ONLY_KEY,
    &UNKNOWN_KEY,
    &DUPLICATE_KEY,
    &SERVICE_OVERRIDES_HOST,
    &SERVICE_UNKNOWN,
    &DKIM_OPTION,
    &SECRET_IN_FILE,
    &TEMPLATE_OPTIONAL_MISSING,
    &TEMPLATE_DUPLICATE,
    &PASSWORD_UNUSED,
    &PROVIDER_USERNAME,
    &PROVIDER_PORT,
    &PROVIDER_SECURE_MISMATCH,
    &PROVIDER_FROM_NOT_MAILBOX,
    &PROVIDER_PORT_BLOCKED,
];

/// Codes for which Logto itself refuses the config (the connector will not send at all).
pub fn is_logto_rejection(code: &CodeInfo) -> bool {
    [
        MISSING_FIELD.id,
        WRONG_TYPE.id,
        PORT_NOT_NUMBER.id,
        AUTH_SHAPE.id,
        TEMPLATE_MISSING.id,
        TEMPLATE_CONTENT_TYPE.id,
    ]
    .contains(&code.id)
}
