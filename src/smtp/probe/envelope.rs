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
            let accepted = rcpt_probe(p, s, facts).await;
            let _ = s.command("RSET").await;
            return accepted;
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

/// The address RCPT TO asks for when `--to` is not given: at a domain that is not the
/// server's own (so a relay that only accepts authenticated senders shows it), reserved
/// (RFC 2606: nothing there can ever be delivered, and nothing is: the probe never sends DATA).
pub const RCPT_PROBE_ADDRESS: &str = "mailpreflight-rcpt-probe@example.org";

/// Probe only: `RCPT TO` the recipient (`--to`, else [`RCPT_PROBE_ADDRESS`]) after an accepted
/// MAIL FROM, since many servers refuse at RCPT, not at MAIL ("Relay access denied", Postfix's
/// reject_sender_login_mismatch). The caller sends RSET: no DATA, nothing is delivered.
/// Returns whether the session can go on as nodemailer's would.
async fn rcpt_probe(p: &mut Probe<'_>, s: &mut Session, facts: &mut SmtpFacts) -> bool {
    let to = p
        .input
        .rcpt_probe
        .clone()
        .unwrap_or_else(|| RCPT_PROBE_ADDRESS.to_string());
    let since = Instant::now();
    facts.rcpt_to = Some(to.clone());
    let reply = match s.command(&format!("RCPT TO:<{to}>")).await {
        Ok(r) => r,
        Err(e) => {
            step_failure(p, "RCPT TO", &e);
            return false;
        }
    };
    facts.rcpt_to_reply = Some(reply.summary());
    if reply.class() == 2 {
        p.phase("rcpt-to", since, reply.code.to_string());
        return true;
    }
    p.phase("rcpt-to", since, format!("refused: {}", reply.summary()));
    if p.input.rcpt_probe.is_none() && about_the_address(&reply.summary()) {
        p.finding(
            &codes::RECIPIENT_PROBE_INCONCLUSIVE,
            format!(
                "RCPT TO:<{to}> → \"{}\": refused for the probe address itself, not for the sender",
                reply.summary()
            ),
        );
        p.unknown.push(format!(
            "RCPT TO was not checked: the probe address {to} was refused (\"{}\"); give --to",
            reply.summary()
        ));
        return true;
    }
    p.finding(
        &codes::RECIPIENT_REFUSED,
        format!(
            "MAIL FROM is accepted, but RCPT TO:<{to}> → \"{}\"",
            reply.summary()
        ),
    );
    p.fail(
        messages::all_recipients_rejected(&reply.nodemailer_text()),
        None,
    );
    false
}

/// A refusal about the recipient address (no such domain or mailbox), not about the sender
/// or the session: enhanced codes 5.1.1/5.1.2/5.1.10 (RFC 3463, RFC 7505 null MX) and the
/// usual wordings.
fn about_the_address(reply: &str) -> bool {
    let lower = reply.to_ascii_lowercase();
    let enhanced = lower
        .split_whitespace()
        .nth(1)
        .is_some_and(|c| matches!(c, "5.1.1" | "5.1.2" | "5.1.10" | "4.1.2"));
    enhanced
        || [
            "domain not found",
            "user unknown",
            "mailbox unavailable",
            "no such user",
            "null mx",
        ]
        .iter()
        .any(|w| lower.contains(w))
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
        session(mail_from_reply, "250 2.1.5 ok\r\n")
    }

    fn session(mail_from_reply: &'static str, rcpt_reply: &'static str) -> Script {
        Script {
            banner: "220 submit.example ESMTP\r\n",
            steps: vec![
                ("EHLO", EHLO_AUTH),
                ("AUTH PLAIN", "235 2.7.0 ok\r\n"),
                ("MAIL FROM", mail_from_reply),
                ("RCPT TO", rcpt_reply),
                ("RSET", "250 2.0.0 ok\r\n"),
                ("QUIT", "221 bye\r\n"),
            ],
        }
    }

    #[tokio::test]
    async fn an_accepted_sender_and_recipient_are_reset_and_nothing_is_sent() {
        let (result, commands) = probe(submission("250 2.1.0 ok\r\n"), json!({})).await;
        let at = |c: &str| commands.iter().position(|x| x == c);
        let mail = at("MAIL FROM:<probe@example.com>").expect("MAIL FROM");
        let rcpt = at(&format!("RCPT TO:<{RCPT_PROBE_ADDRESS}>")).expect("RCPT TO");
        let rset = at("RSET").expect("RSET");
        assert!(mail < rcpt && rcpt < rset, "{commands:?}");
        assert!(!commands.iter().any(|c| c == "DATA"), "{commands:?}");
        assert_eq!(result.facts.rcpt_to_reply.as_deref(), Some("250 2.1.5 ok"));
        assert_ne!(result.facts.prediction.verdict, Verdict::WillFail);
    }

    #[tokio::test]
    async fn a_refusal_at_rcpt_is_all_recipients_rejected() {
        let reply = "554 5.7.1 <mailpreflight-rcpt-probe@example.org>: Relay access denied";
        let (result, commands) = probe(
            session(
                "250 2.1.0 ok\r\n",
                "554 5.7.1 <mailpreflight-rcpt-probe@example.org>: Relay access denied\r\n",
            ),
            json!({}),
        )
        .await;
        assert!(ids(&result).contains(&codes::RECIPIENT_REFUSED.id));
        assert_eq!(result.facts.prediction.verdict, Verdict::WillFail);
        assert_eq!(
            result.facts.prediction.operator_message.as_deref(),
            Some(messages::all_recipients_rejected(reply).as_str())
        );
        assert!(commands.iter().any(|c| c == "RSET") && !commands.iter().any(|c| c == "DATA"));
    }

    #[tokio::test]
    async fn a_probe_address_refused_for_itself_is_inconclusive_not_a_failure() {
        let (result, _) = probe(
            session(
                "250 2.1.0 ok\r\n",
                "550 5.1.1 <mailpreflight-rcpt-probe@example.org>: user unknown\r\n",
            ),
            json!({}),
        )
        .await;
        assert!(ids(&result).contains(&codes::RECIPIENT_PROBE_INCONCLUSIVE.id));
        assert!(!ids(&result).contains(&codes::RECIPIENT_REFUSED.id));
        assert_ne!(result.facts.prediction.verdict, Verdict::WillFail);
    }

    #[test]
    fn refusals_about_the_address_itself() {
        assert!(about_the_address(
            "550 5.1.1 <x@example.org>: Recipient address rejected: User unknown"
        ));
        assert!(about_the_address("556 5.1.10 null MX"));
        assert!(!about_the_address(
            "554 5.7.1 <x@example.org>: Relay access denied"
        ));
        assert!(!about_the_address(
            "553 5.7.1 Sender address rejected: not owned by user"
        ));
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
