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
use super::secret::{Secret, SecretSource};
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
const LOGIN_TYPES: [&str; 3] = ["login", "Login", "LOGIN"];
const OAUTH2_TYPES: [&str; 3] = ["oauth2", "OAuth2", "OAUTH2"];

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
fn logto_says(zod_path: &str, message: &str) -> String {
    format!("Logto refuses this config with `{zod_path}: {message}`; the connector will not send")
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Num,
    Bool,
    Obj,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Num => "number",
            Kind::Bool => "boolean",
            Kind::Obj => "object",
        }
    }
    fn matches(self, v: &Value) -> bool {
        match self {
            Kind::Str => v.is_string(),
            Kind::Num => v.is_number(),
            Kind::Bool => v.is_boolean(),
            Kind::Obj => v.is_object(),
        }
    }
}

struct Validator<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    base: String,
    /// zod path prefix ("" at the config's root).
    rejected: bool,
}

impl Validator<'_, '_> {
    fn reject(&mut self, code: &'static crate::report::CodeInfo, path: &str, message: String) {
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

fn string_of(v: Option<&Value>) -> Option<String> {
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
    let auth = read_auth(&mut v, obj, overrides);

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
    TlsOptions {
        reject_unauthorized: obj.get("rejectUnauthorized").and_then(Value::as_bool),
        ca_certificates,
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

/// Why `auth` fails one shape: (sub-key, reason).
type Problems = Vec<(Option<String>, String)>;

fn check_type(a: &Map<String, Value>, allowed: &[&str], p: &mut Problems) {
    match a.get("type") {
        None => {}
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
        Some(other) => p.push((
            Some("type".into()),
            format!(
                "type must be one of {} (received {})",
                allowed.join(", "),
                match other {
                    Value::String(s) => format!("\"{}\"", s.chars().take(30).collect::<String>()),
                    v => zod_type(v).to_string(),
                }
            ),
        )),
    }
}

fn check_field(a: &Map<String, Value>, key: &str, kind: Kind, required: bool, p: &mut Problems) {
    match a.get(key) {
        None if required => p.push((Some(key.into()), format!("{key} is required"))),
        None => {}
        Some(v) if kind.matches(v) => {}
        Some(v) => p.push((
            Some(key.into()),
            format!("{key} must be a {} (received {})", kind.name(), zod_type(v)),
        )),
    }
}

fn login_problems(a: &Map<String, Value>) -> Problems {
    let mut p = Vec::new();
    check_type(a, &LOGIN_TYPES, &mut p);
    check_field(a, "user", Kind::Str, false, &mut p);
    check_field(a, "pass", Kind::Str, false, &mut p);
    for key in a
        .keys()
        .filter(|k| !["type", "user", "pass"].contains(&k.as_str()))
    {
        p.push((
            Some(key.clone()),
            format!("the login shape allows only type, user and pass, not {key}"),
        ));
    }
    p
}

fn oauth2_key_problems(a: &Map<String, Value>) -> Problems {
    let mut p = Vec::new();
    check_type(a, &OAUTH2_TYPES, &mut p);
    check_field(a, "user", Kind::Str, true, &mut p);
    check_field(a, "serviceClient", Kind::Str, true, &mut p);
    match a.get("privateKey") {
        None => p.push((Some("privateKey".into()), "privateKey is required".into())),
        Some(Value::String(_)) => {}
        Some(Value::Object(k))
            if k.get("key").is_some_and(Value::is_string)
                && k.get("passphrase").is_some_and(Value::is_string) => {}
        Some(_) => p.push((
            Some("privateKey".into()),
            "privateKey must be a string or {key, passphrase} (both strings)".into(),
        )),
    }
    p
}

fn oauth2_token_problems(a: &Map<String, Value>) -> Problems {
    let mut p = Vec::new();
    check_type(a, &OAUTH2_TYPES, &mut p);
    check_field(a, "user", Kind::Str, true, &mut p);
    for key in [
        "clientId",
        "clientSecret",
        "refreshToken",
        "accessToken",
        "accessUrl",
    ] {
        check_field(a, key, Kind::Str, false, &mut p);
    }
    check_field(a, "expires", Kind::Num, false, &mut p);
    p
}

fn read_auth(
    v: &mut Validator<'_, '_>,
    obj: &Map<String, Value>,
    overrides: &SecretOverrides,
) -> Auth {
    let path = member(&v.base, "auth");
    let shape_error = "Invalid input";
    let mut auth = Auth {
        kind: AuthKind::Absent,
        type_name: None,
        user: None,
        secret: None,
        secret_source: None,
        oauth2: None,
    };
    let a = match obj.get("auth") {
        None => {
            v.reject(
                &codes::MISSING_FIELD,
                &path,
                format!("auth is required: {}", logto_says("auth", shape_error)),
            );
            apply_overrides(&mut auth, overrides);
            return auth;
        }
        Some(Value::Object(a)) => a,
        Some(other) => {
            v.reject(
                &codes::AUTH_SHAPE,
                &path,
                format!(
                    "auth is a {}, not an object: {}",
                    zod_type(other),
                    logto_says("auth", shape_error)
                ),
            );
            auth.kind = AuthKind::Unrecognised;
            apply_overrides(&mut auth, overrides);
            return auth;
        }
    };
    auth.type_name = string_of(a.get("type"));
    auth.user = string_of(a.get("user"));
    auth.secret = string_of(a.get("pass")).map(Secret::new);
    auth.secret_source = auth.secret.as_ref().map(|_| SecretSource::ConfigFile);

    let login = login_problems(a);
    let key = oauth2_key_problems(a);
    let token = oauth2_token_problems(a);
    let wants_oauth2 = a
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("oauth2"))
        || [
            "privateKey",
            "serviceClient",
            "clientId",
            "clientSecret",
            "refreshToken",
            "accessToken",
        ]
        .iter()
        .any(|k| a.contains_key(*k));
    auth.kind = if a.is_empty() {
        AuthKind::Empty
    } else if login.is_empty() {
        AuthKind::Login
    } else if key.is_empty() {
        AuthKind::OAuth2ServiceKey
    } else if token.is_empty() {
        // Also what `{user, pass, extra}` (no type) matches: zod's non-strict token shape
        // strips `pass`; nodemailer, seeing no oauth2 type, still logs in with user/pass.
        if wants_oauth2 {
            AuthKind::OAuth2Token
        } else {
            AuthKind::Login
        }
    } else {
        AuthKind::Unrecognised
    };

    if auth.kind == AuthKind::Unrecognised {
        // Explain against the shape the operator evidently meant.
        let (shape, problems) = if !wants_oauth2 {
            ("login", login)
        } else if a.contains_key("privateKey") || a.contains_key("serviceClient") {
            ("OAuth2 service-key", key)
        } else {
            ("OAuth2 token", token)
        };
        let first_path = problems
            .iter()
            .find_map(|(k, _)| k.as_ref())
            .map_or_else(|| path.clone(), |k| member(&path, k));
        let reasons: Vec<&str> = problems.iter().map(|(_, r)| r.as_str()).collect();
        v.reject(
            &codes::AUTH_SHAPE,
            &first_path,
            format!(
                "auth matches none of Logto's auth shapes (read as the {shape} shape: {}): {}",
                reasons.join("; "),
                logto_says("auth", shape_error)
            ),
        );
    }

    if matches!(
        auth.kind,
        AuthKind::OAuth2ServiceKey | AuthKind::OAuth2Token
    ) || wants_oauth2
    {
        auth.oauth2 = Some(OAuth2 {
            client_id: string_of(a.get("clientId")),
            client_secret: string_of(a.get("clientSecret")).map(Secret::new),
            refresh_token: string_of(a.get("refreshToken")).map(Secret::new),
            access_token: string_of(a.get("accessToken")).map(Secret::new),
            expires: a.get("expires").and_then(Value::as_f64),
            access_url: string_of(a.get("accessUrl")),
            service_client: string_of(a.get("serviceClient")),
            private_key: match a.get("privateKey") {
                Some(Value::String(s)) => Some(Secret::new(s.clone())),
                Some(Value::Object(k)) => string_of(k.get("key")).map(Secret::new),
                _ => None,
            },
        });
    }
    apply_overrides(&mut auth, overrides);
    auth
}

fn apply_overrides(auth: &mut Auth, o: &SecretOverrides) {
    if let Some(pass) = &o.pass {
        auth.secret = Some(pass.clone());
        auth.secret_source = Some(SecretSource::Environment);
    }
    let any_oauth2 = o.oauth2_client_secret.is_some()
        || o.oauth2_refresh_token.is_some()
        || o.oauth2_access_token.is_some()
        || o.oauth2_private_key.is_some();
    if any_oauth2 {
        let oauth2 = auth.oauth2.get_or_insert_with(OAuth2::default);
        if let Some(s) = &o.oauth2_client_secret {
            oauth2.client_secret = Some(s.clone());
        }
        if let Some(s) = &o.oauth2_refresh_token {
            oauth2.refresh_token = Some(s.clone());
        }
        if let Some(s) = &o.oauth2_access_token {
            oauth2.access_token = Some(s.clone());
        }
        if let Some(s) = &o.oauth2_private_key {
            oauth2.private_key = Some(s.clone());
        }
    }
}
