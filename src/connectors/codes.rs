//! Finding codes for Logto's other email connectors (`connector-…`): SendGrid, Mailgun,
//! Amazon SES, Postmark, Aliyun DirectMail and the HTTP email connector. The codes of
//! `--online`'s API calls are in [`super::online::codes`].

use crate::report::CodeInfo;

macro_rules! code {
    ($name:ident, $id:literal, $($rest:tt)*) => {
        crate::finding_code!($name, $id, Connector, $($rest)*);
    };
}

code!(
    INVALID,
    "connector-invalid",
    Error,
    "The real connector refuses this config: Logto's validation (the connector's zod guard) fails on the key named.",
    "Fix the key as the message says; Logto's own error text is quoted.",
    "the connector package's src/types.ts (config guard)"
);
code!(
    TEMPLATE_UNSUPPORTED,
    "connector-template-unsupported",
    Warning,
    "A flow Logto sends passcodes for has no template this connector will use: that flow fails at send time.",
    "Add a template (or delivery) for the usage type named.",
    "the connector package's src/index.ts (template lookup)"
);
code!(
    KEY_FORMAT,
    "connector-key-format",
    Warning,
    "A credential does not look like the provider's key format (e.g. a public key where the private one is needed); the provider will likely refuse it.",
    "Paste the right key from the provider's console; the message says what was expected.",
    "provider documentation (key formats; see the source comment)"
);
code!(
    NO_FROM,
    "connector-no-from-domain",
    Warning,
    "The config names no usable From address, so the From domain cannot be audited.",
    "Set the sender address field named in the message to an address in your sending domain.",
    "the connector package's src/types.ts"
);
code!(
    REGION_MISMATCH,
    "connector-region-mismatch",
    Error,
    "The API region or endpoint in the config does not match where the domain is set up: the provider will refuse the domain or the identity.",
    "Use the endpoint or region of the account where the domain was verified (the message names both).",
    "provider documentation (regions)"
);
code!(
    SENDING_DOMAIN_MISMATCH,
    "connector-sending-domain-mismatch",
    Error,
    "The From address is not in the provider's sending domain named in the config: the provider refuses it or the mail fails DMARC.",
    "Use a From address in the sending domain (or a subdomain of it under relaxed alignment).",
    "RFC 7489 3.1; provider documentation"
);
code!(
    PROVIDER_DKIM_MISSING,
    "connector-provider-dkim-missing",
    Error,
    "The DKIM record the provider signs with is not published where the provider requires it.",
    "Publish the record named in the message (the provider's domain-authentication page shows its exact value).",
    "provider documentation (see the providers table)"
);
code!(
    PROVIDER_DKIM_UNKNOWN,
    "connector-provider-dkim-cannot-tell",
    Note,
    "The provider's DKIM records carry names only its console knows (tokens or a chosen selector), so whether they are published cannot be told from the config.",
    "Give the selectors (or SES's DKIM tokens) the provider's console shows with `audit --selector S`, so their records are checked.",
    "provider documentation"
);
code!(
    RETURN_PATH_NOT_ALIGNED,
    "connector-return-path-not-aligned",
    Warning,
    "The provider's bounce (Return-Path) domain is not set up under the From domain: SPF will not align and DKIM alone must carry DMARC.",
    "Set up the provider's custom Return-Path / MAIL FROM subdomain (the message names the record), and check it with `audit --return-path DOMAIN`.",
    "RFC 7489 3.1.2; provider documentation"
);
code!(
    HTTP_ENDPOINT_INVALID,
    "connector-http-endpoint-invalid",
    Error,
    "The HTTP email connector's endpoint is not an absolute http(s) URL: Logto's HTTP client (got) throws before sending.",
    "Set endpoint to the full URL of your mail service, e.g. https://mail.example.com/send.",
    "connector-http-email src/index.ts (got.post)"
);
code!(
    HTTP_PLAINTEXT,
    "connector-http-plaintext",
    Warning,
    "The endpoint is plain http to a host that is not loopback: the authorization header and every passcode cross the network unencrypted.",
    "Use https.",
    "connector-http-email src/index.ts"
);
code!(
    HTTP_NOT_PROBED,
    "connector-http-not-probed",
    Note,
    "The endpoint was not called (give --probe-endpoint to POST Logto's payload to it).",
    "Run again with --probe-endpoint.",
    "mailpreflight"
);
code!(
    HTTP_UNREACHABLE,
    "connector-http-unreachable",
    Error,
    "The endpoint could not be reached (DNS, connection refused, TLS failure, or no answer within the timeout): Logto's send fails.",
    "Make the endpoint reachable from Logto; the message says which step failed.",
    "connector-http-email src/index.ts"
);
code!(
    HTTP_STATUS,
    "connector-http-status",
    Error,
    "The endpoint answered Logto's payload with a status that is not 2xx: Logto reports the send as failed (the docs require 200).",
    "Make the endpoint answer 200 to the payload shown in the evidence.",
    "connector-http-email README.md; got throws HTTPError on non-2xx"
);
code!(
    HTTP_NOT_200,
    "connector-http-not-200",
    Warning,
    "The endpoint answered with a 2xx status other than 200: Logto accepts it, but the docs ask for 200.",
    "Answer 200.",
    "connector-http-email README.md"
);
code!(
    HTTP_REDIRECT,
    "connector-http-redirect",
    Error,
    "The endpoint answered with a redirect. The probe never follows it; Logto's HTTP client (got) follows redirects by default, to wherever they point, and whether the POST body survives depends on the status (303 becomes a GET) — not verified here.",
    "Point endpoint at the final URL.",
    "got options followRedirect, methodRewriting (not verified against the version Logto ships)"
);

pub static ALL: &[&CodeInfo] = &[
    &INVALID,
    &TEMPLATE_UNSUPPORTED,
    &KEY_FORMAT,
    &NO_FROM,
    &REGION_MISMATCH,
    &SENDING_DOMAIN_MISMATCH,
    &PROVIDER_DKIM_MISSING,
    &PROVIDER_DKIM_UNKNOWN,
    &RETURN_PATH_NOT_ALIGNED,
    &HTTP_ENDPOINT_INVALID,
    &HTTP_PLAINTEXT,
    &HTTP_NOT_PROBED,
    &HTTP_UNREACHABLE,
    &HTTP_STATUS,
    &HTTP_NOT_200,
    &HTTP_REDIRECT,
];
