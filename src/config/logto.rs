//! Logto's own validation of an SMTP connector config, reproduced (the zod guard of
//! `@logto/connector-smtp` 1.5.4, see knowledge/logto-smtp-connector.md), and the typed
//! [`ConnectorConfig`] read from the same JSON.
//!
//! zod semantics kept: objects are not strict (unknown keys are stripped, not refused)
//! except the login auth shape; `optional` accepts an absent key but not `null`; the auth
//! union accepts the first of its three shapes that matches. Each violation becomes an
//! error finding quoting the text Logto produces (`path: message`), because only that
//! text reaches the operator. One deliberate difference: zod skips the template-usage
//! refinement when a template is malformed; we report both, so one run shows every fix.

use super::Ctx;
use super::codes;
use super::json_positions::{element, member};
use super::model::*;
use super::secret::Secret;
use serde_json::{Map, Value};

/// Usage types Logto requires, in the order of its error message.
pub const REQUIRED_USAGE_TYPES: [&str; 4] = ["Register", "SignIn", "ForgotPassword", "Generic"];
/// The other usage types Logto sends (the console's default config ships all nine).
pub const OPTIONAL_USAGE_TYPES: [&str; 5] = [
    "OrganizationInvitation",
    "UserPermissionValidation",
    "BindNewIdentifier",
    "MfaVerification",
    "BindMfa",
];
pub const CONTENT_TYPES: [&str; 2] = ["text/plain", "text/html"];
pub(super) const LOGIN_TYPES: [&str; 3] = ["login", "Login", "LOGIN"];
pub(super) const OAUTH2_TYPES: [&str; 3] = ["oauth2", "OAuth2", "OAUTH2"];

/// Top-level keys in Logto's guard.
pub const LOGTO_KEYS: &[&str] = &[
    "host",
    "port",
    "auth",
    "fromEmail",
    "replyTo",
    "templates",
    "logger",
    "debug",
    "disableFileAccess",
    "disableUrlAccess",
    "name",
    "localAddress",
    "connectionTimeout",
    "greetingTimeout",
    "socketTimeout",
    "dnsTimeout",
    "secure",
    "tls",
    "servername",
    "ignoreTLS",
    "requireTLS",
    "customHeaders",
];

/// Top-level keys nodemailer's SMTP transport honours that Logto's form does not show.
pub const NODEMAILER_ONLY_KEYS: &[&str] = &[
    "service",
    "authMethod",
    "forceAuth",
    "pool",
    "maxConnections",
    "maxMessages",
    "rateDelta",
    "rateLimit",
    "dkim",
    "proxy",
    "lmtp",
    "transactionLog",
    "opportunisticTLS",
    "allowInternalNetworkInterfaces",
];

/// The secrets given outside the file (`--pass-env`); they win over the file's values.
#[derive(Clone, Debug, Default)]
pub struct SecretOverrides {
    /// Login password.
    pub pass: Option<Secret>,
    pub oauth2_client_secret: Option<Secret>,
    pub oauth2_refresh_token: Option<Secret>,
    pub oauth2_access_token: Option<Secret>,
    pub oauth2_private_key: Option<Secret>,
}

/// zod's name for a JSON value's type (`Expected number, received string`).
pub fn zod_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Logto's error line for a zod issue: `templates.0.contentType: …`.
pub(super) fn logto_says(zod_path: &str, message: &str) -> String {
    format!("Logto refuses this config with `{zod_path}: {message}`; the connector will not send")
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Str,
    Num,
    Bool,
    Obj,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Num => "number",
            Kind::Bool => "boolean",
            Kind::Obj => "object",
        }
    }
    pub(super) fn matches(self, v: &Value) -> bool {
        match self {
            Kind::Str => v.is_string(),
            Kind::Num => v.is_number(),
            Kind::Bool => v.is_boolean(),
            Kind::Obj => v.is_object(),
        }
    }
}

pub(super) struct Validator<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    pub(super) base: String,
    /// zod path prefix ("" at the config's root).
    rejected: bool,
}

impl Validator<'_, '_> {
    pub(super) fn reject(
        &mut self,
        code: &'static crate::report::CodeInfo,
        path: &str,
        message: String,
    ) {
        self.rejected = true;
        self.ctx.push(code, path, message);
    }

    /// An optional key of type `kind`: absent is fine, anything else (null included) is refused.
    fn optional<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        kind: Kind,
    ) -> Option<&'v Value> {
        let v = obj.get(key)?;
        if kind.matches(v) {
            return Some(v);
        }
        let path = member(&self.base, key);
        // `tls` is a zod union of two object schemas: a union failure reads "Invalid input".
        let msg = if key == "tls" {
            "Invalid input".to_string()
        } else {
            format!("Expected {}, received {}", kind.name(), zod_type(v))
        };
        self.reject(
            &codes::WRONG_TYPE,
            &path,
            format!("{key} must be a {}: {}", kind.name(), logto_says(key, &msg)),
        );
        None
    }

    fn required<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        kind: Kind,
    ) -> Option<&'v Value> {
        if !obj.contains_key(key) {
            let path = member(&self.base, key);
            self.reject(
                &codes::MISSING_FIELD,
                &path,
                format!("{key} is required: {}", logto_says(key, "Required")),
            );
            return None;
        }
        self.optional(obj, key, kind)
    }
}

pub(super) fn string_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// Validates `obj` (the config object at `base`) as Logto does and reads it.
pub(crate) fn validate(
    ctx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    base: &str,
    overrides: &SecretOverrides,
) -> ConnectorConfig {
    let mut v = Validator {
        ctx,
        base: base.to_string(),
        rejected: false,
    };

    let host = string_of(v.required(obj, "host", Kind::Str));
    let port = read_port(&mut v, obj);
    let from_email = string_of(v.required(obj, "fromEmail", Kind::Str));
    let reply_to = string_of(v.optional(obj, "replyTo", Kind::Str));
    let mut bools = [None; 8];
    for (slot, key) in bools.iter_mut().zip([
        "secure",
        "requireTLS",
        "ignoreTLS",
        "logger",
        "debug",
        "disableFileAccess",
        "disableUrlAccess",
        "forceAuth", // nodemailer-only, read here for convenience; not a Logto check
    ]) {
        if key == "forceAuth" {
            *slot = obj.get(key).and_then(Value::as_bool);
        } else {
            *slot = v.optional(obj, key, Kind::Bool).and_then(Value::as_bool);
        }
    }
    let [
        secure,
        require_tls,
        ignore_tls,
        logger,
        debug,
        _,
        _,
        force_auth,
    ] = bools;
    let name = string_of(v.optional(obj, "name", Kind::Str));
    let local_address = string_of(v.optional(obj, "localAddress", Kind::Str));
    let servername = string_of(v.optional(obj, "servername", Kind::Str));
    let mut t = [None; 4];
    for (slot, key) in t.iter_mut().zip([
        "connectionTimeout",
        "greetingTimeout",
        "socketTimeout",
        "dnsTimeout",
    ]) {
        *slot = v.optional(obj, key, Kind::Num).and_then(Value::as_f64);
    }
    let timeouts = Timeouts {
        connection_ms: t[0],
        greeting_ms: t[1],
        socket_ms: t[2],
        dns_ms: t[3],
    };
    let tls = read_tls(v.optional(obj, "tls", Kind::Obj));
    let custom_headers = read_custom_headers(&mut v, obj);
    let templates = read_templates(&mut v, obj);
    let auth = super::logto_auth::read_auth(&mut v, obj, overrides);

    let mut unknown_keys = Vec::new();
    let mut nm_keys = Vec::new();
    for key in obj.keys() {
        if LOGTO_KEYS.contains(&key.as_str()) {
            continue;
        }
        if NODEMAILER_ONLY_KEYS.contains(&key.as_str()) {
            nm_keys.push(key.clone());
        } else {
            unknown_keys.push(key.clone());
        }
    }
    let nodemailer = NodemailerExtras {
        service: string_of(obj.get("service")),
        auth_method: string_of(obj.get("authMethod"))
            .or_else(|| string_of(obj.get("auth").and_then(|a| a.get("method")))),
        force_auth,
        pool: obj.get("pool").and_then(Value::as_bool),
        dkim: obj.get("dkim").and_then(Value::as_object).map(read_dkim),
        keys: nm_keys,
    };

    ConnectorConfig {
        source: v.ctx.source.to_string(),
        base_path: base.to_string(),
        connector_id: None,
        host,
        port,
        secure,
        require_tls,
        ignore_tls,
        tls,
        servername,
        name,
        local_address,
        timeouts,
        auth,
        from_email,
        reply_to,
        templates,
        custom_headers,
        logger,
        debug,
        nodemailer,
        unknown_keys,
        logto_accepts: !v.rejected,
    }
}

fn read_port(v: &mut Validator<'_, '_>, obj: &Map<String, Value>) -> PortSetting {
    let path = member(&v.base, "port");
    match obj.get("port") {
        None => {
            v.reject(
                &codes::MISSING_FIELD,
                &path,
                format!("port is required: {}", logto_says("port", "Required")),
            );
            PortSetting::Absent
        }
        Some(Value::Number(n)) => PortSetting::Number(n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::String(s)) => {
            v.reject(
                &codes::PORT_NOT_NUMBER,
                &path,
                format!(
                    "port is the string \"{}\", not a number: {}",
                    s.chars().take(40).collect::<String>(),
                    logto_says("port", "Expected number, received string")
                ),
            );
            PortSetting::Text(s.clone())
        }
        Some(other) => {
            let msg = format!("Expected number, received {}", zod_type(other));
            v.reject(
                &codes::WRONG_TYPE,
                &path,
                format!("port must be a number: {}", logto_says("port", &msg)),
            );
            PortSetting::Other
        }
    }
}

fn read_tls(tls: Option<&Value>) -> TlsOptions {
    let Some(obj) = tls.and_then(Value::as_object) else {
        return TlsOptions::default();
    };
    let known = [
        "rejectUnauthorized",
        "ca",
        "minVersion",
        "maxVersion",
        "servername",
        "ciphers",
    ];
    let ca_certificates = match obj.get("ca") {
        Some(Value::String(s)) => count_pem(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(count_pem).sum(),
        _ => 0,
    };
    // Node accepts one PEM string (possibly several certificates) or an array of them.
    let ca_pem = match obj.get("ca") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    TlsOptions {
        reject_unauthorized: obj.get("rejectUnauthorized").and_then(Value::as_bool),
        ca_certificates,
        ca_pem,
        min_version: string_of(obj.get("minVersion")),
        max_version: string_of(obj.get("maxVersion")),
        servername: string_of(obj.get("servername")),
        ciphers: string_of(obj.get("ciphers")),
        other_keys: obj
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect(),
    }
}

fn count_pem(s: &str) -> usize {
    s.matches("-----BEGIN CERTIFICATE-----").count()
}

fn read_custom_headers(
    v: &mut Validator<'_, '_>,
    obj: &Map<String, Value>,
) -> Vec<(String, Vec<String>)> {
    let Some(headers) = v
        .optional(obj, "customHeaders", Kind::Obj)
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let base = member(&v.base, "customHeaders");
    let mut out = Vec::new();
    for (name, value) in headers {
        let values = match value {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) if items.iter().all(Value::is_string) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            ),
            _ => None,
        };
        match values {
            Some(values) => out.push((name.clone(), values)),
            None => {
                let path = member(&base, name);
                let zod = format!("customHeaders.{name}");
                // string | string[] is a zod union: its failure reads "Invalid input".
                let msg = "Invalid input";
                v.reject(
                    &codes::WRONG_TYPE,
                    &path,
                    format!(
                        "a custom header must be a string or an array of strings: {}",
                        logto_says(&zod, msg)
                    ),
                );
            }
        }
    }
    out
}

fn read_templates(v: &mut Validator<'_, '_>, obj: &Map<String, Value>) -> Vec<Template> {
    let base = member(&v.base, "templates");
    let items = match obj.get("templates") {
        None => {
            v.reject(
                &codes::MISSING_FIELD,
                &base,
                format!(
                    "templates is required: {}",
                    logto_says("templates", "Required")
                ),
            );
            return Vec::new();
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            let msg = format!("Expected array, received {}", zod_type(other));
            v.reject(
                &codes::WRONG_TYPE,
                &base,
                format!(
                    "templates must be an array: {}",
                    logto_says("templates", &msg)
                ),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = element(&base, i);
        let Some(t) = item.as_object() else {
            let msg = format!("Expected object, received {}", zod_type(item));
            let zod = format!("templates.{i}");
            v.reject(
                &codes::WRONG_TYPE,
                &path,
                format!(
                    "each template must be an object: {}",
                    logto_says(&zod, &msg)
                ),
            );
            continue;
        };
        let field = |v: &mut Validator<'_, '_>, key: &str| -> Option<String> {
            let fpath = member(&path, key);
            let zod = format!("templates.{i}.{key}");
            match t.get(key) {
                Some(Value::String(s)) => Some(s.clone()),
                None => {
                    v.reject(
                        &codes::MISSING_FIELD,
                        &fpath,
                        format!(
                            "template {i} has no {key}: {}",
                            logto_says(&zod, "Required")
                        ),
                    );
                    None
                }
                Some(other) if key == "contentType" => {
                    let msg = format!(
                        "Expected 'text/plain' | 'text/html', received {}",
                        zod_type(other)
                    );
                    v.reject(
                        &codes::TEMPLATE_CONTENT_TYPE,
                        &fpath,
                        format!(
                            "template {i} contentType is not a string: {}",
                            logto_says(&zod, &msg)
                        ),
                    );
                    None
                }
                Some(other) => {
                    let msg = format!("Expected string, received {}", zod_type(other));
                    v.reject(
                        &codes::WRONG_TYPE,
                        &fpath,
                        format!(
                            "template {i} {key} must be a string: {}",
                            logto_says(&zod, &msg)
                        ),
                    );
                    None
                }
            }
        };
        let usage_type = field(v, "usageType");
        let content_type = field(v, "contentType");
        let subject = field(v, "subject");
        let content = field(v, "content");
        if let Some(ct) = &content_type
            && !CONTENT_TYPES.contains(&ct.as_str())
        {
            let fpath = member(&path, "contentType");
            let zod = format!("templates.{i}.contentType");
            let shown: String = ct.chars().take(60).collect();
            let msg = format!(
                "Invalid enum value. Expected 'text/plain' | 'text/html', received '{shown}'"
            );
            v.reject(
                &codes::TEMPLATE_CONTENT_TYPE,
                &fpath,
                format!(
                    "template {i} has contentType \"{shown}\": {}",
                    logto_says(&zod, &msg)
                ),
            );
        }
        out.push(Template {
            usage_type,
            content_type,
            subject,
            content,
            path,
        });
    }
    let present: Vec<&str> = out.iter().filter_map(|t| t.usage_type.as_deref()).collect();
    let missing: Vec<&str> = REQUIRED_USAGE_TYPES
        .iter()
        .copied()
        .filter(|u| !present.contains(u))
        .collect();
    if !missing.is_empty() {
        let text = format!(
            "Template with UsageType ({}) should be provided!",
            missing.join(", ")
        );
        v.reject(
            &codes::TEMPLATE_MISSING,
            &base,
            format!(
                "no template for {}: {}",
                missing.join(", "),
                logto_says("templates", &text)
            ),
        );
    }
    out
}

fn read_dkim(obj: &Map<String, Value>) -> DkimOption {
    DkimOption {
        domain_name: string_of(obj.get("domainName")),
        key_selector: string_of(obj.get("keySelector")),
        private_key: string_of(obj.get("privateKey")).map(Secret::new),
        keys: obj
            .get("keys")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
    }
}
