//! Checks beyond Logto's validation: the config is accepted, then nodemailer does something
//! other than what the operator meant (knowledge/logto-smtp-connector.md "Sends that
//! succeed but are wrong", knowledge/nodemailer.md). Pure; raises findings only.

use super::Ctx;
use super::address::{AddressIssue, parse_mailbox};
use super::codes;
use super::json_positions::member;
use super::logto::{LOGTO_KEYS, NODEMAILER_ONLY_KEYS, OPTIONAL_USAGE_TYPES};
use super::model::{AuthKind, ConnectorConfig, PortSetting};
use super::nodemailer::{ConnectionPlan, js_number};
use super::providers::recognise;
use super::secret::SecretSource;
use super::services::well_known;
use crate::report::Severity;
use serde_json::{Map, Value};

pub(crate) fn check(ctx: &mut Ctx<'_>, c: &ConnectorConfig, raw: &Map<String, Value>) {
    auth(ctx, c, raw);
    addresses(ctx, c);
    transport(ctx, c);
    keys(ctx, c, raw);
    templates(ctx, c);
}

fn auth(ctx: &mut Ctx<'_>, c: &ConnectorConfig, raw: &Map<String, Value>) {
    let path = c.path_of("auth");
    match c.auth.kind {
        AuthKind::Empty => {
            ctx.push(
                &codes::AUTH_EMPTY_DROPPED,
                &path,
                "auth is {}: nodemailer will send without logging in, and the console drops the empty object when saving, after which Logto refuses the config with `auth: Invalid input`",
            );
        }
        AuthKind::Login => {
            let has_pass = c.auth.secret.as_ref().is_some_and(|s| !s.is_empty());
            let has_user = c.auth.user.as_deref().is_some_and(|u| !u.is_empty());
            if has_user && !has_pass {
                ctx.push(
                    &codes::AUTH_INCOMPLETE,
                    &member(&path, "pass"),
                    "auth has a user but no password (none in the file, no --pass-env): nodemailer fails with `Missing credentials for \"PLAIN\"` as soon as the server offers AUTH",
                );
            } else if has_pass && !has_user {
                ctx.push(
                    &codes::AUTH_INCOMPLETE,
                    &member(&path, "user"),
                    "auth has a password but no user: nodemailer fails with `Missing credentials for \"PLAIN\"` as soon as the server offers AUTH",
                );
            }
        }
        _ => {}
    }
    // Secrets written in the file (even when --pass-env overrides them).
    if let Some(Value::Object(a)) = raw.get("auth") {
        for key in [
            "pass",
            "clientSecret",
            "refreshToken",
            "accessToken",
            "privateKey",
        ] {
            if a.get(key)
                .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
            {
                let overridden =
                    key == "pass" && c.auth.secret_source == Some(SecretSource::Environment);
                let extra = if overridden {
                    " (--pass-env overrides it here, but the file still holds it)"
                } else {
                    ""
                };
                ctx.push(
                    &codes::SECRET_IN_FILE,
                    &member(&path, key),
                    format!("auth.{key} is written in the config file{extra}; prefer --pass-env and keep the file free of secrets"),
                );
            }
        }
    }
    if let Some(Value::Object(d)) = raw.get("dkim")
        && d.get("privateKey").is_some_and(Value::is_string)
    {
        ctx.push(
            &codes::SECRET_IN_FILE,
            &member(&c.path_of("dkim"), "privateKey"),
            "dkim.privateKey (a DKIM private key) is written in the config file",
        );
    }
}

fn addresses(ctx: &mut Ctx<'_>, c: &ConnectorConfig) {
    if let Some(from) = &c.from_email
        && let Err(issue) = parse_mailbox(from)
    {
        let path = c.path_of("fromEmail");
        let shown: String = from.chars().take(80).collect();
        let (code, consequence) = match &issue {
            AddressIssue::NoDomain => (&codes::FROM_NO_DOMAIN, "nodemailer sends it as `MAIL FROM:<>` (an empty envelope sender) and permissive servers accept it".to_string()),
            AddressIssue::HasSpace { .. } => (
                &codes::FROM_HAS_SPACE,
                "silently, so the mail goes out from that other address".to_string(),
            ),
            AddressIssue::TwoAt => (&codes::FROM_TWO_AT, "the From and MAIL FROM nodemailer builds are not the address written".to_string()),
            AddressIssue::Invalid { .. } => (&codes::FROM_INVALID, "servers reject it, or DMARC cannot align it".to_string()),
        };
        let finding = ctx.push(
            code,
            &path,
            format!("fromEmail \"{shown}\" {}: {consequence}", issue.describe()),
        );
        if matches!(&issue, AddressIssue::Invalid { reason } if reason.contains("no dot")) {
            finding.set_severity(Severity::Warning);
        }
    }
    if let Some(reply_to) = &c.reply_to
        && let Err(issue) = parse_mailbox(reply_to)
    {
        let shown: String = reply_to.chars().take(80).collect();
        ctx.push(
            &codes::REPLY_TO_INVALID,
            &c.path_of("replyTo"),
            format!("replyTo \"{shown}\" {}", issue.describe()),
        );
    }
}

fn transport(ctx: &mut Ctx<'_>, c: &ConnectorConfig) {
    let plan = ConnectionPlan::from_config(c);
    if c.tls.reject_unauthorized == Some(false) {
        ctx.push(
            &codes::TLS_VERIFICATION_DISABLED,
            &member(&c.path_of("tls"), "rejectUnauthorized"),
            "tls.rejectUnauthorized is false: nodemailer accepts any certificate, so whoever intercepts the connection receives the SMTP password",
        );
    }
    if c.ignore_tls == Some(true) && !plan.implicit_tls && c.auth.has_credentials() {
        ctx.push(
            &codes::IGNORE_TLS_WITH_AUTH,
            &c.path_of("ignoreTLS"),
            "ignoreTLS is true and credentials are set: the login (if the server offers AUTH in plaintext) goes unencrypted; servers offering AUTH only after STARTTLS get no login and answer 530 at MAIL FROM",
        );
    }
    let timeouts = [
        ("connectionTimeout", c.timeouts.connection_ms, "120 s"),
        ("greetingTimeout", c.timeouts.greeting_ms, "30 s"),
        ("socketTimeout", c.timeouts.socket_ms, "600 s"),
        ("dnsTimeout", c.timeouts.dns_ms, "30 s"),
    ];
    for (key, value, default) in timeouts {
        if value == Some(0.0) {
            ctx.push(
                &codes::TIMEOUT_ZERO,
                &c.path_of(key),
                format!("{key} is 0, which nodemailer treats as unset: the default of {default} applies, not \"no timeout\""),
            );
        } else if let Some(v) = value
            && !(0.0..=2_147_483_647.0).contains(&v)
        {
            ctx.push(
                &codes::TIMEOUT_ZERO,
                &c.path_of(key),
                format!("{key} is {v}: Node's timers turn it into 1 ms, so every connection times out at once"),
            )
            .set_severity(Severity::Error);
        }
    }
    // The port as written (before any `service` override).
    let port_path = c.path_of("port");
    if !matches!(c.port, PortSetting::Absent | PortSetting::Other)
        && let Some(n) = js_number(&c.port)
        && (n.fract() != 0.0 || !(0.0..=65535.0).contains(&n) || n == 0.0)
    {
        let msg = if n == 0.0 {
            format!(
                "port is 0: nodemailer falls back to {}, which may not be the port meant",
                if c.secure == Some(true) { 465 } else { 587 }
            )
        } else {
            format!("port {n} is not a TCP port: nodemailer's connection fails")
        };
        let f = ctx.push(&codes::PORT_OUT_OF_RANGE, &port_path, msg);
        if n == 0.0 {
            f.set_severity(Severity::Warning);
        }
    }
    // Generic secure/port mismatch, when no provider rule or service covers it.
    if c.nodemailer.service.is_none()
        && recognise(&plan.host).is_none()
        && let Some(port) = plan.port
    {
        let msg = match (port, plan.implicit_tls) {
            (465, false) => Some(
                "secure is false on port 465 (implicit TLS): nodemailer talks plaintext to a TLS server and fails after 30 s with `Greeting never received`",
            ),
            (25 | 587 | 2525 | 2587, true) => Some(
                "secure is true on a STARTTLS port: the TLS handshake meets a plaintext banner and fails with `wrong version number`",
            ),
            _ => None,
        };
        if let Some(msg) = msg {
            ctx.push(
                &codes::SECURE_PORT_MISMATCH,
                &c.path_of("secure"),
                format!("port {port}: {msg}"),
            );
        }
    }
    if let Some(name) = &c.name
        && !name.is_ascii()
    {
        ctx.push(
            &codes::NAME_NOT_ASCII,
            &c.path_of("name"),
            "name (sent as the EHLO argument) contains non-ASCII characters: Gmail answers `501 5.5.4 HELO/EHLO argument invalid`",
        );
    }
}

fn keys(ctx: &mut Ctx<'_>, c: &ConnectorConfig, raw: &Map<String, Value>) {
    for key in &c.nodemailer.keys {
        let path = c.path_of(key);
        match key.as_str() {
            "service" => match raw.get("service").and_then(Value::as_str) {
                Some(name) => match well_known(name) {
                    Some(s) => {
                        let port = s.port.map_or("its default".to_string(), |p| p.to_string());
                        let secure = s.secure.map_or("unchanged".to_string(), |b| b.to_string());
                        let host = s.host.unwrap_or("localhost");
                        let differs = c
                            .host
                            .as_deref()
                            .is_some_and(|h| !h.eq_ignore_ascii_case(host));
                        let what = if differs {
                            format!(
                                "the configured host {} is ignored: ",
                                c.host.as_deref().unwrap_or_default()
                            )
                        } else {
                            String::new()
                        };
                        let f = ctx.push(
                            &codes::SERVICE_OVERRIDES_HOST,
                            &path,
                            format!("service \"{name}\" makes nodemailer use {}: {what}host {host}, port {port}, secure {secure}", s.name),
                        );
                        if !differs {
                            f.set_severity(Severity::Note);
                        }
                    }
                    None => {
                        ctx.push(&codes::SERVICE_UNKNOWN, &path, format!("service \"{}\" is not one of nodemailer's well-known services; nodemailer ignores it", name.chars().take(60).collect::<String>()));
                    }
                },
                None => {
                    ctx.push(
                        &codes::SERVICE_UNKNOWN,
                        &path,
                        "service is not a string; nodemailer ignores it",
                    );
                }
            },
            "dkim" => {
                let d = c.nodemailer.dkim.as_ref();
                let domain = d
                    .and_then(|d| d.domain_name.clone())
                    .unwrap_or_else(|| "?".into());
                let selector = d
                    .and_then(|d| d.key_selector.clone())
                    .unwrap_or_else(|| "?".into());
                ctx.push(
                    &codes::DKIM_OPTION,
                    &path,
                    format!("dkim makes nodemailer sign every message (d={domain}, s={selector}, rsa-sha256, relaxed/relaxed); if the key cannot be loaded the mail goes out unsigned with no error"),
                );
            }
            other => {
                let what = match other {
                    "authMethod" => format!(
                        "authMethod forces AUTH {} instead of nodemailer's choice (PLAIN when offered)",
                        c.nodemailer.auth_method.as_deref().unwrap_or("?")
                    ),
                    "forceAuth" => "forceAuth makes nodemailer send AUTH even when the server does not offer it".into(),
                    "pool" => "pool keeps SMTP connections open and reuses them between messages".into(),
                    "proxy" => "proxy routes the SMTP connection through a proxy".into(),
                    "lmtp" => "lmtp makes nodemailer speak LMTP instead of SMTP".into(),
                    "opportunisticTLS" => "opportunisticTLS makes nodemailer continue in plaintext when STARTTLS fails".into(),
                    k => format!("{k} is honoured by nodemailer although Logto's form does not show it"),
                };
                let f = ctx.push(&codes::NODEMAILER_ONLY_KEY, &path, what);
                if matches!(
                    other,
                    "authMethod" | "forceAuth" | "opportunisticTLS" | "proxy" | "lmtp"
                ) {
                    f.set_severity(Severity::Warning);
                }
            }
        }
    }
    if let Some(method) = raw
        .get("auth")
        .and_then(|a| a.get("method"))
        .and_then(Value::as_str)
    {
        ctx.push(
            &codes::NODEMAILER_ONLY_KEY,
            &member(&c.path_of("auth"), "method"),
            format!(
                "auth.method forces AUTH {method}; note that Logto's login shape allows no such key"
            ),
        )
        .set_severity(Severity::Warning);
    }
    for key in &c.unknown_keys {
        let suggestion = LOGTO_KEYS
            .iter()
            .chain(NODEMAILER_ONLY_KEYS)
            .find(|k| k.eq_ignore_ascii_case(key) || close(k, key));
        let hint = suggestion.map_or(String::new(), |k| format!(" (did you mean {k}?)"));
        ctx.push(
            &codes::UNKNOWN_KEY,
            &c.path_of(key),
            format!(
                "{} is not a key Logto or nodemailer reads; it is ignored{hint}",
                key.chars().take(60).collect::<String>()
            ),
        );
    }
    // Extra keys inside an auth object Logto accepted through its non-strict OAuth2 token shape.
    if c.auth.kind == AuthKind::Login
        && let Some(Value::Object(a)) = raw.get("auth")
    {
        for key in a
            .keys()
            .filter(|k| !["type", "user", "pass", "method"].contains(&k.as_str()))
        {
            ctx.push(
                &codes::UNKNOWN_KEY,
                &member(&c.path_of("auth"), key),
                format!(
                    "auth.{} is ignored by nodemailer's login",
                    key.chars().take(60).collect::<String>()
                ),
            );
        }
    }
}

/// Edit distance ≤ 2 (case-insensitive), for "did you mean".
fn close(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.to_ascii_lowercase().chars().collect();
    let b: Vec<char> = b.to_ascii_lowercase().chars().collect();
    if a.len().abs_diff(b.len()) > 2 || b.len() > 64 {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev.last().is_some_and(|d| *d <= 2)
}

fn templates(ctx: &mut Ctx<'_>, c: &ConnectorConfig) {
    let base = c.path_of("templates");
    let mut seen: Vec<&str> = Vec::new();
    for t in &c.templates {
        let Some(u) = t.usage_type.as_deref() else {
            continue;
        };
        if seen.contains(&u) {
            ctx.push(
                &codes::TEMPLATE_DUPLICATE,
                &member(&t.path, "usageType"),
                format!(
                    "a second template for {u}: Logto sends the first one and ignores this one"
                ),
            );
        } else {
            seen.push(u);
        }
    }
    let missing: Vec<&str> = OPTIONAL_USAGE_TYPES
        .iter()
        .copied()
        .filter(|u| !seen.contains(u))
        .collect();
    if !c.templates.is_empty() && !missing.is_empty() {
        ctx.push(
            &codes::TEMPLATE_OPTIONAL_MISSING,
            &base,
            format!(
                "no template for {}: those flows fail at send time with TemplateNotFound",
                missing.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::close;

    #[test]
    fn did_you_mean() {
        assert!(close("requireTLS", "requireTls"));
        assert!(close("fromEmail", "fromEmial"));
        assert!(!close("host", "templates"));
    }
}
