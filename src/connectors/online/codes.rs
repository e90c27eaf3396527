//! Finding codes of `audit --online` (`connector-api-…`): what the providers' read-only API
//! calls said about the config's credentials and sending readiness.

use crate::report::CodeInfo;

crate::finding_code!(
    KEY_INVALID,
    "connector-api-key-invalid",
    Connector,
    Error,
    "The provider's API refused the config's credential as unknown or wrong (an invalid, revoked or mistyped key, token or secret): Logto's sends fail the same way.",
    "Create a new key in the provider's console and paste it into the connector config; the message says which part the provider rejected.",
    "provider API documentation (authentication; see the message)"
);
crate::finding_code!(
    ACCESS_DENIED,
    "connector-api-access-denied",
    Connector,
    Warning,
    "The provider's API knows the credential but does not let it make the read-only call, so what it could have told is unknown. Sending may still be allowed (a send-only key).",
    "Check the key's permissions in the provider's console, or give the read permission named in the message to audit it.",
    "provider API documentation (permissions; see the message)"
);
crate::finding_code!(
    LACKS_SEND_SCOPE,
    "connector-api-key-lacks-send-scope",
    Connector,
    Error,
    "The API key is valid but lacks the permission to send mail: every passcode send is refused.",
    "Give the key the send permission named in the message (SendGrid: Mail Send), or create one that has it.",
    "SendGrid API: GET /v3/scopes; API key permissions"
);
crate::finding_code!(
    DOMAIN_NOT_FOUND,
    "connector-api-domain-not-found",
    Connector,
    Error,
    "The sending domain (or sender identity) is not set up in this account where the config points (its region or endpoint): the provider refuses the send.",
    "Add and verify the domain in the provider's console, or point the config at the account and region where it is set up (the message names both).",
    "provider API documentation (domains, identities, regions)"
);
crate::finding_code!(
    DOMAIN_UNVERIFIED,
    "connector-api-domain-unverified",
    Connector,
    Error,
    "The provider has the sending domain or identity, but not verified for sending: it refuses (or holds) mail from it.",
    "Publish the DNS records the provider's console shows for the domain and let it verify them.",
    "provider API documentation (domain verification)"
);
crate::finding_code!(
    DNS_RECORD_INVALID,
    "connector-api-dns-record-invalid",
    Connector,
    Warning,
    "The provider reports one of the domain's sending DNS records (SPF, DKIM, MAIL FROM) as missing or wrong: mail may fail SPF, DKIM or DMARC.",
    "Publish the record exactly as the evidence shows (the provider's expected value), then let the provider re-check it.",
    "provider API documentation (sending DNS records)"
);
crate::finding_code!(
    SANDBOX,
    "connector-api-sandbox",
    Connector,
    Error,
    "The account or server is in the provider's sandbox: mail reaches only pre-verified recipients, or nobody, so Logto's users get no passcode.",
    "Request production access (SES), use a Live server (Postmark) or a verified custom domain (Mailgun); the message says which.",
    "provider API documentation (sandbox)"
);
crate::finding_code!(
    SENDING_DISABLED,
    "connector-api-sending-disabled",
    Connector,
    Error,
    "The provider has sending switched off for this account or domain (paused, disabled, frozen, overdue or restricted): sends fail.",
    "Resolve the account's status in the provider's console (the message quotes it); contact the provider if it was paused for reputation.",
    "provider API documentation (account status)"
);
crate::finding_code!(
    ACCOUNT_AT_RISK,
    "connector-api-account-at-risk",
    Connector,
    Warning,
    "The provider has the account under review (e.g. SES probation): it still sends, but may be paused.",
    "Look at the bounce and complaint rates in the provider's console and fix what it names.",
    "Amazon SES API v2: GetAccount EnforcementStatus"
);
crate::finding_code!(
    QUOTA_EXHAUSTED,
    "connector-api-quota-exhausted",
    Connector,
    Error,
    "The account has used its sending quota for the period: further sends are refused until it frees up.",
    "Wait for the quota window, or ask the provider for a higher quota.",
    "Amazon SES API v2: GetAccount SendQuota"
);
crate::finding_code!(
    UNREACHABLE,
    "connector-api-unreachable",
    Connector,
    Warning,
    "The provider's API could not be reached from here (DNS, connection, TLS, or no answer within --api-timeout): nothing was learnt. Logto's host may still reach it.",
    "Check the network path to the API host named in the message (proxy, firewall, DNS), or run the audit where Logto runs.",
    "mailpreflight --online"
);
crate::finding_code!(
    UNEXPECTED_ANSWER,
    "connector-api-unexpected-answer",
    Connector,
    Warning,
    "The provider's API answered in a way this check does not know (a server error, rate limit, or a body that is not the documented JSON): nothing was learnt from it.",
    "Run again later; if it persists, check the provider's status page. The message quotes the status and the provider's error text.",
    "mailpreflight --online"
);
crate::finding_code!(
    CANNOT_TELL,
    "connector-api-cannot-tell",
    Connector,
    Note,
    "Part of what the provider would check at send time cannot be read with the connector's credential, or the call could not be made: it is not known.",
    "Check the part named in the message in the provider's console.",
    "mailpreflight --online"
);
crate::finding_code!(
    ONLINE_NOT_APPLICABLE,
    "connector-online-not-applicable",
    Connector,
    Note,
    "--online was given for a connector that has no provider API to ask (the HTTP email connector): nothing was called.",
    "Use --probe-endpoint to POST Logto's payload to the configured endpoint instead.",
    "mailpreflight --online"
);

pub static ALL: &[&CodeInfo] = &[
    &KEY_INVALID,
    &ACCESS_DENIED,
    &LACKS_SEND_SCOPE,
    &DOMAIN_NOT_FOUND,
    &DOMAIN_UNVERIFIED,
    &DNS_RECORD_INVALID,
    &SANDBOX,
    &SENDING_DISABLED,
    &ACCOUNT_AT_RISK,
    &QUOTA_EXHAUSTED,
    &UNREACHABLE,
    &UNEXPECTED_ANSWER,
    &CANNOT_TELL,
    &ONLINE_NOT_APPLICABLE,
];
