//! AUTH as nodemailer chooses it: the mechanism, the exchange, what a refusal means.

use super::{Probe, step_failure};
use crate::config::nodemailer::{
    AuthChoice, Mechanism, PlannedAuth, StartTlsPolicy, choose_auth_mechanism, messages,
};
use crate::smtp::codes;
use crate::smtp::session::Session;
use base64::Engine;
use std::time::Instant;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// Returns whether the probe logged in.
pub(super) async fn auth(
    p: &mut Probe<'_>,
    s: &mut Session,
    last_ehlo: &[String],
    tls_active: bool,
    starttls_offered: bool,
) -> bool {
    let plan = p.input.plan.clone();
    let choice = choose_auth_mechanism(&plan, last_ehlo);
    p.auth.choice = Some(choice.clone());
    let endpoint = p.subject.clone();
    match choice {
        AuthChoice::NotConfigured => {
            p.auth.result = "not attempted: no credentials configured".into();
            false
        }
        AuthChoice::SkippedNotAdvertised => {
            let before_tls = p.auth.offered_before_tls.is_some();
            let ignored_tls =
                plan.starttls == StartTlsPolicy::Never && starttls_offered && !before_tls;
            let why = if ignored_tls {
                "ignoreTLS is set and AUTH is not offered before STARTTLS".to_string()
            } else {
                format!(
                    "the {}EHLO offers no AUTH",
                    if tls_active && !plan.implicit_tls {
                        "second "
                    } else {
                        ""
                    }
                )
            };
            p.auth.result = format!("not attempted: {why}");
            let finding = p.finding(&codes::AUTH_NOT_ADVERTISED, format!("{endpoint}: {why}: nodemailer skips AUTH and sends without logging in, so the password is never checked and a wrong one would go unnoticed"));
            if ignored_tls {
                finding.set_severity(crate::report::Severity::Warning);
            }
            p.wrongly.push(format!("no login: {why}"));
            false
        }
        AuthChoice::MissingCredentials { mechanism } => {
            p.auth.result = format!("not attempted: credentials incomplete for {mechanism}");
            p.finding(
                &codes::AUTH_MISSING_CREDENTIALS,
                format!(
                    "the server offers AUTH, but the config has {}",
                    match &plan.auth {
                        PlannedAuth::Password { user: None, .. } => "a password without auth.user",
                        _ => "auth.user without a password",
                    }
                ),
            );
            p.fail(messages::missing_credentials(&mechanism), None);
            false
        }
        AuthChoice::UnknownForcedMethod { method } => {
            p.auth.result = format!(
                "not attempted: authMethod {method} is not a mechanism nodemailer implements"
            );
            p.finding(
                &codes::AUTH_NO_COMMON_MECHANISM,
                format!("authMethod \"{method}\" is not one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2"),
            );
            p.fail(
                format!("Unsupported authentication method \"{method}\""),
                None,
            );
            false
        }
        AuthChoice::Use { mechanism, offered } => {
            if !offered && !plan.force_auth && plan.forced_auth_method.is_none() {
                let list = p
                    .auth
                    .offered_after_tls
                    .clone()
                    .or(p.auth.offered_before_tls.clone())
                    .unwrap_or_default()
                    .join(" ");
                p.finding(&codes::AUTH_NO_COMMON_MECHANISM, format!("{endpoint} offers AUTH {list}, none of which nodemailer implements; it will try AUTH PLAIN anyway"));
            }
            if !tls_active {
                p.finding(&codes::AUTH_IN_CLEAR, format!("{endpoint}: AUTH {} would be sent without TLS; the password crosses the network in clear", mechanism.name()));
                if !p.input.allow_plaintext_auth {
                    p.auth.result = "not attempted: it would cross the network in clear (--allow-plaintext-auth tests it anyway)".into();
                    p.unknown.push("the credentials were not tested: nodemailer would send them in clear, and the probe does not (--allow-plaintext-auth)".into());
                    return false;
                }
            }
            try_login(p, s, mechanism).await
        }
    }
}

async fn try_login(p: &mut Probe<'_>, s: &mut Session, mechanism: Mechanism) -> bool {
    let since = Instant::now();
    let user = p.input.user.clone().unwrap_or_default();
    let reply = match mechanism {
        Mechanism::Plain => {
            let Some(pass) = p.input.password.clone() else {
                return false;
            };
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("\0{user}\0{}", pass.expose()));
            s.command_secret(&format!("AUTH PLAIN {token}"), "AUTH PLAIN ***")
                .await
        }
        Mechanism::Login => {
            let Some(pass) = p.input.password.clone() else {
                return false;
            };
            match s.command("AUTH LOGIN").await {
                Ok(r) if r.code == 334 => match s.command(&b64(&user)).await {
                    Ok(r) if r.code == 334 => s.command_secret(&b64(pass.expose()), "***").await,
                    other => other,
                },
                other => other,
            }
        }
        Mechanism::XOAuth2 => match p.input.oauth2_access_token.clone() {
            Some(token) => {
                let raw = format!("user={user}\x01auth=Bearer {}\x01\x01", token.expose());
                s.command_secret(&format!("AUTH XOAUTH2 {}", b64(&raw)), "AUTH XOAUTH2 ***")
                    .await
            }
            None => {
                p.auth.result = "not attempted: XOAUTH2 needs an access token, which nodemailer fetches from the provider with the refresh token or service key; the probe does not call the provider".into();
                p.finding(&codes::AUTH_UNTESTED, "XOAUTH2 login not tested: no accessToken in the config (nodemailer would obtain one from the provider)");
                p.unknown.push("the OAuth2 login was not tested".into());
                return false;
            }
        },
        Mechanism::CramMd5 => {
            p.auth.result = "not attempted: CRAM-MD5 is not tested by the probe".into();
            p.finding(
                &codes::AUTH_UNTESTED,
                "nodemailer would log in with CRAM-MD5, which the probe does not test",
            );
            p.unknown.push("the CRAM-MD5 login was not tested".into());
            return false;
        }
    };
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            p.phase("auth", since, format!("failed: {e}"));
            step_failure(p, "AUTH", &e);
            return false;
        }
    };
    if reply.code == 235 {
        p.phase("auth", since, format!("235 ({})", mechanism.name()));
        p.auth.result = format!("accepted ({})", mechanism.name());
        return true;
    }
    p.phase("auth", since, format!("refused: {}", reply.summary()));
    p.auth.result = format!("rejected: {}", reply.summary());
    let hint = p
        .input
        .provider
        .and_then(|pr| pr.hint_for(&reply.summary()));
    let code = if reply.code == 504 {
        &codes::AUTH_NO_COMMON_MECHANISM
    } else {
        &codes::AUTH_FAILED
    };
    let message = format!(
        "AUTH {} as \"{user}\" → \"{}\"",
        mechanism.name(),
        reply.summary()
    );
    let f = p.finding(code, message);
    if let Some(h) = hint {
        f.remediation = h.to_string();
    }
    p.fail(messages::invalid_login(&reply.nodemailer_text()), None);
    false
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Script, ids, probe};
    use super::*;
    use crate::smtp::facts::Verdict;
    use serde_json::json;

    #[tokio::test]
    async fn a_refused_password_is_invalid_login_and_never_shown() {
        let script = Script {
            banner: "220 submit.example ESMTP\r\n",
            steps: vec![
                ("EHLO", "250-submit.example\r\n250 AUTH PLAIN\r\n"),
                ("AUTH PLAIN", "535 5.7.8 authentication failed\r\n"),
                ("QUIT", "221 bye\r\n"),
            ],
        };
        let (result, commands) = probe(script, json!({})).await;
        assert!(ids(&result).contains(&codes::AUTH_FAILED.id));
        assert_eq!(result.facts.prediction.verdict, Verdict::WillFail);
        assert_eq!(
            result.facts.prediction.operator_message.as_deref(),
            Some(messages::invalid_login("535 5.7.8 authentication failed").as_str())
        );
        // The server saw the real token; the report never does.
        let token = b64("\0probe@example.com\0pw-never-shown");
        assert!(commands.iter().any(|c| c == &format!("AUTH PLAIN {token}")));
        let report = serde_json::to_string(&result.facts).unwrap();
        assert!(!report.contains(&token) && !report.contains("pw-never-shown"));
    }

    #[tokio::test]
    async fn login_only_servers_get_auth_login_in_two_steps() {
        let script = Script {
            banner: "220 submit.example ESMTP\r\n",
            steps: vec![
                ("EHLO", "250-submit.example\r\n250 AUTH LOGIN\r\n"),
                ("AUTH LOGIN", "334 VXNlcm5hbWU6\r\n"),
                ("CHJVYM", "334 UGFzc3dvcmQ6\r\n"),
                ("CHCTBMV2", "235 2.7.0 ok\r\n"),
                ("MAIL FROM", "250 ok\r\n"),
                ("RSET", "250 ok\r\n"),
                ("QUIT", "221 bye\r\n"),
            ],
        };
        let (result, commands) = probe(script, json!({})).await;
        assert_eq!(commands.get(1).map(String::as_str), Some("AUTH LOGIN"));
        assert_eq!(commands.get(2), Some(&b64("probe@example.com")));
        assert_eq!(commands.get(3), Some(&b64("pw-never-shown")));
        assert_eq!(result.facts.auth.result, "accepted (LOGIN)");
    }

    #[test]
    fn b64_is_standard_padded_base64() {
        assert_eq!(b64("\0u\0p"), "AHUAcA==");
    }
}
