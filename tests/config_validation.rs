//! Table tests over fixtures/configs: each broken config raises its code at its JSON path and
//! line:column; valid configs raise nothing but the secret note; secrets never print.

use mailpreflight::config::codes::{self, is_logto_rejection};
use mailpreflight::config::model::{AuthKind, PortSetting};
use mailpreflight::config::secret::SecretSource;
use mailpreflight::config::{Loaded, Secret, SecretOverrides, parse, pass_from_env};
use mailpreflight::report::{Evidence, Finding, Severity};

const SECRET: &str = "Fixture-Secret-pA55";
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/configs/");

fn load_with(name: &str, overrides: &SecretOverrides) -> Loaded {
    let bytes = std::fs::read(format!("{DIR}{name}")).unwrap();
    parse(name, &bytes, overrides).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load(name: &str) -> Loaded {
    load_with(name, &SecretOverrides::default())
}

fn location(f: &Finding) -> &str {
    f.evidence
        .iter()
        .find_map(|e| match e {
            Evidence::Value { label, value } if label == "location" => Some(value.as_str()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{} has no location", f.code.id))
}

/// (fixture, code, JSON path, line:column, Logto accepts the config)
const CASES: &[(&str, &str, &str, &str, bool)] = &[
    (
        "port-string.json",
        "config-port-not-number",
        "$.port",
        "3:11",
        false,
    ),
    (
        "missing-host.json",
        "config-missing-field",
        "$.host",
        "1:1",
        false,
    ),
    (
        "wrong-type-secure.json",
        "config-wrong-type",
        "$.secure",
        "4:13",
        false,
    ),
    (
        "wrong-type-template-subject.json",
        "config-wrong-type",
        "$.templates[2].subject",
        "28:18",
        false,
    ),
    (
        "auth-shape-login-extra-key.json",
        "config-auth-shape",
        "$.auth.password",
        "8:17",
        false,
    ),
    (
        "auth-shape-oauth2.json",
        "config-auth-shape",
        "$.auth.user",
        "5:11",
        false,
    ),
    (
        "template-missing.json",
        "config-template-missing",
        "$.templates",
        "12:16",
        false,
    ),
    (
        "template-content-type.json",
        "config-template-content-type",
        "$.templates[1].contentType",
        "21:22",
        false,
    ),
    (
        "auth-empty.json",
        "config-auth-empty-dropped",
        "$.auth",
        "5:11",
        true,
    ),
    (
        "auth-incomplete.json",
        "config-auth-incomplete",
        "$.auth.pass",
        "5:11",
        true,
    ),
    (
        "from-no-domain.json",
        "config-from-no-domain",
        "$.fromEmail",
        "10:16",
        true,
    ),
    (
        "from-has-space.json",
        "config-from-has-space",
        "$.fromEmail",
        "10:16",
        true,
    ),
    (
        "from-two-at.json",
        "config-from-two-at",
        "$.fromEmail",
        "10:16",
        true,
    ),
    (
        "from-invalid.json",
        "config-from-invalid",
        "$.fromEmail",
        "10:16",
        true,
    ),
    (
        "reply-to-invalid.json",
        "config-reply-to-invalid",
        "$.replyTo",
        "11:14",
        true,
    ),
    (
        "tls-verification-disabled.json",
        "config-tls-verification-disabled",
        "$.tls.rejectUnauthorized",
        "69:27",
        true,
    ),
    (
        "ignore-tls-with-auth.json",
        "config-ignore-tls-with-auth",
        "$.ignoreTLS",
        "68:16",
        true,
    ),
    (
        "timeout-zero.json",
        "config-timeout-zero",
        "$.greetingTimeout",
        "68:22",
        true,
    ),
    (
        "port-out-of-range.json",
        "config-port-out-of-range",
        "$.port",
        "3:11",
        true,
    ),
    (
        "secure-port-mismatch.json",
        "config-secure-port-mismatch",
        "$.secure",
        "4:13",
        true,
    ),
    (
        "name-not-ascii.json",
        "config-name-not-ascii",
        "$.name",
        "68:11",
        true,
    ),
    (
        "nodemailer-only-key.json",
        "config-nodemailer-only-key",
        "$.pool",
        "68:11",
        true,
    ),
    (
        "unknown-key.json",
        "config-unknown-key",
        "$.requireTls",
        "68:17",
        true,
    ),
    (
        "duplicate-key.json",
        "config-duplicate-key",
        "$.port",
        "4:11",
        true,
    ),
    (
        "service-overrides-host.json",
        "config-service-overrides-host",
        "$.service",
        "68:14",
        true,
    ),
    (
        "service-unknown.json",
        "config-service-unknown",
        "$.service",
        "68:14",
        true,
    ),
    (
        "dkim-option.json",
        "config-dkim-option",
        "$.dkim",
        "68:11",
        true,
    ),
    (
        "dkim-option.json",
        "config-secret-in-file",
        "$.dkim.privateKey",
        "71:19",
        true,
    ),
    (
        "valid.json",
        "config-secret-in-file",
        "$.auth.pass",
        "8:13",
        true,
    ),
    (
        "template-optional-missing.json",
        "config-template-optional-missing",
        "$.templates",
        "12:16",
        true,
    ),
    (
        "template-duplicate.json",
        "config-template-duplicate",
        "$.templates[9].usageType",
        "68:20",
        true,
    ),
    (
        "provider-username.json",
        "config-provider-username",
        "$.auth.user",
        "7:13",
        true,
    ),
    (
        "provider-port.json",
        "config-provider-port",
        "$.port",
        "3:11",
        true,
    ),
    (
        "provider-secure-mismatch.json",
        "config-provider-secure-mismatch",
        "$.secure",
        "4:13",
        true,
    ),
    (
        "provider-port-blocked.json",
        "config-provider-port-blocked",
        "$.port",
        "3:11",
        true,
    ),
    (
        "provider-from-not-mailbox.json",
        "config-provider-from-not-mailbox",
        "$.fromEmail",
        "9:16",
        true,
    ),
];

#[test]
fn each_fixture_raises_its_code_at_its_path_and_position() {
    for (file, code, path, pos, accepts) in CASES {
        let loaded = load(file);
        let hit = loaded
            .findings
            .iter()
            .find(|f| f.code.id == *code && f.subject == *path)
            .unwrap_or_else(|| panic!("{file}: no {code} at {path}; got {:#?}", loaded.findings));
        assert_eq!(location(hit), format!("{file}:{pos}"), "{file} {code}");
        assert_eq!(loaded.config.logto_accepts, *accepts, "{file}");
        // A Logto rejection is always an error and is worded as the connector refusing.
        if is_logto_rejection(hit.code) {
            assert_eq!(hit.severity, Severity::Error, "{file}");
            assert!(
                hit.message.contains("Logto refuses this config"),
                "{file}: {}",
                hit.message
            );
        }
        // Exactly the Logto-rejection codes make the config unacceptable.
        let rejected = loaded.findings.iter().any(|f| is_logto_rejection(f.code));
        assert_eq!(rejected, !accepts, "{file}");
    }
}

#[test]
fn every_code_but_the_probe_hook_has_a_fixture() {
    for code in codes::ALL {
        if code.id == codes::PASSWORD_UNUSED.id {
            continue; // raised by the SMTP probe, through Loaded::finding
        }
        assert!(
            CASES.iter().any(|c| c.1 == code.id),
            "no fixture for {}",
            code.id
        );
    }
}

#[test]
fn logto_texts_are_quoted_exactly() {
    let cases = [
        (
            "port-string.json",
            "`port: Expected number, received string`",
        ),
        ("missing-host.json", "`host: Required`"),
        (
            "wrong-type-secure.json",
            "`secure: Expected boolean, received string`",
        ),
        (
            "template-missing.json",
            "`templates: Template with UsageType (ForgotPassword, Generic) should be provided!`",
        ),
        (
            "template-content-type.json",
            "`templates.1.contentType: Invalid enum value. Expected 'text/plain' | 'text/html', received 'text/htm'`",
        ),
        ("auth-shape-login-extra-key.json", "`auth: Invalid input`"),
    ];
    for (file, text) in cases {
        let loaded = load(file);
        assert!(
            loaded.findings.iter().any(|f| f.message.contains(text)),
            "{file}: no message with {text}: {:#?}",
            loaded.findings
        );
    }
}

#[test]
fn valid_configs_raise_only_the_secret_note() {
    for (file, pass_path) in [
        ("valid.json", "$.auth.pass"),
        ("management-api.json", "$.config.auth.pass"),
    ] {
        let loaded = load(file);
        let ids: Vec<(&str, &str)> = loaded
            .findings
            .iter()
            .map(|f| (f.code.id, f.subject.as_str()))
            .collect();
        assert_eq!(ids, vec![("config-secret-in-file", pass_path)], "{file}");
        let c = &loaded.config;
        assert!(c.logto_accepts);
        assert_eq!(c.host.as_deref(), Some("smtp.example.com"));
        assert_eq!(c.port, PortSetting::Number(587.0));
        assert_eq!(c.secure, Some(false));
        assert_eq!(c.auth.kind, AuthKind::Login);
        assert_eq!(c.auth.user.as_deref(), Some("mailer@example.com"));
        assert_eq!(c.auth.secret.as_ref().map(Secret::expose), Some(SECRET));
        assert_eq!(c.auth.secret_source, Some(SecretSource::ConfigFile));
        assert_eq!(c.templates.len(), 9);
        assert_eq!(
            c.from_email.as_deref(),
            Some("Example <noreply@auth.example.com>")
        );
    }
    let api = load("management-api.json");
    assert_eq!(api.config.base_path, "$.config");
    assert_eq!(
        api.config.connector_id.as_deref(),
        Some("simple-mail-transfer-protocol")
    );
}

#[test]
fn pass_env_overrides_the_file_and_is_still_masked() {
    let env_secret = "Env-Secret-zZ99";
    let pass = pass_from_env("SMTP_PASS", |n| {
        (n == "SMTP_PASS").then(|| env_secret.to_string())
    })
    .unwrap();
    let overrides = SecretOverrides {
        pass: Some(pass),
        ..Default::default()
    };
    let loaded = load_with("auth-incomplete.json", &overrides);
    assert_eq!(
        loaded.config.auth.secret.as_ref().map(Secret::expose),
        Some(env_secret)
    );
    assert_eq!(
        loaded.config.auth.secret_source,
        Some(SecretSource::Environment)
    );
    assert!(
        !loaded
            .findings
            .iter()
            .any(|f| f.code.id == "config-auth-incomplete")
    );
    assert!(!format!("{loaded:?}").contains(env_secret));

    let err = pass_from_env("NOPE", |_| None).unwrap_err();
    assert!(err.to_string().contains("NOPE is not set"), "{err}");
}

#[test]
fn secrets_never_appear_in_debug_json_or_findings() {
    let mut files: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") && n != "malformed.json")
        .collect();
    files.sort();
    let mut with_secret = 0;
    for file in &files {
        let text = std::fs::read_to_string(format!("{DIR}{file}")).unwrap();
        if text.contains(SECRET) {
            with_secret += 1;
        }
        let loaded = load(file);
        let debug = format!("{loaded:?} {:#?}", loaded.config);
        assert!(!debug.contains(SECRET), "{file}: secret in Debug output");
        let json = serde_json::to_string(&loaded.config).unwrap()
            + &serde_json::to_string(&loaded.findings).unwrap();
        assert!(!json.contains(SECRET), "{file}: secret in JSON output");
        for f in &loaded.findings {
            assert!(
                !f.message.contains(SECRET) && !f.remediation.contains(SECRET),
                "{file}: secret in {}",
                f.code.id
            );
        }
    }
    assert!(
        with_secret >= 30,
        "fixtures should carry the secret ({with_secret})"
    );
}

#[test]
fn input_errors_name_file_line_and_column() {
    let bytes = std::fs::read(format!("{DIR}malformed.json")).unwrap();
    let err = parse("malformed.json", &bytes, &SecretOverrides::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed.json:3:15: malformed JSON: key must be a string"
    );

    let cases: &[(&[u8], &str)] = &[
        (b"[1, 2]", "expected a JSON object"),
        (b"", "malformed JSON: EOF while parsing a value"),
        (b"{\"a\": \"\xff\"}", "not UTF-8"),
        (
            b"{\"id\": \"x\", \"connectorId\": \"sendgrid-email-service\", \"config\": {}}",
            "not Logto's SMTP connector",
        ),
    ];
    for (bytes, want) in cases {
        let err = parse("x.json", bytes, &SecretOverrides::default()).unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
    }

    let deep = format!("{{\"a\": {}{}}}", "[".repeat(70), "]".repeat(70));
    let err = parse("deep.json", deep.as_bytes(), &SecretOverrides::default()).unwrap_err();
    assert!(err.to_string().contains("nested deeper than 64"), "{err}");

    let big = vec![b' '; (1 << 20) + 1];
    let err = parse("big.json", &big, &SecretOverrides::default()).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");

    // A BOM is tolerated.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(std::fs::read(format!("{DIR}valid.json")).unwrap());
    assert!(parse("bom.json", &bom, &SecretOverrides::default()).is_ok());
}

#[test]
fn auth_union_follows_zod_semantics() {
    // (auth JSON, Logto accepts, kind)
    let cases = [
        (
            r#"{"type":"login","user":"u","pass":"p"}"#,
            true,
            AuthKind::Login,
        ),
        (r#"{"user":"u"}"#, true, AuthKind::Login),
        (r#"{"type":"LOGIN"}"#, true, AuthKind::Login),
        (
            r#"{"type":"Plain","user":"u","pass":"p"}"#,
            false,
            AuthKind::Unrecognised,
        ),
        (
            r#"{"type":"login","user":"u","pass":"p","extra":1}"#,
            false,
            AuthKind::Unrecognised,
        ),
        // No type: the strict login shape fails, the non-strict OAuth2 token shape accepts it.
        (
            r#"{"user":"u","pass":"p","extra":1}"#,
            true,
            AuthKind::Login,
        ),
        (r#"{"user":null,"pass":"p"}"#, false, AuthKind::Unrecognised),
        (
            r#"{"type":"oauth2","user":"u","privateKey":"k","serviceClient":"c"}"#,
            true,
            AuthKind::OAuth2ServiceKey,
        ),
        (
            r#"{"type":"OAuth2","user":"u","privateKey":{"key":"k","passphrase":"x"},"serviceClient":"c"}"#,
            true,
            AuthKind::OAuth2ServiceKey,
        ),
        (
            r#"{"type":"OAUTH2","user":"u","refreshToken":"r","expires":123}"#,
            true,
            AuthKind::OAuth2Token,
        ),
        (
            r#"{"type":"oauth2","user":"u","expires":"soon"}"#,
            false,
            AuthKind::Unrecognised,
        ),
        (r#"{"type":"oauth2"}"#, false, AuthKind::Unrecognised),
        (r#""u:p""#, false, AuthKind::Unrecognised),
        ("{}", true, AuthKind::Empty),
    ];
    let base = std::fs::read_to_string(format!("{DIR}valid.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&base).unwrap();
    for (auth, accepts, kind) in cases {
        value["auth"] = serde_json::from_str(auth).unwrap();
        let text = serde_json::to_string_pretty(&value).unwrap();
        let loaded = parse("a.json", text.as_bytes(), &SecretOverrides::default()).unwrap();
        assert_eq!(loaded.config.logto_accepts, accepts, "{auth}");
        assert_eq!(loaded.config.auth.kind, kind, "{auth}");
    }
}

#[test]
fn loaded_finding_hook_attaches_the_location() {
    let loaded = load("valid.json");
    let f = loaded.finding(
        &codes::PASSWORD_UNUSED,
        "$.auth.pass",
        "the server never offered AUTH",
    );
    assert_eq!(location(&f), "valid.json:8:13");
    assert_eq!(f.severity, Severity::Error);
}

#[test]
fn password_unused_hook() {
    let loaded = load("valid.json");
    let f = loaded
        .password_unused("the last EHLO from 127.0.0.1:2525 offers no AUTH")
        .unwrap();
    assert_eq!(f.code.id, "config-password-unused");
    assert_eq!(
        (f.subject.as_str(), location(&f)),
        ("$.auth.pass", "valid.json:8:13")
    );
    assert!(!f.message.contains(SECRET));
    assert!(load("auth-empty.json").password_unused("x").is_none());
}

/// Never panics: every prefix of a config, and byte mutations of it, give Ok or an input error.
#[test]
fn hostile_input_never_panics() {
    let base = std::fs::read(format!("{DIR}dkim-option.json")).unwrap();
    for end in 0..base.len() {
        let _ = parse("p.json", &base[..end], &SecretOverrides::default());
    }
    let replacements = b"{}[]\",:0-e\\ \nu\xc3\xff";
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..3000 {
        let mut bytes = base.clone();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % bytes.len();
            bytes[at] = replacements[(seed >> 32) as usize % replacements.len()];
        }
        if let Ok(loaded) = parse("m.json", &bytes, &SecretOverrides::default()) {
            assert!(!format!("{loaded:?}").contains(SECRET));
        }
    }
}
