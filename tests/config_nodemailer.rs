//! The nodemailer prediction (knowledge/nodemailer.md), table-tested on configs built from JSON.

use mailpreflight::config::model::PortSetting;
use mailpreflight::config::nodemailer::{
    AuthChoice, ConnectionPlan, EhloName, Mechanism, PlannedAuth, StartTlsPolicy,
    advertised_mechanisms, choose_auth_mechanism, default_ehlo_name, effective_port,
    effective_timeout, messages,
};
use mailpreflight::config::{SecretOverrides, parse};
use std::time::Duration;

/// A valid config with `extra` merged over it (a JSON object's text).
fn plan(extra: &str) -> ConnectionPlan {
    let mut v: serde_json::Value = serde_json::json!({
        "host": "smtp.example.com",
        "port": 587,
        "auth": {"user": "u@example.com", "pass": "p"},
        "fromEmail": "noreply@example.com",
        "templates": []
    });
    let extra: serde_json::Value = serde_json::from_str(extra).unwrap();
    for (k, val) in extra.as_object().unwrap() {
        if val.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = val.clone();
        }
    }
    let text = serde_json::to_string(&v).unwrap();
    let loaded = parse("t.json", text.as_bytes(), &SecretOverrides::default()).unwrap();
    ConnectionPlan::from_config(&loaded.config)
}

#[test]
fn port_and_implicit_tls() {
    // (extra config, effective port, implicit TLS, STARTTLS policy)
    let cases: &[(&str, Option<u16>, bool, StartTlsPolicy)] = &[
        (r#"{}"#, Some(587), false, StartTlsPolicy::IfAdvertised),
        (
            r#"{"port": 465}"#,
            Some(465),
            true,
            StartTlsPolicy::NotApplicable,
        ), // secure absent: switches itself
        (
            r#"{"port": 465, "secure": false}"#,
            Some(465),
            false,
            StartTlsPolicy::IfAdvertised,
        ), // console's false turns it off
        (
            r#"{"port": 587, "secure": true}"#,
            Some(587),
            true,
            StartTlsPolicy::NotApplicable,
        ),
        (
            r#"{"port": null}"#,
            Some(587),
            false,
            StartTlsPolicy::IfAdvertised,
        ),
        (
            r#"{"port": null, "secure": true}"#,
            Some(465),
            true,
            StartTlsPolicy::NotApplicable,
        ),
        (
            r#"{"port": 0, "secure": true}"#,
            Some(465),
            true,
            StartTlsPolicy::NotApplicable,
        ),
        (
            r#"{"port": "465"}"#,
            Some(465),
            true,
            StartTlsPolicy::NotApplicable,
        ), // Number("465")
        (
            r#"{"port": "abc"}"#,
            Some(587),
            false,
            StartTlsPolicy::IfAdvertised,
        ), // NaN → default
        (
            r#"{"port": 70000}"#,
            None,
            false,
            StartTlsPolicy::IfAdvertised,
        ),
        (
            r#"{"requireTLS": true}"#,
            Some(587),
            false,
            StartTlsPolicy::Always,
        ),
        (
            r#"{"ignoreTLS": true}"#,
            Some(587),
            false,
            StartTlsPolicy::Never,
        ),
        (
            r#"{"ignoreTLS": true, "requireTLS": true}"#,
            Some(587),
            false,
            StartTlsPolicy::Never,
        ),
        (
            r#"{"ignoreTLS": true, "secure": true}"#,
            Some(587),
            true,
            StartTlsPolicy::NotApplicable,
        ),
    ];
    for (extra, port, implicit, starttls) in cases {
        let p = plan(extra);
        assert_eq!(
            (p.port, p.implicit_tls, p.starttls),
            (*port, *implicit, *starttls),
            "{extra}"
        );
    }
    assert_eq!(
        effective_port(&PortSetting::Text(" 25 ".into()), false),
        Some(25)
    );
    assert_eq!(
        effective_port(&PortSetting::Text("".into()), true),
        Some(465)
    );
    assert_eq!(effective_port(&PortSetting::Number(1.5), false), None);
}

#[test]
fn starttls_is_sent_blind_under_require_tls() {
    assert!(plan("{}").sends_starttls(true));
    assert!(!plan("{}").sends_starttls(false));
    assert!(plan(r#"{"requireTLS": true}"#).sends_starttls(false));
    assert!(!plan(r#"{"ignoreTLS": true}"#).sends_starttls(true));
    assert!(!plan(r#"{"port": 465}"#).sends_starttls(true));
}

#[test]
fn sni_and_certificate_name() {
    // (extra, SNI, name checked, checked as IP)
    let cases: &[(&str, Option<&str>, &str, bool)] = &[
        (r#"{}"#, Some("smtp.example.com"), "smtp.example.com", false),
        (r#"{"host": "192.0.2.10"}"#, None, "192.0.2.10", true),
        (r#"{"host": "::1"}"#, None, "::1", true),
        (
            r#"{"host": "192.0.2.10", "servername": "mail.example.com"}"#,
            Some("mail.example.com"),
            "mail.example.com",
            false,
        ),
        (
            r#"{"servername": "a.example.com", "tls": {"servername": "b.example.com"}}"#,
            Some("b.example.com"),
            "b.example.com",
            false,
        ),
    ];
    for (extra, sni, name, is_ip) in cases {
        let p = plan(extra);
        assert_eq!(
            (p.sni.as_deref(), p.verify_name.as_str(), p.verify_is_ip),
            (*sni, *name, *is_ip),
            "{extra}"
        );
    }
    let p = plan(
        r#"{"tls": {"rejectUnauthorized": false, "ca": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----", "minVersion": "TLSv1.3"}}"#,
    );
    assert!(!p.verify_certificates && p.custom_ca);
    assert_eq!(p.tls_min_version.as_deref(), Some("TLSv1.3"));
}

#[test]
fn ehlo_name_and_timeouts() {
    assert_eq!(plan("{}").ehlo_name, EhloName::Default);
    assert_eq!(
        plan(r#"{"name": "mx.example.com"}"#).ehlo_name,
        EhloName::Configured("mx.example.com".into())
    );
    assert_eq!(default_ehlo_name("build01"), "[127.0.0.1]");
    assert_eq!(default_ehlo_name("web.example.com"), "web.example.com");

    let p = plan(r#"{"connectionTimeout": 0, "greetingTimeout": 5000, "socketTimeout": -1}"#);
    assert_eq!(p.timeouts.connection, Duration::from_secs(120));
    assert_eq!(p.timeouts.greeting, Duration::from_secs(5));
    assert_eq!(p.timeouts.socket, Duration::from_millis(1));
    assert_eq!(p.timeouts.dns, Duration::from_secs(30));
    assert_eq!(
        effective_timeout(Some(3e9), Duration::from_secs(30)),
        Duration::from_millis(1)
    );
}

#[test]
fn service_overrides_host_port_and_secure() {
    let p =
        plan(r#"{"service": "Gmail", "host": "smtp.example.com", "port": 587, "secure": false}"#);
    assert_eq!(
        (p.host.as_str(), p.port, p.implicit_tls),
        ("smtp.gmail.com", Some(465), true)
    );
    assert_eq!(p.service, Some("Gmail"));
    // A service without `secure` keeps the configured one; SendGrid sets port 587.
    let p = plan(r#"{"service": "sendgrid", "port": 465, "secure": true}"#);
    assert_eq!(
        (p.host.as_str(), p.port, p.implicit_tls),
        ("smtp.sendgrid.net", Some(587), true)
    );
    let p = plan(r#"{"service": "Zoho"}"#);
    assert_eq!(p.forced_auth_method.as_deref(), Some("LOGIN"));
    let p = plan(r#"{"service": "NoSuch"}"#);
    assert_eq!((p.host.as_str(), p.service), ("smtp.example.com", None));
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn auth_mechanism_choice() {
    let use_ = |m, offered| AuthChoice::Use {
        mechanism: m,
        offered,
    };
    // (extra config, last EHLO lines, choice)
    let cases: Vec<(&str, Vec<String>, AuthChoice)> = vec![
        (
            "{}",
            lines(&["PIPELINING", "AUTH LOGIN PLAIN"]),
            use_(Mechanism::Plain, true),
        ),
        (
            "{}",
            lines(&["250-AUTH=LOGIN CRAM-MD5", "250 8BITMIME"]),
            use_(Mechanism::Login, true),
        ),
        (
            "{}",
            lines(&["AUTH CRAM-MD5 XOAUTH2"]),
            use_(Mechanism::CramMd5, true),
        ),
        (
            "{}",
            lines(&["AUTH NTLM GSSAPI"]),
            use_(Mechanism::Plain, false),
        ),
        (
            "{}",
            lines(&["SIZE 1000", "STARTTLS"]),
            AuthChoice::SkippedNotAdvertised,
        ),
        (
            r#"{"forceAuth": true}"#,
            lines(&["SIZE 1000"]),
            use_(Mechanism::Plain, false),
        ),
        (
            r#"{"authMethod": "login"}"#,
            lines(&["AUTH PLAIN LOGIN"]),
            use_(Mechanism::Login, true),
        ),
        (
            r#"{"authMethod": "NTLM"}"#,
            lines(&["AUTH NTLM"]),
            AuthChoice::UnknownForcedMethod {
                method: "NTLM".into(),
            },
        ),
        (
            r#"{"auth": {"type": "login", "user": "u"}}"#,
            lines(&["AUTH PLAIN"]),
            AuthChoice::MissingCredentials {
                mechanism: "PLAIN".into(),
            },
        ),
        (
            r#"{"auth": {}}"#,
            lines(&["AUTH PLAIN"]),
            AuthChoice::NotConfigured,
        ),
        (
            r#"{"auth": {"type": "oauth2", "user": "u", "accessToken": "t"}}"#,
            lines(&["AUTH PLAIN XOAUTH2"]),
            use_(Mechanism::XOAuth2, true),
        ),
        // `type: "login"` does not mean AUTH LOGIN.
        (
            r#"{"auth": {"type": "LOGIN", "user": "u", "pass": "p"}}"#,
            lines(&["AUTH LOGIN PLAIN"]),
            use_(Mechanism::Plain, true),
        ),
    ];
    for (extra, ehlo, want) in cases {
        let p = plan(extra);
        assert_eq!(choose_auth_mechanism(&p, &ehlo), want, "{extra} {ehlo:?}");
    }
    assert_eq!(plan(r#"{"auth": {}}"#).auth, PlannedAuth::None);
    assert_eq!(advertised_mechanisms(&lines(&["AUTHX"])), None);
    assert_eq!(
        advertised_mechanisms(&lines(&["auth=login", "AUTH PLAIN LOGIN"])),
        Some(lines(&["LOGIN", "PLAIN"]))
    );
}

#[test]
fn operator_visible_messages() {
    assert_eq!(
        messages::missing_credentials("PLAIN"),
        "Missing credentials for \"PLAIN\""
    );
    assert_eq!(
        messages::connection_refused("127.0.0.1", 2525),
        "connect ECONNREFUSED 127.0.0.1:2525"
    );
    assert_eq!(
        messages::starttls_failed("454 TLS not available"),
        "Error upgrading connection with STARTTLS: 454 TLS not available"
    );
    assert_eq!(
        messages::invalid_login("535 5.7.8 no"),
        "Invalid login: 535 5.7.8 no"
    );
}
