//! Logto's three auth shapes (a zod union: login, strict; OAuth2 with a service key;
//! OAuth2 with tokens), checked as zod does, and the `auth` object read for nodemailer.

use super::codes;
use super::json_positions::member;
use super::logto::{
    Kind, LOGIN_TYPES, OAUTH2_TYPES, SecretOverrides, Validator, logto_says, string_of, zod_type,
};
use super::model::{Auth, AuthKind, OAuth2};
use super::secret::{Secret, SecretSource};
use serde_json::{Map, Value};

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

pub(super) fn read_auth(
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
