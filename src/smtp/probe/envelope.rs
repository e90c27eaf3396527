//! The envelope: MAIL FROM (then RSET when only probing), or the one delivery of `send`.

use super::{Probe, step_failure};
use crate::config::nodemailer::{StartTlsPolicy, messages};
use crate::smtp::codes;
use crate::smtp::facts::{DeliveryFacts, SmtpFacts};
use crate::smtp::session::Session;
use std::time::Instant;

/// `MAIL FROM`; then `RSET` when `rset` (probe only). Returns whether the server accepted.
pub(super) async fn mail_from(
    p: &mut Probe<'_>,
    s: &mut Session,
    from: &str,
    facts: &mut SmtpFacts,
    starttls_offered: bool,
    rset: bool,
) -> bool {
    let since = Instant::now();
    facts.mail_from = Some(from.to_string());
    let reply = match s.command(&format!("MAIL FROM:<{from}>")).await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "MAIL FROM", &e);
            return false;
        }
    };
    facts.mail_from_reply = Some(reply.summary());
    if reply.class() == 2 {
        p.phase("mail-from", since, reply.code.to_string());
        if rset {
            let _ = s.command("RSET").await;
        }
        return true;
    }
    p.phase("mail-from", since, format!("refused: {}", reply.summary()));
    let text = reply.summary().to_ascii_lowercase();
    let wants_auth = reply.code == 530
        || text.contains("auth")
        || text.contains("not logged in")
        || text.contains("starttls");
    let logged_in = p.auth.result.starts_with("accepted");
    let plan = &p.input.plan;
    if wants_auth && !logged_in {
        if plan.starttls == StartTlsPolicy::Never && starttls_offered {
            p.finding(&codes::IGNORE_TLS_BLOCKS_AUTH, format!("ignoreTLS is set; {} offers AUTH only after STARTTLS, so nodemailer never logs in, and MAIL FROM gets \"{}\"", p.subject, reply.summary()));
        } else {
            p.finding(
                &codes::AUTH_REQUIRED,
                format!(
                    "{} refuses MAIL FROM without a login: \"{}\"",
                    p.subject,
                    reply.summary()
                ),
            );
        }
    } else {
        p.finding(
            &codes::SENDER_REJECTED,
            format!("MAIL FROM:<{from}> → \"{}\"", reply.summary()),
        );
    }
    p.fail(
        messages::mail_command_failed(&reply.nodemailer_text()),
        None,
    );
    false
}

/// The queue id in a final reply: Postfix `queued as 4Xyz`, Exim `id=1abc`, else None.
pub fn queue_id(reply: &str) -> Option<String> {
    let lower = reply.to_ascii_lowercase();
    for marker in ["queued as ", "id=", "ok: "] {
        if let Some(at) = lower.find(marker) {
            let id: String = reply[at + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-._@<>".contains(*c))
                .take(128)
                .collect();
            if !id.is_empty() {
                return Some(id.trim_matches(['<', '>']).to_string());
            }
        }
    }
    None
}

/// RCPT TO the one recipient, DATA, the message. Once: never retried, so never sent twice.
pub(super) async fn deliver(p: &mut Probe<'_>, s: &mut Session, facts: &mut SmtpFacts) {
    let Some(d) = p.input.delivery.as_ref() else {
        return;
    };
    let (to, message) = (d.to.clone(), d.message.clone());
    let mut out = DeliveryFacts {
        to: to.clone(),
        rcpt_reply: None,
        final_reply: None,
        queue_id: None,
        accepted: false,
        bytes: message.len(),
    };
    let since = Instant::now();
    let rcpt = match s.command(&format!("RCPT TO:<{to}>")).await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "RCPT TO", &e);
            facts.delivery = Some(out);
            return;
        }
    };
    out.rcpt_reply = Some(rcpt.summary());
    if rcpt.class() != 2 {
        p.phase("rcpt-to", since, format!("refused: {}", rcpt.summary()));
        p.finding(
            &crate::passcode::codes::RECIPIENT_REJECTED,
            format!("RCPT TO:<{to}> → \"{}\"", rcpt.summary()),
        );
        p.fail(
            messages::all_recipients_rejected(&rcpt.nodemailer_text()),
            None,
        );
        facts.delivery = Some(out);
        return;
    }
    p.phase("rcpt-to", since, rcpt.code.to_string());
    let since = Instant::now();
    let data = match s.command("DATA").await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "DATA", &e);
            facts.delivery = Some(out);
            return;
        }
    };
    if data.code != 354 {
        p.phase("data", since, format!("refused: {}", data.summary()));
        p.finding(
            &crate::passcode::codes::DATA_REJECTED,
            format!("DATA → \"{}\"", data.summary()),
        );
        p.fail(format!("Data command failed: {}", data.summary()), None);
        facts.delivery = Some(out);
        return;
    }
    let done = match s.send_data(&message).await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "the message", &e);
            facts.delivery = Some(out);
            return;
        }
    };
    out.final_reply = Some(done.summary());
    if done.class() == 2 {
        p.phase("data", since, format!("{} (accepted)", done.code));
        out.queue_id = queue_id(&done.summary());
        out.accepted = true;
    } else {
        p.phase("data", since, format!("refused: {}", done.summary()));
        p.finding(
            &crate::passcode::codes::DATA_REJECTED,
            format!("the message → \"{}\"", done.summary()),
        );
        p.fail(format!("Message failed: {}", done.summary()), None);
    }
    facts.delivery = Some(out);
}

#[cfg(test)]
mod tests {
    use super::super::testing::{EHLO_AUTH, Script, ids, probe};
    use super::*;
    use crate::smtp::facts::Verdict;
    use serde_json::json;

    fn submission(mail_from_reply: &'static str) -> Script {
        Script {
            banner: "220 submit.example ESMTP\r\n",
            steps: vec![
                ("EHLO", EHLO_AUTH),
                ("AUTH PLAIN", "235 2.7.0 ok\r\n"),
                ("MAIL FROM", mail_from_reply),
                ("RSET", "250 2.0.0 ok\r\n"),
                ("QUIT", "221 bye\r\n"),
            ],
        }
    }

    #[tokio::test]
    async fn an_accepted_sender_is_reset_and_nothing_is_sent() {
        let (result, commands) = probe(submission("250 2.1.0 ok\r\n"), json!({})).await;
        assert!(
            commands.contains(&"MAIL FROM:<probe@example.com>".to_string()),
            "{commands:?}"
        );
        assert!(commands.iter().any(|c| c == "RSET"));
        assert!(
            !commands
                .iter()
                .any(|c| c == "DATA" || c.starts_with("RCPT"))
        );
        assert_ne!(result.facts.prediction.verdict, Verdict::WillFail);
    }

    #[tokio::test]
    async fn a_refused_sender_is_mail_command_failed() {
        let (result, _) = probe(
            submission("553 5.7.1 sender not owned by user\r\n"),
            json!({}),
        )
        .await;
        assert!(ids(&result).contains(&codes::SENDER_REJECTED.id));
        assert_eq!(
            result.facts.prediction.operator_message.as_deref(),
            Some(messages::mail_command_failed("553 5.7.1 sender not owned by user").as_str())
        );
    }

    #[test]
    fn queue_ids_of_postfix_exim_and_others() {
        assert_eq!(
            queue_id("250 2.0.0 Ok: queued as 4XyZ12").as_deref(),
            Some("4XyZ12")
        );
        assert_eq!(
            queue_id("250 OK id=1abc-00DEF-xy").as_deref(),
            Some("1abc-00DEF-xy")
        );
        assert_eq!(
            queue_id("250 Ok: <0100abc@email.amazonses.com>").as_deref(),
            Some("0100abc@email.amazonses.com")
        );
        assert_eq!(queue_id("250 2.0.0 accepted"), None);
    }
}
